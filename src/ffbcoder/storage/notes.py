"""Notes with their suggestions and decisions: store, read, decide, confirm.

A note arrives masked (``text.mask.MaskedText``): the type says the masking happened before
anything is stored. Suggestions are kept as the suggester returned them (catalogue version,
model fingerprint, evidence offsets into the stored text) and never change. Decisions hold
the current verdict per code; every change also goes to the audit log with what it replaced.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Literal

import msgspec
from sqlalchemy import func, select
from sqlalchemy.orm import Session, selectinload

from ffbcoder.catalogue.model import Catalogue
from ffbcoder.contract import CatalogueRef, Evidence, Result
from ffbcoder.storage import audit
from ffbcoder.storage.audit import Actor
from ffbcoder.storage.errors import ConflictError, InvalidInputError, NotFoundError
from ffbcoder.storage.models import DecisionRow, Note, SuggestionRow, User, utcnow
from ffbcoder.text.mask import MaskedText, mask

Status = Literal["to_review", "done"]
Action = Literal["accept", "reject", "add"]
PREVIEW_CHARS = 160


class SuggestionRecord(msgspec.Struct, frozen=True):
    code: str
    kind: str
    label: str
    score: float
    evidence: list[Evidence]


class DecisionRecord(msgspec.Struct, frozen=True):
    code: str
    kind: str
    label: str
    verdict: Literal["accepted", "rejected"]
    source: Literal["suggested", "added"]
    comment: str | None
    decided_by: str
    decided_at: datetime


class NoteRecord(msgspec.Struct, frozen=True):
    id: int
    case_ref: str | None
    note_ref: str | None
    status: Status
    text: str
    masked_identifiers: int
    catalogue: CatalogueRef
    model: str
    created_at: datetime
    created_by: str
    confirmed_at: datetime | None
    confirmed_by: str | None
    suggestions: list[SuggestionRecord]
    decisions: list[DecisionRecord]

    def undecided(self) -> list[str]:
        decided = {d.code for d in self.decisions}
        return [s.code for s in self.suggestions if s.code not in decided]

    def decision(self, code: str) -> DecisionRecord | None:
        return next((d for d in self.decisions if d.code == code), None)


class NoteSummary(msgspec.Struct, frozen=True):
    id: int
    case_ref: str | None
    note_ref: str | None
    status: Status
    created_at: datetime
    created_by: str
    confirmed_at: datetime | None
    suggestions: int
    decided: int
    preview: str


class NotePage(msgspec.Struct, frozen=True):
    total: int
    items: list[NoteSummary]


def _optional_ref(value: str | None) -> str | None:
    value = (value or "").strip()
    return mask(value) if value else None


def _record(note: Note) -> NoteRecord:
    suggested = {s.code for s in note.suggestions}
    return NoteRecord(
        id=note.id,
        case_ref=note.case_ref,
        note_ref=note.note_ref,
        status=note.status,  # type: ignore[arg-type]
        text=note.text,
        masked_identifiers=note.masked_identifiers,
        catalogue=CatalogueRef(note.catalogue_id, note.catalogue_version),
        model=note.model,
        created_at=note.created_at,
        created_by=note.creator.username,
        confirmed_at=note.confirmed_at,
        confirmed_by=note.confirmer.username if note.confirmer else None,
        suggestions=[
            SuggestionRecord(s.code, s.kind, s.label, s.score, msgspec.convert(s.evidence, list[Evidence]))
            for s in note.suggestions
        ],
        decisions=[
            DecisionRecord(
                d.code,
                d.kind,
                d.label,
                d.verdict,  # type: ignore[arg-type]
                "suggested" if d.code in suggested else "added",
                d.comment,
                d.decider.username,
                d.decided_at,
            )
            for d in note.decisions
        ],
    )


def _load(session: Session, note_id: int, for_update: bool = False) -> Note:
    query = (
        select(Note)
        .where(Note.id == note_id)
        .options(
            selectinload(Note.suggestions),
            selectinload(Note.decisions).selectinload(DecisionRow.decider),
            selectinload(Note.creator),
            selectinload(Note.confirmer),
        )
    )
    if for_update:
        # Two reviewers deciding on one note at once queue up here (PostgreSQL; SQLite locks the file).
        query = query.with_for_update(of=Note)
    note = session.scalar(query)
    if note is None:
        raise NotFoundError(f"no note {note_id}")
    return note


def add_note(
    session: Session,
    actor: Actor,
    masked: MaskedText,
    result: Result,
    case_ref: str | None = None,
    note_ref: str | None = None,
) -> NoteRecord:
    """Store a masked note and the suggestions computed on exactly that text."""
    if actor.id is None:
        raise InvalidInputError("notes are submitted by a user")
    case_ref, note_ref = _optional_ref(case_ref), _optional_ref(note_ref)
    if note_ref is not None:
        existing = session.scalar(select(Note.id).where(Note.case_ref == case_ref, Note.note_ref == note_ref))
        if existing is not None:
            raise ConflictError(f"note reference {note_ref!r} of this case is stored already as note {existing}")
    for s in result.suggestions:
        for e in s.evidence:
            if masked.text[e.start : e.end] != e.text:
                raise InvalidInputError(f"evidence of {s.code} does not match the note at {e.start}:{e.end}")
    note = Note(
        case_ref=case_ref,
        note_ref=note_ref,
        text=masked.text,
        masked_identifiers=len(masked.spans),
        status="to_review",
        catalogue_id=result.catalogue.id,
        catalogue_version=result.catalogue.version,
        model=result.model,
        created_at=utcnow(),
        created_by=actor.id,
        suggestions=[
            SuggestionRow(
                rank=rank,
                code=s.code,
                kind=s.kind,
                label=s.label,
                score=s.score,
                evidence=msgspec.to_builtins(s.evidence),
            )
            for rank, s in enumerate(result.suggestions)
        ],
    )
    session.add(note)
    session.flush()
    audit.record(
        session,
        actor,
        "note.create",
        "note",
        note.id,
        case_ref=case_ref,
        note_ref=note_ref,
        chars=len(masked.text),
        masked_identifiers=len(masked.spans),
        suggested=result.codes(),
        catalogue=f"{result.catalogue.id} {result.catalogue.version}",
        model=result.model,
    )
    return get_note(session, note.id)


def get_note(session: Session, note_id: int) -> NoteRecord:
    return _record(_load(session, note_id))


def list_notes(
    session: Session,
    status: Status | None = None,
    case_ref: str | None = None,
    limit: int = 50,
    offset: int = 0,
) -> NotePage:
    """Notes to review oldest first (a queue); done notes newest confirmed first."""
    where = []
    if status is not None:
        where.append(Note.status == status)
    if case_ref is not None:
        where.append(Note.case_ref == case_ref)
    total = session.scalar(select(func.count(Note.id)).where(*where)) or 0
    order = [Note.confirmed_at.desc(), Note.id.desc()] if status == "done" else [Note.id.asc()]
    n_suggestions = select(func.count(SuggestionRow.id)).where(SuggestionRow.note_id == Note.id).scalar_subquery()
    n_decided = select(func.count(DecisionRow.id)).where(DecisionRow.note_id == Note.id).scalar_subquery()
    rows = session.execute(
        select(Note, User.username, n_suggestions, n_decided)
        .join(User, User.id == Note.created_by)
        .where(*where)
        .order_by(*order)
        .limit(limit)
        .offset(offset)
    )
    items = [
        NoteSummary(
            id=note.id,
            case_ref=note.case_ref,
            note_ref=note.note_ref,
            status=note.status,
            created_at=note.created_at,
            created_by=username,
            confirmed_at=note.confirmed_at,
            suggestions=suggestions,
            decided=decided,
            preview=" ".join(note.text[: PREVIEW_CHARS * 2].split())[:PREVIEW_CHARS],
        )
        for note, username, suggestions, decided in rows
    ]
    return NotePage(total=total, items=items)


def count_by_status(session: Session) -> dict[str, int]:
    rows = session.execute(select(Note.status, func.count(Note.id)).group_by(Note.status))
    counts = {"to_review": 0, "done": 0}
    counts.update({status: n for status, n in rows})
    return counts


def record_decision(
    session: Session,
    actor: Actor,
    note_id: int,
    code: str,
    action: Action,
    catalogue: Catalogue,
    comment: str | None = None,
) -> NoteRecord:
    """Accept or reject a suggested (or earlier added) code, or add a code the suggester missed."""
    if actor.id is None:
        raise InvalidInputError("decisions are made by a user")
    note = _load(session, note_id, for_update=True)
    if note.status == "done":
        raise ConflictError(f"note {note_id} is confirmed; its decisions are closed")
    suggestion = next((s for s in note.suggestions if s.code == code), None)
    current = next((d for d in note.decisions if d.code == code), None)
    if action == "add":
        if suggestion is not None:
            raise InvalidInputError(f"{code} is suggested for note {note_id} already: accept it instead of adding it")
        if note.catalogue_id != catalogue.info.id:
            raise ConflictError(
                f"note {note_id} was coded with catalogue {note.catalogue_id}, the service runs {catalogue.info.id}"
            )
        if code not in catalogue:
            raise InvalidInputError(f"unknown code {code!r}: not in catalogue {catalogue.info.id!r}")
        concept = catalogue.get(code)
        kind, label = concept.kind.value, concept.label
    elif suggestion is not None:
        kind, label = suggestion.kind, suggestion.label
    elif current is not None:  # a code added earlier may be rejected (taken back) or accepted again
        kind, label = current.kind, current.label
    else:
        raise InvalidInputError(f"{code} is not suggested for note {note_id}: use 'add' for a missing code")
    verdict = "rejected" if action == "reject" else "accepted"
    comment = _optional_ref(comment)
    previous = None
    if current is None:
        note.decisions.append(
            DecisionRow(
                code=code,
                kind=kind,
                label=label,
                verdict=verdict,
                comment=comment,
                decided_by=actor.id,
                decided_at=utcnow(),
            )
        )
    else:
        previous = {"verdict": current.verdict, "comment": current.comment, "by": current.decider.username}
        current.verdict, current.comment, current.decided_by, current.decided_at = verdict, comment, actor.id, utcnow()
    audit.record(
        session,
        actor,
        f"decision.{action}",
        "note",
        note_id,
        code=code,
        verdict=verdict,
        comment=comment,
        previous=previous,
    )
    session.flush()
    session.expire(note)
    return get_note(session, note_id)


def confirm_note(session: Session, actor: Actor, note_id: int) -> NoteRecord:
    """Close a note: every suggestion must have a verdict first."""
    if actor.id is None:
        raise InvalidInputError("notes are confirmed by a user")
    note = _load(session, note_id, for_update=True)
    if note.status == "done":
        raise ConflictError(f"note {note_id} is confirmed already")
    record = _record(note)
    open_codes = record.undecided()
    if open_codes:
        raise ConflictError(f"note {note_id} has suggestions without a decision: {', '.join(open_codes)}")
    note.status, note.confirmed_at, note.confirmed_by = "done", utcnow(), actor.id
    audit.record(
        session,
        actor,
        "note.confirm",
        "note",
        note_id,
        accepted=_codes(record.decisions, "accepted"),
        rejected=_codes(record.decisions, "rejected"),
    )
    session.flush()
    session.expire(note)
    return get_note(session, note_id)


def _codes(decisions: Sequence[DecisionRecord], verdict: str) -> list[str]:
    return [d.code for d in decisions if d.verdict == verdict]


def note_texts(session: Session, after_id: int = 0, limit: int = 500) -> list[tuple[int, str]]:
    """A page of (id, masked text) in id order, from the first note after ``after_id``: lets a
    long reader (a coverage run) walk every note without holding one transaction open."""
    rows = session.execute(select(Note.id, Note.text).where(Note.id > after_id).order_by(Note.id).limit(limit))
    return [(note_id, text) for note_id, text in rows]
