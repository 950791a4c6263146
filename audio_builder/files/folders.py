"""The user's own folders for what the program keeps between runs (the cache, data), by
the conventions of each system."""

from __future__ import annotations

import errno
import os
import sys
from pathlib import Path

from audio_builder.errors import InputError

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
    if not value:
        return user_folder("cache")
    return checked_folder(Path(value).expanduser(), f"${CACHE_VARIABLE}")


def checked_folder(path: Path, what: str) -> Path:
    """`path`, once it is known not to lead into a loop of symbolic links (which would stop
    every later step with a traceback); an InputError naming `what` set it, if it does."""
    try:
        path.resolve()
    except (RuntimeError, OSError) as error:     # RuntimeError until Python 3.13
        if isinstance(error, OSError) and error.errno != errno.ELOOP:
            return path
        raise InputError(f"{what} leads into a loop of symbolic links; point it at a "
                         "folder", path) from None
    return path


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
