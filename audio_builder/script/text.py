"""Pure text helpers: sentences for timing and captions, and pronunciation rules."""

from __future__ import annotations

import re
from collections.abc import Callable

_ABBREVIATIONS = ("dr", "mr", "mrs", "ms", "st", "prof", "e.g", "i.e", "etc", "vs")
_SENTENCE_END = re.compile(r"(?<=[.!?…])[\"'”’)\]]*\s+(?=[\"'“‘(]?[A-Z0-9])")


def split_sentences(text: str) -> list[str]:
    """Split text into sentences at `.`, `!`, `?` or `…` followed by a capital letter.

    >>> split_sentences("Breathe in.  Breathe out! Rest… Now, Dr. Lee says: 3 breaths? Yes.")
    ['Breathe in.', 'Breathe out!', 'Rest…', 'Now, Dr. Lee says: 3 breaths?', 'Yes.']
    >>> split_sentences("e.g. this stays whole. and so does this")
    ['e.g. this stays whole. and so does this']
    """
    text = " ".join(text.split())
    sentences: list[str] = []
    start = 0
    for match in _SENTENCE_END.finditer(text):
        candidate = text[start:match.start()].rstrip()
        last_word = candidate.rsplit(" ", 1)[-1].rstrip(".").lower()
        if last_word in _ABBREVIATIONS:
            continue
        sentences.append(text[start:match.end()].strip())
        start = match.end()
    tail = text[start:].strip()
    if tail:
        sentences.append(tail)
    return sentences


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

# The most words one synthesis call is given. Piper's memory grows with the length of what it
# speaks at once (about 9 MB a word), so a long phrase is spoken in parts of at most this many
# words, each with the memory of a short sentence.
MAX_PHRASE_WORDS = 24


def split_phrases(text: str, max_words: int = MAX_PHRASE_WORDS) -> list[str]:
    """The phrases of a sentence, as a teacher would pause between them: split after commas,
    semicolons, colons, ellipses and at dashes; a phrase longer than `max_words` is split
    again at word boundaries into near-equal parts."""
    phrases: list[str] = []
    for phrase in _PHRASE_END.split(" ".join(text.split())):
        phrase = phrase.strip(_DASHES)
        if not phrase:
            continue
        words = phrase.split()
        parts = -(-len(words) // max_words)
        size = -(-len(words) // parts)
        phrases.extend(" ".join(words[i:i + size]) for i in range(0, len(words), size))
    return phrases
