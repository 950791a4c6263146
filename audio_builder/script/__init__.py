"""Reading what people write: practice scripts, `podcast.yaml`, voice profiles, the project.

Turns YAML into the frozen dataclasses of `audio_builder.model`, with the file and line of every
value kept for error messages. Nothing past this wing sees a raw mapping.

May import: the core (`errors`, `model`, `durations`, `files`, `text`, `languages`) and, to check names
against them,
the registries `sound.sounds` and `speech.engines`. Never the planner, the renderer or publishing.
"""
