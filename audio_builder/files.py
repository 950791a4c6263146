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
import stat
import struct
import sys
import tempfile
import time
from collections.abc import Callable, Iterable
from contextlib import ExitStack, suppress
from pathlib import Path
from typing import BinaryIO

from audio_builder.errors import BuildError, InputError

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
    error is raised: the set is replaced whole or not at all."""
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
        except OSError:
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


# Per kind: the folder under ~/Library on macOS, and the XDG variable with its default under ~.
_USER_FOLDERS = {
    "cache": ("Caches", "XDG_CACHE_HOME", ".cache"),
    "data": ("Application Support", "XDG_DATA_HOME", ".local/share"),
}


CACHE_VARIABLE = "AUDIO_BUILDER_CACHE"


def cache_folder() -> Path:
    """Where this program keeps what it can make again (spoken pieces, the built-in sounds):
    the folder `$AUDIO_BUILDER_CACHE` names, or else the user's cache folder."""
    value = os.environ.get(CACHE_VARIABLE)
    return Path(value).expanduser() if value else user_folder("cache")


def user_folder(kind: str) -> Path:
    """This program's folder of `kind` ("cache" or "data") for the user, where each system
    keeps such folders."""
    mac, xdg_variable, xdg_default = _USER_FOLDERS[kind]
    if sys.platform == "win32":
        base = Path(os.environ.get("LOCALAPPDATA", Path.home() / "AppData" / "Local"))
    elif sys.platform == "darwin":
        base = Path.home() / "Library" / mac
    else:
        base = Path(os.environ.get(xdg_variable) or Path.home() / xdg_default)
    return base / "audio-builder"


# --- plain files read with a bound ------------------------------------------------------

def read_plain(path: Path, max_bytes: int, *, follow_links: bool = True, what: str = "this file",
               advice: str = "check it is the file you meant") -> bytes:
    """The bytes of the plain file at `path`, at most `max_bytes` of them. A folder, device,
    pipe or socket (or, without `follow_links`, a symbolic link) is an InputError naming
    `what` it should be, as is a file over the limit; the file is never read past the limit,
    and opening a pipe never waits. FileNotFoundError is raised as it is."""
    flags = os.O_RDONLY | getattr(os, "O_NONBLOCK", 0)
    if not follow_links:
        flags |= getattr(os, "O_NOFOLLOW", 0)
    try:
        handle = os.open(path, flags)
    except FileNotFoundError:
        raise
    except OSError as error:
        if error.errno == errno.ELOOP:
            reason = ("a symbolic link" if not follow_links and os.path.islink(path)
                      else "a loop of symbolic links")
            raise InputError(f"{what} is {reason}, not a plain file; {advice}", path) from None
        raise InputError(f"cannot read {what}: {error.strerror}; {advice}", path) from None
    if not stat.S_ISREG(os.fstat(handle).st_mode):
        os.close(handle)
        raise InputError(f"{what} is not a plain file (a folder, a device or a pipe); "
                         f"{advice}", path)
    with open(handle, "rb") as file:
        data = file.read(max_bytes + 1)
    if len(data) > max_bytes:
        raise InputError(f"{what} is larger than {_size(max_bytes)}; {advice}", path)
    return data


def _size(size: int) -> str:
    return f"{size / 1_000_000:g} MB" if size >= 1_000_000 else f"{size / 1000:g} kB"


# --- checked files: bytes kept between runs, read back only when whole ------------------

def checked_bytes(magic: bytes, payload: bytes) -> bytes:
    """`payload` behind a header (`magic`, the payload's size, its SHA-256), to be read
    back with `read_checked`."""
    return magic + struct.pack("<Q", len(payload)) + hashlib.sha256(payload).digest() + payload


def checked_header_bytes(magic: bytes) -> int:
    return len(magic) + 8 + 32


def read_checked(path: Path, magic: bytes, max_bytes: int, *, payload: bool = True) -> bytes | None:
    """The payload of a file written with `checked_bytes`, read no further than its header
    says; None when it is not a plain file of that size with that checksum (a link, a device,
    a pipe, a file over `max_bytes`, cut short or changed: damaged). Without `payload`, only
    the header is read and checked against the file's size (b"" when it fits). Raises OSError
    when the file cannot be opened (ELOOP: a symbolic link)."""
    with _open_plain(path) as file:
        header = _checked_header(file, magic, max_bytes)
        if header is None:
            return None
        status, size, digest = header
        if not payload:
            return b""
        data = file.read(size)
    if len(data) != size or not _checksum_holds(status, data, digest):
        return None
    return data


def read_entry(path: Path, magic: bytes, max_bytes: int) -> bytes | None:
    """The payload of the whole entry at `path` (as `read_checked` reads it), or None. A
    damaged entry (cut short, changed, a symbolic link, not a plain file) is removed, so that
    a whole one can take its place; one that cannot be opened is left alone."""
    try:
        payload = read_checked(path, magic, max_bytes)
    except OSError as error:
        if error.errno != errno.ELOOP:          # missing, or unreadable: not there for us
            return None
        payload = None                          # a symbolic link: not an entry we wrote
    if payload is None:
        with suppress(OSError):
            path.unlink(missing_ok=True)
    return payload


def stored_size(path: Path, magic: bytes, max_bytes: int) -> int | None:
    """The size of the payload in a file written with `checked_bytes`, when its header fits
    the file (as `read_checked` without `payload` judges it); else None."""
    with _open_plain(path) as file:
        header = _checked_header(file, magic, max_bytes)
    return None if header is None else header[1]


def _open_plain(path: Path) -> BinaryIO:
    flags = os.O_RDONLY | getattr(os, "O_NOFOLLOW", 0) | getattr(os, "O_NONBLOCK", 0)
    return open(os.open(path, flags), "rb")            # opening a pipe does not wait


def _checked_header(file: BinaryIO, magic: bytes, max_bytes: int) -> tuple[os.stat_result, int, bytes] | None:
    """The file's status, payload size and checksum, from a header that fits the file."""
    header_bytes = checked_header_bytes(magic)
    status = os.fstat(file.fileno())
    if not stat.S_ISREG(status.st_mode) or not header_bytes <= status.st_size <= max_bytes:
        return None
    header = file.read(header_bytes)
    if len(header) < header_bytes or not header.startswith(magic):
        return None
    (size,) = struct.unpack("<Q", header[len(magic):len(magic) + 8])
    if header_bytes + size != status.st_size:
        return None
    return status, size, header[len(magic) + 8:]


# Files whose checksum held, by identity: a file read again unchanged (the same inode, size,
# modification and change times) is not hashed again in this process. A build reads each
# spoken piece twice a track; hashing it every time was a tenth of the program's own work.
# Only files last changed a while ago: file times move in clock ticks (up to 2 s on some
# file systems), so a change within the tick of the last one would leave them as they were.
_VERIFIED: set[tuple[int, ...]] = set()
_VERIFIED_MOST = 100_000
TRUSTED_AFTER_S = 5.0


def _checksum_holds(status: os.stat_result, data: bytes, digest: bytes) -> bool:
    identity = (status.st_dev, status.st_ino, status.st_size, status.st_mtime_ns,
                status.st_ctime_ns, hash(digest))
    if identity in _VERIFIED:
        return True
    if hashlib.sha256(data).digest() != digest:
        return False
    if time.time() - max(status.st_mtime, status.st_ctime) >= TRUSTED_AFTER_S:
        if len(_VERIFIED) >= _VERIFIED_MOST:
            _VERIFIED.clear()
        _VERIFIED.add(identity)
    return True
