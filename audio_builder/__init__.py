"""audio-builder: written meditation practices in, finished timed audio out.

The front door is the API (`api`), exported here: `open_project`, `check`, `plan`, `build`,
`publish`, `check_feed`, the takes of a recorded voice, a live session (`play`) and piper
voices from the catalogue (`fetch_voice`, `fetched_voices`). The command line (`cli`) is a
thin layer over it.

The pipeline, from bottom to top (each imports only what is listed before it):
- the core (`errors`, `model`, `durations`, `files`, `text`, `languages`) imports nothing
  else of the package;
- `sound` holds the samples' helpers (bells, backgrounds, decoding, loudness, encoding);
  `speech` speaks an utterance into a clean clip (engines, cache, takes);
- `script` reads what people write (scripts, podcast.yaml, voice profiles) into the model,
  checking names against the registries of sounds and engines;
- `timeline` plans a script into a timeline (steps to items, then fitting the length);
  `render` mixes it (clips, levels, the background bed, the mixer);
- `web` serves pages behind a key (the preview server, the remote and the studio use it);
- `publishing` names a track's files and writes the feed, page, tags and video;
- `builder` writes a track: planned, rendered, mastered, encoded, tagged and captioned;
- `batch` builds many scripts (tasks, a local pool, a Dask cluster);
- `own_voice` records and imports a teacher's takes; `live` plays a track for a group;
- `api` is the front door over all of them; `studio` is the teacher's page for lines and
  takes, over the API; `cli` is the command line over the API.

Each wing says in its docstring what it may import; tests/test_layering.py holds them to it,
finds no loop between two wings, counting imports inside functions, and no import that goes
up the list above.
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
    fetch_voice,
    fetched_voices,
    hear_line,
    import_takes,
    keep_line_take,
    line_states,
    open_project,
    plan,
    play,
    publish,
    record_takes,
    recut_take,
    take_cut,
    takes_report,
)
from audio_builder.builder import Builder, BuiltTrack, OutputSettings, TrackPlan
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
           "TrackPlan", "build", "check", "check_feed", "fetch_voice", "fetched_voices", "hear_line",
           "import_takes", "keep_line_take", "line_states", "load_script", "open_project", "plan",
           "play", "publish", "record_takes", "recut_take", "take_cut", "takes_report"]
