"""Streaming float32 blocks into ffmpeg, which writes the compressed file."""

from __future__ import annotations

import subprocess
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from audio_builder.errors import BuildError
from audio_builder.files import target_name
from audio_builder.sound.audio import SAMPLE_RATE
from audio_builder.sound.media import ffmpeg_exe, ffmpeg_file


@dataclass(frozen=True, kw_only=True)
class Format:
    name: str
    extension: str
    mime_type: str
    codec_args: tuple[str, ...]
    default_bitrate: dict[int, str]        # by channel count; empty for lossless formats
    frame_size: int = 1                    # samples per compressed frame
    reads_longer_by: int = 0               # samples the header's duration adds past a frame
    loudness_shift: float = 0.0            # LU the encoder moves integrated loudness by
    title: str = ""                        # as a listener's app names it
    codecs: str | None = None              # RFC 6381 codec name, for feeds
    bitrates_kbps: tuple[int, int] | None = None   # what the encoder takes; None: lossless

    def bitrate_problem(self, bitrate: str) -> str | None:
        """What is wrong with `bitrate` (like "128k") for this format, or None."""
        if self.bitrates_kbps is None:
            return f"{self.title} is lossless: leave --bitrate out"
        low, high = self.bitrates_kbps
        if not low <= int(bitrate.rstrip("k")) <= high:
            return f"{self.title} takes {low}k to {high}k"
        return None

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


FORMATS: dict[str, Format] = {f.name: f for f in (
    Format(name="mp3", extension="mp3", mime_type="audio/mpeg",
           codec_args=("-c:a", "libmp3lame", "-b:a", "{bitrate}", "-f", "mp3"),
           default_bitrate={2: "128k", 1: "64k"}, frame_size=1152, reads_longer_by=1152,
           loudness_shift=-0.4,    # LAME's output is ~0.4 dB quieter than its input, at every frequency
           title="MP3", codecs="mp3", bitrates_kbps=(32, 320)),
    Format(name="m4a", extension="m4a", mime_type="audio/mp4",
           codec_args=("-c:a", "aac", "-b:a", "{bitrate}", "-movflags", "+faststart", "-f", "mp4"),
           default_bitrate={2: "128k", 1: "64k"}, title="AAC", codecs="mp4a.40.2",
           bitrates_kbps=(16, 320)),
    Format(name="opus", extension="opus", mime_type="audio/ogg",
           codec_args=("-c:a", "libopus", "-b:a", "{bitrate}", "-ar", "48000", "-f", "ogg"),
           default_bitrate={2: "96k", 1: "48k"}, title="Opus", codecs="opus",
           bitrates_kbps=(16, 510)),
    Format(name="flac", extension="flac", mime_type="audio/flac",
           codec_args=("-c:a", "flac", "-f", "flac"), default_bitrate={}, title="FLAC", codecs="flac"),
    Format(name="wav", extension="wav", mime_type="audio/wav",
           codec_args=("-c:a", "pcm_s16le", "-f", "wav"), default_bitrate={}, title="WAV"),
)}


def _widen_pipe(stream) -> None:
    """Let the pipe to ffmpeg hold a whole block, so ffmpeg keeps encoding while the next
    block is mixed (Linux only; elsewhere the default pipe is used)."""
    try:
        import fcntl

        fcntl.fcntl(stream.fileno(), getattr(fcntl, "F_SETPIPE_SZ", 1031), 1 << 20)
    except (ImportError, OSError):
        pass


def encode(blocks: Iterable[np.ndarray], path, *, fmt: Format, channels: int,
           bitrate: str | None = None) -> None:
    """Encode float32 blocks (frames × channels) to `path` (the caller renames it into place)."""
    bitrate = bitrate or fmt.default_bitrate.get(channels, "")
    command = [ffmpeg_exe(), "-nostdin", "-v", "error", "-y",
               "-f", "f32le", "-ar", str(SAMPLE_RATE), "-ac", str(channels), "-i", "pipe:0",
               "-map_metadata", "-1", *(arg.format(bitrate=bitrate) for arg in fmt.codec_args),
               ffmpeg_file(path)]
    process = subprocess.Popen(command, stdin=subprocess.PIPE, stderr=subprocess.PIPE)
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
    error = stderr.read().decode(errors="replace").strip()
    if process.wait() != 0:
        raise BuildError(f"ffmpeg could not encode {target_name(Path(path).name)}: "
                         f"{error or 'no message'}")
