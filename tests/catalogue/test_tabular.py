from __future__ import annotations

from pathlib import Path

import pytest

from ffbcoder.catalogue.model import CatalogueInfo, ConceptKind
from ffbcoder.catalogue.tabular import read_tabular, write_tabular
from ffbcoder.catalogue.validate import CatalogueError
from tests.conftest import DRAFT_TSV

INFO = CatalogueInfo(id="test", version="1")


def test_reads_shared_draft_layout() -> None:
    cat = read_tabular(DRAFT_TSV, INFO)
    assert len(cat) == 92
    concept = cat.get("t-skolefravaer")
    assert concept.kind is ConceptKind.TILSTAND
    assert concept.path == ("Barnets udvikling", "Skole og dagtilbud")
    assert concept.description.startswith("Højt fravær")
    assert cat.get("i-aflastning").legal_ref == "Barnets lov § 32, stk. 1, nr. 7"


@pytest.mark.parametrize("suffix", [".tsv", ".csv"])
def test_roundtrip(tmp_path: Path, suffix: str) -> None:
    cat = read_tabular(DRAFT_TSV, INFO)
    path = tmp_path / f"out{suffix}"
    write_tabular(cat, path)
    assert read_tabular(path, INFO) == cat


def test_row_with_wrong_column_count(tmp_path: Path) -> None:
    path = tmp_path / "bad.tsv"
    path.write_text("id\tkind\tlabel\nt-a\ttilstand\tA\nt-b\ttilstand\n", encoding="utf-8")
    with pytest.raises(CatalogueError) as err:
        read_tabular(path, INFO)
    assert err.value.problems[0].where == "row 3"


def test_missing_header_column(tmp_path: Path) -> None:
    path = tmp_path / "bad.csv"
    path.write_text("id,label\nt-a,A\n", encoding="utf-8")
    with pytest.raises(CatalogueError) as err:
        read_tabular(path, INFO)
    assert [(p.where, p.field) for p in err.value.problems] == [("row 1", "kind")]


def test_duplicate_and_unknown_parent_rows(tmp_path: Path) -> None:
    path = tmp_path / "bad.csv"
    path.write_text("id,kind,label,parent\nt-a,tilstand,A,\nt-a,tilstand,B,\nt-c,tilstand,C,t-x\n", encoding="utf-8")
    with pytest.raises(CatalogueError) as err:
        read_tabular(path, INFO)
    assert {(p.where, p.field) for p in err.value.problems} == {("row 3", "id"), ("row 4", "parent")}


def test_latin1_file_rejected_with_line(tmp_path: Path) -> None:
    path = tmp_path / "latin1.tsv"
    path.write_bytes("id\tkind\tlabel\nt-a\ttilstand\tSkolefravær\n".encode("latin-1"))
    with pytest.raises(CatalogueError, match="not valid UTF-8") as err:
        read_tabular(path, INFO)
    assert err.value.problems[0].where == "line 2"
