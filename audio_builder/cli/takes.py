"""`audio-builder takes`: the takes of a recorded voice (list, recording sheet, import, recut)."""

from __future__ import annotations

import sys
from pathlib import Path

import click

from audio_builder import api
from audio_builder.cli.options import echo, shown
from audio_builder.durations import format_ms
from audio_builder.progress import progress_bars


class DefaultList(click.Group):
    """`takes SCRIPT` lists; `takes import ...` imports: a group whose default is `list`."""

    def parse_args(self, ctx: click.Context, args: list[str]) -> list[str]:
        if args and args[0] not in self.commands and args[0] not in ("-h", "--help"):
            args = ["list", *args]
        return super().parse_args(ctx, args)


def warn_index(found: api.VoiceLines) -> None:
    """Say what was wrong with the takes folder's index (it has been written again)."""
    if found.index_problem is not None:
        found.index_problem.file = shown(found.index_problem.file)
        echo(f"warning: {found.index_problem.located()}", err=True)


voice_option = click.option("--voice", metavar="NAME",
                            help="The recorded voice (default: the script's voice).")
length_option = click.option("--length", metavar="DURATION",
                             help="Only the lines the track of this length speaks (a script "
                                  "with `only:` steps; default: the lines of every length).")


@click.group(cls=DefaultList)
def takes() -> None:
    """The takes of a recorded voice: `takes SCRIPT` lists them; `takes import SCRIPT READING`
    cuts them from one whole reading; `takes recut SCRIPT N` moves a take's cut."""


@takes.command("list")
@click.argument("script", type=click.Path(path_type=Path))
@voice_option
@length_option
@click.option("--sheet", type=click.Path(path_type=Path, dir_okay=False),
              help="Also write a numbered recording sheet to read from (.md for Markdown, "
                   "else plain text).")
def list_takes(script: Path, voice: str | None, length: str | None, sheet: Path | None) -> None:
    """Each line of SCRIPT in reading order with its take id, and its take's length or
    `missing`."""
    report = api.takes_report(script, voice=voice, length=length, sheet=sheet)
    warn_index(report.voice)
    echo(f"voice {report.voice.profile.name!r}, takes in {shown(report.voice.folder)}/ "
         f"(the index: takes.yaml)")
    _print_rows(report.rows)
    echo(f"{report.ready} of {len(report.rows)} takes ready")
    if report.sheet:
        echo(f"wrote the recording sheet {shown(report.sheet)}")


def _print_rows(rows: tuple[api.TakeRow, ...]) -> None:
    echo(f"{'#':>3}  {'line':>4}  {'take id':<46} {'length':>9}  words")
    for row in rows:
        line = row.line
        status = format_ms(row.ms) if row.ms is not None else row.status
        echo(f"{line.number:>3}  {line.place.line:>4}  {line.id:<46} {status:>9}  {line.text}")
        if row.problem and line.take is not None:
            echo(f"{'':>11}{shown(line.take)}: {row.problem}")


@takes.command("import")
@click.argument("script", type=click.Path(path_type=Path))
@click.argument("reading", type=click.Path(path_type=Path, dir_okay=False))
@voice_option
@length_option
@click.option("--replace", "replace", is_flag=False, flag_value="all", metavar="LINES",
              help="Replace takes already there: `all` (the default with no value), or the "
                   "lines named by their number in `audio-builder takes` (3, 3,7, 3-5) or by "
                   "their first words. Without it, only lines with no take are filled.")
def import_takes(script: Path, reading: Path, voice: str | None, length: str | None,
                 replace: str | None) -> None:
    """Cut the takes of SCRIPT's lines from one whole READING (any audio file).

    Read the practice once, in order, pausing between lines; a line read twice keeps its last
    reading. Every take is listened back: the table says `ok` or what is wrong, worst first.
    Exit status 1 if a line was not found or a take needs listening to."""
    if reading.is_file():
        echo(f"listening to {shown(reading)} ...", err=True)
    with progress_bars(sys.stderr.isatty(), stderr=True) as progress:
        found, report = api.import_takes(script, reading, voice=voice, length=length,
                                         replace=replace, progress=progress)
    warn_index(found)
    from audio_builder.own_voice.importer import report_table

    table, advice = report_table(report)
    for row in table:
        echo(row)
    written = sum(row.written for row in report.rows)
    echo(f"wrote {written} take{'s' * (written != 1)} to {shown(found.folder)}/")
    for row in advice:
        echo(row, err=True)
    if advice:
        raise click.exceptions.Exit(1)


def _move(value: str | None, name: str) -> int:
    """A signed move of an edge (`-200ms`, `+0.5s`): later is positive."""
    if value is None:
        return 0
    from audio_builder.durations import DurationError, parse_duration

    try:
        return parse_duration(value.strip().removeprefix("+"), allow_negative=True)
    except DurationError as error:
        raise click.BadParameter(f"{error} (a move, like -200ms or +20ms)", param_hint=name) from None


@takes.command("recut")
@click.argument("script", type=click.Path(path_type=Path))
@click.argument("line", type=int)
@voice_option
@length_option
@click.option("--start", "start", metavar="MOVE",
              help="Move the start of the cut: -200ms is earlier, +20ms later.")
@click.option("--end", "end", metavar="MOVE", help="Move the end of the cut: +200ms is later.")
@click.option("--keep-flagged", is_flag=True,
              help="Keep the new take even if listening back finds something wrong with it "
                   "that was not wrong before (it is kept, flagged).")
def recut(script: Path, line: int, voice: str | None, length: str | None, start: str | None,
          end: str | None, keep_flagged: bool) -> None:
    """Where the take of LINE (its number in `audio-builder takes`) was cut from its reading;
    with --start/--end, the take made again from the moved edges, judged and listened back as
    an import's takes are (a take made worse, cut into a word, is refused: nothing changes)."""
    cut = api.take_cut(script, line, voice=voice, length=length)
    echo(f"line {line}: cut from {format_ms(cut.start_ms)} to {format_ms(cut.end_ms)} of "
         f"{shown(cut.reading)}")
    if start is not None or end is not None:
        state = api.recut_take(script, line, cut.start_ms + _move(start, "--start"),
                               cut.end_ms + _move(end, "--end"), voice=voice, length=length,
                               keep_flagged=keep_flagged)
        echo(f"made again: {format_ms(state.take_ms or 0)} long, {state.status}"
             + (f" ({state.why})" if state.why else ""))
