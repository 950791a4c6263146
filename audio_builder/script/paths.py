"""Files named in what people write (scripts, `podcast.yaml`, voice profiles): the one place
that resolves such a path and checks it.

A named file stays inside its project: the folder holding `podcast.yaml`, `voices/` or
`scripts/` (or, outside any project, the folder of the file that names it). Another folder
is allowed only by the person running the program, never by a file: list it in the
environment variable `AUDIO_BUILDER_ALLOW` (several separated by `:`, or `;` on Windows).
A script shared with you cannot read your SSH keys or make ffmpeg read a device.
"""

from __future__ import annotations

import os
from pathlib import Path

from audio_builder.errors import InputError, excerpt

ALLOW_ENV = "AUDIO_BUILDER_ALLOW"
PODCAST_FILE = "podcast.yaml"
MARKERS = (PODCAST_FILE, "voices", "scripts")
MAX_PATH_CHARS = 1024

IMAGE_FORMATS = {"PNG": "image/png", "JPEG": "image/jpeg"}
MAX_IMAGE_SIDE = 8192                 # pixels; podcast directories want 1400 to 3000
MAX_IMAGE_BYTES = 20_000_000


def marked_folder(start: Path) -> Path | None:
    """The nearest folder, from `start` upwards, holding podcast.yaml, voices/ or scripts/."""
    for folder in (start, *start.parents):
        if any((folder / marker).exists() for marker in MARKERS):
            return folder
    return None


def project_root_of(file: Path) -> Path:
    """The project a file belongs to; outside any project, the file's own folder."""
    folder = Path(file).resolve().parent
    return marked_folder(folder) or folder


def allowed_folders(root: Path) -> tuple[Path, ...]:
    extra = [Path(item).expanduser().resolve()
             for item in os.environ.get(ALLOW_ENV, "").split(os.pathsep) if item.strip()]
    return (Path(root).resolve(), *extra)


def named_path(value: object, *, named_in: Path, line: int | None, key: str,
               root: Path | None = None, must_exist: bool = True, base: Path | None = None) -> Path:
    """The absolute, resolved path of a file that `named_in` names at `line` under `key`.

    Relative paths are relative to `base` (default: the naming file's folder). The result
    lies inside the project (or a folder the user allowed), and, with `must_exist`, is an
    existing file."""
    if not isinstance(value, str) or not value.strip():
        raise InputError(f"`{key}` must be a file path, not {excerpt(value)}",
                         named_in, line)
    written = value.strip()
    if "\0" in written or len(written) > MAX_PATH_CHARS:
        raise InputError(f"`{key}`: {excerpt(written)} is not a usable file path", named_in, line)
    root = Path(root) if root is not None else project_root_of(named_in)
    try:
        start = Path(base).resolve() if base is not None else Path(named_in).resolve().parent
        path = (start / Path(written).expanduser()).resolve()
    except (OSError, RuntimeError, ValueError):
        raise InputError(f"`{key}`: {excerpt(written)} is not a usable file path",
                         named_in, line) from None
    if not any(path.is_relative_to(folder) for folder in allowed_folders(root)):
        raise InputError(
            f"`{key}`: {excerpt(written)} is outside the project ({root}); keep the files a "
            f"script names inside the project folder, or allow another folder by setting "
            f"{ALLOW_ENV}=/that/folder where you run audio-builder", named_in, line)
    if must_exist and not path.is_file():
        raise InputError(f"`{key}`: no file at {excerpt(written)} (looked in "
                         f"{Path(named_in).parent}); paths are relative to the file that "
                         "names them", named_in, line)
    return path


def image_path(value: object, *, named_in: Path, line: int | None, key: str,
               root: Path | None = None) -> Path:
    """A named file that really is a PNG or JPEG picture of a sane size."""
    path = named_path(value, named_in=named_in, line=line, key=key, root=root)
    problem = image_problem(path)
    if problem:
        raise InputError(f"`{key}`: {excerpt(value)} {problem}", named_in, line)
    return path


def image_problem(path: Path) -> str | None:
    """Why a file is not usable as cover art, or None. Reads the header, never the pixels."""
    from PIL import Image, UnidentifiedImageError

    if path.stat().st_size > MAX_IMAGE_BYTES:
        return (f"is larger than {MAX_IMAGE_BYTES // 1_000_000} MB; "
                "save the cover as a PNG or JPEG of 1400 to 3000 pixels square")
    try:
        with Image.open(path, formats=list(IMAGE_FORMATS)) as image:
            width, height = image.size
            image.verify()
    except (UnidentifiedImageError, OSError, SyntaxError, ValueError,
            Image.DecompressionBombError):
        return "is not a PNG or JPEG picture; give the cover as a .png or .jpg file"
    if not (1 <= width <= MAX_IMAGE_SIDE and 1 <= height <= MAX_IMAGE_SIDE):
        return (f"is {width}×{height} pixels; a cover is at most {MAX_IMAGE_SIDE} pixels "
                "a side (1400 to 3000 square suits every podcast directory)")
    return None
