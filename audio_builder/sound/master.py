"""Mastering: one gain for the whole track to reach its loudness, and a peak limiter.

One gain for the whole track keeps every part where the script put it (a long silence with
its quiet bed is not pulled up); the limiter only catches the peaks that gain pushes past
the ceiling. But what it catches is loudness too: speech peaks sit some 15 dB over its
loudness, so at -16 LUFS the voice's loudest syllables reach the ceiling, and with the gain
measured before the limiter the library's tracks came out at -16.2 to -16.6 LUFS. So the
track is measured as it leaves the limiter, and the gain raised until it meets its target
there.

Three passes over the mix, none holding the track: the first renders it K-weighted and
measures it (see render), which gives the gain it needs without the limiter; the second
measures it through the limiter at that gain and at `PROBE_DB` more, which gives the gain
it needs with the limiter; the third is written.
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
PROBE_DB = 1.0               # the second gain the limited track is measured at, above the first
MIN_SLOPE = 0.25             # LU a dB: a track that is nearly all peaks gains little by pushing
MAX_CORRECTION_DB = 3.0      # past this the limiter would squash the voice rather than lift it


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
    each time, K-weighted when asked; the measuring passes run here, the writing pass as the
    blocks are taken."""
    report = None
    if settings.loudness_lufs is not None:
        meter = LoudnessMeter(settings.channels)
        for block in render_pass(True):
            meter.add_weighted(to_channels(block, settings.channels))
        measured = meter.integrated()
        gain_db = 0.0
        if math.isfinite(measured):
            target = settings.loudness_lufs - settings.encoder_shift
            gain_db = gain_through_limiter(render_pass, target - measured, target, settings.channels)
        report = MasterReport(measured, gain_db)
    return _limited(render_pass(False), report.gain_db if report else 0.0, settings.channels), report


def gain_through_limiter(render_pass: Callable[[bool], Iterator[np.ndarray]], gain_db: float,
                         target_lufs: float, channels: int) -> float:
    """The gain that brings the track to `target_lufs` as it leaves the limiter, from
    `gain_db`, which would bring it there without one. The loudness after the limiter grows
    with the gain almost in a straight line near it (more of each peak is held at the
    ceiling as the gain rises, so a little less than 1 LU a dB): measured at two gains, the
    line gives the third."""
    probes = (gain_db, gain_db + PROBE_DB)
    at_gain, above = limited_loudness(render_pass, probes, channels)
    shortfall = target_lufs - at_gain
    if not math.isfinite(at_gain) or shortfall <= 0.0:
        return gain_db
    slope = max(MIN_SLOPE, (above - at_gain) / PROBE_DB)
    return gain_db + min(MAX_CORRECTION_DB, shortfall / slope)


def limited_loudness(render_pass: Callable[[bool], Iterator[np.ndarray]],
                     gains_db: tuple[float, ...], channels: int) -> list[float]:
    """The integrated loudness of the track after each gain in `gains_db` and the limiter.

    The track is rendered plain (for the limiter) and K-weighted (for the meter) side by
    side; the limited track's weighting is taken as the limiter's gain times the weighted
    track. That is not exact, as the limiter's gain changes over 50 ms while the
    weighting reaches back 93 ms, but its sway is slow against the frequencies the weighting
    shapes: on three tracks of the library, at two gains each, the two agreed within 0.001 LU."""
    limiters = [PeakLimiter(PEAK_CEILING_DB, channels) for _ in gains_db]
    meters = [LoudnessMeter(channels) for _ in gains_db]
    gains = [np.float32(db_to_gain(g)) for g in gains_db]
    weighted = _Queue()

    def measure(steps: list[tuple[np.ndarray, np.ndarray | None]]) -> None:
        if not steps[0][0].shape[0]:
            return
        ready = weighted.take(steps[0][0].shape[0])
        for meter, gain, (_, reduction) in zip(meters, gains, steps, strict=True):
            meter.add_weighted(ready * gain if reduction is None
                               else ready * (gain * reduction.astype(np.float32))[:, None])

    for plain, k_weighted in zip(render_pass(False), render_pass(True), strict=True):
        weighted.put(to_channels(k_weighted, channels))
        block = to_channels(plain, channels)
        measure([limiter.step(block * gain) for limiter, gain in zip(limiters, gains, strict=True)])
    measure([limiter.flush_step() for limiter in limiters])
    return [meter.integrated() for meter in meters]


class _Queue:
    """Blocks of samples in, any number of samples out, in order."""

    def __init__(self) -> None:
        self.blocks: list[np.ndarray] = []

    def put(self, block: np.ndarray) -> None:
        self.blocks.append(block)

    def take(self, frames: int) -> np.ndarray:
        out, taken = [], 0
        while taken < frames and self.blocks:
            block = self.blocks[0]
            part = block[:frames - taken]
            out.append(part)
            taken += part.shape[0]
            if part.shape[0] == block.shape[0]:
                self.blocks.pop(0)
            else:
                self.blocks[0] = block[part.shape[0]:]
        return np.concatenate(out) if len(out) != 1 else out[0]


def _limited(blocks: Iterator[np.ndarray], gain_db: float, channels: int) -> Iterator[np.ndarray]:
    gain = np.float32(db_to_gain(gain_db))
    limiter = PeakLimiter(PEAK_CEILING_DB, channels)
    for block in blocks:
        out = limiter.process(to_channels(block, channels) * gain)
        if out.shape[0]:
            yield out
    yield limiter.flush()
