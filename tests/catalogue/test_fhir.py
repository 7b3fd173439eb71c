"""FHIR import against KL's published code systems (the shared copies, not committed)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from ffbcoder.catalogue.fhir import import_fhir
from ffbcoder.catalogue.model import ConceptKind
from ffbcoder.catalogue.validate import CatalogueError
from tests.conftest import KL_TERM

FFB = KL_TERM / "CodeSystem-FFB.json"


def count_below(nodes: list[dict[str, object]]) -> int:
    return sum(1 + count_below(n.get("concept", [])) for n in nodes)  # type: ignore[arg-type]


def branch(path: Path, display: str, key: str = "display") -> dict[str, object]:
    def find(nodes: list[dict[str, object]]) -> dict[str, object] | None:
        for n in nodes:
            if n[key] == display:
                return n
            hit = find(n.get("concept", []))  # type: ignore[arg-type]
            if hit:
                return hit
        return None

    found = find(json.loads(path.read_text(encoding="utf-8"))["concept"])
    assert found is not None
    return found


def test_ffb_branches_keep_codes_kinds_and_hierarchy() -> None:
    cat = import_fhir(FFB, ["FFB tilstande"], ["Social indsats"])
    tilstande = branch(FFB, "FFB tilstande")
    indsatser = branch(FFB, "Social indsats")
    assert len(cat.of_kind(ConceptKind.TILSTAND)) == count_below(tilstande["concept"])  # type: ignore[arg-type]
    assert len(cat.of_kind(ConceptKind.INDSATS)) == count_below(indsatser["concept"])  # type: ignore[arg-type]
    assert cat.info.id == "FFB" and cat.info.version == "20240530"
    # "Opmærksomhed og koncentrationsevne" sits under Mentale funktioner < Funktioner og forhold.
    leaf = next(c for c in cat if c.label == "Opmærksomhed og koncentrationsevne")
    parent = cat.get(leaf.parent or "")
    assert parent.label == "Mentale funktioner"
    assert cat.get(parent.parent or "").label == "Funktioner og forhold"
    assert leaf.path == ("FFB tilstande", "Funktioner og forhold", "Mentale funktioner")
    assert leaf.description.startswith("Opmærksomhed og koncentrationsevne er")
    assert leaf.source.startswith("urn:oid:1.2.208.176.2.22")


def test_branch_by_code_and_with_root() -> None:
    code = str(branch(FFB, "Social indsats")["code"])
    cat = import_fhir(FFB, [], [code], include_branch_roots=True)
    assert cat.concepts[0].id == code and cat.concepts[0].parent is None
    assert all(c.kind is ConceptKind.INDSATS for c in cat)


@pytest.mark.parametrize("name", ["CodeSystem-FSIII.json", "CodeSystem-FBOE.json", "CodeSystem-LTT.json"])
def test_other_kl_code_systems_import(name: str) -> None:
    path = KL_TERM / name
    tops = [str(n["code"]) for n in json.loads(path.read_text(encoding="utf-8"))["concept"] if n.get("concept")]
    cat = import_fhir(path, [tops[0]], tops[1:2])
    expected = sum(count_below(branch(path, code, "code")["concept"]) for code in tops[:2])  # type: ignore[arg-type]
    assert len(cat) == expected


def test_fsiii_designations_become_synonyms() -> None:
    path = KL_TERM / "CodeSystem-FSIII.json"
    data = json.loads(path.read_text(encoding="utf-8"))
    tops = [str(n["code"]) for n in data["concept"]]
    cat = import_fhir(path, tops, [], include_branch_roots=True)
    with_designation = [c for c in cat if c.synonyms]
    assert with_designation, "FSIII has concepts with designations"


def test_unknown_or_ambiguous_branch_is_an_error() -> None:
    with pytest.raises(CatalogueError, match="no branch with code or display"):
        import_fhir(FFB, ["Findes ikke"], [])
    with pytest.raises(CatalogueError, match="give the code instead"):
        import_fhir(KL_TERM / "CodeSystem-FSIII.json", ["Generelle oplysninger"], [])


def test_not_a_code_system(tmp_path: Path) -> None:
    path = tmp_path / "x.json"
    path.write_text('{"resourceType": "ValueSet"}', encoding="utf-8")
    with pytest.raises(CatalogueError, match="not a FHIR CodeSystem"):
        import_fhir(path, ["a"], [])


def test_concept_without_code_is_named(tmp_path: Path) -> None:
    path = tmp_path / "x.json"
    path.write_text(
        json.dumps(
            {"resourceType": "CodeSystem", "concept": [{"code": "a", "display": "A", "concept": [{"display": "B"}]}]}
        ),
        encoding="utf-8",
    )
    with pytest.raises(CatalogueError) as err:
        import_fhir(path, ["a"], [])
    assert err.value.problems[0].field == "code"
    assert "concept[0]" in err.value.problems[0].where
