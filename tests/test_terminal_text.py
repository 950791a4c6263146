"""Text read from a file never reaches the terminal as an escape sequence: every kind of file
input the commands show (script titles and lines in `plan`, `check` and `takes`, a voice's
name, the takes index, tags, feed check messages, file names) carries OSC and CSI sequences
here, and the command's output has no ESC, BEL or C1 control character left.

YAML files refuse C0 control characters when read (ESC among them), so in them the sequences
are the 8-bit C1 forms (CSI U+009B, OSC U+009D ... ST U+009C), which a terminal set to 8-bit
controls obeys; files that are not YAML (tags, captions, the feed, names) carry ESC itself.
"""

import re
import shutil
from pathlib import Path

import pytest
from conftest import project_once, run, write
from mutagen.id3 import ID3, TIT2, TXXX

C1_YAML = r"\x9d0;owned\x9c\x9b31m\x9d52;c;aGk=\x9c"          # as written in a YAML "..." string
HOSTILE = "\x1b]0;owned\x07\x1b[31m\x1b]52;c;aGk=\x07\x9b2J\x9d0;x\x9c"
FORBIDDEN = re.compile("[\x1b\x07\x80-\x9f]")


def assert_clean(result) -> str:
    shown = result.stdout + result.stderr
    found = FORBIDDEN.search(shown)
    assert found is None, repr(shown[max(0, found.start() - 40):found.end() + 40])
    return shown


SCRIPT = f"""
title: "Calm{C1_YAML} Practice"
date: 2026-11-01
episode: 1
voice: mine
steps:
  - chapter: "Arriving{C1_YAML}"
  - "Rest here{C1_YAML}, and breathe."
  - pause: 2s
"""

PODCAST = "title: P\nauthor: A\nemail: a@example.org\nbase_url: https://example.org/p/\n"


@pytest.fixture(scope="module")
def hostile(tmp_path_factory):
    root, _ = project_once(tmp_path_factory, "hostile-text", {
        "podcast.yaml": PODCAST, "scripts/calm.yaml": SCRIPT.replace("voice: mine\n", ""),
        "scripts/recorded.yaml": SCRIPT.replace("title: \"Calm", "title: \"Own"),
        "voices/mine.yaml": "engine: recorded\n",
        "voices/odd.yaml": f'engine: tones\nvoice: "tone{C1_YAML}"\n',
    }, ("build", "--quiet", "scripts/calm.yaml"), ("feed",))
    return root


@pytest.fixture
def inside(hostile, monkeypatch):
    monkeypatch.chdir(hostile)
    return hostile


@pytest.mark.parametrize("command", [
    ("plan", "scripts/calm.yaml"),
    ("check", "scripts/calm.yaml"),
    ("check", "scripts/recorded.yaml"),
    ("takes", "list", "scripts/recorded.yaml"),
    ("voices",),
], ids=lambda c: " ".join(c))
def test_script_titles_lines_and_voice_names_reach_no_terminal(inside, command):
    result = run(*command)
    shown = assert_clean(result)
    assert "Traceback" not in shown


def test_plan_shows_the_title_and_line_without_their_sequences(inside):
    shown = assert_clean(run("plan", "scripts/calm.yaml"))
    assert "Calm Practice" in shown and "Rest here" in shown


def test_the_takes_index_reaches_no_terminal(inside):
    folder = inside / "voices" / "mine"
    folder.mkdir(parents=True, exist_ok=True)
    write(folder / "takes.yaml", f'"x{C1_YAML}": "words{C1_YAML}"\n'
                                 f'abc: {{text: "Rest{C1_YAML}", heard: "ok{C1_YAML}", digest: 1}}\n')
    for command in (("takes", "list", "scripts/recorded.yaml"), ("check", "scripts/recorded.yaml")):
        assert_clean(run(*command))


def test_tags_and_feed_check_messages_reach_no_terminal(inside, tmp_path):
    output = inside / "output"
    saved = {name: (output / name).read_bytes() for name in ("calm.mp3", "feed.xml")}
    try:
        tags = ID3(output / "calm.mp3")
        tags.delall("TXXX:podcast:guid")
        tags.add(TXXX(desc="podcast:guid", text=[f"guid{HOSTILE}"]))
        tags.add(TIT2(text=[f"Tagged{HOSTILE}"]))
        tags.save(v2_version=3)
        feed = (output / "feed.xml").read_text()
        (output / "feed.xml").write_text(feed.replace("<title>Calm", "<title>Calm&#x9b;2J&#x9d;0;x&#x9c;")
                                         .replace(".mp3\" length=\"", ".mp3\" length=\"1"))
        checked = run("feed", "--check")
        assert checked.exit_code == 1
        assert_clean(checked)
        played = run("play", "output/calm.mp3", "--to-file", str(tmp_path / "p.wav"))
        assert_clean(played)
    finally:
        for name, data in saved.items():
            (output / name).write_bytes(data)


def test_file_names_reach_no_terminal(inside, tmp_path):
    odd = inside / "scripts" / f"folder{HOSTILE}"
    odd.mkdir()
    try:
        shutil.copy(inside / "scripts" / "calm.yaml", odd / "again.yaml")
        assert_clean(run("check", str(odd / "again.yaml")))
        assert_clean(run("plan", str(odd / "nothing-here.yaml")))
        named = tmp_path / f"track{HOSTILE}.mp3"
        shutil.copy(inside / "output" / "calm.mp3", named)
        assert_clean(run("play", str(named), "--to-file", str(tmp_path / "p.wav")))
    finally:
        shutil.rmtree(odd)


def test_the_sanitiser_keeps_a_messages_layout():
    from audio_builder.errors import printable

    line = printable(f"Wel{HOSTILE}come", lines=True)
    assert FORBIDDEN.search(line) is None and line.startswith("Wel") and line.endswith("come")
    assert printable("  a\tb\n  c", lines=True) == "  a b\n  c"            # the layout kept


def test_what_checks_it_is_real(inside):
    """The check itself would see a sequence that got through (a test that cannot fail is none)."""
    class Leaky:
        stdout, stderr = f"ok {HOSTILE}", ""
    with pytest.raises(AssertionError):
        assert_clean(Leaky)
    assert Path(inside / "output" / "calm.mp3").is_file()
