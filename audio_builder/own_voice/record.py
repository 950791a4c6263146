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
from collections.abc import Callable, Iterator
from contextlib import ExitStack
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from audio_builder.errors import BuildError, InputError
from audio_builder.files import temporary_beside
from audio_builder.own_voice.pieces import Line
from audio_builder.own_voice.reading import decode_stream
from audio_builder.speech.takes import RawTake, TakeError, judge_take, longest_take_ms

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
    _buffer: list[np.ndarray] = field(default_factory=list)

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
            self._buffer = []
            self.recording = True
            self.message = ""

    def redo(self) -> None:
        """Record the last line again (the current one while recording)."""
        if self.recording:
            self._buffer = []
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
        self._buffer, self.recording = [], False
        self.message = f"skipped line {self.current.number}"
        self._advance()

    def quit(self) -> None:
        if self.recording:
            self._stop()
        self.finished = True

    # --- audio --------------------------------------------------------------------------

    def feed(self, block: np.ndarray) -> None:
        rms = float(np.sqrt(np.mean(block.astype(np.float64) ** 2))) if block.size else 0.0
        self.level_db = 20 * np.log10(max(rms, 1e-7))
        if self.recording:
            self._buffer.append(block)
            if np.any(np.abs(block) >= CLIP_LEVEL):
                self.message = "too loud: it clips; speak a little further from the microphone"
            longest = longest_take_ms(self.current.text)
            if sum(b.size for b in self._buffer) * 1000 // RATE > longest:
                self._buffer, self.recording = [], False       # never more than a take can need
                self.message = (f"not kept: over {longest / 1000:.0f} s, longer than this line can "
                                "take to say; press space again when you finish the line")

    @property
    def current(self) -> Line:
        return self.lines[min(self.index, len(self.lines) - 1)]

    @property
    def following(self) -> Line | None:
        return self.lines[self.index + 1] if self.index + 1 < len(self.lines) else None

    def _stop(self) -> None:
        self.recording = False
        samples = np.concatenate(self._buffer) if self._buffer else np.zeros(0, np.float32)
        self._buffer = []
        line = self.current
        path = self.folder / f"{line.id}.wav"
        take = RawTake(samples, RATE, float(np.mean(np.abs(samples) >= CLIP_LEVEL)) if samples.size else 0.0)
        try:
            judge_take(take, path, self.keep_breaths)
        except TakeError as error:
            self.message = f"not kept: {error.message}"
            return
        save_take(path, samples)
        self.saved.add(line.id)
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


def save_take(path: Path, samples: np.ndarray) -> None:
    import wave

    path.parent.mkdir(parents=True, exist_ok=True)
    with ExitStack() as cleanup:
        temporary = temporary_beside(path, cleanup)
        with wave.open(str(temporary), "wb") as file:
            file.setnchannels(1)
            file.setsampwidth(2)
            file.setframerate(RATE)
            file.writeframes((np.clip(samples, -1, 1) * 32767).astype("<i2").tobytes())
        temporary.replace(path)


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
