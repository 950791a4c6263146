"""A track ready to play: its audio (memory-mapped from a decoded copy), chapters and captions,
read from the track's own files, so a track built elsewhere plays with its cue list."""

from __future__ import annotations

import os
import re
import shutil
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from mutagen.id3 import ID3, ID3NoHeaderError

from audio_builder.errors import InputError, printable
from audio_builder.files import process_alive, signals_unwind
from audio_builder.publishing.captions import Cue
from audio_builder.publishing.tracks import SIDECARS, damaged, read_captions
from audio_builder.sound.audio import samples_to_ms
from audio_builder.sound.media import decode
from audio_builder.timeline import ChapterStart


@dataclass
class PlayableTrack:
    title: str
    samples: np.ndarray            # frames × 2, int16, memory-mapped
    chapters: list[ChapterStart]
    captions: list[Cue]

    @property
    def length_ms(self) -> int:
        return samples_to_ms(self.samples.shape[0])


def decode_to_memmap(path: Path, folder: Path) -> np.ndarray:
    raw = folder / "track.s16"
    decode(path, "s16le", into=raw)
    return np.memmap(raw, dtype="<i2", mode="r").reshape(-1, 2)


def read_chapters(path: Path) -> list[ChapterStart]:
    try:
        tags = ID3(path)
    except (ID3NoHeaderError, Exception):
        return []
    marks = [ChapterStart(frame.start_time,
                          printable(str(frame.sub_frames.get("TIT2", "") or frame.element_id)))
             for frame in tags.getall("CHAP")]
    return sorted(marks, key=lambda m: m.start_ms)


def open_recording(path: Path, folder: Path, title: str | None = None, *,
                   built: bool = False) -> PlayableTrack:
    """A recording (any format ffmpeg reads); chapters from its ID3 tags, captions from
    the `.vtt` beside it. A `built` track whose audio cannot be read is a damaged build, to
    be built again (not exported again, as a user's own file would be)."""
    if not path.is_file():
        raise InputError("no such track; give a built track (output/NAME.mp3) or a script", path)
    if path.stat().st_size == 0:
        raise damaged(path, "the file is empty (a build stopped while writing it?)")
    if title is None:
        try:
            title = str(ID3(path).get("TIT2") or path.stem)
        except Exception:
            title = path.stem
    try:
        samples = decode_to_memmap(path, folder)
    except InputError as error:
        if not built:
            raise
        raise damaged(path, "its audio cannot be read (damaged, or cut short)") from error
    try:
        found = read_captions(path.with_suffix(SIDECARS["vtt"]))
    except InputError:          # captions that cannot be read: play without them
        found = []
    captions = [Cue(cue.start_ms, cue.end_ms, printable(cue.text)) for cue in found]
    return PlayableTrack(printable(title), samples, read_chapters(path), captions)


SCRATCH_PREFIX = "audio-builder-play-"
_SCRATCH = re.compile(re.escape(SCRATCH_PREFIX) + r"(\d+)-")


@contextmanager
def scratch_folder() -> Iterator[Path]:
    """A temporary folder for a session's decoded audio (hundreds of MB for a long track),
    removed on every way out: the end, an error, Ctrl-C, or a termination signal. A folder
    left by a session killed outright (SIGKILL, power loss) is removed by the next one."""
    remove_stale_scratch(Path(tempfile.gettempdir()))
    with signals_unwind(), tempfile.TemporaryDirectory(prefix=f"{SCRATCH_PREFIX}{os.getpid()}-") as name:
        yield Path(name)


def remove_stale_scratch(folder: Path) -> None:
    for entry in folder.glob(f"{SCRATCH_PREFIX}*"):
        match = _SCRATCH.match(entry.name)
        if match and entry.is_dir() and not entry.is_symlink() and not process_alive(int(match[1])):
            shutil.rmtree(entry, ignore_errors=True)


