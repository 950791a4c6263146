"""One error root for everything the program reports to a person.

Every error carries where it happened (a file and a line, when known) and a message that
says what is wrong and how to fix it. The command line prints `FILE:LINE: message` and
exits with the error's `exit_code`; tracebacks appear only with `--traceback`.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Sequence
from pathlib import Path

# Terminal escape sequences, whole (CSI `ESC [ ... letter`, OSC `ESC ] ... BEL|ST`, DCS and
# its kin up to ST, then any other `ESC x`; and their 8-bit C1 forms, CSI U+009B, OSC U+009D,
# DCS U+0090 and kin up to ST U+009C), so no payload is left behind as text.
_ESCAPES = re.compile(r"\x1b\[[0-?]*[ -/]*[@-~]?|\x1b\][^\x07\x1b]*(?:\x07|\x1b\\)?"
                      r"|\x1b[PX^_][^\x1b]*(?:\x1b\\)?|\x1b.?|\x9b[0-?]*[ -/]*[@-~]?"
                      r"|\x9d[^\x07\x1b\x9c]*[\x07\x9c]?|[\x90\x98\x9e\x9f][^\x1b\x9c]*\x9c?", re.S)
_SPACES = re.compile(r"[\t\n\r\v\f\u2028\u2029]+")


def printable(text: str, limit: int | None = 500, *, lines: bool = False) -> str:
    r"""Text read from a file (a chapter title, a caption, a tag) as it may be shown on a
    terminal or a page: escape sequences and control characters removed (an OSC sequence in
    a title would retitle the terminal; OSC 52 could write the clipboard), line breaks and tabs
    as one space, and the Unicode format characters that reorder or hide text (bidi overrides,
    zero-width) dropped; at most `limit` characters.

    With `lines`, a whole message as the command line prints it: the escape sequences and
    control characters removed, but its line breaks and its layout (indents, the spaces of a
    table) and the format characters kept (a message names a file as it is called), never cut.
    Every line the command line prints goes through it, so a title quoted in a message or a
    table cannot reach the terminal as an escape sequence.

    >>> printable("Body scan\x1b]0;owned\x07\x1b[31m, part 2\x00\u202e")
    'Body scan, part 2'
    >>> printable("  one\x1b[2J\n  two\x9b1m", lines=True)
    '  one\n  two'
    """
    if lines:       # format characters kept: a message names a file as it is really called
        return "\n".join(_visible(_SPACES.sub(" ", line), ("Cc", "Cs"))
                         for line in _ESCAPES.sub("", text).split("\n"))
    kept = _visible(_SPACES.sub(" ", _ESCAPES.sub("", text)), ("Cc", "Cf", "Cs", "Co")).strip()
    return kept if limit is None or len(kept) <= limit else kept[:limit - 1] + "…"


def _visible(text: str, dropped: tuple[str, ...]) -> str:
    return "".join(ch for ch in text if unicodedata.category(ch) not in dropped
                   or ch == "\u200d")                   # the joiner inside emoji stays


def excerpt(value: object, limit: int = 40) -> str:
    """A rejected value as a message may quote it: at most `limit` characters of its repr.

    Never the whole value: it may be huge (a YAML alias bomb expands to gigabytes when
    printed) or secret (a key file named where a script was expected)."""
    if value is None:
        return "nothing"
    if isinstance(value, bool):
        return f"`{str(value).lower()}`"
    if isinstance(value, dict):
        return "a mapping"
    if isinstance(value, (list, tuple)):
        return "a list"
    if isinstance(value, int) and not isinstance(value, bool) and abs(value) >= 10 ** limit:
        return "a very large number"
    if isinstance(value, str) and len(value) > limit:
        shown = repr(value[:limit])
        return shown[:-1] + "..." + shown[-1]
    shown = repr(value)
    return shown if len(shown) <= limit else shown[:limit] + "..."


class AudioBuilderError(Exception):
    """The root of every error the program reports to a person."""

    exit_code = 1

    def __init__(self, message: str, file: str | Path | None = None, line: int | None = None):
        super().__init__(message)
        self.message = message
        self.file = str(file) if file is not None else None
        self.line = line

    def __reduce__(self):
        # Keep the file and line when an error crosses from a worker process.
        return (self.__class__, (self.message, self.file, self.line))

    def located(self) -> str:
        """The message as `FILE:LINE: message` (or less, when the place is unknown)."""
        if self.file and self.line:
            return f"{self.file}:{self.line}: {self.message}"
        if self.file:
            return f"{self.file}: {self.message}"
        return self.message


class InputError(AudioBuilderError):
    """Bad input: a script, profile, option or file. Exit status 2."""

    exit_code = 2


class BuildError(AudioBuilderError):
    """A build that failed for a reason other than its input. Exit status 1."""

    exit_code = 1


class Cancelled(BuildError):
    """The build was stopped (Ctrl-C) while this task ran; it wrote nothing."""

    exit_code = 130

    def __init__(self, message: str = "stopped before the end; nothing was written",
                 file: str | Path | None = None, line: int | None = None):
        super().__init__(message, file, line)


class ErrorGroup(InputError):
    """Several input errors found in one pass, reported together."""

    def __init__(self, errors: Sequence[AudioBuilderError]):
        super().__init__("; ".join(e.message for e in errors))
        self.errors = list(errors)

    def __reduce__(self):
        return (self.__class__, (self.errors,))

    def located(self) -> str:
        return "\n".join(e.located() for e in self.errors)
