"""The podcast feed: a pure function from the podcast and its episodes to RSS 2.0 text,
with the iTunes and Podcasting 2.0 namespaces."""

from __future__ import annotations

import datetime
import uuid
from dataclasses import dataclass
from email.utils import format_datetime
from xml.etree import ElementTree as ET

from audio_builder.model import category_names

ITUNES = "http://www.itunes.com/dtds/podcast-1.0.dtd"
PODCAST = "https://podcastindex.org/namespace/1.0"
ATOM = "http://www.w3.org/2005/Atom"
PODCAST_GUID_NAMESPACE = uuid.UUID("ead4c236-bf58-58c6-a2c6-a6b28d128cb6")

for prefix, uri in (("itunes", ITUNES), ("podcast", PODCAST), ("atom", ATOM)):
    ET.register_namespace(prefix, uri)


@dataclass(frozen=True, kw_only=True)
class Channel:
    title: str
    link: str                 # base URL, ending in /
    description: str
    language: str
    author: str
    email: str | None
    image_url: str
    category: str             # "Health & Fitness/Mental Health"
    explicit: bool
    guid: str                 # podcast:guid, as first published
    feed_url: str             # where the feed itself is (its file is named by publishing.tracks)
    copyright: str | None = None
    license: str | None = None
    people: tuple[tuple[str, str, str | None], ...] = ()     # name, role, href
    funding: tuple[str, str] | None = None                   # url, text
    locked: bool = True                # podcast:locked yes: no host may import it (needs the email)
    new_feed_url: str | None = None    # itunes:new-feed-url: the podcast moved there
    medium: str = "podcast"
    last_build: datetime.datetime | None = None   # the feed last changed; None: newest episode


@dataclass(frozen=True, kw_only=True)
class Item:
    guid: str
    title: str
    description: str
    date: datetime.date
    audio_url: str
    audio_bytes: int
    audio_type: str
    duration_s: int
    image_url: str
    explicit: bool
    episode: int | None = None
    season: int | None = None
    vtt_url: str | None = None
    srt_url: str | None = None
    chapters_url: str | None = None
    language: str = "en"
    alternates: tuple[Alternate, ...] = ()      # the same episode in other formats
    link: str | None = None                     # the episode on the podcast's page


@dataclass(frozen=True)
class Alternate:
    """The episode's audio in another format: a `podcast:alternateEnclosure`."""

    url: str
    type: str
    bytes: int
    title: str              # "Opus"
    codecs: str | None = None


def podcast_guid(feed_url: str) -> str:
    """The Podcasting 2.0 guid: UUIDv5 over the feed URL without scheme and trailing slashes."""
    bare = feed_url.split("://", 1)[-1].rstrip("/")
    return str(uuid.uuid5(PODCAST_GUID_NAMESPACE, bare))


def episode_guid(channel_guid: str, name: str) -> str:
    """A guid for an episode that never changes when the track is rebuilt."""
    return str(uuid.uuid5(uuid.UUID(channel_guid), name))


def rfc2822(date: datetime.date) -> str:
    return format_datetime(datetime.datetime(date.year, date.month, date.day, 6, 0,
                                             tzinfo=datetime.UTC))


def _sub(parent: ET.Element, tag: str, text: str | None = None, **attributes: str) -> ET.Element:
    element = ET.SubElement(parent, tag, {k.rstrip("_"): v for k, v in attributes.items()})
    if text is not None:
        element.text = text
    return element


def _it(tag: str) -> str:
    return f"{{{ITUNES}}}{tag}"


def _pc(tag: str) -> str:
    return f"{{{PODCAST}}}{tag}"


def newest_first(item: Item) -> tuple[int, int, int, str]:
    """The order of episodes in the feed and on the page: by date, then season and episode,
    newest first; then by title."""
    return (-item.date.toordinal(), -(item.season or 0), -(item.episode or 0), item.title)


def feed_xml(channel: Channel, items: list[Item]) -> str:
    """RSS 2.0 text for the channel, its items newest first."""
    items = sorted(items, key=newest_first)
    rss = ET.Element("rss", {"version": "2.0"})
    ch = _sub(rss, "channel")
    _sub(ch, "title", channel.title)
    _sub(ch, "link", channel.link)
    _sub(ch, "description", channel.description or channel.title)
    _sub(ch, "language", channel.language)
    _sub(ch, "generator", "audio-builder")
    _sub(ch, f"{{{ATOM}}}link", href=channel.feed_url, rel="self", type="application/rss+xml")
    if channel.copyright:
        _sub(ch, "copyright", channel.copyright)
    if items:
        _sub(ch, "pubDate", rfc2822(items[0].date))
    if channel.last_build is not None:
        _sub(ch, "lastBuildDate", format_datetime(channel.last_build.astimezone(datetime.UTC)))
    elif items:
        _sub(ch, "lastBuildDate", rfc2822(items[0].date))
    image = _sub(ch, "image")
    _sub(image, "url", channel.image_url)
    _sub(image, "title", channel.title)
    _sub(image, "link", channel.link)
    _sub(ch, _it("image"), href=channel.image_url)
    _category(ch, channel.category)
    _sub(ch, _it("explicit"), "true" if channel.explicit else "false")
    _sub(ch, _it("author"), channel.author)
    _sub(ch, _it("type"), "episodic")
    if channel.new_feed_url:
        _sub(ch, _it("new-feed-url"), channel.new_feed_url)
    owner = _sub(ch, _it("owner"))
    _sub(owner, _it("name"), channel.author)
    if channel.email:
        _sub(owner, _it("email"), channel.email)
    _sub(ch, _pc("guid"), channel.guid)
    if channel.email and channel.locked:
        _sub(ch, _pc("locked"), "yes", owner=channel.email)
    _sub(ch, _pc("medium"), channel.medium)
    if channel.license:
        _sub(ch, _pc("license"), channel.license)
    for name, role, href in channel.people:
        _sub(ch, _pc("person"), name, role=role, **({"href": href} if href else {}))
    if channel.funding:
        _sub(ch, _pc("funding"), channel.funding[1], url=channel.funding[0])
    for item in items:
        _item(ch, item)
    ET.indent(rss, space="  ")
    return '<?xml version="1.0" encoding="UTF-8"?>\n' + ET.tostring(rss, encoding="unicode") + "\n"


def _category(channel: ET.Element, category: str) -> None:
    parent = channel
    for name in category_names(category):
        parent = _sub(parent, _it("category"), text=name)
        parent.text = None
        parent.set("text", name)


def _item(channel: ET.Element, item: Item) -> None:
    element = _sub(channel, "item")
    _sub(element, "title", item.title)
    if item.link:
        _sub(element, "link", item.link)
    _sub(element, "description", item.description)
    _sub(element, "guid", item.guid, isPermaLink="false")
    _sub(element, "pubDate", rfc2822(item.date))
    _sub(element, "enclosure", url=item.audio_url, length=str(item.audio_bytes), type=item.audio_type)
    _sub(element, _it("title"), item.title)
    _sub(element, _it("summary"), item.description)
    _sub(element, _it("duration"), str(item.duration_s))
    _sub(element, _it("image"), href=item.image_url)
    _sub(element, _it("explicit"), "true" if item.explicit else "false")
    _sub(element, _it("episodeType"), "full")
    if item.season:
        _sub(element, _it("season"), str(item.season))
    if item.episode:
        _sub(element, _it("episode"), str(item.episode))
    if item.vtt_url:
        _sub(element, _pc("transcript"), url=item.vtt_url, type="text/vtt", language=item.language,
             rel="captions")
    if item.srt_url:
        _sub(element, _pc("transcript"), url=item.srt_url, type="application/x-subrip",
             language=item.language, rel="captions")
    if item.chapters_url:
        _sub(element, _pc("chapters"), url=item.chapters_url, type="application/json+chapters")
    for alternate in item.alternates:
        attributes = {"type": alternate.type, "length": str(alternate.bytes), "title": alternate.title}
        if alternate.codecs:
            attributes["codecs"] = alternate.codecs
        enclosure = _sub(element, _pc("alternateEnclosure"), **attributes)
        _sub(enclosure, _pc("source"), uri=alternate.url)
