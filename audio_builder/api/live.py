"""A live session: a built track or a script played for a group, with keys to pause, skip,
hold and strike a bell (what `audio-builder play` does)."""

from __future__ import annotations

import datetime
import os
from collections.abc import Callable
from contextlib import AbstractContextManager
from dataclasses import dataclass
from pathlib import Path

from audio_builder.api.boundary import api_boundary, as_lengths, as_paths, as_project
from audio_builder.durations import DurationError, parse_duration
from audio_builder.errors import InputError
from audio_builder.live.clock import Clock, FakeClock, RealClock
from audio_builder.live.keys import ScriptedKeys
from audio_builder.live.outputs import FileOutput, SystemOutput
from audio_builder.live.player import Player
from audio_builder.live.prepare import bell_for, plan_to_end, prepare_track
from audio_builder.live.remote import Remote
from audio_builder.live.schedule import ON_TIME_MS, Schedule, end_time
from audio_builder.live.session import IDLE_LIMIT_MS, RECORDING_SLACK_MS, Ending, run_session
from audio_builder.live.track import scratch_folder

MAX_DELAY_MS = 60 * 60_000

PathLike = str | os.PathLike
SessionView = Callable[[Player], AbstractContextManager[Callable[[Player], None]]]


@dataclass(frozen=True)
class SessionReport:
    title: str
    length_ms: int            # the track's
    played_ms: int            # audio sent to the output, pauses included
    stopped_at_ms: int        # where in the track the session ended
    idled: bool               # stopped after IDLE_LIMIT_MS paused or holding with no key left
    paused: bool              # (when idled) paused, else holding at a chapter
    to_file: Path | None
    bounded: bool = False     # a recording stopped at its bound (the track and RECORDING_SLACK_MS)
    end_at: datetime.datetime | None = None    # the end time asked for
    ended_at: datetime.datetime | None = None  # when the session ended, by its clock
    late_ms: int = 0          # with end_at: how much later it ended than asked (0: on time)


@api_boundary
def play(track: PathLike, *, keys=None, no_bells: bool = False, hold: bool = False,
         start: str | int | None = None, length: str | int | None = None,
         to_file: PathLike | None = None, view: SessionView | None = None,
         delay: str | int | None = None, clock: Clock | None = None,
         end_at: str | datetime.datetime | None = None, remote: Remote | None = None) -> SessionReport:
    """Play `track` (a built track, or a script: built for the session at `length`) to the
    speakers, or into the WAV file `to_file`. `keys` is a key source (`live.keys`: the
    terminal's, or scripted; default: none pressed). `no_bells` leaves the script's bells out
    (strike your own bowl); `hold` waits at each chapter, the first included, for space;
    `start` is a chapter's number or title; `delay` a silence before the first sound (like
    `"30s"`). `view(player)`, if given, is a context that yields a function to call as the
    session changes. `end_at` (`"19:30"`, local time) plays a script at the length that ends
    then, and takes holds and pauses back from the flexible pauses still ahead. `remote` (a
    `live.remote.Remote`) serves the phone remote for the session: started here unless it
    already is, stopped at the end; a session with a remote keeps real time.

    The session keeps real time: to the speakers, and into a file while a person presses the
    keys. A recording made from keys given ahead (or none) runs on a `FakeClock`, as fast as
    the computer can, each key at its time. A recording stops at its bound: the track, its
    delay and an hour of pauses and holds (`RECORDING_SLACK_MS`)."""
    path = as_paths(track)[0]
    project = as_project(path)
    wanted = as_lengths(length, "length")
    delay_ms = _delay(delay)
    given_ahead = keys is None or isinstance(keys, ScriptedKeys)
    clock = clock or (FakeClock() if to_file and given_ahead and remote is None else RealClock())
    schedule = fitted = None
    if end_at is not None:
        if wanted:
            raise InputError("give an end time or a length, not both")
        deadline = end_time(end_at, clock.now())
        available = round((deadline - clock.now()).total_seconds() * 1000) - delay_ms
        fitted = plan_to_end(path, project, available, f"{deadline:%H:%M}")
        schedule = Schedule(deadline, list(fitted.timeline.flexible))
    with scratch_folder() as folder:
        playable = prepare_track(path, project, folder, no_bells=no_bells,
                                 length_ms=wanted[0] if wanted else None, plan=fitted)
        player = Player(track=playable, hold=hold, bell=bell_for(path, project, playable),
                        delay_ms=delay_ms)
        if start is not None:
            _start_at(player, str(start))
        output = FileOutput(Path(to_file)) if to_file else SystemOutput()
        def after_block(changed: Player) -> None:
            if schedule is not None:
                schedule.keep(changed, clock.now())
            if remote is not None:
                remote.publish(changed)
        bound = (delay_ms + playable.length_ms - player.elapsed_ms + RECORDING_SLACK_MS
                 if to_file else None)
        try:
            if isinstance(output, SystemOutput):
                output.check()
            if remote is not None:
                if remote.server.server is None:
                    remote.start()
                remote.publish(player)
            commands = remote.commands if remote is not None else None
            with keys if keys is not None else ScriptedKeys("") as key_source:
                if view is None:
                    ending = run_session(player, output, key_source, clock=clock, bound_ms=bound,
                                         on_block=after_block, commands=commands)
                else:
                    with view(player) as update:
                        ending = run_session(player, output, key_source, update, clock=clock,
                                             bound_ms=bound, on_block=after_block, commands=commands)
            played_ms = output.written_ms
        finally:
            output.close()
            if remote is not None:
                player.finished = True
                remote.publish(player)
                remote.stop()
    return SessionReport(playable.title, playable.length_ms, played_ms, player.elapsed_ms,
                         ending is Ending.IDLE, player.paused, Path(to_file) if to_file else None,
                         ending is Ending.BOUND, schedule.deadline if schedule else None, clock.now(),
                         _late(schedule, clock.now()))


def _late(schedule: Schedule | None, ended: datetime.datetime) -> int:
    if schedule is None:
        return 0
    late = round((ended - schedule.deadline).total_seconds() * 1000)
    return late if late > ON_TIME_MS else 0


def _delay(delay: str | int | None) -> int:
    if delay is None:
        return 0
    try:
        ms = parse_duration(delay)
    except DurationError as error:
        raise InputError(f"delay: {error}") from None
    if ms > MAX_DELAY_MS:
        raise InputError(f"delay: at most {MAX_DELAY_MS // 60_000} minutes, not {delay}")
    return ms


def _start_at(player: Player, chapter: str) -> None:
    try:
        player.start_at_chapter(chapter)
    except LookupError:
        names = ", ".join(f"{n}. {m.title}" for n, m in enumerate(player.track.chapters, 1))
        raise InputError(f"chapter {chapter!r}: no such chapter; the chapters are: "
                         f"{names or 'none'}") from None


__all__ = ["IDLE_LIMIT_MS", "RECORDING_SLACK_MS", "SessionReport", "play"]
