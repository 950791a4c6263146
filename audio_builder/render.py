"""From a timeline to audio, block by block.

Nothing here holds the whole track: each block of about 1.5 s is mixed from the clips that
overlap it, so memory stays flat and time grows linearly with the track's length. Blocks
are stereo float32 at 44.1 kHz.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass

import numpy as np

from .audio import SAMPLE_RATE, db_to_gain, ms_to_samples
from .media import decode_file, sound_samples
from .speech import Synthesizer
from .timeline import Timeline

BLOCK = 65_536
VOICE_RMS_DB = -20.0          # the level speech clips are brought to (see audio.normalize_speech)
DUCK_ATTACK_MS = 400           # the bed starts dipping this long before speech
DUCK_RELEASE_MS = 1200         # and comes back up over this long after it
END_FADE_MS = 500


@dataclass(frozen=True)
class Layer:
    """A clip placed on the track: `samples` (frames × 1 or 2) from `start`, times `gain`."""

    start: int
    samples: np.ndarray
    gain: float = 1.0

    @property
    def end(self) -> int:
        return self.start + self.samples.shape[0]


def layers_for(timeline: Timeline, synthesizer: Synthesizer) -> list[Layer]:
    layers = [Layer(ms_to_samples(s.start_ms), synthesizer.clip(s.utterance, s.place).samples[:, None])
              for s in timeline.speech]
    layers += [Layer(ms_to_samples(b.start_ms), sound_samples(b.sound, "bell"), db_to_gain(b.volume_db))
               for b in timeline.bells]
    layers += [Layer(ms_to_samples(c.start_ms), decode_file(c.file), db_to_gain(c.volume_db))
               for c in timeline.sounds]
    return sorted(layers, key=lambda layer: layer.start)


class Bed:
    """The background: a loop, faded in and out, dipping under speech."""

    def __init__(self, timeline: Timeline, total: int):
        background = timeline.background
        self.loop = sound_samples(background.sound, "background")
        loop_rms = float(np.sqrt(np.mean(self.loop.astype(np.float64) ** 2))) or 1e-9
        self.level = db_to_gain(VOICE_RMS_DB + background.volume_db) / loop_rms
        self.duck = db_to_gain(-background.duck_db)
        self.fade_in = ms_to_samples(background.fade_in_ms)
        self.fade_out = ms_to_samples(background.fade_out_ms)
        self.total = total
        self.speech = np.array([(ms_to_samples(s.start_ms), ms_to_samples(s.end_ms))
                                for s in timeline.speech], dtype=np.int64).reshape(-1, 2)
        self.attack = ms_to_samples(DUCK_ATTACK_MS)
        self.release = ms_to_samples(DUCK_RELEASE_MS)

    def block(self, start: int, n: int) -> np.ndarray:
        index = (start + np.arange(n)) % self.loop.shape[0]
        gain = self._fades(start, n) * self._ducking(start, n) * self.level
        return self.loop[index] * gain[:, None]

    def _fades(self, start: int, n: int) -> np.ndarray:
        position = start + np.arange(n, dtype=np.float64)
        gain = np.ones(n)
        if self.fade_in:
            gain *= _smooth(np.clip(position / self.fade_in, 0, 1))
        if self.fade_out:
            gain *= _smooth(np.clip((self.total - position) / self.fade_out, 0, 1))
        return gain

    def _ducking(self, start: int, n: int) -> np.ndarray:
        depth = np.zeros(n)
        if self.duck == 1.0 or not len(self.speech):
            return np.ones(n)
        end = start + n
        near = self.speech[(self.speech[:, 0] - self.attack < end)
                           & (self.speech[:, 1] + self.release > start)]
        position = start + np.arange(n, dtype=np.float64)
        for speech_start, speech_end in near:
            rise = np.clip((position - (speech_start - self.attack)) / self.attack, 0, 1)
            fall = np.clip(((speech_end + self.release) - position) / self.release, 0, 1)
            depth = np.maximum(depth, _smooth(np.minimum(rise, fall)))
        return 1.0 - depth * (1.0 - self.duck)


def _smooth(x: np.ndarray) -> np.ndarray:
    """A raised-cosine ramp: no corner where a fade starts or ends."""
    return 0.5 - 0.5 * np.cos(np.pi * x)


def render(timeline: Timeline, synthesizer: Synthesizer, *, total: int | None = None,
           block: int = BLOCK) -> Iterator[np.ndarray]:
    """Yield the track as consecutive stereo float32 blocks, `total` samples in all
    (default: the timeline's length)."""
    total = ms_to_samples(timeline.length_ms) if total is None else total
    layers = layers_for(timeline, synthesizer)
    bed = Bed(timeline, total) if timeline.background else None
    waiting = iter(layers)
    upcoming = next(waiting, None)
    active: list[Layer] = []
    for start in range(0, total, block):
        n = min(block, total - start)
        end = start + n
        while upcoming is not None and upcoming.start < end:
            active.append(upcoming)
            upcoming = next(waiting, None)
        out = bed.block(start, n) if bed else np.zeros((n, 2))
        for layer in active:
            lo, hi = max(start, layer.start), min(end, layer.end)
            if lo < hi:
                out[lo - start:hi - start] += layer.samples[lo - layer.start:hi - layer.start] * layer.gain
        active = [layer for layer in active if layer.end > end]
        _fade_track_end(out, start, total)
        yield out.astype(np.float32)


def _fade_track_end(out: np.ndarray, start: int, total: int) -> None:
    """The last moment of a track fades to silence, so a ringing tail never stops dead."""
    fade = ms_to_samples(END_FADE_MS)
    first = max(start, total - fade)
    if first < start + out.shape[0]:
        position = np.arange(first, start + out.shape[0], dtype=np.float64)
        out[first - start:] *= _smooth((total - position) / fade)[:, None]
