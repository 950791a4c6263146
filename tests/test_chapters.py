"""Chapters written every way clients read them, read back by ffprobe and mutagen: the M4A
chapter track, Opus and FLAC `CHAPTERxx` comments and their cover picture."""

import base64

import pytest
from conftest import ffprobe_json, project_once

SCRIPT = """
title: Three Rooms
length: 30s
steps:
  - chapter: Arriving
  - Rest here.
  - pause: 5s..
  - chapter: Middle
  - Stay.
  - pause: 5s..
  - at: -8s
  - chapter: Closing
  - Thank you.
  - pause: 1s..
"""


@pytest.fixture(scope="module")
def built(tmp_path_factory):
    root, _ = project_once(tmp_path_factory, "chapters", {"scripts/rooms.yaml": SCRIPT},
                           ("build", "--quiet", "--format", "m4a"),
                           ("build", "--quiet", "--format", "opus"),
                           ("build", "--quiet", "--format", "flac"))
    return root / "output"


@pytest.mark.parametrize("extension", ["m4a", "opus", "flac"])
def test_ffprobe_lists_the_chapters_and_the_cover(built, extension):
    probed = ffprobe_json(built / f"rooms.{extension}", "-show_chapters", "-show_streams")
    chapters = sorted(probed["chapters"], key=lambda c: float(c["start_time"]))
    assert [c["tags"]["title"] for c in chapters] == ["Arriving", "Middle", "Closing"]
    assert float(chapters[0]["start_time"]) == 0 and abs(float(chapters[2]["start_time"]) - 22) < 0.01
    assert abs(float(chapters[-1]["end_time"]) - 30) < 0.05
    covers = [s for s in probed["streams"] if s.get("disposition", {}).get("attached_pic")]
    assert len(covers) == 1 and covers[0]["codec_name"] == "png"


def test_the_opus_cover_is_a_picture_block_mutagen_reads(built):
    from mutagen.flac import Picture
    from mutagen.oggopus import OggOpus

    opus = OggOpus(built / "rooms.opus")
    picture = Picture(base64.b64decode(opus["metadata_block_picture"][0]))
    assert picture.type == 3 and picture.mime == "image/png" and picture.data.startswith(b"\x89PNG")
    assert (picture.width, picture.height) == (1400, 1400)
    assert opus["CHAPTER001"] == ["00:00:00.000"] and opus["CHAPTER003NAME"] == ["Closing"]
