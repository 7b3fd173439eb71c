"""Migrations, readiness and the append-only audit log, on SQLite and PostgreSQL."""

from __future__ import annotations

import pytest
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from sqlalchemy import text
from sqlalchemy.exc import DBAPIError

from ffbcoder.storage import audit
from ffbcoder.storage.audit import Actor
from ffbcoder.storage.database import Database, engine_url
from ffbcoder.storage.errors import DatabaseError
from ffbcoder.storage.models import Base


def test_fresh_database_is_not_ready_until_upgraded(database_url: str) -> None:
    db = Database(database_url)
    try:
        assert db.current_revision() is None
        problem = db.check_ready()
        assert problem is not None and "ffbcoder db upgrade" in problem
        db.upgrade()
        assert db.current_revision() == db.head_revision()
        assert db.check_ready() is None
    finally:
        db.dispose()


def test_migrations_build_exactly_the_models(database: Database) -> None:
    with database.engine.connect() as connection:
        diff = compare_metadata(MigrationContext.configure(connection), Base.metadata)
    assert diff == []


def test_downgrade_and_upgrade_again(database: Database) -> None:
    with database.transaction() as session:
        audit.record(session, Actor(None, "tester"), "user.create", "user", 1)
    database.downgrade("base")
    assert database.current_revision() is None
    database.upgrade()
    assert database.check_ready() is None


@pytest.mark.parametrize("statement", ["UPDATE audit_log SET action = 'x'", "DELETE FROM audit_log"])
def test_the_audit_log_refuses_changes(database: Database, statement: str) -> None:
    with database.transaction() as session:
        audit.record(session, Actor(None, "tester"), "user.create", "user", 1, username="a")
    with pytest.raises(DBAPIError, match="append-only"), database.transaction() as session:
        session.execute(text(statement))
    with database.transaction() as session:
        events = audit.list_events(session)
    assert [(e.action, e.actor, e.details) for e in events] == [("user.create", "tester", {"username": "a"})]


def test_urls() -> None:
    assert engine_url("postgresql://u:p@h/db") == "postgresql+psycopg://u:p@h/db"
    assert engine_url("postgres://h/db") == "postgresql+psycopg://h/db"
    assert engine_url("sqlite:///x.db") == "sqlite:///x.db"
    with pytest.raises(DatabaseError, match="unsupported database 'mysql'"):
        Database("mysql://h/db")
    with pytest.raises(DatabaseError, match="bad database URL"):
        Database("not a url")
