"""Progress bars on a terminal (rich), and nothing at all elsewhere."""

from __future__ import annotations

from contextlib import contextmanager

STAGES = {"speech": "speaking", "tracks": "building tracks", "reading": "hearing (seconds)"}


@contextmanager
def progress_bars(show: bool, *, stderr: bool = False):
    """Yields a `progress(stage, done, total)` callback (a total of None: not known). With
    `stderr`, the bars are drawn there (the standard output is the command's result)."""
    if not show:
        yield lambda stage, done, total: None
        return
    from rich.console import Console
    from rich.progress import (
        BarColumn,
        MofNCompleteColumn,
        Progress,
        TaskID,
        TextColumn,
        TimeElapsedColumn,
    )

    bars = Progress(TextColumn("{task.description:<16}"), BarColumn(), MofNCompleteColumn(),
                    TimeElapsedColumn(), transient=False, console=Console(stderr=stderr))
    tasks: dict[str, TaskID] = {}

    def progress(stage: str, done: int, total: int | None) -> None:
        if total == 0:
            return
        if stage not in tasks:
            tasks[stage] = bars.add_task(STAGES.get(stage, stage), total=total)
        bars.update(tasks[stage], completed=done, total=total)

    with bars:
        yield progress
