"""Hostile files the project keeps beside the scripts: `podcast.lock` and a recorded voice's
`takes.yaml`. Both are read as scripts are (the guarded YAML loader, a plain file, a size cap):
an alias bomb, a link to /dev/zero, a pipe or bytes that are not text is one located line,
exit 2, no traceback, memory bounded, and nothing half-written left. A damaged takes index is
said and written again from the script's lines."""

from __future__ import annotations

import os
from pathlib import Path

import pytest
import yaml
from conftest import run, write
from test_hostile import BOMB_ANCHORS, peak_run
from test_own_voice import room, save_wav

from audio_builder.speech.takes import take_id

PODCAST = """\
title: P
author: A
email: a@example.org
base_url: https://example.org/p/
"""

PRACTICE = """\
title: Calm
date: 2026-11-01
steps:
  - Rest here.
  - pause: 1s
"""


@pytest.fixture
def podcast(project, monkeypatch) -> Path:
    monkeypatch.setenv("AUDIO_BUILDER_TODAY", "2026-11-20")
    write(project / "podcast.yaml", PODCAST)
    write(project / "scripts" / "calm.yaml", PRACTICE)
    return project


def one_line(result, where: str, *words: str, code: int = 2) -> None:
    assert result.exit_code == code, result.output
    assert result.stderr.startswith(where), result.stderr
    assert result.stderr.count("\n") == 1, result.stderr
    assert len(result.stderr) < 400, result.stderr
    for word in words:
        assert word in result.stderr, result.stderr
    assert "Traceback" not in result.output


def output_files(root: Path) -> list[str]:
    output = root / "output"
    return sorted(p.name for p in output.rglob("*")) if output.exists() else []


# --- podcast.lock ------------------------------------------------------------------------

LOCK_BOMB = BOMB_ANCHORS + "podcast_guid: *a8\nepisodes: []\n"


@pytest.mark.parametrize("command", [("feed",), ("feed", "--check"), ("build", "scripts/calm.yaml")])
def test_an_alias_bomb_in_the_lock_is_one_line(podcast, command):
    write(podcast / "podcast.lock", LOCK_BOMB)
    result = run(*command)
    one_line(result, "podcast.lock:1: ", "aliases", "version control")
    assert "lol" not in result.stderr
    assert output_files(podcast) == []


@pytest.mark.slow                 # two whole processes, measured
def test_an_alias_bomb_in_the_lock_stays_small_in_memory(podcast):
    write(podcast / "podcast.lock", LOCK_BOMB)
    for command in (("feed",), ("build", "scripts/calm.yaml")):
        code, peak_mb = peak_run(podcast, *command, limit_mb=1000)
        assert code == 2, command
        assert peak_mb < 250, (command, peak_mb)
    assert output_files(podcast) == []


@pytest.mark.parametrize("kind, words", [
    ("zero", ["symbolic link"]),
    ("fifo", ["not a plain file"]),
    ("folder", ["not a plain file"]),
    ("huge", ["larger than 1 MB"]),
    ("latin-1", ["not UTF-8"]),
])
def test_a_lock_that_is_not_a_plain_small_text_file_is_one_line(podcast, kind, words, deadline):
    lock = podcast / "podcast.lock"
    if kind == "zero":
        lock.symlink_to("/dev/zero")
    elif kind == "fifo":
        os.mkfifo(lock)
    elif kind == "folder":
        lock.mkdir()
    elif kind == "huge":
        lock.write_text("episodes:\n" + "# a comment line that is long enough\n" * 40_000)
    else:
        lock.write_bytes(b"podcast_guid: caf\xe9\n")
    result = run("feed")
    one_line(result, "podcast.lock", *words, "version control")
    assert output_files(podcast) == []


@pytest.mark.parametrize("text, line, words", [
    ("podcast_guid: [a, b]\n", 1, ["not a guid"]),
    ("episodes:\n  - guid: 9b024349-ccf0-5f69-a609-6b82873eab3c\n    track: calm\n"
     "    first_published: soon\n", 4, ["first_published", "not a date"]),
    ("episodes:\n  - guid: " + "x" * 5000 + "\n    track: calm\n"
     "    first_published: 2026-11-01\n", 2, ["not a guid"]),
    ("episodes:\n  - just a line\n", 2, ["needs `guid`"]),
])
def test_a_damaged_lock_entry_is_located_and_never_echoed_whole(podcast, text, line, words):
    write(podcast / "podcast.lock", text)
    result = run("feed")
    one_line(result, f"podcast.lock:{line}: ", *words)
    assert "x" * 100 not in result.stderr


def test_the_lock_is_written_without_anchors(podcast):
    write(podcast / "scripts" / "second.yaml", PRACTICE.replace("Calm", "Second"))
    assert run("build").exit_code == 0
    assert run("feed").exit_code == 0
    text = (podcast / "podcast.lock").read_text()
    assert "&id" not in text and "*id" not in text, text
    assert text.count("first_published: 2026-11-20") == 2, text


# --- takes.yaml ----------------------------------------------------------------------------

LINES = ["Find a comfortable position.", "Let your eyes close."]


@pytest.fixture
def teacher(project) -> Path:
    write(project / "voices" / "teacher.yaml", "engine: recorded\n")
    write(project / "scripts" / "a.yaml", f"title: A\nvoice: teacher\nsteps:\n  - {LINES[0]}\n"
                                          f"  - pause: 2s\n  - {LINES[1]}\n")
    (project / "takes" / "teacher").mkdir(parents=True)
    return project


def index_of(root: Path) -> Path:
    return root / "takes" / "teacher" / "takes.yaml"


def damage_index(root: Path, kind: str) -> None:
    index = index_of(root)
    if kind == "bomb":
        index.write_text(BOMB_ANCHORS)
    elif kind == "zero":
        index.symlink_to("/dev/zero")
    elif kind == "fifo":
        os.mkfifo(index)
    elif kind == "latin-1":
        index.write_bytes(b"# takes\nfind-a: caf\xe9\n")
    elif kind == "huge":
        index.write_text("# a comment line that is long enough to fill it\n" * 30_000)
    elif kind == "wrong":
        index.write_text(f"{take_id(LINES[0])}: Something else entirely.\n")
    else:
        index.write_text("- a list\n- of things\n")


def assert_rebuilt(root: Path) -> None:
    index = index_of(root)
    assert index.is_file() and not index.is_symlink()
    assert yaml.safe_load(index.read_text()) == {take_id(text): text for text in LINES}
    assert sorted(p.name for p in index.parent.iterdir()) == ["takes.yaml"]     # nothing half-written


KINDS = {"bomb": ("takes.yaml:1: ", "aliases"), "zero": ("takes.yaml: ", "symbolic link"),
         "fifo": ("takes.yaml: ", "not a plain file"), "latin-1": ("takes.yaml:2: ", "not UTF-8"),
         "huge": ("takes.yaml: ", "larger than 1 MB"), "wrong": ("takes.yaml:1: ", "not the id"),
         "list": ("takes.yaml:1: ", "not a mapping")}


@pytest.mark.parametrize("kind", sorted(KINDS))
def test_a_damaged_takes_index_is_said_and_written_again(teacher, kind, deadline):
    damage_index(teacher, kind)
    result = run("takes", "scripts/a.yaml")
    assert result.exit_code == 0, result.output
    where, words = KINDS[kind]
    [warning] = [line for line in result.stderr.splitlines() if line.startswith("warning: ")]
    assert warning.startswith(f"warning: takes/teacher/{where}"), warning
    assert words in warning and "written again" in warning, warning
    assert "lol" not in result.output and "Traceback" not in result.output
    assert_rebuilt(teacher)


@pytest.mark.parametrize("kind", ["bomb", "fifo"])
def test_record_writes_a_damaged_index_again(teacher, kind, deadline):
    damage_index(teacher, kind)
    save_wav(teacher / "mic.wav", room(1.0))
    result = run("record", "scripts/a.yaml", "--input-file", "mic.wav", "--keys", "0.5:q")
    assert result.exit_code == 0, result.output
    assert "warning: takes/teacher/takes.yaml" in result.stderr, result.stderr
    assert_rebuilt(teacher)


@pytest.mark.parametrize("kind", ["bomb", "zero", "fifo", "latin-1"])
def test_takes_import_reads_a_damaged_index_without_hanging(teacher, kind, deadline):
    damage_index(teacher, kind)
    save_wav(teacher / "quiet.wav", room(2.0))      # no speech: the import stops there
    result = run("takes", "import", "scripts/a.yaml", "quiet.wav")
    assert result.exit_code == 2, result.output
    assert result.stderr.splitlines()[-1].startswith("quiet.wav: no speech"), result.stderr
    assert "Traceback" not in result.output
    assert_rebuilt(teacher)


def test_a_damaged_index_stays_small_in_memory(teacher):
    damage_index(teacher, "bomb")
    code, peak_mb = peak_run(teacher, "takes", "scripts/a.yaml", limit_mb=1000)
    assert code == 0 and peak_mb < 250, peak_mb
    assert_rebuilt(teacher)


def test_a_sound_index_keeps_other_scripts_entries(teacher):
    other = "Rest your hands."
    index_of(teacher).write_text(f"{take_id(other)}: {other}\n")
    result = run("takes", "scripts/a.yaml")
    assert result.exit_code == 0 and "warning" not in result.stderr, result.output
    assert yaml.safe_load(index_of(teacher).read_text()) == {
        take_id(text): text for text in (other, *LINES)}


# --- where the program is told to look: the cache folder, a cluster ------------------------

@pytest.fixture
def tones(project) -> Path:
    write(project / "scripts" / "a.yaml", "title: A\nsteps:\n  - Hi.\n")
    return project


def test_a_cache_folder_that_loops_is_one_line(tones, monkeypatch):
    (tones / "loop").symlink_to(tones / "loop2")
    (tones / "loop2").symlink_to(tones / "loop")
    monkeypatch.setenv("AUDIO_BUILDER_CACHE", str(tones / "loop"))
    one_line(run("build", "scripts/a.yaml"), "loop: ", "$AUDIO_BUILDER_CACHE", "loop of symbolic links")
    monkeypatch.delenv("AUDIO_BUILDER_CACHE")
    one_line(run("build", "--cache-dir", "loop", "scripts/a.yaml"), "loop: ", "loop of symbolic links")
    assert output_files(tones) == []


@pytest.mark.parametrize("address, words", [
    ("not an address", "is not an address"),
    ("http://127.0.0.1:8786", "not 'http'"),
    ("tcp://[::1", "is not an address"),
    ("tcp://127.0.0.1:99999", "is not an address"),
    ("", "is empty"),
])
def test_a_cluster_address_that_is_not_one_is_refused_at_once(tones, address, words, deadline):
    result = run("build", "scripts/a.yaml", "--cluster", address)
    one_line(result, "--cluster ", words, "tcp://")
    assert output_files(tones) == []


# --- right-to-left overrides ----------------------------------------------------------------

@pytest.mark.parametrize("character", ["\u202e", "\u202d", "\u2067"])
def test_a_right_to_left_override_in_a_title_is_refused(tones, character):
    write(tones / "scripts" / "b.yaml", f"title: Calm{character}3pm.exe\nsteps:\n  - Hi.\n")
    one_line(run("check", "scripts/b.yaml"), "scripts/b.yaml:1: ", f"U+{ord(character):04X}",
             "right-to-left")


def test_a_right_to_left_override_in_a_file_name_is_refused(tones):
    name = "calm\u202e3pm.yaml"
    write(tones / "scripts" / name, "title: Calm\nsteps:\n  - Hi.\n")
    result = run("build", f"scripts/{name}")
    one_line(result, f"scripts/{name}: ", "U+202E", "rename the file")
    assert output_files(tones) == []


def test_right_to_left_text_itself_is_welcome(tones):
    write(tones / "scripts" / "b.yaml", "title: \u05e9\u05dc\u05d5\u05dd \u200fCalm\nsteps:\n  - Hi.\n")
    assert run("check", "scripts/b.yaml").exit_code == 0


# --- Ctrl-C names the folder the command writes ----------------------------------------------

@pytest.mark.parametrize("command, api_name, said", [
    (("voices", "get", "some-voice"), "fetch_voice", "the voice folder"),
    (("takes", "import", "scripts/a.yaml", "reading.wav"), "import_takes", "the takes folder"),
    (("record", "scripts/a.yaml"), "record_takes", "the takes folder"),
    (("build", "scripts/a.yaml"), "build", "output/"),
])
def test_ctrl_c_names_the_folder_the_command_writes(tones, monkeypatch, command, api_name, said):
    from audio_builder import api

    def interrupted(*args, **kwargs):
        raise KeyboardInterrupt

    monkeypatch.setattr(api, api_name, interrupted)
    (tones / "reading.wav").write_bytes(b"RIFF")
    result = run(*command)
    assert result.exit_code == 130, result.output
    assert result.stderr.strip().endswith(f"nothing half-written was left in {said}"), result.stderr


# --- a feed that refuses writes nothing -------------------------------------------------------

def test_a_feed_that_refuses_writes_no_cover_either(podcast):
    assert run("build", "scripts/calm.yaml", "--format", "wav").exit_code == 0
    before = output_files(podcast)
    result = run("feed")
    assert result.exit_code != 0 and "Traceback" not in result.output, result.output
    assert output_files(podcast) == before, result.output
    assert "cover.png" not in before


# --- found by a teacher: silence piled up before an anchor -------------------------------------

PILED = """\
title: Pile
length: {length}
steps:
  - Settle in.
  - pause: 5s..20s
  - Breathe.
  - pause: 5s..
  - at: 10m
  - Welcome back.
  - pause: 5s..20s
"""


def test_check_warns_of_silence_piled_up_before_an_anchor(tones):
    write(tones / "scripts" / "pile.yaml", PILED.format(length="10m10s"))
    result = run("check", "scripts/pile.yaml")
    assert result.exit_code == 0, result.output
    [warning] = [line for line in result.stderr.splitlines() if "silence" in line]
    assert warning.startswith("warning: scripts/pile.yaml:8: "), warning      # the `at` line
    assert "before `at: 10m`" in warning and "(20s)" in warning, warning
    minutes, seconds = warning.split(": ", 2)[2].split(" of unbroken")[0].split(":")
    assert int(minutes) * 60 + int(seconds) > 9 * 60


def test_check_says_nothing_of_pauses_the_script_asks_for(tones):
    write(tones / "scripts" / "pile.yaml", PILED.format(length="1m10s").replace("at: 10m", "at: 50s"))
    result = run("check", "scripts/pile.yaml")
    assert result.exit_code == 0 and "silence" not in result.stderr, result.output


# --- captions: read in one pass; a track whose captions cannot be read plays without them --------

@pytest.mark.slow                 # 220,000 cues read, twice
def test_two_hundred_thousand_cues_are_read_in_one_pass():
    """Ten times the cues take about ten times the work (a quadratic reader: a hundred times).
    Compared with itself, so a loaded machine slows both sides alike."""
    import time

    from audio_builder.publishing.captions import read_vtt

    cue = "00:00:01.000 --> 00:00:02.000\nBreathe.\n\n"

    def work(count: int) -> float:
        text = "WEBVTT\n\n" + cue * count
        started = time.process_time()
        cues = read_vtt(text)
        assert len(cues) == count and cues[-1].text == "Breathe."
        return time.process_time() - started

    small = min(work(20_000) for _ in range(3))
    assert work(200_000) < 30 * small


def test_a_track_with_captions_that_are_not_utf8_plays_without_them(tones):
    from audio_builder.live.track import open_recording

    assert run("build", "scripts/a.yaml").exit_code == 0
    (tones / "output" / "a.vtt").write_bytes(b"WEBVTT\n\n00:00:00.000 --> 00:00:01.000\ncaf\xe9\n")
    track = open_recording(tones / "output" / "a.mp3", tones)
    assert track.captions == []


def test_every_command_says_where_it_writes_after_ctrl_c():
    """`WRITES_TO` names every command (None for one that leaves nothing half-written), so a
    new command cannot be stopped with a line about a folder it never writes."""
    from audio_builder.cli import WRITES_TO, main

    assert sorted(WRITES_TO) == sorted(main.commands)
