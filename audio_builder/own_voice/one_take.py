"""One line's take: how it stands (recorded, missing, or flagged and why), and keeping a new
recording of that line as its take, judged exactly as every take is.

The studio records one line at a time in the browser; what it sends is judged here as the
command line's `record` and `takes import` judge theirs (`speech.takes.judge_take`: silent,
clipped, too quiet, too short), then listened back as an imported take is (`listening`: words
missing at the edges, words added, longer than its line can take); a take that cannot be used
is refused and nothing is written, one that listening back flags is kept with its verdict, as
an import keeps it. The line's file is written beside a temporary and renamed into place after
the index (takes.yaml) holds its verdict, an older take of the line in another format removed,
no other line's take touched.
"""

from __future__ import annotations

import functools
from contextlib import ExitStack
from dataclasses import dataclass, replace
from pathlib import Path

from audio_builder.files import temporary_beside
from audio_builder.model import VoiceProfile
from audio_builder.own_voice.listening import listen_to_take
from audio_builder.own_voice.pieces import Line, index_lines, judged, takes_folder
from audio_builder.own_voice.takes_index import (
    Listened,
    kept_reading,
    read_verdicts,
    record_verdicts,
    verdict_of,
)
from audio_builder.sound.media import mono_wav
from audio_builder.speech.takes import (
    EXTENSIONS,
    TakeError,
    content_digest,
    judge_take,
    longest_take_ms,
    read_take,
)

RECORDED, MISSING, FLAGGED = "recorded", "missing", "flagged"


@dataclass(frozen=True)
class LineState:
    """A line and how its take stands for one recorded voice."""

    line: Line
    status: str                 # RECORDED, MISSING or FLAGGED
    why: str = ""               # for FLAGGED: what is wrong, and what to do
    take_ms: int | None = None  # the take's length, when there is a usable one
    cut: tuple[Path, int, int] | None = None   # a take cut from a kept reading: it, start, end ms
    listened: Listened | None = None   # the index's verdict on this very take (`line_state`)


def line_state(line: Line, keep_breaths: bool) -> LineState:
    """Read and judge the take of `line` (if there is one), with what listening back said of
    it when it was made."""
    if line.take is None:
        return LineState(line, MISSING)
    try:
        status = line.take.stat()
    except OSError:
        return LineState(line, MISSING)
    ms, problem = _judged_file(line, keep_breaths, status.st_mtime_ns, status.st_size)
    if ms is None:
        return LineState(line, FLAGGED, problem or "cannot be used")
    listened = verdict_of(line.take, read_verdicts(line.take.parent))
    cut = _cut_of(line.take.parent, listened)
    if listened is not None and not listened.ok:
        return LineState(line, FLAGGED, f"listening back: {listened.verdict}", ms, cut, listened)
    return LineState(line, RECORDED, take_ms=ms, cut=cut, listened=listened)


def _new_problems(after: tuple[str, ...], before: tuple[str, ...]) -> list[str]:
    """What listening back found in a new take that it did not find in the one before: the
    same words missing or added count as the same problem; `long` counts as one whatever the
    figures in it (they move with every edge)."""
    def kind(problem: str) -> str:
        return "long" if problem.startswith("long:") else problem

    was = {kind(problem) for problem in before}
    return [problem for problem in after if kind(problem) not in was]


def _cut_of(folder: Path, listened: Listened | None) -> tuple[Path, int, int] | None:
    place = listened.place if listened is not None else None
    reading = kept_reading(folder, place[0]) if place else None
    return (reading, place[1], place[2]) if reading is not None and place else None


@functools.lru_cache(maxsize=4096)
def _judged_file(line: Line, keep_breaths: bool, mtime_ns: int, size: int) -> tuple[int | None, str | None]:
    """A take's length or what is wrong with it, judged once while the file is unchanged
    (decoding and judging a take costs about 140 ms: a 100-line practice's page asks for
    them all each time it is opened; benchmarks/studio.py)."""
    take, problem = judged(line, keep_breaths)
    return (take.ms if take is not None else None), problem


def keep_take(recording: Path, line: Line, profile: VoiceProfile, lines: list[Line], *,
              cut_from: tuple[str, int, int] | None = None,
              refuse_worse_than: Listened | None = None) -> LineState:
    """Judge `recording` (any audio file) as the take of `line`; when it is good, write it as
    the line's take (a 16-bit WAV at the recording's own rate) and bring the index up to date
    for `lines`. A bad take raises `TakeError` with what is wrong, and nothing is written.
    `cut_from`: the take was cut from a kept reading (its name in the index, start, end ms).
    `refuse_worse_than`: the verdict on the take it replaces; a take listening back finds
    something wrong with that was not wrong with that one is refused too."""
    folder = takes_folder(profile)
    target = folder / f"{line.id}.wav"
    try:
        take = read_take(recording, longest_take_ms(line.text))
    except TakeError as error:
        raise TakeError(error.message, target) from None
    judge_take(take, target, profile.breaths == "keep")
    try:
        verdict = listen_to_take(recording, line.text, line.language)
    except TakeError as error:
        raise TakeError(error.message, target) from None
    if refuse_worse_than is not None:
        worse = _new_problems(verdict.problems, refuse_worse_than.problems)
        if worse:
            raise TakeError(f"not made: listening back to it found {'; '.join(worse)}; the take "
                            "is unchanged (move that edge back, or the other way)", target)
    folder.mkdir(parents=True, exist_ok=True)
    with ExitStack() as cleanup:
        temporary = temporary_beside(target, cleanup)
        temporary.write_bytes(mono_wav(take.samples, take.sample_rate))
        index_lines(profile, lines)
        record_verdicts(folder, {line.id: (content_digest(temporary), verdict.describe())},
                        {line.id: cut_from} if cut_from else None)
        for suffix in EXTENSIONS:                 # an older take of this line in another format
            if suffix != ".wav":
                target.with_suffix(suffix).unlink(missing_ok=True)
        temporary.replace(target)
    kept = replace(line, take=target)
    cut = (folder / cut_from[0], cut_from[1], cut_from[2]) if cut_from else None
    if not verdict.ok:
        return LineState(kept, FLAGGED, f"listening back: {verdict.describe()}", take.ms, cut)
    return LineState(kept, RECORDED, take_ms=take.ms, cut=cut)
