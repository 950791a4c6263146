"""Publishing that holds: guids recorded in podcast.lock survive a moved site and a new length,
a changed or lost guid fails the check, and episodes dated later wait for their date."""

import os
import re
import shutil
import subprocess
import urllib.request

import pytest
import yaml
from conftest import run, write
from mutagen.id3 import ID3

from audio_builder.publishing.server import SitePreview

PODCAST = """
title: Holding
author: A Teacher
email: teacher@example.org
base_url: https://old.example.org/holding/
"""

FIRST = """
title: First Light
description: The first practice.
date: 2026-11-01
episode: 1
length: 6s
steps:
  - chapter: Arriving
  - Rest here, and breathe.
  - pause: 1s..
"""

LATER = """
title: Later On
description: Not yet.
date: 2026-12-01
episode: 2
length: 5s
steps:
  - Later, rest.
  - pause: 1s..
"""


@pytest.fixture
def podcast(project, monkeypatch):
    monkeypatch.setenv("AUDIO_BUILDER_TODAY", "2026-11-20")
    write(project / "voices" / "default.yaml", "engine: tones\n")
    write(project / "podcast.yaml", PODCAST)
    write(project / "scripts" / "first.yaml", FIRST)
    return project


def published(root):
    feedparser = pytest.importorskip("feedparser")
    feed = feedparser.parse(str(root / "output" / "feed.xml"))
    assert not feed.bozo, feed.bozo_exception
    text = (root / "output" / "feed.xml").read_text()
    podcast_guid = text.split("<podcast:guid>")[1].split("<")[0]
    return podcast_guid, {e.title: (e.id, e.enclosures[0].href) for e in feed.entries}


def build_and_publish(*args):
    result = run("build", "--quiet", *args)
    assert result.exit_code == 0, result.output
    result = run("feed")
    assert result.exit_code == 0, result.output
    return result


def test_moving_the_site_keeps_every_guid_and_moves_the_enclosures(podcast):
    result = build_and_publish()
    assert "published for the first time (recorded in podcast.lock): first" in result.stdout
    lock = yaml.safe_load((podcast / "podcast.lock").read_text())
    before_podcast, before = published(podcast)
    assert lock["podcast_guid"] == before_podcast
    assert [e["guid"] for e in lock["episodes"]] == [before["First Light"][0]]
    assert lock["episodes"][0]["first_published"].isoformat() == "2026-11-20"

    write(podcast / "podcast.yaml", PODCAST.replace("https://old.example.org/", "https://new.example.net/"))
    result = build_and_publish()
    after_podcast, after = published(podcast)
    assert after_podcast == before_podcast
    assert after["First Light"][0] == before["First Light"][0]
    assert after["First Light"][1] == "https://new.example.net/holding/first.mp3"
    assert str(ID3(podcast / "output" / "first.mp3")["TGID"]) == before["First Light"][0]
    assert "the feed passes" in result.stdout
    lock = yaml.safe_load((podcast / "podcast.lock").read_text())
    assert lock["episodes"][0]["enclosure"] == "https://new.example.net/holding/first.mp3"
    assert lock["episodes"][0]["first_published"].isoformat() == "2026-11-20"


def test_feed_check_fails_when_a_published_guid_changes_by_hand(podcast):
    build_and_publish()
    lock = podcast / "podcast.lock"
    text = lock.read_text()
    guid = yaml.safe_load(text)["episodes"][0]["guid"]
    lock.write_text(text.replace(guid, "00000000-0000-5000-8000-000000000001"))
    result = run("feed", "--check")
    assert result.exit_code == 1
    assert f"its guid {guid} is not the one it was published with" in result.stderr
    feed = (podcast / "output" / "feed.xml").read_text()
    result = run("feed")                                # nor does `feed` write the new guid
    assert result.exit_code == 2 and f"was published as {guid}" in result.stderr
    assert (podcast / "output" / "feed.xml").read_text() == feed


def test_a_lost_lock_and_a_moved_site_do_not_change_a_published_guid(podcast):
    build_and_publish()
    (podcast / "podcast.lock").unlink()
    write(podcast / "podcast.yaml", PODCAST.replace("https://old.example.org/", "https://new.example.net/"))
    result = run("feed")
    assert result.exit_code == 2 and "Restore podcast.lock" in result.stderr


def test_a_pinned_podcast_guid_and_a_lost_episode(podcast):
    pinned = "9b024349-ccf0-5f69-a609-6b82873eab3c"
    write(podcast / "podcast.yaml", PODCAST + f"guid: {pinned}\n")
    build_and_publish()
    assert published(podcast)[0] == pinned
    feed_before = (podcast / "output" / "feed.xml").read_text()
    (podcast / "scripts" / "first.yaml").rename(podcast / "scripts" / "later.yaml")
    write(podcast / "scripts" / "later.yaml", LATER)
    result = run("feed")
    assert result.exit_code == 2
    assert "would lose published episodes" in result.stderr and "first (guid" in result.stderr
    assert (podcast / "output" / "feed.xml").read_text() == feed_before    # nothing replaced
    write(podcast / "podcast.yaml", PODCAST + "guid: 00000000-0000-5000-8000-000000000001\n")
    result = run("feed")
    assert result.exit_code == 2 and "never changes" in result.stderr


def test_adding_a_length_keeps_the_published_episode(podcast):
    build_and_publish()
    _, before = published(podcast)
    write(podcast / "scripts" / "first.yaml",
          FIRST.replace("length: 6s", "length: [4s, 6s]").replace("episode: 1", "episode: [3, 1]"))
    build_and_publish()
    _, after = published(podcast)
    assert set(after) == {"First Light (4 s)", "First Light (6 s)"}
    assert after["First Light (6 s)"][0] == before["First Light"][0]
    assert after["First Light (4 s)"][0] != before["First Light"][0]
    assert str(ID3(podcast / "output" / "first-6s.mp3")["TGID"]) == before["First Light"][0]
    assert str(ID3(podcast / "output" / "first-6s.mp3")["TIT2"]) == "First Light (6 s)"
    assert str(ID3(podcast / "output" / "first-4s.mp3")["TRCK"]) == "3"


def test_an_episode_dated_later_waits_for_its_date(podcast, monkeypatch):
    write(podcast / "scripts" / "later.yaml", LATER)
    result = build_and_publish()
    assert "scheduled for 2026-12-01 (held back until then): later" in result.stdout
    _, episodes = published(podcast)
    assert set(episodes) == {"First Light"}
    assert "Later On" not in (podcast / "output" / "index.html").read_text()
    assert "later" not in (podcast / "podcast.lock").read_text().split("episodes:")[1]

    preview = run("feed", "--scheduled")
    assert preview.exit_code == 0 and "included in the preview" in preview.stdout
    held = podcast / "output-scheduled"                    # the preview is not uploaded either
    assert "Later On" in (held / "preview-feed.xml").read_text()
    assert "Later On" in (held / "preview.html").read_text()
    assert set(published(podcast)[1]) == {"First Light"}                  # the real feed as it was

    monkeypatch.setenv("AUDIO_BUILDER_TODAY", "2026-12-01")
    result = run("feed")
    assert result.exit_code == 0 and "scheduled" not in result.stdout
    assert set(published(podcast)[1]) == {"First Light", "Later On"}


def uploaded(podcast) -> set[str]:
    """What docs/publishing.md says to upload: everything in output/."""
    return {path.relative_to(podcast / "output").as_posix()
            for path in (podcast / "output").rglob("*") if path.is_file()}


@pytest.mark.slow                 # a podcast built and a video encoded
def test_nothing_of_a_scheduled_episode_is_in_the_folder_to_upload(podcast, monkeypatch):
    write(podcast / "scripts" / "later.yaml", LATER)
    build_and_publish()
    assert run("video", "scripts/later.yaml").exit_code == 0
    early = run("serve", "--scheduled", "--port", "0")
    assert early.exit_code == 2 and "feed --scheduled` first" in early.stderr
    assert run("feed", "--scheduled").exit_code == 0
    assert not any("later" in name.lower() or "preview" in name for name in uploaded(podcast))
    assert "Later On" not in "".join((podcast / "output" / name).read_text()
                                     for name in ("feed.xml", "index.html"))
    held = podcast / "output-scheduled"
    assert {"later.mp3", "later.vtt", "later.srt", "later.chapters.json", "later.mp4",
            "later.video.txt"} <= {path.name for path in held.iterdir()}
    with SitePreview(held, behind=podcast / "output") as site:          # `serve --scheduled`
        for name in ("preview.html", "later.mp3", "first.mp3", "cover.png"):
            with urllib.request.urlopen(site.url + name, timeout=10) as answer:
                assert answer.status == 200, name

    monkeypatch.setenv("AUDIO_BUILDER_TODAY", "2026-12-01")           # its day: feed publishes it
    assert run("feed").exit_code == 0
    assert {"later.mp3", "later.vtt", "later.chapters.json", "later.mp4"} <= uploaded(podcast)
    assert not any(path.name.startswith("later") for path in held.iterdir())
    assert "later.mp3" in (podcast / "output" / "feed.xml").read_text()


def test_an_episode_whose_date_moves_later_leaves_the_folder_to_upload(podcast):
    """Built (and in output/) while due, not yet published; its date then moves ahead."""
    write(podcast / "scripts" / "later.yaml", LATER.replace("2026-12-01", "2026-11-19"))
    assert run("build", "--quiet").exit_code == 0
    assert "later.mp3" in uploaded(podcast)
    write(podcast / "scripts" / "later.yaml", LATER)
    assert run("feed").exit_code == 0                       # never published: it only waits
    assert not any("later" in name for name in uploaded(podcast))
    assert (podcast / "output-scheduled" / "later.mp3").is_file()


def episode_guids(listing: str) -> list[str]:
    """The guids in `gpo episodes --guid` (its header names the feed's address, which may
    hold a `-` too: the preview server's key)."""
    return re.findall(r"\b[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}\b", listing)


@pytest.mark.slow
@pytest.mark.skipif(not shutil.which("gpo"), reason="gPodder (Debian: gpodder) is not installed")
def test_gpodder_sees_no_duplicate_when_the_site_moves(podcast, tmp_path):
    """gPodder subscribes at the old address; the site moves (a new base_url, the old feed
    rewritten with the new enclosures, as a host's redirect would serve it); gPodder updates."""
    output = podcast / "output"
    output.mkdir()
    servers = [SitePreview(output).start() for _ in range(2)]
    old, new = (server.url for server in servers)
    env = {**os.environ, "GPODDER_HOME": str(tmp_path / "home"),
           "GPODDER_DOWNLOAD_DIR": str(tmp_path / "downloads")}

    def gpo(*args):
        result = subprocess.run(["gpo", *args], env=env, capture_output=True, text=True, timeout=120)
        assert result.returncode == 0, result.stdout + result.stderr
        return result.stdout

    try:
        write(podcast / "podcast.yaml", PODCAST.replace("https://old.example.org/holding/", old))
        build_and_publish()
        gpo("subscribe", old + "feed.xml")
        gpo("update")
        gpo("download")
        assert len(list((tmp_path / "downloads").rglob("*.mp3"))) == 1
        guids = episode_guids(gpo("episodes", "--guid"))

        write(podcast / "podcast.yaml", PODCAST.replace("https://old.example.org/holding/", new))
        build_and_publish()
        assert new + "first.mp3" in (output / "feed.xml").read_text()
        gpo("update")
        assert "first" not in gpo("pending")                            # nothing new to fetch
        after = episode_guids(gpo("episodes", "--guid"))
        assert len(after) == len(guids) == 1, after
    finally:
        for server in servers:
            server.stop()
