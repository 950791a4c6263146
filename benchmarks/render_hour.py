"""A long track with a background, bells and ~100 spoken pieces, against a bare ffmpeg encode.

    python benchmarks/render_hour.py [--minutes 60] [--pieces 100] [--rounds 3]

The speech is synthesized (and cached) in a warm-up build first; the timed build uses the
cache, so it measures planning, rendering, mastering, encoding and tagging.

LAME's speed depends on what it encodes, so the build is timed against three bare encodes
of the same length, each round in turn (a shared machine drifts; the ratio of each round is
taken, then the median): pink noise copied to both channels (LAME codes the empty side
channel almost for free), pink noise with two independent channels (stereo like a bed of
rain), and the very samples the build streams to ffmpeg, read from a raw file.
"""

from __future__ import annotations

import argparse
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

SENTENCES = [
    "Let your attention rest on the breath.", "Notice the body resting where it is.",
    "There is nothing you need to do right now.", "If the mind wanders, gently come back.",
    "May you be kind to yourself.", "Feel the warmth of your own hand.",
    "Whatever is here is welcome.", "Breathing in, and breathing out.",
    "Let each breath be a small kindness.", "You are not alone in this.",
]


def write_project(folder: Path, minutes: int, pieces: int) -> Path:
    (folder / "scripts").mkdir(parents=True)
    per_part = max(1, pieces // 10)
    lines = [f"title: Benchmark {minutes} minutes", f"length: {minutes}m",
             "background: {sound: rain, volume: -24dB}", "steps:", "  - bell: 3"]
    for part in range(10):
        lines.append(f"  - chapter: Part {part + 1}")
        for index in range(per_part):
            lines.append(f"  - \"{SENTENCES[(part + index) % len(SENTENCES)]} ({part}.{index})\"")
            lines.append("  - pause: 5s..")
        lines.append("  - bell: {sound: chime}")
    lines.append("  - bell: 2")
    script = folder / "scripts" / "bench.yaml"
    script.write_text("\n".join(lines) + "\n")
    return script


def timed(command: list[str], cwd: Path | None = None) -> float:
    started = time.perf_counter()
    subprocess.run(command, check=True, cwd=cwd, stdout=subprocess.DEVNULL)
    return time.perf_counter() - started


def pink(seconds: int, seed: int) -> list[str]:
    return ["-f", "lavfi", "-i", f"anoisesrc=color=pink:amplitude=0.1:duration={seconds}"
                                 f":sample_rate=44100:seed={seed}"]


def bare_encodes(ffmpeg: str, seconds: int, raw: Path, out: Path) -> dict[str, list[str]]:
    mp3 = ["-c:a", "libmp3lame", "-b:a", "128k", str(out)]
    return {
        "pink noise, both channels the same": [ffmpeg, "-v", "error", "-y", *pink(seconds, 1),
                                               "-ac", "2", *mp3],
        "pink noise, two independent channels": [ffmpeg, "-v", "error", "-y", *pink(seconds, 1),
                                                 *pink(seconds, 2), "-filter_complex",
                                                 "[0][1]amerge=inputs=2", *mp3],
        "the audio the build streams to ffmpeg": [ffmpeg, "-v", "error", "-y", "-f", "f32le", "-ar", "44100",
                                           "-ac", "2", "-i", str(raw), *mp3],
    }


def write_encoder_input(folder: Path, raw: Path) -> None:
    """The exact float samples the build streams to ffmpeg, as a raw file."""
    import numpy as np

    from audio_builder import Builder, load_script, open_project
    from audio_builder.builder import OutputSettings, mastered_audio
    from audio_builder.speech.cache import SpeechCache

    builder = Builder(open_project(folder), cache=SpeechCache(folder / "cache"))
    timeline = builder.plan(load_script(folder / "scripts" / "bench.yaml"))[0].timeline
    blocks, _ = mastered_audio(timeline, builder.synthesizer, OutputSettings())
    with raw.open("wb") as out:
        for block in blocks:
            out.write(np.ascontiguousarray(block, dtype="<f4").tobytes())


def peak_memory_mb(build: list[str], cwd: Path) -> float:
    """ru_maxrss of the build alone, measured from a fresh child (it keeps its largest child)."""
    return float(subprocess.run(
        [sys.executable, "-c",
         "import resource, subprocess, sys;"
         "subprocess.run(sys.argv[1:], stdout=subprocess.DEVNULL, check=True);"
         "print(resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024)", *build],
        cwd=cwd, capture_output=True, text=True, check=True).stdout.strip())


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--minutes", type=int, default=60)
    parser.add_argument("--pieces", type=int, default=100)
    parser.add_argument("--rounds", type=int, default=3)
    args = parser.parse_args()
    from audio_builder.sound.media import ffmpeg_exe

    ffmpeg = ffmpeg_exe()
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        write_project(folder, args.minutes, args.pieces)
        build = [sys.executable, "-m", "audio_builder", "build", "--cache-dir", str(folder / "cache")]
        print(f"warm-up build (synthesizes the speech): {timed(build, folder):.1f} s")
        raw = folder / "same.f32"
        write_encoder_input(folder, raw)
        baselines = bare_encodes(ffmpeg, args.minutes * 60, raw, folder / "bare.mp3")
        times: dict[str, list[float]] = {name: [] for name in [*baselines, "build"]}
        for round_number in range(1, args.rounds + 1):
            for name, command in baselines.items():
                times[name].append(timed(command))
            times["build"].append(timed(build, folder))
            print(f"round {round_number}: " + ", ".join(f"{t[-1]:.1f} s" for t in times.values()))
        raw.unlink()
        peak = peak_memory_mb(build, folder)

    ours = times.pop("build")
    print(f"\n{args.minutes} minutes, median of {args.rounds} rounds:")
    print(f"  audio-builder build (speech cached): {statistics.median(ours):.1f} s")
    for name, bare in times.items():
        ratios = [build_time / bare_time for build_time, bare_time in zip(ours, bare, strict=True)]
        print(f"  bare encode of {name}: {statistics.median(bare):.1f} s; "
              f"build / bare = {statistics.median(ratios):.2f}")
    print("  target: build at most 1.3 x a bare encode of stereo audio")
    print(f"  peak memory of the build (largest process): {peak:.0f} MB (target < 300)")


if __name__ == "__main__":
    main()
