"""The background bed: a loop (built in, a file held whole, or a long file streamed from
ffmpeg and joined to its own start), faded in and out, dipping under speech."""

from __future__ import annotations

import functools
import math
from collections.abc import Iterator
from pathlib import Path

import numpy as np

from audio_builder.model import Background, SoundRef
from audio_builder.render.clips import Sequential, as_sides, side_count, stream_sides
from audio_builder.render.levels import VOICE_MEDIAN_LUFS
from audio_builder.render.ramps import ramp_part, ramp_shape
from audio_builder.sound.audio import SPEECH_RMS_DB, db_to_gain, ms_to_samples, times_per_frame
from audio_builder.sound.loudness import KWeighting, k_weighting_response
from audio_builder.sound.media import faded_blocks, file_frames, is_long, located, sound_samples
from audio_builder.timeline import Timeline

DUCK_ATTACK_MS = 400           # the bed starts dipping this long before speech
DUCK_RELEASE_MS = 1200         # and comes back up over this long after it
LOOP_CROSSFADE_MS = 2000       # where a user's background file joins its own start


# Held once in a process, as the built-in bells are (see `levels.weighted_builtin_bell`).
@functools.lru_cache(maxsize=4)
def builtin_loop_sides(name: str) -> np.ndarray:
    """A built-in loop beside its K-weighting, as sides (see `as_sides`)."""
    return as_sides(sound_samples(SoundRef(name=name), "background"), True, KWeighting.loop)


@functools.lru_cache(maxsize=8)
def builtin_loop_rms(name: str) -> float:
    return _rms(sound_samples(SoundRef(name=name), "background"))


def _rms(samples: np.ndarray) -> float:
    return float(np.sqrt(np.mean(np.square(samples, dtype=np.float64))))



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
                self.source = InMemoryLoop(
                    builtin_loop_sides(name) if weighted
                    else as_sides(sound_samples(background.sound, "background"), False))
            elif path is not None and is_long(path):
                loop_rms, tail = _loop_measures(path, crossfade)
                self.source = Sequential(stream_sides(_loop_blocks(path, crossfade), weighted, before=tail),
                                         side_count(weighted))
            else:
                loop = seamless_loop(sound_samples(background.sound, "background"), crossfade)
                loop_rms = _rms(loop)
                self.source = InMemoryLoop(as_sides(loop, weighted, KWeighting.loop))
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
        """The bed from `start`, `n` frames, as sides (see `as_sides`)."""
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
            gain[:self.fade_in - start] *= ramp_part(self.fade_in, start, min(start + n, self.fade_in))
        if fading_out:           # by the distance from the track's end, the ramp backwards
            gain[first - start:] *= ramp_part(self.fade_out, self.total - (start + n) + 1,
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
        shape = ramp_shape(abs(one_at - zero_at))
        ramp = (shape[lo - zero_at:hi - zero_at] if zero_at < one_at
                else shape[zero_at - hi + 1:zero_at - lo + 1][::-1])
        np.maximum(depth[lo - start:hi - start], ramp, out=depth[lo - start:hi - start])



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
    """A loop held in memory (as sides: see `as_sides`), repeated forever."""

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


