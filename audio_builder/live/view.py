"""The live terminal view: title, time, a progress bar, the chapter, the line, the cue list."""

from __future__ import annotations

from rich.console import Group
from rich.panel import Panel
from rich.table import Table
from rich.text import Text

from audio_builder.durations import format_ms
from audio_builder.live.player import Player

BAR_WIDTH = 76
HELP = "space pause · n/p chapter · ←/→ 10 s · b bell · q quit"


def render_view(player: Player) -> Panel:
    track = player.track
    elapsed, total = player.elapsed_ms, track.length_ms
    state = ("HOLDING: space to go on" if player.holding_at is not None
             else "PAUSED" if player.paused else "playing")
    clock = Text(f"{format_ms(elapsed, precise=False)} / -{format_ms(max(0, total - elapsed), precise=False)}"
                 f"   {state}", style="bold")
    filled = round(BAR_WIDTH * min(elapsed, total) / max(total, 1))
    bar = Text("━" * filled, style="bold") + Text("─" * (BAR_WIDTH - filled), style="dim")
    chapter = player.chapter()
    kind, cue = player.line()
    line = Text(f"{kind}: ", style="dim") + Text(cue.text if cue else "(no more spoken lines)")
    cues = Table.grid(padding=(0, 1))
    current = chapter.start_ms if chapter else -1
    for mark in track.chapters:
        marker = "▶" if mark.start_ms == current else " "
        cues.add_row(marker, format_ms(mark.start_ms, precise=False), mark.title,
                     style="bold" if mark.start_ms == current else None)
    body = Group(clock, bar, Text(f"chapter: {chapter.title if chapter else '-'}"), line,
                 Text(""), cues, Text(""), Text(HELP, style="dim"))
    return Panel(body, title=track.title, width=80)
