"""`audio-builder check`: validate scripts without speaking them."""

from __future__ import annotations

import click

from audio_builder.build import Builder
from audio_builder.cli.options import length_option, parse_lengths, paths_argument, shown, voice_option
from audio_builder.durations import format_ms
from audio_builder.errors import ErrorGroup, InputError
from audio_builder.own_voice.pieces import check_takes
from audio_builder.publish.tracks import shared_names
from audio_builder.script.parser import load_script
from audio_builder.script.project import find_scripts, open_project
from audio_builder.timeline import describe_ranges


@click.command()
@paths_argument
@length_option
@voice_option
def check(paths, lengths, voice):
    """Validate scripts without synthesizing; print each track's estimated length."""
    project = open_project(paths[0] if paths else None)
    builder = Builder(project, voice=voice)
    errors, loaded = [], []
    for path in find_scripts(list(paths), project):
        try:
            loaded.append(load_script(path))
            script = loaded[-1]
            plans = builder.plan(script, parse_lengths(lengths), estimate=True)
        except InputError as error:
            errors.append(error)
            continue
        takes = check_takes(plans[0].script, builder.voices)
        for warning in takes.warnings:
            click.echo(f"warning: {warning}", err=True)
        errors += takes.errors
        for plan in plans:
            exact = "" if plan.length_ms else "about "
            click.echo(f"ok  {shown(str(path))}  {plan.name}: {exact}"
                       f"{format_ms(plan.timeline.length_ms, precise=False)}")
        ranges = describe_ranges(builder.length_ranges(script, estimate=True))
        click.echo(f"    lengths it can reach: {ranges} (speech estimated)")
    errors += shared_names(loaded, parse_lengths(lengths))
    if errors:
        raise ErrorGroup(errors) if len(errors) > 1 else errors[0]
