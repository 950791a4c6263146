"""A sentence of any length is spoken in bounded pieces, so memory does not grow with the text:
the cutting rule (pure, property-based), the cache keys of ordinary sentences, and the memory
of a long sentence spoken by the real voices."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
from conftest import espeak_available, write
from hypothesis import given, settings
from hypothesis import strategies as st

from audio_builder import open_project
from audio_builder.model import Place, Utterance
from audio_builder.sound.audio import SAMPLE_RATE
from audio_builder.speech.cache import SpeechCache, speech_key
from audio_builder.speech.synthesizer import Synthesizer, VoiceBook
from audio_builder.text import (
    MAX_PHRASE_WORDS,
    MAX_PIECE_WORDS,
    cut_between_words,
    split_phrases,
    split_pieces,
)

ROOT = Path(__file__).resolve().parent.parent
PUNCTUATION = ("", "", "", "", ",", ";", ":", "...", "…", "—")
RUN = settings(max_examples=100, deadline=None, derandomize=True)

word = st.sampled_from("Rest the body and let breath come go as it will while mind's "
                       "ease softens now here".split())
token = st.tuples(word, st.sampled_from(PUNCTUATION)).map("".join)
dash = st.sampled_from(["-", "–", "—"])
tokens = st.one_of(token, token, token, dash)
sentences = st.one_of(st.lists(tokens, min_size=1, max_size=100),
                      st.lists(tokens, min_size=60, max_size=300)).map(" ".join)


def words_of(text: str) -> list[str]:
    """The words as a listener reads them: punctuation and lone dashes aside."""
    return re.findall(r"[A-Za-z']+", text)


def ends_at_punctuation(text: str) -> bool:
    return text.endswith((",", ";", ":", "...", "…", "—", "-", "–"))


@RUN
@given(sentences)
def test_phrases_keep_every_word_in_order_and_no_phrase_is_too_long(text):
    phrases = split_phrases(text)
    assert words_of(" ".join(p.text for p in phrases)) == words_of(text)
    assert all(1 <= p.words <= MAX_PHRASE_WORDS for p in phrases)
    for phrase in phrases[:-1]:
        # A cut between words is marked run-on; a cut at punctuation is not.
        assert phrase.run_on != ends_at_punctuation(phrase.text), phrase
    assert not phrases or not phrases[-1].run_on


@RUN
@given(sentences)
def test_pieces_are_bounded_whole_runs_of_the_sentence(text):
    sentence = " ".join(text.split())
    pieces = split_pieces(text)
    total = len(sentence.split())
    if total <= MAX_PIECE_WORDS:
        # Every ordinary sentence stays one piece, word for word: its cached clip still fits.
        assert [p.text for p in pieces] == [sentence]
        return
    assert " ".join(p.text for p in pieces) == sentence
    assert all(p.words <= MAX_PIECE_WORDS for p in pieces)
    assert len(pieces) <= total // (MAX_PIECE_WORDS // 2) + 1            # none needlessly short
    for piece in pieces[:-1]:
        assert piece.run_on != ends_at_punctuation(piece.text), piece
    # Each piece ends where one of the sentence's phrases ends.
    assert ends(pieces, sentence) <= ends(split_phrases(sentence), sentence)


def ends(parts, sentence: str) -> set[int]:
    """Where in `sentence` the words of each of `parts` (its stretches, in order) end."""
    found, cursor = set(), 0
    for part in parts:
        start = sentence.index(part.text, cursor)
        cursor = start + len(part.text)
        found.add(start + len(part.text.rstrip("—–- ")))
    return found


@RUN
@given(st.lists(word, min_size=1, max_size=300), st.integers(min_value=4, max_value=40))
def test_a_run_of_words_is_cut_into_near_equal_parts(words, most):
    cuts = cut_between_words(words, most)
    bounds = [0, *cuts, len(words)]
    parts = [b - a for a, b in zip(bounds, bounds[1:], strict=False)]
    assert all(1 <= size <= most for size in parts)
    assert len(parts) <= -(-len(words) // most) + 1
    assert all(size >= (-(-len(words) // len(parts))) * 3 // 4 - 1 for size in parts[:-1])


def test_a_cut_between_words_falls_before_a_joining_word_when_one_is_near():
    words = ("rest the whole body on the ground and let the breath come and go as it "
             "will without any effort at all").split()
    cuts = cut_between_words(words, 10)
    assert [words[cut] for cut in cuts] == ["and", "as"]


def test_an_ordinary_sentence_keeps_its_cache_key(tmp_path):
    """Pieces already in a cache stay valid: the key of a sentence that needs no cut between
    words is made of exactly what it was made of before long sentences were cut."""
    write(tmp_path / "voices" / "default.yaml", "engine: tones\nrate: 0.7\n")
    synthesizer = Synthesizer(VoiceBook(open_project(tmp_path).profiles), SpeechCache(tmp_path / "c"))
    place = Place("t.yaml", 1)
    for text in ["Breathe in, and out.", " ".join(["calm"] * 24) + ", " + " ".join(["calm"] * 24)]:
        assert synthesizer.key(Utterance(text, "default"), place) == speech_key(
            text=text, engine="tones:tones:100ms", rate=0.7, phrase_pause_ms=450,
            sample_rate=SAMPLE_RATE)
    run_on = " ".join(["calm"] * 30)
    assert synthesizer.key(Utterance(run_on, "default"), place) != speech_key(
        text=run_on, engine="tones:tones:100ms", rate=0.7, phrase_pause_ms=450,
        sample_rate=SAMPLE_RATE)


# --- the real voices ----------------------------------------------------------------------

PROBE = """
import resource, subprocess, sys
code = subprocess.run([sys.executable, '-m', 'audio_builder', *sys.argv[1:]],
                      stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
print(code.returncode, resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss, code.stderr[-300:])
"""


def plan_peak_mb(project: Path, engine: str, words: int) -> float:
    """`plan` (which speaks every piece) of one sentence of `words` words, in a child process;
    the largest resident memory of it and its children, from the kernel."""
    sys.path.insert(0, str(ROOT / "benchmarks"))
    from memory import run_on_sentence

    write(project / "voices" / "default.yaml", f"engine: {engine}\nrate: 1.0\n")
    write(project / "scripts" / "long.yaml",
          f"title: Long\nsteps:\n  - {run_on_sentence(words)}\n")
    env = {**os.environ, "PYTHONPATH": str(ROOT), "AUDIO_BUILDER_CACHE": str(project / "cache")}
    result = subprocess.run([sys.executable, "-c", PROBE, "plan", "scripts/long.yaml"],
                            cwd=project, env=env, capture_output=True, text=True, check=True)
    code, kilobytes, *error = result.stdout.split(maxsplit=2)
    assert code == "0", error
    return int(kilobytes) / 1024


@pytest.mark.voice
def test_a_long_sentence_in_the_default_voice_stays_small_in_memory(project):
    # 120 words with no punctuation at the voice's own pace: 34 s of speech in two pieces,
    # each spoken in parts of at most 24 words, each part decoded in 3-second windows.
    # Measured: 392 MB (8 words: 373 MB). As one piece decoded whole, about 700 MB.
    assert plan_peak_mb(project, "piper", 120) < 450


@pytest.mark.voice
@pytest.mark.skipif(not espeak_available(), reason="espeak-ng is not installed")
def test_a_long_sentence_in_the_system_voice_stays_small_in_memory(project):
    # 500 words: 3 minutes of speech in 7 pieces. Measured: 144 MB (8 words: 56 MB);
    # 1,000 words as one piece took 2 GB.
    assert plan_peak_mb(project, "pyttsx3", 500) < 250


@pytest.mark.voice
def test_the_default_voice_decoded_in_windows_gives_the_same_samples(monkeypatch):
    from audio_builder.speech.engines.piper_engine import PiperEngine, SeededSession

    text = ("Let the breath come and go on its own as the body rests on the ground and the "
            "mind settles slowly into the quiet of this moment")
    engine = PiperEngine(None, None)
    in_windows = engine.synthesize(text, 0.6).samples
    monkeypatch.setattr(SeededSession, "DECODE_FRAMES", 10**9)
    assert in_windows.size > 3 * SeededSession.CONTEXT_FRAMES * 256
    assert (engine.synthesize(text, 0.6).samples == in_windows).all()


@pytest.mark.voice
def test_the_default_voice_is_cut_once_and_then_loaded_light_from_its_parts(tmp_path, monkeypatch):
    from audio_builder.speech.engines.piper_engine import PiperEngine

    def speak() -> np.ndarray:
        monkeypatch.setattr(PiperEngine, "_loaded", {})      # load the voice again
        return PiperEngine(None, None).synthesize("Rest here, just as you are.", 0.9).samples

    cached = speak()                     # parts of the run's own cache, made by an earlier test
    monkeypatch.setenv("AUDIO_BUILDER_CACHE", str(tmp_path))
    made = speak()
    [folder] = (tmp_path / "voices").iterdir()
    decoder = folder / "decoder.onnx"
    assert sorted(path.name for path in folder.iterdir()) == ["decoder.onnx", "text-to-frames.onnx"]
    whole = decoder.read_bytes()
    decoder.write_bytes(whole[:len(whole) // 2])           # damaged: made again
    again = speak()
    assert decoder.read_bytes() == whole
    assert (made == cached).all() and (again == cached).all()

    # A later process loads the parts without onnx, and without the copies cutting makes
    # (the load had peaked at 380 MB).
    load = ("import pathlib, sys; from audio_builder.speech.engines.piper_engine import "
            "PiperEngine; PiperEngine(None, None)._voice(); print('onnx' in sys.modules); "
            "status = pathlib.Path('/proc/self/status'); "
            "print(*[line for line in status.read_text().splitlines() if 'VmHWM' in line] "
            "if status.exists() else [])")
    result = subprocess.run([sys.executable, "-c", load], capture_output=True, text=True,
                            env={**os.environ, "PYTHONPATH": str(ROOT)}, check=True)
    imported, *peak = result.stdout.split()
    assert imported == "False"
    if peak:                                               # Linux: "VmHWM: 154000 kB"
        assert int(peak[1]) < 250 * 1024
