"""A long track with a background, bells and ~100 spoken pieces, against a bare ffmpeg encode.

    python benchmarks/render_hour.py [--minutes 60] [--pieces 100]

The speech is synthesized (and cached) in a warm-up build first; the timed build uses the
cache, so it measures planning, rendering, mastering, encoding and tagging.
"""

from __future__ import annotations

import argparse
import resource
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


def child_peak_mb() -> float:
    return resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024


def timed(command: list[str], cwd: Path | None = None) -> float:
    started = time.perf_counter()
    subprocess.run(command, check=True, cwd=cwd, stdout=subprocess.DEVNULL)
    return time.perf_counter() - started


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--minutes", type=int, default=60)
    parser.add_argument("--pieces", type=int, default=100)
    args = parser.parse_args()
    from audio_builder.media import ffmpeg_exe

    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        write_project(folder, args.minutes, args.pieces)
        build = [sys.executable, "-m", "audio_builder", "build", "--cache-dir", str(folder / "cache")]
        warm = timed(build, folder)
        print(f"warm-up build (synthesizes the speech): {warm:.1f} s")

        bare = timed([ffmpeg_exe(), "-v", "error", "-y", "-f", "lavfi", "-i",
                      f"anoisesrc=color=pink:amplitude=0.1:duration={args.minutes * 60}:sample_rate=44100",
                      "-ac", "2", "-c:a", "libmp3lame", "-b:a", "128k", str(folder / "bare.mp3")])
        ours = timed(build, folder)
        same = folder / "same.f32"
        subprocess.run([ffmpeg_exe(), "-v", "error", "-y", "-i", str(folder / "output" / "bench.mp3"),
                        "-f", "f32le", "-ac", "2", "-ar", "44100", str(same)], check=True)
        bare_same = timed([ffmpeg_exe(), "-v", "error", "-y", "-f", "f32le", "-ar", "44100", "-ac", "2",
                           "-i", str(same), "-c:a", "libmp3lame", "-b:a", "128k",
                           str(folder / "bare-same.mp3")])
        same.unlink()
        # The measured child below is the timed build alone: ru_maxrss keeps the largest child.
        peak = subprocess.run(
            [sys.executable, "-c",
             "import resource, subprocess, sys;"
             "subprocess.run(sys.argv[1:], stdout=subprocess.DEVNULL, check=True);"
             "print(resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024)", *build],
            cwd=folder, capture_output=True, text=True, check=True).stdout.strip()
        print(f"bare ffmpeg encode of {args.minutes} min stereo pink noise: {bare:.1f} s")
        print(f"bare ffmpeg encode of the same audio the build makes (from a raw file): "
              f"{bare_same:.1f} s")
        print(f"audio-builder build (speech cached): {ours:.1f} s = {ours / bare:.2f} x the pink-noise "
              f"encode, {ours / bare_same:.2f} x the same-audio encode (target <= 1.3)")
        print(f"peak memory of the build (largest process): {float(peak):.0f} MB (target < 300)")


if __name__ == "__main__":
    main()
