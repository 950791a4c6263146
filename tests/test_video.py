"""`audio-builder video`: the cover, the audio and the captions in an MP4 that ffprobe and
headless Chromium read, and a description whose chapter list video sites understand."""


import pytest
from conftest import ffprobe_json, project_once, run, serve_in_background, write

from audio_builder.publish.server import site_server

SCRIPT = """
title: Video Practice
description: |
  A practice
  on video.
length: 40s
steps:
  - chapter: Arriving
  - Rest here, and breathe.
  - pause: 5s..
  - chapter: Middle
  - Stay with the breath.
  - pause: 5s..
  - chapter: Closing
  - at: -12s
  - Thank you.
  - pause: 1s..
"""


@pytest.fixture(scope="module")
def made(tmp_path_factory):
    root, _ = project_once(tmp_path_factory, "video", {"scripts/v.yaml": SCRIPT},
                           ("build", "--quiet"), ("video",))
    return root / "output"


def test_the_video_has_picture_audio_and_a_subtitle_stream(made):
    probed = ffprobe_json(made / "v.mp4", "-show_format", "-show_streams")   # one ffprobe: 75 ms
    streams = probed["streams"]
    kinds = {s["codec_type"]: s for s in streams}
    assert kinds["video"]["codec_name"] == "h264" and kinds["video"]["width"] == 1280
    assert kinds["audio"]["codec_name"] == "mp3"                   # copied, not encoded again
    assert kinds["subtitle"]["codec_name"] == "mov_text"
    assert kinds["subtitle"]["tags"]["language"] == "eng"
    duration = float(probed["format"]["duration"])
    assert abs(duration - 40) < 0.5


def test_the_description_lists_chapters_as_video_sites_read_them(made):
    text = (made / "v.video.txt").read_text()
    assert text.startswith("Video Practice\n\nA practice on video.\n")
    chapters = text.split("Chapters:\n")[1].splitlines()
    assert chapters[0] == "0:00 Arriving" and [c.split(" ", 1)[1] for c in chapters] == [
        "Arriving", "Middle", "Closing"]


def test_a_track_not_built_yet_is_a_clear_error(project):
    write(project / "scripts" / "v.yaml", SCRIPT)
    result = run("video")
    assert result.exit_code == 2 and "not built yet" in result.stderr


@pytest.mark.browser
def test_the_video_plays_in_chromium_with_its_captions(made, browser):
    (made / "video.html").write_text(
        '<video id="v" src="v.mp4" muted controls><track kind="captions" srclang="en" '
        'src="v.vtt" default></video>')
    server = site_server(made, port=0)
    serve_in_background(server)
    try:
        page = browser.new_page()
        page.goto(f"http://127.0.0.1:{server.server_address[1]}/video.html")
        video = page.locator("#v")
        video.evaluate("v => v.play()")
        page.wait_for_function("() => document.getElementById('v').currentTime > 1.5",
                               timeout=20_000)
        state = video.evaluate("""v => ({width: v.videoWidth, error: v.error,
            cues: v.textTracks[0].cues ? v.textTracks[0].cues.length : 0,
            mode: v.textTracks[0].mode, first: v.textTracks[0].cues[0].text})""")
    finally:
        server.shutdown()
        server.server_close()
    assert state["width"] == 1280 and state["error"] is None
    assert state["cues"] == 3 and state["mode"] == "showing"
    assert state["first"] == "Rest here, and breathe."
