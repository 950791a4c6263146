"""Hostile files the project keeps beside the scripts: `podcast.lock` and a recorded voice's
`takes.yaml`. Both are read as scripts are (the guarded YAML loader, a plain file, a size cap):
an alias bomb, a link to /dev/zero, a pipe or bytes that are not text is one located line,
exit 2, no traceback, memory bounded, and nothing half-written left. A damaged takes index is
said and written again from the script's lines."""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from conftest import run, write
from test_hostile import BOMB_ANCHORS, peak_run

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
def test_a_lock_that_is_not_a_plain_small_text_file_is_one_line(podcast, kind, words):
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
