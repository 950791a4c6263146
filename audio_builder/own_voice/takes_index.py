"""`takes.yaml`: which take is which, for people, and what listening back found.

Each file in a voice's takes folder is named by the id of the words it speaks; the index beside
them maps each id to those words (or, for a take cut from a reading, to its words, what
listening back to it found, and the digest of that very take). The program never needs the
index to find a take (a take is found by its id), so it never trusts one: it is read as scripts
are (the guarded YAML loader, a plain file, no link followed, at most `MAX_INDEX_BYTES`), and
an entry counts only when its id is the id of its words. An index that is damaged in any way is
reported and written again from the script's lines.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

import yaml

from audio_builder.errors import InputError, excerpt
from audio_builder.files import write_file_atomically
from audio_builder.script.yamlfile import YamlMap, read_yaml
from audio_builder.speech.takes import content_digest, take_id

INDEX_FILE = "takes.yaml"
# An entry is its id and a line of words, about 150 bytes: 1 MB holds some 6,000 takes.
MAX_INDEX_BYTES = 1_000_000
REWRITTEN = "it was written again from this script's lines (the takes themselves are untouched)"
HEADER = ("# Which take is which: each file in this folder is named by the id on the left\n"
          "# (with .wav, .flac, .mp3, .m4a ...), and speaks the words on the right (a take\n"
          "# cut from a reading also says what listening back to it found, for that take).\n")


@dataclass(frozen=True)
class Listened:
    """What listening back said of a take when it was made: `ok`, or what is wrong; true of
    the take whose content digest is `digest` only."""

    verdict: str
    digest: str

    @property
    def ok(self) -> bool:
        return self.verdict == "ok"


def read_entries(folder: Path) -> tuple[dict[str, str | dict[str, str]], InputError | None]:
    """The entries of `folder/takes.yaml` (words, or a mapping of `words`, `listened` and
    `take`), and what is wrong with the index (then no entries)."""
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
                                              for name in ("words", "listened", "take")):
            entries[key] = {name: entry[name] for name in ("words", "listened", "take")
                            if name in entry}
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
    return {key: Listened(entry["listened"], entry.get("take", ""))
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


def record_verdicts(folder: Path, verdicts: dict[str, tuple[str, str]]) -> InputError | None:
    """Keep what listening back said of takes: {id: (the take's content digest, verdict)}."""
    return _write_index(folder, {}, verdicts)


def _write_index(folder: Path, texts: dict[str, str],
                 verdicts: dict[str, tuple[str, str]]) -> InputError | None:
    folder.mkdir(parents=True, exist_ok=True)
    found, problem = read_entries(folder)
    index: dict[str, object] = dict(found)
    for key, text in texts.items():
        index.setdefault(key, text)
    for key, (digest, verdict) in verdicts.items():
        index[key] = {"words": _words_of_entry(index.get(key, "")), "listened": verdict, "take": digest}
    body = yaml.safe_dump(index, allow_unicode=True, sort_keys=False, width=1000)
    write_file_atomically(folder / INDEX_FILE,
                          lambda temporary: temporary.write_text(HEADER + body, encoding="utf-8"))
    return problem
