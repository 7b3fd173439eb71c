"""Alembic environment: runs on the connection ``storage.database`` hands over (online only)."""

from __future__ import annotations

from alembic import context
from sqlalchemy.engine import Connection

from ffbcoder.storage.models import Base

connection = context.config.attributes.get("connection")
if not isinstance(connection, Connection):
    raise RuntimeError("run migrations through ffbcoder.storage.database.Database.upgrade ('ffbcoder db upgrade')")
context.configure(connection=connection, target_metadata=Base.metadata, render_as_batch=True)
with context.begin_transaction():
    context.run_migrations()
