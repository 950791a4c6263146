"""`audio-builder serve` as a hostile client meets it: real HTTP requests to a running server.

It serves plain files inside the folder only (no link out, no listing, no device or pipe, no
file past the size bound), needs its key, closes idle connections, and says nothing on its
stderr when a client drops a download (a seeking browser aborts its range requests) or sends
`%00`. Range and CORS are checked with the rest of the site in test_site.py and test_hosts.py.
"""

import http.client
import os
import signal
import socket
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.request
from pathlib import Path

import pytest
from conftest import project_once

from audio_builder.publishing.server import MAX_FILE_BYTES, SitePreview

PODCAST = "title: Served\nauthor: A Teacher\nemail: t@example.org\nbase_url: https://example.org/s/\n"
SCRIPT = """
title: Served Practice
date: 2026-11-01
episode: 1
length: 40s
steps:
  - chapter: Arriving
  - Rest here, and breathe.
  - pause: 1s..
  - chapter: Closing
  - at: -12s
  - Thank you for practising with me today.
  - pause: 1s..
"""


@pytest.fixture(scope="module")
def built(tmp_path_factory):
    root, _ = project_once(tmp_path_factory, "served",
                           {"podcast.yaml": PODCAST, "scripts/served.yaml": SCRIPT},
                           ("build", "--quiet"), ("feed",))
    return root / "output"


@pytest.fixture
def site(built, tmp_path):
    """A copy of the built site with hostile neighbours: links out, a folder, a device, a pipe."""
    folder = tmp_path / "output"
    folder.mkdir()
    for path in built.iterdir():
        if path.is_file():
            (folder / path.name).write_bytes(path.read_bytes())
    secret = tmp_path / "secret.txt"
    secret.write_text("not for the web\n")
    (folder / "passwd").symlink_to("/etc/passwd")
    (folder / "secret.vtt").symlink_to(secret)
    (folder / "zero.mp3").symlink_to("/dev/zero")
    (folder / "also-page.html").symlink_to(folder / "index.html")      # a link that stays inside
    os.mkfifo(folder / "pipe.mp3")
    (folder / "sub").mkdir()
    (folder / "sub" / "notes.txt").write_text("a private note\n")
    with (folder / "huge.mp3").open("wb") as sparse:                   # no disk used
        sparse.truncate(MAX_FILE_BYTES + 1)
    return folder


@pytest.fixture
def served(site):
    with SitePreview(site) as server:
        yield server


def get(url: str, **headers: str) -> tuple[int, bytes, dict]:
    request = urllib.request.Request(url, headers=headers)
    try:
        with urllib.request.urlopen(request, timeout=10) as answer:
            return answer.status, answer.read(), dict(answer.headers)
    except urllib.error.HTTPError as error:
        return error.code, error.read(), dict(error.headers)


def raw_get(port: int, path: str) -> int:
    """A request urllib would refuse to send (`%00`, `..` left in the path)."""
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
    connection.putrequest("GET", path, skip_accept_encoding=True)
    connection.endheaders()
    status = connection.getresponse().status
    connection.close()
    return status


def test_serve_needs_its_key(served):
    root = served.server.url("/")
    assert get(root + "index.html")[0] == 403
    assert get(root + "x" * len(served.key) + "/index.html")[0] == 403
    assert get(served.url)[0] == 200 and b"Served Practice" in get(served.url)[1]
    no_slash = http.client.HTTPConnection("127.0.0.1", served.server.port, timeout=10)
    no_slash.request("GET", f"/{served.key}")
    answer = no_slash.getresponse()
    assert answer.status == 308 and answer.getheader("Location") == f"/{served.key}/"


def test_serve_follows_no_link_out_of_the_folder(served, deadline):
    for name in ("passwd", "secret.vtt"):
        status, body, _ = get(served.url + name)
        assert status == 404 and b"root:" not in body and b"not for the web" not in body
    for path in ("..%2f..%2f..%2fetc%2fpasswd", "%2e%2e/%2e%2e/%2e%2e/etc/passwd", "../../etc/passwd",
                 "sub/..%2f..%2fsecret.txt", "%2fetc%2fpasswd"):
        assert raw_get(served.server.port, f"/{served.key}/{path}") in (400, 404), path
    assert get(served.url + "also-page.html")[0] == 200          # a link that stays inside


def test_serve_lists_no_folder(served):
    for name in ("sub/", "sub", "sub/.", "sub/%2e"):
        status, body, _ = get(served.url + name)
        assert status == 404 and b"notes" not in body, name
    assert get(served.url + "sub/notes.txt")[0] == 200           # its files are the site's


def test_serve_sends_no_device_pipe_or_unbounded_file(served, deadline):
    started = time.monotonic()
    for name in ("zero.mp3", "pipe.mp3", "huge.mp3"):
        status, body, _ = get(served.url + name)
        assert status == 404 and len(body) < 100, name
    for _ in range(80):                         # more pipes than the server's threads and slots
        assert get(served.url + "pipe.mp3")[0] == 404
    assert get(served.url + "served.vtt")[0] == 200
    assert time.monotonic() - started < 10


def test_serve_closes_idle_connections(site, monkeypatch, deadline):
    monkeypatch.setattr("audio_builder.web.server.REQUEST_HEAD_TIMEOUT_S", 0.5)
    with SitePreview(site) as served:
        silent = socket.create_connection(("127.0.0.1", served.server.port), timeout=10)
        trickle = socket.create_connection(("127.0.0.1", served.server.port), timeout=10)
        started = time.monotonic()
        for part in (b"GET / HTTP/1.1\r\n", b"Host: a\r\n", b"X-A: b\r\n", b"X-C: d\r\n"):
            try:
                trickle.sendall(part)                        # a byte now and then, never done
            except OSError:
                break
            time.sleep(0.3)
        assert silent.recv(100) == b"" and trickle.recv(100) == b""        # closed by the server
        assert time.monotonic() - started < 5
        silent.close()
        trickle.close()


class ServeProcess:
    """`audio-builder serve` in its own process, its stderr kept to be read afterwards."""

    def __init__(self, folder: Path, stderr: Path):
        self.stderr_path = stderr
        self.process = subprocess.Popen(
            [sys.executable, "-m", "audio_builder", "serve", "-o", str(folder), "--port", "0"],
            stdout=subprocess.PIPE, stderr=stderr.open("wb"), text=True)
        line = self.process.stdout.readline()
        assert " at http://127.0.0.1:" in line, line + stderr.read_text()
        self.url = line.split(" at ")[1].split()[0]
        self.port = int(self.url.split(":")[2].split("/")[0])
        self.key = self.url.rstrip("/").rsplit("/", 1)[1]

    def stop(self) -> str:
        self.process.send_signal(signal.SIGINT)
        self.process.wait(timeout=10)
        return self.stderr_path.read_text()


def drop_download(port: int, path: str, range_header: str = "") -> None:
    """Ask for a file, read a little of it, hang up (with a reset, as a browser tab does)."""
    client = socket.create_connection(("127.0.0.1", port), timeout=10)
    extra = f"Range: {range_header}\r\n" if range_header else ""
    client.sendall(f"GET {path} HTTP/1.1\r\nHost: 127.0.0.1\r\n{extra}\r\n".encode())
    client.recv(2000)
    client.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, b"\x01\x00\x00\x00\x00\x00\x00\x00")
    client.close()


@pytest.mark.slow                      # slow: the command in a process of its own
def test_serve_says_nothing_when_clients_drop_downloads_or_send_nul(site, tmp_path, deadline):
    with (site / "big.mp3").open("wb") as big:               # larger than the socket buffers
        big.write(os.urandom(8 * 2**20))
    server = ServeProcess(site, tmp_path / "stderr.txt")
    try:
        threads = [threading.Thread(target=drop_download, args=(
            server.port, f"/{server.key}/big.mp3", f"bytes={n * 100_000}-")) for n in range(12)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        for path in ("%00", "a%00.mp3", "%00/../passwd", "served.mp3%00.vtt"):
            assert raw_get(server.port, f"/{server.key}/{path}") in (400, 404), path
        assert get(server.url + "served.vtt")[0] == 200         # still answering
    finally:
        stderr = server.stop()
    assert "Traceback" not in stderr and "Exception" not in stderr and "ERROR" not in stderr, stderr


@pytest.mark.browser
def test_a_page_load_in_chromium_leaves_nothing_on_stderr(site, tmp_path, browser):
    server = ServeProcess(site, tmp_path / "stderr.txt")
    try:
        page = browser.new_page()
        page.goto(server.url + "index.html")
        audio = page.locator("article audio").first
        audio.evaluate("a => new Promise(r => a.readyState >= 1 ? r() : "
                       "a.addEventListener('loadedmetadata', r))")
        page.locator("article").first.get_by_role("button", name="Closing").click()
        page.wait_for_function("a => a.currentTime >= 27", arg=audio.element_handle(), timeout=10_000)
        audio.evaluate("a => { a.currentTime = 5; }")                 # seek back: another range
        page.wait_for_timeout(500)
        page.close()                                                   # drops what is under way
    finally:
        stderr = server.stop()
    assert "Traceback" not in stderr and "Exception" not in stderr and "ERROR" not in stderr, stderr
