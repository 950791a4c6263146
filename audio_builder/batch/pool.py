"""Running a build's tasks on this machine: in this process for one job, else in worker
processes, never more tasks at once than jobs, the longest ready track first.

Speech is spoken by one worker of its own, one task at a time, while the others build
tracks: each process that speaks loads the voice (the default one: about 150 MB, and
300 MB while it speaks), and one voice already uses every core (onnxruntime's own threads).

Workers die with the build: each watches its parent and stops when it is gone (a killed
build leaves no worker behind), and a worker told to stop in the middle of a track stops at
its next block of audio, removing its temporary files and its encoder first.
"""

from __future__ import annotations

import multiprocessing
import os
import signal
import threading
import time
from collections.abc import Callable
from concurrent.futures import FIRST_COMPLETED, Future, ProcessPoolExecutor, wait

from audio_builder.batch.tasks import (
    Graph,
    Progress,
    SpeechTask,
    TrackTask,
    Work,
    build_track,
    leftovers,
    speak,
)
from audio_builder.builder import BuiltTrack, IsCancelled
from audio_builder.files import signals_unwind

Task = SpeechTask | TrackTask


class Schedule:
    """Which task to start next, and what has been done."""

    def __init__(self, graph: Graph, progress: Progress):
        self.speech = list(graph.speech)
        self.tracks = list(graph.tracks)
        self.done: set[str] = set()
        self.built: dict[str, BuiltTrack] = {}
        self.progress = progress
        self.spoken = 0
        self.total_pieces = graph.missing
        self.total_tracks = len(graph.tracks)
        progress("speech", 0, self.total_pieces)
        progress("tracks", 0, self.total_tracks)

    def next(self, speech: bool = True) -> Task | None:
        """The longest track whose speech is ready; else (unless not `speech`) the next few
        pieces to speak."""
        for index, track in enumerate(self.tracks):
            if all(key in self.done for key in track.needs):
                return self.tracks.pop(index)
        return self.speech.pop(0) if self.speech and speech else None

    def finished(self, task: Task, result: int | BuiltTrack) -> None:
        self.done.add(task.key)
        if isinstance(task, SpeechTask):
            self.spoken += len(task.pieces)
            self.progress("speech", self.spoken, self.total_pieces)
        else:
            assert isinstance(result, BuiltTrack)
            self.built[task.key] = result
            self.progress("tracks", len(self.built), self.total_tracks)


def run_task(work: Work, task: Task, cancelled: IsCancelled | None = None) -> int | BuiltTrack:
    if isinstance(task, SpeechTask):
        return speak(work, task, cancelled)
    return build_track(work, task, cancelled)


def run_here(graph: Graph, work: Work, progress: Progress) -> dict[str, BuiltTrack]:
    schedule = Schedule(graph, progress)
    jobs = min(work.options.jobs, max(len(graph.speech), len(graph.tracks)))   # at most at once
    with signals_unwind():          # SIGTERM unwinds the build as Ctrl-C does
        if jobs <= 1:
            while (task := schedule.next()) is not None:
                schedule.finished(task, run_task(work, task))
        else:
            _run_in_workers(schedule, work, jobs)
    return schedule.built


def _run_in_workers(schedule: Schedule, work: Work, jobs: int) -> None:
    # spawn, not fork: the parent may run a progress thread, and speech engines load native
    # libraries that do not survive a fork well.
    pools = [ProcessPoolExecutor(size, mp_context=multiprocessing.get_context("spawn"),
                                 initializer=_start_worker, initargs=(os.getpid(),))
             for size in (jobs, 1)]
    tracks, voice = pools          # workers start when first needed: none for cached speech
    running: dict[Future, Task] = {}
    try:
        while True:
            while len(running) < jobs and (task := schedule.next(speech=not any(
                    isinstance(busy, SpeechTask) for busy in running.values()))) is not None:
                lane = voice if isinstance(task, SpeechTask) else tracks
                running[lane.submit(_worker_task, work, task)] = task
            if not running:
                break
            finished, _ = wait(running, return_when=FIRST_COMPLETED)
            for future in finished:
                schedule.finished(running.pop(future), future.result())
    except BaseException:
        for pool in pools:
            _stop(pool)
        for stray in leftovers(work):
            stray.unlink(missing_ok=True)
        raise
    for pool in pools:
        pool.shutdown()


def _stop(pool: ProcessPoolExecutor) -> None:
    """Cancel what waits and stop what runs (each worker cleans up after itself)."""
    processes = list((getattr(pool, "_processes", None) or {}).values())
    pool.shutdown(wait=False, cancel_futures=True)
    for process in processes:
        if process.is_alive():
            process.terminate()
    for process in processes:
        process.join(timeout=10)
        if process.is_alive():
            process.kill()


# --- inside a worker process ----------------------------------------------------------------

_busy = threading.Event()
_stop_asked = threading.Event()        # asked by the running task between blocks and pieces


def _start_worker(parent: int) -> None:
    signal.signal(signal.SIGINT, signal.SIG_IGN)      # the build decides what Ctrl-C stops
    signal.signal(signal.SIGTERM, _on_sigterm)
    threading.Thread(target=_watch_parent, args=(parent, os.kill), daemon=True).start()


def _on_sigterm(signum, frame) -> None:
    # A running task stops at its next block of audio or piece of speech, where it removes
    # its files and its encoder: an exception raised here could land anywhere (between
    # starting ffmpeg and taking charge of it, say, leaving ffmpeg to write its file anew).
    if not _busy.is_set():
        os._exit(128 + signum)
    _stop_asked.set()


def _watch_parent(parent: int, kill: Callable[[int, int], None], every: float = 0.5) -> None:
    """Stop this worker when the process that started it is gone (killed, even with -9)."""
    while os.getppid() == parent:
        time.sleep(every)
    kill(os.getpid(), signal.SIGTERM)


def _worker_task(work: Work, task: Task) -> int | BuiltTrack:
    _busy.set()
    try:
        return run_task(work, task, _stop_asked.is_set)
    finally:
        _busy.clear()
        if _stop_asked.is_set():
            os._exit(128 + signal.SIGTERM)     # the task's own clean-up has run by now
