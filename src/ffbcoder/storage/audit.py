"""The append-only audit log: who changed what, when. Repositories write one event per change,
in the same transaction as the change, so a change without its event cannot be committed.

Details hold codes, verdicts, comments and references, never note text.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

import msgspec
from sqlalchemy import select
from sqlalchemy.orm import Session

from ffbcoder.storage.models import AuditEvent, utcnow

CLI_ACTOR = "ffbcoder-cli"


class Actor(msgspec.Struct, frozen=True):
    """Who makes a change: a user, or (id None) the command line run by an operator."""

    id: int | None
    username: str


class AuditRecord(msgspec.Struct, frozen=True):
    id: int
    at: datetime
    actor: str
    action: str
    entity: str
    entity_id: str
    details: dict[str, Any]


def record(session: Session, actor: Actor, action: str, entity: str, entity_id: object, **details: Any) -> None:
    session.add(
        AuditEvent(
            at=utcnow(),
            actor_id=actor.id,
            actor=actor.username,
            action=action,
            entity=entity,
            entity_id=str(entity_id),
            details=details,
        )
    )


def list_events(
    session: Session, entity: str | None = None, entity_id: object = None, limit: int = 100
) -> list[AuditRecord]:
    """Newest first."""
    query = select(AuditEvent).order_by(AuditEvent.id.desc()).limit(limit)
    if entity is not None:
        query = query.where(AuditEvent.entity == entity)
    if entity_id is not None:
        query = query.where(AuditEvent.entity_id == str(entity_id))
    return [
        AuditRecord(e.id, e.at, e.actor, e.action, e.entity, e.entity_id, dict(e.details))
        for e in session.scalars(query)
    ]
