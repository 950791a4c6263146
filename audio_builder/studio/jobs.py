"""Long work the studio starts (a build, an import) run in a background thread, one at a time
per kind and practice, so a page can ask how far it has got and what came of it."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from audio_builder.errors import AudioBuilderError
from audio_builder.files import os_error

Report = Callable[[str, int, int], None]          # (stage, done, total), as builds report
Work = Callable[[Report], dict[str, Any]]        # returns what the page shows when done


@dataclass
class Job:
    kind: str
    started: float = field(default_factory=time.monotonic)
    stage: str = "starting"
    done: int = 0
    total: int = 0
    result: dict[str, Any] | None = None
    error: str | None = None
    finished: bool = False

    def report(self, stage: str, done: int, total: int) -> None:
        self.stage, self.done, self.total = stage, done, total

    def as_json(self) -> dict[str, Any]:
        return {"kind": self.kind, "stage": self.stage, "done": self.done, "total": self.total,
                "finished": self.finished, "error": self.error, "result": self.result,
                "seconds": round(time.monotonic() - self.started, 1)}


class Jobs:
    """The jobs under way and the last one of each (kind, practice)."""

    def __init__(self) -> None:
        self._jobs: dict[tuple[str, str], Job] = {}
        self._lock = threading.Lock()

    def start(self, kind: str, practice: str, work: Work) -> Job:
        """Start `work` unless the same kind of job is already running for this practice
        (then that one is returned)."""
        with self._lock:
            running = self._jobs.get((kind, practice))
            if running is not None and not running.finished:
                return running
            job = self._jobs[(kind, practice)] = Job(kind)
        threading.Thread(target=self._run, args=(job, work), name=f"studio-{kind}",
                         daemon=True).start()
        return job

    def get(self, kind: str, practice: str) -> Job | None:
        return self._jobs.get((kind, practice))

    @staticmethod
    def _run(job: Job, work: Work) -> None:
        try:
            job.result = work(job.report)
        except AudioBuilderError as error:
            job.error = error.located()
        except OSError as error:
            job.error = os_error(error).located()
        finally:
            job.finished = True
