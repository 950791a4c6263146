"""What a 10-minute video costs against the audio encode it starts from.

    python benchmarks/video.py

Builds a 10-minute practice (tones voice, a background) as MP3, then times, interleaved over
three rounds: (a) a bare ffmpeg encode of 10 minutes of 44.1 kHz stereo to MP3 at 128 kbps
(the audio encode), and (b) `audio-builder video` on the built track (a 1280x720 picture at
24 frames a second, H.264 High with a keyframe every 4 s, one group of pictures encoded and
repeated; the audio encoded to AAC-LC at 48 kHz). Reports CPU seconds (user + system, of the
child processes: fair on a shared machine), the median of the per-round ratios b/a, and the
files' sizes.
Target: the video costs at most a few times the audio encode (ratio <= 2).
"""

from __future__ import annotations

import resource
import statistics
import subprocess
import sys
import tempfile
from pathlib import Path

SCRIPT = """title: Ten Minutes
description: A ten-minute practice, to measure what its video costs.
length: 10m
background: rain
steps:
  - chapter: Arriving
  - Find a comfortable position, and let your eyes close if that feels right.
  - pause: 30s..
  - chapter: Breath
  - Let your attention come to the breath.
  - pause: 30s..
  - chapter: Kindness
  - May I be kind to myself.
  - pause: 30s..
  - chapter: Closing
  - at: -40s
  - When you are ready, gently open your eyes.
  - pause: 10s..
"""


def cli(folder: Path, *args: str) -> None:
    subprocess.run([sys.executable, "-m", "audio_builder", *args], cwd=folder, check=True,
                   capture_output=True)


def cpu_seconds() -> float:
    """CPU time of finished child processes: fair on a busy machine, unlike the wall clock."""
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def bare_encode(folder: Path) -> float:
    from audio_builder.sound.media import ffmpeg_exe

    start = cpu_seconds()
    subprocess.run([ffmpeg_exe(), "-v", "error", "-y", "-f", "lavfi", "-i",
                    "anoisesrc=d=600:c=pink:r=44100:a=0.1", "-ac", "2", "-c:a", "libmp3lame",
                    "-b:a", "128k", str(folder / "bare.mp3")], check=True)
    return cpu_seconds() - start


def video(folder: Path) -> float:
    start = cpu_seconds()
    cli(folder, "video")            # the whole command, Python's start-up included
    return cpu_seconds() - start


def main() -> None:
    with tempfile.TemporaryDirectory() as scratch:
        folder = Path(scratch)
        (folder / "scripts").mkdir()
        (folder / "voices").mkdir()
        (folder / "voices" / "default.yaml").write_text("engine: tones\n")
        (folder / "scripts" / "ten.yaml").write_text(SCRIPT)
        cli(folder, "build", "--quiet")
        ratios, audio_times, video_times = [], [], []
        for _ in range(3):
            a, b = bare_encode(folder), video(folder)
            audio_times.append(a)
            video_times.append(b)
            ratios.append(b / a)
        mp3, mp4 = folder / "output" / "ten.mp3", folder / "output" / "ten.mp4"
        print(f"audio encode (10 min, MP3 128k): median {statistics.median(audio_times):.2f} s CPU")
        print(f"video of the built track:        median {statistics.median(video_times):.2f} s CPU")
        print(f"ratio video/audio encode (median of rounds): {statistics.median(ratios):.2f}")
        print(f"sizes: MP3 {mp3.stat().st_size / 1e6:.2f} MB, MP4 {mp4.stat().st_size / 1e6:.2f} MB")


if __name__ == "__main__":
    main()
