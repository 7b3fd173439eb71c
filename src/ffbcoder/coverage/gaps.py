"""Candidate gaps: clusters of uncovered segments, described and ranked.

Each cluster gets its size (segments and distinct notes), its most representative segments
(closest to the cluster's centre, masked and shortened), its characteristic terms (class-based
TF-IDF over lemmas) and the existing concepts nearest to it (the cluster's mean embedding
against every concept text in the index).

Ranking. A gap worth a new concept recurs across notes and is about one thing. Clusters of
writing habits ("men der tages ikke stilling til det nu", "mor ringede") can be large but
share no content word. So gaps are ranked by ``notes x theme``: the number of notes the
cluster spans times the share of its segments that contain one of its three top terms.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

import numpy as np

from ffbcoder.catalogue.model import Catalogue
from ffbcoder.coverage.cluster import representatives
from ffbcoder.coverage.redact import redact
from ffbcoder.coverage.terms import Lemmatiser, class_tfidf
from ffbcoder.coverage.uncovered import UncoveredSet
from ffbcoder.index.concept_index import ConceptIndex

THEME_TERMS = 3


@dataclass(frozen=True)
class NearConcept:
    code: str
    label: str
    similarity: float


@dataclass(frozen=True)
class Gap:
    rank: int  # 1 = most worth a look
    cluster: int  # cluster label (0 = largest)
    size: int  # segments
    notes: int  # distinct notes
    theme: float  # share of segments containing one of the top THEME_TERMS terms
    score: float  # notes x theme
    cohesion: float  # mean cosine of the members to their centre (centred vectors)
    mean_best_score: float  # mean of the members' best concept probability
    terms: list[tuple[str, float]]
    examples: list[str]  # representative segments, masked and shortened
    nearest: list[NearConcept]
    members: tuple[int, ...] = field(repr=False, default=())  # indices into UncoveredSet.segments

    def to_dict(self) -> dict[str, object]:
        return {
            "rank": self.rank,
            "cluster": self.cluster,
            "size": self.size,
            "notes": self.notes,
            "theme": round(self.theme, 4),
            "score": round(self.score, 3),
            "cohesion": round(self.cohesion, 4),
            "mean_best_score": round(self.mean_best_score, 4),
            "terms": [{"term": t, "weight": w} for t, w in self.terms],
            "examples": self.examples,
            "nearest_concepts": [{"code": c.code, "label": c.label, "similarity": c.similarity} for c in self.nearest],
        }


def nearest_concepts(
    centre: np.ndarray, index: ConceptIndex, catalogue: Catalogue, k: int, search: int = 64
) -> list[NearConcept]:
    """The ``k`` concepts with the most similar concept text to ``centre`` (query-side vector)."""
    sims, positions = index.search(centre[None, :], search)
    best: dict[int, float] = {}
    for sim, position in zip(sims[0], positions[0], strict=True):
        if position < 0:
            continue
        concept = int(index.text_concept[position])
        best[concept] = max(best.get(concept, -1.0), float(sim))
    ranked = sorted(best.items(), key=lambda item: -item[1])[:k]
    concepts = list(catalogue)
    return [NearConcept(concepts[c].id, concepts[c].label, round(s, 4)) for c, s in ranked if c < len(concepts)]


def describe_gaps(
    uncovered: UncoveredSet,
    vectors: np.ndarray,
    labels: np.ndarray,
    index: ConceptIndex,
    catalogue: Catalogue,
    lemmatiser: Lemmatiser,
    n_examples: int = 3,
    n_terms: int = 8,
    n_nearest: int = 3,
) -> list[Gap]:
    """One :class:`Gap` per cluster label >= 0, ranked."""
    k = int(labels.max()) + 1 if len(labels) else 0
    if not k:
        return []
    lemmas = [lemmatiser.lemmas(s.text) for s in uncovered.segments]
    names = uncovered.names
    not_terms = names | frozenset(lemmatiser.lemmas_of(sorted(names)))
    classes: list[list[str]] = [[] for _ in range(k + 1)]  # the last class: segments in no cluster
    for i, terms in enumerate(lemmas):
        classes[int(labels[i]) if labels[i] >= 0 else k].extend(terms)
    top_terms = class_tfidf(classes, top_n=n_terms, exclude=not_terms)
    raw = np.asarray(uncovered.embeddings, dtype=np.float32)
    gaps = []
    for c in range(k):
        members = np.flatnonzero(labels == c)
        centre_raw = raw[members].mean(axis=0)
        centre_raw = centre_raw / max(float(np.linalg.norm(centre_raw)), 1e-12)
        centre = vectors[members].mean(axis=0)
        cohesion = float(np.linalg.norm(centre))
        theme_words = {t for t, _ in top_terms[c][:THEME_TERMS]}
        theme = float(np.mean([bool(theme_words.intersection(lemmas[i])) for i in members]))
        n_notes = len({uncovered.segments[i].note for i in members})
        examples: list[str] = []
        for i in representatives(vectors, members, len(members)):
            text = redact(uncovered.segments[i].text, names)
            if text not in examples:  # the same template sentence from several notes: show it once
                examples.append(text)
            if len(examples) == n_examples:
                break
        gaps.append(
            Gap(
                rank=0,
                cluster=c,
                size=len(members),
                notes=n_notes,
                theme=theme,
                score=n_notes * theme,
                cohesion=cohesion,
                mean_best_score=float(np.mean([uncovered.segments[i].best_score for i in members])),
                terms=top_terms[c],
                examples=examples,
                nearest=nearest_concepts(centre_raw, index, catalogue, n_nearest),
                members=tuple(int(i) for i in members),
            )
        )
    gaps.sort(key=lambda g: (-g.score, -g.notes, g.cluster))
    return [_with_rank(g, r) for r, g in enumerate(gaps, 1)]


def _with_rank(gap: Gap, rank: int) -> Gap:
    from dataclasses import replace

    return replace(gap, rank=rank)


def gap_notes(gap: Gap, uncovered: UncoveredSet) -> Sequence[int]:
    """Corpus positions of the notes a gap's segments come from (one entry per segment)."""
    return [uncovered.segments[i].note for i in gap.members]
