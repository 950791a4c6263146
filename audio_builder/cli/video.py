"""`audio-builder video`: a video of each built track, for video sites."""

from __future__ import annotations

from pathlib import Path

import click

from audio_builder.cli.options import echo
from audio_builder.publishing.tracks import tracks_of
from audio_builder.publishing.video import write_video
from audio_builder.script.parser import load_script
from audio_builder.script.project import find_scripts, open_project


@click.command()
@click.argument("paths", nargs=-1, type=click.Path(path_type=Path))
@click.option("--image", type=click.Path(path_type=Path, dir_okay=False, exists=True),
              help="The picture to show (default: the practice's or the podcast's cover).")
@click.option("-o", "--output", type=click.Path(path_type=Path, file_okay=False),
              help="The folder of built tracks (default: the project's output/).")
def video(paths: tuple[Path, ...], image: Path | None, output: Path | None) -> None:
    """Write NAME.mp4 and NAME.video.txt for each built track of the scripts (default: all).

    The video shows the cover with the track's audio and its captions as a subtitle stream;
    the text file is a description whose chapter list video sites turn into chapters."""
    project = open_project(paths[0] if paths else None)
    folder = output or project.output_dir
    for path in find_scripts(list(paths), project):
        for track in tracks_of(load_script(path)):
            made = write_video(track, folder, project.podcast, image)
            echo(f"wrote {made.video} and {made.description.name}")
