"""Reading audio files and finding ffmpeg: the program's edge with the outside world."""

from __future__ import annotations

import ctypes
import errno
import functools
import io
import itertools
import os
import re
import shutil
import signal
import subprocess
import sys
import tempfile
import wave
from collections.abc import Generator, Iterator
from contextlib import contextmanager
from pathlib import Path

import numpy as np

from audio_builder.errors import BuildError, InputError
from audio_builder.files import os_error
from audio_builder.model import Place, SoundRef
from audio_builder.sound import sounds
from audio_builder.sound.audio import SAMPLE_RATE, edge_ramp, fade_edges, samples_to_ms


@functools.cache
def ffmpeg_exe() -> str:
    """The ffmpeg the imageio-ffmpeg package ships (or the one its `IMAGEIO_FFMPEG_EXE` names),
    else ffmpeg from PATH. The packaged one first: the same version and encoders on every
    machine, and statically linked, it starts in about 5 ms of processor time where a system
    build loading its shared libraries takes 80 (every decode and encode starts one)."""
    try:
        import imageio_ffmpeg

        return imageio_ffmpeg.get_ffmpeg_exe()
    except (ImportError, RuntimeError) as error:
        found = shutil.which("ffmpeg")
        if found:
            return found
        raise BuildError(f"no ffmpeg found ({error}); run `pip install imageio-ffmpeg` "
                         "or install ffmpeg") from None


def device_ffmpeg_exe() -> str:
    """ffmpeg for reading a sound device (the microphone): the system's own where there is
    one, built for this machine's sound system (the packaged one has no ALSA or JACK), else
    the packaged one."""
    return shutil.which("ffmpeg") or ffmpeg_exe()


# Every ffmpeg this program runs starts with these, through `ffmpeg` (the one place it is run):
# -nostdin: it never reads the terminal (a build in the background would stop on it);
# -v error: it says only what went wrong, which errors quote;
# -xerror: a damaged or cut-short file is an error, not a track that plays on with a gap;
# -y: the caller chose the target (a temporary beside the file it becomes).
FFMPEG_FLAGS = ("-nostdin", "-v", "error", "-xerror", "-y")


def ffmpeg(*args: str, device: bool = False, **popen) -> subprocess.Popen:
    """Start ffmpeg with `args` after `FFMPEG_FLAGS`; `popen` as for `subprocess.Popen`.
    `device`: reading a sound device, so the system's ffmpeg (see `device_ffmpeg_exe`).

    An ffmpeg that writes a file (its last argument `file:...`, as `ffmpeg_file` gives it)
    dies with the program (on Linux): however the program ends, killed outright included, no
    encoder is left writing a file that nobody will rename or remove. One that writes to us
    (`pipe:1`) ends by itself when we do, at its next write; it is started the quicker way
    (a child set up before it runs cannot be started by vfork: 28 ms against 3 in a process
    of 500 MB, and decoders are started often). A caller that stops early kills its ffmpeg
    before it removes its files (`run_ffmpeg`, `stream_file` and `encode` do), so none can
    write a file anew after it is gone."""
    exe = device_ffmpeg_exe() if device else ffmpeg_exe()
    if _PRCTL is not None and args and args[-1].startswith("file:"):
        popen.setdefault("preexec_fn", _die_with_parent)
    return subprocess.Popen([exe, *FFMPEG_FLAGS, *args], **popen)


def _linux_prctl():
    """The C library's `prctl`, found before any child is started (a child between fork and
    exec must not load anything); None off Linux."""
    if not sys.platform.startswith("linux"):
        return None
    try:
        return ctypes.CDLL(None, use_errno=True).prctl
    except (OSError, AttributeError):
        return None


_PRCTL = _linux_prctl()
_PR_SET_PDEATHSIG = 1


def _die_with_parent() -> None:
    """In the child, before ffmpeg starts: the kernel sends it SIGKILL when the thread that
    started it ends (the whole program, for every ffmpeg run here: each is waited for by the
    thread that starts it)."""
    assert _PRCTL is not None
    _PRCTL(_PR_SET_PDEATHSIG, signal.SIGKILL, 0, 0, 0)


def run_ffmpeg(*args: str) -> subprocess.CompletedProcess[bytes]:
    """Run ffmpeg with `args` to its end: its exit status, standard output and errors. When
    this is interrupted (Ctrl-C, a termination signal, an error), ffmpeg is killed and waited
    for before the exception goes on, so the caller's clean-up finds it gone."""
    process = ffmpeg(*args, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    try:
        stdout, stderr = process.communicate()
    except BaseException:
        process.kill()
        process.wait()
        raise
    return subprocess.CompletedProcess(process.args, process.returncode, stdout, stderr)


# What ffmpeg says when the system refuses a write: the error of the operating system it stands
# for (ffmpeg prints the C library's own words for it).
_REFUSALS = tuple(errno_ for errno_ in (errno.ENOSPC, errno.EDQUOT, errno.EFBIG, errno.EROFS,
                                        errno.EACCES))


def ffmpeg_failure(what: str, target: Path | str,
                   result: subprocess.CompletedProcess[bytes]) -> BuildError:
    """Why ffmpeg failed to write `target`, as one line: a refusal of the system (the disk is
    full, a file size limit, no permission) as the program words every such error
    (`files.os_error`, naming the file the temporary was to become), else ffmpeg's last word,
    after `what` ("could not encode x.mp3")."""
    too_large = getattr(signal, "SIGXFSZ", None)       # past a file size limit: killed by it
    if too_large is not None and result.returncode == -too_large:
        return os_error(OSError(errno.EFBIG, os.strerror(errno.EFBIG), str(target)))
    text = (result.stderr or b"").decode(errors="replace")
    for number in _REFUSALS:
        if os.strerror(number) in text:
            return os_error(OSError(number, os.strerror(number), str(target)))
    lines = [_DECODER.sub("", line).strip() for line in text.strip().splitlines()]
    lines = [line for line in lines if line and not _BOOKKEEPING.match(line)]
    return BuildError(f"ffmpeg {what}: {lines[-1][:300] if lines else 'no message'}")


def ffmpeg_file(path: Path | str) -> str:
    """A path as ffmpeg must be given it: absolute and marked as a file, so no name (such
    as `pipe:0`, `http://...` or `-i`) is read as a protocol or an option."""
    return "file:" + os.path.abspath(path)


EDGE_FADE_MS = 5                           # every file's first and last 5 ms fade, so nothing clicks
WHOLE_FILE_FRAMES = 120 * SAMPLE_RATE      # files up to 2 minutes are decoded whole; longer ones streamed
STREAM_BLOCK = 65_536                      # frames read from ffmpeg at a time


def _decode_args(path: Path, sample_format: str = "f32le", into: Path | None = None) -> list[str]:
    return ["-i", ffmpeg_file(path), "-f", sample_format, "-ac", "2", "-ar", str(SAMPLE_RATE),
            ffmpeg_file(into) if into else "pipe:1"]


def _unreadable(path: Path, stderr: bytes) -> InputError:
    return InputError(f"cannot read audio from {path.name}: {_reason(path, stderr)} (is it an "
                      "audio file, whole, not cut short?); export it again as WAV, MP3, FLAC or "
                      "OGG", path)


def _reason(path: Path, stderr: bytes) -> str:
    """What ffmpeg found wrong with `path`, in one line (its last word on it)."""
    text = stderr.decode(errors="replace").replace(ffmpeg_file(path) + ": ", "")
    lines = [_DECODER.sub("", line).strip() for line in text.splitlines()]
    lines = [line for line in lines if line and not _BOOKKEEPING.match(line)]
    return (lines[-1] if lines else "no audio in the file")[:120]


# `[flac @ 0x55...] `: ffmpeg's own prefixes (newer versions give two: the stream's, the decoder's)
_DECODER = re.compile(r"^(?:\[[^\]]* @ 0x[0-9a-f]+\] )+")
# ... and end with their threads' farewells, after the decoder has said what is wrong.
_BOOKKEEPING = re.compile(r"^(?:Terminating thread|Task finished|Error processing packet)")


@contextmanager
def located(place: Place | None) -> Iterator[None]:
    """A file's errors at the script line that names it (when known)."""
    try:
        yield
    except InputError as error:
        if place is None:
            raise
        raise InputError(error.message, place.file, place.line) from None


def decode(path: Path, sample_format: str = "f32le", into: Path | None = None) -> bytes:
    """Any file ffmpeg reads, as raw stereo samples at 44.1 kHz (`f32le` or `s16le`):
    returned (a short file: see `stream_file` for long ones), or written to `into` (a whole
    track, kept out of memory)."""
    result = run_ffmpeg(*_decode_args(path, sample_format, into))
    decoded = into.is_file() and into.stat().st_size > 0 if into else bool(result.stdout)
    if result.returncode != 0 or not decoded:
        raise _unreadable(path, result.stderr)
    return result.stdout


def decode_wav(path: Path, most_ms: int | None = None) -> bytes:
    """Any file ffmpeg reads, as a 16-bit WAV at its own rate and channels (read whole: for
    a short recording, such as a take; at most its first `most_ms`, whatever its header
    says). Raises ValueError with ffmpeg's reason when it cannot read the file."""
    most = ("-t", f"{most_ms / 1000:.3f}") if most_ms is not None else ()
    result = run_ffmpeg("-i", ffmpeg_file(path), "-map", "0:a:0", *most, "-c:a", "pcm_s16le",
                        "-f", "wav", "pipe:1")
    if result.returncode != 0 or not result.stdout:
        raise ValueError(_reason(path, result.stderr))
    return result.stdout


@functools.lru_cache(maxsize=8)
def decode_file(path: Path) -> np.ndarray:
    """Any file ffmpeg reads, whole, as stereo float32 at 44.1 kHz, its edges faded (for
    files up to `WHOLE_FILE_FRAMES`; longer ones are read with `stream_file`)."""
    samples = np.frombuffer(decode(path), dtype="<f4").reshape(-1, 2)
    return fade_edges(samples.copy(), SAMPLE_RATE, ms=EDGE_FADE_MS)


def stream_file(path: Path) -> Iterator[np.ndarray]:
    """The audio of a file as consecutive stereo float32 blocks, decoded while it is read:
    memory does not grow with the file's length. No edge fades (see `faded_blocks`)."""
    with tempfile.TemporaryFile() as errors:
        process = ffmpeg(*_decode_args(path), stdout=subprocess.PIPE, stderr=errors)
        stdout = process.stdout
        assert stdout is not None
        try:
            leftover = b""
            while data := stdout.read(STREAM_BLOCK * 8):
                data, leftover = leftover + data, b""
                whole = len(data) // 8 * 8
                data, leftover = data[:whole], data[whole:]
                if data:
                    yield np.frombuffer(data, dtype="<f4").reshape(-1, 2)
            if process.wait() != 0:
                errors.seek(0)
                raise _unreadable(path, errors.read(4096))
        finally:
            if process.poll() is None:
                process.kill()
            process.wait()
            stdout.close()


def _file_key(path: Path) -> tuple[Path, int, int]:
    try:
        status = path.stat()
    except OSError:
        return path, 0, 0
    return path, status.st_mtime_ns, status.st_size


def file_frames(path: Path) -> int:
    """How many frames the file decodes to (read through once, not held)."""
    return _frames(*_file_key(path))


@functools.lru_cache(maxsize=64)
def _frames(path: Path, mtime_ns: int, size: int) -> int:
    frames = sum(block.shape[0] for block in stream_file(path))
    if frames == 0:
        raise _unreadable(path, b"")
    return frames


def is_long(path: Path) -> bool:
    """Whether a file is too long to hold whole, and is streamed instead."""
    return file_frames(path) > WHOLE_FILE_FRAMES


def faded_blocks(path: Path, frames: int) -> Generator[np.ndarray, None, None]:
    """The file's audio in blocks, exactly `frames` long, its edges faded as `decode_file`
    fades them."""
    ramp = edge_ramp(frames, SAMPLE_RATE, EDGE_FADE_MS)[:, None]
    n = ramp.shape[0]
    position = 0
    for block in itertools.chain(stream_file(path), itertools.repeat(None)):
        if position >= frames:
            return
        if block is None:                        # shorter than measured: pad with silence
            block = np.zeros((min(STREAM_BLOCK, frames - position), 2), np.float32)
        block = block[:frames - position].copy()
        start, end = position, position + block.shape[0]
        if start < n:
            block[:min(end, n) - start] *= ramp[start:min(end, n)]
        if end > frames - n:
            first = max(start, frames - n)
            block[first - start:] *= ramp[::-1][first - (frames - n):end - (frames - n)]
        position = end
        yield block


def file_length_ms(path: Path, place: Place | None = None) -> int:
    with located(place):
        return samples_to_ms(file_frames(path))


@functools.lru_cache(maxsize=16)
def builtin_samples(kind: str, name: str) -> np.ndarray:
    registry = sounds.BELLS if kind == "bell" else sounds.BACKGROUNDS
    return registry[name].samples(SAMPLE_RATE)


def bell_length_ms(ref: SoundRef, place: Place | None = None) -> int:
    """How long a bell rings, from its strike until it has died away."""
    if ref.path is not None:
        return file_length_ms(ref.path, ref.place or place)
    return (builtin_samples("bell", ref.name).shape[0] * 1000 + SAMPLE_RATE // 2) // SAMPLE_RATE


def sound_samples(ref: SoundRef, kind: str) -> np.ndarray:
    """A bell or background, built-in or from a file, as stereo float32."""
    if ref.name is not None:
        return builtin_samples(kind, ref.name)
    with located(ref.place):
        return decode_file(ref.path)


def mono_wav(samples: np.ndarray, sample_rate: int) -> bytes:
    """Mono float samples as a 16-bit WAV file's bytes (a take, a line to play)."""
    out = io.BytesIO()
    with wave.open(out, "wb") as file:
        file.setnchannels(1)
        file.setsampwidth(2)
        file.setframerate(sample_rate)
        file.writeframes((np.clip(samples, -1, 1) * 32767).astype("<i2").tobytes())
    return out.getvalue()
