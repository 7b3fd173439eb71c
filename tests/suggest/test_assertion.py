"""The assertion gate on small, readable data: what it learns, how it is stored."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from ffbcoder.catalogue.model import ConceptKind, Subject
from ffbcoder.suggest.assertion import (
    GROUPS,
    AssertionModel,
    assertion_terms,
    concept_group,
    fit_assertion,
    segment_terms,
)
from ffbcoder.text.context import SegmentContext

CHILD = concept_group(ConceptKind.TILSTAND, Subject.CHILD)
PARENT = concept_group(ConceptKind.TILSTAND, Subject.PARENT)
INDSATS = concept_group(ConceptKind.INDSATS, Subject.UNSPECIFIED)

# (segment, group, asserted): negated and other people's mentions against plain ones.
SAMPLES = [
    ("drengen har adhd", CHILD, True),
    ("pigen har angst og sover dårligt", CHILD, True),
    ("drengen pjækker fra skolen", CHILD, True),
    ("der er ingen tegn på angst", CHILD, False),
    ("der er ingen tegn på vold", CHILD, False),
    ("udredningen afkræftede adhd", CHILD, False),
    ("udredningen afkræftede autisme", CHILD, False),
    ("mor har adhd", CHILD, False),
    ("mor har angst", CHILD, False),
    ("mor har adhd", PARENT, True),
    ("mor har angst", PARENT, True),
    ("mor drikker dagligt", PARENT, True),
    ("familien har fået aflastning", INDSATS, True),
    ("familien har fået familiebehandling", INDSATS, True),
] * 3


@pytest.fixture(scope="module")
def model() -> AssertionModel:
    terms = [segment_terms(text) for text, _, _ in SAMPLES]
    # Every sample its own concept: the tiny set has no topic words to guard against.
    return fit_assertion(terms, [g for _, g, _ in SAMPLES], [a for _, _, a in SAMPLES], c=5.0, min_concepts=2)


def test_groups_follow_kind_and_whose_condition() -> None:
    assert GROUPS[CHILD] == "tilstand-barn" and GROUPS[PARENT] == "tilstand-forælder"
    assert GROUPS[INDSATS] == "indsats"
    assert GROUPS[concept_group(ConceptKind.TILSTAND, Subject.UNSPECIFIED)] == "tilstand"


def test_terms_are_words_pairs_and_the_next_clause() -> None:
    terms = segment_terms("SB spurgte ind til selvmordstanker;", "hun afviser det")
    assert {"spurgte", "ind til", ">afviser"} <= set(terms)
    assert "hun afviser" not in terms  # the next clause contributes words only
    assert "selvmordstanker" not in terms and "sover" not in segment_terms("han sover dårligt")  # topic words
    flagged = assertion_terms("ingen tegn på vold", "", SegmentContext(negation_strong=True, negation=True))
    assert {"flag:negation_strong", "flag:negation"} <= set(flagged)


def test_learns_negation_cues_on_unseen_concepts(model: AssertionModel) -> None:
    assert model.probability(segment_terms("der er ingen tegn på mobning"), CHILD) < 0.5
    assert model.probability(segment_terms("udredningen afkræftede angst"), CHILD) < 0.5
    assert model.probability(segment_terms("drengen har mobning"), CHILD) > 0.5


def test_whose_condition_depends_on_the_concept_group(model: AssertionModel) -> None:
    mother = segment_terms("mor har adhd")
    assert model.probability(mother, CHILD) < 0.5 < model.probability(mother, PARENT)


def test_saved_model_scores_the_same(model: AssertionModel, tmp_path: Path) -> None:
    path = tmp_path / "assertion.json"
    model.save(path)
    loaded = AssertionModel.load(path)
    assert loaded.gate == model.gate
    for text, group, _ in SAMPLES[:14]:
        terms = segment_terms(text)
        assert loaded.probability(terms, group) == pytest.approx(model.probability(terms, group), abs=1e-3)


def test_a_file_from_other_groups_is_refused(model: AssertionModel, tmp_path: Path) -> None:
    path = tmp_path / "assertion.json"
    model.save(path)
    data = json.loads(path.read_text(encoding="utf-8"))
    data["groups"] = data["groups"][:-1]
    path.write_text(json.dumps(data), encoding="utf-8")
    with pytest.raises(ValueError, match="groups"):
        AssertionModel.load(path)


def test_cue_words_of_few_concepts_hard_cases_are_not_read() -> None:
    # "tidligere" comes in one concept's hard cases only; "ingen tegn" in six concepts'.
    samples = [("tidligere sov han godt", 0, False)] * 2 + [("han sover dårligt", 0, True)]
    samples += [(f"ingen tegn på at han tidligere sov {i}", i, True) for i in range(1, 7)]  # asserted elsewhere
    samples += [(f"ingen tegn på emne{i}", i, False) for i in range(1, 7)]
    samples += [(f"har emne{i}", i, True) for i in range(1, 7)]
    terms = [segment_terms(text) for text, _, _ in samples]
    model = fit_assertion(terms, [CHILD] * len(samples), [a for _, _, a in samples], [c for _, c, _ in samples], c=5.0)
    assert "tidligere" not in model.vocabulary and {"ingen", "tegn"} <= set(model.vocabulary)
    assert "har" not in model.vocabulary  # seen in no hard case at all


@pytest.mark.parametrize("content", ["stale", "{}", '{"groups": [], "terms": {"ikke": [1.0]}, "bias": []}'])
def test_an_unreadable_file_names_itself_and_the_fix(tmp_path: Path, content: str) -> None:
    path = tmp_path / "assertion.json"
    path.write_text(content, encoding="utf-8")
    with pytest.raises(ValueError, match=r"assertion.json.*(ffbcoder train|groups)"):
        AssertionModel.load(path)
