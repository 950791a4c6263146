"""One owner for each rule: each test here reads the package's source and fails when a second
module starts deciding what one module owns (a second table of formats, a second spelling of
the feed's file name, a second ffmpeg command line, ...). A newcomer who asks "where is X
decided" finds the answer in the owner these tests name."""

from __future__ import annotations

import ast
import functools
import re
from pathlib import Path

import pytest

PACKAGE = Path(__file__).resolve().parent.parent / "audio_builder"


@functools.cache                  # read and parsed once for all the tests of a process
def _sources() -> dict[str, str]:
    return {path.relative_to(PACKAGE).as_posix(): path.read_text(encoding="utf-8")
            for path in sorted(PACKAGE.rglob("*.py"))}


@functools.cache
def _nodes(source: str) -> tuple[ast.AST, ...]:
    """Every node of a module's tree, in `ast.walk`'s order: walked once, not once a test."""
    return tuple(ast.walk(ast.parse(source)))


def _string_constants(source: str) -> list[tuple[int, str]]:
    """Every string literal of a module (docstrings and f-string parts included), with its line."""
    return [(node.lineno, node.value) for node in _nodes(source)
            if isinstance(node, ast.Constant) and isinstance(node.value, str)]


def _spelled_outside(owner: str, pattern: str) -> list[str]:
    """Where a string literal outside `owner` matches `pattern` (a regular expression)."""
    found = []
    for name, source in _sources().items():
        if name == owner:
            continue
        found += [f"{name}:{line}: {text!r}" for line, text in _string_constants(source)
                  if re.search(pattern, text)]
    return found


# --- the format table ----------------------------------------------------------------------

def test_every_fact_of_a_format_is_in_the_format_table():
    from audio_builder.publishing.formats import FORMATS

    mime_types = "|".join(re.escape(fmt.mime_type) for fmt in FORMATS.values())
    outside = _spelled_outside("publishing/formats.py", rf"^(?:{mime_types})$")
    assert not outside, "a format's MIME type decided outside publishing/formats.py:\n" \
        + "\n".join(outside)


def test_no_second_table_keyed_by_format_name():
    """A dict literal whose keys are the format names is a second format table."""
    from audio_builder.publishing.formats import FORMATS

    names = set(FORMATS)
    found = []
    for name, source in _sources().items():
        for node in _nodes(source):
            if isinstance(node, ast.Dict):
                keys = {key.value for key in node.keys if isinstance(key, ast.Constant)}
                if len(keys & names) >= 3:
                    found.append(f"{name}:{node.lineno}")
    assert found == [], f"a table keyed by format names outside the format table: {found}"


def test_the_format_table_is_whole():
    from audio_builder.publishing.formats import FORMATS

    for fmt in FORMATS.values():
        assert fmt.extension and "/" in fmt.mime_type and fmt.title, fmt.name
        assert callable(fmt.tag_writer), fmt.name
        assert "{bitrate}" in fmt.encoder.codec_args or not fmt.encoder.default_bitrate, fmt.name
    assert [fmt.name for fmt in FORMATS.values() if fmt.enclosure][0] == "mp3"


def test_the_server_and_the_feed_take_types_from_the_table(tmp_path):
    from audio_builder.publishing.formats import FORMATS
    from audio_builder.publishing.server import content_type

    for fmt in FORMATS.values():
        assert content_type(f"a.{fmt.extension}") == fmt.mime_type


# --- the names of a track's files and of the site's -------------------------------------------

def test_the_names_of_published_files_are_spelled_only_in_publish_tracks():
    from audio_builder.publishing import tracks

    names = [tracks.FEED, tracks.PAGE, tracks.PREVIEW_FEED, tracks.PREVIEW_PAGE, tracks.DEFAULT_COVER,
             *tracks.SIDECARS.values(), *tracks.VIDEO_FILES.values()]
    pattern = "^/?(?:" + "|".join(re.escape(name) for name in names) + ")$"
    outside = _spelled_outside("publishing/tracks.py", pattern)
    assert not outside, "a published file named outside publishing/tracks.py:\n" + "\n".join(outside)


def test_the_site_files_come_from_publish_tracks(tmp_path):
    from audio_builder.publishing.tracks import site_files

    assert [p.name for p in site_files(tmp_path)] == ["feed.xml", "index.html"]
    assert [p.name for p in site_files(tmp_path, preview=True)] == ["preview-feed.xml", "preview.html"]


# --- one time formatter ------------------------------------------------------------------------

def test_times_are_formatted_only_by_format_ms():
    """A clock's two-digit minutes or seconds (`:02d`) or a length in words (`min`) put together
    outside durations.py is a second time formatter."""
    found = []
    for name, source in _sources().items():
        if name == "durations.py":
            continue
        for node in _nodes(source):
            if isinstance(node, ast.FormattedValue) and node.format_spec is not None \
                    and "02d" in ast.unparse(node.format_spec):
                found.append(f"{name}:{node.lineno}")
            if isinstance(node, ast.JoinedStr) and re.search(r"\} min\b|\} s\"", ast.unparse(node)):
                found.append(f"{name}:{node.lineno}")
    assert not found, "a time formatted outside durations.format_ms: " + ", ".join(found)


def test_the_time_formatter_reads_one_way_on_the_page_and_in_titles():
    from audio_builder.durations import format_ms

    assert format_ms(90_000, words=True) == "1 min 30 s"
    assert format_ms(3_723_000, precise=False) == "1:02:03"


# --- one function runs ffmpeg ------------------------------------------------------------------

def test_ffmpeg_is_run_only_through_sound_media():
    """Every ffmpeg starts through `sound.media.ffmpeg`, with the same safety flags: finding the
    program or spelling its flags anywhere else is a second way to run it."""
    found = []
    for name, source in _sources().items():
        if name == "sound/media.py":
            continue
        found += [f"{name}:{node.lineno}: {node.id}" for node in _nodes(source)
                  if isinstance(node, ast.Name) and node.id in ("ffmpeg_exe", "device_ffmpeg_exe")]
        found += [f"{name}:{line}: {text!r}" for line, text in _string_constants(source)
                  if text in ("-nostdin", "-xerror")]
    assert not found, "ffmpeg run outside sound/media.py:\n" + "\n".join(found)


def test_every_ffmpeg_stops_at_a_damaged_file(monkeypatch, tmp_path):
    import subprocess

    from audio_builder.sound import media

    media.ffmpeg_exe()                  # found first: finding it runs `ffmpeg -version`
    started = []
    monkeypatch.setattr(subprocess, "Popen", lambda command, **kwargs: started.append(command)
                        or (_ for _ in ()).throw(RuntimeError("not run")))
    with pytest.raises(RuntimeError):
        media.run_ffmpeg("-i", "x")
    assert started[0][1:1 + len(media.FFMPEG_FLAGS)] == list(media.FFMPEG_FLAGS)
    assert "-xerror" in media.FFMPEG_FLAGS and "-nostdin" in media.FFMPEG_FLAGS


# --- one path rule ------------------------------------------------------------------------------

def test_a_takes_folder_follows_the_one_path_rule(tmp_path, monkeypatch):
    """`takes:` outside the project is refused like any named file, and allowed the same way
    (AUDIO_BUILDER_ALLOW); before, voices.py had a rule of its own that ignored the variable."""
    from audio_builder.errors import InputError
    from audio_builder.script.voices import load_profile

    project, elsewhere = tmp_path / "project", tmp_path / "elsewhere"
    (project / "voices").mkdir(parents=True)
    elsewhere.mkdir()
    profile = project / "voices" / "me.yaml"
    profile.write_text(f"engine: recorded\ntakes: {elsewhere}\n", encoding="utf-8")
    monkeypatch.delenv("AUDIO_BUILDER_ALLOW", raising=False)
    with pytest.raises(InputError, match="outside the project.*AUDIO_BUILDER_ALLOW") as refused:
        load_profile(profile)
    assert refused.value.line == 2
    monkeypatch.setenv("AUDIO_BUILDER_ALLOW", str(elsewhere))
    assert load_profile(profile).takes == elsewhere.resolve()
    profile.write_text("engine: recorded\n", encoding="utf-8")
    assert load_profile(profile).takes == (project / "takes" / "me").resolve()


def test_only_script_paths_decides_what_lies_outside_the_project():
    """Refusing a path as outside the project, and the variable that allows one, belong to
    the path rule's module alone."""
    outside = _spelled_outside("script/paths.py", r"outside the project|AUDIO_BUILDER_ALLOW")
    assert not outside, "a second path rule:\n" + "\n".join(outside)


# --- a recorded voice is a capability of its engine ---------------------------------------------

def test_no_module_asks_for_the_recorded_engine_by_name():
    """`profile.engine == "recorded"` outside the engine is a special case; ask the engine
    class (`SpeechEngine.recorded`, `speech.engines.is_recorded`)."""
    found = []
    for name, source in _sources().items():
        if name.startswith("speech/engines/"):
            continue
        for node in _nodes(source):
            if isinstance(node, ast.Compare) and any(
                    isinstance(part, ast.Constant) and part.value == "recorded"
                    for part in (node.left, *node.comparators)):
                found.append(f"{name}:{node.lineno}")
    assert not found, "the recorded engine asked for by name: " + ", ".join(found)


def test_the_engines_declare_their_capabilities():
    from audio_builder.model import VoiceProfile
    from audio_builder.speech.engines import ENGINES, is_recorded

    assert [name for name, engine in ENGINES.items() if engine.recorded] == ["recorded"]
    assert is_recorded(VoiceProfile(name="me", engine="recorded"))
    assert not is_recorded(VoiceProfile(name="joe", engine="piper")) and not is_recorded(None)
    assert ENGINES["piper"].sentence_pause_ms == VoiceProfile.sentence_pause_ms


# --- defaults live once -------------------------------------------------------------------------

def test_a_voice_profile_file_that_says_nothing_gets_the_dataclass_defaults(tmp_path):
    from audio_builder.model import VoiceProfile
    from audio_builder.script.voices import load_profile

    (tmp_path / "voices").mkdir()
    written = tmp_path / "voices" / "plain.yaml"
    written.write_text("engine: tones\n", encoding="utf-8")
    loaded, default = load_profile(written), VoiceProfile(name="plain", engine="tones")
    for field in ("voice", "rate", "sentence_pause_ms", "phrase_pause_ms", "step_pause_ms", "breaths"):
        assert getattr(loaded, field) == getattr(default, field), field


def test_the_voice_level_is_set_once():
    """The level speech is brought to is `sound.audio.SPEECH_RMS_DB`, and nowhere else."""
    from audio_builder.sound import audio

    found = [f"{name}:{node.lineno}" for name, source in _sources().items() if name != "sound/audio.py"
             for node in _nodes(source)
             if isinstance(node, ast.UnaryOp) and isinstance(node.operand, ast.Constant)
             and node.operand.value == -audio.SPEECH_RMS_DB]
    assert not found, "the voice level spelled again: " + ", ".join(found)


# --- a request's key is read by the web layer ---------------------------------------------------

def test_only_the_web_layer_reads_a_request_s_key():
    """The studio, the remote and `serve` take the key in the forms `KeyGuard` accepts, and
    none reads it again in an order of its own: their pages echo the key they were made with."""
    readers = re.compile(r"""query_params\.get\(\s*["']key["']|headers\.get\(\s*["']x-key["']""", re.I)
    found = [f"{name}:{number}" for name, source in _sources().items() if Path(name).parent.name != "web"
             for number, line in enumerate(source.splitlines(), 1) if readers.search(line)]
    assert found == [], f"a request's key read outside web/server.py: {found}"
