"""Where live audio goes: the system's sound output (through the first player program found
here), or a WAV file (for tests, and to record a session)."""

from __future__ import annotations

import re
import shutil
import subprocess
import time
import wave
from pathlib import Path

import numpy as np

from audio_builder.errors import BuildError
from audio_builder.sound.audio import SAMPLE_RATE, samples_to_ms

# Programs that play raw 16-bit stereo PCM from standard input, in the order they are tried.
SYSTEM_PLAYERS = {
    "paplay": ["paplay", "--raw", "--format=s16le", f"--rate={SAMPLE_RATE}", "--channels=2"],
    "aplay": ["aplay", "-q", "-t", "raw", "-f", "S16_LE", "-r", str(SAMPLE_RATE), "-c", "2"],
    "ffplay": ["ffplay", "-nodisp", "-autoexit", "-loglevel", "error", "-f", "s16le",
               "-ar", str(SAMPLE_RATE), "-ac", "2", "-i", "-"],
}

# The lines of a player's complaint that say what is wrong (ALSA and SDL say a lot besides).
TELLING = ("audio open failed", "cannot find card", "connection refused", "connection failure",
           "no such device", "audio open error")

NO_OUTPUT = ("no audio output here: {reason}. Connect speakers or headphones (or start the "
             "sound server), or record the session to a file with --to-file session.wav")


def _pcm(block: np.ndarray) -> bytes:
    return (np.clip(block, -1.0, 1.0) * 32767).astype("<i2").tobytes()


class FileOutput:
    """Writes what would have been played to a WAV file, as fast as it is given."""

    def __init__(self, path: Path):
        self.path = path
        self.file = wave.open(str(path), "wb")
        self.file.setnchannels(2)
        self.file.setsampwidth(2)
        self.file.setframerate(SAMPLE_RATE)
        self.written = 0

    @property
    def written_ms(self) -> int:
        return samples_to_ms(self.written)

    def write(self, block: np.ndarray) -> None:
        self.file.writeframes(_pcm(block))
        self.written += block.shape[0]

    def close(self) -> None:
        self.file.close()


class SystemOutput:
    """Streams to the sound card through a player program; writing blocks at the pace the
    card plays, so the caller's loop runs in real time."""

    def __init__(self):
        found = [name for name in SYSTEM_PLAYERS if shutil.which(name)]
        if not found:
            raise BuildError(NO_OUTPUT.format(reason="no sound player program (paplay, aplay "
                                                     "or ffplay) is installed"))
        self.command = SYSTEM_PLAYERS[found[0]]
        self.process = subprocess.Popen(self.command, stdin=subprocess.PIPE,
                                        stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
        assert self.process.stdin is not None and self.process.stderr is not None   # both piped
        self.stdin, self.stderr = self.process.stdin, self.process.stderr
        self.written = 0

    @property
    def written_ms(self) -> int:
        return samples_to_ms(self.written)

    def write(self, block: np.ndarray) -> None:
        try:
            self.stdin.write(_pcm(block))
            self.stdin.flush()
        except BrokenPipeError:
            self._failed()
        self.written += block.shape[0]
        if self.process.poll() is not None:
            self._failed()

    def _failed(self) -> None:
        self.process.kill()
        lines = self.stderr.read().decode(errors="replace").strip().splitlines()
        telling = [line for line in lines if any(word in line.lower() for word in TELLING)]
        reason = re.sub(r"^ALSA lib \S+ ", "", (telling or lines or ["it stopped"])[0].strip())
        raise BuildError(NO_OUTPUT.format(reason=f"{self.command[0]} says: {reason}"))

    def check(self, wait_s: float = 0.3) -> None:
        """Fail at once, with a clear message, when the player cannot open a device."""
        self.write(np.zeros((SAMPLE_RATE // 10, 2), dtype=np.float32))
        deadline = time.monotonic() + wait_s
        while time.monotonic() < deadline and self.process.poll() is None:
            time.sleep(0.05)
        if self.process.poll() is not None:      # a player only stops early when it cannot play
            self._failed()

    def close(self) -> None:
        try:
            self.stdin.close()
        except BrokenPipeError:
            pass
        self.process.wait()
