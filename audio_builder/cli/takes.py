"""`audio-builder takes`: the takes of a recorded voice (list, recording sheet, import)."""

from __future__ import annotations

from pathlib import Path

import click

from audio_builder.cli.options import shown
from audio_builder.durations import format_ms
from audio_builder.errors import InputError
from audio_builder.files import write_file_atomically
from audio_builder.model import Place, Script, VoiceProfile
from audio_builder.own_voice.pieces import (
    Line,
    index_lines,
    judged,
    lines_of,
    recorded_profile,
    script_in_voice,
    takes_folder,
)
from audio_builder.script.parser import load_script
from audio_builder.script.project import Project, open_project


class DefaultList(click.Group):
    """`takes SCRIPT` lists; `takes import ...` imports: a group whose default is `list`."""

    def parse_args(self, ctx: click.Context, args: list[str]) -> list[str]:
        if args and args[0] not in self.commands and args[0] not in ("-h", "--help"):
            args = ["list", *args]
        return super().parse_args(ctx, args)


def open_voice(script_path: Path, voice: str | None
               ) -> tuple[Project, Script, VoiceProfile, list[Line]]:
    project = open_project(script_path)
    script = load_script(script_path)
    name = voice or script.voice
    where = None if voice else Place(str(script.path), script.line_of("voice") or 1)
    profile = recorded_profile(project.profiles, name, where)
    script = script_in_voice(script, name)
    lines = lines_of(script, profile)
    if not lines:
        raise InputError(f"voice {name!r} speaks no line of this script", script_path)
    return project, script, profile, lines


voice_option = click.option("--voice", metavar="NAME",
                            help="The recorded voice (default: the script's voice).")


@click.group(cls=DefaultList)
def takes() -> None:
    """The takes of a recorded voice: `takes SCRIPT` lists them; `takes import SCRIPT READING`
    cuts them from one whole reading."""


@takes.command("list")
@click.argument("script", type=click.Path(path_type=Path))
@voice_option
@click.option("--sheet", type=click.Path(path_type=Path, dir_okay=False),
              help="Also write a numbered recording sheet to read from (.md for Markdown, "
                   "else plain text).")
def list_takes(script: Path, voice: str | None, sheet: Path | None) -> None:
    """Each line of SCRIPT in reading order with its take id, and its take's length or
    `missing`."""
    _, parsed, profile, lines = open_voice(script, voice)
    folder = takes_folder(profile)
    index_lines(profile, lines)
    present = 0
    click.echo(f"voice {profile.name!r}, takes in {shown(folder)}/ (the index: takes.yaml)")
    click.echo(f"{'#':>3}  {'line':>4}  {'take id':<46} {'length':>9}  words")
    for line in lines:
        take, problem = judged(line, profile.breaths == "keep")
        if take is not None:
            present += 1
            status = format_ms(take.ms)
        else:
            status = "missing" if line.take is None else "BAD"
        click.echo(f"{line.number:>3}  {line.place.line:>4}  {line.id:<46} {status:>9}  {line.text}")
        if problem and line.take is not None:
            click.echo(f"{'':>11}{shown(line.take)}: {problem}")
    click.echo(f"{present} of {len(lines)} takes ready")
    if sheet:
        text = recording_sheet(parsed, profile.name, lines, markdown=sheet.suffix.lower() == ".md")
        write_file_atomically(sheet, lambda temporary: temporary.write_text(text, encoding="utf-8"))
        click.echo(f"wrote the recording sheet {shown(sheet)}")


def recording_sheet(script: Script, voice: str, lines: list[Line], *, markdown: bool) -> str:
    title = f"{script.title}: lines for the voice {voice!r}"
    tip = ("Read each line as it comes, with a short silence between lines; the number is "
           "the take's, the id its file name.")
    if markdown:
        out = [f"# {title}", "", tip, ""]
        out += [f"{line.number}. {line.text}  \n   <small>`{line.id}`</small>" for line in lines]
    else:
        out = [title, "=" * len(title), "", tip, ""]
        out += [f"{line.number:>3}. {line.text}\n     ({line.id})" for line in lines]
    return "\n".join(out) + "\n"


@takes.command("import")
@click.argument("script", type=click.Path(path_type=Path))
@click.argument("reading", type=click.Path(path_type=Path, dir_okay=False))
@voice_option
@click.option("--replace", is_flag=True, help="Replace takes already there (default: fill only "
                                              "the missing ones).")
def import_takes(script: Path, reading: Path, voice: str | None, replace: bool) -> None:
    """Cut the takes of SCRIPT's lines from one whole READING (any audio file).

    Read the practice once, in order, pausing between lines; a line read twice keeps its last
    reading. Exit status 1 if some lines were not found."""
    from audio_builder.own_voice.importer import import_reading

    if not reading.is_file():
        raise InputError("no such file; give the recording of the whole reading", reading)
    _, _, profile, lines = open_voice(script, voice)
    click.echo(f"listening to {shown(reading)} ...", err=True)
    report = import_reading(reading, profile, lines, replace=replace)
    click.echo(f"{'#':>3}  {'line':>4}  {'found at':<21}  {'sure':>4}  words")
    for row in report.rows:
        line = row.line
        if row.found is None:
            where, sure = "not found", ""
        else:
            where = f"{format_ms(row.found.start_ms)}-{format_ms(row.found.end_ms)}"
            sure = f"{row.found.sureness:.2f}"
        kept = "" if row.written or row.found is None else "  (kept the take already there)"
        click.echo(f"{line.number:>3}  {line.place.line:>4}  {where:<21}  {sure:>4}  {line.text}{kept}")
    written = sum(row.written for row in report.rows)
    click.echo(f"wrote {written} take{'s' * (written != 1)} to {shown(takes_folder(profile))}/")
    if report.missing:
        click.echo(f"not found ({len(report.missing)}): listen there, then read them again and "
                   "import that reading (only missing lines are filled)", err=True)
        for row in report.missing:
            start, end = row.listen or (0, report.length_ms)
            click.echo(f"  line {row.line.place.line}: \"{row.line.text}\" (between "
                       f"{format_ms(start)} and {format_ms(end)})", err=True)
        raise click.exceptions.Exit(1)
