"""Small, pure operations on sample arrays (float32, [-1, 1])."""

from __future__ import annotations

import numpy as np

SAMPLE_RATE = 44_100


def ms_to_samples(ms: int, sample_rate: int = SAMPLE_RATE) -> int:
    return (ms * sample_rate + 500) // 1000


def samples_to_ms(samples: int, sample_rate: int = SAMPLE_RATE) -> int:
    return (samples * 1000 + sample_rate // 2) // sample_rate


def db_to_gain(db: float) -> float:
    return float(10 ** (db / 20))


def resample(samples: np.ndarray, from_rate: int, to_rate: int = SAMPLE_RATE) -> np.ndarray:
    """Band-limited resampling through the spectrum (exact for whole clips that start and end
    in silence, which faded speech clips and bells do). Works along the first axis."""
    if from_rate == to_rate or samples.shape[0] == 0:
        return samples.astype(np.float32)
    n_in = samples.shape[0]
    n_out = round(n_in * to_rate / from_rate)
    spectrum = np.fft.rfft(samples, axis=0)
    size = n_out // 2 + 1
    if size > spectrum.shape[0]:
        pad = [(0, size - spectrum.shape[0])] + [(0, 0)] * (samples.ndim - 1)
        spectrum = np.pad(spectrum, pad)
    else:
        spectrum = spectrum[:size]
    return (np.fft.irfft(spectrum, n_out, axis=0) * (n_out / n_in)).astype(np.float32)


def trim_silence(samples: np.ndarray, sample_rate: int, threshold_db: float = -50.0,
                 keep_ms: int = 10) -> np.ndarray:
    """Cut the silence an engine leaves before and after speech, keeping `keep_ms` of
    lead-in and tail so soft onsets and endings survive."""
    if samples.size == 0:
        return samples
    window = max(1, sample_rate // 200)  # 5 ms
    frames = samples[: samples.size // window * window].reshape(-1, window)
    if frames.size == 0:
        return samples
    loudness = np.sqrt(np.mean(frames.astype(np.float64) ** 2, axis=1))
    peak = float(np.max(np.abs(samples))) or 1.0
    audible = np.nonzero(loudness > peak * db_to_gain(threshold_db))[0]
    if audible.size == 0:
        return samples[:0]
    keep = ms_to_samples(keep_ms, sample_rate)
    start = max(0, audible[0] * window - keep)
    end = min(samples.size, (audible[-1] + 1) * window + keep)
    return samples[start:end]


def edge_ramp(length: int, sample_rate: int, ms: int = 8) -> np.ndarray:
    """The fade-in `fade_edges` gives a clip of `length` samples (reversed, its fade-out)."""
    n = min(length // 2, ms_to_samples(ms, sample_rate))
    return np.sin(np.linspace(0, np.pi / 2, n, dtype=np.float32)) ** 2


def fade_edges(samples: np.ndarray, sample_rate: int, ms: int = 8) -> np.ndarray:
    """Fade the first and last `ms` so a clip never starts or stops with a click."""
    ramp = edge_ramp(samples.shape[0], sample_rate, ms)
    n = ramp.size
    if n == 0:
        return samples
    out = samples.copy()
    shape = (n,) + (1,) * (samples.ndim - 1)
    out[:n] *= ramp.reshape(shape)
    out[-n:] *= ramp[::-1].reshape(shape)
    return out


# The level every clip of speech is brought to (RMS over its louder half, dBFS); backgrounds
# and bells are set against it.
SPEECH_RMS_DB = -20.0


def normalize_speech(samples: np.ndarray, rms_db: float = SPEECH_RMS_DB, peak_db: float = -1.0) -> np.ndarray:
    """Bring speech to a steady level (RMS over its louder half), never past `peak_db`."""
    if samples.size == 0:
        return samples
    window = 2205
    if samples.size >= window:
        usable = samples[: samples.size // window * window].reshape(-1, window)
    else:
        usable = samples.reshape(1, -1)
    levels = np.sqrt(np.mean(usable.astype(np.float64) ** 2, axis=1))
    loud = levels[levels >= np.median(levels)]
    rms = float(np.sqrt(np.mean(loud ** 2))) or 1e-9
    peak = float(np.max(np.abs(samples))) or 1e-9
    gain = min(db_to_gain(rms_db) / rms, db_to_gain(peak_db) / peak)
    return (samples * gain).astype(np.float32)


def times_per_frame(block: np.ndarray, gains: np.ndarray) -> np.ndarray:
    """`block * gains[:, None]`: each frame (the last axis holds its channels) times its gain,
    worked channel by channel. numpy's own broadcasting runs its inner loop across the
    channels, two at a time: three to four times slower."""
    out = np.empty(block.shape, np.result_type(block, gains))
    for channel in range(block.shape[-1]):
        np.multiply(block[..., channel], gains, out=out[..., channel])
    return out


def add_per_frame(target: np.ndarray, samples: np.ndarray) -> None:
    """`target += samples`, where `samples` may have one channel for all of `target`'s (a
    mono clip into a stereo mix), worked channel by channel for the reason `times_per_frame`
    gives."""
    if samples.shape[-1] == target.shape[-1]:
        target += samples
        return
    for channel in range(target.shape[-1]):
        target[..., channel] += samples[..., 0]
