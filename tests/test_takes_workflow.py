"""The work around takes: the lines of one length, redoing one take, pickup imports, a track
in another voice than the script's, and messages that name the recorded voices."""

from __future__ import annotations

import wave
from functools import partial
from pathlib import Path

import numpy as np
import pytest

from audio_builder.speech.takes import take_id
from tests.conftest import run, write
from tests.readings import save_mono

RATE = 44_100
save_wav = partial(save_mono, rate=RATE)
LINES = ["Find a comfortable position.", "Let your eyes close.", "Breathe in slowly.",
         "Rest here a while.", "Open your eyes."]


def voiced(seconds: float, seed: int = 1, level_db: float = -20.0) -> np.ndarray:
    """Syllable-like bursts of a buzz over a little room noise."""
    rng = np.random.default_rng(seed)
    t = np.arange(int(seconds * RATE)) / RATE
    buzz = np.sign(np.sin(2 * np.pi * 140 * t)) * 0.5 + 0.3 * np.sin(2 * np.pi * 420 * t)
    signal = buzz * (0.6 + 0.4 * np.clip(np.sin(2 * np.pi * 3.5 * t), 0, None) ** 0.5)
    signal *= 10 ** (level_db / 20) / np.sqrt(np.mean(signal ** 2))
    return (signal + 10 ** (-60 / 20) * rng.standard_normal(t.size)).astype(np.float32)


def quiet(seconds: float, seed: int = 2) -> np.ndarray:
    noise = np.random.default_rng(seed).standard_normal(int(seconds * RATE))
    return (10 ** (-60 / 20) * noise).astype(np.float32)


def save_take(project: Path, text: str, seed: int = 1) -> Path:
    return save_wav(project / "takes" / "teacher" / f"{take_id(text)}.wav",
                    np.concatenate([quiet(0.3), voiced(1.0, seed), quiet(0.3)]))


@pytest.fixture
def lengths(project):
    """A practice in 2 and 4 minutes whose 4-minute version has two more lines."""
    write(project / "voices" / "teacher.yaml", "engine: recorded\n")
    write(project / "scripts" / "a.yaml", f"""
        title: A
        voice: teacher
        length: [2m, 4m]
        steps:
          - {LINES[0]}
          - pause: 10s..
          - say: {LINES[1]}
          - say: {LINES[2]}
            only: 4m
          - pause: 10s..
          - say: {LINES[3]}
            only: 4m
          - {LINES[4]}
          - pause: 5s..
        """)
    return project


def listed(output: str) -> list[str]:
    return [line for line in output.splitlines() if line[:3].strip().isdigit()]


def test_takes_with_a_length_lists_and_counts_only_the_lines_it_speaks(lengths):
    save_take(lengths, LINES[0])
    every = run("takes", "scripts/a.yaml")
    assert every.exit_code == 0, every.output
    assert len(listed(every.output)) == 5 and "1 of 5 takes ready" in every.output
    short = run("takes", "scripts/a.yaml", "--length", "2m", "--sheet", "sheet.txt")
    assert short.exit_code == 0, short.output
    rows = listed(short.output)
    assert [row.split(maxsplit=4)[-1].split("  ")[-1].strip() for row in rows] == \
        [LINES[0], LINES[1], LINES[4]]
    assert "1 of 3 takes ready" in short.output
    sheet = (lengths / "sheet.txt").read_text()
    assert LINES[1] in sheet and LINES[2] not in sheet and LINES[3] not in sheet
    # check counts the lines of the length it checks
    check = run("check", "scripts/a.yaml", "--length", "2m")
    assert check.output.count("has no take") == 2, check.output
    assert run("check", "scripts/a.yaml").output.count("has no take") == 4
    bad = run("takes", "scripts/a.yaml", "--length", "soon")
    assert bad.exit_code == 2 and "--length" in bad.output


def test_an_import_with_nothing_to_fill_or_a_bad_line_says_so_before_listening(lengths):
    for seed, line in enumerate(LINES):
        save_take(lengths, line, seed)
    save_wav(lengths / "reading.wav", np.concatenate([quiet(0.5), voiced(1.0), quiet(0.5)]))
    full = run("takes", "import", "scripts/a.yaml", "reading.wav")
    assert full.exit_code == 2 and "every line already has a take" in full.output
    assert "--replace 3" in full.output
    for choice, message in (("9", "the lines are numbered 1 to 5"),
                            ("2-7", "the lines are numbered 1 to 5"),
                            ("close your", "no line begins with these words")):
        result = run("takes", "import", "scripts/a.yaml", "reading.wav", "--replace", choice)
        assert result.exit_code == 2, (choice, result.output)
        assert message in result.output and "found at" not in result.output
    assert "the lines are numbered 1 to 3" in run("takes", "import", "scripts/a.yaml", "reading.wav",
                                                    "--length", "2m", "--replace", "4").output


def test_lines_are_chosen_by_number_range_or_first_words(lengths):
    from audio_builder.errors import InputError
    from audio_builder.model import Place
    from audio_builder.own_voice.pieces import Line, chosen_lines

    lines = [Line(n + 1, text, Place("a.yaml", n + 5), None) for n, text in enumerate(LINES)]
    assert [line.number for line in chosen_lines(lines, "3")] == [3]
    assert [line.number for line in chosen_lines(lines, "4,2-3,2")] == [2, 3, 4]
    assert [line.number for line in chosen_lines(lines, "let YOUR eyes")] == [2]
    assert len(chosen_lines(lines, "all")) == 5
    for choice in ("0", "6", "3-9", "", "nothing like it"):
        with pytest.raises(InputError):
            chosen_lines(lines, choice)


def test_record_line_redoes_one_take_and_stops(lengths):
    for seed, line in enumerate(LINES):
        save_take(lengths, line, seed)
    before = {line: (lengths / "takes" / "teacher" / f"{take_id(line)}.wav").read_bytes() for line in LINES}
    save_wav(lengths / "mic.wav", np.concatenate([quiet(0.5), voiced(2.0, seed=9), quiet(2.0)]))
    # Space at 0.3 s and 2.7 s: one take of line 4, and then it is done (no q needed).
    result = run("record", "scripts/a.yaml", "--input-file", "mic.wav", "--line", "4",
                 "--keys", "0.3:space,2.7:space")
    assert result.exit_code == 0, result.output
    assert "kept 1 take in" in result.output
    after = {line: (lengths / "takes" / "teacher" / f"{take_id(line)}.wav").read_bytes() for line in LINES}
    assert [line for line in LINES if after[line] != before[line]] == [LINES[3]]
    with wave.open(str(lengths / "takes" / "teacher" / f"{take_id(LINES[3])}.wav")) as take:
        assert abs(take.getnframes() / take.getframerate() - 2.4) < 0.15


def test_a_file_as_the_microphone_is_read_in_real_time_or_at_the_speed_asked():
    from audio_builder.own_voice.record import BLOCK, paced

    now = [0.0]
    slept = []

    def sleep(seconds: float) -> None:
        slept.append(seconds)
        now[0] += seconds

    blocks = [np.zeros(BLOCK, np.float32) for _ in range(30)]          # 3 s of input
    for speed, expected in ((1.0, 2.9), (4.0, 2.9 / 4)):
        now[0], slept[:] = 0.0, []
        assert len(list(paced(iter(blocks), speed, clock=lambda: now[0], sleep=sleep))) == 30
        assert abs(now[0] - expected) < 1e-6
    # A slow source is never held back further
    now[0], slept[:] = 0.0, []

    def slow():
        for block in blocks:
            now[0] += 0.2
            yield block

    list(paced(slow(), 1.0, clock=lambda: now[0], sleep=sleep))
    assert not slept


def test_record_from_a_file_moves_the_meter_as_it_plays(lengths, monkeypatch):
    """At the speed asked (here 20 times real time), each 100 ms of the file reaches the
    meter in turn: the levels seen follow the file's own."""
    from audio_builder.own_voice import record as record_module

    save_wav(lengths / "mic.wav", np.concatenate([quiet(1.0), voiced(1.0, level_db=-14), quiet(1.0)]))
    seen: list[float] = []
    feed = record_module.Recorder.feed

    def watched(self, block):
        feed(self, block)
        seen.append(self.level_db)

    monkeypatch.setattr(record_module.Recorder, "feed", watched)
    result = run("record", "scripts/a.yaml", "--input-file", "mic.wav", "--speed", "20", "--keys", "")
    assert result.exit_code == 0, result.output
    assert len(seen) == 30
    assert max(seen[:9]) < -50 and min(seen[11:19]) > -25 and max(seen[21:]) < -50


def test_messages_name_the_recorded_voices_there_are(project):
    write(project / "scripts" / "a.yaml", "title: A\nsteps:\n  - Hello there.\n")
    result = run("takes", "scripts/a.yaml")
    assert result.exit_code == 2
    assert "no recorded voice here yet" in result.output and "engine: recorded" in result.output
    write(project / "voices" / "therapist.yaml", "engine: recorded\n")
    result = run("takes", "scripts/a.yaml")
    assert result.exit_code == 2
    assert "the recorded voice here: therapist; give --voice therapist" in result.output
    assert "voices/default.yaml" not in result.output
    result = run("takes", "scripts/a.yaml", "--voice", "nobody")
    assert result.exit_code == 2 and "--voice therapist" in result.output
    assert run("takes", "scripts/a.yaml", "--voice", "therapist").exit_code == 0


def test_a_track_in_another_voice_has_its_own_name_and_guid_and_is_not_published(project):
    from mutagen.id3 import ID3

    write(project / "voices" / "other.yaml", "engine: tones\nrate: 0.8\n")
    write(project / "podcast.yaml", "title: P\nauthor: A\nemail: a@example.org\n"
                                    "base_url: https://example.org/p/\n")
    write(project / "scripts" / "a.yaml", "title: A\ndate: 2026-01-02\nlength: [20s, 30s]\n"
                                          "steps:\n  - Hello there.\n  - pause: 5s..\n")
    first = run("build")
    assert first.exit_code == 0, first.output
    result = run("build", "--voice", "other", "--length", "20s")
    assert result.exit_code == 0, result.output
    output = project / "output"
    assert (output / "a-other-20s.mp3").is_file()
    guids = {path.name: str(ID3(path)["TGID"]) for path in output.glob("a-*20s.mp3")}
    assert len(guids) == 2 and len(set(guids.values())) == 2
    # the script's own voice is not "another": building in it names the tracks as always
    assert run("build", "--voice", "default", "--length", "20s").exit_code == 0
    assert not (output / "a-default-20s.mp3").exists()
    feed = run("feed")
    assert feed.exit_code == 0, feed.output
    xml = next(output.rglob("*.xml")).read_text()
    assert "a-20s.mp3" in xml and "a-other" not in xml
