"""Property tests over the parser and the planner: any script, however odd, either plans to
the length it asks for or is refused with a located `AudioBuilderError` (file and line);
never another exception.

Speech is estimated (the planner's `check` path, a tone voice), so no engine runs. CI runs
the `ci` profile (150 examples a test, a few seconds); run more by hand with
`AUDIO_BUILDER_HYPOTHESIS=long pytest tests/test_properties.py`. Each example records where
it ended (refused by the parser, by the planner, or planned): add
`--hypothesis-show-statistics` to see how many reach the planner.
"""

from __future__ import annotations

import os
import re
from pathlib import Path

import pytest
import yaml
from hypothesis import HealthCheck, event, given, settings
from hypothesis import strategies as st

from audio_builder.builder import Builder
from audio_builder.durations import parse_duration
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


def inline_text(draw, pauses=duration) -> str:
    parts = draw(st.lists(st.one_of(words, pauses.map(lambda d: f"[pause {d}]")), min_size=1,
                          max_size=4))
    return " ".join([draw(words), *(str(p) for p in parts)])


def sometimes_odd(draw, good):
    """A good value of its kind; one time in eight an odd one."""
    return draw(odd) if draw(st.integers(0, 7)) == 0 else draw(good)


@st.composite
def odd_step(draw):
    """A step with odd values of every type: the parser must refuse it at its line."""
    kind = draw(st.sampled_from(["say", "pause", "flex", "at", "bell", "breathe", "include", "odd"]))
    if kind == "say":
        rate = st.one_of(st.floats(0.3, 3), odd)
        spoken = st.fixed_dictionaries({"text": words}, optional={"rate": rate})
        return {"say": sometimes_odd(draw, st.one_of(st.just(inline_text(draw)), spoken))}
    if kind == "pause":
        return {"pause": sometimes_odd(draw, any_duration)}
    if kind == "flex":
        return {"pause": f"{draw(any_duration)}..{draw(st.one_of(st.just(''), any_duration))}"}
    if kind == "at":
        sign = draw(st.sampled_from(["", "-"]))
        return {"at": sometimes_odd(draw, any_duration.map(lambda d: f"{sign}{d}"))}
    if kind == "bell":
        options = st.fixed_dictionaries({}, optional={"strikes": st.integers(-1, 120),
                                                      "gap": any_duration, "volume": st.integers(-30, 6)})
        return {"bell": sometimes_odd(draw, st.one_of(st.integers(-2, 150),
                                                      st.sampled_from(["bowl", "gong"]), options))}
    if kind == "breathe":
        return {"breathe": sometimes_odd(draw, st.fixed_dictionaries(
            {"in": any_duration, "out": any_duration},
            optional={"cycles": st.integers(-1, 2000), "hold": any_duration, "cues": st.integers(-1, 3)}))}
    if kind == "include":
        return {"include": draw(st.sampled_from(["parts/part.yaml", "parts/none.yaml", "parts/self.yaml",
                                                 "../outside.yaml"]))}
    return {draw(st.sampled_from(["say", "pause", "bell", "sound", "wait"])): draw(odd)}


@st.composite
def good_step(draw, lengths: list[int]):
    """A step as people write them, with good values: it reaches the planner. With the
    script's `lengths` (seconds), sometimes `only:` one of them or a range."""
    kind = draw(st.sampled_from(["say", "text", "text", "pause", "flex", "flex", "flex", "bell",
                                 "breathe", "chapter", "include", "at"]))
    if kind == "text":
        return inline_text(draw, st.integers(0, 5).map(lambda n: f"{n}s"))
    if kind == "at":
        if lengths:                                      # within the shortest length
            return {"at": f"{'-' * draw(st.booleans())}{min(lengths) * draw(st.integers(2, 6)) // 10}s"}
        return {"at": f"{draw(st.integers(30, 300))}s"}
    if kind == "say":
        step: dict = {"say": draw(st.fixed_dictionaries({"text": words},
                                                        optional={"rate": st.floats(0.7, 1.5)}))}
    elif kind == "pause":
        step = {"pause": draw(short)}
    elif kind == "flex":
        low = draw(st.integers(1, 20))
        step = {"pause": f"{low}s..{draw(st.sampled_from(['', '', f'{low * 3}s', '2m', '1h']))}"}
    elif kind == "bell":
        step = {"bell": draw(st.one_of(st.integers(1, 3), st.sampled_from(["bowl", "chime", "gong"]),
                                       st.fixed_dictionaries({}, optional={
                                           "strikes": st.integers(1, 3), "gap": st.integers(3, 8),
                                           "volume": st.integers(-12, 0)})))}
    elif kind == "breathe":
        cycles = draw(st.integers(1, 3))
        step = {"breathe": {"in": draw(st.integers(3, 6)), "out": draw(st.integers(3, 6)), "cycles": cycles,
                            **draw(st.fixed_dictionaries({}, optional={
                                "hold": st.integers(0, 3), "cues": st.integers(0, cycles)}))}}
    elif kind == "chapter":
        step = {"chapter": draw(words)}
    else:
        step = {"include": "parts/part.yaml"}
    if lengths and draw(st.integers(0, 4)) == 0:
        low, high = sorted(draw(st.sampled_from(lengths)) for _ in range(2))
        step["only"] = draw(st.sampled_from([[f"{low}s"], f"{low}s..", f"..{high}s", f"{low}s..{high}s"]))
    return step


@st.composite
def scripts(draw) -> dict:
    """Three in four with only good values, most of them with a length (or several) and an
    open pause to reach it: they reach the planner, and most of them fit. The rest carry odd
    values anywhere, for the parser to refuse."""
    if draw(st.integers(0, 3)) == 0:
        return draw(odd_scripts())
    several = draw(st.integers(0, 3))                    # no length one time in four
    lengths = draw(st.lists(st.integers(60, 1800), min_size=several, max_size=several, unique=True))
    steps = draw(st.lists(good_step(lengths), min_size=1, max_size=10))
    if lengths and draw(st.integers(0, 5)) > 0:          # mostly: an open pause to stretch, often last
        at = draw(st.sampled_from([len(steps), len(steps), draw(st.integers(0, len(steps)))]))
        steps.insert(at, {"pause": f"{draw(st.integers(1, 10))}s.."})
    script: dict = {"title": draw(words), "steps": steps}
    if lengths:
        script["length"] = [f"{n}s" for n in lengths] if len(lengths) > 1 else lengths[0]
    if draw(st.integers(0, 3)) == 0:
        script["paragraph_pause"] = draw(short)
    return script


@st.composite
def odd_scripts(draw) -> dict:
    script: dict = {"title": sometimes_odd(draw, words),
                    "steps": draw(st.lists(st.one_of(odd_step(), good_step([])), min_size=1, max_size=12))}
    length = draw(st.one_of(st.none(), duration, st.lists(duration, min_size=1, max_size=3, unique=True)))
    if length is not None:
        script["length"] = sometimes_odd(draw, st.just(length))
    if draw(st.integers(0, 3)) == 0:
        script["paragraph_pause"] = sometimes_odd(draw, duration)
    if draw(st.integers(0, 3)) == 0:
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


def assert_offered_lengths_plan(builder: Builder, script, error: AudioBuilderError) -> None:
    """A length the script cannot reach is refused with the lengths it can: both ends of
    each range offered must plan (and a range never runs backwards)."""
    offered = re.search(r"it can be (.+?) long;", error.message)
    if not offered:
        return
    ends = [parse_duration(end) for end in re.findall(r"\d+(?::\d\d){1,2}(?:\.\d{3})?", offered.group(1))]
    assert ends, error.message
    for low, high in zip(ends[::2], ends[1::2], strict=False):
        assert low <= high, error.message
    for end in ends:
        [plan] = builder.plan(script, (end,), estimate=True)
        assert plan.timeline.length_ms == end, (error.message, end)


def plan_or_refuse(folder: Path, text: str) -> None:
    path = folder / "scripts" / "gen.yaml"
    path.write_text(text, encoding="utf-8")
    try:
        script = load_script(path)
    except AudioBuilderError as error:
        event("refused by the parser")
        assert_located(error)
        return
    builder = Builder(open_project(folder))
    try:
        plans = builder.plan(script, estimate=True)
    except AudioBuilderError as error:
        event("refused by the planner")
        assert_located(error)
        assert_offered_lengths_plan(builder, script, error)
        return
    event("planned, to a length" if any(p.length_ms is not None for p in plans) else "planned")
    for plan in plans:
        assert plan.timeline.length_ms >= 0
        if plan.length_ms is not None:
            assert plan.timeline.length_ms == plan.length_ms, (plan.name, text)


@settings(suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])
@given(script=scripts())
def test_any_script_plans_to_its_length_or_is_refused_at_a_line(folder, script):
    plan_or_refuse(folder, yaml.safe_dump(script, allow_unicode=True, sort_keys=False))


SCRIPT_CHARACTERS = list("title: steps-\n [pause]0123456789smh.&*!'\"{},#\\")


@st.composite
def mutated_scripts(draw) -> str:
    """A script's text with a few characters put in, taken out or changed: typing slips,
    most of which still parse and reach the planner."""
    text = yaml.safe_dump(draw(scripts()), allow_unicode=True, sort_keys=False)
    for _ in range(draw(st.integers(1, 3))):
        at = draw(st.integers(0, len(text)))
        cut = draw(st.integers(0, 2))
        typed = draw(st.text(alphabet=st.sampled_from(SCRIPT_CHARACTERS), max_size=2))
        text = text[:at] + typed + text[at + cut:]
    return text


@settings(suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])
@given(text=st.one_of(st.text(alphabet=st.sampled_from(SCRIPT_CHARACTERS), max_size=200), mutated_scripts()))
def test_any_text_is_a_script_or_a_located_error(folder, text):
    plan_or_refuse(folder, text)
