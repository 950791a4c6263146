"""Peak memory of speaking very long sentences, and the system voice's reliability.

    python benchmarks/speech_memory.py [--words 100 400 1000 10000] [--engine piper]
                                       [--jobs 1] [--repeat 10]

For each count of words, builds a practice of one sentence of that many words with no
punctuation inside it (the worst case: no phrase to cut at) in a fresh project and speech
cache, and prints the peak memory of the whole process tree (the program, its workers,
espeak-ng, ffmpeg; sampled every 20 ms by `peak_memory.py`), the exact peak of its largest
process (from the kernel: a peak shorter than 20 ms is not missed), the time, how many
pieces were spoken and the length of the track. Target: under 600 MB at every length (the
default voice used to grow about 9 MB a word: 3.6 GB at 400 words), and no growth with the
length.
With --repeat N it also speaks a 36-word sentence N times, each in a fresh cache, and counts
failures (the system voice through pyttsx3 failed 8 times in 10 with a missing file).
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from memory import run_on_sentence  # noqa: E402
from peak_memory import Run, measure  # noqa: E402

ROOT = Path(__file__).resolve().parent.parent


# Runs the build and prints the largest peak of any one process in it, exact from the kernel
# (the sampled sum of the tree can miss a peak that lasts less than its 20 ms).
LARGEST = """
import resource, subprocess, sys
code = subprocess.run([sys.executable, '-m', 'audio_builder', *sys.argv[1:]]).returncode
print(resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss // 1024, file=sys.stderr)
sys.exit(code)
"""


def build(work: Path, words: int, engine: str, jobs: int) -> Run:
    """Build one sentence of `words` words in a new project under `work`, measured."""
    project = work / f"{engine}-{words}"
    (project / "scripts").mkdir(parents=True)
    (project / "voices").mkdir()
    (project / "voices" / "default.yaml").write_text(f"engine: {engine}\n")
    (project / "scripts" / "long.yaml").write_text(
        f"title: One Long Sentence\nsteps:\n  - {run_on_sentence(words)}\n", encoding="utf-8")
    env = {**os.environ, "PYTHONPATH": str(ROOT), "AUDIO_BUILDER_CACHE": str(project / "cache")}
    return measure([sys.executable, "-c", LARGEST, "build", "--jobs", str(jobs),
                    "scripts/long.yaml"], cwd=project, env=env)


def largest_mb(run: Run) -> str:
    """The exact peak of the largest process, as the wrapper printed it last."""
    lines = run.stderr.strip().splitlines()
    return lines[-1] if lines and lines[-1].isdigit() else "?"


def summary(run: Run) -> str:
    if run.returncode:
        lines = run.stderr.strip().splitlines()[:-1]
        return f"FAILED (exit {run.returncode}): {lines[-1][:160] if lines else ''}"
    return run.stdout.strip().splitlines()[-1]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--words", type=int, nargs="+", default=[100, 400, 1000])
    parser.add_argument("--engine", default="piper", help="piper (the default voice), pyttsx3 "
                                                           "(the system voice) or tones")
    parser.add_argument("--jobs", type=int, default=os.cpu_count() or 1)
    parser.add_argument("--repeat", type=int, default=0)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as temporary:
        work = Path(temporary)
        for words in args.words:
            run = build(work, words, args.engine, args.jobs)
            print(f"{args.engine}, {args.jobs} job(s): {words:>6} words: peak {run.peak_mb:5.0f} MB "
                  f"(target < 600; largest process {largest_mb(run)} MB), {run.seconds:6.1f} s: "
                  f"{summary(run)}", flush=True)
        if args.repeat:
            runs = [build(work / f"again-{index}", 36, args.engine, args.jobs)
                    for index in range(args.repeat)]
            failed = [summary(run) for run in runs if run.returncode]
            print(f"{args.engine}: a 36-word sentence, {args.repeat} times: {len(failed)} failed, "
                  f"peak {max(run.peak_mb for run in runs):.0f} MB"
                  + "".join(f"\n  {line}" for line in failed))


if __name__ == "__main__":
    main()
