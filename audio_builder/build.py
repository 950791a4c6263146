"""The Python API: plan and build practice scripts into finished tracks.

    from audio_builder import Builder, open_project, load_script
    project = open_project()
    builder = Builder(project)
    tracks = builder.build(load_script(Path("scripts/self-compassion-break.yaml")))
"""

from __future__ import annotations

import os
import tempfile
from contextlib import ExitStack
from dataclasses import dataclass, replace
from pathlib import Path

from .cache import SpeechCache
from .captions import to_chapters_json, to_srt, to_vtt
from .durations import format_human
from .audio import ms_to_samples
from .encode import FORMATS, encode
from .engines import ENGINES
from .errors import InputError
from .media import file_length_ms
from .model import Place, Script
from .project import Project
from .render import render
from .speech import Synthesizer, Utterance, VoiceBook
from .tags import TrackTags, write_tags
from .timeline import LengthError, Measures, Timeline, plan_timeline


@dataclass(frozen=True)
class TrackPlan:
    """One track of a script: its output name, the length asked for, and its timeline."""

    script: Script
    name: str
    length_ms: int | None
    timeline: Timeline


@dataclass(frozen=True)
class BuiltTrack:
    plan: TrackPlan
    mp3: Path
    files: tuple[Path, ...]

    @property
    def length_ms(self) -> int:
        return self.plan.timeline.length_ms


class Builder:
    """Plans and builds scripts of one project. Speech is synthesized once per builder."""

    def __init__(self, project: Project, *, voice: str | None = None,
                 cache: SpeechCache | None = None, force: bool = False):
        self.project = project
        self.voice_override = voice
        self.voices = VoiceBook(project.profiles)
        self.synthesizer = Synthesizer(self.voices, cache, refresh=force)
        if voice is not None:
            self.voices.profile(voice)

    # --- planning ---------------------------------------------------------------------

    def _measures(self, estimate: bool) -> Measures:
        def speech_ms(utterance: Utterance, place: Place) -> int:
            profile = self.voices.profile(utterance.voice, place)
            if estimate:
                problem = ENGINES[profile.engine].problem()
                if problem:
                    raise InputError(f"voice {utterance.voice!r} cannot speak here: {problem}",
                                     place.file, place.line)
                return self.voices.estimate_ms(utterance)
            return self.synthesizer.length_ms(utterance, place)

        return Measures(
            speech_ms=speech_ms,
            sound_ms=file_length_ms,
            sentence_pause_ms=lambda voice, place: self.voices.profile(voice, place).sentence_pause_ms,
        )

    def plan(self, script: Script, lengths: tuple[int, ...] | None = None, *,
             estimate: bool = False) -> list[TrackPlan]:
        """Timelines for every length of the script (`lengths` overrides the script's)."""
        if self.voice_override:
            script = replace(script, voice=self.voice_override)
        else:
            self.voices.profile(script.voice, Place(str(script.path), script.line_of("voice") or 1))
        measures = self._measures(estimate)
        wanted = lengths or script.lengths
        if not wanted:
            return [TrackPlan(script, script.slug, None, plan_timeline(script, measures))]
        plans = []
        for length in wanted:
            try:
                timeline = plan_timeline(script, measures, length)
            except LengthError as error:
                raise InputError(error.message, script.path, script.line_of("length")) from None
            name = script.slug if len(wanted) == 1 else f"{script.slug}-{format_human(length)}"
            plans.append(TrackPlan(script, name, length, timeline))
        return plans

    # --- building ---------------------------------------------------------------------

    def build(self, script: Script, output_dir: Path | None = None,
              lengths: tuple[int, ...] | None = None) -> list[BuiltTrack]:
        """Plan and write every track of `script`; each file appears whole or not at all."""
        output_dir = Path(output_dir or self.project.output_dir)
        plans = self.plan(script, lengths)
        output_dir.mkdir(parents=True, exist_ok=True)
        try:
            return [self._write_track(plan, output_dir) for plan in plans]
        finally:
            self.synthesizer.forget()

    def _write_track(self, plan: TrackPlan, output_dir: Path) -> BuiltTrack:
        targets = {
            "mp3": output_dir / f"{plan.name}.mp3",
            "vtt": output_dir / f"{plan.name}.vtt",
            "srt": output_dir / f"{plan.name}.srt",
            "chapters": output_dir / f"{plan.name}.chapters.json",
        }
        with ExitStack() as cleanup:
            temporary = {key: _temporary_beside(path, cleanup) for key, path in targets.items()}
            samples = FORMATS["mp3"].pcm_frames(ms_to_samples(plan.timeline.length_ms))
            encode(render(plan.timeline, self.synthesizer, total=samples), temporary["mp3"])
            write_tags(temporary["mp3"], self._tags(plan.script), plan.timeline.chapters,
                       plan.timeline.length_ms)
            temporary["vtt"].write_text(to_vtt(plan.timeline), encoding="utf-8")
            temporary["srt"].write_text(to_srt(plan.timeline), encoding="utf-8")
            temporary["chapters"].write_text(to_chapters_json(plan.timeline), encoding="utf-8")
            for key, path in targets.items():
                os.replace(temporary[key], path)
        return BuiltTrack(plan, targets["mp3"], tuple(targets.values()))

    def _tags(self, script: Script) -> TrackTags:
        podcast = self.project.podcast
        return TrackTags(
            title=script.title,
            artist=script.author or podcast.author,
            album=podcast.title,
            description=script.description.strip(),
            date=script.date.isoformat() if script.date else None,
            language=script.language,
            episode=script.episode,
            season=script.season,
        )


def _temporary_beside(path: Path, cleanup: ExitStack) -> Path:
    """A fresh hidden file in the same folder (so the final rename is atomic), removed
    again unless it was renamed into place."""
    handle, name = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".part", dir=path.parent)
    os.close(handle)
    temporary = Path(name)
    cleanup.callback(lambda: temporary.unlink(missing_ok=True))
    return temporary
