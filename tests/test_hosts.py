"""The feed for podcast hosts and moves, and the formats podcast apps take: `locked`,
`new_feed_url`, `medium`, `lastBuildDate`, an enclosure Apple Podcasts would drop, a build
with `--loudness off`; checked with podcastparser, Castopod's import rules and gPodder."""

import http.server
import os
import shutil
import subprocess
from pathlib import Path
from xml.etree import ElementTree as ET

import pytest
from conftest import run, serve_in_background, write

from audio_builder.publishing.feed import ITUNES, PODCAST
from audio_builder.publishing.server import SitePreview

PODCAST_YAML = """
title: Moving Practice
author: A Teacher
email: teacher@example.org
description: Practices on their way to a host.
base_url: https://old.example.org/practice/
"""

SCRIPT = """
title: Short Rest
description: A short rest.
date: 2026-11-01
episode: 1
length: 8s
steps:
  - chapter: Only
  - Rest here.
  - pause: 1s..
"""


@pytest.fixture
def podcast(project):
    write(project / "podcast.yaml", PODCAST_YAML)
    write(project / "scripts" / "rest.yaml", SCRIPT)
    return project


def channel(root: Path, name: str = "feed.xml") -> ET.Element:
    found = ET.parse(root / "output" / name).getroot().find("channel")
    assert found is not None
    return found


def castopod_refusal(feed: ET.Element) -> str | None:
    """Why Castopod's importer (modules/PodcastImport/Commands/PodcastImport.php) would stop
    at this channel: a `podcast:locked` that reads true, no description, no cover."""
    locked = (feed.findtext(f"{{{PODCAST}}}locked") or "").strip().lower()
    if locked in ("yes", "true"):
        return "Podcast is locked."
    if not (feed.findtext("description") or feed.findtext(f"{{{ITUNES}}}summary")):
        return "Missing channel show notes."
    image = feed.find(f"{{{ITUNES}}}image")
    if (image is None or not image.get("href")) and not feed.findtext("image/url"):
        return "Missing podcast cover."
    return None


def test_locked_false_writes_no_lock_and_a_host_can_import_the_feed(podcast):
    assert run("build", "--quiet").exit_code == 0
    assert run("feed").exit_code == 0
    locked = channel(podcast)
    assert locked.find(f"{{{PODCAST}}}locked") is not None
    assert castopod_refusal(locked) == "Podcast is locked."            # the default, as before
    write(podcast / "podcast.yaml", PODCAST_YAML + "locked: false\n")
    result = run("feed")
    assert result.exit_code == 0, result.output
    unlocked = channel(podcast)
    assert unlocked.find(f"{{{PODCAST}}}locked") is None
    assert castopod_refusal(unlocked) is None
    assert unlocked.findtext(f"{{{PODCAST}}}medium") == "podcast"


def test_a_move_writes_new_feed_url_and_a_new_last_build_date(podcast, monkeypatch):
    podcastparser = pytest.importorskip("podcastparser")
    monkeypatch.setenv("AUDIO_BUILDER_TODAY", "2026-12-01")
    assert run("build", "--quiet").exit_code == 0
    assert run("feed").exit_code == 0
    first = (podcast / "output" / "feed.xml").read_text()
    assert channel(podcast).findtext("lastBuildDate") == "Sun, 01 Nov 2026 06:00:00 +0000"  # newest
    monkeypatch.setenv("AUDIO_BUILDER_TODAY", "2026-12-05")
    assert run("feed").exit_code == 0
    assert (podcast / "output" / "feed.xml").read_text() == first       # nothing changed
    write(podcast / "podcast.yaml", PODCAST_YAML + "new_feed_url: https://host.example.net/p/feed.xml\n"
                                                   "medium: podcastL\n")
    assert run("feed").exit_code == 0
    moved = channel(podcast)
    assert moved.findtext("lastBuildDate") == "Sat, 05 Dec 2026 06:00:00 +0000"
    assert moved.findtext(f"{{{PODCAST}}}medium") == "podcastL"
    with (podcast / "output" / "feed.xml").open("rb") as stream:
        parsed = podcastparser.parse("https://old.example.org/practice/feed.xml", stream)
    assert parsed["new_url"] == "https://host.example.net/p/feed.xml"


def test_podcast_yaml_says_where_a_bad_move_or_medium_is_written(podcast):
    write(podcast / "podcast.yaml", PODCAST_YAML + "new_feed_url: host.example.net/feed.xml\n")
    result = run("feed")
    assert result.exit_code == 2 and "podcast.yaml:6: `new_feed_url`" in result.stderr
    write(podcast / "podcast.yaml", PODCAST_YAML + "medium: radio\n")
    result = run("feed")
    assert result.exit_code == 2 and "podcast.yaml:6: `medium` 'radio'" in result.stderr
    write(podcast / "podcast.yaml", PODCAST_YAML + "locked: nope\n")
    result = run("feed")
    assert result.exit_code == 2 and "podcast.yaml:6: `locked` must be true or false" in result.stderr


def test_an_opus_only_track_is_refused_and_an_opus_feed_fails_the_check(podcast):
    assert run("build", "--quiet", "--format", "opus").exit_code == 0
    result = run("feed")
    assert result.exit_code == 2
    assert "rest is built only as Opus (rest.opus)" in result.stderr
    assert "Apple Podcasts takes MP3 and AAC (M4A) only" in result.stderr and "--format m4a" in result.stderr
    assert not (podcast / "output" / "feed.xml").exists()
    # a feed from elsewhere (or an older version) whose enclosure is the Opus file
    assert run("build", "--quiet").exit_code == 0
    assert run("feed").exit_code == 0
    feed = podcast / "output" / "feed.xml"
    opus = podcast / "output" / "rest.opus"
    text = feed.read_text()
    mp3 = podcast / "output" / "rest.mp3"
    text = text.replace(f'url="https://old.example.org/practice/rest.mp3" length="{mp3.stat().st_size}" '
                        f'type="audio/mpeg"', f'url="https://old.example.org/practice/rest.opus" '
                        f'length="{opus.stat().st_size}" type="audio/ogg"')
    assert "rest.opus\" length" in text
    feed.write_text(text)
    result = run("feed", "--check")
    assert result.exit_code == 1
    assert "its audio is Opus (audio/ogg), which Apple Podcasts does not take" in result.stderr


def test_a_build_with_loudness_off_is_never_published(podcast):
    assert run("build", "--quiet", "--format", "wav", "--loudness", "off").exit_code == 0
    result = run("feed")           # the only build of the track is for editing: not an episode
    assert result.exit_code == 1 and "0 episodes" in result.stdout
    assert "left out: for editing, not for listeners): rest.wav" in result.stdout
    assert run("build", "--quiet").exit_code == 0
    result = run("feed")
    assert result.exit_code == 0 and "1 episode" in result.stdout
    text = (podcast / "output" / "feed.xml").read_text()
    assert "rest.mp3" in text and "rest.wav" not in text
    # the same file named as the enclosure by hand fails the check
    wav = podcast / "output" / "rest.wav"
    mp3 = podcast / "output" / "rest.mp3"
    (podcast / "output" / "feed.xml").write_text(text.replace(
        f'rest.mp3" length="{mp3.stat().st_size}"', f'rest.wav" length="{wav.stat().st_size}"'))
    result = run("feed", "--check")
    assert result.exit_code == 1 and "rest.wav was built with --loudness off" in result.stderr


class _Moved(http.server.BaseHTTPRequestHandler):
    """The old host after the move: every address answers 301 to the new one, as the docs
    show for common hosts."""

    new_base = ""

    def do_GET(self) -> None:
        self.send_response(301)
        self.send_header("Location", self.new_base + self.path.rsplit("/", 1)[-1])
        self.send_header("Content-Length", "0")
        self.end_headers()

    def log_message(self, format: str, *args: object) -> None:
        pass


@pytest.mark.slow                  # slow: a real podcatcher over HTTP
@pytest.mark.skipif(not shutil.which("gpo"), reason="gPodder (Debian: gpodder) is not installed")
def test_gpodder_follows_a_move_without_duplicates(podcast, tmp_path):
    old_site, new_site = tmp_path / "old", tmp_path / "new"
    new, old = SitePreview(new_site).start(), SitePreview(old_site).start()
    new_base, old_base = new.url, old.url
    moved = None
    env = {**os.environ, "GPODDER_HOME": str(tmp_path / "home"),
           "GPODDER_DOWNLOAD_DIR": str(tmp_path / "downloads")}

    def gpo(*args: str) -> str:
        result = subprocess.run(["gpo", *args], env=env, capture_output=True, text=True, timeout=120)
        assert result.returncode == 0, result.stdout + result.stderr
        return result.stdout

    def settings(base: str, extra: str = "") -> None:
        write(podcast / "podcast.yaml", PODCAST_YAML.replace("https://old.example.org/practice/", base)
              + extra)

    def publish(base: str, extra: str = "") -> None:
        settings(base, extra)
        result = run("feed")
        assert result.exit_code == 0, result.output

    try:
        settings(old_base)                      # the guids are made from the first address
        assert run("build", "--quiet").exit_code == 0
        publish(old_base)
        shutil.copytree(podcast / "output", old_site)
        gpo("subscribe", old_base + "feed.xml")
        gpo("update")
        gpo("download")
        # the move: the same podcast published at the new address, the old feed pointing there
        publish(new_base)
        shutil.copytree(podcast / "output", new_site)
        publish(old_base, f"new_feed_url: {new_base}feed.xml\n")
        shutil.copy(podcast / "output" / "feed.xml", old_site / "feed.xml")
        assert f"<itunes:new-feed-url>{new_base}feed.xml" in (old_site / "feed.xml").read_text()
        port = old.server.port
        old.stop()
        _Moved.new_base = new_base                         # then the old host redirects
        moved = serve_in_background(http.server.ThreadingHTTPServer(("127.0.0.1", port), _Moved))
        gpo("update")
        gpo("download")
        listing = gpo("list")
    finally:
        old.stop()
        new.stop()
        if moved is not None:
            moved.shutdown()
            moved.server_close()
    assert new_base + "feed.xml" in listing and old_base not in listing
    downloaded = list((tmp_path / "downloads").rglob("*.mp3"))
    assert len(downloaded) == 1                     # one episode, downloaded once
    assert downloaded[0].read_bytes() == (podcast / "output" / "rest.mp3").read_bytes()


def test_serve_lets_other_origins_read_chapters_captions_and_the_feed(podcast):
    import urllib.request

    assert run("build", "--quiet").exit_code == 0
    assert run("feed").exit_code == 0
    server = SitePreview(podcast / "output").start()
    base = server.url

    def headers(name: str, **extra: str):
        request = urllib.request.Request(base + name, headers={"Origin": "https://app.example", **extra})
        with urllib.request.urlopen(request, timeout=10) as answer:
            return answer.headers            # a mapping that ignores the letter case

    try:
        shared = {name: headers(name) for name in ("rest.chapters.json", "rest.vtt", "rest.srt",
                                                  "feed.xml")}
        ranged = headers("rest.vtt", Range="bytes=0-9")
        page = headers("index.html")
    finally:
        server.stop()
    assert all(h.get("Access-Control-Allow-Origin") == "*" for h in shared.values())
    assert shared["rest.chapters.json"].get("Content-Type") == "application/json+chapters"
    assert ranged.get("Access-Control-Allow-Origin") == "*"
    assert "Access-Control-Allow-Origin" not in page
