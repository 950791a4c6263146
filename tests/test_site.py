"""The feed's smaller fields, the page, the cover, and `audio-builder serve` (a local preview
that answers HTTP Range), checked with feedparser, urllib and headless Chromium."""

import functools
import http.server
import urllib.request

import numpy as np
import pytest
from conftest import project_once, run, serve_in_background

from audio_builder.publishing.server import SitePreview

PODCAST = """
title: A Podcast With a Rather Long Title About Gentle Practice
author: A Teacher
email: teacher@example.org
description: |
  Short practices, written on
  two lines.
base_url: https://example.org/site/
copyright: © 2026 A Teacher
license: cc-by-4.0
people:
  - A Teacher
  - {name: A Guest, role: guest, href: https://example.org/guest}
funding: {url: https://example.org/support, text: Support these practices}
"""

SCRIPT = """
title: Not Because
description: |
  We practise not
  because we are broken.

  A second paragraph.
date: 2026-11-01
episode: 1
length: 1m2s
steps:
  - chapter: Arriving
  - Rest here, and breathe.
  - pause: 1s..
  - chapter: Closing
  - at: -20s
  - Thank you for practising with me today.
  - pause: 1s..
"""


@pytest.fixture(scope="module")
def site(tmp_path_factory):
    root, _ = project_once(tmp_path_factory, "site",
                           {"podcast.yaml": PODCAST, "scripts/not-because.yaml": SCRIPT},
                           ("build", "--quiet"), ("feed",))
    return root / "output"


def test_the_feed_carries_links_rights_people_and_funding(site):
    feedparser = pytest.importorskip("feedparser")
    feed = feedparser.parse(str(site / "feed.xml"))
    assert not feed.bozo, feed.bozo_exception
    [entry] = feed.entries
    assert "not because" in entry.summary and "\n\n" in entry.summary      # folded, not run together
    assert entry.link == "https://example.org/site/#not-because"
    assert feed.feed.rights == "© 2026 A Teacher" and feed.feed.updated_parsed
    assert feed.feed.subtitle == "Short practices, written on two lines."
    text = (site / "feed.xml").read_text()
    assert "<podcast:license>cc-by-4.0</podcast:license>" in text
    assert '<podcast:person role="host">A Teacher</podcast:person>' in text
    assert '<podcast:person role="guest" href="https://example.org/guest">A Guest</podcast:person>' in text
    assert ('<podcast:funding url="https://example.org/support">Support these practices'
            '</podcast:funding>') in text


def test_the_page_says_minutes_has_a_favicon_and_paragraphs(site):
    html = (site / "index.html").read_text()
    assert "1 min" in html and "1:02" not in html.split("<main>")[1].split("Chapters")[0]
    assert '<link rel="icon" href="cover.png">' in html
    assert "<p>We practise not because we are broken.</p><p>A second paragraph.</p>" in html


def test_the_generated_cover_keeps_its_title_inside_the_circle(site):
    from PIL import Image

    from audio_builder.publishing.cover import COVER_SIZE, TEXT

    pixels = np.asarray(Image.open(site / "cover.png").convert("RGB"), dtype=int)[::3, ::3]
    centre, radius = COVER_SIZE / 2, (COVER_SIZE - 2 * (COVER_SIZE // 7)) / 2
    y, x = np.nonzero(np.abs(pixels - TEXT).sum(axis=2) < 60)        # every third pixel, text-coloured
    x, y = x * 3, y * 3
    assert len(x) > 500
    assert np.all((x - centre) ** 2 + (y - centre) ** 2 < radius ** 2)


@pytest.fixture
def served(site):
    with SitePreview(site) as server:
        yield server.url


def test_serve_answers_ranges_with_the_right_types(site, served):
    size = (site / "not-because.mp3").stat().st_size
    request = urllib.request.Request(served + "not-because.mp3", headers={"Range": "bytes=1000-1999"})
    with urllib.request.urlopen(request) as response:
        assert response.status == 206 and len(response.read()) == 1000
        assert response.headers["Content-Range"] == f"bytes 1000-1999/{size}"
        assert response.headers["Content-Type"] == "audio/mpeg"
    for name, kind in (("not-because.vtt", "text/vtt"), ("not-because.srt", "application/x-subrip"),
                       ("not-because.chapters.json", "application/json+chapters"),
                       ("feed.xml", "application/rss+xml")):
        with urllib.request.urlopen(served + name) as response:
            assert response.headers["Content-Type"].split(";")[0] == kind, name
            assert response.headers["Accept-Ranges"] == "bytes"


def test_serve_refuses_an_empty_folder(project):
    result = run("serve", "--port", "0")
    assert result.exit_code == 2 and "run `audio-builder feed` first" in result.stderr




@pytest.mark.browser
def test_the_header_stacks_on_a_phone(site, served, browser, tmp_path):
    page = browser.new_page(viewport={"width": 390, "height": 844})
    page.goto(served + "index.html")
    image = page.locator("header img").bounding_box()
    heading = page.locator("header h1").bounding_box()
    assert heading["y"] >= image["y"] + image["height"]               # the title under the cover
    assert heading["x"] + heading["width"] <= 390
    page.screenshot(path=str(tmp_path / "phone.png"))


class NoRangeHandler(http.server.SimpleHTTPRequestHandler):
    """Python's own static server: it ignores Range, so a player cannot seek."""

    def log_message(self, *args):
        pass


@pytest.mark.browser
def test_the_page_says_so_when_a_chapter_cannot_seek(site, browser):
    handler = functools.partial(NoRangeHandler, directory=str(site))
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    serve_in_background(server)
    try:
        page = browser.new_page()
        page.goto(f"http://127.0.0.1:{server.server_address[1]}/index.html")
        audio = page.locator("article audio")
        audio.evaluate("a => new Promise(r => a.readyState >= 1 ? r() : "
                       "a.addEventListener('loadedmetadata', r))")
        page.get_by_role("button", name="Closing").click()
        note = page.locator("article .seek-note")
        note.wait_for(state="visible", timeout=10_000)
        assert "could not jump to 0:42" in note.inner_text()
    finally:
        server.shutdown()
        server.server_close()
