"""The `Builder`: plans a project's scripts into tracks (`TrackPlan`) and writes each
track's audio, captions and chapters together (`BuiltTrack`)."""

from __future__ import annotations

from contextlib import AbstractContextManager, nullcontext
from dataclasses import dataclass, replace
from pathlib import Path

from audio_builder.builder.audio import IsCancelled, stop_if, write_audio
from audio_builder.builder.settings import OutputSettings
from audio_builder.durations import format_human
from audio_builder.errors import InputError
from audio_builder.files import remove_stale_temporaries, write_files_together
from audio_builder.languages import language
from audio_builder.model import Only, Place, Say, Script, Step, Utterance
from audio_builder.publishing.captions import to_chapters_json, to_srt, to_vtt
from audio_builder.publishing.lock import read_lock
from audio_builder.publishing.tags import TrackTags
from audio_builder.publishing.tracks import (
    Track,
    cover_bytes,
    scheduled_folder,
    spoken_in,
    today,
    track_guid,
    tracks_of,
)
from audio_builder.script.project import Project
from audio_builder.script.speakers import Speaker, chosen_profile, practice_language, speaker_for
from audio_builder.sound.master import (
    MasterReport,
)
from audio_builder.sound.media import bell_length_ms, file_length_ms
from audio_builder.speech.cache import SpeechCache
from audio_builder.speech.engines import ENGINES
from audio_builder.speech.synthesizer import Synthesizer, VoiceBook
from audio_builder.text import fold_paragraphs
from audio_builder.timeline import (
    LengthError,
    LengthRange,
    Measures,
    Timeline,
    length_ranges,
    plan_timeline,
)


@dataclass(frozen=True)
class TrackPlan:
    """One track of a script: its output name, the length asked for, its timeline, and what
    planning had to do to reach the length (warnings, each at its file and line)."""

    track: Track
    timeline: Timeline
    warnings: tuple[str, ...] = ()

    @property
    def script(self) -> Script:
        return self.track.script

    @property
    def name(self) -> str:
        return self.track.name

    @property
    def length_ms(self) -> int | None:
        return self.track.length_ms


@dataclass(frozen=True)
class BuiltTrack:
    plan: TrackPlan
    audio: Path
    files: tuple[Path, ...]
    measured_lufs: float | None = None
    gain_db: float = 0.0
    reached_lufs: float | None = None       # the loudness written (None: left as mixed)
    loudness_note: str | None = None        # why it is not the target, or what reached it

    @property
    def length_ms(self) -> int:
        return self.plan.timeline.length_ms



class Builder:
    """Plans and builds scripts of one project.

    `cancelled`, when given, is asked before each piece of speech a plan measures, before each
    track and between blocks of its audio; once it answers True the work stops, no file is
    written (the previous ones stay) and `Cancelled` is raised. It is how a task that cannot
    be interrupted (a thread on a Dask worker) is stopped."""

    def __init__(self, project: Project, *, voice: str | None = None,
                 cache: SpeechCache | None = None, force: bool = False,
                 output: OutputSettings | None = None, scratch: str = "",
                 cancelled: IsCancelled | None = None):
        self.project = project
        self.scratch = scratch            # in the names of this build's temporary files
        self.cancelled = cancelled
        self.voice_override = voice
        self.voices = project_voices(project)
        self.synthesizer = Synthesizer(self.voices, cache, refresh=force)
        self.output = output or OutputSettings()
        self.lock = read_lock(project.root)
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
            stop_if(self.cancelled)          # it may have to be spoken, which takes a while
            return self.synthesizer.length_ms(utterance, place)

        return Measures(
            speech_ms=speech_ms,
            sound_ms=file_length_ms,
            sentence_pause_ms=lambda voice, place: self.voices.profile(voice, place).sentence_pause_ms,
            bell_ms=bell_length_ms,
            step_pause_ms=lambda voice, place: self.voices.profile(voice, place).between_steps_ms,
            phrase_pause_ms=lambda voice, place: self.voices.profile(voice, place).phrase_pause_ms,
            breath_words=lambda voice, place: dict(self.voices.profile(voice, place).breath_words),
        )

    def with_voice(self, script: Script) -> Script:
        """The script in its language and the voice it will be spoken in (`speaker`; in
        another voice than its own, with tracks of their own: see `tracks.spoken_in`); an
        unknown voice is an error at its line."""
        script = replace(script, language=practice_language(script, self.project.podcast,
                                                            self.voices.profiles))
        if self.voice_override:
            return spoken_in(script, self.voice_override)
        speaker = self.speaker(script)
        self.voices.engine(speaker.name, Place(str(script.path), script.line_of("voice") or 1))
        return replace(script, voice=speaker.name)

    def spoken_by(self, script: Script) -> str:
        """A line saying which voice speaks `script`, why, and in which language."""
        speaker = self.speaker(script)
        code = self.with_voice(script).language or "en"
        return f"spoken by {speaker.name} ({speaker.reason}); language {code} ({language(code).name})"

    def speaker(self, script: Script) -> Speaker:
        """Who speaks `script` and why: the voice it names, else one of its language."""
        if script.language is None:
            script = replace(script, language=practice_language(script, self.project.podcast,
                                                                self.voices.profiles))
        if self.voice_override:
            return Speaker(self.voice_override, self.voices.profile(self.voice_override),
                           "given on the command line")
        speaker = speaker_for(script, self.voices.profiles)
        self.voices.profiles.setdefault(speaker.name, speaker.profile)
        return speaker

    def plan(self, script: Script, lengths: tuple[int, ...] | None = None, *,
             estimate: bool = False) -> list[TrackPlan]:
        """Timelines for every length of the script (`lengths` overrides the script's)."""
        with self._cache_in_use():
            return self._plan(script, lengths, estimate)

    def _plan(self, script: Script, lengths: tuple[int, ...] | None, estimate: bool) -> list[TrackPlan]:
        script = self.with_voice(script)
        background = script.background.sound if script.background else None
        if background is not None and background.path is not None:
            file_length_ms(background.path, background.place)   # read through now, as bells are
        measures = self._measures(estimate)
        plans = []
        for track in tracks_of(script, lengths):
            try:
                plans.append(TrackPlan(track, plan_timeline(script, measures, track.length_ms)))
            except LengthError as error:
                quicker = self._at_quicker_pace(script, measures, track.length_ms, error)
                plans.append(TrackPlan(track, *quicker))
        return plans

    def _at_quicker_pace(self, script: Script, measures: Measures, length_ms: int | None,
                         error: LengthError) -> tuple[Timeline, tuple[str, ...]]:
        """A length the script's steps are too long for at its voice's pace, planned with every
        line spoken quicker, up to `PACE_BACK` (so a practice written for the pace before it
        became calmer still builds, exactly as long as asked), and the warning that says so.
        Speech follows 1/rate, so the pace is worked out from the shortest length the script
        fits and the speech in it, and worked out again from there if that is not yet enough
        (at most five plans: in a build each speaks the lines at its pace)."""
        where = (script.path, script.line_of("length"))
        ranges = length_ranges(script, measures) if error.what == "too short" and length_ms else []
        if not ranges or ranges[0][0] <= (length_ms or 0):
            raise InputError(error.message, *where) from None
        enough = shortest = ranges[0][0]
        quick, pace = script, 1.0
        for _ in range(5):
            spoken = sum(s.ms for s in plan_timeline(quick, measures, shortest).speech)
            if spoken <= shortest - (length_ms or 0) or pace >= PACE_BACK:
                break
            # Speech follows 1/rate, but a pause after a sentence only partly follows it: a
            # little quicker than the sums say, so that most lengths take one try.
            pace = min(PACE_BACK, pace * spoken / (spoken - (shortest - (length_ms or 0))) * 1.02)
            quick = quickened(script, pace)
            try:
                timeline = plan_timeline(quick, measures, length_ms)
            except LengthError:
                reach = length_ranges(quick, measures)
                if not reach:
                    break
                shortest = reach[0][0]
                continue
            asked, own_pace = format_human(length_ms or 0), format_human(-(-enough // 1000) * 1000)
            written = InputError(
                f"length {asked} is too short for this script at its voice's pace: built with its lines "
                f"spoken {(pace - 1) * 100:.0f}% quicker, toward the pace voices had before 2026-11-23, "
                f"and exactly {asked} long; for the voice's own pace, write `length: {own_pace}` or "
                f"longer, or shorten the steps", *where)
            return timeline, (written.located(),)
        raise InputError(error.message, *where) from None

    def length_ranges(self, script: Script, *, estimate: bool = False) -> list[LengthRange]:
        """The lengths `script` can be built at (see `timeline.length_ranges`)."""
        return length_ranges(self.with_voice(script), self._measures(estimate))

    def _cache_in_use(self) -> AbstractContextManager[None]:
        cache = self.synthesizer.cache
        return cache.in_use() if cache is not None else nullcontext()

    # --- building ---------------------------------------------------------------------

    def build(self, script: Script, output_dir: Path | None = None,
              lengths: tuple[int, ...] | None = None, *, only: str | None = None,
              hold_scheduled: bool = True) -> list[BuiltTrack]:
        """Plan and write every track of `script` (or only the one named `only`); each file
        appears whole or not at all. A track dated after today goes into the scheduled folder
        beside `output_dir` (`output-scheduled/`), never into the folder that is published,
        unless `hold_scheduled` is false (a build for this session only)."""
        output_dir = Path(output_dir or self.project.output_dir)
        with self._cache_in_use():
            try:
                plans = [plan for plan in self.plan(script, lengths) if only in (None, plan.name)]
                output_dir.mkdir(parents=True, exist_ok=True)
                remove_stale_temporaries(output_dir)
                return [self._write_track(plan, output_dir, hold_scheduled) for plan in plans]
            finally:
                self.synthesizer.forget()

    def _write_track(self, plan: TrackPlan, output_dir: Path, hold_scheduled: bool) -> BuiltTrack:
        stop_if(self.cancelled)
        track = plan.track
        held = scheduled_folder(output_dir)
        folder = track.folder_for(output_dir, today()) if hold_scheduled else output_dir
        if folder != output_dir:
            folder.mkdir(parents=True, exist_ok=True)
            remove_stale_temporaries(folder)
        targets = {"audio": track.audio(folder, self.output.codec),
                   **{kind: track.sidecar(folder, kind) for kind in ("vtt", "srt", "chapters")}}
        texts = {"vtt": to_vtt(plan.timeline), "srt": to_srt(plan.timeline),
                 "chapters": to_chapters_json(plan.timeline)}
        reports: list[MasterReport | None] = []

        def write_audio_file(temporary: Path) -> None:
            reports.append(write_audio(plan.timeline, self.synthesizer, temporary, self.output,
                                       self._tags(track), self.cancelled))

        def text_file(text: str):
            return lambda temporary: temporary.write_text(text, encoding="utf-8")

        # The audio, captions and chapters of a track are replaced together or not at all.
        write_files_together({targets["audio"]: write_audio_file,
                              **{targets[key]: text_file(text) for key, text in texts.items()}},
                             tag=self.scratch)
        if hold_scheduled:            # a track lives in one of the two folders, never both
            for stale in track.files(output_dir if folder == held else held):
                stale.unlink()
        report = reports[0]
        if report is None:
            return BuiltTrack(plan, targets["audio"], tuple(targets.values()))
        return BuiltTrack(plan, targets["audio"], tuple(targets.values()), report.measured_lufs,
                          report.gain_db, report.reached_lufs, report.note)

    def _tags(self, track: Track) -> TrackTags:
        podcast, script = self.project.podcast, track.script
        cover, cover_mime = cover_bytes(podcast, script)
        return TrackTags(
            title=track.title,
            artist=script.author or podcast.author,
            album=podcast.title,
            description=fold_paragraphs(script.description),
            date=script.date.isoformat() if script.date else None,
            language=script.language or "en",
            episode=track.episode,
            season=script.season,
            guid=track_guid(podcast, track, self.lock),
            keywords=script.keywords,
            cover=cover,
            cover_mime=cover_mime,
            mastered=self.output.normalize,
        )


# The quickest a line may be spoken when a length asks for it: the default voice's rate went
# from 0.72 to 0.54 on 2026-11-23 (a calmer pace), and practices written for the old pace
# may come back to it, no further.
PACE_BACK = 0.72 / 0.54


def quickened(script: Script, pace: float) -> Script:
    """`script` with every `say` spoken `pace` times quicker (breathing cues keep theirs)."""
    def step(each: Step) -> Step:
        if isinstance(each, Say):
            return replace(each, rate=(each.rate or 1.0) * pace)
        if isinstance(each, Only):
            return replace(each, steps=tuple(step(inner) for inner in each.steps))
        return each
    return replace(script, steps=tuple(step(each) for each in script.steps))


def project_voices(project: Project) -> VoiceBook:
    """The project's voices, and those chosen by a practice's language as they are named."""
    profiles = dict(project.profiles)
    return VoiceBook(profiles, lambda name: chosen_profile(name, profiles))
