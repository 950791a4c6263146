"""A take holds one reading of one line: one longer than its words can need is refused when it
is listed, checked, built or recorded, without being read whole."""

from __future__ import annotations

import tracemalloc

import numpy as np

from audio_builder.speech.takes import longest_take_ms, take_id
from tests.conftest import TEACHER_LINES, run
from tests.test_own_voice import fake_speech, room, save_wav


def test_a_take_longer_than_its_words_can_need_is_refused_by_its_header(teacher):
    folder = teacher / "takes" / "teacher"
    limit = longest_take_ms(TEACHER_LINES[0])
    seconds = limit / 1000 + 20
    save_wav(folder / f"{take_id(TEACHER_LINES[0])}.wav",
             np.concatenate([fake_speech(2.0), room(seconds - 2.0)]))
    tracemalloc.start()
    listing = run("takes", "scripts/a.yaml")
    checked = run("check", "scripts/a.yaml")
    peak = tracemalloc.get_traced_memory()[1]
    tracemalloc.stop()
    assert "BAD" in listing.output and "longer than its line can take to say" in listing.output
    assert checked.exit_code == 2
    assert f"({limit / 1000:.0f} s)" in checked.output and take_id(TEACHER_LINES[0]) in checked.output
    # Neither decoded it: the take's samples alone (as float32) would be this much.
    assert peak < seconds * 48_000 * 4, peak


def test_record_stops_a_take_at_what_its_line_can_need(teacher):
    from audio_builder.own_voice.pieces import lines_of
    from audio_builder.own_voice.record import BLOCK, RATE, Recorder
    from audio_builder.script.parser import load_script
    from audio_builder.script.project import open_project

    script = load_script(teacher / "scripts" / "a.yaml")
    profile = open_project(teacher / "scripts" / "a.yaml").profiles["teacher"]
    recorder = Recorder(lines_of(script, profile), teacher / "takes" / "teacher")
    recorder.press(" ")
    limit_blocks = longest_take_ms(TEACHER_LINES[0]) * RATE // 1000 // BLOCK
    block = room(BLOCK / RATE, rate=RATE)
    folder = teacher / "takes" / "teacher"
    for _ in range(limit_blocks + 50):
        recorder.feed(block)
        # written as it comes (nothing held), and never more than the line can need
        assert sum(p.stat().st_size for p in folder.glob(".*.part")) <= (limit_blocks + 1) * BLOCK * 2 + 44
    assert not recorder.recording and "longer than this line can take to say" in recorder.message
    assert not recorder.saved and not list(folder.glob(".*.part"))
