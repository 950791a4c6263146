"""The live terminal view: title, time, a progress bar, the chapter, the line, the cue list.

Every text that came from a file (the title, chapter titles, captions) is shown through
`printable` and as plain `Text`, never as markup: a title with escape sequences or `[red]`
in it is shown as the letters it has."""

from __future__ import annotations

from rich.console import Group, RenderableType
from rich.panel import Panel
from rich.table import Table
from rich.text import Text

from audio_builder.durations import format_ms
from audio_builder.errors import printable
from audio_builder.live.player import Player
from audio_builder.sound.audio import samples_to_ms

BAR_WIDTH = 76
HELP = "space pause · n/p chapter · ←/→ 10 s · b bell · q quit"
STATES = {
    "holding": "HOLDING: space to go on",
    "paused": "PAUSED",
    "starting": "starting in {wait}: space to start now",
    "waiting": "silence, {wait} more: space to go on",
    "ending": "ending gently",
    "ended": "ended",
    "playing": "playing",
}


def render_view(player: Player, extra: Text | None = None) -> Panel:
    """The view; `extra` (the remote's address and QR code) goes under the cue list."""
    track = player.track
    elapsed, total = player.elapsed_ms, track.length_ms
    wait = format_ms(samples_to_ms(player.waiting), precise=False)
    state = STATES[player.state].format(wait=wait)
    if player.just_rang():
        state += "   ♪ bell"
    clock = Text(f"{format_ms(elapsed, precise=False)} / -{format_ms(max(0, total - elapsed), precise=False)}"
                 f"   {state}", style="bold")
    filled = round(BAR_WIDTH * min(elapsed, total) / max(total, 1))
    bar = Text("━" * filled, style="bold") + Text("─" * (BAR_WIDTH - filled), style="dim")
    chapter = player.chapter()
    kind, cue = player.line()
    line = Text(f"{kind}: ", style="dim") + Text(printable(cue.text) if cue else "(no more spoken lines)")
    cues = Table.grid(padding=(0, 1))
    current = chapter.start_ms if chapter else -1
    for mark in track.chapters:
        marker = "▶" if mark.start_ms == current else " "
        cues.add_row(Text(marker), Text(format_ms(mark.start_ms, precise=False)),
                     Text(printable(mark.title, 60)),
                     style="bold" if mark.start_ms == current else None)
    if player.notice:
        state += f"   {player.notice}"
    titled = Text("chapter: ") + Text(printable(chapter.title, 60) if chapter else "-")
    body: list[RenderableType] = [clock, bar, titled, line, Text(""), cues, Text(""),
                                  Text(HELP, style="dim")]
    if extra is not None:
        body += [Text(""), extra]
    return Panel(Group(*body), title=Text(printable(track.title, 70)), width=80)
