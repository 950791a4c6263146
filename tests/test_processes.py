"""The processes the program starts and what it borrows, through the command line: a command
stopped by a signal or killed outright leaves no ffmpeg running and nothing partial in
output/; a write the disk refuses inside ffmpeg is the program's one line, not ffmpeg's.

The voice is the `tones` engine; long audio is written directly as a WAV (a built track in
a format `video` reads), so a command can be caught in the middle of its work in a second.
"""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import sys
import time
import wave
from pathlib import Path

import pytest
from conftest import wait_for, write

from tests.readings import save_mono

ROOT = Path(__file__).resolve().parent.parent

SCRIPT = """
title: Steady
length: 30s
steps:
  - Breathe in, and breathe out.
  - pause: 2s..
  - Notice the body resting.
"""

linux_only = pytest.mark.skipif(not Path("/proc/self/cmdline").exists(),
                                reason="looks for processes in /proc (Linux)")


def cli(*args: str, cwd: Path, **popen) -> subprocess.Popen:
    """The command line in a process of its own (so that it can be signalled)."""
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    return subprocess.Popen([sys.executable, "-m", "audio_builder", *args], cwd=cwd, env=env,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, **popen)


def tone_wav(path: Path, seconds: int, rate: int = 8000) -> None:
    """A plain WAV of a steady tone (a track as `build --format wav` leaves it, made in a
    moment: a 20-minute one keeps `video` busy for many seconds)."""
    import numpy as np

    samples = (np.sin(np.arange(seconds * rate) * 2 * np.pi * 440 / rate) * 8000).astype("<i2")
    path.parent.mkdir(parents=True, exist_ok=True)
    with wave.open(str(path), "wb") as file:
        file.setnchannels(1)
        file.setsampwidth(2)
        file.setframerate(rate)
        file.writeframes(samples.tobytes())


def ffmpegs_writing_in(folder: Path) -> list[int]:
    """The ffmpeg processes whose arguments name a file in `folder`."""
    found = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            argv = (entry / "cmdline").read_bytes().split(b"\0")
        except OSError:
            continue
        if argv and b"ffmpeg" in Path(argv[0].decode(errors="replace")).name.encode() \
                and any(str(folder).encode() in arg for arg in argv):
            found.append(int(entry.name))
    return found


def parts(folder: Path) -> list[Path]:
    return sorted(folder.glob(".*.part"))


@pytest.fixture
def long_track(project) -> Path:
    """A project whose `steady` track is built as a 20-minute WAV; its output folder."""
    write(project / "scripts" / "steady.yaml", SCRIPT)
    tone_wav(project / "output" / "steady.wav", 20 * 60)
    return project / "output"


def video_caught_encoding(project: Path, output: Path) -> subprocess.Popen:
    video = cli("video", cwd=project)
    wait_for(lambda: any(p.stat().st_size > 0 for p in parts(output) if p.exists()))
    return video


# --- 8: a video stopped or killed --------------------------------------------------------------

@pytest.mark.slow    # a whole process, signalled or in a namespace: seconds each, out of `make fast`
@linux_only
@pytest.mark.parametrize("stop, status", [(signal.SIGTERM, 128 + signal.SIGTERM),
                                          (signal.SIGINT, 130)])
def test_a_video_stopped_while_encoding_stops_ffmpeg_and_leaves_nothing(project, long_track,
                                                                       stop, status):
    before = sorted(p.name for p in long_track.iterdir())
    video = video_caught_encoding(project, long_track)
    video.send_signal(stop)
    _, stderr = video.communicate(timeout=30)
    assert video.returncode == status, stderr
    assert "Traceback" not in stderr
    assert ffmpegs_writing_in(long_track) == []
    assert sorted(p.name for p in long_track.iterdir()) == before       # no partial MP4, no .part


@pytest.mark.slow    # a whole process, signalled or in a namespace: seconds each, out of `make fast`
@linux_only
@pytest.mark.parametrize("stop, said", [
    (signal.SIGINT, "stopped"), (signal.SIGTERM, "stopped by SIGTERM"), (signal.SIGHUP, "stopped by SIGHUP")])
def test_a_command_stopped_by_a_signal_says_so_as_ctrl_c_does(project, long_track, stop, said):
    """SIGTERM (a service manager, `kill`) and SIGHUP (a closed terminal) end a command with
    the line Ctrl-C gives, naming the signal, and the status a shell reports for it."""
    video = video_caught_encoding(project, long_track)
    video.send_signal(stop)
    _, stderr = video.communicate(timeout=30)
    assert video.returncode == (130 if stop == signal.SIGINT else 128 + stop), stderr
    assert stderr.strip().splitlines()[-1] == f"{said}; nothing half-written was left in output/"


@pytest.mark.slow    # a whole process, signalled or in a namespace: seconds each, out of `make fast`
@linux_only
def test_a_video_killed_outright_takes_its_ffmpeg_with_it_and_the_next_run_tidies_up(project,
                                                                                     long_track):
    video = video_caught_encoding(project, long_track)
    video.kill()                                     # SIGKILL: nothing in it can run
    video.wait()
    wait_for(lambda: ffmpegs_writing_in(long_track) == [], timeout=5)
    left = parts(long_track)
    assert left and not (long_track / "steady.mp4").exists()
    size = left[0].stat().st_size
    time.sleep(0.5)
    assert left[0].stat().st_size == size            # nothing writes it any more

    tone_wav(long_track / "steady.wav", 2)
    again = cli("video", cwd=project)
    _, stderr = again.communicate(timeout=120)
    assert again.returncode == 0, stderr
    assert parts(long_track) == []                   # the killed run's temporary is gone
    assert (long_track / "steady.mp4").is_file()


# --- a disk that fills while ffmpeg writes -------------------------------------------------------

def _small_disk_runner() -> list[str] | None:
    """`unshare` into a mount namespace of our own, where a 96 kB tmpfs can be mounted (as
    root, or through a user namespace); None where the system does not allow it."""
    unshare = shutil.which("unshare")
    if not unshare or not sys.platform.startswith("linux"):
        return None
    runner = [unshare, "--mount"] if os.geteuid() == 0 else [unshare, "--user", "--map-root-user", "--mount"]
    probe = subprocess.run([*runner, "sh", "-c", "mount -t tmpfs -o size=96k full /mnt 2>/dev/null || "
                            "mount -t tmpfs -o size=96k full /tmp"], capture_output=True)
    return runner if probe.returncode == 0 else None


@pytest.mark.slow    # a whole process, signalled or in a namespace: seconds each, out of `make fast`
def test_disk_full_while_encoding_is_one_line_and_leaves_nothing(project, tmp_path):
    """A real full disk: the output folder is a 96 kB tmpfs, mounted in a namespace of the
    test's own, and the 30-second MP3 does not fit."""
    runner = _small_disk_runner()
    if runner is None:
        pytest.skip("no mount namespace to put a small disk in here")
    write(project / "scripts" / "steady.yaml", SCRIPT)
    full = project / "full"
    full.mkdir()
    shell = ('mount -t tmpfs -o size=96k audio-builder-full "$0" || exit 99; '
             '"$@"; status=$?; ls -A "$0"; exit $status')
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    result = subprocess.run([*runner, "sh", "-c", shell, str(full), sys.executable, "-m", "audio_builder",
                             "build", "-q", "-o", "full", "--cache-dir", str(tmp_path / "cache")],
                            cwd=project, env=env, capture_output=True, text=True, timeout=300)
    assert result.returncode == 1, result.stderr          # as every disk-full error of the program
    assert "Traceback" not in result.stderr
    lines = result.stderr.strip().splitlines()
    assert lines == ["full/steady.mp3: the disk is full; free some space and run it again"], lines
    assert result.stdout.strip() == ""                    # `ls -A` of the disk: nothing left on it


# --- 11: the terminal `record` borrows ---------------------------------------------------------

RECORDED = """
title: A
voice: teacher
steps:
  - Breathe in, and breathe out.
  - Notice the body resting.
"""


@pytest.mark.slow    # a whole process, signalled or in a namespace: seconds each, out of `make fast`
@linux_only
@pytest.mark.parametrize("stop", [signal.SIGTERM, signal.SIGHUP])
def test_record_stopped_by_a_signal_gives_the_terminal_back(project, stop):
    """`record` at a terminal turns off echo and line editing to read single keys; stopped by
    a signal, it puts them back, as `play` does (they were left off: a shell without echo)."""
    import pty
    import termios
    import threading

    write(project / "voices" / "teacher.yaml", "engine: recorded\n")
    write(project / "scripts" / "a.yaml", RECORDED)
    tone_wav(project / "mic.wav", 60)
    controller, terminal = pty.openpty()
    before = termios.tcgetattr(terminal)
    assert before[3] & termios.ECHO and before[3] & termios.ICANON
    threading.Thread(target=_drain, args=(controller,), daemon=True).start()   # the screen
    env = {**os.environ, "PYTHONPATH": str(ROOT), "TERM": "xterm"}
    recording = subprocess.Popen([sys.executable, "-m", "audio_builder", "record", "scripts/a.yaml",
                                  "--input-file", "mic.wav"], cwd=project, env=env,
                                 stdin=terminal, stdout=terminal, stderr=terminal)
    try:
        wait_for(lambda: not termios.tcgetattr(terminal)[3] & termios.ECHO)     # keys read raw
        recording.send_signal(stop)
        assert recording.wait(timeout=30) == 128 + stop
        assert termios.tcgetattr(terminal) == before
        assert not list(project.glob("takes/teacher/*.wav")) and not list(project.glob("takes/*/.*.part"))
    finally:
        if recording.poll() is None:
            recording.kill()
            recording.wait()
        os.close(terminal)


def _drain(fd: int) -> None:
    try:
        while os.read(fd, 4096):
            pass
    except OSError:
        pass


# --- 13: a reading's bounds, and the import's progress ------------------------------------------

@pytest.fixture
def teacher(project) -> Path:
    write(project / "voices" / "teacher.yaml", "engine: recorded\n")
    write(project / "scripts" / "a.yaml", RECORDED)
    return project


def nothing_written(project: Path) -> bool:
    takes = project / "takes"
    return not takes.exists() or not [p for p in takes.rglob("*") if p.is_file() and p.name != "takes.yaml"]


def test_a_reading_whose_header_says_1_hz_is_refused_at_once(teacher):
    """A 200 kB WAV declaring 1 Hz is a reading of 28 hours: it kept `takes import` busy for
    hours. Refused by its header, before anything is decoded or heard."""
    from conftest import run

    tone_wav(teacher / "reading.wav", 100_000, rate=1)
    started = time.monotonic()
    result = run("takes", "import", "scripts/a.yaml", "reading.wav")
    assert time.monotonic() - started < 10
    assert result.exit_code == 2
    lines = [line for line in result.output.splitlines() if not line.startswith("listening to")]
    assert len(lines) == 1 and "Traceback" not in result.output, result.output
    assert lines[0].startswith("reading.wav: ")
    assert "1 Hz" in lines[0] and "8 kHz to 384 kHz" in lines[0]
    assert nothing_written(teacher)


def test_a_reading_longer_than_the_bound_is_refused_by_header_or_while_decoded(teacher, monkeypatch):
    """The bound (3 hours) made small: by the header of a WAV, and, where no header says
    (Matroska, which the header reader does not know), by counting what is decoded."""
    import subprocess as sp

    from conftest import run

    from audio_builder.own_voice import reading
    from audio_builder.sound.media import ffmpeg_exe

    monkeypatch.setattr(reading, "LONGEST_READING_MS", 3_000)
    tone_wav(teacher / "reading.wav", 8)
    sp.run([ffmpeg_exe(), "-v", "error", "-i", str(teacher / "reading.wav"), "-c:a", "pcm_s16le",
            str(teacher / "reading.mka")], check=True)
    for name, said in (("reading.wav", "(0.0 hours)"), ("reading.mka", "the most a reading")):
        result = run("takes", "import", "scripts/a.yaml", name)
        assert result.exit_code == 2, result.output
        lines = [line for line in result.output.splitlines() if not line.startswith("listening to")]
        assert len(lines) == 1 and lines[0].startswith(f"{name}: this reading is longer than 0 hours")
        assert said in lines[0]
        assert nothing_written(teacher)


def test_an_import_reports_how_far_it_has_heard(teacher):
    """Progress by the reading's seconds, of its length from the header (the command line
    draws it on the standard error, at a terminal only)."""
    import numpy as np

    from audio_builder import api
    from audio_builder.errors import InputError
    from audio_builder.own_voice.reading import WINDOW_S

    # 75 s of silence: no speech, no model loaded
    path = save_mono(teacher / "quiet.wav", np.zeros(75 * 16_000), 16_000)
    seen: list[tuple[str, int, int | None]] = []
    with pytest.raises(InputError, match="no speech found"):
        api.import_takes(teacher / "scripts" / "a.yaml", path,
                         progress=lambda *step: seen.append(step))
    assert seen[-1] == ("reading", 75, 75)
    assert [done for _, done, _ in seen] == sorted(done for _, done, _ in seen)
    assert len(seen) >= 75 // WINDOW_S


# --- 4: a take is judged in blocks, and never read past its bound -------------------------------

def _lying_take(folder: Path, hidden_s: int) -> Path:
    """An MP3 whose header (its Xing frame) says 5 s, followed by `hidden_s` more seconds of
    frames that every decoder plays: a take saved badly, or made to look short."""
    from audio_builder.sound.media import ffmpeg_exe
    from audio_builder.speech.takes import take_id

    def mp3(seconds: int, *extra: str) -> bytes:
        part = folder.parent / "part.mp3"             # a file, not a pipe: the Xing frame is written
        subprocess.run([ffmpeg_exe(), "-v", "error", "-y", "-f", "lavfi", "-i",
                        f"sine=f=220:d={seconds}:r=22050", "-af", "volume=0.5", "-ac", "1",
                        "-b:a", "32k", *extra, str(part)], check=True)
        data = part.read_bytes()
        part.unlink()
        return data

    path = folder / f"{take_id('Breathe in, and breathe out.')}.mp3"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(mp3(5) + mp3(hidden_s, "-write_xing", "0", "-id3v2_version", "0"))
    return path


def test_a_take_longer_than_its_header_says_is_refused_without_reading_it_whole(teacher):
    """Listing and checking judge a take in blocks and stop past what its line can take to say
    (12 s here). A 5-second header over minutes of audio was decoded whole and passed as a
    take of its whole length (an hour of it took 1.2 GB and 24 s to list); here a minute."""
    from conftest import run

    from audio_builder.speech import takes

    take = _lying_take(teacher / "takes" / "teacher", 60)
    decoded: list[int] = []
    levels = takes.frame_levels_db

    def counted(samples, rate):
        decoded.append(samples.shape[0])
        return levels(samples, rate)

    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(takes, "frame_levels_db", counted)
        listing = run("takes", "scripts/a.yaml")
    assert listing.exit_code == 0, listing.output
    assert f"{take.name}: this take is over 12 s long, longer than its line can take to say" \
        in listing.output
    assert "0 of 2 takes ready" in listing.output
    assert max(decoded) <= 22_050 and sum(decoded) < 22_050 * 16      # a second at a time, to 14 s

    checked = run("check", "scripts/a.yaml")
    assert checked.exit_code == 2
    assert "this take is over 12 s long" in checked.output and "Traceback" not in checked.output
    assert take.is_file()                                              # judged, not removed


def test_a_take_left_running_in_record_is_an_error_and_nothing_is_left(teacher):
    """A take never stopped: written to disk as it runs (not held), stopped at what its line can
    take to say, removed, and the session ends in one located line and exit status 2 (it said
    nothing, with status 0; before the bound, an hour of it was held: 2.6 GB)."""
    from conftest import run

    tone_wav(teacher / "mic.wav", 40)
    result = run("record", "scripts/a.yaml", "--input-file", "mic.wav", "--keys", "0.5:space")
    assert result.exit_code == 2, result.output
    assert "Traceback" not in result.output
    [error] = [line for line in result.output.splitlines() if not line.startswith("kept ")]
    assert error.startswith("scripts/a.yaml:4: line 1: not kept: over 12 s, longer than this line "
                            "can take to say"), error
    assert nothing_written(teacher)
    assert not list((teacher / "takes").rglob(".*.part"))
