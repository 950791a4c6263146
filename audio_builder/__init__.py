"""audio-builder: written meditation practices in, finished timed audio out."""

from audio_builder.build import Builder, BuiltTrack, TrackPlan
from audio_builder.errors import AudioBuilderError, BuildError, InputError
from audio_builder.script.parser import load_script
from audio_builder.script.project import Project, open_project

__version__ = "0.1.0"

__all__ = ["AudioBuilderError", "BuildError", "Builder", "BuiltTrack", "InputError", "Project",
           "TrackPlan", "load_script", "open_project"]
