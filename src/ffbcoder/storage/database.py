"""The review database: engine, transactions and migrations.

SQLite by default (``Settings.resolved_database_url``), PostgreSQL by URL through psycopg 3.
``Database.upgrade`` applies the Alembic migrations shipped in ``storage/migrations``.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import Engine, create_engine, event, text
from sqlalchemy.engine import make_url
from sqlalchemy.exc import OperationalError
from sqlalchemy.orm import Session, sessionmaker

from ffbcoder.storage.errors import DatabaseError

MIGRATIONS = Path(__file__).resolve().parent / "migrations"
_READING = "ffbcoder_reading"


def engine_url(url: str) -> str:
    """``postgresql://`` and ``postgres://`` URLs go through psycopg 3, the driver we ship."""
    for prefix in ("postgresql://", "postgres://"):
        if url.startswith(prefix):
            return "postgresql+psycopg://" + url[len(prefix) :]
    return url


def _sqlite_connect(dbapi_connection: Any, _record: Any) -> None:
    # Transactions are begun by _sqlite_begin, not by the driver.
    dbapi_connection.isolation_level = None
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.close()


def _sqlite_begin(connection: Any) -> None:
    # A writing transaction takes the write lock at the start: a deferred one that reads, then
    # writes, fails at once with "database is locked" when another writer committed in
    # between; an immediate one waits for the lock instead (the driver's busy timeout).
    # Reading transactions stay deferred, so a long export never holds up the reviewers.
    reading = connection.get_execution_options().get(_READING, False)
    connection.exec_driver_sql("BEGIN" if reading else "BEGIN IMMEDIATE")


class Database:
    def __init__(self, url: str) -> None:
        try:
            parsed = make_url(engine_url(url))
        except Exception as exc:  # SQLAlchemy raises ArgumentError with the reason
            raise DatabaseError(f"bad database URL: {exc}") from None
        if parsed.get_backend_name() not in ("sqlite", "postgresql"):
            raise DatabaseError(f"unsupported database {parsed.get_backend_name()!r}: use sqlite or postgresql")
        if parsed.get_backend_name() == "sqlite" and parsed.database and parsed.database != ":memory:":
            Path(parsed.database).expanduser().parent.mkdir(parents=True, exist_ok=True)
        self.engine: Engine = create_engine(parsed, pool_pre_ping=True)
        if parsed.get_backend_name() == "sqlite":
            event.listen(self.engine, "connect", _sqlite_connect)
            event.listen(self.engine, "begin", _sqlite_begin)
        self._sessions = sessionmaker(self.engine, expire_on_commit=False)
        self._read_engine = self.engine.execution_options(**{_READING: True})
        self._reading = sessionmaker(self._read_engine, expire_on_commit=False)

    @property
    def dialect(self) -> str:
        return self.engine.dialect.name

    @contextmanager
    def transaction(self) -> Iterator[Session]:
        """A session in one transaction: committed on success, rolled back on any error."""
        with self._sessions.begin() as session:
            yield session

    @contextmanager
    def reading(self) -> Iterator[Session]:
        """A session for reads only: on SQLite it does not take the write lock."""
        with self._reading() as session:
            yield session
            session.rollback()

    def _alembic_config(self) -> Config:
        config = Config()
        config.set_main_option("script_location", str(MIGRATIONS))
        return config

    def upgrade(self, revision: str = "head") -> None:
        """Apply the shipped migrations up to ``revision``."""
        config = self._alembic_config()
        with self._reachable(), self.engine.begin() as connection:
            config.attributes["connection"] = connection
            command.upgrade(config, revision)

    def downgrade(self, revision: str) -> None:
        config = self._alembic_config()
        with self.engine.begin() as connection:
            config.attributes["connection"] = connection
            command.downgrade(config, revision)

    def head_revision(self) -> str | None:
        return ScriptDirectory.from_config(self._alembic_config()).get_current_head()

    def current_revision(self) -> str | None:
        with self._reachable(), self._read_engine.connect() as connection:
            return MigrationContext.configure(connection).get_current_revision()

    @contextmanager
    def _reachable(self) -> Iterator[None]:
        """Connection failures (server down, bad credentials, unwritable file) as one clear line."""
        try:
            yield
        except OperationalError as exc:
            shown = self.engine.url.render_as_string(hide_password=True)
            raise DatabaseError(f"cannot use the database {shown}: {str(exc.orig).strip()}") from None

    def check_ready(self) -> str | None:
        """None when the database answers and its schema is current, else what is wrong."""
        try:
            with self._read_engine.connect() as connection:
                connection.execute(text("SELECT 1"))
            current = self.current_revision()
        except Exception as exc:  # any driver error means "not ready"; the kind of error is shown to operators
            return f"database unreachable: {type(exc).__name__}"
        head = self.head_revision()
        if current != head:
            return f"database schema at revision {current}, expected {head}: run 'ffbcoder db upgrade'"
        return None

    def dispose(self) -> None:
        self.engine.dispose()
