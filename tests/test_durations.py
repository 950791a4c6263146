import pytest

from audio_builder.durations import (
    DurationError,
    format_human,
    format_ms,
    parse_duration,
)


@pytest.mark.parametrize("text, ms", [
    (90, 90_000), ("90", 90_000), ("90s", 90_000), ("1.5s", 1_500), ("500ms", 500),
    ("2m", 120_000), ("1m30s", 90_000), ("1h5m", 3_900_000), ("1:30", 90_000),
    ("1:02:03", 3_723_000), (0.25, 250), ("2m 30s", 150_000), ("1.25", 1_250),
])
def test_every_spec_form_parses_to_whole_milliseconds(text, ms):
    assert parse_duration(text) == ms


@pytest.mark.parametrize("text", ["abc", "3 sec", "1:70", "5x", "", "1m1m", "-", True, None, [1]])
def test_other_values_are_errors_that_show_accepted_forms(text):
    with pytest.raises(DurationError) as caught:
        parse_duration(text)
    assert "90s" in str(caught.value) and "1m30s" in str(caught.value)


def test_negative_only_where_allowed():
    assert parse_duration("-1m", allow_negative=True) == -60_000
    with pytest.raises(DurationError, match="negative"):
        parse_duration("-1m")


@pytest.mark.parametrize("ms, human", [(90_000, "1m30s"), (1_500, "1.5s"), (3_900_000, "1h5m"),
                                       (0, "0s")])
def test_human_format_parses_back(ms, human):
    assert format_human(ms) == human
    assert parse_duration(human) == ms


def test_clock_format():
    assert format_ms(3_723_450) == "1:02:03.450"
    assert format_ms(61_000, precise=False) == "1:01"
