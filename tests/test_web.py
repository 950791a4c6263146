"""The shared web layer: a keyed Starlette app on uvicorn in a background thread, checked over
real HTTP (urllib, and Chromium through Playwright) on loopback."""

from __future__ import annotations

import asyncio
import json
import socket
import threading
import urllib.error
import urllib.request

import pytest
from starlette.responses import HTMLResponse, JSONResponse
from starlette.routing import Route

from audio_builder.errors import InputError
from audio_builder.web.server import (
    KeyGuard,
    Reach,
    WebServer,
    client_allowed,
    key_matches,
    keyed_app,
    new_key,
    read_json,
)

PAGE = """<!doctype html><html lang="en"><head><meta charset="utf-8"><title>Counter</title></head>
<body><main><h1>Counter</h1><p id="count">0</p>
<button id="add" type="button">Add one</button></main>
<script>
const key = new URLSearchParams(location.search).get("key");
document.getElementById("add").onclick = async () => {
  const answer = await fetch(`/api/add?key=${encodeURIComponent(key)}`,
    {method: "POST", headers: {"Content-Type": "application/json"}, body: JSON.stringify({by: 1})});
  document.getElementById("count").textContent = (await answer.json()).count;
};
</script></body></html>"""


def counter_app(key: str, **options):
    count = {"value": 0}

    async def page(request):
        return HTMLResponse(PAGE)

    async def add(request):
        data = await read_json(request)
        count["value"] += int(data.get("by", 1))
        return JSONResponse({"count": count["value"]})

    return keyed_app([Route("/", page), Route("/api/add", add, methods=["POST"])], key=key, **options)


def fetch(url: str, body: bytes | None = None, headers: dict | None = None) -> tuple[int, bytes, dict]:
    request = urllib.request.Request(url, data=body, headers=headers or {},
                                     method="POST" if body is not None else "GET")
    try:
        with urllib.request.urlopen(request, timeout=5) as answer:
            return answer.status, answer.read(), dict(answer.headers)
    except urllib.error.HTTPError as error:
        return error.code, error.read(), dict(error.headers)


@pytest.fixture
def served():
    key = new_key()
    with WebServer(counter_app(key, max_body=1024)) as server:
        yield server, key


def test_every_route_needs_the_key(served):
    server, key = served
    assert fetch(server.url("/"))[0] == 403
    assert fetch(server.url("/", "x" * len(key)))[0] == 403
    assert fetch(server.url("/api/add"), b"{}")[0] == 403
    assert fetch(server.url("/nowhere"))[0] == 403           # even a missing page says nothing
    status, body, headers = fetch(server.url("/", key))
    assert status == 200 and b"Counter" in body
    assert headers["referrer-policy"] == "no-referrer"       # the key never leaves in a Referer
    assert fetch(server.url("/"), headers={"X-Key": key})[0] == 200


def test_bodies_are_bounded(served):
    server, key = served
    assert fetch(server.url("/api/add", key), b'{"by": 2}')[0] == 200
    assert fetch(server.url("/api/add", key), b"{" + b" " * 2000 + b"}")[0] == 413
    assert fetch(server.url("/api/add", key), b"[1]")[0] == 400
    assert fetch(server.url("/api/add", key), b"not json")[0] == 400


def test_a_body_without_a_length_is_cut_off_at_the_bound():
    """Chunked bodies declare no length: the guard counts what arrives."""
    key = new_key()
    app = counter_app(key, max_body=100)
    scope = {"type": "http", "method": "POST", "path": "/api/add", "raw_path": b"/api/add",
             "query_string": f"key={key}".encode(), "headers": [], "client": ("127.0.0.1", 5000),
             "server": ("127.0.0.1", 80), "scheme": "http", "root_path": "", "http_version": "1.1"}
    chunks = [{"type": "http.request", "body": b" " * 60, "more_body": True}] * 3
    sent: list[dict] = []

    async def receive():
        return chunks.pop(0)

    async def send(message):
        sent.append(message)

    asyncio.run(app(scope, receive, send))
    assert sent[0]["status"] == 413


@pytest.mark.parametrize("host, loopback, private", [
    ("127.0.0.1", True, True), ("127.8.9.1", True, True), ("::1", True, True),
    ("192.168.1.20", False, True), ("10.1.2.3", False, True), ("172.20.0.5", False, True),
    ("::ffff:192.168.0.9", False, True), ("fd12:3456::1", False, True), ("fe80::1%eth0", False, True),
    ("8.8.8.8", False, False), ("172.32.0.1", False, False), ("100.64.0.1", False, False),
    ("2001:db8::1", False, False), ("::ffff:8.8.8.8", False, False), ("", False, False),
    (None, False, False), ("not an address", False, False),
])
def test_which_clients_are_answered(host, loopback, private):
    assert client_allowed(host, Reach.LOOPBACK) is loopback
    assert client_allowed(host, Reach.PRIVATE) is private


def test_a_public_client_is_refused_even_with_the_key():
    key = new_key()
    sent: list[dict] = []

    async def app(scope, receive, send):
        raise AssertionError("reached the app")

    async def send(message):
        sent.append(message)

    guard = KeyGuard(app, key=key, reach=Reach.PRIVATE, max_body=10)
    scope = {"type": "http", "query_string": f"key={key}".encode(), "headers": [],
             "client": ("203.0.113.7", 5000)}
    asyncio.run(guard(scope, None, send))
    assert sent[0]["status"] == 403


def test_keys_are_random_and_compared_whole():
    keys = {new_key() for _ in range(50)}
    assert len(keys) == 50 and all(len(k) >= 24 for k in keys)
    key = new_key()
    assert key_matches(key, key) and not key_matches(key[:-1], key) and not key_matches(None, key)
    with pytest.raises(InputError):
        keyed_app([], key="short")


def test_binds_loopback_by_default_and_stops_cleanly():
    key = new_key()
    server = WebServer(counter_app(key)).start()
    assert server.socket.getsockname()[0] == "127.0.0.1"
    assert server.lan_url("/", key) is None                   # loopback only: nothing to show a phone
    port = server.port
    server.stop()
    assert not server.thread.is_alive()
    with socket.socket() as probe:                            # the port is free again
        probe.bind(("127.0.0.1", port))
    assert not [t for t in threading.enumerate() if t.name == "audio-builder-web"]


def test_the_private_opt_in_still_listens_on_loopback():
    key = new_key()
    with WebServer(counter_app(key, reach=Reach.PRIVATE), reach=Reach.PRIVATE) as server:
        assert server.socket.getsockname()[0] in ("::", "0.0.0.0")
        assert fetch(server.url("/", key))[0] == 200
        assert fetch(server.url("/"))[0] == 403


def test_a_busy_port_is_a_clear_error(served):
    server, key = served
    with pytest.raises(InputError, match=f"cannot listen on port {server.port}"):
        WebServer(counter_app(key), port=server.port).start()


@pytest.mark.browser                  # slow: a real browser
def test_a_page_in_chromium_uses_its_key(served, browser):
    server, key = served
    page = browser.new_page()
    assert page.goto(server.url("/")).status == 403
    page.goto(server.url("/", key))
    page.get_by_role("button", name="Add one").click()
    page.get_by_role("button", name="Add one").click()
    page.wait_for_function("document.getElementById('count').textContent === '2'", timeout=5000)
    answer = page.evaluate("fetch('/api/add', {method: 'POST', body: '{}'}).then(r => r.status)")
    assert answer == 403                                     # the page's own request without the key
    assert json.loads(fetch(server.url("/api/add", key), b"{}")[1])["count"] == 3
