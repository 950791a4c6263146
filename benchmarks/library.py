"""The practice library (scripts/, ten tracks, 88 minutes) built with its speech cached:
on this machine's cores against bare ffmpeg encodes of the same audio, and on a Dask
cluster of one worker against two.

    python benchmarks/library.py [--rounds 3] [--cache-dir DIR] [--skip-cluster]
                                 [--scripts NAME ...]

1. Local: `audio-builder build` (every core) against as many bare ffmpeg encodes as cores
   running side by side, each encoding its share of the very samples the build streams to
   ffmpeg (the tracks shared out longest first, read from raw files). Target: the build at
   most 1.15 times the bare encodes.
2. Cluster: `build --cluster` on a scheduler with one worker against one with two workers
   (`dask worker ADDRESS --nworkers 1 --nthreads 1` with the Dask configuration for batch
   builds, the commands and file docs/scale.md gives), both on 127.0.0.1, each started for
   its run and stopped after it (start-up not timed). Target: two workers at least 1.7
   times as fast as one.

Each round runs every contender in turn (a machine's load drifts); the ratio of each round
is taken, then the median. For every run it prints the wall-clock time, the processor time
of the contender's processes (user and system, the cluster's scheduler and workers and
their encoders included; the system part also alone: the kernel's work mapping memory,
moving pipes and files), and the processor time the rest of the machine used meanwhile,
with the load average before each round: a run is fair when the rest is near zero.
`--scripts` picks a few practices by name (for a quick trial of the benchmark itself).
"""

from __future__ import annotations

import argparse
import importlib
import os
import re
import resource
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from contextlib import ExitStack
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
ENV = {**os.environ, "PYTHONPATH": str(ROOT)}


@dataclass(frozen=True)
class Run:
    wall: float          # seconds
    cpu: float           # processor seconds of the contender's processes
    system: float        # of which in the kernel (mapping memory, pipes, files)
    others: float        # processor seconds the rest of the machine used meanwhile

    def __str__(self) -> str:
        return (f"{self.wall:7.1f} s wall {self.cpu:7.1f} s CPU ({self.system:.1f} s system)   "
                f"(rest of the machine {self.others:.1f} s CPU)")


def children_cpu() -> tuple[float, float]:
    """Processor time (user, system) of this process's finished children (and of theirs)."""
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime, usage.ru_stime


def machine_cpu() -> float:
    """Processor time every process of the machine has used since it started."""
    import psutil

    times = psutil.cpu_times()
    return sum(getattr(times, name, 0.0) for name in ("user", "nice", "system", "irq", "softirq", "steal"))


def measured(run: Callable[[], None], cpu: Callable[[], tuple[float, float]] = children_cpu) -> Run:
    busy, (user, system), started = machine_cpu(), cpu(), time.perf_counter()
    run()
    wall = time.perf_counter() - started
    user_after, system_after = cpu()
    used, in_kernel = user_after - user + system_after - system, system_after - system
    return Run(wall, used, in_kernel, max(0.0, machine_cpu() - busy - used))


def run_command(command: list[str], cwd: Path) -> Callable[[], None]:
    def run() -> None:
        subprocess.run(command, check=True, cwd=cwd, stdout=subprocess.DEVNULL, env=ENV)
    return run


def run_together(commands: list[list[str]]) -> Callable[[], None]:
    def run() -> None:
        running = [subprocess.Popen(command) for command in commands]
        for process in running:
            if process.wait() != 0:
                raise SystemExit(f"failed: {process.args!r}")
    return run


def copy_library(folder: Path, names: list[str]) -> None:
    for name in ("scripts", "voices"):
        if (ROOT / name).is_dir():
            shutil.copytree(ROOT / name, folder / name)
    if (ROOT / "podcast.yaml").is_file():
        shutil.copy(ROOT / "podcast.yaml", folder / "podcast.yaml")
    if names:
        for script in (folder / "scripts").glob("*.yaml"):
            if script.stem not in names:
                script.unlink()


def write_encoder_inputs(folder: Path, cache: Path, shares: int) -> tuple[list[Path], int, int]:
    """The samples the build streams to ffmpeg, every track's, shared out longest first
    into one raw file per core; returns the files, the number of tracks and their total
    length in ms."""
    import numpy as np

    from audio_builder import Builder, load_script, open_project
    from audio_builder.builder import OutputSettings, mastered_audio
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
    return raws, len(plans), sum(loads)


def load() -> str:
    one, five, fifteen = os.getloadavg()
    return f"load average {one:.1f} {five:.1f} {fifteen:.1f}"


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def dask_configuration() -> str:
    """The Dask configuration for batch builds, as docs/scale.md gives it."""
    docs = (ROOT / "docs" / "scale.md").read_text(encoding="utf-8")
    [block] = re.findall(r"```yaml\n(# dask configuration.*?)```", docs, re.DOTALL)
    return block


class LocalCluster:
    """A Dask scheduler and `workers` one-thread workers on 127.0.0.1, configured and
    started as docs/scale.md tells users to, warmed up (our package imported in each worker)
    before anything is timed."""

    def __init__(self, workers: int, cwd: Path):
        from distributed import Client

        dask = str(Path(sys.executable).parent / "dask")
        self.address = f"tcp://127.0.0.1:{free_port()}"
        self.processes: list[subprocess.Popen] = []
        self.configuration = tempfile.TemporaryDirectory()
        Path(self.configuration.name, "audio-builder.yaml").write_text(dask_configuration())
        environment = {"DASK_CONFIG": self.configuration.name}
        try:                         # whatever goes wrong, no scheduler or worker is left behind
            self._start(dask, "scheduler", "--host", "127.0.0.1", "--port",
                        self.address.rsplit(":", 1)[1], "--no-dashboard", cwd=cwd, env=environment)
            for _ in range(workers):
                self._start(dask, "worker", self.address, "--nworkers", "1", "--nthreads", "1",
                            cwd=cwd, env=environment)
            self._warm_up(Client, workers)
        except BaseException:
            self.close()
            raise

    def _warm_up(self, client_class, workers: int) -> None:
        deadline = time.monotonic() + 120
        while True:
            try:
                with client_class(self.address, timeout="30s", set_as_default=False) as client:
                    client.wait_for_workers(workers, timeout=120)
                    client.run(_import_the_package)
                return
            except OSError:
                if time.monotonic() > deadline:
                    raise
                time.sleep(0.5)

    def _start(self, *command: str, cwd: Path, env: dict[str, str] | None = None) -> None:
        self.processes.append(subprocess.Popen(list(command), cwd=cwd, env={**ENV, **(env or {})},
                                               start_new_session=True, stdout=subprocess.DEVNULL,
                                               stderr=subprocess.DEVNULL))

    def cpu(self) -> tuple[float, float]:
        """Processor time (user, system) of the scheduler, the workers and all they started."""
        import psutil

        user = system = 0.0
        for started in self.processes:
            try:
                family = [psutil.Process(started.pid), *psutil.Process(started.pid).children(recursive=True)]
            except psutil.NoSuchProcess:
                continue
            for process in family:
                try:
                    times = process.cpu_times()
                except psutil.NoSuchProcess:
                    continue
                user += times.user + times.children_user
                system += times.system + times.children_system
        return user, system

    def close(self) -> None:
        for process in self.processes:
            try:
                os.killpg(process.pid, 9)
            except ProcessLookupError:
                pass
            process.wait()
        self.configuration.cleanup()


def _import_the_package() -> None:
    importlib.import_module("audio_builder.batch.tasks")


def on_cluster(workers: int, build: list[str], folder: Path) -> Run:
    cluster = LocalCluster(workers, folder)
    try:
        command = [*build, "--cluster", cluster.address, "-o", f"out-{workers}"]
        def cpu() -> tuple[float, float]:
            (user, system), (theirs, in_kernel) = children_cpu(), cluster.cpu()
            return user + theirs, system + in_kernel

        return measured(run_command(command, folder), cpu)
    finally:
        cluster.close()


def median_ratio(slow: list[Run], fast: list[Run], of: str = "wall") -> float:
    return statistics.median(getattr(s, of) / getattr(f, of) for s, f in zip(slow, fast, strict=True))


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--cache-dir", type=Path, help="a speech cache to reuse (default: a new "
                                                       "one, filled by a warm-up build)")
    parser.add_argument("--skip-cluster", action="store_true")
    parser.add_argument("--scripts", nargs="+", default=[], metavar="NAME",
                        help="only these practices of scripts/ (names without .yaml)")
    args = parser.parse_args()
    from audio_builder.sound.media import ffmpeg_exe

    cores = os.cpu_count() or 1
    names = {"bare": f"{cores} bare encodes side by side", "build": "audio-builder build",
             "1 worker": "--cluster, 1 worker", "2 workers": "--cluster, 2 workers"}
    runs: dict[str, list[Run]] = {name: [] for name in names}
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        copy_library(folder, args.scripts)
        cache = (args.cache_dir or folder / "cache").resolve()
        build = [sys.executable, "-m", "audio_builder", "build", "-q", "--cache-dir", str(cache)]
        print(f"warm-up build (speaks what the cache lacks): {measured(run_command(build, folder))}",
              flush=True)
        raws, tracks, total_ms = write_encoder_inputs(folder, cache, cores)
        print(f"{tracks} tracks, {total_ms / 60_000:.1f} minutes of audio; {cores} cores", flush=True)
        bare = [[ffmpeg_exe(), "-v", "error", "-y", "-f", "f32le", "-ar", "44100", "-ac", "2",
                 "-i", str(raw), "-c:a", "libmp3lame", "-b:a", "128k", str(raw.with_suffix(".mp3"))]
                for raw in raws]
        for round_number in range(1, args.rounds + 1):
            print(f"round {round_number} ({load()} before it)", flush=True)
            contenders: dict[str, Callable[[], Run]] = {
                "bare": lambda: measured(run_together(bare)),
                "build": lambda: measured(run_command(build, folder)),
            }
            if not args.skip_cluster:
                contenders["1 worker"] = lambda: on_cluster(1, build, folder)
                contenders["2 workers"] = lambda: on_cluster(2, build, folder)
            for name, contender in contenders.items():
                runs[name].append(contender())
                print(f"  {names[name]:<30} {runs[name][-1]}", flush=True)
            last = {name: done[-1].wall for name, done in runs.items() if done}
            ratios = f"  build / bare {last['build'] / last['bare']:.2f}"
            if not args.skip_cluster:
                ratios += f"; 1 worker / 2 workers {last['1 worker'] / last['2 workers']:.2f}"
            print(ratios + f"; {load()}", flush=True)

    print(f"\nmedians of {args.rounds} rounds:")
    for name, label in names.items():
        if runs[name]:
            print(f"  {label:<30} {statistics.median(r.wall for r in runs[name]):7.1f} s wall "
                  f"{statistics.median(r.cpu for r in runs[name]):7.1f} s CPU "
                  f"({statistics.median(r.system for r in runs[name]):.1f} s system)")
    print(f"  build / bare = {median_ratio(runs['build'], runs['bare']):.2f} (target at most 1.15); "
          f"in processor time {median_ratio(runs['build'], runs['bare'], 'cpu'):.2f}")
    if not args.skip_cluster:
        print(f"  1 worker / 2 workers = {median_ratio(runs['1 worker'], runs['2 workers']):.2f} "
              "(target at least 1.7)")


if __name__ == "__main__":
    main()
