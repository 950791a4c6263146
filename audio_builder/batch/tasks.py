"""The build as a graph of tasks: speaking a few pieces into the speech cache, and building
one track (plan, render, master, encode, tag). A track waits only for the pieces it needs,
so speech for the next tracks is spoken while earlier tracks encode; tracks are listed
longest first, so no core sits idle at the end while one long track finishes alone.

The tasks are plain functions of picklable values, so the same ones run in this process,
in worker processes (pool) or on a Dask cluster (cluster).
"""

from __future__ import annotations

import uuid
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from pathlib import Path

from audio_builder.builder import Builder, BuiltTrack, IsCancelled, OutputSettings, project_voices, stop_if
from audio_builder.errors import AudioBuilderError
from audio_builder.model import Place, Script, Utterance
from audio_builder.publishing.tracks import scheduled_folder, tracks_of
from audio_builder.script.project import Project
from audio_builder.speech.cache import SpeechCache
from audio_builder.speech.synthesizer import Synthesizer
from audio_builder.timeline import spoken_pieces

PIECES_PER_TASK = 4        # small, so that a track starts soon after its own pieces are spoken


@dataclass(frozen=True, kw_only=True)
class BatchOptions:
    output_dir: Path | None = None
    lengths: tuple[int, ...] | None = None
    voice: str | None = None
    output: OutputSettings = OutputSettings()
    cache_dir: Path | None = None
    force: bool = False
    jobs: int = 1
    cluster: str | None = None     # a Dask scheduler's address; None: this machine


Progress = Callable[[str, int, int], None]     # (stage, done, total)
Piece = tuple[Utterance, Place]


# --- the graph ----------------------------------------------------------------------------

@dataclass(frozen=True)
class SpeechTask:
    key: str
    pieces: tuple[Piece, ...]


@dataclass(frozen=True)
class TrackTask:
    key: str
    script: Script
    name: str
    order_ms: int                            # the length asked, or an estimate: for ordering
    needs: tuple[str, ...] = ()              # keys of the speech tasks it waits for


@dataclass(frozen=True)
class Work:
    """Everything a task needs besides its own arguments; sent along with each task."""

    project: Project
    options: BatchOptions
    scratch: str = field(default_factory=lambda: uuid.uuid4().hex[:12])   # names this build's temporaries


@dataclass(frozen=True)
class Graph:
    speech: tuple[SpeechTask, ...]           # in the order they are wanted
    tracks: tuple[TrackTask, ...]            # longest first
    as_given: tuple[str, ...]                # the tracks' keys in the order of the scripts
    pieces: int
    missing: int


def plan_graph(checker: Builder, scripts: list[Script], options: BatchOptions) -> Graph:
    as_given = [task for script in scripts for task in _track_tasks(checker, script, options)]
    tracks = sorted(as_given, key=lambda task: -task.order_ms)
    cache, key = SpeechCache(options.cache_dir), checker.synthesizer.key
    assigned: set[Utterance] = set()
    speech: list[SpeechTask] = []
    seen: set[Path] = set()
    pieces = missing = 0
    for task in tracks:                      # speak first what the longest track needs
        if task.script.path in seen:
            continue
        seen.add(task.script.path)
        mine: list[Piece] = []
        for utterance, place in spoken_pieces(task.script):
            if utterance in assigned:
                continue
            assigned.add(utterance)
            pieces += 1
            if options.force or not cache.has(key(utterance, place)):   # damaged: spoken when read
                mine.append((utterance, place))
        missing += len(mine)
        chunks = [SpeechTask(f"speech-{len(speech) + n}", tuple(mine[i:i + PIECES_PER_TASK]))
                  for n, i in enumerate(range(0, len(mine), PIECES_PER_TASK))]
        speech += chunks
    # A track waits for every chunk that speaks one of its pieces; pieces shared with an
    # earlier script were given to that script's chunks.
    owner = {u: chunk.key for chunk in speech for u, _ in chunk.pieces}
    tracks = [replace(task, needs=tuple(dict.fromkeys(
        owner[u] for u, _ in spoken_pieces(task.script) if u in owner))) for task in tracks]
    return Graph(tuple(speech), tuple(tracks), tuple(task.key for task in as_given), pieces, missing)


def _track_tasks(checker: Builder, script: Script, options: BatchOptions) -> list[TrackTask]:
    tracks = tracks_of(script, options.lengths)
    return [TrackTask(_track_key(script, track.name), script, track.name,
                      track.length_ms or _estimate_ms(checker, script)) for track in tracks]


def _estimate_ms(checker: Builder, script: Script) -> int:
    """How long a script without a length will be, roughly (only to order the work)."""
    try:
        return checker.plan(script, estimate=True)[0].timeline.length_ms
    except AudioBuilderError:
        return 0             # the build itself will say what is wrong, at the line


def _track_key(script: Script, name: str) -> str:
    return f"track-{name}-{script.path}"


# --- the tasks (run in worker processes, here or on a cluster) ------------------------------

# `cancelled` is asked between pieces of speech and between blocks of audio: where a task
# cannot be interrupted (a thread on a Dask worker), that is how it stops when the build does.

def speak(work: Work, task: SpeechTask, cancelled: IsCancelled | None = None) -> int:
    """Speak the pieces into the cache; returns how many."""
    synthesizer = Synthesizer(project_voices(work.project), SpeechCache(work.options.cache_dir),
                              refresh=work.options.force)
    for utterance, place in task.pieces:
        stop_if(cancelled)
        synthesizer.length_ms(utterance, place)
    return len(task.pieces)


def build_track(work: Work, task: TrackTask, cancelled: IsCancelled | None = None) -> BuiltTrack:
    options = work.options
    [built] = builder_for(work.project, options, work.scratch, cancelled).build(
        task.script, options.output_dir, options.lengths, only=task.name)
    return built


def builder_for(project: Project, options: BatchOptions, scratch: str = "",
                cancelled: IsCancelled | None = None) -> Builder:
    # The speech is in the cache by now (spoken afresh if --force), so no refresh here.
    return Builder(project, voice=options.voice, cache=SpeechCache(options.cache_dir),
                   output=options.output, scratch=scratch, cancelled=cancelled)


def leftovers(work: Work) -> list[Path]:
    """Temporary files of this build that a worker which died left behind."""
    output = Path(work.options.output_dir or work.project.output_dir)
    return sorted(path for folder in (output, scheduled_folder(output)) if folder.is_dir()
                  for path in folder.glob(f".*.{work.scratch}*.part"))
