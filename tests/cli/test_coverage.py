"""`ffbcoder coverage` as a user runs it: note files, back-coding output, the review database, errors."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from ffbcoder.contract import result_to_dict
from ffbcoder.storage import notes, users
from ffbcoder.storage.audit import Actor
from ffbcoder.storage.database import Database
from ffbcoder.text.mask import mask_identifiers
from tests.cli.conftest import run

pytestmark = pytest.mark.model
NOTES = [
    ("n1", "Drengen har ikke været i skole de sidste tre uger, og mor drikker dagligt."),
    ("n2", "Freja er glad for at synge og for rim og remser."),
    ("n3", ""),
    ("n4", "Med venlig hilsen"),
    ("n5", "Liam er en glad dreng, der elsker at synge sange."),
    ("n6", "Mor fortæller, at Freja synger hele dagen og er glad."),
]


def test_note_file_report_and_json(env: None, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    notes = tmp_path / "notes.csv"
    notes.write_text("id,text\n" + "".join(f'{i},"{t}"\n' for i, t in NOTES), encoding="utf-8")
    review = tmp_path / "review.json"
    review.write_text(json.dumps({"codes": {"t-skolefravaer": {"accepted": 1}}}), encoding="utf-8")
    code, out, err = run(
        capsys, "coverage", str(notes), "--report", str(tmp_path / "rep"), "--json", str(tmp_path / "c.json"),
        "--review-stats", str(review), "-q",
    )  # fmt: skip
    assert code == 0, err
    assert "5 notes (1 rows skipped)" in out and "skipped row 2 (id n3): empty text" in out
    html = (tmp_path / "rep" / "coverage.html").read_text(encoding="utf-8")
    assert "<h2>Candidate gaps</h2>" in html and "Freja" not in html  # names never reach the report
    data = json.loads((tmp_path / "c.json").read_text(encoding="utf-8"))
    assert data["notes"] == 5 and data["source"]["kind"] == "notes"
    usage = {row["code"]: row for row in data["usage"]["concepts"]}
    assert usage["t-skolefravaer"]["suggested"] >= 1 and usage["t-skolefravaer"]["accepted"] == 1
    counts = data["uncovered"]["segments"]
    assert counts["trivial_greeting"] == 1 and counts["uncovered"] >= 3
    assert "Freja" not in json.dumps(data, ensure_ascii=False)


def test_back_coding_output(env: None, tmp_path: Path, suggester, capsys: pytest.CaptureFixture[str]) -> None:  # type: ignore[no-untyped-def]
    results = tmp_path / "backcode.jsonl"
    lines = [json.dumps({"id": i, **result_to_dict(suggester.suggest(t))}, ensure_ascii=False) for i, t in NOTES if t]
    results.write_text("\n".join([*lines, "{broken"]) + "\n", encoding="utf-8")
    code, out, err = run(capsys, "coverage", str(results), "--report", str(tmp_path / "rep"), "-q")
    assert code == 0, err
    data = json.loads((tmp_path / "rep" / "coverage.json").read_text(encoding="utf-8"))
    assert data["source"]["kind"] == "results" and data["notes"] == 5
    assert data["uncovered"] == {"segments": {}, "gaps": []}
    suggested = {row["code"]: row["suggested"] for row in data["usage"]["concepts"]}
    first = suggester.suggest(NOTES[0][1]).codes()
    assert first and all(suggested[c] >= 1 for c in first)
    assert len(data["bad_rows"]) == 1 and "uncovered" not in out


@pytest.mark.parametrize(
    ("setup", "message"),
    [
        ("missing", "no such file"),
        ("column", "no column 'text'"),
        ("review", "not a JSON file"),
    ],
)
def test_user_errors(env: None, tmp_path: Path, capsys: pytest.CaptureFixture[str], setup: str, message: str) -> None:
    notes = tmp_path / "notes.csv"
    notes.write_text("id,body\nn1,Mor drikker.\n" if setup == "column" else "id,text\nn1,Mor drikker.\n")
    review = tmp_path / "review.json"
    review.write_text("{nope")
    args = [str(tmp_path / "absent.csv") if setup == "missing" else str(notes), "--report", str(tmp_path / "r")]
    if setup == "review":
        args += ["--review-stats", str(review)]
    code, _, err = run(capsys, "coverage", *args, "-q")
    assert code == 2 and message in err and "Traceback" not in err


def test_review_database(  # type: ignore[no-untyped-def]
    env: None, tmp_path: Path, suggester, database: Database, database_url: str, capsys: pytest.CaptureFixture[str]
) -> None:
    with database.transaction() as session:
        actor = users.add_user(session, Actor(None, "test"), "mette", "korrekt hest batteri", "caseworker").actor()
        for _, text in NOTES:
            if text:
                masked = mask_identifiers(text)
                notes.add_note(session, actor, masked, suggester.suggest(masked.text))
        notes.record_decision(session, actor, 1, "t-angst", "add", suggester.catalogue)
    args = ["coverage", "--review-db", "--database-url", database_url, "--report", str(tmp_path / "rep"), "-q"]
    code, out, err = run(capsys, *args)
    assert code == 0, err
    assert "5 notes (0 rows skipped)" in out
    data = json.loads((tmp_path / "rep" / "coverage.json").read_text(encoding="utf-8"))
    assert data["source"]["path"] == "review database" and data["usage"]["review_source"] == "review database"
    added = {row["code"]: row["added"] for row in data["usage"]["concepts"]}
    assert added["t-angst"] == 1 and added["t-skolefravaer"] == 0
    both = run(capsys, "coverage", "notes.csv", "--review-db", "--report", str(tmp_path / "r2"))
    assert both[0] == 2 and "either INPUT" in both[2]
    file_option = run(capsys, "coverage", "--review-db", "--text-column", "body", "--report", str(tmp_path / "r2"))
    assert file_option[0] == 2 and "--text-column apply to files only" in file_option[2]
    unmigrated = f"sqlite:///{tmp_path / 'empty.sqlite3'}"
    empty = run(capsys, "coverage", "--review-db", "--database-url", unmigrated, "--report", str(tmp_path / "r3"))
    assert empty[0] == 2 and "Traceback" not in empty[2] and "ffbcoder db upgrade" in empty[2]
