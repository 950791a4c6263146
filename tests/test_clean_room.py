"""The clean room: a recorded voice's takes have the room's steady noise (hiss, hum and its
harmonics) reduced and turned down between words, so levelling raises the voice and not the
room, and the room does not switch on with every line. Measured on a built track, with the
line times read from its captions (webvtt) and its audio decoded by ffmpeg."""

from __future__ import annotations

import numpy as np
import pytest

from audio_builder.speech.takes import take_id
from tests.conftest import decode_mono, run, write
from tests.readings import RATE, PhoneRoom, save_mono

LINES = ["Find a comfortable position.", "Let your eyes close.", "Breathe in slowly."]


def words(seconds: float, seed: int) -> np.ndarray:
    """Syllables of a voiced buzz (150 ms each, 90 ms apart), in words with short gaps between
    them: speech with the silences between words that a room's noise shows through."""
    rng = np.random.default_rng(seed)
    t = np.arange(int(seconds * RATE)) / RATE
    buzz = np.sign(np.sin(2 * np.pi * 130 * t)) * 0.5 + 0.3 * np.sin(2 * np.pi * 390 * t)
    envelope = np.zeros(t.size)
    position = 0.0
    while position < seconds - 0.2:
        for _ in range(int(rng.integers(1, 4))):                 # a word of 1 to 3 syllables
            start, end = int(position * RATE), int((position + 0.15) * RATE)
            envelope[start:end] = np.sin(np.linspace(0, np.pi, end - start)) ** 0.5
            position += 0.24
        position += 0.25                                            # the gap after the word
    signal = buzz * envelope
    return (signal * 0.1 / np.sqrt(np.mean(signal[envelope > 0] ** 2))).astype(np.float32)


def phone_takes(project, seconds: float = 2.5) -> None:
    """Each line's take as a phone in a humming, hissing room records it."""
    room = PhoneRoom()
    for seed, line in enumerate(LINES):
        silence = np.zeros(int(0.5 * RATE), np.float32)
        heard = room.apply(np.concatenate([silence, words(seconds, seed), silence]))
        save_mono(project / "takes" / "teacher" / f"{take_id(line)}.wav", heard)


@pytest.fixture
def phone(project):
    phone_takes(project)
    write(project / "voices" / "teacher.yaml", "engine: recorded\n")
    steps = "\n".join(f"  - {line}\n  - pause: 4s" for line in LINES)
    write(project / "scripts" / "a.yaml",
          f"title: A\nvoice: teacher\nbackground: rain\nsteps:\n{steps}\n")
    return project


def figures(project, name: str = "a") -> tuple[float, float]:
    """(dB from the voice down to the quietest tenth inside its lines; dB from the level
    between lines, where the bed plays alone, up to that quietest tenth)."""
    import webvtt

    samples = decode_mono(project / "output" / f"{name}.wav")
    frame = 441                                   # 10 ms at the 44.1 kHz decode_mono gives
    usable = samples[: samples.size // frame * frame].reshape(-1, frame).astype(np.float64)
    levels = 10 * np.log10(np.maximum(np.mean(usable ** 2, axis=1), 1e-14))

    def at(stamp: str) -> int:
        hours, minutes, seconds = stamp.split(":")
        return round((int(hours) * 3600 + int(minutes) * 60 + float(seconds)) * 100)

    captions = webvtt.read(str(project / "output" / f"{name}.vtt"))
    spans = [(at(cue.start), at(cue.end)) for cue in captions]
    assert len(spans) == len(LINES)
    voice, inside, between = [], [], []
    for start, end in spans:
        line = np.sort(levels[start:end])
        voice.append(10 * np.log10(np.mean(10 ** (line[line.size // 2:] / 10))))
        inside.append(np.percentile(line, 10))
    for (_, end), (start, _) in zip(spans, spans[1:], strict=False):
        between.append(np.median(levels[end + 150:start - 50]))
    return float(np.mean(voice) - np.mean(inside)), float(np.mean(inside) - np.median(between))


def test_the_room_is_reduced_inside_lines_and_never_raised_over_the_bed(phone):
    result = run("build", "--format", "wav", "--mono")
    assert result.exit_code == 0, result.output
    under, over_bed = figures(phone)
    assert under >= 30, under
    assert over_bed <= 3, over_bed


def test_noise_reduction_off_leaves_the_room_as_recorded(phone):
    write(phone / "voices" / "teacher.yaml", "engine: recorded\nnoise_reduction: false\n")
    result = run("build", "--format", "wav", "--mono")
    assert result.exit_code == 0, result.output
    under, over_bed = figures(phone)
    assert under < 25 and over_bed > 5, (under, over_bed)      # the room as the phone heard it


def test_a_clean_take_is_left_clean(project):
    """A take recorded in a quiet room: the voice's every syllable stays, none is turned down."""
    from audio_builder.speech.takes import (
        expand_below_speech,
        frame_levels_db,
        high_pass,
        reduce_noise,
    )

    silence = np.zeros(RATE // 2, np.float32)
    speech = np.concatenate([silence, words(2.0, 4), silence])
    hiss = np.random.default_rng(5).standard_normal(speech.size).astype(np.float32)
    quiet = speech + np.float32(10 ** (-70 / 20)) * hiss
    cleaned = expand_below_speech(reduce_noise(high_pass(quiet, RATE), RATE), RATE)
    before, after = frame_levels_db(high_pass(quiet, RATE), RATE), frame_levels_db(cleaned, RATE)
    loud = before > np.percentile(before, 95) - 20
    assert np.all(np.abs(after[loud] - before[loud]) < 1.5)


def test_noise_reduction_is_a_setting_of_the_recorded_voice(project):
    write(project / "voices" / "teacher.yaml", "engine: recorded\nnoise_reduction: gently\n")
    write(project / "scripts" / "a.yaml", "title: A\nvoice: teacher\nsteps:\n  - Hello.\n")
    result = run("check")
    assert result.exit_code == 2
    assert "teacher.yaml:2" in result.output and "noise_reduction" in result.output
    write(project / "voices" / "teacher.yaml", "engine: recorded\nnoise_reduction: off\n")
    from audio_builder.script.voices import load_profile

    assert load_profile(project / "voices" / "teacher.yaml").noise_reduction is False
