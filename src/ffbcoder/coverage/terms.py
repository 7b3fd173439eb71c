"""Characteristic terms of a gap: class-based TF-IDF over lemmas.

Lemmas come from spaCy's ``blank("da")`` tokenizer and the lookup lemmatizer of
``spacy-lookups-data``, on lowercased tokens ("Vågner", "vågnede" -> "vågne"). Stop words,
numbers and short tokens are left out, and so are names (``redact.NameGuesser``) and their
lemmas: names of people, places and institutions must not become a gap's label (case notes
are personal data).

Class-based TF-IDF (as in BERTopic) treats each cluster's segments as one document:
``w(t, c) = tf(t, c) * log(1 + A / f(t))`` with ``tf`` the term's share of the class's
tokens, ``A`` the average number of tokens per class and ``f(t)`` the term's frequency over
all classes. The segments in no cluster form one more class, so that words common to all
case notes ("mor", "skole") weigh little.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Sequence, Set
from functools import cached_property
from typing import Any

import numpy as np

MIN_TERM_CHARS = 3


class Lemmatiser:
    """Text -> content lemmas."""

    @cached_property
    def nlp(self) -> Any:
        import spacy

        nlp = spacy.blank("da")
        nlp.add_pipe("lemmatizer", config={"mode": "lookup"})
        nlp.initialize()
        return nlp

    @cached_property
    def stop_words(self) -> frozenset[str]:
        from spacy.lang.da.stop_words import STOP_WORDS

        return frozenset(STOP_WORDS)

    def lemmas_of(self, words: Sequence[str]) -> list[str]:
        from spacy.tokens import Doc

        if not words:
            return []
        doc = self.nlp.get_pipe("lemmatizer")(Doc(self.nlp.vocab, words=list(words)))
        return [(t.lemma_ or t.text).lower() for t in doc]

    def lemmas(self, text: str) -> list[str]:
        from spacy.tokens import Doc

        doc = Doc(self.nlp.vocab, words=[t.text.lower() for t in self.nlp.tokenizer(text)])
        doc = self.nlp.get_pipe("lemmatizer")(doc)
        out = []
        for token in doc:
            lemma = (token.lemma_ or token.text).lower()
            if (
                token.is_alpha
                and len(token.text) >= MIN_TERM_CHARS
                and token.text not in self.stop_words
                and lemma not in self.stop_words
            ):
                out.append(lemma)
        return out


def class_tfidf(
    classes: Sequence[Iterable[str]], top_n: int = 8, exclude: Set[str] = frozenset()
) -> list[list[tuple[str, float]]]:
    """Top terms with their c-TF-IDF weight for each class (a class is a bag of lemmas).

    Sparse: thousands of clusters over a large vocabulary stay small."""
    from scipy.sparse import csr_matrix

    counts = [Counter(t for t in terms if t not in exclude) for terms in classes]
    vocabulary = sorted({t for c in counts for t in c})
    if not vocabulary:
        return [[] for _ in counts]
    column = {t: i for i, t in enumerate(vocabulary)}
    rows, cols, values = [], [], []
    for row, counter in enumerate(counts):
        for term, n in counter.items():
            rows.append(row)
            cols.append(column[term])
            values.append(float(n))
    tf = csr_matrix((values, (rows, cols)), shape=(len(counts), len(vocabulary)), dtype=np.float64)
    totals = np.asarray(tf.sum(axis=1)).ravel()
    idf = np.log1p(float(totals.mean()) / np.maximum(np.asarray(tf.sum(axis=0)).ravel(), 1.0))
    out = []
    for row in range(len(counts)):
        start, end = tf.indptr[row], tf.indptr[row + 1]
        terms, n = tf.indices[start:end], tf.data[start:end]
        weights = n / max(totals[row], 1.0) * idf[terms]
        order = np.lexsort((terms, -weights))[:top_n]  # ties: alphabetical (vocabulary order)
        out.append([(vocabulary[terms[i]], round(float(weights[i]), 5)) for i in order if weights[i] > 0])
    return out
