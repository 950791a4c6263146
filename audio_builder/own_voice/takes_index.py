"""`takes.yaml`: which take is which, for people, and what listening back found.

Each file in a voice's takes folder is named by the id of the words it speaks; the index beside
them maps each id to those words (or, for a take cut from a reading, to its words, what
listening back to it found, the digest of that very take, and where in the reading it was cut:
the reading is kept once in `readings/`, named by its own content digest, so a take can be seen
in it and cut again from new edges wherever the takes folder goes). The program never needs the
index to find a take (a take is found by its id), so it never trusts one: it is read as scripts
are (the guarded YAML loader, a plain file, no link followed, at most `MAX_INDEX_BYTES`), and
an entry counts only when its id is the id of its words. An index that is damaged in any way is
reported and written again from the script's lines.
"""

from __future__ import annotations

import re
import shutil
from collections.abc import Iterable
from contextlib import ExitStack
from dataclasses import dataclass
from pathlib import Path

import yaml

from audio_builder.errors import InputError, excerpt
from audio_builder.files import temporary_beside, write_file_atomically
from audio_builder.script.yamlfile import YamlMap, read_yaml
from audio_builder.speech.takes import content_digest, take_id

INDEX_FILE = "takes.yaml"
# An entry is its id and a line of words, about 150 bytes: 1 MB holds some 6,000 takes.
MAX_INDEX_BYTES = 1_000_000
REWRITTEN = "it was written again from this script's lines (the takes themselves are untouched)"
HEADER = ("# Which take is which: each file in this folder is named by the id on the left\n"
          "# (with .wav, .flac, .mp3, .m4a ...), and speaks the words on the right (a take\n"
          "# cut from a reading also says what listening back to it found, for that take).\n")


READINGS = "readings"
KEPT_READING = re.compile(r"readings/[0-9a-f]{20}(\.[a-z0-9]{1,6})?")
CUT = re.compile(r"(\d{1,9})-(\d{1,9})")
FIELDS = ("words", "listened", "take", "reading", "cut")


@dataclass(frozen=True)
class Listened:
    """What listening back said of a take when it was made: `ok`, or what is wrong; true of
    the take whose content digest is `digest` only. A take cut from a reading also says which
    (`reading`: readings/<digest>.<ext> in the takes folder) and where (`cut`: "START-END", in
    milliseconds of the reading)."""

    verdict: str
    digest: str
    reading: str = ""
    cut: str = ""

    @property
    def ok(self) -> bool:
        return self.verdict == "ok"

    @property
    def problems(self) -> tuple[str, ...]:
        return () if self.ok else tuple(self.verdict.split("; "))

    @property
    def place(self) -> tuple[str, int, int] | None:
        """(the reading's name in the takes folder, start ms, end ms), if the entry says
        well-formed ones (the index is a file people may edit: it is not trusted further)."""
        cut = CUT.fullmatch(self.cut)
        if not KEPT_READING.fullmatch(self.reading) or cut is None:
            return None
        start, end = int(cut.group(1)), int(cut.group(2))
        return (self.reading, start, end) if start < end else None


def read_entries(folder: Path) -> tuple[dict[str, str | dict[str, str]], InputError | None]:
    """The entries of `folder/takes.yaml` (words, or a mapping of `words`, `listened`, `take`,
    `reading` and `cut`), and what is wrong with the index (then no entries)."""
    path = folder / INDEX_FILE
    if not path.exists() and not path.is_symlink():
        return {}, None
    try:
        data = read_yaml(path, max_bytes=MAX_INDEX_BYTES, follow_links=False, what=INDEX_FILE,
                         advice=REWRITTEN)
        return _trusted(data, path), None
    except InputError as error:
        return {}, error


def _trusted(data: object, path: Path) -> dict[str, str | dict[str, str]]:
    if data is None:
        return {}
    if not isinstance(data, YamlMap):
        raise InputError(f"{INDEX_FILE} is not a mapping of take ids to their words; {REWRITTEN}",
                         path, getattr(data, "line", None))
    entries: dict[str, str | dict[str, str]] = {}
    for key, entry in data.items():
        if isinstance(entry, YamlMap) and all(isinstance(entry.get(name, ""), str)
                                              for name in FIELDS):
            entries[key] = {name: entry[name] for name in FIELDS if name in entry}
        elif isinstance(entry, str):
            entries[key] = entry
        if take_id(_words_of_entry(entries.get(key, ""))) != key:
            raise InputError(f"the entry {excerpt(key)} is not the id of its words; {REWRITTEN}",
                             path, data.line_of(key))
    return entries


def _words_of_entry(entry: object) -> str:
    return str(entry.get("words", "")) if isinstance(entry, dict) else str(entry)


def read_verdicts(folder: Path) -> dict[str, Listened]:
    """The verdicts of listening back kept in `folder/takes.yaml`, by take id."""
    return {key: Listened(entry["listened"], entry.get("take", ""), entry.get("reading", ""),
                          entry.get("cut", ""))
            for key, entry in read_entries(folder)[0].items()
            if isinstance(entry, dict) and "listened" in entry}


def verdict_of(path: Path, verdicts: dict[str, Listened]) -> Listened | None:
    """The verdict on the take at `path`, if one was kept for this very take (not one
    recorded or replaced since)."""
    listened = verdicts.get(path.stem)
    if listened is None or listened.digest != content_digest(path):
        return None
    return listened


def update_index(folder: Path, texts: Iterable[str]) -> InputError | None:
    """Add each text under its id to `folder/takes.yaml` (the entries of a sound index stay),
    written whole. Returns what was wrong with the index found there, if anything."""
    return _write_index(folder, {take_id(text): text for text in texts}, {})


def record_verdicts(folder: Path, verdicts: dict[str, tuple[str, str]],
                    places: dict[str, tuple[str, int, int]] | None = None) -> InputError | None:
    """Keep what listening back said of takes: {id: (the take's content digest, verdict)},
    and where in a kept reading each take cut from one was cut: {id: (the reading's name from
    `keep_reading`, start ms, end ms)}. A kept reading no take's entry names any more (every
    take cut from it replaced) is removed."""
    problem = _write_index(folder, {}, verdicts, places or {})
    if problem is None:
        _forget_unused_readings(folder)
    return problem


def _write_index(folder: Path, texts: dict[str, str], verdicts: dict[str, tuple[str, str]],
                 places: dict[str, tuple[str, int, int]] | None = None) -> InputError | None:
    folder.mkdir(parents=True, exist_ok=True)
    found, problem = read_entries(folder)
    index: dict[str, object] = dict(found)
    for key, text in texts.items():
        index.setdefault(key, text)
    for key, (digest, verdict) in verdicts.items():
        entry = {"words": _words_of_entry(index.get(key, "")), "listened": verdict, "take": digest}
        if key in (places or {}):
            reading, start, end = (places or {})[key]
            entry |= {"reading": reading, "cut": f"{start}-{end}"}
        index[key] = entry
    body = yaml.safe_dump(index, allow_unicode=True, sort_keys=False, width=1000)
    write_file_atomically(folder / INDEX_FILE,
                          lambda temporary: temporary.write_text(HEADER + body, encoding="utf-8"))
    return problem


# --- the readings takes were cut from ---------------------------------------------------------

def keep_reading(reading: Path, folder: Path) -> str:
    """Keep `reading` in `folder/readings/` as it is (its own bytes: a re-encoding would move
    and change the samples the takes were cut from), once however many imports read it, named
    by its content digest; returns that name as the index writes it (`readings/<digest>.<ext>`)."""
    suffix = reading.suffix.lower() if re.fullmatch(r"[.][a-z0-9]{1,6}", reading.suffix.lower()) else ""
    name = f"{READINGS}/{content_digest(reading)}{suffix}"
    kept = folder / name
    if kept.is_file() and not kept.is_symlink():
        return name
    kept.parent.mkdir(parents=True, exist_ok=True)
    with ExitStack() as cleanup:
        temporary = temporary_beside(kept, cleanup)
        shutil.copyfile(reading, temporary)
        temporary.replace(kept)
    return name


def kept_reading(folder: Path, name: str) -> Path | None:
    """The kept reading `name` (as the index writes it) in `folder`, if it is there as a plain
    file (never a link out of the folder)."""
    path = folder / name
    return path if KEPT_READING.fullmatch(name) and path.is_file() and not path.is_symlink() else None


def _forget_unused_readings(folder: Path) -> None:
    readings = folder / READINGS
    if not readings.is_dir():
        return
    named = {entry.get("reading") for entry in read_entries(folder)[0].values() if isinstance(entry, dict)}
    for path in readings.iterdir():
        if KEPT_READING.fullmatch(f"{READINGS}/{path.name}") and f"{READINGS}/{path.name}" not in named:
            path.unlink(missing_ok=True)
