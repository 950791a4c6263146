"""A local preview of the published site: output/ served on this machine, as a web host would.

Python's own `http.server` ignores HTTP Range, so a browser cannot seek in an MP3 it serves
(a chapter button plays from near the start). This server answers Range requests and names
the podcast's own files with their types (captions, chapters JSON, every audio format).
"""

from __future__ import annotations

import functools
import http.server
import shutil
from pathlib import Path
from typing import BinaryIO

from audio_builder.publish.formats import FORMATS
from audio_builder.publish.tracks import SIDECAR_TYPES, SIDECARS

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


def shared_across_origins(name: str) -> bool:
    return name.lower().split("?", 1)[0].endswith(SHARED_ACROSS_ORIGINS)


def content_type(name: str) -> str | None:
    """The type the site's files are served with; None for others (the standard guess)."""
    lowered = name.lower()
    for suffix, kind in TYPES.items():
        if lowered.endswith(suffix):
            return kind
    return None


class SiteHandler(http.server.SimpleHTTPRequestHandler):
    """Static files with byte ranges (`Range: bytes=START-END`, one range), as players seek."""

    def log_message(self, format: str, *args: object) -> None:   # quiet: a preview, not a log
        pass

    def guess_type(self, path) -> str:
        return content_type(str(path)) or super().guess_type(path)

    def end_headers(self) -> None:
        self.send_header("Accept-Ranges", "bytes")
        if shared_across_origins(self.path):
            self.send_header("Access-Control-Allow-Origin", "*")
        super().end_headers()

    def send_head(self):
        header = self.headers.get("Range", "")
        path = Path(self.translate_path(self.path))
        if not header.startswith("bytes=") or not path.is_file():
            return super().send_head()
        size = path.stat().st_size
        span = _byte_range(header[len("bytes="):], size)
        if span is None:
            self.send_response(416)
            self.send_header("Content-Range", f"bytes */{size}")
            self.send_header("Content-Length", "0")
            self.end_headers()
            return None
        start, end = span
        self.send_response(206)
        self.send_header("Content-Type", self.guess_type(str(path)))
        self.send_header("Content-Range", f"bytes {start}-{end}/{size}")
        self.send_header("Content-Length", str(end - start + 1))
        self.end_headers()
        stream = path.open("rb")
        stream.seek(start)
        return _Slice(stream, end - start + 1)

    def copyfile(self, source, outputfile) -> None:
        shutil.copyfileobj(source, outputfile)


def _byte_range(spec: str, size: int) -> tuple[int, int] | None:
    """`START-END`, `START-` or `-SUFFIX` (the first range only) as inclusive offsets."""
    first, _, last = spec.split(",")[0].strip().partition("-")
    try:
        if not first:
            start, end = max(0, size - int(last)), size - 1
        else:
            start, end = int(first), min(int(last), size - 1) if last else size - 1
    except ValueError:
        return None
    return (start, end) if 0 <= start <= end < size else None


class _Slice:
    """The part of a file a range asks for, read like a file."""

    def __init__(self, stream: BinaryIO, size: int):
        self.stream, self.left = stream, size

    def read(self, n: int = -1) -> bytes:
        n = self.left if n < 0 else min(n, self.left)
        data = self.stream.read(n)
        self.left -= len(data)
        return data

    def close(self) -> None:
        self.stream.close()


def site_server(folder: Path, host: str = "127.0.0.1", port: int = 8000) -> http.server.ThreadingHTTPServer:
    """A server for `folder` (call `serve_forever()`; port 0 picks a free one)."""
    handler = functools.partial(SiteHandler, directory=str(folder))
    return http.server.ThreadingHTTPServer((host, port), handler)
