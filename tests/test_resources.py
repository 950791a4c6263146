"""Resources under pressure, through the command line: kills that leave nothing behind,
`cache clear` beside a running build, the operating system refusing a write (disk full, no
permission, a file or folder in the way), and inputs far longer than a practice.

Each case checks the exit status, one clear line (no traceback), nothing half-written, and
the previous outputs left byte for byte; and peak memory (child processes included) where
memory was the problem. The voice is the `tones` engine: a real voice is not the point here.
"""

from __future__ import annotations

import errno
import fcntl
import hashlib
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from conftest import run, wait_for, write

from audio_builder.files import HOST
from audio_builder.sound.media import ffmpeg_exe

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "benchmarks"))
from peak_memory import measure  # noqa: E402

SCRIPT = """
title: Steady
steps:
  - chapter: Arriving
  - Breathe in, and breathe out.
  - pause: 2s..
  - Notice the body resting.
"""

# Long enough (with its bed) to be caught in the middle of rendering or encoding.
LONG_SCRIPT = """
title: Long
length: 6m
background: rain
steps:
  - Breathe in, and breathe out.
  - pause: 10s..
  - Notice the body resting.
"""


@pytest.fixture
def tones(project, tmp_path):
    write(project / "voices" / "default.yaml", "engine: tones\n")
    write(project / "scripts" / "steady.yaml", SCRIPT)
    return project


def cli(*args: str, cwd: Path, env: dict | None = None, **popen) -> subprocess.Popen:
    """The command line in a process of its own (so that it can be killed)."""
    env = {**os.environ, "PYTHONPATH": str(ROOT), **(env or {})}
    return subprocess.Popen([sys.executable, "-m", "audio_builder", *args], cwd=cwd, env=env,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, **popen)


def fingerprint(folder: Path) -> dict[str, str]:
    """Every file in `folder` (hidden ones too) and a digest of its bytes."""
    return {path.name: hashlib.sha256(path.read_bytes()).hexdigest()[:16]
            for path in sorted(folder.iterdir()) if path.is_file()}


def one_clear_line(result, *phrases: str) -> str:
    message = result.output.strip()
    assert "Traceback" not in message and len(message.splitlines()) == 1, message
    for phrase in phrases:
        assert phrase in message, message
    return message


def hidden_parts(folder: Path) -> list[str]:
    return sorted(p.name for p in folder.glob(".*.part"))


# --- 5: what a kill leaves behind ------------------------------------------------------------

@pytest.mark.slow                  # whole processes, minutes of audio
def test_a_build_killed_while_encoding_leaves_the_old_track_and_the_next_build_tidies_up(tones):
    assert run("build", "-q").exit_code == 0
    before = fingerprint(tones / "output")
    write(tones / "scripts" / "steady.yaml", LONG_SCRIPT)

    build = cli("build", "-q", "--jobs", "1", cwd=tones)
    wait_for(lambda: any(p.stat().st_size > 0 for p in (tones / "output").glob(".steady.mp3.*.part")))
    build.kill()                                             # SIGKILL: nothing can tidy up
    build.wait()
    assert hidden_parts(tones / "output")                    # left behind, as a kill must leave them
    assert {k: v for k, v in fingerprint(tones / "output").items() if not k.startswith(".")} == before

    # A temporary file of a build still running (here: a live process) is not touched, nor
    # one written on another machine (a cluster sharing the folder), whose process ids
    # mean nothing here.
    sleeper = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(60)"])
    try:
        theirs = tones / "output" / f".steady.mp3.{HOST}-{sleeper.pid}-abcdefgh.part"
        theirs.write_bytes(b"still being written")
        elsewhere = tones / "output" / ".steady.vtt.0123456789ab.fedcba-1-abcdefgh.part"
        elsewhere.write_bytes(b"written on another machine")
        assert run("build", "-q", "--length", "20s").exit_code == 0
        assert hidden_parts(tones / "output") == sorted([theirs.name, elsewhere.name])
    finally:
        sleeper.kill()
        sleeper.wait()
    assert run("build", "-q", "--length", "20s").exit_code == 0
    assert hidden_parts(tones / "output") == [elsewhere.name]


def play_in_process(tones: Path, scratch: Path, fifo: Path) -> subprocess.Popen:
    """`play` into a named pipe nobody reads: it decodes the track into its scratch folder,
    then waits at the pipe, mid-session, until it is stopped."""
    os.mkfifo(fifo)
    return cli("play", "output/steady.mp3", "--to-file", str(fifo), cwd=tones,
               env={"TMPDIR": str(scratch)})


def scratch_folders(scratch: Path) -> list[Path]:
    return [p for p in scratch.glob("audio-builder-play-*") if any(p.iterdir())]


@pytest.mark.slow                  # whole processes, minutes of audio
def test_play_removes_its_scratch_folder_when_terminated_and_after_a_hard_kill(tones, tmp_path):
    assert run("build", "-q").exit_code == 0
    scratch = tmp_path / "tmp"
    scratch.mkdir()

    player = play_in_process(tones, scratch, tmp_path / "pipe1")
    wait_for(lambda: scratch_folders(scratch))
    player.send_signal(signal.SIGTERM)
    assert player.wait(timeout=30) == 128 + signal.SIGTERM
    assert list(scratch.iterdir()) == []                     # gone on SIGTERM

    player = play_in_process(tones, scratch, tmp_path / "pipe2")
    wait_for(lambda: scratch_folders(scratch))
    player.kill()                                            # SIGKILL cannot be caught
    player.wait()
    left = scratch_folders(scratch)
    assert len(left) == 1

    finished = cli("play", "output/steady.mp3", "--to-file", str(tmp_path / "s.wav"), cwd=tones,
                   env={"TMPDIR": str(scratch)})
    assert finished.wait(timeout=120) == 0, finished.stderr.read()
    assert list(scratch.iterdir()) == []                     # the next session removed it


# --- 10: cache clear beside a running build ---------------------------------------------------

@pytest.mark.slow                  # whole processes, minutes of audio
def test_cache_clear_during_a_build_is_refused_and_the_build_finishes(tones, tmp_path):
    cache = tmp_path / "cache"
    write(tones / "scripts" / "steady.yaml", LONG_SCRIPT)
    build = cli("build", "-q", "--cache-dir", str(cache), cwd=tones)

    wait_for(lambda: _locked(cache) or build.poll() is not None)
    assert build.poll() is None, "the build ended before the test could clear"
    cleared = run("cache", "clear", "--cache-dir", cache)
    assert cleared.exit_code == 1
    one_clear_line(cleared, "a build is using the speech cache", "when the build has finished")
    stdout, stderr = build.communicate(timeout=300)
    assert build.returncode == 0, stderr
    assert "Traceback" not in stderr
    assert (tones / "output" / "steady.mp3").stat().st_size > 0

    cleared = run("cache", "clear", "--cache-dir", cache)
    assert cleared.exit_code == 0 and "removed 2 pieces" in cleared.output


def _locked(cache: Path) -> bool:
    try:
        with open(cache / ".lock", "ab") as lock:
            fcntl.flock(lock, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except FileNotFoundError:
        return False
    except BlockingIOError:
        return True
    return False


# --- 11: the operating system says no ----------------------------------------------------------

def _disk_full(path) -> OSError:
    return OSError(errno.ENOSPC, os.strerror(errno.ENOSPC), str(path))


def built(tones: Path) -> dict[str, str]:
    assert run("build", "-q").exit_code == 0
    write(tones / "scripts" / "steady.yaml", SCRIPT.replace("resting", "resting, soft"))
    return fingerprint(tones / "output")


def test_disk_full_while_tagging_keeps_the_previous_track(tones, monkeypatch):
    before = built(tones)

    def full(path, *args):
        raise _disk_full(path)

    from dataclasses import replace

    from audio_builder.publishing.formats import FORMATS

    monkeypatch.setitem(FORMATS, "mp3", replace(FORMATS["mp3"], tag_writer=full))
    result = run("build", "-q")
    assert result.exit_code == 1
    one_clear_line(result, "output/steady.mp3: the disk is full")
    assert fingerprint(tones / "output") == before


def test_disk_full_while_writing_captions_keeps_the_previous_track(tones, monkeypatch):
    before = built(tones)
    write_text = Path.write_text

    def full_for_captions(self, *args, **kwargs):
        if ".vtt." in self.name:
            raise _disk_full(self)
        return write_text(self, *args, **kwargs)

    monkeypatch.setattr(Path, "write_text", full_for_captions)
    result = run("build", "-q")
    assert result.exit_code == 1
    one_clear_line(result, "output/steady.vtt: the disk is full")
    assert fingerprint(tones / "output") == before


def test_a_file_limit_while_writing_the_cache_is_one_line(tones, tmp_path):
    """A real refusal from the kernel: the build runs with a 20 kB limit on file size, so
    the first piece of speech it stores fails (as on a full disk)."""
    import resource

    def limit() -> None:
        resource.setrlimit(resource.RLIMIT_FSIZE, (20_000, 20_000))

    build = cli("build", "-q", "--cache-dir", str(tmp_path / "cache"), cwd=tones, preexec_fn=limit)
    stdout, stderr = build.communicate(timeout=120)
    assert build.returncode == 1
    assert "Traceback" not in stderr and len(stderr.strip().splitlines()) == 1, stderr
    assert "the file grew past what this disk or account allows" in stderr
    assert not (tones / "output").exists() or not list((tones / "output").iterdir())


def test_one_failed_rename_puts_back_every_file_of_the_track(tones, monkeypatch):
    before = built(tones)
    replace = os.replace

    def failing_for_srt(source, target, *args, **kwargs):
        if str(target).endswith("steady.srt"):
            raise _disk_full(source)
        return replace(source, target, *args, **kwargs)

    monkeypatch.setattr(os, "replace", failing_for_srt)
    result = run("build", "-q")
    assert result.exit_code == 1
    one_clear_line(result, "steady.srt: the disk is full")
    monkeypatch.undo()
    assert fingerprint(tones / "output") == before          # the new MP3 and VTT were taken back


def test_disk_full_while_writing_the_feed_keeps_the_previous_feed_and_page(tones, monkeypatch):
    write(tones / "podcast.yaml", "title: T\nauthor: A\nemail: a@example.org\n"
                                  "base_url: https://example.org/p/\n")
    write(tones / "scripts" / "steady.yaml", "date: 2026-11-01\n" + SCRIPT)
    assert run("build", "-q").exit_code == 0
    assert run("feed").exit_code == 0
    before = fingerprint(tones / "output")
    write(tones / "podcast.yaml", "title: T\nauthor: A\nemail: a@example.org\n"
                                  "description: Changed.\nbase_url: https://example.org/p/\n")
    write_text = Path.write_text

    def full_for_page(self, *args, **kwargs):
        if self.name.startswith(".index.html."):
            raise _disk_full(self)
        return write_text(self, *args, **kwargs)

    monkeypatch.setattr(Path, "write_text", full_for_page)
    result = run("feed")
    assert result.exit_code == 1
    one_clear_line(result, "output/index.html: the disk is full")
    assert fingerprint(tones / "output") == before          # feed.xml too, not only the page


def read_only(folder: Path, monkeypatch) -> None:
    """Make `folder` refuse new files. The mode bits do that for an ordinary user; root
    ignores them (as in CI), so there the refusal the kernel would give is raised in its
    place, at the same calls."""
    folder.mkdir(parents=True, exist_ok=True)
    folder.chmod(0o555)
    if os.geteuid() != 0:
        return
    inside = str(folder.resolve()) + os.sep
    real_open, real_mkdir = os.open, os.mkdir

    def refused(path) -> OSError:
        return PermissionError(errno.EACCES, os.strerror(errno.EACCES), str(path))

    def guarded_open(path, flags, *args, **kwargs):
        if flags & os.O_CREAT and os.path.abspath(path).startswith(inside):
            raise refused(path)
        return real_open(path, flags, *args, **kwargs)

    def guarded_mkdir(path, *args, **kwargs):
        if (os.path.abspath(path) + os.sep).startswith(inside) and not os.path.isdir(path):
            raise refused(path)
        return real_mkdir(path, *args, **kwargs)

    monkeypatch.setattr(os, "open", guarded_open)
    monkeypatch.setattr(os, "mkdir", guarded_mkdir)


def test_a_read_only_output_folder_is_one_line(tones, monkeypatch):
    before = built(tones)
    read_only(tones / "output", monkeypatch)
    try:
        result = run("build", "-q")
    finally:
        (tones / "output").chmod(0o755)
    assert result.exit_code == 1
    one_clear_line(result, "output", "no permission to write here")
    assert fingerprint(tones / "output") == before


def test_a_read_only_cache_folder_is_one_line(tones, tmp_path, monkeypatch):
    cache = tmp_path / "cache"
    read_only(cache, monkeypatch)
    try:
        result = run("build", "-q", "--jobs", "1", "--cache-dir", cache)   # in this process
    finally:
        cache.chmod(0o755)
    assert result.exit_code == 1
    one_clear_line(result, "cache", "no permission to write here")
    assert not (tones / "output").exists() or not list((tones / "output").iterdir())


def test_a_file_where_a_folder_is_expected_is_one_line(tones, tmp_path):
    (tones / "output").write_text("not a folder")
    result = run("build", "-q")
    assert result.exit_code == 1
    one_clear_line(result, "output: a file stands where a folder is expected")
    assert (tones / "output").read_text() == "not a folder"

    (tones / "output").unlink()
    (tmp_path / "cache").write_text("not a folder either")
    result = run("build", "-q", "--cache-dir", tmp_path / "cache" / "inner")
    assert result.exit_code == 1
    one_clear_line(result, "cache: a file stands where a folder is expected")


def test_an_output_name_that_is_a_folder_leaves_the_track_untouched(tones):
    before = built(tones)
    (tones / "output" / "steady.vtt").unlink()
    (tones / "output" / "steady.vtt").mkdir()
    before.pop("steady.vtt")
    result = run("build", "-q")
    assert result.exit_code == 1
    one_clear_line(result, "output/steady.vtt: a folder stands where a file is to be written")
    assert fingerprint(tones / "output") == before          # no new MP3 beside stale captions


# --- 12: big inputs ---------------------------------------------------------------------------

def generate(path: Path, seconds: int) -> Path:
    """A long stereo FLAC (a tone over soft noise), made here: nothing is downloaded."""
    subprocess.run([ffmpeg_exe(), "-v", "error", "-y", "-f", "lavfi", "-i",
                    f"sine=f=220:d={seconds},volume=0.3", "-f", "lavfi", "-i",
                    f"anoisesrc=d={seconds}:c=brown:a=0.05", "-filter_complex", "amix=inputs=2",
                    "-ac", "2", "-ar", "44100", str(path)], check=True)
    return path


@pytest.mark.slow                  # whole processes, minutes of audio
def test_a_long_background_file_is_streamed_not_held(tones):
    """Ten minutes of background under a 20-second practice: held whole, its decoded copies
    took over 1 GB (memory grew with the file); streamed it stays near the program's own."""
    (tones / "sounds").mkdir()
    generate(tones / "sounds" / "long.flac", 600)
    write(tones / "scripts" / "steady.yaml", "length: 20s\nbackground: ../sounds/long.flac\n" + SCRIPT)
    run_ = measure([sys.executable, "-m", "audio_builder", "build", "-q"], cwd=tones,
                   env={**os.environ, "PYTHONPATH": str(ROOT)})
    assert run_.returncode == 0, run_.stderr
    assert run_.peak_mb < 350, f"peak {run_.peak_mb:.0f} MB"


@pytest.mark.slow                  # whole processes, minutes of audio
def test_a_long_sound_step_is_streamed_not_held(tones):
    (tones / "sounds").mkdir()
    generate(tones / "sounds" / "long.flac", 360)
    write(tones / "scripts" / "steady.yaml", SCRIPT + "  - sound: ../sounds/long.flac\n")
    run_ = measure([sys.executable, "-m", "audio_builder", "build", "-q", "--format", "wav",
                    "--loudness", "off"], cwd=tones, env={**os.environ, "PYTHONPATH": str(ROOT)})
    assert run_.returncode == 0, run_.stderr
    assert run_.peak_mb < 350, f"peak {run_.peak_mb:.0f} MB"


def test_streaming_a_file_gives_the_same_track_as_holding_it(tones, monkeypatch):
    """The streamed path (for long files) and the whole-file path (for short ones) mix the
    same samples: force a 6-second file down each and compare the tracks."""
    from audio_builder.sound import media

    (tones / "sounds").mkdir()
    generate(tones / "sounds" / "short.flac", 6)
    write(tones / "scripts" / "steady.yaml", "length: 15s\nbackground: ../sounds/short.flac\n"
          + SCRIPT + "  - sound: ../sounds/short.flac\n")
    assert run("build", "-q", "--format", "wav", "-o", "held").exit_code == 0
    monkeypatch.setattr(media, "WHOLE_FILE_FRAMES", 44_100)
    assert run("build", "-q", "--format", "wav", "-o", "streamed").exit_code == 0
    held = (tones / "held" / "steady.wav").read_bytes()
    assert held == (tones / "streamed" / "steady.wav").read_bytes()


def test_a_huge_script_file_is_refused_quickly(tones):
    line = "  - Breathe in, and breathe out, and let the whole body soften and rest.\n"
    write(tones / "scripts" / "steady.yaml", "title: Huge\nsteps:\n" + line * 20_000)
    started = time.monotonic()
    result = run("check")
    assert time.monotonic() - started < 5
    assert result.exit_code == 2
    one_clear_line(result, "scripts/steady.yaml", "larger than 1 MB")
