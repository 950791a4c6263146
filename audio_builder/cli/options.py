"""What several commands share: their options, and how they show paths and read lengths."""

from __future__ import annotations

import os
import re
from pathlib import Path

import click

from audio_builder.build import OutputSettings
from audio_builder.durations import DurationError, parse_duration
from audio_builder.errors import ErrorGroup, InputError
from audio_builder.files import CACHE_VARIABLE
from audio_builder.publish.formats import FORMATS
from audio_builder.script.parser import load_script
from audio_builder.script.project import find_scripts


def shown(file: str | Path | None) -> str | None:
    """A path as the user would type it: relative to where they are, when it can be."""
    if not file:
        return None if file is None else str(file)
    try:
        return os.path.relpath(file)
    except ValueError:
        return str(file)


def parse_lengths(values: tuple[str, ...]) -> tuple[int, ...] | None:
    lengths = []
    for value in values:
        for part in value.split(","):
            try:
                ms = parse_duration(part)
            except DurationError as error:
                raise InputError(f"--length: {error}") from None
            if ms <= 0:
                raise InputError("--length must be longer than 0")
            lengths.append(ms)
    return tuple(lengths) or None


def load_all(paths: list[Path], project) -> list:
    scripts, errors = [], []
    for path in find_scripts(paths, project):
        try:
            scripts.append(load_script(path))
        except InputError as error:
            errors.append(error)
    if errors:
        raise ErrorGroup(errors) if len(errors) > 1 else errors[0]
    return scripts


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


def output_settings(fmt: str, mono: bool, bitrate: str | None, loudness: str | None) -> OutputSettings:
    if bitrate is not None and not re.fullmatch(r"\d{2,3}k", bitrate):
        raise InputError(f"--bitrate {bitrate!r}: write it in kilobits, like 128k or 64k")
    if bitrate is not None and (problem := FORMATS[fmt].bitrate_problem(bitrate)):
        raise InputError(f"--bitrate {bitrate} with --format {fmt}: {problem}")
    if loudness is None or loudness == "off":
        return OutputSettings(fmt, 1 if mono else 2, bitrate, None, normalize=loudness != "off")
    try:
        target = float(loudness)
    except ValueError:
        raise InputError(f"--loudness {loudness!r}: give a target in LUFS, like -16 or -19, "
                         "or `off`") from None
    if not -40 <= target <= -5:
        raise InputError(f"--loudness {target:g}: choose a target from -40 to -5 LUFS "
                         "(-16 is usual for podcasts, -19 for mono)")
    return OutputSettings(fmt, 1 if mono else 2, bitrate, target)


def output_options(command):
    options = [
        click.option("--format", "fmt", type=click.Choice(list(FORMATS)), default="mp3",
                     show_default=True, help="The audio format to write."),
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
