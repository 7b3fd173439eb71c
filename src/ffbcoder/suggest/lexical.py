"""Lexical scorer: TF-IDF over character n-grams between a segment and each concept text.

Character n-grams within word boundaries (3-5) catch Danish inflection and compounds
("skolefravær", "fraværet", "pjækker"/"pjæk") without a stemmer, and they match terms the
embedding model knows poorly (abbreviations, programme names such as PMTO or MST). The
vectoriser is fitted on the catalogue's own texts when the scorer is built (well under a
second), so the scorer follows the catalogue with no training step.
"""

from __future__ import annotations

import numpy as np

from ffbcoder.suggest.batch import NoteBatch
from ffbcoder.suggest.scorer import ScorerContext


class LexicalScorer:
    name = "lexical"

    def __init__(self, context: ScorerContext) -> None:
        from sklearn.feature_extraction.text import TfidfVectorizer

        texts = [t.text for t in context.index.texts]
        owner = context.index.text_concept
        self._vectorizer = TfidfVectorizer(
            analyzer="char_wb", ngram_range=(3, 5), lowercase=True, sublinear_tf=True, min_df=1, dtype=np.float32
        )
        self._texts = self._vectorizer.fit_transform(texts)  # rows L2-normalised
        self._starts = np.searchsorted(owner, np.arange(len(context.catalogue)))

    def similarity(self, texts: list[str]) -> np.ndarray:
        """(n_texts, n_concepts) best cosine over each concept's texts."""
        if not texts:
            return np.zeros((0, len(self._starts)), dtype=np.float32)
        sims = (self._vectorizer.transform(texts) @ self._texts.T).toarray()
        best: np.ndarray = np.maximum.reduceat(sims, self._starts, axis=1).astype(np.float32)
        return best

    def score(self, batch: NoteBatch) -> np.ndarray:
        return self.similarity([s.text for s in batch.segments])
