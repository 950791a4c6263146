"""A track ready to play: its audio (memory-mapped from a decoded copy), chapters and captions,
read from the track's own files, so a track built elsewhere plays with its cue list."""

from __future__ import annotations

import tempfile
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from mutagen.id3 import ID3, ID3NoHeaderError

from audio_builder.errors import InputError
from audio_builder.publish.captions import Cue, read_vtt
from audio_builder.publish.tracks import SIDECARS
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
    marks = [ChapterStart(frame.start_time, str(frame.sub_frames.get("TIT2", "") or frame.element_id))
             for frame in tags.getall("CHAP")]
    return sorted(marks, key=lambda m: m.start_ms)


def read_captions(vtt: Path) -> list[Cue]:
    return read_vtt(vtt.read_text(encoding="utf-8")) if vtt.is_file() else []


def open_recording(path: Path, folder: Path, title: str | None = None) -> PlayableTrack:
    """A built track (any format ffmpeg reads); chapters from its ID3 tags, captions from
    the `.vtt` beside it."""
    if not path.is_file():
        raise InputError("no such track; give a built track (output/NAME.mp3) or a script", path)
    if title is None:
        try:
            title = str(ID3(path).get("TIT2") or path.stem)
        except Exception:
            title = path.stem
    return PlayableTrack(title, decode_to_memmap(path, folder), read_chapters(path),
                         read_captions(path.with_suffix(SIDECARS["vtt"])))


def scratch_folder() -> tempfile.TemporaryDirectory:
    return tempfile.TemporaryDirectory(prefix="audio-builder-play-")
