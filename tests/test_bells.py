"""Bells as a listener hears them: as loud as the voice, a lead-in at 0:00, a full ring at the end.

Loudness is read with pyloudnorm (not the project's own meter): a bell's loudest 400 ms in
the first second after its strike, against the median momentary loudness of the speech."""

import statistics

import numpy as np
import pyloudnorm
import pytest
from conftest import decode, run, write

from audio_builder.sound import sounds
from audio_builder.sound.loudness import loudest_momentary
from audio_builder.sound.media import builtin_samples

RATE = 44_100
WINDOW = int(0.4 * RATE)


def stereo(path):
    return decode(path, 2, RATE).astype(np.float64)


def momentary(audio, start):
    return pyloudnorm.Meter(RATE, block_size=0.4).integrated_loudness(audio[start:start + WINDOW])


def bell_loudness(audio, strike_s):
    first = int(strike_s * RATE)
    return max(momentary(audio, s) for s in range(first, first + RATE - WINDOW + 1, RATE // 50))


def speech_median(audio, spans):
    values = [momentary(audio, s) for a, b in spans
              for s in range(int(a * RATE), int(b * RATE) - WINDOW + 1, RATE // 10)]
    return statistics.median(v for v in values if np.isfinite(v))


def planned(name, step):
    """(start, length) in seconds of each row of `step` in the cue sheet."""
    import re

    rows = re.findall(r"(\d+):(\d\d\.\d{3})\s+(?:(\d+):(\d\d\.\d{3}))?\s+" + step + r"\s",
                      run("plan", f"scripts/{name}.yaml").stdout)
    return [(int(m) * 60 + float(s), int(lm or 0) * 60 + float(ls or 0)) for m, s, lm, ls in rows]


def rms_db(samples):
    return 10 * np.log10(np.mean(samples ** 2) + 1e-20)


@pytest.fixture
def tones(project):
    write(project / "voices" / "default.yaml", "engine: tones\n")
    return project


@pytest.mark.parametrize("name", list(sounds.BELLS))
def test_the_meter_for_a_strike_agrees_with_pyloudnorm(name):
    bell = builtin_samples("bell", name)                 # as builds have it
    expected = max(momentary(bell.astype(np.float64), s) for s in range(0, RATE - WINDOW + 1, 441))
    assert abs(loudest_momentary(bell) - expected) < 0.1


@pytest.mark.voice
def test_every_bell_at_volume_0_sits_within_3_lu_of_real_speech(project):
    write(project / "scripts" / "bells.yaml", """
        title: Bells and Voice
        steps:
          - bell: 1
          - Find a comfortable position, and let your eyes close if that feels right.
          - Notice the breath, as it comes and goes, without changing it.
          - bell: chime
          - Let the shoulders soften, and the jaw, and the hands.
          - bell: gong
          - Rest here, just as you are, for a few more breaths.
          - bell: {sound: chime, volume: -6dB}
          - When you are ready, gently open your eyes.
        """)
    assert run("build", "scripts/bells.yaml").exit_code == 0
    audio = stereo(project / "output" / "bells.mp3")
    voice = speech_median(audio, [(a, a + n) for a, n in planned("bells", "say")])
    strikes = [a for a, _ in planned("bells", "bell")]
    over = [bell_loudness(audio, s) - voice for s in strikes]
    assert all(abs(x) <= 3.0 for x in over[:3]), over           # bowl, chime, gong
    assert abs(over[3] - (over[1] - 6.0)) <= 0.5, over           # the step's own volume still counts


def test_bell_volume_moves_every_bell_and_adds_to_a_steps_volume(tones):
    text = ("title: Soft\n{extra}steps:\n  - One two three.\n  - bell: 1\n  - pause: 10s\n"
            "  - bell: {{volume: -3dB}}\n")
    write(tones / "scripts" / "plain.yaml", text.format(extra=""))
    write(tones / "scripts" / "soft.yaml", text.format(extra="bell_volume: -6dB\n"))
    levels = {}
    for name in ("plain", "soft"):
        assert run("build", f"scripts/{name}.yaml", "--format", "wav", "--loudness", "off").exit_code == 0
        audio = stereo(tones / "output" / f"{name}.wav")
        levels[name] = [bell_loudness(audio, a) for a, _ in planned(name, "bell")]
    assert levels["plain"][0] - levels["soft"][0] == pytest.approx(6.0, abs=0.2)
    assert levels["plain"][0] - levels["soft"][1] == pytest.approx(9.0, abs=0.2)


def test_a_bell_at_the_start_comes_after_half_a_second_of_silence(tones):
    write(tones / "scripts" / "start.yaml", "title: Start\nsteps:\n  - chapter: One\n  - bell: 1\n"
                                             "  - Hello there.\n")
    assert run("build", "scripts/start.yaml", "--format", "wav").exit_code == 0
    audio = stereo(tones / "output" / "start.wav")[:, 0]
    assert planned("start", "bell")[0][0] == 0.5
    assert rms_db(audio[:int(0.49 * RATE)]) < -80
    assert rms_db(audio[int(0.5 * RATE):int(0.6 * RATE)]) > -40


def test_the_last_bell_rings_out_before_the_track_ends(tones):
    write(tones / "scripts" / "end.yaml", "title: End\nsteps:\n  - Hello there.\n  - bell: 1\n"
                                           "  - pause: 2s\n")
    assert run("build", "scripts/end.yaml", "--format", "wav").exit_code == 0
    audio = stereo(tones / "output" / "end.wav")[:, 0]
    [(strike, _)] = planned("end", "bell")
    assert audio.size / RATE == pytest.approx(strike + 12.0, abs=0.05)     # the bowl's whole ring
    struck = rms_db(audio[int(strike * RATE):int((strike + 0.4) * RATE)])
    before_fade = rms_db(audio[-RATE:-RATE // 2])
    assert struck - before_fade > 55, (struck, before_fade)               # it has died away


def test_a_length_that_leaves_no_room_for_the_last_ring_says_so(tones):
    write(tones / "scripts" / "tight.yaml", "title: Tight\nlength: 1m\nsteps:\n  - Hello.\n"
                                             "  - pause: 5s..\n  - at: -10s\n  - Bye now.\n"
                                             "  - pause: 1s..\n  - bell: 1\n")
    result = run("check", "scripts/tight.yaml")
    assert result.exit_code == 2
    assert ("tight.yaml:6: the steps after `at: -10s` need at least 13.2s, but the `at` leaves "
            "them 10s at any length; move the `at` to `-14s` or earlier" in result.stderr)
