from __future__ import annotations

import faiss
import numpy as np

from ffbcoder.catalogue.store import default_catalogue
from ffbcoder.coverage.confusion import close_descriptions, swapped_pairs
from ffbcoder.coverage.usage import ReviewStats, SwapCount
from ffbcoder.index.concept_index import ConceptIndex, ConceptText, IndexMeta
from ffbcoder.index.lexical import LexicalIndex

CATALOGUE = default_catalogue()


def index_with(vectors: np.ndarray, texts: list[ConceptText]) -> ConceptIndex:
    flat = faiss.IndexFlatIP(vectors.shape[1])
    flat.add(np.ascontiguousarray(vectors, dtype=np.float32))
    meta = IndexMeta(1, CATALOGUE.info.id, CATALOGUE.info.version, "", "test", len(texts))
    return ConceptIndex(meta, texts, flat, LexicalIndex.fit([t.text for t in texts]))


def test_definitions_that_nearly_coincide_are_flagged() -> None:
    rng = np.random.default_rng(0)
    n = len(CATALOGUE)
    texts, vectors = [], []
    definitions = rng.normal(size=(n, 64))
    definitions[1] = definitions[0] + 0.05 * rng.normal(size=64)  # concept 1 restates concept 0
    labels = rng.normal(size=(n, 64))
    labels[5] = definitions[0]  # a label alone does not count where a definition exists
    for position in range(n):
        texts += [ConceptText(position, "label", "l"), ConceptText(position, "definition", "d")]
        vectors += [labels[position], definitions[position]]
    unit = np.array(vectors) / np.linalg.norm(vectors, axis=1, keepdims=True)
    pairs = close_descriptions(CATALOGUE, index_with(unit, texts), top=5)
    codes = CATALOGUE.ids()
    assert (pairs[0].a, pairs[0].b) == (codes[0], codes[1]) and pairs[0].flagged
    assert pairs[0].value > 0.99 and not any(p.flagged for p in pairs[1:])
    assert all(codes[5] not in (p.a, p.b) for p in pairs[:1])


def test_swaps_are_summed_and_ordered() -> None:
    review = ReviewStats(
        {},
        (
            SwapCount("t-angst", "t-depression", 2),
            SwapCount("t-mobning", "t-ensomhed", 5),
            SwapCount("t-angst", "t-depression", 4),
        ),
    )
    pairs = swapped_pairs(review)
    assert [(p.a, p.b, p.value) for p in pairs] == [("t-angst", "t-depression", 6.0), ("t-mobning", "t-ensomhed", 5.0)]
    assert swapped_pairs(None) == []
