"""Progress bars on a terminal (rich), and nothing at all elsewhere."""

from __future__ import annotations

from contextlib import contextmanager

STAGES = {"speech": "speaking", "tracks": "building tracks"}


@contextmanager
def progress_bars(show: bool):
    """Yields a `progress(stage, done, total)` callback."""
    if not show:
        yield lambda stage, done, total: None
        return
    from rich.progress import (
        BarColumn,
        MofNCompleteColumn,
        Progress,
        TaskID,
        TextColumn,
        TimeElapsedColumn,
    )

    bars = Progress(TextColumn("{task.description:<16}"), BarColumn(), MofNCompleteColumn(),
                    TimeElapsedColumn(), transient=False)
    tasks: dict[str, TaskID] = {}

    def progress(stage: str, done: int, total: int) -> None:
        if total == 0:
            return
        if stage not in tasks:
            tasks[stage] = bars.add_task(STAGES.get(stage, stage), total=total)
        bars.update(tasks[stage], completed=done, total=total)

    with bars:
        yield progress
