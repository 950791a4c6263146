"""The fast subset (`make fast`) timed as a whole, and each of its tests by the processor time
it costs (its own and its programs', setup and teardown included: a fixture a module's tests
share, and the first import of a module in a worker, count in the first test that needs
them), so the `slow` marker keeps meaning what pyproject.toml says: a test that costs a second
or more is marked `slow`.

    python benchmarks/fast_subset.py [--rounds 3] [pytest arguments...]

Prints the subset's wall time and processor time for each round and their medians, the
costliest tests, and every unmarked test over the limit. Target: under 40 s of wall time on
2 cores; no unmarked test over 1 s. Run it on a quiet machine: on a shared one the figures are
the load's."""

from __future__ import annotations

import argparse
import json
import os
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
FAST = "not (voice or slow or browser or cluster)"
TARGET_S = 40.0
LIMIT_S = 1.0
ROWS_FOLDER = "FAST_SUBSET_ROWS"


# --- the plugin each pytest worker loads (`-p fast_subset`) --------------------------------

_rows: list[tuple[str, float]] = []


def _spent() -> float:
    times = os.times()
    return times.user + times.system + times.children_user + times.children_system


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_protocol(item, nextitem):
    before = _spent()
    yield
    _rows.append((item.nodeid, _spent() - before))


def pytest_sessionfinish(session):
    folder = os.environ.get(ROWS_FOLDER)
    if folder and _rows:
        name = os.environ.get("PYTEST_XDIST_WORKER", "main")
        Path(folder, f"{name}.json").write_text(json.dumps(_rows), encoding="utf-8")


# --- the runner ------------------------------------------------------------------------------

def one_round(extra: list[str]) -> tuple[float, float, dict[str, float]]:
    """One run of the fast subset: its wall time, its processor time, each test's."""
    with tempfile.TemporaryDirectory() as folder:
        env = {**os.environ, ROWS_FOLDER: folder, "PYTHONDONTWRITEBYTECODE": "",
               "PYTHONPATH": os.pathsep.join(filter(None, [str(ROOT / "benchmarks"),
                                                           os.environ.get("PYTHONPATH")]))}
        before = resource.getrusage(resource.RUSAGE_CHILDREN)
        start = time.monotonic()
        finished = subprocess.run([sys.executable, "-m", "pytest", "-m", FAST, "-p", "fast_subset",
                                   "-p", "no:cacheprovider", *extra], cwd=ROOT, env=env,
                                  stdout=subprocess.PIPE, text=True)
        wall = time.monotonic() - start
        after = resource.getrusage(resource.RUSAGE_CHILDREN)
        print((finished.stdout.strip().splitlines() or ["(pytest printed nothing)"])[-1])
        if finished.returncode != 0:
            sys.exit(f"the fast subset failed (exit {finished.returncode})")
        tests: dict[str, float] = {}
        for rows in Path(folder).glob("*.json"):
            tests.update(json.loads(rows.read_text(encoding="utf-8")))
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    return wall, cpu, tests


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rounds", type=int, default=3)
    options, extra = parser.parse_known_args()
    walls, cpus, costs = [], [], {}
    for number in range(1, options.rounds + 1):
        wall, cpu, tests = one_round(extra)
        walls.append(wall)
        cpus.append(cpu)
        for name, seconds in tests.items():
            costs.setdefault(name, []).append(seconds)
        print(f"round {number}: {wall:.1f} s wall, {cpu:.1f} s of processor time, "
              f"{len(tests)} tests, load average {os.getloadavg()[0]:.1f}")
    median = {name: statistics.median(seconds) for name, seconds in costs.items()}
    print(f"\nmedian: {statistics.median(walls):.1f} s wall (target under {TARGET_S:.0f} s on 2 "
          f"cores), {statistics.median(cpus):.1f} s of processor time, of which the tests "
          f"{sum(median.values()):.1f} s")
    print("\ncostliest tests (median processor time):")
    for name, seconds in sorted(median.items(), key=lambda item: -item[1])[:15]:
        print(f"  {seconds:5.2f} s  {name}")
    files: dict[str, float] = {}
    for name, seconds in median.items():
        files[name.split("::")[0]] = files.get(name.split("::")[0], 0.0) + seconds
    print("\ncostliest files:")
    for name, seconds in sorted(files.items(), key=lambda item: -item[1])[:10]:
        print(f"  {seconds:5.1f} s  {name}")
    over = [name for name, seconds in median.items() if seconds >= LIMIT_S]
    print(f"\nunmarked tests over {LIMIT_S:.0f} s (mark them `slow`, or make them cheaper): "
          + (", ".join(sorted(over)) if over else "none"))


if __name__ == "__main__":
    main()
