"""The builder: a practice script planned into tracks and each track written whole.

    from pathlib import Path
    from audio_builder import Builder, load_script, open_project

    builder = Builder(open_project())
    tracks = builder.build(load_script(Path("scripts/self-compassion-break.yaml")))

(Programs usually call `audio_builder.builder(project)`, the API over it.)

The pipeline, in order: `settings` is what the finished file is (`OutputSettings`); `audio`
renders, masters, encodes and tags one track's audio; `builder` plans a script's tracks (the
`Builder`, with the speech measured) and writes each one's audio, captions and chapters
together.

May import: the core (`errors`, `model`, `durations`, `files`, `text`, `languages`), the
script wing (`script`), speech (`speech`), the samples' helpers (`sound`), the planner
(`timeline`), the renderer (`render`) and publishing (`publishing`: a track's names, tags,
captions and formats). Never the batch, the API or the command line, which are built on it.
"""

from audio_builder.builder.audio import IsCancelled, mastered_audio, stop_if, write_audio
from audio_builder.builder.builder import Builder, BuiltTrack, TrackPlan, project_voices
from audio_builder.builder.settings import OutputSettings

__all__ = ["Builder", "BuiltTrack", "IsCancelled", "OutputSettings", "TrackPlan", "mastered_audio",
           "project_voices", "stop_if", "write_audio"]
