"""`audio-builder check`: validate scripts without speaking them."""

from __future__ import annotations

import click

from audio_builder import api
from audio_builder.cli.options import (
    echo,
    echo_advice,
    length_option,
    paths_argument,
    platform_option,
    shown,
    split_lengths,
    voice_option,
)
from audio_builder.durations import format_ms
from audio_builder.timeline import describe_ranges


@click.command()
@paths_argument
@length_option
@voice_option
@click.option("--listen", is_flag=True, help="Also speak each synthetic line and listen back to "
                                            "it: warn of words the speech recognizer did not hear "
                                            "(a name the voice says its own way).")
@platform_option
def check(paths, lengths, voice, listen, platform):
    """Validate scripts without speaking; print each track's estimated length (--for: what it rejects)."""
    report = api.check(api.open_project(paths[0] if paths else None), paths, platform=platform,
                       lengths=split_lengths(lengths), voice=voice, listen=listen)
    for script in report.scripts:
        for warning in script.warnings:
            echo(f"warning: {warning}", err=True)
        for plan in script.plans:
            exact = "" if plan.length_ms else "about "
            echo(f"ok  {shown(script.path)}  {plan.name}: {exact}"
                 f"{format_ms(plan.timeline.length_ms, precise=False)}")
        echo(f"    lengths it can reach: {describe_ranges(list(script.ranges))} (speech estimated)")
        echo(f"    {script.spoken_by}")
    report.raise_errors()
    echo_advice(report.advice, platform)
