"""Publishing, checked with real clients: feedparser, podcastparser, gPodder's gpo over HTTP,
ffprobe and mutagen, webvtt-py and srt, and the page in headless Chromium."""

import itertools
import json
import os
import shutil
import subprocess
from pathlib import Path

import pytest
from conftest import chromium_path, run, use_tones, write
from mutagen.id3 import ID3

from audio_builder.publishing.feed import podcast_guid
from audio_builder.publishing.server import SitePreview

PODCAST = """
title: Test & Practice
author: A Teacher
email: teacher@example.org
description: Practices for <testing>.
base_url: https://example.org/test-podcast/
category: Health & Fitness/Mental Health
"""

SCRIPTS = {
    "first": """
title: First Light
description: The first practice, about beginnings & kindness.
date: 2026-11-01
episode: 1
season: 1
keywords: [kindness, breath]
length: 20s
steps:
  - chapter: Arriving
  - Welcome to the first practice. This sentence is long enough that its caption has to be
    folded onto a second line for the reader.
  - pause: 1s..
  - chapter: Closing
  - Thank you.
  - pause: 1s
""",
    "second": """
title: "<script>alert('x')</script> Second"
description: Two lengths of one practice.
date: 2026-11-08
episode: [2, 3]
season: 1
length: [8s, 10s]
steps:
  - chapter: Only
  - Rest here.
  - pause: 1s..
""",
    "draft": """
title: Not Yet
steps:
  - A draft.
""",
}


@pytest.fixture(scope="module")
def site(tmp_path_factory):
    root = tmp_path_factory.mktemp("podcast")
    write(root / "podcast.yaml", PODCAST)
    use_tones(root)
    for name, text in SCRIPTS.items():
        write(root / "scripts" / f"{name}.yaml", text)
    old = Path.cwd()
    os.chdir(root)
    try:
        assert run("build").exit_code == 0
        result = run("feed")
        assert result.exit_code == 0, result.output
    finally:
        os.chdir(old)
    return root, result.stdout


def output(site):
    return site[0] / "output"


def test_feed_lists_the_built_episodes_newest_first_and_the_drafts_apart(site):
    root, stdout = site
    assert "3 episodes" in stdout and "draft (no date, left out): draft" in stdout
    assert "the feed passes the directory checks" in stdout
    feedparser = pytest.importorskip("feedparser")
    feed = feedparser.parse(str(output(site) / "feed.xml"))
    assert not feed.bozo, feed.bozo_exception
    assert feed.feed.title == "Test & Practice"
    titles = [entry.title for entry in feed.entries]
    assert titles[-1] == "First Light" and len(titles) == 3
    for entry in feed.entries:
        [enclosure] = entry.enclosures
        name = enclosure.href.rsplit("/", 1)[-1]
        assert enclosure.href.startswith("https://example.org/test-podcast/")
        assert int(enclosure.length) == (output(site) / name).stat().st_size
        assert enclosure.type == "audio/mpeg"
        assert entry.id and entry.published_parsed
        assert int(entry.itunes_duration) in (8, 10, 20)


def test_podcastparser_sees_every_episode(site):
    podcastparser = pytest.importorskip("podcastparser")
    path = output(site) / "feed.xml"
    with path.open("rb") as stream:
        parsed = podcastparser.parse("https://example.org/test-podcast/feed.xml", stream)
    episodes = parsed["episodes"]
    assert len(episodes) == 3
    for episode in episodes:
        [enclosure] = episode["enclosures"]
        name = enclosure["url"].rsplit("/", 1)[-1]
        assert enclosure["file_size"] == (output(site) / name).stat().st_size
        assert enclosure["mime_type"] == "audio/mpeg"
        assert episode["total_time"] in (8, 10, 20) and episode["guid"] and episode["published"]


def test_the_channel_has_what_directories_require(site):
    text = (output(site) / "feed.xml").read_text()
    assert '<itunes:explicit>false</itunes:explicit>' in text
    assert '<itunes:category text="Health &amp; Fitness">' in text
    assert '<itunes:category text="Mental Health"' in text
    assert '<itunes:email>teacher@example.org</itunes:email>' in text
    guid = podcast_guid("https://example.org/test-podcast/feed.xml")
    assert f"<podcast:guid>{guid}</podcast:guid>" in text
    assert '<podcast:locked owner="teacher@example.org">yes</podcast:locked>' in text
    assert 'type="text/vtt"' in text and 'type="application/x-subrip"' in text
    assert 'type="application/json+chapters"' in text
    assert "&lt;script&gt;" in text and "<script>" not in text
    assert podcast_guid("https://podnews.net/rss") == "9b024349-ccf0-5f69-a609-6b82873eab3c"


def test_episode_guids_survive_a_rebuild(site, tmp_path):
    root, _ = site
    before = (output(site) / "feed.xml").read_text()
    copy = tmp_path / "again"
    shutil.copytree(root, copy, ignore=shutil.ignore_patterns("output"))
    old = Path.cwd()
    os.chdir(copy)
    try:
        assert run("build").exit_code == 0 and run("feed").exit_code == 0
    finally:
        os.chdir(old)
    after = (copy / "output" / "feed.xml").read_text()
    assert after == before                              # same guids, sizes, everything


def test_mp3_tags_for_podcast_players(site):
    tags = ID3(output(site) / "first.mp3")
    assert str(tags["TIT2"]) == "First Light" and str(tags["TALB"]) == "Test & Practice"
    assert str(tags["TCON"]) == "Podcast" and str(tags["TRCK"]) == "1"
    assert tags.getall("PCST") and str(tags["TGID"])
    assert "kindness" in str(tags["TKWD"])
    [cover] = tags.getall("APIC")
    assert cover.type == 3 and cover.mime == "image/png" and cover.data[:4] == b"\x89PNG"
    feed = (output(site) / "feed.xml").read_text()
    assert str(tags["TGID"]) in feed                    # the same guid as the feed's item


def test_captions_parse_with_independent_readers(site):
    webvtt = pytest.importorskip("webvtt")
    srt = pytest.importorskip("srt")
    cues = webvtt.read(str(output(site) / "first.vtt"))
    assert len(cues) >= 3

    def seconds(clock: str) -> float:       # not start_in_seconds: it drops the milliseconds
        hours, minutes, rest = clock.split(":")
        return int(hours) * 3600 + int(minutes) * 60 + float(rest)

    starts = [seconds(c.start) for c in cues]
    assert starts == sorted(starts) and all(seconds(c.start) < seconds(c.end) for c in cues)
    assert all(len(line) <= 65 for c in cues for line in c.text.splitlines())
    assert any("\n" in c.text for c in cues)            # the long sentence is folded
    subtitles = list(srt.parse((output(site) / "first.srt").read_text()))
    assert " ".join(s.content for s in subtitles).split() == " ".join(c.text for c in cues).split()
    assert all(len(line) <= 32 for s in subtitles for line in s.content.splitlines())
    assert all(len(s.content.splitlines()) <= 2 for s in subtitles) and len(subtitles) > len(cues)
    assert all(a.end <= b.start and a.start < a.end for a, b in itertools.pairwise(subtitles))
    assert subtitles[0].start.total_seconds() == pytest.approx(seconds(cues[0].start))
    chapters = json.loads((output(site) / "first.chapters.json").read_text())
    assert chapters["version"] == "1.2.0"
    assert [c["title"] for c in chapters["chapters"]] == ["Arriving", "Closing"]


def test_feed_check_names_what_a_directory_would_reject(site, tmp_path):
    copy = tmp_path / "broken"
    shutil.copytree(site[0], copy)
    feed = copy / "output" / "feed.xml"
    text = feed.read_text()
    size = (copy / "output" / "first.mp3").stat().st_size
    text = text.replace(f'length="{size}"', f'length="{size + 1}"')
    text = text.replace("<itunes:email>teacher@example.org</itunes:email>", "")
    guids = [line for line in text.splitlines() if "<guid" in line]
    text = text.replace(guids[1], guids[0])
    feed.write_text(text)
    from PIL import Image

    Image.new("RGB", (1000, 800)).save(copy / "output" / "cover.png")
    old = Path.cwd()
    os.chdir(copy)
    try:
        result = run("feed", "--check")
    finally:
        os.chdir(old)
    assert result.exit_code == 1
    report = result.stderr
    assert "does not match the file" in report and "no itunes:email" in report
    assert "used by another episode" in report
    assert "must be square" in report and "1400 to 3000" in report


def test_a_bad_podcast_yaml_is_a_located_error(project):
    write(project / "podcast.yaml", "title: T\nauthor: A\nbase_url: example.org\n")
    result = run("feed")
    assert result.exit_code == 2 and result.stderr.startswith("podcast.yaml:3: ")
    write(project / "podcast.yaml", "title: T\nauthr: A\n")
    result = run("check")
    assert result.exit_code == 2 and "podcast.yaml:2: " in result.stderr and "`author`" in result.stderr


@pytest.fixture
def served(site):
    with SitePreview(output(site)) as server:         # answers Range, as web hosts do
        yield server.url


@pytest.mark.slow                  # slow: a real podcatcher over HTTP
@pytest.mark.skipif(not shutil.which("gpo"), reason="gPodder (Debian: gpodder) is not installed")
def test_gpodder_subscribes_and_downloads_every_episode(site, served, tmp_path):
    """The feed points at https://example.org/; a copy pointing at this machine is served."""
    feed = output(site) / "feed.xml"
    local = feed.read_text().replace("https://example.org/test-podcast/", served)
    (output(site) / "local-feed.xml").write_text(local)
    env = {**os.environ, "GPODDER_HOME": str(tmp_path / "home"),
           "GPODDER_DOWNLOAD_DIR": str(tmp_path / "downloads")}

    def gpo(*args: str) -> subprocess.CompletedProcess:
        return subprocess.run(["gpo", *args], env=env, capture_output=True, text=True, timeout=120)

    assert gpo("subscribe", served + "local-feed.xml").returncode == 0
    assert gpo("update").returncode == 0
    result = gpo("download")
    assert result.returncode == 0, result.stdout + result.stderr
    downloaded = {p.name: p.read_bytes() for p in (tmp_path / "downloads").rglob("*.mp3")}
    assert len(downloaded) == 3
    built = sorted((output(site) / name).read_bytes() for name in ("first.mp3", "second-8s.mp3",
                                                                   "second-10s.mp3"))
    assert sorted(downloaded.values()) == built


@pytest.mark.browser                  # slow: a real browser
@pytest.mark.skipif(not chromium_path(), reason="Chromium (Debian: chromium) is not installed")
def test_the_page_shows_every_episode_and_chapters_seek_the_player(site, served, browser):
    page = browser.new_page()
    page.goto(served + "index.html")
    assert page.locator("article").count() == 3
    heading = page.locator("article h2").first.inner_text()
    assert heading.startswith("<script>alert('x')</script> Second")   # shown as text
    assert page.evaluate("window.alertShown === undefined")
    first = page.locator("article#first")
    first.locator("audio").evaluate(
        "a => new Promise(r => a.readyState >= 1 ? r() : a.addEventListener('loadedmetadata', r))")
    first.get_by_role("button", name="Closing").click()
    chapters = json.loads((output(site) / "first.chapters.json").read_text())["chapters"]
    page.wait_for_function(f"a => a.currentTime >= {chapters[1]['startTime'] - 0.5}",
                           arg=first.locator("audio").element_handle(), timeout=10_000)
    seconds = first.locator("audio").evaluate("a => a.currentTime")
    # it jumped there (the audio plays on, so on a busy machine a little past it)
    assert chapters[1]["startTime"] - 0.5 <= seconds < chapters[1]["startTime"] + 2
    page.wait_for_timeout(2_000)                    # the page checks the jump after 1.5 s
    assert first.locator(".seek-note").is_hidden()              # no "could not jump" note
    assert page.locator("details summary").first.inner_text() == "Transcript"
