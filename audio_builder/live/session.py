"""Running a live session: keys and commands in, audio out at the pace of the clock, the view
kept up to date."""

from __future__ import annotations

import enum
import queue
import threading
from collections.abc import Callable

from audio_builder.live.clock import Clock, FakeClock, RealClock
from audio_builder.live.player import COMMANDS, Player
from audio_builder.sound.audio import SAMPLE_RATE, samples_to_ms

BLOCK = SAMPLE_RATE // 10          # 100 ms: keys and commands act within about a tenth of a second
LEAD_S = 0.2                       # how far audio may be written ahead of the clock
VIEW_EVERY_S = 0.25
IDLE_LIMIT_MS = 60_000
RECORDING_SLACK_MS = 60 * 60_000   # a recording holds the track and at most this of pauses and holds


class Ending(enum.Enum):
    ENDED = "ended"                 # the track ended, or `q`, or the closing fade
    IDLE = "idle"                   # paused or holding with no key left to press
    BOUND = "bound"                 # a recording reached its bound


class Commands:
    """Commands from another thread (the phone remote) for the session to carry out
    between two blocks, and the state it last published for them to read."""

    def __init__(self) -> None:
        self.waiting: queue.SimpleQueue[str] = queue.SimpleQueue()
        self.arrived = threading.Event()
        self.state: dict = {"state": "playing", "position_ms": 0, "chapter": ""}

    def send(self, command: str) -> None:
        if command not in COMMANDS:
            raise KeyError(command)
        self.waiting.put(command)
        self.arrived.set()

    def carry_out(self, player: Player) -> None:
        while True:
            try:
                command = self.waiting.get_nowait()
            except queue.Empty:
                return
            COMMANDS[command](player)


def run_session(player: Player, output, keys, view: Callable[[Player], None] | None = None, *,
                clock: Clock | None = None, bound_ms: int | None = None,
                idle_limit_ms: int = IDLE_LIMIT_MS, commands: Commands | None = None,
                on_block: Callable[[Player], None] | None = None) -> Ending:
    """Play until the track ends, `q`, or the closing fade ends, writing each block when the
    clock reaches it (never more than `LEAD_S` ahead). With keys that will all have been
    pressed (`keys.exhausted`), a pause or hold lasting `idle_limit_ms` stops the session;
    so does reaching `bound_ms` of output. `on_block(player)` runs after every block."""
    clock = clock or RealClock()
    started = clock.monotonic()
    idle = 0
    last_view = -VIEW_EVERY_S
    ending = Ending.ENDED
    while not player.finished:
        for key in keys.poll(output.written_ms):
            player.press(key)
        if commands is not None:
            commands.carry_out(player)
        if player.finished:
            break
        stalled = player.paused or player.holding_at is not None
        idle = idle + samples_to_ms(BLOCK) if stalled else 0
        if stalled and keys.exhausted and commands is None and idle > idle_limit_ms:
            ending = Ending.IDLE
            break
        if bound_ms is not None and output.written_ms >= bound_ms:
            ending = Ending.BOUND
            break
        output.write(player.next_block(BLOCK))
        if on_block is not None:
            on_block(player)
        _wait(clock, started + output.written_ms / 1000 - LEAD_S, commands, player, on_block)
        if view is not None and clock.monotonic() - last_view >= VIEW_EVERY_S:
            view(player)
            last_view = clock.monotonic()
    if view is not None:
        view(player)
    return ending


def _wait(clock: Clock, until: float, commands: Commands | None, player: Player,
          on_block: Callable[[Player], None] | None) -> None:
    """Sleep until the clock reaches `until`; a command arriving meanwhile is carried out at
    once (and the state published), so the remote sees it act in milliseconds, not at the
    next block."""
    if commands is None or isinstance(clock, FakeClock):
        clock.sleep(until - clock.monotonic())
        return
    while (left := until - clock.monotonic()) > 0:
        if commands.arrived.wait(left):
            commands.arrived.clear()
            commands.carry_out(player)
            if on_block is not None:
                on_block(player)
