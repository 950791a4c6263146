"""Building many scripts: speech first (in parallel, into the shared cache), then tracks
(in parallel across scripts). Every result is the same whatever the number of jobs, because
each piece of speech depends only on its own text and voice (see engines/piper_engine.py).
"""

from __future__ import annotations

import multiprocessing
import time
from collections.abc import Callable
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass
from pathlib import Path

from audio_builder.build import Builder, BuiltTrack, OutputSettings
from audio_builder.errors import ErrorGroup
from audio_builder.model import Place, Script, Utterance
from audio_builder.publish.tracks import shared_names
from audio_builder.script.parser import load_script
from audio_builder.script.project import Project, open_project
from audio_builder.speech.cache import SpeechCache
from audio_builder.speech.synthesizer import Synthesizer, VoiceBook
from audio_builder.timeline import spoken_pieces


@dataclass(frozen=True, kw_only=True)
class BatchOptions:
    output_dir: Path | None = None
    lengths: tuple[int, ...] | None = None
    voice: str | None = None
    output: OutputSettings = OutputSettings()
    cache_dir: Path | None = None
    force: bool = False
    jobs: int = 1


@dataclass(frozen=True)
class BatchReport:
    tracks: tuple[BuiltTrack, ...]
    pieces: int            # distinct pieces of speech the scripts need
    synthesized: int       # how many of them had to be spoken (the rest came from the cache)
    seconds: float

    @property
    def cache_hits(self) -> int:
        return self.pieces - self.synthesized


Progress = Callable[[str, int, int], None]     # (stage, done, total)


def build_scripts(project: Project, scripts: list[Script], options: BatchOptions,
                  progress: Progress | None = None) -> BatchReport:
    started = time.monotonic()
    progress = progress or (lambda stage, done, total: None)
    checker = _builder(project, options)
    scripts = [checker.with_voice(script) for script in scripts]
    clashes = shared_names(scripts, options.lengths)
    if clashes:
        raise ErrorGroup(clashes) if len(clashes) > 1 else clashes[0]
    pieces = _distinct_pieces(scripts)
    cache, key = SpeechCache(options.cache_dir), checker.synthesizer.key   # the builders' cache
    missing = pieces if options.force else [
        (u, p) for u, p in pieces if cache.get(key(u, p)) is None]   # reads and checks each entry
    _speak(project, missing, options, progress)

    tracks: list[BuiltTrack] = []
    jobs = min(options.jobs, len(scripts))
    progress("tracks", 0, len(scripts))
    if jobs <= 1:
        builder = _builder(project, options)
        for done, script in enumerate(scripts, 1):
            tracks += builder.build(script, options.output_dir, options.lengths)
            progress("tracks", done, len(scripts))
    else:
        with _pool(jobs, project, options) as pool:
            for done, built in enumerate(pool.map(_build_in_worker, [s.path for s in scripts]), 1):
                tracks += built
                progress("tracks", done, len(scripts))
    return BatchReport(tuple(tracks), len(pieces), len(missing), time.monotonic() - started)


def _distinct_pieces(scripts: list[Script]) -> list[tuple[Utterance, Place]]:
    seen: dict[Utterance, Place] = {}
    for script in scripts:
        for utterance, place in spoken_pieces(script):
            seen.setdefault(utterance, place)
    return list(seen.items())


def _speak(project: Project, missing: list, options: BatchOptions, progress: Progress) -> None:
    progress("speech", 0, len(missing))
    if not missing:
        return
    jobs = min(options.jobs, len(missing))
    if jobs <= 1:
        synthesizer = Synthesizer(VoiceBook(project.profiles), SpeechCache(options.cache_dir),
                                  refresh=options.force)
        for done, (utterance, place) in enumerate(missing, 1):
            synthesizer.length_ms(utterance, place)
            progress("speech", done, len(missing))
        return
    with _pool(jobs, project, options) as pool:
        for done, _ in enumerate(pool.map(_speak_in_worker, missing, chunksize=4), 1):
            progress("speech", done, len(missing))


# --- worker processes -----------------------------------------------------------------

_worker: dict = {}


def _pool(jobs: int, project: Project, options: BatchOptions) -> ProcessPoolExecutor:
    # spawn, not fork: the parent may run a progress thread, and speech engines load native
    # libraries that do not survive a fork well.
    return ProcessPoolExecutor(jobs, mp_context=multiprocessing.get_context("spawn"),
                               initializer=_start_worker, initargs=(project.root, options))


def _start_worker(root: Path, options: BatchOptions) -> None:
    project = open_project(root)
    _worker["options"] = options
    _worker["project"] = project
    _worker["synthesizer"] = Synthesizer(VoiceBook(project.profiles),
                                         SpeechCache(options.cache_dir), refresh=options.force)


def _speak_in_worker(piece: tuple[Utterance, Place]) -> int:
    utterance, place = piece
    return _worker["synthesizer"].length_ms(utterance, place)


def _build_in_worker(path: Path) -> list[BuiltTrack]:
    options = _worker["options"]
    builder = _builder(_worker["project"], options)
    return builder.build(load_script(path), options.output_dir, options.lengths)


def _builder(project: Project, options: BatchOptions) -> Builder:
    # The speech is in the cache by now (spoken afresh if --force), so no refresh here.
    return Builder(project, voice=options.voice, cache=SpeechCache(options.cache_dir),
                   output=options.output)
