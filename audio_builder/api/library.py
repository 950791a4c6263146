"""Checking, planning, building and publishing a project's scripts: what `check`, `plan`,
`build` and `feed` do, as functions that return what they found or made.

Defaults are the command line's: the user's speech cache (or $AUDIO_BUILDER_CACHE), the
project's `scripts/` and `output/`, MP3 at -16 LUFS (-19 mono), as many jobs as cores (or
$AUDIO_BUILDER_JOBS).
"""

from __future__ import annotations

import os
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, replace
from pathlib import Path

from audio_builder.api.boundary import api_boundary, as_folder, as_jobs, as_lengths, as_paths, as_project
from audio_builder.batch import BatchOptions, build_scripts
from audio_builder.batch.cluster import scheduler_address
from audio_builder.batch.tasks import Progress
from audio_builder.builder import Builder, BuiltTrack, OutputSettings, TrackPlan
from audio_builder.errors import ErrorGroup, InputError
from audio_builder.model import Script
from audio_builder.own_voice.listening import listen_to_script
from audio_builder.own_voice.pieces import (
    check_takes,
    fallback_count,
    flagged_takes,
    script_in_voice,
    speaker_marks,
)
from audio_builder.publishing import feedcheck, site
from audio_builder.publishing.lock import read_lock
from audio_builder.publishing.platforms import Platform, lint, platform_named, write_description
from audio_builder.publishing.site import PublishReport
from audio_builder.publishing.tracks import shared_names
from audio_builder.script.parser import load_script
from audio_builder.script.project import Project, find_scripts
from audio_builder.script.project import open_project as _open_project
from audio_builder.speech.cache import SpeechCache
from audio_builder.timeline import LengthRange, piled_up_silences

PathLike = str | os.PathLike
Paths = PathLike | Iterable[PathLike] | None
Lengths = str | int | float | Iterable[str | int | float] | None


@api_boundary
def open_project(path: PathLike | None = None) -> Project:
    """The project around `path` (a script, or any folder in the project; default: the current
    folder): the nearest folder upwards with podcast.yaml, voices/ or scripts/."""
    return _open_project(Path(path) if path is not None else None)


def load_scripts(project: Project, paths: Paths = None) -> list[Script]:
    """Every script of `paths` (files or folders; default the project's scripts/), each error
    reported at once: one `InputError`, or an `ErrorGroup` of them."""
    scripts, errors = [], []
    for path in find_scripts(as_paths(paths), project):
        try:
            scripts.append(load_script(path))
        except InputError as error:
            errors.append(error)
    if errors:
        raise ErrorGroup(errors) if len(errors) > 1 else errors[0]
    return scripts


# --- check ------------------------------------------------------------------------------------

@dataclass(frozen=True)
class ScriptCheck:
    """One script that reads well: its tracks planned with estimated speech, and the lengths
    it can reach."""

    path: Path
    plans: tuple[TrackPlan, ...]
    ranges: tuple[LengthRange, ...]
    warnings: tuple[str, ...]              # missing takes a fallback voice speaks for now
    spoken_by: str = ""                    # which voice speaks it, why, in which language


@dataclass(frozen=True)
class CheckReport:
    scripts: tuple[ScriptCheck, ...]       # the ones that passed, in the order given
    errors: tuple[InputError, ...]         # everything wrong, each at its file and line
    advice: tuple[InputError, ...] = ()    # what the platform of `check(platform=...)` rejects
                                           # or advises against, each at its line

    @property
    def ok(self) -> bool:
        return not self.errors

    def raise_errors(self) -> None:
        """Raise what was found wrong (one error, or an `ErrorGroup`), if anything."""
        if self.errors:
            raise ErrorGroup(self.errors) if len(self.errors) > 1 else self.errors[0]


@api_boundary
def check(project: Project | PathLike | None = None, paths: Paths = None, *,
          lengths: Lengths = None, voice: str | None = None, listen: bool = False,
          cache_dir: PathLike | None = None, platform: str | None = None) -> CheckReport:
    """Validate scripts without speaking them. Errors in scripts are returned in the report
    (all of them, not only the first); bad arguments raise `InputError`. With `listen`, also
    speak each synthetic line (through the speech cache in `cache_dir`, default the user's)
    and listen back to it: words of the script the recognizer did not hear are warnings.
    With `platform` (insight-timer, spotify, youtube, podcast), what that platform rejects or
    advises against is in the report's `advice`."""
    project = as_project(project)
    wanted = as_lengths(lengths)
    target = platform_named(platform) if platform is not None else None
    cache_folder = as_folder(cache_dir, "cache_dir")
    if listen:
        cache = SpeechCache(cache_folder)
        with cache.in_use():
            report = _check(project, paths, wanted, Builder(project, voice=voice, cache=cache), True)
    else:
        report = _check(project, paths, wanted, Builder(project, voice=voice), False)
    if target is None:
        return report
    advice: dict[str, InputError] = {}
    for checked in report.scripts:
        for track in checked.plans:
            for problem in lint(target, track.script, track.timeline, project.podcast.promotion):
                advice.setdefault(problem.located(), problem)
    return replace(report, advice=tuple(advice.values()))


def _check(project: Project, paths: Paths, wanted, builder: Builder, listen: bool) -> CheckReport:
    errors: list[InputError] = []
    loaded: list[Script] = []
    passed: list[ScriptCheck] = []
    for path in find_scripts(as_paths(paths), project):
        try:
            script = load_script(path)
            loaded.append(script)
            plans = builder.plan(script, wanted, estimate=True)
        except InputError as error:
            errors.append(error)
            continue
        takes = check_takes(plans[0].script, builder.voices, [plan.length_ms for plan in plans])
        errors += takes.errors
        heard = tuple(listen_to_script(builder.plan(script, wanted), builder)) if listen else ()
        piled = tuple(warning for plan in plans for warning in piled_up_silences(plan.timeline))
        written = script.warnings + tuple(w for plan in plans for w in plan.warnings)
        passed.append(ScriptCheck(path, tuple(plans), tuple(builder.length_ranges(script, estimate=True)),
                                  written + takes.warnings + piled + heard, builder.spoken_by(script)))
    errors += shared_names(loaded, wanted)
    return CheckReport(tuple(passed), tuple(errors))


# --- plan -------------------------------------------------------------------------------------

@dataclass(frozen=True)
class PlanReport:
    plans: tuple[TrackPlan, ...]
    ranges: tuple[LengthRange, ...]
    speakers: tuple[dict[tuple[int, str], str], ...]   # per plan: (start, text) of a line:
                                                       # "voice: " where the voice changes
    spoken_by: str = ""                    # which voice speaks it, why, in which language


@api_boundary
def plan(script: PathLike, *, lengths: Lengths = None, voice: str | None = None,
         cache_dir: PathLike | None = None, force: bool = False) -> PlanReport:
    """The timeline of every track of `script`, each line spoken (into the cache) to know its
    length, so the build that follows uses the very same pieces."""
    path = as_paths(script)[0]
    project = as_project(path)
    builder = Builder(project, voice=voice, cache=SpeechCache(as_folder(cache_dir, "cache_dir")), force=force)
    loaded = load_script(path)
    plans = tuple(builder.plan(loaded, as_lengths(lengths)))
    speakers = tuple(speaker_marks(track.timeline, builder.voices) for track in plans)
    return PlanReport(plans, tuple(builder.length_ranges(loaded)), speakers,
                      builder.spoken_by(loaded))


# --- build ------------------------------------------------------------------------------------

@dataclass(frozen=True)
class BuildReport:
    """The built tracks (iterate over the report, or `.tracks`) and what the build did."""

    tracks: tuple[BuiltTrack, ...]
    pieces: int                    # distinct pieces of speech the scripts need
    synthesized: int               # how many had to be spoken (the rest came from the cache)
    seconds: float
    fallbacks: dict[tuple[str, str], int]   # {(recorded voice, its fallback): lines it spoke}
    flagged: tuple[str, ...] = ()  # takes listening back flagged when they were imported
    descriptions: tuple[Path, ...] = ()  # the descriptions to paste the platform asked for
    warnings: tuple[str, ...] = ()  # old forms read as they were, lengths reached at a quicker pace

    @property
    def cache_hits(self) -> int:
        return self.pieces - self.synthesized

    @property
    def length_ms(self) -> int:
        return sum(track.length_ms for track in self.tracks)

    def __iter__(self) -> Iterator[BuiltTrack]:
        return iter(self.tracks)

    def __len__(self) -> int:
        return len(self.tracks)


@api_boundary
def build(project: Project | PathLike | None = None, paths: Paths = None, *,
          lengths: Lengths = None, voice: str | None = None, format: str | None = None,
          channels: int = 2, bitrate: str | None = None, loudness: float | str | None = None,
          output_dir: PathLike | None = None, jobs: int | None = None, cluster: str | None = None,
          cache_dir: PathLike | None = None, force: bool = False,
          progress: Progress | None = None, platform: str | None = None) -> BuildReport:
    """Build the scripts of `paths` (default: the project's scripts/) into `output_dir`
    (default: the project's output/); a track dated after today into the scheduled folder
    beside it (`output-scheduled/`), which is never uploaded. Every file appears whole or
    not at all.

    `lengths`: durations as a script writes them ("10m", "1:30", 90 for seconds), instead of
    the scripts' own. `voice`: a profile that speaks every line. `format`: mp3, m4a, opus, flac
    or wav; `channels` 1 or 2; `bitrate` like "128k" (default: the format's); `loudness` in
    LUFS from -40 to -5, or "off" (default -16, or -19 mono). `jobs`: scripts and pieces of
    speech at once (default: $AUDIO_BUILDER_JOBS, else the cores); `cluster`: a Dask
    scheduler's address. `progress(stage, done, total)` is called as work is done.
    `platform` (podcast, insight-timer, spotify, youtube): the format, bitrate, sample rate and
    loudness that platform asks for, where `format`, `bitrate` and `loudness` are not given."""
    project = as_project(project)
    target = platform_named(platform or "podcast")
    settings = output_settings(format or target.format, channels, bitrate or target.bitrate,
                               target.loudness_lufs if loudness is None else loudness)
    options = BatchOptions(output_dir=as_folder(output_dir, "output_dir"), lengths=as_lengths(lengths),
                           voice=voice, output=replace(settings, sample_rate=target.sample_rate),
                           cache_dir=as_folder(cache_dir, "cache_dir"), force=bool(force),
                           jobs=as_jobs(jobs),
                           cluster=None if cluster is None else scheduler_address(cluster))
    scripts = load_scripts(project, paths)
    with SpeechCache(options.cache_dir).in_use():
        report = build_scripts(project, scripts, options, progress)
    in_voice = [script_in_voice(script, voice) for script in scripts]
    voices = Builder(project).voices
    descriptions = [_description(target, built) for built in report.tracks]
    return BuildReport(report.tracks, report.pieces, report.synthesized, report.seconds,
                       fallback_count(in_voice, voices), tuple(flagged_takes(in_voice, voices)),
                       tuple(path for path in descriptions if path is not None),
                       tuple(dict.fromkeys([*(w for script in scripts for w in script.warnings),
                                            *(w for built in report.tracks for w in built.plan.warnings)])))


def _description(target: Platform, built: BuiltTrack) -> Path | None:
    """The description file `target` reads, written beside `built` (if it reads one)."""
    timeline = built.plan.timeline
    return write_description(target, built.plan.track, built.audio.parent,
                             [(c.start_ms, c.title) for c in timeline.chapters], timeline.length_ms)


def output_settings(format: str = "mp3", channels: int = 2, bitrate: str | None = None,
                    loudness: float | str | None = None) -> OutputSettings:
    """`OutputSettings` from the build's arguments: `loudness` "off" leaves the level as mixed."""
    if loudness == "off":
        return OutputSettings(format, channels, bitrate, None, normalize=False)
    if isinstance(loudness, str):
        try:
            loudness = float(loudness)
        except ValueError:
            raise InputError(f"loudness {loudness!r}: give a target in LUFS, like -16 or -19, "
                             "or `off`") from None
    return OutputSettings(format, channels, bitrate, loudness)


# --- publish ----------------------------------------------------------------------------------

@api_boundary
def publish(project: Project | PathLike | None = None, output_dir: PathLike | None = None, *,
            scheduled: bool = False) -> PublishReport:
    """Write the feed (output/feed.xml) and the page (output/index.html) of every built track
    that is due, and record in podcast.lock what is published; a due episode's files move
    into output/ from the scheduled folder, and nothing dated after today stays in output/.
    With `scheduled`, write a preview that also has the episodes dated after today into the
    scheduled folder (`output-scheduled/preview-feed.xml`, `preview.html`), and record and
    move nothing."""
    return site.publish(as_project(project), as_folder(output_dir, "output_dir"), include_scheduled=scheduled)


@api_boundary
def check_feed(project: Project | PathLike | None = None,
               output_dir: PathLike | None = None) -> list[str]:
    """What a podcast directory would reject in the published feed: one sentence each."""
    project = as_project(project)
    folder = as_folder(output_dir, "output_dir") or project.output_dir
    return feedcheck.check_feed(folder, project.podcast.base_url or "", read_lock(project.root))
