"""How loud each bell is against the voice, measured on built tracks as a listener hears them.

    python benchmarks/bell_loudness.py [SCRIPT ...]      (default: every script in scripts/)
    python benchmarks/bell_loudness.py --voices [--keep DIR]

With --voices, a project is made for the purpose (in DIR, or a temporary folder) with one
practice (a bowl, eight lines, a chime, eight lines, a gong) spoken by each kind of voice
there is: piper, the system voice (espeak-ng through pyttsx3), and a recorded voice whose
takes are cut from a phone reading (tests/readings.py: the system voice in a room, with
reverb, hiss, hum, a phone's band, 6 dB quieter than the synthetic voices); each is built to
MP3 and measured.

Each script is planned (its speech comes from the cache, so plan or build it first) to learn
where its bells and its speech fall; its built tracks in output/ are decoded with ffmpeg and
measured with pyloudnorm (independent of the project's own meter). For each bell strike: its
loudest 400 ms momentary loudness (BS.1770, K-weighted) in the first second after the strike,
against the median momentary loudness of the track's speech (400 ms windows, 100 ms apart,
lying wholly inside spoken pieces). Target: 1 to 1.5 LU at `volume: 0`, whatever the voice.
"""

from __future__ import annotations

import argparse
import statistics
import subprocess
import sys
from pathlib import Path

import numpy as np
import pyloudnorm

RATE = 44_100
WINDOW = int(0.4 * RATE)
HOP = int(0.1 * RATE)


def decode(path: Path) -> np.ndarray:
    from audio_builder.sound.media import ffmpeg_exe

    result = subprocess.run([ffmpeg_exe(), "-v", "error", "-i", str(path), "-f", "f32le", "-ac", "2",
                             "-ar", str(RATE), "pipe:1"], capture_output=True, check=True)
    return np.frombuffer(result.stdout, dtype="<f4").reshape(-1, 2).astype(np.float64)


def momentary(meter: pyloudnorm.Meter, audio: np.ndarray, start: int) -> float:
    """The loudness of the 400 ms from sample `start`: one gating block, so momentary."""
    return meter.integrated_loudness(audio[start:start + WINDOW])


def speech_median(meter: pyloudnorm.Meter, audio: np.ndarray, spans_ms: list[tuple[int, int]]) -> float:
    values = []
    for start_ms, end_ms in spans_ms:
        first, last = start_ms * RATE // 1000, end_ms * RATE // 1000 - WINDOW
        values += [momentary(meter, audio, s) for s in range(first, last + 1, HOP)]
    values = [v for v in values if np.isfinite(v)]
    return statistics.median(values) if values else float("nan")


def bell_loudest(meter: pyloudnorm.Meter, audio: np.ndarray, strike_ms: int) -> float:
    first = strike_ms * RATE // 1000
    last = min(first + RATE - WINDOW, audio.shape[0] - WINDOW)
    return max(momentary(meter, audio, s) for s in range(first, last + 1, RATE // 100))


def measure_track(audio_path: Path, speech: list[tuple[int, int]], strikes: list[tuple[int, str, float]]):
    audio = decode(audio_path)
    meter = pyloudnorm.Meter(RATE, block_size=0.4)
    voice = speech_median(meter, audio, speech)
    return voice, [(ms, label, volume, bell_loudest(meter, audio, ms) - voice)
                   for ms, label, volume in strikes]


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
    "Let your shoulders soften as you breathe out.",
    "Notice the sounds around you, near and far.",
    "There is room here for whatever you feel.",
    "Slowly bring some movement to your fingers.",
    "When you are ready, open your eyes.",
]
VOICES = {"piper": "engine: piper\n", "espeak": "engine: pyttsx3\n", "recorded": "engine: recorded\n"}


def voices_project(folder: Path) -> list[Path]:
    """A practice in each kind of voice (see the module's docstring), built; its scripts."""
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
    from audio_builder.speech.takes import take_id
    from tests.readings import RATE as READING_RATE
    from tests.readings import PhoneRoom, save_mono, speak

    (folder / "scripts").mkdir(parents=True, exist_ok=True)
    (folder / "voices").mkdir(exist_ok=True)
    room = PhoneRoom()
    for line in LINES:                 # each take: 300 ms of room either side, as an import cuts
        pad = np.zeros(int(0.3 * READING_RATE), np.float32)
        take = room.apply(np.concatenate([pad, speak(line, 0.8), pad]))
        save_mono(folder / "takes" / "recorded" / f"{take_id(line)}.wav", take, READING_RATE)
    half = len(LINES) // 2
    steps = ["  - bell: bowl", *(f"  - {line!r}" for line in LINES[:half]), "  - bell: chime",
             *(f"  - {line!r}" for line in LINES[half:]), "  - pause: 2s", "  - bell: gong"]
    scripts = []
    for name, profile in VOICES.items():
        (folder / "voices" / f"{name}.yaml").write_text(profile)
        script = folder / "scripts" / f"bells-{name}.yaml"
        script.write_text(f"title: Bells {name}\nvoice: {name}\nsteps:\n" + "\n".join(steps) + "\n")
        scripts.append(script)
        exe = Path(sys.executable).with_name("audio-builder")
        subprocess.run([str(exe), "build", str(script.relative_to(folder))], cwd=folder, check=True,
                       capture_output=True)
    return scripts


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("scripts", nargs="*", type=Path)
    parser.add_argument("--voices", action="store_true",
                        help="make and build a practice in each kind of voice, and measure those")
    parser.add_argument("--keep", type=Path, help="with --voices: make the project here and keep it")
    args = parser.parse_args()
    if args.voices:
        import os
        import tempfile

        folder = args.keep or Path(tempfile.mkdtemp(prefix="bells-"))
        if not args.keep:
            import atexit
            import shutil

            atexit.register(shutil.rmtree, folder, ignore_errors=True)
        args.scripts = voices_project(folder.resolve())
        os.chdir(folder)
    from audio_builder.builder import Builder
    from audio_builder.durations import format_ms
    from audio_builder.script.parser import load_script
    from audio_builder.script.project import find_scripts, open_project
    from audio_builder.speech.cache import SpeechCache

    project = open_project(args.scripts[0] if args.scripts else None)
    builder = Builder(project, cache=SpeechCache())
    print(f"{'track':<34} {'speech LUFS':>11}  bells: strike time, sound, volume, LU over speech")
    spreads = []
    for path in find_scripts(args.scripts, project):
        for plan in builder.plan(load_script(path)):
            built = project.output_dir / f"{plan.name}.mp3"
            if not built.exists():
                print(f"{plan.name:<34} not built (run `audio-builder build {path}`)")
                continue
            timeline = plan.timeline
            voice, bells = measure_track(built, [(s.start_ms, s.end_ms) for s in timeline.speech],
                                         [(b.start_ms, b.sound.label, b.volume_db) for b in timeline.bells])
            spreads += [over for *_, over in bells]
            shown = "; ".join(f"{format_ms(ms, precise=False)} {label}{f' {vol:+g} dB' if vol else ''}: "
                              f"{over:+.1f}" for ms, label, vol, over in bells)
            print(f"{plan.name:<34} {voice:>11.1f}  {shown}")
    if spreads:
        print(f"bells over speech: from {min(spreads):+.1f} to {max(spreads):+.1f} LU "
              f"(median {statistics.median(spreads):+.1f})")


if __name__ == "__main__":
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
    main()
