"""The user's own folders for what the program keeps between runs (the cache, data), by
the conventions of each system."""

from __future__ import annotations

import os
import sys
from pathlib import Path

# Per kind: the folder under ~/Library on macOS, and the XDG variable with its default under ~.
_USER_FOLDERS = {
    "cache": ("Caches", "XDG_CACHE_HOME", ".cache"),
    "data": ("Application Support", "XDG_DATA_HOME", ".local/share"),
}


CACHE_VARIABLE = "AUDIO_BUILDER_CACHE"


def cache_folder() -> Path:
    """Where this program keeps what it can make again (spoken pieces, the built-in sounds):
    the folder `$AUDIO_BUILDER_CACHE` names, or else the user's cache folder."""
    value = os.environ.get(CACHE_VARIABLE)
    return Path(value).expanduser() if value else user_folder("cache")


def user_folder(kind: str) -> Path:
    """This program's folder of `kind` ("cache" or "data") for the user, where each system
    keeps such folders."""
    mac, xdg_variable, xdg_default = _USER_FOLDERS[kind]
    if sys.platform == "win32":
        base = Path(os.environ.get("LOCALAPPDATA", Path.home() / "AppData" / "Local"))
    elif sys.platform == "darwin":
        base = Path.home() / "Library" / mac
    else:
        base = Path(os.environ.get(xdg_variable) or Path.home() / xdg_default)
    return base / "audio-builder"
