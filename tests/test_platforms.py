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
