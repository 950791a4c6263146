"""The command line: a thin layer over the Python API, one module per command or group.

`main` is the group every command joins (the console script `audio-builder` runs it); it turns
every `AudioBuilderError` into `FILE:LINE: message` and its exit status, and a termination
signal into an exit as Ctrl-C's (every temporary removed, every ffmpeg stopped, the terminal
given back, a line saying it stopped, and the signal's exit status). The options several
commands share are in `options`.

May import: anything of the package; nothing imports the command line.
"""

from __future__ import annotations

import contextlib

import click

from audio_builder.cli import (
    build,
    cache,
    check,
    feed,
    plan,
    play,
    record,
    serve,
    sounds,
    studio,
    takes,
    video,
    voices,
)
from audio_builder.cli.options import echo, shown
from audio_builder.errors import AudioBuilderError, ErrorGroup
from audio_builder.files import Stopped, how_stopped, os_error, signals_unwind


def _report(error: AudioBuilderError) -> None:
    errors = error.errors if isinstance(error, ErrorGroup) else [error]
    for item in errors:
        item.file = shown(item.file)
        with contextlib.suppress(OSError):      # stderr gone (a closed terminal): only the status
            echo(item.located(), err=True)


class Group(click.Group):
    """Turns every `AudioBuilderError` into `FILE:LINE: message` and its exit status."""

    def invoke(self, ctx: click.Context):
        try:
            with signals_unwind():      # SIGTERM and SIGHUP clean up (and say so) as Ctrl-C does
                return super().invoke(ctx)
        except AudioBuilderError as error:
            if ctx.params.get("traceback"):
                raise
            _report(error)
            ctx.exit(error.exit_code)
        except OSError as error:         # disk full, no permission, a file for a folder, ...
            if ctx.params.get("traceback"):
                raise
            _report(os_error(error))
            ctx.exit(1)
        except (KeyboardInterrupt, Stopped) as stop:     # Ctrl-C, SIGTERM, SIGHUP: one line
            said, status = how_stopped(stop)
            written = WRITES_TO.get(ctx.invoked_subcommand or "")
            with contextlib.suppress(OSError):           # after SIGHUP the terminal may be gone
                echo(f"{said}; nothing half-written was left in {written}" if written else said,
                     err=True)
            ctx.exit(status)


# Where each command writes, for the line after Ctrl-C (None: nothing that could be left
# half-written; `play --to-file` keeps the session up to the stop, by design). Every command is
# here: a test fails for one that is not.
WRITES_TO: dict[str, str | None] = {
    "build": "output/", "feed": "output/", "video": "output/", "sounds": "output/",
    "voices": "output/voices/", "takes": "the takes folder", "record": "the takes folder",
    "cache": "the cache", "check": None, "plan": None, "play": None, "serve": None,
    "studio": "the takes folder or output/",
}


@click.group(cls=Group, context_settings={"help_option_names": ["-h", "--help"]})
@click.option("--traceback", is_flag=True, help="Show the full traceback of an error.")
@click.version_option(package_name="audio-builder")
def main(traceback: bool) -> None:
    """Turn written meditation practices (YAML scripts) into finished, timed audio."""


# Each command is its module's namesake; the package's names stay its modules (so
# `audio_builder.cli.build` is the module, never the command that shares its name).
for command in (build.build, check.check, plan.plan, voices.voices, feed.feed, play.play, cache.cache,
                sounds.list_sounds, takes.takes, serve.serve, video.video, record.record, studio.studio):
    main.add_command(command)
