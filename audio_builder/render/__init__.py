"""The renderer: from a timeline to audio, block by block.

The pipeline, in order: `clips` are the sources as the mixer reads them (held, or streamed
from ffmpeg); `levels` sets the bells against the voice actually heard; `ramps` are the smooth
curves of every fade; `bed` is the background loop, faded in and out and ducked under speech;
`mixer` lays the clips on the bed block by block (`render`, and `render_with_weighting`, which
mixes the K-weighted track beside it for mastering). Nothing holds the whole track: memory
stays flat, and time grows linearly with the track's length.

May import: the core (`errors`, `model`, `durations`, `files`, `text`, `languages`), the
planner (`timeline`), the samples' helpers (`sound`) and the synthesizer of speech (`speech`).
Never the build or publishing, which are built on it.
"""

from audio_builder.render.levels import (
    BELL_OVER_VOICE_LU,
    STANDARD_MASTERING,
    VOICE_MEDIAN_LUFS,
    bell_gain,
    leveled_bell,
    limiter_hold,
    voice_loudness,
)
from audio_builder.render.mixer import BLOCK, layers_for, render, render_with_weighting

__all__ = ["BELL_OVER_VOICE_LU", "BLOCK", "STANDARD_MASTERING", "VOICE_MEDIAN_LUFS", "bell_gain",
           "layers_for", "leveled_bell", "limiter_hold", "render", "render_with_weighting",
           "voice_loudness"]
