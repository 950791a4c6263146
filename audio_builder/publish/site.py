"""Publishing: `output/feed.xml`, `output/index.html` and the cover, from what is built.

The edges live here (reading scripts and built files, writing the feed and page); the feed
and the page themselves are pure functions in `feed.py` and `page.py`.
"""

from __future__ import annotations

import json
import shutil
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import quote

import mutagen

from audio_builder.durations import format_ms
from audio_builder.errors import InputError
from audio_builder.files import write_file_atomically
from audio_builder.model import Podcast
from audio_builder.publish.captions import read_vtt
from audio_builder.publish.cover import default_cover_png
from audio_builder.publish.feed import Channel, Item, feed_xml, newest_first
from audio_builder.publish.page import PageEpisode, page_html
from audio_builder.publish.tracks import SIDECARS, Track, track_guid, tracks_of
from audio_builder.script.parser import load_script
from audio_builder.script.project import Project, find_scripts
from audio_builder.sound.encode import Format

DEFAULT_COVER = "cover.png"


@dataclass(frozen=True)
class PublishReport:
    feed: Path
    page: Path
    items: tuple[Item, ...]
    drafts: tuple[str, ...]       # scripts with no date
    unbuilt: tuple[str, ...]      # tracks with no MP3 in output/


def _channel(podcast: Podcast, image_url: str) -> Channel:
    return Channel(title=podcast.title, link=podcast.base_url or "", description=podcast.description,
                   language=podcast.language, author=podcast.author, email=podcast.email,
                   image_url=image_url, category=podcast.category, explicit=podcast.explicit)


def publish(project: Project, output_dir: Path | None = None) -> PublishReport:
    podcast = project.podcast
    if podcast.source is None or not podcast.base_url:
        where = podcast.source or project.root / "podcast.yaml"
        raise InputError("the feed needs podcast.yaml with `title`, `author` and `base_url` "
                         "(the address where output/ is published)", where)
    output = Path(output_dir or project.output_dir)
    output.mkdir(parents=True, exist_ok=True)
    base = podcast.base_url if podcast.base_url.endswith("/") else podcast.base_url + "/"
    cover_name = _publish_image(podcast.image, output, DEFAULT_COVER,
                                lambda: default_cover_png(podcast.title))
    channel = _channel(podcast, base + quote(cover_name))

    items, pages, drafts, unbuilt = [], [], [], []
    for path in find_scripts([project.scripts_dir], project):
        script = load_script(path)
        if script.date is None:
            drafts.append(script.slug)
            continue
        for track in tracks_of(script):
            formats = track.built_formats(output)
            if not formats:
                unbuilt.append(track.name)
                continue
            image_name = (_publish_image(script.image, output, f"images/{script.slug}", None)
                          if script.image else cover_name)
            item = _item(track, formats[0], output, base, image_name, podcast)
            items.append(item)
            pages.append((item, _page_episode(track, item, output)))
    episodes = [page for item, page in sorted(pages, key=lambda pair: newest_first(pair[0]))]
    feed_path, page_path = output / "feed.xml", output / "index.html"
    text = feed_xml(channel, items)
    html = page_html(podcast.title, podcast.description, podcast.author, podcast.language,
                     quote(cover_name), "feed.xml", episodes)
    write_file_atomically(feed_path, lambda tmp: tmp.write_text(text, encoding="utf-8"))
    write_file_atomically(page_path, lambda tmp: tmp.write_text(html, encoding="utf-8"))
    return PublishReport(feed_path, page_path, tuple(items), tuple(drafts), tuple(unbuilt))


def _publish_image(source: Path | None, output: Path, name: str, generate) -> str:
    """Put the image into output/ (copied, or generated); returns its name there."""
    if source is None:
        target = output / name
        data = generate()
        if not target.is_file() or target.read_bytes() != data:
            write_file_atomically(target, lambda tmp: tmp.write_bytes(data))
        return name
    target = output / (name if Path(name).suffix else name + source.suffix.lower())
    target.parent.mkdir(parents=True, exist_ok=True)
    write_file_atomically(target, lambda tmp: shutil.copyfile(source, tmp))
    return target.relative_to(output).as_posix()


def _item(track: Track, fmt: Format, output: Path, base: str, image_name: str,
          podcast: Podcast) -> Item:
    script = track.script
    assert script.date is not None, "only dated scripts become episodes"
    audio = track.audio(output, fmt)
    sidecar = {kind: track.sidecar(output, kind) for kind in SIDECARS}

    def url(path: Path) -> str:
        return base + quote(path.name)

    return Item(
        guid=track_guid(podcast, track.name),
        title=track.title,
        description=script.description.strip() or script.title,
        date=script.date,
        audio_url=url(audio),
        audio_bytes=audio.stat().st_size,
        audio_type=fmt.mime_type,
        duration_s=_duration_s(audio),
        image_url=base + quote(image_name),
        explicit=script.explicit or podcast.explicit,
        episode=track.episode,
        season=script.season,
        vtt_url=url(sidecar["vtt"]) if sidecar["vtt"].is_file() else None,
        srt_url=url(sidecar["srt"]) if sidecar["srt"].is_file() else None,
        chapters_url=url(sidecar["chapters"]) if sidecar["chapters"].is_file() else None,
        language=script.language,
    )


def _duration_s(audio: Path) -> int:
    """Whole seconds, as the file's own header says (what players show)."""
    info = mutagen.File(audio)
    if info is None or not getattr(info.info, "length", 0):
        raise InputError("cannot read this track's length; build it again", audio)
    return round(info.info.length)


def _page_episode(track: Track, item: Item, output: Path) -> PageEpisode:
    chapters_file = track.sidecar(output, "chapters")
    chapters: tuple[tuple[float, str], ...] = ()
    if chapters_file.is_file():
        data = json.loads(chapters_file.read_text(encoding="utf-8"))
        chapters = tuple((float(c["startTime"]), str(c.get("title", ""))) for c in data["chapters"])
    vtt = track.sidecar(output, "vtt")
    transcript = [cue.text for cue in read_vtt(vtt.read_text(encoding="utf-8"))] if vtt.is_file() else []
    return PageEpisode(anchor=track.name, title=item.title, description=item.description,
                       date=item.date.strftime("%-d %B %Y"), duration=format_ms(item.duration_s * 1000,
                                                                              precise=False),
                       audio=item.audio_url.rsplit("/", 1)[-1], vtt=vtt.name if vtt.is_file() else None,
                       chapters=chapters, transcript=tuple(transcript))
