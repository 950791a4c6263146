"""Running a live session: keys in, audio out, the view kept up to date."""

from __future__ import annotations

import time

from audio_builder.live.player import Player
from audio_builder.sound.audio import SAMPLE_RATE, samples_to_ms

BLOCK = SAMPLE_RATE // 10          # 100 ms: keys act within about a tenth of a second
VIEW_EVERY_S = 0.25


IDLE_LIMIT_MS = 60_000


def run_session(player: Player, output, keys, view=None, *, idle_limit_ms: int = IDLE_LIMIT_MS) -> bool:
    """Play until the track ends or `q`. With scripted keys, a pause or hold that no key
    will ever end stops the session after `idle_limit_ms` of silence: then it returns True."""
    idle = 0
    last_view = 0.0
    while not player.finished:
        for key in keys.poll(output.written_ms):
            player.press(key)
        if player.finished:
            break
        stalled = player.paused or player.holding_at is not None
        idle = idle + samples_to_ms(BLOCK) if stalled else 0
        if stalled and keys.exhausted and idle > idle_limit_ms:
            if view is not None:
                view(player)
            return True
        output.write(player.next_block(BLOCK))
        if view is not None and time.monotonic() - last_view >= VIEW_EVERY_S:
            view(player)
            last_view = time.monotonic()
    if view is not None:
        view(player)
    return False
