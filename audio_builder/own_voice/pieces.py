"""The lines a recorded voice speaks in a script, and which of them have a take."""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, replace
from pathlib import Path

from audio_builder.errors import InputError
from audio_builder.model import Place, Script, Utterance, VoiceProfile
from audio_builder.own_voice.takes_index import Listened, read_verdicts, update_index, verdict_of
from audio_builder.speech.engines import is_recorded
from audio_builder.speech.synthesizer import VoiceBook
from audio_builder.speech.takes import (
    TakeError,
    TakeLevels,
    find_take,
    judge_take,
    longest_take_ms,
    scan_take,
    take_id,
    words_of,
)
from audio_builder.timeline import Timeline, spoken_pieces


@dataclass(frozen=True)
class Line:
    """One take a voice needs: its words, where they are first written, and its file if any."""

    number: int            # in reading order, from 1
    text: str
    place: Place
    take: Path | None
    language: str | None = None     # the practice's, which the recognizer hears (None: English)

    @property
    def id(self) -> str:
        return take_id(self.text)


def recorded_profile(profiles: dict[str, VoiceProfile], name: str, where: Place | None = None,
                     *, asked: bool = False) -> VoiceProfile:
    """The recorded voice `name`; an error naming the recorded voices there are, and how to
    choose one (`--voice`), when it is not one. `asked`: the name came from `--voice`, not from
    the script."""
    profile = profiles.get(name)
    if profile is not None and is_recorded(profile):
        return profile
    recorded = sorted(n for n, p in profiles.items() if is_recorded(p))
    what = "no voice profile" if profile is None else f"a {profile.engine} voice, not a recorded one"
    source = "" if asked else "the script's voice "
    if recorded:
        choices = " or ".join(f"--voice {n}" for n in recorded[:5])
        advice = (f"the recorded voice{'s' * (len(recorded) > 1)} here: {', '.join(recorded)}; "
                  f"give {choices}" + ("" if asked else ", or write it as the script's `voice:`"))
    else:
        advice = (f"there is no recorded voice here yet: make one with a file like "
                  f"voices/{name if profile is None else 'teacher'}.yaml holding `engine: recorded`")
    raise InputError(f"{source}{name!r} is {what} ({advice})",
                     where.file if where else None, where.line if where else None)


def takes_folder(profile: VoiceProfile) -> Path:
    return profile.takes or Path("takes") / profile.name


def lines_of(script: Script, profile: VoiceProfile, length_ms: int | None = None) -> list[Line]:
    """Each distinct piece `profile` speaks in `script`, in reading order (a piece said twice
    is one take); with `length_ms`, only in the track of that length."""
    folder = takes_folder(profile)
    seen: dict[str, Line] = {}
    for utterance, place in spoken_pieces(script, length_ms):
        if utterance.voice == profile.name and take_id(utterance.text) not in seen:
            seen[take_id(utterance.text)] = Line(len(seen) + 1, utterance.text, place,
                                                 find_take(folder, utterance.text), script.language)
    return list(seen.values())


def chosen_lines(lines: list[Line], choice: str, what: str = "--replace") -> list[Line]:
    """The lines a user names: `all`, or numbers from the `takes` list and the recording
    sheet (`3`, `3,7`, `3-5`), or the first words of one line (`"let your eyes"`)."""
    if choice.strip().lower() == "all":
        return list(lines)
    by_number = {line.number: line for line in lines}
    chosen: dict[str, Line] = {}
    for part in (p.strip() for p in choice.split(",")):
        if re.fullmatch(r"\d+(-\d+)?", part):
            first, _, last = part.partition("-")
            numbers = range(int(first), int(last or first) + 1)
            missing = [n for n in numbers if n not in by_number]
            if missing or not numbers:
                raise InputError(f"{what} {part}: the lines are numbered 1 to {len(lines)} (as "
                                 "`audio-builder takes` and the recording sheet show them)")
            chosen.update((by_number[n].id, by_number[n]) for n in numbers)
            continue
        words = " ".join(words_of(part))
        matches = [line for line in lines if " ".join(words_of(line.text)).startswith(words)] if words else []
        if len(matches) != 1:
            found = "no line begins" if not matches else f"{len(matches)} lines begin"
            raise InputError(f"{what} {part!r}: {found} with these words; give the line's number "
                             "from `audio-builder takes` (like 3, 3,7 or 3-5) or `all`")
        chosen[matches[0].id] = matches[0]
    return sorted(chosen.values(), key=lambda line: line.number)


def script_in_voice(script: Script, voice: str | None) -> Script:
    return replace(script, voice=voice) if voice else script


def index_lines(profile: VoiceProfile, lines: list[Line]) -> InputError | None:
    """Bring the takes folder's index up to date with `lines`; what was wrong with it, if
    anything (it was then written again)."""
    return update_index(takes_folder(profile), [line.text for line in lines])


def judged(line: Line, keep_breaths: bool) -> tuple[TakeLevels | None, str | None]:
    """The take of `line` read in blocks and judged: (its levels, None), or (None, what is
    wrong). Memory stays flat however long the file is."""
    if line.take is None:
        return None, None
    try:
        take = scan_take(line.take, longest_take_ms(line.text))
        judge_take(take, line.take, keep_breaths)
    except TakeError as error:
        return None, error.message
    return take, None


# --- what check, build and plan say about recorded voices -------------------------------------

@dataclass(frozen=True)
class TakeReport:
    warnings: tuple[str, ...]
    errors: tuple[InputError, ...]


def check_takes(script: Script, voices: VoiceBook,
                lengths: Iterable[int | None] = (None,)) -> TakeReport:
    """Missing and bad takes of every recorded voice in `script`'s tracks of `lengths` (None:
    every length): missing ones are warnings where the voice has a fallback (the build says who
    spoke them), errors where not."""
    warnings: list[str] = []
    errors: list[InputError] = []
    for profile in _recorded_voices(script, voices):
        verdicts = read_verdicts(takes_folder(profile))
        for line in _lines_in(script, profile, lengths):
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
            elif (flag := flagged(line, verdicts)) is not None:
                warnings.append(flag)
    return TakeReport(tuple(warnings), tuple(errors))


def _lines_in(script: Script, profile: VoiceProfile, lengths: Iterable[int | None]) -> list[Line]:
    """The lines `profile` speaks in any of the tracks of `lengths`, each once."""
    found: dict[str, Line] = {}
    for length in lengths:
        for line in lines_of(script, profile, length):
            found.setdefault(line.id, line)
    return list(found.values())


def flagged(line: Line, verdicts: dict[str, Listened]) -> str | None:
    """A warning if listening back flagged this very take of `line` when it was imported."""
    listened = verdict_of(line.take, verdicts) if line.take else None
    if listened is None or listened.ok:
        return None
    return (f"{line.place.file}:{line.place.line}: listening back flagged the take of "
            f"\"{line.text}\": {listened.verdict}; listen to {line.take}, and record or import "
            "it again if it is wrong")


def flagged_takes(scripts: list[Script], voices: VoiceBook) -> list[str]:
    """For `build`: a warning for each take listening back flagged, once each."""
    warnings: dict[str, str] = {}
    for script in scripts:
        for profile in _recorded_voices(script, voices):
            verdicts = read_verdicts(takes_folder(profile))
            for line in lines_of(script, profile):
                if line.id not in warnings and (flag := flagged(line, verdicts)) is not None:
                    warnings[line.id] = flag
    return list(warnings.values())


def _recorded_voices(script: Script, voices: VoiceBook) -> Iterator[VoiceProfile]:
    names = {utterance.voice for utterance, _ in spoken_pieces(script)}
    for name in sorted(names):
        profile = voices.profiles.get(name)
        if profile is not None and is_recorded(profile):
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
    if not any(is_recorded(p) for p in profiles.values()):
        return {}
    marks = {}
    for placed in timeline.speech:
        speaker: Utterance = voices.speaker(placed.utterance, placed.place)
        if not is_recorded(profiles[placed.utterance.voice]):
            mark = "synthetic"
        elif speaker.voice == placed.utterance.voice:
            mark = "recorded"
        else:
            mark = f"synthetic: no take, {speaker.voice}"
        marks[(placed.start_ms, placed.utterance.text)] = f"[{mark}] "
    return marks
