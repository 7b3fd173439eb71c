"""`ffbcoder suggest` as a user runs it: the JSON contract, input paths and error messages."""

from __future__ import annotations

import io
import json
from pathlib import Path

import pytest

from tests.cli.conftest import run

EXAMPLE = "Drengen har ikke været i skole de sidste tre uger, og mor drikker dagligt."


@pytest.mark.model
def test_suggest_json_contract(env: None, capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = run(capsys, "suggest", EXAMPLE, "--json")
    assert code == 0
    doc = json.loads(out)
    assert set(doc) == {"catalogue", "model", "suggestions"}
    assert set(doc["catalogue"]) == {"id", "version"}
    assert doc["suggestions"], "the example note has suggestions"
    for s in doc["suggestions"]:
        assert set(s) == {"code", "kind", "label", "score", "evidence"}
        assert s["kind"] in ("tilstand", "indsats")
        for e in s["evidence"]:
            assert set(e) == {"text", "start", "end"}
            assert EXAMPLE[e["start"] : e["end"]] == e["text"]
    assert {s["code"] for s in doc["suggestions"][:2]} == {"t-skolefravaer", "t-foraelder-misbrug"}


@pytest.mark.model
def test_suggest_from_file_stdin_and_table(
    env: None, capsys: pytest.CaptureFixture[str], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    note = tmp_path / "note.txt"
    note.write_text(EXAMPLE, encoding="utf-8")
    code, out, _ = run(capsys, "suggest", "--file", str(note), "--json")
    from_file = json.loads(out)
    monkeypatch.setattr("sys.stdin", io.StringIO(EXAMPLE))
    code2, out2, _ = run(capsys, "suggest", "--json")
    assert code == code2 == 0
    assert json.loads(out2) == from_file
    code3, out3, _ = run(capsys, "suggest", EXAMPLE)
    assert code3 == 0 and "t-skolefravaer" in out3 and "Tilstande" in out3


def test_suggest_bad_input(env: None, capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    code, _, err = run(capsys, "suggest", "   ")
    assert code == 2 and "empty" in err
    code, _, err = run(capsys, "suggest", "--file", str(tmp_path / "missing.txt"))
    assert code == 2 and "cannot read" in err
    latin = tmp_path / "latin1.txt"
    latin.write_bytes("Mor drikker, og drengen pjækker fra skolen i Ærø.".encode("latin-1"))
    code, _, err = run(capsys, "suggest", "--file", str(latin))
    assert code == 2 and "not UTF-8" in err
    code, _, err = run(capsys, "suggest", "tekst", "--file", str(latin))
    assert code == 2 and "not both" in err
