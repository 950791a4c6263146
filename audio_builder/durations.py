"""Human durations at the edge; whole milliseconds everywhere inside.

Accepted: `90` (seconds), `90s`, `1.5s`, `500ms`, `2m`, `1m30s`, `1h5m`, `1:30` (m:s),
`1:02:03` (h:m:s), each optionally negative where the caller allows it.
"""

from __future__ import annotations

import math
import re

from audio_builder.errors import InputError, excerpt

ACCEPTED_EXAMPLES = "`90s` or `1m30s` (also `500ms`, `2m`, `1:30`)"

_UNIT_MS = {"h": 3_600_000, "m": 60_000, "s": 1_000, "ms": 1}
_UNITS = re.compile(r"(\d+(?:\.\d+)?)(ms|h|m|s)")
_UNIT_FORM = re.compile(r"(?:\d+(?:\.\d+)?(?:ms|h|m|s))+")
_CLOCK_FORM = re.compile(r"(\d+):([0-5]?\d(?:\.\d+)?)(?::([0-5]?\d(?:\.\d+)?))?")
_NUMBER_FORM = re.compile(r"\d+(?:\.\d+)?")

# No practice runs half a day: a longer duration is a typing mistake (or a hostile script).
MAX_MS = 12 * 3_600_000


class DurationError(InputError, ValueError):
    """A value that is not a duration; the message shows accepted forms. (Also a ValueError,
    as a value of the wrong form is.)"""


def parse_duration(value: object, *, allow_negative: bool = False) -> int:
    """Parse a duration into whole milliseconds (rounded to the nearest).

    >>> [parse_duration(v) for v in (90, "90s", "1.5s", "500ms", "1m30s", "1:30", "1:02:03")]
    [90000, 90000, 1500, 500, 90000, 90000, 3723000]
    >>> parse_duration("-12s", allow_negative=True)
    -12000
    >>> try:
    ...     parse_duration("3 sec")
    ... except DurationError as error:
    ...     print(error)
    '3 sec' is not a duration; write it like `90s` or `1m30s` (also `500ms`, `2m`, `1:30`)
    """
    if isinstance(value, bool) or not isinstance(value, (int, float, str)):
        raise DurationError(_not_a_duration(value))
    if isinstance(value, (int, float)):
        if not math.isfinite(value):
            raise DurationError(_not_a_duration(value))
        negative, ms = value < 0, _bounded(abs(value) * 1000, value)
    else:
        text = value.strip().lower().replace(" ", "")
        negative = text.startswith("-")
        unsigned = _parse_unsigned(text[1:] if negative else text)
        if unsigned is None:
            raise DurationError(_not_a_duration(value))
        ms = _bounded(unsigned, value)
    if negative and not allow_negative:
        raise DurationError(f"{excerpt(value)} is negative; a duration here must be 0 or more")
    return -ms if negative else ms


def _bounded(ms: float, value: object) -> int:
    if ms > MAX_MS:
        raise DurationError(f"{excerpt(value)} is longer than {MAX_MS // 3_600_000} hours; "
                            f"a duration here is at most {MAX_MS // 3_600_000}h")
    return round(ms)


def _parse_unsigned(text: str) -> float | None:
    """Milliseconds, unrounded (so the caller can bound it before rounding); None when
    the text is not a duration. Digit runs are capped so no number grows without limit."""
    if len(text) > 40:
        return None
    if _NUMBER_FORM.fullmatch(text):
        return float(text) * 1000
    if _UNIT_FORM.fullmatch(text):
        units = [unit for _, unit in _UNITS.findall(text)]
        if len(set(units)) != len(units):
            return None
        return sum(float(n) * _UNIT_MS[u] for n, u in _UNITS.findall(text))
    clock = _CLOCK_FORM.fullmatch(text)
    if clock:
        a, b, c = clock.groups()
        if c is None:
            return (float(a) * 60 + float(b)) * 1000
        if "." in b:
            return None
        return (float(a) * 3600 + float(b) * 60 + float(c)) * 1000
    return None


def _not_a_duration(value: object) -> str:
    return f"{excerpt(value)} is not a duration; write it like {ACCEPTED_EXAMPLES}"


def format_ms(ms: int, *, precise: bool = True, hours: bool = False, decimal: str = ".",
              words: bool = False) -> str:
    """A time on a clock, the one formatter for plans, pages, captions, titles and videos.

    Hours only when there are some; without `precise`, whole seconds (cut, not rounded):

    >>> format_ms(123_450), format_ms(3_723_450), format_ms(123_999, precise=False)
    ('2:03.450', '1:02:03.450', '2:03')
    >>> format_ms(-1_500)
    '-0:01.500'

    Captions write two-digit hours always, WebVTT with `.` and SRT with `,`:

    >>> format_ms(123_450, hours=True), format_ms(123_450, hours=True, decimal=",")
    ('00:02:03.450', '00:02:03,450')

    With `words`, a length as a listener reads it in a title or on a page, to the nearest
    second (`15:00` would read as a time of day):

    >>> format_ms(5 * 60_000, words=True), format_ms(90_400, words=True), format_ms(45_000, words=True)
    ('5 min', '1 min 30 s', '45 s')
    """
    if words:
        return _in_words(ms)
    sign = "-" if ms < 0 else ""
    hour, rest = divmod(abs(ms), 3_600_000)
    minutes, rest = divmod(rest, 60_000)
    seconds, millis = divmod(rest, 1000)
    if hours:
        clock = f"{hour:02d}:{minutes:02d}:{seconds:02d}"
    else:
        clock = f"{hour}:{minutes:02d}:{seconds:02d}" if hour else f"{minutes}:{seconds:02d}"
    return f"{sign}{clock}{decimal}{millis:03d}" if precise else f"{sign}{clock}"


def _in_words(ms: int) -> str:
    minutes, rest = divmod(round(ms / 1000), 60)
    if not minutes:
        return f"{rest} s"
    return f"{minutes} min" + (f" {rest} s" if rest else "")


def format_human(ms: int) -> str:
    """A duration the way a person writes it, which `parse_duration` reads back.

    >>> [format_human(ms) for ms in (90_000, 45_000, 2_500, 3_900_000, 0)]
    ['1m30s', '45s', '2.5s', '1h5m', '0s']
    >>> parse_duration(format_human(3_900_000))
    3900000
    """
    if ms % 1000:
        return f"{ms / 1000:g}s"
    seconds = ms // 1000
    hours, rest = divmod(seconds, 3600)
    minutes, seconds = divmod(rest, 60)
    parts = [f"{n}{u}" for n, u in ((hours, "h"), (minutes, "m"), (seconds, "s")) if n]
    return "".join(parts) or "0s"
