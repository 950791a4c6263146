"""audio-builder: written meditation practices in, finished timed audio out.

The pipeline's steps sit at the top (`timeline` plans, `render` mixes, `build` writes a track,
`batch` builds many, `cli` is the command line) over the core (`errors`, `model`, `durations`,
`files`), which imports nothing else of the package. The wings (`script`, `speech`, `sound`,
`publish`, `live`) each say in their docstring what they may import; tests/test_layering.py
holds them to it.
"""

from audio_builder.build import Builder, BuiltTrack, TrackPlan
from audio_builder.errors import AudioBuilderError, BuildError, InputError
from audio_builder.script.parser import load_script
from audio_builder.script.project import Project, open_project

__version__ = "0.1.0"

__all__ = ["AudioBuilderError", "BuildError", "Builder", "BuiltTrack", "InputError", "Project",
           "TrackPlan", "load_script", "open_project"]
