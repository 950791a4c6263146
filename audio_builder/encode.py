"""Streaming float32 blocks into ffmpeg, which writes the compressed file."""

from __future__ import annotations

import subprocess
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from .audio import SAMPLE_RATE
from .errors import BuildError
from .media import ffmpeg_exe


@dataclass(frozen=True)
class Format:
    extension: str
    codec_args: tuple[str, ...]
    frame_size: int = 1         # samples per compressed frame
    reads_longer_by: int = 0    # samples a file's header duration adds past a whole frame

    def pcm_frames(self, wanted: int) -> int:
        """How many samples to encode so that both the decoded audio and the duration
        players read from the file's header land nearest `wanted`.

        An MP3 from ffmpeg reads (in ffprobe, mutagen, players) as the audio rounded up to
        whole 1152-sample frames plus one frame more: 26 to 52 ms long. Ending the audio
        on a frame boundary half a frame early puts the audio within 26 ms short and the
        header's duration within 26 ms long (measured: see docs/timing.md)."""
        if self.frame_size == 1:
            return wanted
        frames = round((wanted - self.reads_longer_by / 2) / self.frame_size)
        return max(0, frames * self.frame_size)


FORMATS = {
    "mp3": Format("mp3", ("-c:a", "libmp3lame", "-b:a", "{bitrate}", "-f", "mp3"),
                  frame_size=1152, reads_longer_by=1152),
}


def encode(blocks: Iterable[np.ndarray], path: Path, *, fmt: str = "mp3",
           bitrate: str = "128k", channels: int = 2) -> None:
    """Encode stereo float32 blocks to `path` (the caller renames it into place)."""
    spec = FORMATS[fmt]
    command = [ffmpeg_exe(), "-nostdin", "-v", "error", "-y",
               "-f", "f32le", "-ar", str(SAMPLE_RATE), "-ac", "2", "-i", "pipe:0",
               "-ac", str(channels), "-map_metadata", "-1",
               *(arg.format(bitrate=bitrate) for arg in spec.codec_args), str(path)]
    process = subprocess.Popen(command, stdin=subprocess.PIPE, stderr=subprocess.PIPE)
    try:
        for block in blocks:
            process.stdin.write(np.ascontiguousarray(block, dtype="<f4").tobytes())
        process.stdin.close()
    except BrokenPipeError:
        pass
    except BaseException:
        process.kill()
        process.wait()
        raise
    error = process.stderr.read().decode(errors="replace").strip()
    if process.wait() != 0:
        raise BuildError(f"ffmpeg could not encode {path.name}: {error or 'no message'}")
