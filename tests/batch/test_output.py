from __future__ import annotations

import json
from pathlib import Path

import pyarrow.parquet as pq
import pytest

from ffbcoder.batch.output import ChunkOutput, FileSink, default_errors_path, output_format, read_output
from ffbcoder.batch.readers import BadRow
from ffbcoder.contract import CatalogueRef, Evidence, NoteResult, Suggestion

REF = CatalogueRef("ffb-bu-udkast", "0.1.0")


def record(note_id: str, codes: list[str]) -> NoteResult:
    suggestions = [
        Suggestion(code, "tilstand", f"label {code}", 0.5, [Evidence("Mor drikker.", 0, 12)]) for code in codes
    ]
    return NoteResult(note_id, REF, "m", suggestions)


def chunks() -> list[ChunkOutput]:
    return [
        ChunkOutput(0, [record("a", ["t-x"]), record("b", [])], [BadRow(2, None, "missing id (column 'id')")]),
        ChunkOutput(1, [], [BadRow(3, "d", "empty text")]),
        ChunkOutput(2, [record("e", ["t-x", "t-y"])], []),
    ]


@pytest.mark.parametrize("suffix", [".jsonl", ".parquet"])
def test_parts_merge_in_order_into_the_contract(tmp_path: Path, suffix: str) -> None:
    out = tmp_path / f"out{suffix}"
    sink = FileSink(out, default_errors_path(out), tmp_path / "parts")
    for chunk in reversed(chunks()):  # order of arrival does not matter
        sink.write_chunk(chunk)
    sink.write_chunk(chunks()[0])  # a chunk delivered again after a crash replaces itself
    assert not out.exists(), "nothing at the output path before finish"
    sink.finish(3)
    records = read_output(out)
    assert [r.id for r in records] == ["a", "b", "e"]
    assert records[2].suggestions[1].code == "t-y"
    assert records[0].suggestions[0].evidence == [Evidence("Mor drikker.", 0, 12)]
    errors = [json.loads(line) for line in (tmp_path / "out.errors.jsonl").read_text().splitlines()]
    assert errors == [
        {"position": 2, "id": None, "reason": "missing id (column 'id')"},
        {"position": 3, "id": "d", "reason": "empty text"},
    ]
    assert [p.name for p in tmp_path.iterdir() if p.name.startswith(".")] == [], "no temporary files left"


def test_parquet_rows_have_the_json_shape(tmp_path: Path) -> None:
    out = tmp_path / "out.parquet"
    sink = FileSink(out, tmp_path / "errors.jsonl", tmp_path / "parts")
    for chunk in chunks():
        sink.write_chunk(chunk)
    sink.finish(3)
    rows = pq.read_table(out).to_pylist()
    assert set(rows[0]) == {"id", "catalogue", "model", "suggestions"}
    assert rows[0]["catalogue"] == {"id": "ffb-bu-udkast", "version": "0.1.0"}
    assert rows[1]["suggestions"] == []


def test_finish_refuses_missing_parts(tmp_path: Path) -> None:
    out = tmp_path / "out.jsonl"
    sink = FileSink(out, tmp_path / "e.jsonl", tmp_path / "parts")
    sink.write_chunk(chunks()[0])
    with pytest.raises(RuntimeError, match="missing"):
        sink.finish(2)
    assert not out.exists()


def test_output_format_from_suffix() -> None:
    assert output_format(Path("x.jsonl")) == "jsonl"
    assert output_format(Path("x.PARQUET")) == "parquet"
    with pytest.raises(ValueError, match=r"\.jsonl or \.parquet"):
        output_format(Path("x.csv"))
    assert default_errors_path(Path("/d/run.parquet")) == Path("/d/run.errors.jsonl")
