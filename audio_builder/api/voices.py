"""Piper voices fetched from the public voice catalogue (what `audio-builder voices get`
does), and the voices fetched so far."""

from __future__ import annotations

import os
from collections.abc import Callable

from audio_builder.api.boundary import api_boundary, as_folder
from audio_builder.errors import InputError, excerpt
from audio_builder.speech.catalogue import (
    NAME,
    InstalledVoice,
    catalogue_url,
    checked_url,
    get_voice,
    installed_voices,
    voice_folder,
)


@api_boundary
def fetch_voice(name: str, *, folder: str | os.PathLike | None = None, url: str | None = None,
                report: Callable[[str], object] | None = None) -> InstalledVoice:
    """Fetch the piper voice `name` (like `en_US-amy-medium`, or one of its aliases) from the
    voice catalogue and return it as installed.

    `folder`: where voices go (default: `$AUDIO_BUILDER_VOICE_DIR`, else the user's data
    folder). `url`: the catalogue's folder, where its `voices.json` is (default:
    `$AUDIO_BUILDER_VOICES_URL`, else piper's own). `report`: called with a line per file
    fetched. The model and its config are checked against the catalogue's sizes and MD5s and
    put in place together, or not at all (stopped or killed at any point too). A malformed
    catalogue is a `CatalogueError` (an `InputError`), a failed download a `DownloadError`."""
    if not isinstance(name, str) or not NAME.fullmatch(name):
        raise InputError(f"name: give a voice name like `en_US-amy-medium`, not {excerpt(name)}")
    if url is not None and not isinstance(url, str):
        raise InputError(f"url: give the catalogue's address, not {type(url).__name__}")
    where = as_folder(folder, "folder") or voice_folder()
    address = catalogue_url() if url is None else checked_url(url, "url")
    return get_voice(name, where, address, report or (lambda line: None))


@api_boundary
def fetched_voices(folder: str | os.PathLike | None = None) -> list[InstalledVoice]:
    """The voices in `folder` (default: the voice folder), each with its language, quality
    and a line about it; a damaged one says so (`damaged`, and why in `description`). What a
    fetch killed outright left there is removed first."""
    return installed_voices(as_folder(folder, "folder"))

