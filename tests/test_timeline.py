"""The planner as a pure function: scripts from YAML, speech lengths made up (100 ms a word)."""

import pytest
from conftest import write

from audio_builder.errors import InputError
from audio_builder.model import Pause, Place
from audio_builder.script.parser import load_script
from audio_builder.timeline import (
    LengthError,
    Measures,
    pause_after_sentence,
    plan_timeline,
    share_slack,
)

MEASURES = Measures(
    speech_ms=lambda utterance, place: 100 * len(utterance.text.split()),
    sound_ms=lambda path, place: 1_000,
    sentence_pause_ms=lambda voice, place: 700,
    bell_ms=lambda sound, place: 12_000,
)


def plan(tmp_path, yaml, length=None):
    script = load_script(write(tmp_path / "scripts" / "t.yaml", "title: T\n" + yaml))
    return plan_timeline(script, MEASURES, length)


def starts(timeline):
    return [(s.start_ms, s.utterance.text) for s in timeline.speech]


def test_steps_follow_each_other_with_sentence_and_paragraph_pauses(tmp_path):
    timeline = plan(tmp_path, """
steps:
  - bell: 2                  # a 0.5s lead-in, then 2 strikes x 5s
  - One two. Three four five.
  - pause: 3s
  - say: |
      Six seven. [pause 2s] Eight.

      Nine ten.
""")
    lead = 500
    assert [(ms - lead, text) for ms, text in starts(timeline)] == [
        (10_000, "One two."), (10_000 + 200 + 280, "Three four five."),  # 0.4 of 700: see below
        (13_780, "Six seven."), (13_780 + 200 + 2_000, "Eight."),
        (16_080 + 1_500, "Nine ten."),
    ]
    assert [b.start_ms for b in timeline.bells] == [lead, lead + 5_000]
    assert timeline.length_ms == lead + 17_780


def test_the_pause_after_a_sentence_follows_how_long_it_took_to_say(tmp_path):
    """The sentence pause (700 ms here) after a sentence of 3.5 s; in proportion to the
    sentence between 0.4 and 4/3 of it (100 ms a word here)."""
    text = " ".join(" ".join(["Calm"] * n) + "." for n in (1, 20, 35, 60, 1))
    timeline = plan(tmp_path, f"steps:\n  - say: {text}\n")
    speech = timeline.speech
    gaps = [b.start_ms - (a.start_ms + a.ms) for a, b in zip(speech, speech[1:], strict=False)]
    assert gaps == [280, 400, 700, 933], gaps
    assert [pause_after_sentence(ms, 1_500) for ms in range(0, 10_000, 100)] == sorted(
        pause_after_sentence(ms, 1_500) for ms in range(0, 10_000, 100))


def test_flexible_pauses_grow_by_one_factor_to_meet_length(tmp_path):
    timeline = plan(tmp_path, """
steps:
  - One.
  - pause: 10s..1m
  - Two.
  - pause: 20s..1m
  - Three.
""", length=60_300)
    pauses = [r.ms for r in timeline.rows if r.step == "pause"]
    assert pauses == [20_000, 40_000]          # 30 s of slack shared 1:2, like their minimums
    assert timeline.length_ms == 60_300
    assert timeline.speech[-1].end_ms == 60_300


def test_a_capped_pause_passes_the_rest_to_the_others():
    pauses = [Pause(10_000, 12_000, Place("f", 1)), Pause(10_000, None, Place("f", 2))]
    assert share_slack(pauses, 30_000) == [12_000, 38_000]
    assert sum(share_slack([Pause(3, 10, Place("f", 1))] * 3, 7)) == 16   # whole ms, exact sum


def test_at_anchors_leave_silence_and_the_next_step_starts_exactly(tmp_path):
    timeline = plan(tmp_path, """
steps:
  - One.
  - pause: 1s..2s
  - at: 10s
  - chapter: Later
  - Two.
  - at: -5s
  - chapter: End
  - Three.
  - pause: 1s..
""", length=30_000)
    assert timeline.rows[1].ms == 2_000                      # grew to its maximum
    assert [(c.start_ms, c.title) for c in timeline.chapters] == [(10_000, "Later"), (25_000, "End")]
    assert starts(timeline) == [(0, "One."), (10_000, "Two."), (25_000, "Three.")]
    assert timeline.length_ms == 30_000


def test_without_length_flexible_pauses_stay_at_their_minimum(tmp_path):
    timeline = plan(tmp_path, "steps:\n  - One.\n  - pause: 4s..1m\n  - Two.\n")
    assert timeline.length_ms == 100 + 4_000 + 100


def test_breathing_cues_start_each_phase(tmp_path):
    timeline = plan(tmp_path, "steps:\n  - breathe: {in: 4s, hold: 1s, out: 6s, cycles: 3, cues: 2}\n")
    assert timeline.length_ms == 3 * 11_000
    assert starts(timeline) == [(0, "Breathe in"), (4_000, "Hold"), (5_000, "and out"),
                                (11_000, "Breathe in"), (15_000, "Hold"), (16_000, "and out")]


def test_a_cue_that_does_not_fit_its_phase_is_an_error(tmp_path):
    with pytest.raises(InputError, match=r"Breathe in.*longer than `in: 0.1s`") as caught:
        plan(tmp_path, "steps:\n  - breathe: {in: 100ms, out: 6s}\n")
    assert caught.value.line == 3


def test_an_at_already_passed_names_both_times(tmp_path):
    with pytest.raises(InputError) as caught:
        plan(tmp_path, "steps:\n  - pause: 20s\n  - at: 15s\n  - Hello.\n")
    assert "`at: 15s`" in caught.value.message and "0:20.000" in caught.value.message
    assert caught.value.line == 4


def test_an_unreachable_length_says_the_range_and_what_to_loosen(tmp_path):
    yaml = "steps:\n  - One.\n  - pause: 10s..20s\n  - Two.\n"
    with pytest.raises(LengthError) as caught:
        plan(tmp_path, yaml, length=60_000)
    message = caught.value.message
    assert "from 0:11 to 0:20" in message and "line 4" in message and "too long" in message
    with pytest.raises(LengthError, match="too short"):
        plan(tmp_path, yaml, length=5_000)


def test_at_from_the_end_needs_a_length(tmp_path):
    with pytest.raises(InputError, match="needs a `length:`"):
        plan(tmp_path, "steps:\n  - One.\n  - at: -10s\n  - Two.\n")


def test_sounds_take_their_length_unless_they_do_not_wait(tmp_path):
    (tmp_path / "scripts").mkdir(exist_ok=True)
    (tmp_path / "scripts" / "clip.wav").write_bytes(b"")
    timeline = plan(tmp_path, "steps:\n  - sound: clip.wav\n  - sound: {file: clip.wav, wait: false}\n"
                              "  - One.\n")
    assert [s.start_ms for s in timeline.sounds] == [0, 1_000]
    assert starts(timeline) == [(1_000, "One.")]


def test_an_open_range_ends_at_the_longest_length_there_is_as_the_docs_say():
    """A script that can grow without end reaches 12 hours, the cap on any length; the docs'
    examples of `check`'s answer read the same."""
    import math
    from pathlib import Path

    from audio_builder.timeline import describe_ranges

    assert describe_ranges([(355_000, math.inf)]) == "from 5:55 to 12:00:00"
    assert describe_ranges([(190_000, 280_000), (360_000, math.inf)]) == \
        "from 3:10 to 4:40, or from 6:00 to 12:00:00"
    docs = Path(__file__).resolve().parent.parent / "docs"
    assert "from 3:10 to 4:40, or from 6:00 to 12:00:00" in (docs / "timing.md").read_text(encoding="utf-8")
    assert "from 3:55 to 12:00:00" in (docs / "script-format.md").read_text(encoding="utf-8")
    assert "any length`" not in (docs / "timing.md").read_text(encoding="utf-8")
