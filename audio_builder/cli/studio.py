"""`audio-builder studio`: the project's practices in the browser, to hear, record and build."""

from __future__ import annotations

import threading
import webbrowser

import click

from audio_builder.cli.options import echo, shown
from audio_builder.script.project import open_project


@click.command()
@click.option("--port", type=click.IntRange(0, 65535), default=0, show_default="any free port",
              help="The port to serve on.")
@click.option("--no-browser", is_flag=True, help="Print the address only; do not open a browser.")
def studio(port: int, no_browser: bool) -> None:
    """Open the studio: every practice of this project in the browser, each line to hear,
    record or redo, a whole reading to import, and the practice to build and play.

    Only this machine can reach it, and only with the key in the address it prints.
    Ctrl+C stops it."""
    from audio_builder.studio.app import studio_app
    from audio_builder.web.server import WebServer, new_key

    project = open_project()
    key = new_key()
    with WebServer(studio_app(project.root, key), port=port) as server:
        address = server.url("/", key)
        echo(f"the studio of {shown(project.root)} is open at {address}  (Ctrl+C to stop)")
        if not no_browser:
            webbrowser.open(address)
        try:
            threading.Event().wait()
        except KeyboardInterrupt:
            echo("studio stopped")
