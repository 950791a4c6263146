"""audio-builder: written meditation practices in, finished timed audio out.

The front door is the API (`api`), exported here: `open_project`, `check`, `plan`, `build`,
`publish`, `check_feed`, the takes of a recorded voice and a live session (`play`). The
command line (`cli`) is a thin layer over it.

The pipeline's steps sit at the top (`timeline` plans, `render` mixes, `build` writes a track,
`batch` builds many) over the core (`errors`, `model`, `durations`, `files`), which imports
nothing else of the package. The wings (`script`, `speech`, `sound`, `publish`, `live`,
`own_voice`, `api`, `cli`) each say in their docstring what they may import;
tests/test_layering.py holds them to it.
"""

from audio_builder.api import (
    BuildReport,
    CheckReport,
    PlanReport,
    SessionReport,
    TakesReport,
    build,
    check,
    check_feed,
    import_takes,
    open_project,
    plan,
    play,
    publish,
    record_takes,
    takes_report,
)
from audio_builder.build import Builder, BuiltTrack, OutputSettings, TrackPlan
from audio_builder.durations import DurationError
from audio_builder.errors import AudioBuilderError, BuildError, Cancelled, ErrorGroup, InputError
from audio_builder.script.parser import load_script
from audio_builder.script.project import Project
from audio_builder.speech.engines.base import EngineUnavailable
from audio_builder.speech.engines.recorded_engine import MissingTake

__version__ = "0.1.0"

__all__ = ["AudioBuilderError", "BuildError", "BuildReport", "Builder", "BuiltTrack", "Cancelled",
           "CheckReport", "DurationError", "EngineUnavailable", "ErrorGroup", "InputError",
           "MissingTake", "OutputSettings", "PlanReport", "Project", "SessionReport", "TakesReport",
           "TrackPlan", "build", "check", "check_feed", "import_takes", "load_script",
           "open_project", "plan", "play", "publish", "record_takes", "takes_report"]
