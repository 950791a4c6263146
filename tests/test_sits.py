"""Sits: silences with interval bells, heard where the script says, judged by the energy of
the built audio (not by the program's own plan)."""

import re
import wave

import numpy as np
import pytest
from conftest import run, write

FRAME_MS = 5


def frame_levels(path):
    """The peak of every 5 ms frame of a 16-bit WAV, read a block at a time (flat memory)."""
    levels = []
    with wave.open(str(path)) as file:
        rate, channels = file.getframerate(), file.getnchannels()
        frame = rate * FRAME_MS // 1000
        while True:
            data = file.readframes(frame * 2000)
            if not data:
                break
            width = frame * channels
            samples = np.frombuffer(data, dtype="<i2")
            blocks = samples[:samples.size // width * width].reshape(-1, width)
            highest, lowest = blocks.max(axis=1).astype(np.int32), blocks.min(axis=1).astype(np.int32)
            levels.append(np.maximum(highest, -lowest))
        return np.concatenate(levels) / 32768.0, file.getnframes() / rate, frame / rate


def onsets(path, rise=8.0, floor=0.01):
    """Seconds at which a sound starts: a frame whose peak is at least `rise` times the
    loudest of the 50 ms before it (a strike over silence, or over a dying ring)."""
    levels, _, frame_s = frame_levels(path)
    before = np.lib.stride_tricks.sliding_window_view(np.concatenate([np.zeros(10), levels]), 10)[:-1]
    found = np.nonzero((levels > floor) & (levels > rise * before.max(axis=1)))[0]
    merged = [index for n, index in enumerate(found) if n == 0 or index - found[n - 1] > 40]
    return [index * frame_s for index in merged]


def build(name):
    result = run("build", f"scripts/{name}.yaml", "--format", "wav", "--loudness", "off")
    assert result.exit_code == 0, result.output
    return f"output/{name}.wav"


def planned_bells(name):
    sheet = run("plan", f"scripts/{name}.yaml").stdout
    rows = re.findall(r"^\s+(\d+):(\d\d\.\d{3})\s+(?:\S+\s+)?bell\s", sheet, re.M)
    return [int(m) * 60 + float(s) for m, s in rows]


def test_a_12_minute_sit_rings_every_3_minutes_and_lasts_12(project):
    write(project / "scripts" / "twelve.yaml", """
        title: Twelve minutes
        steps:
          - sit: 12m
            bells: {every: 3m}
        """)
    path = build("twelve")
    heard = onsets(path)
    assert len(heard) == 3, heard
    for at, expected in zip(heard, (180, 360, 540), strict=True):
        assert abs(at - expected) <= 0.05, heard
    assert abs(frame_levels(path)[1] - 720) <= 0.01
    assert planned_bells("twelve") == [180, 360, 540]


def test_a_timetable_and_double_strikes_land_where_written(project):
    write(project / "scripts" / "timetable.yaml", """
        title: Timetable
        steps:
          - sit: 2m
            bells: {at: [30s, 1m30s], strikes: 2, gap: 3s}
          - sit: 1m
            bells: {at: [20s], sound: chime, volume: -6dB}
        """)
    heard = onsets(build("timetable"))
    expected = [30, 33, 90, 93, 140]
    assert len(heard) == len(expected), heard
    for at, want in zip(heard, expected, strict=True):
        assert abs(at - want) <= 0.05, heard
    assert planned_bells("timetable") == [30, 90, 140]


def test_random_bells_keep_to_their_range_and_every_build_is_the_same(project):
    write(project / "scripts" / "noting.yaml", """
        title: Noting
        steps:
          - sit: 4m
            bells: {random: [20s, 40s]}
        """)
    bells = planned_bells("noting")
    gaps = np.diff([0, *bells])
    assert len(bells) >= 240 // 40 - 1 and all(20 <= gap <= 40 for gap in gaps), bells
    assert 240 - bells[-1] >= 20                        # none too near the end
    assert len(set(np.round(gaps))) > 1                 # drawn, not a period
    first = (project / build("noting")).read_bytes()
    for at, want in zip(onsets("output/noting.wav"), bells, strict=True):
        assert abs(at - want) <= 0.05
    (project / "output" / "noting.wav").unlink()
    assert (project / build("noting")).read_bytes() == first
    write(project / "scripts" / "noting.yaml", """
        title: Noting
        steps:
          - sit: 4m
            bells: {random: [20s, 40s], seed: 2}
        """)
    assert planned_bells("noting") != bells               # another seed, another draw


def test_a_flexible_sit_fits_the_length_and_rings_inside_it(project):
    write(project / "scripts" / "flexible.yaml", """
        title: Flexible
        length: 10m
        steps:
          - Sit comfortably.
          - sit: 5m..20m
            bells: {every: 2m}
          - Open your eyes.
        """)
    out = run("plan", "scripts/flexible.yaml").stdout
    sit = re.search(r"(\d+):(\d\d\.\d{3})\s+(\d+):(\d\d\.\d{3})\s+sit\s", out)
    start = int(sit[1]) * 60 + float(sit[2])
    length = int(sit[3]) * 60 + float(sit[4])
    assert 9 * 60 < length < 10 * 60
    expected = [start + k * 120 for k in range(1, 5) if k * 120 < length]
    assert planned_bells("flexible") == pytest.approx(expected, abs=0.001)


def test_sits_add_no_chapters_or_captions(project):
    write(project / "scripts" / "quiet.yaml", """
        title: Quiet
        steps:
          - chapter: Settling
          - Sit comfortably.
          - chapter: Sitting
          - sit: 1m
            bells: {every: 20s, strikes: 2}
          - Open your eyes.
        """)
    build("quiet")
    assert (project / "output" / "quiet.vtt").read_text().count("-->") == 2
    assert run("plan", "scripts/quiet.yaml").stdout.count(" chapter ") == 2


def test_no_bells_leaves_the_sit_silent(project):
    write(project / "scripts" / "bare.yaml", """
        title: Bare
        steps:
          - sit: 1m
          - sit: 30s..1m
        """)
    levels, seconds, _ = frame_levels(build("bare"))
    assert levels.max() == 0 and abs(seconds - 90) <= 0.01


@pytest.mark.parametrize("step, message", [
    ("sit: 1m\n    bells: {at: [2m]}", "the bell at 2m is not inside the sit, which lasts 1m"),
    ("sit: 1m..3m\n    bells: {at: [2m]}", "can be as short as 1m"),
    ("sit: 5m\n    bells: {every: 1m, at: [2m]}", "one of `every`, `at` or `random`"),
    ("sit: 5m\n    bells: {}", "one of `every`, `at` or `random`"),
    ("sit: 5m\n    bells: every 3m", "`bells` takes a mapping"),
    ("sit: 5m\n    bells: {random: [3m]}", "the shortest and longest gap"),
    ("sit: 5m\n    bells: {random: [3m, 1m]}", "the shortest gap (above 0), then the longest"),
    ("sit: 5m\n    bells: {every: 0s}", "longer than 0"),
    ("sit: 5m\n    bells: {every: 1m, strikes: 0}", "`strikes` must be a whole number"),
    ("sit: 5m\n    bells: {evry: 1m}", "evry"),
    ("sit: 5m\n    bell: 1", "`bell` cannot go beside `sit`"),
    ("sit: 0s", "longer than 0"),
    ("sit: 3h\n    bells: {every: 1s}", "more than the 1000"),
])
def test_mistakes_in_a_sit_are_located(project, step, message):
    (project / "scripts" / "wrong.yaml").write_text(f"title: Wrong\nsteps:\n  - Hello.\n  - {step}\n")
    result = run("check", "scripts/wrong.yaml")
    assert result.exit_code == 2
    assert "wrong.yaml:4" in result.stderr or "wrong.yaml:5" in result.stderr, result.stderr
    assert message in result.stderr, result.stderr
    assert "Traceback" not in result.output
