"""Previews: each built-in sound (a bell's strike, a background's first seconds), and a
sample sentence in each voice."""

from __future__ import annotations

import functools
from pathlib import Path

from audio_builder.builder import OutputSettings, write_audio
from audio_builder.files import write_file_atomically
from audio_builder.model import Background, SoundRef
from audio_builder.publishing.tags import TrackTags
from audio_builder.sound import sounds
from audio_builder.sound.audio import samples_to_ms
from audio_builder.sound.media import builtin_samples
from audio_builder.speech.synthesizer import Synthesizer, VoiceBook
from audio_builder.timeline import PlacedBell, Timeline

BACKGROUND_PREVIEW_MS = 20_000
BELL_PREVIEW_EXTRA_MS = 1_000


def preview_timeline(kind: str, name: str) -> Timeline:
    if kind == "bell":
        ring_ms = samples_to_ms(builtin_samples("bell", name).shape[0])
        return Timeline(length_ms=ring_ms + BELL_PREVIEW_EXTRA_MS, speech=(),
                        bells=(PlacedBell(0, SoundRef(name=name), 0.0),), sounds=(), chapters=(),
                        rows=())
    # At the voice's own level (0 dB), so it is easy to hear; in a practice it sits lower.
    bed = Background(SoundRef(name=name), volume_db=0.0, duck_db=0.0, fade_in_ms=2000,
                     fade_out_ms=3000)
    return Timeline(length_ms=BACKGROUND_PREVIEW_MS, speech=(), bells=(), sounds=(), chapters=(),
                    rows=(), background=bed)


def write_previews(folder: Path, settings: OutputSettings | None = None) -> list[Path]:
    """One file per built-in sound in `folder`, at its natural level (no loudness change)."""
    settings = settings or OutputSettings(normalize=False)
    folder.mkdir(parents=True, exist_ok=True)
    synthesizer = Synthesizer(VoiceBook({}))
    written = []
    for registry in (sounds.BELLS, sounds.BACKGROUNDS):
        for sound in registry.values():
            path = folder / f"{sound.name}.{settings.codec.extension}"
            tags = TrackTags(title=f"{sound.name} ({registry.kind})", artist="audio-builder",
                             album="Built-in sounds", description=sound.description)
            timeline = preview_timeline(registry.kind, sound.name)
            write_file_atomically(path, functools.partial(
                write_audio, timeline, synthesizer, settings=settings, tags=tags))
            written.append(path)
    return written


def profile_problem(project, name: str) -> str | None:
    """Why the voice profile `name` cannot speak here (it is asked to say a word), or None."""
    from audio_builder.errors import AudioBuilderError
    from audio_builder.model import Utterance

    try:
        Synthesizer(VoiceBook(project.profiles)).length_ms(Utterance("Hello.", name))
    except AudioBuilderError as error:
        return (error.message.removeprefix(f"voice {name!r} cannot speak here: ")
                .removeprefix(f'voice {name!r} cannot say "Hello.": '))
    except (OSError, RuntimeError, ValueError) as error:     # an engine failing in its own way
        return f"{type(error).__name__}: {error}"
    return None


def write_voice_samples(project, text: str, folder: Path, names: list[str], cache=None) -> list[Path]:
    """`text` spoken by each of the voice profiles `names`, one MP3 each, laid out by the
    planner exactly as a `say` step in that voice would be."""
    from audio_builder.builder import Builder
    from audio_builder.model import Pause, Place, Say, Script, Words

    folder.mkdir(parents=True, exist_ok=True)
    place = Place("--sample", 1)
    written = []
    for name in names:
        sample = Script(slug=name, path=folder / f"{name}.yaml", title=f"Voice sample: {name}",
                        steps=(Say((Words(text),), place), Pause(500, 500, place)), voice=name)
        builder = Builder(project, cache=cache)
        timeline = builder.plan(sample)[0].timeline
        tags = TrackTags(title=sample.title, artist="audio-builder", album="Voices")
        path = folder / f"{name}.mp3"
        write_file_atomically(path, functools.partial(
            write_audio, timeline, builder.synthesizer, settings=OutputSettings(), tags=tags))
        written.append(path)
    return written
