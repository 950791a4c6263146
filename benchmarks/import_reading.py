"""Importing one whole reading: time and peak memory against the reading's length.

    python benchmarks/import_reading.py [--minutes 10] [--keep DIR]

Makes a practice from passages of text (one line per sentence) and a reading of it by the
system voice (espeak-ng) with pauses between lines over low room noise, as long as asked;
then runs `audio-builder takes import` on it in a fresh process and reports its wall time,
its peak memory (the largest resident size of the import and the programs it runs) and how
many lines it found. Targets: at most half the reading's length on 2 cores; under 500 MB.
"""

from __future__ import annotations

import argparse
import re
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from tests.readings import RATE, Reading, speak_quickly  # noqa: E402


def sentences(seeds: Path | None) -> list[str]:
    found = []
    for path in sorted(seeds.glob("*.txt")) if seeds and seeds.is_dir() else []:
        text = " ".join(path.read_text(encoding="utf-8").split())
        found += [s.strip() for s in re.split(r"(?<=[.!?])\s+", text) if 3 <= len(s.split()) <= 30]
    if not found:
        found = [f"This is line number {n} of the practice, read slowly and calmly." for n in range(200)]
    return found


def make_project(folder: Path, minutes: float, seeds: Path | None
                 ) -> tuple[Path, Path, int, dict[str, list[tuple[int, int]]]]:
    (folder / "scripts").mkdir(parents=True)
    (folder / "voices").mkdir()
    (folder / "voices" / "teacher.yaml").write_text("engine: recorded\n")
    reading = Reading()
    reading.pause(1.0)
    lines: list[str] = []
    pool = sentences(seeds)
    while reading.length < minutes * 60 * RATE:
        line = pool[len(lines) % len(pool)]
        if len(lines) >= len(pool):          # past the seeds: the same sentences, read again
            line = f"Once more: {line}"
        reading.add(speak_quickly(line), line)
        reading.pause(1.5 + (len(lines) % 3) * 0.5)
        lines.append(line)
    steps = "\n".join(f"  - {line!r}" for line in lines)
    script = folder / "scripts" / "long.yaml"
    script.write_text(f"title: Long\nvoice: teacher\nsteps:\n{steps}\n", encoding="utf-8")
    return script, reading.save(folder / "reading.wav"), reading.length * 1000 // RATE, reading.truth


def within(rows: list[str], truth: dict[str, list[tuple[int, int]]], tolerance_ms: int = 150) -> int:
    from audio_builder.durations import parse_duration

    good = 0
    for row in rows:
        parts = row.split(maxsplit=4)
        if len(parts) < 5 or "-" not in parts[2]:
            continue
        start, end = (parse_duration(part) for part in parts[2].split("-"))
        spans = truth.get(parts[4].replace("  (kept the take already there)", ""), [])
        if any(abs(start - a) <= tolerance_ms and abs(end - b) <= tolerance_ms for a, b in spans):
            good += 1
        elif spans:
            a, b = spans[-1]
            print(f"  off: start {start - a:+d} ms, end {end - b:+d} ms: {parts[4][:60]}")
    return good


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--minutes", type=float, default=10)
    parser.add_argument("--keep", type=Path, help="make the project here and keep it")
    parser.add_argument("--seeds", type=Path, help="a folder of .txt passages to read (default: "
                                                   "numbered lines)")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as scratch:
        folder = args.keep or Path(scratch)
        started = time.monotonic()
        script, reading, length_ms, truth = make_project(folder, args.minutes, args.seeds)
        print(f"reading of {length_ms / 60000:.1f} min made in {time.monotonic() - started:.0f} s")
        exe = Path(sys.executable).with_name("audio-builder")
        started = time.monotonic()
        result = subprocess.run([str(exe), "takes", "import", str(script), str(reading)], cwd=folder,
                                capture_output=True, text=True)
        seconds = time.monotonic() - started
        peak_mb = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024
        rows = [line for line in result.stdout.splitlines() if line[:3].strip().isdigit()]
        missing = sum("not found" in row for row in rows)
        print(f"import: {seconds:.0f} s for {length_ms / 1000:.0f} s of reading "
              f"({seconds * 1000 / length_ms:.2f} of its length; target at most 0.5), "
              f"peak memory {peak_mb:.0f} MB (target under 500); "
              f"lines found {len(rows) - missing} of {len(rows)}")
        print(f"found within 150 ms of the truth (start and end): {within(rows, truth)} of {len(rows)}")
        if result.returncode not in (0, 1):
            print(result.stderr[-2000:])


if __name__ == "__main__":
    main()
