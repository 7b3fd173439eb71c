"""Segment text as shown in a coverage report: identifiers and names masked, length capped.

The report goes to project staff, not caseworkers, and needs only enough text to show what
a gap is about. Words capitalised inside a sentence (names of people, places, schools) and
the words the corpus only ever writes capitalised (:class:`NameGuesser`) become "[navn]"; CPR
numbers and phone numbers become "[cpr]" and "[tlf]".
"""

from __future__ import annotations

import re
from collections.abc import Set

_CPR = re.compile(r"\b\d{6}[- ]?\d{4}\b")
_PHONE = re.compile(r"(?<![\d.])(?:\+45 ?)?\d{2}(?: ?\d{2}){3}(?![\d.])")
_WORD = re.compile(r"[^\W\d_][^\W_]*(?:-[^\W\d_]+)*")
_SENTENCE_START = re.compile(r"(?:^|[.!?:]\s+|[\"'“«(]\s*)$")
MAX_CHARS = 160
_LETTERS = re.compile(r"[^\W\d_]+")


class NameGuesser:
    """Learns which words are names from all the text it sees: words written capitalised and
    never in lowercase ("Freja", "Bakkeskolen"; not "Drengen" at a sentence start, since
    "drengen" occurs elsewhere). Danish capitalises nouns only in names, so this is a good guess
    on a corpus; on a handful of notes it also takes rare sentence-initial words for names,
    which errs on the side of masking."""

    def __init__(self) -> None:
        self._titled: set[str] = set()
        self._lower: set[str] = set()

    def see(self, text: str) -> None:
        for word in _LETTERS.findall(text):
            if word.islower():
                self._lower.add(word)
            elif word[:1].isupper() and (len(word) == 1 or not word.isupper()):
                self._titled.add(word.lower())

    @property
    def names(self) -> frozenset[str]:
        """Lowercased words seen capitalised and never in lowercase."""
        return frozenset(self._titled - self._lower)


def redact(text: str, names: Set[str] = frozenset(), max_chars: int = MAX_CHARS) -> str:
    text = " ".join(text.split())
    text = _CPR.sub("[cpr]", text)
    text = _PHONE.sub("[tlf]", text)

    def mask(match: re.Match[str]) -> str:
        word = match.group(0)
        titled = word[:1].isupper() and (len(word) == 1 or not word.isupper())
        at_start = _SENTENCE_START.search(text[: match.start()]) is not None
        if word.lower() in names or (titled and not at_start):
            return "[navn]"
        return word

    text = _WORD.sub(mask, text)
    if len(text) > max_chars:
        text = text[: max_chars - 1].rsplit(" ", 1)[0] + "…"
    return text
