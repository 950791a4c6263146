"""Finding each line of a script in one whole reading, and where to cut it.

The reading is heard by an offline recognizer (faster-whisper: tiny.en for English, whisper
base for other languages; see `recognizer`), 30 s at a time, for its words and their rough times. Each
line is matched to the words in reading order; a line read twice (a stumble, then again)
keeps its last complete reading. A line not found is looked for again between the lines
found around it, the recognizer told what to expect, and matched less strictly.

The cuts are at word edges: the recognizer's times drift by a few hundred ms (more after a
long silence), so each edge is moved by energy to the quiet stretch just outside the line's
first and last words, never into a word, and never past the word heard before or after it
(a false start, a cough heard as a word, the next line). A line's reading longer than its
words can take to say is not cut (a long pause or a break in the middle of it).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from difflib import SequenceMatcher
from pathlib import Path

import numpy as np

from audio_builder.errors import InputError
from audio_builder.languages import base_code
from audio_builder.own_voice.reading import FRAME_MS, Levels, windows
from audio_builder.own_voice.recognizer import model_for
from audio_builder.speech.takes import longest_reading_ms, words_of

RATE = 16_000
SECOND_LOOK = 0.6          # the same, for a line looked for only where it must be
COMPLETE = 0.8             # a second reading this alike replaces the first
WORDS_MATCH = 0.5          # share of a line's words heard exactly, in order, to look closer
LOOSE_WORDS_MATCH = 0.34   # the same, when looking again where a line must be
GOOD_MATCH = 0.7           # how alike the line and what was heard are, letter by letter
LOOSE_MATCH = 0.55         # the same, when looking again
LOOKAHEAD_WORDS = 40       # how far past the last line a line's reading is looked for
GAP_MS = 150               # a quiet stretch this long can hold a cut
EDGE_SLACK_MS = 200        # how far before its time a word may start, after it end
LENGTH_BONUS = 0.3         # ms of distance a ms of quiet is worth, up to:
BONUS_CAP_MS = 1000
MIN_SOUND_MS = 200
WORD_GAP_MS = 700          # words of one line heard further apart than this are not


@dataclass(frozen=True)
class Word:
    text: str
    start_ms: int
    end_ms: int
    probability: float


@dataclass(frozen=True)
class Found:
    """Where a line was read: its speech from `start_ms` to `end_ms` (by energy, outside its
    first and last words), how sure the match is, and how much quiet around the speech is the
    line's own (a take may keep up to that much)."""

    start_ms: int
    end_ms: int
    sureness: float
    lead_ms: int = 0
    tail_ms: int = 0
    fits: bool = True          # False: longer than the line's words can take to say


@dataclass(frozen=True)
class Heard:
    words: tuple[Word, ...]
    levels: Levels
    length_ms: int


def transcribe(samples: np.ndarray, offset_ms: int = 0, prompt: str | None = None,
               language: str | None = None) -> list[Word]:
    """The words the recognizer of `language` (default English) hears in `samples` (mono
    float32 at 16 kHz, at most 30 s), with their times from `offset_ms`."""
    segments, _ = model_for(language).transcribe(samples, language=base_code(language), beam_size=1,
                                                 word_timestamps=True, condition_on_previous_text=False,
                                                 vad_filter=False, initial_prompt=prompt)
    return [Word(text, offset_ms + round(word.start * 1000), offset_ms + round(word.end * 1000),
                 word.probability)
            for segment in segments for word in segment.words or () for text in words_of(word.word)]


def hear(path: Path, progress: Callable[[int], None] | None = None,
         language: str | None = None) -> Heard:
    """The words of a reading in `language` (default English) with their times, and its
    levels; streamed in 30 s windows."""
    words: list[Word] = []
    levels: list[np.ndarray] = []
    end = 0.0
    for start, samples in windows(path, RATE, levels):
        end = start + samples.size / RATE
        if progress:
            progress(round(end * 1000))
        if _has_speech(samples):
            words += transcribe(samples, round(start * 1000), language=language)
    level = Levels(np.concatenate(levels) if levels else np.zeros(0, np.float32))
    if not words:
        raise InputError("no speech found in this reading; is it the right file, and was the "
                         "microphone on?", path)
    return Heard(tuple(words), level, round(end * 1000))


def _has_speech(samples: np.ndarray) -> bool:
    rms = float(np.sqrt(np.mean(samples.astype(np.float64) ** 2))) if samples.size else 0.0
    return rms > 10 ** (-60 / 20)


# --- matching lines to words ------------------------------------------------------------

@dataclass(frozen=True)
class Match:
    first: int          # index of the first word heard of the line
    last: int           # index of the last
    score: float        # how alike the line and the words heard are (0 to 1)
    head: int = 0       # words of the line not matched before the first
    tail: int = 0       # and after the last


def alike(said: Sequence[str], heard: Sequence[str]) -> float:
    """How alike two runs of words are, letter by letter (0 to 1): the recognizer mishears
    a word here and there ("whatever" as "what effort")."""
    return SequenceMatcher(None, " ".join(said), " ".join(heard), autojunk=False).ratio()


def match_at(line: Sequence[str], heard: Sequence[str], start: int,
             least: float = WORDS_MATCH) -> Match | None:
    """The line matched against the heard words from `start` on (room for a repeat)."""
    span = heard[start:start + 2 * len(line) + 4]
    blocks = [b for b in SequenceMatcher(None, list(line), list(span), autojunk=False)
              .get_matching_blocks() if b.size]
    if not blocks:
        return None
    # Keep the blocks that belong together: drop a block at either end far from the rest
    # (a word of the line said again in the next one, or before it), unless as many words
    # of the line lie between them (misheard ones).
    def apart(one, two) -> int:
        return (two.b - (one.b + one.size)) - (two.a - (one.a + one.size))

    while len(blocks) > 1 and apart(blocks[0], blocks[1]) > 3:
        blocks = blocks[1:]
    while len(blocks) > 1 and apart(blocks[-2], blocks[-1]) > 3:
        blocks = blocks[:-1]
    matched = sum(b.size for b in blocks)
    if matched / len(line) < least:
        return None
    first, last = start + blocks[0].b, start + blocks[-1].b + blocks[-1].size - 1
    return Match(first, last, alike(line, heard[first:last + 1]), blocks[0].a,
                 len(line) - blocks[-1].a - blocks[-1].size)


def widened(line: Sequence[str], heard: Sequence[str], match: Match, low: int) -> Match:
    """The match taken out over misheard words at its ends: line words not matched before
    (after) it, and heard words just before (after) it that sound like them, letter by letter."""
    first, last, head, tail = match.first, match.last, match.head, match.tail
    if head:
        said = line[:head]
        tries = [j for j in range(max(low, first - head - 1), first)
                 if alike(said, heard[j:first]) >= 0.5]
        first = max(tries, key=lambda j: alike(said, heard[j:first]), default=first)
        head = 0 if first < match.first else head
    if tail:
        said = line[len(line) - tail:]
        tries = [j for j in range(last + 1, min(len(heard), last + tail + 2))
                 if alike(said, heard[last + 1:j + 1]) >= 0.5]
        last = max(tries, key=lambda j: alike(said, heard[last + 1:j + 1]), default=last)
        tail = 0 if last > match.last else tail
    if (first, last) == (match.first, match.last):
        return match
    return Match(first, last, alike(line, heard[first:last + 1]), head, tail)


def find_lines(lines: Sequence[Sequence[str]], heard: Sequence[str], *, loose: bool = False
               ) -> list[Match | None]:
    """For each line (its words), where it was read, in reading order; None where not.
    `loose`: matched less strictly (when looking again where the lines must be)."""
    good, least = (LOOSE_MATCH, LOOSE_WORDS_MATCH) if loose else (GOOD_MATCH, WORDS_MATCH)
    found: list[Match | None] = []
    cursor = 0
    for line in lines:
        if not line:
            found.append(None)
            continue
        best = _first_good(line, heard, cursor, cursor + LOOKAHEAD_WORDS + len(line), good, least)
        if best is None:
            found.append(None)
            continue
        # Read again right after? Keep the last complete reading.
        low = cursor
        while True:
            again = _first_good(line, heard, best.last + 1, best.last + 2 + len(line) // 2,
                                max(COMPLETE, good), least)
            if again is None:
                break
            low, best = best.last + 1, again
        best = widened(line, heard, best, low)
        found.append(best)
        cursor = best.last + 1
    return _second_look(lines, heard, found)


def _second_look(lines: Sequence[Sequence[str]], heard: Sequence[str],
                 found: list[Match | None]) -> list[Match | None]:
    """A line not found is looked for again, less strictly, in the words heard between the
    lines found before and after it (where it must be, if it was read): the recognizer
    mishears names and numbers ("Jamie Lynn has years" as "Jamie Lind her's year")."""
    for index, line in enumerate(lines):
        if found[index] is not None or not line:
            continue
        before = next((m.last + 1 for m in reversed(found[:index]) if m is not None), 0)
        after = next((m.first for m in found[index + 1:] if m is not None), len(heard))
        if after <= before or after - before > 2 * len(line) + 4:
            continue
        alike = SequenceMatcher(None, " ".join(line), " ".join(heard[before:after]),
                                autojunk=False).ratio()
        if alike >= SECOND_LOOK:
            found[index] = Match(before, after - 1, alike)
    return found


def _first_good(line: Sequence[str], heard: Sequence[str], low: int, high: int,
                at_least: float = GOOD_MATCH, least: float = WORDS_MATCH) -> Match | None:
    for start in range(low, min(high, len(heard))):
        if heard[start] not in line:
            continue
        match = match_at(line, heard, start, least)
        if match is not None and match.score >= at_least and match.first == start:
            return _tightest(line, heard, match, least)
    return None


def _tightest(line: Sequence[str], heard: Sequence[str], match: Match, least: float) -> Match:
    """A match that also fits starting later (a false start before it) is taken from there."""
    for start in range(match.first + 1, match.last + 1):
        later = match_at(line, heard, start, least)
        if later is not None and later.score >= match.score and later.first == start:
            return _tightest(line, heard, later, least)
    return match


# --- cuts at word edges ---------------------------------------------------------------

def gaps_of(levels: Levels, shortest_ms: int = GAP_MS) -> np.ndarray:
    """(start, end) in ms of every stretch below the sound threshold at least `shortest_ms`
    long: where a cut can fall without going into a word."""
    quiet = levels.db < levels.threshold()
    edges = np.diff(np.concatenate([[0], quiet.astype(np.int8), [0]]))
    starts, ends = np.nonzero(edges == 1)[0], np.nonzero(edges == -1)[0]
    keep = (ends - starts) * FRAME_MS >= shortest_ms
    return np.stack([starts[keep], ends[keep]], axis=1) * FRAME_MS if keep.any() else np.zeros((0, 2), int)


def _cost(at: np.ndarray, low: int, high: int, gaps: np.ndarray) -> np.ndarray:
    """How far each gap edge is from where the word's edge may be, less a bonus for a long
    gap (a pause between lines is longer than a stop inside a word)."""
    distance = np.maximum(low - at, 0) + np.maximum(at - high, 0)
    return distance - LENGTH_BONUS * np.minimum(gaps[:, 1] - gaps[:, 0], BONUS_CAP_MS)


def onset(first: Word, before: Word | None, gaps: np.ndarray, floor_ms: int) -> tuple[int, int]:
    """Where the speech of a line starts: the end of the quiet stretch before its first word
    (never inside the word, nor before the word heard just before it: a false start).
    Returns (onset, the quiet before it that a take may keep)."""
    ends = gaps[:, 1]
    usable = (ends <= max(first.end_ms, first.start_ms + EDGE_SLACK_MS)) & (ends > floor_ms)
    if before is not None:
        usable &= gaps[:, 0] >= before.start_ms
    if not usable.any():
        at = max(first.start_ms, floor_ms)
        return at, 0
    cost = _cost(ends, first.start_ms - EDGE_SLACK_MS, first.end_ms, gaps)
    best = int(np.argmin(np.where(usable, cost, np.inf)))
    start, end = (int(v) for v in gaps[best])
    return end, (end - max(start, floor_ms)) // (1 if start <= 0 else 2)


def offset(last: Word, after: Word | None, gaps: np.ndarray, onset_ms: int,
           ceiling_ms: int) -> tuple[int, int]:
    """Where the speech of a line ends: the start of the quiet stretch after its last word
    (never inside it, nor past the next word heard: a cough, the next line).
    Returns (offset, the quiet after it that a take may keep)."""
    starts = gaps[:, 0]
    usable = (starts >= max(last.start_ms, onset_ms + FRAME_MS)) & (starts < ceiling_ms)
    if after is not None:
        usable &= starts <= after.start_ms
    if not usable.any():
        at = min(max(last.end_ms, onset_ms + FRAME_MS), ceiling_ms)
        return at, 0
    cost = _cost(starts, last.start_ms, last.end_ms + EDGE_SLACK_MS, gaps)
    best = int(np.argmin(np.where(usable, cost, np.inf)))
    start, end = (int(v) for v in gaps[best])
    return start, (min(end, ceiling_ms) - start) // 2


def cut(match: Match, heard: Heard, gaps: np.ndarray, floor_ms: int, ceiling_ms: int,
        longest_ms: int) -> Found:
    """The speech of one matched line, from its first word's onset to its last word's end."""
    words = heard.words
    first, last = match.first, match.last
    # Words of the line heard as nothing like them: the words heard in their place, just
    # before (after) the rest, are theirs.
    for _ in range(match.head):
        if first == 0 or words[first - 1].start_ms < floor_ms or \
                words[first - 1].end_ms < words[first].start_ms - WORD_GAP_MS:
            break
        first -= 1
    for _ in range(match.tail):
        if last + 1 >= len(words) or words[last + 1].end_ms > ceiling_ms or \
                words[last + 1].start_ms > words[last].end_ms + WORD_GAP_MS:
            break
        last += 1
    before = words[first - 1] if first > 0 else None
    after = words[last + 1] if last + 1 < len(words) else None
    start, lead = onset(words[first], before, gaps, floor_ms)
    end, tail = offset(words[last], after, gaps, start, ceiling_ms)
    sure = match.score * float(np.mean([w.probability for w in words[match.first:match.last + 1]]))
    return Found(start, end, round(sure, 2), lead_ms=lead, tail_ms=tail,
                 fits=end - start <= longest_ms)


def locate(lines: Sequence[str], heard: Heard,
           relisten: Callable[[int, int, str], Sequence[Word]] | None = None) -> list[Found | None]:
    """Where each line (its text) was read in the reading, in reading order; None if not.
    `relisten(start_ms, end_ms, prompt)` hears a stretch again, told what to expect: a line
    not found is looked for once more between the lines found around it."""
    words = [words_of(line) for line in lines]
    matches = find_lines(words, [w.text for w in heard.words])
    gaps = gaps_of(heard.levels)
    found = _cuts(lines, matches, heard, gaps)
    if relisten is None or all(f is not None for f, line in zip(found, words, strict=True) if line):
        return found
    for low, high in _missing_runs(found, words):
        start = next((f.end_ms for f in reversed(found[:low]) if f is not None), 0)
        end = next((f.start_ms for f in found[high:] if f is not None), heard.length_ms)
        if not _sounds(heard.levels, start, end):
            continue
        prompt = " ".join(lines[low:high])
        again = tuple(relisten(start, end, prompt))
        if not again:
            continue
        region = Heard(again, heard.levels, heard.length_ms)
        retry = find_lines(words[low:high], [w.text for w in again], loose=True)
        around = _cuts(lines[low:high], retry, region, gaps, floor_ms=start, ceiling_ms=end)
        found[low:high] = [old or new for old, new in zip(found[low:high], around, strict=True)]
    return found


def _cuts(lines: Sequence[str], matches: Sequence[Match | None], heard: Heard, gaps: np.ndarray,
          floor_ms: int = 0, ceiling_ms: int | None = None) -> list[Found | None]:
    found: list[Found | None] = []
    previous_end = floor_ms
    for index, match in enumerate(matches):
        if match is None:
            found.append(None)
            continue
        following = next((m for m in matches[index + 1:] if m is not None), None)
        ceiling = heard.words[following.first].start_ms if following else (
            heard.length_ms if ceiling_ms is None else ceiling_ms)
        spot = cut(match, heard, gaps, previous_end, ceiling, longest_reading_ms(lines[index]))
        found.append(spot)
        previous_end = spot.end_ms
    return found


def _missing_runs(found: Sequence[Found | None], words: Sequence[Sequence[str]]
                  ) -> list[tuple[int, int]]:
    """(first, past the last) of each run of lines not found."""
    runs: list[tuple[int, int]] = []
    for index, spot in enumerate(found):
        if spot is None and words[index]:
            if runs and runs[-1][1] == index:
                runs[-1] = (runs[-1][0], index + 1)
            else:
                runs.append((index, index + 1))
    return runs


def _sounds(levels: Levels, start_ms: int, end_ms: int) -> bool:
    """Whether a stretch holds at least 200 ms of sound (else there is nothing to hear)."""
    frames = levels.db[start_ms // FRAME_MS:end_ms // FRAME_MS]
    return int(np.sum(frames >= levels.threshold())) * FRAME_MS >= MIN_SOUND_MS
