"""Lexical scorer: TF-IDF over character n-grams between a segment and each concept text.

Character n-grams within word boundaries (3-5) catch Danish inflection and compounds
("skolefravær", "fraværet", "pjækker"/"pjæk") without a stemmer, and they match terms the
embedding model knows poorly (abbreviations, programme names such as PMTO or MST). The
model is part of the concept index (``index.lexical``), built and kept current with it.
"""

from __future__ import annotations

import numpy as np

from ffbcoder.suggest.batch import NoteBatch
from ffbcoder.suggest.scorer import ScorerContext


class LexicalScorer:
    name = "lexical"

    def __init__(self, context: ScorerContext) -> None:
        self._index = context.index.lexical
        self._starts = np.searchsorted(context.index.text_concept, np.arange(len(context.catalogue)))

    def similarity(self, texts: list[str]) -> np.ndarray:
        """(n_texts, n_concepts) best cosine over each concept's texts."""
        if not texts:
            return np.zeros((0, len(self._starts)), dtype=np.float32)
        best: np.ndarray = np.maximum.reduceat(self._index.similarity(texts), self._starts, axis=1)
        return best

    def score(self, batch: NoteBatch) -> np.ndarray:
        return self.similarity([s.text for s in batch.segments])
