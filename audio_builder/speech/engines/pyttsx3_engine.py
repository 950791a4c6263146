from __future__ import annotations

import contextlib
import io
import os
import shutil
import tempfile
import wave
from pathlib import Path

import numpy as np

from audio_builder.speech.engines.base import EngineUnavailable, SpeechAudio, SpeechEngine

ESPEAK_DEFAULT_WPM = 200


class Pyttsx3Engine(SpeechEngine):
    """The system's voices through pyttsx3 (espeak-ng on Linux)."""

    name = "pyttsx3"
    words_per_minute = 175.0
    _engine = None

    @classmethod
    def problem(cls) -> str | None:
        try:
            import pyttsx3  # noqa: F401
        except ImportError:
            return "pyttsx3 is not installed; run `pip install pyttsx3`"
        if os.name == "posix" and not _has_espeak():
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
        return [voice.id for voice in cls._driver().getProperty("voices")]

    def __init__(self, voice: str | None, base_dir: Path | None):
        problem = self.problem()
        if problem:
            raise EngineUnavailable(problem)
        self._voice_id = self._find_voice(voice) if voice else None
        self._identity = f"pyttsx3:{self._voice_id or 'default'}"

    def _find_voice(self, wanted: str) -> str:
        voices = self._driver().getProperty("voices")
        for voice in voices:
            if voice.id == wanted:
                return voice.id
        for voice in voices:
            if wanted.lower() in (voice.name or "").lower() or wanted.lower() in voice.id.lower():
                return voice.id
        raise EngineUnavailable(f"no system voice matches {wanted!r}; "
                                "`audio-builder voices` lists the ones here")

    @property
    def identity(self) -> str:
        return self._identity

    def synthesize(self, text: str, rate: float) -> SpeechAudio:
        engine = self._driver()
        if self._voice_id:
            engine.setProperty("voice", self._voice_id)
        engine.setProperty("rate", round(ESPEAK_DEFAULT_WPM * rate))
        with tempfile.TemporaryDirectory(prefix="audio-builder-") as folder:
            path = Path(folder) / "speech.wav"
            with contextlib.redirect_stdout(io.StringIO()):  # it prints "Audio saved to ..."
                engine.save_to_file(text, str(path))
                engine.runAndWait()
            with wave.open(str(path), "rb") as wav:
                frames = wav.readframes(wav.getnframes())
                sample_rate = wav.getframerate()
                channels = wav.getnchannels()
        samples = np.frombuffer(frames, dtype="<i2").astype(np.float32) / 32768.0
        if channels > 1:
            samples = samples.reshape(-1, channels).mean(axis=1)
        return SpeechAudio(samples, sample_rate)


def _has_espeak() -> bool:
    if shutil.which("espeak-ng") or shutil.which("espeak"):
        return True
    import ctypes.util

    return bool(ctypes.util.find_library("espeak-ng") or ctypes.util.find_library("espeak"))
