"""What the commands say when something is off: they must say what really happened."""

import wave

import pytest
from conftest import run, write

TWO_LENGTHS = """
title: Two Lengths
length: [20s, 30s]
steps:
  - chapter: One
  - Welcome, and settle in.
  - pause: 2s..
  - at: 10s
  - chapter: Two
  - Notice the breath.
  - pause: 2s..
"""


@pytest.fixture
def tones(project):
    write(project / "voices" / "default.yaml", "engine: tones\n")
    write(project / "scripts" / "two.yaml", TWO_LENGTHS)
    return project


def wav_seconds(path):
    with wave.open(str(path)) as file:
        return file.getnframes() / file.getframerate()


def test_voices_says_a_broken_profile_cannot_speak_and_samples_only_what_it_wrote(tones):
    write(tones / "voices" / "broken.yaml", "engine: piper\nvoice: nowhere.onnx\n")
    result = run("voices", "--sample", "Hello there.")
    assert result.exit_code == 0, result.stderr
    [broken] = [line for line in result.stdout.splitlines() if line.strip().startswith("broken ")]
    assert "not here: no piper voice 'nowhere.onnx'" in broken and "works" not in broken
    named = [line.removeprefix("wrote ") for line in result.stdout.splitlines() if line.startswith("wrote ")]
    assert "output/voices/default.mp3" in named and not any("broken" in n for n in named)
    assert all((tones / n).is_file() for n in named)
    assert "no sample for broken: it cannot speak here" in result.stdout


def test_play_asks_which_length_of_a_script_with_two(tones):
    result = run("play", "scripts/two.yaml", "--to-file", "s.wav")
    assert result.exit_code == 2
    assert "two.yaml: this script has 2 lengths (20s, 30s); choose one with --length" in result.stderr
    played = run("play", "scripts/two.yaml", "--length", "30s", "--to-file", "s.wav")
    assert played.exit_code == 0, played.stderr
    assert wav_seconds(tones / "s.wav") == pytest.approx(30.0, abs=0.1)
    built = sorted(path.name for path in (tones / "output").glob("two*.mp3"))
    assert built == ["two-30s.mp3"]                 # the length played, not every length


def test_play_reports_the_time_played_not_the_place_in_the_track(tones):
    result = run("play", "scripts/two.yaml", "--length", "30s", "--keys", "2:n", "--to-file", "s.wav")
    assert result.exit_code == 0, result.stderr
    assert wav_seconds(tones / "s.wav") == pytest.approx(22.0, abs=0.2)       # 8 s skipped
    assert ("played 0:22 of 'Two Lengths (30 s)' into s.wav; it stopped at 0:30 of the track's "
            "0:30") in result.stdout


def test_play_hold_with_no_key_stops_at_the_idle_limit_and_says_so(tones):
    result = run("play", "scripts/two.yaml", "--length", "20s", "--hold", "--to-file", "s.wav")
    assert result.exit_code == 0, result.stderr
    assert "stopped after 1:00 of silence: the session was holding at a chapter" in result.stderr
    assert wav_seconds(tones / "s.wav") == pytest.approx(60.0, abs=0.3)      # held at the first chapter


def test_the_feed_says_why_a_track_built_at_a_one_off_length_is_left_out(tones):
    write(tones / "podcast.yaml", "title: P\nauthor: A\nbase_url: https://example.org/p/\n")
    write(tones / "scripts" / "two.yaml", TWO_LENGTHS.replace("title: Two Lengths",
                                                              "title: Two Lengths\ndate: 2026-01-01"))
    assert run("build", "scripts/two.yaml", "--length", "25s").exit_code == 0
    assert (tones / "output" / "two-25s.mp3").is_file()          # beside the script's own tracks
    assert run("build", "scripts/two.yaml", "--length", "20s").exit_code == 0
    assert (tones / "output" / "two-20s.mp3").is_file()
    result = run("feed")
    assert ("built with a one-off --length (left out): two-25s.mp3; to publish it, add its "
            "length to the script's `length:`") in result.stdout
    assert "not built yet (left out): two-30s" in result.stdout
