"""Levels against the voice: how loud a track's voice is heard (`voice_loudness`), and the
gain that sets a bell `BELL_OVER_VOICE_LU` over it."""

from __future__ import annotations

import functools
import math

import numpy as np

from audio_builder.model import SoundRef
from audio_builder.sound.audio import db_to_gain
from audio_builder.sound.loudness import KWeighting, loudest_momentary
from audio_builder.sound.media import sound_samples
from audio_builder.speech.synthesizer import Synthesizer
from audio_builder.timeline import Timeline

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


def voice_loudness(timeline: Timeline, synthesizer: Synthesizer) -> float:
    """How loud the track's voice is as it is heard: the median momentary loudness (400 ms
    windows, 100 ms apart, each piece counted as often as it is spoken) of its speech as mixed,
    in both channels. Bells and the bed are set against it, so they keep their place beside
    any voice (a recorded one, espeak, piper). `VOICE_MEDIAN_LUFS` with no speech to measure."""
    levels = [synthesizer.momentary_levels(s.utterance, s.place) for s in timeline.speech]
    heard = np.concatenate(levels) if levels else np.zeros(0)
    return float(np.median(heard)) + STEREO_LU if heard.size else VOICE_MEDIAN_LUFS


# The built-in sounds never change: weighted (and a loop's level measured) once in a process,
# not in every pass of every track (the weighting is an FFT convolution: a tenth of a cached
# build's time; the level, 50 ms for a loop).
@functools.lru_cache(maxsize=8)
def weighted_builtin_bell(sound: SoundRef, voice_lufs: float = VOICE_MEDIAN_LUFS) -> np.ndarray:
    return KWeighting.clip(leveled_bell(sound, voice_lufs))


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


