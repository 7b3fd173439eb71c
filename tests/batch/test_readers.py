from __future__ import annotations

import json
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from ffbcoder.batch.readers import BadRow, InputError, NoteRow, ReaderConfig, count_rows, read_notes

ROWS = [
    {"nid": "a1", "body": "Mor drikker dagligt."},
    {"nid": "", "body": "Ingen id her."},
    {"nid": "a3", "body": "   "},
    {"nid": "a4", "body": "Drengen pjækker, og der er gæld til udlejer."},
]
CONFIG = ReaderConfig(id_column="nid", text_column="body", max_chars=40)


def expected_kinds() -> list[tuple[type, str | None]]:
    return [(NoteRow, "a1"), (BadRow, None), (BadRow, "a3"), (BadRow, "a4")]  # a4 is longer than 40 characters


def check(rows: list[NoteRow | BadRow]) -> None:
    assert [(type(r), r.id) for r in rows] == expected_kinds()
    assert [r.position for r in rows] == [0, 1, 2, 3]
    reasons = [r.reason for r in rows if isinstance(r, BadRow)]
    assert "missing id" in reasons[0] and "empty text" in reasons[1] and "limit is 40" in reasons[2]


def test_csv_and_tsv(tmp_path: Path) -> None:
    for name, sep in (("in.csv", ","), ("in.tsv", "\t")):
        path = tmp_path / name
        lines = [f"nid{sep}body"] + [f'{r["nid"]}{sep}"{r["body"]}"' for r in ROWS]
        path.write_text("\n".join(lines) + "\n", encoding="utf-8")
        check(list(read_notes(path, CONFIG)))
        assert count_rows(path, CONFIG) == 4


def test_jsonl_with_a_broken_line(tmp_path: Path) -> None:
    path = tmp_path / "in.jsonl"
    lines = [json.dumps(r, ensure_ascii=False) for r in ROWS] + ["{broken"]
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    rows = list(read_notes(path, CONFIG))
    check(rows[:4])
    assert isinstance(rows[4], BadRow) and "invalid JSON" in rows[4].reason


def test_parquet(tmp_path: Path) -> None:
    path = tmp_path / "in.parquet"
    pq.write_table(pa.table({"nid": [r["nid"] for r in ROWS], "body": [r["body"] for r in ROWS]}), path)
    check(list(read_notes(path, CONFIG)))
    assert count_rows(path, CONFIG) == 4


def test_bad_encoding_fails_the_row_not_the_run(tmp_path: Path) -> None:
    path = tmp_path / "in.csv"
    path.write_bytes("nid,body\nx1,Børn\n".encode() + "x2,Børn\n".encode("latin-1") + b"x3,ok\n")
    rows = list(read_notes(path, CONFIG))
    assert [type(r) for r in rows] == [NoteRow, BadRow, NoteRow]
    assert "encoding" in rows[1].reason  # type: ignore[union-attr]


def test_whole_input_errors(tmp_path: Path) -> None:
    with pytest.raises(InputError, match="no such file"):
        read_notes(tmp_path / "missing.csv")
    path = tmp_path / "in.csv"
    path.write_text("id,tekst\n1,x\n", encoding="utf-8")
    with pytest.raises(InputError, match="no column 'text'"):
        list(read_notes(path))
    with pytest.raises(InputError, match="cannot tell the format"):
        read_notes(tmp_path / "in.xlsx") if (tmp_path / "in.xlsx").write_text("x") else None
