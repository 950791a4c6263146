"""Ending a session at a clock time (`play --end-at 19:30`): the track is built to the time
left, and whatever the session loses on the way (a hold, a pause, an added minute, the build
itself) is taken back from the flexible pauses still ahead, down to their minimums."""

from __future__ import annotations

import datetime
import re
from dataclasses import dataclass, field

from audio_builder.durations import format_ms
from audio_builder.errors import InputError
from audio_builder.live.player import Player
from audio_builder.sound.audio import ms_to_samples
from audio_builder.timeline import FlexSpan

ON_TIME_MS = 1_000          # within this of the end time counts as on time
_CLOCK_TIME = re.compile(r"^\s*(\d{1,2})[:h.](\d{2})\s*$")


def end_time(written: str | datetime.datetime, now: datetime.datetime) -> datetime.datetime:
    """`19:30` (24-hour clock, local time): the next time the clock shows it, today or, when
    that has passed, tomorrow."""
    if isinstance(written, datetime.datetime):
        return written if written.tzinfo else written.astimezone()
    match = _CLOCK_TIME.match(str(written))
    if not match or int(match[1]) > 23 or int(match[2]) > 59:
        raise InputError(f"end at {written!r}: write a time on the 24-hour clock, like 19:30")
    at = now.replace(hour=int(match[1]), minute=int(match[2]), second=0, microsecond=0)
    return at if at > now else at + datetime.timedelta(days=1)


@dataclass
class Schedule:
    """Keeps a playing session to its end time by cutting the flexible pauses ahead."""

    deadline: datetime.datetime
    spans: list[FlexSpan]
    cut_ms: dict[int, int] = field(default_factory=dict)     # by span start: what was cut
    late_ms: int = 0                                         # what no pause ahead can take back

    def keep(self, player: Player, now: datetime.datetime) -> None:
        """Called after each block: when the session would end late, cut the silence it is in
        (if flexible); then note how late it would end if nothing more could be cut."""
        behind = self.behind_ms(player, now)
        position = player.elapsed_ms
        span = next((s for s in self.spans if s.start_ms <= position < s.end_ms), None)
        if behind > 0 and span is not None and not player.stalled:
            room = span.ms - span.min_ms - self.cut_ms.get(span.start_ms, 0)
            cut = max(0, min(behind, room, span.end_ms - position))
            if cut:
                player.position += ms_to_samples(cut)
                self.cut_ms[span.start_ms] = self.cut_ms.get(span.start_ms, 0) + cut
                behind -= cut
        ahead = sum(s.ms - s.min_ms - self.cut_ms.get(s.start_ms, 0)
                    for s in self.spans if s.start_ms >= position and s is not span)
        self.late_ms = max(0, behind - ahead - ON_TIME_MS)
        player.notice = (f"will end about {format_ms(self.late_ms + ON_TIME_MS, precise=False)} "
                         f"after {self.deadline:%H:%M}: no flexible pause left to take it back"
                         if self.late_ms else f"ends at {self.deadline:%H:%M}")

    def behind_ms(self, player: Player, now: datetime.datetime) -> int:
        """How much later than the deadline the session would end, played from here as it is."""
        ends = now + datetime.timedelta(milliseconds=player.left_ms)
        return round((ends - self.deadline).total_seconds() * 1000)
