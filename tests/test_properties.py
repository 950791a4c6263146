"""Property tests over the parser and the planner: any script, however odd, either plans to
the length it asks for or is refused with a located `AudioBuilderError` (file and line);
never another exception.

Speech is estimated (the planner's `check` path, a tone voice), so no engine runs. CI runs
the `ci` profile (a few hundred examples); run more by hand with
`AUDIO_BUILDER_HYPOTHESIS=long pytest tests/test_properties.py`.
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest
import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from audio_builder.build import Builder
from audio_builder.errors import AudioBuilderError, ErrorGroup
from audio_builder.script.parser import load_script
from audio_builder.script.project import open_project

settings.register_profile("ci", max_examples=150, deadline=None, derandomize=True,
                          suppress_health_check=[HealthCheck.too_slow])
settings.register_profile("long", max_examples=5000, deadline=None,
                          suppress_health_check=[HealthCheck.too_slow])
settings.load_profile(os.environ.get("AUDIO_BUILDER_HYPOTHESIS", "ci"))

# --- values -----------------------------------------------------------------------------

seconds = st.one_of(st.integers(0, 400), st.floats(0, 400, allow_nan=False).map(lambda f: round(f, 2)))
human = st.one_of(
    seconds.map(lambda s: f"{s}s"),
    st.integers(0, 20).map(lambda m: f"{m}m"),
    st.tuples(st.integers(0, 9), st.integers(0, 59)).map(lambda p: f"{p[0]}:{p[1]:02d}"),
    st.integers(0, 3000).map(lambda ms: f"{ms}ms"),
)
any_duration = duration = st.one_of(seconds, human)
short = st.one_of(st.integers(0, 30), st.integers(0, 30).map(lambda s: f"{s}s"))
odd = st.one_of(
    st.none(), st.booleans(), st.integers(-10**6, 10**12), st.floats(allow_nan=True),
    st.text(max_size=30), st.lists(st.integers(), max_size=3),
    st.dictionaries(st.text(max_size=5), st.integers(), max_size=2),
    st.sampled_from(["..", "5s..", "..5s", "-", "1h1h", "1e400", ".nan", "pipe:0", "/etc/passwd",
                     "../x.wav", "9999h", "-3s", "[pause 3s]", "bowl", "chime"]),
)
value = st.one_of(duration, odd)
words = st.lists(st.sampled_from(["breathe", "rest", "here", "softly", "now", "and"]),
                 min_size=1, max_size=8).map(" ".join)


def inline_text(draw) -> str:
    parts = draw(st.lists(st.one_of(words, duration.map(lambda d: f"[pause {d}]")), min_size=1,
                          max_size=4))
    return " ".join([draw(words), *(str(p) for p in parts)])


def sometimes_odd(draw, good, clean: bool = False):
    """A good value of its kind; unless `clean`, one time in eight an odd one."""
    return draw(odd) if not clean and draw(st.integers(0, 7)) == 0 else draw(good)


@st.composite
def steps(draw, clean: bool = False):
    kinds = ["say", "text", "text", "pause", "flex", "flex", "bell", "breathe", "chapter",
             "include"]
    kind = draw(st.sampled_from(kinds if clean else [*kinds, "at", "odd"]))
    duration = short if clean else any_duration
    if kind == "text":
        return inline_text(draw)
    if kind == "say":
        rate = st.one_of(st.floats(0.3, 3), odd)
        spoken = st.fixed_dictionaries({"text": words}, optional={"rate": rate})
        return {"say": sometimes_odd(draw, st.one_of(st.just(inline_text(draw)), spoken), clean)}
    if kind == "pause":
        return {"pause": sometimes_odd(draw, duration, clean)}
    if kind == "flex":
        low, high = draw(duration), draw(st.one_of(st.just(""), duration))
        if clean:
            low, high = draw(st.integers(1, 30)), draw(st.sampled_from(["", "40s", "2m", "1h"]))
        return {"pause": f"{low}..{high}"}
    if kind == "at":
        sign = draw(st.sampled_from(["", "-"]))
        return {"at": sometimes_odd(draw, duration.map(lambda d: f"{sign}{d}"), clean)}
    if kind == "bell":
        options = st.fixed_dictionaries({}, optional={"strikes": st.integers(-1, 120),
                                                      "gap": duration, "volume": st.integers(-30, 6)})
        return {"bell": sometimes_odd(draw, st.one_of(st.integers(-2, 150),
                                                      st.sampled_from(["bowl", "gong"]), options),
                                    clean)}
    if kind == "breathe":
        breath = st.integers(3, 8) if clean else duration
        return {"breathe": sometimes_odd(draw, st.fixed_dictionaries(
            {"in": breath, "out": breath},
            optional={"cycles": st.integers(1, 5) if clean else st.integers(-1, 2000), "hold": duration,
                      "cues": st.integers(0 if clean else -1, 3)}), clean)}
    if kind == "chapter":
        return {"chapter": sometimes_odd(draw, words, clean)}
    if kind == "include":
        if clean:
            return {"include": "parts/part.yaml"}
        return {"include": draw(st.sampled_from(["parts/part.yaml", "parts/part.yaml",
                                                 "parts/none.yaml", "parts/self.yaml",
                                                 "../outside.yaml"]))}
    return {draw(st.sampled_from(["say", "pause", "bell", "sound", "wait"])): draw(odd)}


@st.composite
def scripts(draw) -> dict:
    clean = draw(st.integers(0, 2)) > 0          # two in three: only good values
    script: dict = {"title": sometimes_odd(draw, words, clean),
                    "steps": draw(st.lists(steps(clean), min_size=1, max_size=12))}
    lengths = st.integers(600, 7200) if clean else duration
    length = draw(st.one_of(st.none(), lengths,
                            st.lists(lengths, min_size=1, max_size=3, unique=True)))
    if length is not None:
        script["length"] = sometimes_odd(draw, st.just(length), clean)
    if draw(st.integers(0, 3)) == 0:
        script["paragraph_pause"] = sometimes_odd(draw, duration, clean)
    if not clean and draw(st.integers(0, 3)) == 0:
        script[draw(st.sampled_from(["episode", "season", "date", "explicit", "keywords",
                                     "voice", "image", "background", "bell"]))] = draw(odd)
    return script


# --- the property -----------------------------------------------------------------------

@pytest.fixture(scope="module")
def folder(tmp_path_factory) -> Path:
    root = tmp_path_factory.mktemp("property")
    (root / "scripts" / "parts").mkdir(parents=True)
    (root / "voices").mkdir()
    (root / "voices" / "default.yaml").write_text("engine: tones\n")
    (root / "scripts" / "parts" / "part.yaml").write_text(
        "steps:\n  - Rest here.\n  - pause: 2s..10s\n  - chapter: Part\n")
    (root / "scripts" / "parts" / "self.yaml").write_text("- include: self.yaml\n")
    return root


def assert_located(error: AudioBuilderError) -> None:
    for item in error.errors if isinstance(error, ErrorGroup) else [error]:
        assert item.file and item.line, f"not located: {item.located()}"
        assert "Traceback" not in item.message and len(item.message) < 1000


def plan_or_refuse(folder: Path, text: str) -> None:
    path = folder / "scripts" / "gen.yaml"
    path.write_text(text, encoding="utf-8")
    try:
        script = load_script(path)
        plans = Builder(open_project(folder)).plan(script, estimate=True)
    except AudioBuilderError as error:
        assert_located(error)
        return
    for plan in plans:
        assert plan.timeline.length_ms >= 0
        if plan.length_ms is not None:
            assert plan.timeline.length_ms == plan.length_ms, (plan.name, text)


@settings(suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])
@given(script=scripts())
def test_any_script_plans_to_its_length_or_is_refused_at_a_line(folder, script):
    plan_or_refuse(folder, yaml.safe_dump(script, allow_unicode=True, sort_keys=False))


@settings(suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])
@given(text=st.text(alphabet=st.sampled_from(list("title: steps-\n [pause]0123456789smh.&*!'\"{},#\\")),
                    max_size=200))
def test_any_text_is_a_script_or_a_located_error(folder, text):
    plan_or_refuse(folder, text)
