"""Piper voices from the public voice catalogue, fetched only when the user asks.

The catalogue is a `voices.json` (one entry per voice, keyed like `en_US-amy-medium`, with its
language, quality and files, each with its size and MD5) beside the files themselves. A voice
is its model (`.onnx`) and the model's config (`.onnx.json`); both are downloaded into the
user's voice folder, checked against the catalogue's size and MD5 while they stream, and only
then moved into place, so a voice is there whole or not at all. Nothing here runs during a
build: once a voice is in the folder, speaking with it is offline.
"""

from __future__ import annotations

import difflib
import hashlib
import json
import os
import urllib.error
import urllib.request
from contextlib import ExitStack
from dataclasses import dataclass
from pathlib import Path

from audio_builder.errors import AudioBuilderError, InputError
from audio_builder.files import temporary_beside, user_folder

URL_VAR = "AUDIO_BUILDER_VOICES_URL"
FOLDER_VAR = "AUDIO_BUILDER_VOICE_DIR"
DEFAULT_URL = "https://huggingface.co/rhasspy/piper-voices/resolve/v1.0.0/"
MAX_CATALOGUE_BYTES = 20_000_000
MAX_VOICE_BYTES = 300_000_000          # the largest piper voices are about 120 MB
CHUNK = 1 << 20

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


@dataclass(frozen=True)
class InstalledVoice:
    name: str
    model: Path
    language: str
    quality: str
    description: str


def catalogue_url() -> str:
    url = os.environ.get(URL_VAR) or DEFAULT_URL
    return url if url.endswith("/") else url + "/"


def voice_folder() -> Path:
    """Where fetched voices live: $AUDIO_BUILDER_VOICE_DIR, or the user's data folder."""
    if os.environ.get(FOLDER_VAR):
        return Path(os.environ[FOLDER_VAR]).expanduser()
    return user_folder("data") / "voices"


def _open(url: str):
    if not url.startswith(("https://", "http://")):
        raise InputError(f"${URL_VAR} must be an http(s) address, not {url[:80]!r}")
    try:
        return urllib.request.urlopen(url, timeout=60)  # noqa: S310 (scheme checked above)
    except urllib.error.HTTPError as error:
        raise DownloadError(f"the voice catalogue answered {error.code} for {url}") from None
    except (urllib.error.URLError, OSError) as error:
        reason = getattr(error, "reason", error)
        raise DownloadError(f"cannot reach the voice catalogue at {catalogue_url()} ({reason}); "
                            f"check the connection, or set ${URL_VAR} to a mirror") from None


def read_catalogue(url: str | None = None) -> dict:
    url = url or catalogue_url()
    with _open(url + "voices.json") as response:
        data = response.read(MAX_CATALOGUE_BYTES + 1)
    try:
        catalogue = json.loads(data) if len(data) <= MAX_CATALOGUE_BYTES else None
    except ValueError:
        catalogue = None
    if not isinstance(catalogue, dict):
        raise DownloadError(f"{url}voices.json is not a piper voice catalogue")
    return catalogue


def find_entry(catalogue: dict, name: str) -> tuple[str, dict]:
    for key, entry in catalogue.items():
        if isinstance(entry, dict) and (key == name or name in entry.get("aliases", [])):
            return key, entry
    close = difflib.get_close_matches(name, list(catalogue), n=3, cutoff=0.6)
    hint = ("; did you mean " + " or ".join(f"`{c}`" for c in close) + "?") if close else (
        "; names look like `en_US-amy-medium` (language, voice, quality)")
    raise InputError(f"the voice catalogue has no voice called {name!r}{hint}")


def _voice_files(key: str, entry: dict) -> list[tuple[str, int, str]]:
    """(path in the catalogue, size, md5) of the model and its config."""
    files = entry.get("files")
    wanted = []
    for suffix in (".onnx", ".onnx.json"):
        found = [(path, info) for path, info in (files or {}).items()
                 if isinstance(path, str) and path.endswith(key + suffix) and isinstance(info, dict)]
        if len(found) != 1:
            raise DownloadError(f"the catalogue entry for {key} lists no single {suffix} file")
        path, info = found[0]
        size, md5 = info.get("size_bytes"), info.get("md5_digest")
        if not isinstance(size, int) or not 0 < size <= MAX_VOICE_BYTES or not isinstance(md5, str):
            raise DownloadError(f"the catalogue entry for {path} has no usable size and MD5")
        if ".." in path.split("/") or path.startswith("/"):
            raise DownloadError(f"the catalogue names an unsafe path: {path[:80]!r}")
        wanted.append((path, size, md5.lower()))
    return wanted


def get_voice(name: str, folder: Path | None = None, url: str | None = None,
              report=lambda message: None) -> InstalledVoice:
    """Fetch voice `name` from the catalogue into `folder`, whole and checked, or not at all."""
    url = url or catalogue_url()
    folder = folder or voice_folder()
    key, entry = find_entry(read_catalogue(url), name)
    folder.mkdir(parents=True, exist_ok=True)
    with ExitStack() as cleanup:
        ready = []
        for path, size, md5 in _voice_files(key, entry):
            target = folder / path.rsplit("/", 1)[-1]
            report(f"fetching {target.name} ({size / 1e6:.1f} MB)")
            temporary = temporary_beside(target, cleanup)
            _download(url + path, temporary, size, md5)
            ready.append((temporary, target))
        for temporary, target in ready:          # the config last: a model without it is unused
            os.replace(temporary, target)
    return describe(folder / f"{key}.onnx")


def _download(url: str, into: Path, size: int, md5: str) -> None:
    digest, received = hashlib.md5(usedforsecurity=False), 0
    with _open(url) as response, open(into, "wb") as file:
        while received <= size:
            chunk = response.read(CHUNK)
            if not chunk:
                break
            received += len(chunk)
            digest.update(chunk)
            file.write(chunk)
    name = url.rsplit("/", 1)[-1]
    if received != size:
        raise DownloadError(f"{name}: received {received:,} bytes, the catalogue says {size:,}; "
                            "nothing was installed (try again)")
    if digest.hexdigest() != md5:
        raise DownloadError(f"{name}: its MD5 does not match the catalogue's; nothing was "
                            "installed (try again, or report the mirror)")


def describe(model: Path) -> InstalledVoice:
    """A fetched (or any piper) voice from its config: language, quality, a line about it."""
    name = model.name.removesuffix(".onnx")
    try:
        config = json.loads(Path(str(model) + ".json").read_text(encoding="utf-8"))
        language = config.get("language", {})
        quality = str(config.get("audio", {}).get("quality", "?"))
        where = language.get("name_english", "?") + (
            f" ({language['country_english']})" if language.get("country_english") else "")
        code = str(language.get("code", "?"))
        speakers = int(config.get("num_speakers", 1))
    except (OSError, ValueError, AttributeError, TypeError):
        return InstalledVoice(name, model, "?", "?", "its config (.onnx.json) is missing or damaged")
    line = RECOMMENDED.get(name) or where + (f", {speakers} speakers" if speakers > 1 else "")
    return InstalledVoice(name, model, code, quality, line)


def installed_voices(folder: Path | None = None) -> list[InstalledVoice]:
    folder = folder or voice_folder()
    if not folder.is_dir():
        return []
    return [describe(model) for model in sorted(folder.glob("*.onnx"))]
