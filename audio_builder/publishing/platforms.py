"""The places a teacher publishes, one record each: the file each asks for (`build --for`),
with the description to paste where it reads one, and what each rejects or advises against in
a practice (`check --for`). docs/publishing.md
gives every rule's source.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from audio_builder.errors import InputError
from audio_builder.files import write_file_atomically
from audio_builder.model import Bell, Breathe, Chapter, Say, Script, Sit, SoundStep, steps_at
from audio_builder.publishing.chapters import (
    LISTED_MIN_COUNT,
    LISTED_MIN_MS,
    LISTED_TITLE_MAX,
    listed_chapters,
)
from audio_builder.publishing.tracks import Track
from audio_builder.publishing.video import video_description
from audio_builder.timeline import Timeline


@dataclass(frozen=True, kw_only=True)
class Platform:
    name: str                          # as `--for` takes it
    title: str
    format: str                        # the file it asks for
    bitrate: str | None = None         # None: the format's default
    sample_rate: int | None = None     # None: the build's own (44.1 kHz)
    loudness_lufs: float | None = None  # None: the default (-16 stereo, -19 mono)
    ending_bell: bool = False          # advises a bell at the end (it adds none)
    no_promotion: bool = False         # rejects promotion in the recording
    description_min: int = 0           # characters the description should have
    chapter_list: bool = False         # reads chapters from a description list
    latin_titles: bool = False         # lists chapters only when their titles are in Latin script
    description_file: str | None = None  # `build --for` writes NAME + this: the description to paste


PLATFORMS: dict[str, Platform] = {p.name: p for p in (
    Platform(name="podcast", title="a podcast feed", format="mp3"),
    Platform(name="insight-timer", title="Insight Timer", format="mp3", bitrate="128k",
             sample_rate=48_000, ending_bell=True, no_promotion=True, description_min=500),
    Platform(name="spotify", title="Spotify", format="mp3", bitrate="128k", loudness_lufs=-14,
             chapter_list=True, latin_titles=True, description_file=".spotify.txt"),
    Platform(name="youtube", title="YouTube", format="m4a", bitrate="192k", sample_rate=48_000,
             loudness_lufs=-14, chapter_list=True),
)}


def platform_named(name: str) -> Platform:
    try:
        return PLATFORMS[name]
    except (KeyError, TypeError):
        raise InputError(f"platform {name!r}: choose one of {', '.join(PLATFORMS)}") from None


# Promotion a platform that forbids it would hear: a web address, or an invitation.
_WEB_ADDRESS = re.compile(r"\b(?:https?://|www\.)\S+|\b[\w-]+(?:\.[\w-]+)*\.(?:com|org|net|io|co|"
                          r"info|app|me|uk|de|fr|es|au|ca|us|online|site|shop|life|studio)\b", re.I)
_INVITATION = re.compile(r"\b(?:visit|see|check out|go to)\s+(?:my|our)\s+(?:web\s?site|page|site|"
                         r"blog|shop|channel)\b|\b(?:sign up|subscribe|follow me|buy my|my new book|"
                         r"join (?:me|us) (?:at|on|for) (?:my|our|a|the) retreat)\b", re.I)


def lint(platform: Platform, script: Script, timeline: Timeline,
         promoted: Sequence[str] = ()) -> list[InputError]:
    """What `platform` rejects or advises against in `script` (planned as `timeline`), each
    at its line; `promoted` are names the teacher lists (her books, retreats)."""
    problems: list[InputError] = []
    where = platform.title
    if platform.no_promotion:
        problems += _promotion(script, promoted, where)
    if platform.ending_bell and not _ends_with_bell(script):
        problems.append(InputError(f"{where} advises a bell at the end of a practice (it adds "
                                   "none): end with `- bell: 1`", script.path,
                                   _last_line(script)))
    if platform.description_min and len(" ".join(script.description.split())) < platform.description_min:
        problems.append(InputError(
            f"{where} asks for a description of at least {platform.description_min} characters; "
            f"this one has {len(' '.join(script.description.split()))}", script.path,
            script.line_of("description") or 1))
    if platform.chapter_list:
        problems += _chapter_rules(script, timeline, where)
    if platform.latin_titles:
        problems += _latin_titles(script, timeline, where)
    return problems


def write_description(platform: Platform, track: Track, folder: Path,
                      chapters: Sequence[tuple[int, str]], length_ms: int) -> Path | None:
    """The description to paste where `platform` asks for one (`NAME.spotify.txt` in `folder`):
    the title, the description, and the chapter list it reads (see `chapters.listed_chapters`),
    headed in the practice's language. None for a platform that reads no such file."""
    if not platform.description_file:
        return None
    path = folder / f"{track.name}{platform.description_file}"
    text = video_description(track, list(chapters), length_ms, track.script.language)
    write_file_atomically(path, lambda temporary: temporary.write_text(text, encoding="utf-8"))
    return path


def _promotion(script: Script, promoted: Sequence[str], where: str) -> list[InputError]:
    problems = []
    names = [re.compile(r"\b" + re.escape(name) + r"\b", re.I) for name in promoted if name.strip()]
    for step in steps_at(script.steps, None):
        if not isinstance(step, Say):
            continue
        for pattern in (_WEB_ADDRESS, _INVITATION, *names):
            found = pattern.search(step.text)
            if found:
                problems.append(InputError(
                    f"{where} forbids promotion in the recording: {found.group(0)!r} is spoken "
                    "here; say it in the description instead", step.place.file, step.place.line))
                break
    return problems


def _ends_with_bell(script: Script) -> bool:
    sounding = [step for step in steps_at(script.steps, None)
                if isinstance(step, (Say, Bell, Breathe, SoundStep))
                or (isinstance(step, Sit) and step.bells is not None)]      # a sit's bells are inside it
    return bool(sounding) and isinstance(sounding[-1], Bell)


def _last_line(script: Script) -> int:
    places = [getattr(step, "place", None) for step in steps_at(script.steps, None)]
    lines = [place.line for place in places if place is not None]
    return max(lines) if lines else 1


def _latin_titles(script: Script, timeline: Timeline, where: str) -> list[InputError]:
    lines = {step.title: step.place.line for step in steps_at(script.steps, None)
             if isinstance(step, Chapter)}
    problems = []
    for chapter in sorted(timeline.chapters, key=lambda c: c.start_ms):
        other = other_script(chapter.title)
        if other:
            problems.append(InputError(
                f"{where} lists chapters only when every title is in Latin script, and "
                f"{chapter.title!r} is in {other} letters: the episode would show no chapters. "
                "Give the chapter a title in Latin letters (a transliteration), or leave the "
                "chapter list out of the description you paste", script.path,
                lines.get(chapter.title, 1)))
    return problems


def other_script(text: str) -> str | None:
    """The first script other than Latin that letters of `text` are written in ("Cyrillic",
    "Hiragana", "CJK"), or None when every letter is Latin (accents included).

    >>> other_script("Respiración, 2.ª vez"), other_script("Дыхание"), other_script("呼吸")
    (None, 'Cyrillic', 'CJK')
    """
    for ch in text:
        if not ch.isalpha() or ord(ch) < 0x250:          # Basic Latin to Latin Extended-B
            continue
        name = unicodedata.name(ch, "")
        if not name.startswith(("LATIN", "MODIFIER LETTER")):
            word = name.split(" ", 1)[0]
            return word if word == "CJK" else word.capitalize()
    return None


def _chapter_rules(script: Script, timeline: Timeline, where: str) -> list[InputError]:
    chapters = sorted((c.start_ms, c.title) for c in timeline.chapters)
    lines = {step.title: step.place.line for step in steps_at(script.steps, None)
             if isinstance(step, Chapter)}
    problems = []
    ends = [start for start, _ in chapters[1:]] + [timeline.length_ms]
    for (start, title), end in zip(chapters, ends, strict=True):
        line = lines.get(title, 1)
        if end - start < LISTED_MIN_MS:
            problems.append(InputError(
                f"{where}: chapter {title!r} lasts {(end - start) / 1000:.1f} s; a listed chapter "
                f"lasts at least {LISTED_MIN_MS // 1000} s, so the list merges it into its neighbour",
                script.path, line))
        if len(title) > LISTED_TITLE_MAX:
            problems.append(InputError(f"{where}: chapter {title!r} is {len(title)} characters; "
                                       f"titles under {LISTED_TITLE_MAX + 1} are listed whole",
                                       script.path, line))
    if not listed_chapters(chapters, timeline.length_ms):
        problems.append(InputError(
            f"{where} shows chapters only from a list of at least {LISTED_MIN_COUNT}, each "
            f"{LISTED_MIN_MS // 1000} s or longer; this practice's make fewer: add `- chapter:` "
            "steps", script.path, script.line_of("steps") or 1))
    return problems
