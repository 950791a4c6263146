"""Practice scripts: YAML in, a `Script` out. Every step kind is an entry in `STEP_KINDS`."""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace
from pathlib import Path

from audio_builder.durations import DurationError, format_human, parse_duration
from audio_builder.errors import InputError, excerpt
from audio_builder.model import (
    DEFAULT_BELL,
    MAX_CHAPTERS,
    At,
    Background,
    Bell,
    Breathe,
    Chapter,
    Gap,
    Only,
    Pause,
    Place,
    Say,
    Script,
    Sit,
    SitBells,
    SoundRef,
    SoundStep,
    Step,
    Words,
)
from audio_builder.script.fields import MAX_COUNT, Fields, describe, read_duration, unknown_key_message
from audio_builder.script.paths import named_path, project_root_of
from audio_builder.script.yamlfile import YamlList, YamlMap, read_yaml, unprintable
from audio_builder.sound import sounds

SCRIPT_KEYS = ("title", "description", "author", "date", "episode", "season", "image",
               "language", "explicit", "keywords", "voice", "length", "background", "bell",
               "bell_volume", "paragraph_pause", "step_pause", "steps")
MAX_TITLE = 255
MAX_STRIKES = 100          # a bell struck more often is a mistake, not a practice
MAX_CYCLES = 1000
BELL_PATTERNS = ("every", "at", "random")
BELLS_EXAMPLE = "`bells: {every: 3m}`, `bells: {at: [25m]}` or `bells: {random: [3m, 7m]}`"
MAX_INCLUDE_DEPTH = 20
BREATH_PHASES = ("in", "hold", "out")    # the phases a breathing cue is spoken in


@dataclass(frozen=True)
class Context:
    """What a step needs to know about where it was written."""

    file: Path
    paragraph_pause_ms: int
    default_bell: SoundRef
    root: Path
    including: tuple[Path, ...] = ()

    def place(self, line: int) -> Place:
        return Place(str(self.file), line)

    def error(self, line: int, message: str) -> InputError:
        return InputError(message, self.file, line)

    def named_file(self, value: object, line: int, key: str) -> Path:
        return named_path(value, named_in=self.file, line=line, key=key, root=self.root)


def load_script(path: Path, root: Path | None = None) -> Script:
    """Read and validate a practice script (includes spliced in). Files it names must lie
    in `root` (default: the project the script is in; see `script.paths`)."""
    path = Path(path)
    root = Path(root) if root is not None else project_root_of(path)
    problem = unprintable(path.stem, "the file name", "rename the file")
    if problem:
        raise InputError(problem, path)
    data = read_yaml(path)
    if data is None:
        raise InputError("the script is empty; start with `title:` and `steps:`", path, 1)
    if not isinstance(data, YamlMap):
        raise InputError(f"a script must be a mapping with `title:` and `steps:`, "
                         f"not {describe(data)}", path, getattr(data, "line", 1))
    fields = Fields(data, path, "a practice script")
    fields.reject_unknown(SCRIPT_KEYS)
    context = Context(
        file=path,
        paragraph_pause_ms=fields.duration("paragraph_pause", Script.paragraph_pause_ms),
        default_bell=SoundRef(name=DEFAULT_BELL),
        root=root,
        including=(path.resolve(),),
    )
    context = replace(context, default_bell=_sound_ref(data.get("bell", DEFAULT_BELL), sounds.BELLS,
                                                       context, fields.line("bell"), "bell"))
    steps = _read_steps(data.get("steps"), context, fields.line("steps"), top_level=True)
    _check_chapter_count(steps)
    lengths = _lengths(fields)
    episodes, warnings = _episodes(fields, lengths)
    _check_only(steps, lengths, path, fields.line("length"))
    return Script(
        slug=path.stem,
        path=path,
        title=fields.text("title", required=True, max_len=MAX_TITLE),
        steps=steps,
        description=fields.text("description", Script.description) or "",
        author=fields.text("author"),
        date=fields.date("date"),
        episode=episodes[0] if episodes else None,
        season=fields.positive_int("season"),
        image=fields.image("image", root),
        language=fields.language("language"),
        explicit=fields.boolean("explicit", Script.explicit),
        keywords=fields.text_list("keywords"),
        voice=fields.text("voice", Script.voice),
        lengths=lengths,
        background=_background(fields, context),
        bell=context.default_bell,
        bell_volume_db=fields.decibels("bell_volume", Script.bell_volume_db),
        paragraph_pause_ms=context.paragraph_pause_ms,
        step_pause_ms=fields.duration("step_pause"),
        key_lines=tuple(data.key_lines.items()),
        episodes=episodes,
        warnings=warnings,
    )


def _check_chapter_count(steps: tuple[Step, ...]) -> None:
    chapters = [step for step in steps if isinstance(step, Chapter)]
    if len(chapters) > MAX_CHAPTERS:
        extra = chapters[MAX_CHAPTERS].place
        raise InputError(f"this is chapter {MAX_CHAPTERS + 1}; a track holds at most "
                         f"{MAX_CHAPTERS} chapters (the most an MP3's table of contents can "
                         "list); merge some, or split the practice into parts",
                         extra.file, extra.line)


def _check_only(steps: tuple[Step, ...], lengths: tuple[int, ...], path: Path, line: int) -> None:
    """`only` picks steps by the track's length: the script needs lengths, and an exact length
    under `only` must be one of them (a typo would leave the steps out of every track)."""
    for step in steps:
        if not isinstance(step, Only):
            continue
        place = step.place
        if not lengths:
            raise InputError("`only` picks steps by the track's length, so the script needs "
                             "`length:` (like `length: [5m, 10m]`)", place.file, place.line)
        for low, high in step.lengths:
            if low == high and low not in lengths:
                written = ", ".join(format_human(ms) for ms in lengths)
                raise InputError(f"`only: {format_human(low)}` is not one of the script's lengths "
                                 f"({written}); write one of them, or a range like "
                                 f"`{format_human(low)}..`", place.file, place.line)
        _check_only(step.steps, lengths, path, line)


def _lengths(fields: Fields) -> tuple[int, ...]:
    if not fields.has("length"):
        return ()
    value = fields.raw("length")
    values = value if isinstance(value, list) else [value]
    lines = [value.line_of(index) for index in range(len(value))] if isinstance(value, YamlList) else None
    return read_lengths(values, file=fields.file, line=fields.line("length"), lines=lines)


def read_lengths(values: Sequence[object], *, name: str = "length", file: Path | None = None,
                 line: int | None = None, lines: Sequence[int] | None = None) -> tuple[int, ...]:
    """The rule for a track's lengths, wherever they are written (a script's `length:`, the
    command line's `--length`, the API's `lengths=`): each a duration longer than 0, and none
    twice (two tracks of one name). `lines`: each value's line, else `line`."""
    lengths = []
    for index, item in enumerate(values):
        at = lines[index] if lines else line
        try:
            ms = parse_duration(item)
        except DurationError as error:
            raise InputError(f"`{name}`: {error}", file, at) from None
        if ms <= 0:
            raise InputError(f"`{name}` must be longer than 0", file, at)
        lengths.append(ms)
    if len(set(lengths)) != len(lengths):
        raise InputError(f"`{name}` lists the same length twice; keep one", file, line)
    return tuple(lengths)


def _episodes(fields: Fields, lengths: tuple[int, ...]) -> tuple[tuple[int, ...], tuple[str, ...]]:
    """`episode: 3`, or one number per length (`episode: [3, 9]`): each length of a practice
    is its own episode in the feed. And the warnings of an old form read as it was: one
    number for several lengths (before 2026-11-23) numbers every length with it."""
    if not fields.has("episode"):
        return (), ()
    value = fields.raw("episode")
    values = list(value) if isinstance(value, list) else [value]
    if not values or any(isinstance(v, bool) or not isinstance(v, int)
                         or not 1 <= v <= MAX_COUNT for v in values):
        raise fields.error("episode", f"`episode` must be a whole number from 1 to {MAX_COUNT} "
                                      f"(or one per length, like `episode: [3, 9]`), "
                                      f"not {excerpt(value)}")
    warnings: tuple[str, ...] = ()
    if len(lengths) > 1 and len(values) == 1 and not isinstance(value, list):
        numbers = ", ".join(str(values[0] + 10 * k) for k in range(len(lengths)))
        warnings = (fields.error(
            "episode", f"`episode: {values[0]}` with {len(lengths)} lengths numbers every length "
                       f"{values[0]}, as it did before each length became its own episode; write "
                       f"one number per length, like `episode: [{numbers}]`").located(),)
    elif len(lengths) > 1 and len(values) != len(lengths):
        raise fields.error("episode", f"this practice has {len(lengths)} lengths, and each is its "
                                      f"own episode: give one number per length, like "
                                      f"`episode: [{values[0]}, {values[0] + 10}]`")
    if len(lengths) <= 1 and len(values) > 1:
        raise fields.error("episode", "give one `episode` number (one per length only when "
                                      "`length` lists several)")
    if len(set(values)) != len(values):
        raise fields.error("episode", "`episode` lists the same number twice")
    return tuple(values), warnings


def _background(fields: Fields, context: Context) -> Background | None:
    if not fields.has("background"):
        return None
    value = fields.raw("background")
    line = fields.line("background")
    if not isinstance(value, YamlMap):
        return Background(sound=_sound_ref(value, sounds.BACKGROUNDS, context, line,
                                           "background"))
    inner = Fields(value, context.file, "`background`")
    inner.reject_unknown(("sound", "volume", "duck", "fade_in", "fade_out"))
    if not inner.has("sound"):
        raise inner.error(None, "`background` needs `sound:`, a built-in name like `rain` "
                                "or an audio file")
    duck = inner.decibels("duck", 6.0)
    if duck < 0:
        raise inner.error("duck", "`duck` is how far the background dips under speech; "
                                  "write it as a positive level, like `6dB`")
    return Background(
        sound=_sound_ref(value["sound"], sounds.BACKGROUNDS, context, inner.line("sound"),
                         "sound"),
        volume_db=inner.decibels("volume", -24.0),
        duck_db=duck,
        fade_in_ms=inner.duration("fade_in", 5000),
        fade_out_ms=inner.duration("fade_out", 10000),
    )


def _sound_ref(value: object, builtins: sounds.Registry, context: Context, line: int,
               key: str) -> SoundRef:
    """A built-in name from `builtins`, or else a file relative to the script."""
    if isinstance(value, str) and value.strip() in builtins:
        return SoundRef(name=value.strip())
    if isinstance(value, str) and "." not in value and "/" not in value:
        names = ", ".join(builtins)
        raise context.error(line, f"`{key}`: no built-in {builtins.kind} called "
                                  f"{excerpt(value)}; the built-ins are {names}, or give an "
                                  "audio file")
    return SoundRef(path=context.named_file(value, line, key), place=context.place(line))


# --- steps ----------------------------------------------------------------------------

def _read_steps(value: object, context: Context, line: int, *, top_level: bool) -> tuple[Step, ...]:
    if value is None:
        raise context.error(line, "the script has no steps; add `steps:` with at least one "
                                  "line to say, like `- Find a comfortable position.`")
    if not isinstance(value, YamlList):
        raise context.error(line, f"`steps` must be a list (each step on a line starting "
                                  f"with `- `), not {describe(value)}")
    if not value and top_level:
        raise context.error(line, "`steps` is empty; add at least one step")
    steps: list[Step] = []
    section: Only | None = None         # a chapter with `only`, taking in the steps after it
    for index, item in enumerate(value):
        for step in _read_step(item, context, value.line_of(index)):
            if section is not None and (isinstance(step, (Chapter, At)) or _is_section(step)):
                steps.append(section)
                section = None
            if isinstance(step, Only) and _is_section(step):
                section = step
            elif section is not None:
                section = replace(section, steps=(*section.steps, step))
            else:
                steps.append(step)
    if section is not None:
        steps.append(section)
    return tuple(steps)


def _is_section(step: Step) -> bool:
    """`only` beside a chapter: it covers the chapter's steps, to the next chapter or `at`."""
    return isinstance(step, Only) and len(step.steps) == 1 and isinstance(step.steps[0], Chapter)


def _read_step(item: object, context: Context, line: int) -> tuple[Step, ...]:
    if isinstance(item, str):
        return (_say(item, context, line),)
    if isinstance(item, (int, float)) and not isinstance(item, bool):
        return (_say(str(item), context, line),)
    if isinstance(item, YamlMap) and "only" in item:
        return (_only(item, context, line),)
    if isinstance(item, YamlMap) and "sit" in item:
        return (_sit(item, context, line),)
    if not isinstance(item, YamlMap) or len(item) != 1:
        kinds = ", ".join(f"`{k}`" for k in STEP_KINDS)
        found = "nothing" if isinstance(item, YamlMap) and not item else describe(item)
        if isinstance(item, YamlMap) and len(item) > 1:
            found = "several keys (" + ", ".join(f"`{k}`" for k in item) + ")"
        raise context.error(line, f"a step is a line of text to say, or a mapping with exactly "
                                  f"one of {kinds}; this one has {found}")
    (kind, value), = item.items()
    reader = STEP_KINDS.get(kind)
    if reader is None:
        if isinstance(kind, str) and (" " in kind.strip() or kind[:1].isupper()):
            raise context.error(item.line_of(kind), _colon_in_text(kind, value))
        raise context.error(item.line_of(kind), unknown_key_message(str(kind), list(STEP_KINDS),
                                                                    "a step"))
    result = reader(value, context, item.line_of(kind))
    return result if isinstance(result, tuple) else (result,)


def _colon_in_text(before: str, after: object) -> str:
    """A line of speech with `: ` in it reads in YAML as a key and a value."""
    text = f"{before}: {after}" if isinstance(after, (str, int, float)) else f"{before}: ..."
    text = text if len(text) <= 60 else text[:40] + "..."           # quoted, so kept short
    return (f"this line has a colon followed by a space, so it reads as a key rather than "
            f"text to say; put the whole line in quotes, like `- \"{text}\"`, or write it "
            f"as `- say: |` with the text on the next line")


def _only(item: YamlMap, context: Context, line: int) -> Only:
    kinds = [key for key in item if key != "only"]
    if len(kinds) != 1 and set(kinds) != {"sit", "bells"}:
        raise context.error(line, "`only` goes beside one step (a line to say, a chapter or an "
                                  "include), like `- chapter: Body scan` with `only: [10m]` "
                                  "under it, lined up with `chapter`")
    lengths = _only_lengths(item["only"], context, item.line_of("only"))
    alone = YamlMap({kind: item[kind] for kind in kinds})
    alone.line, alone.key_lines = item.line, {kind: item.line_of(kind) for kind in kinds}
    steps = _read_step(alone, context, line)
    return Only(lengths, steps, context.place(item.line_of("only")))


def _only_lengths(value: object, context: Context, line: int) -> tuple[tuple[int, int | None], ...]:
    values = value if isinstance(value, list) else [value]
    ranges: list[tuple[int, int | None]] = []
    for item in values:
        if isinstance(item, str) and ".." in item:
            low_text, high_text = item.split("..", 1)
            low = read_duration(low_text, context.file, line, "only") if low_text.strip() else 0
            high = read_duration(high_text, context.file, line, "only") if high_text.strip() else None
            if high is not None and high < low:
                raise context.error(line, f"`only: {item}` has its end before its start; "
                                          "write SHORTEST..LONGEST, like `10m..`")
            ranges.append((low, high))
        else:
            ms = read_duration(item, context.file, line, "only")
            ranges.append((ms, ms))
    if not ranges:
        raise context.error(line, "`only` needs the lengths the step is heard in, like "
                                  "`only: [10m]` or `only: 10m..`")
    return tuple(ranges)


_INLINE_MARK = re.compile(r"\[([^\]]*)\]")
_PAUSE_MARK = re.compile(r"\s*pause\s+(.+?)\s*", re.IGNORECASE)
_PARAGRAPH = re.compile(r"\n[ \t]*\n\s*")
BREATH_MS = 5_000      # `[breath]`: one calm breath, in and out
SLOW_RATE = 0.8        # `[slow]...[/slow]`: this much of the step's rate
_EMPHASIS = {"emphasis", "em", "strong", "b", "i", "loud", "soft", "whisper", "stress", "pitch",
             "high", "low", "fast"}
MARKS_HELP = ("the marks are `[pause 3s]`, `[breath]`, and `[slow]` ... `[/slow]` around "
              "a slower passage")


def _say(value: object, context: Context, line: int) -> Say:
    voice = rate = None
    if isinstance(value, YamlMap):
        fields = Fields(value, context.file, "`say`")
        fields.reject_unknown(("text", "voice", "rate"))
        text = fields.text("text", required=True)
        voice = fields.text("voice")
        rate = fields.number("rate", 1.0, low=0.25, high=4.0) if fields.has("rate") else None
    elif isinstance(value, (str, int, float)) and not isinstance(value, bool):
        text = str(value)
    else:
        raise context.error(line, f"`say` takes text, or `{{text, voice, rate}}`, "
                                  f"not {describe(value)}")
    parts = _say_parts(text, context, line)
    if not any(isinstance(p, Words) for p in parts):
        raise context.error(line, "`say` has nothing to say; use `pause:` for silence")
    return Say(parts=parts, place=context.place(line), voice=voice, rate=rate)


def _say_parts(text: str, context: Context, line: int) -> tuple:
    parts: list = []
    slow = False
    for number, paragraph in enumerate(_PARAGRAPH.split(text.strip())):
        if number:
            parts.append(Gap(context.paragraph_pause_ms))
        position = 0
        for mark in _INLINE_MARK.finditer(paragraph):
            _add_words(parts, paragraph[position:mark.start()], slow)
            position = mark.end()
            name = " ".join(mark.group(1).lower().split())
            if name in ("slow", "/slow"):
                if slow == (name == "slow"):
                    raise context.error(line, "`[slow]` passages cannot nest; close one with "
                                        "`[/slow]` before the next" if slow else
                                        "`[/slow]` without a `[slow]` before it")
                slow = not slow
            elif name == "breath":
                parts.append(Gap(BREATH_MS))
            else:
                parts.append(Gap(_inline_pause(mark.group(1), context, line)))
        _add_words(parts, paragraph[position:], slow)
    if slow:
        raise context.error(line, "`[slow]` is never closed; end the slower passage with "
                                  "`[/slow]`")
    return tuple(parts)


def _add_words(parts: list, text: str, slow: bool) -> None:
    text = " ".join(text.split())
    if text:
        parts.append(Words(text, SLOW_RATE if slow else 1.0))


def _inline_pause(mark: str, context: Context, line: int) -> int:
    match = _PAUSE_MARK.fullmatch(mark)
    if match:
        return read_duration(match.group(1), context.file, line, "[pause]")
    word = mark.strip().lstrip("/").split(" ")[0].lower()
    if word in _EMPHASIS:
        raise context.error(line, f"`[{mark[:40]}]`: the voices cannot stress, raise or soften a "
                                  f"word on request, so there is no such mark; "
                                  f"{MARKS_HELP} (a slower passage or a pause before a word "
                                  f"is how to give it weight)")
    raise context.error(line, f"`[{mark[:40]}]` is not an inline mark; {MARKS_HELP}")


def _pause(value: object, context: Context, line: int, key: str = "pause") -> Pause:
    if isinstance(value, str) and ".." in value:
        low_text, high_text = value.split("..", 1)
        low = read_duration(low_text, context.file, line, key)
        high = read_duration(high_text, context.file, line, key) if high_text.strip() else None
        if low <= 0:
            raise context.error(line, f"a flexible {key} needs a minimum above 0, like "
                                      f"`{key}: 5s..30s`; {excerpt(value)} starts at 0")
        if high is not None and high < low:
            raise context.error(line, f"`{key}: {excerpt(value)}` has its maximum below its minimum; "
                                      "write MIN..MAX, like `20s..2m`")
        return Pause(low, high, context.place(line))
    ms = read_duration(value, context.file, line, key)
    return Pause(ms, ms, context.place(line))


def _sit(item: YamlMap, context: Context, line: int) -> Sit:
    """`- sit: 20m` (or `15m..25m`), with `bells:` beside it, lined up with `sit`."""
    for key in item:
        if key not in ("sit", "bells"):
            raise context.error(item.line_of(key), f"`{key}` cannot go beside `sit`; only `bells` "
                                                   f"(and `only`) can, like {BELLS_EXAMPLE}")
    length = _pause(item["sit"], context, item.line_of("sit"), "sit")
    if length.min_ms <= 0:
        raise context.error(item.line_of("sit"), "a sit lasts longer than 0, like `sit: 20m`")
    bells = (_sit_bells(item["bells"], context, item.line_of("bells"), length)
             if item.get("bells") is not None else None)
    return Sit(length, bells, context.place(item.line_of("sit")))


def _alone(key: str, value: object, line: int) -> YamlMap:
    mapping = YamlMap({key: value})
    mapping.line, mapping.key_lines = line, {key: line}
    return mapping


def _sit_bells(value: object, context: Context, line: int, length: Pause) -> SitBells:
    if not isinstance(value, YamlMap):
        raise context.error(line, f"`bells` takes a mapping, like {BELLS_EXAMPLE}")
    fields = Fields(value, context.file, "`bells`")
    fields.reject_unknown((*BELL_PATTERNS, "strikes", "gap", "sound", "volume", "seed"))
    chosen = [key for key in BELL_PATTERNS if fields.has(key)]
    if len(chosen) != 1:
        raise fields.error(None, f"`bells` needs one of `every`, `at` or `random`, like "
                                 f"{BELLS_EXAMPLE}")
    sound = (_sound_ref(value["sound"], sounds.BELLS, context, fields.line("sound"), "sound")
             if fields.has("sound") else context.default_bell)
    gap = fields.duration("gap", 5000)
    if gap <= 0:
        raise fields.error("gap", "a bell's `gap` must be longer than 0")
    pattern = _BELL_PATTERN_READERS[chosen[0]](value[chosen[0]], context, fields.line(chosen[0]), length)
    return SitBells(**pattern, seed=fields.positive_int("seed", 0, minimum=0),
                    strikes=fields.positive_int("strikes", 1, maximum=MAX_STRIKES), gap_ms=gap,
                    sound=sound, volume_db=fields.decibels("volume", 0.0), place=context.place(line))


def _every(value: object, context: Context, line: int, length: Pause) -> dict:
    ms = read_duration(value, context.file, line, "every")
    if ms <= 0:
        raise context.error(line, "`every` needs a period longer than 0, like `every: 3m`")
    return {"every_ms": ms}


def _timetable(value: object, context: Context, line: int, length: Pause) -> dict:
    values = value if isinstance(value, list) else [value]
    times = [read_duration(item, context.file, line, "at") for item in values]
    for ms in times:
        if not 0 < ms < length.min_ms:
            shortest = format_human(length.min_ms)
            raise context.error(line, f"the bell at {format_human(ms)} is not inside the sit, which "
                                      f"{'can be as short as' if length.flexible else 'lasts'} "
                                      f"{shortest}; bells ring after its start and before its end")
    if len(set(times)) != len(times):
        raise context.error(line, "`at` lists the same time twice; for two strikes, write "
                                  "`strikes: 2` beside it")
    return {"at_ms": tuple(sorted(times))}


def _random(value: object, context: Context, line: int, length: Pause) -> dict:
    if not isinstance(value, list) or len(value) != 2:
        raise context.error(line, "`random` takes the shortest and longest gap between bells, "
                                  "like `random: [3m, 7m]`")
    low, high = (read_duration(item, context.file, line, "random") for item in value)
    if not 0 < low <= high:
        raise context.error(line, "`random` takes the shortest gap (above 0), then the longest, "
                                  "like `random: [3m, 7m]`")
    return {"random_ms": (low, high)}


_BELL_PATTERN_READERS: dict[str, Callable[[object, Context, int, Pause], dict]] = {
    "every": _every, "at": _timetable, "random": _random,
}


def _bell(value: object, context: Context, line: int) -> Bell:
    sound, strikes, gap, volume = context.default_bell, 1, 5000, 0.0
    if isinstance(value, bool):
        raise context.error(line, "`bell` takes a number of strikes, a sound, or "
                                  "`{sound, strikes, gap, volume}`")
    if isinstance(value, int):
        strikes = value
    elif isinstance(value, str):
        sound = _sound_ref(value, sounds.BELLS, context, line, "bell")
    elif isinstance(value, YamlMap):
        fields = Fields(value, context.file, "`bell`")
        fields.reject_unknown(("sound", "strikes", "gap", "volume"))
        if fields.has("sound"):
            sound = _sound_ref(value["sound"], sounds.BELLS, context, fields.line("sound"),
                               "sound")
        strikes = fields.positive_int("strikes", 1, maximum=MAX_STRIKES)
        gap = fields.duration("gap", 5000)
        volume = fields.decibels("volume", 0.0)
    else:
        raise context.error(line, f"`bell` takes a number of strikes, a sound, or "
                                  f"`{{sound, strikes, gap, volume}}`, not {describe(value)}")
    if not 1 <= strikes <= MAX_STRIKES:
        raise context.error(line, f"`bell` strikes from 1 to {MAX_STRIKES} times, not "
                                  f"{excerpt(strikes)}; for a long sequence of bells, use "
                                  "several `bell` steps with pauses between")
    if gap <= 0:
        raise context.error(line, "a bell's `gap` must be longer than 0")
    return Bell(sound, strikes, gap, volume, context.place(line))


def _breathe(value: object, context: Context, line: int) -> Breathe:
    if not isinstance(value, YamlMap):
        raise context.error(line, "`breathe` takes a mapping, like "
                                  "`breathe: {in: 4s, out: 6s, cycles: 5}`")
    fields = Fields(value, context.file, "`breathe`")
    fields.reject_unknown(("in", "out", "hold", "rest", "cycles", "cues", "words"))
    for key in ("in", "out"):
        if not fields.has(key):
            raise fields.error(None, f"`breathe` needs `{key}:`, like "
                                     "`breathe: {in: 4s, out: 6s, cycles: 5}`")
    in_ms, out_ms = fields.duration("in", 0), fields.duration("out", 0)
    if in_ms <= 0 or out_ms <= 0:
        raise fields.error(None, "`in` and `out` of `breathe` must be longer than 0")
    cycles = fields.positive_int("cycles", 3, maximum=MAX_CYCLES)
    cues = fields.positive_int("cues", cycles, minimum=0)
    if cues > cycles:
        raise fields.error("cues", f"`cues: {cues}` is more than the {cycles} cycles; "
                                   f"cues counts the cycles that are spoken")
    return Breathe(in_ms=in_ms, out_ms=out_ms, hold_ms=fields.duration("hold", 0),
                   rest_ms=fields.duration("rest", 0), cycles=cycles, cues=cues,
                   place=context.place(line), words=breath_words(fields, "words"))


def breath_words(fields: Fields, key: str) -> tuple[tuple[str, str], ...]:
    """`words: {in: Inhala, out: Exhala, hold: Sostén}`: the breathing cues' own words."""
    if not fields.has(key):
        return ()
    value = fields.raw(key)
    if not isinstance(value, YamlMap):
        raise fields.error(key, f"`{key}` gives the words of the breathing cues, like "
                                f"`{key}: {{in: Inhala, out: Exhala, hold: Sostén}}`")
    inner = Fields(value, fields.file, f"`{key}`")
    inner.reject_unknown(BREATH_PHASES)
    words = []
    for phase in BREATH_PHASES:
        text = inner.text(phase, max_len=MAX_TITLE)
        if text == "":
            raise inner.error(phase, f"`{phase}` is empty; write the words of the cue (for no "
                                     "spoken cues, write `cues: 0` in the breathe step)")
        if text is not None:
            words.append((phase, text))
    return tuple(words)


def _chapter(value: object, context: Context, line: int) -> Chapter:
    if isinstance(value, (dict, list, bool)) or value is None or not str(value).strip():
        raise context.error(line, "`chapter` takes a title, like `chapter: Arriving`")
    title = str(value).strip()
    if len(title) > MAX_TITLE:
        raise context.error(line, f"a chapter title is at most {MAX_TITLE} characters")
    return Chapter(title, context.place(line))


def _at(value: object, context: Context, line: int) -> At:
    ms = read_duration(value, context.file, line, "at", allow_negative=True)
    from_end = ms < 0 or (isinstance(value, str) and value.strip().startswith("-"))
    return At(abs(ms), from_end, context.place(line))


def _sound(value: object, context: Context, line: int) -> SoundStep:
    if isinstance(value, YamlMap):
        fields = Fields(value, context.file, "`sound`")
        fields.reject_unknown(("file", "volume", "wait"))
        if not fields.has("file"):
            raise fields.error(None, "`sound` needs `file:`, the path of an audio file")
        return SoundStep(context.named_file(value["file"], fields.line("file"), "file"),
                         fields.decibels("volume", 0.0), fields.boolean("wait", True),
                         context.place(line))
    return SoundStep(context.named_file(value, line, "sound"), 0.0, True, context.place(line))


def _include(value: object, context: Context, line: int) -> tuple[Step, ...]:
    target = context.named_file(value, line, "include")
    if len(context.including) > MAX_INCLUDE_DEPTH:
        raise context.error(line, f"`include` nests more than {MAX_INCLUDE_DEPTH} files deep; "
                                  "include the parts from one file instead of a chain")
    if target in context.including:
        chain = " -> ".join(p.name for p in (*context.including, target))
        raise context.error(line, f"`include` makes a cycle ({chain}); "
                                  "a file cannot include itself, directly or through others")
    data = read_yaml(target)
    inner = replace(context, file=target, including=(*context.including, target))
    if isinstance(data, YamlMap):
        if "steps" not in data:
            raise InputError("an included file must hold `steps:` (or be a list of steps)",
                             target, data.line)
        return _read_steps(data["steps"], inner, data.line_of("steps"), top_level=False)
    return _read_steps(data, inner, 1, top_level=False)


StepReader = Callable[[object, Context, int], "Step | tuple[Step, ...]"]

STEP_KINDS: dict[str, StepReader] = {
    "say": _say,
    "pause": _pause,
    "bell": _bell,
    "breathe": _breathe,
    "chapter": _chapter,
    "at": _at,
    "sound": _sound,
    "include": _include,
    "sit": lambda value, context, line: _sit(_alone("sit", value, line), context, line),
}
