"""A person's own voice: each piece is the take recorded for its words (see `speech.takes`)."""

from __future__ import annotations

from pathlib import Path

from audio_builder.errors import InputError
from audio_builder.model import VoiceProfile
from audio_builder.speech.engines.base import SpeechAudio, SpeechEngine
from audio_builder.speech.takes import clean_take, content_digest, find_take, read_take, take_id

CLEANING_VERSION = 2      # bump when the cleaning changes how takes sound


class MissingTake(InputError, LookupError):
    """No take of these words yet."""

    def __init__(self, text: str, folder: Path):
        super().__init__(text)
        self.text = text
        self.folder = folder

    def __reduce__(self):
        return (self.__class__, (self.text, self.folder))

    @property
    def expected(self) -> Path:
        return self.folder / f"{take_id(self.text)}.wav"


class RecordedEngine(SpeechEngine):
    name = "recorded"
    words_per_minute = 130.0     # a calm reader, for estimates before any take exists
    speaks_in_phrases = False    # one take per piece: its own phrasing
    recorded = True
    sentence_pause_ms = 1500     # a person reading aloud leaves more room than a synthetic voice

    @classmethod
    def problem(cls) -> str | None:
        return None

    @classmethod
    def voices(cls, search_dir: Path | None = None) -> list[str]:
        return []

    @classmethod
    def from_profile(cls, profile: VoiceProfile) -> SpeechEngine:
        engine = cls(profile.voice, profile.base_dir)
        engine.folder = profile.takes or Path("takes") / profile.name
        engine.keep_breaths = profile.breaths == "keep"
        engine.reduce_room = profile.noise_reduction
        return engine

    def __init__(self, voice: str | None, base_dir: Path | None):
        self.folder = Path("takes")
        self.keep_breaths = False
        self.reduce_room = True
        self._digests: dict[tuple[Path, float, int], str] = {}

    @property
    def identity(self) -> str:
        return f"recorded:{self.folder.name}"

    def take(self, text: str) -> Path | None:
        return find_take(self.folder, text)

    def identity_for(self, text: str) -> str:
        path = self.take(text)
        if path is None:
            raise MissingTake(text, self.folder)
        stat = path.stat()
        stamp = (path, stat.st_mtime, stat.st_size)
        if stamp not in self._digests:
            self._digests[stamp] = content_digest(path)
        breaths = "keep" if self.keep_breaths else "trim"
        room = "" if self.reduce_room else ":as-recorded"
        return f"recorded:{self._digests[stamp]}:{breaths}{room}:{CLEANING_VERSION}"

    def synthesize(self, text: str, rate: float) -> SpeechAudio:
        path = self.take(text)
        if path is None:
            raise MissingTake(text, self.folder)
        samples, sample_rate = clean_take(read_take(path), path, self.keep_breaths, self.reduce_room)
        return SpeechAudio(samples, sample_rate, trimmed=True)
