"""`audio-builder build`: scripts in, finished tracks out."""

from __future__ import annotations

import os
import sys
from pathlib import Path

import click

from audio_builder.batch import BatchOptions, build_scripts
from audio_builder.build import Builder
from audio_builder.cli.options import (
    cache_option,
    force_option,
    length_option,
    load_all,
    output_options,
    output_settings,
    parse_lengths,
    paths_argument,
    shown,
    voice_option,
)
from audio_builder.durations import format_ms
from audio_builder.own_voice.pieces import fallback_count, script_in_voice
from audio_builder.progress import progress_bars
from audio_builder.script.project import open_project
from audio_builder.speech.cache import SpeechCache


@click.command()
@paths_argument
@click.option("-o", "--output", type=click.Path(path_type=Path, file_okay=False),
              help="Write here instead of the project's output/.")
@length_option
@voice_option
@output_options
@click.option("-j", "--jobs", type=click.IntRange(1, 64), default=os.cpu_count() or 1,
              envvar="AUDIO_BUILDER_JOBS", show_default="the number of cores",
              help="How many scripts and pieces of speech to work on at once "
                   "(or set AUDIO_BUILDER_JOBS).")
@click.option("--cluster", metavar="ADDRESS", help="Build on a Dask cluster: its scheduler's "
                                                  "address, like tcp://host:8786 (docs/scale.md).")
@click.option("-q", "--quiet", is_flag=True, help="No progress bars, only the summary.")
@cache_option
@force_option
def build(paths, output, lengths, voice, fmt, mono, bitrate, loudness, jobs, cluster, quiet, cache_dir,
          force):
    """Build scripts (files or folders; default scripts/) into tracks in output/."""
    project = open_project(paths[0] if paths else None)
    scripts = load_all(list(paths), project)
    options = BatchOptions(output_dir=output, lengths=parse_lengths(lengths), voice=voice,
                           output=output_settings(fmt, mono, bitrate, loudness),
                           cache_dir=cache_dir, force=force, jobs=jobs, cluster=cluster)
    show = not quiet and sys.stdout.isatty()
    with progress_bars(show) as progress, SpeechCache(cache_dir).in_use():
        report = build_scripts(project, scripts, options, progress)
    for track in report.tracks:
        click.echo(f"{shown(str(track.audio))}  {format_ms(track.length_ms)}  "
                   f"({len(track.plan.timeline.chapters)} chapters, "
                   f"{len(track.plan.timeline.speech)} spoken pieces)")
    count = len(report.tracks)
    total_ms = sum(track.length_ms for track in report.tracks)
    click.echo(f"built {count} track{'s' * (count != 1)}, {format_ms(total_ms, precise=False)} "
               f"of audio, in {report.seconds:.1f} s; speech: {report.cache_hits} of "
               f"{report.pieces} pieces from the cache, {report.synthesized} spoken")
    for (recorded, fallback), count in fallback_count([script_in_voice(s, voice) for s in scripts],
                                                     Builder(project).voices).items():
        click.echo(f"draft: {count} line{'s' * (count != 1)} with no take of voice {recorded!r} "
                   f"spoken by {fallback!r} (its fallback)")
