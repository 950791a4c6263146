"""A track: one built file of a script at one length. Its name, its guid and its cover are
decided here, and build, publish, play and the tests all ask this module.
"""

from __future__ import annotations

from dataclasses import dataclass

from audio_builder.durations import format_human
from audio_builder.model import Podcast, Script
from audio_builder.publish.cover import default_cover_png
from audio_builder.publish.feed import episode_guid, podcast_guid


def track_name(script: Script, length_ms: int | None, lengths: int = 1) -> str:
    """The output name of one track: the slug, or `<slug>-<length>` when there are several."""
    return script.slug if lengths <= 1 or length_ms is None else f"{script.slug}-{format_human(length_ms)}"


@dataclass(frozen=True)
class Track:
    """One built track of a script, as it will appear in the feed."""

    script: Script
    name: str
    title: str


def tracks_of(script: Script) -> list[Track]:
    if len(script.lengths) <= 1:
        return [Track(script, track_name(script, None), script.title)]
    return [Track(script, track_name(script, ms, len(script.lengths)),
                  f"{script.title} ({format_human(ms)})") for ms in script.lengths]


def track_guid(podcast: Podcast, name: str) -> str:
    """The episode guid of a track: stable across rebuilds, distinct between podcasts."""
    base = podcast.base_url or f"audio-builder/{podcast.title}/"
    return episode_guid(podcast_guid(base + "feed.xml"), name)


def cover_bytes(podcast: Podcast, script: Script | None = None) -> tuple[bytes, str]:
    """The picture for a track or the podcast, and its MIME type."""
    image = (script.image if script else None) or podcast.image
    if image is not None:
        return image.read_bytes(), "image/jpeg" if image.suffix.lower() in (".jpg", ".jpeg") else "image/png"
    return default_cover_png(podcast.title), "image/png"
