"""`audio-builder serve`: preview the published site on this machine."""

from __future__ import annotations

from pathlib import Path

import click

from audio_builder.errors import InputError
from audio_builder.publish.server import site_server
from audio_builder.publish.tracks import site_files
from audio_builder.script.project import open_project


@click.command()
@click.option("-o", "--output", type=click.Path(path_type=Path, file_okay=False),
              help="The folder to serve (default: the project's output/).")
@click.option("--port", type=click.IntRange(0, 65535), default=8000, show_default=True,
              help="The port (0: any free one).")
def serve(output: Path | None, port: int) -> None:
    """Serve output/ at http://127.0.0.1:PORT/ to preview the page and the feed.

    Unlike `python -m http.server`, it answers HTTP Range requests, so the page's chapter
    buttons can seek, and serves captions and chapters with their types, readable from other
    origins (CORS) as podcast apps read them. Only this machine
    can reach it. Ctrl+C stops it."""
    folder = output or open_project().output_dir
    if not site_files(folder)[1].is_file():
        raise InputError("nothing to serve yet; run `audio-builder feed` first", folder)
    try:
        server = site_server(folder, port=port)
    except OSError as error:
        raise InputError(f"cannot listen on port {port} ({error.strerror}); try --port 0") from None
    bound = server.server_address[1]
    click.echo(f"serving {folder} at http://127.0.0.1:{bound}/  (Ctrl+C to stop)")
    try:
        server.serve_forever()
    except KeyboardInterrupt:
        pass
    finally:
        server.server_close()
