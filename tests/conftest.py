"""Fixtures and helpers shared by the tests. numpy and the program are imported inside the
helpers that use them: pytest-xdist's controller process loads this file as well, and runs
no test (at the top, they cost it 0.35 s of start-up)."""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import textwrap
import threading
from pathlib import Path
from typing import TYPE_CHECKING

import pytest

if TYPE_CHECKING:
    import numpy as np


# A test that uses one of these fixtures must carry the marker, so `-m "not browser"` and
# `make fast` mean what they say.
MARKED_BY_FIXTURE = {"browser": "browser", "microphone_browser": "browser", "cluster": "cluster"}


def pytest_collection_modifyitems(config, items):
    unmarked = [f"{item.nodeid} uses {fixture} but is not marked {marker}"
                for item in items for fixture, marker in MARKED_BY_FIXTURE.items()
                if fixture in getattr(item, "fixturenames", ()) and item.get_closest_marker(marker) is None]
    if unmarked:
        raise pytest.UsageError("\n".join(unmarked))


def pytest_xdist_auto_num_workers(config):
    """`-n auto`: one worker more than the processors this run may use (at most the
    `--maxprocesses` in pyproject.toml). Some tests wait without working (a session that keeps
    real time, a server's timeout, worker processes starting), and the extra worker works
    meanwhile: on 2 cores the fast subset took 47.3 s with two workers, 42.1 s with three and
    43.9 s with four (benchmarks/fast_subset.py, medians). PYTEST_XDIST_AUTO_NUM_WORKERS, when
    set, is left to pytest-xdist's own hook, which reads it."""
    if os.environ.get("PYTEST_XDIST_AUTO_NUM_WORKERS"):
        return None
    return len(os.sched_getaffinity(0)) + 1 if hasattr(os, "sched_getaffinity") else (os.cpu_count() or 1) + 1


# --- the working tree is left as it was ------------------------------------------------------

# Folders a run writes for itself; anything else new in the project's folder was written by a
# test that took the current folder for its own (a relative path before its `project` chdir).
OWN_FOLDERS = {".git", ".venv", ".pytest_cache", ".mypy_cache", ".ruff_cache", ".hypothesis",
               "__pycache__"}


def tree_of(root: Path) -> set[str]:
    names = set()
    for folder, subfolders, files in os.walk(root):
        subfolders[:] = [name for name in subfolders
                         if name not in OWN_FOLDERS and not name.endswith(".egg-info")]
        names.update(os.path.relpath(os.path.join(folder, name), root) for name in files)
    return names


def pytest_sessionstart(session):
    if not hasattr(session.config, "workerinput"):          # the controller, or a plain run
        session.config.stash[TREE_BEFORE] = tree_of(session.config.rootpath)


def pytest_sessionfinish(session, exitstatus):
    before = session.config.stash.get(TREE_BEFORE, None)
    if before is None:
        return
    added = sorted(tree_of(session.config.rootpath) - before)
    if added:
        session.config.get_terminal_writer().line(
            "tests wrote into the project's own folder: " + ", ".join(added[:10]), red=True)
        session.exitstatus = pytest.ExitCode.TESTS_FAILED


TREE_BEFORE = pytest.StashKey[set]()


@pytest.fixture(scope="session", autouse=True)
def test_environment(tmp_path_factory, worker_id):
    """One speech cache for the whole run, shared by pytest-xdist's workers: each sentence is
    spoken once, and no test touches the user's own cache. Builds run in the test's own
    process (`AUDIO_BUILDER_JOBS=1`): the tests already run side by side, and a pool of
    worker processes costs more than a short track; tests of the pool ask for `-j 2`."""
    base = tmp_path_factory.getbasetemp()
    folder = (base if worker_id == "master" else base.parent) / "speech-cache"
    folder.mkdir(exist_ok=True)
    settings = {"AUDIO_BUILDER_CACHE": str(folder), "AUDIO_BUILDER_JOBS": "1"}
    old = {name: os.environ.get(name) for name in settings}
    os.environ.update(settings)
    yield folder
    for name, value in old.items():
        if value is None:
            os.environ.pop(name, None)
        else:
            os.environ[name] = value


@pytest.fixture
def project(tmp_path, monkeypatch, request) -> Path:
    """An empty project folder (with scripts/), as the current folder. Its default voice
    speaks in tones (see `use_tones`), unless the test is marked `voice`: then it is the real
    one."""
    (tmp_path / "scripts").mkdir()
    if request.node.get_closest_marker("voice") is None:
        use_tones(tmp_path)
    monkeypatch.chdir(tmp_path)
    return tmp_path


def use_tones(root: Path) -> None:
    """Make a project's default voice the `tones` engine: a tone for every word, 100 ms each,
    700 ms between sentences; no speech model, so planning, mixing and publishing are fast."""
    write(root / "voices" / "default.yaml", "engine: tones\n")


TEACHER_LINES = ["Find a comfortable position.", "Let your eyes close.", "Breathe in slowly."]


@pytest.fixture
def teacher(project):
    """A project whose `scripts/a.yaml` (30 s) is read by a recorded voice, `teacher`, that falls
    back to a tones voice, `draft`: `TEACHER_LINES`, the last two said as one step; no takes yet."""
    write(project / "voices" / "draft.yaml", "engine: tones\n")
    write(project / "voices" / "teacher.yaml", "engine: recorded\nfallback: draft\n")
    write(project / "scripts" / "a.yaml", f"""
        title: A
        voice: teacher
        length: 30s
        steps:
          - {TEACHER_LINES[0]}
          - pause: 2s..
          - say: {TEACHER_LINES[1]} {TEACHER_LINES[2]}
          - pause: 2s
        """)
    return project


def write(path: Path, text: str) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(textwrap.dedent(text).lstrip(), encoding="utf-8")
    return path


def run(*args: str):
    from click.testing import CliRunner

    from audio_builder.cli import main

    return CliRunner().invoke(main, [str(a) for a in args], catch_exceptions=False)


def project_once(tmp_path_factory, name: str, files: dict[str, str], *commands: tuple[str, ...]):
    """A tones project for a module's tests to share: `files` (paths in the project: text)
    written, then each command run in it, each required to succeed. Its root, and the results."""
    root = tmp_path_factory.mktemp(name)
    use_tones(root)
    for relative, text in files.items():
        write(root / relative, text)
    results = []
    with pytest.MonkeyPatch.context() as patch:
        patch.chdir(root)
        for command in commands:
            result = run(*command)
            assert result.exit_code == 0, (command, result.output)
            results.append(result)
    return root, results


def dask_batch_configuration() -> str:
    """The Dask configuration docs/scale.md gives for batch builds (its YAML block)."""
    docs = (Path(__file__).resolve().parent.parent / "docs" / "scale.md").read_text(encoding="utf-8")
    [block] = re.findall(r"```yaml\n(# dask configuration.*?)```", docs, re.DOTALL)
    return block


def serve_in_background(server):
    """`server` serving from a daemon thread. It looks for `shutdown()` every 10 ms: at the
    default half second, every test that stopped a server waited idle for it."""
    threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.01}, daemon=True).start()
    return server


def wait_for(condition, timeout: float = 60.0) -> None:
    """Poll `condition` every 50 ms until it holds; fail after `timeout` seconds."""
    import time

    deadline = time.monotonic() + timeout
    while not condition():
        assert time.monotonic() < deadline, "timed out"
        time.sleep(0.05)


def ffprobe_json(path: Path, *entries: str) -> dict:
    exe = shutil.which("ffprobe")
    if not exe:
        pytest.skip("ffprobe is not installed (Debian: apt-get install ffmpeg)")
    result = subprocess.run([exe, "-v", "error", *entries, "-of", "json", str(path)],
                            capture_output=True, text=True, check=True)
    return json.loads(result.stdout)


def ffprobe_duration(path: Path) -> float:
    return float(ffprobe_json(path, "-show_entries", "format=duration")["format"]["duration"])


def ebur128(path: Path) -> tuple[float, float]:
    """Integrated loudness (LUFS) and true peak (dBTP), by ffmpeg's own meter."""
    from audio_builder.sound.media import ffmpeg_exe

    result = subprocess.run([ffmpeg_exe(), "-nostats", "-i", str(path), "-af", "ebur128=peak=true",
                             "-f", "null", "-"], capture_output=True, text=True)
    summary = result.stderr[result.stderr.rindex("Summary:"):]
    loudness = float(re.search(r"I:\s+(-?[\d.]+) LUFS", summary).group(1))
    peak = float(re.search(r"Peak:\s+(-?[\d.]+) dBFS", summary).group(1))
    return loudness, peak


def decode(path: Path, channels: int = 1, rate: int = 44_100) -> np.ndarray:
    """The audio of a file as float32 at `rate`, decoded by ffmpeg: mono a flat array, else
    frames × `channels`. A 16-bit stereo WAV already at `rate` (what builds and the player's
    --to-file write) is read with the standard library's `wave` and mixed down as ffmpeg
    mixes it, left × √½ + right × √½ in float32: the same samples to the bit, without starting
    ffmpeg (25 ms a file, and the tests read some twenty of them)."""
    import wave

    import numpy as np

    from audio_builder.sound.media import ffmpeg_exe

    try:
        with wave.open(str(path)) as file:
            if (file.getnchannels(), file.getsampwidth(), file.getframerate()) == (2, 2, rate):
                frames = np.frombuffer(file.readframes(file.getnframes()), dtype="<i2").reshape(-1, 2)
                stereo = frames.astype(np.float32) / np.float32(32768)
                if channels == 2:
                    return stereo
                if channels == 1:
                    half = np.float32(np.sqrt(0.5))
                    return stereo[:, 0] * half + stereo[:, 1] * half
    except (wave.Error, EOFError):
        pass                                        # not a plain PCM WAV: ffmpeg reads it
    result = subprocess.run([ffmpeg_exe(), "-v", "error", "-i", str(path), "-f", "f32le", "-ac",
                             str(channels), "-ar", str(rate), "pipe:1"], capture_output=True, check=True)
    samples = np.frombuffer(result.stdout, dtype="<f4")
    return samples if channels == 1 else samples.reshape(-1, channels)


def decode_mono(path: Path, rate: int = 44_100) -> np.ndarray:
    """The audio of a file as mono float32 (see `decode`)."""
    return decode(path, 1, rate)


def espeak_available() -> bool:
    from audio_builder.speech.engines import ENGINES

    return ENGINES["pyttsx3"].problem() is None


@pytest.fixture
def deadline():
    """Fail, instead of hanging the run, if the test takes more than 30 s (a read without limit)."""
    import signal

    def expired(signum, frame):
        raise TimeoutError("the command did not finish in 30 s")

    previous = signal.signal(signal.SIGALRM, expired)
    signal.alarm(30)
    yield
    signal.alarm(0)
    signal.signal(signal.SIGALRM, previous)


class NoKeys:
    """A person at the keyboard who presses nothing, for the live player (never exhausted),
    unless a test has them `press` a key: it is read at the player's next look at the keys."""

    exhausted = False

    def __init__(self):
        self._pressed: list[str] = []

    def press(self, key: str) -> None:
        self._pressed.append(key)

    def poll(self, played_ms):
        pressed, self._pressed = self._pressed, []
        return pressed

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        return None


def chromium_path() -> str | None:
    """Debian's headless browser, for the tests that open the podcast's page."""
    for name in ("chromium", "chromium-browser", "google-chrome"):
        if shutil.which(name):
            return shutil.which(name)
    return None


@pytest.fixture
def browser():
    """A headless Chromium that reaches nothing but this machine."""
    if not chromium_path():
        pytest.skip("Chromium (Debian: chromium) is not installed")
    playwright = pytest.importorskip("playwright.sync_api")
    with playwright.sync_playwright() as p:
        browser = p.chromium.launch(executable_path=chromium_path(), args=[
            "--no-sandbox", "--disable-gpu", "--no-first-run", "--disable-background-networking",
            "--disable-component-update", "--disable-sync", "--autoplay-policy=no-user-gesture-required"])
        try:
            yield browser
        finally:
            browser.close()
