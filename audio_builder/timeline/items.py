"""Steps to items: each step of a script becomes a block of known length (its events at
offsets from its start), a flexible pause or sit, or an `at` anchor; then the pauses between
steps, a lead-in before a first bell and the ring of a last one are added."""

from __future__ import annotations

import hashlib
import random
from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace
from pathlib import Path

from audio_builder.durations import format_human
from audio_builder.errors import InputError
from audio_builder.languages import language, split_sentences
from audio_builder.model import (
    At,
    Bell,
    Breathe,
    Chapter,
    Gap,
    Pause,
    Place,
    Say,
    Script,
    Sit,
    SitBells,
    SoundStep,
    Step,
    Utterance,
    steps_at,
)
from audio_builder.text import split_pieces
from audio_builder.timeline.events import (
    ChapterStart,
    CueRow,
    Event,
    Measures,
    PlacedBell,
    PlacedSound,
    PlacedSpeech,
)

BREATH_PHASES = ("in", "hold", "out")       # the phases a breathing cue is spoken in
BELL_LEAD_IN_MS = 500          # silence before a bell that would otherwise strike at 0:00
# A teacher lets a long sentence land and moves on from a short one ("A walk."): the pause
# after a sentence follows the time it took to say. A voice's `sentence_pause` is the pause
# after a sentence of 3.5 s; a sentence half as long gets half, within 0.4 and 4/3 of it.
SENTENCE_PAUSE_REFERENCE_MS = 3_500
SENTENCE_PAUSE_SCALE = (0.4, 4 / 3)
MAX_SIT_BELLS = 1000           # more bells in one sit is a mistake (`every: 1s`), not a practice


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

