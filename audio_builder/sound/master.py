"""Mastering: one gain for the whole track to reach its loudness, and a peak limiter.

The mix is rendered twice: once K-weighted to measure it (see render), once to write it.
One gain for the whole track keeps every part where the script put it (a long silence with
its quiet bed is not pulled up); the limiter only catches the peaks that gain pushes past
the ceiling.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Iterator
from dataclasses import dataclass

import numpy as np

from audio_builder.sound.audio import db_to_gain
from audio_builder.sound.loudness import LoudnessMeter, PeakLimiter

# Sample peaks stay under -1.5 dBFS, which keeps the true peak of the encoded file under
# -1 dBTP (measured on MP3, AAC and Opus: see docs/sound.md).
PEAK_CEILING_DB = -1.5
# Integrated loudness by channel count (AES TD1004): -16 LUFS for stereo, -19 for mono,
# which players send to both ears, so it sounds about 3 LU louder than it measures.
DEFAULT_LOUDNESS_LUFS = {2: -16.0, 1: -19.0}


@dataclass(frozen=True)
class Mastering:
    loudness_lufs: float | None             # None: leave the level as mixed
    channels: int = 2
    encoder_shift: float = 0.0              # LU the encoder will move the loudness by


@dataclass(frozen=True)
class MasterReport:
    measured_lufs: float
    gain_db: float


def to_channels(block: np.ndarray, channels: int) -> np.ndarray:
    if channels == 1:      # the mean of the two channels, as a product: far faster than mean()
        return block @ np.full((block.shape[1], 1), 1 / block.shape[1], dtype=np.float32)
    return block


def master(render_pass: Callable[[bool], Iterator[np.ndarray]],
           settings: Mastering) -> tuple[Iterator[np.ndarray], MasterReport | None]:
    """The mastered track's blocks, and what was measured to master it (None when the
    level is left as mixed). `render_pass(k_weighted)` gives the track's blocks, the same
    each time, K-weighted when asked; the measuring pass runs here, the writing pass as the
    blocks are taken."""
    report = None
    if settings.loudness_lufs is not None:
        meter = LoudnessMeter(settings.channels)
        for block in render_pass(True):
            meter.add_weighted(to_channels(block, settings.channels))
        measured = meter.integrated()
        gain_db = (settings.loudness_lufs - settings.encoder_shift - measured
                   if math.isfinite(measured) else 0.0)
        report = MasterReport(measured, gain_db)
    return _limited(render_pass(False), report.gain_db if report else 0.0, settings.channels), report


def _limited(blocks: Iterator[np.ndarray], gain_db: float, channels: int) -> Iterator[np.ndarray]:
    gain = np.float32(db_to_gain(gain_db))
    limiter = PeakLimiter(PEAK_CEILING_DB, channels)
    for block in blocks:
        out = limiter.process(to_channels(block, channels) * gain)
        if out.shape[0]:
            yield out
    yield limiter.flush()
