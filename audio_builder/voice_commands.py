"""`audio-builder voices get NAME`, and the fetched voices in the `voices` listing."""

from __future__ import annotations

import click

from audio_builder.speech.catalogue import (
    FOLDER_VAR,
    URL_VAR,
    get_voice,
    installed_voices,
    voice_folder,
)


@click.command("get")
@click.argument("name")
def get(name: str) -> None:
    """Fetch piper voice NAME (like en_US-amy-medium) from the public voice catalogue.

    The model and its config are checked against the catalogue's sizes and MD5s and only
    then put in the voice folder; a profile then speaks with it as `voice: NAME`."""
    voice = get_voice(name, report=lambda line: click.echo(line, err=True))
    click.echo(f"fetched {voice.name} ({voice.language}, {voice.quality}): {voice.description}")
    click.echo(f"  into {voice.model.parent}; use it in a profile: `engine: piper`, "
               f"`voice: {voice.name}`")


def echo_fetched_voices() -> None:
    voices = installed_voices()
    folder = voice_folder()
    click.echo(f"fetched piper voices (in {folder}; ${FOLDER_VAR} moves it):"
               if voices else f"fetched piper voices: none yet; `audio-builder voices get NAME` "
                              f"fetches one from the piper catalogue (${URL_VAR} sets a mirror)")
    for voice in voices:
        click.echo(f"  {voice.name:<36} {voice.language:<6} {voice.quality:<7} {voice.description}")
