"""From a timeline to audio, block by block.

Nothing here holds the whole track: each block of about 1.5 s is mixed from the clips that
overlap it; a clip is loaded when the first block reaches it and let go after its last, so
memory stays flat and time grows linearly with the track's length. Blocks are stereo
float32 at 44.1 kHz.

With `k_weighted`, every source is K-weighted before it is mixed: the mix is then the
K-weighted track (the filter is linear, and the bed's gain moves far more slowly than the
filter's 93 ms response), which is what a loudness meter measures, at a fraction of the cost
of weighting the whole mix.
"""

from __future__ import annotations

import functools
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field

import numpy as np

from audio_builder.model import Background, SoundRef
from audio_builder.sound.audio import db_to_gain, ms_to_samples
from audio_builder.sound.loudness import KWeighting, loudest_momentary
from audio_builder.sound.media import decode_file, sound_samples
from audio_builder.speech.synthesizer import Synthesizer
from audio_builder.timeline import PlacedSound, PlacedSpeech, Timeline

BLOCK = 65_536
VOICE_RMS_DB = -20.0          # the level speech clips are brought to (audio.normalize_speech)
# Speech at that level measures a median momentary loudness of -21 LUFS (the piper voice,
# measured over the library). A bell at `volume: 0` is set by loudness, not by its peak: its
# loudest 400 ms in the first second after the strike sits 1 LU above the voice's median.
BELL_LOUDNESS_LUFS = -20.0
DUCK_ATTACK_MS = 400           # the bed starts dipping this long before speech
DUCK_RELEASE_MS = 1200         # and comes back up over this long after it
END_FADE_MS = 500
LOOP_CROSSFADE_MS = 2000       # where a user's background file joins its own start


@dataclass
class Layer:
    """A clip placed on the track from `start` (samples), loaded only while it plays."""

    start: int
    load: Callable[[], np.ndarray]      # frames × 1 or 2
    gain: float = 1.0
    samples: np.ndarray | None = field(default=None, repr=False)
    end: int = 0

    def open(self) -> None:
        samples = self.load()
        self.samples = samples[:, None] if samples.ndim == 1 else samples
        self.end = self.start + self.samples.shape[0]

    def close(self) -> None:
        self.samples = None


def _unchanged(samples: np.ndarray) -> np.ndarray:
    return samples


def layers_for(timeline: Timeline, synthesizer: Synthesizer,
               prepare: Callable[[np.ndarray], np.ndarray] = _unchanged) -> list[Layer]:
    def speech(s: PlacedSpeech) -> np.ndarray:
        return prepare(synthesizer.samples(s.utterance, s.place))

    @functools.cache                                    # a bell is rung again and again
    def bell(sound: SoundRef) -> np.ndarray:
        return prepare(leveled_bell(sound))

    def recording(c: PlacedSound) -> np.ndarray:
        return prepare(decode_file(c.file))

    layers = [Layer(ms_to_samples(s.start_ms), functools.partial(speech, s)) for s in timeline.speech]
    layers += [Layer(ms_to_samples(b.start_ms), functools.partial(bell, b.sound),
                     db_to_gain(b.volume_db)) for b in timeline.bells]
    layers += [Layer(ms_to_samples(c.start_ms), functools.partial(recording, c),
                     db_to_gain(c.volume_db)) for c in timeline.sounds]
    return sorted(layers, key=lambda layer: layer.start)


@functools.lru_cache(maxsize=8)
def leveled_bell(sound: SoundRef) -> np.ndarray:
    """A bell's samples brought to `BELL_LOUDNESS_LUFS` (see there)."""
    samples = sound_samples(sound, "bell")
    loudness = loudest_momentary(samples)
    if not np.isfinite(loudness):
        return samples
    return samples * np.float32(db_to_gain(BELL_LOUDNESS_LUFS - loudness))


def seamless_loop(samples: np.ndarray, crossfade: int) -> np.ndarray:
    """A recording made into a loop: its end is crossfaded (equal power) into its start,
    so it joins itself with no seam."""
    crossfade = min(crossfade, samples.shape[0] // 3)
    if crossfade < 2:
        return samples
    ramp = np.sin(np.linspace(0, np.pi / 2, crossfade, dtype=np.float32))[:, None]
    body = samples[crossfade:].copy()
    body[-crossfade:] = body[-crossfade:] * ramp[::-1] + samples[:crossfade] * ramp
    return body


class Bed:
    """The background: a loop, faded in and out, dipping under speech."""

    def __init__(self, background: Background, timeline: Timeline, total: int,
                 k_weighted: bool = False):
        loop = sound_samples(background.sound, "background")
        if background.sound.path is not None:
            loop = seamless_loop(loop, ms_to_samples(LOOP_CROSSFADE_MS))
        loop_rms = float(np.sqrt(np.mean(loop.astype(np.float64) ** 2))) or 1e-9
        self.loop = KWeighting.loop(loop) if k_weighted else loop
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
        sound = _looped(self.loop, start, n)
        envelope = _product(self._fades(start, n), self._ducking(start, n))
        if envelope is None:                 # most of a long track: the bed at its level
            return sound * np.float32(self.level)
        return sound * (envelope * self.level).astype(np.float32)[:, None]

    def _fades(self, start: int, n: int) -> np.ndarray | None:
        first = max(start, self.total - self.fade_out)
        fading_out = self.fade_out and first < start + n
        if start >= self.fade_in and not fading_out:
            return None
        gain = np.ones(n)
        if start < self.fade_in:
            position = start + np.arange(min(n, self.fade_in - start), dtype=np.float64)
            gain[:position.size] *= _smooth(position / self.fade_in)
        if fading_out:
            position = np.arange(first, start + n, dtype=np.float64)
            gain[first - start:] *= _smooth(np.clip((self.total - position) / self.fade_out, 0, 1))
        return gain

    def _ducking(self, start: int, n: int) -> np.ndarray | None:
        if self.duck == 1.0 or not len(self.speech):
            return None
        end = start + n
        near = self.speech[(self.speech[:, 0] - self.attack < end)
                           & (self.speech[:, 1] + self.release > start)]
        if not len(near):
            return None
        depth = np.zeros(n)
        for speech_start, speech_end in near:
            # Down over `attack` before the speech, flat under it, up over `release` after.
            _ramp(depth, start, speech_start - self.attack, speech_start)
            depth[max(0, speech_start - start):max(0, min(n, speech_end + 1 - start))] = 1.0
            _ramp(depth, start, speech_end + self.release, speech_end)
        return 1.0 - depth * (1.0 - self.duck)


def _ramp(depth: np.ndarray, start: int, zero_at: int, one_at: int) -> None:
    """Raise `depth` (which begins at sample `start`) to a smooth ramp from 0 at `zero_at`
    to 1 at `one_at` (either way round), over the samples between them."""
    lo, hi = (zero_at, one_at) if zero_at < one_at else (one_at + 1, zero_at)
    lo, hi = max(lo, start), min(hi, start + depth.size)
    if lo < hi:
        ramp = _smooth((np.arange(lo, hi, dtype=np.float64) - zero_at) / (one_at - zero_at))
        np.maximum(depth[lo - start:hi - start], ramp, out=depth[lo - start:hi - start])


def _product(*envelopes: np.ndarray | None) -> np.ndarray | None:
    """The product of the envelopes given; None (no change) when none is."""
    present = [envelope for envelope in envelopes if envelope is not None]
    if not present:
        return None
    result = present[0]
    for envelope in present[1:]:
        result = result * envelope
    return result


def _looped(loop: np.ndarray, start: int, n: int) -> np.ndarray:
    """`n` frames of `loop` repeated forever, from frame `start`."""
    offset = start % loop.shape[0]
    if offset + n <= loop.shape[0]:
        return loop[offset:offset + n]
    pieces, needed = [], n
    while needed:
        piece = loop[offset:offset + needed]
        pieces.append(piece)
        needed -= piece.shape[0]
        offset = 0
    return np.concatenate(pieces)


def _smooth(x: np.ndarray) -> np.ndarray:
    """A raised-cosine ramp: no corner where a fade starts or ends."""
    return 0.5 - 0.5 * np.cos(np.pi * x)


def render(timeline: Timeline, synthesizer: Synthesizer, *, total: int | None = None,
           block: int = BLOCK, k_weighted: bool = False) -> Iterator[np.ndarray]:
    """Yield the track as consecutive stereo float32 blocks, `total` samples in all
    (default: the timeline's length); K-weighted if `k_weighted`."""
    total = ms_to_samples(timeline.length_ms) if total is None else total
    bed = Bed(timeline.background, timeline, total, k_weighted) if timeline.background else None
    prepare = KWeighting.clip if k_weighted else _unchanged
    waiting = iter(layers_for(timeline, synthesizer, prepare))
    upcoming = next(waiting, None)
    active: list[Layer] = []
    for start in range(0, total, block):
        n = min(block, total - start)
        end = start + n
        while upcoming is not None and upcoming.start < end:
            upcoming.open()
            active.append(upcoming)
            upcoming = next(waiting, None)
        out = bed.block(start, n) if bed else np.zeros((n, 2), dtype=np.float32)
        for layer in active:
            lo, hi = max(start, layer.start), min(end, layer.end)
            if lo < hi and layer.samples is not None:         # an open layer holds its samples
                out[lo - start:hi - start] += (layer.samples[lo - layer.start:hi - layer.start]
                                               * np.float32(layer.gain))
        for layer in active:
            if layer.end <= end:
                layer.close()
        active = [layer for layer in active if layer.samples is not None]
        _fade_track_end(out, start, total)
        yield out


def _fade_track_end(out: np.ndarray, start: int, total: int) -> None:
    """The last moment of a track fades to silence, so a ringing tail never stops dead."""
    fade = ms_to_samples(END_FADE_MS)
    first = max(start, total - fade)
    if first < start + out.shape[0]:
        position = np.arange(first, start + out.shape[0], dtype=np.float64)
        out[first - start:] *= _smooth((total - position) / fade)[:, None].astype(np.float32)
