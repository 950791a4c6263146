"""`build --for` and `check --for`: the file each platform asks for, read back by ffprobe, and
what each rejects or advises against, each at its line."""

import pytest
from conftest import ffprobe_json, run, write

DESCRIPTION = "A long rest for the whole body. " * 20           # 640 characters

GOOD = f"""
title: Body Rest
description: {DESCRIPTION}
length: 40s
steps:
  - chapter: Arriving
  - Rest here, and breathe.
  - pause: 5s..
  - chapter: Body
  - Feel the whole body resting.
  - pause: 5s..
  - chapter: Closing
  - at: -15s
  - Thank you for practising.
  - pause: 1s..
  - bell: 1
"""


def test_build_for_insight_timer_writes_mp3_at_48_khz_and_128_kbps(project):
    write(project / "scripts" / "rest.yaml", GOOD)
    result = run("build", "--quiet", "--for", "insight-timer")
    assert result.exit_code == 0, result.output
    streams = ffprobe_json(project / "output" / "rest.mp3", "-show_streams")["streams"]
    audio = next(s for s in streams if s["codec_type"] == "audio")
    assert audio["codec_name"] == "mp3" and audio["sample_rate"] == "48000"
    assert audio["bit_rate"] == "128000"


def test_build_for_youtube_writes_aac_at_48_khz(project):
    write(project / "scripts" / "rest.yaml", GOOD)
    assert run("build", "--quiet", "--for", "youtube").exit_code == 0
    streams = ffprobe_json(project / "output" / "rest.m4a", "-show_streams")["streams"]
    audio = next(s for s in streams if s["codec_type"] == "audio")
    assert (audio["codec_name"], audio["profile"], audio["sample_rate"]) == ("aac", "LC", "48000")


def test_check_for_insight_timer_passes_a_practice_it_takes(project):
    write(project / "scripts" / "rest.yaml", GOOD)
    result = run("check", "--for", "insight-timer")
    assert result.exit_code == 0, result.output
    assert "nothing insight-timer rejects" in result.stdout


@pytest.mark.parametrize("change, expected", [
    (("  - bell: 1\n", ""), "scripts/rest.yaml:14: Insight Timer advises a bell at the end"),
    (("Thank you for practising.", "Thank you. Visit example.org for more."),
     "scripts/rest.yaml:13: Insight Timer forbids promotion in the recording: 'example.org'"),
    (("Thank you for practising.", "Thank you. Visit my website."),
     "Insight Timer forbids promotion in the recording: 'Visit my website'"),
    (("Thank you for practising.", "Thank you. Come to the Quiet Hills Retreat."),
     "'Quiet Hills Retreat' is spoken here"),
    ((DESCRIPTION, "Short."), "scripts/rest.yaml:2: Insight Timer asks for a description of at least "
                              "500 characters; this one has 6"),
])
def test_check_for_insight_timer_flags_what_it_rejects(project, change, expected):
    write(project / "podcast.yaml", "title: T\nauthor: A\npromotion: [Quiet Hills Retreat]\n")
    write(project / "scripts" / "rest.yaml", GOOD.replace(*change))
    result = run("check", "--for", "insight-timer")
    assert result.exit_code == 1 and expected in result.stderr, result.stderr


def test_check_for_youtube_flags_chapters_that_make_no_list(project):
    write(project / "scripts" / "rest.yaml", GOOD.replace("  - at: -15s\n", "  - at: -6s\n")
          .replace("  - bell: 1\n", ""))
    result = run("check", "--for", "youtube")
    assert result.exit_code == 1
    assert "YouTube: chapter 'Closing' lasts" in result.stderr
    assert "YouTube shows chapters only from a list of at least 3" in result.stderr


def test_build_for_spotify_writes_the_description_with_its_chapter_list(project):
    write(project / "scripts" / "rest.yaml", GOOD.replace("length: 40s", "length: 40s\nlanguage: es"))
    result = run("build", "--quiet", "--for", "spotify")
    assert result.exit_code == 0, result.output
    assert "output/rest.spotify.txt" in result.output
    text = (project / "output" / "rest.spotify.txt").read_text(encoding="utf-8")
    lines = text.splitlines()
    assert lines[0] == "Body Rest" and DESCRIPTION.strip() in text
    listed = [line for line in lines if line.startswith("(")]
    # Spotify's rules: (MM:SS) Title lines, the first at 0:00, at least three, in order,
    # titles under 40 characters; headed in the practice's language
    assert listed == ["(00:00) Arriving", f"({listed[1][1:6]}) Body", f"({listed[2][1:6]}) Closing"]
    assert listed[1][1:6] < listed[2][1:6] and lines[lines.index(listed[0]) - 1] == "Capítulos:"
    assert not (project / "output" / "rest.video.txt").exists()


def test_build_for_other_platforms_writes_no_description(project):
    write(project / "scripts" / "rest.yaml", GOOD)
    assert run("build", "--quiet", "--for", "insight-timer").exit_code == 0
    assert not list((project / "output").glob("*.txt"))


@pytest.mark.parametrize(("title", "script"), [("Дыхание", "Cyrillic"), ("呼吸する", "CJK"),
                                               ("こきゅう", "Hiragana")])
def test_check_for_spotify_flags_a_chapter_title_not_in_latin_script(project, title, script):
    write(project / "scripts" / "rest.yaml", GOOD.replace("chapter: Body", f"chapter: {title}"))
    result = run("check", "--for", "spotify")
    assert result.exit_code == 1
    assert (f"scripts/rest.yaml:8: Spotify lists chapters only when every title is in Latin "
            f"script, and '{title}' is in {script} letters") in result.stderr
    assert "transliteration" in result.stderr
    assert "Latin" not in run("check", "--for", "youtube").stderr      # YouTube shows any script


def test_check_for_spotify_takes_accented_latin_titles(project):
    write(project / "scripts" / "rest.yaml", GOOD.replace("chapter: Body", "chapter: Respiración, 2.ª vez"))
    result = run("check", "--for", "spotify")
    assert result.exit_code == 0, result.output
