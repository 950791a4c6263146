"""`podcast.lock`: what has been published, so it never changes.

Once an episode is in the feed, podcast apps know it by its guid; a new guid is a new episode
(and the old one a duplicate). `audio-builder feed` records each episode here the first time it
publishes it (its guid, the date, the enclosure's address) and the podcast's own guid. From then
on the guids come from this file, not from the site's address, so moving the site or adding a
length to a practice changes no guid. It is plain YAML that lives with the scripts: commit it.
"""

from __future__ import annotations

import datetime
import uuid
from dataclasses import dataclass, replace
from pathlib import Path

import yaml

from audio_builder.durations import DurationError, format_human, parse_duration
from audio_builder.errors import InputError, excerpt
from audio_builder.files import write_file_atomically
from audio_builder.model import Place
from audio_builder.script.yamlfile import YamlList, YamlMap, read_yaml

LOCK_FILE = "podcast.lock"

HEADER = """\
# What this podcast has published. `audio-builder feed` adds an episode the first time it
# publishes it; keep this file with your scripts (commit it). Podcast apps know an episode by
# its guid: a guid here never changes. To withdraw an episode on purpose, delete its entry.
"""


@dataclass(frozen=True)
class LockedEpisode:
    guid: str
    track: str                      # the track's name when it was last published
    script: str                     # the script's slug
    length_ms: int | None
    first_published: datetime.date
    enclosure: str                  # where its audio is (updated when the site moves)


@dataclass(frozen=True)
class Lock:
    podcast_guid: str | None = None
    episodes: tuple[LockedEpisode, ...] = ()

    def entry_for(self, script: str, track: str, length_ms: int | None,
                  current_tracks: frozenset[str] = frozenset()) -> LockedEpisode | None:
        """The published episode a track continues: the one of that name, else the same
        script's episode of the same length whose name is no longer a track (the practice
        gained or lost lengths, so its file was renamed)."""
        for episode in self.episodes:
            if episode.track == track:
                return episode
        for episode in self.episodes:
            if (episode.script == script and length_ms is not None and episode.length_ms == length_ms
                    and episode.track not in current_tracks):
                return episode
        return None

    def with_published(self, episode: LockedEpisode) -> Lock:
        """The lock with `episode` recorded (a new entry, or its name and address updated)."""
        kept = [e for e in self.episodes if e.guid != episode.guid]
        old = next((e for e in self.episodes if e.guid == episode.guid), None)
        if old is not None:
            episode = replace(episode, first_published=old.first_published)
        episodes = sorted([*kept, episode], key=lambda e: (e.first_published, e.track))
        return replace(self, episodes=tuple(episodes))


# An episode takes about 250 bytes of the lock: 1 MB holds some 4,000.
MAX_LOCK_BYTES = 1_000_000
RESTORE = "restore it from your version control"


def read_lock(root: Path) -> Lock:
    """The lock of the project at `root` (empty when there is none), read as scripts are:
    the guarded YAML loader (no alias bombs), a plain file of at most `MAX_LOCK_BYTES`.
    Messages name the line and never quote more than an excerpt of a value."""
    path = root / LOCK_FILE
    if not path.exists() and not path.is_symlink():
        return Lock()
    data = read_yaml(path, max_bytes=MAX_LOCK_BYTES, follow_links=False, what=LOCK_FILE,
                     advice=RESTORE)
    if data is None:
        return Lock()
    if not isinstance(data, YamlMap) or not isinstance(data.get("episodes", []), list):
        raise InputError(f"podcast.lock must have `podcast_guid:` and a list of `episodes:`; "
                         f"{RESTORE}", path, getattr(data, "line", None))
    podcast = data.get("podcast_guid")
    if podcast is not None:
        podcast = _guid(podcast, Place(str(path), data.line_of("podcast_guid")), "podcast_guid")
    episodes = data.get("episodes") or YamlList()
    return Lock(podcast, tuple(_episode(entry, Place(str(path), episodes.line_of(number)))
                               for number, entry in enumerate(episodes)))


def _guid(value: object, where: Place, what: str) -> str:
    try:
        if isinstance(value, str):
            return str(uuid.UUID(value))
    except ValueError:
        pass
    raise InputError(f"{what} {excerpt(value)} is not a guid (like 9b024349-ccf0-5f69-a609-"
                     f"6b82873eab3c); {RESTORE}", where.file, where.line)


def _episode(entry: object, where: Place) -> LockedEpisode:
    if not isinstance(entry, YamlMap) or not {"guid", "track", "first_published"} <= entry.keys():
        raise InputError(f"an episode in podcast.lock needs `guid`, `track` and `first_published`; "
                         f"{RESTORE}", where.file, where.line)
    track = entry["track"]
    if not isinstance(track, str):
        raise InputError(f"`track` {excerpt(track)} is not a name; {RESTORE}", where.file,
                         entry.line_of("track"))
    published = entry["first_published"]
    if not isinstance(published, datetime.date) or isinstance(published, datetime.datetime):
        raise InputError(f"`first_published` {excerpt(published)} is not a date like 2026-11-20; "
                         f"{RESTORE}", where.file, entry.line_of("first_published"))
    length = entry.get("length")
    try:
        length_ms = None if length is None else parse_duration(length)
    except DurationError as error:
        raise InputError(f"episode {excerpt(track)}: {error}", where.file,
                         entry.line_of("length")) from None
    guid = _guid(entry["guid"], Place(where.file, entry.line_of("guid")),
                 f"the guid of {excerpt(track)}")
    return LockedEpisode(guid=guid, track=track, script=_text(entry, "script", track, where),
                         length_ms=length_ms, first_published=published,
                         enclosure=_text(entry, "enclosure", "", where))


def _text(entry: YamlMap, key: str, default: str, where: Place) -> str:
    value = entry.get(key, default)
    if not isinstance(value, str):
        raise InputError(f"`{key}` {excerpt(value)} is not text; {RESTORE}", where.file,
                         entry.line_of(key))
    return value


class _PlainDumper(yaml.SafeDumper):
    """Writes every value out: no anchors (`&id001`) and aliases (`*id001`) for values that
    happen to be one object (two equal dates), in a file people read and commit."""

    def ignore_aliases(self, data: object) -> bool:
        return True


def lock_text(lock: Lock) -> str:
    episodes = []
    for e in lock.episodes:
        entry: dict[str, object] = {"guid": e.guid, "track": e.track, "script": e.script}
        if e.length_ms is not None:
            entry["length"] = format_human(e.length_ms)
        entry.update(first_published=e.first_published, enclosure=e.enclosure)
        episodes.append(entry)
    body = yaml.dump({"podcast_guid": lock.podcast_guid, "episodes": episodes}, Dumper=_PlainDumper,
                     sort_keys=False, allow_unicode=True, width=100)
    return HEADER + body


def write_lock(root: Path, lock: Lock) -> bool:
    """Write the lock when it changed; True when it did."""
    path = root / LOCK_FILE
    text = lock_text(lock)
    if path.is_file() and path.read_text(encoding="utf-8") == text:
        return False
    write_file_atomically(path, lambda tmp: tmp.write_text(text, encoding="utf-8"))
    return True
