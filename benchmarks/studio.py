"""The studio in a real Chromium: how soon a line is heard after Play, and how soon a long
practice's page is usable.

    python benchmarks/studio.py [--lines 100] [--plays 20]

A practice of `--lines` lines (a recorded voice whose fallback is the default neural voice;
every other line has a take, made by espeak-ng) is served by the studio; Chromium (Playwright,
Debian's /usr/bin/chromium) opens it, then presses Play on `--plays` lines of each kind and
times from the press to the audio element's `playing` event:

- a take (a file of the project),
- the synthetic voice, spoken now (an empty speech cache),
- the synthetic voice again (now from the cache).

Targets: a line starts within 1 s when its audio is there (take or cache), within 2 s when it
must be synthesized; the page of a 100-line practice usable (its script has run: every button
answers) within 1 s of asking for it. Each play's CPU seconds in the studio's process are
given too (the server runs in this process), and the load average: on a shared machine the
wall clock is mostly waiting for a core.
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

WORDS = ("breathe gently notice the air as it moves in and out of the body and rest here "
         "softly with each breath letting the shoulders drop and the jaw soften").split()


def line_text(number: int) -> str:
    start = (number * 7) % len(WORDS)
    words = (WORDS[start:] + WORDS)[:6 + number % 5]
    return f"Line {number}, " + " ".join(words) + "."


def make_project(root: Path, lines: int) -> list[str]:
    from audio_builder.speech.takes import take_id

    (root / "scripts").mkdir(parents=True)
    (root / "voices").mkdir()
    (root / "voices" / "teacher.yaml").write_text("engine: recorded\nfallback: default\n")
    texts = [line_text(n) for n in range(1, lines + 1)]
    steps = "\n".join(f"  - \"{text}\"\n  - pause: 1s" for text in texts)
    (root / "scripts" / "long.yaml").write_text(f"title: A Long Practice\nvoice: teacher\nsteps:\n{steps}\n")
    takes = root / "takes" / "teacher"
    takes.mkdir(parents=True)
    for text in texts[::2]:
        subprocess.run(["espeak-ng", "-s", "150", "-w", str(takes / f"{take_id(text)}.wav"), text],
                       check=True, capture_output=True)
    return texts


HOOK = """() => { window.__played = null;
  document.addEventListener('playing', () => { window.__played = performance.now(); }, true); }"""
PRESS = """(n) => { const button = document.querySelector(`#line-${n} [data-act="play"]`);
  window.__played = null; window.__pressed = performance.now(); button.click(); }"""


CPU: list[float] = []          # this process's CPU seconds (the studio's server) for each play


def time_play(page, number: int) -> float:
    cpu = time.process_time()
    page.evaluate(PRESS, number)
    page.wait_for_function("window.__played !== null", timeout=60_000)
    CPU.append(time.process_time() - cpu)
    seconds = page.evaluate("(window.__played - window.__pressed) / 1000")
    page.evaluate(f"document.querySelector('#line-{number} [data-act=\"stop\"]').click()")
    page.wait_for_function(f"document.querySelector('#line-{number} [data-act=\"play\"]').disabled === false")
    return float(seconds)


def summary(name: str, values: list[float], target: float) -> None:
    cpu = f"; CPU median {statistics.median(CPU):.2f} s" if CPU else ""
    print(f"{name:<34} median {statistics.median(values):.3f} s, slowest {max(values):.3f} s "
          f"over {len(values)} (target {target:.0f} s): {'ok' if max(values) <= target else 'OVER'}"
          f"{cpu}")
    CPU.clear()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--lines", type=int, default=100)
    parser.add_argument("--plays", type=int, default=20)
    args = parser.parse_args()
    from playwright.sync_api import sync_playwright

    from audio_builder.studio.app import studio_app
    from audio_builder.web.server import WebServer, new_key

    with tempfile.TemporaryDirectory() as folder:
        root, cache = Path(folder) / "project", Path(folder) / "cache"
        os.environ["AUDIO_BUILDER_CACHE"] = str(cache)
        make_project(root, args.lines)
        key = new_key()
        with WebServer(studio_app(root, key, cache)) as server, sync_playwright() as p:
            browser = p.chromium.launch(executable_path="/usr/bin/chromium", args=[
                "--no-sandbox", "--disable-gpu", "--disable-background-networking",
                "--disable-component-update", "--disable-sync", "--no-first-run",
                "--autoplay-policy=no-user-gesture-required"])
            page = browser.new_page()
            usable, statuses = [], []
            for _ in range(5):
                started = time.perf_counter()
                page.goto(server.url("/practice/long", key), wait_until="domcontentloaded")
                page.wait_for_function("document.readyState !== 'loading'")
                usable.append(time.perf_counter() - started)
                page.wait_for_function("!document.querySelector('li[data-status=\"checking\"]')",
                                       timeout=120_000)
                statuses.append(time.perf_counter() - started)
            print(f"load average {os.getloadavg()[0]:.1f} on {os.cpu_count()} cores")
            summary(f"page of {args.lines} lines usable", usable, 1)
            print(f"{'... every take judged and shown':<34} median {statistics.median(statuses):.3f} s")
            page.evaluate(HOOK)
            takes = list(range(1, 2 * args.plays, 2))[:args.plays]
            synthetic = list(range(2, 2 * args.plays + 1, 2))[:args.plays]
            summary("a take", [time_play(page, n) for n in takes], 1)
            summary("synthetic, spoken now", [time_play(page, n) for n in synthetic], 2)
            summary("synthetic, from the cache", [time_play(page, n) for n in synthetic], 1)
            browser.close()


if __name__ == "__main__":
    main()
