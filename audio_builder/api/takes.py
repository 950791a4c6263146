"""A recorded voice's takes: which lines a script needs and how each take stands
(`takes_report`), a recording sheet to read from, cutting takes from one whole reading
(`import_takes`), and recording them line by line (`record_takes`)."""

from __future__ import annotations

import os
from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager
from dataclasses import dataclass, replace
from pathlib import Path

import numpy as np

from audio_builder.api.boundary import api_boundary, as_lengths, as_paths, as_project
from audio_builder.errors import InputError
from audio_builder.files import remove_stale_temporaries, write_file_atomically
from audio_builder.model import Place, Script, VoiceProfile
from audio_builder.own_voice.importer import ImportReport, import_reading
from audio_builder.own_voice.pieces import (
    Line,
    chosen_lines,
    index_lines,
    judged,
    lines_of,
    recorded_profile,
    script_in_voice,
    takes_folder,
)
from audio_builder.own_voice.reading import reading_length_ms
from audio_builder.own_voice.recognizer import require
from audio_builder.own_voice.record import Recorder, file_input, microphone_input, run_recorder
from audio_builder.script.parser import load_script
from audio_builder.script.speakers import practice_language

PathLike = str | os.PathLike


@dataclass(frozen=True)
class VoiceLines:
    """The lines one recorded voice speaks in one script, in reading order."""

    script: Script
    profile: VoiceProfile
    lines: list[Line]
    index_problem: InputError | None = None     # what was wrong with takes.yaml (rewritten)

    @property
    def folder(self) -> Path:
        return takes_folder(self.profile)


def voice_lines(script: PathLike, voice: str | None = None,
                length: str | int | float | None = None) -> VoiceLines:
    """The lines `voice` (default: the script's voice, which must be a recorded one) speaks;
    with `length`, only those its track of that length speaks (its `only:` steps)."""
    path = as_paths(script)[0]
    project = as_project(path)
    loaded = load_script(path)
    name = voice or loaded.voice
    where = None if voice else Place(str(loaded.path), loaded.line_of("voice") or 1)
    profile = recorded_profile(project.profiles, name, where, asked=voice is not None)
    loaded = script_in_voice(loaded, name)
    # the language its sentences are split by and the recognizer hears, as `build` settles it
    loaded = replace(loaded, language=practice_language(loaded, project.podcast, project.profiles))
    length_ms = (as_lengths(length, "--length") or (None,))[0] if length is not None else None
    lines = lines_of(loaded, profile, length_ms)
    if not lines:
        at = f" at {length}" if length is not None else ""
        raise InputError(f"voice {name!r} speaks no line of this script{at}", path)
    return VoiceLines(loaded, profile, lines)


def indexed(found: VoiceLines) -> VoiceLines:
    """`found` once the takes folder's index lists its lines, with what was wrong with the
    index there (it is then written again)."""
    return replace(found, index_problem=index_lines(found.profile, found.lines))


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
def takes_report(script: PathLike, *, voice: str | None = None, length: str | int | None = None,
                 sheet: PathLike | None = None) -> TakesReport:
    """Each line of `script` in reading order with its take, judged (with `length`, the lines
    of that length only); the takes folder's index (takes.yaml) brought up to date. With
    `sheet`, also write a numbered recording sheet there (Markdown for .md, else plain text)."""
    found = indexed(voice_lines(script, voice, length))
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
                 length: str | int | None = None, replace: str | bool | None = None,
                 progress: Callable[[str, int, int | None], None] | None = None
                 ) -> tuple[VoiceLines, ImportReport]:
    """Cut the takes of `script`'s lines (with `length`, of that length only) from one whole
    `reading` (any audio file), found by an offline speech recognizer. Only lines with no take
    are filled, unless `replace` names the lines to do again: `"all"` (or True), or their
    numbers (`"3"`, `"3,7"`, `"3-5"`) or first words, as `pieces.chosen_lines` reads them.
    The report has a row for each line asked for, and no other. `progress(stage, done, total)`,
    if given, hears how far the recognizer is: stage "reading", seconds of the reading heard,
    of its length (None when its header does not say). A reading is at most
    `reading.LONGEST_READING_MS` long, at a sample rate in `reading.RATES_HZ`."""
    path = Path(reading)
    if not path.is_file():
        raise InputError("no such file; give the recording of the whole reading", path)
    length_ms = reading_length_ms(path)
    found = voice_lines(script, voice, length)
    require(found.script.language, found.script.path, found.script.line_of("language"))
    found = indexed(found)
    choice = "all" if replace is True else replace or None
    asked = (chosen_lines(found.lines, choice) if choice
             else [line for line in found.lines if line.take is None])
    if not asked:
        raise InputError("every line already has a take, so there is nothing to fill; to "
                         "redo some, give --replace with their numbers from `audio-builder "
                         "takes` (like --replace 3), or --replace all", path)
    total = -(-length_ms // 1000) if length_ms else None
    heard = (lambda ms: progress("reading", min(ms // 1000, total or ms), total)) if progress else None
    return found, import_reading(path, found.profile, found.lines, fill=[line.id for line in asked],
                                 language=found.script.language, progress=heard)


RecorderView = Callable[[Recorder], AbstractContextManager[Callable[[Recorder], None]]]


@api_boundary
def record_takes(script: PathLike, keys, *, voice: str | None = None,
                 length: str | int | None = None, input_file: PathLike | None = None,
                 speed: float | None = 1.0, start: int = 1, only: str | None = None,
                 view: RecorderView | None = None) -> tuple[VoiceLines, Recorder]:
    """Record the takes of `script` line by line from the microphone (or `input_file`, read
    as if it were one, `speed` times real time; None: as fast as it decodes), pressing what
    `keys` gives (`live.keys`: the terminal's, or scripted). `only` names lines to record
    again (as `pieces.chosen_lines` reads them): just those, and it stops once they are kept.
    `view(recorder)`, if given, is a context that yields a function to call as it changes."""
    found = indexed(voice_lines(script, voice, length))
    if speed is not None and not 0.1 <= speed <= 1000:
        raise InputError(f"--speed {speed:g}: give a speed from 0.1 to 1000 times real time")
    lines = chosen_lines(found.lines, only, "--line") if only else found.lines
    first = 0 if only else min(max(start, 1), len(found.lines)) - 1
    recorder = Recorder(lines, found.folder, found.profile.breaths == "keep", index=first,
                        finish_after_last=only is not None)
    blocks: Iterator[np.ndarray] = (file_input(Path(input_file), speed) if input_file
                                    else microphone_input())
    remove_stale_temporaries(found.folder)       # what a record killed outright left
    with keys as key_source:
        try:
            if view is None:
                run_recorder(recorder, blocks, key_source)
            else:
                with view(recorder) as update:
                    run_recorder(recorder, blocks, key_source, update)
        finally:
            recorder.close()
    return found, recorder
