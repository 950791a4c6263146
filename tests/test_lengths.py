"""Short and long versions of one script (`only:`), the lengths a script can reach, and the
messages when a length cannot be met. The stand-in voice (tones) speaks 100 ms a word."""

import re

import pytest
from conftest import run, write

VERSIONS = """
title: Versions
length: [1m, 2m]
steps:
  - chapter: Arriving
  - Welcome.
  - pause: 5s..
  - say: Only in the long one.
    only: [2m]
  - chapter: Body
    only: 2m..
  - In the body section.
  - pause: 5s..
  - at: -20s
  - chapter: Closing
  - include: parts/end.yaml
    only: [1m]
  - Goodbye.
  - pause: 2s..
"""


@pytest.fixture
def tones(project):
    write(project / "voices" / "default.yaml", "engine: tones\n")
    write(project / "scripts" / "parts" / "end.yaml", "steps:\n  - The short ending.\n")
    return project


def cue_sheet(*args):
    result = run("plan", *args)
    assert result.exit_code == 0, result.stderr
    tracks = {}
    for block in result.stdout.split("\n\n"):
        if ":" in block.splitlines()[0] and not block.startswith("lengths"):
            name = block.splitlines()[0].split(":")[0]
            tracks[name] = re.findall(r"(?:say|chapter)\s+(.*)", block)
    return tracks, result.stdout


def test_only_picks_steps_chapters_and_includes_by_length(tones):
    write(tones / "scripts" / "versions.yaml", VERSIONS)
    tracks, _ = cue_sheet("scripts/versions.yaml")
    assert tracks["versions-1m"] == ["Arriving", "Welcome.", "Closing", "The short ending.", "Goodbye."]
    assert tracks["versions-2m"] == ["Arriving", "Welcome.", "Only in the long one.", "Body",
                                     "In the body section.", "Closing", "Goodbye."]


def test_a_one_off_length_hears_the_steps_its_ranges_cover(tones):
    write(tones / "scripts" / "versions.yaml", VERSIONS)
    tracks, _ = cue_sheet("scripts/versions.yaml", "--length", "3m")
    assert tracks["versions-3m"] == ["Arriving", "Welcome.", "Body", "In the body section.",
                                  "Closing", "Goodbye."]


def test_check_and_plan_print_the_shortest_and_longest_length(tones):
    write(tones / "scripts" / "bounded.yaml", "title: B\nlength: 1m\nsteps:\n  - One two three.\n"
                                               "  - pause: 30s..90s\n")
    checked = run("check", "scripts/bounded.yaml")
    assert checked.exit_code == 0
    assert "lengths it can reach: from 0:31 to 1:30" in checked.stdout      # 0.3 s of speech
    _, planned = cue_sheet("scripts/bounded.yaml")
    assert planned.rstrip().endswith("lengths it can reach: from 0:31 to 1:30")


def test_the_lengths_offered_are_ones_that_work(tones):
    """A range inside one second is given to the millisecond, never as `from 9:01 to 9:00`."""
    write(tones / "scripts" / "narrow.yaml", "title: N\nlength: 10m\nsteps:\n"
                                              "  - pause: 540.3s..540.8s\n")
    result = run("check", "scripts/narrow.yaml")
    assert result.exit_code == 2
    assert "it can be from 9:00.300 to 9:00.800 long" in result.stderr
    for length in ("540.3s", "540.8s"):
        assert run("check", "scripts/narrow.yaml", "--length", length).exit_code == 0


def test_the_lengths_offered_with_an_anchor_work_at_both_ends(tones):
    write(tones / "scripts" / "anchored.yaml", "title: A\nlength: 10m\nsteps:\n  - One two.\n"
                                                "  - pause: 10s..20s\n  - at: 1m\n  - Three.\n"
                                                "  - pause: 1s..20s\n")
    result = run("check", "scripts/anchored.yaml")
    assert result.exit_code == 2
    low, high = re.search(r"from (\d+:\d\d) to (\d+:\d\d) long", result.stderr).groups()
    for length in (low, high):
        assert run("check", "scripts/anchored.yaml", "--length", length).exit_code == 0, length


@pytest.mark.parametrize("text, line, message", [
    ("length: [5m, 10m]\nsteps:\n  - say: Hello.\n    only: [15m]\n", 5,
     "`only: 15m` is not one of the script's lengths (5m, 10m)"),
    ("steps:\n  - say: Hello.\n    only: [5m]\n", 4, "`only` picks steps by the track's length, so the "
                                                   "script needs `length:`"),
    ("length: 5m\nsteps:\n  - only: [5m]\n", 4, "`only` goes beside one step"),
    ("length: 5m\nsteps:\n  - say: Hello.\n    only: 10m..5m\n", 5, "has its end before its start"),
])
def test_mistakes_with_only_are_explained(tones, text, line, message):
    write(tones / "scripts" / "bad.yaml", "title: Bad\n" + text)
    result = run("check", "scripts/bad.yaml")
    assert result.exit_code == 2
    assert f"bad.yaml:{line}: " in result.stderr and message in result.stderr, result.stderr


def test_a_colon_inside_spoken_text_asks_for_quotes(tones):
    write(tones / "scripts" / "colon.yaml", "title: C\nsteps:\n  - Hello.\n"
                                             "  - Say to yourself: this is hard.\n")
    result = run("check", "scripts/colon.yaml")
    assert result.exit_code == 2
    assert "colon.yaml:4: this line has a colon followed by a space" in result.stderr
    assert '`- "Say to yourself: this is hard."`' in result.stderr
    assert "unknown key" not in result.stderr


TIGHT = """
title: Tight
length: {length}
steps:
  - say: |
      Let yourself arrive, here and now, with nothing to do and nowhere else to be.
      Feel the weight of the body resting, supported by the ground beneath you.
      Notice the breath as it moves, in and out, all on its own, without effort.
  - pause: 2s..
"""


def test_a_length_the_calmer_pace_no_longer_fits_builds_quicker_with_a_warning(tones):
    """A practice written for the pace before it became calmer (it reaches 10 s now): 9 s
    builds, exactly 9 s, its lines spoken quicker, with a warning at `length` saying what to
    write; a length past the old pace (5 s) is still an error."""
    import wave

    write(tones / "scripts" / "tight.yaml", TIGHT.format(length="9s"))
    checked = run("check", "scripts/tight.yaml")
    built = run("build", "scripts/tight.yaml", "--format", "wav")
    for result in (checked, built):
        assert result.exit_code == 0, result.output
        assert re.search(r"warning: \S*tight\.yaml:2: length 9s is too short for this script at its "
                         r"voice's pace: built with its lines spoken \d+% quicker", result.stderr)
        assert "write `length: 10s` or longer" in result.stderr
    with wave.open(str(tones / "output" / "tight.wav")) as track:
        assert track.getnframes() == 9 * track.getframerate()
    write(tones / "scripts" / "tight.yaml", TIGHT.format(length="5s"))
    result = run("check", "scripts/tight.yaml")
    assert result.exit_code == 2 and "length 5s is too short" in result.stderr
