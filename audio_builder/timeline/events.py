"""The planner's data: what it is told (`Measures`: how long things are) and what it gives
(a `Timeline`: every piece of speech, bell and sound placed, the chapters and the cue rows)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from audio_builder.model import (
    At,
    Background,
    Place,
    SoundRef,
    Utterance,
)


@dataclass(frozen=True)
class Measures:
    """What the planner needs to know from outside: how long things are."""

    speech_ms: Callable[[Utterance, Place], int]
    sound_ms: Callable[[Path, Place], int]
    sentence_pause_ms: Callable[[str, Place], int]
    bell_ms: Callable[[SoundRef, Place], int]          # from the strike until it has died away
    step_pause_ms: Callable[[str, Place], int] = lambda voice, place: 0
    phrase_pause_ms: Callable[[str, Place], int] = lambda voice, place: 0
    breath_words: Callable[[str, Place], dict[str, str]] = lambda voice, place: {}


# --- the timeline ---------------------------------------------------------------------

@dataclass(frozen=True)
class PlacedSpeech:
    start_ms: int
    ms: int
    utterance: Utterance
    place: Place

    @property
    def end_ms(self) -> int:
        return self.start_ms + self.ms


@dataclass(frozen=True)
class PlacedBell:
    start_ms: int
    sound: SoundRef
    volume_db: float


@dataclass(frozen=True)
class PlacedSound:
    start_ms: int
    file: Path
    volume_db: float


@dataclass(frozen=True)
class ChapterStart:
    start_ms: int
    title: str


@dataclass(frozen=True)
class CueRow:
    """A line of the cue sheet."""

    start_ms: int
    ms: int
    step: str
    text: str


@dataclass(frozen=True)
class FlexSpan:
    """Where a flexible pause or sit was placed, and how short it could have been: a live
    session that falls behind may cut it down to `min_ms` (see `play --end-at`)."""

    start_ms: int
    ms: int
    min_ms: int

    @property
    def end_ms(self) -> int:
        return self.start_ms + self.ms


@dataclass(frozen=True)
class Silence:
    """An unbroken stretch of flexible pauses that ends at an `at` anchor, and the longest
    range any flexible pause of the script asks for (its maximum, or its minimum when open)."""

    start_ms: int
    ms: int
    anchor: At
    longest_asked_ms: int


@dataclass(frozen=True, kw_only=True)
class Timeline:
    length_ms: int
    speech: tuple[PlacedSpeech, ...]
    bells: tuple[PlacedBell, ...]
    sounds: tuple[PlacedSound, ...]
    chapters: tuple[ChapterStart, ...]
    rows: tuple[CueRow, ...]
    background: Background | None = None
    flexible: tuple[FlexSpan, ...] = ()
    silences: tuple[Silence, ...] = ()         # unbroken silences before `at` anchors


Event = PlacedSpeech | PlacedBell | PlacedSound | ChapterStart | CueRow
