from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

import numpy as np
import pytest

from ffbcoder.catalogue.model import Catalogue, CatalogueInfo, Concept, ConceptKind
from ffbcoder.embedding.encoder import BertEncoder
from ffbcoder.index.concept_index import concept_texts, index_path, load_or_build

pytestmark = pytest.mark.model


def small_catalogue(extra_example: str | None = None) -> Catalogue:
    examples = ("pjækker", "har ikke været i skole i tre uger") + ((extra_example,) if extra_example else ())
    return Catalogue(
        CatalogueInfo(id="mini", version="1"),
        (
            Concept(
                "t-skolefravaer", ConceptKind.TILSTAND, "Skolefravær", description="Højt fravær", examples=examples
            ),
            Concept("t-foraelder-misbrug", ConceptKind.TILSTAND, "Misbrug hos forælder", synonyms=("alkoholmisbrug",)),
            Concept("i-aflastning", ConceptKind.INDSATS, "Aflastning", examples=("aflastning hver anden weekend",)),
        ),
    )


class OtherModel:
    """The same vectors under another fingerprint, as after a model upgrade."""

    def __init__(self, inner: BertEncoder) -> None:
        self.inner = inner
        self.fingerprint = "other-model:0000"
        self.dimension = inner.dimension

    def encode_queries(self, texts: Sequence[str]) -> np.ndarray:
        return self.inner.encode_queries(texts)

    def encode_passages(self, texts: Sequence[str]) -> np.ndarray:
        return self.inner.encode_passages(texts)


def test_concept_texts_cover_all_fields() -> None:
    concept = small_catalogue().concepts[0]
    fields = [t.field for t in concept_texts(concept, 0)]
    assert fields == ["label", "definition", "example", "example"]


def test_built_index_maps_texts_to_concepts(encoder: BertEncoder, tmp_path: Path) -> None:
    cat = small_catalogue()
    index = load_or_build(cat, encoder, tmp_path)
    query = encoder.encode_queries(["Drengen pjækker fra skolen"])
    _, idx = index.search(query, 1)
    assert cat.concepts[index.texts[idx[0][0]].concept].id == "t-skolefravaer"


def test_current_index_is_reused_and_stale_rebuilt(encoder: BertEncoder, tmp_path: Path) -> None:
    cat = small_catalogue()
    first = load_or_build(cat, encoder, tmp_path)
    meta = index_path(tmp_path, cat) / "meta.json"
    stamp = meta.stat().st_mtime_ns
    again = load_or_build(cat, encoder, tmp_path)
    assert meta.stat().st_mtime_ns == stamp and again.meta == first.meta

    edited = small_catalogue(extra_example="hjemmesidder")
    rebuilt = load_or_build(edited, encoder, tmp_path)
    assert rebuilt.meta.catalogue_hash == edited.content_hash() != first.meta.catalogue_hash
    assert rebuilt.meta.n_texts == first.meta.n_texts + 1

    other = load_or_build(edited, OtherModel(encoder), tmp_path)
    assert other.meta.model_fingerprint == "other-model:0000"
    assert load_or_build(edited, encoder, tmp_path).meta.model_fingerprint == encoder.fingerprint


def test_corrupt_index_is_rebuilt(encoder: BertEncoder, tmp_path: Path) -> None:
    cat = small_catalogue()
    load_or_build(cat, encoder, tmp_path)
    (index_path(tmp_path, cat) / "index.faiss").write_bytes(b"garbage")
    index = load_or_build(cat, encoder, tmp_path)
    assert index.meta.n_texts == sum(len(concept_texts(c, i)) for i, c in enumerate(cat))
