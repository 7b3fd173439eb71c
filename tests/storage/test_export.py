"""Exports of confirmed codes: which rows, in which order, and the CSV/JSONL forms."""

from __future__ import annotations

import csv
import io
import json
from datetime import UTC, datetime, timedelta

import pytest

from ffbcoder.catalogue.model import Catalogue
from ffbcoder.catalogue.store import resolve_catalogue
from ffbcoder.storage import export, notes, users
from ffbcoder.storage.audit import Actor
from ffbcoder.storage.database import Database
from ffbcoder.text.mask import mask_identifiers
from tests.storage.test_notes import result_for


@pytest.fixture
def confirmed(database: Database) -> tuple[Catalogue, datetime]:
    """Note 1 confirmed (one accepted suggestion, one rejected, one added code with a comment),
    note 2 confirmed in another case, note 3 still to review. Returns the time in between."""
    catalogue = resolve_catalogue(None)
    with database.transaction() as session:
        actor = users.add_user(session, Actor(None, "cli"), "mette", "korrekt hest batteri", "caseworker").actor()
        ids = []
        for case in ("sag 1", "sag 2", "sag 1"):
            masked = mask_identifiers("Drengen pjækker. Mor drikker.")
            ids.append(notes.add_note(session, actor, masked, result_for(masked.text, catalogue), case).id)
        notes.record_decision(session, actor, ids[0], "t-skolefravaer", "accept", catalogue)
        notes.record_decision(session, actor, ids[0], "t-foraelder-misbrug", "reject", catalogue)
        notes.record_decision(session, actor, ids[0], "i-familiebehandling", "add", catalogue, "=HYPERLINK(x)")
        notes.confirm_note(session, actor, ids[0])
    between = datetime.now(UTC)
    with database.transaction() as session:
        notes.record_decision(session, actor, ids[1], "t-skolefravaer", "accept", catalogue)
        notes.record_decision(session, actor, ids[1], "t-foraelder-misbrug", "accept", catalogue)
        notes.confirm_note(session, actor, ids[1])
        notes.record_decision(session, actor, ids[2], "t-skolefravaer", "accept", catalogue)
    return catalogue, between


def rows(database: Database, **filters: object) -> list[tuple[int, str, str, str | None]]:
    with database.transaction() as session:
        return [
            (r.note_id, r.code, r.source, r.case_ref)
            for r in export.confirmed_codes(session, **filters)  # type: ignore[arg-type]
        ]


def test_only_accepted_codes_of_confirmed_notes(database: Database, confirmed: tuple[Catalogue, datetime]) -> None:
    assert rows(database) == [
        (1, "t-skolefravaer", "suggested", "sag 1"),
        (1, "i-familiebehandling", "added", "sag 1"),
        (2, "t-skolefravaer", "suggested", "sag 2"),
        (2, "t-foraelder-misbrug", "suggested", "sag 2"),
    ]


def test_time_range_and_case(database: Database, confirmed: tuple[Catalogue, datetime]) -> None:
    _, between = confirmed
    assert {r[0] for r in rows(database, since=between)} == {2}
    assert {r[0] for r in rows(database, until=between)} == {1}
    assert rows(database, since=between + timedelta(hours=1)) == []
    assert {r[0] for r in rows(database, case_ref="sag 1")} == {1}


def test_csv_and_jsonl(database: Database, confirmed: tuple[Catalogue, datetime]) -> None:
    with database.transaction() as session:
        text = "".join(export.csv_lines(export.confirmed_codes(session)))
        lines = b"".join(export.jsonl_lines(export.confirmed_codes(session))).decode().splitlines()
    table = list(csv.DictReader(io.StringIO(text)))
    assert list(table[0]) == list(export.FIELDS)
    assert [r["code"] for r in table] == [json.loads(line)["code"] for line in lines]
    added = table[1]
    assert added["source"] == "added" and added["score"] == "" and added["comment"] == "'=HYPERLINK(x)"
    first = json.loads(lines[0])
    assert first["score"] == 0.91 and first["confirmed_by"] == "mette" and first["model"] == "test-model"
    assert datetime.fromisoformat(first["confirmed_at"]).tzinfo is not None
