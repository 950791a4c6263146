"""Clips as the mixer reads them: held in memory (`ArrayClip`) or streamed from ffmpeg while
they play (`Sequential`), each as its *sides* (`as_sides`): its samples and, for the loudness
pass, their K-weighting beside them."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path

import numpy as np

from audio_builder.sound.loudness import KWeighting
from audio_builder.sound.media import faded_blocks, file_frames


class ArrayClip:
    """A clip held in memory, as its sides (see `as_sides`)."""

    def __init__(self, sides: np.ndarray):
        self.samples = sides
        self.frames = sides.shape[1]

    def read(self, lo: int, hi: int) -> np.ndarray:
        return self.samples[:, lo:hi]

    def close(self) -> None:
        self.samples = self.samples[:0]


class Sequential:
    """Frames from an iterator of stereo blocks (as sides: see `as_sides`), read in order:
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


def as_sides(samples: np.ndarray, weighted: bool,
           weigh: Callable[[np.ndarray], np.ndarray] = KWeighting.clip) -> np.ndarray:
    """A clip as the mix takes it: its sides, one array (sides × frames × channels) of the
    samples and, when `weighted`, their K-weighting (`weigh`) beside them."""
    shaped = samples[:, None] if samples.ndim == 1 else samples
    return np.stack([shaped, weigh(shaped).reshape(shaped.shape)]) if weighted else shaped[None]


def stream_sides(blocks: Iterator[np.ndarray], weighted: bool, *, gain: float = 1.0,
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
    return Sequential(stream_sides(faded_blocks(path, frames), weighted, gain=gain),
                      side_count(weighted), frames)


def side_count(weighted: bool) -> int:
    return 2 if weighted else 1

