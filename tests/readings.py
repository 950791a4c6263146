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


def speak_quickly(text: str, words_per_minute: int = 130, voice: str | None = None) -> np.ndarray:
    """The same voice through the espeak-ng program (for long readings: one process a line,
    no engine state carried from line to line); `voice` is an espeak-ng voice (`es`, `de`)."""
    import io
    import subprocess
    import wave

    from audio_builder.sound.audio import resample, trim_silence

    chosen = ["-v", voice] if voice else []
    data = subprocess.run(["espeak-ng", *chosen, "-s", str(words_per_minute), "--stdout"],
                          input=text.encode(), capture_output=True, check=True).stdout
    with wave.open(io.BytesIO(data)) as file:
        rate = file.getframerate()
        samples = np.frombuffer(file.readframes(file.getnframes()), "<i2").astype(np.float32) / 32768
    samples = resample(trim_silence(samples, rate, keep_ms=0), rate, RATE)
    return samples * np.float32(0.1 / max(1e-6, float(np.sqrt(np.mean(samples ** 2)))))


# --- a reading like a real teacher's: another voice than ours, a room, a phone, stumbles ----

def room_reverb(seconds: float = 0.45, seed: int = 3) -> np.ndarray:
    """An impulse response: the direct sound, then a diffuse tail dying 60 dB in `seconds`."""
    rng = np.random.default_rng(seed)
    n = int(seconds * RATE)
    tail = rng.standard_normal(n).astype(np.float32) * np.exp(-6.9 * np.arange(n) / n).astype(np.float32)
    tail[: RATE // 200] = 0.0                       # the first reflection after 5 ms
    response = 0.35 * tail / float(np.sqrt(np.sum(tail ** 2)))
    response[0] = 1.0
    return response


def cough(seed: int = 5) -> np.ndarray:
    """Two bursts of breathy noise with a sharp onset: 0.45 s, as loud as the speech."""
    rng = np.random.default_rng(seed)
    out = []
    for length in (0.18, 0.14):
        n = int(length * RATE)
        burst = np.cumsum(rng.standard_normal(n)).astype(np.float32)
        burst -= np.convolve(burst, np.ones(40) / 40, mode="same")      # no rumble
        envelope = np.exp(-np.arange(n) / (0.05 * RATE)) * (1 - np.exp(-np.arange(n) / 60.0))
        out += [burst * envelope.astype(np.float32), np.zeros(int(0.08 * RATE), np.float32)]
    samples = np.concatenate(out)
    return samples * np.float32(0.15 / float(np.sqrt(np.mean(samples ** 2))))


@dataclass
class Room:
    """What a phone in a room adds: reverb, hiss, mains hum and its harmonics, a band limit."""

    reverb_s: float = 0.45
    hiss_db: float = -45.0
    hum_db: float = -50.0
    hum_hz: float = 50.0
    band: tuple[float, float] = (120.0, 7000.0)


def save_in_room(reading: Reading, path: Path, room: Room, seed: int = 11) -> Path:
    """The reading as a phone in `room` hears it, written block by block (the reverb's tail runs
    on into what follows)."""
    rng = np.random.default_rng(seed)
    response = room_reverb(room.reverb_s) if room.reverb_s else np.ones(1, np.float32)
    carry = np.zeros(0, np.float32)
    position = 0
    low, high = room.band
    with wave.open(str(path), "wb") as file:
        file.setnchannels(1)
        file.setsampwidth(2)
        file.setframerate(RATE)
        for clip in reading.samples:
            size = clip.size + response.size - 1
            wet = np.fft.irfft(np.fft.rfft(clip, size) * np.fft.rfft(response, size), size)
            wet[: carry.size] += carry[: size]
            if carry.size > size:
                wet = np.concatenate([wet, carry[size:]])
            head, carry = wet[: clip.size], wet[clip.size:].astype(np.float32)
            spectrum = np.fft.rfft(head)
            frequency = np.fft.rfftfreq(head.size, 1 / RATE)
            spectrum[(frequency < low) | (frequency > high)] *= 0.1
            head = np.fft.irfft(spectrum, head.size)
            t = (position + np.arange(head.size)) / RATE
            hum = sum(np.sin(2 * np.pi * room.hum_hz * k * t) / k for k in (1, 2, 3))
            noisy = (head + rng.standard_normal(head.size) * 10 ** (room.hiss_db / 20)
                     + hum * 10 ** (room.hum_db / 20) * np.sqrt(2))
            file.writeframes((np.clip(noisy, -1, 1) * 32767).astype("<i2").tobytes())
            position += head.size
    return path



def teacher_reading(lines: list[str], *, skip: tuple[int, ...] = (), restart: dict[int, int] | None = None,
                    cough_after: tuple[int, ...] = (), paces: tuple[int, ...] = (115, 140, 165),
                    pauses: tuple[float, ...] = (1.2, 2.6, 1.7, 3.8)) -> Reading:
    """The lines read in order as a teacher reads them: at several paces (words a minute),
    with pauses of 1-4 s, a line skipped, restarts ({line: how many of its opening words are
    said first, then the whole line}) and a cough after some lines. `truth` holds each line's
    speech (the last, whole reading); "restart" and "cough" hold where those are."""
    reading = Reading()
    reading.pause(1.0)
    for index, line in enumerate(lines):
        if index in skip:
            continue
        pace = paces[index % len(paces)]
        words = (restart or {}).get(index)
        if words:
            reading.add(speak_quickly(" ".join(line.split()[:words]), pace), "restart")
            reading.pause(0.9)
        reading.add(speak_quickly(line, pace), line)
        if index in cough_after:
            reading.pause(0.6)
            reading.add(cough(index), "cough")
        reading.pause(pauses[index % len(pauses)])
    return reading


@dataclass(frozen=True)
class PhoneRoom:
    """A reading as a phone in an ordinary room hears it: the room's reverb, steady hiss, mains
    hum with its odd harmonics, and the phone's band limit. Levels are dBFS against speech at
    about -20 dBFS RMS (what `speak` gives)."""

    hiss_db: float = -45.0
    hum_db: float = -42.0              # the 50 Hz fundamental; harmonics 150, 250 ... fall 6 dB each
    hum_hz: float = 50.0
    reverb_s: float = 0.45             # RT60 of the room
    reverb_db: float = -12.0           # the reverb's level against the direct sound
    band_hz: tuple[float, float] = (120.0, 7000.0)
    speech_db: float = -6.0            # a phone at arm's length records speech this much lower
    seed: int = 11

    def impulse(self) -> np.ndarray:
        rng = np.random.default_rng(self.seed)
        n = int(self.reverb_s * RATE)
        decay = np.exp(-6.9 * np.arange(n) / n)                 # -60 dB at RT60
        tail = rng.standard_normal(n) * decay
        tail *= 10 ** (self.reverb_db / 20) / np.sqrt(np.sum(tail ** 2))
        tail[: int(0.01 * RATE)] = 0.0                          # the first reflections come later
        tail[0] = 1.0
        return tail.astype(np.float32)

    def band(self, samples: np.ndarray) -> np.ndarray:
        """A 4th-order band-pass through the spectrum (zero phase)."""
        lo, hi = self.band_hz
        spectrum = np.fft.rfft(samples.astype(np.float64))
        f = np.maximum(np.fft.rfftfreq(samples.size, 1 / RATE), 1e-9)
        gain = 1 / np.sqrt((1 + (lo / f) ** 8) * (1 + (f / hi) ** 8))
        return np.fft.irfft(spectrum * gain, samples.size).astype(np.float32)

    def noise(self, start: int, n: int, rng: np.random.Generator) -> np.ndarray:
        t = (start + np.arange(n)) / RATE
        hum = sum(10 ** ((self.hum_db - 6 * k) / 20) * np.sqrt(2)
                  * np.sin(2 * np.pi * self.hum_hz * (2 * k + 1) * t) for k in range(5))
        return (rng.standard_normal(n) * 10 ** (self.hiss_db / 20) + hum).astype(np.float32)

    def apply(self, clean: np.ndarray) -> np.ndarray:
        """The whole reading in this room (held whole: readings for tests are short)."""
        impulse = self.impulse()
        size = clean.size + impulse.size - 1
        n = 1 << (size - 1).bit_length()
        wet = np.fft.irfft(np.fft.rfft(clean, n) * np.fft.rfft(impulse, n), n)[: clean.size]
        wet *= 10 ** (self.speech_db / 20)
        noisy = wet + self.noise(0, clean.size, np.random.default_rng(self.seed + 1))
        return self.band(noisy)


def save_mono(path: Path, samples: np.ndarray, rate: int = RATE) -> Path:
    """`samples` (floats in -1..1) as a mono 16-bit WAV at `rate`, its folder made if need be."""
    path.parent.mkdir(parents=True, exist_ok=True)
    with wave.open(str(path), "wb") as file:
        file.setnchannels(1)
        file.setsampwidth(2)
        file.setframerate(rate)
        file.writeframes((np.clip(samples, -1, 1) * 32767).astype("<i2").tobytes())
    return path


def save_in_phone_room(reading: Reading, path: Path, room: PhoneRoom | None = None) -> Path:
    """`reading` as a phone in `room` (default: a `PhoneRoom()`) recorded it, as 16-bit WAV."""
    return save_mono(path, (room or PhoneRoom()).apply(np.concatenate(reading.samples)))
