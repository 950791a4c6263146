"""`audio-builder serve`: preview the published site on this machine."""

from __future__ import annotations

import threading
from pathlib import Path

import click

from audio_builder.cli.options import echo, shown
from audio_builder.errors import InputError
from audio_builder.publishing.server import SitePreview
from audio_builder.publishing.tracks import (
    FEED,
    PREVIEW_FEED,
    PREVIEW_PAGE,
    scheduled_folder,
    site_files,
)
from audio_builder.script.project import open_project


@click.command()
@click.option("-o", "--output", type=click.Path(path_type=Path, file_okay=False),
              help="The folder to serve (default: the project's output/).")
@click.option("--port", type=click.IntRange(0, 65535), default=8000, show_default=True,
              help="The port (0: any free one).")
@click.option("--scheduled", is_flag=True,
              help="Serve the preview that `feed --scheduled` wrote (the episodes dated after "
                   "today too), from the scheduled folder beside output/.")
def serve(output: Path | None, port: int, scheduled: bool) -> None:
    """Serve output/ at http://127.0.0.1:PORT/KEY/ to preview the page and the feed.

    Only this machine can reach it, and only with the key in the address it prints (a new
    one each time). Unlike `python -m http.server`, it answers HTTP Range requests, so the
    page's chapter buttons can seek, and serves captions and chapters with their types,
    readable from other origins (CORS) as podcast apps read them. It serves plain files
    inside the folder only: no folder listings, and no link that leads out of it.
    Ctrl+C stops it."""
    folder = output or open_project().output_dir
    held = scheduled_folder(folder)
    if scheduled and not site_files(held, preview=True)[1].is_file():
        raise InputError("no preview yet; run `audio-builder feed --scheduled` first", held)
    if not scheduled and not site_files(folder)[1].is_file():
        raise InputError("nothing to serve yet; run `audio-builder feed` first", folder)
    front, behind = (held, folder) if scheduled else (folder, None)
    with SitePreview(front, port=port, behind=behind) as site:
        echo(f"serving {shown(front)} at {site.url}{PREVIEW_PAGE if scheduled else ''}  "
             "(Ctrl+C to stop)")
        echo(f"a podcast app on this machine can subscribe to "
             f"{site.url}{PREVIEW_FEED if scheduled else FEED}")
        try:
            threading.Event().wait()
        except KeyboardInterrupt:
            echo("stopped")
