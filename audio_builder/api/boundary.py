"""The API's edge: every public function is wrapped so that a caller sees only
`AudioBuilderError`s (an error of the operating system becomes a `BuildError` naming the file,
as on the command line), and its arguments are checked here, with a message, before any work.
"""

from __future__ import annotations

import functools
import os
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import ParamSpec, TypeVar

from audio_builder.errors import InputError
from audio_builder.files import os_error
from audio_builder.script.parser import read_lengths
from audio_builder.script.project import Project, open_project

P = ParamSpec("P")
R = TypeVar("R")

MAX_JOBS = 64
JOBS_VARIABLE = "AUDIO_BUILDER_JOBS"


def api_boundary(function: Callable[P, R]) -> Callable[P, R]:
    """Raise only `AudioBuilderError`s from `function`: an `OSError` (disk full, no
    permission, a file where a folder should be) becomes one naming the file."""

    @functools.wraps(function)
    def guarded(*args: P.args, **kwargs: P.kwargs) -> R:
        try:
            return function(*args, **kwargs)
        except OSError as error:
            raise os_error(error) from error

    return guarded


def as_project(project: Project | str | os.PathLike | None) -> Project:
    """A `Project` as given, or the project around a path (None: the current folder's)."""
    if isinstance(project, Project):
        return project
    if project is None or isinstance(project, (str, os.PathLike)):
        return open_project(Path(project) if project is not None else None)
    raise InputError(f"project: give a Project (from open_project) or a folder, not "
                     f"{type(project).__name__}")


def as_folder(folder: str | os.PathLike | None, name: str) -> Path | None:
    """A folder given as argument `name`, as a `Path`; None stays None (the default's)."""
    if folder is None:
        return None
    if not isinstance(folder, (str, os.PathLike)):
        raise InputError(f"{name}: give a folder's path, not {type(folder).__name__}")
    return Path(folder)


def as_paths(paths: str | os.PathLike | Iterable[str | os.PathLike] | None) -> list[Path]:
    """Script files or folders: one path, several, or None (the project's scripts/)."""
    if paths is None:
        return []
    if isinstance(paths, (str, os.PathLike)):
        return [Path(paths)]
    try:
        found = list(paths)
    except TypeError:
        raise InputError(f"paths: give a script or folder, or a list of them, not "
                         f"{type(paths).__name__}") from None
    for path in found:
        if not isinstance(path, (str, os.PathLike)):
            raise InputError(f"paths: {path!r} is not a path")
    return [Path(path) for path in found]


def as_lengths(lengths: str | int | float | Iterable[str | int | float] | None,
               name: str = "lengths") -> tuple[int, ...] | None:
    """Track lengths as a script writes them (`"10m"`, `90` seconds, `"1:30"`), one or a list,
    by the script's own rule (`script.parser.read_lengths`); None: the script's."""
    if lengths is None:
        return None
    items = [lengths] if isinstance(lengths, (str, int, float)) else list(lengths)
    return read_lengths(items, name=name) or None


def as_jobs(jobs: int | None) -> int:
    """How many tasks at once: `jobs`, else $AUDIO_BUILDER_JOBS, else the number of cores."""
    if jobs is None:
        written = os.environ.get(JOBS_VARIABLE)
        if not written:
            return min(os.cpu_count() or 1, MAX_JOBS)
        try:
            jobs = int(written)
        except ValueError:
            raise InputError(f"${JOBS_VARIABLE} is {written!r}; give a number from 1 to "
                             f"{MAX_JOBS}") from None
    if isinstance(jobs, bool) or not isinstance(jobs, int) or not 1 <= jobs <= MAX_JOBS:
        raise InputError(f"jobs {jobs!r}: give a number from 1 to {MAX_JOBS} (how many scripts "
                         f"and pieces of speech to work on at once)")
    return jobs
