"""Bells and the bed follow the loudness of the voice a track is spoken in, not a fixed
figure for one synthetic voice: a bright voice and a dull one, at the same RMS, are heard
several LU apart, and each track's bell sits the same 1 LU or so over its own voice.
Measured on the built tracks with pyloudnorm (BS.1770), speech where the captions say."""

from __future__ import annotations

import numpy as np
import pytest

from audio_builder.speech.takes import take_id
from tests.conftest import decode, write
from tests.readings import save_mono

RATE = 44_100
LINES = ["Rest here for a moment.", "Feel the breath come and go.", "Let the body soften."]


def voice(seconds: float, bright: bool, seed: int) -> np.ndarray:
    """Syllables of a buzz: its harmonics from 2 to 5 kHz only (bright), or a low tone (dull)."""
    t = np.arange(int(seconds * RATE)) / RATE
    pitch = 140 + 10 * seed
    if bright:
        phases = np.random.default_rng(seed).uniform(0, 2 * np.pi, 40)      # a speech-like crest
        sound = sum(np.sin(2 * np.pi * pitch * k * t + phases[k]) for k in range(1, 40)
                    if 2000 < pitch * k < 5000)
    else:
        sound = np.sin(2 * np.pi * pitch * t)
    envelope = np.clip(np.sin(2 * np.pi * 3 * t), 0, None) ** 0.5
    samples = sound * envelope
    samples = samples * 0.1 / np.sqrt(np.mean(samples ** 2))
    silence = np.zeros(RATE // 2)
    return np.concatenate([silence, samples, silence]).astype(np.float32)


def bell_over_voice(project, name: str) -> tuple[float, float]:
    """(the voice's median momentary loudness, the bell's loudest momentary over it)."""
    import pyloudnorm
    import webvtt

    audio = decode(project / "output" / f"{name}.wav", 2, RATE).astype(np.float64)
    meter = pyloudnorm.Meter(RATE, block_size=0.4)
    window, hop = int(0.4 * RATE), RATE // 10

    def seconds(stamp: str) -> float:
        hours, minutes, rest = stamp.split(":")
        return int(hours) * 3600 + int(minutes) * 60 + float(rest)

    speech = []
    for cue in webvtt.read(str(project / "output" / f"{name}.vtt")):
        first, last = int(seconds(cue.start) * RATE), int(seconds(cue.end) * RATE) - window
        speech += [meter.integrated_loudness(audio[s:s + window]) for s in range(first, last, hop)]
    median = float(np.median([level for level in speech if np.isfinite(level)]))
    bell = max(meter.integrated_loudness(audio[s:s + window]) for s in range(0, 2 * RATE, RATE // 100))
    return median, bell - median


@pytest.fixture
def two_voices(project):
    for kind in ("bright", "dull"):
        write(project / "voices" / f"{kind}.yaml", "engine: recorded\nnoise_reduction: false\n")
        for seed, line in enumerate(LINES):
            save_mono(project / "takes" / kind / f"{take_id(line)}.wav", voice(2.0, kind == "bright", seed),
                      RATE)
        steps = "\n".join(f"  - {line}" for line in LINES)
        write(project / "scripts" / f"{kind}.yaml",
              f"title: {kind}\nvoice: {kind}\nbackground: rain\nsteps:\n  - bell: 1\n{steps}\n"
              "  - pause: 2s\n")
    return project


def test_bells_sit_over_the_voice_actually_used(two_voices):
    from tests.conftest import run

    result = run("build", "--format", "wav")
    assert result.exit_code == 0, result.output
    _, bright_bell = bell_over_voice(two_voices, "bright")
    _, dull_bell = bell_over_voice(two_voices, "dull")
    for over in (bright_bell, dull_bell):
        assert 1.0 <= over <= 1.5, (bright_bell, dull_bell)
    assert abs(bright_bell - dull_bell) < 0.8


def test_the_voice_loudness_of_a_timeline(two_voices):
    """`render.voice_loudness` measures what is mixed: the louder voice measures louder."""
    import audio_builder as ab
    from audio_builder.render import voice_loudness

    levels = {}
    for kind in ("bright", "dull"):
        builder = ab.Builder(ab.open_project(two_voices))
        [plan] = builder.plan(ab.load_script(two_voices / "scripts" / f"{kind}.yaml"))
        levels[kind] = voice_loudness(plan.timeline, builder.synthesizer)
    assert levels["bright"] - levels["dull"] > 3.0, levels       # the same RMS, heard far apart


PRACTICE = ["Find a comfortable position, sitting or lying down.", "Let your eyes close, if that "
            "feels right.", "Take a slow breath in, and let it go.", "Notice where your body meets "
            "the floor.", "There is nothing you need to do right now.", "Let the breath find its own "
            "rhythm.", "When the mind wanders, gently come back.", "Rest here for a few moments."]


@pytest.mark.voice
def test_bells_sit_over_the_voice_the_limiter_holds(project):
    """A short practice in the default (piper) voice needs some 7 dB of gain to reach its
    loudness, and the final limiter then holds the voice's peaks, not the bells' (the bells
    came out 1.7 LU over it, against 0.8 over espeak): the bells are set against the voice
    as it comes out of the limiter, so they sit 1 to 1.5 LU over it."""
    import audio_builder as ab
    from audio_builder.render import STANDARD_MASTERING, limiter_hold, voice_loudness
    from tests.conftest import run

    half = len(PRACTICE) // 2
    steps = ["  - bell: bowl", *(f"  - {line}" for line in PRACTICE[:half]), "  - bell: chime",
             *(f"  - {line}" for line in PRACTICE[half:]), "  - pause: 2s", "  - bell: gong"]
    write(project / "scripts" / "bells.yaml", "title: bells\nsteps:\n" + "\n".join(steps) + "\n")
    result = run("build", "--format", "wav", "scripts/bells.yaml")
    assert result.exit_code == 0, result.output
    builder = ab.Builder(ab.open_project(project))
    [plan] = builder.plan(ab.load_script(project / "scripts" / "bells.yaml"))
    heard = voice_loudness(plan.timeline, builder.synthesizer, STANDARD_MASTERING)
    assert limiter_hold(plan.timeline, builder.synthesizer, STANDARD_MASTERING, heard) > 0.3
    _, over = bell_over_voice(project, "bells")
    assert 1.0 <= over <= 1.5, over
