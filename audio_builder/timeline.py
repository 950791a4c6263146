"""The planner: a pure function from a script and the length of each piece to a timeline.

`plan_timeline` places every step, fits `length` by sharing the slack among the flexible
pauses (between `at` anchors), and lists the chapters and caption cues. It does no I/O: the
lengths of spoken pieces and sound files come in through `Measures`.
"""

from __future__ import annotations

import hashlib
import math
import random
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path

from audio_builder.durations import MAX_MS, format_human, format_ms
from audio_builder.errors import InputError
from audio_builder.languages import language, split_sentences
from audio_builder.model import (
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
    Utterance,
    steps_at,
)
from audio_builder.text import split_pieces

BREATH_PHASES = ("in", "hold", "out")       # the phases a breathing cue is spoken in
BELL_LEAD_IN_MS = 500          # silence before a bell that would otherwise strike at 0:00
# A teacher lets a long sentence land and moves on from a short one ("A walk."): the pause
# after a sentence follows the time it took to say. A voice's `sentence_pause` is the pause
# after a sentence of 3.5 s; a sentence half as long gets half, within 0.4 and 4/3 of it.
SENTENCE_PAUSE_REFERENCE_MS = 3_500
SENTENCE_PAUSE_SCALE = (0.4, 4 / 3)
MAX_SIT_BELLS = 1000           # more bells in one sit is a mistake (`every: 1s`), not a practice


@dataclass(frozen=True)
class Measures:
    """What the planner needs to know from outside: how long things are."""

    speech_ms: Callable[[Utterance, Place], int]
    sound_ms: Callable[[Path, Place], int]
    sentence_pause_ms: Callable[[str, Place], int]
    bell_ms: Callable[[SoundRef, Place], int]          # from the strike until it has died away
    step_pause_ms: Callable[[str, Place], int] = lambda voice, place: 0
    phrase_pause_ms: Callable[[str, Place], int] = lambda voice, place: 0
    breath_words: Callable[[str, Place], dict[str, str]] = lambda voice, place: {}


# --- the timeline ---------------------------------------------------------------------

@dataclass(frozen=True)
class PlacedSpeech:
    start_ms: int
    ms: int
    utterance: Utterance
    place: Place

    @property
    def end_ms(self) -> int:
        return self.start_ms + self.ms


@dataclass(frozen=True)
class PlacedBell:
    start_ms: int
    sound: SoundRef
    volume_db: float


@dataclass(frozen=True)
class PlacedSound:
    start_ms: int
    file: Path
    volume_db: float


@dataclass(frozen=True)
class ChapterStart:
    start_ms: int
    title: str


@dataclass(frozen=True)
class CueRow:
    """A line of the cue sheet."""

    start_ms: int
    ms: int
    step: str
    text: str


@dataclass(frozen=True)
class FlexSpan:
    """Where a flexible pause or sit was placed, and how short it could have been: a live
    session that falls behind may cut it down to `min_ms` (see `play --end-at`)."""

    start_ms: int
    ms: int
    min_ms: int

    @property
    def end_ms(self) -> int:
        return self.start_ms + self.ms


@dataclass(frozen=True)
class Silence:
    """An unbroken stretch of flexible pauses that ends at an `at` anchor, and the longest
    range any flexible pause of the script asks for (its maximum, or its minimum when open)."""

    start_ms: int
    ms: int
    anchor: At
    longest_asked_ms: int


@dataclass(frozen=True, kw_only=True)
class Timeline:
    length_ms: int
    speech: tuple[PlacedSpeech, ...]
    bells: tuple[PlacedBell, ...]
    sounds: tuple[PlacedSound, ...]
    chapters: tuple[ChapterStart, ...]
    rows: tuple[CueRow, ...]
    background: Background | None = None
    flexible: tuple[FlexSpan, ...] = ()
    silences: tuple[Silence, ...] = ()         # unbroken silences before `at` anchors



# --- items: steps turned into blocks of known length ----------------------------------

Event = PlacedSpeech | PlacedBell | PlacedSound | ChapterStart | CueRow


@dataclass(frozen=True)
class Block:
    """A stretch of fixed length with events at offsets from its start."""

    ms: int
    events: tuple[Event, ...] = ()


@dataclass(frozen=True)
class Flex:
    pause: Pause
    sit: Sit | None = None           # a flexible sit: its bells are placed once its length is known


@dataclass(frozen=True)
class Anchor:
    at: At


Item = Block | Flex | Anchor


def pause_after_sentence(spoken_ms: int, sentence_pause_ms: int) -> int:
    """The silence after a sentence that took `spoken_ms` to say, before the next sentence
    of the same paragraph.

    >>> [pause_after_sentence(ms, 1500) for ms in (700, 1750, 3500, 7000)]
    [600, 750, 1500, 2000]
    """
    low, high = SENTENCE_PAUSE_SCALE
    return round(sentence_pause_ms * min(high, max(low, spoken_ms / SENTENCE_PAUSE_REFERENCE_MS)))


def _say_block(step: Say, script: Script, measures: Measures) -> Block:
    voice = step.voice or script.voice
    rate = step.rate or 1.0
    sentence_pause = measures.sentence_pause_ms(voice, step.place)
    events: list[Event] = []
    clock = 0
    previous_ms: int | None = None          # the sentence just spoken, if nothing came between
    for part in step.parts:
        if isinstance(part, Gap):
            clock += part.ms
            previous_ms = None
            continue
        for sentence in split_sentences(part.text, script.language):
            if previous_ms is not None:
                clock += pause_after_sentence(previous_ms, sentence_pause)
            # A very long sentence is spoken in several pieces (each one clip and one cue),
            # apart by the pause its cut would have inside one piece.
            started, pause = clock, 0
            for piece in split_pieces(sentence):
                clock += pause
                utterance = Utterance(piece.text, voice, rate * part.rate, script.language)
                ms = measures.speech_ms(utterance, step.place)
                events.append(PlacedSpeech(clock, ms, utterance, step.place))
                events.append(CueRow(clock, ms, "say", piece.text))
                clock += ms
                pause = piece.pause_after(measures.phrase_pause_ms(voice, step.place))
            previous_ms = clock - started
    return Block(clock, tuple(events))


def _pause_item(step: Pause, script: Script, measures: Measures) -> Item:
    if step.flexible:
        return Flex(step)
    return Block(step.min_ms, (CueRow(0, step.min_ms, "pause", format_human(step.min_ms)),))


def _bell_block(step: Bell, script: Script, measures: Measures) -> Block:
    volume = script.bell_volume_db + step.volume_db
    events: list[Event] = [PlacedBell(k * step.gap_ms, step.sound, volume)
                           for k in range(step.strikes)]
    label = f"{step.sound.label} × {step.strikes}" if step.strikes > 1 else step.sound.label
    events.append(CueRow(0, step.strikes * step.gap_ms, "bell", label))
    return Block(step.strikes * step.gap_ms, tuple(events))


def _breathe_block(step: Breathe, script: Script, measures: Measures) -> Block:
    phases = [("in", step.in_ms), ("hold", step.hold_ms), ("out", step.out_ms),
              ("rest", step.rest_ms)]
    words = breath_words(step, script, measures)
    events: list[Event] = []
    clock = 0
    for cycle in range(step.cycles):
        for phase, ms in phases:
            if ms and cycle < step.cues and phase in BREATH_PHASES:
                utterance = Utterance(words[phase], script.voice, 1.0, script.language)
                cue_ms = measures.speech_ms(utterance, step.place)
                if cue_ms > ms:
                    raise InputError(
                        f"the cue \"{utterance.text}\" takes {format_human(cue_ms)}, longer "
                        f"than `{phase}: {format_human(ms)}`; make `{phase}` longer or set "
                        f"`cues: 0`", step.place.file, step.place.line)
                events.append(PlacedSpeech(clock, cue_ms, utterance, step.place))
            clock += ms
    parts = ", ".join(f"{format_human(ms)} {phase}" for phase, ms in phases if ms)
    events.append(CueRow(0, clock, "breathe", f"{step.cycles} × ({parts})"))
    return Block(clock, tuple(events))


def breath_words(step: Breathe, script: Script, measures: Measures) -> dict[str, str]:
    """The words of a breathing cue by phase: the step's own, else its voice profile's, else
    the practice's language's (`languages`)."""
    return {**language(script.language).breath_words,
            **measures.breath_words(script.voice, step.place), **dict(step.words)}


def _chapter_block(step: Chapter, script: Script, measures: Measures) -> Block:
    return Block(0, (ChapterStart(0, step.title), CueRow(0, 0, "chapter", step.title)))


def _sound_block(step: SoundStep, script: Script, measures: Measures) -> Block:
    ms = measures.sound_ms(step.file, step.place)
    events = (PlacedSound(0, step.file, step.volume_db),
              CueRow(0, ms, "sound", step.file.name + ("" if step.wait else " (no wait)")))
    return Block(ms if step.wait else 0, events)


def _sit_item(step: Sit, script: Script, measures: Measures) -> Item:
    if step.pause.flexible:
        return Flex(step.pause, step)
    return Block(step.pause.min_ms, tuple(sit_events(step, step.pause.min_ms, script)))


def sit_events(sit: Sit, length_ms: int, script: Script) -> list[Event]:
    """A sit of `length_ms`: its cue row, and its bells (each with its row, so `plan` lists
    every strike's time)."""
    bounds = ""
    if sit.pause.flexible:
        longest = format_human(sit.pause.max_ms) if sit.pause.max_ms else ""
        bounds = f" ({format_human(sit.pause.min_ms)}..{longest})"
    bells = sit.bells
    events: list[Event] = [CueRow(0, length_ms, "sit", format_human(length_ms) + bounds
                                  + (f", {_describe_bells(bells)}" if bells else ""))]
    if bells is None:
        return events
    volume = script.bell_volume_db + bells.volume_db
    label = f"{bells.sound.label} × {bells.strikes}" if bells.strikes > 1 else bells.sound.label
    for at in sit_bell_times(bells, length_ms, script.slug):
        events += [PlacedBell(at + k * bells.gap_ms, bells.sound, volume) for k in range(bells.strikes)]
        events.append(CueRow(at, (bells.strikes - 1) * bells.gap_ms, "bell", label))
    return events


def _describe_bells(bells: SitBells) -> str:
    if bells.every_ms is not None:
        return f"a bell every {format_human(bells.every_ms)}"
    if bells.random_ms is not None:
        low, high = bells.random_ms
        return f"bells at random, {format_human(low)} to {format_human(high)} apart"
    return "bells at " + ", ".join(format_human(ms) for ms in bells.at_ms)


def sit_bell_times(bells: SitBells, length_ms: int, slug: str) -> list[int]:
    """When a sit's bells ring, from its start; never at its start or its end.

    `every`: each period after the start, before the end. `at`: as written. `random`: gaps
    drawn between the shortest and longest, the first from the start, and none closer to the
    end than the shortest gap; the draw is seeded by the script's name, the sit's file and
    line and its `seed`, so every build of the script rings the same bells.

    >>> from audio_builder.model import Place, SoundRef
    >>> every = SitBells(every_ms=180_000, sound=SoundRef(name="bowl"), place=Place("a.yaml", 3))
    >>> sit_bell_times(every, 720_000, "a")
    [180000, 360000, 540000]
    """
    if bells.every_ms is not None:
        count = (length_ms - 1) // bells.every_ms
        _check_bell_count(count, bells)
        return [k * bells.every_ms for k in range(1, count + 1)]
    if bells.random_ms is None:
        return [ms for ms in bells.at_ms if ms < length_ms]
    low, high = bells.random_ms
    _check_bell_count(length_ms // low, bells)
    place = bells.place
    seed = hashlib.sha256(f"{slug}\0{Path(place.file).name}\0{place.line}\0{bells.seed}".encode())
    draw = random.Random(int.from_bytes(seed.digest()[:8], "big"))
    times: list[int] = []
    at = draw.randint(low, high)
    while at <= length_ms - low:
        times.append(at)
        at += draw.randint(low, high)
    return times


def _check_bell_count(count: int, bells: SitBells) -> None:
    if count > MAX_SIT_BELLS:
        raise InputError(f"this sit would ring {count} bells, more than the {MAX_SIT_BELLS} a sit "
                         f"may hold; make the bells further apart", bells.place.file, bells.place.line)


def _at_item(step: At, script: Script, measures: Measures) -> Item:
    return Anchor(step)


ITEM_BUILDERS: dict[type, Callable[..., Item]] = {
    Say: _say_block, Pause: _pause_item, Bell: _bell_block, Breathe: _breathe_block,
    Chapter: _chapter_block, SoundStep: _sound_block, At: _at_item, Sit: _sit_item,
}


def build_items(script: Script, measures: Measures) -> list[Item]:
    items = [ITEM_BUILDERS[type(step)](step, script, measures) for step in script.steps]
    ringing = _ring_out_last_bell(items, script.steps, measures)
    return _lead_in_first_bell(_with_step_pauses(script, ringing, measures))


def _with_step_pauses(script: Script, items: list[Item], measures: Measures) -> list[Item]:
    """Put the step pause between a step that ends in speech and the next that starts with
    it, when nothing but a chapter mark stands between them (a `pause: 0s` joins them)."""
    result: list[Item] = []
    speaking: PlacedSpeech | None = None    # the speech the item before ended with
    for step, item in zip(script.steps, items, strict=True):
        if isinstance(step, Chapter):
            result.append(item)
            continue
        if speaking is not None and isinstance(item, Block) and _starts_speaking(item):
            ms = (script.step_pause_ms if script.step_pause_ms is not None
                  else measures.step_pause_ms(speaking.utterance.voice, speaking.place))
            if ms:
                result.append(Block(ms))
        result.append(item)
        speaking = _ends_speaking(item) if isinstance(item, Block) else None
    return result


def _speech(block: Block) -> list[PlacedSpeech]:
    return [event for event in block.events if isinstance(event, PlacedSpeech)]


def _starts_speaking(block: Block) -> bool:
    return any(speech.start_ms == 0 for speech in _speech(block))


def _ends_speaking(block: Block) -> PlacedSpeech | None:
    return next((speech for speech in _speech(block) if speech.end_ms >= block.ms), None)



def _sounding(item: Item) -> bool:
    return isinstance(item, Block) and any(
        isinstance(event, (PlacedSpeech, PlacedBell, PlacedSound)) for event in item.events)


def _lead_in_first_bell(items: list[Item]) -> list[Item]:
    """A bell that would strike at 0:00 gets a moment of silence first, so that no player
    clips its strike."""
    for index, item in enumerate(items):
        if isinstance(item, Block) and _sounding(item):
            first = item.events[0]
            if isinstance(first, PlacedBell) and first.start_ms == 0:
                return [*items[:index], Block(BELL_LEAD_IN_MS), *items[index:]]
            return items
        if isinstance(item, (Anchor, Flex)) or item.ms:
            return items
    return items


def _ring_out_last_bell(items: list[Item], steps: Sequence[Step], measures: Measures) -> list[Item]:
    """When only silence follows the last bell, the track lasts until its ring has died away:
    its block grows by what the silence after it cannot cover."""
    for index in range(len(items) - 1, -1, -1):
        item, step = items[index], steps[index]
        if isinstance(item, Anchor):
            return items
        if not _sounding(item):
            continue
        if not isinstance(step, Bell) or not isinstance(item, Block):
            return items
        last_strike = max(e.start_ms for e in item.events if isinstance(e, PlacedBell))
        after = sum(i.ms if isinstance(i, Block) else i.pause.min_ms
                    for i in items[index + 1:] if not isinstance(i, Anchor))
        rings_until = last_strike + measures.bell_ms(step.sound, step.place)
        if rings_until > item.ms + after:
            items = [*items[:index], replace(item, ms=rings_until - after), *items[index + 1:]]
        return items
    return items


def spoken_pieces(script: Script, length_ms: int | None = None) -> list[tuple[Utterance, Place]]:
    """Every piece of speech the script needs, in order, without knowing any lengths; with
    `length_ms`, only those a track of that length speaks (its `only:` steps)."""
    found: list[tuple[Utterance, Place]] = []

    def note(utterance: Utterance, place: Place) -> int:
        found.append((utterance, place))
        return 0

    every_step = replace(script, steps=steps_at(script.steps, length_ms))
    build_items(every_step, Measures(speech_ms=note, sound_ms=lambda path, place: 0,
                                     sentence_pause_ms=lambda voice, place: 0,
                                     bell_ms=lambda sound, place: 0))
    return found


# --- segments and fitting -------------------------------------------------------------

@dataclass(frozen=True)
class Linear:
    """A time that may depend on the track length L: `base + per_length * L`."""

    base: int
    per_length: int = 0

    def at(self, length: int | None) -> int:
        return self.base + self.per_length * (length or 0)


@dataclass
class Segment:
    start: Linear
    end: Linear | None          # None: the track ends when the steps end
    end_anchor: At | None
    items: list[Block | Flex] = field(default_factory=list)  # anchors end segments

    @property
    def fixed_ms(self) -> int:
        return sum(item.ms for item in self.items if isinstance(item, Block))

    @property
    def pauses(self) -> list[Pause]:
        return [item.pause for item in self.items if isinstance(item, Flex)]

    @property
    def shortest_ms(self) -> int:
        return self.fixed_ms + sum(p.min_ms for p in self.pauses)

    @property
    def longest_ms(self) -> float:
        return self.fixed_ms + sum(math.inf if p.max_ms is None else p.max_ms for p in self.pauses)


def anchor_time(at: At) -> Linear:
    return Linear(-at.ms, 1) if at.from_end else Linear(at.ms)


def split_segments(items: list[Item], has_length: bool) -> list[Segment]:
    segments = [Segment(Linear(0), None, None)]
    for item in items:
        if isinstance(item, Anchor):
            if item.at.from_end and not has_length:
                raise InputError(f"`at: -{format_human(item.at.ms)}` counts from the end, so the "
                                 "script needs a `length:` (or build with --length)",
                                 item.at.place.file, item.at.place.line)
            time = anchor_time(item.at)
            segments[-1].end, segments[-1].end_anchor = time, item.at
            segments.append(Segment(time, None, None))
        else:
            segments[-1].items.append(item)
    if has_length:
        segments[-1].end = Linear(0, 1)
    return segments


def reachable_lengths(segments: list[Segment]) -> tuple[int, float]:
    """The shortest and longest `length` for which every segment fits."""
    low, high = 0.0, math.inf
    for index, segment in enumerate(segments):
        last = index == len(segments) - 1
        assert segment.end is not None, "with a length, every segment has an end"
        base = segment.end.base - segment.start.base
        per_length = segment.end.per_length - segment.start.per_length
        bounds = [(segment.shortest_ms, "min")] + ([(segment.longest_ms, "max")] if last else [])
        for bound, kind in bounds:
            if per_length == 0:
                continue
            limit = bound - base  # per_length is 1 or -1
            if (kind == "min") == (per_length > 0):
                low = max(low, limit * per_length)
            else:
                high = min(high, limit * per_length)
    return int(low), high


LengthRange = tuple[int, float]          # shortest and longest, in ms; math.inf: no longest


def length_ranges(script: Script, measures: Measures) -> list[LengthRange]:
    """Every length the script can be built at, as ranges. With `only`, each stretch of
    lengths that hears the same steps is planned on its own; both ends of every range are
    checked by planning at them."""
    edges = sorted({0} | {edge for low, high in _only_ranges(script.steps)
                          for edge in (low, None if high is None else high + 1) if edge is not None})
    found: list[LengthRange] = []
    for index, start in enumerate(edges):
        end = edges[index + 1] - 1 if index + 1 < len(edges) else math.inf
        steps = steps_at(script.steps, start)
        segments = split_segments(build_items(replace(script, steps=steps), measures), has_length=True)
        low, high = reachable_lengths(segments)
        low, high = max(low, start), min(high, end, MAX_MS)      # no track lasts longer
        if low <= high and _fits(segments, low) and (high == math.inf or _fits(segments, int(high))):
            if found and found[-1][1] + 1 >= low:
                found[-1] = (found[-1][0], high)
            else:
                found.append((low, high))
    return found


def _only_ranges(steps: tuple[Step, ...]) -> list[tuple[int, int | None]]:
    ranges: list[tuple[int, int | None]] = []
    for step in steps:
        if isinstance(step, Only):
            ranges += [*step.lengths, *_only_ranges(step.steps)]
    return ranges


def _fits(segments: list[Segment], length_ms: int) -> bool:
    try:
        _check_fit(segments, length_ms)
    except InputError:
        return False
    return True


def describe_ranges(ranges: list[LengthRange]) -> str:
    """`from 4:12 to 23:40`: whole seconds where they fit inside a range, else exact."""
    if not ranges:
        return "no length at all"
    return ", or ".join(_describe_range(low, high) for low, high in ranges)


def _describe_range(low: int, high: float) -> str:
    first = -(-low // 1000) * 1000
    if high == math.inf:            # no script asks past MAX_MS: `length:` stops there
        return f"from {format_ms(first, precise=False)} to {format_ms(MAX_MS, precise=False)}"
    last = int(high) // 1000 * 1000
    if first < last:
        return f"from {format_ms(first, precise=False)} to {format_ms(last, precise=False)}"
    if first == last:
        return f"exactly {format_ms(first, precise=False)}"
    if low == high:
        return f"exactly {format_ms(low)}"
    return f"from {format_ms(low)} to {format_ms(int(high))}"


def share_slack(pauses: list[Pause], extra_ms: int) -> list[int]:
    """Grow flexible pauses from their minimums by one common factor, each capped at its
    maximum, what a capped one cannot take passing to the others. Whole milliseconds."""
    if not pauses:
        return []
    target = sum(p.min_ms for p in pauses) + extra_ms
    ceiling = [math.inf if p.max_ms is None else float(p.max_ms) for p in pauses]
    capped: set[int] = set()
    while True:
        free = [i for i in range(len(pauses)) if i not in capped]
        room = target - sum(ceiling[i] for i in capped)
        factor = room / sum(pauses[i].min_ms for i in free) if free else 1.0
        newly = {i for i in free if pauses[i].min_ms * factor >= ceiling[i]}
        if not newly:
            break
        capped |= newly
    exact = [ceiling[i] if i in capped else p.min_ms * factor for i, p in enumerate(pauses)]
    whole = [math.floor(x) for x in exact]
    leftover = target - sum(whole)
    by_fraction = sorted(range(len(pauses)), key=lambda i: (whole[i] - exact[i], i))
    for i in by_fraction[:max(0, leftover)]:
        whole[i] += 1
    return whole


def plan_timeline(script: Script, measures: Measures, length_ms: int | None = None) -> Timeline:
    """Place every step of `script`; with `length_ms`, fit the track to it exactly."""
    items = build_items(replace(script, steps=steps_at(script.steps, length_ms)), measures)
    segments = split_segments(items, has_length=length_ms is not None)
    try:
        _check_fit(segments, length_ms)
    except LengthError as error:
        raise error.reaching(length_ranges(script, measures)) from None

    placed: list[Event] = []
    flexible: list[FlexSpan] = []
    silences: list[Silence] = []
    longest_asked = max((item.pause.max_ms or item.pause.min_ms for segment in segments
                         for item in segment.items if isinstance(item, Flex) and item.sit is None),
                        default=0)
    clock = 0
    for segment in segments:
        quiet_since: int | None = None
        start = segment.start.at(length_ms)
        clock = max(clock, start)
        pauses = segment.pauses
        if segment.end is not None:
            extra = segment.end.at(length_ms) - start - segment.shortest_ms
            extra = int(min(extra, segment.longest_ms - segment.shortest_ms))
        else:
            extra = 0
        fitted = iter(share_slack(pauses, extra))
        for item in segment.items:
            if isinstance(item, Block):
                placed.extend(_shift(event, clock) for event in item.events)
                clock += item.ms
                quiet_since = None if item.ms else quiet_since
            elif item.sit is not None:
                quiet_since = None
                ms = next(fitted)
                flexible.append(FlexSpan(clock, ms, item.pause.min_ms))
                placed.extend(_shift(event, clock) for event in sit_events(item.sit, ms, script))
                clock += ms
            else:
                ms = next(fitted)
                flexible.append(FlexSpan(clock, ms, item.pause.min_ms))
                longest = format_human(item.pause.max_ms) if item.pause.max_ms else ""
                bounds = f"{format_human(item.pause.min_ms)}..{longest}"
                placed.append(CueRow(clock, ms, "pause", f"{format_human(ms)} ({bounds})"))
                quiet_since = clock if quiet_since is None else quiet_since
                clock += ms
        if segment.end_anchor is not None:
            anchor_at = anchor_time(segment.end_anchor).at(length_ms)
            since = clock if quiet_since is None else quiet_since
            if anchor_at > since:
                silences.append(Silence(since, anchor_at - since, segment.end_anchor, longest_asked))
            if anchor_at > clock:
                placed.append(CueRow(clock, anchor_at - clock, "pause",
                                     f"{format_human(anchor_at - clock)} (before the `at`)"))
            clock = anchor_at
            label = ("-" if segment.end_anchor.from_end else "") + format_human(segment.end_anchor.ms)
            placed.append(CueRow(clock, 0, "at", label))
    total = length_ms if length_ms is not None else clock
    if total > MAX_MS:
        raise InputError(f"the steps run to {format_ms(total, precise=False)}, longer than the "
                         f"{MAX_MS // 3_600_000} hours a track may last; shorten them, or make several "
                         "practices", script.path, script.line_of("steps") or 1)
    return Timeline(
        length_ms=total,
        speech=tuple(e for e in placed if isinstance(e, PlacedSpeech)),
        bells=tuple(e for e in placed if isinstance(e, PlacedBell)),
        sounds=tuple(e for e in placed if isinstance(e, PlacedSound)),
        chapters=tuple(e for e in placed if isinstance(e, ChapterStart)),
        rows=tuple(e for e in placed if isinstance(e, CueRow)),
        background=script.background,
        flexible=tuple(flexible),
        silences=tuple(silences),
    )


# A silence before an anchor counts as piled up when it is this many times the longest pause
# the script asks for, and at least a minute: a listener wonders whether the track has stopped.
PILED_UP_TIMES = 2
PILED_UP_AT_LEAST_MS = 60_000


def piled_up_silences(timeline: Timeline) -> list[str]:
    """Warnings for silences before `at` anchors far longer than any pause the script asks for
    (flexible pauses grown to reach the anchor), each located at its anchor."""
    warnings = []
    for silence in timeline.silences:
        if silence.ms > max(PILED_UP_TIMES * silence.longest_asked_ms, PILED_UP_AT_LEAST_MS):
            at = silence.anchor
            label = ("-" if at.from_end else "") + format_human(at.ms)
            warnings.append(
                f"{at.place.file}:{at.place.line}: {format_ms(silence.ms, precise=False)} of unbroken "
                f"silence (from {format_ms(silence.start_ms, precise=False)}) before `at: {label}` "
                f"in the {format_ms(timeline.length_ms, precise=False)} track, far longer than the "
                f"longest pause the script asks for ({format_human(silence.longest_asked_ms)}); "
                "add steps before the anchor, move it, or give the pauses before it a longest "
                "length (like `pause: 10s..40s`)")
    return warnings


def _shift(event: Event, offset: int) -> Event:
    return replace(event, start_ms=event.start_ms + offset)


def _check_fit(segments: list[Segment], length_ms: int | None) -> None:
    clock = 0
    for index, segment in enumerate(segments):
        start = max(clock, segment.start.at(length_ms))
        earliest_end = start + segment.shortest_ms
        last = index == len(segments) - 1
        if segment.end_anchor is not None:
            anchor_at = anchor_time(segment.end_anchor).at(length_ms)
            if anchor_at < earliest_end:
                at = segment.end_anchor
                written = ("-" if at.from_end else "") + format_human(at.ms)
                if at.from_end and length_ms is not None:      # the length is what is short
                    raise LengthError(length_ms, "too short", f"the steps before `at: {written}` (line "
                                      f"{at.place.line}) run to {format_ms(earliest_end)} even with every "
                                      f"flexible pause at its minimum")
                where = (f"{format_ms(anchor_at)} from the start" if at.from_end else "")
                raise InputError(
                    f"`at: {written}`{' (' + where + ')' if where else ''} has already passed: "
                    f"the steps before it run to {format_ms(earliest_end)} even with every "
                    f"flexible pause at its minimum; move the `at` later or shorten what "
                    f"comes before it", at.place.file, at.place.line)
            clock = anchor_at
        elif last and length_ms is not None:
            latest_end = start + segment.longest_ms
            if not earliest_end <= length_ms <= latest_end:
                raise _length_error(segments, segment, length_ms, earliest_end)
        else:
            clock = earliest_end


def _length_error(segments: list[Segment], last: Segment, length_ms: int,
                  earliest_end: int) -> InputError:
    if last.start.per_length == 1:
        anchor = segments[-2].end_anchor
        assert anchor is not None, "a segment that starts from the end follows an `at: -...`"
        available = -last.start.base
        if last.longest_ms == last.shortest_ms:
            need = f"exactly {format_human(last.shortest_ms)}"
        else:
            need = f"at least {format_human(last.shortest_ms)}" + (
                "" if last.longest_ms == math.inf else f" and at most {format_human(int(last.longest_ms))}")
        if last.shortest_ms > available:
            earliest = format_human(-(-last.shortest_ms // 1000) * 1000)
            fix = (f"move the `at` to `-{earliest}` or earlier, or shorten what follows it (a "
                   f"last bell rings out before the end)")
        else:
            fix = "add a flexible pause after it (like `pause: 5s..`), or move the `at`"
        return InputError(
            f"the steps after `at: -{format_human(anchor.ms)}` need {need}, but the `at` leaves "
            f"them {format_human(available)} at any length; {fix}", anchor.place.file, anchor.place.line)
    if length_ms < earliest_end:
        loosen = [p for p in last.pauses if p.min_ms > 0]
        steps_alone = earliest_end - sum(p.min_ms for p in last.pauses)
        hint = (f"lower the minimum of the pause on line "
                f"{max(loosen, key=lambda p: p.min_ms).place.line}"
                if loosen and length_ms >= steps_alone else "shorten the steps, or ask for a longer length")
        what = "too short"
    else:
        capped = [p for p in last.pauses if p.max_ms is not None]
        hint = (f"raise the maximum of the pause on line {capped[-1].place.line} "
                f"(or write it as `{format_human(capped[-1].min_ms)}..` with no maximum)"
                if capped else "add a flexible pause, like `pause: 20s..2m`, after the last `at`")
        what = "too long"
    return LengthError(length_ms, what, hint)


class LengthError(InputError):
    """A `length` the script cannot reach; the caller adds where the length was asked for.
    `plan_timeline` adds the lengths it can reach (`length_ranges`, whose ends are planned:
    with `only`, other lengths hear other steps, so this length's steps cannot tell)."""

    def __init__(self, length_ms: int, what: str, hint: str, reach: list[LengthRange] | None = None):
        self.length_ms, self.what, self.hint, self.reach = length_ms, what, hint, reach
        can = ("no length fits it" if reach == [] else
               f"it can be {describe_ranges(reach)} long" if reach else "")
        super().__init__(f"length {format_human(length_ms)} is {what} for this script"
                         + (f": {can}" if can else "") + f"; {hint}")

    def reaching(self, reach: list[LengthRange]) -> LengthError:
        return LengthError(self.length_ms, self.what, self.hint, reach)

    def __reduce__(self):
        return (self.__class__, (self.length_ms, self.what, self.hint, self.reach))
