"""A track: one built file of a script at one length. Its name and title, its files in each
format and beside it, its guid and its cover are decided here, and so are the names of the
site's own files (the feed, the page, their previews, the cover); build, publish, play and the
tests ask this module.
"""

from __future__ import annotations

import datetime
import glob
import json
import math
import os
import shutil
from dataclasses import dataclass, replace
from pathlib import Path

import mutagen

from audio_builder.durations import DurationError, format_human, format_ms, parse_duration
from audio_builder.errors import InputError
from audio_builder.model import Podcast, Script
from audio_builder.publishing.captions import Cue, read_vtt
from audio_builder.publishing.cover import default_cover_png, image_size
from audio_builder.publishing.feed import episode_guid, podcast_guid
from audio_builder.publishing.formats import FORMATS, Format
from audio_builder.publishing.lock import Lock

SIDECARS = {"vtt": ".vtt", "srt": ".srt", "chapters": ".chapters.json"}
SIDECAR_TYPES = {"vtt": "text/vtt; charset=utf-8", "srt": "application/x-subrip; charset=utf-8",
                 "chapters": "application/json+chapters"}          # as the site serves them
VIDEO_FILES = {"video": ".mp4", "description": ".video.txt"}

# The published folder's own files.
FEED = "feed.xml"
PAGE = "index.html"
PREVIEW_FEED = "preview-feed.xml"
PREVIEW_PAGE = "preview.html"
DEFAULT_COVER = "cover.png"


TODAY_VARIABLE = "AUDIO_BUILDER_TODAY"       # a fixed "today" (YYYY-MM-DD), for tests and previews
SCHEDULED_SUFFIX = "-scheduled"


def today() -> datetime.date:
    """Today's date (UTC), or the date in AUDIO_BUILDER_TODAY."""
    fixed = os.environ.get(TODAY_VARIABLE)
    if fixed:
        try:
            return datetime.date.fromisoformat(fixed)
        except ValueError:
            raise InputError(f"{TODAY_VARIABLE}={fixed!r} is not a date like 2026-11-20") from None
    return datetime.datetime.now(datetime.UTC).date()


def scheduled_folder(output: Path) -> Path:
    """Beside the published folder, the folder of what is not published yet: the files of
    tracks dated after today, and the preview of the feed and page with them
    (`output-scheduled/` for `output/`). Everything in `output` is public once uploaded, at an
    address anyone can guess; this folder is never uploaded."""
    folder = Path(os.path.abspath(output))
    return folder.with_name(folder.name + SCHEDULED_SUFFIX)


def site_files(folder: Path, *, preview: bool = False) -> tuple[Path, Path]:
    """The feed and the page in `folder` (with `preview`: the preview's, which hold the
    episodes dated after today too)."""
    return (folder / (PREVIEW_FEED if preview else FEED), folder / (PREVIEW_PAGE if preview else PAGE))


def track_name(script: Script, length_ms: int | None, lengths: int = 1) -> str:
    """The output name of one track: the slug, or `<slug>-<length>` when there are several,
    or when the length is one the script does not list (so it never replaces a track of it)."""
    one_off = bool(script.lengths) and length_ms not in script.lengths
    if length_ms is None or (lengths <= 1 and len(script.lengths) <= 1 and not one_off):
        return script.slug
    return f"{script.slug}-{format_human(length_ms)}"


def spoken_in(script: Script, voice: str | None) -> Script:
    """`script` spoken in `voice` (None: its own). In a voice other than the script's own
    `voice:`, its tracks are named `<slug>-<voice>` (`-<length>` after that, as usual): a file
    and an episode guid of their own, so a version in another voice never replaces the one
    the script publishes, and the feed (which publishes the script's own tracks) leaves it
    out. To publish a practice in a voice, make it the script's `voice:`."""
    if not voice or voice == script.voice:
        return script
    return replace(script, voice=voice, slug=f"{script.slug}-{voice}")


def one_off_tracks(script: Script, folder: Path) -> list[str]:
    """Audio files in `folder` built from `script` at a length it does not list (`build
    --length`): they are not among its tracks, so the feed leaves them out."""
    own = {track.name for track in tracks_of(script)}
    found = set()
    for fmt in FORMATS.values():
        for path in folder.glob(f"{glob.escape(script.slug)}-*.{fmt.extension}"):
            stem = path.name.removesuffix(f".{fmt.extension}")
            try:
                parse_duration(stem.removeprefix(f"{script.slug}-"))
            except DurationError:
                continue
            if stem not in own:
                found.add(path.name)
    return sorted(found)


@dataclass(frozen=True)
class Track:
    """One track of a script: one length, in any number of formats."""

    script: Script
    name: str
    title: str
    length_ms: int | None = None
    episode: int | None = None

    def audio(self, folder: Path, fmt: Format | str) -> Path:
        codec = FORMATS[fmt] if isinstance(fmt, str) else fmt
        return folder / f"{self.name}.{codec.extension}"

    def sidecar(self, folder: Path, kind: str) -> Path:
        """`vtt`, `srt` or `chapters`: the captions and chapters written beside the audio."""
        return folder / f"{self.name}{SIDECARS[kind]}"

    def video_file(self, folder: Path, kind: str) -> Path:
        """`video` or `description`: the video of the track and the text posted with it."""
        return folder / f"{self.name}{VIDEO_FILES[kind]}"

    def scheduled(self, day: datetime.date) -> bool:
        """Dated after `day`: not published yet."""
        return self.script.date is not None and self.script.date > day

    def folder_for(self, output: Path, day: datetime.date) -> Path:
        """Where a build writes this track on `day`: `output`, or the scheduled folder beside
        it while the track's date is still ahead."""
        return scheduled_folder(output) if self.scheduled(day) else output

    def home(self, output: Path) -> Path:
        """The folder this track's files are in: the scheduled folder beside `output` when it
        was built there (and not published since), else `output`."""
        held = scheduled_folder(output)
        return held if self.built_formats(held) else output

    def files(self, folder: Path) -> list[Path]:
        """This track's files in `folder`: its audio in every format, the captions and chapters
        beside it, its video, and the descriptions written beside it (`NAME.video.txt`, a
        platform's `NAME.spotify.txt`)."""
        paths = ([self.audio(folder, fmt) for fmt in FORMATS.values()]
                 + [self.sidecar(folder, kind) for kind in SIDECARS]
                 + [self.video_file(folder, kind) for kind in VIDEO_FILES]
                 + sorted(folder.glob(f"{glob.escape(self.name)}.*.txt")))
        return list(dict.fromkeys(path for path in paths if path.is_file()))

    def move(self, source: Path, target: Path) -> list[Path]:
        """Move this track's files from `source` to `target` (those of it already in `target`
        replaced, none left behind); the paths moved to."""
        for stale in self.files(target):
            stale.unlink()
        moved = []
        for path in self.files(source):
            target.mkdir(parents=True, exist_ok=True)
            moved.append(Path(shutil.move(path, target / path.name)))
        return moved

    def built_formats(self, folder: Path) -> list[Format]:
        """The formats this track is built in, the one to publish first: the first in the
        format table that podcast directories take (MP3 when there is one); the others go
        beside it as alternate enclosures."""
        found = [fmt for fmt in FORMATS.values() if self.audio(folder, fmt).is_file()]
        return sorted(found, key=lambda fmt: not fmt.enclosure)


# --- reading what a build wrote: a damaged file is one line naming it, never a traceback ----

REBUILD = "build it again with `audio-builder build`"
MAX_SIDECAR_BYTES = 20 * 2**20        # captions of a 12-hour track are a few MB


def damaged(path: Path, what: str, line: int | None = None) -> InputError:
    return InputError(f"{what}; {REBUILD}", path, line)


def audio_seconds(audio: Path) -> float:
    """A built file's length as its own header says (what players show), in seconds."""
    if audio.stat().st_size == 0:
        raise damaged(audio, "the file is empty (a build stopped while writing it?)")
    try:
        info = mutagen.File(audio)
    except mutagen.MutagenError:
        info = None
    if info is None or not getattr(info.info, "length", 0):
        raise damaged(audio, "cannot read this track's length: it is not a whole audio file")
    return float(info.info.length)


def _sidecar_text(path: Path) -> str:
    with path.open("rb") as stream:
        data = stream.read(MAX_SIDECAR_BYTES + 1)
    if len(data) > MAX_SIDECAR_BYTES:
        raise damaged(path, f"the file is larger than {MAX_SIDECAR_BYTES // 2**20} MB, more than "
                            "a build writes")
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError as error:
        line = data[:error.start].count(b"\n") + 1
        raise damaged(path, "the file is not UTF-8 text", line) from None


def read_chapters(path: Path) -> list[tuple[float, str]]:
    """The chapters JSON a build wrote beside a track, as (seconds, title); none without one."""
    if not path.is_file():
        return []
    try:
        data = json.loads(_sidecar_text(path))
    except json.JSONDecodeError as error:
        raise damaged(path, f"the chapters are not valid JSON ({error.msg})", error.lineno) from None
    entries = data.get("chapters") if isinstance(data, dict) else None
    try:
        chapters = [(float(c["startTime"]), str(c.get("title", ""))) for c in entries or ()]
    except (TypeError, KeyError, ValueError, AttributeError):
        chapters = []
    if not isinstance(entries, list) or len(chapters) != len(entries) or not all(
            math.isfinite(start) and start >= 0 for start, _ in chapters):
        raise damaged(path, "the chapters are not a list of `{startTime, title}`")
    return chapters


def read_captions(path: Path) -> list[Cue]:
    """The WebVTT captions a build wrote beside a track; none without them."""
    return read_vtt(_sidecar_text(path)) if path.is_file() else []


def shared_names(scripts: list[Script], lengths: tuple[int, ...] | None = None) -> list[InputError]:
    """An error for every track that would write the same file as a track of another script
    (`col.yaml` at 10s and `col-10s.yaml` both make `col-10s`): one would silently replace
    the other, and both would be one episode."""
    first: dict[str, Script] = {}
    errors = []
    for script in scripts:
        for track in tracks_of(script, lengths):
            other = first.setdefault(track.name, script)
            if other is not script:
                line = script.line_of("length") or 1
                errors.append(InputError(
                    f"this makes the track `{track.name}`, and so does {other.path.name}; one "
                    "would overwrite the other: rename one of the two scripts", script.path, line))
    return errors


def tracks_of(script: Script, lengths: tuple[int, ...] | None = None) -> list[Track]:
    """The tracks a script makes: one per length (`lengths` overrides the script's)."""
    wanted = lengths or script.lengths
    if len(wanted) <= 1:
        length = wanted[0] if wanted else None
        return [Track(script, track_name(script, length), script.title, length,
                      _episode(script, length))]
    return [Track(script, track_name(script, ms, len(wanted)),
                  f"{script.title} ({format_ms(ms, words=True)})", ms, _episode(script, ms))
            for ms in wanted]


def _episode(script: Script, length_ms: int | None) -> int | None:
    """The episode number of one length: the script gives one number per length."""
    if length_ms is None or length_ms not in script.lengths or len(script.episodes) <= 1:
        return script.episode
    return script.episodes[script.lengths.index(length_ms)]


def channel_guid(podcast: Podcast, lock: Lock) -> str:
    """The podcast's guid: pinned in podcast.yaml, else as first published (podcast.lock),
    else made from the feed's address (the namespace's rule)."""
    if podcast.guid or lock.podcast_guid:
        return podcast.guid or lock.podcast_guid or ""
    base = podcast.base_url or f"audio-builder/{podcast.title}/"
    return podcast_guid(base.rstrip("/") + "/" + FEED)


def track_guid(podcast: Podcast, track: Track, lock: Lock) -> str:
    """The episode guid of a track: as first published (podcast.lock), else made from the
    podcast's guid and the track's name. It never changes once published: not on a rebuild,
    not when the site moves, not when the practice gains a length."""
    current = frozenset(t.name for t in tracks_of(track.script))
    published = lock.entry_for(track.script.slug, track.name, track.length_ms, current)
    if published is not None:
        return published.guid
    return episode_guid(channel_guid(podcast, lock), track.name)


def cover_bytes(podcast: Podcast, script: Script | None = None) -> tuple[bytes, str]:
    """The picture for a track or the podcast, and its MIME type."""
    image = (script.image if script else None) or podcast.image
    if image is not None:
        data = image.read_bytes()
        return data, "image/jpeg" if image_size(data)[2] == "JPEG" else "image/png"
    return default_cover_png(podcast.title), "image/png"
