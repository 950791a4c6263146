"""Keys for the player: from the terminal (raw, without waiting for Enter), or from a list
of (time, key) for tests."""

from __future__ import annotations

import math
import os
import select
import stat
import sys
from collections.abc import Iterable
from pathlib import Path

from audio_builder.durations import MAX_MS, DurationError, parse_duration
from audio_builder.errors import InputError, excerpt

ESCAPES = {"\x1b[C": "right", "\x1b[D": "left", "\x1bOC": "right", "\x1bOD": "left"}
NAMES = {"space": " ", "right": "right", "left": "left"}


def _known_keys() -> tuple[str, ...]:
    from audio_builder.live.player import KEYS

    return tuple(KEYS)


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

    def __init__(self, spec: str, known: Iterable[str] | None = None):
        """`known`: the keys the program acts on (the player's, by default); any other is an
        error that lists them."""
        if known is None:
            known = _known_keys()
        self.known = tuple(known)
        self.events: list[tuple[int, str]] = []
        for item in filter(None, (part.strip() for part in spec.split(","))):
            seconds, _, name = item.partition(":")
            self.events.append((_key_time(seconds, item), _key_name(name.strip(), item, set(known))))
        self.events.sort(key=lambda event: event[0])

    @classmethod
    def from_file(cls, path: Path, known: Iterable[str] | None = None) -> ScriptedKeys:
        """Keys given ahead in a text file, one `TIME KEY` a line (`TIME` a duration of the
        session, pauses included: `90`, `1:30`, `1m30s`), `#` starting a comment."""
        keys = cls("", known)
        allowed = set(keys.known)
        for number, raw in enumerate(_read_keys_file(path), 1):
            line = raw.split("#", 1)[0].strip()
            if not line:
                continue
            when, _, name = line.partition(" ")
            try:
                at = parse_duration(when)
            except DurationError as error:
                raise InputError(f"{error}; write each line as TIME KEY, like `1:30 space`",
                                 path, number) from None
            if at > MAX_MS:
                raise InputError(f"{excerpt(when)} is past the longest session "
                                 f"({MAX_MS // 3_600_000} hours)", path, number)
            try:
                keys.events.append((at, _key_name(name.strip(), line, allowed)))
            except InputError as error:
                raise InputError(error.message.removeprefix("--keys: "), path, number) from None
        keys.events.sort(key=lambda event: event[0])
        return keys

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


KEYS_EXAMPLE = "like `--keys '1.5:space,6:q'`"
MAX_KEYS_FILE_BYTES = 64 * 1024


def _read_keys_file(path: Path) -> list[str]:
    try:
        if not stat.S_ISREG(path.stat().st_mode):
            raise InputError("not a plain file; give a text file of keys, one `TIME KEY` a line", path)
        with open(path, "rb") as file:
            data = file.read(MAX_KEYS_FILE_BYTES + 1)
    except FileNotFoundError:
        raise InputError("file not found; check the path and its spelling", path) from None
    except OSError as error:
        raise InputError(f"cannot read the file: {error.strerror}", path) from None
    if len(data) > MAX_KEYS_FILE_BYTES:
        raise InputError(f"a keys file is at most {MAX_KEYS_FILE_BYTES // 1024} KB", path)
    try:
        return data.decode("utf-8").splitlines()
    except UnicodeDecodeError:
        raise InputError("not UTF-8 text; save the file as UTF-8", path) from None


def _key_time(seconds: str, item: str) -> int:
    try:
        value = float(seconds)
    except ValueError:
        value = math.nan
    if not (math.isfinite(value) and 0 <= value * 1000 <= MAX_MS):
        raise InputError(f"--keys: {excerpt(item)} does not start with a time in seconds (0 to "
                         f"{MAX_MS // 3_600_000} hours); write each key as SECONDS:KEY, {KEYS_EXAMPLE}")
    return round(value * 1000)


def _key_name(name: str, item: str, known: set[str]) -> str:
    key = NAMES.get(name, name)
    if key not in known:
        spelled = {written for written, meant in NAMES.items() if meant in known}
        listed = ", ".join(sorted(spelled | {k for k in known if k not in NAMES.values()}))
        raise InputError(f"--keys: {excerpt(item)}: no key {excerpt(name)}; the keys are {listed}; "
                         f"{KEYS_EXAMPLE}")
    return key
