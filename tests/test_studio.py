"""The studio (`audio-builder studio`): its pages and routes over real HTTP, and the whole
round in a real Chromium whose fake microphone plays a spoken WAV (espeak-ng): open a practice
by its title, record a line, hear that take back through the recognizer, see a silent take
refused; axe-core (from the axe-playwright-python package) finds nothing wrong.

One project, one server and one browser for the module."""

from __future__ import annotations

import json
import os
import subprocess
import urllib.error
import urllib.request
import wave
from pathlib import Path

import numpy as np
import pytest

from audio_builder.speech.takes import take_id
from audio_builder.studio.app import TAKE_LIMIT, studio_app
from audio_builder.web.server import WebServer, new_key
from tests.conftest import chromium_path, run, use_tones, write

LINES = ["Find a comfortable position.", "Let your eyes close.", "Breathe in slowly."]
MIC_WORDS = "Find a comfortable position."
MORNING = ["Rest your hands in your lap.", "Let the morning light in."]


@pytest.fixture(scope="module")
def studio_project(tmp_path_factory) -> Path:
    root = tmp_path_factory.mktemp("studio")
    use_tones(root)
    write(root / "voices" / "draft.yaml", "engine: tones\n")
    write(root / "voices" / "teacher.yaml", "engine: recorded\nfallback: draft\n")
    write(root / "scripts" / "kindness.yaml", f"""
        title: A Pause for Kindness
        voice: teacher
        length: 30s
        steps:
          - chapter: Arriving
          - {LINES[0]}
          - pause: 2s..
          - chapter: Resting
          - say: {LINES[1]} {LINES[2]}
          - pause: 2s
        """)
    write(root / "scripts" / "morning.yaml", "title: Morning Light\nvoice: teacher\nsteps:\n"
          + "".join(f"  - {line}\n  - pause: 2s\n" for line in MORNING))
    write(root / "scripts" / "evening.yaml", """
        title: Evening Stillness
        length: [1m, 2m]
        steps:
          - Sit comfortably.
          - pause: 5s..
        """)
    return root


@pytest.fixture(scope="module")
def served(studio_project):
    key = new_key()
    with WebServer(studio_app(studio_project, key)) as server:
        yield server, key


def fetch(url: str, body: bytes | None = None, headers: dict | None = None) -> tuple[int, bytes]:
    request = urllib.request.Request(url, data=body, headers=headers or {},
                                     method="POST" if body is not None else "GET")
    try:
        with urllib.request.urlopen(request, timeout=30) as answer:
            return answer.status, answer.read()
    except urllib.error.HTTPError as error:
        return error.code, error.read()


ROUTES = ["/", "/practice/kindness", "/static/studio.js", "/static/studio.css", "/api/lines/kindness",
          "/api/hear/kindness/1", "/api/build/kindness", "/api/import/kindness", "/output/x.mp3"]


def test_every_route_needs_the_key(served):
    server, key = served
    for path in ROUTES:
        assert fetch(server.url(path))[0] == 403, path
        assert fetch(server.url(path, "x" * len(key)))[0] == 403, path
    assert fetch(server.url("/api/take/kindness/1"), b"RIFF")[0] == 403
    assert fetch(server.url("/", key))[0] == 200


def test_the_pages_link_with_the_key_the_web_layer_accepted(served):
    """The web layer reads the key (an `X-Key` header before `?key=`); the studio's links carry
    the studio's own key, never a second reading of the request's."""
    server, key = served
    wrong = "x" * len(key)
    for path in ["/", "/practice/kindness", "/practice/nothing"]:
        page = fetch(server.url(path, wrong), headers={"X-Key": key})[1].decode()
        assert f"key={key}" in page and wrong not in page, path


def test_the_practices_are_listed_by_title_with_lengths_and_voices(served):
    server, key = served
    status, page = fetch(server.url("/", key))
    text = page.decode()
    assert ">A Pause for Kindness</a>" in text and ">Evening Stillness</a>" in text
    assert "lengths: 30 s · voices: teacher" in text
    assert "lengths: 1 min, 2 min · voices: default" in text


def test_only_the_project_s_own_files_are_served(served, studio_project):
    server, key = served
    (studio_project / "output").mkdir(exist_ok=True)
    (studio_project / "secret.txt").write_text("private")
    for path in ["/output/../secret.txt", "/output/%2e%2e/secret.txt", "/static/app.py",
                 "/static/..%2fapp.py", "/practice/..%2fsecret", "/practice/nothing"]:
        assert fetch(server.url(path, key))[0] == 404, path


def test_output_serves_plain_files_inside_and_no_link_out_or_hidden_file(served, studio_project,
                                                                          tmp_path):
    """/output/ opens files as `serve` does (publishing's `open_site_file`): a link that leads
    out of output/, a hidden file, a pipe are not served; a track is, with its range."""
    server, key = served
    output = studio_project / "output"
    output.mkdir(exist_ok=True)
    outside = tmp_path / "private.mp3"
    outside.write_bytes(b"ID3 not the studio's")
    (output / "away.mp3").symlink_to(outside)
    (output / ".hidden.mp3").write_bytes(b"ID3 hidden")
    os.mkfifo(output / "pipe.mp3")
    (output / "track.mp3").write_bytes(b"ID3" + bytes(range(256)) * 4)
    try:
        for name in ["away.mp3", ".hidden.mp3", "pipe.mp3"]:
            assert fetch(server.url(f"/output/{name}", key))[0] == 404, name
        request = urllib.request.Request(server.url("/output/track.mp3", key),
                                         headers={"Range": "bytes=3-6"})
        with urllib.request.urlopen(request, timeout=30) as answer:
            assert answer.status == 206 and answer.read() == bytes(range(4))
            assert answer.headers["content-type"] == "audio/mpeg"
    finally:
        for name in ["away.mp3", ".hidden.mp3", "pipe.mp3", "track.mp3"]:
            (output / name).unlink()


def test_a_take_that_is_not_audio_or_too_large_is_refused_and_nothing_written(served, studio_project):
    server, key = served
    folder = studio_project / "takes" / "teacher"
    before = sorted(folder.glob("*")) if folder.exists() else []
    status, body = fetch(server.url("/api/take/kindness/2", key), b"this is not audio" * 100)
    assert status == 422 and "cannot read this take as audio" in json.loads(body)["error"]
    request = urllib.request.Request(server.url("/api/take/kindness/2", key), data=b"\0" * 16,
                                     headers={"Content-Length": str(TAKE_LIMIT + 1)}, method="POST")
    with pytest.raises(urllib.error.HTTPError) as refused:
        urllib.request.urlopen(request, timeout=10)
    assert refused.value.code == 400 and b"over 50 MB" in refused.value.read()
    assert (sorted(folder.glob("*")) if folder.exists() else []) == before


def test_a_line_is_heard_in_the_synthetic_voice_until_it_has_a_take(served):
    server, key = served
    status, audio = fetch(server.url("/api/hear/kindness/3", key) + "&voice=teacher")
    assert status == 200 and audio[:4] == b"RIFF"
    with wave.open(__import__("io").BytesIO(audio)) as file:
        assert file.getnframes() > 0


# --- in a real browser ------------------------------------------------------------------------

def spoken_wav(path: Path, text: str) -> Path:
    """`text` said by espeak-ng, with a second of quiet either side, as Chromium's microphone."""
    subprocess.run(["espeak-ng", "-s", "140", "-w", str(path), text], check=True, capture_output=True)
    with wave.open(str(path)) as file:
        rate = file.getframerate()
        speech = np.frombuffer(file.readframes(file.getnframes()), "<i2")
    quiet = np.zeros(rate, "<i2")
    with wave.open(str(path), "wb") as file:
        file.setnchannels(1)
        file.setsampwidth(2)
        file.setframerate(rate)
        file.writeframes(np.concatenate([quiet, speech, quiet]).tobytes())
    return path


@pytest.fixture(scope="module")
def microphone_browser(tmp_path_factory):
    if not chromium_path():
        pytest.skip("Chromium (Debian: chromium) is not installed")
    playwright = pytest.importorskip("playwright.sync_api")
    voice = spoken_wav(tmp_path_factory.mktemp("microphone") / "voice.wav", MIC_WORDS)
    with playwright.sync_playwright() as p:
        browser = p.chromium.launch(executable_path=chromium_path(), args=[
            "--no-sandbox", "--disable-gpu", "--no-first-run", "--disable-background-networking",
            "--disable-component-update", "--disable-sync", "--autoplay-policy=no-user-gesture-required",
            "--use-fake-ui-for-media-stream", "--use-fake-device-for-media-stream",
            f"--use-file-for-fake-audio-capture={voice}"])
        try:
            yield browser
        finally:
            browser.close()


def open_page(browser, url: str, *, width: int = 390):
    page = browser.new_page(viewport={"width": width, "height": 844})
    page.problems = []
    page.on("console", lambda message: message.type == "error" and page.problems.append(message.text))
    page.on("pageerror", lambda error: page.problems.append(str(error)))
    page.goto(url)
    return page


def open_practice(browser, served, title: str):
    server, key = served
    page = open_page(browser, server.url("/", key))
    page.get_by_role("link", name=title).click()
    page.wait_for_selector("li.line")
    return page


def row(page, number: int):
    return page.locator(f"#line-{number}")


@pytest.mark.browser
@pytest.mark.slow                  # the recognizer hears the take
def test_a_line_recorded_in_the_browser_is_kept_and_says_the_words(served, microphone_browser,
                                                                   studio_project):
    from audio_builder.own_voice.align import hear

    page = open_practice(microphone_browser, served, "A Pause for Kindness")
    line = row(page, 1)
    assert line.locator(".status").inner_text() == "missing"
    line.get_by_role("button", name="Record line 1").click()
    page.wait_for_function("document.querySelector('#line-1 meter').value > 0.01", timeout=5000)
    page.wait_for_timeout(3500)
    line.get_by_role("button", name="Stop line 1").click()
    page.wait_for_function("document.querySelector('#line-1').dataset.status === 'recorded'",
                           timeout=20_000)
    assert "kept" in line.locator(".message").inner_text()
    take = studio_project / "takes" / "teacher" / f"{take_id(LINES[0])}.wav"
    assert take.is_file()
    heard = " ".join(word.text for word in hear(take).words)
    assert "comfortable" in heard and "position" in heard, heard
    assert not row(page, 2).get_by_role("button", name="Stop line 2").is_enabled()
    listed = run_in(studio_project, "takes", "scripts/kindness.yaml")
    assert f"{take_id(LINES[0])}" in listed and "1 of 3 takes ready" in listed
    assert page.problems == []


def run_in(folder: Path, *args: str) -> str:
    with pytest.MonkeyPatch.context() as patch:
        patch.chdir(folder)
        result = run(*args)
    assert result.exit_code == 0, result.output
    return result.output


SILENT_MICROPHONE = """
navigator.mediaDevices.getUserMedia = async () => {
  const context = new AudioContext();
  const silence = context.createGain();
  silence.gain.value = 0;                                   // a tone turned all the way down
  const tone = context.createOscillator();
  const out = context.createMediaStreamDestination();
  tone.connect(silence).connect(out);
  tone.start();
  return out.stream;
};
"""


@pytest.mark.browser
def test_a_silent_take_is_refused_with_the_reason_and_nothing_written(served, microphone_browser,
                                                                       studio_project):
    server, key = served
    page = microphone_browser.new_page()
    page.add_init_script(SILENT_MICROPHONE)
    page.goto(server.url("/practice/kindness", key))
    line = row(page, 3)
    line.get_by_role("button", name="Record line 3").click()
    page.wait_for_timeout(1500)
    line.get_by_role("button", name="Stop line 3").click()
    page.wait_for_function("document.querySelector('#line-3 .message').textContent.startsWith('not kept')",
                           timeout=20_000)
    assert "silent" in line.locator(".message").inner_text()
    assert line.locator(".status").inner_text() == "missing"
    assert not list((studio_project / "takes" / "teacher").glob(f"{take_id(LINES[2])}*"))


@pytest.mark.browser
def test_the_practice_builds_and_plays_with_its_chapters(served, microphone_browser):
    page = open_practice(microphone_browser, served, "A Pause for Kindness")
    page.get_by_role("button", name="Build at 30 s").click()
    page.wait_for_selector("#player-box:not([hidden])", timeout=60_000)
    assert page.locator("#build-status").inner_text().startswith("built: 0:30")
    chapters = page.locator("#chapters button").all_inner_texts()
    assert [text.split(" (")[0] for text in chapters] == ["Arriving", "Resting"]
    page.locator("#chapters button").nth(1).click()
    page.wait_for_function("document.getElementById('player').currentTime > 0", timeout=10_000)
    assert page.problems == []


@pytest.mark.browser
def test_the_pages_are_accessible_at_390_px(served, microphone_browser):
    from importlib import resources

    axe = resources.files("axe_playwright_python").joinpath("axe.min.js").read_text(encoding="utf-8")
    server, key = served
    for path in ["/", "/practice/kindness", "/practice/evening"]:
        page = open_page(microphone_browser, server.url(path, key))
        page.wait_for_load_state("networkidle")
        page.add_script_tag(content=axe)
        result = page.evaluate("axe.run(document, {resultTypes: ['violations']})")
        assert [(v["id"], [n["target"] for n in v["nodes"]]) for v in result["violations"]] == [], path
        wide = page.evaluate("document.documentElement.scrollWidth")
        assert wide <= 390, (path, wide)                  # nothing runs off a phone's screen
        assert page.problems == [], path


# --- the API the studio calls -------------------------------------------------------------------

@pytest.mark.slow                  # the recognizer listens back to each take
def test_keeping_one_line_s_take_through_the_api(studio_project, tmp_path):
    import audio_builder as ab
    from audio_builder.own_voice.takes_index import read_verdicts
    from audio_builder.speech.takes import TakeError
    from tests.test_own_voice import save_wav, take

    script = studio_project / "scripts" / "kindness.yaml"
    folder = studio_project / "takes" / "teacher"
    other = folder / f"{take_id(LINES[1])}.wav"
    save_wav(other, take(1.0, seed=5))
    before = other.read_bytes()

    buzz = save_wav(tmp_path / "buzz.wav", take(1.5))
    state = ab.keep_line_take(script, 3, buzz, voice="teacher")
    kept = folder / f"{take_id(LINES[2])}.wav"
    assert state.line.take == kept and kept.is_file() and state.take_ms is not None
    # a buzz says none of the line's words: kept, as an import keeps it, and flagged with why
    assert state.status == "flagged" and state.why.startswith("listening back:")
    assert read_verdicts(folder)[kept.stem].digest
    _, states = ab.line_states(script, voice="teacher")
    assert [s.status for s in states][2] == "flagged"
    assert other.read_bytes() == before                       # only that line's take changed

    silent = save_wav(tmp_path / "silent.wav", np.zeros(48_000, np.float32))
    with pytest.raises(TakeError, match="silent"):
        ab.keep_line_take(script, 3, silent, voice="teacher")
    assert kept.read_bytes() == kept.read_bytes() and read_verdicts(folder)[kept.stem].digest
    with pytest.raises(ab.InputError, match="no line 9"):
        ab.keep_line_take(script, 9, buzz, voice="teacher")


@pytest.mark.slow                  # a whole process
def test_the_command_prints_its_keyed_address_and_serves_it(studio_project):
    import re
    import sys

    command = [sys.executable, "-m", "audio_builder", "studio", "--no-browser", "--port", "0"]
    process = subprocess.Popen(command, cwd=studio_project, stdout=subprocess.PIPE, text=True)
    try:
        assert process.stdout is not None
        printed = process.stdout.readline()
        address = re.search(r"http://127\.0\.0\.1:(\d+)/\?key=([\w-]+)", printed)
        assert address, printed
        status, page = fetch(address.group(0))
        assert status == 200 and "A Pause for Kindness" in page.decode()
        assert fetch(f"http://127.0.0.1:{address.group(1)}/")[0] == 403
    finally:
        process.terminate()
        process.wait(timeout=10)


@pytest.mark.browser
@pytest.mark.slow                  # the recognizer hears the reading
def test_a_reading_imported_in_the_browser_fills_the_missing_line(served, microphone_browser,
                                                                  studio_project, tmp_path):
    reading = spoken_wav(tmp_path / "reading.wav", "Sit comfortably.")
    page = open_practice(microphone_browser, served, "Evening Stillness")
    page.locator("#reading").set_input_files(str(reading))
    page.get_by_role("button", name="Import").click()
    page.wait_for_selector("#import-table:not([hidden])", timeout=120_000)
    rows = page.locator("#import-table tbody tr").all_inner_texts()
    assert len(rows) == 1 and "Sit comfortably." in rows[0] and "kept" in rows[0], rows
    assert (studio_project / "takes" / "teacher" / f"{take_id('Sit comfortably.')}.wav").is_file()
    page.wait_for_function("document.querySelector('#line-1').dataset.status !== 'missing'")
    assert page.problems == []


def axe_violations(page) -> list:
    from importlib import resources

    axe = resources.files("axe_playwright_python").joinpath("axe.min.js").read_text(encoding="utf-8")
    page.add_script_tag(content=axe)
    result = page.evaluate("axe.run(document, {resultTypes: ['violations']})")
    return [(v["id"], [n["target"] for n in v["nodes"]]) for v in result["violations"]]


@pytest.mark.browser
@pytest.mark.slow                  # the recognizer hears the reading and each new take
def test_an_imported_take_s_cut_is_seen_moved_and_made_again(served, microphone_browser, studio_project):
    import audio_builder as ab
    from tests.readings import teacher_reading

    reading = teacher_reading(MORNING, pauses=(2.5,)).save(studio_project / "morning-reading.wav")
    ab.import_takes(studio_project / "scripts" / "morning.yaml", reading, replace="all")
    take = studio_project / "takes" / "teacher" / f"{take_id(MORNING[0])}.wav"
    with wave.open(str(take)) as file:
        frames = file.getnframes()

    page = open_practice(microphone_browser, served, "Morning Light")
    line = row(page, 1)
    line.get_by_role("button", name="See the cut of line 1").click()
    page.wait_for_function("document.getElementById('cut-readout').textContent.startsWith('New cut')",
                           timeout=20_000)
    assert page.locator("#line-1 #cut-wave").is_visible()          # the panel opens in the row
    drawn = page.evaluate("""() => { const c = document.getElementById('cut-wave');
        const data = c.getContext('2d').getImageData(0, 0, c.width, c.height).data;
        let dark = 0; for (let i = 0; i < data.length; i += 4) if (data[i] < 100) dark++;
        return dark; }""")
    assert drawn > 500, drawn                                       # the waveform is on the canvas
    assert axe_violations(page) == []
    assert page.evaluate("document.documentElement.scrollWidth") <= 390

    page.get_by_role("button", name="End +200 ms").click()
    assert "end +0.20 s" in page.locator("#cut-readout").inner_text()
    page.get_by_role("button", name="Make the take again").click()
    page.wait_for_function("document.getElementById('cut-status').textContent.startsWith('made again')",
                           timeout=30_000)
    with wave.open(str(take)) as file:
        assert abs(file.getnframes() - frames - 200 * 44_100 // 1000) <= 2   # 200 ms longer
    listed = run_in(studio_project, "takes", "scripts/morning.yaml")
    assert take_id(MORNING[0]) in listed and "2 of 2 takes ready" in listed

    unchanged = take.read_bytes()
    canvas = page.locator("#cut-wave")
    canvas.focus()
    page.keyboard.press("s")
    for _ in range(3):
        page.keyboard.press("Shift+ArrowRight")                    # 0.6 s later: into the first word
    assert "start +0.60 s" in page.locator("#cut-readout").inner_text()
    page.keyboard.press("Enter")
    page.wait_for_function("document.getElementById('cut-status').textContent.startsWith('not made')",
                           timeout=30_000)
    assert "listening back" in page.locator("#cut-status").inner_text()
    assert take.read_bytes() == unchanged
    page.get_by_role("button", name="Keep it anyway, flagged").click()     # the teacher's choice
    page.wait_for_function("document.getElementById('cut-status').textContent.startsWith('made again')",
                           timeout=30_000)
    assert take.read_bytes() != unchanged and line.get_attribute("data-status") == "flagged"
    canvas.focus()
    page.keyboard.press("Escape")
    assert page.locator("#cut-panel").is_hidden()
    assert page.problems == []
