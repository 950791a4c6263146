"""Built tracks, checked with independent readers: ffprobe, mutagen, ffmpeg's decoder."""

import json
import re
import subprocess
import sys

import numpy as np
import pytest
from conftest import (
    decode_mono,
    espeak_available,
    ffprobe_duration,
    ffprobe_json,
    project_once,
    run,
    write,
)
from mutagen.id3 import ID3
from mutagen.mp3 import MP3

SCRIPT = """
title: A Short Pause
description: A test practice.
author: Test Teacher
date: 2026-11-20
episode: 2
length: 40s
steps:
  - chapter: Arriving
  - pause: 1s
  - Find a comfortable position.
  - pause: 2s..
  - say: Notice your breath. [pause 1.5s] Let it be as it is.
  - pause: 2s..10s
  - at: -20s                 # room for the last bell to ring out
  - chapter: Closing
  - Gently open your eyes.
  - pause: 2s..
  - bell: 1
"""


@pytest.fixture(scope="module")
def built(tmp_path_factory):
    """One build of SCRIPT (tones voice), read by the tests below; none of them changes it."""
    root, (plan, _) = project_once(
        tmp_path_factory, "built", {"podcast.yaml": "title: Test Podcast\nauthor: Test Podcast\n",
                                    "scripts/short.yaml": SCRIPT},
        ("plan", "scripts/short.yaml"), ("build", "scripts/short.yaml"))
    return root / "output", plan.stdout


def plan_rows(plan_output):
    rows = []
    for line in plan_output.splitlines():
        match = re.match(r"\s*(\d+):(\d\d)\.(\d{3})\s+(?:\S+\s+)?(say|pause|bell|chapter|at)\s+(.*)", line)
        if match:
            minutes, seconds, millis, step, text = match.groups()
            rows.append(((int(minutes) * 60 + int(seconds)) * 1000 + int(millis), step, text))
    return rows


def test_the_track_is_as_long_as_asked(built):
    output, _ = built
    mp3 = output / "short.mp3"
    probed = ffprobe_json(mp3, "-show_format", "-show_streams")       # one ffprobe: 75 ms
    assert abs(float(probed["format"]["duration"]) - 40.0) <= 0.050
    assert abs(MP3(mp3).info.length - 40.0) <= 0.050
    assert abs(decode_mono(mp3).size / 44_100 - 40.0) <= 0.050
    stream = probed["streams"][0]
    assert stream["sample_rate"] == "44100" and stream["channels"] == 2
    assert stream["codec_name"] == "mp3" and abs(int(stream["bit_rate"]) - 128_000) < 1_000


def test_tags_are_id3v23_with_the_scripts_details(built):
    output, _ = built
    tags = ID3(output / "short.mp3")
    assert str(tags["TIT2"]) == "A Short Pause"
    assert str(tags["TPE1"]) == "Test Teacher"
    assert str(tags["TALB"]) == "Test Podcast"
    assert str(tags.getall("COMM")[0]) == "A test practice."
    raw = ID3(output / "short.mp3", translate=False)            # as written, not upgraded
    assert raw.version[:2] == (2, 3)
    assert str(raw["TYER"]) == "2026" and str(raw["TDAT"]) == "2011"   # DDMM
    assert "TDRC" not in raw


def test_chapters_are_where_the_plan_puts_them(built):
    output, plan_output = built
    planned = [(ms, text) for ms, step, text in plan_rows(plan_output) if step == "chapter"]
    chapters = ffprobe_json(output / "short.mp3", "-show_chapters")["chapters"]
    found = sorted((round(float(c["start_time"]) * 1000), c["tags"]["title"]) for c in chapters)
    assert found == planned == [(0, "Arriving"), (20_000, "Closing")]
    data = json.loads((output / "short.chapters.json").read_text())
    assert data["version"] == "1.2.0"
    assert [(c["startTime"], c["title"]) for c in data["chapters"]] == [(0, "Arriving"), (20.0, "Closing")]


def onsets(samples, rate=44_100, threshold_db=-45.0, quiet_ms=400):
    """Times (ms) where sound rises past `threshold_db` after at least `quiet_ms` of silence."""
    window = rate // 1000
    frames = samples[: samples.size // window * window].reshape(-1, window)
    loud = 20 * np.log10(np.sqrt(np.mean(frames ** 2, axis=1)) + 1e-12) > threshold_db
    found, quiet = [], 0
    for index, is_loud in enumerate(loud):
        if is_loud and quiet >= quiet_ms:
            found.append(round(index * window * 1000 / rate))
        quiet = 0 if is_loud else quiet + 1
    return found


def test_speech_starts_where_plan_says(built):
    output, plan_output = built
    said = [ms for ms, step, _ in plan_rows(plan_output) if step == "say"]
    heard = onsets(decode_mono(output / "short.mp3"))
    after_silence = [ms for ms in said if ms >= 1_000]      # each follows a pause of 1 s or more
    assert len(after_silence) >= 4
    for ms in after_silence:
        assert min(abs(ms - h) for h in heard) <= 50, (ms, heard)


def test_captions_follow_the_speech(built):
    output, plan_output = built
    vtt = (output / "short.vtt").read_text()
    srt = (output / "short.srt").read_text()
    assert vtt.startswith("WEBVTT")
    said = [(ms, text) for ms, step, text in plan_rows(plan_output) if step == "say"]
    cues = re.findall(r"(\d\d):(\d\d):(\d\d)\.(\d{3}) --> .*\n(.*)", vtt)
    assert [((int(m) * 60 + int(s)) * 1000 + int(ms), text) for _, m, s, ms, text in cues] == said
    assert srt.count(" --> ") == len(said)


def test_plan_and_check_agree_on_the_length(built):
    output, plan_output = built
    assert "0:40.000" in plan_output.splitlines()[0]
    result = run("check", output.parent / "scripts" / "short.yaml")
    assert result.exit_code == 0 and "short: 0:40" in result.stdout


def test_a_list_of_lengths_builds_one_track_each(project):
    write(project / "scripts" / "two.yaml", "title: Two\nlength: [10s, 15s]\nsteps:\n  - Hello.\n"
                                            "  - pause: 1s..\n")
    result = run("build", "scripts/two.yaml")
    assert result.exit_code == 0, result.output
    for name, seconds in (("two-10s", 10), ("two-15s", 15)):
        assert abs(MP3(project / "output" / f"{name}.mp3").info.length - seconds) <= 0.050


def test_a_failed_build_leaves_the_previous_track_intact(project, monkeypatch):
    write(project / "scripts" / "keep.yaml", "title: Keep\nsteps:\n  - Hello.\n  - bell: 1\n")
    assert run("build", "scripts/keep.yaml").exit_code == 0
    before = (project / "output" / "keep.mp3").read_bytes()

    import audio_builder.render.mixer as mixer

    def broken(*args, **kwargs):
        raise KeyboardInterrupt
    monkeypatch.setattr(mixer, "leveled_bell", broken)      # dies in the middle of encoding
    write(project / "scripts" / "keep.yaml", "title: Keep\nsteps:\n  - Hello again.\n  - bell: 2\n")
    result = run("build", "scripts/keep.yaml")
    assert result.exit_code == 130
    assert (project / "output" / "keep.mp3").read_bytes() == before
    assert sorted(p.name for p in (project / "output").iterdir()) == [
        "keep.chapters.json", "keep.mp3", "keep.srt", "keep.vtt"]


@pytest.mark.voice
@pytest.mark.skipif(not espeak_available(), reason="espeak-ng is not installed")
def test_the_system_voice_builds_too(project):
    write(project / "scripts" / "sys.yaml", "title: Sys\nvoice: system\nlength: 8s\nsteps:\n"
                                            "  - pause: 1s\n  - Breathe in slowly.\n  - pause: 1s..\n")
    result = run("build", "scripts/sys.yaml")
    assert result.exit_code == 0, result.output
    mp3 = project / "output" / "sys.mp3"
    assert abs(ffprobe_duration(mp3) - 8.0) <= 0.050
    assert abs(onsets(decode_mono(mp3))[0] - 1_000) <= 50


@pytest.mark.voice
def test_voices_and_sounds_list_what_works(project):
    voices = run("voices")
    assert voices.exit_code == 0
    assert re.search(r"default\s+piper\s+voice=joe", voices.stdout)
    assert "system" in voices.stdout
    sounds = run("sounds").stdout
    for name in ("bowl", "chime", "gong", "rain", "ocean", "brown-noise", "pink-noise", "drone"):
        assert name in sounds


def test_python_dash_m_is_the_same_program():
    result = subprocess.run([sys.executable, "-m", "audio_builder", "--help"], capture_output=True,
                            text=True)
    assert result.returncode == 0 and "build" in result.stdout and "plan" in result.stdout


PASSAGE = """
title: Pace
steps:
  - say: |
      Bring to mind something that is difficult for you right now. Notice where you feel it
      in your body. Suffering is a part of life. It is not a fault or a failing of yours.
      Other people feel this way too. May I be kind to myself. May I give myself the
      compassion I need.
"""


@pytest.mark.voice
@pytest.mark.parametrize("voice", ["default", "system"])
def test_the_built_in_voices_speak_at_a_calm_pace(project, voice):
    if voice == "system" and not espeak_available():
        pytest.skip("espeak-ng is not installed")
    from pathlib import Path

    from audio_builder import Builder, load_script, open_project
    from audio_builder.speech.cache import SpeechCache

    write(project / "scripts" / "pace.yaml", PASSAGE)
    builder = Builder(open_project(project), voice=voice, cache=SpeechCache())
    speech = builder.plan(load_script(Path("scripts/pace.yaml")))[0].timeline.speech
    minutes = (speech[-1].end_ms - speech[0].start_ms) / 60_000
    words_per_minute = sum(len(s.utterance.text.split()) for s in speech) / minutes
    assert 110 <= words_per_minute <= 140, words_per_minute


def test_the_packaged_ffmpeg_is_used_and_without_it_the_one_on_path(project, monkeypatch):
    import shutil

    import imageio_ffmpeg

    import audio_builder.sound.media as media

    assert "imageio_ffmpeg" in media.ffmpeg_exe()
    on_path = shutil.which("ffmpeg")
    if on_path is None:
        pytest.skip("no ffmpeg on PATH (Debian: apt-get install ffmpeg)")

    def missing():
        raise RuntimeError("no ffmpeg binary in this package")

    monkeypatch.setattr(imageio_ffmpeg, "get_ffmpeg_exe", missing)
    media.ffmpeg_exe.cache_clear()
    try:
        assert media.ffmpeg_exe() == on_path
        write(project / "scripts" / "plain.yaml", "title: Plain\nlength: 5s\nsteps:\n  - Hello.\n"
                                                  "  - pause: 1s..\n")
        assert run("build", "scripts/plain.yaml").exit_code == 0
    finally:
        monkeypatch.undo()
        media.ffmpeg_exe.cache_clear()
    assert abs(MP3(project / "output" / "plain.mp3").info.length - 5.0) <= 0.05
