"""`audio-builder play`: a track played live for a group."""

from __future__ import annotations

import functools
import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

import click

from audio_builder import api
from audio_builder.cli.options import echo, shown
from audio_builder.durations import format_ms
from audio_builder.live.keys import ScriptedKeys, TerminalKeys
from audio_builder.live.remote import DEFAULT_PORT, QR_STYLE, Remote, qr_lines
from audio_builder.live.session import IDLE_LIMIT_MS, RECORDING_SLACK_MS


@contextmanager
def terminal_view(player, remote: Remote | None = None) -> Iterator[Callable]:
    """The session drawn in the terminal (rich), kept up to date while it plays; with a
    remote, its address and QR code under the cue list."""
    from rich.live import Live

    from audio_builder.live.view import render_view

    extra = remote_text(remote) if remote is not None else None
    with Live(render_view(player, extra), refresh_per_second=4, transient=False) as live:
        yield lambda changed: live.update(render_view(changed, extra))


def remote_text(remote: Remote):
    from rich.text import Text

    lines = [f"phone remote: {remote.url}"]
    if remote.url != remote.local_url:
        lines.append(f"on this computer: {remote.local_url}")
    text = Text("\n".join(lines) + "\n")
    for line in qr_lines(remote.url):
        text.append(line, style=QR_STYLE)
        text.append("\n")
    return text


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
@click.option("--delay", metavar="DURATION",
              help="Silence before the first sound, to reach the cushion (like 30s).")
@click.option("--end-at", metavar="HH:MM",
              help="End the session at this time (24-hour clock): a script's flexible pauses are "
                   "fitted to it, and holds and pauses taken back from those still ahead.")
@click.option("--remote", is_flag=True,
              help="Serve a remote for a phone on the local network (its address and QR code "
                   "are shown); also at http://127.0.0.1:PORT/ on this computer.")
@click.option("--remote-port", type=click.IntRange(0, 65535), default=DEFAULT_PORT, show_default=True,
              help="The remote's port (0: any free one).")
@click.option("--keys", metavar="TIMES",
              help="Keys given ahead, at times of the session: '2:space,5:n' (seconds:key).")
@click.option("--keys-file", type=click.Path(path_type=Path, dir_okay=False),
              help="Keys given ahead in a file, one 'TIME KEY' a line, like '1:30 space'.")
def play(track, no_bells, hold, start, to_file, length, delay, end_at, remote, remote_port, keys,
         keys_file):
    """Play TRACK (a built track or a script) for a live session.

    Keys: space pause and resume, n / p next and previous chapter, right / left seek 10 s,
    b strike a bell now, q quit."""
    source = key_source(keys, keys_file)
    phone = Remote(port=remote_port).start() if remote else None
    if phone is not None and not sys.stdout.isatty():
        echo(f"phone remote: {phone.url}\non this computer: {phone.local_url}")
    view = functools.partial(terminal_view, remote=phone) if sys.stdout.isatty() else None
    try:
        session = api.play(track, keys=source, no_bells=no_bells, hold=hold, start=start,
                           length=length, to_file=to_file, delay=delay, end_at=end_at,
                           view=view, remote=phone)
    finally:
        if phone is not None:
            phone.stop()
    report(session)


def key_source(keys: str | None, keys_file: Path | None) -> ScriptedKeys | TerminalKeys:
    """Keys given ahead (`--keys`, `--keys-file`, or none when there is no terminal), or the
    terminal's."""
    if keys is not None and keys_file is not None:
        raise click.UsageError("give keys ahead with --keys or --keys-file, not both")
    if keys_file is not None:
        return ScriptedKeys.from_file(keys_file)
    if keys is not None or not sys.stdin.isatty():
        return ScriptedKeys(keys or "")
    return TerminalKeys()


def report(session: api.SessionReport) -> None:
    """How the session ended: on time or late, at a bound or idle, and what was recorded."""
    if session.late_ms:
        echo(f"ended at {session.ended_at:%H:%M:%S}, {format_ms(session.late_ms, precise=False)} "
             f"after {session.end_at:%H:%M}: the holds and pauses were longer than the "
             f"flexible pauses left could take back", err=True)
    elif session.end_at is not None:
        echo(f"ended at {session.ended_at:%H:%M:%S}, on time for {session.end_at:%H:%M}")
    if session.bounded:
        echo(f"stopped: the recording reached its bound, the track's length and "
             f"{format_ms(RECORDING_SLACK_MS, precise=False)} of pauses and holds; "
             f"{shown(session.to_file)} holds the session up to then", err=True)
    if session.idled:
        echo(f"stopped after {format_ms(IDLE_LIMIT_MS, precise=False)} of silence: the "
             f"session was {'paused' if session.paused else 'holding at a chapter'} and no "
             f"key was left to press", err=True)
    if session.to_file:
        def clock(ms: int) -> str:
            return format_ms((ms + 500) // 1000 * 1000, precise=False)

        echo(f"played {clock(session.played_ms)} of {session.title!r} into {shown(session.to_file)}; "
             f"it stopped at {clock(session.stopped_at_ms)} of the track's "
             f"{clock(session.length_ms)}")
