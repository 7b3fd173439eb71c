"""Back-coded notes into the review database: every note once, masked, also after a crash."""

from __future__ import annotations

from pathlib import Path

import pytest

from ffbcoder.batch.output import FileSink, read_output
from ffbcoder.batch.review_sink import ReviewDatabaseSink
from ffbcoder.batch.run import run_local
from ffbcoder.storage.audit import Actor
from ffbcoder.storage.database import Database
from ffbcoder.storage.errors import NotFoundError
from ffbcoder.storage.notes import NoteRecord, get_note, list_notes
from ffbcoder.storage.users import add_user
from ffbcoder.suggest.suggester import Suggester
from tests.batch.test_run import CrashAfter, config, open_state, write_input

pytestmark = pytest.mark.model
OPERATOR = Actor(None, "test")


@pytest.fixture
def review_db(database: Database) -> Database:
    with database.transaction() as session:
        add_user(session, OPERATOR, "backcode", "et-langt-kodeord-42", "caseworker")
    return database


def stored(database: Database) -> list[NoteRecord]:
    with database.reading() as session:
        page = list_notes(session, status="to_review", limit=1000)
        return [get_note(session, item.id) for item in page.items]


def test_every_note_once_after_a_crash(
    tmp_path: Path, suggester: Suggester, review_db: Database, database_url: str
) -> None:
    source = tmp_path / "notes.jsonl"
    good, _ = write_input(source)
    text = source.read_text(encoding="utf-8")
    source.write_text(text.replace("Mor", "Mor (CPR 010203-1234)", 1), encoding="utf-8")
    cfg = config(tmp_path)
    state = open_state(cfg, suggester)
    with pytest.raises(KeyboardInterrupt):
        sinks = [ReviewDatabaseSink(database_url, "backcode"), FileSink(cfg.output, cfg.errors, state.parts_dir)]
        run_local(cfg, suggester, state, [CrashAfter(sinks[0], 2), sinks[1]])
    state.close()
    state = open_state(cfg, suggester)
    sink = ReviewDatabaseSink(database_url, "backcode")
    run_local(cfg, suggester, state, [sink, FileSink(cfg.output, cfg.errors, state.parts_dir)])
    state.close()
    notes = stored(review_db)
    assert sorted(n.note_ref or "" for n in notes) == sorted(good), "every coded note once in the review queue"
    by_ref = {r.id: r for r in read_output(cfg.output)}
    for note in notes:
        assert note.created_by == "backcode"
        assert [s.code for s in note.suggestions] == by_ref[note.note_ref or ""].result().codes()
        for s in note.suggestions:
            for e in s.evidence:
                assert note.text[e.start : e.end] == e.text
    texts = [n.text for n in notes]
    assert not any("010203-1234" in t for t in texts) and any("XXXXXX-XXXX" in t for t in texts)
    assert sum(n.masked_identifiers for n in notes) == 1


def test_unknown_user_is_refused(review_db: Database, database_url: str) -> None:
    with pytest.raises(NotFoundError, match="no user 'nobody'"):
        ReviewDatabaseSink(database_url, "nobody")
