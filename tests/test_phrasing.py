"""How speech is paced: the pause between spoken steps, the pauses between phrases, marks
inside spoken text. Measured on built files by energy, with the `tones` voice (a tone a
word, ~100 ms each) where the real voice is not the point."""

import numpy as np
import pytest
from conftest import decode_mono, run, write

from audio_builder.timeline import pause_after_sentence

RATE = 44_100


def silences(path, min_ms=150):
    """The quiet stretches inside the track (not at its ends), as (start_ms, length_ms)."""
    samples = decode_mono(path, RATE)
    window = RATE // 200                                   # 5 ms
    frames = samples[: samples.size // window * window].reshape(-1, window)
    quiet = np.sqrt(np.mean(frames.astype(np.float64) ** 2, axis=1)) < 10 ** (-50 / 20)
    runs, start = [], None
    for index, still in enumerate(quiet):
        if still and start is None:
            start = index
        elif not still and start is not None:
            if start > 0 and (index - start) * 5 >= min_ms:
                runs.append((start * 5, (index - start) * 5))
            start = None
    return runs


def tones_project(project, profile="", script=""):
    write(project / "voices" / "default.yaml", "engine: tones\nsentence_pause: 700ms\n"
                                                "phrase_pause: 400ms\n" + profile)
    write(project / "scripts" / "t.yaml", "title: T\n" + script)
    result = run("build", "scripts/t.yaml", "--format", "wav", "--quiet")   # read without ffmpeg
    assert result.exit_code == 0, result.output
    return project / "output" / "t.wav"


def gap_lengths(path):
    return [ms for _, ms in silences(path)]


def near(values, expected, tolerance=30):
    return len(values) == len(expected) and all(abs(v - e) <= tolerance
                                                for v, e in zip(values, expected, strict=True))


def test_two_spoken_steps_in_a_row_get_the_sentence_pause(project):
    track = tones_project(project, script="""
steps:
  - Let us breathe together.
  - chapter: Breathing
  - breathe: {in: 2s, out: 2s, cycles: 1}
  - One more line.
  - Another line.
""")
    # say → (chapter) → breathe cue: 700; the breath's out phase ends in silence already;
    # then two lines in a row: 700.
    gaps = gap_lengths(track)
    assert near([gaps[0], gaps[-1]], [700, 700]), gaps


def test_a_pause_between_steps_stands_alone_and_pause_0s_joins_them(project):
    track = tones_project(project, script="""
steps:
  - Let us breathe together.
  - pause: 2s
  - Breathe in.
  - pause: 0s
  - And out.
""")
    assert near(gap_lengths(track), [2000]), gap_lengths(track)


def test_step_pause_is_set_by_the_profile_and_the_script_wins(project):
    track = tones_project(project, profile="step_pause: 1.2s\n", script="""
steps:
  - First line.
  - Second line.
""")
    assert near(gap_lengths(track), [1200]), gap_lengths(track)
    track = tones_project(project, profile="step_pause: 1.2s\n", script="""
step_pause: 300ms
steps:
  - First line.
  - Second line.
""")
    assert near(gap_lengths(track), [300]), gap_lengths(track)


def test_commas_semicolons_colons_dashes_and_ellipses_get_the_phrase_pause(project):
    track = tones_project(project, script="""
steps:
  - "Breathe in, and out; slowly: now... rest — here. We count to 1,000 in one phrase."
""")
    first_sentence = sounding(track)[5][0] + sounding(track)[5][1] - sounding(track)[0][0]
    assert near(gap_lengths(track), [400] * 5 + [pause_after_sentence(first_sentence, 700)]), \
        gap_lengths(track)


def test_a_short_sentence_gets_a_shorter_pause_than_a_long_one(project):
    long = " ".join(["calm"] * 49)
    track = tones_project(project, script=f"steps:\n  - say: Rest. Rest {long}. Rest.\n")
    # The long sentence is spoken in three parts that run on (no comma: no phrase pause).
    stretches = sounding(track)
    short_ms, long_ms = stretches[0][1], stretches[1][1]
    gaps = gap_lengths(track)
    # 700 ms after a sentence of 3.5 s; a one-word sentence gets 0.4 of it, a 5 s one 4/3.
    assert near(gaps, [pause_after_sentence(short_ms, 700),
                       pause_after_sentence(long_ms, 700)]), gaps
    assert near(gaps, [280, 933]), (gaps, short_ms, long_ms)


def test_a_long_phrase_is_spoken_in_bounded_parts_that_run_on(project):
    words = " ".join(["calm"] * 60)
    track = tones_project(project, script=f"steps:\n  - {words}.\n")
    # 60 words, at most 24 a call: three parts of 20. With no punctuation there, they are
    # joined by a short catch of breath, not the phrase pause (400 ms here): between words
    # the tones leave 20 ms, at each cut about 120 ms more.
    assert gap_lengths(track) == []
    cuts = [ms for _, ms in silences(track, min_ms=60)]
    assert len(cuts) == 2 and all(120 <= ms <= 180 for ms in cuts), cuts


def test_a_very_long_sentence_is_spoken_in_pieces_with_the_pauses_of_one(project):
    words = [f"w{index}" for index in range(200)]
    words[70] += ","
    track = tones_project(project, script=f"steps:\n  - {' '.join(words)}.\n")
    # 200 words: 71 to the comma (three parts of at most 24), 129 after it (six parts); in
    # pieces of at most 80 words (here three: 71, 66, 63). The listener hears the phrase
    # pause at the comma only, the short run-on cut at the seven others, piece or not.
    gaps = [ms for _, ms in silences(track, min_ms=60)]
    assert len(gaps) == 8 and sorted(gaps)[-1] >= 380 and sorted(gaps)[-2] <= 180, gaps
    cues = [cue for cue in (project / "output" / "t.vtt").read_text().split("\n\n")[1:] if cue]
    spoken = [" ".join(cue.split("-->", 1)[1].splitlines()[1:]).split() for cue in cues]
    assert len(spoken) == 3 and all(len(cue) <= 80 for cue in spoken), spoken
    assert [word.strip(",.") for cue in spoken for word in cue] == [w.strip(",") for w in words]


def sounding(path):
    """Where each stretch of sound starts and how long it is (ms), between silences."""
    samples = decode_mono(path, RATE)
    total = samples.size * 1000 // RATE
    edges = [0] + [edge for start, ms in silences(path) for edge in (start, start + ms)] + [total]
    return [(a, b - a) for a, b in zip(edges[::2], edges[1::2], strict=True)]


def test_breath_is_a_calm_breath_and_slow_slows_a_passage(project):
    track = tones_project(project, script="""
steps:
  - say: "Feel the ground [breath] one two three four five. [slow]one two three four five.[/slow]"
""")
    gaps = gap_lengths(track)
    normal, slow = [ms for _, ms in sounding(track)][-2:]
    assert near(gaps, [5000, pause_after_sentence(normal, 700)]), gaps
    assert abs(slow / normal - 1 / 0.8) < 0.03, (normal, slow)


def test_marks_that_would_do_nothing_are_clear_errors(project):
    cases = {
        "[emphasis]really[/emphasis]": "cannot stress",
        "[whisper]softly": "cannot stress",
        "[slow]never closed": "never closed",
        "[/slow]": "without a `[slow]`",
        "[slow] a [slow] b [/slow]": "cannot nest",
        "[louder]": "not an inline mark",
    }
    for text, expected in cases.items():
        write(project / "scripts" / "m.yaml", f'title: M\nsteps:\n  - Fine.\n  - "{text}"\n')
        result = run("check", "scripts/m.yaml")
        assert result.exit_code == 2, (text, result.output)
        assert "m.yaml:4:" in result.stderr and expected in result.stderr, result.stderr
        assert "Traceback" not in result.stderr
        assert "[pause 3s]" in result.stderr or "[/slow]" in result.stderr


@pytest.mark.voice
@pytest.mark.parametrize("practice", ["self-compassion-break", "what-do-i-need", "why-it-is-hard"])
def test_the_default_voice_paces_a_library_practice_like_a_teacher(monkeypatch, practice):
    """Practices of the library with the real default voice: a typical one, the one in the
    shortest sentences and the one in the longest (the whole library is measured by
    benchmarks/pace.py on built files; three keep CI affordable): within sentences 140-165
    words a minute, and 110-130 overall with the voice's own pauses."""
    from pathlib import Path

    from audio_builder import Builder, load_script, open_project
    from audio_builder.speech.cache import SpeechCache
    from audio_builder.text import word_count

    root = Path(__file__).resolve().parent.parent
    monkeypatch.chdir(root)
    builder = Builder(open_project(root), cache=SpeechCache())
    script = load_script(root / "scripts" / f"{practice}.yaml")
    speech = sorted(builder.plan(script)[0].timeline.speech, key=lambda s: s.start_ms)
    words = sum(word_count(s.utterance.text) for s in speech)
    spoken = sum(s.ms for s in speech)
    gaps = [b.start_ms - a.end_ms for a, b in zip(speech, speech[1:], strict=False)]
    within = words * 60_000 / spoken
    overall = words * 60_000 / (spoken + sum(g for g in gaps if 0 <= g <= 2_500))
    assert 140 <= within <= 165, within
    assert 110 <= overall <= 130, overall
