"""An imported take's cut, seen and made again from new edges.

An import keeps each take's place in its reading (`takes.yaml`: the reading, kept once in the
takes folder, and the start and end of the cut). `cut_view` shows the reading around a take as
an envelope, the lowest and highest sample of each of `columns` equal stretches (a canvas
draws one column a pixel), computed block by block as the stretch is decoded, so memory stays
flat however long it is. `recut` cuts the take again from new edges as an import cuts it (the
reading's own samples, a 16-bit WAV at 44.1 kHz), then judges and listens back to it as every
take is (`one_take.keep_take`): a take that cannot be used, or that listening back finds
something wrong with that was not wrong with the take it replaces (a cut into a word), is
refused with why, and nothing is written.
"""

from __future__ import annotations

import tempfile
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from audio_builder.errors import InputError
from audio_builder.model import VoiceProfile
from audio_builder.own_voice.align import RATE
from audio_builder.own_voice.importer import TAKE_RATE
from audio_builder.own_voice.one_take import LineState, keep_take
from audio_builder.own_voice.pieces import Line
from audio_builder.own_voice.reading import decode_span, decode_stream
from audio_builder.own_voice.takes_index import READINGS, Listened
from audio_builder.sound.media import mono_wav
from audio_builder.speech.takes import MIN_SPEECH_MS, longest_take_ms

CONTEXT_MS = 3000            # the reading shown either side of the cut
FEWEST_COLUMNS, MOST_COLUMNS = 10, 4000
ENVELOPE_BLOCK_S = 1.0       # decoded and folded into the columns a second at a time


@dataclass(frozen=True)
class CutView:
    """A take's place in its reading, and the reading around it as an envelope: `low` and
    `high` hold the lowest and highest sample (-1..1) of each equal stretch of the view."""

    line: Line
    reading: Path
    start_ms: int                  # the cut: the take is the reading from here ...
    end_ms: int                    # ... to here
    view_start_ms: int             # the stretch of the reading shown
    view_end_ms: int
    low: tuple[float, ...] = ()
    high: tuple[float, ...] = ()


def place_of(state: LineState) -> tuple[Path, int, int]:
    """(the kept reading, start ms, end ms) of a line's take, or why there is none."""
    if state.cut is None:
        why = ("it has no take yet" if state.line.take is None else
               "its take was not cut from a reading kept in the takes folder (it was recorded, "
               "put there by hand, imported before readings were kept, or its reading was "
               "removed)")
        raise InputError(f"line {state.line.number} has no cut to show: {why}; import a reading "
                         "of it to see and move its cut")
    return state.cut


def cut_view(state: LineState, columns: int | None = None, context_ms: int = CONTEXT_MS) -> CutView:
    """Where the take of `state`'s line was cut, and (with `columns`) the reading from
    `context_ms` before the cut to `context_ms` after it as an envelope of that many columns."""
    reading, start, end = place_of(state)
    if columns is None:
        return CutView(state.line, reading, start, end, start, end)
    if isinstance(columns, bool) or not isinstance(columns, int) or not (
            FEWEST_COLUMNS <= columns <= MOST_COLUMNS):
        raise InputError(f"columns: give a whole number from {FEWEST_COLUMNS} to {MOST_COLUMNS}, "
                         f"not {columns!r}")
    view_start, view_end = max(0, start - context_ms), end + context_ms
    total = (view_end - view_start) * RATE // 1000
    blocks = decode_stream(reading, RATE, ENVELOPE_BLOCK_S, span_ms=(view_start, view_end))
    low, high, decoded = envelope(blocks, total, columns)
    shown = min(columns, -(-decoded * columns // total))     # the reading may end inside the view
    view_end = view_start + shown * (view_end - view_start) // columns
    return CutView(state.line, reading, start, end, view_start, view_end,
                   _rounded(low[:shown]), _rounded(high[:shown]))


def _rounded(values: np.ndarray) -> tuple[float, ...]:
    return tuple(np.round(values.astype(np.float64), 4).tolist())


def envelope(blocks: Iterable[np.ndarray], total: int, columns: int) -> tuple[np.ndarray, np.ndarray, int]:
    """The lowest and highest sample in each of `columns` equal parts of the first `total`
    samples of `blocks`, and how many samples there were (at most `total`). One block is held
    at a time."""
    low, high = np.zeros(columns, np.float32), np.zeros(columns, np.float32)
    position = 0
    for block in blocks:
        block = block[: max(0, total - position)]
        if not block.size:
            break
        column = np.arange(position, position + block.size, dtype=np.int64) * columns // total
        starts = np.flatnonzero(np.r_[True, column[1:] != column[:-1]])
        which = column[starts]
        low[which] = np.minimum(low[which], np.minimum.reduceat(block, starts))
        high[which] = np.maximum(high[which], np.maximum.reduceat(block, starts))
        position += block.size
    return low, high, position


def recut(state: LineState, profile: VoiceProfile, lines: list[Line], start_ms: int, end_ms: int,
          *, keep_flagged: bool = False) -> LineState:
    """Make the take of `state`'s line again from the reading it was cut from, from `start_ms`
    to `end_ms` of the reading, as an import makes it. Refused (`TakeError`, nothing written)
    when the take cannot be used, or listening back finds something wrong with it that was not
    wrong with the take it replaces (unless `keep_flagged`: then it is kept, flagged)."""
    reading, _, _ = place_of(state)
    line = state.line
    for name, value in (("start", start_ms), ("end", end_ms)):
        if isinstance(value, bool) or not isinstance(value, int) or value < 0:
            raise InputError(f"{name}: give a time in the reading in whole milliseconds, 0 or "
                             f"more, not {value!r}")
    longest = longest_take_ms(line.text)
    if not MIN_SPEECH_MS <= end_ms - start_ms <= longest:
        raise InputError(f"a take of line {line.number} runs from {MIN_SPEECH_MS / 1000:g} s to "
                         f"{longest / 1000:.0f} s; these edges make it {(end_ms - start_ms) / 1000:g} s")
    samples = decode_span(reading, TAKE_RATE, start_ms, end_ms)
    if samples.size < (end_ms - start_ms) * TAKE_RATE // 1000 - TAKE_RATE // 100:
        raise InputError(f"the reading ends at {start_ms / 1000 + samples.size / TAKE_RATE:.2f} s, "
                         f"before the end asked for ({end_ms / 1000:.2f} s)", reading)
    before = state.listened or Listened("ok", "")
    with tempfile.TemporaryDirectory(prefix="recut-") as folder:
        recording = Path(folder) / "take.wav"
        recording.write_bytes(mono_wav(samples, TAKE_RATE))
        return keep_take(recording, line, profile, lines,
                         cut_from=(f"{READINGS}/{reading.name}", start_ms, end_ms),
                         refuse_worse_than=None if keep_flagged else before)
