"""The practices in scripts/: every one checks, builds, and comes out as long as it says,
with its chapters in order. Built with the system voice (espeak-ng) when there is one, as it
speaks much faster than piper; the timing logic is the same."""

import json
import shutil
from pathlib import Path

import pytest
from conftest import ebur128, espeak_available, ffprobe_duration, run

from audio_builder.model import Chapter, steps_at
from audio_builder.publishing.tracks import spoken_in, tracks_of
from audio_builder.script.parser import load_script

ROOT = Path(__file__).resolve().parent.parent
PRACTICES = sorted((ROOT / "scripts").glob("*.yaml"))


def test_the_library_has_eight_practices_that_form_a_season():
    scripts = [load_script(path) for path in PRACTICES]
    assert len(scripts) >= 8
    numbers = sorted(track.episode for s in scripts for track in tracks_of(s))
    assert numbers == list(range(1, len(numbers) + 1))        # each length is its own episode
    for script in scripts:
        assert script.date and script.description and len(script.description) > 80
        assert script.lengths and all(5 * 60_000 <= ms <= 15 * 60_000 for ms in script.lengths)
        assert sum(isinstance(step, Chapter) for step in script.steps) >= 3
    assert sum(len(s.lengths) > 1 for s in scripts) >= 2


@pytest.mark.voice
def test_check_passes_on_the_whole_library(monkeypatch):
    monkeypatch.chdir(ROOT)
    result = run("check")
    assert result.exit_code == 0, result.stderr
    oks = [line for line in result.stdout.splitlines() if line.startswith("ok ")]
    assert len(oks) == sum(len(load_script(p).lengths) for p in PRACTICES)
    assert result.stdout.count("lengths it can reach: from ") == len(PRACTICES)


@pytest.mark.voice
@pytest.mark.slow
def test_every_practice_builds_to_its_length_with_its_chapters(tmp_path, monkeypatch):
    shutil.copytree(ROOT / "scripts", tmp_path / "scripts")
    shutil.copy(ROOT / "podcast.yaml", tmp_path)
    shutil.copytree(ROOT / "voices", tmp_path / "voices")
    monkeypatch.chdir(tmp_path)
    voice = "system" if espeak_available() else None
    result = run("build", *(["--voice", voice] if voice else []), "--format", "flac", "--quiet")
    assert result.exit_code == 0, result.stderr
    for path in PRACTICES:
        script = spoken_in(load_script(path), voice)      # named for the voice it was built in
        for track in tracks_of(script):
            titles = [step.title for step in steps_at(script.steps, track.length_ms)
                      if isinstance(step, Chapter)]
            output = tmp_path / "output"
            audio = track.audio(output, "flac")
            assert abs(ffprobe_duration(audio) - track.length_ms / 1000) <= 0.05, track.name
            chapters = json.loads(track.sidecar(output, "chapters").read_text())
            assert [c["title"] for c in chapters["chapters"]] == titles
            starts = [c["startTime"] for c in chapters["chapters"]]
            assert starts == sorted(starts) and starts[0] == 0
            loudness, true_peak = ebur128(audio)     # the voice's peaks reach the limiter
            assert abs(loudness + 16.0) <= 0.3 and true_peak <= -1.0, (track.name, loudness, true_peak)
