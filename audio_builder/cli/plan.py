"""`audio-builder plan`: the cue sheet of a script."""

from __future__ import annotations

from pathlib import Path

import click

from audio_builder.build import Builder
from audio_builder.cli.options import cache_option, force_option, length_option, parse_lengths, voice_option
from audio_builder.durations import format_ms
from audio_builder.own_voice.pieces import speaker_marks
from audio_builder.script.parser import load_script
from audio_builder.script.project import open_project
from audio_builder.speech.cache import SpeechCache
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
    project = open_project(script)
    builder = Builder(project, voice=voice, cache=SpeechCache(cache_dir), force=force)
    loaded = load_script(script)
    for track in builder.plan(loaded, parse_lengths(lengths)):
        timeline = track.timeline
        speakers = speaker_marks(timeline, builder.voices)
        click.echo(f"{track.name}: {track.script.title}"
                   f" ({format_ms(timeline.length_ms)})")
        click.echo(f"{'start':>11}  {'length':>9}  {'step':<8} text")
        for row in timeline.rows:
            length = format_ms(row.ms) if row.ms else ""
            mark = speakers.get((row.start_ms, row.text), "") if row.step == "say" else ""
            click.echo(f"{format_ms(row.start_ms):>11}  {length:>9}  {row.step:<8} {mark}{row.text}")
        click.echo(f"{format_ms(timeline.length_ms):>11}  {'':>9}  {'end':<8}")
        click.echo()
    click.echo(f"lengths it can reach: {describe_ranges(builder.length_ranges(loaded))}")
