"""A recorded voice's takes: which lines a script needs and how each take stands
(`takes_report`), a recording sheet to read from, cutting takes from one whole reading
(`import_takes`), and recording them line by line (`record_takes`)."""

from __future__ import annotations

import os
from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from audio_builder.api.boundary import api_boundary, as_paths, as_project
from audio_builder.errors import InputError
from audio_builder.files import write_file_atomically
from audio_builder.model import Place, Script, VoiceProfile
from audio_builder.own_voice.importer import ImportReport, import_reading
from audio_builder.own_voice.pieces import (
    Line,
    index_lines,
    judged,
    lines_of,
    recorded_profile,
    script_in_voice,
    takes_folder,
)
from audio_builder.own_voice.record import Recorder, file_input, microphone_input, run_recorder
from audio_builder.script.parser import load_script

PathLike = str | os.PathLike


@dataclass(frozen=True)
class VoiceLines:
    """The lines one recorded voice speaks in one script, in reading order."""

    script: Script
    profile: VoiceProfile
    lines: list[Line]

    @property
    def folder(self) -> Path:
        return takes_folder(self.profile)


def voice_lines(script: PathLike, voice: str | None = None) -> VoiceLines:
    """The lines `voice` (default: the script's voice, which must be a recorded one) speaks."""
    path = as_paths(script)[0]
    project = as_project(path)
    loaded = load_script(path)
    name = voice or loaded.voice
    where = None if voice else Place(str(loaded.path), loaded.line_of("voice") or 1)
    profile = recorded_profile(project.profiles, name, where)
    loaded = script_in_voice(loaded, name)
    lines = lines_of(loaded, profile)
    if not lines:
        raise InputError(f"voice {name!r} speaks no line of this script", path)
    return VoiceLines(loaded, profile, lines)


@dataclass(frozen=True)
class TakeRow:
    line: Line
    ms: int | None                 # the take's length; None: missing or bad
    problem: str | None            # what is wrong with a take that is there

    @property
    def status(self) -> str:
        return "missing" if self.line.take is None else "BAD" if self.ms is None else "ok"


@dataclass(frozen=True)
class TakesReport:
    voice: VoiceLines
    rows: tuple[TakeRow, ...]
    sheet: Path | None = None      # the recording sheet written, if asked for

    @property
    def ready(self) -> int:
        return sum(row.ms is not None for row in self.rows)


@api_boundary
def takes_report(script: PathLike, *, voice: str | None = None,
                 sheet: PathLike | None = None) -> TakesReport:
    """Each line of `script` in reading order with its take, judged; the takes folder's index
    (takes.yaml) brought up to date. With `sheet`, also write a numbered recording sheet there
    (Markdown for .md, else plain text)."""
    found = voice_lines(script, voice)
    index_lines(found.profile, found.lines)
    rows = []
    for line in found.lines:
        take, problem = judged(line, found.profile.breaths == "keep")
        rows.append(TakeRow(line, take.ms if take is not None else None, problem))
    written = None
    if sheet is not None:
        written = Path(sheet)
        text = recording_sheet(found, markdown=written.suffix.lower() == ".md")
        write_file_atomically(written, lambda temporary: temporary.write_text(text, encoding="utf-8"))
    return TakesReport(found, tuple(rows), written)


def recording_sheet(found: VoiceLines, *, markdown: bool) -> str:
    title = f"{found.script.title}: lines for the voice {found.profile.name!r}"
    tip = ("Read each line as it comes, with a short silence between lines; the number is "
           "the take's, the id its file name.")
    if markdown:
        out = [f"# {title}", "", tip, ""]
        out += [f"{line.number}. {line.text}  \n   <small>`{line.id}`</small>" for line in found.lines]
    else:
        out = [title, "=" * len(title), "", tip, ""]
        out += [f"{line.number:>3}. {line.text}\n     ({line.id})" for line in found.lines]
    return "\n".join(out) + "\n"


@api_boundary
def import_takes(script: PathLike, reading: PathLike, *, voice: str | None = None,
                 replace: bool = False) -> tuple[VoiceLines, ImportReport]:
    """Cut the takes of `script`'s lines from one whole `reading` (any audio file), found by
    an offline speech recognizer; only missing takes are filled unless `replace`."""
    path = Path(reading)
    if not path.is_file():
        raise InputError("no such file; give the recording of the whole reading", path)
    found = voice_lines(script, voice)
    return found, import_reading(path, found.profile, found.lines, replace=replace)


RecorderView = Callable[[Recorder], AbstractContextManager[Callable[[Recorder], None]]]


@api_boundary
def record_takes(script: PathLike, keys, *, voice: str | None = None,
                 input_file: PathLike | None = None, start: int = 1,
                 view: RecorderView | None = None) -> tuple[VoiceLines, Recorder]:
    """Record the takes of `script` line by line from the microphone (or `input_file`, read
    as if it were one), pressing what `keys` gives (`live.keys`: the terminal's, or scripted).
    `view(recorder)`, if given, is a context that yields a function to call as it changes."""
    found = voice_lines(script, voice)
    index_lines(found.profile, found.lines)
    first = min(max(start, 1), len(found.lines)) - 1
    recorder = Recorder(found.lines, found.folder, found.profile.breaths == "keep", index=first)
    blocks: Iterator[np.ndarray] = file_input(Path(input_file)) if input_file else microphone_input()
    with keys as key_source:
        if view is None:
            run_recorder(recorder, blocks, key_source)
        else:
            with view(recorder) as update:
                run_recorder(recorder, blocks, key_source, update)
    return found, recorder
