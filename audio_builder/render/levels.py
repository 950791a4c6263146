"""Levels against the voice: how loud a track's voice is heard in the finished track
(`voice_loudness`, what the final limiter will hold of it allowed for: `limiter_hold`), and
the gain that sets a bell `BELL_OVER_VOICE_LU` over it."""

from __future__ import annotations

import functools
import math

import numpy as np

from audio_builder.model import SoundRef
from audio_builder.sound.audio import SAMPLE_RATE, db_to_gain, ms_to_samples
from audio_builder.sound.loudness import KWeighting, gated_loudness, loudest_momentary
from audio_builder.sound.master import (
    DEFAULT_LOUDNESS_LUFS,
    Mastering,
    TrackSummary,
    gain_through_limiter,
    sparing_the_voice,
)
from audio_builder.sound.media import is_long, sound_samples
from audio_builder.speech.synthesizer import Synthesizer
from audio_builder.timeline import PlacedBell, Timeline

# Speech at that level measures a median momentary loudness of -21 LUFS (the piper voice,
# measured over the library).
VOICE_MEDIAN_LUFS = -21.0
STEREO_LU = 10 * math.log10(2)     # a mono clip in both channels: twice the power
# A bell at `volume: 0` is set by loudness, not by its peak: its loudest 400 ms in the first
# second after the strike sits 1.2 LU above the voice's median momentary loudness as it is
# heard in the finished track (`voice_loudness`), whatever the voice
# (benchmarks/bell_loudness.py --voices).
BELL_OVER_VOICE_LU = 1.2
# Where a bell leveled against a voice at `VOICE_MEDIAN_LUFS` has its loudest momentary.
LEVELED_BELL_LUFS = VOICE_MEDIAN_LUFS + BELL_OVER_VOICE_LU
# A track's mastering, when the caller does not say: the standard loudness for stereo.
STANDARD_MASTERING = Mastering(DEFAULT_LOUDNESS_LUFS[2])


@functools.lru_cache(maxsize=4)         # both passes of a build set their levels by it
def voice_loudness(timeline: Timeline, synthesizer: Synthesizer,
                   mastering: Mastering = STANDARD_MASTERING) -> float:
    """How loud the track's voice is heard in the finished track, against the mix: the median
    momentary loudness (400 ms windows, 100 ms apart, each piece counted as often as it is
    spoken) of its speech as mixed, in both channels, less what `mastering`'s limiter will
    hold of it (`limiter_hold`). Bells and the bed are set against it, so they keep their place
    beside any voice (a recorded one, espeak, piper). `VOICE_MEDIAN_LUFS` with no speech to
    measure."""
    levels = [synthesizer.momentary_levels(s.utterance, s.place) for s in timeline.speech]
    heard = np.concatenate(levels) if levels else np.zeros(0)
    if not heard.size:
        return VOICE_MEDIAN_LUFS
    mixed = float(np.median(heard)) + STEREO_LU
    return mixed - limiter_hold(timeline, synthesizer, mastering, mixed)


def limiter_hold(timeline: Timeline, synthesizer: Synthesizer, mastering: Mastering,
                 voice_lufs: float) -> float:
    """How much of the voice's loudness (LU) the final limiter will take, for a voice whose
    median momentary loudness as mixed is `voice_lufs`. The track's one gain lifts voice and
    bells alike, but the limiter then holds the voice's loudest syllables and hardly a bell's
    slow swell, so a voice whose track needs more gain is heard quieter against its bells (a
    short piper practice needs 7 dB, 2 more than espeak's: its bells came out 1.7 LU over its
    voice, 0.8 over espeak and over a recorded voice).

    Worked out from a sketch of the track, without mixing it: the K-weighted energy of every
    spoken piece and bell at its place, 100 ms at a time, gives the gain the track will need
    (bells count: in a sparse practice their rings are much of what is measured); then the
    voice alone, its pieces joined, is taken through the limiter's model (`TrackSummary`, as
    mastering uses it) at that gain, raised as mastering raises it to make up what the
    limiter takes; what it holds is measured as the bells are set, on the median momentary
    loudness. The bed and other recordings are left out of the sketch (they sit far
    under the voice), and so is a bell file too long to hold."""
    if mastering.loudness_lufs is None:
        return 0.0
    steps = np.zeros(timeline.length_ms // 100 + 2)       # mean square, both channels summed
    with TrackSummary(1) as voice:
        for placed in timeline.speech:
            samples = synthesizer.samples(placed.utterance, placed.place)[:, None]
            weighted = KWeighting.clip(samples)
            voice.add(samples, weighted)
            _add_steps(steps, placed.start_ms, 2 * np.square(weighted[:, 0], dtype=np.float64))
        for bell in timeline.bells:
            if bell.sound.path is None or not is_long(bell.sound.path):
                steps_of_bell = _bell_steps(bell.sound)
                room = min(steps_of_bell.size, steps.size - bell.start_ms // 100)
                steps[bell.start_ms // 100:][:room] += steps_of_bell[:room] * _bell_power(bell, voice_lufs)
        track, joined = gated_loudness(steps), voice.loudness()
        if not (math.isfinite(track) and math.isfinite(joined)):
            return 0.0
        # The sketch is of a stereo track; a mono one (the channels' mean) measures the voice
        # 3 LU lower, and its target is 3 LU lower too.
        target = mastering.loudness_lufs + (STEREO_LU if mastering.channels == 1 else 0.0)
        gain_db = target - mastering.encoder_shift - track
        gain_db = gain_through_limiter(voice, gain_db, joined + gain_db)
        gain_db = sparing_the_voice(voice, voice.mask([(0, voice.frames)]), gain_db)   # as mastering does
        held = np.median(voice.momentary(gain_db)) - np.median(voice.momentary(gain_db, limited=True))
        return max(0.0, float(held))


def _bell_power(bell: PlacedBell, voice_lufs: float) -> float:
    """What the mix does to the power of a bell that `_bell_steps` measured (leveled against a
    voice at `VOICE_MEDIAN_LUFS`, so its loudest momentary is `LEVELED_BELL_LUFS`) to ring it
    beside a voice at `voice_lufs`, at its `volume`: `bell_gain`, and the bell's volume, squared."""
    return (bell_gain(LEVELED_BELL_LUFS, voice_lufs) * db_to_gain(bell.volume_db)) ** 2


@functools.lru_cache(maxsize=8)
def _bell_steps(sound: SoundRef) -> np.ndarray:
    """The mean square (K-weighted, channels summed) of each 100 ms of a bell leveled against
    a voice at `VOICE_MEDIAN_LUFS`."""
    weighted = (weighted_builtin_bell(sound) if sound.path is None
                else KWeighting.clip(leveled_bell(sound)))
    steps = np.zeros(weighted.shape[0] // (SAMPLE_RATE // 10) + 1)
    _add_steps(steps, 0, np.square(weighted, dtype=np.float64) @ np.ones(weighted.shape[1]))
    return steps


def _add_steps(steps: np.ndarray, start_ms: int, squares: np.ndarray) -> None:
    """Add a clip's squares (per sample, from `start_ms`) to `steps`, the mean square of each
    100 ms of the track."""
    step = SAMPLE_RATE // 10
    at = ms_to_samples(start_ms)
    first, lead = divmod(at, step)
    padded = np.concatenate([np.zeros(lead), squares, np.zeros(-(lead + squares.size) % step)])
    sums = padded.reshape(-1, step).sum(axis=1) / step
    room = min(sums.size, steps.size - first)
    if room > 0:
        steps[first:first + room] += sums[:room]


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


