"""TF-IDF over character n-grams of the concept texts, built with the index and served without scikit-learn.

The model is fitted with scikit-learn's ``TfidfVectorizer`` (``analyzer="char_wb"``, 3-5
grams, lowercase, sublinear tf, smoothed idf, L2 rows) when the index is built, and saved
as plain arrays: the vocabulary, the idf weights and the text matrix by term (CSC). Serving
only has to cut a segment into the same n-grams and sum the matching postings, which keeps
scikit-learn and SciPy (about 85 MB resident) out of the server. Tests check that the
serving path gives the vectoriser's own cosines.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np

NGRAM_RANGE = (3, 5)
_WHITESPACE = re.compile(r"\s\s+")


def char_wb_ngrams(text: str, ngram_range: tuple[int, int] = NGRAM_RANGE) -> list[str]:
    """Character n-grams inside word boundaries, words padded with a space (as scikit-learn's char_wb)."""
    text = _WHITESPACE.sub(" ", text.lower())
    low, high = ngram_range
    grams: list[str] = []
    for word in text.split():
        padded = f" {word} "
        length = len(padded)
        for n in range(low, high + 1):
            if length <= n:  # a short word counts once, whole
                grams.append(padded)
                break
            grams.extend(padded[i : i + n] for i in range(length - n + 1))
    return grams


@dataclass(frozen=True)
class LexicalIndex:
    vocabulary: dict[str, int]
    idf: np.ndarray  # (n_terms,)
    indptr: np.ndarray  # CSC by term: postings of term j are indptr[j]:indptr[j+1]
    rows: np.ndarray  # text index of each posting
    values: np.ndarray  # tf-idf weight of each posting (rows L2-normalised)
    n_texts: int

    @classmethod
    def fit(cls, texts: Sequence[str]) -> LexicalIndex:
        from sklearn.feature_extraction.text import TfidfVectorizer

        vectorizer = TfidfVectorizer(
            analyzer="char_wb", ngram_range=NGRAM_RANGE, lowercase=True, sublinear_tf=True, dtype=np.float32
        )
        matrix = vectorizer.fit_transform(texts).tocsc()
        matrix.sort_indices()
        return cls(
            vocabulary={term: int(j) for term, j in vectorizer.vocabulary_.items()},
            idf=vectorizer.idf_.astype(np.float32),
            indptr=matrix.indptr.astype(np.int64),
            rows=matrix.indices.astype(np.int32),
            values=matrix.data.astype(np.float32),
            n_texts=len(texts),
        )

    def save(self, path: Path) -> None:
        terms = sorted(self.vocabulary, key=self.vocabulary.__getitem__)
        np.savez_compressed(
            path,
            terms=np.frombuffer("\n".join(terms).encode("utf-8"), dtype=np.uint8),
            idf=self.idf,
            indptr=self.indptr,
            rows=self.rows,
            values=self.values,
            n_texts=np.array([self.n_texts]),
        )

    @classmethod
    def load(cls, path: Path) -> LexicalIndex:
        with np.load(path) as data:
            terms = data["terms"].tobytes().decode("utf-8").split("\n")
            return cls(
                vocabulary=dict(zip(terms, range(len(terms)), strict=True)),
                idf=data["idf"],
                indptr=data["indptr"],
                rows=data["rows"],
                values=data["values"],
                n_texts=int(data["n_texts"][0]),
            )

    def similarity(self, texts: Sequence[str]) -> np.ndarray:
        """(len(texts), n_texts) cosine of each text's TF-IDF vector with every indexed text."""
        segment_ids: list[int] = []
        term_ids: list[int] = []
        counts: list[int] = []
        vocabulary = self.vocabulary
        for i, text in enumerate(texts):
            found = Counter(g for g in char_wb_ngrams(text) if g in vocabulary)
            segment_ids.extend([i] * len(found))
            term_ids.extend(vocabulary[g] for g in found)
            counts.extend(found.values())
        if not term_ids:
            return np.zeros((len(texts), self.n_texts), dtype=np.float32)
        segments = np.array(segment_ids, dtype=np.int64)
        terms = np.array(term_ids, dtype=np.int64)
        weights = (1.0 + np.log(np.array(counts, dtype=np.float64))) * self.idf[terms]  # sublinear tf * idf
        weights /= np.sqrt(np.bincount(segments, weights=weights**2))[segments]  # L2 per segment
        starts, ends = self.indptr[terms], self.indptr[terms + 1]
        lengths = ends - starts
        # Every posting of every (segment, term) pair, gathered at once.
        offsets = np.repeat(starts - np.cumsum(np.r_[0, lengths[:-1]]), lengths) + np.arange(int(lengths.sum()))
        cells = np.repeat(segments, lengths) * self.n_texts + self.rows[offsets]
        contributions = np.repeat(weights, lengths) * self.values[offsets]
        sums = np.bincount(cells, weights=contributions, minlength=len(texts) * self.n_texts)
        return sums.reshape(len(texts), self.n_texts).astype(np.float32)
