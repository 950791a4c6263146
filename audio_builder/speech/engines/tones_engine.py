"""A stand-in voice: a short tone for every word, the same every time.

It speaks about 100 ms a word at rate 1, needs no model and no library, and is fast. Tests use
it to check planning, mixing, publishing and errors without the real voices; a writer can use it
(`engine: tones`) to hear a script's timing before any words are spoken.
"""

from __future__ import annotations

import zlib
from pathlib import Path

import numpy as np

from audio_builder.speech.engines.base import SpeechAudio, SpeechEngine

SAMPLE_RATE = 22_050
WORD_MS = 100
GAP_MS = 20          # between words, inside the word's 100 ms
RAMP_MS = 5


class TonesEngine(SpeechEngine):
    name = "tones"
    speaks_words = False
    words_per_minute = 60_000 / WORD_MS

    @classmethod
    def problem(cls) -> str | None:
        return None

    @classmethod
    def voices(cls, search_dir: Path | None = None) -> list[str]:
        return ["tones"]

    def __init__(self, voice: str | None, base_dir: Path | None):
        self._voice = voice or "tones"

    @property
    def identity(self) -> str:
        return f"tones:{self._voice}:{WORD_MS}ms"

    def synthesize(self, text: str, rate: float) -> SpeechAudio:
        words = text.split() or ["…"]
        return SpeechAudio(np.concatenate([_word_tone(word, rate) for word in words]), SAMPLE_RATE)


def _word_tone(word: str, rate: float) -> np.ndarray:
    total = round(SAMPLE_RATE * WORD_MS / 1000 / rate)
    gap = round(SAMPLE_RATE * GAP_MS / 1000 / rate)
    frequency = 180 + zlib.crc32(word.lower().encode("utf-8")) % 220     # 180-400 Hz, by word
    t = np.arange(total - gap, dtype=np.float32) / SAMPLE_RATE
    tone = 0.5 * np.sin(2 * np.pi * frequency * t, dtype=np.float32)
    ramp = min(len(tone) // 2, round(SAMPLE_RATE * RAMP_MS / 1000))
    if ramp:
        edge = np.linspace(0.0, 1.0, ramp, dtype=np.float32)
        tone[:ramp] *= edge
        tone[-ramp:] *= edge[::-1]
    return np.concatenate([tone, np.zeros(gap, dtype=np.float32)])
