"""From what the teacher names (a built track or a script) to a track ready to play."""

from __future__ import annotations

import math
from collections.abc import Iterator
from dataclasses import replace
from pathlib import Path

import numpy as np

from audio_builder.builder import Builder, OutputSettings, TrackPlan, write_audio
from audio_builder.durations import format_human, format_ms
from audio_builder.errors import AudioBuilderError, InputError
from audio_builder.live.track import PlayableTrack, decode_to_memmap, open_recording
from audio_builder.model import Script, SoundRef
from audio_builder.publishing.captions import Cue, caption_cues
from audio_builder.publishing.tags import TrackTags
from audio_builder.publishing.tracks import scheduled_folder, tracks_of
from audio_builder.render import leveled_bell
from audio_builder.script.parser import load_script
from audio_builder.script.project import Project, find_scripts
from audio_builder.sound.audio import db_to_gain, ms_to_samples
from audio_builder.sound.loudness import LoudnessMeter, median_momentary
from audio_builder.sound.master import DEFAULT_LOUDNESS_LUFS
from audio_builder.speech.cache import SpeechCache
from audio_builder.timeline import describe_ranges

SCRIPT_SUFFIXES = (".yaml", ".yml")


def prepare_track(path: Path, project: Project, folder: Path, *, no_bells: bool = False,
                  length_ms: int | None = None, plan: TrackPlan | None = None) -> PlayableTrack:
    """The track a session plays: a built track as it is; for a script, its built track of
    that length (built first if it is missing or older than the script). A length the script
    does not name, and a session without the recorded bells, are rendered from the script for
    this session only; `plan` is that rendering's plan when the caller made it already (the
    script fitted to `--end-at`)."""
    if path.suffix.lower() not in SCRIPT_SUFFIXES:
        if no_bells:
            raise InputError("--no-bells needs the script: in a built track the bells are mixed "
                             "into the recording and cannot be taken out. Play the script "
                             "instead, like `audio-builder play scripts/NAME.yaml --no-bells`",
                             path)
        places = (project.output_dir, scheduled_folder(project.output_dir))
        in_output = any(_in_folder(path, place) for place in places)
        return open_recording(path, folder, built=in_output)
    builder = Builder(project, cache=SpeechCache())
    if plan is not None:
        return session_track(plan, builder, folder, project, bells=not no_bells)
    script = load_script(path)
    if length_ms is None and len(script.lengths) > 1:
        written = ", ".join(format_human(ms) for ms in script.lengths)
        raise InputError(f"this script has {len(script.lengths)} lengths ({written}); choose one "
                         f"with --length, like `--length {format_human(script.lengths[0])}`", path)
    one_off = length_ms is not None and length_ms not in script.lengths
    if no_bells or one_off:
        plan = builder.plan(script, (length_ms,) if length_ms is not None else None)[0]
        return session_track(plan, builder, folder, project, bells=not no_bells)
    track = next(t for t in tracks_of(script) if length_ms in (None, t.length_ms))
    home = track.home(project.output_dir)
    fresh = [fmt for fmt in track.built_formats(home)
             if track.audio(home, fmt).stat().st_mtime >= path.stat().st_mtime]
    if fresh:
        audio = track.audio(home, fresh[0])
    else:                              # this length only: the group is waiting
        [built] = builder.build(script, only=track.name)
        audio = built.audio
    return open_recording(audio, folder, title=track.title, built=True)


def session_track(plan: TrackPlan, builder: Builder, folder: Path, project: Project, *,
                  bells: bool) -> PlayableTrack:
    """`plan` rendered and mastered as a build renders it, for this session only: into a WAV
    in the session's folder, with no encoding (nothing lost, and the group waits less: a
    minute of track took 0.3 s of MP3 encoding before it could start) and no published file.
    Chapters and captions come from the plan, as a build writes them."""
    script = plan.script
    timeline = plan.timeline if bells else replace(plan.timeline, bells=())
    wav = folder / "track.wav"
    write_audio(timeline, builder.synthesizer, wav, OutputSettings(format="wav"),
                TrackTags(title=script.title, artist=script.author or "", album=project.podcast.title))
    return PlayableTrack(
        script.title, decode_to_memmap(wav, folder),
        sorted(timeline.chapters, key=lambda c: c.start_ms),
        [Cue(start, end, text.replace("\n", " ")) for start, end, text in caption_cues(timeline)])


def plan_to_end(path: Path, project: Project, available_ms: int, written: str) -> TrackPlan:
    """A script planned to fill `available_ms`, the time left until the session's end: its
    flexible pauses say where time can be given back. An error, before anything is built,
    when it cannot be that long."""
    if path.suffix.lower() not in SCRIPT_SUFFIXES:
        raise InputError("--end-at needs the script, whose pauses can be fitted to the time; "
                         "a built track has its length. Play the script instead, like "
                         "`audio-builder play scripts/NAME.yaml --end-at 19:30`", path)
    script = load_script(path)
    builder = Builder(project, cache=SpeechCache())
    ranges = builder.length_ranges(script)
    if not any(low <= available_ms <= high for low, high in ranges):
        left = format_ms(max(0, available_ms), precise=False)
        raise InputError(f"--end-at {written}: that leaves {left} for the session, but it can be "
                         f"{describe_ranges(ranges)} long; choose another end time", path)
    return builder.plan(script, (available_ms,))[0]


def _in_folder(path: Path, folder: Path) -> bool:
    return path.resolve().is_relative_to(folder.resolve())


def bell_for(path: Path, project: Project, track: PlayableTrack) -> np.ndarray:
    """The bell `b` strikes during a session: the script's bell at its `bell_volume`, set
    against the voice of the track being played as the build sets its bells against the
    voice (stereo float32)."""
    script = _script_of(path, project)
    sound = script.bell if script else SoundRef(name="bowl")
    volume_db = script.bell_volume_db if script else 0.0
    return leveled_bell(sound, voice_loudness(track)) * np.float32(db_to_gain(volume_db))


def voice_loudness(track: PlayableTrack) -> float:
    """The median momentary loudness of the track's voice, measured where its captions say
    it speaks; without captions, the track's integrated loudness (the voice sets most of it)."""
    def spoken() -> Iterator[np.ndarray]:
        for cue in track.captions:
            span = track.samples[ms_to_samples(cue.start_ms):ms_to_samples(cue.end_ms)]
            yield span.astype(np.float32) / 32768.0

    measured = median_momentary(spoken()) if track.captions else -math.inf
    if math.isfinite(measured):
        return measured
    meter = LoudnessMeter(2)
    for start in range(0, track.samples.shape[0], 1 << 16):
        meter.add(track.samples[start:start + (1 << 16)].astype(np.float32) / 32768.0)
    integrated = meter.integrated()
    return integrated if math.isfinite(integrated) else DEFAULT_LOUDNESS_LUFS[2]


def _script_of(path: Path, project: Project) -> Script | None:
    """The script a session plays: the one named, or the one whose track it is."""
    try:
        if path.suffix.lower() in SCRIPT_SUFFIXES:
            return load_script(path)
        for candidate in find_scripts([], project):
            script = load_script(candidate)
            if any(track.name == path.stem for track in tracks_of(script)):
                return script
    except AudioBuilderError:          # a broken script elsewhere: the plain bowl will do
        pass
    return None
