"""Tags on a finished audio file, with mutagen: one writer per format (the format table,
`publishing.formats`, names each format's), and one table of the details each format names its
own way (`FIELDS`).

MP3 gets ID3v2.3 (the widest player support) with CHAP/CTOC chapters; WAV carries the same
ID3 tag in its `id3 ` chunk; FLAC and Opus get Vorbis comments with `CHAPTERxx` chapters and
the cover as a picture block; M4A gets MP4 atoms and a chapter track (see `chapters`).
"""

from __future__ import annotations

import base64
import os
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any, cast

from mutagen.id3 import (
    APIC,
    CHAP,
    COMM,
    CTOC,
    ID3,
    PCST,
    TALB,
    TCON,
    TDES,
    TDRC,
    TGID,
    TIT2,
    TKWD,
    TLAN,
    TPE1,
    TPOS,
    TRCK,
    TXXX,
    CTOCFlags,
    Frame,
    PictureType,
)

from audio_builder.languages import language
from audio_builder.publishing.chapters import ffmetadata, vorbis_comments
from audio_builder.sound.media import ffmpeg_failure, ffmpeg_file, run_ffmpeg
from audio_builder.timeline import ChapterStart


@dataclass(frozen=True, kw_only=True)
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
    guid: str | None = None           # the episode's guid in the feed
    keywords: tuple[str, ...] = ()
    cover: bytes | None = None        # PNG or JPEG
    cover_mime: str = "image/png"
    mastered: bool = True             # False: built with `--loudness off`, for editing only


# A track built with `--loudness off` says so in its own tags, so publishing never takes it.
LOUDNESS_OFF = "off"
LOUDNESS_KEYS = {"id3": "TXXX:AUDIO_BUILDER_LOUDNESS", "vorbis": "audio_builder_loudness",
                 "mp4": "----:org.audio-builder:loudness"}


class TimeOrderedID3(ID3):
    """ID3 tags whose CHAP frames are written in time order.

    mutagen writes frames sorted by size, and FFmpeg (ffprobe, and the players built on it)
    lists chapters in file order, so a short chapter title came first. This keeps mutagen's
    order for every other frame and puts the CHAP frames, sorted by start time, where the
    first of them was."""

    def _write(self, config):
        frames = _split_frames(bytes(super()._write(config)), config.v2_version)
        chapters = sorted((f for f in frames if f[:4] == b"CHAP"), key=_chapter_times)
        if not chapters:
            return bytearray().join(frames)
        first = next(i for i, f in enumerate(frames) if f[:4] == b"CHAP")
        rest = [f for f in frames if f[:4] != b"CHAP"]
        return bytearray().join(rest[:first] + chapters + rest[first:])


def _split_frames(data: bytes, version: int) -> list[bytes]:
    frames, at = [], 0
    while at + 10 <= len(data):
        raw = data[at + 4:at + 8]
        size = (int.from_bytes(raw, "big") if version == 3 else
                sum((byte & 0x7F) << (7 * (3 - i)) for i, byte in enumerate(raw)))
        frames.append(data[at:at + 10 + size])
        at += 10 + size
    if at < len(data):
        frames.append(data[at:])
    return frames


def _chapter_times(frame: bytes) -> tuple[int, int]:
    body = frame[10:]
    times = body.index(b"\0") + 1          # after the element id
    return (int.from_bytes(body[times:times + 4], "big"), int.from_bytes(body[times + 4:times + 8], "big"))


@dataclass(frozen=True)
class Field:
    """One of a track's details, as each tag format names it."""

    value: Callable[[TrackTags], object]                  # empty or None: not written
    id3: tuple[Callable[[Any], Frame], ...] = ()
    vorbis: tuple[str, ...] = ()
    mp4: tuple[str, ...] = ()
    mp4_value: Callable[[Any], object] = str


def _text(frame: type[Frame]) -> Callable[[Any], Frame]:
    return lambda value: frame(encoding=3, text=[str(value)])


FIELDS: tuple[Field, ...] = (
    Field(lambda t: t.title, (_text(TIT2),), ("title",), ("\xa9nam",)),
    Field(lambda t: t.artist, (_text(TPE1),), ("artist",), ("\xa9ART",)),
    Field(lambda t: t.album, (_text(TALB),), ("album",), ("\xa9alb",)),
    Field(lambda t: t.genre, (_text(TCON),), ("genre",), ("\xa9gen",)),
    Field(lambda t: t.language, (), ("language",)),
    Field(lambda t: language(t.language).iso639_2, (_text(TLAN),)),       # ISO 639-2, as ID3 asks
    Field(lambda t: t.description, (_text(TDES),), ("description", "comment"), ("desc", "\xa9cmt")),
    Field(lambda t: (t.description, language(t.language).iso639_2) if t.description else None,
          (lambda said: COMM(encoding=3, lang=said[1], desc="", text=[said[0]]),)),
    Field(lambda t: t.date, (_text(TDRC),), ("date",), ("\xa9day",)),
    Field(lambda t: t.episode, (_text(TRCK),), ("tracknumber",), ("trkn",),
          mp4_value=lambda number: (number, 0)),
    Field(lambda t: t.season, (_text(TPOS),), ("discnumber",)),
    Field(lambda t: t.guid, (_text(TGID), lambda _: PCST(value=1))),
    Field(lambda t: ", ".join(t.keywords), (_text(TKWD),)),
    Field(lambda t: None if t.mastered else LOUDNESS_OFF,
          (lambda value: TXXX(encoding=3, desc=LOUDNESS_KEYS["id3"].split(":", 1)[1], text=[value]),),
          (LOUDNESS_KEYS["vorbis"],), (LOUDNESS_KEYS["mp4"],),
          mp4_value=lambda value: _mp4_text(value)),
    Field(lambda t: t.cover and (t.cover, t.cover_mime),
          (lambda cover: APIC(encoding=3, mime=cover[1], type=PictureType.COVER_FRONT,
                              desc="Cover", data=cover[0]),),
          mp4=("covr",), mp4_value=lambda cover: _mp4_cover(*cover)),
)


def loudness_left_off(path: Path) -> bool:
    """Whether the built file at `path` was made with `--loudness off` (its tags say so)."""
    import mutagen

    try:
        audio = mutagen.File(path)
    except mutagen.MutagenError:
        return False
    tags = getattr(audio, "tags", None)
    if tags is None:
        return False
    for key in LOUDNESS_KEYS.values():
        try:
            value = tags.get(key)
        except (KeyError, ValueError, TypeError):
            continue
        values = value if isinstance(value, list) else [value] if value is not None else []
        if any(str(v.decode() if isinstance(v, bytes) else v).strip() == LOUDNESS_OFF
               for v in values):
            return True
    return False


def _present(tags: TrackTags) -> Iterator[tuple[Field, Any]]:
    for field in FIELDS:
        value = field.value(tags)
        if value:
            yield field, value


def _id3(tags: TrackTags, chapters: tuple[ChapterStart, ...], length_ms: int) -> ID3:
    id3 = TimeOrderedID3()
    for field, value in _present(tags):
        for frame in field.id3:
            id3.add(frame(value))
    _add_chapters(id3, chapters, length_ms)
    id3.update_to_v23()
    return id3


def _add_chapters(id3: ID3, chapters: tuple[ChapterStart, ...], length_ms: int) -> None:
    ordered = sorted(chapters, key=lambda c: c.start_ms)
    if not ordered:
        return
    ids = [f"chp{number}" for number in range(len(ordered))]
    ends = [c.start_ms for c in ordered[1:]] + [length_ms]
    for element_id, chapter, end in zip(ids, ordered, ends, strict=True):
        id3.add(CHAP(element_id=element_id, start_time=chapter.start_ms, end_time=end,
                     start_offset=0xFFFFFFFF, end_offset=0xFFFFFFFF,
                     sub_frames=[TIT2(encoding=3, text=[chapter.title])]))
    id3.add(CTOC(element_id="toc", flags=CTOCFlags.TOP_LEVEL | CTOCFlags.ORDERED,
                 child_element_ids=ids, sub_frames=[TIT2(encoding=3, text=["Chapters"])]))


def write_mp3(path: Path, tags: TrackTags, chapters, length_ms: int) -> None:
    _id3(tags, chapters, length_ms).save(str(path), v2_version=3)


def write_wav(path: Path, tags: TrackTags, chapters, length_ms: int) -> None:
    from mutagen.wave import WAVE

    wave = WAVE(str(path))
    wave.add_tags()
    id3 = cast(ID3, wave.tags)         # mutagen declares `tags` None on its base class
    for frame in _id3(tags, chapters, length_ms).values():
        id3.add(frame)
    wave.save(v2_version=3)


def _write_vorbis(opener: Callable, picture_comment: bool) -> Callable:
    """Vorbis comments, the chapters as `CHAPTERxx` comments, and the cover: a FLAC picture
    block in FLAC, and the same block as a `METADATA_BLOCK_PICTURE` comment in Ogg (the
    place Ogg players read a cover from)."""
    def write(path: Path, tags: TrackTags, chapters, length_ms: int) -> None:
        audio = opener(str(path))
        if audio.tags is None:
            audio.add_tags()
        for field, value in _present(tags):
            for key in field.vorbis:
                audio[key] = [str(value)]
        for key, value in vorbis_comments([(c.start_ms, c.title) for c in chapters]).items():
            audio[key] = [value]
        if tags.cover:
            picture = _flac_picture(tags.cover, tags.cover_mime)
            if picture_comment:
                audio["metadata_block_picture"] = [base64.b64encode(picture.write()).decode("ascii")]
            else:
                audio.clear_pictures()
                audio.add_picture(picture)
        audio.save()
    return write


def _flac_picture(data: bytes, mime: str):
    from mutagen.flac import Picture

    from audio_builder.publishing.cover import image_size

    picture = Picture()
    picture.type, picture.mime, picture.desc, picture.data = PictureType.COVER_FRONT, mime, "Cover", data
    picture.width, picture.height, _ = image_size(data)
    picture.depth = 24
    return picture


def write_m4a(path: Path, tags: TrackTags, chapters, length_ms: int) -> None:
    """MP4 atoms, and the chapters as the chapter track QuickTime, Apple Podcasts and other
    apps read (with a Nero `chpl` list beside it): FFmpeg writes them from its metadata file,
    copying the sound as it is; mutagen cannot write MP4 chapters."""
    from mutagen.mp4 import MP4

    if chapters:
        _add_mp4_chapters(path, chapters, length_ms)
    audio = MP4(str(path))
    if audio.tags is None:
        audio.add_tags()
    for field, value in _present(tags):
        for key in field.mp4:
            audio[key] = [field.mp4_value(value)]
    audio.save()


def _add_mp4_chapters(path: Path, chapters, length_ms: int) -> None:
    metadata = path.with_name(path.name + ".chapters.txt")
    remuxed = path.with_name(path.name + ".chaptered")
    try:
        metadata.write_text(ffmetadata([(c.start_ms, c.title) for c in chapters], length_ms),
                            encoding="utf-8")
        result = run_ffmpeg("-i", ffmpeg_file(path), "-f", "ffmetadata", "-i", ffmpeg_file(metadata),
                            "-map", "0:a", "-map_chapters", "1", "-c", "copy",
                            "-movflags", "+faststart", "-f", "mp4", ffmpeg_file(remuxed))
        if result.returncode != 0:
            raise ffmpeg_failure(f"could not add the chapters to {path.name}", path, result)
        os.replace(remuxed, path)
    finally:
        metadata.unlink(missing_ok=True)
        remuxed.unlink(missing_ok=True)


def _mp4_cover(data: bytes, mime: str):
    from mutagen.mp4 import MP4Cover

    kind = MP4Cover.FORMAT_JPEG if mime == "image/jpeg" else MP4Cover.FORMAT_PNG
    return MP4Cover(data, imageformat=kind)


def _mp4_text(value: str):
    from mutagen.mp4 import MP4FreeForm

    return MP4FreeForm(value.encode())


def _flac(path: str):
    from mutagen.flac import FLAC
    return FLAC(path)


def _opus(path: str):
    from mutagen.oggopus import OggOpus
    return OggOpus(path)


TagWriter = Callable[[Path, TrackTags, tuple[ChapterStart, ...], int], None]
write_flac: TagWriter = _write_vorbis(_flac, picture_comment=False)
write_opus: TagWriter = _write_vorbis(_opus, picture_comment=True)
