"""What several commands share: their options, and how they show paths and read lengths."""

from __future__ import annotations

import os
from pathlib import Path

import click

from audio_builder.errors import printable
from audio_builder.files import CACHE_VARIABLE
from audio_builder.publishing.formats import FORMATS
from audio_builder.publishing.platforms import PLATFORMS
from audio_builder.script.parser import read_lengths


def shown(file: str | Path | None) -> str | None:
    """A path as the user would type it: relative to where they are, when it can be."""
    if not file:
        return None if file is None else str(file)
    try:
        return os.path.relpath(file)
    except ValueError:
        return str(file)


def echo(message: object = "", *, err: bool = False, nl: bool = True) -> None:
    """`click.echo` for every line a command prints: through `printable(lines=True)`, so text
    read from a file (a title, a tag, a caption, a take's verdict, a voice's name) reaches the
    terminal without its escape sequences or control characters, wherever a message quotes it."""
    click.echo(printable(str(message), lines=True), err=err, nl=nl)


def split_lengths(values: tuple[str, ...]) -> list[str] | None:
    """`--length 5m,10m --length 20m` as the durations written, checked by the rule a script's
    `length:` follows (so an error names `--length`); None when none was given."""
    lengths = [part for value in values for part in value.split(",")]
    read_lengths(lengths, name="--length")
    return lengths or None


paths_argument = click.argument("paths", nargs=-1, type=click.Path(path_type=Path))
length_option = click.option("--length", "lengths", multiple=True, metavar="DURATION",
                             help="Build at this length instead of the script's (repeat, or "
                                  "give a list: 5m,10m).")
voice_option = click.option("--voice", help="Speak every line in this voice profile.")
cache_option = click.option("--cache-dir", type=click.Path(path_type=Path, file_okay=False),
                            help=f"Where spoken pieces are kept between builds "
                                 f"(default: the user cache folder, or ${CACHE_VARIABLE}).")
force_option = click.option("--force", is_flag=True,
                            help="Speak every piece anew instead of using the cache.")


platform_option = click.option(
    "--for", "platform", type=click.Choice(list(PLATFORMS)),
    help="Where the practice is published: `build` writes the file that platform asks for "
         "(format, bitrate, sample rate, loudness), `check` says what it rejects or advises "
         "against (docs/publishing.md).")


def echo_advice(advice, platform: str | None) -> None:
    """What `check --for` found, each at its line; exit status 1 when there is any."""
    for problem in advice:
        echo(f"{shown(problem.file)}:{problem.line}: {problem.message}", err=True)
    if advice:
        raise click.exceptions.Exit(1)
    if platform:
        echo(f"nothing {platform} rejects or advises against")


def output_options(command):
    options = [
        click.option("--format", "fmt", type=click.Choice(list(FORMATS)),
                     show_default="mp3, or the --for platform's", help="The audio format to write."),
        click.option("--mono/--stereo", default=False, help="One channel or two (default two)."),
        click.option("--bitrate", help="For MP3, M4A and Opus, like 128k (default: 128k stereo, "
                                       "64k mono; Opus 96k/48k)."),
        click.option("--loudness", metavar="LUFS",
                     help="Integrated loudness to reach (default -16, or -19 with --mono); "
                          "`off` leaves the level as mixed."),
    ]
    for option in reversed(options):
        command = option(command)
    return command
