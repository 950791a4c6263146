"""Piper voices from the public voice catalogue, fetched only when the user asks.

The catalogue is a `voices.json` (one entry per voice, keyed like `en_US-amy-medium`, with its
language, quality and files, each with its size and MD5) beside the files themselves. It comes
from the network, so it is read as hostile: its size and nesting are bounded, and every voice's
name, aliases and file names are checked before any of them reaches a file name or an address.

A voice is its model (`.onnx`) and the model's config (`.onnx.json`); both are downloaded into
the user's voice folder under temporary names (`.NAME.onnx.HOST-PID-XXXXXXXX.part`), checked
against the catalogue's size and MD5 while they stream, and only then put in place together,
so a voice is there whole or not at all. A fetch that is killed outright leaves its temporary
files behind; the next `voices get` or `voices` removes those whose process is gone. Nothing
here runs during a build: once a voice is in the folder, speaking with it is offline.
"""

from __future__ import annotations

import contextlib
import difflib
import hashlib
import http.client
import json
import os
import re
import stat
import time
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Callable, Iterator
from contextlib import ExitStack
from dataclasses import dataclass
from pathlib import Path

from audio_builder.durations import format_ms
from audio_builder.errors import AudioBuilderError, InputError, excerpt
from audio_builder.files import (
    TEMPORARY,
    checked_folder,
    read_plain,
    remove_stale_temporaries,
    replace_together,
    signals_unwind,
    target_name,
    temporary_beside,
    user_folder,
)

URL_VAR = "AUDIO_BUILDER_VOICES_URL"
FOLDER_VAR = "AUDIO_BUILDER_VOICE_DIR"
DEFAULT_URL = "https://huggingface.co/rhasspy/piper-voices/resolve/v1.0.0/"
# Piper's own lists 124 voices in 0.19 MB. Parsed, JSON of many tiny objects takes about 28
# times its size (5 MB: 145 MB at the peak; 20 MB: 550 MB, past what a command may use).
MAX_CATALOGUE_BYTES = 5_000_000
# The catalogue is four levels deep (voice, files, file, size); its languages one more.
MAX_CATALOGUE_DEPTH = 8
MAX_VOICE_BYTES = 300_000_000          # the largest piper voices are about 120 MB
MAX_CONFIG_BYTES = 5_000_000           # a config is 5-20 kB; many speakers' names, some 100s
CHUNK = 1 << 20
READ_TIMEOUT_S = 60                    # the longest wait for any answer, or for its next bytes
# A download has its own deadline besides: a server that trickles a byte every minute never
# times out a read, and held a fetch for ever. It may take as long as it would at
# SLOWEST_BYTES_PER_S (256 kbit/s, a poor mobile link) plus DOWNLOAD_GRACE_S: a 63 MB voice
# 34 min, the largest piper voices about an hour, the catalogue's 5 MB bound under 4 min.
SLOWEST_BYTES_PER_S = 32_000
DOWNLOAD_GRACE_S = 60

# A voice's name, an alias, and each part of a file's path in the catalogue: what piper's own
# catalogue uses (`en_US-hfc_female-medium`, `pt_PT-tugão-medium`, `en/en_US/amy/medium/...`):
# letters and digits of any script, `_ . + -`; nothing that could leave the voice folder or
# break a line, a file name or an address (a slash, a control or format character, a space).
NAME = re.compile(r"[^\W_][\w.+-]{0,119}")
MAX_PATH_CHARS = 400
MD5 = re.compile(r"[0-9a-fA-F]{32}")
VOICE_SUFFIXES = (".onnx.json", ".onnx")  # the config first: a model is a voice only with it

# Voices to try first for calm speech (docs/voices.md): who speaks, for the listing.
RECOMMENDED = {
    "en_US-amy-medium": "female, US English (suggested for calm speech)",
    "en_US-lessac-medium": "female, US English, studio recordings (suggested for calm speech)",
    "en_US-hfc_female-medium": "female, US English (suggested for calm speech)",
    "en_GB-alba-medium": "female, Scottish English (suggested for calm speech)",
    "en_US-ryan-medium": "male, US English (suggested for calm speech)",
    "en_US-hfc_male-medium": "male, US English (suggested for calm speech)",
    "en_GB-northern_english_male-medium": "male, Northern English (suggested for calm speech)",
    "de_DE-thorsten-medium": "male, German (suggested for calm speech)",
    "fr_FR-siwis-medium": "female, French (suggested for calm speech)",
    "es_ES-davefx-medium": "male, Spanish (suggested for calm speech)",
    "it_IT-paola-medium": "female, Italian (suggested for calm speech)",
}


class DownloadError(AudioBuilderError):
    """The catalogue or a voice could not be fetched or failed its checks."""


class CatalogueError(InputError):
    """The catalogue is not a piper voice catalogue (malformed, too large, too deep)."""


@dataclass(frozen=True)
class CatalogueFile:
    path: str           # in the catalogue, relative to its address: `en/en_US/.../X.onnx`
    size: int           # bytes
    md5: str            # lower-case hex


@dataclass(frozen=True)
class CatalogueVoice:
    key: str                              # `en_US-amy-medium`
    aliases: tuple[str, ...]
    files: tuple[CatalogueFile, ...]


@dataclass(frozen=True)
class InstalledVoice:
    name: str
    model: Path
    language: str
    quality: str
    description: str
    damaged: bool = False          # not a usable voice; `description` says why


def catalogue_url() -> str:
    """The catalogue's folder: $AUDIO_BUILDER_VOICES_URL, or piper's own."""
    return checked_url(os.environ.get(URL_VAR) or DEFAULT_URL, f"${URL_VAR}")


def checked_url(url: str, what: str) -> str:
    """`url` (given as `what`) as a folder's address, once it is a printable http(s) one
    without a user name or password (which would be shown in messages, and sent in the clear)."""
    try:
        parts = urllib.parse.urlsplit(url)
        usable = parts.scheme in ("http", "https") and parts.hostname is not None
    except ValueError:
        parts, usable = None, False
    if "@" in (parts.netloc if parts else url):
        raise InputError(f"{what} carries a user name or password; give the catalogue's "
                         "address without them (a mirror that needs none)")
    if not usable or not url.isprintable() or " " in url:
        raise InputError(f"{what} must be an http(s) address, not {excerpt(url, 80)}")
    return url if url.endswith("/") else url + "/"


def voice_folder() -> Path:
    """Where fetched voices live: $AUDIO_BUILDER_VOICE_DIR, or the user's data folder."""
    if os.environ.get(FOLDER_VAR):
        return checked_folder(Path(os.environ[FOLDER_VAR]).expanduser(), f"${FOLDER_VAR}")
    return user_folder("data") / "voices"


def shown_url(url: str) -> str:
    """`url` as a message shows it: at most 160 characters."""
    return url if len(url) <= 160 else url[:159] + "…"


def _open(url: str):
    try:
        return urllib.request.urlopen(url, timeout=READ_TIMEOUT_S)  # noqa: S310 (the scheme is checked)
    except urllib.error.HTTPError as error:
        raise DownloadError(f"the voice catalogue answered {error.code} for {shown_url(url)}"
                            ) from None
    except (urllib.error.URLError, OSError, http.client.HTTPException, ValueError) as error:
        reason = getattr(error, "reason", error)
        raise DownloadError(f"cannot reach the voice catalogue at "
                            f"{shown_url(url.rsplit('/', 1)[0] + '/')} "
                            f"({reason}); check the connection, or set ${URL_VAR} to a mirror"
                            ) from None


def download_budget_s(size: int) -> float:
    """How long a download of `size` bytes may take in all (see `SLOWEST_BYTES_PER_S`)."""
    return DOWNLOAD_GRACE_S + size / SLOWEST_BYTES_PER_S


def _chunks(response, size: int, url: str) -> Iterator[bytes]:
    """The answer's bytes as they arrive (one read each, so a slow server is noticed between
    two), until it ends or more than `size` came; within `download_budget_s(size)`. A
    connection dropped, a read timed out or the deadline passed is a DownloadError."""
    budget = download_budget_s(size)
    deadline, received = time.monotonic() + budget, 0
    while received <= size:
        try:
            chunk = response.read1(CHUNK)
        except (OSError, http.client.HTTPException) as error:
            raise DownloadError(f"the download of {shown_url(url)} broke off "
                                f"({type(error).__name__}); "
                                "nothing was installed (try again)") from None
        if not chunk:
            return
        received += len(chunk)
        if time.monotonic() > deadline:
            raise DownloadError(f"the download of {shown_url(url)} was too slow: {received:,} of "
                                f"{size:,} bytes in {format_ms(round(budget * 1000), words=True)}"
                                f", the most it may take; nothing was installed (try again later, "
                                f"or set ${URL_VAR} to a mirror)")
        yield chunk


def read_catalogue(url: str | None = None) -> dict[str, CatalogueVoice]:
    """The voices of the catalogue at `url` (its folder), each checked."""
    url = url or catalogue_url()
    with _open(url + "voices.json") as response:
        data = b"".join(_chunks(response, MAX_CATALOGUE_BYTES, url + "voices.json"))
    return parse_catalogue(data, shown_url(url + "voices.json"))


def parse_catalogue(data: bytes, where: str) -> dict[str, CatalogueVoice]:
    """The voices of a `voices.json`, or a CatalogueError naming `where` and what is wrong."""
    def refuse(what: str) -> CatalogueError:
        return _refused(where, what, "this is not a piper voice catalogue")

    if len(data) > MAX_CATALOGUE_BYTES:
        raise refuse(f"it is larger than {MAX_CATALOGUE_BYTES // 1_000_000} MB")
    try:
        catalogue = json.loads(data)
    except RecursionError:
        raise refuse(f"it is nested more than {MAX_CATALOGUE_DEPTH} levels deep") from None
    except ValueError as error:              # not JSON, or not UTF-8
        raise refuse(f"it is not JSON ({str(error)[:80]})") from None
    if _depth(catalogue, MAX_CATALOGUE_DEPTH) > MAX_CATALOGUE_DEPTH:
        raise refuse(f"it is nested more than {MAX_CATALOGUE_DEPTH} levels deep")
    if not isinstance(catalogue, dict):
        raise refuse(f"it holds {excerpt(catalogue)}, not a mapping of voices")
    voices = {}
    for key, entry in catalogue.items():
        problem = _entry_problem(key, entry)
        if problem:
            raise refuse(f"the voice {excerpt(key, 60)}: {problem}")
        voices[key] = CatalogueVoice(key, tuple(entry.get("aliases", ())), tuple(
            CatalogueFile(path, info["size_bytes"], info["md5_digest"].lower())
            for path, info in entry["files"].items()))
    return voices


def _refused(where: str, what: str, verdict: str) -> CatalogueError:
    return CatalogueError(f"{where}: {what}; {verdict} (check ${URL_VAR}, or try again later)")


def _depth(value: object, limit: int) -> int:
    """How deeply `value` nests lists and mappings (counted no further than `limit` + 1)."""
    depth, level = 0, [value]
    while level and depth <= limit:
        level = [item for node in level if isinstance(node, (dict, list))
                 for item in (node.values() if isinstance(node, dict) else node)]
        depth += 1
    return depth if not level else limit + 1


def _entry_problem(key: object, entry: object) -> str | None:
    """What is wrong with one voice of the catalogue (its name, aliases and files), or None."""
    if not isinstance(key, str) or not NAME.fullmatch(key):
        return "its name is not a voice name (letters, digits, `_.+-`)"
    if not isinstance(entry, dict):
        return f"its entry is {excerpt(entry)}, not a mapping"
    aliases = entry.get("aliases", [])
    if not isinstance(aliases, list) or not all(isinstance(a, str) and NAME.fullmatch(a)
                                                for a in aliases):
        return f"`aliases` is {excerpt(aliases)}, not a list of voice names"
    files = entry.get("files")
    if not isinstance(files, dict):
        return f"`files` is {excerpt(files)}, not a mapping of file names"
    for path, info in files.items():
        if not _safe_path(path):
            return f"the file name {excerpt(path, 60)} is not a plain relative path"
        if not isinstance(info, dict):
            return f"the file {path} has {excerpt(info)}, not its size and MD5"
        size, md5 = info.get("size_bytes"), info.get("md5_digest")
        if type(size) is not int or size < 0 or not isinstance(md5, str) or not MD5.fullmatch(md5):
            return f"the file {path} has no usable `size_bytes` and `md5_digest`"
    return None


def _safe_path(path: object) -> bool:
    return (isinstance(path, str) and len(path) <= MAX_PATH_CHARS
            and all(NAME.fullmatch(part) and part.strip(".") for part in path.split("/")))


def find_entry(catalogue: dict[str, CatalogueVoice], name: str) -> CatalogueVoice:
    for voice in catalogue.values():
        if voice.key == name or name in voice.aliases:
            return voice
    close = difflib.get_close_matches(name, list(catalogue), n=3, cutoff=0.6)
    hint = ("; did you mean " + " or ".join(f"`{c}`" for c in close) + "?") if close else (
        "; names look like `en_US-amy-medium` (language, voice, quality)")
    raise InputError(f"the voice catalogue has no voice called {excerpt(name, 80)}{hint}")


def _voice_files(voice: CatalogueVoice, where: str) -> list[CatalogueFile]:
    """The voice's config and model (in that order), each named after the voice."""
    wanted = []
    for suffix in VOICE_SUFFIXES:
        found = [file for file in voice.files
                 if file.path.rsplit("/", 1)[-1] == voice.key + suffix]
        if len(found) != 1:
            raise _refused(where, f"the voice {voice.key} lists "
                           f"{'no' if not found else 'more than one'} {voice.key}{suffix}",
                           "it cannot be fetched from this catalogue")
        if not 0 < found[0].size <= MAX_VOICE_BYTES:
            raise _refused(where, f"the voice {voice.key} gives {found[0].path} a size of "
                           f"{found[0].size:,} bytes (at most {MAX_VOICE_BYTES // 1_000_000} MB)",
                           "it cannot be fetched from this catalogue")
        wanted += found
    return wanted


def get_voice(name: str, folder: Path | None = None, url: str | None = None,
              report: Callable[[str], object] = lambda message: None) -> InstalledVoice:
    """Fetch voice `name` from the catalogue into `folder`, whole and checked, or not at all.

    The model and its config are written under temporary names in `folder` and put in place
    together once both have their size and MD5; stopped at any point (Ctrl-C, SIGTERM), the
    folder is as it was. Temporary files left by a fetch killed outright are removed first."""
    url = url or catalogue_url()
    folder = folder or voice_folder()
    voice = find_entry(read_catalogue(url), name)
    files = _voice_files(voice, shown_url(url + "voices.json"))
    folder.mkdir(parents=True, exist_ok=True)
    remove_what_killed_fetches_left(folder)
    with signals_unwind(), ExitStack() as cleanup:
        ready = []
        for file in files:
            target = folder / file.path.rsplit("/", 1)[-1]
            report(f"fetching {target.name} ({file.size / 1e6:.1f} MB)")
            temporary = temporary_beside(target, cleanup)
            _download(url + urllib.parse.quote(file.path), temporary, file)
            ready.append((temporary, target))
        (config, _), (model, target) = ready
        problem = config_problem(config, target.name + ".json") or onnx_problem(model, target.name)
        if problem:
            raise _refused(shown_url(url + "voices.json"),
                           f"the voice {voice.key} is not a piper voice: "
                           f"{problem.removeprefix('its ')}", "nothing was installed")
        replace_together(ready)
    return describe(folder / f"{voice.key}.onnx")


def _download(url: str, into: Path, file: CatalogueFile) -> None:
    digest, received = hashlib.md5(usedforsecurity=False), 0
    with _open(url) as response, open(into, "wb") as out:
        for chunk in _chunks(response, file.size, url):
            received += len(chunk)
            digest.update(chunk)
            out.write(chunk)
    name = file.path.rsplit("/", 1)[-1]
    if received != file.size:
        raise DownloadError(f"{name}: received {received:,} bytes, the catalogue says "
                            f"{file.size:,}; nothing was installed (try again)")
    if digest.hexdigest() != file.md5:
        raise DownloadError(f"{name}: its MD5 does not match the catalogue's; nothing was "
                            "installed (try again, or report the mirror)")


def describe(model: Path) -> InstalledVoice:
    """A fetched (or any piper) voice from its config: language, quality, a line about it;
    a voice whose model or config is not a piper voice's says so (`damaged`)."""
    name = model.name.removesuffix(".onnx")
    problem = voice_problem(model)
    if problem:
        return InstalledVoice(name, model, "?", "?", f"damaged: {problem}; fetch it again with "
                              f"`audio-builder voices get {name}`", damaged=True)
    config = json.loads(read_plain(config_path(model), MAX_CONFIG_BYTES))
    language, audio = config.get("language"), config.get("audio")
    language = language if isinstance(language, dict) else {}
    quality = str(audio.get("quality", "?")) if isinstance(audio, dict) else "?"
    where = str(language.get("name_english", "?")) + (
        f" ({language['country_english']})" if language.get("country_english") else "")
    speakers = config["num_speakers"]
    line = RECOMMENDED.get(name) or where + (f", {speakers} speakers" if speakers > 1 else "")
    return InstalledVoice(name, model, str(language.get("code", "?")), quality, line)


def config_path(model: Path) -> Path:
    return Path(str(model) + ".json")


def voice_problem(model: Path) -> str | None:
    """Why the model at `model` and its config beside it are not a piper voice, or None.
    Cheap (no model is loaded): the config must have what piper reads from it, and the model
    must be an ONNX model whose file is whole (see `onnx_problem`)."""
    return config_problem(config_path(model)) or onnx_problem(model)


# What piper reads from a config, each with what it must be.
_CONFIG_FIELDS: dict[tuple[str, ...], Callable[[object], bool]] = {
    ("num_symbols",): lambda v: type(v) is int and v > 0,
    ("num_speakers",): lambda v: type(v) is int and v > 0,
    ("audio", "sample_rate"): lambda v: type(v) is int and 8_000 <= v <= 192_000,
    ("espeak", "voice"): lambda v: isinstance(v, str) and v != "",
    ("phoneme_id_map",): lambda v: isinstance(v, dict) and v != {},
}


def config_problem(path: Path, name: str | None = None) -> str | None:
    """Why the file at `path` (`name`: called by its own name) is not a piper voice config,
    or None."""
    name = name or path.name
    try:
        config = json.loads(read_plain(path, MAX_CONFIG_BYTES, what=f"its config {name}",
                                       advice="it must be the voice's JSON config"))
    except FileNotFoundError:
        return f"its config {name} is missing"
    except InputError as error:
        return error.message
    except (OSError, ValueError, RecursionError):
        return f"its config {name} is not JSON"
    for keys, usable in _CONFIG_FIELDS.items():
        value: object = config
        for key in keys:
            value = value.get(key) if isinstance(value, dict) else None
        if not usable(value):
            return f"its config {name} has no usable `{'.'.join(keys)}`"
    return None


# The fields of an ONNX ModelProto and of its GraphProto, with their protobuf wire types (0: a
# number, 2: bytes); a later version's fields may be of any wire type protobuf has (1, 5:
# 8 and 4 bytes).
_MODEL_FIELDS = {1: 0, 2: 2, 3: 2, 4: 2, 5: 0, 6: 2, 7: 2, 8: 2, 14: 2, 20: 2, 25: 2, 26: 2}
_GRAPH_FIELDS = {1: 2, 2: 2, 5: 2, 10: 2, 11: 2, 12: 2, 13: 2, 14: 2, 15: 2, 16: 2}
_WIRE_TYPES = {0, 1, 2, 5}
_FIXED_BYTES = {1: 8, 5: 4}
_GRAPH, _NODE, _OUTPUT = 7, 1, 12


def onnx_problem(model: Path, name: str | None = None) -> str | None:
    """Why the file at `model` (`name`: called by its own name) is not a whole ONNX model,
    or None. Only the outer fields of the model and of its graph are read (their tags and
    lengths, a few kB; loading a 60 MB voice takes a second and 200 MB): each must be a field
    a model or graph has, each length must fit, and the graph must be there, with nodes and
    an output. So a file cut short, random bytes or another kind of file are told apart from
    a model without loading it. (A model damaged deeper down is caught when it loads.)"""
    name = name or model.name
    try:
        with open(os.open(model, os.O_RDONLY | getattr(os, "O_NONBLOCK", 0)), "rb") as file:
            status = os.fstat(file.fileno())
            if not stat.S_ISREG(status.st_mode):
                return f"its model {name} is not a plain file"
            graphs = [(start, end) for number, start, end
                      in _protobuf_fields(file, 0, status.st_size, _MODEL_FIELDS) if number == _GRAPH]
            if len(graphs) != 1:
                return f"its model {name} is not an ONNX model (it has no graph)"
            inside = {number for number, _, _ in _protobuf_fields(file, *graphs[0], _GRAPH_FIELDS)}
    except FileNotFoundError:
        return f"its model {name} is missing"
    except OSError as error:
        return f"its model {name} cannot be read ({error.strerror})"
    except ValueError:
        return f"its model {name} is not an ONNX model (cut short, or another kind of file)"
    if not {_NODE, _OUTPUT} <= inside:
        return f"its model {name} is not an ONNX model (its graph has no nodes or no output)"
    return None


def _protobuf_fields(file, start: int, end: int, known: dict[int, int]
                     ) -> list[tuple[int, int, int]]:
    """(field number, start, end) of each field of the protobuf message between `start` and
    `end` in `file`, whose fields `known` gives with their wire types; ValueError when the
    bytes are not such a message."""
    fields = []
    file.seek(start)
    while file.tell() < end:
        number, wire = divmod(_varint(file), 8)
        if number == 0 or wire != known.get(number, wire) or wire not in _WIRE_TYPES:
            raise ValueError(f"field {number} of wire type {wire}")
        if wire == 0:
            _varint(file)
            fields.append((number, file.tell(), file.tell()))
            continue
        length = _varint(file) if wire == 2 else _FIXED_BYTES[wire]
        if file.tell() + length > end:
            raise ValueError("a field runs past the end of its message")
        fields.append((number, file.tell(), file.tell() + length))
        file.seek(length, os.SEEK_CUR)
    return fields


def _varint(file) -> int:
    value = 0
    for shift in range(0, 70, 7):
        byte = file.read(1)
        if not byte:
            raise ValueError("the file ends inside a number")
        value |= (byte[0] & 0x7F) << shift
        if byte[0] < 0x80:
            return value
    raise ValueError("a number longer than 10 bytes")


def remove_what_killed_fetches_left(folder: Path) -> None:
    """Remove from the voice folder what a fetch killed outright left: its temporary files
    (those whose process is gone), and a config put in place without its model (killed
    between the two renames). A config whose model is still on its way (a temporary of a
    fetch still going) is left alone; so is everything else."""
    remove_stale_temporaries(folder)
    try:
        names = {entry.name for entry in os.scandir(folder)}
    except OSError:
        return
    arriving = {target_name(name) for name in names if TEMPORARY.match(name)}
    for name in names:
        model = name.removesuffix(".json")
        if name.endswith(".onnx.json") and model not in arriving and not (folder / model).exists():
            with contextlib.suppress(OSError):
                (folder / name).unlink()


def installed_voices(folder: Path | None = None) -> list[InstalledVoice]:
    """The voices in the voice folder, after removing what a killed fetch left there."""
    folder = folder or voice_folder()
    if not folder.is_dir():
        return []
    remove_what_killed_fetches_left(folder)
    return [describe(model) for model in sorted(folder.glob("*.onnx"))]
