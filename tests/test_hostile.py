"""Hostile input: memory bombs, files outside the project, values out of every range.

Each case goes through the command line: exit 2, a located message that does not echo the
input, nothing written to output/; where memory was the problem, the peak is measured in a
child process (with a hard limit, so a regression fails instead of exhausting the machine)."""

from __future__ import annotations

import os
import subprocess
import sys
import wave
from pathlib import Path

import numpy as np
import pytest
from click.testing import CliRunner
from conftest import ffprobe_duration, run, write

from audio_builder.cli import main

ROOT = Path(__file__).resolve().parent.parent

BOMB_ANCHORS = """\
x0: &a0 [lol, lol, lol, lol, lol, lol, lol, lol, lol]
x1: &a1 [*a0, *a0, *a0, *a0, *a0, *a0, *a0, *a0, *a0]
x2: &a2 [*a1, *a1, *a1, *a1, *a1, *a1, *a1, *a1, *a1]
x3: &a3 [*a2, *a2, *a2, *a2, *a2, *a2, *a2, *a2, *a2]
x4: &a4 [*a3, *a3, *a3, *a3, *a3, *a3, *a3, *a3, *a3]
x5: &a5 [*a4, *a4, *a4, *a4, *a4, *a4, *a4, *a4, *a4]
x6: &a6 [*a5, *a5, *a5, *a5, *a5, *a5, *a5, *a5, *a5]
x7: &a7 [*a6, *a6, *a6, *a6, *a6, *a6, *a6, *a6, *a6]
x8: &a8 [*a7, *a7, *a7, *a7, *a7, *a7, *a7, *a7, *a7]
"""
SECRET = "b3BlbnNzaC1rZXktdjEAAAAABG5vbmUAAAAEbm9uZQAAAAAAAAABAAAAMwAAAAtzc2gtZW"


@pytest.fixture
def tones(project) -> Path:
    """A project whose default voice is the fast tone engine."""
    write(project / "voices" / "default.yaml", "engine: tones\nrate: 1\n")
    return project


def assert_refused(result, where: str, *words: str) -> None:
    assert result.exit_code == 2, result.output
    assert result.stderr.startswith(where), result.stderr
    for word in words:
        assert word in result.stderr, result.stderr
    assert "Traceback" not in result.output
    assert len(result.stderr) < 1000


def assert_nothing_written(project: Path) -> None:
    assert not (project / "output").exists() or not any((project / "output").iterdir())


def peak_run(project: Path, *args: str, limit_mb: int = 2000) -> tuple[int, float]:
    """Run the command line in a child process under an address-space limit; its exit
    status and its peak resident memory in MB (children included)."""
    probe = (
        "import resource, subprocess, sys\n"
        f"limit = {limit_mb} * 2**20\n"
        "def cap(): resource.setrlimit(resource.RLIMIT_AS, (limit, limit))\n"
        "code = subprocess.run([sys.executable, '-m', 'audio_builder', *sys.argv[1:]],\n"
        "                      preexec_fn=cap, stdout=subprocess.DEVNULL,\n"
        "                      stderr=subprocess.DEVNULL).returncode\n"
        "print(code, resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss)\n"
    )
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    result = subprocess.run([sys.executable, "-c", probe, *args], cwd=project, env=env,
                            capture_output=True, text=True, check=True)
    code, kilobytes = result.stdout.split()
    return int(code), int(kilobytes) / 1024


# --- defect 1: memory bombs -------------------------------------------------------------

@pytest.mark.parametrize("key", ["episode", "season", "explicit", "date", "title", "keywords"])
def test_an_alias_bomb_in_a_script_field_is_refused_quickly(tones, key):
    title = "" if key == "title" else "title: T\n"
    write(tones / "scripts" / "bomb.yaml",
          BOMB_ANCHORS + title + f"{key}: *a8\nsteps:\n  - Hi.\n")
    result = run("check", "scripts/bomb.yaml")
    assert_refused(result, "scripts/bomb.yaml:1: ", "aliases", "100,000")


@pytest.mark.parametrize("step", ["pause: *a8", "say: {text: Hi., rate: *a8}", "bell: *a8"])
def test_an_alias_bomb_in_a_step_is_refused(tones, step):
    write(tones / "scripts" / "bomb.yaml", BOMB_ANCHORS + f"title: T\nsteps:\n  - {step}\n")
    assert_refused(run("check", "scripts/bomb.yaml"), "scripts/bomb.yaml:1: ", "aliases")


def test_an_alias_bomb_in_podcast_yaml_is_refused(tones):
    write(tones / "podcast.yaml", BOMB_ANCHORS + "title: P\nauthor: A\nexplicit: *a8\n")
    write(tones / "scripts" / "a.yaml", "title: T\nsteps:\n  - Hi.\n")
    assert_refused(run("check"), "podcast.yaml:1: ", "aliases")


def test_an_alias_bomb_stays_small_in_memory(tones):
    write(tones / "scripts" / "bomb.yaml", BOMB_ANCHORS + "title: T\nepisode: *a8\n"
                                                          "steps:\n  - Hi.\n")
    code, peak_mb = peak_run(tones, "check", "scripts/bomb.yaml")
    assert code == 2
    assert peak_mb < 200, peak_mb


def test_a_value_that_holds_itself_is_refused(tones):
    write(tones / "scripts" / "loop.yaml", "title: T\nsteps: &s\n  - Hi.\n  - *s\n")
    assert_refused(run("check", "scripts/loop.yaml"), "scripts/loop.yaml:2: ", "itself")


def test_a_billion_bell_strikes_are_refused_without_memory(tones):
    write(tones / "scripts" / "bells.yaml", "title: T\nsteps:\n  - Hi.\n  - bell: 1000000000\n")
    assert_refused(run("build", "scripts/bells.yaml"), "scripts/bells.yaml:4: ", "1 to 100")
    assert_nothing_written(tones)
    code, peak_mb = peak_run(tones, "check", "scripts/bells.yaml")
    assert code == 2 and peak_mb < 200, peak_mb


@pytest.mark.parametrize("text, line, words", [
    ("title: T\nlength: 9999h\nsteps:\n  - Hi.\n", 2, "at most 12h"),
    ("title: T\nsteps:\n  - pause: 13h\n", 3, "at most 12h"),
    ("title: T\nsteps:\n  - Hi [pause 100h] there.\n", 3, "at most 12h"),
    ("title: T\nsteps:\n  - bell: {strikes: 101}\n", 3, "from 1 to 100"),
    ("title: T\nsteps:\n  - breathe: {in: 4s, out: 4s, cycles: 5000}\n", 3, "from 1 to 1000"),
    ("title: T\nepisode: " + "9" * 5000 + "\nsteps:\n  - Hi.\n", 2, "digits"),
    ("title: T\nepisode: 99999999999\nsteps:\n  - Hi.\n", 2, "from 1 to"),
    ("title: T\nsteps:\n  - bell: {volume: 1000dB}\n", 3, "-96dB to 24dB"),
])
def test_counts_and_durations_are_bounded(tones, text, line, words):
    write(tones / "scripts" / "big.yaml", text)
    result = run("build", "scripts/big.yaml")
    assert_refused(result, f"scripts/big.yaml:{line}: ", words)
    assert "9" * 100 not in result.stderr
    assert_nothing_written(tones)


def test_a_long_rejected_value_is_cut_in_the_message(tones):
    write(tones / "scripts" / "long.yaml", "title: T\ndate: " + "x" * 5000 + "\nsteps:\n  - Hi.\n")
    result = run("check", "scripts/long.yaml")
    assert_refused(result, "scripts/long.yaml:2: ", "YYYY-MM-DD", "...")
    assert "x" * 60 not in result.stderr


# --- defect 2: files leave their place --------------------------------------------------

def fake_key(folder: Path) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    key = folder / "id_ed25519"
    key.write_text("-----BEGIN OPENSSH PRIVATE KEY-----\n" + SECRET + "\n"
                   "-----END OPENSSH PRIVATE KEY-----\n")
    return key


def tone_wav(path: Path, seconds: float = 1.0) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    t = np.arange(int(seconds * 22_050)) / 22_050
    tone = (0.3 * np.sin(2 * np.pi * 330 * t) * 32767).astype("<i2")
    with wave.open(str(path), "wb") as file:
        file.setnchannels(1), file.setsampwidth(2), file.setframerate(22_050)
        file.writeframes(tone.tobytes())
    return path


@pytest.mark.parametrize("step", [
    "sound: {outside}/x.wav", "include: {outside}/id_ed25519", "bell: {outside}/x.wav",
    "include: ../../outside/id_ed25519",
])
def test_a_file_outside_the_project_is_refused(tones, step):
    outside = tones.parent / "outside"
    fake_key(outside)
    tone_wav(outside / "x.wav")
    write(tones / "scripts" / "steal.yaml",
          "title: T\nsteps:\n  - Hi.\n  - " + step.format(outside=outside) + "\n")
    result = run("build", "scripts/steal.yaml")
    assert_refused(result, "scripts/steal.yaml:4: ", "outside the project", "AUDIO_BUILDER_ALLOW")
    assert SECRET[:20] not in result.stderr
    assert_nothing_written(tones)


def test_an_image_outside_the_project_is_neither_embedded_nor_published(tones):
    write(tones / "scripts" / "cover.yaml", "title: T\nimage: /etc/passwd\nsteps:\n  - Hi.\n")
    assert_refused(run("build", "scripts/cover.yaml"), "scripts/cover.yaml:2: ",
                   "outside the project")
    assert_nothing_written(tones)
    write(tones / "podcast.yaml", "title: P\nauthor: A\nimage: /etc/passwd\n")
    assert_refused(run("feed"), "podcast.yaml:3: ", "outside the project")
    assert not (tones / "output" / "images").exists()


def test_an_image_must_really_be_a_picture_of_a_sane_size(tones):
    from PIL import Image

    fake_key(tones / "art")
    write(tones / "scripts" / "cover.yaml", "title: T\nimage: ../art/id_ed25519\nsteps:\n  - Hi.\n")
    result = run("build", "scripts/cover.yaml")
    assert_refused(result, "scripts/cover.yaml:2: ", "not a PNG or JPEG")
    assert SECRET[:20] not in result.stderr
    Image.new("1", (20_000, 100)).save(tones / "art" / "wide.png")
    write(tones / "scripts" / "cover.yaml", "title: T\nimage: ../art/wide.png\nsteps:\n  - Hi.\n")
    assert_refused(run("build", "scripts/cover.yaml"), "scripts/cover.yaml:2: ", "20000×100")
    assert_nothing_written(tones)


def test_an_include_of_a_key_file_does_not_print_the_key(tones):
    fake_key(tones / "scripts" / "parts")
    write(tones / "scripts" / "inc.yaml", "title: T\nsteps:\n  - include: parts/id_ed25519\n")
    result = run("check", "scripts/inc.yaml")
    assert result.exit_code == 2 and "Traceback" not in result.output
    assert SECRET[:20] not in result.stderr
    assert len(result.stderr) < 400


def test_a_link_out_of_the_project_is_refused(tones):
    outside = tones.parent / "outside"
    tone_wav(outside / "x.wav")
    (tones / "scripts" / "x.wav").symlink_to(outside / "x.wav")
    write(tones / "scripts" / "link.yaml", "title: T\nsteps:\n  - sound: x.wav\n")
    assert_refused(run("check", "scripts/link.yaml"), "scripts/link.yaml:3: ", "outside")


def test_a_folder_the_user_allows_may_be_used(tones, monkeypatch):
    outside = tones.parent / "bells"
    tone_wav(outside / "x.wav")
    write(tones / "scripts" / "a.yaml", f"title: T\nsteps:\n  - sound: {outside}/x.wav\n")
    monkeypatch.setenv("AUDIO_BUILDER_ALLOW", str(outside))
    result = run("check", "scripts/a.yaml")
    assert result.exit_code == 0, result.output


def test_a_voice_profile_cannot_name_a_model_outside_the_project(tones):
    write(tones / "voices" / "far.yaml", "engine: piper\nvoice: ../../elsewhere/model\n")
    write(tones / "scripts" / "a.yaml", "title: T\nsteps:\n  - Hi.\n")
    assert_refused(run("check"), "voices/far.yaml:2: ", "outside the project")


@pytest.mark.slow
def test_a_sound_file_named_like_an_ffmpeg_protocol_is_read_as_a_file(tones):
    tone_wav(tones / "scripts" / "pipe:0", seconds=2.0)
    write(tones / "scripts" / "proto.yaml", "title: T\nsteps:\n  - sound: pipe:0\n  - Hi.\n")
    result = subprocess.run([sys.executable, "-m", "audio_builder", "build", "-q",
                             "scripts/proto.yaml"], cwd=tones, input=b"not audio",
                            env={**os.environ, "PYTHONPATH": str(ROOT)}, capture_output=True)
    assert result.returncode == 0, result.stderr
    assert 2.0 < ffprobe_duration(tones / "output" / "proto.mp3") < 4.0


# --- defect 6: two tracks writing one file ----------------------------------------------

@pytest.mark.parametrize("command", ["check", "build"])
def test_two_scripts_writing_one_file_are_an_error_naming_both(tones, command):
    write(tones / "scripts" / "col.yaml", "title: C\nlength: [10s, 20s]\nsteps:\n  - Hi.\n"
                                          "  - pause: 1s..\n")
    write(tones / "scripts" / "col-10s.yaml", "title: D\nsteps:\n  - Hello.\n")
    result = run(command)
    assert result.exit_code == 2, result.output
    assert "col-10s" in result.stderr and "col.yaml" in result.stderr, result.stderr
    assert "scripts/col" in result.stderr.splitlines()[-1]
    assert "Traceback" not in result.output
    assert_nothing_written(tones)


# --- defect 7: control characters -------------------------------------------------------

@pytest.mark.parametrize("text, line", [
    ('title: "A\\0B"\nsteps:\n  - Hi.\n', 1),
    ('title: T\ndescription: "bad \\x07 bell"\nsteps:\n  - Hi.\n', 2),
    ('title: T\nsteps:\n  - Hi.\n  - "Say \\0 this."\n', 4),
    ('title: T\nsteps:\n  - chapter: "One\\x1b[31m"\n  - Hi.\n', 3),
])
def test_control_characters_are_refused_at_check_with_the_line(tones, text, line):
    write(tones / "scripts" / "ctl.yaml", text)
    assert_refused(run("check", "scripts/ctl.yaml"), f"scripts/ctl.yaml:{line}: ",
                   "control character")


def test_feed_never_replaces_a_valid_feed_with_invalid_xml(tones, monkeypatch):
    from audio_builder.publishing import feed

    write(tones / "podcast.yaml", "title: P\nauthor: A\nbase_url: https://example.org/p/\n")
    write(tones / "scripts" / "a.yaml", "title: T\ndate: 2020-01-01\nsteps:\n  - Hi.\n")
    assert run("build", "-q").exit_code == 0
    run("feed")                        # may warn (exit 1) about the directories' checks
    before = (tones / "output" / "feed.xml").read_bytes()
    broken = feed.feed_xml
    # by the module itself: `audio_builder.publishing` is the API's function
    from audio_builder.publishing import site

    monkeypatch.setattr(site, "feed_xml", lambda *a, **k: broken(*a, **k).replace("<title>", "<title>\0", 1))
    result = CliRunner().invoke(main, ["feed"])
    assert result.exit_code == 1 and "not be valid XML" in result.stderr, result.output
    assert (tones / "output" / "feed.xml").read_bytes() == before


# --- defect 8: NaN and infinity ---------------------------------------------------------

@pytest.mark.parametrize("text, line, words", [
    ("title: T\nsteps:\n  - pause: .nan\n", 3, "not a duration"),
    ("title: T\nsteps:\n  - pause: .inf\n", 3, "not a duration"),
    ("title: T\nsteps:\n  - pause: 1.0e+308\n", 3, "at most 12h"),
    ("title: T\nlength: -.inf\nsteps:\n  - Hi.\n", 2, "not a duration"),
    ("title: T\nsteps:\n  - bell: {volume: .nan}\n", 3, "-96dB to 24dB"),
    ("title: T\nsteps:\n  - bell: {volume: -.inf}\n", 3, "-96dB to 24dB"),
    ("title: T\nbackground: {sound: rain, volume: .inf}\nsteps:\n  - Hi.\n", 2, "-96dB"),
    ("title: T\nsteps:\n  - say: {text: Hi., rate: .nan}\n", 3, "from 0.25 to 4"),
])
def test_nan_and_infinity_are_clear_errors(tones, text, line, words):
    write(tones / "scripts" / "nan.yaml", text)
    assert_refused(run("build", "scripts/nan.yaml"), f"scripts/nan.yaml:{line}: ", words)
    assert_nothing_written(tones)


# --- defect 9: chapters beyond what ID3 holds --------------------------------------------

def test_check_and_build_agree_on_the_chapter_limit(tones):
    steps = "".join(f"  - chapter: C{n}\n  - pause: 1s\n" for n in range(256))
    write(tones / "scripts" / "many.yaml", "title: T\nsteps:\n" + steps)
    for command in ("check", "build"):
        assert_refused(run(command, "scripts/many.yaml"), "scripts/many.yaml:513: ",
                       "at most 255 chapters")
    assert_nothing_written(tones)


def test_255_chapters_build(tones):
    from mutagen.id3 import ID3

    steps = "".join(f"  - chapter: C{n}\n  - pause: 100ms\n" for n in range(255))
    write(tones / "scripts" / "many.yaml", "title: T\nsteps:\n" + steps)
    assert run("check", "scripts/many.yaml").exit_code == 0
    assert run("build", "-q", "scripts/many.yaml").exit_code == 0
    assert len(ID3(tones / "output" / "many.mp3").getall("CHAP")) == 255


# --- defect 13 (the smaller ones) -------------------------------------------------------

def test_a_spoken_arrow_keeps_the_captions_valid(tones):
    import html

    import webvtt

    write(tones / "scripts" / "arrow.yaml", "title: T\nsteps:\n  - 'In --> out <b> & rest.'\n"
                                            "  - Then stop.\n")
    assert run("build", "-q", "scripts/arrow.yaml").exit_code == 0
    captions = list(webvtt.read(str(tones / "output" / "arrow.vtt")))
    assert [html.unescape(c.text) for c in captions] == ["In --> out <b> & rest.", "Then stop."]



# Lines a reader could take for markup or for a cue's times, as a teacher might write them.
MARKUP_LINES = ("In --> out, <b>bold</b> & <font color=red>red</font>.",
                "00:00:05,000 --> 00:00:09,000 is a time.",
                "Rest {\\an8} here, C:\\New and {braces}.")


def _captions_of(folder: Path, lines: tuple[str, ...]) -> tuple[Path, Path]:
    from audio_builder.publishing.captions import to_srt, to_vtt
    from audio_builder.script.parser import load_script
    from audio_builder.timeline import Measures, plan_timeline

    quoted = "".join("  - '" + line.replace("'", "''") + "'\n  - pause: 1s\n" for line in lines)
    script = load_script(write(folder / "scripts" / "markup.yaml", "title: T\nsteps:\n" + quoted))
    timeline = plan_timeline(script, Measures(
        speech_ms=lambda utterance, place: 100 * len(utterance.text.split()),
        sound_ms=lambda path, place: 0, sentence_pause_ms=lambda voice, place: 700,
        bell_ms=lambda sound, place: 0))
    srt_path, vtt_path = folder / "markup.srt", folder / "markup.vtt"
    srt_path.write_text(to_srt(timeline), encoding="utf-8")
    vtt_path.write_text(to_vtt(timeline), encoding="utf-8")
    return srt_path, vtt_path


def _words(texts) -> list[str]:
    return " ".join(texts).split()


def test_srt_and_vtt_with_arrows_tags_and_overrides_read_back_as_text(tmp_path):
    import html

    import srt
    import webvtt

    from audio_builder.publishing.captions import srt_text

    srt_path, vtt_path = _captions_of(tmp_path, MARKUP_LINES)
    subtitles = list(srt.parse(srt_path.read_text(encoding="utf-8")))
    assert _words(s.content for s in subtitles) == _words(map(srt_text, MARKUP_LINES))
    assert not any(mark in s.content for s in subtitles for mark in ("-->", "<", ">", "{", "\\"))
    assert [html.unescape(c.text).replace("\n", " ") for c in webvtt.read(str(vtt_path))] == list(
        MARKUP_LINES)


def _ffmpeg_dialogue(path: Path) -> list[str]:
    """The text of each cue as ffmpeg's own decoder reads it (into ASS, what mpv and ffmpeg's
    burned-in subtitles show)."""
    import shutil

    exe = shutil.which("ffmpeg")
    if exe is None:
        pytest.skip("ffmpeg is not installed (Debian: apt-get install ffmpeg)")
    ass = subprocess.run([exe, "-v", "error", "-i", str(path), "-f", "ass", "-"],
                         capture_output=True, text=True, check=True, timeout=60).stdout
    return [line.split(",", 9)[9] for line in ass.splitlines() if line.startswith("Dialogue:")]


def test_ffmpeg_reads_the_srt_as_plain_text_and_the_vtt_unescaped(tmp_path):
    from audio_builder.publishing.captions import srt_text

    srt_path, vtt_path = _captions_of(tmp_path, MARKUP_LINES)
    dialogue = _ffmpeg_dialogue(srt_path)
    timings = [line for line in srt_path.read_text(encoding="utf-8").splitlines() if " --> " in line]
    assert len(dialogue) == len(timings) >= len(MARKUP_LINES)
    # no bold, font or override: ASS markup would be `{...}`, a line break `\N`
    assert _words(d.replace("\\N", " ") for d in dialogue) == _words(map(srt_text, MARKUP_LINES))
    assert not any("{" in d or "\\" in d.replace("\\N", "") for d in dialogue)
    heard = _ffmpeg_dialogue(vtt_path)
    assert len(heard) == len(MARKUP_LINES)
    assert "<b>bold</b> & <font color=red>red</font>" in heard[0] and "-->" in heard[1]


def test_a_pronunciation_is_literal_text_not_a_pattern(tones):
    write(tones / "voices" / "pronounce.yaml", "metta: 'me\\1tta \\g<0>'\n")
    write(tones / "scripts" / "p.yaml", "title: T\nsteps:\n  - Say metta now.\n")
    result = run("build", "-q", "scripts/p.yaml")
    assert result.exit_code == 0, result.output


def test_includes_nested_too_deep_are_a_located_error(tones):
    for n in range(30):
        write(tones / "scripts" / "parts" / f"p{n}.yaml", f"- Hi.\n- include: p{n + 1}.yaml\n")
    write(tones / "scripts" / "parts" / "p30.yaml", "- Hi.\n")
    write(tones / "scripts" / "deep.yaml", "title: T\nsteps:\n  - include: parts/p0.yaml\n")
    result = run("check", "scripts/deep.yaml")
    assert result.exit_code == 2 and "nests more than 20" in result.stderr, result.output
    assert "Traceback" not in result.output
