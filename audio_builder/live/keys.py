"""Keys for the player: from the terminal (raw, without waiting for Enter), or from a list
of (time, key) for tests."""

from __future__ import annotations

import os
import select
import sys

ESCAPES = {"\x1b[C": "right", "\x1b[D": "left", "\x1bOC": "right", "\x1bOD": "left"}
NAMES = {"space": " ", "right": "right", "left": "left"}


class TerminalKeys:
    """Keys pressed in the terminal; `poll` never blocks."""

    def __enter__(self):
        import termios
        import tty

        self.fd = sys.stdin.fileno()
        self.saved = termios.tcgetattr(self.fd)
        tty.setcbreak(self.fd)
        return self

    def __exit__(self, *exc):
        import termios

        termios.tcsetattr(self.fd, termios.TCSADRAIN, self.saved)

    def poll(self, played_ms: int) -> list[str]:
        keys = []
        while select.select([self.fd], [], [], 0)[0]:
            data = os.read(self.fd, 16).decode(errors="ignore")
            while data:
                for sequence, name in ESCAPES.items():
                    if data.startswith(sequence):
                        keys.append(name)
                        data = data[len(sequence):]
                        break
                else:
                    keys.append(data[0])
                    data = data[1:]
        return keys

    @property
    def exhausted(self) -> bool:
        return False


class ScriptedKeys:
    """Keys pressed when the output reaches given times: `1.5:space, 4:n, 6:q`."""

    def __init__(self, spec: str):
        self.events: list[tuple[int, str]] = []
        for item in filter(None, (part.strip() for part in spec.split(","))):
            seconds, _, name = item.partition(":")
            self.events.append((round(float(seconds) * 1000), NAMES.get(name, name)))
        self.events.sort(key=lambda event: event[0])

    def poll(self, played_ms: int) -> list[str]:
        due = [key for at, key in self.events if at <= played_ms]
        self.events = [(at, key) for at, key in self.events if at > played_ms]
        return due

    @property
    def exhausted(self) -> bool:
        return not self.events

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        return None
