"""Smooth ramps (raised cosine), for the bed's fades and ducking and the track's last fade."""

from __future__ import annotations

import functools

import numpy as np

from audio_builder.sound.audio import ms_to_samples


def ramp_part(length: int, lo: int, hi: int) -> np.ndarray:
    """`smooth(k / length)` for k from `lo` to `hi` - 1: from the whole ramp worked out once,
    when it is no longer than `RAMP_HELD_MOST` (the default fades are), else worked out here."""
    if length <= RAMP_HELD_MOST:
        return ramp_shape(length)[lo:hi]
    return smooth(np.arange(lo, hi, dtype=np.float64) / length)


RAMP_HELD_MOST = ms_to_samples(12_000)        # 4 MB of ramp; eight held at most


@functools.lru_cache(maxsize=8)
def ramp_shape(length: int) -> np.ndarray:
    """`smooth(k / length)` for k from 0 to `length`: a ramp by the distance from its zero
    end, worked out once rather than for every block under every piece of speech."""
    shape = smooth(np.arange(length + 1, dtype=np.float64) / length)
    shape.flags.writeable = False
    return shape



def smooth(x: np.ndarray) -> np.ndarray:
    """A raised-cosine ramp: no corner where a fade starts or ends."""
    return 0.5 - 0.5 * np.cos(np.pi * x)

