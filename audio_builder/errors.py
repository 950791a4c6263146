"""One error root for everything the program reports to a person.

Every error carries where it happened (a file and a line, when known) and a message that
says what is wrong and how to fix it. The command line prints `FILE:LINE: message` and
exits with the error's `exit_code`; tracebacks appear only with `--traceback`.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path


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


class ErrorGroup(InputError):
    """Several input errors found in one pass, reported together."""

    def __init__(self, errors: Sequence[AudioBuilderError]):
        super().__init__("; ".join(e.message for e in errors))
        self.errors = list(errors)

    def __reduce__(self):
        return (self.__class__, (self.errors,))

    def located(self) -> str:
        return "\n".join(e.located() for e in self.errors)
