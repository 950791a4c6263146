"""Termination signals that unwind the program as Ctrl-C does.

By default SIGTERM (what `kill`, a service manager or a closing session sends) and SIGHUP (a
closed terminal) end Python on the spot: no `finally`, no `with`, so temporaries stay beside
their targets, encoders run on and the terminal is left without echo. Inside
`signals_unwind()` they raise `Stopped` (a `SystemExit(128 + signal)`) instead, so every
clean-up on the way out runs and the exit status is the one a shell reports for the signal.
`how_stopped` gives what to say of a stop, Ctrl-C's or a signal's, and its exit status: the
command line prints the same kind of line for each.
"""

from __future__ import annotations

import signal
import threading
from collections.abc import Iterator
from contextlib import contextmanager

UNWOUND = tuple(getattr(signal, name) for name in ("SIGTERM", "SIGHUP") if hasattr(signal, name))


class Stopped(SystemExit):
    """SIGTERM or SIGHUP inside `signals_unwind()`: a `SystemExit` (so no `except Exception`
    holds it) whose `code` is 128 + the signal's number; `name` is the signal's (`SIGTERM`)."""

    def __init__(self, signum: int):
        super().__init__(128 + signum)
        self.name = signal.Signals(signum).name


def _unwind(signum, frame) -> None:
    raise Stopped(signum)


def how_stopped(stop: KeyboardInterrupt | Stopped) -> tuple[str, int]:
    """What to say of a stop and the exit status to give: `("stopped", 130)` for Ctrl-C,
    `("stopped by SIGTERM", 143)` for a signal."""
    if isinstance(stop, Stopped):
        return f"stopped by {stop.name}", int(stop.code or 1)
    return "stopped", 130


@contextmanager
def signals_unwind() -> Iterator[None]:
    """While inside, SIGTERM and SIGHUP raise `Stopped` (in the main thread only: elsewhere,
    where handlers cannot be set, nothing changes). The previous handlers come back after."""
    if threading.current_thread() is not threading.main_thread():
        yield
        return
    previous = {number: signal.signal(number, _unwind) for number in UNWOUND}
    try:
        yield
    finally:
        for number, handler in previous.items():
            signal.signal(number, handler)
