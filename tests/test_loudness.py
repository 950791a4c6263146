"""The streaming loudness meter against pyloudnorm, and the peak limiter's promises."""

import numpy as np
import pyloudnorm
import pytest

from audio_builder.sound.loudness import LoudnessMeter, PeakLimiter

RATE = 44_100


def signal(channels, seconds=20, seed=0):
    rng = np.random.default_rng(seed)
    x = rng.standard_normal((RATE * seconds, channels)) * 0.05
    x[RATE * 5:RATE * 8] *= 0.01                     # a quiet stretch the gates must handle
    t = np.arange(x.shape[0]) / RATE
    x[:, 0] += 0.1 * np.sin(2 * np.pi * 3000 * t)    # something the K-weighting lifts
    return x.astype(np.float32)


@pytest.mark.parametrize("channels, block", [(2, 65_536), (1, 30_000), (2, 1_234)])
def test_the_meter_matches_pyloudnorm_fed_in_any_blocks(channels, block):
    x = signal(channels)
    meter = LoudnessMeter(channels)
    for start in range(0, x.shape[0], block):
        meter.add(x[start:start + block])
    reference = pyloudnorm.Meter(RATE).integrated_loudness(
        x.astype(np.float64) if channels == 2 else x[:, 0].astype(np.float64))
    assert meter.integrated() == pytest.approx(reference, abs=1e-6)


def test_silence_and_too_little_audio_measure_minus_infinity():
    meter = LoudnessMeter(2)
    meter.add(np.zeros((RATE * 2, 2), dtype=np.float32))
    assert meter.integrated() == -np.inf
    short = LoudnessMeter(2)
    short.add(signal(2)[: RATE // 4])
    assert short.integrated() == -np.inf


def run_limiter(x, block, ceiling=-1.5):
    limiter = PeakLimiter(ceiling, x.shape[1])
    out = [limiter.process(x[start:start + block]) for start in range(0, x.shape[0], block)]
    return np.concatenate(out + [limiter.flush()])


@pytest.mark.parametrize("block", [65_536, 777])
def test_the_limiter_keeps_every_sample_under_the_ceiling_and_the_length(block):
    loud = signal(2) * 8
    out = run_limiter(loud, block)
    assert out.shape == loud.shape
    assert np.max(np.abs(out)) <= 10 ** (-1.5 / 20) + 1e-6
    gain = np.abs(out[:, 0]) / np.maximum(np.abs(loud[:, 0]), 1e-9)
    steps = np.abs(np.diff(gain[np.abs(loud[:, 0]) > 0.05]))
    assert np.percentile(steps, 99) < 0.01              # the gain moves smoothly, no clicks


def test_the_limiter_leaves_quiet_audio_untouched():
    quiet = signal(2) * 0.5
    assert np.array_equal(run_limiter(quiet, 30_000), quiet)


@pytest.mark.parametrize("gain_db", [0.0, 6.0, 12.0])
def test_the_summary_knows_the_limited_loudness_without_rendering_again(gain_db):
    from audio_builder.sound.loudness import KWeighting
    from audio_builder.sound.master import PEAK_CEILING_DB, TrackSummary, _limited

    x = signal(2) * 4
    x[::RATE // 3] *= 3                                   # peaks, some past the ceiling at each gain
    with TrackSummary(2) as summary:
        for start in range(0, x.shape[0], 10_000):
            summary.add(x[start:start + 10_000], KWeighting.clip(x[start:start + 10_000],
                                                                 before=x[max(0, start - 4096):start]))
        unlimited, limited = summary.loudness(gain_db), summary.loudness(gain_db, limited=True)
    plain, heard = LoudnessMeter(2), LoudnessMeter(2)
    plain.add(x * np.float32(10 ** (gain_db / 20)))
    for block in _limited(iter([x[:70_000], x[70_000:]]), gain_db, 2):
        heard.add(block)
    assert unlimited == pytest.approx(plain.integrated(), abs=1e-4)
    assert limited == pytest.approx(heard.integrated(), abs=0.01)
    assert np.max(np.abs(x)) * 10 ** (gain_db / 20) > 10 ** (PEAK_CEILING_DB / 20)
    assert heard.integrated() < plain.integrated() - 0.05            # the limiter did hold some back


def test_the_summary_sums_a_long_track_the_same_whatever_slice_it_works_in(monkeypatch):
    """The summary sums a long track a slice at a time; the limiter's running sums must not
    drift with the slice's length (in float32 they did: 0.002 LU on an 8-minute track)."""
    from audio_builder.sound.master import TrackSummary

    rng = np.random.default_rng(1)
    block_frames, blocks = 441_000, 24                   # 4 minutes
    with TrackSummary(2) as summary:
        for _ in range(blocks):                          # loud bursts, many past the ceiling
            levels = np.repeat(rng.uniform(0.2, 1.0, block_frames // 441) ** 4 * 2, 441)
            block = (rng.standard_normal((block_frames, 2)) * 0.3 * levels[:, None]).astype(np.float32)
            summary.add(block, block)

        def loudness(slice_units: int) -> float:
            monkeypatch.setattr(TrackSummary, "SLICE", slice_units)
            return summary.loudness(3.0, limited=True)

        whole = loudness(summary.units + 70)
        assert loudness(70 * 16) == pytest.approx(whole, abs=1e-6)
        assert loudness(70 * 1024) == pytest.approx(whole, abs=1e-6)


# --- a sparse practice: what mastering does, and says, when -16 is out of reach ---------------

def sparse_render_pass(voice: np.ndarray, bed: np.ndarray):
    """A render pass (as `sound.master.master` takes one) over a mono voice and bed, copied
    to both channels: blocks of a second, with their K-weighting when asked."""
    from audio_builder.sound.loudness import KWeighting

    def render_pass(with_weighting: bool, bed_db: float):
        mix = voice + bed * np.float32(10 ** (bed_db / 20))
        stereo = np.stack([mix, mix], axis=1)
        weighting = KWeighting(2)
        for start in range(0, stereo.shape[0], 44_100):
            block = stereo[start:start + 44_100]
            yield np.stack([block, weighting.process(block).astype(np.float32)]) if with_weighting else block
    return render_pass


@pytest.mark.parametrize("starts, speech_s, body, click, bed_dbfs, said", [
    # two seconds of speech whose clicks reach full scale, in 45 s of near silence: the gain
    # that reaches -16 would have the limiter take more than 1 LU off the voice
    ((2,), 2, 0.01, 1.0, -70,
     r"loudness -\d+\.\d LUFS, not -16: the track is mostly quiet, and more gain would squash"),
    # twice 4 s of speech over a bed at the meter's gate: the bed comes down, and the note says so
    ((2, 25), 4, 0.1, 0.3, -38, r"loudness -16\.0 LUFS with the bed \d dB under its volume"),
])
def test_a_sparse_track_says_what_mastering_did_to_reach_or_miss_its_loudness(
        starts, speech_s, body, click, bed_dbfs, said):
    """The sparse practices' promise (tests/test_sound.py builds and measures them, marked
    slow) at the mastering itself, on 45 seconds of samples: -16 LUFS reached, with the bed
    brought down where it would count, or the note says what was reached and why."""
    import re

    from audio_builder.sound.master import Mastering, master

    rate, rng = 44_100, np.random.default_rng(1)
    voice = np.zeros(45 * rate, np.float32)
    spans = [(start * rate, (start + speech_s) * rate) for start in starts]
    for start, end in spans:
        voice[start:end] = body * rng.standard_normal(end - start)
        voice[start:end:rate // 20] = click
    bed = (10 ** (bed_dbfs / 20) * rng.standard_normal(voice.size)).astype(np.float32)
    _, report = master(sparse_render_pass(voice, bed), Mastering(-16.0, 2, has_bed=True), spans)
    assert re.match(said, report.note or ""), report.note
    assert report.voice_loss_lu <= 1.0 + 1e-6
    if report.met:
        assert -16.5 <= report.reached_lufs <= -15.5 and report.bed_db < 0
    else:
        assert report.reached_lufs < -17 and report.bed_db == 0
