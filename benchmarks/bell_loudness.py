"""How loud each bell is against the voice, measured on built tracks as a listener hears them.

    python benchmarks/bell_loudness.py [SCRIPT ...]      (default: every script in scripts/)

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


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("scripts", nargs="*", type=Path)
    args = parser.parse_args()
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
