"""Confirmed codes out of the database, as CSV or JSON Lines, streamed row by row.

One row per accepted code of a confirmed note, in the order the notes were confirmed. The
note text is not exported: the rows point at notes by id and the caller's own references.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterator
from datetime import datetime
from typing import Literal

import msgspec
from sqlalchemy import and_, select
from sqlalchemy.orm import Session, aliased

from ffbcoder.storage.models import DecisionRow, Note, SuggestionRow, User

ExportFormat = Literal["csv", "jsonl"]
MEDIA_TYPES: dict[ExportFormat, str] = {"csv": "text/csv; charset=utf-8", "jsonl": "application/x-ndjson"}
_BATCH = 500


class ExportRow(msgspec.Struct, frozen=True):
    note_id: int
    case_ref: str | None
    note_ref: str | None
    code: str
    kind: str
    label: str
    source: Literal["suggested", "added"]
    score: float | None
    comment: str | None
    decided_by: str
    confirmed_by: str
    confirmed_at: datetime
    catalogue_id: str
    catalogue_version: str
    model: str


FIELDS = tuple(ExportRow.__struct_fields__)


def confirmed_codes(
    session: Session,
    since: datetime | None = None,
    until: datetime | None = None,
    case_ref: str | None = None,
) -> Iterator[ExportRow]:
    """Accepted codes of notes confirmed in [since, until) and/or of one case."""
    decider, confirmer = aliased(User), aliased(User)
    query = (
        select(Note, DecisionRow, SuggestionRow.score, decider.username, confirmer.username)
        .join(DecisionRow, DecisionRow.note_id == Note.id)
        .outerjoin(SuggestionRow, and_(SuggestionRow.note_id == Note.id, SuggestionRow.code == DecisionRow.code))
        .join(decider, decider.id == DecisionRow.decided_by)
        .join(confirmer, confirmer.id == Note.confirmed_by)
        .where(Note.status == "done", DecisionRow.verdict == "accepted")
        .order_by(Note.confirmed_at, Note.id, DecisionRow.id)
        .execution_options(yield_per=_BATCH)
    )
    if since is not None:
        query = query.where(Note.confirmed_at >= since)
    if until is not None:
        query = query.where(Note.confirmed_at < until)
    if case_ref is not None:
        query = query.where(Note.case_ref == case_ref)
    for note, decision, score, decided_by, confirmed_by in session.execute(query):
        assert note.confirmed_at is not None  # status "done" implies it
        yield ExportRow(
            note_id=note.id,
            case_ref=note.case_ref,
            note_ref=note.note_ref,
            code=decision.code,
            kind=decision.kind,
            label=decision.label,
            source="added" if score is None else "suggested",
            score=score,
            comment=decision.comment,
            decided_by=decided_by,
            confirmed_by=confirmed_by,
            confirmed_at=note.confirmed_at,
            catalogue_id=note.catalogue_id,
            catalogue_version=note.catalogue_version,
            model=note.model,
        )


def _csv_cell(value: object) -> str:
    if value is None:
        return ""
    if isinstance(value, datetime):
        return value.isoformat()
    text = str(value)
    # A spreadsheet would run a free-text cell starting with these as a formula.
    return "'" + text if text[:1] in ("=", "+", "-", "@", "\t", "\r") else text


def csv_lines(rows: Iterator[ExportRow]) -> Iterator[str]:
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\r\n")
    writer.writerow(FIELDS)
    for row in rows:
        writer.writerow(_csv_cell(getattr(row, name)) for name in FIELDS)
        if buffer.tell() > 64_000:
            yield buffer.getvalue()
            buffer.seek(0)
            buffer.truncate()
    yield buffer.getvalue()


def jsonl_lines(rows: Iterator[ExportRow]) -> Iterator[bytes]:
    encoder = msgspec.json.Encoder()
    for row in rows:
        yield encoder.encode(row) + b"\n"
