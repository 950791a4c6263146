"""Writing files so that they appear whole or not at all."""

from __future__ import annotations

import os
import tempfile
from collections.abc import Callable
from contextlib import ExitStack
from pathlib import Path


def write_file_atomically(path: Path, write: Callable[[Path], object]) -> None:
    """Call `write(temporary_path)`, then move the result to `path` in one step."""
    with ExitStack() as cleanup:
        temporary = temporary_beside(path, cleanup)
        write(temporary)
        os.replace(temporary, path)


def _umask() -> int:
    current = os.umask(0)
    os.umask(current)
    return current


def temporary_beside(path: Path, cleanup: ExitStack, tag: str = "") -> Path:
    """A fresh hidden file in the same folder (so the final rename is atomic), removed
    again unless it was renamed into place. `tag` goes into its name, so that the build
    which made it can find it if the process writing it dies."""
    handle, name = tempfile.mkstemp(prefix=f".{path.name}.{tag}", suffix=".part", dir=path.parent)
    os.close(handle)
    temporary = Path(name)
    os.chmod(temporary, 0o666 & ~_umask())          # as an ordinary new file, not mkstemp's 0600
    cleanup.callback(lambda: temporary.unlink(missing_ok=True))
    return temporary
