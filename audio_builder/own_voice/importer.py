"""`takes import`: one whole reading in, one take per line out, each listened back.

The reading is heard once (`align.hear`), each line found and cut at its word edges
(`align.locate`), the takes written in one pass through the reading, and each take heard
again by the recognizer and compared with its line (`listening`): the report says `ok` or
what is wrong for every line, worst first, with where in the reading to listen; the verdicts
are kept in the takes' index, for `check` and `build`."""

from __future__ import annotations

import functools
from collections.abc import Callable, Collection, Sequence
from contextlib import ExitStack
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from audio_builder.files import temporary_beside
from audio_builder.model import VoiceProfile
from audio_builder.own_voice.align import RATE, Found, Word, hear, locate, transcribe
from audio_builder.own_voice.listening import (
    LISTEN_MS,
    Verdict,
    compare_take,
    listen,
    sounding_edges,
)
from audio_builder.own_voice.pieces import Line, index_lines, takes_folder
from audio_builder.own_voice.reading import decode_span, decode_stream
from audio_builder.own_voice.takes_index import keep_reading, record_verdicts
from audio_builder.sound.audio import resample
from audio_builder.speech.takes import EXTENSIONS, content_digest

TAKE_RATE = 44_100
PAD_MS = 300             # room kept around the speech in the file; the cleaning trims it


@dataclass(frozen=True)
class ImportRow:
    line: Line
    found: Found | None
    written: bool            # False: found, but a take was already there (no --replace)
    listen: tuple[int, int] | None = None     # for a missing line: where to listen for it
    verdict: Verdict | None = None            # the take written, listened back

    @property
    def badness(self) -> int:
        """For sorting the report, worst first: not found, too long to cut, then what
        listening back found."""
        if self.found is None:
            return 1_000_000
        if not self.found.fits:
            return 100_000
        return self.verdict.badness if self.verdict else 0

    @property
    def needs_listening(self) -> bool:
        return self.badness > 0

    @property
    def listen_at_ms(self) -> int:
        """Where in the reading to listen to this line."""
        if self.found is None:
            return (self.listen or (0, 0))[0]
        return max(0, self.found.start_ms - 1000)


@dataclass(frozen=True)
class ImportReport:
    rows: tuple[ImportRow, ...]      # in reading order
    length_ms: int

    @property
    def missing(self) -> list[ImportRow]:
        return [row for row in self.rows if row.found is None]

    @property
    def worst_first(self) -> list[ImportRow]:
        return sorted(self.rows, key=lambda row: (-row.badness, row.found.sureness if row.found
                                                  else 0.0, row.line.number))

    @property
    def flagged(self) -> list[ImportRow]:
        return [row for row in self.rows if row.found is not None and row.needs_listening]


def import_reading(reading: Path, profile: VoiceProfile, lines: list[Line], *,
                   fill: Collection[str] | None = None,
                   progress: Callable[[int], None] | None = None,
                   language: str | None = None) -> ImportReport:
    """Find `lines` in the reading (in `language`, default the lines' own, else English) and
    write the takes of those asked for: `fill` holds their ids (default: the lines with no
    take yet). The report has a row for each line asked for
    only, so a pickup reading lists just the lines it was read to fill."""
    asked = set(fill) if fill is not None else {line.id for line in lines if line.take is None}
    language = language or next((line.language for line in lines if line.language), None)
    heard = hear(reading, progress, language)
    found = locate([line.text for line in lines], heard,
                   lambda start, end, prompt: relisten(reading, start, end, prompt, language))
    wanted = [(line, spot) for line, spot in zip(lines, found, strict=True)
              if spot is not None and spot.fits and line.id in asked]
    folder = takes_folder(profile)
    folder.mkdir(parents=True, exist_ok=True)
    verdicts: dict[str, Verdict] = {}

    def listened(line: Line, spot: Found, samples: np.ndarray) -> None:
        speech_ms, edges = spot.end_ms - spot.start_ms, sounding_edges(samples, TAKE_RATE)
        verdict = compare_take(line.text, listen(resample(samples, TAKE_RATE, RATE), language),
                               speech_ms, edges)
        if verdict.lost:
            # Heard alone, the take sounds like nothing of its line, though the line was found
            # right there in the reading: the recognizer mishears it (it does, for some voices
            # in some rooms). Its words as heard in the reading judge it then.
            first = compare_take(line.text, [w.text for w in heard.words
                                             if w.start_ms < spot.end_ms and w.end_ms > spot.start_ms],
                                 speech_ms, edges)
            verdict = min(verdict, first, key=lambda v: v.badness)
        verdicts[line.id] = verdict

    cut_takes(reading, [(folder / f"{line.id}.wav", padded(spot),
                         functools.partial(listened, line, spot))
                        for line, spot in wanted])
    rows = [ImportRow(line, spot, line.id in verdicts,
                      None if spot else _listen(index, found, heard.length_ms), verdicts.get(line.id))
            for index, (line, spot) in enumerate(zip(lines, found, strict=True)) if line.id in asked]
    index_lines(profile, lines)
    kept = keep_reading(reading, folder) if verdicts else ""     # each take's place, seen and recut later
    record_verdicts(folder, {line.id: (content_digest(folder / f"{line.id}.wav"), verdict.describe())
                             for line in lines if (verdict := verdicts.get(line.id)) is not None},
                    {line.id: (kept, *padded(spot)) for line, spot in wanted if line.id in verdicts})
    return ImportReport(tuple(rows), heard.length_ms)


def relisten(reading: Path, start_ms: int, end_ms: int, prompt: str,
             language: str | None = None) -> list[Word]:
    """The words heard between `start_ms` and `end_ms` of the reading, the recognizer told
    what to expect; at most the first two minutes of the stretch."""
    words: list[Word] = []
    for low in range(start_ms, min(end_ms, start_ms + 4 * LISTEN_MS), LISTEN_MS):
        high = min(end_ms, low + LISTEN_MS)
        words += transcribe(decode_span(reading, RATE, low, high), low, prompt, language)
    return words


def padded(spot: Found) -> tuple[int, int]:
    """The speech with up to PAD_MS of the quiet around it that is the line's own."""
    return spot.start_ms - min(PAD_MS, spot.lead_ms), spot.end_ms + min(PAD_MS, spot.tail_ms)


def _listen(index: int, found: Sequence[Found | None], length_ms: int) -> tuple[int, int]:
    before = next((f.end_ms for f in reversed(found[:index]) if f is not None), 0)
    after = next((f.start_ms for f in found[index + 1:] if f is not None), length_ms)
    return before, after


def cut_takes(reading: Path, cuts: list[tuple[Path, tuple[int, int], Callable[[np.ndarray], None]]]
              ) -> None:
    """Write each (file, (start, end), then) of `reading` as a WAV, in one pass through the
    reading; each take is written whole, then moved into place, then handed to `then`."""
    from pydub import AudioSegment

    pending = sorted(cuts, key=lambda cut: cut[1][0])
    if not pending:
        return
    position = 0                           # samples of the reading passed so far
    current: list[np.ndarray] = []
    for block in decode_stream(reading, TAKE_RATE):
        block_end = position + block.size
        while pending:
            path, (start_ms, end_ms), then = pending[0]
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
            then(samples)
        position = block_end


def _write_take(path: Path, segment) -> None:
    with ExitStack() as cleanup:
        temporary = temporary_beside(path, cleanup)
        segment.export(str(temporary), format="wav")
        for other in EXTENSIONS:                    # an older take of the line in another format
            path.with_suffix(other).unlink(missing_ok=True)
        temporary.replace(path)


# --- the report -------------------------------------------------------------------------------

def report_table(report: ImportReport) -> tuple[list[str], list[str]]:
    """The import's table, worst first: every line with where it was found, how sure the match
    is, and `ok` or what listening back found (with where to listen); then the advice.
    Returns (table lines, advice lines)."""
    from audio_builder.durations import format_ms

    table = [f"{'#':>3}  {'line':>4}  {'found at':<21}  {'sure':>4}  {'heard':<5}  words"]
    for row in report.worst_first:
        line, spot = row.line, row.found
        where = f"{format_ms(spot.start_ms)}-{format_ms(spot.end_ms)}" if spot else "not found"
        sure = f"{spot.sureness:.2f}" if spot else ""
        kept = "" if row.written or spot is None or not spot.fits else "  (kept the take already there)"
        table.append(f"{line.number:>3}  {line.place.line:>4}  {where:<21}  {sure:>4}  "
                     f"{_status(row):<5}  {line.text}{kept}")
        detail = _detail(row, report.length_ms)
        if detail:
            table.append(f"{'':>11}{detail}")
    advice = []
    flagged, too_long = report.flagged, [r for r in report.rows if r.found and not r.found.fits]
    if flagged:
        advice.append(f"listen to {len(flagged)} take{'s' * (len(flagged) != 1)} marked CHECK "
                      "at the time given; if one is wrong, read its line again and import that "
                      "reading with --replace")
    if too_long:
        advice.append(f"not cut ({len(too_long)}): a reading of the line runs longer than its "
                      "words can take (a long pause, or something else inside it); read it again")
    if report.missing:
        advice.append(f"not found ({len(report.missing)}): listen there, then read them again and "
                      "import that reading (only lines with no take are filled)")
        for row in report.missing:
            start, end = row.listen or (0, report.length_ms)
            advice.append(f"  line {row.line.place.line}: \"{row.line.text}\" (between "
                          f"{format_ms(start)} and {format_ms(end)})")
    return table, advice


def _status(row: ImportRow) -> str:
    if row.found is None:
        return "-"
    if not row.found.fits:
        return "LONG"
    if row.verdict is None:
        return ""
    return "ok" if row.verdict.ok else "CHECK"


def _detail(row: ImportRow, length_ms: int) -> str:
    from audio_builder.durations import format_ms
    from audio_builder.speech.takes import longest_reading_ms

    spot = row.found
    if spot is None:
        return ""
    if not spot.fits:
        return (f"not cut: {(spot.end_ms - spot.start_ms) / 1000:.1f} s, longer than its words "
                f"can take ({longest_reading_ms(row.line.text) / 1000:.1f} s); listen at "
                f"{format_ms(row.listen_at_ms)}")
    if row.verdict is None or row.verdict.ok:
        return ""
    return f"{row.verdict.describe()}; listen at {format_ms(row.listen_at_ms)}"
