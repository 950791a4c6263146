"""Hostile input, the smaller cases: podcast fields a directory would reject, file names
that break links, damaged files in output/ and in the speech cache, lengths a script cannot
reach, and sound files that are not sound.

Each goes through the command line (or the files it writes): exit 2 for bad input, 1 for the
system's refusals, one located line that says how to fix it, no traceback, nothing echoed."""

from __future__ import annotations

import os
import re
import shutil
import struct
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
from conftest import project_once, run, write

from audio_builder.durations import parse_duration
from audio_builder.files import HOST
from audio_builder.sound.audio import SAMPLE_RATE
from audio_builder.sound.media import ffmpeg_exe

PODCAST = """\
title: P
author: A
email: a@example.org
base_url: https://example.org/p/
category: Health & Fitness/Mental Health
"""


def assert_refused(result, where: str, *words: str, code: int = 2) -> None:
    assert result.exit_code == code, result.output
    assert result.stderr.startswith(where), result.stderr
    for word in words:
        assert word in result.stderr, result.stderr
    assert "Traceback" not in result.output
    assert len(result.stderr.strip().splitlines()) == 1, result.stderr


def assert_nothing_written(project: Path) -> None:
    assert not (project / "output").exists() or not any((project / "output").iterdir())


# --- podcast fields ------------------------------------------------------------------------

@pytest.mark.parametrize("line, words", [
    ("base_url: ftp://example.org/p/", ["`base_url`", "https://"]),
    ("base_url: https:///no-host/", ["`base_url`", "host name"]),
    ("base_url: 'https://example.org:99999/'", ["`base_url`", "not a web address"]),
    ("base_url: 'https://ana:hunter2@example.org/'", ["`base_url`", "password"]),
    ("email: a@b", ["`email`", "name@example.org"]),
    ("email: 'two words@example.org'", ["`email`", "not an email address"]),
    ("language: english", ["`language`", "`en-US`"]),
    ("language: en_US", ["`language`", "`en-US`"]),
    ("category: Mental Health", ["`category`", "did you mean `Health & Fitness/Mental Health`?"]),
    ("category: Health & Fitness/Meditation", ["`category`", "Apple Podcasts"]),
    ("category: Cooking", ["`category`", "Religion & Spirituality"]),
    ("category: Arts/Books/Poetry", ["`category`", "did you mean `Arts/Books`?"]),
    ("funding: javascript:alert(1)", ["`funding`", "web address"]),
    ("people: [{name: Ana, href: 'ftp://x'}]", ["`href`", "web address"]),
])
def test_podcast_fields_a_directory_would_reject_are_refused_at_check(project, line, words):
    key = line.split(":")[0]
    kept = "".join(row + "\n" for row in PODCAST.splitlines() if not row.startswith(key + ":"))
    write(project / "podcast.yaml", kept + line + "\n")
    write(project / "scripts" / "a.yaml", "title: T\nsteps:\n  - Hi.\n")
    result = run("check")
    assert_refused(result, f"podcast.yaml:{len(kept.splitlines()) + 1}: ", *words)
    assert "hunter2" not in result.output
    assert_refused(run("build"), "podcast.yaml:")
    assert_nothing_written(project)


def test_good_podcast_fields_pass_and_a_category_is_spelled_as_apple_spells_it(project):
    write(project / "podcast.yaml", PODCAST.replace("Health & Fitness/Mental Health",
                                                    "religion & spirituality/buddhism")
          + "language: en-US\nfunding: http://example.org:8080/give\n")
    write(project / "scripts" / "a.yaml", "title: T\ndate: 2026-11-01\nlanguage: de\nsteps:\n  - Hi.\n")
    assert run("check").exit_code == 0
    assert run("build").exit_code == 0
    assert run("feed").exit_code == 0
    feedparser = pytest.importorskip("feedparser")
    feed = feedparser.parse(str(project / "output" / "feed.xml"))
    assert not feed.bozo and feed.feed.language == "en-US"
    assert [t["term"] for t in feed.feed.tags] == ["Religion & Spirituality", "Buddhism"]


def test_a_script_language_must_be_a_language_code(project):
    write(project / "scripts" / "a.yaml", "title: T\nlanguage: Deutsch\nsteps:\n  - Hi.\n")
    assert_refused(run("check"), "scripts/a.yaml:2: ", "`language`", "`de`")


# --- file names that break links -------------------------------------------------------------

ODD_NAME = "rest #2? 100% here"


def test_links_to_a_file_named_with_hash_question_percent_and_spaces_work(project):
    write(project / "podcast.yaml", PODCAST)
    write(project / "scripts" / f"{ODD_NAME}.yaml",
          "title: Odd\ndate: 2026-11-01\nsteps:\n  - chapter: One\n  - Hi there.\n  - pause: 1s\n")
    write(project / "scripts" / "rest x2x 100% here-1s.yaml", "title: Other\nsteps:\n  - Hi.\n")
    assert run("build").exit_code == 0
    result = run("feed")
    assert result.exit_code == 0, result.output
    assert "one-off" not in result.output          # `?` in a name is not a pattern matching others
    output = project / "output"

    feedparser = pytest.importorskip("feedparser")
    podcastparser = pytest.importorskip("podcastparser")
    from urllib.parse import unquote, urlsplit

    def local(url: str) -> Path:
        parts = urlsplit(url)
        assert not parts.query, url
        return output / unquote(parts.path.removeprefix("/p/"))

    feed = feedparser.parse(str(output / "feed.xml"))
    assert not feed.bozo
    [entry] = feed.entries
    [enclosure] = entry.enclosures
    assert local(enclosure.href) == output / f"{ODD_NAME}.mp3"
    assert urlsplit(entry.link).fragment == "rest%20%232%3F%20100%25%20here"
    with (output / "feed.xml").open("rb") as stream:
        [episode] = podcastparser.parse("https://example.org/p/feed.xml", stream)["episodes"]
    assert local(episode["enclosures"][0]["url"]).is_file()
    assert local(episode["chapters"]["url"] if isinstance(episode.get("chapters"), dict)
                 else enclosure.href.replace(".mp3", ".chapters.json")).is_file()

    from html.parser import HTMLParser

    class Links(HTMLParser):
        def __init__(self):
            super().__init__()
            self.links: list[str] = []
            self.ids: list[str] = []

        def handle_starttag(self, tag, attrs):
            values = dict(attrs)
            self.links += [v for k, v in values.items() if k in ("src", "href") and v]
            self.ids += [values["id"]] if "id" in values else []

    page = Links()
    page.feed((output / "index.html").read_text(encoding="utf-8"))
    names = {unquote(urlsplit(link).path) for link in page.links}
    assert {f"{ODD_NAME}.mp3", f"{ODD_NAME}.vtt", "cover.png", "feed.xml"} <= names
    for link in page.links:
        assert not urlsplit(link).fragment and not urlsplit(link).query, link
        assert (output / unquote(urlsplit(link).path)).is_file(), link
    assert all(" " not in element for element in page.ids)
    assert urlsplit(entry.link).fragment in page.ids       # the feed's link finds its article


# --- damaged files in output/ ------------------------------------------------------------------

def fingerprint(folder: Path) -> dict[str, bytes]:
    return {p.name: p.read_bytes() for p in sorted(folder.iterdir()) if p.is_file()}


@pytest.fixture(scope="module")
def published(tmp_path_factory) -> Path:
    """A project with one practice built and published (output/calm.*, feed.xml, index.html),
    made once; each test gets its own copy (`built`)."""
    calm = "title: Calm\ndate: 2026-11-01\nsteps:\n  - chapter: One\n  - Hi there.\n  - pause: 1s\n"
    root, _ = project_once(tmp_path_factory, "published",
                           {"podcast.yaml": PODCAST, "scripts/calm.yaml": calm}, ("build",), ("feed",))
    return root


@pytest.fixture
def built(published, tmp_path, monkeypatch) -> Path:
    copy = tmp_path / "project"
    shutil.copytree(published, copy, symlinks=True)
    monkeypatch.chdir(copy)
    return copy / "output"


@pytest.mark.parametrize("keys, words", [
    ("abc:space", ["'abc:space'", "SECONDS:KEY"]),
    ("1:space,nan:q", ["'nan:q'", "time in seconds"]),
    ("1e400:q", ["'1e400:q'", "time in seconds"]),
    ("-1:q", ["'-1:q'", "time in seconds"]),
    ("1:jump", ["no key 'jump'", "space"]),
])
def test_a_bad_keys_value_is_one_line(built, tmp_path, keys, words):
    result = run("play", built / "calm.mp3", "--to-file", tmp_path / "session.wav", "--keys", keys)
    assert_refused(result, "--keys: ", *words)
    assert not (tmp_path / "session.wav").exists()


DAMAGED = {
    "empty": b"",
    "noise": bytes(range(256)) * 12,
    "id3 then nothing": b"ID3\x03\x00\x00\x00\x00\x10\x00garbage",
}


@pytest.mark.parametrize("kind", DAMAGED)
def test_a_damaged_mp3_in_output_is_one_line_for_every_command_that_reads_it(built, tmp_path, kind):
    (built / "calm.mp3").write_bytes(DAMAGED[kind])
    before = fingerprint(built)
    assert_refused(run("feed"), "output/calm.mp3: ", "build it again")
    assert_refused(run("video"), "output/calm.mp3: ", "build it again")
    assert_refused(run("play", built / "calm.mp3", "--to-file", tmp_path / "s.wav"), "output/calm.mp3: ",
                   "build it again")
    assert fingerprint(built) == before                  # the feed, page and all left as they were
    assert_refused(run("feed", "--check"), "output/feed.xml: ", "does not match the file", code=1)


@pytest.mark.parametrize("text, line, words", [
    (b"{\n  \"chapters\": [\n", 3, "not valid JSON"),
    (b'{"chapters": [{"title": "no start"}]}', None, "`{startTime, title}`"),
    (b'{"chapters": [{"startTime": "NaN"}]}', None, "`{startTime, title}`"),
    (b'{"chapters": 5}', None, "`{startTime, title}`"),
    (b"[1, 2]", None, "`{startTime, title}`"),
    (b"\xff\xfe{}", 1, "not UTF-8"),
])
def test_a_damaged_chapters_file_beside_a_track_is_one_line(built, text, line, words):
    (built / "calm.chapters.json").write_bytes(text)
    before = fingerprint(built)
    where = "output/calm.chapters.json:" + (f"{line}:" if line else "")
    assert_refused(run("feed"), where, words, "build it again")
    assert_refused(run("video"), where, words)
    assert fingerprint(built) == before                  # no video written before the refusal


def test_damaged_captions_beside_a_track_are_one_line(built, tmp_path):
    (built / "calm.vtt").write_bytes(b"WEBVTT\n\n\x9d\x00\xff")
    assert_refused(run("feed"), "output/calm.vtt:3: ", "not UTF-8", "build it again")
    played = run("play", built / "calm.mp3", "--to-file", tmp_path / "s.wav")
    assert played.exit_code == 0 and "Traceback" not in played.output, played.output  # no captions
    assert (tmp_path / "s.wav").stat().st_size > 44


# --- the speech cache ----------------------------------------------------------------------------

def cached_practice(project: Path, cache: Path) -> Path:
    """Build a one-sentence practice into its own cache; the entry's path."""
    write(project / "scripts" / "c.yaml", "title: C\nsteps:\n  - Rest here.\n  - pause: 1s\n")
    assert run("build", "--cache-dir", cache, "-j", "1", "scripts/c.yaml").exit_code == 0
    [entry] = list(cache.glob("??/*.f32"))
    return entry


@pytest.mark.parametrize("kind", ["link to a device", "pipe", "huge", "link to a good entry"])
def test_a_cache_entry_that_is_not_a_plain_file_of_its_size_is_spoken_again(project, tmp_path, kind,
                                                                             deadline):
    cache = tmp_path / "cache"
    entry = cached_practice(project, cache)
    good = (project / "output" / "c.mp3").read_bytes()
    stored = entry.read_bytes()
    entry.unlink()
    if kind == "link to a device":
        entry.symlink_to("/dev/zero")                  # endless: read without limit, it never ends
    elif kind == "pipe":
        os.mkfifo(entry)                               # opened for reading, it waits for a writer
    elif kind == "huge":
        with entry.open("wb") as file:                 # sparse: 2 GB on paper, claimed by its header
            size = 2 * 2**30
            file.write(stored[:9] + struct.pack("<Q", size - 49) + stored[17:49])
            file.truncate(size)
    else:
        (tmp_path / "elsewhere.f32").write_bytes(stored)
        entry.symlink_to(tmp_path / "elsewhere.f32")
    result = run("build", "--cache-dir", cache, "-j", "1", "scripts/c.yaml")
    assert result.exit_code == 0 and "0 of 1 pieces from the cache, 1 spoken" in result.stdout
    assert (project / "output" / "c.mp3").read_bytes() == good
    assert entry.is_file() and not entry.is_symlink() and entry.read_bytes() == stored
    assert Path("/dev/zero").exists()                  # the link went, not what it named


def test_a_build_removes_the_half_written_pieces_a_killed_build_left_in_the_cache(project, tmp_path):
    cache = tmp_path / "cache"
    entry = cached_practice(project, cache)
    dead = subprocess.run([sys.executable, "-c", "import os; print(os.getpid())"],
                          capture_output=True, text=True, check=True).stdout.strip()
    part = f".{entry.name}.{HOST}-{{pid}}-abcd1234.part"
    left = {name: entry.parent / name for name in (
        part.format(pid=dead),                               # its writer is gone: stale
        part.format(pid=os.getpid()),                        # a build still running: kept
        f".{entry.name}.000000-{dead}-abcd1234.part",        # written on another machine: kept
    )}
    for path in left.values():
        path.write_bytes(b"half a piece")
    result = run("build", "--cache-dir", cache, "-j", "1", "scripts/c.yaml")
    assert result.exit_code == 0 and "1 of 1 pieces from the cache" in result.stdout
    assert [name for name, path in left.items() if path.exists()] == list(left)[1:]
    assert not [p for p in cache.rglob("*.part") if HOST in p.name and dead in p.name]


# --- lengths a script cannot reach -------------------------------------------------------------

CLOCK = re.compile(r"\d+(?::\d\d){1,2}(?:\.\d{3})?")

UNREACHABLE = {
    # with `only`, a length hears other steps: 40 s drops the 30 s pause, but no length
    # that drops it is long enough, so only the lengths that keep it can be offered
    "only": ("length: 40s\nsteps:\n  - Hi.\n  - pause: 1s..5s\n  - pause: 30s\n    only: ..35s\n",
             "40s"),
    "less than a second of room": ("steps:\n  - Hi there.\n  - pause: 500ms..700ms\n", "10s"),
    "exactly one length": ("steps:\n  - Hi there.\n  - pause: 2s\n", "1s"),
    "before an at from the end": ("steps:\n  - Hi.\n  - at: -3s\n  - Bye now.\n  - pause: 1s..5s\n", "3s"),
    "too long after an at": ("steps:\n  - Hi.\n  - at: 5s\n  - Bye now.\n  - pause: 1s..3s\n", "20s"),
}


def offered_ends(message: str) -> list[str]:
    [reach] = re.findall(r"it can be (.+?) long;", message)
    return CLOCK.findall(reach)


@pytest.mark.parametrize("case", UNREACHABLE)
def test_the_lengths_an_impossible_length_error_offers_can_be_built(project, case):
    steps, asked = UNREACHABLE[case]
    write(project / "scripts" / "s.yaml", "title: S\n" + steps)
    refused = run("build", "scripts/s.yaml", "--length", asked)
    assert refused.exit_code == 2 and "Traceback" not in refused.output, refused.output
    ends = offered_ends(refused.stderr)
    assert ends, refused.stderr
    low, high = (parse_duration(end) for end in (ends[0], ends[-1]))
    assert low <= high, refused.stderr                   # never "from 0:21 to 0:20"
    for end in ends:
        if parse_duration(end) > 60_000:       # up to 12 hours: planned, not rendered
            result = run("plan", "scripts/s.yaml", "--length", end)
            assert result.exit_code == 0, (end, refused.stderr, result.output)
            assert f"({end}" in result.stdout.splitlines()[0], result.stdout
            continue
        # WAV: the length is what is tested, and it reads exactly (an MP3's encode cost more
        # than the rest of the build, and reads ~35 ms long)
        result = run("build", "scripts/s.yaml", "--length", end, "--format", "wav")
        assert result.exit_code == 0, (end, refused.stderr, result.output)
        [audio] = (project / "output").glob("s*.wav")
        assert abs(audio_ms(audio) - parse_duration(end)) < 60, end
        audio.unlink()
    checked = run("check", "scripts/s.yaml", "--length", asked)        # speech estimated: its own ends
    assert checked.exit_code == 2, checked.output
    for end in offered_ends(checked.stderr):
        result = run("check", "scripts/s.yaml", "--length", end)
        assert result.exit_code == 0, (end, checked.stderr, result.output)
        assert re.search(r"lengths it can reach: .*\d", result.stdout)


def audio_ms(path: Path) -> float:
    import mutagen

    return mutagen.File(path).info.length * 1000


# --- sound files that are not sound ------------------------------------------------------------

@pytest.fixture(scope="module")
def damaged_sounds(tmp_path_factory) -> Path:
    """`junk.wav` (text), `cut.flac` (a FLAC cut to a third: its last frame is broken),
    `stub.flac` (its first 3,000 bytes: a header and hardly a frame) and `whole.flac`."""
    folder = tmp_path_factory.mktemp("sounds")
    (folder / "junk.wav").write_text("these are not the samples you are looking for\n")
    tone = (0.3 * np.sin(np.arange(SAMPLE_RATE * 3) * 0.05)).astype("<f4")
    subprocess.run([ffmpeg_exe(), "-v", "error", "-y", "-f", "f32le", "-ar", str(SAMPLE_RATE), "-ac", "1",
                    "-i", "pipe:0", str(folder / "whole.flac")], input=tone.tobytes(), check=True)
    data = (folder / "whole.flac").read_bytes()
    (folder / "cut.flac").write_bytes(data[:len(data) // 3])
    (folder / "stub.flac").write_bytes(data[:3000])
    return folder


@pytest.mark.parametrize("file", ["junk.wav", "cut.flac", "stub.flac"])
@pytest.mark.parametrize("where, line", [
    ("bell: sounds/{file}\nsteps:\n  - Hi.\n  - bell: 1\n", 2),                  # the setting
    ("steps:\n  - Hi.\n  - bell: {{sound: sounds/{file}, strikes: 2}}\n", 4),    # the step
    ("background: sounds/{file}\nsteps:\n  - Hi.\n", 2),
    ("background:\n  sound: sounds/{file}\n  volume: -20dB\nsteps:\n  - Hi.\n", 3),
], ids=["bell setting", "bell step", "background", "background sound"])
def test_a_bell_or_background_file_that_is_not_whole_audio_is_an_error_at_its_line(
        project, damaged_sounds, file, where, line):
    shutil.copytree(damaged_sounds, project / "scripts" / "sounds")
    write(project / "scripts" / "s.yaml", "title: S\n" + where.format(file=file) + "  - pause: 1s\n")
    for command in ("check", "build"):
        result = run(command, "scripts/s.yaml")
        assert_refused(result, f"scripts/s.yaml:{line}: ", f"cannot read audio from {file}",
                       "export it again")
        assert "file:" not in result.stderr and "@ 0x" not in result.stderr
    assert_nothing_written(project)
    if file == "junk.wav":                                     # the whole file, named there, builds
        write(project / "scripts" / "s.yaml", "title: S\n" + where.format(file="whole.flac")
              + "  - pause: 1s\n")
        assert run("build", "scripts/s.yaml").exit_code == 0


# --- a long bell file ------------------------------------------------------------------------------

def test_a_bell_file_too_long_to_hold_is_levelled_as_a_held_one(project, monkeypatch):
    """A bell file longer than two minutes is streamed; it is brought to the bells' loudness
    all the same, from a streamed pass: force a 3-second (quiet) bell down each path and
    compare the tracks sample for sample."""
    from audio_builder.sound import media

    rate = SAMPLE_RATE
    t = np.arange(rate * 3) / rate
    strike = (0.03 * np.sin(2 * np.pi * 440 * t) * np.exp(-t * 1.5)).astype("<f4")
    strike[: rate // 10] = 0                               # a little silence before the strike
    (project / "scripts" / "sounds").mkdir()
    subprocess.run([ffmpeg_exe(), "-v", "error", "-y", "-f", "f32le", "-ar", str(rate), "-ac", "1", "-i",
                    "pipe:0", str(project / "scripts" / "sounds" / "quiet.flac")], input=strike.tobytes(),
                   check=True)
    write(project / "scripts" / "b.yaml", "title: B\nbell: sounds/quiet.flac\nsteps:\n  - Hi.\n"
                                          "  - bell: 2\n  - Bye.\n")
    assert run("build", "-q", "--format", "wav", "--loudness", "off", "-o", "held").exit_code == 0
    monkeypatch.setattr(media, "WHOLE_FILE_FRAMES", rate)
    assert media.is_long(project / "scripts" / "sounds" / "quiet.flac")
    assert run("build", "-q", "--format", "wav", "--loudness", "off", "-o", "streamed").exit_code == 0
    held = (project / "held" / "b.wav").read_bytes()
    assert held == (project / "streamed" / "b.wav").read_bytes()


def test_steps_longer_than_a_track_may_last_are_refused_and_never_offered(project):
    """Found by the long Hypothesis profile: 48 breaths of 15 minutes planned a 12:00:48 track,
    and a length error offered exactly that length, which --length refuses."""
    write(project / "scripts" / "s.yaml",
          "title: S\nsteps:\n  - breathe: {in: 1s, out: 15m, cycles: 48}\n")
    assert_refused(run("check", "scripts/s.yaml"), "scripts/s.yaml:2: ", "12:00:48", "12 hours")
    write(project / "scripts" / "s.yaml", "title: S\nsteps:\n  - Hi.\n  - pause: 11h..\n")
    refused = run("check", "scripts/s.yaml", "--length", "1s")
    assert refused.exit_code == 2 and offered_ends(refused.stderr)[-1] == "12:00:00", refused.stderr


# --- encoding ---------------------------------------------------------------------------------

@pytest.mark.parametrize("fmt, bitrate, words", [
    ("opus", "999k", ["Opus takes 16k to 510k"]),
    ("mp3", "10k", ["MP3 takes 32k to 320k"]),
    ("flac", "128k", ["FLAC is lossless", "leave the bitrate out"]),
])
def test_a_bitrate_the_encoder_would_refuse_is_refused_before_any_work(project, fmt, bitrate, words):
    write(project / "scripts" / "e.yaml", "title: E\nsteps:\n  - Rest here.\n")
    result = run("build", "--format", fmt, "--bitrate", bitrate)
    assert_refused(result, f"bitrate {bitrate} with format {fmt}", *words)
    assert_nothing_written(project)


def test_an_encoder_error_names_the_track_not_its_hidden_temporary(project, monkeypatch):
    from dataclasses import replace

    from audio_builder.publishing.formats import FORMATS

    opus = FORMATS["opus"]
    broken = replace(opus, encoder=replace(opus.encoder,
                                           codec_args=("-c:a", "libopus", "-b:a", "999k", "-f", "ogg")))
    monkeypatch.setitem(FORMATS, "opus", broken)
    write(project / "scripts" / "e.yaml", "title: E\nsteps:\n  - Rest here.\n")
    result = run("build", "--format", "opus")
    assert result.exit_code == 1 and "Traceback" not in result.output
    assert "ffmpeg could not encode e.opus:" in result.stderr, result.stderr
    assert ".part" not in result.stderr
    assert_nothing_written(project)
