"""The player: a small state machine over a track. It knows the position, pauses, jumps
between chapters, seeks, holds at chapters, strikes a bell, waits out a start delay, adds a
minute of silence and fades out; it hands out audio a block at a time and does no I/O of its
own."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

import numpy as np

from audio_builder.live.track import Cue, PlayableTrack
from audio_builder.sound.audio import ms_to_samples, samples_to_ms
from audio_builder.timeline import ChapterStart

SEEK_MS = 10_000
BACK_TO_START_MS = 3_000     # `p` within this of a chapter's start goes to the one before
EXTEND_MS = 60_000           # what "extend" adds to the silence
FADE_MS = 8_000              # "end gently": the fade before the end
RANG_SHOWN_MS = 3_000        # how long the view says a bell was struck


@dataclass(kw_only=True)
class Player:
    track: PlayableTrack
    hold: bool = False
    bell: np.ndarray | None = None          # stereo float32, struck by `b`
    delay_ms: int = 0                       # silence before the first sound
    position: int = 0                       # in samples, in the track
    played: int = 0                         # in samples, of the session (pauses included)
    paused: bool = False
    finished: bool = False
    holding_at: int | None = None           # the chapter start we are holding at
    waiting: int = 0                        # samples of silence still to give (delay, extend)
    extend_pending: int = 0                 # silence to add once the current line has been said
    fade_left: int | None = None            # samples of the closing fade still to play
    rang_at: int | None = None              # `played` when the bell was last struck
    notice: str = ""                        # a word from the session for the view (late, ...)
    strikes: list[list] = field(default_factory=list)   # [samples, offset] of ringing bells

    def __post_init__(self) -> None:
        self.waiting = ms_to_samples(self.delay_ms)
        self._hold_if_at_chapter()

    # --- keys and commands ---------------------------------------------------------------

    def press(self, key: str) -> None:
        action: Callable[[Player], None] | None = KEYS.get(key)
        if action is not None:
            action(self)

    def toggle_pause(self) -> None:
        if self.stalled:
            self.resume()
        else:
            self.pause()

    def pause(self) -> None:
        if not self.finished:
            self.paused = True

    def resume(self) -> None:
        """Go on: out of a pause, a hold, or the silence of a start delay or an extension."""
        if self.paused:
            self.paused = False
        elif self.waiting:
            self.waiting = 0
        else:
            self.holding_at = None

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
            self.rang_at = self.played

    def extend(self) -> None:
        """A minute more of silence, from the end of the line being spoken (or now)."""
        self.extend_pending += ms_to_samples(EXTEND_MS)

    def end_gently(self) -> None:
        if self.fade_left is None and not self.finished:
            self.fade_left = ms_to_samples(FADE_MS)
            self.paused = False
            self.holding_at = None
            self.waiting = 0

    def quit(self) -> None:
        self.finished = True

    def _jump(self, position: int) -> None:
        self.position = position
        self.holding_at = None
        self.finished = False
        self._hold_if_at_chapter()

    def _hold_if_at_chapter(self) -> None:
        if self.hold and any(ms_to_samples(m.start_ms) == self.position for m in self.track.chapters):
            self.holding_at = self.position

    # --- audio --------------------------------------------------------------------------

    @property
    def total(self) -> int:
        return self.track.samples.shape[0]

    @property
    def stalled(self) -> bool:
        """Giving silence and not moving in the track: paused, holding, or waiting."""
        return self.paused or self.holding_at is not None or self.waiting > 0

    def next_block(self, n: int) -> np.ndarray:
        """The next `n` samples to play (silence while paused, holding or waiting)."""
        out = np.zeros((n, 2), dtype=np.float32)
        if self.extend_pending and self._between_lines():
            self.waiting += self.extend_pending
            self.extend_pending = 0
        if self.waiting and not self.paused:
            self.waiting = max(0, self.waiting - n)
        elif not (self.stalled or self.finished):
            end = min(self.position + n, self.total)
            end = self._stop_at_chapter(end)
            count = end - self.position
            out[:count] = self.track.samples[self.position:end].astype(np.float32) / 32768.0
            self.position = end
            if self.position >= self.total:
                self.finished = True
        self._ring(out)
        self._fade(out)
        self.played += n
        return out

    def _between_lines(self) -> bool:
        return not any(ms_to_samples(c.start_ms) <= self.position < ms_to_samples(c.end_ms)
                       for c in self.track.captions)

    def _stop_at_chapter(self, end: int) -> int:
        if not self.hold:
            return end
        for mark in self.track.chapters:
            start = ms_to_samples(mark.start_ms)
            if self.position < start <= end:
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

    def _fade(self, out: np.ndarray) -> None:
        if self.fade_left is None:
            return
        full = ms_to_samples(FADE_MS)
        gains = np.clip((self.fade_left - np.arange(out.shape[0])) / full, 0.0, 1.0).astype(np.float32)
        out *= gains[:, None]
        self.fade_left = max(0, self.fade_left - out.shape[0])
        if self.fade_left == 0:
            self.finished = True

    # --- what the view shows ------------------------------------------------------------

    @property
    def elapsed_ms(self) -> int:
        return samples_to_ms(self.position)

    @property
    def left_ms(self) -> int:
        """How long the session still runs, played from here as it is: the silence still to
        give and the rest of the track."""
        return samples_to_ms(self.waiting) + self.track.length_ms - self.elapsed_ms

    @property
    def state(self) -> str:
        """"ended", "holding", "paused", "starting" (the start delay), "waiting" (an added
        silence), "ending" (the closing fade) or "playing"."""
        if self.finished:
            return "ended"
        if self.paused:
            return "paused"
        if self.waiting:
            return "starting" if self.position == 0 and not self.played_any else "waiting"
        if self.holding_at is not None:
            return "holding"
        return "ending" if self.fade_left is not None else "playing"

    @property
    def played_any(self) -> bool:
        return self.played > ms_to_samples(self.delay_ms)

    def just_rang(self) -> bool:
        return self.rang_at is not None and self.played - self.rang_at < ms_to_samples(RANG_SHOWN_MS)

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

# What the phone remote (and any program) may ask of a running session.
COMMANDS: dict[str, Callable[[Player], None]] = {
    "pause": Player.pause,
    "resume": Player.resume,
    "next": Player.next_chapter,
    "previous": Player.previous_chapter,
    "bell": Player.strike,
    "extend": Player.extend,
    "end": Player.end_gently,
}
