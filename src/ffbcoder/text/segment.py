"""Split a note into sentence-like segments that keep character offsets into the note.

Sentences come from spaCy's ``blank("da")`` tokenizer (which knows Danish abbreviations such
as "bl.a.", "kl." and "f.eks.") with the rule-based sentencizer. Line structure matters in
case notes: a blank line always ends a segment, and so does a line break before a bullet,
a number or a capital letter, or after a colon or full stop; other line breaks are hard
wraps inside a sentence. Segments longer than ``max_chars`` are cut at clause punctuation,
else at whitespace, so that one run-on sentence cannot swamp the encoder.

Sentences are further split into coordinated clauses (", og ...", ", men ...", "; ...")
when each side has a few words: "Drengen pjækker, og mor drikker" holds two concerns, and
one embedding of the whole sentence blurs both. Evidence then points at the clause.
"""

from __future__ import annotations

import itertools
import re
from collections.abc import Iterator
from dataclasses import dataclass
from functools import cached_property
from typing import Any

_PARAGRAPH = re.compile(r"\n[ \t]*\n+")
_LINE_START = re.compile(r"[ \t]*(?:[-–•*·▪]|\d+[.)]|[A-ZÆØÅ])")
_CLAUSE = re.compile(r"[;:,]\s|\s[-–]\s")
_COORDINATION = re.compile(r"(?:,\s+(?:og|men|samt|mens|imens|hvorimod|ligesom)\s|;\s+)", re.IGNORECASE)
_MIN_CLAUSE_WORDS = 3


@dataclass(frozen=True)
class Segment:
    """A piece of the note: ``note[start:end] == text``."""

    text: str
    start: int
    end: int


def _spans(text: str, pattern: re.Pattern[str]) -> Iterator[tuple[int, int]]:
    """Pieces of ``text`` between matches of ``pattern``."""
    at = 0
    for match in pattern.finditer(text):
        yield at, match.start()
        at = match.end()
    yield at, len(text)


def _line_blocks(text: str, start: int, end: int) -> Iterator[tuple[int, int]]:
    """Split a paragraph at line breaks that start a new item or follow a finished line."""
    block_start = start
    pos = text.find("\n", start, end)
    while pos != -1:
        before = text[block_start:pos].rstrip()
        ends_line = before.endswith((".", ":", "!", "?", ";"))
        if ends_line or _LINE_START.match(text, pos + 1):
            yield block_start, pos
            block_start = pos + 1
        pos = text.find("\n", pos + 1, end)
    yield block_start, end


class Segmenter:
    """Note -> segments, with a lazily built spaCy pipeline."""

    def __init__(self, max_chars: int = 400, min_chars: int = 2, clauses: bool = True) -> None:
        self.max_chars = max_chars
        self.min_chars = min_chars
        self.clauses = clauses

    @cached_property
    def nlp(self) -> Any:
        import spacy

        nlp = spacy.blank("da")
        nlp.add_pipe("sentencizer")
        return nlp

    def segment(self, text: str) -> list[Segment]:
        """All segments of ``text`` in order; an empty or blank note gives ``[]``."""
        out: list[Segment] = []
        for p_start, p_end in _spans(text, _PARAGRAPH):
            for b_start, b_end in _line_blocks(text, p_start, p_end):
                if not text[b_start:b_end].strip():
                    continue
                for s_start, s_end in self._sentences(text, b_start, b_end):
                    for c_start, c_end in self._cut(text, s_start, s_end):
                        for k_start, k_end in self._clauses(text, c_start, c_end):
                            seg = self._trim(text, k_start, k_end)
                            if seg is not None:
                                out.append(seg)
        return out

    def _clauses(self, text: str, start: int, end: int) -> Iterator[tuple[int, int]]:
        """Split at coordinating conjunctions after a comma, or at semicolons."""
        if not self.clauses:
            yield start, end
            return
        cuts = [start]
        for match in _COORDINATION.finditer(text, start, end):
            left = text[cuts[-1] : match.start()].split()
            right = text[match.end() : end].split()
            if len(left) >= _MIN_CLAUSE_WORDS and len(right) >= _MIN_CLAUSE_WORDS - 1:
                cuts.append(match.start() + 1)  # the comma or semicolon stays with the left clause
        cuts.append(end)
        yield from itertools.pairwise(cuts)

    def _sentences(self, text: str, start: int, end: int) -> Iterator[tuple[int, int]]:
        block = text[start:end]
        # spaCy's default max_length is 1,000,000 characters; a block that long is cut first.
        limit = self.nlp.max_length // 2
        for chunk_start in range(0, len(block), limit):
            chunk = block[chunk_start : chunk_start + limit]
            for sent in self.nlp(chunk).sents:
                yield start + chunk_start + sent.start_char, start + chunk_start + sent.end_char

    def _cut(self, text: str, start: int, end: int) -> Iterator[tuple[int, int]]:
        """Cut an over-long sentence at clause punctuation, else at whitespace."""
        while end - start > self.max_chars:
            window = text[start : start + self.max_chars]
            cut = None
            for match in _CLAUSE.finditer(window):
                if match.start() > self.max_chars // 3:
                    cut = match.start() + 1
            if cut is None:
                space = window.rfind(" ", self.max_chars // 3)
                cut = space if space > 0 else self.max_chars
            yield start, start + cut
            start += cut
        yield start, end

    def _trim(self, text: str, start: int, end: int) -> Segment | None:
        while start < end and text[start].isspace():
            start += 1
        while end > start and text[end - 1].isspace():
            end -= 1
        if end - start < self.min_chars or not any(ch.isalnum() for ch in text[start:end]):
            return None
        return Segment(text[start:end], start, end)
