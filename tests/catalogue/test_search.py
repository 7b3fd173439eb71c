"""Concept search over the packaged draft catalogue: by id, label and synonym."""

from __future__ import annotations

import pytest

from ffbcoder.catalogue.model import Catalogue, ConceptKind
from ffbcoder.catalogue.search import search_concepts
from ffbcoder.catalogue.store import resolve_catalogue


@pytest.fixture(scope="module")
def catalogue() -> Catalogue:
    return resolve_catalogue(None)


def ids(catalogue: Catalogue, query: str, **kw: object) -> list[str]:
    return [c.id for c in search_concepts(catalogue, query, **kw)]  # type: ignore[arg-type]


def test_by_id_label_and_synonym(catalogue: Catalogue) -> None:
    assert ids(catalogue, "t-angst")[0] == "t-angst"
    assert ids(catalogue, "Angst")[0] == "t-angst"
    assert ids(catalogue, "panikanfald") == ["t-angst"]
    assert "t-fysisk-helbred" in ids(catalogue, "type 1-diab")


def test_case_and_accents_are_ignored_but_danish_letters_are_kept(catalogue: Catalogue) -> None:
    assert ids(catalogue, "SKOLEFRAVÆR")[0] == "t-skolefravaer"
    assert ids(catalogue, "psykísk") == ids(catalogue, "psykisk")
    assert ids(catalogue, "skolefravar") == []  # a is not æ
    assert ids(catalogue, "skolefravaer") == ["t-skolefravaer"]  # the id spells æ as ae
    assert ids(catalogue, "ængstelse") == ["t-angst"]


def test_every_word_must_match_and_kind_filters(catalogue: Catalogue) -> None:
    both = ids(catalogue, "psykisk")
    assert "t-psykisk-mistrivsel" in both
    assert ids(catalogue, "psykisk mistrivsel")[0] == "t-psykisk-mistrivsel"
    assert ids(catalogue, "psykisk xyzzy") == []
    indsatser = search_concepts(catalogue, "familie", kind=ConceptKind.INDSATS)
    assert indsatser and all(c.kind == ConceptKind.INDSATS for c in indsatser)


def test_blank_queries_and_limits(catalogue: Catalogue) -> None:
    assert ids(catalogue, "   ") == []
    assert ids(catalogue, "?!") == []
    assert len(ids(catalogue, "t", limit=5)) == 5
