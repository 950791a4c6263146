"""Pure text helpers: sentences for timing and captions, and pronunciation rules."""

from __future__ import annotations

import re

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
        text = re.sub(rf"(?<![\w-]){re.escape(word)}(?![\w-])", spoken, text, flags=re.IGNORECASE)
    return text
