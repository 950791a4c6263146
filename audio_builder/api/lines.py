"""One line at a time (what the studio does with a practice): how each line's take stands,
keeping a new recording of one line as its take, hearing one line, and seeing an imported
take's cut in its reading and making the take again from new edges."""

from __future__ import annotations

import functools
import os
import threading
from dataclasses import dataclass
from pathlib import Path

from audio_builder.api.boundary import api_boundary, as_folder, as_project
from audio_builder.api.takes import VoiceLines, voice_lines
from audio_builder.errors import InputError
from audio_builder.model import Utterance, VoiceProfile
from audio_builder.own_voice.cut import CONTEXT_MS, CutView, cut_view, recut
from audio_builder.own_voice.one_take import LineState, keep_take, line_state
from audio_builder.own_voice.pieces import Line
from audio_builder.sound.audio import SAMPLE_RATE
from audio_builder.sound.media import mono_wav
from audio_builder.speech.cache import SpeechCache
from audio_builder.speech.engines import is_recorded
from audio_builder.speech.synthesizer import Synthesizer, VoiceBook

PathLike = str | os.PathLike


@api_boundary
def line_states(script: PathLike, *, voice: str | None = None,
                length: str | int | float | None = None) -> tuple[VoiceLines, list[LineState]]:
    """Each line `voice` (default: the script's voice, a recorded one) speaks in `script`,
    in reading order (with `length`, in its track of that length), and how its take stands:
    recorded, missing, or flagged with why (it cannot be used, or listening back to it found
    something wrong)."""
    found = voice_lines(script, voice, length)
    keep = found.profile.breaths == "keep"
    return found, [line_state(line, keep) for line in found.lines]


@api_boundary
def keep_line_take(script: PathLike, number: int, recording: PathLike, *, voice: str | None = None,
                   length: str | int | float | None = None) -> LineState:
    """Keep `recording` (any audio file) as the take of line `number` (from 1, in reading
    order, as `takes` lists them), judged and listened back as every take is. A take that
    cannot be used (silent, clipped, too quiet, too short, longer than its line can take)
    raises `TakeError` saying why, and nothing is written; only that line's take changes."""
    found = voice_lines(script, voice, length)
    return keep_take(Path(recording), line_numbered(found.lines, number), found.profile, found.lines)


@api_boundary
def take_cut(script: PathLike, number: int, *, voice: str | None = None,
             length: str | int | float | None = None, columns: int | None = None,
             context_ms: int = CONTEXT_MS) -> CutView:
    """Where the take of line `number` was cut from the reading it was imported from (kept in
    the takes folder), and, with `columns`, the reading from `context_ms` before the cut to
    `context_ms` after it as a waveform envelope of that many columns (10 to 4000): the lowest
    and highest sample of each, for drawing. A take not cut from a kept reading raises
    `InputError` saying so."""
    if isinstance(context_ms, bool) or not isinstance(context_ms, int) or not 0 <= context_ms <= 60_000:
        raise InputError(f"context_ms: give whole milliseconds from 0 to 60000, not {context_ms!r}")
    _, state = _line_and_state(script, number, voice, length)
    return cut_view(state, columns, context_ms)


@api_boundary
def recut_take(script: PathLike, number: int, start_ms: int, end_ms: int, *,
               voice: str | None = None, length: str | int | float | None = None,
               keep_flagged: bool = False) -> LineState:
    """Make the take of line `number` again from the reading it was imported from, from
    `start_ms` to `end_ms` of the reading (see `take_cut` for where it is cut now), cut,
    judged and listened back as an import's takes are. A take that cannot be used, or that
    listening back finds something wrong with that was not wrong before (a cut into a word),
    raises `TakeError` saying why, and nothing is written; with `keep_flagged` the latter is
    kept, flagged. Only that line's take changes."""
    found, state = _line_and_state(script, number, voice, length)
    return recut(state, found.profile, found.lines, start_ms, end_ms, keep_flagged=keep_flagged)


def _line_and_state(script: PathLike, number: int, voice: str | None,
                    length: str | int | float | None) -> tuple[VoiceLines, LineState]:
    found = voice_lines(script, voice, length)
    line = line_numbered(found.lines, number)
    return found, line_state(line, found.profile.breaths == "keep")


@dataclass(frozen=True)
class LineAudio:
    """What to play for a line: its take's file, or the synthetic voice's WAV bytes."""

    take: Path | None
    wav: bytes | None
    voice: str                      # who speaks it


@api_boundary
def hear_line(script: PathLike, number: int, *, voice: str | None = None,
              length: str | int | float | None = None, cache_dir: PathLike | None = None) -> LineAudio:
    """Line `number` of `voice`'s lines: its take when it has a usable one, else the line in
    the synthetic voice (the recorded voice's fallback, else `default`), spoken through the
    speech cache the builds use (`cache_dir`, default the user's), so the second time it is
    read, not spoken."""
    cache = as_folder(cache_dir, "cache_dir")
    found, state = _line_and_state(script, number, voice, length)
    line = state.line
    if state.take_ms is not None and line.take is not None:
        return LineAudio(line.take, None, found.profile.name)
    project = as_project(Path(script))
    speaker = found.profile.fallback or "default"
    return LineAudio(None, spoken_wav(project.profiles, line.text, speaker, cache), speaker)


def spoken_wav(profiles, text: str, voice: str, cache_dir: PathLike | None = None) -> bytes:
    """`text` in the synthetic `voice`, as a WAV file's bytes, through the speech cache."""
    if is_recorded(profiles.get(voice)):
        raise InputError(f"{voice!r} is a recorded voice; give a synthetic one to speak a line")
    cache = SpeechCache(Path(cache_dir) if cache_dir else None)
    book = _voice_book(tuple(sorted(profiles.items())))
    # One line at a time per loaded voice: an engine is not safe to share between threads (a
    # piper voice seeds its noise for the words it is given, then speaks them).
    with _speaking(book), cache.in_use():
        samples = Synthesizer(book, cache).samples(Utterance(text, voice))
    return mono_wav(samples, SAMPLE_RATE)


def warm_voice(profiles, voice: str) -> None:
    """Load the synthetic `voice` and have it speak once, so the first line heard does not
    wait for it (a neural voice takes about 1 s of CPU to load: the first line heard in the
    studio took 10 s on a loaded machine, the next ones 2.5; benchmarks/studio.py)."""
    if is_recorded(profiles.get(voice)):
        return
    book = _voice_book(tuple(sorted(profiles.items())))
    with _speaking(book):
        book.engine(voice).synthesize("Ready.", 1.0)


@functools.lru_cache(maxsize=4)
def _speaking(book: VoiceBook) -> threading.Lock:
    return threading.Lock()


@functools.lru_cache(maxsize=4)
def _voice_book(profiles: tuple[tuple[str, VoiceProfile], ...]) -> VoiceBook:
    """One book (and so one loaded engine) per set of voice profiles: loading the neural
    voice takes about 1 s, which every line heard in the studio paid before
    (benchmarks/studio.py)."""
    return VoiceBook(dict(profiles))


def line_numbered(lines: list[Line], number: int) -> Line:
    """The line numbered `number` (from 1, in reading order)."""
    if isinstance(number, bool) or not isinstance(number, int) or not 1 <= number <= len(lines):
        raise InputError(f"there is no line {number!r}: give a number from 1 to {len(lines)}, "
                         "as `audio-builder takes` lists them")
    return lines[number - 1]
