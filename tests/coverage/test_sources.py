from __future__ import annotations

import json
from pathlib import Path

import pytest

from ffbcoder.batch.readers import BadRow, InputError
from ffbcoder.contract import CatalogueRef, Evidence, Result, Suggestion, result_to_dict
from ffbcoder.coverage.sources import ResultRow, detect_source_kind, read_results

RESULT = Result(
    CatalogueRef("ffb-bu-udkast", "0.1.0"),
    "m",
    [Suggestion("t-skolefravaer", "tilstand", "Skolefravær", 0.9, [Evidence("pjækker", 7, 14)])],
)


def test_detects_back_coding_output_and_note_files(tmp_path: Path) -> None:
    results = tmp_path / "out.jsonl"
    results.write_text(json.dumps({"id": "n1", **result_to_dict(RESULT)}) + "\n", encoding="utf-8")
    notes = tmp_path / "notes.jsonl"
    notes.write_text(json.dumps({"id": "n1", "text": "Drengen pjækker."}) + "\n", encoding="utf-8")
    csv = tmp_path / "notes.csv"
    csv.write_text("id,text\nn1,Drengen pjækker.\n", encoding="utf-8")
    assert detect_source_kind(results) == "results"
    assert detect_source_kind(notes) == "notes"
    assert detect_source_kind(csv) == "notes"
    with pytest.raises(InputError, match="no such file"):
        detect_source_kind(tmp_path / "missing.jsonl")


def test_reads_records_and_names_bad_ones(tmp_path: Path) -> None:
    path = tmp_path / "out.jsonl"
    good = {"id": "n1", **result_to_dict(RESULT)}
    lines = [
        json.dumps(good),
        "",
        "{broken",
        json.dumps({"id": "n3", "suggestions": "nope"}),
        json.dumps({**good, "id": 4}),
        json.dumps({k: v for k, v in good.items() if k != "id"}),
    ]
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    rows = list(read_results(path))
    assert [type(r) for r in rows] == [ResultRow, BadRow, BadRow, ResultRow, BadRow]
    assert isinstance(rows[0], ResultRow) and rows[0].result == RESULT and rows[0].id == "n1"
    assert isinstance(rows[3], ResultRow) and rows[3].id == "4"
    assert [r.position for r in rows] == [0, 1, 2, 3, 4]
    assert isinstance(rows[2], BadRow) and rows[2].id == "n3" and "not a suggestion record" in rows[2].reason
    assert isinstance(rows[4], BadRow) and "id" in rows[4].reason
