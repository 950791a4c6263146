"""ID3v2.3 tags and chapters on a finished MP3, with mutagen."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from mutagen.id3 import (CHAP, COMM, CTOC, ID3, TALB, TCON, TDES, TDRC, TIT2, TPE1, TPOS, TRCK,
                         CTOCFlags)

from .timeline import ChapterStart


@dataclass(frozen=True)
class TrackTags:
    title: str
    artist: str
    album: str
    description: str = ""
    date: str | None = None           # YYYY-MM-DD
    language: str = "en"
    episode: int | None = None
    season: int | None = None
    genre: str = "Podcast"


def write_tags(path: Path, tags: TrackTags, chapters: tuple[ChapterStart, ...], length_ms: int) -> None:
    id3 = ID3()
    id3.add(TIT2(encoding=3, text=[tags.title]))
    id3.add(TPE1(encoding=3, text=[tags.artist]))
    id3.add(TALB(encoding=3, text=[tags.album]))
    id3.add(TCON(encoding=3, text=[tags.genre]))
    if tags.description:
        id3.add(COMM(encoding=3, lang="eng", desc="", text=[tags.description]))
        id3.add(TDES(encoding=3, text=[tags.description]))
    if tags.date:
        id3.add(TDRC(encoding=3, text=[tags.date]))
    if tags.episode:
        id3.add(TRCK(encoding=3, text=[str(tags.episode)]))
    if tags.season:
        id3.add(TPOS(encoding=3, text=[str(tags.season)]))
    _add_chapters(id3, chapters, length_ms)
    id3.update_to_v23()
    id3.save(str(path), v2_version=3)


def _add_chapters(id3: ID3, chapters: tuple[ChapterStart, ...], length_ms: int) -> None:
    ordered = sorted(chapters, key=lambda c: c.start_ms)
    if not ordered:
        return
    ids = [f"chp{number}" for number in range(len(ordered))]
    ends = [c.start_ms for c in ordered[1:]] + [length_ms]
    for element_id, chapter, end in zip(ids, ordered, ends):
        id3.add(CHAP(element_id=element_id, start_time=chapter.start_ms, end_time=end,
                     start_offset=0xFFFFFFFF, end_offset=0xFFFFFFFF,
                     sub_frames=[TIT2(encoding=3, text=[chapter.title])]))
    id3.add(CTOC(element_id="toc", flags=CTOCFlags.TOP_LEVEL | CTOCFlags.ORDERED,
                 child_element_ids=ids, sub_frames=[TIT2(encoding=3, text=["Chapters"])]))
