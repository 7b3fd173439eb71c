from __future__ import annotations

from pathlib import Path

import pytest

from ffbcoder.catalogue.model import CatalogueInfo, ConceptKind, UnknownCodeError
from ffbcoder.catalogue.store import catalogue_from_dict, load_catalogue, save_catalogue
from ffbcoder.catalogue.validate import CatalogueError, build_catalogue

INFO = CatalogueInfo(id="test", version="1")


def concept(**values: object) -> dict[str, object]:
    base: dict[str, object] = {"id": "t-a", "kind": "tilstand", "label": "A"}
    base.update(values)
    return base


def build(*records: dict[str, object]):  # type: ignore[no-untyped-def]
    return build_catalogue(INFO, [(f"row {i}", r) for i, r in enumerate(records, 2)], "test")


def test_valid_catalogue_keeps_order_and_fields() -> None:
    cat = build(concept(synonyms=["x", " y "], path=["G"]), concept(id="i-b", kind="INDSATS", label="B"))
    assert cat.ids() == ["t-a", "i-b"]
    assert cat.get("t-a").synonyms == ("x", "y")
    assert cat.get("i-b").kind is ConceptKind.INDSATS


def test_duplicate_id_names_both_rows() -> None:
    with pytest.raises(CatalogueError) as err:
        build(concept(), concept(label="Other"))
    problem = err.value.problems[0]
    assert (problem.where, problem.field) == ("row 3", "id")
    assert "row 2" in problem.message


@pytest.mark.parametrize("field", ["id", "kind", "label"])
def test_missing_required_field_is_named(field: str) -> None:
    with pytest.raises(CatalogueError) as err:
        build(concept(**{field: ""}))
    assert [(p.where, p.field) for p in err.value.problems] == [("row 2", field)]


def test_unknown_kind_and_parent_and_cycle() -> None:
    with pytest.raises(CatalogueError) as err:
        build(
            concept(kind="intervention"),
            concept(id="t-b", parent="t-missing"),
            concept(id="t-c", parent="t-d"),
            concept(id="t-d", parent="t-c"),
        )
    messages = {(p.where, p.field): p.message for p in err.value.problems}
    assert "neither" in messages[("row 2", "kind")]
    assert "unknown parent" in messages[("row 3", "parent")]
    assert "loops back" in messages[("row 4", "parent")]


def test_id_with_spaces_rejected() -> None:
    with pytest.raises(CatalogueError, match="without spaces"):
        build(concept(id="t a"))


def test_bad_encoding_names_the_line(tmp_path: Path) -> None:
    path = tmp_path / "cat.json"
    path.write_bytes(b'{"id": "x",\n "version": "1",\n "concepts": [{"label": "B\xf8rn"}]}')
    with pytest.raises(CatalogueError) as err:
        load_catalogue(path)
    assert err.value.problems[0].where == "line 3"
    assert err.value.problems[0].field == "encoding"


def test_json_roundtrip_and_hash(tmp_path: Path) -> None:
    cat = build(concept(examples=["pjækker"]), concept(id="i-b", kind="indsats", label="B"))
    path = tmp_path / "cat.json"
    save_catalogue(cat, path)
    again = load_catalogue(path)
    assert again == cat
    assert again.content_hash() == cat.content_hash()
    changed = build(concept(examples=["pjækker", "hjemmesidder"]), concept(id="i-b", kind="indsats", label="B"))
    assert changed.content_hash() != cat.content_hash()


def test_unknown_code_lookup() -> None:
    cat = build(concept())
    with pytest.raises(UnknownCodeError, match="t-nope"):
        cat.get("t-nope")
    with pytest.raises(UnknownCodeError):
        cat.check_codes(["t-a", "t-nope"])


def test_json_structure_errors() -> None:
    with pytest.raises(CatalogueError, match="expected a list"):
        catalogue_from_dict({"id": "x", "version": "1", "concepts": "nope"}, "mem")
    with pytest.raises(CatalogueError, match="unsupported format"):
        catalogue_from_dict({"format": "other/2", "id": "x", "version": "1", "concepts": []}, "mem")
