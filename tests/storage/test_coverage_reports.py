"""Coverage report runs: one at a time, finished or failed, interrupted runs closed on start."""

from __future__ import annotations

import pytest

from ffbcoder.storage import audit, coverage_reports, users
from ffbcoder.storage.audit import Actor
from ffbcoder.storage.database import Database
from ffbcoder.storage.errors import ConflictError, NotFoundError


@pytest.fixture
def admin(database: Database) -> Actor:
    with database.transaction() as session:
        return users.add_user(session, Actor(None, "cli"), "anne", "korrekt hest batteri", "admin").actor()


def test_a_run_goes_from_running_to_done(database: Database, admin: Actor) -> None:
    with database.transaction() as session:
        info = coverage_reports.start_report(session, admin)
    assert info.status == "running" and info.requested_by == "anne"
    with database.transaction() as session, pytest.raises(ConflictError, match="still running"):
        coverage_reports.start_report(session, admin)
    with database.reading() as session, pytest.raises(NotFoundError, match="no html"):
        coverage_reports.report_document(session, info.id, "html")
    with database.transaction() as session:
        coverage_reports.finish_report(session, info.id, 12, 3, "<html>r</html>", '{"notes": 12}')
    with database.reading() as session:
        done = coverage_reports.get_report(session, info.id)
        assert (done.status, done.notes, done.gaps) == ("done", 12, 3)
        assert coverage_reports.report_document(session, info.id, "json") == '{"notes": 12}'
        assert [e.action for e in audit.list_events(session, "coverage", info.id)] == ["coverage.run"]
    with database.transaction() as session:  # the next run may start now
        assert coverage_reports.start_report(session, admin).id == info.id + 1


def test_a_failed_run_keeps_its_reason(database: Database, admin: Actor) -> None:
    with database.transaction() as session:
        info = coverage_reports.start_report(session, admin)
        coverage_reports.fail_report(session, info.id, "the analysis failed (MemoryError)")
    with database.reading() as session:
        failed = coverage_reports.list_reports(session)[0]
    assert failed.status == "failed" and failed.error == "the analysis failed (MemoryError)"


def test_runs_left_running_by_a_stopped_service_are_closed(database: Database, admin: Actor) -> None:
    with database.transaction() as session:
        info = coverage_reports.start_report(session, admin)
    with database.transaction() as session:
        assert coverage_reports.fail_interrupted(session) == 1
    with database.reading() as session:
        closed = coverage_reports.get_report(session, info.id)
    assert closed.status == "failed" and closed.error == coverage_reports.INTERRUPTED


def test_an_unknown_report_is_not_found(database: Database) -> None:
    with database.reading() as session, pytest.raises(NotFoundError, match="no coverage report 99"):
        coverage_reports.get_report(session, 99)
