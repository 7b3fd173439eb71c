"""Notes, suggestions, decisions and confirmation: what is stored and what is refused."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from ffbcoder.catalogue.model import Catalogue
from ffbcoder.catalogue.store import resolve_catalogue
from ffbcoder.contract import CatalogueRef, Evidence, Result, Suggestion
from ffbcoder.storage import audit, notes, users
from ffbcoder.storage.audit import Actor
from ffbcoder.storage.database import Database
from ffbcoder.storage.errors import ConflictError, InvalidInputError
from ffbcoder.storage.models import Note
from ffbcoder.text.mask import mask_identifiers

RAW = "Drengen (010203-1234) har ikke været i skole i tre uger. Mor drikker dagligt."


@pytest.fixture(scope="module")
def catalogue() -> Catalogue:
    return resolve_catalogue(None)


def result_for(text: str, catalogue: Catalogue) -> Result:
    """Two suggestions with evidence into ``text``, as the suggester would return them."""
    first, second = text.split(". ")
    first += "."
    return Result(
        CatalogueRef(catalogue.info.id, catalogue.info.version),
        "test-model",
        [
            Suggestion("t-skolefravaer", "tilstand", "Skolefravær", 0.91, [Evidence(first, 0, len(first))]),
            Suggestion(
                "t-foraelder-misbrug",
                "tilstand",
                "Forælders misbrug",
                0.83,
                [Evidence(second, len(first) + 1, len(text))],
            ),
        ],
    )


@pytest.fixture
def actor(database: Database) -> Actor:
    with database.transaction() as session:
        return users.add_user(session, Actor(None, "cli"), "mette", "korrekt hest batteri", "caseworker").actor()


@pytest.fixture
def note_id(database: Database, actor: Actor, catalogue: Catalogue) -> int:
    masked = mask_identifiers(RAW)
    with database.transaction() as session:
        return notes.add_note(session, actor, masked, result_for(masked.text, catalogue), "sag 7", "n1").id


def test_a_note_is_stored_masked_with_its_suggestions(database: Database, note_id: int) -> None:
    with database.transaction() as session:
        note = notes.get_note(session, note_id)
        assert session.scalar(select(Note.text).where(Note.id == note_id)) == note.text
        events = audit.list_events(session, "note", note_id)
    assert "1234" not in note.text and len(note.text) == len(RAW) and note.masked_identifiers == 1
    assert (note.status, note.case_ref, note.note_ref, note.created_by) == ("to_review", "sag 7", "n1", "mette")
    assert note.model == "test-model" and note.catalogue.id == "ffb-bu-udkast"
    assert [s.code for s in note.suggestions] == ["t-skolefravaer", "t-foraelder-misbrug"]
    for s in note.suggestions:
        for e in s.evidence:
            assert note.text[e.start : e.end] == e.text
    assert note.undecided() == ["t-skolefravaer", "t-foraelder-misbrug"]
    [event] = events
    assert event.action == "note.create" and event.details["suggested"] == note.undecided()
    assert "Drengen" not in str(event.details)


def test_evidence_that_does_not_match_the_text_is_refused(
    database: Database, actor: Actor, catalogue: Catalogue
) -> None:
    masked = mask_identifiers(RAW)
    result = result_for(RAW, catalogue)  # offsets fine, but the evidence text still holds the CPR number
    with pytest.raises(InvalidInputError, match="does not match"), database.transaction() as session:
        notes.add_note(session, actor, masked, result)


def test_a_note_reference_is_stored_once_per_case(
    database: Database, actor: Actor, note_id: int, catalogue: Catalogue
) -> None:
    masked = mask_identifiers(RAW)
    with pytest.raises(ConflictError, match=f"stored already as note {note_id}"), database.transaction() as session:
        notes.add_note(session, actor, masked, result_for(masked.text, catalogue), "sag 7", "n1")
    with database.transaction() as session:
        other = notes.add_note(session, actor, masked, result_for(masked.text, catalogue), "sag 8", "n1")
    assert other.id != note_id


def test_a_failed_request_leaves_no_decision_and_no_event(
    database: Database, actor: Actor, note_id: int, catalogue: Catalogue
) -> None:
    with pytest.raises(RuntimeError), database.transaction() as session:
        notes.record_decision(session, actor, note_id, "t-skolefravaer", "accept", catalogue)
        raise RuntimeError("the request failed after the decision")
    with database.transaction() as session:
        assert notes.get_note(session, note_id).decisions == []
        assert [e.action for e in audit.list_events(session, "note", note_id)] == ["note.create"]


def test_decide_add_and_confirm(database: Database, actor: Actor, note_id: int, catalogue: Catalogue) -> None:
    with database.transaction() as session:
        notes.record_decision(session, actor, note_id, "t-skolefravaer", "accept", catalogue)
        notes.record_decision(session, actor, note_id, "t-foraelder-misbrug", "reject", catalogue, "far drikker")
    with database.transaction() as session:
        notes.record_decision(session, actor, note_id, "t-foraelder-misbrug", "accept", catalogue, "CPR 0102031234")
        note = notes.record_decision(session, actor, note_id, "i-familiebehandling", "add", catalogue)
        confirmed = notes.confirm_note(session, actor, note_id)
        events = [(e.action, e.details) for e in reversed(audit.list_events(session, "note", note_id))]
    added = note.decision("i-familiebehandling")
    assert added is not None and added.source == "added" and added.kind == "indsats"
    assert note.decision("t-foraelder-misbrug") is not None
    assert note.decision("t-foraelder-misbrug").comment == "CPR XXXXXXXXXX"  # type: ignore[union-attr]
    assert confirmed.status == "done" and confirmed.confirmed_by == "mette" and confirmed.confirmed_at is not None
    assert [a for a, _ in events] == [
        "note.create",
        "decision.accept",
        "decision.reject",
        "decision.accept",
        "decision.add",
        "note.confirm",
    ]
    change = events[3][1]
    assert change["previous"] == {"verdict": "rejected", "comment": "far drikker", "by": "mette"}
    assert events[-1][1] == {
        "accepted": ["t-skolefravaer", "t-foraelder-misbrug", "i-familiebehandling"],
        "rejected": [],
    }


def test_confirmation_needs_every_suggestion_decided_and_closes_the_note(
    database: Database, actor: Actor, note_id: int, catalogue: Catalogue
) -> None:
    with database.transaction() as session:
        notes.record_decision(session, actor, note_id, "t-skolefravaer", "accept", catalogue)
    with pytest.raises(ConflictError, match="without a decision: t-foraelder-misbrug"), database.transaction() as s:
        notes.confirm_note(s, actor, note_id)
    with database.transaction() as session:
        notes.record_decision(session, actor, note_id, "t-foraelder-misbrug", "reject", catalogue)
        notes.confirm_note(session, actor, note_id)
    with pytest.raises(ConflictError, match="confirmed"), database.transaction() as session:
        notes.record_decision(session, actor, note_id, "t-skolefravaer", "reject", catalogue)
    with pytest.raises(ConflictError, match="confirmed already"), database.transaction() as session:
        notes.confirm_note(session, actor, note_id)


@pytest.mark.parametrize(
    ("code", "action", "message"),
    [
        ("i-familiebehandling", "accept", "use 'add'"),
        ("t-skolefravaer", "add", "accept it instead"),
        ("x-unknown", "add", "unknown code"),
    ],
)
def test_bad_decisions_are_refused(
    database: Database, actor: Actor, note_id: int, catalogue: Catalogue, code: str, action: str, message: str
) -> None:
    with pytest.raises(InvalidInputError, match=message), database.transaction() as session:
        notes.record_decision(session, actor, note_id, code, action, catalogue)  # type: ignore[arg-type]


def test_queue_lists_by_status(database: Database, actor: Actor, note_id: int, catalogue: Catalogue) -> None:
    masked = mask_identifiers("Mor er psykisk syg. Pigen græder meget.")
    with database.transaction() as session:
        second = notes.add_note(session, actor, masked, result_for(masked.text, catalogue)).id
        notes.record_decision(session, actor, note_id, "t-skolefravaer", "accept", catalogue)
        notes.record_decision(session, actor, note_id, "t-foraelder-misbrug", "accept", catalogue)
        notes.confirm_note(session, actor, note_id)
    with database.transaction() as session:
        to_review = notes.list_notes(session, "to_review")
        done = notes.list_notes(session, "done")
        counts = notes.count_by_status(session)
        by_case = notes.list_notes(session, case_ref="sag 7")
    assert [n.id for n in to_review.items] == [second] and to_review.total == 1
    assert [(n.id, n.suggestions, n.decided) for n in done.items] == [(note_id, 2, 2)]
    assert counts == {"to_review": 1, "done": 1}
    assert [n.id for n in by_case.items] == [note_id]
    assert to_review.items[0].preview.startswith("Mor er psykisk syg.")
