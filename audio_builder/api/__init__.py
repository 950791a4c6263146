"""The Python API: one front door for programs, the command line, the studio and the remote.

Every function checks its own arguments and raises only `AudioBuilderError`s (an error of the
operating system becomes a `BuildError` naming the file); its defaults are the command line's.

    import audio_builder as ab

    project = ab.open_project("my-podcast")
    ab.check(project).raise_errors()
    built = ab.build(project, voice="joe", format="mp3", jobs=2)
    ab.publish(project)

May import: anything of the package but the command line (`cli`), which is built on it.
"""

from audio_builder.api.library import (
    BuildReport,
    CheckReport,
    PlanReport,
    ScriptCheck,
    build,
    check,
    check_feed,
    load_scripts,
    open_project,
    output_settings,
    plan,
    publish,
)
from audio_builder.api.lines import (
    LineAudio,
    hear_line,
    keep_line_take,
    line_states,
    recut_take,
    take_cut,
)
from audio_builder.api.live import SessionReport, play
from audio_builder.api.takes import (
    TakeRow,
    TakesReport,
    VoiceLines,
    import_takes,
    record_takes,
    recording_sheet,
    takes_report,
    voice_lines,
)
from audio_builder.api.voices import fetch_voice, fetched_voices

__all__ = ["BuildReport", "CheckReport", "LineAudio", "PlanReport", "ScriptCheck", "SessionReport",
           "TakeRow", "TakesReport", "VoiceLines", "build", "check", "check_feed", "fetch_voice",
           "fetched_voices", "hear_line",
           "import_takes", "keep_line_take", "line_states", "load_scripts", "open_project",
           "output_settings", "plan", "play", "publish", "record_takes", "recording_sheet",
           "recut_take", "take_cut", "takes_report", "voice_lines"]
