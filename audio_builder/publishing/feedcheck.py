"""What a podcast directory would reject in a built feed, line by line."""

from __future__ import annotations

from collections import Counter
from pathlib import Path
from urllib.parse import unquote, urlparse
from xml.etree import ElementTree as ET

from mutagen import MutagenError
from mutagen.id3 import ID3, ID3NoHeaderError

from audio_builder.publishing.cover import image_size
from audio_builder.publishing.feed import ITUNES, PODCAST
from audio_builder.publishing.formats import FORMATS
from audio_builder.publishing.lock import Lock
from audio_builder.publishing.tags import loudness_left_off
from audio_builder.publishing.tracks import site_files

# What Apple Podcasts takes as an episode's enclosure: MP3 and AAC audio, and MPEG-4 video.
APPLE_TYPES = frozenset({f.mime_type for f in FORMATS.values() if f.enclosure}
                        | {"audio/x-m4a", "video/mp4", "video/x-m4v", "video/quicktime"})

MIN_COVER, MAX_COVER = 1400, 3000


def check_feed(output: Path, base_url: str, lock: Lock | None = None) -> list[str]:
    """Problems with `output/feed.xml` and the files it points to, and guids that differ
    from what was published (`lock`); empty when all is well."""
    path = site_files(output)[0]
    if not path.is_file():
        return [f"{path.name}: not found; run `audio-builder feed` first"]
    try:
        channel = ET.parse(path).getroot().find("channel")
    except ET.ParseError as error:
        return [f"{path.name}: not valid XML ({error})"]
    if channel is None:
        return [f"{path.name}: no <channel>; it is not an RSS feed (run `audio-builder feed` again)"]
    problems: list[str] = []

    def local(url: str) -> Path | None:
        return _local_file(url, base_url, output)

    for tag in ("title", "description", "language", "link"):
        if not (channel.findtext(tag) or "").strip():
            problems.append(f"channel: no <{tag}>")
    image = channel.find(f"{{{ITUNES}}}image")
    cover_url = image.get("href") if image is not None else None
    if not cover_url:
        problems.append("channel: no itunes:image (the cover every directory requires)")
    else:
        problems += _cover_problems("channel", local(cover_url))
    if not (channel.findtext(f"{{{ITUNES}}}owner/{{{ITUNES}}}email") or "").strip():
        problems.append("channel: no itunes:email in itunes:owner (add `email:` to podcast.yaml)")
    if channel.find(f"{{{ITUNES}}}category") is None:
        problems.append("channel: no itunes:category")
    if channel.findtext(f"{{{ITUNES}}}explicit") not in ("true", "false"):
        problems.append("channel: itunes:explicit must be true or false")
    if not channel.findtext(f"{{{PODCAST}}}guid"):
        problems.append("channel: no podcast:guid")
    items = channel.findall("item")
    if not items:
        problems.append("channel: no episodes (give a script a `date:` and build it)")
    if lock is not None:
        problems += _lock_problems(channel, items, lock)
    numbers = Counter((item.findtext(f"{{{ITUNES}}}season"), item.findtext(f"{{{ITUNES}}}episode"))
                      for item in items if item.findtext(f"{{{ITUNES}}}episode"))
    for (season, number), count in numbers.items():
        if count > 1:
            problems.append(f"itunes:episode {number}{f' of season {season}' if season else ''} "
                            f"is used by {count} episodes; give each its own `episode:` number")
    guids = Counter(item.findtext("guid") for item in items)
    for item in items:
        title = item.findtext("title") or "(untitled)"
        where = f"episode {title!r}"
        if guids[item.findtext("guid")] > 1:
            problems.append(f"{where}: its guid {item.findtext('guid')} is used by another episode")
        if not item.findtext("guid"):
            problems.append(f"{where}: no guid")
        if not item.findtext("pubDate"):
            problems.append(f"{where}: no pubDate")
        enclosure = item.find("enclosure")
        if enclosure is None:
            problems.append(f"{where}: no enclosure (the audio)")
            continue
        problems += _type_problems(where, enclosure.get("type", ""))
        audio = local(enclosure.get("url", ""))
        if audio is None or not audio.is_file():
            problems.append(f"{where}: the enclosure {enclosure.get('url')} is not in output/")
        elif str(audio.stat().st_size) != enclosure.get("length"):
            problems.append(f"{where}: enclosure length {enclosure.get('length')} does not match "
                            f"the file ({audio.stat().st_size} bytes); run `audio-builder feed` again")
        elif loudness_left_off(audio):
            problems.append(f"{where}: {audio.name} was built with --loudness off, for editing; "
                            "build it again without it")
        else:
            stored = _stored_guid(audio)
            if stored and stored != item.findtext("guid"):
                problems.append(f"{where}: the file's own guid {stored} is not the feed's "
                                f"{item.findtext('guid')}; run `audio-builder build` again")
        episode_image = item.find(f"{{{ITUNES}}}image")
        episode_cover = episode_image.get("href") if episode_image is not None else None
        if episode_cover:
            problems += _cover_problems(where, local(episode_cover))
    return problems


def _type_problems(where: str, kind: str) -> list[str]:
    if kind.split(";")[0].strip().lower() in APPLE_TYPES:
        return []
    named = next((f"{f.title} ({kind})" for f in FORMATS.values() if f.mime_type == kind), kind or
                 "not given")
    return [f"{where}: its audio is {named}, which Apple Podcasts does not take as an episode's "
            "audio; build it as MP3 (`audio-builder build`) or M4A (`audio-builder build "
            "--format m4a`) and run `audio-builder feed` again"]


def _lock_problems(channel: ET.Element, items: list[ET.Element], lock: Lock) -> list[str]:
    """Published guids that would change or disappear: in every app, a duplicate episode."""
    problems = []
    published = channel.findtext(f"{{{PODCAST}}}guid")
    if lock.podcast_guid and published != lock.podcast_guid:
        problems.append(f"channel: podcast:guid {published} is not the podcast's published guid "
                        f"{lock.podcast_guid} (podcast.lock); a podcast's guid never changes")
    by_file = {_file_name(item.find("enclosure")): item for item in items}
    guids = {item.findtext("guid") for item in items}
    for episode in lock.episodes:
        if episode.guid in guids:
            continue
        item = by_file.get(episode.enclosure.rsplit("/", 1)[-1])
        if item is not None:
            problems.append(f"episode {item.findtext('title')!r}: its guid {item.findtext('guid')} "
                            f"is not the one it was published with ({episode.guid}, podcast.lock); "
                            f"apps would show it twice")
        else:
            problems.append(f"episode {episode.track} (guid {episode.guid}, published "
                            f"{episode.first_published}) is no longer in the feed; apps would drop it")
    return problems


def _file_name(enclosure: ET.Element | None) -> str:
    return "" if enclosure is None else enclosure.get("url", "").rsplit("/", 1)[-1]


def _stored_guid(audio: Path) -> str | None:
    """The episode guid an MP3 carries in its tags (TGID), if any."""
    if audio.suffix.lower() != ".mp3":
        return None
    try:
        frame = ID3(audio).get("TGID")
    except (ID3NoHeaderError, MutagenError):          # no tags, or not an MP3 at all
        return None
    return str(frame) if frame else None


def _local_file(url: str, base_url: str, output: Path) -> Path | None:
    base = base_url if base_url.endswith("/") else base_url + "/"
    if not url.startswith(base):
        return None
    return output / unquote(urlparse(url).path[len(urlparse(base).path):])


def _cover_problems(where: str, path: Path | None) -> list[str]:
    if path is None or not path.is_file():
        return [f"{where}: the image is not in output/"]
    width, height, kind = image_size(path.read_bytes())
    problems = []
    if kind not in ("PNG", "JPEG"):
        problems.append(f"{where}: the image is {kind}; directories take JPEG or PNG")
    if width != height:
        problems.append(f"{where}: the image is {width}x{height}; it must be square")
    if not MIN_COVER <= min(width, height) or max(width, height) > MAX_COVER:
        problems.append(f"{where}: the image is {width}x{height}; it must be from "
                        f"{MIN_COVER} to {MAX_COVER} pixels on a side")
    return problems
