"""Pure text helpers: phrases and pieces for timing and captions, and pronunciation rules
(sentences follow their language's rules: `languages`).

Part of the core: reading scripts (`script`) and speaking them (`speech`) both need it, so it
sits below both and imports nothing else of the package."""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass


def fold_paragraphs(text: str) -> str:
    """Prose written across lines, as one line per paragraph (paragraphs apart by a blank
    line): a YAML `|` block keeps its line breaks, and apps that drop them run words together.

    >>> fold_paragraphs("One line\\nand the next.\\n\\nA second paragraph.\\n")
    'One line and the next.\\n\\nA second paragraph.'
    """
    paragraphs = re.split(r"\n\s*\n", text.strip())
    return "\n\n".join(" ".join(p.split()) for p in paragraphs if p.strip())


def apply_pronunciation(text: str, rules: tuple[tuple[str, str], ...]) -> str:
    """Replace whole words, case-insensitively, with how they should be said.

    >>> apply_pronunciation("Metta, metta-bhavana and mettas.", (("metta", "METT-ah"),))
    'METT-ah, metta-bhavana and mettas.'
    """
    for word, spoken in rules:
        # A function, not a template: the spoken form is literal text, backslashes and all.
        text = re.sub(rf"(?<![\w-]){re.escape(word)}(?![\w-])", _literal(spoken), text,
                      flags=re.IGNORECASE)
    return text


def _literal(text: str) -> Callable[[re.Match[str]], str]:
    return lambda _match: text


def word_count(text: str) -> int:
    return len(re.findall(r"[\w’']+", text))


# Where a phrase ends inside a sentence: a comma, semicolon or colon before a space; an
# ellipsis; a dash standing between words (spaced, or an em dash). A comma inside a number
# ("1,000") is not a phrase end.
_PHRASE_END = re.compile(r"(?<=[,;:…])\s+|(?<=\.\.\.)\s+|\s+[—–-]+\s+|(?<=\w)[—]+(?=\w)")
_DASHES = "—–- "
_WORD = re.compile(r"\S+")

# The most words one synthesis call is given. Piper's memory grows with the length of what it
# speaks at once (about 9 MB a word), so a long phrase is spoken in parts of at most this many
# words, each with the memory of a short sentence.
MAX_PHRASE_WORDS = 24

# The most words of one spoken piece (one clip, cached and mixed whole). A longer sentence is
# spoken as several pieces, cut between its phrases: a clip's memory grows with its length,
# so memory stays bounded whatever the text. Ordinary sentences are far shorter and stay whole.
MAX_PIECE_WORDS = 80

# The silence where a phrase with no punctuation is cut between words: a short catch of the
# breath, far shorter than a phrase pause, so a run-on passage still runs on.
RUN_ON_PAUSE_MS = 120

# Words a reader may breathe before: a cut between words lands before one of these if one is near.
_JOINING_WORDS = frozenset(
    "and but or nor so yet as while when whenever where because since until unless though "
    "although if that which who whose whom then with without into through across before "
    "after like to for from in on".split())


@dataclass(frozen=True)
class Phrase:
    """A stretch of a sentence spoken in one breath, as written (with its punctuation).
    `run_on`: it was cut from what follows between two words, with no punctuation there,
    so what follows comes after `RUN_ON_PAUSE_MS`, not after the phrase pause."""

    text: str
    run_on: bool = False

    @property
    def spoken(self) -> str:
        """The words to say (a dash that ends the phrase is its pause, not a word)."""
        return self.text.strip(_DASHES)

    @property
    def words(self) -> int:
        return len(self.text.split())

    def pause_after(self, phrase_pause_ms: int) -> int:
        """The silence between this phrase and the next one of its sentence."""
        return RUN_ON_PAUSE_MS if self.run_on else phrase_pause_ms


def split_phrases(text: str, max_words: int = MAX_PHRASE_WORDS) -> list[Phrase]:
    """The phrases of a sentence, as a teacher would pause between them: split after commas,
    semicolons, colons, ellipses and at dashes; a phrase longer than `max_words` is cut
    between words into near-equal parts (`cut_between_words`).

    >>> [p.text for p in split_phrases("Breathe in, and out — slowly; 1,000 times.")]
    ['Breathe in,', 'and out —', 'slowly;', '1,000 times.']
    """
    text = " ".join(text.split())
    phrases = [Phrase(text[start:end].strip(), run_on)
               for start, end, run_on in _phrase_spans(text, max_words)]
    return [phrase for phrase in phrases if phrase.spoken]


def split_pieces(sentence: str, max_words: int = MAX_PIECE_WORDS) -> list[Phrase]:
    """The pieces a sentence is spoken in: the sentence itself when it has at most `max_words`
    words (every ordinary sentence); else its phrases (`split_phrases`) gathered in order into near-equal
    pieces of at most `max_words` words. Each piece is the sentence's own text from one cut to
    the next; its `run_on` says how it joins the next piece.

    >>> [p.words for p in split_pieces(" ".join(["calm"] * 100))]
    [60, 40]
    """
    sentence = " ".join(sentence.split())
    total = len(sentence.split())
    if total <= max_words:
        return [Phrase(sentence)] if sentence else []
    target = -(-total // -(-total // max_words))
    pieces: list[Phrase] = []
    start = end = words = 0
    run_on = False
    for phrase_start, phrase_end, phrase_run_on in _phrase_spans(sentence, MAX_PHRASE_WORDS):
        count = len(sentence[phrase_start:phrase_end].split())
        if words and (words + count > max_words or words >= target):
            pieces.append(Phrase(sentence[start:end].strip(), run_on))
            start, words = phrase_start, 0
        end, words, run_on = phrase_end, words + count, phrase_run_on
    pieces.append(Phrase(sentence[start:end].strip(), run_on))
    return [piece for piece in pieces if piece.spoken]


def cut_between_words(words: list[str], max_words: int) -> list[int]:
    """Where a run of words with no punctuation is cut so that no part has more than
    `max_words`: the index of each part's first word after the first part. Parts are near
    equal, and each cut moves back (by at most a quarter of a part) to fall before a joining
    word ("and", "as", "while", ...) if one is near: where a reader would breathe.

    >>> cut_between_words("let the breath come and go as it will here".split(), 6)
    [4]
    """
    cuts: list[int] = []
    start = 0
    while len(words) - start > max_words:
        parts = -(-(len(words) - start) // max_words)
        size = -(-(len(words) - start) // parts)
        cut = start + size
        for earlier in range(cut, cut - size // 4 - 1, -1):
            if words[earlier].lower() in _JOINING_WORDS:
                cut = earlier
                break
        cuts.append(cut)
        start = cut
    return cuts


def _phrase_spans(text: str, max_words: int) -> list[tuple[int, int, bool]]:
    """(start, end, run_on) of each phrase of `text` (whitespace already single spaces)."""
    spans: list[tuple[int, int, bool]] = []
    start = 0
    for end in [match.end() for match in _PHRASE_END.finditer(text)] + [len(text)]:
        if end > start:
            spans.extend(_within_phrase(text, start, end, max_words))
        start = end
    return spans


def _within_phrase(text: str, start: int, end: int, max_words: int) -> list[tuple[int, int, bool]]:
    """One phrase's span, or its parts when it has more than `max_words` words."""
    words = list(_WORD.finditer(text, start, end))
    if not words:
        return []
    cuts = cut_between_words([word.group() for word in words], max_words)
    bounds = [words[0].start(), *(words[cut].start() for cut in cuts)]
    ends = [*(words[cut - 1].end() for cut in cuts), end]
    return [(a, b, index < len(cuts)) for index, (a, b) in enumerate(zip(bounds, ends, strict=True))]
