"""Peak memory of a command with all its child processes (Linux): the largest sum of the
resident sets of the process tree, sampled every 20 ms from /proc.

    python benchmarks/peak_memory.py -- audio-builder build scripts/x.yaml
"""

from __future__ import annotations

import os
import subprocess
import sys
import threading
import time
from dataclasses import dataclass
from pathlib import Path

PAGE = os.sysconf("SC_PAGE_SIZE")


@dataclass(frozen=True)
class Run:
    returncode: int
    peak_mb: float
    seconds: float
    stdout: str
    stderr: str


def _children() -> dict[int, list[int]]:
    tree: dict[int, list[int]] = {}
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            fields = (entry / "stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        tree.setdefault(int(fields[1]), []).append(int(entry.name))
    return tree


def tree_rss(pid: int) -> int:
    """Bytes resident in `pid` and all its descendants now."""
    tree, total, todo = _children(), 0, [pid]
    while todo:
        current = todo.pop()
        try:
            total += int((Path("/proc") / str(current) / "statm").read_text().split()[1]) * PAGE
        except (OSError, IndexError, ValueError):
            pass
        todo += tree.get(current, [])
    return total


def measure(command: list[str], **popen) -> Run:
    """Run `command` to its end; its exit status, output and the tree's peak memory."""
    started = time.monotonic()
    process = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                               **popen)
    peak = 0
    done = threading.Event()

    def sample() -> None:
        nonlocal peak
        while not done.is_set():
            peak = max(peak, tree_rss(process.pid))
            time.sleep(0.02)

    sampler = threading.Thread(target=sample, daemon=True)
    sampler.start()
    stdout, stderr = process.communicate()
    done.set()
    sampler.join()
    return Run(process.returncode, peak / 1e6, time.monotonic() - started, stdout, stderr)


if __name__ == "__main__":
    arguments = sys.argv[1:]
    if arguments[:1] == ["--"]:
        arguments = arguments[1:]
    run = measure(arguments)
    sys.stdout.write(run.stdout)
    sys.stderr.write(run.stderr)
    print(f"exit {run.returncode}, peak {run.peak_mb:.0f} MB (children included), "
          f"{run.seconds:.1f} s", file=sys.stderr)
    sys.exit(run.returncode)
