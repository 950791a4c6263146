"""`takes import`: one whole reading in, one take per line out."""

from __future__ import annotations

from collections.abc import Callable, Collection, Sequence
from contextlib import ExitStack
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from audio_builder.files import temporary_beside
from audio_builder.model import VoiceProfile
from audio_builder.own_voice.align import Found, hear, locate
from audio_builder.own_voice.pieces import Line, index_lines, takes_folder
from audio_builder.own_voice.reading import decode_stream
from audio_builder.speech.takes import EXTENSIONS

TAKE_RATE = 44_100
PAD_MS = 300             # room kept around the speech in the file; the cleaning trims it


@dataclass(frozen=True)
class ImportRow:
    line: Line
    found: Found | None
    written: bool            # False: found, but a take was already there (no --replace)
    listen: tuple[int, int] | None = None     # for a missing line: where to listen for it


@dataclass(frozen=True)
class ImportReport:
    rows: tuple[ImportRow, ...]
    length_ms: int

    @property
    def missing(self) -> list[ImportRow]:
        return [row for row in self.rows if row.found is None]


def import_reading(reading: Path, profile: VoiceProfile, lines: list[Line], *,
                   fill: Collection[str] | None = None,
                   progress: Callable[[int], None] | None = None) -> ImportReport:
    """Find `lines` in the reading and write the takes of those asked for: `fill` holds their
    ids (default: the lines with no take yet). The report has a row for each line asked for
    only, so a pickup reading lists just the lines it was read to fill."""
    asked = set(fill) if fill is not None else {line.id for line in lines if line.take is None}
    heard = hear(reading, progress)
    found = locate([line.text for line in lines], heard)
    wanted = [(line, spot) for line, spot in zip(lines, found, strict=True)
              if spot is not None and line.id in asked]
    folder = takes_folder(profile)
    folder.mkdir(parents=True, exist_ok=True)
    spans = sorted((spot.start_ms, spot.end_ms) for spot in found if spot is not None)
    cut_takes(reading, [(folder / f"{line.id}.wav", _padded(spot, spans, heard.length_ms))
                        for line, spot in wanted])
    written = {line.id for line, _ in wanted}
    rows = [ImportRow(line, spot, line.id in written, None if spot else _listen(index, found,
                                                                               heard.length_ms))
            for index, (line, spot) in enumerate(zip(lines, found, strict=True)) if line.id in asked]
    index_lines(profile, lines)
    return ImportReport(tuple(rows), heard.length_ms)


def _padded(spot: Found, spans: list[tuple[int, int]], length_ms: int) -> tuple[int, int]:
    """The speech with up to PAD_MS either side, never past halfway to the next line."""
    before = max((end for start, end in spans if end <= spot.start_ms), default=0)
    after = min((start for start, end in spans if start >= spot.end_ms), default=length_ms)
    return (max(spot.start_ms - PAD_MS, (before + spot.start_ms) // 2),
            min(spot.end_ms + PAD_MS, (spot.end_ms + after) // 2))


def _listen(index: int, found: Sequence[Found | None], length_ms: int) -> tuple[int, int]:
    before = next((f.end_ms for f in reversed(found[:index]) if f is not None), 0)
    after = next((f.start_ms for f in found[index + 1:] if f is not None), length_ms)
    return before, after


def cut_takes(reading: Path, cuts: list[tuple[Path, tuple[int, int]]]) -> None:
    """Write each (file, (start, end)) of `reading` as a WAV, in one pass through the reading;
    each take is written whole, then moved into place."""
    from pydub import AudioSegment

    pending = sorted(cuts, key=lambda cut: cut[1][0])
    if not pending:
        return
    position = 0                           # samples of the reading passed so far
    current: list[np.ndarray] = []
    for block in decode_stream(reading, TAKE_RATE):
        block_end = position + block.size
        while pending:
            path, (start_ms, end_ms) = pending[0]
            start, end = start_ms * TAKE_RATE // 1000, end_ms * TAKE_RATE // 1000
            if start >= block_end:
                break
            current.append(block[max(0, start - position):max(0, min(end, block_end) - position)])
            if end > block_end:
                break
            samples = np.concatenate(current)
            current = []
            pending.pop(0)
            pcm = (np.clip(samples, -1, 1) * 32767).astype("<i2").tobytes()
            _write_take(path, AudioSegment(data=pcm, sample_width=2, frame_rate=TAKE_RATE, channels=1))
        position = block_end


def _write_take(path: Path, segment) -> None:
    with ExitStack() as cleanup:
        temporary = temporary_beside(path, cleanup)
        segment.export(str(temporary), format="wav")
        for other in EXTENSIONS:                    # an older take of the line in another format
            path.with_suffix(other).unlink(missing_ok=True)
        temporary.replace(path)
