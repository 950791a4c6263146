"""A track's chapters in each form a client reads them: FFmpeg's metadata file (from which it
writes an MP4's chapter track), Vorbis `CHAPTERxx` comments (Ogg Opus, FLAC), and a chapter
list in a description, as Spotify and YouTube read it. ID3 CHAP/CTOC frames are in `tags`.

Pure functions: (start ms, title) pairs and the track's length in, text out.
"""

from __future__ import annotations

from collections.abc import Sequence

from audio_builder.durations import format_ms

Chapter = tuple[int, str]          # start in ms, title

# The description list that both Spotify and YouTube turn into chapters, the stricter of the
# two at each point: the first at 0:00, at least three, ascending, each at least 10 seconds
# (YouTube), titles under 40 characters (Spotify). See docs/publishing.md.
LISTED_MIN_MS = 10_000
LISTED_MIN_COUNT = 3
LISTED_TITLE_MAX = 39


def ffmetadata(chapters: Sequence[Chapter], length_ms: int, title: str | None = None) -> str:
    """FFmpeg's metadata file (`;FFMETADATA1`) with a `[CHAPTER]` for each chapter, in ms,
    each ending where the next starts and the last at `length_ms`."""
    lines = [";FFMETADATA1"]
    if title:
        lines.append(f"title={_escaped(title)}")
    for (start, name), end in _with_ends(chapters, length_ms):
        lines += ["[CHAPTER]", "TIMEBASE=1/1000", f"START={start}", f"END={end}",
                  f"title={_escaped(name)}"]
    return "\n".join(lines) + "\n"


def _escaped(text: str) -> str:
    """FFmpeg's metadata file escapes `=`, `;`, `#`, `\\` and newlines with a backslash."""
    out = "".join("\\" + c if c in "=;#\\" else c for c in text)
    return out.replace("\n", "\\\n")


def _with_ends(chapters: Sequence[Chapter], length_ms: int) -> list[tuple[Chapter, int]]:
    ordered = sorted((max(0, min(start, length_ms)), name) for start, name in chapters)
    ends = [start for start, _ in ordered[1:]] + [length_ms] * bool(ordered)
    return [(chapter, max(chapter[0], end)) for chapter, end in zip(ordered, ends, strict=True)]


def vorbis_comments(chapters: Sequence[Chapter]) -> dict[str, str]:
    """Vorbis chapter comments (the Matroska/Ogg "chapter extension"): `CHAPTER001` =
    `00:00:00.000` and `CHAPTER001NAME` = the title, numbered from 001 in time order."""
    comments = {}
    for number, (start, name) in enumerate(sorted(chapters), 1):
        key = f"CHAPTER{number:03d}"
        comments[key] = format_ms(max(0, start), hours=True)       # 00:02:03.450
        comments[key + "NAME"] = name
    return comments


def listed_chapters(chapters: Sequence[Chapter], length_ms: int) -> list[Chapter]:
    """The chapters a description can list so that Spotify and YouTube both accept the list:
    the first at 0:00; one shorter than 10 s merged into the one before (the first into the
    one after, which then starts at 0:00), so a short chapter, the last above all, never
    breaks the list;
    titles cut under 40 characters; none at all when fewer than three remain."""
    kept: list[Chapter] = []
    for start, name in sorted(chapters):
        if start >= length_ms:
            continue
        if kept and start - kept[-1][0] < LISTED_MIN_MS:     # the one before is too short:
            kept[-1] = (0 if len(kept) == 1 else start, name)  # merged into its neighbour
        else:
            kept.append((0 if not kept else start, name))
    while len(kept) > 1 and length_ms - kept[-1][0] < LISTED_MIN_MS:
        kept.pop()                                  # the last runs into the end: merged
    if len(kept) < LISTED_MIN_COUNT:
        return []
    return [(start, _short_title(name)) for start, name in kept]


def _short_title(title: str) -> str:
    title = " ".join(title.split())
    if len(title) <= LISTED_TITLE_MAX:
        return title
    return title[:LISTED_TITLE_MAX - 1].rstrip() + "…"


def listed_time(ms: int, length_ms: int) -> str:
    """`MM:SS`, or `HH:MM:SS` in a track of an hour or more, as the lists write them."""
    clock = format_ms(ms, hours=True, precise=False)            # 00:02:03
    return clock if length_ms >= 3_600_000 else clock[3:]


def description_block(chapters: Sequence[Chapter], length_ms: int) -> str:
    """The `(MM:SS) Title` lines for a description (empty when the chapters cannot make a
    list both Spotify and YouTube accept)."""
    return "\n".join(f"({listed_time(start, length_ms)}) {name}"
                     for start, name in listed_chapters(chapters, length_ms))
