"""`record`: a prompter that records one take per line.

The recorder is a small state machine over the lines (keys in, takes out); the input is the
default microphone through ffmpeg's own capture devices (PulseAudio or ALSA on Linux,
AVFoundation on macOS, DirectShow on Windows: ffmpeg is already needed, so nothing more to
install), or a file read as if it were the microphone, for tests and for people without a
terminal.
"""

from __future__ import annotations

import subprocess
import sys
import time
import wave
from collections.abc import Callable, Iterator
from contextlib import ExitStack
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from audio_builder.errors import BuildError, InputError
from audio_builder.files import temporary_beside
from audio_builder.own_voice.pieces import Line
from audio_builder.own_voice.reading import decode_stream
from audio_builder.speech.takes import (
    LevelMeter,
    TakeError,
    TakeLevels,
    judge_take,
    longest_take_ms,
)

RATE = 44_100
BLOCK = RATE // 10                 # 100 ms: keys act within a tenth of a second
CLIP_LEVEL = 0.999


@dataclass
class Recorder:
    lines: list[Line]
    folder: Path
    keep_breaths: bool = False
    index: int = 0
    finish_after_last: bool = False    # `record --line`: done once its lines are kept
    recording: bool = False
    finished: bool = False
    level_db: float = -100.0
    message: str = ""
    saved: set[str] = field(default_factory=set)
    refused: dict[str, str] = field(default_factory=dict)    # line id: why its last take was not kept
    overran: set[str] = field(default_factory=set)           # ... because it ran past its bound
    _take: TakeWriter | None = None

    # --- keys ---------------------------------------------------------------------------

    def press(self, key: str) -> None:
        action: Callable[[Recorder], None] | None = KEYS.get(key)
        if action is not None:
            action(self)

    def toggle(self) -> None:
        if self.finished:
            return
        if self.recording:
            self._stop()
        else:
            self._start()
            self.message = ""

    def redo(self) -> None:
        """Record the last line again (the current one while recording)."""
        if self.recording:
            self._start()
            return
        if self.index > 0 and (self.index >= len(self.lines) or self.current.id not in self.saved):
            self.index -= 1
        self.toggle()

    def move(self, step: int) -> None:
        if self.recording:
            self._stop()
        self.index = min(max(0, self.index + step), len(self.lines) - 1)
        self.message = ""

    def skip(self) -> None:
        self._discard()
        self.message = f"skipped line {self.current.number}"
        self._advance()

    def quit(self) -> None:
        if self.recording:
            self._stop()
        self.finished = True

    def close(self) -> None:
        """Leave nothing half-written: a take still being recorded is removed."""
        self._discard()

    # --- audio --------------------------------------------------------------------------

    def feed(self, block: np.ndarray) -> None:
        rms = float(np.sqrt(np.mean(block.astype(np.float64) ** 2))) if block.size else 0.0
        self.level_db = 20 * np.log10(max(rms, 1e-7))
        if self.recording and self._take is not None:
            self._take.write(block)
            if np.any(np.abs(block) >= CLIP_LEVEL):
                self.message = "too loud: it clips; speak a little further from the microphone"
            longest = longest_take_ms(self.current.text)
            if self._take.ms > longest:
                self._discard()                # never more than a take can need
                self.message = (f"not kept: over {longest / 1000:.0f} s, longer than this line can "
                                "take to say; record it again, and press space when you finish it")
                self.refused[self.current.id] = self.message
                self.overran.add(self.current.id)

    @property
    def current(self) -> Line:
        return self.lines[min(self.index, len(self.lines) - 1)]

    @property
    def following(self) -> Line | None:
        return self.lines[self.index + 1] if self.index + 1 < len(self.lines) else None

    def _start(self) -> None:
        self._discard()
        self._take = TakeWriter(self.folder / f"{self.current.id}.wav")
        self.recording = True

    def _discard(self) -> None:
        if self._take is not None:
            self._take.discard()
        self._take, self.recording = None, False

    def _stop(self) -> None:
        take, self._take, self.recording = self._take, None, False
        if take is None:
            return
        line = self.current
        try:
            take.keep(lambda levels, path: judge_take(levels, path, self.keep_breaths))
        except TakeError as error:
            self.message = f"not kept: {error.message}"
            self.refused[line.id] = self.message
            self.overran.discard(line.id)
            return
        self.saved.add(line.id)
        self.refused.pop(line.id, None)
        self.overran.discard(line.id)
        self.message = f"kept line {line.number}"
        self._advance()

    def _advance(self) -> None:
        if self.index + 1 < len(self.lines):
            self.index += 1
        elif self.finish_after_last and all(line.id in self.saved for line in self.lines):
            self.finished = True
        else:
            self.message += "; that was the last line (q to finish)"


KEYS: dict[str, Callable[[Recorder], None]] = {
    " ": Recorder.toggle,
    "r": Recorder.redo,
    "right": lambda recorder: recorder.move(1),
    "left": lambda recorder: recorder.move(-1),
    "s": Recorder.skip,
    "q": Recorder.quit,
}


class TakeWriter:
    """A take written as it is recorded, to a hidden temporary beside its file (a 16-bit mono
    WAV), with what judging it needs gathered on the way (`LevelMeter`): nothing of it is held
    in memory, however long it runs. `keep` judges it and puts it in place; `discard` removes it."""

    def __init__(self, path: Path):
        self.path = path
        self._cleanup = ExitStack()
        path.parent.mkdir(parents=True, exist_ok=True)
        self._temporary = temporary_beside(path, self._cleanup)
        self._file = wave.open(str(self._temporary), "wb")
        self._file.setnchannels(1)
        self._file.setsampwidth(2)
        self._file.setframerate(RATE)
        self._meter = LevelMeter(RATE, CLIP_LEVEL)

    @property
    def ms(self) -> int:
        return self._meter.ms

    def write(self, block: np.ndarray) -> None:
        self._file.writeframes((np.clip(block, -1, 1) * 32767).astype("<i2").tobytes())
        self._meter.add(block)

    def keep(self, judge: Callable[[TakeLevels, Path], object]) -> None:
        """Judge the take (`judge` raises TakeError for a bad one, and it is removed); a good
        one replaces the line's take."""
        self._file.close()
        try:
            judge(self._meter.levels(), self.path)
            self._temporary.replace(self.path)
        finally:
            self._cleanup.close()

    def discard(self) -> None:
        self._file.close()
        self._cleanup.close()


# --- inputs -------------------------------------------------------------------------------

def file_input(path: Path, speed: float | None = 1.0) -> Iterator[np.ndarray]:
    """A file, in 100 ms blocks, decoded as it plays: `speed` times real time (1: as a
    microphone would give it, so the meter moves and keys land where they are pressed), or
    as fast as they are asked for with None."""
    if not path.is_file():
        raise InputError("no such file; give a recording to read as if it were the microphone", path)
    blocks = decode_stream(path, RATE, block_s=BLOCK / RATE)
    return blocks if speed is None else paced(blocks, speed)


def paced(blocks: Iterator[np.ndarray], speed: float,
          clock: Callable[[], float] = time.monotonic, sleep: Callable[[float], None] = time.sleep
          ) -> Iterator[np.ndarray]:
    """`blocks` no faster than `speed` times real time (never slower than they come)."""
    started = clock()
    heard = 0
    try:
        for block in blocks:
            ahead = heard / RATE / speed - (clock() - started)
            if ahead > 0:
                sleep(ahead)
            heard += block.size
            yield block
    finally:
        close = getattr(blocks, "close", None)
        if close:
            close()                         # stops the decoder


CAPTURE = {
    "linux": [["-f", "pulse", "-i", "default"], ["-f", "alsa", "-i", "default"]],
    "darwin": [["-f", "avfoundation", "-i", ":default"]],
    "win32": [["-f", "dshow", "-i", "audio=default"]],
}


def microphone_input() -> Iterator[np.ndarray]:
    """The default input device through ffmpeg, in 100 ms blocks, in real time."""
    from audio_builder.sound.media import ffmpeg

    tried = []
    for device in CAPTURE.get(sys.platform, CAPTURE["linux"]):
        process = ffmpeg(*device, "-ac", "1", "-ar", str(RATE), "-f", "f32le", "pipe:1", device=True,
                         stdout=subprocess.PIPE, stderr=subprocess.PIPE)
        assert process.stdout is not None and process.stderr is not None
        first = process.stdout.read(BLOCK * 4)
        if first:
            try:
                yield np.frombuffer(first, dtype="<f4")
                while data := process.stdout.read(BLOCK * 4):
                    yield np.frombuffer(data[: len(data) // 4 * 4], dtype="<f4")
            finally:
                process.kill()
                process.wait()
            return
        process.wait()
        tried.append(f"{device[1]}: {process.stderr.read().decode(errors='replace').strip()[:160]}")
    raise BuildError("no microphone here (" + "; ".join(tried) + "). Connect one, or record "
                     "elsewhere (a phone is fine) and use --input-file or `takes import`")


def run_recorder(recorder: Recorder, blocks: Iterator[np.ndarray], keys,
                 view: Callable[[Recorder], None] | None = None) -> None:
    """Feed the input to the recorder, pressing keys at the input's time, until `q`, the end
    of the input, or the last line kept."""
    heard_ms = 0
    for block in blocks:
        for key in keys.poll(heard_ms):
            recorder.press(key)
        if recorder.finished:
            break
        recorder.feed(block)
        heard_ms += block.size * 1000 // RATE
        if view is not None:
            view(recorder)
    if not recorder.finished:
        for key in keys.poll(1 << 62):
            recorder.press(key)
        recorder.quit()
