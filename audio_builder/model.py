"""The data a practice is made of, as frozen dataclasses. All times are whole milliseconds.

The parser builds these from YAML; everything after it (planner, renderer, tags) reads
only these, never raw mappings.
"""

from __future__ import annotations

import datetime
from dataclasses import dataclass, field
from pathlib import Path

DEFAULT_BELL = "bowl"          # the bell a script strikes when it names none


@dataclass(frozen=True)
class Place:
    """Where something was written: for error messages."""

    file: str
    line: int


@dataclass(frozen=True)
class SoundRef:
    """A built-in sound by name, or an audio file."""

    name: str | None = None
    path: Path | None = None
    place: Place | None = field(default=None, compare=False)     # the line naming the file

    @property
    def label(self) -> str:
        return self.name if self.name is not None else str(self.path)


@dataclass(frozen=True)
class Utterance:
    """One piece of speech: a sentence (or part of one) in one voice at one rate."""

    text: str
    voice: str
    rate: float = 1.0
    language: str | None = None        # the practice's: how its numbers and abbreviations are said


# --- the parts of a `say` -------------------------------------------------------------

@dataclass(frozen=True)
class Words:
    """Text to speak; sentences inside it are split by the planner. `rate` multiplies the
    step's rate (a `[slow]` passage)."""

    text: str
    rate: float = 1.0


@dataclass(frozen=True)
class Gap:
    """A silence inside a `say`: an inline `[pause 3s]` or `[breath]`, or a blank line."""

    ms: int


SayPart = Words | Gap


# --- steps ----------------------------------------------------------------------------

@dataclass(frozen=True)
class Say:
    parts: tuple[SayPart, ...]
    place: Place
    voice: str | None = None
    rate: float | None = None

    @property
    def text(self) -> str:
        return " ".join(p.text for p in self.parts if isinstance(p, Words))


@dataclass(frozen=True)
class Pause:
    """A silence: fixed when `min_ms == max_ms`; `max_ms` None means no upper bound."""

    min_ms: int
    max_ms: int | None
    place: Place

    @property
    def flexible(self) -> bool:
        return self.max_ms != self.min_ms


@dataclass(frozen=True)
class Bell:
    sound: SoundRef
    strikes: int
    gap_ms: int
    volume_db: float
    place: Place


@dataclass(frozen=True, kw_only=True)
class Breathe:
    in_ms: int
    out_ms: int
    hold_ms: int
    rest_ms: int
    cycles: int
    cues: int
    place: Place
    words: tuple[tuple[str, str], ...] = ()    # the cues' own words by phase (`in`, `hold`, `out`)

    @property
    def cycle_ms(self) -> int:
        return self.in_ms + self.hold_ms + self.out_ms + self.rest_ms


@dataclass(frozen=True, kw_only=True)
class SitBells:
    """The bells inside a sit, counted from its start and never at its ends: `every` a
    period, `at` a timetable, or `random` gaps drawn between two lengths (the same in every
    build of the script: the draw is seeded by the script's name, the sit's line and `seed`)."""

    every_ms: int | None = None
    at_ms: tuple[int, ...] = ()
    random_ms: tuple[int, int] | None = None
    seed: int = 0
    strikes: int = 1
    gap_ms: int = 5000
    sound: SoundRef
    volume_db: float = 0.0
    place: Place


@dataclass(frozen=True)
class Sit:
    """A silent sit: a silence of a length or a range (flexible, like a pause), with bells
    inside it."""

    pause: Pause
    bells: SitBells | None
    place: Place


# An MP3's table of contents (ID3 CTOC) stores its number of chapters in one byte:
# mutagen writes 255 and refuses 256.
MAX_CHAPTERS = 255


@dataclass(frozen=True)
class Chapter:
    title: str
    place: Place


@dataclass(frozen=True)
class At:
    """An anchor: the next step starts at `ms` from the start, or from the end."""

    ms: int
    from_end: bool
    place: Place


@dataclass(frozen=True)
class SoundStep:
    file: Path
    volume_db: float
    wait: bool
    place: Place


@dataclass(frozen=True)
class Only:
    """Steps heard only at some lengths: `only:` beside a step, a chapter (its whole section,
    to the next chapter or `at`) or an include."""

    lengths: tuple[tuple[int, int | None], ...]     # ranges of lengths; None: no upper bound
    steps: tuple[Step, ...]
    place: Place

    def includes(self, length_ms: int) -> bool:
        return any(low <= length_ms and (high is None or length_ms <= high)
                   for low, high in self.lengths)


Step = Say | Pause | Bell | Breathe | Chapter | At | SoundStep | Sit | Only


def steps_at(steps: tuple[Step, ...], length_ms: int | None) -> tuple[Step, ...]:
    """The steps heard in a track of `length_ms`; with None, every step of every length."""
    found: list[Step] = []
    for step in steps:
        if isinstance(step, Only):
            if length_ms is None or step.includes(length_ms):
                found.extend(steps_at(step.steps, length_ms))
        else:
            found.append(step)
    return tuple(found)


@dataclass(frozen=True)
class Background:
    sound: SoundRef
    volume_db: float = -24.0
    duck_db: float = 6.0
    fade_in_ms: int = 5000
    fade_out_ms: int = 10000


@dataclass(frozen=True, kw_only=True)
class Script:
    """One practice, as written in `scripts/<slug>.yaml` (includes already spliced in)."""

    slug: str
    path: Path
    title: str
    steps: tuple[Step, ...]
    description: str = ""
    author: str | None = None
    date: datetime.date | None = None
    episode: int | None = None               # the first (or only) length's number
    season: int | None = None
    image: Path | None = None
    language: str | None = None              # None: the podcast's, else the voice's
    explicit: bool = False
    keywords: tuple[str, ...] = ()
    voice: str = "default"
    lengths: tuple[int, ...] = ()
    background: Background | None = None
    bell: SoundRef = field(default_factory=lambda: SoundRef(name=DEFAULT_BELL))
    bell_volume_db: float = 0.0          # added to every bell's own `volume`
    paragraph_pause_ms: int = 1500
    step_pause_ms: int | None = None         # None: the voice's own step pause
    key_lines: tuple[tuple[str, int], ...] = ()   # where each top-level key is written
    episodes: tuple[int, ...] = ()           # one number per length, when there are several
    warnings: tuple[str, ...] = ()           # old forms read as they were: what to write instead

    def line_of(self, key: str) -> int | None:
        return dict(self.key_lines).get(key)


@dataclass(frozen=True, kw_only=True)
class VoiceProfile:
    """How a voice sounds: `voices/<name>.yaml`, or a built-in."""

    name: str
    engine: str
    voice: str | None = None
    rate: float = 1.0
    sentence_pause_ms: int = 700
    phrase_pause_ms: int = 450
    step_pause_ms: int | None = None         # None: the sentence pause
    pronounce: tuple[tuple[str, str], ...] = ()
    base_dir: Path | None = None
    source: str = "built-in"
    takes: Path | None = None          # a recorded voice: the folder of its takes
    fallback: str | None = None        # a recorded voice: who speaks the lines with no take
    breaths: str = "trim"              # a recorded voice: `keep` or `trim` breaths at the edges
    noise_reduction: bool = True       # a recorded voice: the room's steady noise reduced in takes
    language: str | None = None        # the language it speaks, when the profile says so
    breath_words: tuple[tuple[str, str], ...] = ()   # its breathing cues' words by phase

    @property
    def between_steps_ms(self) -> int:
        """The silence between two spoken steps in a row."""
        return self.sentence_pause_ms if self.step_pause_ms is None else self.step_pause_ms


@dataclass(frozen=True, kw_only=True)
class Person:
    """Someone who makes the podcast (`podcast:person`)."""

    name: str
    role: str = "host"
    href: str | None = None


# Apple Podcasts' categories and their subcategories, spelled as directories expect them in
# `itunes:category` (a podcast.yaml writes `Main` or `Main/Sub`). The only copy in the program.
PODCAST_CATEGORIES: dict[str, tuple[str, ...]] = {
    "Arts": ("Books", "Design", "Fashion & Beauty", "Food", "Performing Arts", "Visual Arts"),
    "Business": ("Careers", "Entrepreneurship", "Investing", "Management", "Marketing", "Non-Profit"),
    "Comedy": ("Comedy Interviews", "Improv", "Stand-Up"),
    "Education": ("Courses", "How To", "Language Learning", "Self-Improvement"),
    "Fiction": ("Comedy Fiction", "Drama", "Science Fiction"),
    "Government": (),
    "History": (),
    "Health & Fitness": ("Alternative Health", "Fitness", "Medicine", "Mental Health", "Nutrition",
                         "Sexuality"),
    "Kids & Family": ("Education for Kids", "Parenting", "Pets & Animals", "Stories for Kids"),
    "Leisure": ("Animation & Manga", "Automotive", "Aviation", "Crafts", "Games", "Hobbies",
                "Home & Garden", "Video Games"),
    "Music": ("Music Commentary", "Music History", "Music Interviews"),
    "News": ("Business News", "Daily News", "Entertainment News", "News Commentary", "Politics",
             "Sports News", "Tech News"),
    "Religion & Spirituality": ("Buddhism", "Christianity", "Hinduism", "Islam", "Judaism", "Religion",
                                "Spirituality"),
    "Science": ("Astronomy", "Chemistry", "Earth Sciences", "Life Sciences", "Mathematics",
                "Natural Sciences", "Nature", "Physics", "Social Sciences"),
    "Society & Culture": ("Documentary", "Personal Journals", "Philosophy", "Places & Travel",
                          "Relationships"),
    "Sports": ("Baseball", "Basketball", "Cricket", "Fantasy Sports", "Football", "Golf", "Hockey",
               "Rugby", "Running", "Soccer", "Swimming", "Tennis", "Volleyball", "Wilderness",
               "Wrestling"),
    "Technology": (),
    "True Crime": (),
    "TV & Film": ("After Shows", "Film History", "Film Interviews", "Film Reviews", "TV Reviews"),
}


# podcast:medium's values (the Podcasting 2.0 namespace), each also as a list (`podcastL`).
PODCAST_MEDIUMS = ("podcast", "music", "video", "film", "audiobook", "newsletter", "blog",
                   "course", "mixed")


def category_names(category: str) -> tuple[str, ...]:
    """`Health & Fitness/Mental Health` -> its category and subcategory, as the feed nests them."""
    return tuple(part.strip() for part in category.split("/") if part.strip())[:2]


@dataclass(frozen=True, kw_only=True)
class Podcast:
    """The podcast the practices belong to: `podcast.yaml`."""

    title: str = "Guided Practice"
    author: str = "audio-builder"
    email: str | None = None
    description: str = ""
    base_url: str | None = None
    image: Path | None = None
    language: str | None = None              # None: the default voice's
    category: str = "Health & Fitness/Mental Health"
    explicit: bool = False
    source: Path | None = None
    guid: str | None = None                  # podcast:guid, when pinned in podcast.yaml
    copyright: str | None = None
    license: str | None = None               # podcast:license, like cc-by-4.0
    people: tuple[Person, ...] = ()
    funding_url: str | None = None           # podcast:funding: where listeners can support it
    funding_text: str = "Support the podcast"
    locked: bool = True                      # podcast:locked yes (with the email as owner)
    new_feed_url: str | None = None          # itunes:new-feed-url: the podcast moved there
    medium: str = "podcast"                  # podcast:medium
    promotion: tuple[str, ...] = ()          # the teacher's books, retreats: never in a recording
