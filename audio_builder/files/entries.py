"""Reading files with a bound: plain files only, their size capped; and checked entries, bytes
kept between runs (the speech cache, stored sounds) that are read back only when whole."""

from __future__ import annotations

import errno
import hashlib
import os
import stat
import struct
import time
from contextlib import suppress
from pathlib import Path
from typing import BinaryIO

from audio_builder.errors import InputError

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
