"""The synthesis cache: every spoken piece stored under a key of all that changes its sound.

Entries are written whole to a temporary file and linked into place, so a crash never
leaves a half entry under a real name, and when two builds race to store the same piece
the first one wins and both use it. Each entry carries its size and a checksum; a damaged
entry (cut short, changed, or not a plain file at all: a link, a device, a pipe) is noticed,
removed and synthesized again, never played, and never read past the size it claims. A build
holds a shared lock on the cache while it runs; `clear` needs it alone, so it never takes
pieces from a running build. Temporary files follow the rules of `files`: a build removes
those a killed build left.
"""

from __future__ import annotations

import hashlib
import json
import os
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager
from pathlib import Path
from typing import IO

import numpy as np

from audio_builder.errors import BuildError
from audio_builder.files import (
    cache_folder,
    checked_bytes,
    checked_folder,
    checked_header_bytes,
    read_entry,
    remove_stale_temporaries,
    stored_size,
    temporary_beside,
)

try:
    import fcntl
except ImportError:        # Windows: no file locks here; clear and builds are not kept apart
    fcntl = None  # type: ignore[assignment]

MAGIC = b"ABSPEECH1"
# Bump when anything in speech.finish_speech changes how stored clips sound.
SYNTHESIS_VERSION = 3
LOCK_NAME = ".lock"


def speech_key(**parts: object) -> str:
    """A stable key for a piece of speech from everything that changes its sound."""
    payload = json.dumps({**parts, "synthesis_version": SYNTHESIS_VERSION}, sort_keys=True)
    return hashlib.sha256(payload.encode()).hexdigest()


class CacheInUse(BuildError):
    """`clear` while a build is using the cache."""


class SpeechCache:
    def __init__(self, directory: Path | None = None):
        self.directory = checked_folder(Path(directory), "the cache folder") if directory else cache_folder()
        self._users = 0
        self._lock: IO[bytes] | None = None

    @contextmanager
    def in_use(self) -> Iterator[None]:
        """Held by a build while it runs: a shared lock on the cache, so that `clear` (which
        takes it alone) never removes a piece a build has planned with or is storing."""
        if self._users == 0:
            self._lock = _open_lock(self.directory)
            if self._lock is not None:
                fcntl.flock(self._lock, fcntl.LOCK_SH)
            self.remove_stale_temporaries()
        self._users += 1
        try:
            yield
        finally:
            self._users -= 1
            if self._users == 0 and self._lock is not None:
                self._lock.close()          # closing the file lets the lock go
                self._lock = None

    def _path(self, key: str) -> Path:
        return self.directory / key[:2] / f"{key}.f32"

    def entries(self) -> list[Path]:
        return sorted(self.directory.glob("??/*.f32")) if self.directory.is_dir() else []

    def size_bytes(self) -> int:
        return sum(path.stat().st_size for path in self.entries())

    def clear(self) -> int:
        """Remove every entry; returns how many there were. Refused while a build uses
        the cache (its pieces would go from under it)."""
        lock = _open_lock(self.directory) if self.directory.is_dir() else None
        try:
            if lock is not None:
                try:
                    fcntl.flock(lock, fcntl.LOCK_EX | fcntl.LOCK_NB)
                except BlockingIOError:
                    raise CacheInUse("a build is using the speech cache right now; clear it "
                                     "when the build has finished", self.directory) from None
            removed = 0
            for path in self.entries():
                path.unlink(missing_ok=True)
                removed += 1
            for stray in self.directory.glob("??/.*.part") if self.directory.is_dir() else []:
                stray.unlink(missing_ok=True)   # left by a build that was killed: none runs now
            return removed
        finally:
            if lock is not None:
                lock.close()

    def get(self, key: str) -> np.ndarray | None:
        payload = read_entry(self._path(key), MAGIC, MAX_ENTRY_BYTES)
        return None if payload is None else np.frombuffer(payload, dtype="<f4").copy()

    def has(self, key: str) -> bool:
        """Whether a whole entry is stored under `key`: judged by its size against the size
        its header gives, without reading the samples (cheap enough to ask of a whole
        catalogue before building it). The checksum is checked by `get`, which treats a
        damaged entry as missing."""
        return self.frames(key) is not None

    def frames(self, key: str) -> int | None:
        """How many samples the entry under `key` holds, judged as `has` judges it (None:
        no whole entry)."""
        try:
            size = stored_size(self._path(key), MAGIC, MAX_ENTRY_BYTES)
        except OSError:
            return None
        return None if size is None else size // 4

    def put(self, key: str, samples: np.ndarray) -> np.ndarray:
        """Store `samples` unless another build stored this key first; return what is stored."""
        path = self._path(key)
        path.parent.mkdir(parents=True, exist_ok=True)
        with ExitStack() as cleanup:
            temporary = temporary_beside(path, cleanup)
            temporary.write_bytes(checked_bytes(MAGIC, np.ascontiguousarray(samples, dtype="<f4").tobytes()))
            try:
                os.link(temporary, path)
            except FileExistsError:
                existing = self.get(key)
                if existing is not None:
                    return existing
                os.replace(temporary, path)
            except OSError:  # a file system without hard links
                os.replace(temporary, path)
        return samples

    def remove_stale_temporaries(self) -> None:
        """Remove what killed builds left half-written in the cache (see `files`)."""
        try:
            folders = [entry.path for entry in os.scandir(self.directory)
                       if len(entry.name) == 2 and entry.is_dir(follow_symlinks=False)]
        except OSError:
            return
        for folder in folders:
            remove_stale_temporaries(Path(folder))


def _open_lock(directory: Path) -> IO[bytes] | None:
    """The cache's lock file, opened (None where there are no file locks, or the folder
    cannot be made: then whatever needs the folder reports why)."""
    if fcntl is None:
        return None
    try:
        directory.mkdir(parents=True, exist_ok=True)
        return open(directory / LOCK_NAME, "ab")
    except OSError:
        return None


# No spoken piece lasts an hour: an entry that claims more is damaged, and is not read.
MAX_ENTRY_BYTES = checked_header_bytes(MAGIC) + 3600 * 48_000 * 4
