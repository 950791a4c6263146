"""Reading audio files and finding ffmpeg: the program's edge with the outside world."""

from __future__ import annotations

import functools
import os
import shutil
import subprocess
from pathlib import Path

import numpy as np

from audio_builder.errors import BuildError, InputError
from audio_builder.model import Place, SoundRef
from audio_builder.sound import sounds
from audio_builder.sound.audio import SAMPLE_RATE, fade_edges, samples_to_ms


@functools.cache
def ffmpeg_exe() -> str:
    """ffmpeg from PATH, or else the one the imageio-ffmpeg package ships."""
    found = shutil.which("ffmpeg")
    if found:
        return found
    try:
        import imageio_ffmpeg

        return imageio_ffmpeg.get_ffmpeg_exe()
    except (ImportError, RuntimeError) as error:
        raise BuildError(f"no ffmpeg found ({error}); run `pip install imageio-ffmpeg` "
                         "or install ffmpeg") from None


def ffmpeg_file(path: Path | str) -> str:
    """A path as ffmpeg must be given it: absolute and marked as a file, so no name (such
    as `pipe:0`, `http://...` or `-i`) is read as a protocol or an option."""
    return "file:" + os.path.abspath(path)


def decode(path: Path, sample_format: str = "f32le", into: Path | None = None) -> bytes:
    """Any file ffmpeg reads, as raw stereo samples at 44.1 kHz (`f32le` or `s16le`):
    returned, or written to `into` (a whole track, kept out of memory)."""
    command = [ffmpeg_exe(), "-nostdin", "-v", "error", "-y", "-i", ffmpeg_file(path),
               "-f", sample_format, "-ac", "2", "-ar", str(SAMPLE_RATE),
               ffmpeg_file(into) if into else "pipe:1"]
    result = subprocess.run(command, capture_output=True)
    decoded = into.is_file() and into.stat().st_size > 0 if into else bool(result.stdout)
    if result.returncode != 0 or not decoded:
        reason = result.stderr.decode(errors="replace").strip().splitlines()
        raise InputError(f"cannot read audio from {path.name}: "
                         f"{reason[-1] if reason else 'no audio in the file'}; "
                         "use a WAV, MP3, FLAC or OGG file", path)
    return result.stdout


@functools.lru_cache(maxsize=32)
def decode_file(path: Path) -> np.ndarray:
    """Any file ffmpeg reads, as stereo float32 at 44.1 kHz, its edges faded."""
    samples = np.frombuffer(decode(path), dtype="<f4").reshape(-1, 2)
    return fade_edges(samples.copy(), SAMPLE_RATE, ms=5)


def file_length_ms(path: Path, place: Place | None = None) -> int:
    try:
        samples = decode_file(path)
    except InputError as error:
        if place:
            raise InputError(error.message, place.file, place.line) from None
        raise
    return samples_to_ms(samples.shape[0])


@functools.lru_cache(maxsize=16)
def builtin_samples(kind: str, name: str) -> np.ndarray:
    registry = sounds.BELLS if kind == "bell" else sounds.BACKGROUNDS
    return registry[name].generate(SAMPLE_RATE)


def bell_length_ms(ref: SoundRef, place: Place | None = None) -> int:
    """How long a bell rings, from its strike until it has died away."""
    if ref.path is not None:
        return file_length_ms(ref.path, place)
    return (builtin_samples("bell", ref.name).shape[0] * 1000 + SAMPLE_RATE // 2) // SAMPLE_RATE


def sound_samples(ref: SoundRef, kind: str) -> np.ndarray:
    """A bell or background, built-in or from a file, as stereo float32."""
    if ref.name is not None:
        return builtin_samples(kind, ref.name)
    return decode_file(ref.path)
