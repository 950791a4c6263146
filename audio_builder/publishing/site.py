"""Publishing: `output/feed.xml`, `output/index.html` and the cover, from what is built.

The edges live here (reading scripts and built files, writing the feed and page); the feed
and the page themselves are pure functions in `feed.py` and `page.py`.
"""

from __future__ import annotations

import datetime
import os
import shutil
from collections.abc import Callable
from dataclasses import dataclass, replace
from email.utils import parsedate_to_datetime
from pathlib import Path
from urllib.parse import quote
from xml.etree import ElementTree as ET

from audio_builder.durations import format_ms
from audio_builder.errors import BuildError, InputError
from audio_builder.files import write_files_together
from audio_builder.languages import long_date
from audio_builder.model import Podcast
from audio_builder.publishing.cover import default_cover_png
from audio_builder.publishing.feed import Alternate, Channel, Item, feed_xml, newest_first
from audio_builder.publishing.formats import Format
from audio_builder.publishing.lock import (
    LOCK_FILE,
    Lock,
    LockedEpisode,
    read_lock,
    write_lock,
)
from audio_builder.publishing.page import PageEpisode, page_html
from audio_builder.publishing.tags import loudness_left_off
from audio_builder.publishing.tracks import (
    DEFAULT_COVER,
    FEED,
    SIDECARS,
    TODAY_VARIABLE,
    Track,
    audio_seconds,
    channel_guid,
    one_off_tracks,
    read_captions,
    read_chapters,
    scheduled_folder,
    site_files,
    today,
    track_guid,
    tracks_of,
)
from audio_builder.script.parser import load_script
from audio_builder.script.project import Project, find_scripts
from audio_builder.script.speakers import podcast_language, practice_language
from audio_builder.text import fold_paragraphs


@dataclass(frozen=True)
class PublishReport:
    feed: Path
    page: Path
    items: tuple[Item, ...]
    drafts: tuple[str, ...]                              # scripts with no date
    unbuilt: tuple[str, ...]                             # tracks with no audio in output/
    scheduled: tuple[tuple[str, datetime.date], ...]     # tracks dated after today: held back
    preview: bool = False                                # scheduled tracks included; not recorded
    newly_published: tuple[str, ...] = ()                # recorded in podcast.lock this time
    one_off: tuple[str, ...] = ()                        # built at a length the script does not list
    unmastered: tuple[str, ...] = ()                     # files built with --loudness off: left out


def _channel(podcast: Podcast, image_url: str, guid: str, language: str) -> Channel:
    link = (podcast.base_url or "").rstrip("/") + "/"
    return Channel(title=podcast.title, link=link, feed_url=link + FEED,
                   description=fold_paragraphs(podcast.description),
                   language=language, author=podcast.author, email=podcast.email,
                   image_url=image_url, category=podcast.category, explicit=podcast.explicit,
                   guid=guid, copyright=podcast.copyright, license=podcast.license,
                   people=tuple((p.name, p.role, p.href) for p in podcast.people),
                   funding=(podcast.funding_url, podcast.funding_text) if podcast.funding_url else None,
                   locked=podcast.locked, new_feed_url=podcast.new_feed_url, medium=podcast.medium)


def publish(project: Project, output_dir: Path | None = None, *,
            include_scheduled: bool = False) -> PublishReport:
    """Write the feed and the page of everything built and due, and record what is published
    in podcast.lock. A due episode built while it was scheduled moves into `output_dir` now,
    and one dated after today is kept out of it (in the scheduled folder beside it): the
    published folder holds nothing that is not published. With `include_scheduled`, write a
    preview (`preview-feed.xml`, `preview.html`) that includes the episodes dated after
    today into the scheduled folder, and record and move nothing."""
    podcast = project.podcast
    if podcast.source is None or not podcast.base_url:
        where = podcast.source or project.root / "podcast.yaml"
        raise InputError("the feed needs podcast.yaml with `title`, `author` and `base_url` "
                         "(the address where output/ is published)", where)
    lock = read_lock(project.root)
    if podcast.guid and lock.podcast_guid and podcast.guid != lock.podcast_guid:
        raise InputError(f"podcast.yaml pins the guid {podcast.guid}, but the podcast was "
                         f"published as {lock.podcast_guid} (podcast.lock); a podcast's guid never "
                         f"changes: pin {lock.podcast_guid}", podcast.source)
    output = Path(output_dir or project.output_dir)
    output.mkdir(parents=True, exist_ok=True)
    base = podcast.base_url if podcast.base_url.endswith("/") else podcast.base_url + "/"
    images: dict[Path, Callable[[Path], object]] = {}     # written with the feed, or not at all
    cover_name = _publish_image(podcast.image, output, DEFAULT_COVER,
                                lambda: default_cover_png(podcast.title), images)
    language = podcast_language(podcast, project.profiles)
    channel = _channel(podcast, base + file_link(cover_name), channel_guid(podcast, lock), language)
    now = today()

    items, pages, drafts, unbuilt, scheduled, tracks = [], [], [], [], [], {}
    arriving: list[Track] = []                       # due, its files still in the scheduled folder
    held_back: list[Track] = []                      # dated after today
    one_off: list[str] = []
    unmastered: list[str] = []
    refused: list[tuple[Track, Format]] = []
    for path in find_scripts([project.scripts_dir], project):
        script = load_script(path)
        one_off += one_off_tracks(script, output)
        if script.date is None:
            drafts.append(script.slug)
            continue
        for track in tracks_of(script):
            if script.date > now:
                scheduled.append((track.name, script.date))
                if not include_scheduled:
                    held_back.append(track)
                    continue
            home = track.home(output)
            formats = track.built_formats(home)
            left_off = [f for f in formats if loudness_left_off(track.audio(home, f))]
            unmastered += [track.audio(home, f).name for f in left_off]
            formats = [f for f in formats if f not in left_off]
            if not formats:
                unbuilt.append(track.name)
                continue
            if not formats[0].enclosure:
                refused.append((track, formats[0]))
                continue
            image_name = (_publish_image(script.image, output, f"images/{script.slug}", None, images)
                          if script.image else cover_name)
            item = _item(track, formats, home, base, image_name, podcast, lock,
                         practice_language(script, podcast, project.profiles))
            items.append(item)
            tracks[item.guid] = track
            pages.append((item, _page_episode(track, item, home, track.audio(home, formats[0]),
                                                language)))
            if home != output and not track.scheduled(now):
                arriving.append(track)
    _refuse_formats(refused, output)
    if not include_scheduled:
        _refuse_to_lose(lock, items, unbuilt, project.root)
        _refuse_to_change(site_files(output)[0], items)
    episodes = [page for item, page in sorted(pages, key=lambda pair: newest_first(pair[0]))]
    held = scheduled_folder(output)
    feed_path, page_path = site_files(held if include_scheduled else output, preview=include_scheduled)
    text = _feed_text(feed_path, channel, items)
    html = page_html(podcast.title, podcast.description, podcast.author, language,
                     file_link(cover_name), FEED, episodes)
    _refuse_invalid_xml(text, feed_path)
    for folder in (*[image.parent for image in images], feed_path.parent):
        folder.mkdir(parents=True, exist_ok=True)
    if not include_scheduled:
        _keep_unpublished_apart(arriving, held_back, output)
    write_files_together({**images, feed_path: lambda tmp: tmp.write_text(text, encoding="utf-8"),
                          page_path: lambda tmp: tmp.write_text(html, encoding="utf-8")})
    newly: list[str] = []
    if not include_scheduled:
        known = {e.guid for e in lock.episodes}
        newly = [tracks[item.guid].name for item in items if item.guid not in known]
        write_lock(project.root, _recorded(lock, channel.guid, items, tracks, now))
    return PublishReport(feed_path, page_path, tuple(items), tuple(drafts), tuple(unbuilt),
                         tuple(scheduled), include_scheduled, tuple(newly), tuple(one_off),
                         tuple(unmastered))


def _keep_unpublished_apart(arriving: list[Track], held_back: list[Track], output: Path) -> None:
    """Due tracks' files into `output`; those of tracks dated after today (built before their
    date was moved, or by an older version) out of it. None of the held back is published:
    the lock would have refused to lose it."""
    held = scheduled_folder(output)
    for track in arriving:
        track.move(held, output)
    for track in held_back:
        if track.files(output):
            track.move(output, held)


MAX_FEED_BYTES = 64 * 2**20       # far past any podcast's feed; a larger one is not compared


def _feed_text(path: Path, channel: Channel, items: list[Item]) -> str:
    """The feed, its `lastBuildDate` kept when nothing else in it changed (so rebuilding an
    unchanged podcast writes the very same feed) and the time of this build when anything
    did (a move, a new episode, a new description: apps and directories look at it). A
    first feed (or one built afresh in an empty folder) is dated by its newest episode, so
    the same podcast built anywhere gives the same feed."""
    previous = _previous_feed(path)
    if previous is None:
        return feed_xml(channel, items)
    text, built = previous
    same = feed_xml(replace(channel, last_build=built), items)
    return same if same == text else feed_xml(replace(channel, last_build=build_time()), items)


def _previous_feed(path: Path) -> tuple[str, datetime.datetime] | None:
    try:
        with path.open("rb") as stream:
            data = stream.read(MAX_FEED_BYTES + 1)
        text = data.decode("utf-8")
        stamp = ET.fromstring(data).findtext("channel/lastBuildDate")
        built = parsedate_to_datetime(stamp) if stamp and len(data) <= MAX_FEED_BYTES else None
    except (OSError, UnicodeDecodeError, ET.ParseError, TypeError, ValueError):
        return None
    return (text, built) if built is not None else None      # none yet: no episode before


def build_time() -> datetime.datetime:
    """Now, to the second (UTC); with AUDIO_BUILDER_TODAY set, 06:00 UTC that day, as the
    episodes' dates are written."""
    if os.environ.get(TODAY_VARIABLE):
        day = today()
        return datetime.datetime(day.year, day.month, day.day, 6, 0, tzinfo=datetime.UTC)
    return datetime.datetime.now(datetime.UTC).replace(microsecond=0)


def _refuse_formats(refused: list[tuple[Track, Format]], output: Path) -> None:
    """An episode's main audio must be one Apple Podcasts takes (MP3 or AAC): it drops an
    episode in any other, and a podcast whose episodes are all dropped."""
    if not refused:
        return
    lines = [f"{track.name} is built only as {fmt.title} ({track.audio(output, fmt).name})"
             for track, fmt in refused]
    raise InputError("; ".join(lines) + ". Apple Podcasts takes MP3 and AAC (M4A) only as an "
                     "episode's audio: build it as MP3 too (`audio-builder build`) or as M4A "
                     "(`audio-builder build --format m4a`); the other formats then go beside "
                     "it as alternates", refused[0][0].script.path)


def file_link(name: str) -> str:
    """A file in output/ as the feed and the page link it: percent-encoded, so `#`, `?`, `%`
    and spaces in a name stay part of the path."""
    return quote(name)


def element_id(name: str) -> str:
    """An episode's id on the page, and the feed's `#...` link to it: percent-encoded, so it
    has no spaces (an id may not) and a browser finds it from the link as written."""
    return quote(name, safe="")


def _refuse_invalid_xml(text: str, path: Path) -> None:
    """Checked before anything is replaced: a broken feed must never overwrite a good one."""
    try:
        ET.fromstring(text.encode("utf-8"))
    except ET.ParseError as error:
        raise BuildError(f"the new feed would not be valid XML ({error}); the previous one "
                         "was left as it was", path) from None


def _refuse_to_lose(lock: Lock, items: list[Item], unbuilt: list[str], root: Path) -> None:
    """A published episode must stay in the feed, under its guid."""
    present = {item.guid for item in items}
    lost = [e for e in lock.episodes if e.guid not in present]
    if not lost:
        return
    lines = [f"{e.track} (guid {e.guid}, first published {e.first_published}): "
             + ("not built; run `audio-builder build`" if e.track in unbuilt else
                "its script, date or length is gone") for e in lost]
    raise InputError("the feed would lose published episodes, and podcast apps would drop them "
                     "or show them twice: " + "; ".join(lines) + ". Restore them, or delete their "
                     "entries from podcast.lock to withdraw them on purpose", root / LOCK_FILE)


def _refuse_to_change(feed: Path, items: list[Item]) -> None:
    """An episode already in the written feed keeps its guid (a lock edited or lost by hand
    would otherwise give it a new one, and every app a duplicate)."""
    if not feed.is_file():
        return
    try:
        old = ET.parse(feed).getroot().findall("channel/item")
    except ET.ParseError:
        return
    before = {_file_name(item.find("enclosure")): item.findtext("guid") for item in old}
    guids = {item.guid for item in items}
    changed = [(item, before[name]) for item in items
               if (name := item.audio_url.rsplit("/", 1)[-1]) in before
               and before[name] != item.guid and before[name] not in guids]
    if changed:
        lines = [f"{item.title!r} was published as {guid}, now {item.guid}" for item, guid in changed]
        raise InputError("the feed would give published episodes new guids, and podcast apps would "
                         "show them twice: " + "; ".join(lines) + ". Restore podcast.lock from your "
                         "version control (or put those guids back in it)", feed)


def _file_name(enclosure: ET.Element | None) -> str:
    return "" if enclosure is None else enclosure.get("url", "").rsplit("/", 1)[-1]


def _recorded(lock: Lock, podcast_guid: str, items: list[Item], tracks: dict[str, Track],
              now: datetime.date) -> Lock:
    lock = replace(lock, podcast_guid=podcast_guid)
    for item in items:
        track = tracks[item.guid]
        lock = lock.with_published(LockedEpisode(
            guid=item.guid, track=track.name, script=track.script.slug, length_ms=track.length_ms,
            first_published=now, enclosure=item.audio_url))
    return lock


def _publish_image(source: Path | None, output: Path, name: str, generate,
                   pending: dict[Path, Callable[[Path], object]]) -> str:
    """The image's name in output/; its writer (a copy, or generated) added to `pending`, to be
    written with the feed once nothing refuses it."""
    if source is None:
        target = output / name
        data = generate()
        if not target.is_file() or target.read_bytes() != data:
            pending[target] = lambda tmp: tmp.write_bytes(data)
        return name
    target = output / (name if Path(name).suffix else name + source.suffix.lower())
    pending[target] = lambda tmp: shutil.copyfile(source, tmp)
    return target.relative_to(output).as_posix()


def _item(track: Track, formats: list[Format], output: Path, base: str, image_name: str,
          podcast: Podcast, lock: Lock, language: str) -> Item:
    script = track.script
    assert script.date is not None, "only dated scripts become episodes"
    fmt = formats[0]
    audio = track.audio(output, fmt)
    sidecar = {kind: track.sidecar(output, kind) for kind in SIDECARS}

    def url(path: Path) -> str:
        return base + file_link(path.name)

    return Item(
        guid=track_guid(podcast, track, lock),
        title=track.title,
        link=f"{base}#{element_id(track.name)}",
        description=fold_paragraphs(script.description) or script.title,
        date=script.date,
        audio_url=url(audio),
        audio_bytes=audio.stat().st_size,
        audio_type=fmt.mime_type,
        duration_s=round(audio_seconds(audio)),
        image_url=base + file_link(image_name),
        explicit=script.explicit or podcast.explicit,
        episode=track.episode,
        season=script.season,
        vtt_url=url(sidecar["vtt"]) if sidecar["vtt"].is_file() else None,
        srt_url=url(sidecar["srt"]) if sidecar["srt"].is_file() else None,
        chapters_url=url(sidecar["chapters"]) if sidecar["chapters"].is_file() else None,
        language=language,
        alternates=tuple(Alternate(url(track.audio(output, other)), other.mime_type,
                                   track.audio(output, other).stat().st_size, other.title,
                                   other.codecs) for other in formats[1:]),
    )


def _page_episode(track: Track, item: Item, output: Path, audio: Path, page_language: str) -> PageEpisode:
    chapters = tuple(read_chapters(track.sidecar(output, "chapters")))
    vtt = track.sidecar(output, "vtt")
    transcript = [cue.text for cue in read_captions(vtt)]
    return PageEpisode(anchor=element_id(track.name), title=item.title, description=item.description,
                       date=long_date(item.date, page_language),
                       duration=format_ms(item.duration_s * 1000, words=True),
                       audio=file_link(audio.name), vtt=file_link(vtt.name) if vtt.is_file() else None,
                       chapters=chapters, transcript=tuple(transcript), language=item.language)
