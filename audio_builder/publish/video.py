"""A video of a built track for the sites where people look for meditations: the cover (or a
chosen picture) as a still image, the track's audio, its captions as a subtitle stream, and a
description whose chapter list video sites turn into chapters.

The picture is encoded once a second (libx264, tuned for a still image) and the audio is
copied as it is, so a video costs little more than reading the track: see docs/publishing.md.
"""

from __future__ import annotations

import io
import tempfile
from dataclasses import dataclass
from pathlib import Path

from audio_builder.durations import format_ms
from audio_builder.errors import BuildError, InputError
from audio_builder.files import write_file_atomically
from audio_builder.model import Podcast
from audio_builder.publish.tracks import Track, audio_seconds, cover_bytes, read_chapters
from audio_builder.sound.media import ffmpeg_file, run_ffmpeg
from audio_builder.text import fold_paragraphs

WIDTH, HEIGHT = 1280, 720
BACKGROUND = (46, 72, 84)            # the generated cover's slate


@dataclass(frozen=True)
class Video:
    video: Path
    description: Path


def write_video(track: Track, folder: Path, podcast: Podcast, image: Path | None = None) -> Video:
    """`NAME.mp4` and `NAME.video.txt` beside the built track in `folder`."""
    formats = track.built_formats(folder)
    if not formats:
        raise InputError(f"{track.name} is not built yet; run `audio-builder build` first",
                         track.script.path)
    audio_format = next((f for f in formats if f.in_video), formats[0])
    audio = track.audio(folder, audio_format)
    captions = track.sidecar(folder, "vtt")
    target = track.video_file(folder, "video")
    text = video_description(track, read_chapters(track.sidecar(folder, "chapters")))
    with tempfile.TemporaryDirectory(prefix="audio-builder-video-") as scratch:
        data = image.read_bytes() if image else cover_bytes(podcast, track.script)[0]
        frame = Path(scratch) / "frame.bmp"
        frame.write_bytes(_frame(data))
        write_file_atomically(target, lambda tmp: _encode(frame, audio, audio_format.in_video,
                                                          captions, track, tmp))
    description = track.video_file(folder, "description")
    write_file_atomically(description, lambda tmp: tmp.write_text(text, encoding="utf-8"))
    return Video(target, description)


def _frame(picture: bytes) -> bytes:
    """The video's one picture, made once: the image fitted into 1280x720 on the cover's
    slate, as an uncompressed BMP (ffmpeg reads it for every frame: scaling and decoding a
    PNG each second tripled the video's cost, measured in benchmarks/video.py)."""
    from PIL import Image

    with Image.open(io.BytesIO(picture)) as opened:
        source = opened.convert("RGB")
    source.thumbnail((WIDTH, HEIGHT))
    canvas = Image.new("RGB", (WIDTH, HEIGHT), BACKGROUND)
    canvas.paste(source, ((WIDTH - source.width) // 2, (HEIGHT - source.height) // 2))
    out = io.BytesIO()
    canvas.save(out, format="BMP")
    return out.getvalue()


def _encode(frame: Path, audio: Path, copy_audio: bool, captions: Path, track: Track,
            out: Path) -> None:
    command = ["-loop", "1", "-framerate", "1", "-i", ffmpeg_file(frame), "-i", ffmpeg_file(audio)]
    if captions.is_file():
        command += ["-i", ffmpeg_file(captions)]
    command += ["-map", "0:v", "-map", "1:a"]
    if captions.is_file():
        command += ["-map", "2:s", "-c:s", "mov_text",
                    "-metadata:s:s:0", f"language={_iso639_2(track.script.language)}",
                    "-metadata:s:s:0", "title=Captions"]
    command += ["-vf", "format=yuv420p", "-c:v", "libx264", "-tune", "stillimage", "-preset", "ultrafast",
                "-r", "1", "-g", "10",
                *(["-c:a", "copy"] if copy_audio else ["-c:a", "aac", "-b:a", "128k"]),
                # -t, not -shortest: that would stop at the last caption
                "-metadata", f"title={track.title}", "-t", f"{audio_seconds(audio):.3f}",
                "-movflags", "+faststart",
                "-f", "mp4", ffmpeg_file(out)]
    result = run_ffmpeg(*command)
    if result.returncode != 0:
        message = result.stderr.decode(errors="replace").strip().splitlines()
        raise BuildError(f"ffmpeg could not make the video of {track.name}: "
                         f"{message[-1] if message else 'no message'}")


def _iso639_2(language: str) -> str:
    return {"en": "eng", "de": "deu", "fr": "fra", "es": "spa", "it": "ita", "nl": "nld",
            "pt": "por"}.get(language.split("-")[0].lower(), "und")


def video_description(track: Track, chapters: list[tuple[float, str]]) -> str:
    """The title, the description, and the chapters as `0:00 Title` lines, the form video
    sites read as chapters (the first at 0:00, at least three, each 10 s or longer)."""
    parts = [track.title, "", fold_paragraphs(track.script.description) or track.title]
    usable = _video_site_chapters(chapters)
    if usable:
        parts += ["", "Chapters:"] + [f"{format_ms(int(start * 1000), precise=False)} {title}"
                                    for start, title in usable]
    return "\n".join(parts) + "\n"


def _video_site_chapters(chapters: list[tuple[float, str]]) -> list[tuple[float, str]]:
    """The chapters a video site will accept: merged so each lasts 10 s; none if fewer than 3."""
    kept: list[tuple[float, str]] = []
    for start, title in sorted(chapters):
        if kept and start - kept[-1][0] < 10:
            continue
        kept.append((0.0, title) if not kept else (start, title))
    return kept if len(kept) >= 3 else []

