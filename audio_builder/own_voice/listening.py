"""Listening back: the recognizer hears a piece of speech (a take cut from a reading, a take
recorded line by line, or a line the synthetic voice spoke) and what it heard is compared with
the words the piece should say.

One mechanism for every voice: `listen` hears, `compare` judges. A take is judged at its
edges (words of its line missing at the start or end: a cut into the line; words added: a
false start or the next line kept) and by its length against its words; a synthetic line by
every word of the script the recognizer did not hear (a name the voice says its own way).
The recognizer mishears a word here and there, so a word heard as something that sounds like
it (letter by letter) counts as heard where only the cut is judged.
"""

from __future__ import annotations

import itertools
from collections.abc import Sequence
from dataclasses import dataclass, field
from difflib import SequenceMatcher
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np

from audio_builder.errors import InputError
from audio_builder.model import Place
from audio_builder.own_voice.align import RATE, alike, transcribe
from audio_builder.own_voice.recognizer import can_hear, require
from audio_builder.speech.takes import usual_reading_ms, words_of

if TYPE_CHECKING:
    from audio_builder.builder import Builder, TrackPlan

SOUNDS_ALIKE = 0.5         # words heard this alike to those said count as said, misheard
LONG_FACTOR = 1.8          # a take's speech longer than this times its words' usual length,
LONG_SLACK_MS = 1500       # plus this, holds more than its line
LISTEN_MS = 29_000         # the recognizer hears at most 30 s at a time
EXTRA_WORDS = 3            # this many more words heard inside a take than its line has
EDGE_FRAMES = 3            # a take's first and last 30 ms ...
EDGE_DB = 20.0             # ... within this of its speech: cut inside a sound


@dataclass(frozen=True)
class Verdict:
    """What listening back found in one piece of speech; no problems: `ok`."""

    said: str                                          # the words it should say
    heard: str                                         # what the recognizer heard
    problems: tuple[str, ...] = ()
    badness: int = 0                                   # for sorting: worst first
    not_heard: tuple[str, ...] = field(default=(), compare=False)   # words of `said` not heard
    lost: bool = False                                 # nothing like its line was heard

    @property
    def ok(self) -> bool:
        return not self.problems

    def describe(self) -> str:
        return "; ".join(self.problems) if self.problems else "ok"


def listen(samples: np.ndarray, language: str | None = None) -> list[str]:
    """The words the recognizer of `language` (default English) hears in `samples` (mono
    float32 at 16 kHz), 30 s at a time."""
    step = LISTEN_MS * RATE // 1000
    return [word.text for start in range(0, max(1, samples.size), step)
            for word in transcribe(samples[start:start + step], language=language)]


def _quoted(words: Sequence[str]) -> str:
    return "\"" + " ".join(words) + "\""


def sounding_edges(samples: np.ndarray, rate: int) -> tuple[bool, bool]:
    """Whether a take starts (ends) in the middle of a sound: its first (last) 30 ms within
    20 dB of its speech. A cut at a quiet moment never does."""
    from audio_builder.speech.takes import frame_levels_db

    levels = frame_levels_db(samples, rate)
    if levels.size < 10:
        return True, True
    loud = float(np.percentile(levels, 95))
    return (bool(levels[:EDGE_FRAMES].mean() > loud - EDGE_DB),
            bool(levels[-EDGE_FRAMES:].mean() > loud - EDGE_DB))


def compare_take(said: str, heard: Sequence[str], speech_ms: int,
                 edges: tuple[bool, bool] = (False, False)) -> Verdict:
    """A take of the line `said`, whose speech lasts `speech_ms`, heard back as `heard`;
    `edges`: whether it starts and ends in the middle of a sound (`sounding_edges`)."""
    line = words_of(said)
    problems: list[tuple[int, str]] = []
    lost = False
    for where, sounding in zip(("start", "end"), edges, strict=True):
        if sounding:
            problems.append((5, f"cut inside a sound at the {where}"))
    blocks = [b for b in SequenceMatcher(None, line, list(heard), autojunk=False)
              .get_matching_blocks() if b.size]
    if not blocks or sum(b.size for b in blocks) < len(line) / 3 and alike(line, heard) < SOUNDS_ALIKE:
        lost = True
        problems.append((10 * len(line), "its line was not heard in it" + (
            f" (heard {_quoted(heard[:12])})" if heard else " (nothing heard)")))
    else:
        first, last = blocks[0], blocks[-1]
        ends = (("start", line[:first.a], list(heard[:first.b])),
                 ("end", line[last.a + last.size:], list(heard[last.b + last.size:])))
        for (where, missing, added), sounding in zip(ends, edges, strict=True):
            if missing and added and (alike(missing, added) >= SOUNDS_ALIKE or (
                    abs(len(missing) - len(added)) <= 1 and not sounding)):
                continue                                   # said, and misheard
            if missing:
                verb = "starts late" if where == "start" else "ends early"
                problems.append((3 * len(missing), f"{verb}: {_quoted(missing)} not heard"))
            if added:
                problems.append((2 * len(added), f"more than its line at the {where}: "
                                                 f"{_quoted(added)}"))
        for one, two in itertools.pairwise(blocks):
            extra = (two.b - one.b - one.size) - (two.a - one.a - one.size)
            if extra >= EXTRA_WORDS:                       # a false start kept inside
                problems.append((2 * extra, "more than its line: "
                                            f"{_quoted(heard[one.b + one.size:two.b])}"))
    usual = usual_reading_ms(said)
    if speech_ms > LONG_FACTOR * usual + LONG_SLACK_MS:
        problems.append((2, f"long: {speech_ms / 1000:.1f} s for words that take about "
                            f"{usual / 1000:.1f} s"))
    problems.sort(key=lambda problem: -problem[0])
    return Verdict(said, " ".join(heard), tuple(text for _, text in problems),
                   sum(weight for weight, _ in problems), lost=lost)


def compare_words(said: str, heard: Sequence[str]) -> Verdict:
    """A synthetic line heard back: every word of `said` the recognizer did not hear."""
    line = words_of(said)
    matcher = SequenceMatcher(None, line, list(heard), autojunk=False)
    missing: list[str] = []
    for tag, i1, i2, _, _ in matcher.get_opcodes():
        if tag in ("replace", "delete"):
            missing += line[i1:i2]
    originals = _originals(said)
    shown = tuple(dict.fromkeys(originals.get(word, word) for word in missing))
    problems = (f"not heard: {', '.join(shown)}",) if shown else ()
    return Verdict(said, " ".join(heard), problems, len(missing), shown)


def _originals(text: str) -> dict[str, str]:
    """Each word of `text` as written (for a pronunciation entry), by its lower-case form."""
    import re

    return {words_of(word)[0]: word for word in re.findall(r"[\w'’-]+", text) if words_of(word)}


def listen_to_take(path: Path, said: str, language: str | None = None) -> Verdict:
    """A take file (any format, at most as long as its line can take to say) listened back
    against its line, in `language` (default English). Raises TakeError if it cannot be read
    or is longer than that."""
    from audio_builder.own_voice.reading import decode_stream
    from audio_builder.speech.takes import TakeError, longest_take_ms

    longest = longest_take_ms(said)
    blocks, size = [], 0
    try:
        for block in decode_stream(path, RATE):
            blocks.append(block)
            size += block.size
            if size * 1000 // RATE > longest:
                raise TakeError(f"this take is longer than its line can take to say "
                                f"({longest / 1000:.0f} s); record or import it again", path)
    except InputError as error:
        raise TakeError(error.message, path) from None
    samples = np.concatenate(blocks)
    from audio_builder.speech.takes import find_speech, frame_levels_db

    span = find_speech(frame_levels_db(samples, RATE))
    speech_ms = (span.end - span.start) * 10 if span else 0
    if not can_hear(language):
        # listening back is a check on top: a take in a language no installed recognizer
        # hears is kept unheard (`takes import` names what to install)
        return Verdict(said, "")
    return compare_take(said, listen(samples, language), speech_ms, sounding_edges(samples, RATE))


def listen_to_script(plans: Sequence[TrackPlan], builder: Builder) -> list[str]:
    """`check --listen`: each line a synthetic voice speaks in `plans`, spoken (through the
    speech cache) and listened back; a warning for each line with words of the script the
    recognizer did not hear, with the pronunciation entry to try."""
    from audio_builder.sound.audio import SAMPLE_RATE, resample
    from audio_builder.speech.engines import ENGINES

    warnings: list[str] = []
    seen: set[tuple[str, str]] = set()
    for plan in plans:
        for placed in plan.timeline.speech:
            speaker = builder.voices.speaker(placed.utterance, placed.place)
            engine = ENGINES[builder.voices.profile(speaker.voice).engine]
            if engine.recorded or not engine.speaks_words or (speaker.text, speaker.voice) in seen:
                continue
            deaf = _no_recognizer(plan)
            if deaf:                          # nothing of this track can be listened to
                warnings.append(deaf)
                break
            seen.add((speaker.text, speaker.voice))
            samples = builder.synthesizer.samples(speaker, placed.place)
            heard = listen(resample(samples, SAMPLE_RATE, RATE), plan.script.language)
            verdict = compare_words(speaker.text, heard)
            if not verdict.ok:
                warnings.append(_unheard(verdict, speaker.voice, placed.place))
    return warnings


def _no_recognizer(plan: TrackPlan) -> str | None:
    """Why `plan`'s language cannot be listened back to here, if it cannot."""
    script = plan.script
    try:
        require(script.language, script.path, script.line_of("language") or 1)
    except InputError as error:
        return f"{error.located()}; --listen skipped {plan.name}"
    return None


def _unheard(verdict: Verdict, voice: str, place: Place) -> str:
    words = ", ".join(f"\"{word}\"" for word in verdict.not_heard)
    entries = ", ".join(f"`{word}: <as it sounds>`" for word in verdict.not_heard[:3])
    return (f"{place.file}:{place.line}: listening back to voice {voice!r}, the recognizer did "
            f"not hear {words} in \"{verdict.said}\" (it heard \"{verdict.heard}\"); listen to it, "
            f"and if the voice says a word wrongly, try a pronunciation: {entries} in "
            "voices/pronounce.yaml or the profile's `pronounce:`")
