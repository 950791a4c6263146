"""The live player keeps real time: recordings as long as the session was, bounded; keys given
ahead in a file; a start delay; a bell that shows; text from a track shown as plain text."""

import io
import shutil
import time
import wave

import numpy as np
import pytest
from conftest import NoKeys, decode_mono, project_once, run
from mutagen.id3 import ID3
from rich.console import Console

import audio_builder as ab
from audio_builder.live import session as live_session
from audio_builder.live.clock import FakeClock, RealClock
from audio_builder.live.keys import ScriptedKeys
from audio_builder.live.player import Player
from audio_builder.live.track import open_recording
from audio_builder.live.view import render_view

RATE = 44_100
SCRIPT = """
title: Short Session
steps:
  - chapter: Opening
  - Welcome.
  - pause: 1s
  - chapter: Closing
  - Thank you.
"""


@pytest.fixture(scope="module")
def short(tmp_path_factory):
    root, _ = project_once(tmp_path_factory, "short", {"scripts/short.yaml": SCRIPT},
                           ("build", "scripts/short.yaml"))
    return root


def frames(path):
    with wave.open(str(path)) as file:
        return file.getnframes()


def test_a_recording_with_a_person_at_the_keys_keeps_real_time(short, monkeypatch):
    monkeypatch.chdir(short)
    track = open_recording(short / "output" / "short.mp3", short)
    started = time.monotonic()
    report = ab.play("output/short.mp3", keys=NoKeys(), to_file="live.wav")
    took = time.monotonic() - started
    assert report.played_ms == pytest.approx(track.length_ms, abs=100)
    assert took >= track.length_ms / 1000 - 0.4, took             # not faster than it plays


def test_a_hold_no_one_ends_stops_at_the_bound_with_a_valid_file(short, monkeypatch):
    monkeypatch.chdir(short)
    monkeypatch.setattr("audio_builder.api.live.RECORDING_SLACK_MS", 5_000)
    track = open_recording(short / "output" / "short.mp3", short)
    report = ab.play("output/short.mp3", keys=NoKeys(), hold=True, to_file="held.wav",
                     clock=FakeClock())
    assert report.bounded and not report.idled
    assert frames(short / "held.wav") / RATE == pytest.approx(track.length_ms / 1000 + 5, abs=0.15)


def test_hold_with_no_key_given_stops_with_a_message_and_a_valid_file(short, monkeypatch):
    monkeypatch.chdir(short)
    result = run("play", "output/short.mp3", "--hold", "--to-file", "idle.wav")
    assert result.exit_code == 0
    assert "stopped after 1:00 of silence" in result.stderr and "holding at a chapter" in result.stderr
    assert frames(short / "idle.wav") / RATE == pytest.approx(60.1, abs=0.15)   # held at 0:00


def test_keys_given_ahead_in_a_file(short, monkeypatch):
    monkeypatch.chdir(short)
    (short / "keys.txt").write_text("# the group arrives\n0:02 space   # start\n\n3.5 b\n", "utf-8")
    result = run("play", "output/short.mp3", "--hold", "--keys-file", "keys.txt", "--to-file", "k.wav")
    assert result.exit_code == 0, result.output
    heard = decode_mono(short / "k.wav")
    assert np.abs(heard[:int(1.9 * RATE)]).max() == 0                # held until 0:02
    assert np.abs(heard[int(2.1 * RATE):]).max() > 0.01
    (short / "bad.txt").write_text("0:02 space\n1:00 jump\n", "utf-8")
    bad = run("play", "output/short.mp3", "--keys-file", "bad.txt", "--to-file", "k.wav")
    assert bad.exit_code == 2 and "bad.txt:2: " in bad.stderr and "no key 'jump'" in bad.stderr
    (short / "bad.txt").write_text("soon space\n", "utf-8")
    bad = run("play", "output/short.mp3", "--keys-file", "bad.txt", "--to-file", "k.wav")
    assert bad.exit_code == 2 and "bad.txt:1: " in bad.stderr and "TIME KEY" in bad.stderr


def test_a_start_delay_is_silence_before_the_first_sound(short, monkeypatch):
    monkeypatch.chdir(short)
    plain = decode_mono(short / "output" / "short.mp3")
    result = run("play", "output/short.mp3", "--delay", "3s", "--to-file", "d.wav")
    assert result.exit_code == 0, result.output
    heard = decode_mono(short / "d.wav")
    assert np.abs(heard[:3 * RATE]).max() == 0
    assert abs(heard.size - plain.size - 3 * RATE) <= RATE // 10
    assert np.max(np.abs(heard[3 * RATE:3 * RATE + plain.size] - plain[:heard.size - 3 * RATE])) < 2e-3
    bad = run("play", "output/short.mp3", "--delay", "soon", "--to-file", "d.wav")
    assert bad.exit_code == 2 and "delay" in bad.stderr


def view_text(player) -> str:
    out = io.StringIO()
    Console(file=out, width=90, force_terminal=False, color_system=None).print(render_view(player))
    return out.getvalue()


def test_b_shows_that_it_rang(short):
    track = open_recording(short / "output" / "short.mp3", short)
    player = Player(track=track, bell=np.zeros((RATE, 2), np.float32))
    player.next_block(4410)
    assert "bell" not in view_text(player).split("\n")[1]
    player.press("b")
    player.next_block(4410)
    assert "♪ bell" in view_text(player)
    for _ in range(31):
        player.next_block(4410)
    assert "♪ bell" not in view_text(player)


def test_a_chapter_title_with_escape_sequences_is_shown_as_plain_text(short, tmp_path):
    shutil.copy(short / "output" / "short.mp3", tmp_path / "evil.mp3")
    tags = ID3(tmp_path / "evil.mp3")
    chapter = tags.getall("CHAP")[0]
    chapter.sub_frames["TIT2"].text = ["Open\x1b]0;owned\x07ing\x1b[41m [red]now[/] \x9b2J"]
    tags.save(v2_version=3)
    (tmp_path / "evil.vtt").write_text("WEBVTT\n\n00:00:00.000 --> 00:00:01.000\nWel\x1b[2Jcome\n")
    track = open_recording(tmp_path / "evil.mp3", tmp_path)
    assert track.chapters[0].title == "Opening [red]now[/]"
    shown = view_text(Player(track=track))
    assert "\x1b" not in shown and "\x07" not in shown and "\x9b" not in shown
    assert "Opening [red]now[/]" in shown and "Welcome" in shown


def test_the_clocks():
    fake = FakeClock()
    start = fake.now()
    fake.sleep(90)
    assert (fake.now() - start).total_seconds() == 90 and fake.monotonic() == 90
    real = RealClock()
    before = real.monotonic()
    real.sleep(0.05)
    assert real.monotonic() - before >= 0.04


def test_scripted_keys_run_on_a_fake_clock_as_fast_as_they_can(short, monkeypatch):
    monkeypatch.chdir(short)
    started = time.monotonic()
    report = ab.play("output/short.mp3", keys=ScriptedKeys("1:space,31:space"), to_file="f.wav")
    assert report.played_ms >= 30_000 and time.monotonic() - started < 15
    assert live_session.LEAD_S < 0.3
