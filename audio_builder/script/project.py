"""A project: the folder with `scripts/`, `voices/`, `podcast.yaml` and `output/`."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from audio_builder.errors import InputError
from audio_builder.model import Podcast, VoiceProfile
from audio_builder.script.paths import marked_folder
from audio_builder.script.podcast import load_podcast
from audio_builder.script.voices import load_profiles


@dataclass(frozen=True)
class Project:
    root: Path
    podcast: Podcast
    profiles: dict[str, VoiceProfile]

    @property
    def scripts_dir(self) -> Path:
        return self.root / "scripts"

    @property
    def output_dir(self) -> Path:
        return self.root / "output"


def find_root(near: Path | None = None) -> Path:
    """The nearest folder, from `near` upwards, holding podcast.yaml, voices/ or scripts/;
    else the current folder."""
    start = (near or Path.cwd()).resolve()
    if start.is_file():
        start = start.parent
    return marked_folder(start) or Path.cwd()


def open_project(near: Path | None = None) -> Project:
    root = find_root(near)
    return Project(root=root, podcast=load_podcast(root), profiles=load_profiles(root / "voices"))


def find_scripts(paths: list[Path], project: Project) -> list[Path]:
    """Script files from files and folders (a folder: its *.yaml, sorted); default scripts/."""
    paths = paths or [project.scripts_dir]
    found: list[Path] = []
    for path in paths:
        if path.is_dir():
            found += sorted(p for p in path.glob("*.yaml") if not p.name.startswith("_"))
        elif path.is_file():
            found.append(path)
        else:
            raise InputError("no such file or folder; give a script (scripts/NAME.yaml) "
                             "or a folder of them", path)
    if not found:
        raise InputError("no scripts found (*.yaml); write one, e.g. scripts/my-practice.yaml",
                         paths[0])
    return found
