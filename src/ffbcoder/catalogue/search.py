"""Find concepts by id, label or synonym: the reviewer's "add a missed code" search.

Every word of the query must occur (as the start of a word) in the concept's id, label or one
synonym; exact and prefix matches on the id or label rank first. Matching ignores case and
accents, but keeps æ, ø and å apart from a, o.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Sequence

from ffbcoder.catalogue.model import Catalogue, Concept, ConceptKind

_WORD = re.compile(r"[\wæøå]+")
_KEEP = {"æ", "ø", "å"}


def _fold(text: str) -> str:
    folded = []
    for char in text.casefold():
        if char in _KEEP:
            folded.append(char)
            continue
        folded.extend(c for c in unicodedata.normalize("NFD", char) if not unicodedata.combining(c))
    return "".join(folded)


def _words(text: str) -> list[str]:
    return _WORD.findall(_fold(text))


def _all_words_start(query: Sequence[str], field: str) -> bool:
    words = _words(field)
    return all(any(w.startswith(q) for w in words) for q in query)


def _rank(concept: Concept, query: str, words: Sequence[str]) -> int | None:
    """Lower is better; None: no match."""
    code, label = _fold(concept.id), _fold(concept.label)
    if query in (code, label):
        return 0
    if code.startswith(query) or label.startswith(query):
        return 1
    if _all_words_start(words, concept.id.replace("-", " ")) or _all_words_start(words, concept.label):
        return 2
    if any(_all_words_start(words, s) for s in concept.synonyms):
        return 3
    return None


def search_concepts(
    catalogue: Catalogue, query: str, kind: ConceptKind | None = None, limit: int = 20
) -> list[Concept]:
    """Concepts matching ``query`` best first (catalogue order among equals); [] for a blank query."""
    folded = " ".join(_words(query))
    words = folded.split()
    if not words:
        return []
    ranked = []
    for position, concept in enumerate(catalogue):
        if kind is not None and concept.kind != kind:
            continue
        rank = _rank(concept, folded, words)
        if rank is not None:
            ranked.append((rank, position, concept))
    ranked.sort(key=lambda item: item[:2])
    return [concept for _, _, concept in ranked[:limit]]
