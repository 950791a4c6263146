"""Writing files so that they appear whole or not at all.

A file is written under a hidden temporary name beside its target
(`.NAME.[MARK.]HOST-PID-XXXXXXXX.part`: a build's own mark, the machine and the process that
writes it) and renamed into place in one step. A process killed outright leaves its temporary
files behind; the machine and process in their names tell the next run which ones are stale
(their writer is gone) and which belong to a run still going.
"""

from __future__ import annotations

import errno
import hashlib
import os
import re
import socket
import tempfile
import time
from collections.abc import Callable, Iterable
from contextlib import ExitStack
from pathlib import Path

from audio_builder.errors import BuildError

TEMPORARY = re.compile(
    r"^\.(?P<target>.+?)\.(?:[0-9a-f]{12}\.)?(?P<host>[0-9a-f]{6})-(?P<pid>\d+)-[a-z0-9_]{8}\.part$")
# Output folders may be shared between machines (a cluster): a process id means something
# only on the machine that wrote it.
HOST = hashlib.sha256(socket.gethostname().encode()).hexdigest()[:6]
STALE_AFTER_S = 2 * 24 * 3600      # a temporary file this old is stale whoever wrote it


def write_file_atomically(path: Path, write: Callable[[Path], object]) -> None:
    """Call `write(temporary_path)`, then move the result to `path` in one step."""
    write_files_together({path: write})


def write_files_together(writers: dict[Path, Callable[[Path], object]], tag: str = "") -> None:
    """Write each file to a temporary beside it, then put them all in place: all of them,
    or (when anything fails) none, the previous files left as they were."""
    _refuse_folders(writers)
    with ExitStack() as cleanup:
        temporaries = {path: temporary_beside(path, cleanup, tag) for path in writers}
        for path, write in writers.items():
            write(temporaries[path])
        replace_together((temporary, path) for path, temporary in temporaries.items())


def _umask() -> int:
    current = os.umask(0)
    os.umask(current)
    return current


def temporary_beside(path: Path, cleanup: ExitStack, tag: str = "") -> Path:
    """A fresh hidden file in the same folder (so the final rename is atomic), removed
    again unless it was renamed into place. `tag` (a build's own mark) goes into its name
    too, so that a build can find the temporaries its workers leave if they die."""
    mark = f"{tag}." if tag else ""
    handle, name = tempfile.mkstemp(prefix=f".{path.name}.{mark}{HOST}-{os.getpid()}-", suffix=".part",
                                    dir=path.parent)
    os.close(handle)
    temporary = Path(name)
    os.chmod(temporary, 0o666 & ~_umask())          # as an ordinary new file, not mkstemp's 0600
    cleanup.callback(lambda: temporary.unlink(missing_ok=True))
    return temporary


def target_name(name: str) -> str:
    """The name a temporary file stands for (`.a.mp3.123-abcdefgh.part` -> `a.mp3`);
    any other name unchanged."""
    match = TEMPORARY.match(name)
    return match["target"] if match else name


def replace_together(moves: Iterable[tuple[Path, Path]]) -> None:
    """Rename each temporary file onto its target. When one rename fails, the targets
    already replaced get their previous files back (or go, if they had none) and the
    error is raised: the set is replaced whole or not at all (after Ctrl-C or SIGTERM
    between two renames, too)."""
    moves = list(moves)
    _refuse_folders(target for _, target in moves)
    with ExitStack() as cleanup:
        done: list[tuple[Path, Path | None, bool]] = []   # target, its previous file kept aside, had one
        try:
            for temporary, target in moves:
                existed = target.exists()
                previous = _keep_aside(target, cleanup) if existed else None
                os.replace(temporary, target)
                done.append((target, previous, existed))
        except BaseException:
            for target, previous, existed in reversed(done):
                if previous is not None:
                    os.replace(previous, target)
                elif not existed:
                    target.unlink(missing_ok=True)
            raise


def _refuse_folders(targets: Iterable[Path]) -> None:
    for target in targets:
        if target.is_dir():
            raise IsADirectoryError(errno.EISDIR, os.strerror(errno.EISDIR), str(target))


def _keep_aside(target: Path, cleanup: ExitStack) -> Path | None:
    """A second name (a hard link) for the file at `target`, removed when `cleanup`
    closes; None when there is no file, or the file system has no hard links."""
    if not target.is_file():
        return None
    aside = temporary_beside(target, cleanup)
    aside.unlink()
    try:
        os.link(target, aside)
    except OSError:
        return None
    return aside


def remove_stale_temporaries(folder: Path) -> list[Path]:
    """Remove the temporary files in `folder` whose writer has died (or that are days old);
    those of a run still going are left alone. Returns what was removed."""
    removed: list[Path] = []
    try:
        entries = list(os.scandir(folder))
    except OSError:
        return removed
    now = time.time()
    for entry in entries:
        match = TEMPORARY.match(entry.name)
        if not match or not entry.is_file(follow_symlinks=False):
            continue
        try:
            old = now - entry.stat(follow_symlinks=False).st_mtime > STALE_AFTER_S
            here = match["host"] == HOST
            if old or (here and not process_alive(int(match["pid"]))):
                os.unlink(entry.path)
                removed.append(Path(entry.path))
        except OSError:
            continue                 # gone already, or not ours to remove: leave it
    return removed


def process_alive(pid: int) -> bool:
    """Whether a process with this id runs on this machine (True when it cannot be told)."""
    if pid == os.getpid():
        return True
    if os.name != "posix":
        return True
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except OverflowError:
        return False
    except PermissionError:          # another user's process
        return True
    return True


_OS_ERROR_ADVICE = {
    errno.ENOSPC: "the disk is full; free some space and run it again",
    errno.EDQUOT: "the disk quota is used up; free some space and run it again",
    errno.EFBIG: "the file grew past what this disk or account allows; free space or lift "
                 "the limit and run it again",
    errno.EACCES: "no permission to write here; check the folder's permissions or choose "
                  "another folder",
    errno.EPERM: "no permission to write here; check the folder's permissions or choose "
                 "another folder",
    errno.EROFS: "this folder is on a read-only disk; choose another folder",
    errno.ENOTDIR: "a file stands where a folder is expected; move the file away or choose "
                   "another folder",
    errno.EEXIST: "a file stands where a folder is expected; move the file away or choose "
                  "another folder",
    errno.EISDIR: "a folder stands where a file is to be written; rename or remove the folder",
}


def os_error(error: OSError) -> BuildError:
    """An error of the operating system (disk full, no permission, ...) as one friendly
    line naming the file: a temporary file is named as the file it was to become."""
    advice = _OS_ERROR_ADVICE.get(error.errno or 0) or error.strerror or str(error)
    file = error.filename
    if isinstance(file, (str, Path)):
        path = Path(file).with_name(target_name(Path(file).name))
        if error.errno in (errno.ENOTDIR, errno.EEXIST):
            path = next((p for p in (path, *path.parents) if p.exists() and not p.is_dir()), path)
        return BuildError(advice, path)
    return BuildError(advice)
