"""`audio-builder cache info|clear`: the spoken pieces and generated sounds kept between builds."""

from __future__ import annotations

import click

from audio_builder.cli.options import cache_option, echo
from audio_builder.sound import sounds
from audio_builder.speech.cache import SpeechCache


@click.group()
def cache():
    """The cache: spoken pieces kept between builds, and the built-in sounds once generated."""


@cache.command("info")
@cache_option
def cache_info(cache_dir):
    """Where the cache is, how many pieces and built-in sounds it holds and its size."""
    store = SpeechCache(cache_dir)
    stored = sounds.stored_sounds(store.directory)
    size = store.size_bytes() + sum(path.stat().st_size for path in stored)
    echo(f"{store.directory}: {len(store.entries())} pieces, {len(stored)} built-in sounds, "
         f"{size / 1e6:.1f} MB")


@cache.command("clear")
@cache_option
def cache_clear(cache_dir):
    """Remove every piece and built-in sound from the cache (the next build speaks everything
    again, and generates the sounds it uses)."""
    store = SpeechCache(cache_dir)
    pieces = store.clear()
    echo(f"removed {pieces} pieces and {sounds.clear_stored_sounds(store.directory)} "
         f"built-in sounds from {store.directory}")
