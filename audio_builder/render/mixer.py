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
from collections.abc import Callable, Generator, Iterator
from contextlib import closing
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from audio_builder.model import SoundRef
from audio_builder.render.bed import Bed
from audio_builder.render.clips import ArrayClip, Clip, as_sides, side_count, streamed_file
from audio_builder.render.levels import (
    STANDARD_MASTERING,
    VOICE_MEDIAN_LUFS,
    bell_gain,
    leveled_bell,
    voice_loudness,
    weighted_builtin_bell,
)
from audio_builder.render.ramps import ramp_part
from audio_builder.sound.audio import add_per_frame, db_to_gain, ms_to_samples, times_per_frame
from audio_builder.sound.loudness import KWeighting, loudest_momentary_streamed
from audio_builder.sound.master import Mastering
from audio_builder.sound.media import decode_file, faded_blocks, file_frames, is_long, located
from audio_builder.speech.synthesizer import Synthesizer
from audio_builder.timeline import PlacedSound, PlacedSpeech, Timeline

BLOCK = 65_536
END_FADE_MS = 500


@dataclass
class Layer:
    """A clip placed on the track from `start` (samples), loaded only while it plays."""

    start: int
    load: Callable[[], np.ndarray | Clip]      # sides (see `as_sides`) or a clip
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


def layers_for(timeline: Timeline, synthesizer: Synthesizer, weighted: bool = False,
               voice_lufs: float = VOICE_MEDIAN_LUFS) -> list[Layer]:
    """The track's clips as layers, its bells set against a voice at `voice_lufs` (see
    `voice_loudness`)."""
    def speech(s: PlacedSpeech) -> np.ndarray:
        return as_sides(synthesizer.samples(s.utterance, s.place), weighted)

    @functools.cache                                    # a bell is rung again and again
    def held_bell(sound: SoundRef) -> np.ndarray:
        weigh = KWeighting.clip if sound.path else lambda _: weighted_builtin_bell(sound, voice_lufs)
        return as_sides(leveled_bell(sound, voice_lufs), weighted, weigh)

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
        return streamed_file(c.file, weighted) if is_long(c.file) else as_sides(decode_file(c.file), weighted)

    layers = [Layer(ms_to_samples(s.start_ms), functools.partial(speech, s)) for s in timeline.speech]
    layers += [Layer(ms_to_samples(b.start_ms), functools.partial(bell, b.sound),
                     db_to_gain(b.volume_db)) for b in timeline.bells]
    layers += [Layer(ms_to_samples(c.start_ms), functools.partial(recording, c),
                     db_to_gain(c.volume_db)) for c in timeline.sounds]
    return sorted(layers, key=lambda layer: layer.start)



def render(timeline: Timeline, synthesizer: Synthesizer, *, total: int | None = None,
           block: int = BLOCK, mastering: Mastering = STANDARD_MASTERING
           ) -> Generator[np.ndarray, None, None]:
    """Yield the track as consecutive stereo float32 blocks, `total` samples in all
    (default: the timeline's length), its levels set for `mastering` (see `voice_loudness`)."""
    with closing(_render(timeline, synthesizer, total, block, False, mastering)) as blocks:
        for sides in blocks:
            yield sides[0]


def render_with_weighting(timeline: Timeline, synthesizer: Synthesizer, *, total: int | None = None,
                          block: int = BLOCK, mastering: Mastering = STANDARD_MASTERING
                          ) -> Generator[np.ndarray, None, None]:
    """As `render`, each block (2 × frames × 2) holding the plain mix and its K-weighting."""
    yield from _render(timeline, synthesizer, total, block, True, mastering)


def _render(timeline: Timeline, synthesizer: Synthesizer, total: int | None, block: int,
            weighted: bool, mastering: Mastering) -> Generator[np.ndarray, None, None]:
    total = ms_to_samples(timeline.length_ms) if total is None else total
    voice = voice_loudness(timeline, synthesizer, mastering)
    bed = Bed(timeline.background, timeline, total, weighted, voice) if timeline.background else None
    waiting = iter(layers_for(timeline, synthesizer, weighted, voice))
    upcoming = next(waiting, None)
    active: list[Layer] = []
    try:
        yield from _mix(bed, waiting, upcoming, active, total, block, side_count(weighted))
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
        ramp = ramp_part(fade, total - end + 1, total - first + 1)[::-1]
        out[:, first - start:] = times_per_frame(out[:, first - start:], ramp.astype(np.float32))
