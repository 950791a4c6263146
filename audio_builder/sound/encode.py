"""Streaming float32 blocks into ffmpeg, which writes the compressed file."""

from __future__ import annotations

import subprocess
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from audio_builder.files import target_name
from audio_builder.sound.audio import SAMPLE_RATE
from audio_builder.sound.media import ffmpeg, ffmpeg_failure, ffmpeg_file


@dataclass(frozen=True, kw_only=True)
class Encoder:
    """How ffmpeg writes one format, and what its encoder does to the audio. The format table
    (`publishing.formats`) holds one for each format, beside the format's other facts."""

    codec_args: tuple[str, ...]            # ffmpeg's output options; `{bitrate}` is filled in
    default_bitrate: dict[int, str]        # by channel count; empty for lossless formats
    frame_size: int = 1                    # samples per compressed frame
    reads_longer_by: int = 0               # samples the header's duration adds past a frame
    loudness_shift: float = 0.0            # LU the encoder moves integrated loudness by
    bitrates_kbps: tuple[int, int] | None = None   # what the encoder takes; None: lossless

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


def _widen_pipe(stream) -> None:
    """Let the pipe to ffmpeg hold a whole block, so ffmpeg keeps encoding while the next
    block is mixed (Linux only; elsewhere the default pipe is used)."""
    try:
        import fcntl

        fcntl.fcntl(stream.fileno(), getattr(fcntl, "F_SETPIPE_SZ", 1031), 1 << 20)
    except (ImportError, OSError):
        pass


def encode(blocks: Iterable[np.ndarray], path, *, encoder: Encoder, channels: int,
           bitrate: str | None = None, sample_rate: int | None = None) -> None:
    """Encode float32 blocks (frames × channels) to `path` (the caller renames it into place),
    resampled to `sample_rate` when one is given."""
    bitrate = bitrate or encoder.default_bitrate.get(channels, "")
    process = ffmpeg("-f", "f32le", "-ar", str(SAMPLE_RATE), "-ac", str(channels), "-i", "pipe:0",
                     "-map_metadata", "-1", *(arg.format(bitrate=bitrate) for arg in encoder.codec_args),
                     *(("-ar", str(sample_rate)) if sample_rate else ()),
                     ffmpeg_file(path), stdin=subprocess.PIPE, stderr=subprocess.PIPE)
    stdin, stderr = process.stdin, process.stderr
    assert stdin is not None and stderr is not None    # both piped
    _widen_pipe(stdin)
    try:
        for block in blocks:
            stdin.write(np.ascontiguousarray(block, dtype="<f4").data)     # no copy
        stdin.close()
    except BrokenPipeError:
        pass
    except BaseException:
        process.kill()
        process.wait()
        raise
    error = stderr.read()
    status = process.wait()
    if status != 0:
        raise ffmpeg_failure(f"could not encode {target_name(Path(path).name)}", path,
                             subprocess.CompletedProcess(process.args, status, b"", error))
