"""Takes: a person's recording of one spoken piece, and how every take is cleaned.

A take is named by an id made from the piece's words (case and punctuation aside), so editing
one line of a script asks for that line's take only. Takes are ordinary audio files in the
voice's folder, `<id>.wav` (or .flac, .mp3, .m4a, .ogg, .opus); `takes.yaml` beside them maps
each id to its words, for people (`own_voice.takes_index`).

Cleaning, the same for every take: rumble removed (a 70 Hz high-pass, 24 dB an octave); the
room's steady noise (hiss, hum and its harmonics) reduced by ffmpeg's `afftdn`, with a noise
profile learned from the take's own quiet moments; a downward expander below the speech, so
what is left of the room between words is turned down rather than raised with the voice; the
edges trimmed to the speech with a short lead-in and tail that fade in and out (breaths at the
edges kept or trimmed); then levelled, limited and resampled exactly as synthesized speech is
(`synthesizer.level_speech`), so recorded and synthetic lines sit at one level. A profile's
`noise_reduction: false` leaves out the noise reduction and the expander.

Why afftdn, measured with benchmarks/clean_room.py on a phone reading (the system voice, room
reverb, hiss at -45 dBFS, 50 Hz hum and its odd harmonics, a phone's band): with the expander,
DNSMOS OVRL 3.0 and the room 31 dB under the voice, no speech lost; DeepFilterNet3 (packaged
ONNX runtime) scored higher (OVRL 3.25, 39 dB) but turned 4.6 % of the speech down by more than
6 dB and ran 20 times slower; RNNoise lost 18 %. `anlmdn` aborts in the packaged ffmpeg.
"""

from __future__ import annotations

import hashlib
import io
import re
import unicodedata
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from audio_builder.errors import InputError

EXTENSIONS = (".wav", ".flac", ".mp3", ".m4a", ".ogg", ".opus", ".aac")
HIGH_PASS_HZ = 70.0
LEAD_IN_MS = 50          # kept before the first sound of speech
TAIL_MS = 150            # kept after the last (voices die away slowly)
BREATH_REACH_MS = 800    # a breath this close before or after the words counts as theirs
MIN_SPEECH_MS = 200
QUIET_DBFS = -40.0       # speech quieter than this is mostly noise once levelled
CLIPPED_SHARE = 0.001    # more than 0.1 % of samples at full scale
CLIPPED_16_BIT = 1.0 - 2.0 / (1 << 15)   # a 16-bit sample read as this or louder is at full scale
FRAME_MS = 10
# The clean room (see the module's docstring for the measures behind these).
NOISE_REDUCTION_DB = 24  # afftdn's most: hiss at -45 dBFS goes under -65
ROOM_SAMPLE_MS = 1000    # at most this much of a take's quietest moments teach afftdn the room
ROOM_LEAST_MS = 200      # with less quiet than this, there is no room to learn: left as it is
ROOM_UNDER_VOICE_DB = 15  # "quiet" is at least this far under the voice's loud moments
EXPANDER_OVER_ROOM_DB = 8  # the expander acts below this much over what is left of the room
EXPANDER_RATIO = 3.0     # 1 dB under its threshold becomes 3 dB under
EXPANDER_RANGE_DB = 30.0  # and it turns down by this much at most
EXPANDER_OPEN_MS = 30    # it opens this long before a sound (no onset is cut)
EXPANDER_CLOSE_MS = 150  # and closes over this long after one (word endings and reverb die away)


class TakeError(InputError):
    """A take that cannot be used; the caller adds which line of which script it is for."""


# --- ids ----------------------------------------------------------------------

def words_of(text: str) -> list[str]:
    """The words of `text` in any script, case and accents folded, without punctuation: what
    the recognizer's words are matched with ("¿Dónde?" and a heard "Donde" both give
    `donde`; whisper writes accents or leaves them out).

    >>> words_of("¿Dónde lo sientes? Straße, 3 veces.")
    ['donde', 'lo', 'sientes', 'strasse', '3', 'veces']
    """
    folded = unicodedata.normalize("NFKD", text.replace("’", "'").casefold())
    plain = "".join(ch for ch in folded if not unicodedata.combining(ch))
    return re.findall(r"[^\W_]+(?:'[^\W_]+)*", plain)


def _id_words(text: str) -> list[str]:
    """The words a take's file name is made of: ASCII letters and digits only, as the names of
    takes already recorded were made (a word's other letters are left out: "Dónde" gives `d`,
    `nde`)."""
    return re.findall(r"[a-z0-9]+(?:'[a-z0-9]+)*", text.lower().replace("’", "'"))


# What a line's words can take to say, read slowly (80 words a minute, a pause of 1.5 s at
# each comma or full stop inside it, 2 s more): a take longer than this holds more than one
# reading of one line (a long pause, a cough, the next line), so it is refused.
SLOWEST_WORD_MS = 750
LONGEST_PAUSE_MS = 1500
LONGEST_SLACK_MS = 2000
# ... and at an ordinary pace (150 words a minute, 400 ms at each pause mark).
TAKE_ROOM_MS = 5000       # a take's quiet before and after the words, when recorded by hand
LONGEST_TAKE_MS = 5 * 60_000            # whatever its line: no piece takes this long
LARGEST_BYTES_PER_MS = 192 * 2 * 4      # 192 kHz stereo 32-bit: the most a ms of take can be
TAKE_GRACE_MS = 2000      # decoding a take stops this far past its longest (encoders pad the end)
USUAL_WORD_MS = 400
USUAL_PAUSE_MS = 400
PAUSE_MARKS = re.compile(r"[,;:.!?\u2014\u2013]+\s|\s[-\u2013\u2014]+\s|\.\.\.")


def _pauses(text: str) -> int:
    """How many pause marks (a comma, a full stop, a dash ...) `text` has inside it."""
    return max(len(PAUSE_MARKS.findall(text.strip() + " ")) - 1, 0)


def longest_reading_ms(text: str) -> int:
    """The longest a reading of `text` can take: a take longer than this is refused."""
    return (len(words_of(text)) * SLOWEST_WORD_MS + _pauses(text) * LONGEST_PAUSE_MS
            + LONGEST_SLACK_MS)


def usual_reading_ms(text: str) -> int:
    """How long a reading of `text` takes at an ordinary pace."""
    return len(words_of(text)) * USUAL_WORD_MS + _pauses(text) * USUAL_PAUSE_MS


def take_id(text: str) -> str:
    """A stable, readable file name for the take of `text`: its first words and a hash of
    all of them."""
    # a line with no ASCII letters (Дыши, 息を吸います) is named by its own letters: by the
    # ASCII ones alone every such line would share one name
    words = _id_words(text) or words_of(text)
    digest = hashlib.sha1(" ".join(words).encode()).hexdigest()[:8]
    stem = "-".join(words[:5])[:40].strip("-")
    return f"{stem}-{digest}" if stem else digest


def find_take(folder: Path, text: str) -> Path | None:
    """The take of `text` in `folder`, whatever its format (the newest if there are several)."""
    stem = take_id(text)
    found = [folder / (stem + ext) for ext in EXTENSIONS if (folder / (stem + ext)).is_file()]
    return max(found, key=lambda path: path.stat().st_mtime) if found else None


# --- reading and judging a take -----------------------------------------------------------

@dataclass(frozen=True)
class RawTake:
    """A take as recorded: mono float32 at its own rate, and the share of clipped samples."""

    samples: np.ndarray
    sample_rate: int
    clipped_share: float

    @property
    def ms(self) -> int:
        return self.samples.shape[0] * 1000 // self.sample_rate


def longest_take_ms(text: str) -> int:
    """The longest a take of `text` may be: its slowest reading, and room around it."""
    return longest_reading_ms(text) + TAKE_ROOM_MS


def _header(path: Path) -> object | None:
    """What a take's header says (mutagen's `info`: `length`, `sample_rate`, `channels`),
    read without decoding it; None where there is none it can read (ffmpeg judges the file)."""
    import mutagen

    try:
        return getattr(mutagen.File(path), "info", None)
    except Exception:        # noqa: BLE001 - a header mutagen cannot read: ffmpeg judges the file
        return None


def _refuse_long(path: Path, header: object | None, longest_ms: int) -> None:
    """A TakeError if the take is longer than `longest_ms` by its header, or bigger than that
    much audio can be: it is not decoded then."""
    length = getattr(header, "length", None)
    length = round(length * 1000) if isinstance(length, (int, float)) and length > 0 else None
    try:
        size = path.stat().st_size
    except OSError:
        size = 0
    if (length or 0) > longest_ms or size > longest_ms * LARGEST_BYTES_PER_MS:
        shown = f"{length / 1000:.0f} s long" if length else f"{size / 1e6:.0f} MB"
        raise TakeError(_too_long_message(shown, longest_ms), path)


def _too_long_message(shown: str, longest_ms: int) -> str:
    return (f"this take is {shown}, longer than its line can take to say "
            f"({longest_ms / 1000:.0f} s): it holds more than one reading of one "
            "line; record or import it again")


def _unreadable_take(path: Path, reason: str) -> TakeError:
    return TakeError("cannot read this take as audio" + (f" ({reason[:120]})" if reason else "")
                     + "; save it as WAV, FLAC, MP3 or M4A", path)


def read_take(path: Path, longest_ms: int = LONGEST_TAKE_MS) -> RawTake:
    """Any audio file, at its own rate; stereo is mixed down. Raises TakeError if unreadable,
    or longer than `longest_ms` (by its header, or its size: it is not decoded then)."""
    from pydub import AudioSegment
    from pydub.exceptions import CouldntDecodeError

    from audio_builder.sound.media import decode_wav

    _refuse_long(path, _header(path), longest_ms)

    # Every format through the packaged ffmpeg, as 16-bit WAV: given anything but a plain
    # PCM WAV, pydub would ask a system ffprobe (which no package brings) for its format.
    try:
        segment = AudioSegment.from_file(io.BytesIO(decode_wav(path, longest_ms + TAKE_GRACE_MS)),
                                         format="wav")
    except (CouldntDecodeError, OSError, IndexError, ValueError) as error:
        reason = str(error).strip().splitlines()
        raise _unreadable_take(path, reason[0] if len(reason) == 1 else "") from None
    if len(segment) > longest_ms + TAKE_GRACE_MS // 2:      # the header said less than it holds
        raise TakeError(_too_long_message(f"over {longest_ms / 1000:.0f} s long", longest_ms), path)
    frames = np.array(segment.get_array_of_samples(), dtype=np.float32)
    full_scale = float(1 << 15)
    frames = frames.reshape(-1, segment.channels) / full_scale
    clipped = float(np.mean(np.abs(frames) >= CLIPPED_16_BIT)) if frames.size else 0.0
    return RawTake(frames.mean(axis=1).astype(np.float32), segment.frame_rate, clipped)


def frame_levels_db(samples: np.ndarray, sample_rate: int) -> np.ndarray:
    """The level of each 10 ms frame, in dBFS."""
    window = max(1, sample_rate * FRAME_MS // 1000)
    usable = samples[: samples.shape[0] // window * window].reshape(-1, window)
    rms = np.sqrt(np.mean(usable.astype(np.float64) ** 2, axis=1)) if usable.size else np.zeros(0)
    return 20 * np.log10(np.maximum(rms, 1e-7))


@dataclass(frozen=True)
class SpeechSpan:
    """Where the words are in a take, in 10 ms frames, and how loud they are."""

    start: int
    end: int               # exclusive
    level_db: float        # RMS of the louder half of the speech
    threshold_db: float    # what counted as sound


def find_speech(levels: np.ndarray, *, keep_breaths: bool = False) -> SpeechSpan | None:
    """The span of speech among frame levels: from the first to the last frame well above the
    noise floor, reaching out over soft sounds joined to the words (and over breaths, if kept)."""
    if levels.size == 0 or float(levels.max()) < -80:
        return None
    floor = float(np.percentile(levels, 10))
    loud = float(np.percentile(levels, 95))
    threshold = max(floor + 10.0, loud - 45.0)
    core = np.nonzero(levels >= max(threshold, loud - 25.0))[0]
    if core.size == 0:
        return None
    sound = levels >= threshold
    reach = BREATH_REACH_MS // FRAME_MS if keep_breaths else 8     # 80 ms: soft onsets
    start, end = _grow(sound, int(core[0]), -1, reach), _grow(sound, int(core[-1]), 1, reach)
    speech = np.sort(levels[start:end + 1])
    louder_half = speech[speech.size // 2:]
    level = 10 * np.log10(np.mean(10 ** (louder_half / 10)))
    return SpeechSpan(start, end + 1, float(level), threshold)


def _grow(sound: np.ndarray, edge: int, step: int, reach: int) -> int:
    """Move `edge` outwards over sounding frames, jumping gaps shorter than `reach` frames."""
    position = edge
    probe = edge + step
    while 0 <= probe < sound.size and abs(probe - position) <= reach:
        if sound[probe]:
            position = probe
        probe += step
    return position


@dataclass(frozen=True)
class TakeLevels:
    """All that judging a take needs, a few KB however long it is: the level of each 10 ms,
    its loudest sample, the share of its samples clipped, and its length."""

    levels_db: np.ndarray
    peak: float
    clipped_share: float
    ms: int

    @classmethod
    def of(cls, take: RawTake) -> TakeLevels:
        peak = float(np.max(np.abs(take.samples))) if take.samples.size else 0.0
        return cls(frame_levels_db(take.samples, take.sample_rate), peak, take.clipped_share, take.ms)


class LevelMeter:
    """A take's `TakeLevels` gathered block by block as it is read or recorded (what is kept
    grows by one level a 10 ms, never by the samples): blocks are mono, or frames by channels
    (mixed down for the levels and the peak; clipping is counted on every channel's samples).
    A sample at `clip_level` or over counts as clipped."""

    def __init__(self, sample_rate: int, clip_level: float):
        self.sample_rate = sample_rate
        self.frames = 0
        self._clip_level = clip_level
        self._window = sample_rate * FRAME_MS // 1000
        self._levels: list[np.ndarray] = []
        self._carry = np.zeros(0, np.float32)          # samples not yet a whole 10 ms
        self._samples = self._clipped = 0
        self._peak = 0.0

    @property
    def ms(self) -> int:
        return self.frames * 1000 // self.sample_rate

    def add(self, block: np.ndarray) -> None:
        self.frames += block.shape[0]
        self._samples += block.size
        self._clipped += int(np.count_nonzero(np.abs(block) >= self._clip_level))
        mono = block if block.ndim == 1 else block.mean(axis=1)
        self._peak = max(self._peak, float(np.max(np.abs(mono))) if mono.size else 0.0)
        joined = np.concatenate([self._carry, mono])
        whole = joined.size // self._window * self._window
        self._levels.append(frame_levels_db(joined[:whole], self.sample_rate))
        self._carry = joined[whole:]

    def levels(self) -> TakeLevels:
        return TakeLevels(np.concatenate([np.zeros(0, np.float32), *self._levels]), self._peak,
                          self._clipped / self._samples if self._samples else 0.0, self.ms)


def scan_take(path: Path, longest_ms: int = LONGEST_TAKE_MS) -> TakeLevels:
    """A take's levels, read in blocks (never the whole take in memory): checked as `read_take`
    checks it (its header and size against `longest_ms`), then decoded by ffmpeg at its own
    rate and channels (as `read_take` reads it: the same clipped samples, the same levels),
    stopped past `longest_ms` whatever the header said."""
    import subprocess

    from audio_builder.sound.media import ffmpeg, ffmpeg_file

    header = _header(path)
    _refuse_long(path, header, longest_ms)
    rate, channels = _header_format(header)
    process = ffmpeg("-i", ffmpeg_file(path), "-map", "0:a:0", "-f", "s16le", "-ar", str(rate),
                     "-ac", str(channels), "pipe:1", stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    assert process.stdout is not None and process.stderr is not None
    meter = LevelMeter(rate, CLIPPED_16_BIT)
    second = rate * FRAME_MS // 1000 * (1000 // FRAME_MS)      # read a second of 10 ms frames at a time
    most = (longest_ms + TAKE_GRACE_MS // 2) * rate // 1000
    ended = False
    try:
        while True:
            data = process.stdout.read(second * channels * 2)
            if not data:
                ended = True
                break
            block = np.frombuffer(data[: len(data) // (2 * channels) * 2 * channels], "<i2")
            block = block.reshape(-1, channels).astype(np.float32) / float(1 << 15)
            if meter.frames + block.shape[0] > most:
                raise TakeError(_too_long_message(f"over {longest_ms / 1000:.0f} s long", longest_ms), path)
            meter.add(block)
    finally:
        if not ended:
            process.kill()
        process.stdout.close()
        error = process.stderr.read(4096).decode(errors="replace").strip().splitlines()
        process.stderr.close()
        status = process.wait()
    if meter.frames == 0 or status != 0:
        raise _unreadable_take(path, error[-1] if error else "")
    return meter.levels()


def _header_format(header: object | None) -> tuple[int, int]:
    """The take's sample rate and channels by its header (44.1 kHz mono when it says none:
    ffmpeg then converts to that)."""
    rate, channels = getattr(header, "sample_rate", None), getattr(header, "channels", None)
    ok_rate = isinstance(rate, int) and 8_000 <= rate <= 384_000
    ok_channels = isinstance(channels, int) and 1 <= channels <= 8
    return (rate if ok_rate else 44_100), (channels if ok_channels else 1)   # type: ignore[return-value]


def judge_take(take: RawTake | TakeLevels, path: Path, keep_breaths: bool = False) -> SpeechSpan:
    """The speech in a take, or a TakeError saying what is wrong with it and what to do."""
    if isinstance(take, RawTake):
        take = TakeLevels.of(take)
    if take.ms < MIN_SPEECH_MS:
        raise TakeError(f"this take is {take.ms} ms long, shorter than 0.2 s; record the "
                        "whole line", path)
    span = find_speech(take.levels_db, keep_breaths=keep_breaths)
    if span is None or take.peak < 1e-4:
        raise TakeError("this take is silent; check the microphone is on and record it again",
                        path)
    if take.clipped_share > CLIPPED_SHARE:
        raise TakeError(f"this take is clipped: {take.clipped_share:.1%} of its samples are at "
                        "full scale (more than 0.1 %); record it again with the input level "
                        "lower, or a little further from the microphone", path)
    if span.level_db < QUIET_DBFS:
        raise TakeError(f"this take is too quiet: its speech is at {span.level_db:.0f} dBFS "
                        f"(below {QUIET_DBFS:.0f}); record it closer to the microphone (20-30 "
                        "cm) or with the input level higher", path)
    if (span.end - span.start) * FRAME_MS < MIN_SPEECH_MS:
        raise TakeError("this take has less than 0.2 s of speech in it; record the whole line",
                        path)
    return span


# --- cleaning ---------------------------------------------------------------------------

def high_pass(samples: np.ndarray, sample_rate: int, cutoff_hz: float = HIGH_PASS_HZ) -> np.ndarray:
    """A zero-phase 4th-order Butterworth high-pass (24 dB an octave: -29 dB at 30 Hz, -0.3 dB
    at 100 Hz), through the spectrum; the clip is padded so nothing wraps around."""
    pad = sample_rate // 5
    padded = np.pad(samples.astype(np.float64), pad)
    spectrum = np.fft.rfft(padded)
    frequency = np.fft.rfftfreq(padded.size, 1 / sample_rate)
    with np.errstate(divide="ignore"):
        gain = 1 / np.sqrt(1 + (cutoff_hz / np.maximum(frequency, 1e-9)) ** 8)
    gain[0] = 0.0
    return np.fft.irfft(spectrum * gain, padded.size)[pad:pad + samples.shape[0]].astype(np.float32)


def trim_take(samples: np.ndarray, sample_rate: int, span: SpeechSpan) -> np.ndarray:
    """The speech with a short lead-in and tail, which fade in and out smoothly."""
    frame = sample_rate * FRAME_MS // 1000
    lead, tail = sample_rate * LEAD_IN_MS // 1000, sample_rate * TAIL_MS // 1000
    start = max(0, span.start * frame - lead)
    end = min(samples.shape[0], span.end * frame + tail)
    out = samples[start:end].copy()
    for length, edge in ((span.start * frame - start, slice(None)), (end - span.end * frame, None)):
        n = max(0, min(length, out.shape[0] // 2))
        if n:
            ramp = (0.5 - 0.5 * np.cos(np.linspace(0, np.pi, n))).astype(np.float32)
            if edge is None:
                out[-n:] *= ramp[::-1]
            else:
                out[:n] *= ramp
    return out


def room_sample(samples: np.ndarray, sample_rate: int) -> np.ndarray | None:
    """The take's quietest 10 ms frames (up to `ROOM_SAMPLE_MS`), joined: the room as it sounds
    around and between the words. None when less than `ROOM_LEAST_MS` of the take is quiet."""
    levels = frame_levels_db(samples, sample_rate)
    frame = sample_rate * FRAME_MS // 1000
    count = min(ROOM_SAMPLE_MS // FRAME_MS, levels.size // 4)
    if count < ROOM_LEAST_MS // FRAME_MS:
        return None
    quietest = np.sort(np.argsort(levels, kind="stable")[:count])
    if float(levels[quietest].max()) > float(np.percentile(levels, 95)) - ROOM_UNDER_VOICE_DB:
        return None
    return samples[(quietest[:, None] * frame + np.arange(frame)).ravel()]


MAINS_HZ = (50.0, 60.0)
HUM_ABOVE_DB = 8.0       # a mains harmonic this far over the spectrum beside it is hum
HUM_TOP_HZ = 2000.0      # harmonics are looked for up to here
HUM_NOTCH_HZ = 1.5       # each is taken out this far either side (speech keeps the rest)


def remove_hum(samples: np.ndarray, sample_rate: int) -> np.ndarray:
    """Mains hum and its harmonics taken out by narrow notches, where the take's spectrum shows
    them: steady lines at 50 or 60 Hz and at more of its multiples, each standing over what is
    beside it (speech moves its pitch, so over a whole take only a steady hum makes a line; a
    voice held on one note may make lines at multiples, never at the mains frequency itself).
    afftdn learns noise in 15 broad bands and leaves such lines."""
    pad = sample_rate // 5
    padded = np.pad(samples.astype(np.float64), pad)
    spectrum = np.fft.rfft(padded)
    frequency = np.fft.rfftfreq(padded.size, 1 / sample_rate)
    power = np.abs(spectrum) ** 2
    step = frequency[1]
    found: list[float] = []
    for mains in MAINS_HZ:
        lines: list[float] = []
        for harmonic in np.arange(mains, HUM_TOP_HZ, mains):
            centre = np.abs(frequency - harmonic) <= max(step, 0.5)
            beside = (np.abs(frequency - harmonic) > 4) & (np.abs(frequency - harmonic) < 15)
            if centre.any() and beside.any():
                over = 10 * np.log10(power[centre].max() / max(float(np.median(power[beside])), 1e-30))
                if over >= HUM_ABOVE_DB:
                    lines.append(harmonic)
        if len(lines) >= 2 and lines[0] == mains and len(lines) > len(found):
            found = lines
    if not found:
        return samples
    gain = np.ones(frequency.size)
    for harmonic in found:
        gain *= 1 - np.exp(-(((frequency - harmonic) / HUM_NOTCH_HZ) ** 2))
    return np.fft.irfft(spectrum * gain, padded.size)[pad:pad + samples.shape[0]].astype(np.float32)


def reduce_noise(samples: np.ndarray, sample_rate: int) -> np.ndarray:
    """The room's steady noise taken out by ffmpeg's afftdn: its noise profile is learned from
    `room_sample` (played to it first, then dropped), and its 25 ms delay taken back."""
    import subprocess

    from audio_builder.sound.media import ffmpeg

    samples = remove_hum(samples, sample_rate)
    room = room_sample(samples, sample_rate)
    if room is None:
        return samples
    floor = 10 * np.log10(max(float(np.mean(np.square(room, dtype=np.float64))), 1e-12))
    # afftdn takes a floor from -80 to -20 dB; a room louder than that is left as it is below
    chain = (f"asendcmd=0.0 afftdn sn start,asendcmd={room.size / sample_rate:.4f} afftdn sn stop,"
             f"afftdn=nr={NOISE_REDUCTION_DB}:nf={max(-80, round(floor))}")
    tail = np.zeros(sample_rate // 10, np.float32)       # room for the filter's delay
    heard = np.concatenate([room, samples, tail]).astype("<f4")
    process = ffmpeg("-f", "f32le", "-ar", str(sample_rate), "-ac", "1", "-i", "pipe:0",
                     "-af", chain, "-f", "f32le", "-ac", "1", "pipe:1",
                     stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    output, _ = process.communicate(heard.tobytes())
    cleaned = np.frombuffer(output[: len(output) // 4 * 4], "<f4")[room.size:]
    if process.returncode != 0 or cleaned.size < samples.size + tail.size // 2:
        return samples       # an ffmpeg without afftdn, or a room too loud: the take as it is
    delay = _delay(samples, cleaned[:samples.size + tail.size], tail.size // 2)
    return cleaned[delay:delay + samples.shape[0]].astype(np.float32)


def _delay(original: np.ndarray, delayed: np.ndarray, most: int) -> int:
    """How many samples later than `original` the same sound comes in `delayed` (0 to `most`)."""
    size = 1 << (original.size + delayed.size).bit_length()
    correlation = np.fft.irfft(np.fft.rfft(delayed, size) * np.conj(np.fft.rfft(original, size)), size)
    return int(np.argmax(correlation[:most + 1]))


def expand_below_speech(samples: np.ndarray, sample_rate: int) -> np.ndarray:
    """A downward expander: where the take is less than `EXPANDER_OVER_ROOM_DB` over what is
    left of its room, it is turned down `EXPANDER_RATIO` to one (at most `EXPANDER_RANGE_DB`),
    opening ahead of each sound and closing slowly after it. Levelling then raises the voice,
    not the room between its words."""
    levels = frame_levels_db(samples, sample_rate)
    if levels.size < 3:
        return samples
    threshold = max(float(np.percentile(levels, 10)) + EXPANDER_OVER_ROOM_DB,
                    float(np.percentile(levels, 95)) - 45.0)
    gain = np.clip((levels - threshold) * (EXPANDER_RATIO - 1), -EXPANDER_RANGE_DB, 0.0)
    ahead = EXPANDER_OPEN_MS // FRAME_MS
    opened = np.lib.stride_tricks.sliding_window_view(
        np.pad(gain, ahead, constant_values=-EXPANDER_RANGE_DB), 2 * ahead + 1).max(axis=1)
    step = EXPANDER_RANGE_DB * FRAME_MS / EXPANDER_CLOSE_MS
    smooth = opened.copy()
    for index in range(1, smooth.size):          # a few hundred frames a take
        smooth[index] = max(opened[index], smooth[index - 1] - step)
    frame = sample_rate * FRAME_MS // 1000
    position = (np.arange(samples.shape[0]) + 0.5) / frame - 0.5
    per_sample = np.interp(position, np.arange(smooth.size), smooth)
    return (samples * np.power(10.0, per_sample / 20)).astype(np.float32)


def clean_take(take: RawTake, path: Path, keep_breaths: bool = False,
               reduce_room: bool = True) -> tuple[np.ndarray, int]:
    """A judged take, high-passed, its room's noise reduced and expanded away (unless not
    `reduce_room`) and trimmed; not yet levelled: samples at its own rate. Where the words are
    is judged before the noise reduction, so the cut is the same with it or without."""
    filtered = high_pass(take.samples, take.sample_rate)
    span = judge_take(RawTake(filtered, take.sample_rate, take.clipped_share), path, keep_breaths)
    if reduce_room:
        filtered = expand_below_speech(reduce_noise(filtered, take.sample_rate), take.sample_rate)
    return trim_take(filtered, take.sample_rate, span), take.sample_rate


def content_digest(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as file:
        for block in iter(lambda: file.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()[:20]
