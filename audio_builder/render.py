"""From a timeline to audio, block by block.

Nothing here holds the whole track: each block of about 1.5 s is mixed from the clips that
overlap it; a clip is loaded when the first block reaches it and let go after its last, so
memory stays flat and time grows linearly with the track's length. Blocks are stereo
float32 at 44.1 kHz.

Mastering measures the track K-weighted, as a loudness meter hears it: every source is
K-weighted before it is mixed, and the mix is then the K-weighted track (the filter is
linear, and the bed's gain moves far more slowly than the filter's 93 ms response), at a
fraction of the cost of weighting the whole mix. `render_with_weighting` mixes the plain
track and the K-weighted one together: each source is held as its *sides*, one array
(sides × frames × channels) of its samples and their weighting, so the clips are read, and
the scheduling, ducking and fades worked out, once for both.
"""

from __future__ import annotations

import functools
import math
from collections.abc import Callable, Generator, Iterator
from contextlib import closing
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from audio_builder.model import Background, SoundRef
from audio_builder.sound.audio import (
    SPEECH_RMS_DB,
    add_per_frame,
    db_to_gain,
    ms_to_samples,
    times_per_frame,
)
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
# Speech at that level measures a median momentary loudness of -21 LUFS (the piper voice,
# measured over the library).
VOICE_MEDIAN_LUFS = -21.0
STEREO_LU = 10 * math.log10(2)     # a mono clip in both channels: twice the power
# A bell at `volume: 0` is set by loudness, not by its peak: its loudest 400 ms in the first
# second after the strike sits 0.8 LU above the voice's median momentary loudness as mixed
# (`voice_loudness`). Heard in the mastered track it comes out 0.8 to 1.6 LU over: the final
# limiter holds a voice's peaks a little when its track needs more gain (piper: 2 dB more than
# espeak), a bell's hardly at all (benchmarks/bell_loudness.py).
BELL_OVER_VOICE_LU = 0.8
DUCK_ATTACK_MS = 400           # the bed starts dipping this long before speech
DUCK_RELEASE_MS = 1200         # and comes back up over this long after it
END_FADE_MS = 500
LOOP_CROSSFADE_MS = 2000       # where a user's background file joins its own start


class ArrayClip:
    """A clip held in memory, as its sides (see `_sides`)."""

    def __init__(self, sides: np.ndarray):
        self.samples = sides
        self.frames = sides.shape[1]

    def read(self, lo: int, hi: int) -> np.ndarray:
        return self.samples[:, lo:hi]

    def close(self) -> None:
        self.samples = self.samples[:0]


class Sequential:
    """Frames from an iterator of stereo blocks (as sides: see `_sides`), read in order:
    `read(lo, hi)` continues where the last read ended (a gap is skipped); past the end,
    silence."""

    def __init__(self, blocks: Iterator[np.ndarray], sides: int, frames: int | None = None):
        self.blocks = blocks
        self.frames = frames if frames is not None else 1 << 62
        self.position = 0
        self.pending = np.zeros((sides, 0, 2), np.float32)

    def read(self, lo: int, hi: int) -> np.ndarray:
        if lo < self.position:
            raise ValueError("a streamed clip is read in order")
        self._fill(hi - self.position)
        out = self.pending[:, lo - self.position:hi - self.position]
        self.pending = self.pending[:, hi - self.position:]
        self.position = hi
        return out

    def _fill(self, wanted: int) -> None:
        pieces, have = [self.pending], self.pending.shape[1]
        while have < wanted:
            block = next(self.blocks, None)
            if block is None:
                pieces.append(np.zeros((self.pending.shape[0], wanted - have, 2), np.float32))
                break
            pieces.append(block)
            have += block.shape[1]
        if len(pieces) > 1:
            self.pending = np.concatenate(pieces, axis=1)

    def close(self) -> None:
        close = getattr(self.blocks, "close", None)
        if close:
            close()                     # stops the decoder


Clip = ArrayClip | Sequential


@dataclass
class Layer:
    """A clip placed on the track from `start` (samples), loaded only while it plays."""

    start: int
    load: Callable[[], np.ndarray | Clip]      # sides (see `_sides`) or a clip
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


def _sides(samples: np.ndarray, weighted: bool,
           weigh: Callable[[np.ndarray], np.ndarray] = KWeighting.clip) -> np.ndarray:
    """A clip as the mix takes it: its sides, one array (sides × frames × channels) of the
    samples and, when `weighted`, their K-weighting (`weigh`) beside them."""
    shaped = samples[:, None] if samples.ndim == 1 else samples
    return np.stack([shaped, weigh(shaped).reshape(shaped.shape)]) if weighted else shaped[None]


def _stream_sides(blocks: Iterator[np.ndarray], weighted: bool, *, gain: float = 1.0,
                  before: np.ndarray | None = None) -> Iterator[np.ndarray]:
    """A stream's blocks times `gain`, as sides: K-weighted as `KWeighting.clip` weights a
    whole clip (after `before`, when given)."""
    weighting = KWeighting(2, before=before) if weighted else None
    try:
        for block in blocks:
            if gain != 1.0:
                block = block * np.float32(gain)
            yield (block[None] if weighting is None
                   else np.stack([block, weighting.process(block).astype(np.float32)]))
    finally:
        close = getattr(blocks, "close", None)
        if close:
            close()                             # stops the decoder


def streamed_file(path: Path, weighted: bool, gain: float = 1.0) -> Sequential:
    """A long file as a clip read from ffmpeg while it plays (memory stays flat)."""
    frames = file_frames(path)
    return Sequential(_stream_sides(faded_blocks(path, frames), weighted, gain=gain),
                      _side_count(weighted), frames)


def _side_count(weighted: bool) -> int:
    return 2 if weighted else 1


def voice_loudness(timeline: Timeline, synthesizer: Synthesizer) -> float:
    """How loud the track's voice is as it is heard: the median momentary loudness (400 ms
    windows, 100 ms apart, each piece counted as often as it is spoken) of its speech as mixed,
    in both channels. Bells and the bed are set against it, so they keep their place beside
    any voice (a recorded one, espeak, piper). `VOICE_MEDIAN_LUFS` with no speech to measure."""
    levels = [synthesizer.momentary_levels(s.utterance, s.place) for s in timeline.speech]
    heard = np.concatenate(levels) if levels else np.zeros(0)
    return float(np.median(heard)) + STEREO_LU if heard.size else VOICE_MEDIAN_LUFS


def layers_for(timeline: Timeline, synthesizer: Synthesizer, weighted: bool = False,
               voice_lufs: float = VOICE_MEDIAN_LUFS) -> list[Layer]:
    """The track's clips as layers, its bells set against a voice at `voice_lufs` (see
    `voice_loudness`)."""
    def speech(s: PlacedSpeech) -> np.ndarray:
        return _sides(synthesizer.samples(s.utterance, s.place), weighted)

    @functools.cache                                    # a bell is rung again and again
    def held_bell(sound: SoundRef) -> np.ndarray:
        weigh = KWeighting.clip if sound.path else lambda _: weighted_builtin_bell(sound, voice_lufs)
        return _sides(leveled_bell(sound, voice_lufs), weighted, weigh)

    @functools.cache
    def streamed_bell_gain(path: Path) -> float:
        frames = file_frames(path)
        return bell_gain(loudest_momentary_streamed(lambda: faded_blocks(path, frames)), voice_lufs)

    def bell(sound: SoundRef) -> np.ndarray | Clip:
        with located(sound.place):
            if sound.path is not None and is_long(sound.path):
                return streamed_file(sound.path, weighted, streamed_bell_gain(sound.path))
            return held_bell(sound)

    def recording(c: PlacedSound) -> np.ndarray | Clip:
        return streamed_file(c.file, weighted) if is_long(c.file) else _sides(decode_file(c.file), weighted)

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
def weighted_builtin_bell(sound: SoundRef, voice_lufs: float = VOICE_MEDIAN_LUFS) -> np.ndarray:
    return KWeighting.clip(leveled_bell(sound, voice_lufs))


@functools.lru_cache(maxsize=4)
def builtin_loop_sides(name: str) -> np.ndarray:
    """A built-in loop beside its K-weighting, as sides (see `_sides`)."""
    return _sides(sound_samples(SoundRef(name=name), "background"), True, KWeighting.loop)


@functools.lru_cache(maxsize=8)
def builtin_loop_rms(name: str) -> float:
    return _rms(sound_samples(SoundRef(name=name), "background"))


def _rms(samples: np.ndarray) -> float:
    return float(np.sqrt(np.mean(np.square(samples, dtype=np.float64))))


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
                 weighted: bool = False, voice_lufs: float = VOICE_MEDIAN_LUFS):
        crossfade = ms_to_samples(LOOP_CROSSFADE_MS)
        name, path = background.sound.name, background.sound.path
        self.source: InMemoryLoop | Sequential
        with located(background.sound.place):
            if name is not None:
                loop_rms = builtin_loop_rms(name)
                self.source = InMemoryLoop(builtin_loop_sides(name) if weighted
                                           else _sides(sound_samples(background.sound, "background"), False))
            elif path is not None and is_long(path):
                loop_rms, tail = _loop_measures(path, crossfade)
                self.source = Sequential(_stream_sides(_loop_blocks(path, crossfade), weighted, before=tail),
                                         _side_count(weighted))
            else:
                loop = seamless_loop(sound_samples(background.sound, "background"), crossfade)
                loop_rms = _rms(loop)
                self.source = InMemoryLoop(_sides(loop, weighted, KWeighting.loop))
        # `volume` below the voice: below its level, moved by how loud it is heard against
        # the voice the level was measured on (a band-limited voice is quieter at one RMS)
        heard = voice_lufs - VOICE_MEDIAN_LUFS
        self.level = db_to_gain(SPEECH_RMS_DB + heard + background.volume_db) / (loop_rms or 1e-9)
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
        """The bed from `start`, `n` frames, as sides (see `_sides`)."""
        sound = self.source.read(start, start + n)
        envelope = _product(self._fades(start, n), self._ducking(start, n))
        if envelope is None:                 # most of a long track: the bed at its level
            return sound * np.float32(self.level)
        envelope *= self.level
        return times_per_frame(sound, envelope.astype(np.float32))

    def _fades(self, start: int, n: int) -> np.ndarray | None:
        first = max(start, self.total - self.fade_out)
        fading_out = self.fade_out and first < start + n
        if start >= self.fade_in and not fading_out:
            return None
        gain = np.ones(n)
        if start < self.fade_in:
            gain[:self.fade_in - start] *= _ramp_part(self.fade_in, start, min(start + n, self.fade_in))
        if fading_out:           # by the distance from the track's end, the ramp backwards
            gain[first - start:] *= _ramp_part(self.fade_out, self.total - (start + n) + 1,
                                               self.total - first + 1)[::-1]
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
        depth *= 1.0 - self.duck
        return np.subtract(1.0, depth, out=depth)


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


def _ramp_part(length: int, lo: int, hi: int) -> np.ndarray:
    """`_smooth(k / length)` for k from `lo` to `hi` - 1: from the whole ramp worked out once,
    when it is no longer than `RAMP_HELD_MOST` (the default fades are), else worked out here."""
    if length <= RAMP_HELD_MOST:
        return _ramp_shape(length)[lo:hi]
    return _smooth(np.arange(lo, hi, dtype=np.float64) / length)


RAMP_HELD_MOST = ms_to_samples(12_000)        # 4 MB of ramp; eight held at most


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
        result *= envelope                   # each is a new array, made for this block
    return result


class InMemoryLoop:
    """A loop held in memory (as sides: see `_sides`), repeated forever."""

    def __init__(self, loop: np.ndarray):
        self.loop = loop

    def read(self, lo: int, hi: int) -> np.ndarray:
        return _looped(self.loop, lo, hi - lo)

    def close(self) -> None:
        pass


def _looped(loop: np.ndarray, start: int, n: int) -> np.ndarray:
    """`n` frames of `loop` (sides × frames × channels) repeated forever, from frame `start`."""
    frames = loop.shape[1]
    offset = start % frames
    if offset + n <= frames:
        return loop[:, offset:offset + n]
    pieces, needed = [], n
    while needed:
        piece = loop[:, offset:offset + needed]
        pieces.append(piece)
        needed -= piece.shape[1]
        offset = 0
    return np.concatenate(pieces, axis=1)


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


def _smooth(x: np.ndarray) -> np.ndarray:
    """A raised-cosine ramp: no corner where a fade starts or ends."""
    return 0.5 - 0.5 * np.cos(np.pi * x)


def render(timeline: Timeline, synthesizer: Synthesizer, *, total: int | None = None,
           block: int = BLOCK) -> Generator[np.ndarray, None, None]:
    """Yield the track as consecutive stereo float32 blocks, `total` samples in all
    (default: the timeline's length)."""
    with closing(_render(timeline, synthesizer, total, block, weighted=False)) as blocks:
        for sides in blocks:
            yield sides[0]


def render_with_weighting(timeline: Timeline, synthesizer: Synthesizer, *, total: int | None = None,
                          block: int = BLOCK) -> Generator[np.ndarray, None, None]:
    """As `render`, each block (2 × frames × 2) holding the plain mix and its K-weighting."""
    yield from _render(timeline, synthesizer, total, block, weighted=True)


def _render(timeline: Timeline, synthesizer: Synthesizer, total: int | None, block: int,
            weighted: bool) -> Generator[np.ndarray, None, None]:
    total = ms_to_samples(timeline.length_ms) if total is None else total
    voice = voice_loudness(timeline, synthesizer)
    bed = Bed(timeline.background, timeline, total, weighted, voice) if timeline.background else None
    waiting = iter(layers_for(timeline, synthesizer, weighted, voice))
    upcoming = next(waiting, None)
    active: list[Layer] = []
    try:
        yield from _mix(bed, waiting, upcoming, active, total, block, _side_count(weighted))
    finally:                       # stop any decoder still reading a file
        for layer in active:
            layer.close()
        if bed is not None:
            bed.close()


def _mix(bed: Bed | None, waiting: Iterator[Layer], upcoming: Layer | None, active: list[Layer],
         total: int, block: int, sides: int) -> Iterator[np.ndarray]:
    for start in range(0, total, block):
        n = min(block, total - start)
        end = start + n
        while upcoming is not None and upcoming.start < end:
            upcoming.open()
            active.append(upcoming)
            upcoming = next(waiting, None)
        out = bed.block(start, n) if bed else np.zeros((sides, n, 2), dtype=np.float32)
        for layer in active:
            lo, hi = max(start, layer.start), min(end, layer.end)
            if lo < hi and layer.clip is not None:
                samples = layer.clip.read(lo - layer.start, hi - layer.start)
                if layer.gain != 1.0:          # speech: added as it is, not copied times one
                    samples = samples * np.float32(layer.gain)
                add_per_frame(out[:, lo - start:hi - start], samples)
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
    end = start + out.shape[1]
    if first < end:
        ramp = _ramp_part(fade, total - end + 1, total - first + 1)[::-1]
        out[:, first - start:] = times_per_frame(out[:, first - start:], ramp.astype(np.float32))
