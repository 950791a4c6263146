"""Loudness, measured and set, block by block (nothing holds the whole track).

`LoudnessMeter` measures integrated loudness after ITU-R BS.1770-4 (K-weighting, 400 ms
blocks with 75 % overlap, absolute gate at -70 LUFS, relative gate 10 LU down).
`KWeighting` is the standard's filter, applied to a whole clip, a loop or a stream.
`PeakLimiter` keeps sample peaks under a ceiling with a smooth 50 ms look-ahead gain, so
the rare peak that one overall gain would push too high is caught without a click.

Only numpy: scipy's filters would cost every command a second and a half of start-up.
"""

from __future__ import annotations

import functools
import math
from collections.abc import Callable, Generator, Iterable
from contextlib import closing

import numpy as np

from audio_builder.sound.audio import SAMPLE_RATE, db_to_gain, times_per_frame


def _k_weighting_biquads(rate: int) -> list[tuple[tuple[float, ...], tuple[float, ...]]]:
    """The two biquads of BS.1770 K-weighting (a high shelf, then a high pass), normalized."""
    shelf_gain, shelf_q, shelf_hz = 4.0, 1 / math.sqrt(2), 1500.0
    a_gain = 10 ** (shelf_gain / 40)
    w0 = 2 * math.pi * shelf_hz / rate
    alpha = math.sin(w0) / (2 * shelf_q)
    cos, root = math.cos(w0), math.sqrt(a_gain)
    shelf = ((a_gain * ((a_gain + 1) + (a_gain - 1) * cos + 2 * root * alpha),
              -2 * a_gain * ((a_gain - 1) + (a_gain + 1) * cos),
              a_gain * ((a_gain + 1) + (a_gain - 1) * cos - 2 * root * alpha)),
             ((a_gain + 1) - (a_gain - 1) * cos + 2 * root * alpha,
              2 * ((a_gain - 1) - (a_gain + 1) * cos),
              (a_gain + 1) - (a_gain - 1) * cos - 2 * root * alpha))
    w0 = 2 * math.pi * 38.0 / rate
    alpha = math.sin(w0) / (2 * 0.5)
    cos = math.cos(w0)
    high_pass = (((1 + cos) / 2, -(1 + cos), (1 + cos) / 2), (1 + alpha, -2 * cos, 1 - alpha))
    return [(tuple(x / a[0] for x in b), tuple(x / a[0] for x in a)) for b, a in (shelf, high_pass)]


@functools.cache
def k_weighting_response(rate: int = SAMPLE_RATE, length: int = 4096) -> np.ndarray:
    """The K-weighting's impulse response. By 4096 samples (93 ms) it has fallen 200 dB,
    so filtering with these taps matches the recursive filter to within 1e-9 LU."""
    response = np.zeros(length)
    response[0] = 1.0
    for b, a in _k_weighting_biquads(rate):
        x1 = x2 = y1 = y2 = 0.0
        out = response.copy()
        for n, x in enumerate(response.tolist()):
            y = b[0] * x + b[1] * x1 + b[2] * x2 - a[1] * y1 - a[2] * y2
            x2, x1, y2, y1 = x1, x, y1, y
            out[n] = y
        response = out
    return response


@functools.cache
def _response_spectrum(rate: int, size: int) -> np.ndarray:
    return np.fft.rfft(k_weighting_response(rate), size)[:, None]


class KWeighting:
    """The K-weighting as FFT convolution with `k_weighting_response`, streamed: each call
    to `process` continues where the last one ended (overlap-save)."""

    FFT_SIZE = 16_384

    def __init__(self, channels: int, rate: int = SAMPLE_RATE, before: np.ndarray | None = None):
        self.overlap = k_weighting_response(rate).size - 1
        self.hop = self.FFT_SIZE - self.overlap
        self.spectrum = _response_spectrum(rate, self.FFT_SIZE)
        self.history = np.zeros((self.overlap, channels))
        if before is not None:          # the audio that came before the first block
            self.history[self.overlap - min(self.overlap, before.shape[0]):] = before[-self.overlap:]

    def process(self, block: np.ndarray) -> np.ndarray:
        """`block` (frames × channels) weighted, as float64 of the same shape."""
        out = np.empty(block.shape)
        for start in range(0, block.shape[0], self.hop):
            chunk = block[start:start + self.hop]
            window = np.concatenate([self.history, chunk])
            weighted = np.fft.irfft(np.fft.rfft(window, self.FFT_SIZE, axis=0) * self.spectrum,
                                    self.FFT_SIZE, axis=0)
            out[start:start + chunk.shape[0]] = weighted[self.overlap:window.shape[0]]
            self.history = window[-self.overlap:]
        return out

    @staticmethod
    def clip(samples: np.ndarray, before: np.ndarray | None = None) -> np.ndarray:
        """A clip weighted as if `before` (default: silence) came before it (float32, same
        shape; one channel may be a 1-D array)."""
        shaped = samples[:, None] if samples.ndim == 1 else samples
        if before is not None and before.ndim == 1:
            before = before[:, None]
        weighted = KWeighting(shaped.shape[1], before=before).process(shaped).astype(np.float32)
        return weighted.reshape(samples.shape)

    @staticmethod
    def loop(samples: np.ndarray) -> np.ndarray:
        """A loop weighted as it sounds repeated: its end runs into its start."""
        repeats = -(-k_weighting_response().size // max(1, samples.shape[0]))
        return KWeighting.clip(samples, before=np.tile(samples, (repeats,) + (1,) * (samples.ndim - 1)))


def loudest_momentary(samples: np.ndarray, rate: int = SAMPLE_RATE, within_ms: int = 1000) -> float:
    """The loudest momentary loudness (400 ms, BS.1770, LUFS) in the first `within_ms` after
    the clip's first audible sample: how loud a struck sound is as it is heard."""
    shaped = samples[:, None] if samples.ndim == 1 else samples
    peak = float(np.max(np.abs(shaped))) if shaped.size else 0.0
    if peak == 0.0:
        return -math.inf
    onset = int(np.argmax(np.max(np.abs(shaped), axis=1) > peak * db_to_gain(-40.0)))
    window = rate * 4 // 10
    part = shaped[onset:onset + max(window, rate * within_ms // 1000)]
    squares = np.square(KWeighting.clip(part), dtype=np.float64) @ np.ones(part.shape[1])
    running = np.concatenate([[0.0], np.cumsum(squares)])
    power = (running[window:] - running[:-window]) / window if squares.size >= window else \
        running[-1:] / window
    return float(-0.691 + 10 * np.log10(max(float(power.max()), 1e-20)))


def momentary_levels(part: np.ndarray, rate: int = SAMPLE_RATE) -> np.ndarray:
    """The momentary loudness (BS.1770, LUFS) of each 400 ms window, 100 ms apart, wholly
    inside `part` (frames × channels, or mono); windows of digital silence are left out."""
    window, hop = rate * 4 // 10, rate // 10
    shaped = part[:, None] if part.ndim == 1 else part
    if shaped.shape[0] < window:
        return np.zeros(0)
    squares = np.square(KWeighting.clip(shaped), dtype=np.float64) @ np.ones(shaped.shape[1])
    running = np.concatenate([[0.0], np.cumsum(squares)])
    starts = np.arange(0, shaped.shape[0] - window + 1, hop)
    power = (running[starts + window] - running[starts]) / window
    return -0.691 + 10 * np.log10(power[power > 0])


def median_momentary(parts: Iterable[np.ndarray], rate: int = SAMPLE_RATE) -> float:
    """The median momentary loudness (400 ms windows 100 ms apart, BS.1770, LUFS) over
    `parts` (frames × channels each, windows wholly inside a part): how loud a voice is as
    it is heard, measured where it speaks. -inf when no part holds a window of sound."""
    levels = [momentary_levels(part, rate) for part in parts]
    heard = np.concatenate(levels) if levels else np.zeros(0)
    return float(np.median(heard)) if heard.size else -math.inf


def loudest_momentary_streamed(blocks: Callable[[], Generator[np.ndarray, None, None]],
                               rate: int = SAMPLE_RATE, within_ms: int = 1000) -> float:
    """`loudest_momentary` of audio too long to hold, given as a way to read its blocks
    (read twice: for the peak, then up to the onset and the second after it; at most that
    second is held). The same figure as `loudest_momentary` of the whole."""
    with closing(blocks()) as first:
        peak = max((float(np.max(np.abs(block))) for block in first if block.size), default=0.0)
    if peak == 0.0:
        return -math.inf
    threshold = peak * db_to_gain(-40.0)
    need = max(rate * 4 // 10, rate * within_ms // 1000)
    part: list[np.ndarray] = []
    with closing(blocks()) as second:
        for block in second:
            if not part:
                audible = np.max(np.abs(block), axis=1) > threshold
                if not audible.any():
                    continue
                block = block[int(np.argmax(audible)):]
            part.append(block)
            if sum(piece.shape[0] for piece in part) >= need:
                break
    return loudest_momentary(np.concatenate(part)[:need], rate, within_ms)


class LoudnessMeter:
    """Integrated loudness (LUFS) of audio fed in consecutive blocks (frames × channels).

    `add` takes plain audio; `add_weighted` takes audio already K-weighted (a mix of
    weighted sources: the weighting is linear, so that is the weighted mix)."""

    def __init__(self, channels: int, rate: int = SAMPLE_RATE):
        self.weighting = KWeighting(channels, rate)
        self.step = rate // 10                     # 100 ms: a quarter of a gating block
        self.carry = np.zeros(0)
        self.quarters: list[np.ndarray] = []       # per block: summed mean square per 100 ms

    def add(self, block: np.ndarray) -> None:
        self.add_weighted(self.weighting.process(block))

    def add_weighted(self, block: np.ndarray) -> None:
        # All channel weights are 1 (BS.1770 for mono and stereo): sum the channels first
        # (a product with ones: numpy's sum across two columns is 20 times slower), and
        # keep one small array per block rather than an object per 100 ms.
        squares = np.square(block, dtype=np.float64) @ np.ones(block.shape[1])
        pending = np.concatenate([self.carry, squares])
        whole = pending.shape[0] // self.step * self.step
        if whole:
            self.quarters.append(pending[:whole].reshape(-1, self.step).mean(axis=1))
        self.carry = pending[whole:]

    def integrated(self) -> float:
        """Integrated loudness in LUFS; -inf for silence or less than 400 ms of audio."""
        return gated_loudness(np.concatenate(self.quarters) if self.quarters else np.zeros(0))


def block_power(quarters: np.ndarray) -> np.ndarray:
    """The mean square of each 400 ms block, 100 ms apart, from that of each 100 ms
    (`quarters`, at least 4 of them)."""
    return (quarters[:-3] + quarters[1:-2] + quarters[2:-1] + quarters[3:]) / 4


def gated_loudness(quarters: np.ndarray, relative_gate_lu: float = 10.0) -> float:
    """Integrated loudness (LUFS) from the mean square (channels summed) of each 100 ms of
    K-weighted audio: 400 ms blocks gated as BS.1770 gates them (the relative gate
    `relative_gate_lu` under the blocks' mean; the standard's is 10); -inf for silence or
    less than 400 ms."""
    if quarters.size < 4:
        return -math.inf
    power = block_power(quarters)
    with np.errstate(divide="ignore"):
        level = -0.691 + 10 * np.log10(power)
    above_absolute = power[level > -70]
    if not above_absolute.size:
        return -math.inf
    relative_gate = -0.691 + 10 * np.log10(above_absolute.mean()) - relative_gate_lu
    gated = power[(level > -70) & (level > relative_gate)]
    return float(-0.691 + 10 * np.log10(gated.mean()))


class PeakLimiter:
    """Keeps every sample under `ceiling_db`. Output lags input by `window` samples inside,
    but `process` + `flush` return exactly as many samples as went in, in order."""

    CHUNK = 64          # the gain floor is found on 64-sample chunks: 60 times less work
    WINDOW = 35 * 64    # samples (51 ms): how far ahead it looks, and how long it takes to turn

    def __init__(self, ceiling_db: float, channels: int, window: int = WINDOW):
        self.ceiling = db_to_gain(ceiling_db)
        self.window = window
        self.reach = -(-window // self.CHUNK)         # chunks that cover `window` samples
        self.history = np.ones(2 * window)            # required gains already used, for context
        self.pending_gain = np.zeros(0)
        self.pending = np.zeros((0, channels), dtype=np.float32)
        self.clear = True         # whether every gain in history and pending_gain is 1

    def process(self, block: np.ndarray) -> np.ndarray:
        samples = np.concatenate([self.pending, block])
        w = self.window
        ready = max(0, samples.shape[0] - w)
        if self.clear and self._under_ceiling(block):
            # Nothing within reach needs holding back (most of a track): every gain is 1.
            self.pending = samples[ready:]
            self.pending_gain = np.ones(self.pending.shape[0])
            return samples[:ready]
        peaks = np.abs(block[:, 0])
        for channel in range(1, block.shape[1]):
            peaks = np.maximum(peaks, np.abs(block[:, channel]))
        gains = np.concatenate([self.history, self.pending_gain, self._required(peaks)])
        out = samples[:ready]
        if gains.min() < 1.0:
            self._hold_back(out, self._floor(gains))
        used = 2 * w + ready
        self.history = gains[used - 2 * w:used]
        self.pending_gain = gains[used:]
        self.pending = samples[ready:]
        self.clear = bool(gains[used - 2 * w:].min() >= 1.0)
        return out

    def _hold_back(self, out: np.ndarray, floor: np.ndarray) -> None:
        """Multiply `out` (in place) by a gain never above what any sample within `window`
        of it needs (`floor`, which runs `window` ahead of `out`), averaged over `window`:
        it falls smoothly before a peak and rises smoothly after, low enough at it.

        Only the samples within reach of a floor under 1 are worked out: elsewhere the mean
        is of ones, exactly 1. The floors are float32 values summed in float64, exactly while
        they are over 2^-13 (78 dB of limiting): so the sums over that stretch alone give the
        very gains a sum from the block's start gives."""
        w = self.window
        lowered = np.flatnonzero(floor[w:] < 1.0)        # floor[w + j] is under 1
        if not lowered.size:
            return
        # sample i's gain is the mean of floor[i + w] .. floor[i + 2w]
        first = max(0, lowered[0] - w)
        end = min(out.shape[0], lowered[-1] + 1)
        if first >= end:
            return
        running = np.concatenate([[0.0], np.cumsum(floor[w + first:2 * w + end])])
        count = end - first
        smooth = (running[w + 1:w + 1 + count] - running[:count]) / (w + 1)
        out[first:end] = times_per_frame(out[first:end], smooth.astype(np.float32))

    def _required(self, peaks: np.ndarray) -> np.ndarray:
        """The gain each sample needs to stay under the ceiling (1 where it is under)."""
        return np.minimum(1.0, self.ceiling / np.maximum(peaks, 1e-12))

    def _under_ceiling(self, block: np.ndarray) -> bool:
        """Whether every sample of `block` needs a gain of 1: its loudest does (the gain
        needed falls as the peak rises, so the loudest needs the least)."""
        if not block.size:
            return True
        loudest = np.maximum(block.max(), -block.min())
        return bool(self._required(np.array([loudest], block.dtype))[0] == 1.0)

    def _floor(self, gains: np.ndarray) -> np.ndarray:
        """For each sample, a value no higher than the least gain within `window` of it."""
        chunks = -(-gains.size // self.CHUNK)
        padded = np.pad(gains, (0, chunks * self.CHUNK - gains.size), constant_values=1.0)
        least = padded.reshape(chunks, self.CHUNK).min(axis=1)
        edged = np.pad(least, self.reach, mode="edge")
        spread = sliding_extreme(np.minimum, edged, 2 * self.reach + 1)
        return np.repeat(spread, self.CHUNK)[:gains.size]

    def flush(self) -> np.ndarray:
        remaining = self.pending.shape[0]
        tail = self.process(np.zeros((self.window, self.pending.shape[1]), dtype=np.float32))
        return tail[:remaining]


def sliding_extreme(pick: Callable[[np.ndarray, np.ndarray], np.ndarray], values: np.ndarray,
                    width: int) -> np.ndarray:
    """`pick` (np.maximum or np.minimum) of every `width` consecutive values
    (len(values) - width + 1 of them), by doubling spans: a few passes rather than `width`."""
    out, span = values, 1
    while span * 2 <= width:
        out = pick(out[:-span], out[span:])
        span *= 2
    if span < width:
        out = pick(out[:-(width - span)], out[width - span:])
    return out
