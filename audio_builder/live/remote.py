"""The phone remote of `play --remote`: a small page and a JSON interface on the shared web
layer, answering this machine and the local network, each request with the session's key.

    GET  /?key=K               the page: chapter, time left, next line, large buttons
    GET  /api/state?key=K      {"state": "playing"|"paused"|"holding"|"ended",
                                "position_ms": N, "chapter": "...", ...}
    POST /api/command?key=K    {"do": "pause"|"resume"|"next"|"previous"|"bell"|"extend"|"end"}

A command is queued for the session, which carries it out before its next block (within about
a tenth of a second); the state is what the session published after its last block.
"""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import HTMLResponse, JSONResponse, Response
from starlette.routing import Route
from starlette.types import ASGIApp

from audio_builder.errors import printable
from audio_builder.live.player import COMMANDS, Player
from audio_builder.live.session import Commands
from audio_builder.web.server import Reach, WebServer, keyed_app, new_key, read_json

DEFAULT_PORT = 8765
QR_STYLE = "black on white"
# The player's own states, as the remote's four.
REMOTE_STATES = {"playing": "playing", "starting": "playing", "waiting": "playing",
                 "ending": "playing", "paused": "paused", "holding": "holding", "ended": "ended"}


def session_state(player: Player) -> dict:
    """What the remote shows, from the player (read in the session's thread)."""
    chapter = player.chapter()
    kind, cue = player.line()
    return {
        "state": REMOTE_STATES[player.state],
        "position_ms": player.elapsed_ms,
        "chapter": printable(chapter.title, 200) if chapter else "",
        "detail": player.state,
        "title": printable(player.track.title, 200),
        "time_left_ms": max(0, player.left_ms),
        "line": {"kind": kind, "text": printable(cue.text, 500) if cue else ""},
        "notice": player.notice,
        "rang": player.just_rang(),
    }


class Remote:
    """The remote's server for one session: `start()`, then the session publishes its state
    through `commands` and carries out what arrives there; `stop()` at the end."""

    def __init__(self, *, port: int = DEFAULT_PORT, key: str | None = None,
                 reach: Reach = Reach.PRIVATE):
        self.key = key or new_key()
        self.commands = Commands()
        self.server = WebServer(self.app(reach), reach=reach, port=port)

    def app(self, reach: Reach) -> ASGIApp:
        return keyed_app([Route("/", self._page), Route("/api/state", self._state),
                          Route("/api/command", self._command, methods=["POST"])],
                         key=self.key, reach=reach, max_body=1024)

    def start(self) -> Remote:
        self.server.start()
        return self

    def stop(self) -> None:
        self.server.stop()

    def publish(self, player: Player) -> None:
        self.commands.state = session_state(player)

    @property
    def local_url(self) -> str:
        return self.server.url("/", self.key)

    @property
    def url(self) -> str:
        """The address to open on a phone: the local network's, else this machine's."""
        return self.server.lan_url("/", self.key) or self.local_url

    async def _page(self, request: Request) -> Response:
        return HTMLResponse(PAGE)

    async def _state(self, request: Request) -> Response:
        return JSONResponse(self.commands.state)

    async def _command(self, request: Request) -> Response:
        command = (await read_json(request)).get("do")
        if command not in COMMANDS:
            return JSONResponse({"error": f"no command {str(command)[:40]!r}; the commands are "
                                          + ", ".join(COMMANDS)}, status_code=400)
        self.commands.send(command)
        return JSONResponse({"ok": True, "do": command})


def qr_lines(text: str) -> list[str]:
    """A QR code of `text` drawn with half blocks, two modules a character row: the blocks
    are the dark modules, to be shown black on white (`QR_STYLE`) whatever the terminal's
    colours; the quiet zone around it is included."""
    import segno

    matrix = [list(row) for row in segno.make(text, error="m").matrix]
    size = len(matrix)
    border = 2
    light = [[0] * (size + 2 * border) for _ in range(border)]
    rows = light + [[0] * border + row + [0] * border for row in matrix] + light + [[0] * (size + 2 * border)]
    glyphs = {(1, 1): "█", (1, 0): "▀", (0, 1): "▄", (0, 0): " "}
    return ["".join(glyphs[(top, bottom)] for top, bottom in zip(rows[y], rows[y + 1], strict=True))
            for y in range(0, len(rows) - 1, 2)]


PAGE = """<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="referrer" content="no-referrer">
<title>Session remote</title>
<style>
  :root { color-scheme: light dark; --bg: #faf8f5; --fg: #1d1b19; --muted: #55504a;
          --button: #2f4b3a; --button-fg: #ffffff; --quiet: #e7e2da; }
  @media (prefers-color-scheme: dark) {
    :root { --bg: #171614; --fg: #f3f0eb; --muted: #c9c2b8; --button: #8fc4a2; --button-fg: #10150f;
            --quiet: #2b2925; }
  }
  * { box-sizing: border-box; }
  body { margin: 0; font: 18px/1.45 system-ui, sans-serif; background: var(--bg); color: var(--fg); }
  main { max-width: 32rem; margin: 0 auto; padding: 1rem; }
  h1 { font-size: 1.2rem; margin: 0 0 .25rem; }
  .state { font-size: 1rem; color: var(--muted); margin: 0; }
  .chapter { font-size: 1.5rem; font-weight: 600; margin: .75rem 0 0; }
  .left { font-size: 2.6rem; font-variant-numeric: tabular-nums; margin: 0; }
  .line { min-height: 3em; color: var(--muted); margin: .5rem 0 1rem; }
  .grid { display: grid; grid-template-columns: 1fr 1fr; gap: .75rem; }
  button { min-height: 4rem; font: inherit; font-weight: 600; border: 0; border-radius: .75rem;
           background: var(--button); color: var(--button-fg); padding: .5rem; }
  button.quiet { background: var(--quiet); color: var(--fg); }
  button:focus-visible { outline: 3px solid var(--fg); outline-offset: 3px; }
  .wide { grid-column: 1 / -1; }
  .notice { color: var(--fg); font-weight: 600; min-height: 1.5em; margin: .75rem 0 0; }
</style>
</head>
<body>
<main>
  <h1 id="title">Session</h1>
  <p class="state" id="state" aria-live="polite">Connecting…</p>
  <p class="chapter" id="chapter"></p>
  <p class="left"><span id="left">–:––</span> <span class="state">left</span></p>
  <p class="line" id="line"></p>
  <div class="grid" role="group" aria-label="Controls">
    <button type="button" data-do="pause">Pause</button>
    <button type="button" data-do="resume">Resume</button>
    <button type="button" class="quiet" data-do="previous">Previous chapter</button>
    <button type="button" class="quiet" data-do="next">Next chapter</button>
    <button type="button" class="quiet" data-do="bell">Ring the bell</button>
    <button type="button" class="quiet" data-do="extend">One more minute of silence</button>
    <button type="button" class="wide" data-do="end">End gently</button>
  </div>
  <p class="notice" id="notice" aria-live="polite"></p>
</main>
<script>
"use strict";
const key = new URLSearchParams(location.search).get("key") || "";
const api = (path) => `${path}?key=${encodeURIComponent(key)}`;
const words = {playing: "Playing", paused: "Paused", holding: "Holding at a chapter",
               ended: "Ended", starting: "Starting soon", waiting: "Silence", ending: "Ending gently"};
function clock(ms) {
  const s = Math.round(ms / 1000), h = Math.floor(s / 3600), m = Math.floor(s / 60) % 60;
  const ss = String(s % 60).padStart(2, "0");
  return h ? `${h}:${String(m).padStart(2, "0")}:${ss}` : `${m}:${ss}`;
}
const put = (id, text) => { document.getElementById(id).textContent = text; };
function show(s) {
  put("title", s.title || "Session");
  put("state", (words[s.detail] || words[s.state]) + (s.rang ? " · bell" : ""));
  put("chapter", s.chapter);
  put("left", clock(s.time_left_ms));
  put("line", s.line.text ? `${s.line.kind === "now" ? "Now" : "Next"}: ${s.line.text}` : "");
  put("notice", s.notice || "");
}
async function refresh() {
  try {
    const answer = await fetch(api("/api/state"), {cache: "no-store"});
    if (answer.ok) { show(await answer.json()); }
    else { document.getElementById("state").textContent = "This link's key is not accepted"; }
  } catch (error) {
    document.getElementById("state").textContent = "The session cannot be reached";
  }
}
for (const button of document.querySelectorAll("button[data-do]")) {
  button.addEventListener("click", async () => {
    await fetch(api("/api/command"), {method: "POST", headers: {"Content-Type": "application/json"},
                                      body: JSON.stringify({do: button.dataset.do})});
    setTimeout(refresh, 150);
  });
}
refresh();
setInterval(refresh, 1000);
</script>
</body>
</html>
"""
