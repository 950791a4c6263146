"""A track's files by format, asked of one owner: build writes them, publish and play find them."""

import pytest
from conftest import run, write

from audio_builder.durations import format_ms
from audio_builder.publishing.captions import read_vtt, to_vtt
from audio_builder.publishing.tracks import tracks_of
from audio_builder.script.parser import load_script

PODCAST = """
title: Formats
author: A Teacher
email: teacher@example.org
base_url: https://example.org/formats/
"""

SCRIPT = """
title: Two Lengths
description: One practice, two lengths.
date: 2026-11-01
episode: [3, 4]
length: [6s, 20s]
steps:
  - chapter: Only
  - Rest here, and breathe.
  - pause: 1s..
"""


@pytest.fixture
def tones_project(project):
    write(project / "voices" / "default.yaml", "engine: tones\n")
    write(project / "podcast.yaml", PODCAST)
    write(project / "scripts" / "two.yaml", SCRIPT)
    return project


def test_each_length_is_its_own_episode_with_its_own_title_and_number(tones_project):
    tracks = tracks_of(load_script(tones_project / "scripts" / "two.yaml"))
    assert [(t.name, t.title, t.episode) for t in tracks] == [
        ("two-6s", "Two Lengths (6 s)", 3), ("two-20s", "Two Lengths (20 s)", 4)]
    assert format_ms(5 * 60_000, words=True) == "5 min"


def test_one_number_for_several_lengths_builds_as_before_and_says_what_to_write(tones_project):
    """The form before each length was its own episode: every length numbered 3, as it was,
    with a warning at its line saying what to write."""
    write(tones_project / "scripts" / "two.yaml", SCRIPT.replace("episode: [3, 4]", "episode: 3"))
    for command in ("check", "build"):
        result = run(command)
        assert result.exit_code == 0, result.output
        assert "warning: " in result.stderr and "two.yaml:4: `episode: 3` with 2 lengths" in result.stderr
        assert "write one number per length, like `episode: [3, 13]`" in result.stderr
    mutagen = pytest.importorskip("mutagen.id3")
    numbers = [str(mutagen.ID3(tones_project / "output" / f"two-{n}.mp3")["TRCK"]) for n in ("6s", "20s")]
    assert numbers == ["3", "3"]


def test_one_number_in_a_list_for_several_lengths_is_a_located_error(tones_project):
    write(tones_project / "scripts" / "two.yaml", SCRIPT.replace("episode: [3, 4]", "episode: [3]"))
    result = run("check")
    assert result.exit_code == 2
    assert "two.yaml:4: " in result.stderr and "one number per length" in result.stderr


def test_m4a_tracks_are_published_as_audio_mp4(tones_project):
    assert run("build", "--format", "m4a", "--quiet").exit_code == 0
    result = run("feed")
    assert "not built yet" not in result.stdout and "2 episodes" in result.stdout, result.output
    feedparser = pytest.importorskip("feedparser")
    feed = feedparser.parse(str(tones_project / "output" / "feed.xml"))
    enclosures = [e.enclosures[0] for e in feed.entries]
    assert [e.type for e in enclosures] == ["audio/mp4"] * 2
    assert sorted(e.href.rsplit("/", 1)[-1] for e in enclosures) == ["two-20s.m4a", "two-6s.m4a"]
    assert sorted(int(e.itunes_episode) for e in feed.entries) == [3, 4]
    page = (tones_project / "output" / "index.html").read_text()
    assert 'src="two-6s.m4a"' in page


def test_the_vtt_reader_reads_what_the_writer_writes(tones_project):
    from audio_builder.builder import Builder
    from audio_builder.script.project import open_project

    builder = Builder(open_project())
    timeline = builder.plan(load_script(tones_project / "scripts" / "two.yaml"))[0].timeline
    cues = read_vtt(to_vtt(timeline))
    assert [(c.start_ms, c.end_ms) for c in cues] == [(s.start_ms, s.end_ms) for s in timeline.speech]
    assert cues[0].text == "Rest here, and breathe."


def test_ffprobe_lists_the_chapters_in_time_order(project):
    from conftest import ffprobe_json

    write(project / "voices" / "default.yaml", "engine: tones\n")
    write(project / "scripts" / "chapters.yaml", """
        title: Chapters
        steps:
          - chapter: Arriving here, at the very start of a long practice
          - One.
          - chapter: B
          - Two.
          - chapter: Closing
          - Three.
        """)
    assert run("build", "--quiet").exit_code == 0
    chapters = ffprobe_json(project / "output" / "chapters.mp3", "-show_chapters")["chapters"]
    assert [c["tags"]["title"] for c in chapters] == [
        "Arriving here, at the very start of a long practice", "B", "Closing"]
    starts = [float(c["start_time"]) for c in chapters]
    assert starts == sorted(starts)                     # file order is time order


def test_other_formats_are_alternate_enclosures_beside_the_mp3(tones_project):
    from xml.etree import ElementTree as ET

    from audio_builder.publishing.feed import PODCAST

    assert run("build", "--quiet").exit_code == 0
    assert run("build", "--format", "opus", "--quiet").exit_code == 0
    assert run("feed").exit_code == 0
    output = tones_project / "output"
    channel = ET.parse(output / "feed.xml").getroot().find("channel")
    for item in channel.findall("item"):
        enclosure = item.find("enclosure")
        assert enclosure.get("type") == "audio/mpeg" and enclosure.get("url").endswith(".mp3")
        [alternate] = item.findall(f"{{{PODCAST}}}alternateEnclosure")
        assert alternate.get("type") == "audio/ogg" and alternate.get("codecs") == "opus"
        uri = alternate.find(f"{{{PODCAST}}}source").get("uri")
        opus = output / uri.rsplit("/", 1)[-1]
        assert uri.endswith(".opus") and int(alternate.get("length")) == opus.stat().st_size
    for mp3 in output.glob("*.mp3"):         # built only as Opus: Apple Podcasts would drop it
        mp3.unlink()
    result = run("feed")
    assert result.exit_code == 2 and "built only as Opus" in result.stderr
