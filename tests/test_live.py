"""The live player, through its file output and scripted keys: what would have been heard."""

import os
import shutil
from pathlib import Path

import numpy as np
import pyloudnorm
import pytest
from conftest import decode, decode_mono, project_once, run, use_tones, write

from audio_builder.live.track import open_recording
from audio_builder.publishing.captions import read_vtt

RATE = 44_100
SCRIPT = """
title: Live Session
length: 30s
steps:
  - chapter: Opening
  - bell: 1
  - Welcome. Let us begin.
  - pause: 2s..
  - at: 12s
  - chapter: Middle
  - Notice your breath.
  - pause: 2s..
  - at: 22s
  - chapter: End
  - Thank you for practicing.
  - pause: 2s..
"""


@pytest.fixture(scope="module")
def session(tmp_path_factory):
    root, _ = project_once(tmp_path_factory, "live", {"scripts/live.yaml": SCRIPT},
                           ("build", "scripts/live.yaml"))
    track = decode_mono(root / "output" / "live.mp3")
    return root, track


def play(root, *args):
    old = Path.cwd()
    os.chdir(root)
    try:
        result = run("play", *args, "--to-file", "session.wav")
    finally:
        os.chdir(old)
    assert result.exit_code == 0, result.output
    return decode_mono(root / "session.wav")


def seconds(samples, start, end=None):
    return samples[int(start * RATE): None if end is None else int(end * RATE)]


def rms(samples):
    return float(np.sqrt(np.mean(samples.astype(np.float64) ** 2))) if samples.size else 0.0


def same(a, b):
    n = min(a.size, b.size)
    return n > RATE // 2 and np.max(np.abs(a[:n] - b[:n])) < 2e-3


def test_plays_the_whole_track_untouched(session):
    root, track = session
    heard = play(root, "output/live.mp3")
    assert abs(heard.size - track.size) <= RATE // 10 and same(heard, track)


def test_space_pauses_with_silence_and_resumes_where_it_left_off(session):
    root, track = session
    heard = play(root, "output/live.mp3", "--keys", "3:space,6:space")
    assert rms(seconds(heard, 3.1, 5.9)) == 0.0
    assert same(seconds(heard, 6.0, 12.0), seconds(track, 3.0, 9.0))
    assert abs(heard.size - (track.size + 3 * RATE)) <= RATE // 10


def test_n_and_p_jump_between_chapters(session):
    root, track = session
    heard = play(root, "output/live.mp3", "--keys", "2:n,4:n,6:p,8:q")
    assert same(seconds(heard, 2.0, 4.0), seconds(track, 12.0, 14.0))    # to Middle
    assert same(seconds(heard, 4.0, 6.0), seconds(track, 22.0, 24.0))    # to End
    assert same(seconds(heard, 6.0, 8.0), seconds(track, 12.0, 14.0))    # back to Middle
    assert abs(heard.size - 8 * RATE) <= RATE // 10                      # q stops


def test_arrows_seek_ten_seconds(session):
    root, track = session
    heard = play(root, "output/live.mp3", "--keys", "1:right,3:left,5:q")
    assert same(seconds(heard, 1.0, 3.0), seconds(track, 11.0, 13.0))
    assert same(seconds(heard, 3.0, 5.0), seconds(track, 3.0, 5.0))


def test_b_strikes_a_bell_now(session):
    root, track = session
    quiet = seconds(track, 26.0, 29.0)                                   # the silence at the end
    assert rms(quiet) < 1e-3
    heard = play(root, "output/live.mp3", "--keys", "26:b")
    assert rms(seconds(heard, 26.0, 29.0)) > 0.02


def stereo(path):
    """Any audio file as stereo float (the bowl's two sides are not alike: a mono mix of
    it would not be what is heard)."""
    return decode(path, 2, RATE)


def loudest_400ms(samples, start_s):
    """The loudest momentary loudness (pyloudnorm, 400 ms) in the second from `start_s`."""
    meter = pyloudnorm.Meter(RATE, block_size=0.4)
    first, window = int(start_s * RATE), int(0.4 * RATE)
    return max(meter.integrated_loudness(samples[s:s + window].astype(np.float64))
               for s in range(first, first + RATE - window, RATE // 100))


def voice_median(samples, root, name):
    """The voice's median momentary loudness where the track's captions say it speaks."""
    meter = pyloudnorm.Meter(RATE, block_size=0.4)
    window = int(0.4 * RATE)
    cues = read_vtt((root / "output" / f"{name}.vtt").read_text(encoding="utf-8"))
    levels = [meter.integrated_loudness(samples[s:s + window].astype(np.float64))
              for cue in cues
              for s in range(cue.start_ms * RATE // 1000, cue.end_ms * RATE // 1000 - window, RATE // 10)]
    return float(np.median([v for v in levels if np.isfinite(v)]))


SPOKEN = """
title: {title}
length: 20s{extra}
steps:
  - say: |
      Let the breath come and go on its own, softly and slowly, with nothing to do.
      Rest in the feeling of the body sitting here, supported by the ground beneath you.
  - pause: 2s..
"""


def test_b_strikes_a_bell_as_loud_as_the_built_tracks_bells(tmp_path):
    """As the build sets its bells: the loudest 400 ms 1 LU over the voice's median (the
    rule allows 3), whatever the voice; and the script's `bell_volume` counts, whether the
    script or its built track is played."""
    use_tones(tmp_path)
    write(tmp_path / "scripts" / "plain.yaml", SPOKEN.format(title="Plain", extra=""))
    write(tmp_path / "scripts" / "soft.yaml", SPOKEN.format(title="Soft", extra="\nbell_volume: -6dB"))
    old = Path.cwd()
    os.chdir(tmp_path)
    try:
        assert run("build", "scripts/plain.yaml", "scripts/soft.yaml").exit_code == 0
    finally:
        os.chdir(old)
    track = stereo(tmp_path / "output" / "plain.mp3")
    play(tmp_path, "output/plain.mp3", "--keys", "15:b")
    bell = loudest_400ms(stereo(tmp_path / "session.wav"), 15.0)
    assert abs(bell - voice_median(track, tmp_path, "plain") - 1.0) <= 1.0, bell
    for played in ("output/soft.mp3", "scripts/soft.yaml"):
        play(tmp_path, played, "--keys", "15:b")
        softer = loudest_400ms(stereo(tmp_path / "session.wav"), 15.0)
        assert abs(bell - softer - 6.0) <= 0.3, (played, bell, softer)


def test_hold_waits_at_each_chapter_for_space(session):
    root, track = session
    heard = play(root, "output/live.mp3", "--hold", "--keys", "3:space,18:space,32:space")
    assert rms(seconds(heard, 0.0, 2.9)) == 0.0                          # held at Opening, 0:00
    assert same(seconds(heard, 3.0, 15.0), seconds(track, 0.0, 12.0))
    assert rms(seconds(heard, 15.1, 17.9)) == 0.0                        # held at Middle
    assert same(seconds(heard, 18.0, 28.0), seconds(track, 12.0, 22.0))
    assert rms(seconds(heard, 28.1, 31.9)) == 0.0                        # held at End
    assert same(seconds(heard, 32.0, 36.0), seconds(track, 22.0, 26.0))


def test_hold_also_waits_at_a_chapter_reached_with_n(session):
    root, track = session
    heard = play(root, "output/live.mp3", "--hold", "--keys", "1:space,3:n,5:space,8:q")
    assert same(seconds(heard, 1.0, 3.0), seconds(track, 0.0, 2.0))
    assert rms(seconds(heard, 3.1, 4.9)) == 0.0                          # n: held at Middle
    assert same(seconds(heard, 5.0, 8.0), seconds(track, 12.0, 15.0))


def test_from_starts_at_a_chapter_by_name_or_number(session):
    root, track = session
    assert same(play(root, "output/live.mp3", "--from", "middle"), seconds(track, 12.0))
    assert same(play(root, "output/live.mp3", "--from", "3"), seconds(track, 22.0))
    old = Path.cwd()
    os.chdir(root)
    try:
        result = run("play", "output/live.mp3", "--from", "Nowhere", "--to-file", "x.wav")
    finally:
        os.chdir(old)
    assert result.exit_code == 2 and "1. Opening, 2. Middle, 3. End" in result.stderr


def test_no_bells_from_the_script_leaves_the_bell_out(session):
    root, track = session
    with_bell = seconds(track, 0.0, 0.9)                                 # the bell, before speech
    assert rms(with_bell) > 0.02
    heard = play(root, "scripts/live.yaml", "--no-bells")
    assert rms(seconds(heard, 0.0, 0.9)) < 1e-4
    assert abs(heard.size - track.size) <= RATE // 10


def test_no_bells_on_a_bare_recording_says_why_not(session):
    root, _ = session
    old = Path.cwd()
    os.chdir(root)
    try:
        result = run("play", "output/live.mp3", "--no-bells", "--to-file", "x.wav")
    finally:
        os.chdir(old)
    assert result.exit_code == 2 and "cannot be taken out" in result.stderr
    assert "audio-builder play scripts/NAME.yaml --no-bells" in result.stderr


def test_a_copied_track_brings_its_own_cue_list(session, tmp_path):
    root, _ = session
    for suffix in (".mp3", ".vtt"):
        shutil.copy(root / "output" / f"live{suffix}", tmp_path / f"copy{suffix}")
    track = open_recording(tmp_path / "copy.mp3", tmp_path)
    assert [(m.start_ms, m.title) for m in track.chapters] == [(0, "Opening"), (12_000, "Middle"),
                                                               (22_000, "End")]
    assert [c.text for c in track.captions][:2] == ["Welcome.", "Let us begin."]


def test_without_a_sound_card_the_error_is_clear(session, monkeypatch):
    import audio_builder.live.outputs as outputs

    root, _ = session
    monkeypatch.setattr(outputs, "SYSTEM_PLAYERS", {"false": ["false"]})
    old = Path.cwd()
    os.chdir(root)
    try:
        result = run("play", "output/live.mp3")
        monkeypatch.setattr(outputs, "SYSTEM_PLAYERS", {})
        none = run("play", "output/live.mp3")
    finally:
        os.chdir(old)
    assert result.exit_code == 1 and "no audio output here" in result.stderr
    assert "--to-file" in result.stderr and "Traceback" not in result.output
    assert none.exit_code == 1 and "no sound player program" in none.stderr
