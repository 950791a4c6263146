"""The practice library (scripts/, ten tracks, 88 minutes) built with its speech cached:
on this machine's cores against bare ffmpeg encodes of the same audio, and on a Dask
cluster of one worker against two.

    python benchmarks/library.py [--rounds 3] [--cache-dir DIR] [--skip-cluster]

1. Local: `audio-builder build` (every core) against as many bare ffmpeg encodes as cores
   running side by side, each encoding its share of the very samples the build streams to
   ffmpeg (the tracks shared out longest first, read from raw files). Target: the build at
   most 1.15 times the bare encodes.
2. Cluster: `build --cluster` on a scheduler with one worker against one with two workers
   (`dask worker ADDRESS --nworkers 1 --nthreads 1`), both on 127.0.0.1. Target: two
   workers at least 1.7 times as fast as one.

Each round runs every contender in turn (a shared machine drifts); the ratio of each round
is taken, then the median. The load average is printed with each round, and the processor
time of the local build and of the bare encodes (children's user and system time) beside
the wall-clock time.
"""

from __future__ import annotations

import argparse
import os
import resource
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from contextlib import ExitStack
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


CPU: dict[str, list[float]] = {}     # processor seconds of the child processes, by contender


def children_cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def timed(command: list[str], cwd: Path, name: str = "") -> float:
    started, cpu = time.perf_counter(), children_cpu()
    subprocess.run(command, check=True, cwd=cwd, stdout=subprocess.DEVNULL,
                   env={**os.environ, "PYTHONPATH": str(ROOT)})
    CPU.setdefault(name, []).append(children_cpu() - cpu)
    return time.perf_counter() - started


def timed_together(commands: list[list[str]], name: str) -> float:
    started, cpu = time.perf_counter(), children_cpu()
    running = [subprocess.Popen(command) for command in commands]
    for process in running:
        if process.wait() != 0:
            raise SystemExit(f"failed: {process.args}")
    CPU.setdefault(name, []).append(children_cpu() - cpu)
    return time.perf_counter() - started


def copy_library(folder: Path) -> None:
    for name in ("scripts", "voices"):
        if (ROOT / name).is_dir():
            shutil.copytree(ROOT / name, folder / name)
    if (ROOT / "podcast.yaml").is_file():
        shutil.copy(ROOT / "podcast.yaml", folder / "podcast.yaml")


def write_encoder_inputs(folder: Path, cache: Path, shares: int) -> tuple[list[Path], int]:
    """The samples the build streams to ffmpeg, every track's, shared out longest first
    into one raw file per core; returns the files and the total length in ms."""
    import numpy as np

    from audio_builder import Builder, load_script, open_project
    from audio_builder.build import OutputSettings, mastered_audio
    from audio_builder.script.project import find_scripts
    from audio_builder.speech.cache import SpeechCache

    project = open_project(folder)
    builder = Builder(project, cache=SpeechCache(cache))
    plans = [plan for path in find_scripts([], project) for plan in builder.plan(load_script(path))]
    plans.sort(key=lambda plan: -plan.timeline.length_ms)
    raws = [folder / f"share-{n}.f32" for n in range(shares)]
    loads = [0] * shares
    with ExitStack() as files:
        outs = [files.enter_context(raw.open("wb")) for raw in raws]
        for plan in plans:
            share = loads.index(min(loads))
            loads[share] += plan.timeline.length_ms
            blocks, _ = mastered_audio(plan.timeline, builder.synthesizer, OutputSettings())
            for block in blocks:
                outs[share].write(np.ascontiguousarray(block, dtype="<f4").tobytes())
    return raws, sum(loads)


def load() -> str:
    one, five, fifteen = os.getloadavg()
    return f"load average {one:.1f} {five:.1f} {fifteen:.1f}"


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def start_cluster(workers: int, stack: ExitStack, cwd: Path) -> str:
    from distributed import Client

    dask = str(Path(sys.executable).parent / "dask")
    address = f"tcp://127.0.0.1:{free_port()}"
    env = {**os.environ, "PYTHONPATH": str(ROOT)}

    def start(*arguments: str) -> None:
        process = subprocess.Popen([dask, *arguments, "--no-dashboard"], cwd=cwd, env=env,
                                   start_new_session=True, stdout=subprocess.DEVNULL,
                                   stderr=subprocess.DEVNULL)
        stack.callback(lambda: (os.killpg(process.pid, 9), process.wait()))

    start("scheduler", "--host", "127.0.0.1", "--port", address.rsplit(":", 1)[1])
    for _ in range(workers):
        start("worker", address, "--nworkers", "1", "--nthreads", "1")
    deadline = time.monotonic() + 120
    while True:
        try:
            with Client(address, timeout="30s", set_as_default=False) as client:
                client.wait_for_workers(workers, timeout=120)
            return address
        except OSError:
            if time.monotonic() > deadline:
                raise
            time.sleep(0.5)


def median_ratio(slow: list[float], fast: list[float]) -> float:
    return statistics.median(s / f for s, f in zip(slow, fast, strict=True))


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--cache-dir", type=Path, help="a speech cache to reuse (default: a new "
                                                       "one, filled by a warm-up build)")
    parser.add_argument("--skip-cluster", action="store_true")
    args = parser.parse_args()
    from audio_builder.sound.media import ffmpeg_exe

    cores = os.cpu_count() or 1
    with tempfile.TemporaryDirectory() as tmp, ExitStack() as stack:
        folder = Path(tmp)
        copy_library(folder)
        cache = (args.cache_dir or folder / "cache").resolve()
        build = [sys.executable, "-m", "audio_builder", "build", "-q", "--cache-dir", str(cache)]
        print(f"warm-up build (speaks what the cache lacks): {timed(build, folder):.1f} s; {load()}")
        raws, total_ms = write_encoder_inputs(folder, cache, cores)
        bare = [[ffmpeg_exe(), "-v", "error", "-y", "-f", "f32le", "-ar", "44100", "-ac", "2",
                 "-i", str(raw), "-c:a", "libmp3lame", "-b:a", "128k", str(raw.with_suffix(".mp3"))]
                for raw in raws]
        times: dict[str, list[float]] = {"bare": [], "build": [], "1 worker": [], "2 workers": []}
        clusters = {}
        if not args.skip_cluster:
            clusters = {"1 worker": start_cluster(1, stack, folder),
                        "2 workers": start_cluster(2, stack, folder)}
        for round_number in range(1, args.rounds + 1):
            times["bare"].append(timed_together(bare, "bare"))
            times["build"].append(timed(build, folder, "build"))
            for name, address in clusters.items():
                times[name].append(timed([*build, "--cluster", address, "-o", f"out-{name[0]}"],
                                         folder))
            print(f"round {round_number}: " + ", ".join(f"{name} {t[-1]:.1f} s" for name, t in
                                                         times.items() if t) + f"; {load()}")

    minutes = total_ms / 60_000
    print(f"\nthe library: {minutes:.0f} minutes of audio; {cores} cores; median of {args.rounds} rounds")
    print(f"  {cores} bare encodes side by side: {statistics.median(times['bare']):.1f} s")
    print(f"  audio-builder build (speech cached): {statistics.median(times['build']):.1f} s; "
          f"build / bare = {median_ratio(times['build'], times['bare']):.2f} (target at most 1.15)")
    print(f"  processor time, build / bare: {median_ratio(CPU['build'], CPU['bare']):.2f} "
          f"({statistics.median(CPU['build']):.0f} s against {statistics.median(CPU['bare']):.0f} s; "
          "on a busy machine the fairer figure: the wall-clock ratio also holds the other work's share)")
    if clusters:
        print(f"  --cluster, 1 worker: {statistics.median(times['1 worker']):.1f} s; 2 workers: "
              f"{statistics.median(times['2 workers']):.1f} s; speed-up = "
              f"{median_ratio(times['1 worker'], times['2 workers']):.2f} (target at least 1.7)")


if __name__ == "__main__":
    main()
