"""Built-in sounds, generated in code: nothing is downloaded or recorded.

Two registries, `BELLS` and `BACKGROUNDS`, map a name to a generator that returns stereo
float32 samples at the given rate. Bells are one strike with its full ring; backgrounds are
loops whose last sample runs straight into the first (they are built from whole periods, so
they repeat without a seam). Every generator is deterministic.

Generating them takes a while (a 30-second background: up to half a second of processor
time), and every process that builds a track needs them: `BuiltinSound.samples` keeps each one
in the cache folder (`sounds/`, beside the spoken pieces), under a name that changes with
everything its samples depend on: the sound, the sample rate, this module's source and numpy's
version. An entry is written whole or not at all, carries its size and checksum, and is read
back only when it is whole; anything else there is generated again.
"""

from __future__ import annotations

import functools
import hashlib
import json
import os
from collections.abc import Callable, Iterator
from contextlib import suppress
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from audio_builder.files import (
    cache_folder,
    checked_bytes,
    checked_header_bytes,
    read_entry,
    remove_stale_temporaries,
    write_file_atomically,
)

Generator = Callable[[int], np.ndarray]

STORE_FOLDER = "sounds"
STORE_MAGIC = b"ABSOUND1"
# No built-in sound lasts a minute: an entry that claims more is damaged, and is not read.
MAX_STORED_BYTES = checked_header_bytes(STORE_MAGIC) + 60 * 48_000 * 2 * 4


@dataclass(frozen=True)
class BuiltinSound:
    kind: str
    name: str
    description: str
    generate: Generator

    def samples(self, sample_rate: int, cache: Path | None = None) -> np.ndarray:
        """The sound's samples, as `generate` gives them: from the store in `cache` (default:
        the cache folder) when a whole entry is there, else generated and stored."""
        path = self.stored_path(sample_rate, cache)
        if path is None:
            return self.generate(sample_rate)
        samples = _read_stored(path)
        if samples is None:
            samples = self.generate(sample_rate)
            _store(path, samples)
        return samples

    def stored_path(self, sample_rate: int, cache: Path | None = None) -> Path | None:
        """Where the store keeps this sound at this rate (None when this module's source
        cannot be read, so its version cannot be told: then nothing is stored)."""
        source = _source_digest()
        if source is None:
            return None
        key = json.dumps({"kind": self.kind, "name": self.name, "rate": sample_rate,
                          "source": source, "numpy": np.__version__}, sort_keys=True)
        name = f"{self.kind}-{self.name}-{sample_rate}-{hashlib.sha256(key.encode()).hexdigest()[:16]}.f32"
        return (cache or cache_folder()) / STORE_FOLDER / name


@functools.cache
def _source_digest() -> str | None:
    """This module's source, as a version of every generator in it."""
    try:
        return hashlib.sha256(Path(__file__).read_bytes()).hexdigest()
    except OSError:
        return None


def _read_stored(path: Path) -> np.ndarray | None:
    """A stored sound (stereo float32), or None when there is no whole entry at `path`; a
    damaged one (cut short, changed, a link, a device) is removed."""
    payload = read_entry(path, STORE_MAGIC, MAX_STORED_BYTES)
    if payload is None:
        return None
    if len(payload) % 8:                   # whole, but not stereo frames: not ours
        with suppress(OSError):
            path.unlink(missing_ok=True)
        return None
    return np.frombuffer(payload, dtype="<f4").reshape(-1, 2).copy()


def _store(path: Path, samples: np.ndarray) -> None:
    """Keep `samples` at `path` for the next process; where that cannot be done (a read-only
    or full disk) the sound is simply generated again next time."""
    data = checked_bytes(STORE_MAGIC, np.ascontiguousarray(samples, dtype="<f4").tobytes())
    with suppress(OSError):
        path.parent.mkdir(parents=True, exist_ok=True)
        remove_stale_temporaries(path.parent)
        write_file_atomically(path, lambda temporary: temporary.write_bytes(data))


def stored_sounds(cache: Path | None = None) -> list[Path]:
    """The built-in sounds kept in the store."""
    folder = (cache or cache_folder()) / STORE_FOLDER
    return sorted(folder.glob("*.f32")) if folder.is_dir() else []


def clear_stored_sounds(cache: Path | None = None) -> int:
    """Remove every stored sound (each is generated again when next needed); how many."""
    removed = 0
    for path in stored_sounds(cache):
        with suppress(OSError):
            os.unlink(path)
            removed += 1
    return removed


class Registry:
    """Named built-in sounds of one kind (`bell` or `background`)."""

    def __init__(self, kind: str):
        self.kind = kind
        self._sounds: dict[str, BuiltinSound] = {}

    def register(self, name: str, description: str) -> Callable[[Generator], Generator]:
        def add(generate: Generator) -> Generator:
            self._sounds[name] = BuiltinSound(self.kind, name, description, generate)
            return generate
        return add

    def __contains__(self, name: object) -> bool:
        return name in self._sounds

    def __iter__(self) -> Iterator[str]:
        return iter(self._sounds)

    def __getitem__(self, name: str) -> BuiltinSound:
        return self._sounds[name]

    def values(self) -> list[BuiltinSound]:
        return list(self._sounds.values())


BELLS = Registry("bell")
BACKGROUNDS = Registry("background")


# --- bells ----------------------------------------------------------------------------

@dataclass(frozen=True)
class Partial:
    ratio: float      # frequency relative to the fundamental
    level: float      # linear amplitude
    decay_s: float    # time to fall by 60 dB
    beat_hz: float    # detuning between the two halves of the partial: the bowl's "wah"


def _struck(sample_rate: int, fundamental: float, partials: tuple[Partial, ...], seconds: float,
            seed: int, strike_ms: float = 4.0, swell_s: float = 0.0) -> np.ndarray:
    """A struck metal body: inharmonic partials, each a beating pair, each decaying."""
    rng = np.random.default_rng(seed)
    t = np.arange(int(seconds * sample_rate)) / sample_rate
    out = np.zeros((t.size, 2))
    for partial in partials:
        frequency = fundamental * partial.ratio
        if frequency >= sample_rate / 2.2:
            continue
        envelope = partial.level * np.exp(-6.91 * t / partial.decay_s)
        for channel, spread in enumerate((-0.5, 0.5)):
            phase = rng.uniform(0, 2 * np.pi)
            beating = 0.5 * (np.sin(2 * np.pi * frequency * t + phase)
                             + np.sin(2 * np.pi * (frequency + partial.beat_hz * (1 + spread * 0.2)) * t
                                      + phase))
            out[:, channel] += envelope * beating
    attack = np.clip(t / (strike_ms / 1000), 0, 1)
    if swell_s:
        attack = attack * (1 - np.exp(-t / swell_s) * 0.6)
    out *= attack[:, None]
    tail = int(0.05 * sample_rate)
    out[-tail:] *= np.linspace(1, 0, tail)[:, None]
    return (out / np.max(np.abs(out)) * 0.7).astype(np.float32)


@BELLS.register("bowl", "a struck singing bowl, warm and long (about 12 s)")
def bowl(sample_rate: int) -> np.ndarray:
    partials = (Partial(1.0, 1.0, 11.0, 1.3), Partial(2.71, 0.55, 7.0, 2.1),
                Partial(5.08, 0.25, 4.0, 2.9), Partial(8.14, 0.10, 2.5, 3.7),
                Partial(11.9, 0.04, 1.5, 4.4))
    return _struck(sample_rate, 262.0, partials, 12.0, seed=1)


@BELLS.register("chime", "a small bright chime (about 6 s)")
def chime(sample_rate: int) -> np.ndarray:
    partials = (Partial(1.0, 1.0, 5.5, 0.6), Partial(2.76, 0.45, 3.0, 1.1),
                Partial(5.40, 0.20, 1.6, 1.7), Partial(8.93, 0.08, 0.9, 2.3))
    return _struck(sample_rate, 1046.0, partials, 6.0, seed=2, strike_ms=1.5)


@BELLS.register("gong", "a deep gong that swells and fades (about 16 s)")
def gong(sample_rate: int) -> np.ndarray:
    partials = tuple(Partial(r, lvl, d, b) for r, lvl, d, b in (
        (1.0, 1.0, 15.0, 0.4), (1.52, 0.7, 12.0, 0.7), (2.03, 0.6, 10.0, 0.9),
        (2.61, 0.45, 8.0, 1.3), (3.37, 0.35, 6.0, 1.6), (4.21, 0.25, 4.5, 2.2),
        (5.12, 0.18, 3.0, 2.7), (6.74, 0.12, 2.0, 3.1)))
    return _struck(sample_rate, 82.0, partials, 16.0, seed=3, strike_ms=12.0, swell_s=0.8)


# --- backgrounds ----------------------------------------------------------------------

LOOP_SECONDS = 30


def _shaped_noise(sample_rate: int, seconds: int, seed: int,
                  gain: Callable[[np.ndarray], np.ndarray]) -> np.ndarray:
    """Stereo noise with the spectrum `gain(frequencies)`, periodic over its length."""
    rng = np.random.default_rng(seed)
    n = seconds * sample_rate
    frequencies = np.fft.rfftfreq(n, 1 / sample_rate)
    shape = gain(np.maximum(frequencies, 1e-9))
    shape[0] = 0.0
    channels = []
    for _ in range(2):
        spectrum = shape * np.exp(2j * np.pi * rng.random(frequencies.size))
        channels.append(np.fft.irfft(spectrum, n))
    out = np.stack(channels, axis=1)
    return out / np.max(np.abs(out))


def _bandpass(low: float, high: float) -> Callable[[np.ndarray], np.ndarray]:
    return lambda f: 1 / np.sqrt(1 + (low / f) ** 4) / np.sqrt(1 + (f / high) ** 4)


def _finish(out: np.ndarray) -> np.ndarray:
    return (out / np.max(np.abs(out)) * 0.7).astype(np.float32)


@BACKGROUNDS.register("brown-noise", "deep, soft noise, like a distant waterfall")
def brown_noise(sample_rate: int) -> np.ndarray:
    return _finish(_shaped_noise(sample_rate, LOOP_SECONDS, 11,
                                 lambda f: _bandpass(30, 8000)(f) / np.maximum(f, 30)))


@BACKGROUNDS.register("pink-noise", "even, gentle noise, like steady wind")
def pink_noise(sample_rate: int) -> np.ndarray:
    return _finish(_shaped_noise(sample_rate, LOOP_SECONDS, 12,
                                 lambda f: _bandpass(40, 12000)(f) / np.sqrt(np.maximum(f, 40))))


@BACKGROUNDS.register("rain", "steady rain with soft drops")
def rain(sample_rate: int) -> np.ndarray:
    wash = _shaped_noise(sample_rate, LOOP_SECONDS, 13,
                         lambda f: _bandpass(300, 9000)(f) / np.sqrt(np.maximum(f, 300)))
    rng = np.random.default_rng(14)
    n = wash.shape[0]
    drops = np.zeros_like(wash)
    drop = _shaped_noise(sample_rate, 1, 15, _bandpass(1500, 7000))[: int(0.03 * sample_rate)]
    drop = drop * np.exp(-np.arange(drop.shape[0]) / (0.004 * sample_rate))[:, None]
    for _ in range(LOOP_SECONDS * 40):
        start = rng.integers(0, n)
        level = rng.uniform(0.1, 0.6)
        pan = rng.uniform(0.2, 0.8)
        index = (start + np.arange(drop.shape[0])) % n      # wrap, so the loop stays seamless
        drops[index, 0] += drop[:, 0] * level * (1 - pan)
        drops[index, 1] += drop[:, 1] * level * pan
    return _finish(wash * 0.8 + drops * 0.5)


@BACKGROUNDS.register("ocean", "slow waves rolling in and out")
def ocean(sample_rate: int) -> np.ndarray:
    low = _shaped_noise(sample_rate, LOOP_SECONDS, 16,
                        lambda f: _bandpass(40, 1500)(f) / np.maximum(f, 40))
    hiss = _shaped_noise(sample_rate, LOOP_SECONDS, 17, _bandpass(800, 8000))
    t = np.arange(low.shape[0]) / sample_rate
    swell = np.empty_like(low)
    for channel, offset in enumerate((0.0, 0.6)):
        # Three waves per 30 s loop, with a second, slower motion: both repeat exactly.
        wave = 0.5 - 0.5 * np.cos(2 * np.pi * 3 * t / LOOP_SECONDS + offset)
        drift = 0.8 + 0.2 * np.sin(2 * np.pi * t / LOOP_SECONDS + offset)
        swell[:, channel] = (0.15 + 0.85 * wave ** 1.6) * drift
    return _finish(low * swell + 0.35 * hiss * swell ** 2)


@BACKGROUNDS.register("drone", "a low, warm drone on A with its fifth")
def drone(sample_rate: int) -> np.ndarray:
    t = np.arange(LOOP_SECONDS * sample_rate) / sample_rate
    out = np.zeros((t.size, 2))
    rng = np.random.default_rng(18)
    # Every frequency has a whole number of cycles in the loop, so it repeats seamlessly.
    for frequency, level in ((110.0, 1.0), (165.0, 0.5), (220.0, 0.35), (330.0, 0.15),
                             (55.0, 0.4)):
        for channel, detune in enumerate((-1 / LOOP_SECONDS, 1 / LOOP_SECONDS)):
            tremolo = 0.75 + 0.25 * np.sin(2 * np.pi * rng.integers(1, 4) * t / LOOP_SECONDS
                                           + rng.uniform(0, 2 * np.pi))
            out[:, channel] += level * tremolo * np.sin(
                2 * np.pi * (frequency + detune) * t + rng.uniform(0, 2 * np.pi))
    return _finish(out)
