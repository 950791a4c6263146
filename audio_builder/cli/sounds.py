"""`audio-builder sounds`: the built-in bells and backgrounds."""

from __future__ import annotations

from pathlib import Path

import click

from audio_builder.cli.options import echo, shown
from audio_builder.preview import write_previews
from audio_builder.script.project import open_project
from audio_builder.sound import sounds


@click.command("sounds")
@click.option("--preview", is_flag=True, help="Also write a preview of each to output/sounds/.")
@click.option("-o", "--output", type=click.Path(path_type=Path, file_okay=False),
              help="Write the previews here instead.")
def list_sounds(preview, output):
    """List the built-in bells and backgrounds."""
    for registry in (sounds.BELLS, sounds.BACKGROUNDS):
        echo(f"{registry.kind}s:")
        for sound in registry.values():
            echo(f"  {sound.name:<12} {sound.description}")
    if preview:
        folder = output or open_project().output_dir / "sounds"
        for path in write_previews(folder):
            echo(f"wrote {shown(str(path))}")
