"""Spoken pieces: from an `Utterance` (text, voice, rate) to a clean clip at 44.1 kHz.

A piece is spoken phrase by phrase (`split_phrases`: at commas, semicolons, colons, dashes,
ellipses, and within long phrases between words), and the phrases are joined with the
profile's phrase pause (a cut between words, with the short `RUN_ON_PAUSE_MS`): teachers
speak in short phrases, and no engine call is ever given more than a few dozen words. The
planner keeps every piece to a bounded number of words (`split_pieces`), so memory stays
small whatever the text. The engine's own
leading and trailing silence is trimmed, so the pauses are exactly what the script says;
edges are faded so nothing clicks; every clip is brought to one level.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np

from audio_builder.errors import InputError
from audio_builder.languages import spoken_form
from audio_builder.model import Place, Utterance, VoiceProfile
from audio_builder.sound.audio import (
    SAMPLE_RATE,
    fade_edges,
    ms_to_samples,
    normalize_speech,
    resample,
    samples_to_ms,
    trim_silence,
)
from audio_builder.sound.loudness import PeakLimiter, momentary_levels
from audio_builder.speech.cache import SpeechCache, speech_key
from audio_builder.speech.engines import ENGINES, EngineUnavailable, SpeechEngine, is_recorded
from audio_builder.speech.engines.base import return_freed_memory
from audio_builder.speech.engines.recorded_engine import MissingTake, RecordedEngine
from audio_builder.speech.takes import TakeError
from audio_builder.text import (
    RUN_ON_PAUSE_MS,
    Phrase,
    apply_pronunciation,
    split_phrases,
)


class VoiceBook:
    """The voice profiles of a project, and an engine opened for each as needed."""

    def __init__(self, profiles: dict[str, VoiceProfile],
                 chosen: Callable[[str], VoiceProfile | None] = lambda name: None):
        """`chosen`: the profile of a voice chosen by language (named `engine:voice`), which
        is no profile of the project."""
        self.profiles = profiles
        self._chosen = chosen
        self._engines: dict[str, SpeechEngine] = {}

    def profile(self, name: str, place: Place | None = None) -> VoiceProfile:
        if name not in self.profiles and (chosen := self._chosen(name)) is not None:
            self.profiles[name] = chosen
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
                self._engines[name] = ENGINES[profile.engine].from_profile(profile)
            except EngineUnavailable as error:
                raise InputError(f"voice {name!r} cannot speak here: {error}",
                                 place.file if place else profile.source,
                                 place.line if place else None) from None
        return self._engines[name]

    def speaker(self, utterance: Utterance, place: Place | None = None) -> Utterance:
        """Who really speaks `utterance`: a recorded voice with no take of it hands it to its
        fallback; with no fallback that is an error naming the line and the file expected."""
        profile = self.profile(utterance.voice, place)
        if not is_recorded(profile):
            return utterance
        engine = self.engine(utterance.voice, place)
        assert isinstance(engine, RecordedEngine)
        if engine.take(utterance.text) is not None:
            return utterance
        if profile.fallback:
            return Utterance(utterance.text, profile.fallback, utterance.rate, utterance.language)
        raise missing_take_error(utterance, MissingTake(utterance.text, engine.folder), place)

    def spoken_text(self, utterance: Utterance) -> str:
        """What the engine is given: the profile's pronunciations, then the numbers and
        abbreviations the voices misread in the practice's language, said in words."""
        text = apply_pronunciation(utterance.text, self.profile(utterance.voice).pronounce)
        return spoken_form(text, utterance.language)

    def effective_rate(self, utterance: Utterance) -> float:
        return self.profile(utterance.voice).rate * utterance.rate

    def estimate_ms(self, utterance: Utterance) -> int:
        """A length estimate without synthesis, for `check`."""
        profile = self.profile(utterance.voice)
        engine_class = ENGINES[profile.engine]
        text = self.spoken_text(utterance)
        phrases = split_phrases(text) if engine_class.speaks_in_phrases else [Phrase(text)]
        words = max(1, sum(phrase.words for phrase in phrases))
        speaking = words * 60_000 / (engine_class.words_per_minute * self.effective_rate(utterance))
        return round(speaking) + sum(phrase.pause_after(profile.phrase_pause_ms)
                                     for phrase in phrases[:-1])


class Synthesizer:
    """Speaks utterances through the cache.

    Planning asks only for lengths; rendering asks for the samples, one clip at a time.
    With a cache, clips live on disk between the two and memory stays small; without one,
    they are kept in memory. With `refresh`, each piece is spoken anew once (and stored).
    """

    def __init__(self, voices: VoiceBook, cache: SpeechCache | None = None, *, refresh: bool = False):
        self.voices = voices
        self.cache = cache
        self.refresh = refresh
        self._lengths: dict[Utterance, int] = {}
        self._clips: dict[Utterance, np.ndarray] = {}
        self._levels: dict[Utterance, np.ndarray] = {}

    def key(self, utterance: Utterance, place: Place | None = None) -> str:
        utterance = self.voices.speaker(utterance, place)
        engine = self.voices.engine(utterance.voice, place)
        text = self.voices.spoken_text(utterance)
        # Only a piece with a phrase cut between words carries how it is cut and joined, so
        # the keys (and the cached clips) of every other piece stay as they were.
        run_on = (engine.speaks_in_phrases
                  and any(phrase.run_on for phrase in split_phrases(text)))
        return speech_key(text=text, engine=engine.identity_for(text),
                          rate=round(self.voices.effective_rate(utterance), 6),
                          phrase_pause_ms=self.voices.profile(utterance.voice).phrase_pause_ms,
                          sample_rate=SAMPLE_RATE,
                          **({"run_on": f"{RUN_ON_PAUSE_MS}ms, before joining words"}
                             if run_on else {}))

    def length_ms(self, utterance: Utterance, place: Place | None = None) -> int:
        if utterance not in self._lengths:
            self._lengths[utterance] = samples_to_ms(self._frames(utterance, place))
        return self._lengths[utterance]

    def _frames(self, utterance: Utterance, place: Place | None) -> int:
        """How long the piece is, spoken if it must be. A piece in the cache is measured by
        its entry's header, not read: rendering reads it (and checks it) when it plays."""
        if self.cache is not None and not self.refresh:
            stored = self.cache.frames(self.key(utterance, place))
            if stored is not None:
                return stored
        samples = self._obtain(utterance, place, fresh=self.refresh)
        if self.cache is None:
            self._clips[utterance] = samples
        return samples.shape[0]

    def samples(self, utterance: Utterance, place: Place | None = None) -> np.ndarray:
        """The clip (mono float32, 44.1 kHz), as long as planning measured it."""
        if utterance in self._clips:
            return self._clips[utterance]
        samples = self._obtain(utterance, place, fresh=False)
        planned = self._lengths.get(utterance)
        if planned is not None and samples_to_ms(samples.shape[0]) != planned:
            # The cache lost the piece between planning and rendering and it was spoken
            # again (differently): fit it to the time planned for it.
            wanted = ms_to_samples(planned)
            samples = fade_edges(np.pad(samples[:wanted], (0, max(0, wanted - samples.shape[0]))),
                                 SAMPLE_RATE)
        return samples

    def _obtain(self, utterance: Utterance, place: Place | None, *, fresh: bool) -> np.ndarray:
        cache = self.cache
        key = self.key(utterance, place) if cache is not None else None
        if cache is not None and key and not fresh:
            stored = cache.get(key)
            if stored is not None:
                return stored
        speaker = self.voices.speaker(utterance, place)
        try:
            samples = speak_phrases(self.voices.engine(speaker.voice, place),
                                    self.voices.spoken_text(speaker),
                                    self.voices.effective_rate(speaker),
                                    self.voices.profile(speaker.voice).phrase_pause_ms)
        except TakeError as error:
            raise take_error(error, utterance, place) from None
        except EngineUnavailable as error:
            raise InputError(f"voice {speaker.voice!r} cannot say \"{utterance.text[:60]}\": "
                             f"{error}", place.file if place else None,
                             place.line if place else None) from None
        stored = cache.put(key, samples) if cache is not None and key else samples
        return_freed_memory()
        return stored

    def momentary_levels(self, utterance: Utterance, place: Place | None = None) -> np.ndarray:
        """The piece's momentary loudness, 10 values a second (see `loudness.momentary_levels`),
        worked out once: how loud the voice is heard, for what is set against it."""
        if utterance not in self._levels:
            self._levels[utterance] = momentary_levels(self.samples(utterance, place)).astype(np.float32)
        return self._levels[utterance]

    def forget(self) -> None:
        """Drop what is held in memory (the cache on disk keeps the clips)."""
        self._clips.clear()
        self._lengths.clear()
        self._levels.clear()


# Speech is leveled to an RMS of -20 dBFS and its peaks held to -6 dBFS: a crest of 14 dB,
# so that the track's one loudness gain (about +4 dB to reach -16 LUFS) leaves the final
# peak limiter almost nothing to do on the voice.
SPEECH_PEAK_DB = -6.0


def speak_phrases(engine: SpeechEngine, text: str, rate: float, phrase_pause_ms: int) -> np.ndarray:
    """Speak `text` one phrase at a time (or whole, for an engine that cannot split it, like
    a recorded voice's takes), joined by `phrase_pause_ms` of silence; leveled and finished."""
    pieces: list[np.ndarray] = []
    sample_rate = SAMPLE_RATE
    phrases = [(text, 0)]                   # text, and the pause after it
    if engine.speaks_in_phrases:
        phrases = [(phrase.spoken, phrase.pause_after(phrase_pause_ms))
                   for phrase in split_phrases(text)] or phrases
    pause_ms = 0
    for phrase, pause_after in phrases:
        audio = engine.synthesize(phrase, rate)
        sample_rate = audio.sample_rate
        samples = audio.samples.astype(np.float32)
        spoken = samples if audio.trimmed else trim_silence(samples, sample_rate)
        if spoken.size:
            if pieces:
                pieces.append(np.zeros(ms_to_samples(pause_ms, sample_rate), np.float32))
            pieces.append(spoken)
            pause_ms = pause_after
    joined = np.concatenate(pieces) if pieces else np.zeros(0, np.float32)
    return level_speech(joined, sample_rate)


def finish_speech(samples: np.ndarray, sample_rate: int) -> np.ndarray:
    """Trim, level, limit, fade and resample raw engine output."""
    return level_speech(trim_silence(samples.astype(np.float32), sample_rate), sample_rate)


def level_speech(trimmed: np.ndarray, sample_rate: int) -> np.ndarray:
    """Level, limit, fade and resample speech already cut to its words: the one level every
    spoken piece is brought to, synthesized or recorded."""
    if trimmed.size == 0:
        return np.zeros(0, np.float32)
    leveled = resample(normalize_speech(trimmed), sample_rate, SAMPLE_RATE)
    limiter = PeakLimiter(SPEECH_PEAK_DB, channels=1)
    # In one-second blocks: the limiter's working arrays stay small however long the piece.
    blocks = [limiter.process(leveled[start:start + SAMPLE_RATE, None])
              for start in range(0, leveled.size, SAMPLE_RATE)]
    limited = np.concatenate([*blocks, limiter.flush()])[:, 0].astype(np.float32)
    return fade_edges(limited, SAMPLE_RATE)


def _where(place: Place | None) -> str:
    if place is None:
        return ""
    return f" (line {place.line} of {_relative(place.file)})"


def _relative(file: str) -> str:
    import os

    try:
        return os.path.relpath(file)
    except ValueError:
        return file


def missing_take_error(utterance: Utterance, missing: MissingTake, place: Place | None) -> InputError:
    return InputError(
        f"voice {utterance.voice!r} has no take of \"{utterance.text}\" yet; record it "
        f"(`audio-builder record`), import a reading (`audio-builder takes import`), or save "
        f"it as {_relative(str(missing.expected))}; or give the voice a `fallback:` for drafts. "
        f"`audio-builder takes SCRIPT` lists every missing take",
        place.file if place else None, place.line if place else None)


def take_error(error: TakeError, utterance: Utterance, place: Place | None) -> InputError:
    return InputError(f"the take of \"{utterance.text}\"{_where(place)}: {error.message}",
                      error.file)
