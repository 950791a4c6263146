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


@dataclass(frozen=True)
class Mastering:
    loudness_lufs: float | None = -16.0     # None: leave the level as mixed
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


def master(render_pass: Callable[[bool], Iterator[np.ndarray]], settings: Mastering,
           report: list | None = None) -> Iterator[np.ndarray]:
    """Yield the mastered track. `render_pass(k_weighted)` gives the track's blocks, the
    same each time, K-weighted when asked."""
    gain_db = 0.0
    if settings.loudness_lufs is not None:
        meter = LoudnessMeter(settings.channels)
        for block in render_pass(True):
            meter.add_weighted(to_channels(block, settings.channels))
        measured = meter.integrated()
        gain_db = (settings.loudness_lufs - settings.encoder_shift - measured
                   if math.isfinite(measured) else 0.0)
        if report is not None:
            report.append(MasterReport(measured, gain_db))
    gain = db_to_gain(gain_db)
    limiter = PeakLimiter(PEAK_CEILING_DB, settings.channels)
    for block in render_pass(False):
        out = limiter.process(to_channels(block, settings.channels) * np.float32(gain))
        if out.shape[0]:
            yield out
    yield limiter.flush()
