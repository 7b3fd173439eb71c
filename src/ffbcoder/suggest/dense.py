"""Dense scorer: cosine between a segment's e5 embedding and a concept's indexed texts.

A concept's strength for a segment is its best-matching text (label, definition, synonym
or example phrasing). Raw e5 cosines sit in a narrow band (about 0.78-0.91) and some
segments resemble everything, so the score is centred per segment: the segment's mean
similarity over all concepts is subtracted. What remains is a margin, turned into a
probability by the fusion step's calibration.
"""

from __future__ import annotations

import numpy as np

from ffbcoder.suggest.batch import NoteBatch
from ffbcoder.suggest.scorer import ScorerContext


class DenseScorer:
    name = "dense"

    def __init__(self, context: ScorerContext) -> None:
        self.index = context.index
        self._vectors = self.index.vectors
        owner = self.index.text_concept
        # Texts are stored concept by concept, so each concept is one contiguous run.
        if len(owner) and not np.all(np.diff(owner) >= 0):
            raise ValueError("index texts are not grouped by concept")
        self._starts = np.searchsorted(owner, np.arange(len(context.catalogue)))
        self.n_concepts = len(context.catalogue)

    def raw_similarity(self, embeddings: np.ndarray) -> np.ndarray:
        """(n_segments, n_concepts) best cosine over each concept's texts."""
        if len(embeddings) == 0:
            return np.zeros((0, self.n_concepts), dtype=np.float32)
        sims = embeddings @ self._vectors.T  # a flat index: the product is the search
        best: np.ndarray = np.maximum.reduceat(sims, self._starts, axis=1).astype(np.float32)
        return best

    def score(self, batch: NoteBatch) -> np.ndarray:
        best = self.raw_similarity(batch.embeddings)
        if best.size == 0:
            return best
        centred: np.ndarray = best - best.mean(axis=1, keepdims=True)
        return centred
