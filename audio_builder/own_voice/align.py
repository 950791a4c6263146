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
LOOSE_SECOND_LOOK = 0.5    # and there, heard again with the recognizer told what to expect
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
JOINED_MS = 120            # words heard this close are said in one breath,
PAUSE_MS = 250             # unless there is a pause this long in the sound between them
SPLIT_WORDS = 2            # a line's words not matched at an end may be heard as this many more


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


def find_lines(lines: Sequence[Sequence[str]], heard: Sequence[str], *, loose: bool = False,
               times: Sequence[tuple[int, int]] | None = None) -> list[Match | None]:
    """For each line (its words), where it was read, in reading order; None where not.
    `loose`: matched less strictly (when looking again where the lines must be). `times`:
    each heard word's (start, end) in ms, to prefer a reading with quiet on both sides.

    The lines are placed together, in order: each line's candidate readings are gathered
    around where a first, greedy pass put it and its neighbours, and the one chain of
    readings, each after the one before, that holds the most of the lines' words is kept (a
    short line's words said inside a longer line later on are not its reading when that
    longer line needs them); then once more, gathered around that chain (the greedy pass,
    misled by one line, can put the lines after it too late). A line read twice keeps its
    last complete reading."""
    good, least = (LOOSE_MATCH, LOOSE_WORDS_MATCH) if loose else (GOOD_MATCH, WORDS_MATCH)
    chosen = _greedy(lines, heard, good, least)
    for _ in range(2):      # the chain, then again around the chain (a truer guide)
        chosen = _best_chain([_candidates(line, heard, _window(chosen, index, len(heard)), good, least)
                              for index, line in enumerate(lines)], lines, heard, times)
    found: list[Match | None] = []
    for index, (line, best) in enumerate(zip(lines, chosen, strict=True)):
        if best is None:
            found.append(None)
            continue
        # Read again right after? Keep the last complete reading (never into the next line's).
        low = found[-1].last + 1 if found and found[-1] is not None else 0
        limit = next((m.first for m in chosen[index + 1:] if m is not None), len(heard))
        while True:
            again = _first_good(line, heard, best.last + 1, min(limit, best.last + 2 + len(line) // 2),
                                max(COMPLETE, good), least)
            if again is None or again.last >= limit:
                break
            low, best = best.last + 1, again
        found.append(widened(line, heard[:limit], best, low))
    return _second_look(lines, heard, found, LOOSE_SECOND_LOOK if loose else SECOND_LOOK)


WINDOW_REACH = 2           # a line's readings are looked for from the line this many before it
MOST_STARTS = 600          # at most this many heard words are tried as a line's first
QUIET_MS = 250             # a reading with this much quiet before (after) it stands alone


def _greedy(lines: Sequence[Sequence[str]], heard: Sequence[str], good: float, least: float
            ) -> list[Match | None]:
    """The first pass: each line's first good reading after the last line found."""
    rough: list[Match | None] = []
    cursor = 0
    for line in lines:
        best = _first_good(line, heard, cursor, cursor + LOOKAHEAD_WORDS + len(line), good, least) \
            if line else None
        rough.append(best)
        if best is not None:
            cursor = best.last + 1
    return rough


def _window(rough: Sequence[Match | None], index: int, size: int) -> range:
    """Where line `index`'s readings are looked for: from the first pass's place of a line at
    least `WINDOW_REACH` before it to that of one as far after it (the first pass may have
    put the line itself, or its neighbours, in the wrong place)."""
    low = next((m.first for m in reversed(rough[:max(0, index - WINDOW_REACH + 1)]) if m), 0)
    high = next((m.last + 1 for m in rough[index + WINDOW_REACH:] if m), size)
    return range(low, min(high, low + MOST_STARTS))


def _candidates(line: Sequence[str], heard: Sequence[str], starts: range, good: float,
                least: float) -> list[Match]:
    """Every good reading of `line` starting in `starts`."""
    if not line:
        return []
    words = set(line)
    found: dict[tuple[int, int], Match] = {}
    for start in starts:
        if heard[start] not in words:
            continue
        match = match_at(line, heard, start, least)
        if match is not None and match.score >= good and match.first == start:
            tight = _tightest(line, heard, match, least)
            found.setdefault((tight.first, tight.last), tight)
    return list(found.values())


def _worth(match: Match, line: Sequence[str], heard: Sequence[str],
           times: Sequence[tuple[int, int]] | None) -> float:
    """What a reading is worth in the chain: the line's words it holds, as alike as they are,
    and a little more for quiet on either side of it (a line read on its own, not words of
    it inside another line)."""
    worth = (len(line) - match.head - match.tail) * match.score
    if times is not None:
        before = match.first == 0 or times[match.first][0] - times[match.first - 1][1] >= QUIET_MS
        after = match.last + 1 >= len(heard) or times[match.last + 1][0] - times[match.last][1] >= QUIET_MS
        worth += 0.5 * (before + after)
    return worth


def _best_chain(candidates: Sequence[Sequence[Match]], lines: Sequence[Sequence[str]],
                heard: Sequence[str], times: Sequence[tuple[int, int]] | None
                ) -> list[Match | None]:
    """One reading or none for each line, each after the one before, worth the most in all
    (weighted interval scheduling in reading order: a prefix maximum over where the chain
    so far ends, kept in a Fenwick tree)."""
    size = len(heard) + 1
    tree = [(0.0, -1)] * (size + 1)           # (best worth of a chain ending at or before, its id)
    chain: list[tuple[int, Match, int]] = []  # (line, reading, id of the reading before it)

    def best_before(position: int) -> tuple[float, int]:          # chains ending before `position`
        best, i = (0.0, -1), position
        while i > 0:
            best = max(best, tree[i])
            i -= i & -i
        return best

    def record(position: int, value: tuple[float, int]) -> None:  # a chain ending at `position`
        i = position + 1
        while i <= size:
            tree[i] = max(tree[i], value)
            i += i & -i

    best_end = (0.0, -1)
    for index, readings in enumerate(candidates):
        scored = []
        for match in readings:
            worth, before = best_before(match.first)
            scored.append((worth + _worth(match, lines[index], heard, times), match, before))
        for worth, match, before in scored:
            chain.append((index, match, before))
            entry = (worth, len(chain) - 1)
            record(match.last, entry)
            best_end = max(best_end, entry)
    chosen: list[Match | None] = [None] * len(candidates)
    at = best_end[1]
    while at >= 0:
        index, match, at = chain[at]
        chosen[index] = match
    return chosen


def _second_look(lines: Sequence[Sequence[str]], heard: Sequence[str],
                 found: list[Match | None], least: float = SECOND_LOOK) -> list[Match | None]:
    """Lines not found are looked for again, less strictly, in the words heard between the
    lines found before and after them (where they must be, if they were read): the
    recognizer mishears names, numbers and short lines ("Jamie Lynn has years" as "Jamie
    Lind her's year", "A small one is enough" as "a small world is in earth"). A run of such
    lines shares out the words between its neighbours, in order, each line taking the
    stretch most like it, letter by letter, near where the line before it ended."""
    index = 0
    while index < len(lines):
        if found[index] is not None or not lines[index]:
            index += 1
            continue
        end = index
        while end < len(lines) and found[end] is None:
            end += 1
        before = next((m.last + 1 for m in reversed(found[:index]) if m is not None), 0)
        after = next((m.first for m in found[end:] if m is not None), len(heard))
        if 0 < after - before <= sum(2 * len(line) + 4 for line in lines[index:end]):
            for at, line in enumerate(lines[index:end], index):
                if not line:
                    continue
                if end - index == 1:                   # alone between its neighbours: all of it
                    spans = [(before, after)]
                else:
                    spans = [(first, first + length) for first in range(before, min(after, before + 4))
                             for length in range(max(1, len(line) - 2), len(line) + 4)
                             if first + length <= after]
                scored = [(alike(line, heard[a:b]), a, b) for a, b in spans]
                score, a, b = max(scored, default=(0.0, 0, 0))
                if score >= least:
                    found[at] = Match(a, b - 1, score)
                    before = b
        index = end
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
        # After the word heard before: the quiet starts after that word starts, or ends after
        # it ends (the recognizer runs a word on into the pause after it: "week" for 1.2 s).
        usable &= (gaps[:, 0] >= before.start_ms) | (ends >= before.end_ms)
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
    # before (after) the rest, are theirs (the recognizer may hear one word as two: "perhaps
    # a" as "but have some").
    for _ in range(match.head and match.head + SPLIT_WORDS):
        if first == 0 or words[first - 1].start_ms < floor_ms or \
                words[first - 1].end_ms < words[first].start_ms - WORD_GAP_MS:
            break
        first -= 1
    for _ in range(match.tail and match.tail + SPLIT_WORDS):
        if last + 1 >= len(words) or words[last + 1].end_ms > ceiling_ms or \
                words[last + 1].start_ms > words[last].end_ms + WORD_GAP_MS:
            break
        last += 1
    # Words heard right against the line's first or last (no pause between) are its own,
    # misheard ("today" as "to make"): a line is read in one breath, lines apart.
    while first > 0 and words[first - 1].start_ms >= floor_ms and \
            _joined(words[first - 1], words[first], gaps):
        first -= 1
    while last + 1 < len(words) and words[last + 1].end_ms <= ceiling_ms and \
            _joined(words[last], words[last + 1], gaps):
        last += 1
    before = words[first - 1] if first > 0 else None
    after = words[last + 1] if last + 1 < len(words) else None
    start, lead = onset(words[first], before, gaps, floor_ms)
    end, tail = offset(words[last], after, gaps, start, ceiling_ms)
    sure = match.score * float(np.mean([w.probability for w in words[match.first:match.last + 1]]))
    return Found(start, end, round(sure, 2), lead_ms=lead, tail_ms=tail,
                 fits=end - start <= longest_ms)


def _joined(one: Word, two: Word, gaps: np.ndarray) -> bool:
    """Whether two words heard one after the other were said in one breath: heard with no
    time between them, and no pause in the sound between them (the recognizer runs a word on
    into the pause after it, so its times alone cannot tell)."""
    if two.start_ms - one.end_ms >= JOINED_MS:
        return False
    pauses = gaps[(gaps[:, 1] - gaps[:, 0] >= PAUSE_MS) & (gaps[:, 0] >= one.start_ms)
                  & (gaps[:, 1] <= two.end_ms)]
    return not pauses.size


def locate(lines: Sequence[str], heard: Heard,
           relisten: Callable[[int, int, str], Sequence[Word]] | None = None) -> list[Found | None]:
    """Where each line (its text) was read in the reading, in reading order; None if not.
    `relisten(start_ms, end_ms, prompt)` hears a stretch again, told what to expect: a line
    not found is looked for once more between the lines found around it."""
    words = [words_of(line) for line in lines]
    matches = find_lines(words, [w.text for w in heard.words],
                         times=[(w.start_ms, w.end_ms) for w in heard.words])
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
        retry = find_lines(words[low:high], [w.text for w in again], loose=True,
                           times=[(w.start_ms, w.end_ms) for w in again])
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
