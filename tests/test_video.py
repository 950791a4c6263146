"""`audio-builder video`: an MP4 as YouTube asks for it (read by ffprobe, mutagen and headless
Chromium, which shows the track's VTT beside it), and a description whose chapter list
YouTube and Spotify both accept."""


import json
import re
import subprocess

import pytest
from conftest import ffprobe_json, project_once, run, write

from audio_builder.publishing.server import SitePreview
from audio_builder.sound.media import ffmpeg_exe

SCRIPT = """
title: Video Practice
description: |
  A practice
  on video.
length: 60s
steps:
  - chapter: Arriving
  - Rest here, and breathe.
  - pause: 5s..
  - chapter: Middle
  - Stay with the breath.
  - pause: 5s..
  - chapter: Settling
  - Let everything settle.
  - pause: 5s..
  - at: -6s
  - chapter: Goodbye
  - Thank you.
  - pause: 1s..
"""


@pytest.fixture(scope="module")
def made(tmp_path_factory):
    root, _ = project_once(tmp_path_factory, "video", {"scripts/v.yaml": SCRIPT},
                           ("build", "--quiet"), ("video",))
    return root / "output"


@pytest.mark.slow                 # decodes the whole video, every frame
def test_the_video_is_what_youtube_asks_for(made):
    probe = subprocess.run(["ffprobe", "-v", "warning", "-show_format", "-show_streams", "-of", "json",
                            str(made / "v.mp4")], capture_output=True, text=True, check=True)
    assert probe.stderr == ""                                     # no warning, no unknown stream
    probed = json.loads(probe.stdout)
    streams = probed["streams"]
    assert [s["codec_type"] for s in streams] == ["video", "audio"]
    video, audio = streams
    assert (video["codec_name"], video["profile"], video["pix_fmt"]) == ("h264", "High", "yuv420p")
    assert video["r_frame_rate"] == "24/1" and video["width"] == 1280
    assert (audio["codec_name"], audio["profile"], audio["sample_rate"]) == ("aac", "LC", "48000")
    assert abs(float(probed["format"]["duration"]) - 60) < 0.5
    keyframes = [float(p["pts_time"]) for p in ffprobe_json(
        made / "v.mp4", "-select_streams", "v", "-show_entries", "packet=pts_time,flags")["packets"]
        if "K" in p["flags"]]
    gaps = [b - a for a, b in zip([*keyframes], [*keyframes[1:], 60.0], strict=True)]
    assert keyframes[0] == 0 and max(gaps) <= 5
    decoded = subprocess.run([ffmpeg_exe(), "-v", "warning", "-i", str(made / "v.mp4"), "-f", "null",
                              "-"], capture_output=True, text=True)
    assert decoded.returncode == 0 and decoded.stderr == ""


@pytest.mark.slow                 # the video is encoded for the module (1.4 s)
def test_the_video_has_no_edit_lists(made):
    from mutagen.mp4 import Atoms

    with (made / "v.mp4").open("rb") as stream:
        atoms = Atoms(stream)
        found = []

        def walk(atom, path):
            found.append(path + [atom.name])
            for child in atom.children or ():
                walk(child, path + [atom.name])

        for atom in atoms.atoms:
            walk(atom, [])
    names = {bytes(name) for path in found for name in path}
    assert b"trak" in names and b"elst" not in names


@pytest.mark.slow                 # the video is encoded for the module (1.4 s)
def test_the_description_lists_chapters_youtube_and_spotify_accept(made):
    text = (made / "v.video.txt").read_text()
    assert text.startswith("Video Practice\n\nA practice on video.\n")
    lines = text.split("Chapters:\n")[1].splitlines()
    listed = [(int(line[1:3]) * 60 + int(line[4:6]), line[8:]) for line in lines]
    assert all(re.fullmatch(r"\(\d\d:\d\d\) .+", line) for line in lines)
    assert listed[0][0] == 0 and len(listed) >= 3
    ends = [start for start, _ in listed[1:]] + [60]
    assert all(end - start >= 10 for (start, _), end in zip(listed, ends, strict=True))
    assert all(len(title) < 40 for _, title in listed)
    # the 6-second "Goodbye" is merged into the chapter before, not dropping the whole list
    assert [title for _, title in listed] == ["Arriving", "Middle", "Settling"]


@pytest.mark.slow                 # the video is encoded for the module (1.4 s)
def test_the_frame_shows_the_practice_title(made):
    import numpy as np
    from PIL import Image

    frame = made.parent / "frame.png"
    subprocess.run([ffmpeg_exe(), "-v", "error", "-y", "-i", str(made / "v.mp4"), "-frames:v", "1",
                    str(frame)], check=True)
    pixels = np.asarray(Image.open(frame).convert("RGB")).astype(int)
    right = pixels[:, 700:]                           # beside the cover: the title, in light text
    assert (right.sum(axis=2) > 600).sum() > 2000


def test_a_short_practice_makes_a_video_of_its_length(project):
    """The fast subset's one video (the module's 60-second one is with the slow tests): H.264
    and AAC, as long as the track, and the description beside it."""
    write(project / "scripts" / "brief.yaml", "title: Brief\nlength: 6s\nsteps:\n  - Rest here.\n"
          "  - pause: 1s..\n")
    assert run("build", "--quiet").exit_code == 0
    result = run("video")
    assert result.exit_code == 0, result.output
    probed = ffprobe_json(project / "output" / "brief.mp4", "-show_format", "-show_streams")
    assert [(s["codec_type"], s["codec_name"]) for s in probed["streams"]] == [("video", "h264"),
                                                                              ("audio", "aac")]
    assert abs(float(probed["format"]["duration"]) - 6) < 0.2
    assert (project / "output" / "brief.video.txt").read_text().startswith("Brief\n")


def test_a_track_not_built_yet_is_a_clear_error(project):
    write(project / "scripts" / "v.yaml", SCRIPT)
    result = run("video")
    assert result.exit_code == 2 and "not built yet" in result.stderr


@pytest.mark.browser
def test_the_video_plays_in_chromium_with_its_captions(made, browser):
    (made / "video.html").write_text(
        '<video id="v" src="v.mp4" muted controls><track kind="captions" srclang="en" '
        'src="v.vtt" default></video>')
    server = SitePreview(made).start()
    try:
        page = browser.new_page()
        page.goto(server.url + "video.html")
        video = page.locator("#v")
        video.evaluate("v => v.play()")
        page.wait_for_function("() => document.getElementById('v').currentTime > 1.5",
                               timeout=20_000)
        state = video.evaluate("""v => ({width: v.videoWidth, error: v.error,
            cues: v.textTracks[0].cues ? v.textTracks[0].cues.length : 0,
            mode: v.textTracks[0].mode, first: v.textTracks[0].cues[0].text})""")
    finally:
        server.stop()
    assert state["width"] == 1280 and state["error"] is None
    assert state["cues"] == 4 and state["mode"] == "showing"
    assert state["first"] == "Rest here, and breathe."
