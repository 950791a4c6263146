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
import math
from collections.abc import Callable, Generator, Iterator
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from audio_builder.model import Background, SoundRef
from audio_builder.sound.audio import db_to_gain, ms_to_samples
from audio_builder.sound.loudness import (
    KWeighting,
    k_weighting_response,
    loudest_momentary,
    loudest_momentary_streamed,
)
from audio_builder.sound.media import (
    decode_file,
    faded_blocks,
    file_frames,
    is_long,
    located,
    sound_samples,
)
from audio_builder.speech.synthesizer import Synthesizer
from audio_builder.timeline import PlacedSound, PlacedSpeech, Timeline

BLOCK = 65_536
VOICE_RMS_DB = -20.0          # the level speech clips are brought to (audio.normalize_speech)
# Speech at that level measures a median momentary loudness of -21 LUFS (the piper voice,
# measured over the library).
VOICE_MEDIAN_LUFS = -21.0
# A bell at `volume: 0` is set by loudness, not by its peak: its loudest 400 ms in the first
# second after the strike sits 1 LU above the voice's median momentary loudness.
BELL_OVER_VOICE_LU = 1.0
DUCK_ATTACK_MS = 400           # the bed starts dipping this long before speech
DUCK_RELEASE_MS = 1200         # and comes back up over this long after it
END_FADE_MS = 500
LOOP_CROSSFADE_MS = 2000       # where a user's background file joins its own start


class ArrayClip:
    """A clip held in memory."""

    def __init__(self, samples: np.ndarray):
        self.samples = samples[:, None] if samples.ndim == 1 else samples
        self.frames = self.samples.shape[0]

    def read(self, lo: int, hi: int) -> np.ndarray:
        return self.samples[lo:hi]

    def close(self) -> None:
        self.samples = self.samples[:0]


class Sequential:
    """Frames from an iterator of blocks, read in order: `read(lo, hi)` continues where the
    last read ended (a gap is skipped); past the end, silence."""

    def __init__(self, blocks: Iterator[np.ndarray], frames: int | None = None):
        self.blocks = blocks
        self.frames = frames if frames is not None else 1 << 62
        self.position = 0
        self.pending = np.zeros((0, 2), np.float32)

    def read(self, lo: int, hi: int) -> np.ndarray:
        if lo < self.position:
            raise ValueError("a streamed clip is read in order")
        self._fill(hi - self.position)
        out = self.pending[lo - self.position:hi - self.position]
        self.pending = self.pending[hi - self.position:]
        self.position = hi
        return out

    def _fill(self, wanted: int) -> None:
        pieces, have = [self.pending], self.pending.shape[0]
        while have < wanted:
            block = next(self.blocks, None)
            if block is None:
                pieces.append(np.zeros((wanted - have, 2), np.float32))
                break
            pieces.append(block)
            have += block.shape[0]
        if len(pieces) > 1:
            self.pending = np.concatenate(pieces)

    def close(self) -> None:
        close = getattr(self.blocks, "close", None)
        if close:
            close()                     # stops the decoder


Clip = ArrayClip | Sequential


@dataclass
class Layer:
    """A clip placed on the track from `start` (samples), loaded only while it plays."""

    start: int
    load: Callable[[], np.ndarray | Clip]      # samples (frames × 1 or 2) or a clip
    gain: float = 1.0
    clip: Clip | None = field(default=None, repr=False)
    end: int = 0

    def open(self) -> None:
        loaded = self.load()
        self.clip = ArrayClip(loaded) if isinstance(loaded, np.ndarray) else loaded
        self.end = self.start + self.clip.frames

    def close(self) -> None:
        if self.clip is not None:
            self.clip.close()
        self.clip = None


def _unchanged(samples: np.ndarray) -> np.ndarray:
    return samples


def weighted_blocks(blocks: Iterator[np.ndarray], before: np.ndarray | None = None) -> Iterator[np.ndarray]:
    """K-weighted blocks of a stream, as `KWeighting.clip` weights a whole clip."""
    weighting = KWeighting(2, before=before)
    for block in blocks:
        yield weighting.process(block).astype(np.float32)


def streamed_file(path: Path, k_weighted: bool, gain: float = 1.0) -> Sequential:
    """A long file as a clip read from ffmpeg while it plays (memory stays flat)."""
    frames = file_frames(path)
    blocks: Iterator[np.ndarray] = faded_blocks(path, frames)
    if gain != 1.0:
        blocks = (block * np.float32(gain) for block in blocks)
    return Sequential(weighted_blocks(blocks) if k_weighted else blocks, frames)


def layers_for(timeline: Timeline, synthesizer: Synthesizer, k_weighted: bool = False) -> list[Layer]:
    prepare = KWeighting.clip if k_weighted else _unchanged

    def speech(s: PlacedSpeech) -> np.ndarray:
        return prepare(synthesizer.samples(s.utterance, s.place))

    @functools.cache                                    # a bell is rung again and again
    def held_bell(sound: SoundRef) -> np.ndarray:
        if k_weighted and sound.path is None:
            return weighted_builtin_bell(sound)
        return prepare(leveled_bell(sound))

    @functools.cache
    def streamed_bell_gain(path: Path) -> float:
        frames = file_frames(path)
        return bell_gain(loudest_momentary_streamed(lambda: faded_blocks(path, frames)))

    def bell(sound: SoundRef) -> np.ndarray | Clip:
        with located(sound.place):
            if sound.path is not None and is_long(sound.path):
                return streamed_file(sound.path, k_weighted, streamed_bell_gain(sound.path))
            return held_bell(sound)

    def recording(c: PlacedSound) -> np.ndarray | Clip:
        return streamed_file(c.file, k_weighted) if is_long(c.file) else prepare(decode_file(c.file))

    layers = [Layer(ms_to_samples(s.start_ms), functools.partial(speech, s)) for s in timeline.speech]
    layers += [Layer(ms_to_samples(b.start_ms), functools.partial(bell, b.sound),
                     db_to_gain(b.volume_db)) for b in timeline.bells]
    layers += [Layer(ms_to_samples(c.start_ms), functools.partial(recording, c),
                     db_to_gain(c.volume_db)) for c in timeline.sounds]
    return sorted(layers, key=lambda layer: layer.start)


# The built-in sounds never change: weighted (and a loop's level measured) once in a process,
# not in every pass of every track (the weighting is an FFT convolution: a tenth of a cached
# build's time; the level, 50 ms for a loop).
@functools.lru_cache(maxsize=8)
def weighted_builtin_bell(sound: SoundRef) -> np.ndarray:
    return KWeighting.clip(leveled_bell(sound))


@functools.lru_cache(maxsize=8)
def weighted_builtin_loop(name: str) -> np.ndarray:
    return KWeighting.loop(sound_samples(SoundRef(name=name), "background"))


@functools.lru_cache(maxsize=8)
def builtin_loop_rms(name: str) -> float:
    return _rms(sound_samples(SoundRef(name=name), "background"))


def _rms(samples: np.ndarray) -> float:
    return float(np.sqrt(np.mean(samples.astype(np.float64) ** 2)))


@functools.lru_cache(maxsize=8)
def leveled_bell(sound: SoundRef, voice_lufs: float = VOICE_MEDIAN_LUFS) -> np.ndarray:
    """A bell's samples, its loudest 400 ms `BELL_OVER_VOICE_LU` over a voice whose median
    momentary loudness is `voice_lufs`: by default the voice as clips are mixed here; the
    live player gives the voice of the track it plays."""
    samples = sound_samples(sound, "bell")
    gain = bell_gain(loudest_momentary(samples), voice_lufs)
    return samples if gain == 1.0 else samples * np.float32(gain)


def bell_gain(loudness: float, voice_lufs: float = VOICE_MEDIAN_LUFS) -> float:
    """What brings a bell heard at `loudness` (its loudest momentary) to `BELL_OVER_VOICE_LU`
    over a voice at `voice_lufs`; the same for a held bell and a streamed one (longer than
    `WHOLE_FILE_FRAMES`)."""
    return db_to_gain(voice_lufs + BELL_OVER_VOICE_LU - loudness) if math.isfinite(loudness) else 1.0


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
    """The background: a loop, faded in and out, dipping under speech.

    A built-in background or a file up to `WHOLE_FILE_FRAMES` is held as one loop; a longer
    file is streamed from ffmpeg (see `streamed_loop`), so memory does not grow with it."""

    def __init__(self, background: Background, timeline: Timeline, total: int,
                 k_weighted: bool = False):
        crossfade = ms_to_samples(LOOP_CROSSFADE_MS)
        path = background.sound.path
        self.source: InMemoryLoop | Sequential
        with located(background.sound.place):
            if path is not None and is_long(path):
                loop_rms, tail = _loop_measures(path, crossfade)
                self.source = streamed_loop(path, crossfade, tail if k_weighted else None)
            else:
                loop = sound_samples(background.sound, "background")
                if path is not None:
                    loop = seamless_loop(loop, crossfade)
                loop_rms = (builtin_loop_rms(background.sound.name)
                            if background.sound.name is not None else _rms(loop))
                if k_weighted:
                    loop = (weighted_builtin_loop(background.sound.name)
                            if background.sound.name is not None else KWeighting.loop(loop))
                self.source = InMemoryLoop(loop)
        self.level = db_to_gain(VOICE_RMS_DB + background.volume_db) / (loop_rms or 1e-9)
        self.duck = db_to_gain(-background.duck_db)
        self.fade_in = ms_to_samples(background.fade_in_ms)
        self.fade_out = ms_to_samples(background.fade_out_ms)
        self.total = total
        self.speech = np.array([(ms_to_samples(s.start_ms), ms_to_samples(s.end_ms))
                                for s in timeline.speech], dtype=np.int64).reshape(-1, 2)
        self.attack = ms_to_samples(DUCK_ATTACK_MS)
        self.release = ms_to_samples(DUCK_RELEASE_MS)

    def close(self) -> None:
        self.source.close()

    def block(self, start: int, n: int) -> np.ndarray:
        sound = self.source.read(start, start + n)
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
        shape = _ramp_shape(abs(one_at - zero_at))
        ramp = (shape[lo - zero_at:hi - zero_at] if zero_at < one_at
                else shape[zero_at - hi + 1:zero_at - lo + 1][::-1])
        np.maximum(depth[lo - start:hi - start], ramp, out=depth[lo - start:hi - start])


@functools.lru_cache(maxsize=8)
def _ramp_shape(length: int) -> np.ndarray:
    """`_smooth(k / length)` for k from 0 to `length`: a ramp by the distance from its zero
    end, worked out once rather than for every block under every piece of speech."""
    shape = _smooth(np.arange(length + 1, dtype=np.float64) / length)
    shape.flags.writeable = False
    return shape


def _product(*envelopes: np.ndarray | None) -> np.ndarray | None:
    """The product of the envelopes given; None (no change) when none is."""
    present = [envelope for envelope in envelopes if envelope is not None]
    if not present:
        return None
    result = present[0]
    for envelope in present[1:]:
        result = result * envelope
    return result


class InMemoryLoop:
    """A loop held in memory, repeated forever."""

    def __init__(self, loop: np.ndarray):
        self.loop = loop

    def read(self, lo: int, hi: int) -> np.ndarray:
        return _looped(self.loop, lo, hi - lo)

    def close(self) -> None:
        pass


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


def _loop_blocks(path: Path, crossfade: int) -> Iterator[np.ndarray]:
    """`seamless_loop` of a long file, repeated forever, as blocks decoded while they
    play: each pass skips the file's first `crossfade` frames, and its last `crossfade`
    frames are crossfaded into those first ones (the only part held in memory)."""
    frames = file_frames(path)
    crossfade = min(crossfade, frames // 3)
    head = _first_frames(path, frames, crossfade)
    ramp = np.sin(np.linspace(0, np.pi / 2, crossfade, dtype=np.float32))[:, None]
    joint = frames - crossfade                  # where the crossfade into the start begins
    while True:
        position = 0
        for block in faded_blocks(path, frames):
            start, end = position, position + block.shape[0]
            position = end
            if end <= crossfade:
                continue
            piece = block[max(0, crossfade - start):]
            first = max(start, crossfade)
            if end > joint:
                piece = piece.copy()
                lo = max(first, joint)
                k, m = lo - joint, end - lo
                piece[lo - first:] = piece[lo - first:] * ramp[::-1][k:k + m] + head[k:k + m] * ramp[k:k + m]
            yield piece


def _first_frames(path: Path, frames: int, count: int) -> np.ndarray:
    """The first `count` frames of the file, faded as decoded."""
    pieces, have = [np.zeros((0, 2), np.float32)], 0
    blocks = faded_blocks(path, frames)
    for block in blocks:
        pieces.append(block[:count - have])
        have += pieces[-1].shape[0]
        if have >= count:
            break
    blocks.close()
    return np.concatenate(pieces)


@functools.lru_cache(maxsize=4)
def _loop_measures(path: Path, crossfade: int) -> tuple[float, np.ndarray]:
    """The RMS of one pass of a long file's loop, and the loop's last frames (what a
    filter has heard before the loop starts again), read through once."""
    body = file_frames(path) - min(crossfade, file_frames(path) // 3)
    history = k_weighting_response().size
    squares, seen, tail = 0.0, 0, np.zeros((0, 2), np.float32)
    for block in _loop_blocks(path, crossfade):
        block = block[:body - seen]
        squares += float(np.sum(np.square(block, dtype=np.float64)))
        seen += block.shape[0]
        tail = np.concatenate([tail, block])[-history:]
        if seen >= body:
            break
    return math.sqrt(squares / max(1, 2 * body)), tail


def streamed_loop(path: Path, crossfade: int, weighted_after: np.ndarray | None) -> Sequential:
    """A long background file as an endless loop read while it plays; K-weighted (as
    `KWeighting.loop` weights a loop) when given the loop's end to weight after."""
    blocks = _loop_blocks(path, crossfade)
    if weighted_after is not None:
        blocks = weighted_blocks(blocks, before=weighted_after)
    return Sequential(blocks)


def _smooth(x: np.ndarray) -> np.ndarray:
    """A raised-cosine ramp: no corner where a fade starts or ends."""
    return 0.5 - 0.5 * np.cos(np.pi * x)


def render(timeline: Timeline, synthesizer: Synthesizer, *, total: int | None = None,
           block: int = BLOCK, k_weighted: bool = False) -> Generator[np.ndarray, None, None]:
    """Yield the track as consecutive stereo float32 blocks, `total` samples in all
    (default: the timeline's length); K-weighted if `k_weighted`."""
    total = ms_to_samples(timeline.length_ms) if total is None else total
    bed = Bed(timeline.background, timeline, total, k_weighted) if timeline.background else None
    waiting = iter(layers_for(timeline, synthesizer, k_weighted))
    upcoming = next(waiting, None)
    active: list[Layer] = []
    try:
        yield from _mix(bed, waiting, upcoming, active, total, block)
    finally:                       # stop any decoder still reading a file
        for layer in active:
            layer.close()
        if bed is not None:
            bed.close()


def _mix(bed: Bed | None, waiting: Iterator[Layer], upcoming: Layer | None, active: list[Layer],
         total: int, block: int) -> Iterator[np.ndarray]:
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
            if lo < hi and layer.clip is not None:
                samples = layer.clip.read(lo - layer.start, hi - layer.start)
                if layer.gain != 1.0:          # speech: added as it is, not copied times one
                    samples = samples * np.float32(layer.gain)
                out[lo - start:hi - start] += samples
        for layer in active:
            if layer.end <= end:
                layer.close()
        active[:] = [layer for layer in active if layer.clip is not None]
        _fade_track_end(out, start, total)
        yield out


def _fade_track_end(out: np.ndarray, start: int, total: int) -> None:
    """The last moment of a track fades to silence, so a ringing tail never stops dead."""
    fade = ms_to_samples(END_FADE_MS)
    first = max(start, total - fade)
    if first < start + out.shape[0]:
        position = np.arange(first, start + out.shape[0], dtype=np.float64)
        out[first - start:] *= _smooth((total - position) / fade)[:, None].astype(np.float32)
