from __future__ import annotations

import pytest

from ffbcoder.text.context import FLAG_NAMES, ContextDetector


@pytest.fixture(scope="module")
def detector() -> ContextDetector:
    return ContextDetector()


def flags(detector: ContextDetector, text: str) -> set[str]:
    return {name for name, value in detector.detect(text).__dict__.items() if value}


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("Der er ingen tegn på vold i hjemmet.", {"negation_strong", "negation"}),
        ("Udredningen afkræftede ADHD.", {"negation_strong", "negation"}),
        ("Vi overvejer aflastning.", {"hypothetical", "considered"}),
        ("Kommunen gav afslag på merudgifter.", {"refusal", "declined"}),
        ("Hun havde angst i 2019.", {"past"}),
        ("Han har flere gode venner i klassen.", {"normal", "normal_finding"}),
        # A cue written with a comma meets the tokenizer's separate comma token.
        ("Der er ikke noget, der tyder på spiseforstyrrelse.", {"negation_strong", "negation"}),
        ("Neurologen har afskrevet epilepsi.", {"negation_strong", "negation"}),
        ("SB spurgte ind til selvmordstanker.", {"hypothetical", "considered"}),
        ("Han blev som 14-årig sigtet for butikstyveri.", {"past"}),
    ],
)
def test_cues(detector: ContextDetector, text: str, expected: set[str]) -> None:
    assert flags(detector, text) == expected


def test_contrast_ends_negation_scope(detector: ContextDetector) -> None:
    # "men" starts the part a concept will match; the negation before it does not govern it.
    assert "negation_strong" not in flags(detector, "Ingen tegn på vold, men mor drikker dagligt.")
    assert "negation_strong" in flags(detector, "Mor drikker, men der er ingen tegn på vold.")


def test_contrast_ends_a_normal_finding(detector: ContextDetector) -> None:
    """The healthy part before 'men' does not make the clause a normal finding."""
    found = flags(detector, "Drengen er glad i skolen, men han sover meget dårligt om natten.")
    assert "normal" in found and "normal_finding" not in found
    assert "normal_finding" in flags(detector, "Han sover dårligt, men er glad i skolen.")


def test_plain_negation_is_weak_only(detector: ContextDetector) -> None:
    # Negating a verb can still describe a problem ("has not been in school").
    found = flags(detector, "Drengen har ikke været i skole i tre uger.")
    assert "negation" in found and "negation_strong" not in found


def test_subject_after_reporting_frame(detector: ContextDetector) -> None:
    assert {"subject_child", "person_parent", "person_child"} <= flags(
        detector, "Mor fortæller, at drengen ikke sover."
    )
    found = flags(detector, "Pigen siger, at mor drikker hver aften.")
    assert "subject_parent" in found and "subject_child" not in found
    assert "subject_sibling" in flags(detector, "Storebror har ADHD.")


def test_vector_matches_flag_names(detector: ContextDetector) -> None:
    vector = detector.detect("Ingen tegn på misbrug hos mor.").vector()
    assert len(vector) == len(FLAG_NAMES)
    assert vector[FLAG_NAMES.index("negation_strong")] == 1.0
