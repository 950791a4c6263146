"""One whole reading, streamed: decoded block by block, its level kept per 10 ms, and cut into
windows of at most 30 s at quiet moments, for the recognizer. Nothing holds the whole reading."""

from __future__ import annotations

import subprocess
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from audio_builder.errors import InputError
from audio_builder.sound.media import ffmpeg, ffmpeg_file

FRAME_MS = 10
WINDOW_S = 30            # the recognizer hears 30 s at a time
SHORTEST_WINDOW_S = 18   # a window is cut at the quietest moment after this
BLOCK_S = 5
# A reading is a practice read through once, with its restarts and pauses: 3 hours leaves room
# for the longest. Its sample rate is one a recorder or phone records at: below 8 kHz no voice
# is understood; above 384 kHz no recorder records (the header of a damaged or hostile file
# may say anything: one saying 1 Hz made 1.8 MB a reading of 250 hours).
LONGEST_READING_MS = 3 * 3_600_000
RATES_HZ = (8_000, 384_000)


def reading_length_ms(path: Path) -> int | None:
    """A reading's length from its header (None when no header says), once its sample rate
    and length are checked against `RATES_HZ` and `LONGEST_READING_MS`: an InputError naming
    the limit otherwise. Nothing is decoded."""
    import mutagen

    try:
        info = getattr(mutagen.File(path), "info", None)
    except Exception:        # noqa: BLE001 - a header mutagen cannot read: the decoder judges it
        return None
    rate = getattr(info, "sample_rate", None)
    if isinstance(rate, int) and rate > 0 and not RATES_HZ[0] <= rate <= RATES_HZ[1]:
        raise InputError(f"this reading's header says it was recorded at {rate:,} Hz; a reading "
                         f"is {RATES_HZ[0] // 1000} kHz to {RATES_HZ[1] // 1000} kHz (is the file "
                         "damaged?); export it again as WAV, FLAC, MP3 or M4A at 44.1 or 48 kHz",
                         path)
    length = getattr(info, "length", None)
    if not isinstance(length, (int, float)) or length <= 0:
        return None
    if length * 1000 > LONGEST_READING_MS:
        raise InputError(_too_long(round(length * 1000)), path)
    return round(length * 1000)


def _too_long(length_ms: int | None) -> str:
    said = f" ({length_ms / 3_600_000:.1f} hours)" if length_ms else ""
    return (f"this reading is longer than {LONGEST_READING_MS // 3_600_000} hours{said}, the most "
            "a reading of one practice can be; cut it into parts and import each")


def decode_stream(path: Path, rate: int, block_s: float = BLOCK_S,
                  span_ms: tuple[int, int] | None = None) -> Iterator[np.ndarray]:
    """Mono float32 blocks of `path` at `rate`, decoded by ffmpeg as they are needed (only
    the stretch `span_ms`, (start, end), if given). A whole reading is checked by its header
    first (`reading_length_ms`) and stopped past `LONGEST_READING_MS` whatever the header
    says."""
    if span_ms is None:
        reading_length_ms(path)
    most = (rate * LONGEST_READING_MS // 1000 if span_ms is None
            else rate * (span_ms[1] - span_ms[0]) // 1000 + rate)
    span = ["-ss", f"{span_ms[0] / 1000:.3f}", "-t", f"{(span_ms[1] - span_ms[0]) / 1000:.3f}"] \
        if span_ms else []
    process = ffmpeg(*span, "-i", ffmpeg_file(path), "-f", "f32le", "-ac", "1", "-ar", str(rate), "pipe:1",
                     stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    assert process.stdout is not None and process.stderr is not None
    size = int(rate * block_s) * 4
    produced, ended = 0, False
    try:
        while True:
            data = process.stdout.read(size)
            if not data:
                ended = True
                break
            produced += len(data) // 4
            if produced > most:
                raise InputError(_too_long(None), path)
            yield np.frombuffer(data[: len(data) // 4 * 4], dtype="<f4")
    finally:
        if not ended:
            process.kill()              # stopped early: no more to decode
        process.stdout.close()
        error = process.stderr.read().decode(errors="replace").strip().splitlines()
        process.stderr.close()
        status = process.wait()
    if status != 0 or not produced:
        raise InputError(f"cannot read this reading as audio: {error[-1] if error else 'no audio in it'}; "
                         "give a WAV, FLAC, MP3 or M4A file", path)


@dataclass
class Levels:
    """The level of every 10 ms of the reading, in dBFS (6 KB a minute)."""

    db: np.ndarray

    def floor(self) -> float:
        return float(np.percentile(self.db, 10)) if self.db.size else -100.0

    def threshold(self) -> float:
        """Above this is sound: 10 dB over the room, or 45 dB under the loudest speech."""
        if not self.db.size:
            return 0.0
        return max(self.floor() + 10.0, float(np.percentile(self.db, 95)) - 45.0)


def decode_span(path: Path, rate: int, start_ms: int, end_ms: int) -> np.ndarray:
    """The stretch from `start_ms` to `end_ms` of `path`, mono float32 at `rate` (callers keep
    it short: a take, or a stretch to hear again)."""
    return np.concatenate([np.zeros(0, np.float32),
                           *decode_stream(path, rate, span_ms=(start_ms, end_ms))])


def frame_db(samples: np.ndarray, rate: int) -> np.ndarray:
    window = rate * FRAME_MS // 1000
    usable = samples[: samples.size // window * window].reshape(-1, window)
    return (10 * np.log10(np.maximum(np.mean(usable.astype(np.float64) ** 2, axis=1), 1e-14))
            ).astype(np.float32)


def windows(path: Path, rate: int, levels: list[np.ndarray]) -> Iterator[tuple[float, np.ndarray]]:
    """(start in seconds, samples) of windows of at most 30 s, each ending at the quietest
    moment of its last stretch; appends each block's 10 ms levels to `levels` as it goes."""
    frame = rate * FRAME_MS // 1000
    pending = np.zeros(0, np.float32)
    carry = np.zeros(0, np.float32)        # samples not yet a whole frame
    start = 0.0
    for block in decode_stream(path, rate):
        joined = np.concatenate([carry, block])
        whole = joined.size // frame * frame
        levels.append(frame_db(joined[:whole], rate))
        carry = joined[whole:]
        pending = np.concatenate([pending, block])
        while pending.size >= WINDOW_S * rate:
            cut = quietest_cut(pending, rate)
            yield start, pending[:cut]
            start += cut / rate
            pending = pending[cut:]
    if pending.size:
        yield start, pending


def quietest_cut(samples: np.ndarray, rate: int) -> int:
    """The middle of the quietest 300 ms between 18 and 30 s: where no word is cut."""
    frame = rate * FRAME_MS // 1000
    db = frame_db(samples[: WINDOW_S * rate], rate)
    smooth = np.convolve(db, np.ones(30) / 30, mode="same")
    low = SHORTEST_WINDOW_S * 1000 // FRAME_MS
    best = low + int(np.argmin(smooth[low:len(smooth) - 15]))
    return best * frame
