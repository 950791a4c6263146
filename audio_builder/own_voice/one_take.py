"""One line's take: how it stands (recorded, missing, or flagged and why), and keeping a new
recording of that line as its take, judged exactly as every take is.

The studio records one line at a time in the browser; what it sends is judged here as the
command line's `record` and `takes import` judge theirs (`speech.takes.judge_take`: silent,
clipped, too quiet, too short), and only a good take is written: the line's file and the
takes' index (takes.yaml) replaced together, an older take of the line in another format
removed, no other line's take touched.
"""

from __future__ import annotations

import wave
from contextlib import ExitStack
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from audio_builder.errors import InputError
from audio_builder.files import temporary_beside
from audio_builder.model import VoiceProfile
from audio_builder.own_voice.pieces import Line, index_lines, judged, takes_folder
from audio_builder.speech.takes import EXTENSIONS, RawTake, TakeError, judge_take, read_take

RECORDED, MISSING, FLAGGED = "recorded", "missing", "flagged"


@dataclass(frozen=True)
class LineState:
    """A line and how its take stands for one recorded voice."""

    line: Line
    status: str                 # RECORDED, MISSING or FLAGGED
    why: str = ""               # for FLAGGED: what is wrong, and what to do
    take_ms: int | None = None  # the take's length, when there is a usable one


def line_state(line: Line, keep_breaths: bool) -> LineState:
    """Read and judge the take of `line` (if there is one)."""
    if line.take is None:
        return LineState(line, MISSING)
    take, problem = judged(line, keep_breaths)
    if take is None:
        return LineState(line, FLAGGED, problem or "cannot be used")
    return LineState(line, RECORDED, take_ms=take.ms)


def keep_take(recording: Path, line: Line, profile: VoiceProfile, lines: list[Line]) -> LineState:
    """Judge `recording` (any audio file) as the take of `line`; when it is good, write it as
    the line's take (a 16-bit WAV at the recording's own rate) and bring the index up to date
    for `lines`. A bad take raises `TakeError` with what is wrong, and nothing is written."""
    folder = takes_folder(profile)
    target = folder / f"{line.id}.wav"
    try:
        take = read_take(recording)
    except TakeError as error:
        raise TakeError(error.message, target) from None
    judge_take(take, target, profile.breaths == "keep")
    folder.mkdir(parents=True, exist_ok=True)
    with ExitStack() as cleanup:
        temporary = temporary_beside(target, cleanup)
        write_wav(temporary, take)
        index_lines(profile, lines)
        for suffix in EXTENSIONS:                 # an older take of this line in another format
            if suffix != ".wav":
                target.with_suffix(suffix).unlink(missing_ok=True)
        temporary.replace(target)
    return LineState(Line(line.number, line.text, line.place, target), RECORDED, take_ms=take.ms)


def write_wav(path: Path, take: RawTake) -> None:
    with wave.open(str(path), "wb") as file:
        file.setnchannels(1)
        file.setsampwidth(2)
        file.setframerate(take.sample_rate)
        file.writeframes((np.clip(take.samples, -1, 1) * 32767).astype("<i2").tobytes())


def line_numbered(lines: list[Line], number: int) -> Line:
    """The line numbered `number` (from 1, in reading order), or an error saying how many
    there are."""
    if not 1 <= number <= len(lines):
        raise InputError(f"there is no line {number}: this voice speaks {len(lines)} lines here")
    return lines[number - 1]
