"""Building many scripts: the graph of tasks (tasks), run on this machine's cores (pool)
or on a Dask cluster (cluster).

Every result is the same whatever runs the tasks and in whichever order, because each piece
of speech depends only on its own text and voice (see engines/piper_engine.py), and every
output file is written beside its place and renamed into it whole.

May import: anything of the package but what is built on it: the API (`api`) and the command
line (`cli`).
"""

from __future__ import annotations

import time
from dataclasses import dataclass, replace
from pathlib import Path

from audio_builder.batch import cluster, pool
from audio_builder.batch.tasks import BatchOptions, Progress, Work, builder_for, plan_graph
from audio_builder.builder import BuiltTrack
from audio_builder.errors import ErrorGroup
from audio_builder.model import Script
from audio_builder.publishing.tracks import shared_names
from audio_builder.script.parser import load_script
from audio_builder.script.project import Project
from audio_builder.speech.cache import SpeechCache

__all__ = ["BatchOptions", "BatchReport", "build_scripts"]


@dataclass(frozen=True)
class BatchReport:
    tracks: tuple[BuiltTrack, ...]
    pieces: int            # distinct pieces of speech the scripts need
    synthesized: int       # how many of them had to be spoken (the rest came from the cache)
    seconds: float

    @property
    def cache_hits(self) -> int:
        return self.pieces - self.synthesized


def build_scripts(project: Project, scripts: list[Script], options: BatchOptions,
                  progress: Progress | None = None) -> BatchReport:
    started = time.monotonic()
    progress = progress or (lambda stage, done, total: None)
    checker = builder_for(project, options)
    if options.cluster:      # workers have their own current folder: every path absolute
        scripts = [load_script(script.path.resolve()) for script in scripts]
    scripts = [checker.with_voice(script) for script in scripts]
    clashes = shared_names(scripts, options.lengths)
    if clashes:
        raise ErrorGroup(clashes) if len(clashes) > 1 else clashes[0]
    options = replace(options, cache_dir=SpeechCache(options.cache_dir).directory.resolve(),
                      output_dir=Path(options.output_dir or project.output_dir).resolve())
    graph = plan_graph(checker, scripts, options)
    work = Work(project, options)
    if options.cluster:
        built = cluster.run_on_cluster(options.cluster, graph, work, progress)
    else:
        built = pool.run_here(graph, work, progress)
    return BatchReport(tuple(built[key] for key in graph.as_given), graph.pieces, graph.missing,
                       time.monotonic() - started)
