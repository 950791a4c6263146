"""A video of a built track that YouTube takes as it is: H.264 High in yuv420p at 24 frames
a second with a keyframe every 4 seconds, AAC-LC at 48 kHz, no edit lists, no stream but
these two, the practice's title on the picture; and beside it the
description to paste, with a chapter list YouTube and Spotify both accept. The captions are
the track's own `NAME.vtt`, uploaded beside the video.

The picture never changes, so one group of pictures (4 seconds, one keyframe) is encoded
once and repeated to the track's length without encoding again; only the audio is encoded
(to AAC at 48 kHz): see benchmarks/video.py.
"""

from __future__ import annotations

import io
import tempfile
import textwrap
from dataclasses import dataclass
from pathlib import Path

from audio_builder.errors import InputError
from audio_builder.files import remove_stale_temporaries, write_file_atomically
from audio_builder.languages import language
from audio_builder.model import Podcast
from audio_builder.publishing.chapters import description_block, ffmetadata
from audio_builder.publishing.tracks import Track, audio_seconds, cover_bytes, read_chapters
from audio_builder.sound.media import ffmpeg_failure, ffmpeg_file, run_ffmpeg
from audio_builder.text import fold_paragraphs

WIDTH, HEIGHT = 1280, 720
BACKGROUND = (46, 72, 84)            # the generated cover's slate
TEXT = (244, 238, 226)               # and its warm off-white
FRAME_RATE = 24                      # a frame rate YouTube lists as usual
KEYFRAME_EVERY = 4 * FRAME_RATE      # YouTube asks for keyframes a few seconds apart (<= 5 s)
AUDIO_RATE = 48_000                  # YouTube: AAC-LC at 48 kHz
AUDIO_BITRATE = {1: "128k", 2: "192k"}


@dataclass(frozen=True)
class Video:
    video: Path
    description: Path


def write_video(track: Track, folder: Path, podcast: Podcast, image: Path | None = None) -> Video:
    """`NAME.mp4` and `NAME.video.txt` beside the built track in `folder` (or in the scheduled
    folder beside it, where a track dated after today is built). The video is written to a
    temporary beside it, renamed into place when whole: what a video killed outright left
    there is removed first."""
    folder = track.home(folder)
    remove_stale_temporaries(folder)
    formats = track.built_formats(folder)
    if not formats:
        raise InputError(f"{track.name} is not built yet; run `audio-builder build` first",
                         track.script.path)
    audio = track.audio(folder, formats[0])
    length_ms = round(audio_seconds(audio) * 1000)
    chapters = [(round(start * 1000), title)
                for start, title in read_chapters(track.sidecar(folder, "chapters"))]
    target = track.video_file(folder, "video")
    code = track.script.language or podcast.language or "en"
    text = video_description(track, chapters, length_ms, code)
    with tempfile.TemporaryDirectory(prefix="audio-builder-video-") as scratch:
        data = image.read_bytes() if image else cover_bytes(podcast, track.script)[0]
        frame, gop, metadata = (Path(scratch) / name for name in ("frame.bmp", "gop.mp4", "meta.txt"))
        frame.write_bytes(_frame(data, track.title))
        metadata.write_text(ffmetadata((), length_ms, track.title), encoding="utf-8")
        _ffmpeg(track, "-loop", "1", "-framerate", str(FRAME_RATE), "-i", ffmpeg_file(frame),
                "-frames:v", str(KEYFRAME_EVERY), *_picture_codec(), "-an", "-f", "mp4",
                ffmpeg_file(gop))
        write_file_atomically(target, lambda tmp: _ffmpeg(
            track, "-stream_loop", "-1", "-i", ffmpeg_file(gop), "-i", ffmpeg_file(audio),
            "-f", "ffmetadata", "-i", ffmpeg_file(metadata),
            # no chapters inside: FFmpeg would write them as a text track that YouTube
            # ignores and that its own reader reports as an unknown stream (the description
            # carries them)
            "-map", "0:v", "-map", "1:a", "-map_metadata", "2", "-map_chapters", "-1",
            "-metadata:s:a:0", f"language={language(code).iso639_2}",
            "-c:v", "copy", "-c:a", "aac", "-profile:a", "aac_low", "-ar", str(AUDIO_RATE),
            "-b:a", AUDIO_BITRATE.get(_channels(audio), "192k"),
            # -t, not -shortest: the picture never ends; the edit list AAC's priming would
            # add is left out (YouTube asks for none)
            "-t", f"{length_ms / 1000:.3f}", "-use_editlist", "0", "-movflags", "+faststart",
            "-f", "mp4", ffmpeg_file(tmp)))
    description = track.video_file(folder, "description")
    write_file_atomically(description, lambda tmp: tmp.write_text(text, encoding="utf-8"))
    return Video(target, description)


def _picture_codec() -> tuple[str, ...]:
    """H.264 High (CABAC and 8x8 transforms on; the fastest preset alone turns them off and
    makes Constrained Baseline), yuv420p, a closed group of pictures with no B-frames."""
    return ("-vf", "format=yuv420p", "-c:v", "libx264", "-preset", "ultrafast",
            "-tune", "stillimage", "-x264-params", "cabac=1:8x8dct=1", "-profile:v", "high",
            "-g", str(KEYFRAME_EVERY), "-keyint_min", str(KEYFRAME_EVERY), "-sc_threshold", "0",
            "-bf", "0", "-r", str(FRAME_RATE))


def _channels(audio: Path) -> int:
    import mutagen

    try:
        info = mutagen.File(audio)
    except mutagen.MutagenError:
        return 2
    return int(getattr(getattr(info, "info", None), "channels", 2) or 2)


def _ffmpeg(track: Track, *args: str) -> None:
    """Run ffmpeg writing the file its last argument names (`file:PATH`)."""
    result = run_ffmpeg(*args)
    if result.returncode != 0:
        raise ffmpeg_failure(f"could not make the video of {track.name}",
                             args[-1].removeprefix("file:"), result)


def _frame(picture: bytes, title: str) -> bytes:
    """The video's one picture: the image fitted into the left square of 1280x720 on the
    cover's slate, and the practice's title beside it, as an uncompressed BMP."""
    from PIL import Image, ImageDraw, ImageFont

    with Image.open(io.BytesIO(picture)) as opened:
        source = opened.convert("RGB")
    side = HEIGHT - 160
    source.thumbnail((side, side))
    canvas = Image.new("RGB", (WIDTH, HEIGHT), BACKGROUND)
    canvas.paste(source, (80 + (side - source.width) // 2, (HEIGHT - source.height) // 2))
    draw = ImageDraw.Draw(canvas)
    left, room = 80 + side + 60, WIDTH - (80 + side + 60) - 60
    for size in range(64, 19, -4):
        font = ImageFont.load_default(size=size)
        lines = textwrap.wrap(title, width=max(8, int(room / (size * 0.55)))) or [" "]
        if len(lines) <= 6 and all(draw.textlength(line, font=font) <= room for line in lines):
            break
    line_height = int(size * 1.3)
    top = (HEIGHT - line_height * len(lines)) // 2
    for index, line in enumerate(lines[:6]):
        draw.text((left, top + index * line_height), line, font=font, fill=TEXT)
    out = io.BytesIO()
    canvas.save(out, format="BMP")
    return out.getvalue()


def video_description(track: Track, chapters: list[tuple[int, str]], length_ms: int,
                      code: str | None = None) -> str:
    """The title, the description, and the chapters as `(MM:SS) Title` lines, a list both
    YouTube and Spotify turn into chapters (see `chapters.listed_chapters`), under a heading
    in the practice's language (`code`, default the script's)."""
    parts = [track.title, "", fold_paragraphs(track.script.description) or track.title]
    block = description_block(chapters, length_ms)
    if block:
        heading = language(code or track.script.language).page_words["chapters"]
        parts += ["", f"{heading}:", block]
    return "\n".join(parts) + "\n"
