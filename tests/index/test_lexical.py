from __future__ import annotations

from pathlib import Path

import numpy as np
from sklearn.feature_extraction.text import TfidfVectorizer

from ffbcoder.catalogue.store import default_catalogue
from ffbcoder.index.concept_index import concept_texts
from ffbcoder.index.lexical import NGRAM_RANGE, LexicalIndex, char_wb_ngrams

QUERIES = [
    "Drengen har ikke været i skole de sidste tre uger,",
    "og mor drikker dagligt.",
    "Mor  fortæller\tat hun ikke har TID til lektier",
    "a b",
    "zzzz qqqq",  # no known n-gram
    "",
]


def catalogue_texts() -> list[str]:
    return [t.text for i, c in enumerate(default_catalogue()) for t in concept_texts(c, i)]


def test_ngrams_equal_scikit_learn_char_wb() -> None:
    analyzer = TfidfVectorizer(analyzer="char_wb", ngram_range=NGRAM_RANGE, lowercase=True).build_analyzer()
    for text in QUERIES + catalogue_texts()[:200]:
        assert char_wb_ngrams(text) == analyzer(text)


def test_serving_path_equals_the_vectoriser(tmp_path: Path) -> None:
    texts = catalogue_texts()
    vectorizer = TfidfVectorizer(analyzer="char_wb", ngram_range=NGRAM_RANGE, lowercase=True, sublinear_tf=True)
    matrix = vectorizer.fit_transform(texts)
    expected = (vectorizer.transform(QUERIES) @ matrix.T).toarray()
    index = LexicalIndex.fit(texts)
    np.testing.assert_allclose(index.similarity(QUERIES), expected, atol=1e-5)
    index.save(tmp_path / "lexical.npz")
    np.testing.assert_allclose(LexicalIndex.load(tmp_path / "lexical.npz").similarity(QUERIES), expected, atol=1e-5)
    assert not index.similarity(["zzzz qqqq"]).any()
