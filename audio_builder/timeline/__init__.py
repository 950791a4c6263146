"""The planner: a pure function from a script and the length of each piece to a timeline.

The pipeline, in order: `events` holds the planner's data (`Measures` in, a `Timeline` of
placed events out); `items` turns the steps into blocks of known length, flexible pauses and
anchors; `fitting` cuts them into segments at the anchors and works out which lengths fit;
`planner` places every event, sharing the slack among the flexible pauses (`plan_timeline`).
It does no I/O: the lengths of spoken pieces and sound files come in through `Measures`.

May import: the core (`errors`, `model`, `durations`, `text`, `languages`) and nothing else of
the package.
"""

from audio_builder.timeline.events import (
    ChapterStart,
    CueRow,
    Event,
    FlexSpan,
    Measures,
    PlacedBell,
    PlacedSound,
    PlacedSpeech,
    Silence,
    Timeline,
)
from audio_builder.timeline.fitting import (
    LengthError,
    LengthRange,
    describe_ranges,
    length_ranges,
    share_slack,
)
from audio_builder.timeline.items import (
    breath_words,
    pause_after_sentence,
    sit_bell_times,
    sit_events,
    spoken_pieces,
)
from audio_builder.timeline.planner import piled_up_silences, plan_timeline

__all__ = ["ChapterStart", "CueRow", "Event", "FlexSpan", "LengthError", "LengthRange", "Measures",
           "PlacedBell", "PlacedSound", "PlacedSpeech", "Silence", "Timeline", "breath_words",
           "describe_ranges", "length_ranges", "pause_after_sentence", "piled_up_silences",
           "plan_timeline", "share_slack", "sit_bell_times", "sit_events", "spoken_pieces"]
