"""The lines a recorded voice speaks in a script, and which of them have a take."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, replace
from pathlib import Path

from audio_builder.errors import InputError
from audio_builder.model import Place, Script, Utterance, VoiceProfile
from audio_builder.speech.synthesizer import VoiceBook
from audio_builder.speech.takes import (
    RawTake,
    TakeError,
    find_take,
    judge_take,
    read_take,
    take_id,
    update_index,
)
from audio_builder.timeline import Timeline, spoken_pieces


@dataclass(frozen=True)
class Line:
    """One take a voice needs: its words, where they are first written, and its file if any."""

    number: int            # in reading order, from 1
    text: str
    place: Place
    take: Path | None

    @property
    def id(self) -> str:
        return take_id(self.text)


def recorded_profile(profiles: dict[str, VoiceProfile], name: str, where: Place | None = None
                     ) -> VoiceProfile:
    profile = profiles.get(name)
    recorded = sorted(n for n, p in profiles.items() if p.engine == "recorded")
    if profile is None or profile.engine != "recorded":
        what = "no voice profile" if profile is None else f"a {profile.engine} voice, not a recorded one"
        raise InputError(f"{name!r} is {what}; make voices/{name}.yaml with `engine: recorded`"
                         + (f" (the recorded voices here: {', '.join(recorded)})" if recorded else ""),
                         where.file if where else None, where.line if where else None)
    return profile


def takes_folder(profile: VoiceProfile) -> Path:
    return profile.takes or Path("takes") / profile.name


def lines_of(script: Script, profile: VoiceProfile) -> list[Line]:
    """Each distinct piece `profile` speaks in `script`, in reading order (a piece said twice
    is one take)."""
    folder = takes_folder(profile)
    seen: dict[str, Line] = {}
    for utterance, place in spoken_pieces(script):
        if utterance.voice == profile.name and take_id(utterance.text) not in seen:
            seen[take_id(utterance.text)] = Line(len(seen) + 1, utterance.text, place,
                                                 find_take(folder, utterance.text))
    return list(seen.values())


def script_in_voice(script: Script, voice: str | None) -> Script:
    return replace(script, voice=voice) if voice else script


def index_lines(profile: VoiceProfile, lines: list[Line]) -> Path:
    return update_index(takes_folder(profile), [line.text for line in lines])


def judged(line: Line, keep_breaths: bool) -> tuple[RawTake | None, str | None]:
    """The take of `line` read and judged: (take, None), or (None, what is wrong)."""
    if line.take is None:
        return None, None
    try:
        take = read_take(line.take)
        judge_take(take, line.take, keep_breaths)
    except TakeError as error:
        return None, error.message
    return take, None


# --- what check, build and plan say about recorded voices -------------------------------------

@dataclass(frozen=True)
class TakeReport:
    warnings: tuple[str, ...]
    errors: tuple[InputError, ...]


def check_takes(script: Script, voices: VoiceBook) -> TakeReport:
    """Missing and bad takes of every recorded voice in `script`: missing ones are warnings
    where the voice has a fallback (the build says who spoke them), errors where not."""
    warnings: list[str] = []
    errors: list[InputError] = []
    for profile in _recorded_voices(script, voices):
        for line in lines_of(script, profile):
            if line.take is None:
                if profile.fallback:
                    warnings.append(f"{line.place.file}:{line.place.line}: no take yet of "
                                    f"\"{line.text}\"; the draft uses voice {profile.fallback!r}")
                else:
                    errors.append(InputError(
                        f"voice {profile.name!r} has no take of \"{line.text}\" yet (expected "
                        f"{takes_folder(profile).name}/{line.id}.wav); record or import it, or "
                        "give the voice a `fallback:`", line.place.file, line.place.line))
                continue
            _, problem = judged(line, profile.breaths == "keep")
            if problem:
                errors.append(InputError(f"the take of \"{line.text}\" (line {line.place.line} "
                                         f"of {line.place.file}): {problem}", line.take))
    return TakeReport(tuple(warnings), tuple(errors))


def _recorded_voices(script: Script, voices: VoiceBook) -> Iterator[VoiceProfile]:
    names = {utterance.voice for utterance, _ in spoken_pieces(script)}
    for name in sorted(names):
        profile = voices.profiles.get(name)
        if profile is not None and profile.engine == "recorded":
            yield profile


def fallback_count(scripts: list[Script], voices: VoiceBook) -> dict[tuple[str, str], int]:
    """How many distinct pieces each recorded voice handed to its fallback: {(voice, fallback): n}."""
    counts: dict[tuple[str, str], set[str]] = {}
    for script in scripts:
        for profile in _recorded_voices(script, voices):
            for line in lines_of(script, profile):
                if line.take is None and profile.fallback:
                    counts.setdefault((profile.name, profile.fallback), set()).add(line.id)
    return {pair: len(ids) for pair, ids in counts.items()}


def speaker_marks(timeline: Timeline, voices: VoiceBook) -> dict[tuple[int, str], str]:
    """For `plan`: who speaks each line, where a recorded voice is in the track.
    Keyed by (start, text) of the cue row."""
    profiles = {s.utterance.voice: voices.profile(s.utterance.voice) for s in timeline.speech}
    if not any(p.engine == "recorded" for p in profiles.values()):
        return {}
    marks = {}
    for placed in timeline.speech:
        speaker: Utterance = voices.speaker(placed.utterance, placed.place)
        if profiles[placed.utterance.voice].engine != "recorded":
            mark = "synthetic"
        elif speaker.voice == placed.utterance.voice:
            mark = "recorded"
        else:
            mark = f"synthetic: no take, {speaker.voice}"
        marks[(placed.start_ms, placed.utterance.text)] = f"[{mark}] "
    return marks
