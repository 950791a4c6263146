"""Seeing an imported take's cut and making it again from new edges, through the Python API and
`takes recut`: the import keeps each take's place and its reading (once, by content digest, in
the takes folder); the envelope is the reading's; a take moved into the pause grows by exactly
the move; one moved into a word is refused by listening back, and nothing changes.

One reading (two lines said by espeak-ng, with known times) is imported once for the module."""

from __future__ import annotations

import wave
from pathlib import Path

import numpy as np
import pytest

import audio_builder as ab
from audio_builder.own_voice.cut import envelope
from audio_builder.speech.takes import TakeError, take_id
from tests.conftest import run, write

LINES = ["Rest your hands in your lap.", "Let the morning light in."]


def frames(path: Path) -> int:
    with wave.open(str(path)) as file:
        return file.getnframes()


@pytest.fixture(scope="module")
def imported(tmp_path_factory):
    from tests.conftest import espeak_available
    from tests.readings import teacher_reading

    if not espeak_available():
        pytest.skip("espeak-ng is not installed")
    root = tmp_path_factory.mktemp("cut")
    write(root / "voices" / "teacher.yaml", "engine: recorded\n")
    write(root / "scripts" / "m.yaml", "title: Morning Light\nvoice: teacher\nsteps:\n"
          + "".join(f"  - {line}\n  - pause: 2s\n" for line in LINES))
    reading = teacher_reading(LINES, pauses=(2.5,))
    reading.save(root / "reading.wav")
    ab.import_takes(root / "scripts" / "m.yaml", root / "reading.wav")
    return root, reading.truth


@pytest.mark.slow                  # the import hears the reading
def test_an_import_keeps_each_take_s_place_and_its_reading_once(imported):
    from audio_builder.own_voice.takes_index import read_verdicts
    from audio_builder.speech.takes import content_digest

    root, truth = imported
    folder = root / "takes" / "teacher"
    kept = list((folder / "readings").iterdir())
    assert [path.name for path in kept] == [f"{content_digest(root / 'reading.wav')}.wav"]
    assert kept[0].read_bytes() == (root / "reading.wav").read_bytes()
    verdicts = read_verdicts(folder)
    for line in LINES:
        place = verdicts[take_id(line)].place
        assert place is not None and place[0] == f"readings/{kept[0].name}"
        (start, end), (_, cut_start, cut_end) = truth[line][0], place
        assert cut_start <= start and end <= cut_end                 # the words are inside
        # the take is exactly that stretch of the reading, resampled to 44.1 kHz
        assert abs(frames(folder / f"{take_id(line)}.wav") - (cut_end - cut_start) * 44_100 // 1000) <= 1


@pytest.mark.slow
def test_the_view_is_the_reading_around_the_cut(imported):
    root, truth = imported
    view = ab.take_cut(root / "scripts" / "m.yaml", 2, columns=200)
    start, end = truth[LINES[1]][0]
    assert view.view_start_ms == view.start_ms - 3000 and len(view.low) == len(view.high) <= 200
    span = view.view_end_ms - view.view_start_ms

    def column(ms: int) -> int:
        return (ms - view.view_start_ms) * len(view.high) // span

    inside = max(view.high[column(start):column(end)])
    quiet = max(view.high[column(end + 400):column(end + 1400)])     # the pause after it
    assert inside > 0.2 and quiet < 0.02 and min(view.low[column(start):column(end)]) < -0.2
    place = ab.take_cut(root / "scripts" / "m.yaml", 2)
    assert (place.start_ms, place.end_ms, place.low) == (view.start_ms, view.end_ms, ())
    with pytest.raises(ab.InputError, match="columns: give a whole number"):
        ab.take_cut(root / "scripts" / "m.yaml", 2, columns=5)


def test_the_envelope_is_the_same_however_the_reading_comes_in_blocks():
    samples = np.random.default_rng(3).uniform(-1, 1, 10_007).astype(np.float32)
    whole = envelope([samples], samples.size, 37)
    for size in (1, 100, 999):
        parts = envelope((samples[i:i + size] for i in range(0, samples.size, size)), samples.size, 37)
        assert np.array_equal(parts[0], whole[0]) and np.array_equal(parts[1], whole[1])
    low, high, seen = whole
    bounds = np.arange(38) * samples.size // 37
    assert seen == samples.size and low[5] == samples[bounds[5]:bounds[6]].min()
    assert high[36] == samples[bounds[36]:].max()


@pytest.mark.slow                  # the recognizer listens back to each new take
def test_a_take_made_again_moves_by_the_step_and_a_cut_into_a_word_is_refused(imported):
    from audio_builder.own_voice.takes_index import read_verdicts

    root, truth = imported
    script = root / "scripts" / "m.yaml"
    take = root / "takes" / "teacher" / f"{take_id(LINES[0])}.wav"
    before = ab.take_cut(script, 1)
    length = frames(take)
    state = ab.recut_take(script, 1, before.start_ms - 20, before.end_ms + 200)
    assert state.status == "recorded" and state.line.take == take
    assert abs(frames(take) - length - 220 * 44_100 // 1000) <= 2          # 220 ms longer
    after = ab.take_cut(script, 1)
    assert (after.start_ms, after.end_ms) == (before.start_ms - 20, before.end_ms + 200)
    assert read_verdicts(take.parent)[take.stem].place == (f"readings/{after.reading.name}",
                                                           after.start_ms, after.end_ms)

    unchanged, index = take.read_bytes(), (take.parent / "takes.yaml").read_bytes()
    into_word = truth[LINES[0]][0][0] + 150
    with pytest.raises(TakeError, match="not made: listening back .*(cut inside a sound|starts late)"):
        ab.recut_take(script, 1, into_word, after.end_ms)
    assert take.read_bytes() == unchanged and (take.parent / "takes.yaml").read_bytes() == index
    assert sorted(p.name for p in take.parent.iterdir() if p.name.startswith(".")) == []
    with pytest.raises(ab.InputError, match="from 0.2 s"):
        ab.recut_take(script, 1, after.start_ms, after.start_ms + 100)


@pytest.mark.slow                  # the recognizer listens back
def test_takes_recut_moves_an_edge_and_takes_still_lists_it(imported, monkeypatch):
    root, _ = imported
    monkeypatch.chdir(root)
    before = ab.take_cut("scripts/m.yaml", 2)
    shown = run("takes", "recut", "scripts/m.yaml", "2")
    assert shown.exit_code == 0 and "line 2: cut from" in shown.output
    result = run("takes", "recut", "scripts/m.yaml", "2", "--end", "-20ms")
    assert result.exit_code == 0, result.output
    assert "made again" in result.output and ab.take_cut("scripts/m.yaml", 2).end_ms == before.end_ms - 20
    listed = run("takes", "scripts/m.yaml")
    assert take_id(LINES[1]) in listed.output and "2 of 2 takes ready" in listed.output
    bad = run("takes", "recut", "scripts/m.yaml", "2", "--start", "soon")
    assert bad.exit_code == 2 and "a move, like -200ms" in bad.output


def test_a_take_not_cut_from_a_kept_reading_has_no_cut(project):
    from tests.test_own_voice import save_wav, take

    write(project / "voices" / "teacher.yaml", "engine: recorded\n")
    write(project / "scripts" / "s.yaml", "title: S\nvoice: teacher\nsteps:\n  - Sit quietly.\n")
    with pytest.raises(ab.InputError, match="line 1 has no cut to show: it has no take yet"):
        ab.take_cut("scripts/s.yaml", 1)
    save_wav(project / "takes" / "teacher" / f"{take_id('Sit quietly.')}.wav", take(1.0))
    with pytest.raises(ab.InputError, match="not cut from a reading kept"):
        ab.take_cut("scripts/s.yaml", 1)
    result = run("takes", "recut", "scripts/s.yaml", "1", "--end", "+20ms")
    assert result.exit_code == 2 and "not cut from a reading kept" in result.output


def test_a_reading_no_take_names_any_more_is_removed(tmp_path):
    from audio_builder.own_voice.takes_index import (
        keep_reading,
        read_verdicts,
        record_verdicts,
        update_index,
    )

    folder = tmp_path / "takes"
    update_index(folder, ["A.", "B."])
    one, two = tmp_path / "one.m4a", tmp_path / "two.WAV"
    one.write_bytes(b"first reading")
    two.write_bytes(b"second reading")
    first = keep_reading(one, folder)
    assert keep_reading(one, folder) == first and first.endswith(".m4a")
    record_verdicts(folder, {take_id("A."): ("d1", "ok"), take_id("B."): ("d2", "ok")},
                    {take_id("A."): (first, 0, 900), take_id("B."): (first, 1000, 2000)})
    second = keep_reading(two, folder)
    record_verdicts(folder, {take_id("A."): ("d3", "ok")}, {take_id("A."): (second, 5, 800)})
    assert sorted(p.name for p in (folder / "readings").iterdir()) == sorted(
        Path(name).name for name in (first, second))
    record_verdicts(folder, {take_id("B."): ("d4", "ok")})           # recorded: no reading now
    assert [p.name for p in (folder / "readings").iterdir()] == [Path(second).name]
    assert read_verdicts(folder)[take_id("B.")].place is None


def test_a_new_take_is_worse_only_for_a_problem_the_old_one_did_not_have():
    from audio_builder.own_voice.one_take import _new_problems

    before = ("cut inside a sound at the end", "long: 6.1 s for words that take about 2.0 s")
    assert _new_problems(("long: 5.9 s for words that take about 2.0 s",), before) == []
    assert _new_problems(("cut inside a sound at the start", "cut inside a sound at the end"),
                         before) == ["cut inside a sound at the start"]
    assert _new_problems(('starts late: "rest" not heard',), ()) == ['starts late: "rest" not heard']
