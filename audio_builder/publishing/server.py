"""A local preview of the published site: a folder served on this machine, as a web host would.

It runs on the shared web layer (Starlette and uvicorn, loopback only, with a key). The key is
the address's first folder, `http://127.0.0.1:8000/KEY/index.html`, so the page's relative
links (its players, the chapters and captions they fetch, the feed) carry it, and a podcast
app on this machine can subscribe to `.../KEY/feed.xml`.

What it serves is what a static host would: plain files inside the folder (a link is followed
only when it ends inside), never a folder's listing, a device, a pipe or a file over
`MAX_FILE_BYTES`; `Range: bytes=START-END` answered (Python's own `http.server` ignores it, so a
browser could not seek an MP3); the podcast's own files named with their types (captions,
chapters JSON, every audio format) and readable from other origins where podcast apps read
them. A client that drops a download (a seeking browser aborts its range requests) ends its
response quietly.
"""

from __future__ import annotations

import mimetypes
import os
import stat
from collections.abc import AsyncIterator
from dataclasses import dataclass
from functools import partial
from pathlib import Path, PurePosixPath

import anyio
from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import PlainTextResponse, Response, StreamingResponse
from starlette.routing import Route

from audio_builder.publishing.formats import FORMATS
from audio_builder.publishing.tracks import PAGE, SIDECAR_TYPES, SIDECARS
from audio_builder.web.server import WebServer, keyed_app, new_key

TYPES = {
    **{suffix: SIDECAR_TYPES[kind] for kind, suffix in SIDECARS.items()},
    ".xml": "application/rss+xml; charset=utf-8",
    ".html": "text/html; charset=utf-8",
    ".json": "application/json",
    **{f".{fmt.extension}": fmt.mime_type for fmt in FORMATS.values()},
}

# Podcast apps and web players fetch these from other origins (the app's own, or a web
# player's): each is served with `Access-Control-Allow-Origin: *`, as docs/publishing.md shows
# for common hosts.
SHARED_ACROSS_ORIGINS = (*SIDECARS.values(), ".xml")

MAX_FILE_BYTES = 16 * 2**30       # far past a three-hour video; a larger "file" is not the site's
CHUNK_BYTES = 256 * 1024


def shared_across_origins(name: str) -> bool:
    return name.lower().split("?", 1)[0].endswith(SHARED_ACROSS_ORIGINS)


def content_type(name: str) -> str | None:
    """The type the site's own files are served with; None for others (the standard guess)."""
    lowered = name.lower()
    for suffix, kind in TYPES.items():
        if lowered.endswith(suffix):
            return kind
    return None


def served_type(name: str) -> str:
    """The type a file is served with: the site's (and so the format table's), else the
    standard guess (for a file no track is, like a take in .ogg or .aac)."""
    return content_type(name) or mimetypes.guess_type(name)[0] or "application/octet-stream"


@dataclass(frozen=True)
class _Opened:
    fd: int
    name: str
    size: int


def open_site_file(root: Path, name: str) -> _Opened | None:
    """The plain file `name` (a URL path, decoded) names inside `root`, opened; None when there
    is none: a name with NUL or a hidden part, a folder without an index page, anything that
    resolves outside `root`, a device, a pipe or a socket, a file over `MAX_FILE_BYTES`.
    A pipe is opened without waiting for a writer, so it never holds a thread."""
    parts = PurePosixPath(name).parts
    if "\x00" in name or any(part.startswith(".") for part in parts):
        return None
    candidate = root.joinpath(*parts)
    try:
        resolved = candidate.resolve(strict=True)
        if resolved.is_dir():
            resolved = (resolved / PAGE).resolve(strict=True)
        if not resolved.is_relative_to(root):
            return None
        fd = os.open(resolved, os.O_RDONLY | os.O_NONBLOCK | os.O_NOFOLLOW | os.O_CLOEXEC)
    except (OSError, RuntimeError, ValueError):      # missing, a loop, a name the OS refuses
        return None
    info = os.fstat(fd)
    if not stat.S_ISREG(info.st_mode) or info.st_size > MAX_FILE_BYTES:
        os.close(fd)
        return None
    return _Opened(fd, resolved.name, info.st_size)


def byte_range(header: str, size: int) -> tuple[int, int] | None:
    """`bytes=START-END`, `bytes=START-` or `bytes=-SUFFIX` (the first range only) as inclusive
    offsets; None when it cannot be satisfied."""
    if not header.startswith("bytes="):
        return None
    first, _, last = header[len("bytes="):].split(",")[0].strip().partition("-")
    try:
        if not first:
            start, end = max(0, size - int(last)), size - 1
        else:
            start, end = int(first), min(int(last), size - 1) if last else size - 1
    except ValueError:
        return None
    return (start, end) if 0 <= start <= end < size else None


async def _read(fd: int, start: int, length: int) -> AsyncIterator[bytes]:
    """The bytes asked for, read in a worker thread a chunk at a time (memory flat however
    large the file); the file is closed however the response ends, a dropped client included."""
    try:
        offset, left = start, length
        while left > 0:
            data = await anyio.to_thread.run_sync(os.pread, fd, min(CHUNK_BYTES, left), offset)
            if not data:                                 # the file shrank while being sent
                return
            offset, left = offset + len(data), left - len(data)
            yield data
    finally:
        os.close(fd)


def _first_found(roots: tuple[Path, ...], name: str) -> _Opened | None:
    for root in roots:
        opened = open_site_file(root, name)
        if opened is not None:
            return opened
    return None


async def file_response(roots: tuple[Path, ...], request: Request) -> Response:
    """The file the request's `path` names in the first of `roots` (resolved folders) that has
    it, opened by `open_site_file` (404 when none does), with its type and its range."""
    opened = await run_in_threadpool(_first_found, roots, request.path_params["path"])
    if opened is None:
        return PlainTextResponse("not found\n", 404)
    headers = {"accept-ranges": "bytes", "content-type": served_type(opened.name)}
    if shared_across_origins(opened.name):
        headers["access-control-allow-origin"] = "*"
    start, end, status = 0, opened.size - 1, 200
    asked = request.headers.get("range")
    if asked is not None:
        span = byte_range(asked.strip(), opened.size)
        if span is None:
            os.close(opened.fd)
            return Response(status_code=416, headers={**headers, "content-range": f"bytes */{opened.size}"})
        (start, end), status = span, 206
        headers["content-range"] = f"bytes {start}-{end}/{opened.size}"
    headers["content-length"] = str(end - start + 1)
    if request.method == "HEAD":
        os.close(opened.fd)
        return Response(status_code=status, headers=headers)
    return StreamingResponse(_read(opened.fd, start, end - start + 1), status, headers=headers)


def site_app(folder: Path, key: str, *, behind: Path | None = None):
    """The Starlette app serving `folder` at `/KEY/...` (see the module's docstring); a name
    not in `folder` is looked for in `behind` (the preview: the scheduled folder in front of
    the published one)."""
    roots = tuple(place.resolve() for place in (folder, behind) if place is not None)
    return keyed_app([Route("/{path:path}", partial(file_response, roots), methods=["GET", "HEAD"])],
                     key=key, key_in_path=True, max_body=0)


class SitePreview:
    """`folder` served on this machine with a fresh key, in a background thread:

        with SitePreview(Path("output")) as site:
            print(site.url)             # http://127.0.0.1:PORT/KEY/  (index.html)

    `port=0` picks a free port. Leaving the `with` block stops it."""

    def __init__(self, folder: Path, *, port: int = 0, behind: Path | None = None):
        self.folder = folder
        self.key = new_key()
        self.server = WebServer(site_app(folder, self.key, behind=behind), port=port)

    @property
    def url(self) -> str:
        """The site's address with its key: relative links resolve under it."""
        return self.server.url(f"/{self.key}/")

    def start(self) -> SitePreview:
        self.server.start()
        return self

    def stop(self) -> None:
        self.server.stop()

    def __enter__(self) -> SitePreview:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()
