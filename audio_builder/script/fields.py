"""Field readers shared by the script, voice and podcast parsers.

Each takes a raw YAML value and the place it came from, and returns a clean Python value
or raises an `InputError` that names the file and line and says how to fix it.
"""

from __future__ import annotations

import datetime
import difflib
import math
import re
import urllib.parse
from collections.abc import Iterable
from pathlib import Path
from typing import Literal, overload

from audio_builder.durations import DurationError, parse_duration
from audio_builder.errors import InputError, excerpt
from audio_builder.script.paths import image_path, named_path
from audio_builder.script.yamlfile import YamlMap

# Counts people write (episodes, strikes, cycles) stay below this unless a field says less.
MAX_COUNT = 1_000_000


class Fields:
    """Reads the keys of one YAML mapping, with the file it came from for errors."""

    def __init__(self, mapping: YamlMap, file: Path, what: str):
        self.mapping = mapping
        self.file = file
        self.what = what

    def line(self, key: str | None = None) -> int:
        return self.mapping.line_of(key) if key is not None else self.mapping.line

    def error(self, key: str | None, message: str) -> InputError:
        return InputError(message, self.file, self.line(key))

    def reject_unknown(self, allowed: Iterable[str]) -> None:
        allowed = list(allowed)
        for key in self.mapping:
            if key not in allowed:
                raise self.error(key, unknown_key_message(str(key), allowed, self.what))

    def has(self, key: str) -> bool:
        return key in self.mapping and self.mapping[key] is not None

    def raw(self, key: str, default=None):
        value = self.mapping.get(key)
        return default if value is None else value

    @overload
    def text(self, key: str, default: str, *, required: bool = ..., max_len: int | None = ...) -> str: ...
    @overload
    def text(self, key: str, default: None = None, *, required: Literal[True],
             max_len: int | None = ...) -> str: ...
    @overload
    def text(self, key: str, default: None = None, *, required: bool = ...,
             max_len: int | None = ...) -> str | None: ...

    def text(self, key: str, default: str | None = None, *, required: bool = False,
             max_len: int | None = None) -> str | None:
        if not self.has(key):
            if required:
                raise self.error(None, f"{self.what} needs `{key}:`; add a line like `{key}: ...`")
            return default
        value = self.mapping[key]
        if isinstance(value, (dict, list)) or isinstance(value, bool):
            raise self.error(key, f"`{key}` must be text, not {describe(value)}")
        value = str(value).strip()
        if required and not value:
            raise self.error(key, f"`{key}` is empty; write the {key} after the colon")
        if max_len is not None and len(value) > max_len:
            raise self.error(key, f"`{key}` is {len(value)} characters long; "
                                  f"keep it to at most {max_len}")
        return value

    @overload
    def duration(self, key: str, default: int, *, allow_negative: bool = ...) -> int: ...
    @overload
    def duration(self, key: str, default: None = None, *, allow_negative: bool = ...) -> int | None: ...

    def duration(self, key: str, default: int | None = None, *, allow_negative: bool = False) -> int | None:
        if not self.has(key):
            return default
        return read_duration(self.mapping[key], self.file, self.line(key), key,
                             allow_negative=allow_negative)

    @overload
    def positive_int(self, key: str, default: int, *, minimum: int = ...,
                     maximum: int = ...) -> int: ...
    @overload
    def positive_int(self, key: str, default: None = None, *, minimum: int = ...,
                     maximum: int = ...) -> int | None: ...

    def positive_int(self, key: str, default: int | None = None, *, minimum: int = 1,
                     maximum: int = MAX_COUNT) -> int | None:
        if not self.has(key):
            return default
        value = self.mapping[key]
        if (isinstance(value, bool) or not isinstance(value, int)
                or not minimum <= value <= maximum):
            raise self.error(key, f"`{key}` must be a whole number from {minimum} to "
                                  f"{maximum}, not {excerpt(value)}")
        return value

    def number(self, key: str, default: float, *, low: float, high: float) -> float:
        if not self.has(key):
            return default
        value = self.mapping[key]
        if isinstance(value, bool) or not isinstance(value, (int, float)) or not low <= value <= high:
            raise self.error(key, f"`{key}` must be a number from {low:g} to {high:g}, "
                                  f"not {excerpt(value)}")
        return float(value)

    def boolean(self, key: str, default: bool) -> bool:
        if not self.has(key):
            return default
        value = self.mapping[key]
        if not isinstance(value, bool):
            raise self.error(key, f"`{key}` must be true or false, not {excerpt(value)}")
        return value

    def decibels(self, key: str, default: float) -> float:
        if not self.has(key):
            return default
        return read_decibels(self.mapping[key], self.file, self.line(key), key)

    def date(self, key: str) -> datetime.date | None:
        if not self.has(key):
            return None
        value = self.mapping[key]
        if isinstance(value, datetime.datetime):
            return value.date()
        if isinstance(value, datetime.date):
            return value
        try:
            if not isinstance(value, str):
                raise ValueError
            return datetime.date.fromisoformat(value.strip())
        except ValueError:
            raise self.error(key, f"`{key}` must be a date written YYYY-MM-DD, like 2026-11-20, "
                                  f"not {excerpt(value)}") from None

    def text_list(self, key: str) -> tuple[str, ...]:
        if not self.has(key):
            return ()
        value = self.mapping[key]
        if isinstance(value, str):
            items = value.split(",")
        elif isinstance(value, list) and all(isinstance(v, (str, int, float)) for v in value):
            items = [str(v) for v in value]
        else:
            raise self.error(key, f"`{key}` must be a list of words, like `[kindness, rest]`")
        return tuple(item.strip() for item in items if item.strip())

    def web_address(self, key: str, example: str = "https://example.org/podcast/") -> str | None:
        """An http(s) address with a host, like `https://example.org/podcast/`."""
        if not self.has(key):
            return None
        value = self.text(key)
        problem = web_address_problem(value)
        if problem:
            raise self.error(key, f"`{key}` {problem}; write a web address like `{example}`")
        return value

    def email(self, key: str) -> str | None:
        value = self.text(key)
        if value is not None and not _EMAIL.fullmatch(value):
            raise self.error(key, f"`{key}` {excerpt(value)} is not an email address; write one "
                                  "like `name@example.org`")
        return value

    def language(self, key: str) -> str | None:
        """The language code at `key`, checked; None when there is none."""
        value = self.text(key)
        if value is not None and not _LANGUAGE.fullmatch(value):
            raise self.error(key, f"`{key}` {excerpt(value)} is not a language code; write one like "
                                  "`en`, `en-US` or `de`")
        return value

    def image(self, key: str, root: Path | None = None) -> Path | None:
        if not self.has(key):
            return None
        return image_path(self.mapping[key], named_in=self.file, line=self.line(key), key=key,
                          root=root)


_EMAIL = re.compile(r"[^@\s<>()\[\],;:\"]{1,64}@(?=.{1,253}$)([^\W_]([\w-]*[^\W_])?\.)+[^\W\d_]{2,}")
_LANGUAGE = re.compile(r"[A-Za-z]{2,3}(-[A-Za-z0-9]{2,8}){0,3}")    # ISO 639, with a region like en-US


def web_address_problem(value: object) -> str | None:
    """What keeps `value` from being a web address people can open (http or https, a host,
    no password in it), or None."""
    text = value if isinstance(value, str) else ""
    try:
        parts = urllib.parse.urlsplit(text)
        parts.port                                    # noqa: B018 (raises on a bad port)
    except ValueError:
        return f"{excerpt(value)} is not a web address"
    if parts.scheme.lower() not in ("http", "https") or not parts.hostname:
        return f"{excerpt(value)} is not a web address (it needs https:// and a host name)"
    if parts.username is not None or parts.password is not None:
        return "holds a user name or password; never publish those in a feed"
    if any(c.isspace() for c in text):
        return f"{excerpt(value)} has a space in it"
    return None


def describe(value: object) -> str:
    return excerpt(value)


def unknown_key_message(key: str, allowed: list[str], what: str) -> str:
    close = difflib.get_close_matches(key, allowed, n=1, cutoff=0.6)
    hint = f"did you mean `{close[0]}`?" if close else "the keys are " + ", ".join(
        f"`{k}`" for k in allowed)
    return f"unknown key `{key[:40]}` in {what}; {hint}"


def read_duration(value: object, file: Path, line: int, key: str, *, allow_negative=False) -> int:
    try:
        return parse_duration(value, allow_negative=allow_negative)
    except DurationError as error:
        raise InputError(f"`{key}`: {error}", file, line) from None


MIN_DB, MAX_DB = -96.0, 24.0         # silence to a loud boost; beyond is a mistake
_DECIBELS = re.compile(r"([-+]?\d+(?:\.\d+)?)\s*(?:db)?", re.IGNORECASE)


def read_decibels(value: object, file: Path, line: int, key: str) -> float:
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        return _level_in_range(float(value), file, line, key)
    match = _DECIBELS.fullmatch(str(value).strip()) if isinstance(value, str) else None
    level = float(match.group(1)) if match else None
    if level is None or not math.isfinite(level):
        raise InputError(f"`{key}`: {excerpt(value)} is not a level; write it in decibels, "
                         "like `-24dB` or `6dB`", file, line)
    return _level_in_range(level, file, line, key)


def _level_in_range(level: float, file: Path, line: int, key: str) -> float:
    if not math.isfinite(level) or not MIN_DB <= level <= MAX_DB:
        raise InputError(f"`{key}`: {excerpt(level)} dB is out of range; write a level from "
                         f"{MIN_DB:g}dB to {MAX_DB:g}dB, like `-24dB` or `6dB`", file, line)
    return level


def existing_file(value: object, base_dir: Path, file: Path, line: int, key: str) -> Path:
    """A file named in `file` at `line`, checked to stay in the project (see `paths`)."""
    return named_path(value, named_in=file, line=line, key=key)
