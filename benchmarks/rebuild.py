"""A 20-minute practice with about 40 spoken lines: first build, a rebuild after changing one
line, and a rebuild with nothing changed, against a bare ffmpeg encode of 20 minutes.

    python benchmarks/rebuild.py

Target: the one-line rebuild speaks exactly 1 piece and takes at most 1.5 times the bare
encode, measured in the same run.
"""

from __future__ import annotations

import re
import subprocess
import sys
import tempfile
import time
from pathlib import Path

LINES = [
    "Find a comfortable position, and let your eyes close if that feels right.",
    "Let your attention come to the breath.", "Notice the body resting where it is.",
    "There is nothing you need to do right now.", "If the mind wanders, gently come back.",
    "Bring to mind something that is difficult for you.", "Notice where you feel it in the body.",
    "This is a moment of suffering.", "Suffering is a part of life.", "You are not alone in this.",
    "Place a gentle hand on your chest.", "Feel the warmth of your own hand.",
    "May I be kind to myself.", "May I give myself the compassion I need.",
    "What would you say to a good friend who felt this way?",
    "Can you offer that same kindness to yourself?", "Whatever is here is welcome.",
    "Let each breath be a small kindness.", "Rest here, just as you are.",
    "When you are ready, gently open your eyes.",
]


def script(changed: bool) -> str:
    lines = ["title: Twenty Minutes", "length: 20m", "background: rain", "steps:", "  - bell: 2"]
    for index in range(40):
        text = ("And once more, " if index >= len(LINES) else "") + LINES[index % len(LINES)]
        if changed and index == 17:
            text = "Let each breath be a small and gentle kindness."
        if index % 10 == 0:
            lines.append(f"  - chapter: Part {index // 10 + 1}")
        lines += [f"  - \"{text}\"", "  - pause: 10s.."]
    lines.append("  - bell: 1")
    return "\n".join(lines) + "\n"


def build(folder: Path) -> tuple[float, str]:
    started = time.perf_counter()
    result = subprocess.run([sys.executable, "-m", "audio_builder", "build", "--cache-dir",
                             str(folder / "cache")], cwd=folder, capture_output=True, text=True,
                            check=True)
    return time.perf_counter() - started, result.stdout.strip().splitlines()[-1]


def main() -> None:
    from audio_builder.sound.media import ffmpeg_exe

    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        (folder / "scripts").mkdir()
        path = folder / "scripts" / "twenty.yaml"
        path.write_text(script(changed=False))
        first, first_summary = build(folder)
        path.write_text(script(changed=True))
        one_line, one_summary = build(folder)
        unchanged, same_summary = build(folder)
        subprocess.run([ffmpeg_exe(), "-v", "error", "-y", "-i", str(folder / "output" / "twenty.mp3"),
                        "-f", "f32le", "-ac", "2", "-ar", "44100", str(folder / "same.f32")], check=True)
        started = time.perf_counter()
        subprocess.run([ffmpeg_exe(), "-v", "error", "-y", "-f", "f32le", "-ar", "44100", "-ac", "2",
                        "-i", str(folder / "same.f32"), "-c:a", "libmp3lame", "-b:a", "128k",
                        str(folder / "bare.mp3")], check=True)
        bare = time.perf_counter() - started
    spoken = re.search(r"(\d+) spoken", one_summary).group(1)
    print(f"first build:               {first:6.1f} s  ({first_summary})")
    print(f"rebuild, one line changed: {one_line:6.1f} s  ({one_summary})")
    print(f"rebuild, nothing changed:  {unchanged:6.1f} s  ({same_summary})")
    print(f"bare ffmpeg encode of the same 20 minutes: {bare:.1f} s")
    print(f"one-line rebuild = {one_line / bare:.2f} x the bare encode (target <= 1.5); "
          f"pieces spoken: {spoken} (target 1)")


if __name__ == "__main__":
    main()
