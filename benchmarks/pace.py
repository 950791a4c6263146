"""Words per minute of built tracks, measured from their captions as a listener would.

    python benchmarks/pace.py [FOLDER_OR_VTT ...]        (default: output/)

- within sentences: the words of every cue over the time the cues span (a cue is one spoken
  piece, so phrase pauses count, and the silences between pieces do not);
- overall: the same words over the time the voice is speaking its passages: the cues plus the
  gaps between cues up to PASSAGE_GAP_MS (sentence, step and paragraph pauses), but not the
  practice's own longer silences.

Targets for the default voice: 140-165 within sentences, 110-130 overall.
"""

from __future__ import annotations

import re
import sys
from pathlib import Path

PASSAGE_GAP_MS = 2_500
_CUE = re.compile(r"(\d+):(\d\d):(\d\d)\.(\d{3}) --> (\d+):(\d\d):(\d\d)\.(\d{3})")
_WORD = re.compile(r"[\w’']+")


def _ms(h: str, m: str, s: str, ms: str) -> int:
    return ((int(h) * 60 + int(m)) * 60 + int(s)) * 1000 + int(ms)


def read_vtt(path: Path) -> list[tuple[int, int, str]]:
    """(start_ms, end_ms, text) of every cue."""
    cues: list[tuple[int, int, str]] = []
    lines = path.read_text(encoding="utf-8").splitlines()
    for index, line in enumerate(lines):
        match = _CUE.match(line)
        if match:
            text = []
            for following in lines[index + 1:]:
                if not following.strip():
                    break
                text.append(following)
            groups = match.groups()
            cues.append((_ms(*groups[:4]), _ms(*groups[4:]), " ".join(text)))
    return cues


def pace(cues: list[tuple[int, int, str]]) -> tuple[float, float, int]:
    """(words a minute within sentences, overall, words)."""
    words = sum(len(_WORD.findall(text)) for _, _, text in cues)
    spoken = sum(end - start for start, end, _ in cues)
    passages = spoken + sum(max(0, nxt[0] - cue[1]) for cue, nxt in zip(cues, cues[1:], strict=False)
                            if nxt[0] - cue[1] <= PASSAGE_GAP_MS)
    return words * 60_000 / spoken, words * 60_000 / passages, words


def main(arguments: list[str]) -> None:
    paths = [Path(a) for a in arguments] or [Path("output")]
    files = sorted(p for path in paths for p in ([path] if path.is_file() else path.glob("*.vtt")))
    print(f"{'track':<36} {'words':>6} {'within':>7} {'overall':>8}   (words a minute)")
    for file in files:
        within, overall, words = pace(read_vtt(file))
        print(f"{file.stem:<36} {words:>6} {within:>7.1f} {overall:>8.1f}")


if __name__ == "__main__":
    main(sys.argv[1:])
