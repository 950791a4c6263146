"""Every core, and a Dask cluster: the same files whoever builds them, nothing half-written,
no worker left behind."""

from __future__ import annotations

import os
import platform
import re
import signal
import socket
import subprocess
import sys
import time
from contextlib import ExitStack
from dataclasses import replace
from pathlib import Path

import pytest
from conftest import dask_batch_configuration, run, write

import audio_builder
from audio_builder.batch import build_scripts
from audio_builder.batch.pool import Schedule
from audio_builder.batch.tasks import BatchOptions, SpeechTask, TrackTask, Work, plan_graph
from audio_builder.builder import Builder
from audio_builder.errors import BuildError, Cancelled
from audio_builder.script.parser import load_script
from audio_builder.script.project import open_project
from audio_builder.speech.cache import SpeechCache

SOURCE = str(Path(audio_builder.__file__).resolve().parent.parent)   # workers import this tree


def tones_library(root: Path, long: str = "90s") -> Path:
    """A small library in the fast test voice: several lengths, an include, a shared line."""
    write(root / "voices" / "default.yaml", "engine: tones\n")
    write(root / "scripts" / "parts" / "closing.yaml",
          "steps:\n  - Gently come back.\n  - pause: 1s..\n  - bell: 1\n")
    write(root / "scripts" / "short.yaml",
          "title: Short\nlength: [40s, 50s]\nsteps:\n  - bell: 1\n  - Breathe in, and out.\n"
          "  - pause: 1s..\n  - include: parts/closing.yaml\n")
    write(root / "scripts" / "long.yaml",
          f"title: Long\nlength: {long}\nbackground: {{sound: rain, volume: -24dB}}\nsteps:\n"
          "  - chapter: Arriving\n  - Let the body settle.\n  - pause: 2s..\n"
          "  - chapter: Resting\n  - Rest here, as long as you like.\n  - pause: 2s..\n"
          "  - include: parts/closing.yaml\n")
    write(root / "scripts" / "open.yaml",
          "title: Open\nsteps:\n  - Notice the breath.\n  - pause: 3s\n  - Gently come back.\n")
    return root


def outputs(folder: Path) -> dict[str, bytes]:
    return {path.name: path.read_bytes() for path in sorted(folder.iterdir())}


def build(root: Path, *options: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "audio_builder", "build", "-q", *options],
                          cwd=root, capture_output=True, text=True, timeout=600,
                          env={**os.environ, "PYTHONPATH": SOURCE})


# --- the graph ------------------------------------------------------------------------------

def test_longest_tracks_first_and_each_waits_only_for_its_own_speech(tmp_path):
    root = tones_library(tmp_path)
    project = open_project(root)
    scripts = [load_script(root / "scripts" / f"{name}.yaml") for name in ("short", "long", "open")]
    options = BatchOptions(cache_dir=tmp_path / "cache")
    graph = plan_graph(Builder(project), scripts, options)

    assert [task.name for task in graph.tracks] == ["long", "short-50s", "short-40s", "open"]
    assert graph.pieces == graph.missing == 5         # "Gently come back." is spoken once
    spoken = [u.text for task in graph.speech for u, _ in task.pieces]
    assert sorted(spoken) == sorted(set(spoken))
    assert spoken[:3] == ["Let the body settle.", "Rest here, as long as you like.",
                          "Gently come back."]       # the longest track's speech comes first
    by_key = {task.key: {u.text for u, _ in task.pieces} for task in graph.speech}
    for track in graph.tracks:            # waits for all its pieces, and for no chunk without one
        mine = {u.text for u, _ in _pieces(track.script)}
        assert mine <= set().union(*(by_key[key] for key in track.needs))
        assert all(by_key[key] & mine for key in track.needs)


def test_one_task_speaks_at_a_time_while_ready_tracks_take_the_other_lanes(tmp_path):
    # Each process that speaks loads the voice: the pool keeps speech to one worker.
    root = tones_library(tmp_path)
    scripts = [load_script(root / "scripts" / f"{name}.yaml") for name in ("short", "long", "open")]
    graph = plan_graph(Builder(open_project(root)), scripts, BatchOptions(cache_dir=tmp_path / "c"))
    schedule = Schedule(graph, lambda stage, done, total: None)
    assert len(graph.speech) >= 2

    first = schedule.next()
    assert isinstance(first, SpeechTask)
    assert schedule.next(speech=False) is None            # the voice is busy, no track ready
    schedule.finished(first, len(first.pieces))
    ready = schedule.next(speech=False)
    assert isinstance(ready, TrackTask) and set(ready.needs) <= {first.key}
    while schedule.next(speech=False) is not None:       # the other tracks ready by now
        pass
    assert schedule.next() == graph.speech[1]


def _pieces(script):
    from audio_builder.timeline import spoken_pieces

    return spoken_pieces(script)


def test_the_plan_looks_at_cache_entries_and_the_track_that_reads_a_damaged_one_speaks_it_again(tmp_path):
    root = tones_library(tmp_path)
    project = open_project(root)
    write(root / "scripts" / "three.yaml", "title: Three\nsteps:\n  - One.\n  - Two.\n  - Three.\n")
    scripts = [load_script(root / "scripts" / "three.yaml")]
    options = BatchOptions(cache_dir=tmp_path / "cache", output_dir=tmp_path / "first")
    assert build_scripts(project, scripts, options).synthesized == 3
    cache = SpeechCache(tmp_path / "cache")
    whole = {path: path.read_bytes() for path in cache.entries()}
    damaged, cut, _ = sorted(whole)
    damaged.write_bytes(whole[damaged][:-1] + bytes([whole[damaged][-1] ^ 0xFF]))   # same size
    cut.write_bytes(whole[cut][:-2])

    again = build_scripts(project, scripts, replace(options, output_dir=tmp_path / "second"))

    assert again.synthesized == 1        # the cut entry, seen by its size; the damaged one looked whole
    assert outputs(tmp_path / "first") == outputs(tmp_path / "second")   # spoken again, never played
    assert {path: path.read_bytes() for path in cache.entries()} == whole


def test_a_cancelled_build_stops_between_blocks_and_writes_nothing(tmp_path):
    root = tones_library(tmp_path)
    write(root / "scripts" / "minute.yaml", "title: Minute\nlength: 1m\nsteps:\n  - Rest.\n  - pause: 1s..\n")
    before = {name: name.encode() for name in ("minute.mp3", "minute.vtt", "minute.srt",
                                               "minute.chapters.json")}
    for name, content in before.items():
        (tmp_path / "out" / name).parent.mkdir(exist_ok=True)
        (tmp_path / "out" / name).write_bytes(content)
    asked = []

    def cancelled() -> bool:             # 41 blocks measured, then into the writing pass
        asked.append(1)
        return len(asked) > 50

    with pytest.raises(Cancelled):
        Builder(open_project(root), cancelled=cancelled).build(
            load_script(root / "scripts" / "minute.yaml"), tmp_path / "out")
    assert len(asked) == 51              # asked block by block, and it stopped at the first yes
    assert outputs(tmp_path / "out") == before       # the old files kept, no temporary left


@pytest.mark.slow              # whole processes
def test_any_number_of_jobs_gives_the_same_files(tmp_path):
    root = tones_library(tmp_path)
    assert build(root, "-j", "1", "-o", "one", "--cache-dir", "c1").returncode == 0
    result = build(root, "-j", "2", "-o", "two", "--cache-dir", "c2")
    assert result.returncode == 0, result.stderr
    assert "built 4 tracks" in result.stdout and "0 of 5 pieces from the cache, 5 spoken" in result.stdout
    assert outputs(root / "one") == outputs(root / "two")
    assert len(outputs(root / "one")) == 16


# --- workers die with the build -----------------------------------------------------------------

def _children(pid: int) -> list[int]:
    import psutil

    return [child.pid for child in psutil.Process(pid).children(recursive=True)]


def _gone(pids: list[int], within: float) -> bool:
    import psutil

    deadline = time.monotonic() + within
    while time.monotonic() < deadline:
        if not any(psutil.pid_exists(pid) and psutil.Process(pid).status() != psutil.STATUS_ZOMBIE
                   for pid in pids):
            return True
        time.sleep(0.1)
    return False


@pytest.mark.slow
@pytest.mark.skipif(sys.platform != "linux", reason="reads the process tree the Linux way")
@pytest.mark.parametrize("how", [signal.SIGINT, signal.SIGTERM, signal.SIGKILL])
def test_workers_die_with_the_build(tmp_path, how):
    root = tones_library(tmp_path, long="3m")
    write(root / "scripts" / "long2.yaml", (root / "scripts" / "long.yaml").read_text()
          .replace("Long", "Long two").replace("Let the", "Now let the"))
    with subprocess.Popen([sys.executable, "-m", "audio_builder", "build", "-q", "-j", "2",
                           "--cache-dir", "cache"], cwd=root, env={**os.environ, "PYTHONPATH": SOURCE},
                          stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
                          preexec_fn=_own_terminal) as builder:
        try:
            deadline = time.monotonic() + 120
            while not list((root / "output").glob(".*.part")):         # a track is being written
                assert time.monotonic() < deadline and builder.poll() is None
                time.sleep(0.05)
            workers = _children(builder.pid)
            assert len(workers) >= 2                    # two workers (and their encoders)
            if how == signal.SIGINT:       # Ctrl-C reaches the build, its workers and encoders
                os.killpg(builder.pid, how)
            else:
                builder.send_signal(how)
            builder.wait(timeout=30)
            assert _gone(workers, within=10), "a worker outlived the build"
        finally:
            builder.kill()
    assert builder.returncode == {signal.SIGINT: 130, signal.SIGTERM: 143}.get(how, -signal.SIGKILL)
    assert not list((root / "output").glob(".*.part"))   # each worker tidied up as it stopped
    assert not list((root / "output").glob("long*.mp3"))   # and the long tracks were not written


# --- a real Dask cluster on this machine ------------------------------------------------------

def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def _dask(*arguments: str, cwd: Path, stack: ExitStack, configuration: Path) -> subprocess.Popen:
    command = Path(sys.executable).parent / "dask"
    process = subprocess.Popen([str(command), *arguments], cwd=cwd, start_new_session=True,
                               env={**os.environ, "PYTHONPATH": SOURCE, "DASK_CONFIG": str(configuration)},
                               stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    stack.callback(_stop_group, process)
    return process


def _stop_group(process: subprocess.Popen) -> None:
    try:
        os.killpg(process.pid, signal.SIGKILL)
    except ProcessLookupError:
        pass
    process.wait(timeout=30)


class Cluster:
    def __init__(self, address: str, workers: list[subprocess.Popen]):
        self.address = address
        self.workers = workers

    def client(self):
        from distributed import Client

        return Client(self.address, timeout="30s", set_as_default=False)


@pytest.fixture
def cluster(tmp_path_factory):
    """A real scheduler and two one-thread workers on 127.0.0.1, configured as docs/scale.md
    tells users to, stopped whatever happens."""
    pytest.importorskip("distributed")
    elsewhere = tmp_path_factory.mktemp("workers-cwd")     # the workers' own current folder
    configuration = tmp_path_factory.mktemp("dask-config")
    (configuration / "audio-builder.yaml").write_text(dask_batch_configuration())
    address = f"tcp://127.0.0.1:{_free_port()}"
    with ExitStack() as stack:
        _dask("scheduler", "--host", "127.0.0.1", "--port", address.rsplit(":", 1)[1],
              "--no-dashboard", cwd=elsewhere, stack=stack, configuration=configuration)
        workers = [_dask("worker", address, "--nworkers", "1", "--nthreads", "1", "--no-dashboard",
                         cwd=elsewhere, stack=stack, configuration=configuration) for _ in range(2)]
        ready = Cluster(address, workers)
        deadline = time.monotonic() + 120
        while True:
            try:
                with ready.client() as client:
                    client.wait_for_workers(2, timeout=120)
                break
            except OSError:
                assert time.monotonic() < deadline, "the scheduler did not start"
                time.sleep(0.5)
        yield ready


@pytest.mark.cluster
def test_a_cluster_build_writes_the_same_bytes_as_a_local_one(tmp_path, cluster):
    root = tones_library(tmp_path)
    local = build(root, "-j", "1", "-o", "here", "--cache-dir", "local-cache")
    assert local.returncode == 0, local.stderr
    remote = build(root, "--cluster", cluster.address, "-o", "there", "--cache-dir", "shared-cache")
    assert remote.returncode == 0, remote.stderr
    assert outputs(root / "here") == outputs(root / "there")
    assert _summary(remote) == _summary(local).replace("here", "there")
    assert _summary(remote).endswith("speech: 0 of 5 pieces from the cache, 5 spoken")
    assert len(list((root / "shared-cache").glob("??/*.f32"))) == 5      # each piece spoken once
    again = build(root, "--cluster", cluster.address, "-o", "there", "--cache-dir", "shared-cache")
    assert again.stdout.strip().endswith("speech: 5 of 5 pieces from the cache, 0 spoken")


def _summary(result: subprocess.CompletedProcess) -> str:
    """The output without the seconds it took."""
    return re.sub(r"in [0-9.]+ s;", "in some s;", result.stdout.strip())


@pytest.mark.cluster
def test_a_script_error_on_a_worker_reads_as_at_home(project, cluster):
    write(project / "voices" / "default.yaml", "engine: tones\n")
    write(project / "scripts" / "tight.yaml",
          "title: Tight\nlength: 2s\nsteps:\n  - This is a long sentence that will never fit in two "
          "seconds of audio, not even spoken quickly.\n  - pause: 1s..\n")
    at_home = run("build", "-j", "1", "scripts/tight.yaml")
    remote = run("build", "--cluster", cluster.address, "scripts/tight.yaml")
    assert remote.exit_code == at_home.exit_code == 2
    assert remote.stderr.strip().splitlines()[-1] == at_home.stderr.strip()
    assert remote.stderr.startswith(os.path.join("scripts", "tight.yaml") + ":2: ")


@pytest.mark.cluster
def test_a_worker_killed_mid_build_leaves_the_same_files_and_nothing_half_written(tmp_path, cluster):
    root = tones_library(tmp_path, long="20m")      # room for the signal to land mid-track
    local = build(root, "-j", "1", "-o", "here", "--cache-dir", "local-cache")
    assert local.returncode == 0, local.stderr
    with subprocess.Popen([sys.executable, "-m", "audio_builder", "build", "-q", "--cluster",
                           cluster.address, "-o", "there", "--cache-dir", "shared-cache"], cwd=root,
                          env={**os.environ, "PYTHONPATH": SOURCE}, stdout=subprocess.PIPE,
                          stderr=subprocess.PIPE, text=True) as builder:
        try:
            writer = _writing(cluster.workers, ".long.mp3.", deadline=time.monotonic() + 120)
            os.killpg(writer.pid, signal.SIGKILL)          # the worker and its encoder, mid-track
            out, err = builder.communicate(timeout=300)
        finally:
            builder.kill()
    assert builder.returncode == 0, err
    assert "built 4 tracks" in out
    assert outputs(root / "here") == outputs(root / "there")      # no hidden .part files either


def _writing(workers: list[subprocess.Popen], name: str, deadline: float) -> subprocess.Popen:
    """The worker (with its children) that has a file named like `name` open."""
    import psutil

    while time.monotonic() < deadline:
        for worker in workers:
            try:
                family = [psutil.Process(worker.pid), *psutil.Process(worker.pid).children(recursive=True)]
                if any(name in file.path for process in family for file in process.open_files()):
                    return worker
            except psutil.NoSuchProcess:
                continue
        time.sleep(0.02)
    raise AssertionError(f"no worker wrote {name}")


def test_a_worker_that_cannot_see_the_project_says_so(tmp_path):
    from audio_builder.batch.cluster import check_shared_paths

    root = tones_library(tmp_path)
    work = Work(open_project(root), BatchOptions(cache_dir=tmp_path / "cache"))
    (tmp_path / "cache").mkdir()
    check_shared_paths(work)
    root.rename(tmp_path.with_name(tmp_path.name + "-moved"))
    with pytest.raises(BuildError, match=r"cannot see the folder .*docs/scale.md"):
        check_shared_paths(work)


HEAP_PROBE = """
import resource
import numpy as np
from audio_builder.batch.cluster import heap_as_at_home

def page_faults():
    before = resource.getrusage(resource.RUSAGE_SELF).ru_minflt
    for _ in range(100):
        block = np.ones((66150, 2), dtype=np.float32)     # a block of audio: 1.5 s of stereo
        del block
    return resource.getrusage(resource.RUSAGE_SELF).ru_minflt - before

print(page_faults(), heap_as_at_home(), page_faults())
"""


@pytest.mark.skipif(platform.libc_ver()[0] != "glibc", reason="glibc's malloc thresholds")
def test_a_dask_workers_fixed_malloc_threshold_no_longer_maps_every_block_afresh(tmp_path):
    # A Dask nanny starts its worker with MALLOC_TRIM_THRESHOLD_ set, which fixes glibc's
    # threshold for mapping a block on its own at 128 KB: every block of audio was mapped,
    # zero-filled by the kernel page by page, and unmapped.
    probe = subprocess.run([sys.executable, "-c", HEAP_PROBE], capture_output=True, text=True,
                           env={**os.environ, "PYTHONPATH": SOURCE, "MALLOC_TRIM_THRESHOLD_": "65536"},
                           check=True, timeout=60)
    fixed, changed, as_at_home = probe.stdout.split()
    assert changed == "True"
    assert int(fixed) > 100 * 100            # each block's 130 pages faulted in afresh
    assert int(as_at_home) < int(fixed) / 20


def _ctrl_c_as_at_a_terminal() -> None:
    """A command started in the background by a shell inherits SIGINT ignored, and Python then
    never raises KeyboardInterrupt: give the build Ctrl-C as it has at a terminal."""
    signal.signal(signal.SIGINT, signal.SIG_DFL)


def _own_terminal() -> None:
    """As a command at a terminal: its own process group (what Ctrl-C reaches), Ctrl-C on."""
    os.setsid()
    _ctrl_c_as_at_a_terminal()


@pytest.mark.cluster
def test_ctrl_c_stops_the_builds_tasks_on_the_cluster_even_the_running_ones(tmp_path, cluster):
    root = tones_library(tmp_path, long="20m")      # room for the signal to land mid-track
    for n in range(6):
        write(root / "scripts" / f"more-{n}.yaml",
              f"title: More {n}\nlength: 1m\nsteps:\n  - Breathe, number {n}.\n  - pause: 1s..\n")
    with subprocess.Popen([sys.executable, "-m", "audio_builder", "build", "-q", "--cluster",
                           cluster.address, "--cache-dir", "cache"], cwd=root,
                          env={**os.environ, "PYTHONPATH": SOURCE}, stdout=subprocess.PIPE,
                          stderr=subprocess.PIPE, text=True, preexec_fn=_ctrl_c_as_at_a_terminal) as builder:
        try:
            writer = _writing(cluster.workers, ".long.mp3.", deadline=time.monotonic() + 120)
            built_before = len(list((root / "output").glob("*.mp3")))
            builder.send_signal(signal.SIGINT)
            pressed = time.monotonic()
            out, err = builder.communicate(timeout=120)
            took = time.monotonic() - pressed
        finally:
            builder.kill()
    assert builder.returncode == 130, err
    assert "Traceback" not in err
    # By the time the build has exited, nothing of it runs anywhere, not even the track
    # that was being encoded: it stopped between two blocks and removed its files.
    assert took < 10, f"the build took {took:.1f} s to stop"
    with cluster.client() as client:
        assert not any(client.run(lambda dask_worker: [  # sent by value: workers lack this module
            task.key for task in dask_worker.state.tasks.values()
            if task.state in ("executing", "long-running", "cancelled")]).values())
    assert not _encoders(writer)
    assert not list((root / "output").glob(".*.part"))
    assert not (root / "output" / "long.mp3").exists()
    # The queued tracks were never built (one may have been renaming its files into place).
    assert len(list((root / "output").glob("*.mp3"))) <= built_before + 1
    with cluster.client() as client:                 # and the scheduler forgot them all
        deadline = time.monotonic() + 30
        while client.run_on_scheduler(lambda dask_scheduler: len(dask_scheduler.tasks)):
            assert time.monotonic() < deadline
            time.sleep(0.2)


def _encoders(worker: subprocess.Popen) -> list[int]:
    import psutil

    return [process.pid for process in psutil.Process(worker.pid).children(recursive=True)
            if "ffmpeg" in process.name()]
