"""What the studio lists, read from the project: its practices (title, lengths, voices),
which recorded voice a practice is shown in, and who speaks a line that has no take."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from audio_builder.errors import InputError
from audio_builder.model import Script, VoiceProfile
from audio_builder.own_voice.pieces import Line
from audio_builder.script.parser import load_script
from audio_builder.script.project import Project, find_scripts
from audio_builder.speech.engines import is_recorded
from audio_builder.timeline import spoken_pieces


@dataclass(frozen=True)
class Practice:
    """One script of the project, as the studio lists it (`script` None: it does not load)."""

    name: str                      # its file name without .yaml: its address in the studio
    path: Path
    script: Script | None
    problem: str = ""

    @property
    def title(self) -> str:
        return self.script.title if self.script else self.name

    @property
    def lengths(self) -> tuple[int, ...]:
        return self.script.lengths if self.script else ()

    @property
    def voices(self) -> tuple[str, ...]:
        """The voices its lines are spoken in, the script's own first."""
        if self.script is None:
            return ()
        named = {utterance.voice for utterance, _ in spoken_pieces(self.script)}
        first = self.script.voice
        return (first, *sorted(named - {first})) if first in named else tuple(sorted(named))


def practices(project: Project) -> list[Practice]:
    """Every script in the project's scripts/, in name order; one that does not load is
    listed with its error, so the studio can say what to fix."""
    try:
        paths = find_scripts([project.scripts_dir], project)
    except InputError:                       # no scripts/ yet, or nothing in it
        return []
    found = []
    for path in paths:
        try:
            found.append(Practice(path.stem, path, load_script(path)))
        except InputError as error:
            found.append(Practice(path.stem, path, None, error.located()))
    return found


def practice(project: Project, name: str) -> Practice:
    """The practice whose file is scripts/NAME.yaml: only the project's own scripts are found
    (a name with a path in it finds nothing)."""
    for candidate in practices(project):
        if candidate.name == name:
            return candidate
    raise InputError(f"there is no practice {name!r} in {project.scripts_dir}")


def recorded_voices(project: Project) -> list[str]:
    return sorted(name for name, profile in project.profiles.items() if is_recorded(profile))


def chosen_voice(project: Project, script: Script, asked: str | None) -> VoiceProfile | None:
    """The recorded voice to show lines for: the one asked for, else the script's own if it
    is recorded, else the project's only recorded voice; None when there is no recorded voice
    (or several and none chosen)."""
    recorded = recorded_voices(project)
    if asked:
        if asked not in recorded:
            raise InputError(f"{asked!r} is not a recorded voice of this project (the recorded "
                             f"voices: {', '.join(recorded) or 'none yet'})")
        return project.profiles[asked]
    if script.voice in recorded:
        return project.profiles[script.voice]
    return project.profiles[recorded[0]] if len(recorded) == 1 else None


def synthetic_lines(script: Script) -> list[Line]:
    """Every distinct piece the practice speaks, in reading order, none with a take: what the
    studio lists when the project has no recorded voice yet."""
    seen: dict[str, Line] = {}
    for utterance, place in spoken_pieces(script):
        seen.setdefault(utterance.text, Line(len(seen) + 1, utterance.text, place, None))
    return list(seen.values())


def synthetic_voice(project: Project, script: Script, profile: VoiceProfile | None) -> str:
    """Who speaks a line that has no take: the recorded voice's fallback, else the script's
    own voice when it is a synthetic one, else the default voice."""
    if profile is not None and profile.fallback:
        return profile.fallback
    own = project.profiles.get(script.voice)
    if own is not None and not is_recorded(own):
        return script.voice
    return "default"
