"""Termination signals that unwind the program as Ctrl-C does.

By default SIGTERM (what `kill`, a service manager or a closing session sends) and SIGHUP (a
closed terminal) end Python on the spot: no `finally`, no `with`, so temporaries stay beside
their targets, encoders run on and the terminal is left without echo. Inside
`signals_unwind()` they raise `SystemExit(128 + signal)` instead, so every clean-up on the
way out runs and the exit status is the one a shell reports for the signal.
"""

from __future__ import annotations

import signal
import threading
from collections.abc import Iterator
from contextlib import contextmanager

UNWOUND = tuple(getattr(signal, name) for name in ("SIGTERM", "SIGHUP") if hasattr(signal, name))


def _unwind(signum, frame) -> None:
    raise SystemExit(128 + signum)


@contextmanager
def signals_unwind() -> Iterator[None]:
    """While inside, SIGTERM and SIGHUP raise SystemExit (in the main thread only: elsewhere,
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
