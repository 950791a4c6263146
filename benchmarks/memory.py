"""Peak memory (the whole process tree: the program, its workers and ffmpeg) for inputs far
bigger than a usual practice. Every input is generated here; nothing is downloaded.

    python benchmarks/memory.py [--only NAME] [--engine tones]

Cases and targets:
- `sentence`: one sentence of 400 words, no punctuation, in the default voice (target: under
  600 MB; `speech_memory.py` measures other lengths and the system voice);
- `background`: a one-hour FLAC as the background of a two-minute practice (under 400 MB);
- `sound`: the same hour as a `sound` step, so the track is an hour long (no target in the
  issue; before streaming it took 4.9 GB);
- `three-hours`: a 3-hour practice with a background and about 300 spoken pieces
  (under 300 MB);
- `script`: `check` of the largest script file accepted (1 MB), and of a 50 MB one (refused).
For all but `sentence`, the speech is spoken and cached by a first build that is not
measured: the figure is the build that mixes, masters and encodes.
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from peak_memory import measure  # noqa: E402

ROOT = Path(__file__).resolve().parent.parent
WORDS = ("breathe in slowly and let the body soften as the breath goes out again while the mind "
         "rests kindly on each small sensation that comes and goes").split()


VOCABULARY = sorted(set(WORDS) | set(
    "gently warm light open quiet steady heart hands shoulders belly chest feet ground air "
    "water sound space kind patient curious tender strong soft easy still present here now "
    "noticing feeling sensing allowing welcoming resting holding releasing softening "
    "listening moving settling arriving returning beginning ending morning evening river "
    "mountain tree leaf sky cloud sun moon rain field garden path home friend child teacher "
    "moment day year life love care ease peace calm joy grief fear hope trust".split()))


def sentence(words: int) -> str:
    return " ".join(WORDS[i % len(WORDS)] for i in range(words)).capitalize() + "."


def run_on_sentence(words: int) -> str:
    """`words` words drawn from a small vocabulary, never repeating a stretch (so a long
    sentence's pieces all differ, as in real text), with no punctuation until the end."""
    import random

    chooser = random.Random(words)
    return " ".join(chooser.choice(VOCABULARY) for _ in range(words)).capitalize() + "."


def hour_of_sound(path: Path, seconds: int = 3600) -> Path:
    """A tone over soft noise, stereo FLAC, made by ffmpeg."""
    sys.path.insert(0, str(ROOT))
    from audio_builder.sound.media import ffmpeg_exe

    if not path.exists():
        subprocess.run([ffmpeg_exe(), "-v", "error", "-y", "-f", "lavfi", "-i",
                        f"sine=f=220:d={seconds},volume=0.3", "-f", "lavfi", "-i",
                        f"anoisesrc=d={seconds}:c=brown:a=0.05", "-filter_complex",
                        "amix=inputs=2", "-ac", "2", "-ar", "44100", str(path)], check=True)
    return path


def three_hour_script() -> str:
    lines = ["title: Three Hours", "length: 3h", "background: rain", "steps:"]
    for index in range(300):
        if index % 30 == 0:
            lines += [f"  - chapter: Part {index // 30 + 1}", "  - bell: 1"]
        lines += [f"  - {sentence(8 + index % 7)[:-1]}, number {index}.", "  - pause: 5s.."]
    return "\n".join(lines) + "\n"


def cases(work: Path) -> dict[str, tuple[str, list[str], bool]]:
    """name: (script text, command, warm the speech cache first)."""
    flac = "../sounds/hour.flac"                 # a link to one generated hour, in each project
    return {
        "sentence": ("title: One Long Sentence\nsteps:\n  - " + run_on_sentence(400) + "\n",
                     ["build", "-q", "scripts/case.yaml"], False),
        "background": (f"title: Under an Hour of Sound\nlength: 2m\nbackground: {flac}\nsteps:\n"
                       "  - Breathe in, and breathe out.\n  - pause: 10s..\n"
                       "  - Notice the body resting.\n",
                       ["build", "-q", "scripts/case.yaml"], True),
        "sound": (f"title: An Hour of Sound\nsteps:\n  - Listen.\n  - sound: {flac}\n"
                  "  - And return.\n", ["build", "-q", "scripts/case.yaml"], True),
        "three-hours": (three_hour_script(), ["build", "-q", "scripts/case.yaml"], True),
        "script": ("title: Big\nsteps:\n" + ("  - " + sentence(12) + "\n") * 11_500,
                   ["check", "scripts/case.yaml"], False),
        "script-50mb": ("title: Huge\nsteps:\n" + ("  - " + sentence(12) + "\n") * 600_000,
                        ["check", "scripts/case.yaml"], False),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--only", action="append", help="run only this case (repeat)")
    parser.add_argument("--engine", help="voice engine of the default profile (default: "
                                         "the built-in default voice)")
    parser.add_argument("--work", type=Path, help="keep inputs here (default: a temporary folder)")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as temporary:
        work = args.work or Path(temporary)
        work.mkdir(parents=True, exist_ok=True)
        env = {**os.environ, "PYTHONPATH": str(ROOT), "AUDIO_BUILDER_CACHE": str(work / "cache")}
        for name, (text, command, warm) in cases(work).items():
            if args.only and name not in args.only:
                continue
            project = work / name
            (project / "scripts").mkdir(parents=True, exist_ok=True)
            (project / "scripts" / "case.yaml").write_text(text, encoding="utf-8")
            if "hour.flac" in text and not (project / "sounds").exists():
                (project / "sounds").mkdir()
                os.link(hour_of_sound(work / "hour.flac"), project / "sounds" / "hour.flac")
            if args.engine:
                (project / "voices").mkdir(exist_ok=True)
                (project / "voices" / "default.yaml").write_text(f"engine: {args.engine}\n")
            program = [sys.executable, "-m", "audio_builder", *command]
            if warm:
                subprocess.run(program, cwd=project, env=env, capture_output=True, check=True)
                (project / "output" / "case.mp3").unlink()
            run = measure(program, cwd=project, env=env)
            size = (project / "scripts" / "case.yaml").stat().st_size / 1e6
            outcome = run.stdout.strip().splitlines()[-1:] or run.stderr.strip().splitlines()[-1:]
            print(f"{name:<12} peak {run.peak_mb:6.0f} MB  {run.seconds:6.1f} s  exit {run.returncode}"
                  f"  (script {size:.2f} MB) {outcome[0][:110] if outcome else ''}", flush=True)


if __name__ == "__main__":
    main()
