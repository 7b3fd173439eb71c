"""Concept pairs that get confused, from three sides.

- descriptions: concepts whose definition texts ("label: description", embedded on the
  passage side, from the concept index) sit unusually close; a pair is flagged when its
  cosine lies ``z_flag`` (4) standard deviations above the mean over all pairs, since e5
  cosines are high for any two Danish definitions and only the outliers matter;
- shared evidence: concepts suggested on the same clause of the same note in the corpus;
- swaps: reviewers rejected one and added the other (from the optional review statistics).
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass

import numpy as np

from ffbcoder.catalogue.model import Catalogue
from ffbcoder.coverage.usage import ReviewStats
from ffbcoder.index.concept_index import ConceptIndex

Z_FLAG = 4.0


@dataclass(frozen=True)
class ConceptPair:
    a: str
    b: str
    value: float  # cosine (descriptions) or count (shared evidence, swaps)
    flagged: bool = False

    def to_dict(self) -> dict[str, object]:
        return {"a": self.a, "b": self.b, "value": self.value, "flagged": self.flagged}


def description_vectors(index: ConceptIndex) -> np.ndarray:
    """(n_concepts, dim) the definition text's vector of each concept, or its label's without one."""
    vectors = index.vectors
    out = np.zeros((index.n_concepts, vectors.shape[1]), dtype=np.float32)
    chosen = np.full(index.n_concepts, -1, dtype=np.int64)
    for position, text in enumerate(index.texts):
        if text.field == "definition" or (text.field == "label" and chosen[text.concept] < 0):
            chosen[text.concept] = position
    for concept in range(index.n_concepts):
        if chosen[concept] >= 0:
            out[concept] = vectors[chosen[concept]]
    return out


def close_descriptions(
    catalogue: Catalogue, index: ConceptIndex, top: int = 20, z_flag: float = Z_FLAG
) -> list[ConceptPair]:
    """The ``top`` most similar concept pairs by definition text, flagged when unusually close."""
    vectors = description_vectors(index)
    n = min(len(vectors), len(catalogue))
    if n < 2:
        return []
    sims = vectors[:n] @ vectors[:n].T
    upper = np.triu_indices(n, k=1)
    values = sims[upper]
    mean, std = float(values.mean()), float(values.std()) or 1.0
    order = np.argsort(-values, kind="stable")[:top]
    codes = catalogue.ids()
    return [
        ConceptPair(
            codes[int(upper[0][i])],
            codes[int(upper[1][i])],
            round(float(values[i]), 4),
            flagged=(float(values[i]) - mean) / std >= z_flag,
        )
        for i in order
    ]


def counted_pairs(counts: Counter[tuple[str, str]], top: int = 20) -> list[ConceptPair]:
    return [ConceptPair(a, b, float(n)) for (a, b), n in counts.most_common(top)]


def swapped_pairs(review: ReviewStats | None, top: int = 20) -> list[ConceptPair]:
    """(rejected, added) pairs by how often reviewers made that swap."""
    if review is None:
        return []
    counts: Counter[tuple[str, str]] = Counter()
    for swap in review.swaps:
        counts[(swap.rejected, swap.added)] += swap.count
    return counted_pairs(counts, top)
