"""A keyed Starlette app and the uvicorn server that runs it in a background thread.

Every page the program serves (the phone remote, the studio, the site preview) goes through
`keyed_app`, so none of them can forget the key, the client check or the body limit:

    key = new_key()
    app = keyed_app([Route("/", page)], key=key)                 # loopback clients only
    with WebServer(app) as server:                               # binds 127.0.0.1, a free port
        print(server.url("/", key))                              # http://127.0.0.1:PORT/?key=...

    app = keyed_app(routes, key=key, reach=Reach.PRIVATE)        # a phone on the same network
    with WebServer(app, reach=Reach.PRIVATE, port=8765) as server:
        print(server.lan_url("/", key))                          # http://192.168.1.20:8765/?key=...

The key travels as `?key=K` (a link or QR code carries it; the page's own requests repeat it)
or as an `X-Key` header, and is compared in constant time. An app built with
`key_in_path=True` also takes it as the address's first folder, `/K/page.html`, which it
strips before routing: a static site's relative links (`episode.mp3`, a player seeking it, a
podcast app fetching the feed's files) then carry the key without the pages knowing of it. Responses carry
`Referrer-Policy: no-referrer` so the key in the address never leaks to another site, and
`Cache-Control: no-store`.
"""

from __future__ import annotations

import asyncio
import enum
import hmac
import ipaddress
import json
import secrets
import socket
import threading
import time
from collections.abc import Sequence
from typing import Any
from urllib.parse import parse_qs, quote

import uvicorn
from starlette.applications import Starlette
from starlette.exceptions import HTTPException
from starlette.middleware import Middleware
from starlette.requests import Request
from starlette.routing import BaseRoute
from starlette.types import ASGIApp, Message, Receive, Scope, Send
from uvicorn.protocols.http.h11_impl import H11Protocol

from audio_builder.errors import BuildError, InputError

DEFAULT_MAX_BODY = 16 * 1024          # bytes: a command or a form, never an upload
KEY_BYTES = 18                        # 144 bits, 24 URL-safe characters
START_TIMEOUT_S = 10.0
REQUEST_HEAD_TIMEOUT_S = 10.0         # a client has this long to send a request's head


class Reach(enum.Enum):
    """Who may use a server: this machine only, or this machine and the local network."""
    LOOPBACK = "loopback"
    PRIVATE = "private"


LOOPBACK_NETWORKS = tuple(map(ipaddress.ip_network, ("127.0.0.0/8", "::1/128")))
# RFC 1918, link-local, and their IPv6 counterparts (unique local, link-local): addresses a
# home or meditation-hall network hands out, which no one on the internet can come from.
PRIVATE_NETWORKS = tuple(map(ipaddress.ip_network, (
    "10.0.0.0/8", "172.16.0.0/12", "192.168.0.0/16", "169.254.0.0/16", "fc00::/7", "fe80::/10")))
ANSWERED = {Reach.LOOPBACK: LOOPBACK_NETWORKS, Reach.PRIVATE: LOOPBACK_NETWORKS + PRIVATE_NETWORKS}

SECURITY_HEADERS = [
    (b"referrer-policy", b"no-referrer"),
    (b"cache-control", b"no-store"),
    (b"x-content-type-options", b"nosniff"),
    (b"x-frame-options", b"DENY"),
]


def new_key() -> str:
    """A fresh random key for one server's life."""
    return secrets.token_urlsafe(KEY_BYTES)


def client_allowed(host: str | None, reach: Reach) -> bool:
    """Whether a client at `host` (an IP address as the server saw it) may be answered."""
    if not host:
        return False
    try:
        address = ipaddress.ip_address(host.split("%")[0])
    except ValueError:
        return False
    if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped is not None:
        address = address.ipv4_mapped
    return any(address in network for network in ANSWERED[reach])


def key_matches(given: str | None, key: str) -> bool:
    """Constant-time comparison, so the time taken tells nothing of how much was right."""
    return given is not None and hmac.compare_digest(given.encode(), key.encode())


class _TooLarge(Exception):
    pass


class KeyGuard:
    """ASGI middleware in front of every route: the client's address, the key, the body size.
    It also adds the security headers to every response."""

    def __init__(self, app: ASGIApp, *, key: str, reach: Reach, max_body: int,
                 key_in_path: bool = False):
        self.app, self.key, self.reach, self.max_body = app, key, reach, max_body
        self.key_in_path = key_in_path

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] not in ("http", "websocket"):
            await self.app(scope, receive, send)
            return
        client = scope.get("client")
        if not client_allowed(client[0] if client else None, self.reach):
            await _refuse(scope, send, 403, "this address may not use this page")
            return
        keyed = _key_stripped(scope, self.key) if self.key_in_path else None
        if keyed is not None:
            if keyed["path"] == "":           # `/K`: relative links need the folder, `/K/`
                await _redirect(scope, send, f"/{self.key}/")
                return
            scope = keyed
        elif not key_matches(_given_key(scope), self.key):
            await _refuse(scope, send, 403, "forbidden: open the address with its key (?key=...)")
            return
        if scope["type"] == "websocket":
            await self.app(scope, receive, send)
            return
        declared = _header(scope, b"content-length")
        if declared is not None and (not declared.isdigit() or int(declared) > self.max_body):
            await _refuse(scope, send, 413, f"the request is over {self.max_body} bytes")
            return
        await self._bounded(scope, receive, send)

    async def _bounded(self, scope: Scope, receive: Receive, send: Send) -> None:
        received = 0
        started = False

        async def counted_receive() -> Message:
            nonlocal received
            message = await receive()
            received += len(message.get("body", b""))
            if received > self.max_body:
                raise _TooLarge
            return message

        async def headed_send(message: Message) -> None:
            nonlocal started
            if message["type"] == "http.response.start":
                started = True
                message = {**message, "headers": [*message.get("headers", []), *SECURITY_HEADERS]}
            await send(message)

        try:
            await self.app(scope, counted_receive, headed_send)
        except _TooLarge:
            if not started:
                await _refuse(scope, send, 413, f"the request is over {self.max_body} bytes")


def _given_key(scope: Scope) -> str | None:
    header = _header(scope, b"x-key")
    if header is not None:
        return header
    values = parse_qs(scope.get("query_string", b"").decode("latin-1")).get("key")
    return values[0] if values else None


def _key_stripped(scope: Scope, key: str) -> Scope | None:
    """The request with the key taken off the front of its path (`/K/a.mp3` is `/a.mp3`), or
    None when the path does not start with the key."""
    path: str = scope.get("path", "")
    first, slash, rest = path[1:].partition("/")
    if not key_matches(first, key):
        return None
    raw: bytes = scope.get("raw_path") or path.encode()
    stripped = raw[len(key) + 1:] if raw.startswith(f"/{key}".encode()) else (slash + rest).encode()
    return {**scope, "path": slash + rest, "raw_path": stripped}


async def _redirect(scope: Scope, send: Send, location: str) -> None:
    query = scope.get("query_string", b"")
    target = location.encode() + (b"?" + query if query else b"")
    await send({"type": "http.response.start", "status": 308, "headers": [
        (b"location", target), (b"content-length", b"0"), *SECURITY_HEADERS]})
    await send({"type": "http.response.body", "body": b""})


def _header(scope: Scope, name: bytes) -> str | None:
    for header, value in scope.get("headers", []):
        if header.lower() == name:
            return value.decode("latin-1").strip()
    return None


async def _refuse(scope: Scope, send: Send, status: int, text: str) -> None:
    if scope["type"] == "websocket":
        await send({"type": "websocket.close", "code": 1008})
        return
    body = f"{text}\n".encode()
    await send({"type": "http.response.start", "status": status, "headers": [
        (b"content-type", b"text/plain; charset=utf-8"),
        (b"content-length", str(len(body)).encode()), *SECURITY_HEADERS]})
    await send({"type": "http.response.body", "body": body})


def keyed_app(routes: Sequence[BaseRoute], *, key: str, reach: Reach = Reach.LOOPBACK,
              max_body: int = DEFAULT_MAX_BODY, key_in_path: bool = False) -> Starlette:
    """A Starlette app serving `routes` only to requests that carry `key` and come from an
    address `reach` answers (loopback by default; `Reach.PRIVATE` adds the local network),
    with request bodies of at most `max_body` bytes. With `key_in_path`, `/KEY/rest` is
    routed as `/rest` (for pages whose links are relative)."""
    if len(key) < 16:
        raise InputError("a web key needs at least 16 characters; make one with new_key()")
    if max_body < 0:
        raise InputError(f"max_body must be 0 or more bytes, not {max_body}")
    return Starlette(routes=list(routes), middleware=[
        Middleware(KeyGuard, key=key, reach=reach, max_body=max_body, key_in_path=key_in_path)])


async def read_json(request: Request) -> dict[str, Any]:
    """The request's body as a JSON object, or 400 with what is wrong (the body is already
    bounded by the app's `max_body`)."""
    try:
        data = json.loads(await request.body())
    except (ValueError, UnicodeDecodeError):
        raise HTTPException(400, "the body is not JSON") from None
    if not isinstance(data, dict):
        raise HTTPException(400, "the body must be a JSON object")
    return data


def _listening_socket(reach: Reach, port: int) -> socket.socket:
    """Loopback only, or every address of this machine (IPv4 and, where it can, IPv6) for
    `Reach.PRIVATE`: the app still answers only private and loopback clients."""
    try:
        if reach is Reach.LOOPBACK:
            return socket.create_server(("127.0.0.1", port))
        if socket.has_dualstack_ipv6():
            return socket.create_server(("::", port), family=socket.AF_INET6, dualstack_ipv6=True)
        return socket.create_server(("0.0.0.0", port))
    except OSError as error:
        raise InputError(f"cannot listen on port {port} ({error.strerror or error}); "
                         f"choose another port, or 0 for any free one") from None


def lan_address() -> str | None:
    """This machine's address on the local network (the one its default route leaves from),
    or None when it has no private one. Connecting a UDP socket sends nothing: it only asks
    the system which address it would use."""
    probe = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    try:
        probe.connect(("10.254.254.254", 9))
        address = probe.getsockname()[0]
    except OSError:
        return None
    finally:
        probe.close()
    return address if client_allowed(address, Reach.PRIVATE) and not client_allowed(
        address, Reach.LOOPBACK) else None


class _HeadTimedH11(H11Protocol):
    """uvicorn's HTTP/1.1 connection with one more timeout. uvicorn times out only the wait
    between two requests: a connection that sends nothing, or a request's head a byte now and
    then, held a connection for ever. Here a client has `REQUEST_HEAD_TIMEOUT_S` from the
    connection (or the end of its last response) to send a whole request head."""

    def connection_made(self, transport: asyncio.Transport) -> None:  # type: ignore[override]
        super().connection_made(transport)
        self._waiting_since = self.loop.time()
        self._head_timer = self.loop.call_later(REQUEST_HEAD_TIMEOUT_S, self._head_deadline)

    def on_response_complete(self) -> None:
        self._waiting_since = self.loop.time()
        super().on_response_complete()

    def connection_lost(self, exc: Exception | None) -> None:
        self._head_timer.cancel()
        super().connection_lost(exc)

    def _head_deadline(self) -> None:
        if self.transport.is_closing():
            return
        answering = self.cycle is not None and not self.cycle.response_complete
        waited = self.loop.time() - self._waiting_since
        if not answering and waited >= REQUEST_HEAD_TIMEOUT_S:
            self.transport.close()
            return
        left = REQUEST_HEAD_TIMEOUT_S - waited if not answering else REQUEST_HEAD_TIMEOUT_S
        self._head_timer = self.loop.call_later(max(left, 0.1), self._head_deadline)


class WebServer:
    """Runs an ASGI app with uvicorn in a background thread.

    `port=0` picks a free port (read it from `.port` after `start()`). `reach` says which
    addresses to listen on: loopback by default; `Reach.PRIVATE` listens on every address
    (the loopback included), and must be paired with an app built with the same reach.
    `stop()` (or leaving the `with` block) finishes requests under way and closes the socket."""

    def __init__(self, app: ASGIApp, *, reach: Reach = Reach.LOOPBACK, port: int = 0):
        self.app, self.reach, self.requested_port = app, reach, port
        self.socket: socket.socket | None = None
        self.server: uvicorn.Server | None = None
        self.thread: threading.Thread | None = None

    def start(self) -> WebServer:
        self.socket = _listening_socket(self.reach, self.requested_port)
        config = uvicorn.Config(self.app, http=_HeadTimedH11, log_level="warning",
                                access_log=False, lifespan="off",
                                timeout_keep_alive=5, limit_concurrency=64,
                                h11_max_incomplete_event_size=16 * 1024, timeout_graceful_shutdown=2)
        self.server = uvicorn.Server(config)
        self.thread = threading.Thread(target=self.server.run, kwargs={"sockets": [self.socket]},
                                       name="audio-builder-web", daemon=True)
        self.thread.start()
        deadline = time.monotonic() + START_TIMEOUT_S
        while not self.server.started:
            if not self.thread.is_alive() or time.monotonic() > deadline:
                self.stop()
                raise BuildError("the web server did not start")
            time.sleep(0.01)
        return self

    @property
    def port(self) -> int:
        if self.socket is None:
            raise BuildError("the web server is not started")
        return int(self.socket.getsockname()[1])

    def url(self, path: str = "/", key: str | None = None) -> str:
        """The address on this machine."""
        return _address("127.0.0.1", self.port, path, key)

    def lan_url(self, path: str = "/", key: str | None = None) -> str | None:
        """The address a phone on the local network opens; None when serving loopback only
        or when this machine has no private address."""
        host = lan_address() if self.reach is Reach.PRIVATE else None
        return _address(host, self.port, path, key) if host else None

    def stop(self, timeout_s: float = 5.0) -> None:
        if self.server is not None:
            self.server.should_exit = True
        if self.thread is not None and self.thread is not threading.current_thread():
            self.thread.join(timeout_s)
        if self.socket is not None:
            self.socket.close()

    def __enter__(self) -> WebServer:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()


def _address(host: str, port: int, path: str, key: str | None) -> str:
    query = f"?key={quote(key, safe='')}" if key else ""
    return f"http://{host}:{port}{path}{query}"
