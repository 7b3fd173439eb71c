"""Uncovered text: segments no concept reaches its operating threshold on.

A segment is uncovered when every concept's calibrated probability on it stays below that
concept's threshold, the same rule by which ``suggest`` leaves it without a suggestion. Of
those, negated segments ("ingen tegn på vold") and trivial ones (greetings, dates, headings,
process boilerplate, recurring templates) are set aside with their reason counted, because
they do not describe anything a catalogue should cover.

Negation: by default only strong negation cues count ("ingen tegn på", "afkræftet"). A
plain "ikke" also marks "hun kan ikke falde i søvn", which describes a problem; dropping
every segment with a negator would hide exactly the themes a gap analysis looks for.
"""

from __future__ import annotations

import math
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Literal

import numpy as np

from ffbcoder.coverage.redact import NameGuesser
from ffbcoder.coverage.trivial import TrivialFilter, template_key
from ffbcoder.suggest.batch import NoteBatch
from ffbcoder.text.context import SegmentContext

NegationMode = Literal["strong", "any", "none"]
SCORE_BINS = 50


@dataclass(frozen=True)
class UncoveredSegment:
    note: int  # position of the note in the corpus (ids stay with the caller)
    start: int
    end: int
    text: str
    best_concept: int  # the concept with the highest probability on the segment
    best_score: float
    template: str  # template_key(text)


@dataclass
class UncoveredSet:
    """The uncovered segments kept for clustering, with their embeddings and the tallies."""

    segments: list[UncoveredSegment]
    embeddings: np.ndarray  # (n, dim) float32, the segments' query embeddings
    counts: dict[str, int]
    best_score_histogram: dict[str, list[int]]  # "covered"/"below_threshold" -> counts over SCORE_BINS bins
    names: frozenset[str] = frozenset()  # words the whole corpus only writes capitalised


def template_limit(n_notes: int) -> int:
    """A segment that recurs in at least this many notes is a template: 3, or 0.1 % of a large corpus."""
    return max(3, math.ceil(0.001 * n_notes))


@dataclass
class UncoveredCollector:
    """Streams batches in, keeps uncovered non-trivial segments; call :meth:`finish` at the end."""

    thresholds: np.ndarray  # (n_concepts,)
    trivial: TrivialFilter = field(default_factory=TrivialFilter)
    negation: NegationMode = "strong"
    _segments: list[UncoveredSegment] = field(default_factory=list)
    _vectors: list[np.ndarray] = field(default_factory=list)
    _counts: Counter[str] = field(default_factory=Counter)
    _template_notes: Counter[str] = field(default_factory=Counter)
    _histograms: dict[str, np.ndarray] = field(
        default_factory=lambda: {
            "covered": np.zeros(SCORE_BINS, np.int64),
            "below_threshold": np.zeros(SCORE_BINS, np.int64),
        }
    )
    _notes_seen: int = 0
    _names: NameGuesser = field(default_factory=NameGuesser)

    def add(self, batch: NoteBatch, probs: np.ndarray, contexts: Sequence[SegmentContext], first_note: int) -> None:
        """One batch: ``probs`` (n_segments, n_concepts), notes numbered from ``first_note``."""
        self._notes_seen += len(batch.texts)
        if not len(batch.segments):
            return
        covered: np.ndarray = np.asarray((probs >= self.thresholds).any(axis=1))
        best = probs.argmax(axis=1)
        best_score = probs.max(axis=1)
        bins = np.minimum((best_score * SCORE_BINS).astype(np.int64), SCORE_BINS - 1)
        self._histograms["covered"] += np.bincount(bins[covered], minlength=SCORE_BINS)
        self._histograms["below_threshold"] += np.bincount(bins[~covered], minlength=SCORE_BINS)
        self._counts["segments"] += len(batch.segments)
        self._counts["covered"] += int(covered.sum())
        keep: list[int] = []
        seen_in_note: set[tuple[int, str]] = set()
        for i, segment in enumerate(batch.segments):
            self._names.see(segment.text)  # every segment, so that common words show in lowercase somewhere
            key = template_key(segment.text)
            note = int(batch.note_of[i])
            if (note, key) not in seen_in_note:
                seen_in_note.add((note, key))
                self._template_notes[key] += 1
            if covered[i]:
                continue
            context = contexts[i]
            if (self.negation == "strong" and context.negation_strong) or (self.negation == "any" and context.negation):
                self._counts["negated"] += 1
                continue
            reason = self.trivial.reason(segment.text)
            if reason is not None:
                self._counts[f"trivial_{reason}"] += 1
                continue
            keep.append(i)
            self._segments.append(
                UncoveredSegment(
                    note=first_note + note,
                    start=segment.start,
                    end=segment.end,
                    text=segment.text,
                    best_concept=int(best[i]),
                    best_score=round(float(best_score[i]), 4),
                    template=key,
                )
            )
        if keep:
            self._vectors.append(np.asarray(batch.embeddings[keep], dtype=np.float32))

    def finish(self, template_min_notes: int | None = None) -> UncoveredSet:
        """Drop recurring templates and return what is left."""
        limit = template_limit(self._notes_seen) if template_min_notes is None else template_min_notes
        vectors = np.vstack(self._vectors) if self._vectors else np.zeros((0, 0), np.float32)
        keep = [i for i, s in enumerate(self._segments) if self._template_notes[s.template] < limit]
        counts = Counter(self._counts)
        counts["trivial_template"] = len(self._segments) - len(keep)
        counts["uncovered"] = len(keep)
        return UncoveredSet(
            segments=[self._segments[i] for i in keep],
            embeddings=vectors[keep] if len(keep) else np.zeros((0, vectors.shape[1] if vectors.ndim == 2 else 0)),
            counts=dict(counts),
            best_score_histogram={k: v.tolist() for k, v in self._histograms.items()},
            names=self._names.names,
        )
