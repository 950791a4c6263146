"""The phone remote of `play --remote`, with the player running in real time into a file (no
sound card): its key, its JSON interface, and its page in Chromium at a phone's width."""

import json
import threading
import time
import urllib.error
import urllib.request
import wave
from pathlib import Path

import pytest
from conftest import NoKeys, project_once

import audio_builder as ab
from audio_builder.live.remote import Remote, qr_lines
from audio_builder.web.server import Reach

SCRIPT = """
title: Remote Session
steps:
  - chapter: Arriving
  - Welcome.
  - pause: 20s
  - chapter: Closing
  - Thank you.
  - pause: 1s
"""
AXE = Path(__import__("axe_playwright_python").__file__).parent / "axe.min.js"


@pytest.fixture(scope="module")
def root(tmp_path_factory):
    root, _ = project_once(tmp_path_factory, "remote", {"scripts/remote.yaml": SCRIPT},
                           ("build", "scripts/remote.yaml"))
    return root


@pytest.fixture
def live(root, monkeypatch):
    """A session playing in a thread, with its remote (every address, as `--remote` has it;
    the tests reach it on loopback only)."""
    monkeypatch.chdir(root)
    remote = Remote(port=0, reach=Reach.PRIVATE).start()
    result = {}
    keys = NoKeys()

    def session():
        result["report"] = ab.play("output/remote.mp3", keys=keys, to_file="live.wav", remote=remote)

    thread = threading.Thread(target=session, daemon=True)
    thread.start()
    wait_for(lambda: state(remote)["position_ms"] > 0, 10)
    yield remote, result, thread
    if thread.is_alive():
        keys.press("q")                         # the session ends at once (it kept real time)
    thread.join(15)
    assert not thread.is_alive()


def request(url, body=None):
    data = None if body is None else json.dumps(body).encode()
    try:
        with urllib.request.urlopen(urllib.request.Request(url, data=data), timeout=5) as answer:
            return answer.status, answer.read()
    except urllib.error.HTTPError as error:
        return error.code, error.read()


def state(remote):
    status, body = request(remote.server.url("/api/state", remote.key))
    assert status == 200
    return json.loads(body)


def command(remote, do):
    return request(remote.server.url("/api/command", remote.key), {"do": do})


def wait_for(condition, seconds):
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if condition():
            return time.monotonic()
        time.sleep(0.02)
    raise AssertionError("not within the time")


def test_without_the_key_everything_is_403(live):
    remote, _, _ = live
    for path in ("/", "/api/state"):
        assert request(remote.server.url(path))[0] == 403
        assert request(remote.server.url(path, "not-the-key-but-long-enough"))[0] == 403
    assert request(remote.server.url("/api/command"), {"do": "pause"})[0] == 403
    assert state(remote)["state"] == "playing"                          # nothing got through
    assert command(remote, "dance")[0] == 400


def test_pause_and_resume_show_within_300_ms_and_the_position_stops(live):
    remote, result, thread = live
    sent = time.monotonic()
    assert command(remote, "pause")[0] == 200
    assert wait_for(lambda: state(remote)["state"] == "paused", 1) - sent <= 0.3
    held = state(remote)["position_ms"]
    time.sleep(0.5)
    assert state(remote)["position_ms"] == held
    sent = time.monotonic()
    command(remote, "resume")
    assert wait_for(lambda: state(remote)["state"] == "playing", 1) - sent <= 0.3
    wait_for(lambda: state(remote)["position_ms"] > held, 1)
    assert state(remote)["chapter"] == "Arriving"
    command(remote, "next")
    wait_for(lambda: state(remote)["chapter"] == "Closing", 1)
    thread.join(10)
    report = result["report"]
    assert report.stopped_at_ms == report.length_ms
    with wave.open("live.wav") as recorded:                             # paused time is in it
        assert recorded.getnframes() / recorded.getframerate() * 1000 > report.length_ms - 20_000 + 400


def test_the_remote_listens_on_loopback_and_on_the_network(live):
    remote, _, _ = live
    assert remote.server.socket.getsockname()[0] in ("::", "0.0.0.0")
    assert remote.local_url.startswith("http://127.0.0.1:") and remote.key in remote.local_url
    assert remote.key in remote.url


def test_the_qr_code_reads_back_as_the_address():
    lines = qr_lines("http://192.168.1.20:8765/?key=abcdefghijklmnopqrstuvwx")
    assert len({len(line) for line in lines}) == 1 and len(lines[0]) == 37   # 33 modules and the quiet zone
    assert set("".join(lines)) <= set("█▀▄ ")


@pytest.mark.browser                # slow: a real browser
def test_the_page_at_a_phone_width_pauses_the_player_and_passes_axe(live, browser, tmp_path):
    remote, _, _ = live
    page = browser.new_page(viewport={"width": 390, "height": 844})
    page.goto(remote.local_url)
    page.wait_for_function("document.getElementById('chapter').textContent === 'Arriving'", timeout=5000)
    page.get_by_role("button", name="Pause").click()
    wait_for(lambda: state(remote)["state"] == "paused", 1)
    page.wait_for_function("document.getElementById('state').textContent === 'Paused'", timeout=3000)
    page.add_script_tag(path=str(AXE))
    found = page.evaluate("axe.run().then(r => r.violations.map(v => v.id + ': ' + v.help))")
    assert found == []
    assert page.evaluate("document.documentElement.scrollWidth") <= 390        # no sideways scroll
    for name in ("Resume", "Previous chapter", "Next chapter", "Ring the bell",
                 "One more minute of silence", "End gently"):
        box = page.get_by_role("button", name=name).bounding_box()
        assert box["height"] >= 48 and box["width"] >= 150, name          # large, for a thumb
    page.screenshot(path=str(tmp_path / "remote.png"))
    page.get_by_role("button", name="Resume").click()
    wait_for(lambda: state(remote)["state"] == "playing", 1)
