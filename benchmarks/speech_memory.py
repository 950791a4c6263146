"""Peak memory of speaking one very long sentence, and the system voice's reliability.

    python benchmarks/speech_memory.py [--words 400] [--engine piper] [--repeat 10]

Speaks a sentence of N words (no punctuation inside it, the worst case) through the
synthesizer in a fresh child process, and prints the child's peak resident memory. Target
for piper: under 600 MB at 400 words (it used to grow about 9 MB a word: 3.6 GB).
With --engine pyttsx3 --repeat 10 it also counts failures over repeated 36-word sentences
(the old pyttsx3 path failed 8 of 10).
"""

from __future__ import annotations

import argparse
import resource
import subprocess
import sys

CHILD = """
import sys
from audio_builder.model import Utterance, VoiceProfile
from audio_builder.speech.synthesizer import Synthesizer, VoiceBook
words, engine = int(sys.argv[1]), sys.argv[2]
text = " ".join(["breathe", "softly", "and", "notice", "the", "calm"] * (words // 6 + 1))
text = " ".join(text.split()[:words]) + "."
synthesizer = Synthesizer(VoiceBook({"v": VoiceProfile(name="v", engine=engine)}))
print(synthesizer.length_ms(Utterance(text, "v", 0.6)))
"""


def peak_mb(words: int, engine: str) -> tuple[float, str]:
    result = subprocess.run([sys.executable, "-c", CHILD, str(words), engine],
                            capture_output=True, text=True, check=False)
    peak = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024
    outcome = result.stdout.strip() if result.returncode == 0 else f"failed: {result.stderr[-200:]}"
    return peak, outcome


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--words", type=int, default=400)
    parser.add_argument("--engine", default="piper")
    parser.add_argument("--repeat", type=int, default=0)
    args = parser.parse_args()
    peak, outcome = peak_mb(args.words, args.engine)
    print(f"{args.engine}: a {args.words}-word sentence: peak {peak:.0f} MB (target < 600); "
          f"length {outcome} ms")
    if args.repeat:
        failures = sum(not peak_mb(36, args.engine)[1].isdigit() for _ in range(args.repeat))
        print(f"{args.engine}: 36-word sentences: {failures} of {args.repeat} failed")


if __name__ == "__main__":
    main()
