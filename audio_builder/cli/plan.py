"""`audio-builder plan`: the cue sheet of a script."""

from __future__ import annotations

from pathlib import Path

import click

from audio_builder import api
from audio_builder.cli.options import (
    cache_option,
    echo,
    force_option,
    length_option,
    split_lengths,
    voice_option,
)
from audio_builder.durations import format_ms
from audio_builder.timeline import describe_ranges


@click.command()
@click.argument("script", type=click.Path(path_type=Path))
@length_option
@voice_option
@cache_option
@force_option
def plan(script, lengths, voice, cache_dir, force):
    """Print the cue sheet of SCRIPT: when each step starts, and what it says.

    It speaks every line to know its length (keeping the pieces in the cache, so the
    build that follows uses the very same ones)."""
    report = api.plan(script, lengths=split_lengths(lengths), voice=voice, cache_dir=cache_dir,
                      force=force)
    for track, speakers in zip(report.plans, report.speakers, strict=True):
        timeline = track.timeline
        echo(f"{track.name}: {track.script.title} ({format_ms(timeline.length_ms)})")
        echo(f"{'start':>11}  {'length':>9}  {'step':<8} text")
        for row in timeline.rows:
            length = format_ms(row.ms) if row.ms else ""
            mark = speakers.get((row.start_ms, row.text), "") if row.step == "say" else ""
            echo(f"{format_ms(row.start_ms):>11}  {length:>9}  {row.step:<8} {mark}{row.text}")
        echo(f"{format_ms(timeline.length_ms):>11}  {'':>9}  {'end':<8}")
        echo()
    echo(report.spoken_by)
    echo(f"lengths it can reach: {describe_ranges(list(report.ranges))}")
