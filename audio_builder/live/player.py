"""The player: a small state machine over a track. It knows the position, pauses, jumps
between chapters, seeks, holds at chapters and strikes a bell; it hands out audio a block
at a time and does no I/O of its own."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

import numpy as np

from audio_builder.live.track import Cue, PlayableTrack
from audio_builder.sound.audio import ms_to_samples, samples_to_ms
from audio_builder.timeline import ChapterStart

SEEK_MS = 10_000
BACK_TO_START_MS = 3_000     # `p` within this of a chapter's start goes to the one before


@dataclass(kw_only=True)
class Player:
    track: PlayableTrack
    hold: bool = False
    bell: np.ndarray | None = None          # stereo float32, struck by `b`
    position: int = 0                       # in samples
    paused: bool = False
    finished: bool = False
    holding_at: int | None = None           # the chapter start we are holding at
    strikes: list[list] = field(default_factory=list)   # [samples, offset] of ringing bells

    # --- keys ---------------------------------------------------------------------------

    def press(self, key: str) -> None:
        action: Callable[[Player], None] | None = KEYS.get(key)
        if action is not None:
            action(self)

    def toggle_pause(self) -> None:
        if self.holding_at is not None:
            self.holding_at = None
            self.paused = False
            return
        self.paused = not self.paused

    def next_chapter(self) -> None:
        later = [m for m in self.track.chapters if ms_to_samples(m.start_ms) > self.position]
        if later:
            self._jump(ms_to_samples(later[0].start_ms))

    def previous_chapter(self) -> None:
        earlier = [ms_to_samples(m.start_ms) for m in self.track.chapters
                   if ms_to_samples(m.start_ms) <= self.position]
        if not earlier:
            self._jump(0)
            return
        if self.position - earlier[-1] < ms_to_samples(BACK_TO_START_MS) and len(earlier) > 1:
            self._jump(earlier[-2])
        else:
            self._jump(earlier[-1])

    def seek(self, ms: int) -> None:
        self._jump(min(max(0, self.position + ms_to_samples(ms)), self.total))

    def strike(self) -> None:
        if self.bell is not None:
            self.strikes.append([self.bell, 0])

    def quit(self) -> None:
        self.finished = True

    def _jump(self, position: int) -> None:
        self.position = position
        self.holding_at = None
        self.finished = False

    # --- audio --------------------------------------------------------------------------

    @property
    def total(self) -> int:
        return self.track.samples.shape[0]

    def next_block(self, n: int) -> np.ndarray:
        """The next `n` samples to play (silence while paused or holding)."""
        out = np.zeros((n, 2), dtype=np.float32)
        if not (self.paused or self.holding_at is not None or self.finished):
            end = min(self.position + n, self.total)
            end = self._stop_at_chapter(end)
            count = end - self.position
            out[:count] = self.track.samples[self.position:end].astype(np.float32) / 32768.0
            self.position = end
            if self.position >= self.total:
                self.finished = True
        self._ring(out)
        return out

    def _stop_at_chapter(self, end: int) -> int:
        if not self.hold:
            return end
        for mark in self.track.chapters:
            start = ms_to_samples(mark.start_ms)
            if self.position < start <= end and start > 0:
                self.holding_at = start
                return start
        return end

    def _ring(self, out: np.ndarray) -> None:
        for strike in self.strikes:
            samples, offset = strike
            piece = samples[offset:offset + out.shape[0]]
            out[:piece.shape[0]] += piece
            strike[1] += out.shape[0]
        self.strikes = [s for s in self.strikes if s[1] < s[0].shape[0]]

    # --- what the view shows ------------------------------------------------------------

    @property
    def elapsed_ms(self) -> int:
        return samples_to_ms(self.position)

    def chapter(self) -> ChapterStart | None:
        current = [m for m in self.track.chapters if m.start_ms <= self.elapsed_ms]
        return current[-1] if current else None

    def line(self) -> tuple[str, Cue | None]:
        """("now", cue) while a line is spoken, else ("next", the next cue)."""
        now = self.elapsed_ms
        for cue in self.track.captions:
            if cue.start_ms <= now < cue.end_ms:
                return "now", cue
            if cue.start_ms > now:
                return "next", cue
        return "next", None

    def start_at_chapter(self, wanted: str) -> ChapterStart:
        marks = self.track.chapters
        if wanted.isdigit() and 1 <= int(wanted) <= len(marks):
            mark = marks[int(wanted) - 1]
        else:
            found = [m for m in marks if m.title.lower().startswith(wanted.lower())]
            if not found:
                raise LookupError(wanted)
            mark = found[0]
        self._jump(ms_to_samples(mark.start_ms))
        return mark


KEYS: dict[str, Callable[[Player], None]] = {
    " ": Player.toggle_pause,
    "n": Player.next_chapter,
    "p": Player.previous_chapter,
    "right": lambda player: player.seek(SEEK_MS),
    "left": lambda player: player.seek(-SEEK_MS),
    "b": Player.strike,
    "q": Player.quit,
}
