"""Running a build's tasks on a Dask cluster (`build --cluster tcp://host:8786`).

The parsed scripts, the voice profiles and the podcast's details travel with each task;
the project's files (takes, sound files, voice models, cover images), the speech cache and
the output folder are read and written at the same paths on every worker, so they must be
on a folder every machine sees (see docs/scale.md). A track is written by the worker that
builds it, beside its place and renamed into it whole; if that worker dies, the scheduler
gives the task to another, and this build removes what the dead one left half-written.

Dask cannot interrupt a running task: cancelling one only marks it cancelled in its
worker's state. So each task asks that state between blocks of audio (and between pieces
of speech) and stops itself, removing its unfinished files; after Ctrl-C the build waits
until none of its tasks runs anywhere, then exits.
"""

from __future__ import annotations

import ctypes
import functools
import os
import socket
import time
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from audio_builder.batch.pool import Schedule, run_task
from audio_builder.batch.tasks import Graph, Progress, SpeechTask, TrackTask, Work, leftovers
from audio_builder.builder import BuiltTrack, IsCancelled
from audio_builder.errors import BuildError, InputError, excerpt
from audio_builder.speech.engines.base import c_library, return_freed_memory

CONNECT_SECONDS = 20
STOP_SECONDS = 30        # how long a stopped build waits for its running tasks to notice


SCHEMES = ("tcp", "tls", "ws", "wss", "ucx", "inproc")
ADDRESS_ADVICE = ("give the scheduler's address as `dask scheduler` prints it, like "
                  "tcp://192.168.1.20:8786")


def scheduler_address(text: str) -> str:
    """`text` as a Dask scheduler's address (`tcp://host:port`, or `host:port`), checked
    before anything connects: a half-made client waits 40 s and ends in a traceback."""
    shown = f"--cluster {excerpt(text)}"
    if not text.strip():
        raise InputError(f"{shown} is empty; {ADDRESS_ADVICE}, or leave --cluster out to build "
                         "on this machine")
    address = text if "://" in text else f"tcp://{text}"
    try:
        parts = urlsplit(address)
        port = parts.port
    except ValueError as error:
        raise InputError(f"{shown} is not an address ({error}); {ADDRESS_ADVICE}") from None
    if parts.scheme not in SCHEMES:
        raise InputError(f"{shown}: a Dask scheduler speaks {', '.join(SCHEMES)}, not "
                         f"{excerpt(parts.scheme)}; {ADDRESS_ADVICE}")
    if not parts.hostname or any(c.isspace() for c in text) or parts.path.strip("/") \
            or parts.query or parts.fragment or (port is None and parts.scheme != "inproc"):
        raise InputError(f"{shown} is not an address; {ADDRESS_ADVICE}")
    return address


def run_on_cluster(address: str, graph: Graph, work: Work, progress: Progress) -> dict[str, BuiltTrack]:
    try:
        from distributed import Client, as_completed
    except ImportError:
        raise InputError("--cluster needs Dask's distributed package: "
                         "pip install 'audio-builder[cluster]'") from None
    try:
        client = Client(address, timeout=f"{CONNECT_SECONDS}s", set_as_default=False)
    except (OSError, TimeoutError, ValueError) as error:
        raise BuildError(f"--cluster {address}: no Dask scheduler answered ({error}); start one "
                         "with `dask scheduler` and give the address it prints") from None
    Path(work.options.cache_dir or ".").mkdir(parents=True, exist_ok=True)
    schedule = Schedule(graph, progress)
    futures: dict[Any, SpeechTask | TrackTask] = {}
    try:
        keys = {}
        # Ready tracks before more speech, longest first (higher priority runs first).
        for rank, speech in enumerate(graph.speech):
            keys[speech.key] = client.submit(_remote, work, speech, key=f"{speech.key}-{work.scratch}",
                                             priority=-rank)
            futures[keys[speech.key]] = speech
        for rank, track in enumerate(graph.tracks):
            needs = [keys[key] for key in track.needs]
            keys[track.key] = client.submit(_remote, work, track, *needs,
                                            key=f"track-{rank}-{work.scratch}",
                                            priority=len(graph.tracks) - rank)
            futures[keys[track.key]] = track
        for future in as_completed(list(futures), loop=client.loop):
            schedule.finished(futures[future], future.result())
    except BaseException:
        client.cancel(list(futures), force=True)
        _wait_until_stopped(client, work.scratch)
        raise
    finally:
        client.close()
        for stray in leftovers(work):
            stray.unlink(missing_ok=True)
    return schedule.built


def _remote(work: Work, task: SpeechTask | TrackTask, *after: object) -> int | BuiltTrack:
    """One task on a worker (`after`: the results of the tasks it waited for)."""
    check_shared_paths(work)
    heap_as_at_home()
    try:
        return run_task(work, task, _cancelled_here())
    finally:
        return_freed_memory()          # what the worker's fixed trim threshold was there for


# glibc's malloc gives a large block (over 128 KB at first) its own memory map, and raises that
# threshold to the largest such block freed (up to 32 MB on 64 bits, trimming the heap at twice
# that), so a program that allocates blocks of one size again and again soon reuses its heap.
# Any of these variables turns that off for the life of the process; a Dask nanny starts its
# worker with MALLOC_TRIM_THRESHOLD_ set (`distributed.nanny.pre-spawn-environ`), and then each
# block of audio (1.5 s of stereo floats: 0.5 MB) was mapped, zero-filled by the kernel and
# unmapped again: a track cost the worker 1.8 times the processor time it costs at home.
FIXED_THRESHOLDS = ("MALLOC_TRIM_THRESHOLD_", "MALLOC_MMAP_THRESHOLD_", "MALLOC_TOP_PAD_",
                    "MALLOC_MMAP_MAX_")
M_TRIM_THRESHOLD, M_MMAP_THRESHOLD = -1, -3          # mallopt's parameters (malloc.h)


@functools.cache
def heap_as_at_home() -> bool:
    """Where the environment fixed glibc's malloc thresholds, set them where glibc's own
    adjustment would take them; returns whether it did (once per process; glibc only)."""
    if not any(name in os.environ for name in FIXED_THRESHOLDS):
        return False
    mallopt = getattr(c_library(), "mallopt", None)            # glibc's own
    if mallopt is None:
        return False
    ceiling = 4 * 1024 * 1024 * ctypes.sizeof(ctypes.c_long)      # glibc's largest threshold
    return bool(mallopt(M_MMAP_THRESHOLD, ceiling) and mallopt(M_TRIM_THRESHOLD, 2 * ceiling))


def _cancelled_here() -> IsCancelled:
    """Whether the task running in this thread of a Dask worker has been cancelled (by the
    client, or by the scheduler when the client went away)."""
    from distributed import get_worker

    worker = get_worker()
    key = worker.get_current_task()

    def cancelled() -> bool:
        task = worker.state.tasks.get(key)
        return task is None or task.state == "cancelled"

    return cancelled


def _running(scratch: str, dask_worker: Any) -> int:
    """How many tasks of the build named `scratch` run on this worker (cancelled or not)."""
    return sum(1 for task in dask_worker.state.tasks.values()
               if scratch in str(task.key) and task.state in ("executing", "long-running", "cancelled"))


def _wait_until_stopped(client: Any, scratch: str) -> None:
    """Wait (a little) until no worker runs a task of this build any more."""
    deadline = time.monotonic() + STOP_SECONDS
    while time.monotonic() < deadline:
        try:
            if not sum(client.run(_running, scratch, on_error="ignore").values()):
                return
        except (OSError, TimeoutError):
            return              # the cluster is gone: nothing of ours runs there
        time.sleep(0.1)


def check_shared_paths(work: Work) -> None:
    """A worker must see the project where the client does; say so plainly when it does not."""
    for path in (work.project.root, work.options.cache_dir):
        if path is not None and not Path(path).is_dir():
            raise BuildError(f"worker {socket.gethostname()} cannot see the folder {path}: on a "
                             "cluster the project and the speech cache (--cache-dir) must be on a "
                             "path every machine sees (see docs/scale.md)")
