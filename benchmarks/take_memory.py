"""Peak memory of the paths that read or write a take, on hour-long inputs (Linux):

- `takes` listing a take whose MP3 header says 5 s over an hour of audio (judged in blocks,
  stopped past its line's bound);
- `record` with an hour's input file and a take never stopped (written to disk as it comes,
  stopped at its line's bound, an error).

    python benchmarks/take_memory.py

Prints the process tree's peak memory (sampled by `peak_memory.py`), the time, the exit status
and the command's last line for each. Takes about a minute (most of it making the inputs).
"""

from __future__ import annotations

import subprocess
import sys
import tempfile
import wave
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))
from peak_memory import measure  # noqa: E402

from audio_builder.sound.media import ffmpeg_exe  # noqa: E402
from audio_builder.speech.takes import take_id  # noqa: E402

LINE = "Breathe in, and breathe out."
SCRIPT = f"title: A\nvoice: teacher\nsteps:\n  - {LINE}\n"
HOUR_S = 3600


def mp3(path: Path, seconds: int, *extra: str) -> bytes:
    subprocess.run([ffmpeg_exe(), "-v", "error", "-y", "-f", "lavfi", "-i",
                    f"sine=f=220:d={seconds}:r=22050", "-af", "volume=0.5", "-ac", "1", "-b:a", "32k",
                    *extra, str(path)], check=True)
    return path.read_bytes()


def project(root: Path) -> Path:
    (root / "scripts").mkdir(parents=True)
    (root / "voices").mkdir()
    (root / "voices" / "teacher.yaml").write_text("engine: recorded\n")
    (root / "scripts" / "a.yaml").write_text(SCRIPT)
    return root


def report(name: str, command: list[str], cwd: Path) -> None:
    run = measure(command, cwd=cwd)
    last = (run.stderr.strip() or run.stdout.strip()).splitlines()[-1:]
    print(f"{name}: peak {run.peak_mb:.0f} MB, {run.seconds:.1f} s, exit {run.returncode}")
    print(f"    {last[0][:150] if last else ''}")


def main() -> None:
    exe = [sys.executable, "-m", "audio_builder"]
    with tempfile.TemporaryDirectory() as scratch:
        root = project(Path(scratch) / "p")
        takes = root / "takes" / "teacher"
        takes.mkdir(parents=True)
        short = mp3(Path(scratch) / "short.mp3", 5)
        hidden = mp3(Path(scratch) / "long.mp3", HOUR_S, "-write_xing", "0", "-id3v2_version", "0")
        (takes / f"{take_id(LINE)}.mp3").write_bytes(short + hidden)
        report("takes, a 5 s header over an hour", [*exe, "takes", "scripts/a.yaml"], root)
        report("check, the same take", [*exe, "check", "scripts/a.yaml"], root)

        (takes / f"{take_id(LINE)}.mp3").unlink()
        rate = 8000
        with wave.open(str(root / "hour.wav"), "wb") as file:
            file.setnchannels(1)
            file.setsampwidth(2)
            file.setframerate(rate)
            noise = np.random.default_rng(2).standard_normal(rate * 60) * 3000
            minute = noise.astype("<i2").tobytes()
            for _ in range(HOUR_S // 60):
                file.writeframes(minute)
        report("record, an hour's input, a take never stopped",
               [*exe, "record", "scripts/a.yaml", "--input-file", "hour.wav", "--keys", "0.5:space"],
               root)


if __name__ == "__main__":
    main()
