"""Time for a live session: the real clock, or a fake one that moves only when told (a
recording made from keys given ahead, and tests)."""

from __future__ import annotations

import datetime
import time


class RealClock:
    """The computer's clock: a session paced by it plays in real time."""

    def monotonic(self) -> float:
        return time.monotonic()

    def now(self) -> datetime.datetime:
        return datetime.datetime.now().astimezone()

    def sleep(self, seconds: float) -> None:
        if seconds > 0:
            time.sleep(seconds)


class FakeClock:
    """A clock that moves only by `sleep`, from `start` (default: now): a session paced by it
    runs as fast as the computer can, and its times are what they would have been in real
    time."""

    def __init__(self, start: datetime.datetime | None = None):
        self.start = start or datetime.datetime.now().astimezone()
        self.seconds = 0.0

    def monotonic(self) -> float:
        return self.seconds

    def now(self) -> datetime.datetime:
        return self.start + datetime.timedelta(seconds=self.seconds)

    def sleep(self, seconds: float) -> None:
        self.seconds += max(0.0, seconds)


Clock = RealClock | FakeClock
