"""The computer's own voice: espeak-ng on Linux (run directly), pyttsx3 elsewhere.

On Linux pyttsx3 is a thin layer over espeak-ng that races with it (a sentence of a few
dozen words failed 8 times in 10 with a missing file) and crashes on very long text, so
there the `espeak-ng` program is run once per phrase instead: text in on stdin, a WAV out
on stdout, nothing on disk. The synthesizer never gives an engine more than a phrase of a
few dozen words, so every call is small and bounded.
"""

from __future__ import annotations

import contextlib
import functools
import io
import os
import shutil
import subprocess
import tempfile
import wave
from pathlib import Path

import numpy as np

from audio_builder.speech.engines.base import EngineUnavailable, SpeechAudio, SpeechEngine

ESPEAK_DEFAULT_WPM = 175        # espeak-ng's own pace: rate 1.0
ESPEAK_SLOWEST_WPM = 80         # espeak-ng speaks no slower than this
ESPEAK_DEFAULT_VOICE = "gmw/en-US"
ESPEAK_ATTEMPTS = 3
# espeak-ng lists MBROLA voices whose data Debian's main archive does not have: they fail.
MBROLA_PREFIX = "mb/"


class Pyttsx3Engine(SpeechEngine):
    """The system's voices: espeak-ng directly where it is installed, else pyttsx3."""

    name = "pyttsx3"
    words_per_minute = 175.0
    _engine = None

    @classmethod
    def problem(cls) -> str | None:
        if _espeak():
            return None
        try:
            import pyttsx3  # noqa: F401
        except ImportError:
            return "pyttsx3 is not installed; run `pip install pyttsx3`"
        if os.name == "posix" and not _has_espeak_library():
            return ("espeak-ng is not installed, and pyttsx3 needs it on Linux; "
                    "install it (Debian/Ubuntu: `sudo apt-get install espeak-ng`)")
        try:
            cls._driver()
        except Exception as error:  # pyttsx3 raises many kinds when no driver loads
            return f"pyttsx3 cannot start a speech driver here: {error}"
        return None

    @classmethod
    def _driver(cls):
        if cls._engine is None:
            import pyttsx3

            cls._engine = pyttsx3.init()
        return cls._engine

    @classmethod
    def voices(cls, search_dir: Path | None = None) -> list[str]:
        if cls.problem():
            return []
        if _espeak():
            return [voice for voice, _ in _espeak_voices()]
        return [voice.id for voice in cls._driver().getProperty("voices")]

    @classmethod
    def voices_of_language(cls, code: str, search_dir: Path | None = None) -> list[tuple[str, str]]:
        if cls.problem() or not _espeak():
            return []
        return [(voice, f"espeak-ng, {name.replace('_', ' ')} ({language})")
                for voice, name, language in _espeak_voices_with_language()
                if _base(language) == code and not voice.startswith(MBROLA_PREFIX)]

    @classmethod
    def language_of(cls, voice: str | None, base_dir: Path | None) -> str | None:
        if voice is None:
            return _base(ESPEAK_DEFAULT_VOICE.rsplit("/", 1)[-1])
        if not _espeak():
            return None
        for voice_id, name, language in _espeak_voices_with_language():
            if voice in (voice_id, name):
                return _base(language)
        return None

    def __init__(self, voice: str | None, base_dir: Path | None):
        problem = self.problem()
        if problem:
            raise EngineUnavailable(problem)
        self._direct = _espeak() is not None
        self._voice_id = self._find_voice(voice) if voice else None
        self._identity = (f"{'espeak-ng' if self._direct else 'pyttsx3'}:"
                          f"{self._voice_id or 'default'}")

    def _find_voice(self, wanted: str) -> str:
        if self._direct:
            voices = _espeak_voices()
        else:
            voices = [(v.id, v.name or "") for v in self._driver().getProperty("voices")]
        for voice_id, _ in voices:
            if voice_id == wanted:
                return voice_id
        for voice_id, name in voices:
            if wanted.lower() in name.lower() or wanted.lower() in voice_id.lower():
                return voice_id
        raise EngineUnavailable(f"no system voice matches {wanted!r}; "
                                "`audio-builder voices` lists the ones here")

    @property
    def identity(self) -> str:
        return self._identity

    def synthesize(self, text: str, rate: float) -> SpeechAudio:
        words_per_minute = round(ESPEAK_DEFAULT_WPM * rate)
        if words_per_minute < ESPEAK_SLOWEST_WPM:
            raise EngineUnavailable(
                f"the system voice speaks no slower than {ESPEAK_SLOWEST_WPM} words a minute "
                f"(rate {ESPEAK_SLOWEST_WPM / ESPEAK_DEFAULT_WPM:.2f}); this piece asks for "
                f"rate {rate:.2f}: raise `rate` (or use a `pause` for more silence)")
        if self._direct:
            return _speak_espeak(text, self._voice_id or ESPEAK_DEFAULT_VOICE, words_per_minute)
        return self._speak_pyttsx3(text, words_per_minute)

    def _speak_pyttsx3(self, text: str, words_per_minute: int) -> SpeechAudio:
        engine = self._driver()
        if self._voice_id:
            engine.setProperty("voice", self._voice_id)
        engine.setProperty("rate", words_per_minute)
        with tempfile.TemporaryDirectory(prefix="audio-builder-") as folder:
            path = Path(folder) / "speech.wav"
            with contextlib.redirect_stdout(io.StringIO()):  # it prints "Audio saved to ..."
                engine.save_to_file(text, str(path))
                engine.runAndWait()
            with wave.open(str(path), "rb") as wav:
                return _wav_samples(wav.readframes(wav.getnframes()), wav.getframerate(),
                                    wav.getnchannels())


def _speak_espeak(text: str, voice: str, words_per_minute: int) -> SpeechAudio:
    command = [_espeak() or "espeak-ng", "--stdout", "-v", voice, "-s", str(words_per_minute)]
    error = ""
    for _ in range(ESPEAK_ATTEMPTS):
        result = subprocess.run(command, input=text.encode("utf-8"), capture_output=True,
                                timeout=120, check=False)
        if result.returncode == 0 and result.stdout.startswith(b"RIFF"):
            return _streamed_wav(result.stdout)
        error = result.stderr.decode("utf-8", "replace").strip()[:200]
    raise EngineUnavailable(f"espeak-ng failed {ESPEAK_ATTEMPTS} times: {error or 'no audio'}")


def _streamed_wav(data: bytes) -> SpeechAudio:
    """The samples of the WAV espeak-ng streams (its header sizes are placeholders)."""
    fmt = data.index(b"fmt ") + 8
    channels = int.from_bytes(data[fmt + 2:fmt + 4], "little")
    sample_rate = int.from_bytes(data[fmt + 4:fmt + 8], "little")
    start = data.index(b"data", fmt) + 8
    payload = data[start:start + (len(data) - start) // 2 * 2]
    return _wav_samples(payload, sample_rate, channels)


def _wav_samples(frames: bytes, sample_rate: int, channels: int) -> SpeechAudio:
    samples = np.frombuffer(frames, dtype="<i2").astype(np.float32) / 32768.0
    if channels > 1:
        samples = samples[: samples.size // channels * channels].reshape(-1, channels).mean(axis=1)
    return SpeechAudio(samples, sample_rate)


def _espeak() -> str | None:
    return shutil.which("espeak-ng")


def _espeak_voices() -> list[tuple[str, str]]:
    """(voice file, name) of every espeak-ng voice, as `espeak-ng --voices` lists them."""
    return [(voice, name) for voice, name, _ in _espeak_voices_with_language()]


@functools.cache
def _espeak_voices_with_language() -> tuple[tuple[str, str, str], ...]:
    """(voice file, name, language) of every espeak-ng voice (listed once per process)."""
    listing = subprocess.run([_espeak() or "espeak-ng", "--voices"], capture_output=True,
                             text=True, timeout=30, check=False).stdout
    voices = []
    for line in listing.splitlines()[1:]:
        columns = line.split()
        if len(columns) >= 5:
            voices.append((columns[4], columns[3], columns[1]))
    return tuple(voices)


def _base(language: str) -> str:
    """`es-419` -> `es`."""
    return language.replace("_", "-").split("-", 1)[0].lower()


def _has_espeak_library() -> bool:
    if shutil.which("espeak"):
        return True
    import ctypes.util

    return bool(ctypes.util.find_library("espeak-ng") or ctypes.util.find_library("espeak"))
