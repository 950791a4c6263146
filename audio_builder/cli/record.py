"""`audio-builder record`: record a recorded voice's takes line by line, with a prompter."""

from __future__ import annotations

import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

import click

from audio_builder import api
from audio_builder.cli.options import echo, shown
from audio_builder.cli.takes import length_option, voice_option, warn_index
from audio_builder.live.keys import ScriptedKeys, TerminalKeys
from audio_builder.own_voice.record import KEYS, Recorder


@contextmanager
def prompter_view(recorder) -> Iterator[Callable]:
    """The prompter drawn in the terminal (rich), kept up to date while recording."""
    from rich.live import Live

    from audio_builder.own_voice.prompter import render_prompter

    with Live(render_prompter(recorder), refresh_per_second=8) as live:
        yield lambda changed: live.update(render_prompter(changed))


@click.command()
@click.argument("script", type=click.Path(path_type=Path))
@voice_option
@length_option
@click.option("--input-file", type=click.Path(path_type=Path, dir_okay=False),
              help="Read this recording as if it were the microphone, in real time (for tests, "
                   "or without a microphone).")
@click.option("--speed", type=click.FloatRange(0.1, 1000), metavar="X",
              help="With --input-file: read it X times faster than real time (default: real "
                   "time at a terminal; as fast as it decodes when keys come another way).")
@click.option("--from", "start", type=int, default=1, show_default=True, metavar="N",
              help="Start at line N of the recording sheet.")
@click.option("--line", "only", metavar="LINES",
              help="Record only these lines again (their numbers in `audio-builder takes`: 3, "
                   "3,7 or 3-5; or a line's first words), then stop: how to redo one take.")
@click.option("--keys", hidden=True, help="Keys at input times, like '0.5:space,3:space,4:q' "
                                          "(for tests).")
def record(script: Path, voice: str | None, length: str | None, input_file: Path | None,
           speed: float | None, start: int, only: str | None, keys: str | None) -> None:
    """Record the takes of SCRIPT line by line, with a prompter.

    Keys: space start and stop (a good take is kept and the next line comes up), r record the
    last line again, left/right move, s skip, q save and quit."""
    scripted = keys is not None or not sys.stdin.isatty()
    found, recorder = api.record_takes(
        script, ScriptedKeys(keys or "", KEYS) if scripted else TerminalKeys(), voice=voice,
        length=length, input_file=input_file,
        speed=speed if speed is not None else (None if scripted else 1.0), start=start,
        only=only, view=prompter_view if sys.stdout.isatty() else None)
    warn_index(found)
    report_session(found, recorder, script)


def report_session(found: api.VoiceLines, recorder: Recorder, script: Path) -> None:
    """What was kept, and each line whose last take was not (exit status 2 when one was left
    running past what its line can take to say: an error, as a take too long is)."""
    echo(f"kept {len(recorder.saved)} take{'s' * (len(recorder.saved) != 1)} in "
         f"{shown(found.folder)}/; `audio-builder takes {shown(script)}` lists what is left")
    for line in recorder.lines:
        if line.id in recorder.refused:
            echo(f"{shown(line.place.file)}:{line.place.line}: line {line.number}: "
                 f"{recorder.refused[line.id]}", err=True)
    if recorder.overran:
        raise click.exceptions.Exit(2)
