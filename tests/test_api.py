"""The Python API as a program uses it: only names exported from `audio_builder`, every bad
argument an `AudioBuilderError` with a message, the program in docs/api.md run as written,
and the command line a thin layer over it."""

from __future__ import annotations

import ast
import contextlib
import importlib
import io
import pkgutil
import re
import statistics
import sys
from pathlib import Path

import feedparser
import pytest
from conftest import run, write

import audio_builder as ab

ROOT = Path(__file__).resolve().parent.parent
PODCAST = "title: Calm\nauthor: A Teacher\nemail: a@example.org\nbase_url: https://example.org/calm/\n"
SCRIPT = ("title: {title}\ndate: 2024-01-0{day}\nvoice: calm\nsteps:\n  - Rest here.\n  - pause: 2s\n"
          "  - Breathe out.\n")


@pytest.fixture
def library(project):
    write(project / "podcast.yaml", PODCAST)
    write(project / "voices" / "calm.yaml", "engine: tones\nrate: 1.1\n")
    for day, title in enumerate(("Arriving", "Resting"), 1):
        write(project / "scripts" / f"{title.lower()}.yaml", SCRIPT.format(title=title, day=day))
    return project


def test_a_program_checks_builds_with_a_voice_and_jobs_and_publishes(library):
    project = ab.open_project(library)
    assert ab.check(project).ok
    built = ab.build(project, voice="calm", jobs=2)        # two worker processes
    assert sorted(track.audio.name for track in built) == ["arriving.mp3", "resting.mp3"]
    assert all(track.audio.stat().st_size > 0 for track in built)
    report = ab.publish(project)
    feed = feedparser.parse(report.feed.read_bytes())
    assert sorted(entry.title for entry in feed.entries) == ["Arriving", "Resting"]
    assert ab.check_feed(project) == []


@pytest.mark.parametrize("arguments, words", [
    ({"format": "ogg"}, ["format 'ogg'", "mp3"]),
    ({"loudness": 20}, ["loudness 20", "-40 to -5 LUFS"]),
    ({"loudness": "loud"}, ["loudness 'loud'", "off"]),
    ({"jobs": 0}, ["jobs 0", "1 to 64"]),
    ({"channels": 3}, ["channels 3", "mono"]),
    ({"bitrate": "128k", "format": "flac"}, ["FLAC is lossless"]),
    ({"bitrate": "fast"}, ["bitrate 'fast'", "128k"]),
    ({"lengths": ["30s", "30s"]}, ["same length twice"]),
    ({"lengths": "forever"}, ["'forever' is not a duration"]),
    ({"lengths": "13h"}, ["12 hours"]),
    ({"paths": 5}, ["paths"]),
])
def test_a_bad_argument_is_an_error_with_a_message_before_any_work(library, arguments, words):
    with pytest.raises(ab.AudioBuilderError) as raised:
        ab.build(library, **arguments)
    for word in words:
        assert word in raised.value.message, raised.value.message
    assert not (library / "output").exists()


@pytest.mark.parametrize("call, name", [
    (lambda project: ab.build(project, output_dir=5), "output_dir"),
    (lambda project: ab.build(project, cache_dir=5), "cache_dir"),
    (lambda project: ab.check(project, cache_dir=5), "cache_dir"),
    (lambda project: ab.publish(project, output_dir=5), "output_dir"),
    (lambda project: ab.fetch_voice("en_US-amy-medium", folder=5), "folder"),
    (lambda project: ab.fetched_voices(5), "folder"),
    (lambda project: ab.hear_line(project / "scripts" / "arriving.yaml", 1, cache_dir=5), "cache_dir"),
])
def test_a_folder_that_is_not_a_path_is_refused_alike_everywhere(library, call, name):
    """One rule for a folder given to the API: the same message, naming the argument."""
    with pytest.raises(ab.InputError) as raised:
        call(library)
    assert raised.value.message == f"{name}: give a folder's path, not int"


def test_output_settings_check_themselves():
    with pytest.raises(ab.InputError, match="channels 3"):
        ab.OutputSettings(channels=3)
    with pytest.raises(ab.InputError, match="format 'ogg'"):
        ab.OutputSettings(format="ogg")


def test_the_errors_of_the_lower_layers_are_under_the_root():
    for error in (ab.DurationError, ab.EngineUnavailable, ab.MissingTake, ab.InputError,
                  ab.BuildError, ab.Cancelled, ab.ErrorGroup):
        assert issubclass(error, ab.AudioBuilderError), error


def test_an_error_of_the_operating_system_is_a_build_error_naming_the_file(library):
    (library / "taken").write_text("a file where the output folder should be")
    with pytest.raises(ab.BuildError) as raised:
        ab.build(library, output_dir=library / "taken")
    assert raised.value.file and raised.value.file.endswith("taken"), raised.value.located()
    assert not isinstance(raised.value, OSError)


def test_check_reports_every_problem_and_raises_them_together(library):
    write(library / "scripts" / "broken.yaml", "title: B\nsteps:\n  - pause: soon\n")
    write(library / "scripts" / "also.yaml", "title: C\nlength: [5m, 5m]\nsteps:\n  - Hi.\n")
    report = ab.check(library)
    assert not report.ok
    assert sorted(Path(error.file).name for error in report.errors) == ["also.yaml", "broken.yaml"]
    assert sorted(script.path.name for script in report.scripts) == ["arriving.yaml", "resting.yaml"]
    with pytest.raises(ab.ErrorGroup):
        report.raise_errors()


@pytest.mark.parametrize("command", ["build", "check"])
def test_a_length_given_twice_on_the_command_line_is_one_line_and_exit_2(library, command):
    result = run(command, "scripts/arriving.yaml", "--length", "30s,30s")
    assert result.exit_code == 2, result.output
    assert result.stderr.strip() == "`--length` lists the same length twice; keep one"
    assert "ok" not in result.stdout


@pytest.mark.slow                 # two worker processes (the pool stays in the fast subset: above)
def test_the_program_in_the_api_doc_runs(library):
    """docs/api.md's program, as written, does what `build` then `feed` do."""
    [program] = re.findall(r"```python\n(.*?)```", (ROOT / "docs" / "api.md").read_text(encoding="utf-8"),
                           re.DOTALL)
    printed = io.StringIO()
    with contextlib.redirect_stdout(printed):
        exec(compile(program, "docs/api.md", "exec"), {})
    assert "arriving.mp3" in printed.getvalue() and "feed.xml 2 episodes" in printed.getvalue()
    assert (library / "output" / "index.html").is_file()


def test_every_name_the_doc_calls_is_exported():
    text = (ROOT / "docs" / "api.md").read_text(encoding="utf-8")
    for name in set(re.findall(r"`(\w+)\(", text)):
        assert name in ab.__all__, name



# --- a name says what it is -------------------------------------------------------------------

def _every_module() -> list[str]:
    """Every module of the package, imported (packages walked)."""
    names = []
    for info in pkgutil.walk_packages(ab.__path__, "audio_builder."):
        if not info.name.endswith("__main__"):
            importlib.import_module(info.name)
            names.append(info.name)
    return names


def test_no_name_of_a_package_hides_one_of_its_modules():
    """`import audio_builder.builder` and `audio_builder.builder(...)` never surprise: each
    module is its package's attribute of that name, not a function or command imported over
    it (the API's `build` and `publish` once hid the modules `build` and `publish`, and the
    command line's commands their modules)."""
    hidden = {}
    for name in _every_module():
        parent, _, child = name.rpartition(".")
        held = getattr(sys.modules[parent], child)
        if held is not sys.modules[name]:
            hidden[name] = f"{type(held).__name__} from {getattr(held, '__module__', '?')}"
    assert not hidden, hidden


def test_no_exported_name_is_also_a_module_of_the_package():
    modules = {info.name for info in pkgutil.iter_modules(ab.__path__)}
    assert {"api", "builder", "publishing", "cli"} <= modules
    assert not set(ab.__all__) & modules, set(ab.__all__) & modules
    assert callable(ab.build) and callable(ab.publish)


# --- the command line is thin -----------------------------------------------------------------

def _commands() -> dict[str, int]:
    """Every Click command of the command line: its name and length in lines (the function,
    decorators left out)."""
    found = {}
    for path in sorted((ROOT / "audio_builder" / "cli").glob("*.py")):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.FunctionDef) and any(
                    "command" in ast.unparse(decorator) or "group" in ast.unparse(decorator)
                    for decorator in node.decorator_list):
                assert node.end_lineno is not None
                found[f"{path.stem}.{node.name}"] = node.end_lineno - node.lineno + 1
    return found


def test_every_command_is_a_call_and_its_printing():
    lengths = _commands()
    assert len(lengths) >= 15, lengths
    too_long = {name: n for name, n in lengths.items() if n > 40}
    assert not too_long, too_long
    assert statistics.median(lengths.values()) <= 15, sorted(lengths.items(), key=lambda i: i[1])
