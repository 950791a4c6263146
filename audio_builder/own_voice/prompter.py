"""The prompter's terminal view: the line to read, large; the next one, faded; a level meter."""

from __future__ import annotations

from rich.console import Group
from rich.panel import Panel
from rich.text import Text

from audio_builder.errors import printable
from audio_builder.own_voice.record import Recorder

METER_WIDTH = 60
HELP = "space start/stop · r redo · ←/→ move · s skip · q save and quit"


def meter(level_db: float) -> Text:
    """-60 to 0 dBFS; green where speech should sit, red near clipping."""
    filled = round(METER_WIDTH * min(1.0, max(0.0, (level_db + 60) / 60)))
    style = "red" if level_db > -3 else "green" if level_db > -30 else "yellow"
    return (Text("█" * filled, style=style) + Text("·" * (METER_WIDTH - filled), style="dim")
            + Text(f" {level_db:5.0f} dB"))


def render_prompter(recorder: Recorder) -> Panel:
    line = recorder.current
    state = Text("● RECORDING", style="bold red") if recorder.recording else Text("ready: space to record",
                                                                                 style="bold")
    taken = "kept" if line.id in recorder.saved or line.take is not None else "no take yet"
    head = Text(f"line {line.number} of {len(recorder.lines)}  ({taken})   ") + state
    following = recorder.following
    body = Group(
        head,
        Text(""),
        Text(printable(line.text), style="bold reverse" if recorder.recording else "bold"),
        Text(""),
        Text(("next: " + printable(following.text)) if following else "(the last line)", style="dim"),
        Text(""),
        meter(recorder.level_db),
        Text(printable(recorder.message), style="yellow"),
        Text(HELP, style="dim"),
    )
    return Panel(body, title="recording", width=80)
