"""Captions (WebVTT, SRT) and Podcasting 2.0 chapters JSON: pure text from a timeline."""

from __future__ import annotations

import html
import json
import re
import textwrap
from dataclasses import dataclass

from audio_builder.durations import format_ms
from audio_builder.timeline import Timeline

LINE_LENGTH = 65
SRT_LINE_LENGTH = 32         # the Podcasting 2.0 transcript guidance for SRT captions
SRT_LINES = 2


def caption_cues(timeline: Timeline, line_length: int = LINE_LENGTH) -> list[tuple[int, int, str]]:
    """A cue per spoken sentence, at its exact time, in lines of at most `line_length`."""
    return [(s.start_ms, s.end_ms, "\n".join(textwrap.wrap(s.utterance.text, line_length)))
            for s in sorted(timeline.speech, key=lambda s: s.start_ms)]


def to_vtt(timeline: Timeline) -> str:
    lines = ["WEBVTT", ""]
    for start, end, text in caption_cues(timeline):
        # WebVTT cue text is escaped like HTML: a spoken `-->` or `<` would end or break the cue.
        lines += [f"{format_ms(start, hours=True)} --> {format_ms(end, hours=True)}",
                  html.escape(text, quote=False), ""]
    return "\n".join(lines)


def srt_cues(timeline: Timeline) -> list[tuple[int, int, str]]:
    """The SRT's cues: lines of at most 32 characters, at most two to a cue (the Podcasting 2.0
    guidance). A longer sentence becomes several cues that share its time by their length."""
    cues = []
    for start, end, text in caption_cues(timeline, SRT_LINE_LENGTH):
        lines = text.split("\n")
        groups = ["\n".join(lines[i:i + SRT_LINES]) for i in range(0, len(lines), SRT_LINES)]
        total, done, at = sum(map(len, groups)), 0, start
        for group in groups:
            done += len(group)
            stop = start + (end - start) * done // total
            cues.append((at, stop, group))
            at = stop
    return cues


# SRT has no escapes, and its readers take markup from cue text: `<b>`, `<font>` (VLC, ffmpeg,
# so mpv), ASS overrides `{\an8}` and `\N` (ffmpeg's decoder: a caption moved or hidden), and a
# line holding `-->` may be read as a cue's times. So these are written as look-alikes no reader
# takes for markup: ‹ › for < > (no `-->` either), ∖ for a backslash, ❴ ❵ for braces. One
# character for one: the lines keep their length.
SRT_LOOKALIKES = str.maketrans({"<": "‹", ">": "›", "\\": "∖", "{": "❴", "}": "❵"})


def srt_text(text: str) -> str:
    r"""Cue text as an SRT reader shows it, never as markup or a cue's times.

    >>> srt_text('In --> out <b>now</b> {\\an8}')
    'In --› out ‹b›now‹/b› ❴∖an8❵'
    """
    return text.translate(SRT_LOOKALIKES)


def to_srt(timeline: Timeline) -> str:
    lines = []
    for number, (start, end, text) in enumerate(srt_cues(timeline), 1):
        lines += [str(number), f"{format_ms(start, hours=True, decimal=',')} --> "
                                f"{format_ms(end, hours=True, decimal=',')}", srt_text(text), ""]
    return "\n".join(lines)


@dataclass(frozen=True)
class Cue:
    start_ms: int
    end_ms: int
    text: str          # the cue's lines joined by spaces


_CUE_TIMES = re.compile(r"^(\d+):(\d\d):(\d\d)\.(\d{3}) --> (\d+):(\d\d):(\d\d)\.(\d{3})")


def read_vtt(text: str) -> list[Cue]:
    """The cues of a WebVTT file as `to_vtt` writes it (the page and the live player read it).
    One pass over the lines: 200,000 cues read in about a second, not minutes."""
    cues: list[Cue] = []
    lines = text.splitlines()
    index = 0
    while index < len(lines):
        match = _CUE_TIMES.match(lines[index])
        index += 1
        if not match:
            continue
        h1, m1, s1, ms1, h2, m2, s2, ms2 = map(int, match.groups())
        words = []
        while index < len(lines) and lines[index].strip():
            words.append(html.unescape(lines[index].strip()))
            index += 1
        cues.append(Cue(((h1 * 60 + m1) * 60 + s1) * 1000 + ms1,
                        ((h2 * 60 + m2) * 60 + s2) * 1000 + ms2, " ".join(words)))
    return cues


def to_chapters_json(timeline: Timeline) -> str:
    chapters = [{"startTime": round(c.start_ms / 1000, 3), "title": c.title}
                for c in sorted(timeline.chapters, key=lambda c: c.start_ms)]
    return json.dumps({"version": "1.2.0", "chapters": chapters}, indent=2, ensure_ascii=False) + "\n"
