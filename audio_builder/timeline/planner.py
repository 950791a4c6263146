"""The planner: places every step, fits `length` by sharing the slack among the flexible
pauses (between `at` anchors), and warns of silence piled up before an anchor."""

from __future__ import annotations

from dataclasses import replace

from audio_builder.durations import MAX_MS, format_human, format_ms
from audio_builder.errors import InputError
from audio_builder.model import (
    Script,
    steps_at,
)
from audio_builder.timeline.events import (
    ChapterStart,
    CueRow,
    Event,
    FlexSpan,
    Measures,
    PlacedBell,
    PlacedSound,
    PlacedSpeech,
    Silence,
    Timeline,
)
from audio_builder.timeline.fitting import (
    LengthError,
    anchor_time,
    check_fit,
    length_ranges,
    share_slack,
    split_segments,
)
from audio_builder.timeline.items import Block, Flex, build_items, sit_events


def plan_timeline(script: Script, measures: Measures, length_ms: int | None = None) -> Timeline:
    """Place every step of `script`; with `length_ms`, fit the track to it exactly."""
    items = build_items(replace(script, steps=steps_at(script.steps, length_ms)), measures)
    segments = split_segments(items, has_length=length_ms is not None)
    try:
        check_fit(segments, length_ms)
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
