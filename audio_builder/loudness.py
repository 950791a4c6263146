"""Loudness, measured and set, block by block (nothing holds the whole track).

`LoudnessMeter` measures integrated loudness after ITU-R BS.1770-4 (K-weighting, 400 ms
blocks with 75 % overlap, absolute gate at -70 LUFS, relative gate 10 LU down).
`PeakLimiter` keeps sample peaks under a ceiling with a smooth 50 ms look-ahead gain, so
the rare peak that one overall gain would push too high is caught without a click.
"""

from __future__ import annotations

import math

import numpy as np
from scipy.ndimage import minimum_filter1d
from scipy.signal import sosfilt

from .audio import SAMPLE_RATE, db_to_gain


def _k_weighting(rate: int) -> list[tuple[np.ndarray, np.ndarray]]:
    """The two biquads of BS.1770 K-weighting (a high shelf, then a high pass)."""
    shelf_gain, shelf_q, shelf_hz = 4.0, 1 / math.sqrt(2), 1500.0
    a_gain = 10 ** (shelf_gain / 40)
    w0 = 2 * math.pi * shelf_hz / rate
    alpha = math.sin(w0) / (2 * shelf_q)
    cos, root = math.cos(w0), math.sqrt(a_gain)
    shelf = (np.array([a_gain * ((a_gain + 1) + (a_gain - 1) * cos + 2 * root * alpha),
                       -2 * a_gain * ((a_gain - 1) + (a_gain + 1) * cos),
                       a_gain * ((a_gain + 1) + (a_gain - 1) * cos - 2 * root * alpha)]),
             np.array([(a_gain + 1) - (a_gain - 1) * cos + 2 * root * alpha,
                       2 * ((a_gain - 1) - (a_gain + 1) * cos),
                       (a_gain + 1) - (a_gain - 1) * cos - 2 * root * alpha]))
    w0 = 2 * math.pi * 38.0 / rate
    alpha = math.sin(w0) / (2 * 0.5)
    cos = math.cos(w0)
    high_pass = (np.array([(1 + cos) / 2, -(1 + cos), (1 + cos) / 2]),
                 np.array([1 + alpha, -2 * cos, 1 - alpha]))
    return [(b / a[0], a / a[0]) for b, a in (shelf, high_pass)]


class LoudnessMeter:
    """Integrated loudness (LUFS) of audio fed in consecutive blocks (frames × channels)."""

    def __init__(self, channels: int, rate: int = SAMPLE_RATE):
        self.sos = np.vstack([np.concatenate([b, a]) for b, a in _k_weighting(rate)])
        self.state = np.zeros((self.sos.shape[0], channels, 2))
        self.step = rate // 10                     # 100 ms: a quarter of a gating block
        self.carry = np.zeros((channels, 0))
        self.quarters: list[np.ndarray] = []       # per block: summed mean square per 100 ms

    def add(self, block: np.ndarray) -> None:
        channels_first = np.ascontiguousarray(block.T, dtype=np.float64)
        weighted, self.state = sosfilt(self.sos, channels_first, axis=1, zi=self.state)
        pending = np.concatenate([self.carry, weighted], axis=1)
        whole = pending.shape[1] // self.step * self.step
        if whole:
            squares = pending[:, :whole] ** 2
            # All channel weights are 1 (BS.1770 for mono and stereo): sum the channels now,
            # and keep one small array per block rather than an object per 100 ms.
            self.quarters.append(squares.reshape(pending.shape[0], -1, self.step).mean(axis=2).sum(axis=0))
        self.carry = pending[:, whole:]

    def integrated(self) -> float:
        """Integrated loudness in LUFS; -inf for silence or less than 400 ms of audio."""
        quarters = np.concatenate(self.quarters) if self.quarters else np.zeros(0)
        if quarters.size < 4:
            return -math.inf
        power = (quarters[:-3] + quarters[1:-2] + quarters[2:-1] + quarters[3:]) / 4
        with np.errstate(divide="ignore"):
            level = -0.691 + 10 * np.log10(power)
        above_absolute = power[level > -70]
        if not above_absolute.size:
            return -math.inf
        relative_gate = -0.691 + 10 * np.log10(above_absolute.mean()) - 10
        gated = power[(level > -70) & (level > relative_gate)]
        return float(-0.691 + 10 * np.log10(gated.mean()))


class PeakLimiter:
    """Keeps every sample under `ceiling_db`. Output lags input by `window` samples inside,
    but `process` + `flush` return exactly as many samples as went in, in order."""

    CHUNK = 64          # the gain floor is found on 64-sample chunks: 60 times less work

    def __init__(self, ceiling_db: float, channels: int, window: int = 35 * 64):
        self.ceiling = db_to_gain(ceiling_db)
        self.window = window
        self.reach = -(-window // self.CHUNK)         # chunks that cover `window` samples
        self.history = np.ones(2 * window)            # required gains already used, for context
        self.pending_gain = np.zeros(0)
        self.pending = np.zeros((0, channels), dtype=np.float32)

    def process(self, block: np.ndarray) -> np.ndarray:
        peaks = np.abs(block[:, 0])
        for channel in range(1, block.shape[1]):
            peaks = np.maximum(peaks, np.abs(block[:, channel]))
        required = np.minimum(1.0, self.ceiling / np.maximum(peaks, 1e-12))
        samples = np.concatenate([self.pending, block])
        gains = np.concatenate([self.history, self.pending_gain, required])
        w = self.window
        ready = max(0, samples.shape[0] - w)
        if gains.min() >= 1.0:
            out = samples[:ready]
        else:
            # A gain never above what any sample within `w` of it needs, averaged over `w`:
            # it falls smoothly before a peak and rises smoothly after, low enough at it.
            floor = self._floor(gains)
            running = np.concatenate([[0.0], np.cumsum(floor)])
            centre = np.arange(ready) + 2 * w
            smooth = (running[centre + 1] - running[centre - w]) / (w + 1)
            out = samples[:ready] * smooth[:, None].astype(np.float32)
        used = 2 * w + ready
        self.history = gains[used - 2 * w:used]
        self.pending_gain = gains[used:]
        self.pending = samples[ready:]
        return out

    def _floor(self, gains: np.ndarray) -> np.ndarray:
        """For each sample, a value no higher than the least gain within `window` of it."""
        chunks = -(-gains.size // self.CHUNK)
        padded = np.pad(gains, (0, chunks * self.CHUNK - gains.size), constant_values=1.0)
        least = padded.reshape(chunks, self.CHUNK).min(axis=1)
        spread = minimum_filter1d(least, size=2 * self.reach + 1, mode="nearest")
        return np.repeat(spread, self.CHUNK)[:gains.size]

    def flush(self) -> np.ndarray:
        remaining = self.pending.shape[0]
        tail = self.process(np.zeros((self.window, self.pending.shape[1]), dtype=np.float32))
        return tail[:remaining]
