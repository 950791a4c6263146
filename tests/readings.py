"""Readings made for tests and benchmarks: lines spoken by the system voice (espeak-ng), joined
with pauses, over low room noise, with the true times of every line's speech."""

from __future__ import annotations

import wave
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

RATE = 22_050


@dataclass
class Reading:
    samples: list[np.ndarray] = field(default_factory=list)
    length: int = 0
    truth: dict[str, list[tuple[int, int]]] = field(default_factory=dict)   # line -> [(start, end) ms]

    def add(self, clip: np.ndarray, line: str | None = None) -> None:
        if line is not None:
            loud = np.nonzero(np.abs(clip) > 10 ** (-40 / 20))[0]
            start, end = self.length + int(loud[0]), self.length + int(loud[-1]) + 1
            self.truth.setdefault(line, []).append((start * 1000 // RATE, end * 1000 // RATE))
        self.samples.append(clip.astype(np.float32))
        self.length += clip.size

    def pause(self, seconds: float) -> None:
        self.add(np.zeros(int(seconds * RATE), np.float32))

    def save(self, path: Path, noise_db: float = -50.0, seed: int = 7) -> Path:
        rng = np.random.default_rng(seed)
        with wave.open(str(path), "wb") as file:
            file.setnchannels(1)
            file.setsampwidth(2)
            file.setframerate(RATE)
            for clip in self.samples:
                noisy = clip + rng.standard_normal(clip.size).astype(np.float32) * 10 ** (noise_db / 20)
                file.writeframes((np.clip(noisy, -1, 1) * 32767).astype("<i2").tobytes())
        return path


def speak(text: str, rate: float = 0.8) -> np.ndarray:
    """The system voice saying `text` at `rate`, trimmed, its speech at about -20 dBFS RMS."""
    from audio_builder.sound.audio import resample, trim_silence
    from audio_builder.speech.engines import ENGINES

    audio = ENGINES["pyttsx3"](None, None).synthesize(text, rate)
    samples = trim_silence(audio.samples, audio.sample_rate, keep_ms=0)
    samples = resample(samples, audio.sample_rate, RATE)
    return samples * np.float32(0.1 / max(1e-6, float(np.sqrt(np.mean(samples ** 2)))))


def speak_quickly(text: str, words_per_minute: int = 130) -> np.ndarray:
    """The same voice through the espeak-ng program (for long readings: one process a line,
    no engine state carried from line to line)."""
    import io
    import subprocess
    import wave

    from audio_builder.sound.audio import resample, trim_silence

    data = subprocess.run(["espeak-ng", "-s", str(words_per_minute), "--stdout"], input=text.encode(),
                          capture_output=True, check=True).stdout
    with wave.open(io.BytesIO(data)) as file:
        rate = file.getframerate()
        samples = np.frombuffer(file.readframes(file.getnframes()), "<i2").astype(np.float32) / 32768
    samples = resample(trim_silence(samples, rate, keep_ms=0), rate, RATE)
    return samples * np.float32(0.1 / max(1e-6, float(np.sqrt(np.mean(samples ** 2)))))
