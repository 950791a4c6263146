"""The mix with its K-weighting beside it (mastering's measuring pass), and checked files read
again without hashing them again."""

import subprocess
import time

import numpy as np
import pytest
from conftest import write

from audio_builder import Builder, load_script, open_project
from audio_builder.files import checked_bytes, read_checked
from audio_builder.files import entries as files_module
from audio_builder.render import render, render_with_weighting
from audio_builder.sound import media
from audio_builder.sound.audio import add_per_frame, times_per_frame
from audio_builder.sound.loudness import KWeighting, LoudnessMeter, PeakLimiter
from audio_builder.sound.master import _loudest_by_row
from audio_builder.sound.media import ffmpeg_exe

SCRIPT = """
title: Sides
length: 14s
background: {{sound: {bed}, fade_in: 2s, fade_out: 2s}}
steps:
  - bell: 1
  - Find a comfortable position.
  - sound: ../sounds/tone.flac
  - pause: 1s..
  - Notice the breath, as it comes and goes.
  - pause: 1s..
"""


def tone_file(path):
    path.parent.mkdir(parents=True, exist_ok=True)
    subprocess.run([ffmpeg_exe(), "-v", "error", "-y", "-f", "lavfi", "-i",
                    "sine=f=2500:d=4,volume=0.3", "-ac", "2", "-ar", "44100", str(path)], check=True)


@pytest.mark.parametrize("bed, streamed", [("rain", False), ("../sounds/tone.flac", False),
                                           ("../sounds/tone.flac", True)])
def test_the_mix_with_its_weighting_is_the_plain_mix_and_its_k_weighting(
        project, monkeypatch, bed, streamed):
    """The plain side is the plain mix to the bit; the weighted side is the mix K-weighted
    (a held clip weighted whole, a streamed one block by block: the same to float rounding)."""
    tone_file(project / "sounds" / "tone.flac")
    write(project / "scripts" / "sides.yaml", SCRIPT.format(bed=bed))
    if streamed:
        monkeypatch.setattr(media, "WHOLE_FILE_FRAMES", 44_100)
    builder = Builder(open_project())
    timeline = builder.plan(load_script(project / "scripts" / "sides.yaml"))[0].timeline
    plain = np.concatenate(list(render(timeline, builder.synthesizer)))
    sides = list(render_with_weighting(timeline, builder.synthesizer))
    assert all(block.shape[0] == 2 for block in sides)
    assert np.array_equal(np.concatenate([block[0] for block in sides]), plain)
    weighted = np.concatenate([block[1] for block in sides])
    # Whole-mix weighting differs from weighting the sources where the bed's gain moves.
    assert np.allclose(weighted, KWeighting.clip(plain), atol=2e-3)
    meters = LoudnessMeter(2), LoudnessMeter(2)
    meters[0].add(plain)
    meters[1].add_weighted(weighted)
    assert meters[1].integrated() == pytest.approx(meters[0].integrated(), abs=0.01)


def test_a_checked_file_changed_in_place_is_caught_after_it_was_read_and_trusted(tmp_path, monkeypatch):
    monkeypatch.setattr(files_module, "TRUSTED_AFTER_S", 0.0)      # trusted as soon as it is read
    path = tmp_path / "entry"
    payload = bytes(range(256)) * 64
    path.write_bytes(checked_bytes(b"TEST", payload))
    assert read_checked(path, b"TEST", 1 << 20) == payload
    assert read_checked(path, b"TEST", 1 << 20) == payload          # unchanged: not hashed again
    time.sleep(0.05)                                                  # past the file clock's tick
    with open(path, "r+b") as file:                                   # the same file, the same size
        file.seek(-1, 2)
        file.write(bytes([payload[-1] ^ 0xFF]))
    assert read_checked(path, b"TEST", 1 << 20) is None


def test_per_frame_gains_and_mono_clips_give_what_numpy_broadcasting_gives():
    rng = np.random.default_rng(7)
    sides = rng.standard_normal((2, 1000, 2)).astype(np.float32)
    gains = rng.random(1000).astype(np.float32)
    assert np.array_equal(times_per_frame(sides, gains), sides * gains[:, None])
    assert np.array_equal(times_per_frame(sides[0], gains), sides[0] * gains[:, None])
    mono = rng.standard_normal((2, 1000, 1)).astype(np.float32)
    mixed = sides.copy()
    add_per_frame(mixed, mono)
    assert np.array_equal(mixed, sides + mono)


def test_the_limiter_passing_quiet_blocks_through_gives_what_working_every_gain_gives(monkeypatch):
    rng = np.random.default_rng(3)
    blocks = [(rng.standard_normal((5000, 2)) * level).astype(np.float32)
              for level in (0.01, 0.02, 0.9, 0.01, 0.01, 0.01, 1.5, 0.02)]

    def limited() -> np.ndarray:
        limiter = PeakLimiter(-1.5, 2)
        return np.concatenate([*(limiter.process(block) for block in blocks), limiter.flush()])

    quick = limited()
    monkeypatch.setattr(PeakLimiter, "_under_ceiling", lambda self, block: False)
    assert np.array_equal(quick, limited())
    assert np.abs(quick).max() <= 10 ** (-1.5 / 20)


def test_the_loudest_sample_of_each_unit_is_its_largest_magnitude():
    rows = np.array([[0.5, -0.75, 0.25], [-0.0, 0.0, 0.0], [-1e-30, 2e-30, -3e-30]], np.float32)
    assert _loudest_by_row(rows).tolist() == np.abs(rows).max(axis=1).tolist()


def test_a_ramp_held_whole_and_one_worked_out_in_parts_are_the_same(monkeypatch):
    from audio_builder.render import ramps

    held = ramps.ramp_part(5000, 1200, 3400)
    monkeypatch.setattr(ramps, "RAMP_HELD_MOST", 100)
    assert np.array_equal(ramps.ramp_part(5000, 1200, 3400), held)
    assert held[0] == ramps.smooth(np.array([1200 / 5000]))[0]
