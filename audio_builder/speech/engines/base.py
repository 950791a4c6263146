from __future__ import annotations

import ctypes
import ctypes.util
import functools
from abc import ABC, abstractmethod
from dataclasses import dataclass
from pathlib import Path
from typing import ClassVar

import numpy as np

from audio_builder.errors import AudioBuilderError
from audio_builder.model import VoiceProfile


class EngineUnavailable(AudioBuilderError):
    """The engine or voice cannot run here; the message says what to install or change."""


@dataclass(frozen=True)
class SpeechAudio:
    samples: np.ndarray  # mono float32 in [-1, 1]
    sample_rate: int
    trimmed: bool = False  # already cut to the speech (with its own lead-in): do not trim again


class SpeechEngine(ABC):
    """Text in, samples out. One instance serves one voice."""

    name: ClassVar[str]
    words_per_minute: ClassVar[float]  # the engine's own pace, for estimates without synthesis
    # Spoken phrase by phrase, joined by the profile's phrase pause (False: a piece is one
    # unit, like a recorded voice's take of it).
    speaks_in_phrases: ClassVar[bool] = True
    # Speaks from takes a person recorded (one per line, in the profile's takes folder), with a
    # synthetic fallback for lines not recorded yet: the own-voice commands work with it.
    recorded: ClassVar[bool] = False
    # Says words a listener (or a speech recognizer) can hear; False for stand-ins like tones.
    speaks_words: ClassVar[bool] = True
    # The silence between sentences when the profile gives none.
    sentence_pause_ms: ClassVar[int] = VoiceProfile.sentence_pause_ms

    @classmethod
    @abstractmethod
    def problem(cls) -> str | None:
        """Why the engine cannot run on this machine, or None when it can."""

    @classmethod
    @abstractmethod
    def voices(cls, search_dir: Path | None = None) -> list[str]:
        """The voice names this engine can use here."""

    @classmethod
    def voices_of_language(cls, code: str, search_dir: Path | None = None) -> list[tuple[str, str]]:
        """(voice, a line about it) of every voice here that speaks language `code`
        (`es`, `de`: ISO 639-1); the best first."""
        return []

    @classmethod
    def language_of(cls, voice: str | None, base_dir: Path | None) -> str | None:
        """The language `voice` speaks (ISO 639-1), when the engine can tell."""
        return None

    @abstractmethod
    def __init__(self, voice: str | None, base_dir: Path | None):
        """Open the voice; raise `EngineUnavailable` when it cannot be used."""

    @classmethod
    def from_profile(cls, profile: VoiceProfile) -> SpeechEngine:
        """The engine for a voice profile (engines that need more than the voice override this)."""
        return cls(profile.voice, profile.base_dir)

    def identity_for(self, text: str) -> str:
        """What changes the sound of `text` in this voice (a recorded voice: its take)."""
        return self.identity

    @abstractmethod
    def synthesize(self, text: str, rate: float) -> SpeechAudio:
        """Speak `text` at `rate` times the engine's own pace."""

    @property
    @abstractmethod
    def identity(self) -> str:
        """Everything about this voice that changes its sound: engine, model, version."""


@functools.cache
def c_library() -> ctypes.CDLL | None:
    """The C library, loaded once (finding it runs `ldconfig`); None where it cannot be."""
    try:
        return ctypes.CDLL(ctypes.util.find_library("c"))
    except (OSError, TypeError):
        return None


def return_freed_memory() -> None:
    """Hand back to the system the memory the C library keeps after large frees (glibc only;
    elsewhere nothing). Speaking frees large working arrays; kept, they added up to about
    100 MB over a 10,000-word text."""
    trim = getattr(c_library(), "malloc_trim", None)        # glibc's own
    if trim is not None:
        trim(0)
