"""`audio-builder play`: a track played live for a group."""

from __future__ import annotations

import sys
from pathlib import Path

import click

from audio_builder.cli.options import parse_lengths, shown
from audio_builder.durations import format_ms
from audio_builder.errors import InputError
from audio_builder.script.project import open_project


@click.command()
@click.argument("track", type=click.Path(path_type=Path))
@click.option("--no-bells", is_flag=True, help="Leave out the recorded bells (strike your own bowl); "
                                               "needs the script, not a built track.")
@click.option("--hold", is_flag=True, help="Wait at the start of each chapter until space is pressed.")
@click.option("--from", "start", metavar="CHAPTER", help="Start at a chapter (its number or title).")
@click.option("--to-file", type=click.Path(path_type=Path, dir_okay=False),
              help="Play into this WAV file instead of the speakers (records the session).")
@click.option("--length", "length", metavar="DURATION",
              help="Which length to play, for a script with several (or any other length).")
@click.option("--keys", hidden=True, help="Keys at playback times, like '2:space,5:n' (for tests).")
def play(track, no_bells, hold, start, to_file, length, keys):
    """Play TRACK (a built track or a script) for a live session.

    Keys: space pause and resume, n / p next and previous chapter, right / left seek 10 s,
    b strike a bell now, q quit."""
    from audio_builder.live.keys import ScriptedKeys, TerminalKeys
    from audio_builder.live.outputs import FileOutput, SystemOutput
    from audio_builder.live.player import Player
    from audio_builder.live.prepare import bell_for, prepare_track
    from audio_builder.live.session import IDLE_LIMIT_MS, run_session
    from audio_builder.live.track import scratch_folder

    project = open_project(track)
    scripted = ScriptedKeys(keys or "") if keys is not None or not sys.stdin.isatty() else None
    with scratch_folder() as folder:
        wanted = parse_lengths((length,)) if length else None
        playable = prepare_track(track, project, folder, no_bells=no_bells,
                                 length_ms=wanted[0] if wanted else None)
        player = Player(track=playable, hold=hold, bell=bell_for(track, project, playable))
        if start:
            try:
                player.start_at_chapter(start)
            except LookupError:
                names = ", ".join(f"{n}. {m.title}" for n, m in enumerate(playable.chapters, 1))
                raise InputError(f"--from {start!r}: no such chapter; the chapters are: "
                                 f"{names or 'none'}") from None
        output = FileOutput(to_file) if to_file else SystemOutput()
        try:
            if isinstance(output, SystemOutput):
                output.check()
            with (scripted or TerminalKeys()) as key_source:
                show = sys.stdout.isatty()
                if show:
                    from rich.live import Live

                    from audio_builder.live.view import render_view

                    with Live(render_view(player), refresh_per_second=4, transient=False) as live:
                        idled = run_session(player, output, key_source,
                                            lambda p: live.update(render_view(p)))
                else:
                    idled = run_session(player, output, key_source)
            played_ms = output.written_ms
        finally:
            output.close()
    if idled:
        click.echo(f"stopped after {format_ms(IDLE_LIMIT_MS, precise=False)} of silence: the "
                   f"session was {'paused' if player.paused else 'holding at a chapter'} and no "
                   f"key was left to press", err=True)
    if to_file:
        def clock(ms: int) -> str:
            return format_ms((ms + 500) // 1000 * 1000, precise=False)

        click.echo(f"played {clock(played_ms)} of {playable.title!r} into {shown(str(to_file))}; "
                   f"it stopped at {clock(player.elapsed_ms)} of the track's {clock(playable.length_ms)}")
