"""The teacher's own voice: takes, their cleaning, and the commands around them."""

from __future__ import annotations

import wave
from pathlib import Path

import numpy as np
import pytest
import yaml

from audio_builder.speech.takes import take_id
from tests.conftest import decode_mono, ffprobe_duration, run, write

RATE = 48_000


def fake_speech(seconds: float, level_db: float = -20.0, rate: int = RATE, seed: int = 1) -> np.ndarray:
    """Syllable-like bursts of a voiced buzz: loud enough, shaped like speech."""
    rng = np.random.default_rng(seed)
    t = np.arange(int(seconds * rate)) / rate
    buzz = np.sign(np.sin(2 * np.pi * 140 * t)) * 0.5 + 0.3 * np.sin(2 * np.pi * 420 * t)
    envelope = np.clip(np.sin(2 * np.pi * 3.5 * t), 0, None) ** 0.5
    signal = buzz * (0.6 + 0.4 * envelope) + 0.02 * rng.standard_normal(t.size)
    signal *= 10 ** (level_db / 20) / np.sqrt(np.mean(signal ** 2))
    return signal.astype(np.float32)


def room(seconds: float, rate: int = RATE, level_db: float = -55.0, seed: int = 2) -> np.ndarray:
    noise = np.random.default_rng(seed).standard_normal(int(seconds * rate))
    return (noise * 10 ** (level_db / 20)).astype(np.float32)


def save_wav(path: Path, samples: np.ndarray, rate: int = RATE, channels: int = 1) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    data = np.clip(samples, -1, 1)
    if channels == 2:
        data = np.repeat(data[:, None], 2, axis=1)
    with wave.open(str(path), "wb") as file:
        file.setnchannels(channels)
        file.setsampwidth(2)
        file.setframerate(rate)
        file.writeframes((data * 32767).astype("<i2").tobytes())
    return path


def take(seconds: float = 1.5, *, before: float = 0.6, after: float = 0.8, **speech) -> np.ndarray:
    return np.concatenate([room(before), fake_speech(seconds, **speech) + room(seconds, seed=3),
                           room(after, seed=4)])


LINES = ["Find a comfortable position.", "Let your eyes close.", "Breathe in slowly."]


@pytest.fixture
def teacher(project):
    write(project / "voices" / "draft.yaml", "engine: tones\n")
    write(project / "voices" / "teacher.yaml", "engine: recorded\nfallback: draft\n")
    write(project / "scripts" / "a.yaml", f"""
        title: A
        voice: teacher
        length: 30s
        steps:
          - {LINES[0]}
          - pause: 2s..
          - say: {LINES[1]} {LINES[2]}
          - pause: 2s
        """)
    return project


def test_take_ids_follow_the_words_not_the_punctuation():
    assert take_id("Find a comfortable position.") == take_id("find a  comfortable position")
    assert take_id("Find a comfortable position.") != take_id("Find a comfortable place.")
    assert take_id("Find a comfortable position.").startswith("find-a-comfortable-position-")


def test_takes_lists_lines_writes_the_index_and_a_sheet(teacher):
    save_wav(teacher / "takes" / "teacher" / f"{take_id(LINES[1])}.wav", take(1.2))
    result = run("takes", "scripts/a.yaml", "--sheet", "sheet.md")
    assert result.exit_code == 0, result.output
    rows = [line.split() for line in result.output.splitlines() if line[:3].strip().isdigit()]
    assert [row[2] for row in rows] == [take_id(text) for text in LINES]
    assert [row[3] for row in rows] == ["missing", rows[1][3], "missing"]
    assert rows[1][3].startswith("0:02.")       # 2.6 s of file
    assert "1 of 3 takes ready" in result.output
    index = yaml.safe_load((teacher / "takes" / "teacher" / "takes.yaml").read_text())
    assert index == {take_id(text): text for text in LINES}
    sheet = (teacher / "sheet.md").read_text()
    assert "1. Find a comfortable position." in sheet and take_id(LINES[2]) in sheet


def test_a_recorded_line_is_cleaned_levelled_and_planned_at_its_own_length(teacher):
    # Stereo, 48 kHz, with a rumble at 30 Hz and room noise around 1.5 s of speech.
    samples = take(1.5)
    samples += 0.05 * np.sin(2 * np.pi * 30 * np.arange(samples.size) / RATE).astype(np.float32)
    save_wav(teacher / "takes" / "teacher" / f"{take_id(LINES[0])}.wav", samples, channels=2)
    plan = run("plan", "scripts/a.yaml")
    assert plan.exit_code == 0, plan.output
    first = next(line for line in plan.output.splitlines() if "Find a" in line)
    assert "[recorded]" in first
    length = first.split()[1]
    assert length.startswith("0:01.")
    ms = int(length[2:4]) * 1000 + int(length[5:])
    assert 1500 <= ms <= 1500 + 50 + 150 + 30          # the speech, a short lead-in and tail
    assert "[synthetic: no take, draft]" in plan.output

    built = run("build", "scripts/a.yaml")
    assert built.exit_code == 0, built.output
    assert "draft: 2 lines with no take of voice 'teacher' spoken by 'draft'" in built.output
    audio = decode_mono(teacher / "output" / "a.mp3")
    assert abs(ffprobe_duration(teacher / "output" / "a.mp3") - 30) < 0.05
    def hum_against_voice(samples, rate):
        spectrum = np.abs(np.fft.rfft(samples))
        freqs = np.fft.rfftfreq(samples.size, 1 / rate)
        return spectrum[(freqs > 25) & (freqs < 35)].max() / spectrum[(freqs > 130) & (freqs < 150)].max()

    before = hum_against_voice(samples[int(0.6 * RATE):int(2.1 * RATE)], RATE)
    after = hum_against_voice(audio[:int(1.5 * 44_100)], 44_100)
    assert after < before / 10 ** (20 / 20)             # the 30 Hz hum is 20 dB lower or more


def test_replacing_a_take_rebuilds_that_piece_only(teacher):
    folder = teacher / "takes" / "teacher"
    save_wav(folder / f"{take_id(LINES[0])}.wav", take(1.5))
    save_wav(folder / f"{take_id(LINES[1])}.wav", take(1.0))
    assert run("build", "scripts/a.yaml").exit_code == 0
    save_wav(folder / f"{take_id(LINES[0])}.wav", take(1.7, seed=9))
    result = run("build", "scripts/a.yaml")
    assert "speech: 2 of 3 pieces from the cache, 1 spoken" in result.output


def test_one_practice_mixes_a_recorded_voice_and_a_synthetic_one(teacher):
    write(teacher / "scripts" / "b.yaml", f"""
        title: B
        steps:
          - say: {{text: {LINES[0]}, voice: teacher}}
          - And welcome.
        """)
    write(teacher / "voices" / "default.yaml", "engine: tones\n")
    save_wav(teacher / "takes" / "teacher" / f"{take_id(LINES[0])}.wav", take(1.0))
    plan = run("plan", "scripts/b.yaml").output
    assert "[recorded] Find a" in plan and "[synthetic] And welcome." in plan


@pytest.mark.parametrize("samples, problem", [
    (np.zeros(RATE), "silent"),
    (np.full(RATE // 10, 0.0), "shorter than 0.2 s"),
    (take(1.0, level_db=-48), "too quiet"),
    (np.concatenate([room(0.3), np.clip(fake_speech(1.0, level_db=-3) * 4, -1, 1)]), "clipped"),
])
def test_a_bad_take_is_an_error_naming_the_line_and_the_file(teacher, samples, problem):
    path = save_wav(teacher / "takes" / "teacher" / f"{take_id(LINES[0])}.wav", samples)
    for command in ("check", "build"):
        result = run(command, "scripts/a.yaml")
        assert result.exit_code == 2, result.output
        assert problem in result.output
        first = next(line for line in result.output.splitlines() if problem in line)
        assert str(Path("takes/teacher") / path.name) in first and "line 5" in first
    assert not (teacher / "output" / "a.mp3").exists()


def test_an_unreadable_take_and_a_missing_one_without_fallback(teacher):
    (teacher / "takes" / "teacher").mkdir(parents=True)
    (teacher / "takes" / "teacher" / f"{take_id(LINES[0])}.mp3").write_text("not audio")
    result = run("build", "scripts/a.yaml")
    assert result.exit_code == 2
    assert "cannot read this take as audio" in result.output and "Traceback" not in result.output
    (teacher / "takes" / "teacher" / f"{take_id(LINES[0])}.mp3").unlink()
    write(teacher / "voices" / "teacher.yaml", "engine: recorded\n")
    result = run("build", "scripts/a.yaml")
    assert result.exit_code == 2
    assert f"scripts/a.yaml:5: voice 'teacher' has no take of \"{LINES[0]}\"" in result.output
    assert f"takes/teacher/{take_id(LINES[0])}.wav" in result.output
    check = run("check", "scripts/a.yaml")
    assert check.exit_code == 2 and check.output.count("has no take") == 3


def test_profile_errors(project):
    write(project / "voices" / "t.yaml", "engine: recorded\nfallback: nobody\n")
    write(project / "scripts" / "a.yaml", "title: A\nvoice: t\nsteps:\n  - Hi.\n")
    result = run("check")
    assert result.exit_code == 2
    assert "voices/t.yaml:2: `fallback: nobody` is no voice profile" in result.output
    write(project / "voices" / "t.yaml", "engine: recorded\ntakes: ../../elsewhere\n")
    assert "outside the project" in run("check").output
    write(project / "voices" / "t.yaml", "engine: recorded\nbreaths: sometimes\n")
    assert "`breaths: sometimes`" in run("check").output
