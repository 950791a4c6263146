"""`play --end-at`: a script fitted to end at a clock time, holds and pauses taken back from
the flexible pauses ahead; judged on a fake clock (the session runs as fast as it can, and
its clock says when it would have ended)."""

import datetime

import pytest
from conftest import run, write

import audio_builder as ab
from audio_builder.errors import InputError
from audio_builder.live.clock import FakeClock
from audio_builder.live.keys import ScriptedKeys

SCRIPT = """
title: Evening
steps:
  - chapter: Arriving
  - Welcome. Let us settle.
  - pause: 10s..
  - sit: 1m..
    bells: {every: 2m}
  - Thank you.
"""


# The sessions that play: the same shape a minute long (a 5-minute session rendered and
# mastered cost 2.5 s of CPU a test, most of the module's time in the fast subset).
SHORT = """
title: Evening
steps:
  - chapter: Arriving
  - Welcome. Let us settle.
  - pause: 2s..
  - sit: 10s..
    bells: {every: 20s}
  - Thank you.
"""


@pytest.fixture
def evening(project):
    write(project / "scripts" / "evening.yaml", SCRIPT)
    write(project / "scripts" / "short.yaml", SHORT)
    return project


def seven_pm():
    return FakeClock(datetime.datetime(2026, 3, 2, 19, 0).astimezone())


def ended_off_by_s(report):
    return abs((report.ended_at - report.end_at).total_seconds())


def test_ends_at_the_time(evening):
    clock = seven_pm()
    report = ab.play("scripts/short.yaml", end_at="19:01", to_file="e.wav", clock=clock)
    assert report.end_at.strftime("%H:%M") == "19:01"
    assert ended_off_by_s(report) <= 1.0 and report.late_ms == 0
    assert report.length_ms == pytest.approx(60_000, abs=1_000)


def test_a_hold_and_a_pause_are_taken_back(evening):
    report = ab.play("scripts/short.yaml", end_at="19:01", to_file="e.wav", clock=seven_pm(),
                     hold=True, keys=ScriptedKeys("4:space,8:space,14:space"))
    assert report.played_ms >= 60_000 - 1_000
    assert ended_off_by_s(report) <= 1.0 and report.late_ms == 0
    assert report.played_ms - report.stopped_at_ms >= 0                 # the track was cut, not the end


def test_a_delay_counts_toward_the_time(evening):
    report = ab.play("scripts/short.yaml", end_at="19:01", to_file="e.wav", clock=seven_pm(),
                     delay="10s")
    assert ended_off_by_s(report) <= 1.0
    assert report.length_ms == pytest.approx(50_000, abs=1_000)


def test_says_when_it_no_longer_can(evening):
    report = ab.play("scripts/short.yaml", end_at="19:01", to_file="e.wav", clock=seven_pm(),
                     keys=ScriptedKeys("1:space,71:space"))
    assert report.late_ms > 20_000                       # 1:10 paused: more than the pauses can give
    assert (report.ended_at - report.end_at).total_seconds() * 1000 == pytest.approx(report.late_ms, abs=1)


def test_an_unreachable_time_is_refused_before_starting(evening):
    with pytest.raises(InputError, match=r"--end-at 19:01: that leaves 1:00 for the session, but it "
                                         r"can be from \d:\d\d to"):
        ab.play("scripts/evening.yaml", end_at="19:01", to_file="e.wav", clock=seven_pm())
    assert not (evening / "e.wav").exists()
    result = run("play", "scripts/evening.yaml", "--end-at", "7pm", "--to-file", "e.wav")
    assert result.exit_code == 2 and "24-hour clock" in result.stderr


def test_a_built_track_cannot_end_at_a_time(evening):
    assert run("build", "scripts/short.yaml").exit_code == 0
    result = run("play", "output/short.mp3", "--end-at", "19:30", "--to-file", "e.wav")
    assert result.exit_code == 2 and "--end-at needs the script" in result.stderr


def test_the_view_says_when_it_will_be_late(evening):
    import numpy as np

    from audio_builder.live.player import Player
    from audio_builder.live.schedule import Schedule
    from audio_builder.live.track import PlayableTrack
    from audio_builder.timeline import FlexSpan

    track = PlayableTrack("T", np.zeros((44_100 * 60, 2), np.int16), [], [])
    player = Player(track=track)
    clock = seven_pm()
    schedule = Schedule(clock.now() + datetime.timedelta(seconds=40), [FlexSpan(10_000, 30_000, 20_000)])
    schedule.keep(player, clock.now())                  # 20 s behind, 10 s to take back ahead
    assert player.notice == "will end about 0:10 after 19:00: no flexible pause left to take it back"
    player.position = 44_100 * 15                       # inside the pause, 5 s behind: 5 s are cut
    schedule.keep(player, clock.now())
    assert player.elapsed_ms == 20_000 and schedule.late_ms == 0 and player.notice == "ends at 19:00"
