"""Spoken pieces: from an `Utterance` (text, voice, rate) to a clean clip at 44.1 kHz.

The engine's own leading and trailing silence is trimmed, so the pauses are exactly what
the script says; edges are faded so nothing clicks; every clip is brought to one level.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np

from .cache import SpeechCache, speech_key
from .audio import SAMPLE_RATE, fade_edges, normalize_speech, resample, samples_to_ms, trim_silence
from .engines import ENGINES, EngineUnavailable, SpeechEngine
from .errors import InputError
from .model import Place, VoiceProfile
from .text import apply_pronunciation


@dataclass(frozen=True)
class Utterance:
    """One piece of speech: a sentence (or part of one) in one voice at one rate."""

    text: str
    voice: str
    rate: float = 1.0


@dataclass(frozen=True)
class Clip:
    samples: np.ndarray  # mono float32 at SAMPLE_RATE

    @property
    def ms(self) -> int:
        return samples_to_ms(self.samples.shape[0])


class VoiceBook:
    """The voice profiles of a project, and an engine opened for each as needed."""

    def __init__(self, profiles: dict[str, VoiceProfile]):
        self.profiles = profiles
        self._engines: dict[str, SpeechEngine] = {}

    def profile(self, name: str, place: Place | None = None) -> VoiceProfile:
        try:
            return self.profiles[name]
        except KeyError:
            raise InputError(f"no voice profile called {name!r}; the voices are "
                             + ", ".join(sorted(self.profiles))
                             + f" (add voices/{name}.yaml to make one)",
                             place.file if place else None, place.line if place else None) from None

    def engine(self, name: str, place: Place | None = None) -> SpeechEngine:
        if name not in self._engines:
            profile = self.profile(name, place)
            try:
                self._engines[name] = ENGINES[profile.engine](profile.voice, profile.base_dir)
            except EngineUnavailable as error:
                raise InputError(f"voice {name!r} cannot speak here: {error}",
                                 place.file if place else profile.source,
                                 place.line if place else None) from None
        return self._engines[name]

    def spoken_text(self, utterance: Utterance) -> str:
        return apply_pronunciation(utterance.text, self.profile(utterance.voice).pronounce)

    def effective_rate(self, utterance: Utterance) -> float:
        return self.profile(utterance.voice).rate * utterance.rate

    def estimate_ms(self, utterance: Utterance) -> int:
        """A length estimate without synthesis, for `check`."""
        engine_class = ENGINES[self.profile(utterance.voice).engine]
        words = max(1, len(utterance.text.split()))
        return round(words * 60_000 / (engine_class.words_per_minute * self.effective_rate(utterance)))


class Synthesizer:
    """Speaks utterances through the cache, remembering each clip for the life of the object.

    With no cache, or with `refresh`, every piece is spoken anew (and, with a cache, stored).
    """

    def __init__(self, voices: VoiceBook, cache: SpeechCache | None = None, *, refresh: bool = False):
        self.voices = voices
        self.cache = cache
        self.refresh = refresh
        self._clips: dict[Utterance, Clip] = {}
        self.synthesized = 0

    def key(self, utterance: Utterance, place: Place | None = None) -> str:
        engine = self.voices.engine(utterance.voice, place)
        return speech_key(text=self.voices.spoken_text(utterance), engine=engine.identity,
                          rate=round(self.voices.effective_rate(utterance), 6),
                          sample_rate=SAMPLE_RATE)

    def clip(self, utterance: Utterance, place: Place | None = None) -> Clip:
        if utterance not in self._clips:
            self._clips[utterance] = Clip(self._samples(utterance, place))
        return self._clips[utterance]

    def _samples(self, utterance: Utterance, place: Place | None) -> np.ndarray:
        key = self.key(utterance, place) if self.cache else None
        if key and not self.refresh:
            stored = self.cache.get(key)
            if stored is not None:
                return stored
        engine = self.voices.engine(utterance.voice, place)
        audio = engine.synthesize(self.voices.spoken_text(utterance),
                                  self.voices.effective_rate(utterance))
        samples = finish_speech(audio.samples, audio.sample_rate)
        self.synthesized += 1
        return self.cache.put(key, samples) if key else samples

    def forget(self) -> None:
        """Drop the clips held in memory (the cache on disk keeps them)."""
        self._clips.clear()

    def length_ms(self, utterance: Utterance, place: Place | None = None) -> int:
        return self.clip(utterance, place).ms


def finish_speech(samples: np.ndarray, sample_rate: int) -> np.ndarray:
    """Trim, level, fade and resample raw engine output."""
    trimmed = trim_silence(samples.astype(np.float32), sample_rate)
    if trimmed.size == 0:
        return np.zeros(0, np.float32)
    leveled = normalize_speech(trimmed)
    return fade_edges(resample(leveled, sample_rate, SAMPLE_RATE), SAMPLE_RATE)
