"""What a podcast directory would reject in a built feed, line by line."""

from __future__ import annotations

from collections import Counter
from pathlib import Path
from urllib.parse import unquote, urlparse
from xml.etree import ElementTree as ET

from audio_builder.publish.cover import image_size
from audio_builder.publish.feed import ITUNES, PODCAST

MIN_COVER, MAX_COVER = 1400, 3000


def check_feed(output: Path, base_url: str) -> list[str]:
    """Problems with `output/feed.xml` and the files it points to; empty when all is well."""
    path = output / "feed.xml"
    if not path.is_file():
        return ["feed.xml: not found; run `audio-builder feed` first"]
    try:
        channel = ET.parse(path).getroot().find("channel")
    except ET.ParseError as error:
        return [f"feed.xml: not valid XML ({error})"]
    if channel is None:
        return ["feed.xml: no <channel>; it is not an RSS feed (run `audio-builder feed` again)"]
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
        audio = local(enclosure.get("url", ""))
        if audio is None or not audio.is_file():
            problems.append(f"{where}: the enclosure {enclosure.get('url')} is not in output/")
        elif str(audio.stat().st_size) != enclosure.get("length"):
            problems.append(f"{where}: enclosure length {enclosure.get('length')} does not match "
                            f"the file ({audio.stat().st_size} bytes); run `audio-builder feed` again")
        episode_image = item.find(f"{{{ITUNES}}}image")
        episode_cover = episode_image.get("href") if episode_image is not None else None
        if episode_cover:
            problems += _cover_problems(where, local(episode_cover))
    return problems


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
