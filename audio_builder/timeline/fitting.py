"""Fitting: items cut into segments at the `at` anchors, each a start and end that may
depend on the track's length; which lengths every segment fits (`length_ranges`), the errors
of a length that does not fit, and how the slack is shared among the flexible pauses."""

from __future__ import annotations

import math
from dataclasses import dataclass, field, replace

from audio_builder.durations import MAX_MS, format_human, format_ms
from audio_builder.errors import InputError
from audio_builder.model import (
    At,
    Only,
    Pause,
    Script,
    Step,
    steps_at,
)
from audio_builder.timeline.events import Measures
from audio_builder.timeline.items import Anchor, Block, Flex, Item, build_items

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
        check_fit(segments, length_ms)
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


def check_fit(segments: list[Segment], length_ms: int | None) -> None:
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
