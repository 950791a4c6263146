"""`audio-builder build`: scripts in, finished tracks out."""

from __future__ import annotations

import os
import sys
from pathlib import Path

import click

from audio_builder import api
from audio_builder.cli.options import (
    cache_option,
    echo,
    force_option,
    length_option,
    output_options,
    paths_argument,
    platform_option,
    shown,
    split_lengths,
    voice_option,
)
from audio_builder.durations import format_ms
from audio_builder.progress import progress_bars


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
@platform_option
def build(paths, output, lengths, voice, fmt, mono, bitrate, loudness, jobs, cluster, quiet,
          cache_dir, force, platform):
    """Build scripts (files or folders; default scripts/) into tracks in output/."""
    project = api.open_project(paths[0] if paths else None)
    with progress_bars(not quiet and sys.stdout.isatty()) as progress:
        report = api.build(project, paths, lengths=split_lengths(lengths), voice=voice, format=fmt,
                           channels=1 if mono else 2, bitrate=bitrate, loudness=loudness,
                           output_dir=output, jobs=jobs, cluster=cluster, cache_dir=cache_dir,
                           force=force, progress=progress, platform=platform)
    for track in report:
        echo(f"{shown(track.audio)}  {format_ms(track.length_ms)}  "
             f"({len(track.plan.timeline.chapters)} chapters, "
             f"{len(track.plan.timeline.speech)} spoken pieces)")
    echo(f"built {len(report)} track{'s' * (len(report) != 1)}, "
         f"{format_ms(report.length_ms, precise=False)} of audio, in {report.seconds:.1f} s; "
         f"speech: {report.cache_hits} of {report.pieces} pieces from the cache, "
         f"{report.synthesized} spoken")
    for (recorded, fallback), count in report.fallbacks.items():
        echo(f"draft: {count} line{'s' * (count != 1)} with no take of voice {recorded!r} "
             f"spoken by {fallback!r} (its fallback)")
    for path in report.descriptions:
        echo(f"{shown(path)}  the description to paste, with its chapter list")
    for track in report:
        if track.loudness_note:
            echo(f"warning: {shown(track.audio)}: {track.loudness_note}", err=True)
    for warning in report.warnings + report.flagged:
        echo(f"warning: {warning}", err=True)
