"""audio-builder: written meditation practices in, finished timed audio out."""

from .build import Builder, BuiltTrack, TrackPlan
from .errors import AudioBuilderError, BuildError, InputError
from .parser import load_script
from .project import Project, open_project

__version__ = "0.1.0"

__all__ = ["AudioBuilderError", "BuildError", "Builder", "BuiltTrack", "InputError", "Project",
           "TrackPlan", "load_script", "open_project"]
