"""Users, passwords (Argon2id via argon2-cffi) and API tokens for machine clients.

Roles: ``caseworker`` reviews notes; ``admin`` also manages users, the catalogue and exports.
Users are deactivated, never deleted, so the audit trail keeps pointing at them.
"""

from __future__ import annotations

import hashlib
import re
import secrets
from datetime import datetime

import msgspec
from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from sqlalchemy import select
from sqlalchemy.orm import Session

from ffbcoder.storage import audit
from ffbcoder.storage.audit import Actor
from ffbcoder.storage.errors import ConflictError, InvalidInputError, NotFoundError
from ffbcoder.storage.models import ROLES, ApiToken, User, utcnow

MIN_PASSWORD_CHARS = 10
TOKEN_PREFIX = "ffb_"
_USERNAME = re.compile(r"[A-Za-z0-9._@-]{1,80}")
# argon2-cffi's defaults (RFC 9106 low-memory profile); a hasher holds parameters, not state.
_HASHER = PasswordHasher()


class UserRecord(msgspec.Struct, frozen=True):
    id: int
    username: str
    role: str
    active: bool
    created_at: datetime

    @property
    def is_admin(self) -> bool:
        return self.role == "admin"

    def actor(self) -> Actor:
        return Actor(self.id, self.username)


class TokenRecord(msgspec.Struct, frozen=True):
    id: int
    username: str
    label: str
    created_at: datetime
    revoked_at: datetime | None


class NewToken(msgspec.Struct, frozen=True):
    """A token as created: ``token`` is shown this once and stored only as a hash."""

    token: str
    info: TokenRecord


def _user_record(user: User) -> UserRecord:
    return UserRecord(user.id, user.username, user.role, user.active, user.created_at)


def _token_record(token: ApiToken) -> TokenRecord:
    return TokenRecord(token.id, token.user.username, token.label, token.created_at, token.revoked_at)


def _token_hash(token: str) -> str:
    # Tokens are 256 random bits, so a fast hash suffices (no password-style stretching needed).
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


def _check_role(role: str) -> None:
    if role not in ROLES:
        raise InvalidInputError(f"unknown role {role!r}: choose {' or '.join(ROLES)}")


def _check_password(password: str) -> None:
    if len(password) < MIN_PASSWORD_CHARS:
        raise InvalidInputError(f"the password must have at least {MIN_PASSWORD_CHARS} characters")
    if len(password) > 1024:
        raise InvalidInputError("the password is longer than 1024 characters")


def _find(session: Session, username: str) -> User:
    user = session.scalar(select(User).where(User.username == username))
    if user is None:
        raise NotFoundError(f"no user {username!r}")
    return user


def add_user(session: Session, actor: Actor, username: str, password: str, role: str) -> UserRecord:
    if not _USERNAME.fullmatch(username):
        raise InvalidInputError("a username is 1-80 letters, digits or . _ @ -")
    _check_role(role)
    _check_password(password)
    if session.scalar(select(User.id).where(User.username == username)) is not None:
        raise ConflictError(f"the user {username!r} exists already")
    user = User(username=username, password_hash=_HASHER.hash(password), role=role, active=True, created_at=utcnow())
    session.add(user)
    session.flush()
    audit.record(session, actor, "user.create", "user", user.id, username=username, role=role)
    return _user_record(user)


def update_user(
    session: Session,
    actor: Actor,
    username: str,
    role: str | None = None,
    active: bool | None = None,
    password: str | None = None,
) -> UserRecord:
    user = _find(session, username)
    changes: dict[str, object] = {}
    if role is not None and role != user.role:
        _check_role(role)
        changes["role"] = [user.role, role]
        user.role = role
    if active is not None and active != user.active:
        changes["active"] = [user.active, active]
        user.active = active
    if password is not None:
        _check_password(password)
        user.password_hash = _HASHER.hash(password)
        changes["password"] = "changed"
    if changes:
        audit.record(session, actor, "user.update", "user", user.id, username=username, **changes)
    return _user_record(user)


def get_user(session: Session, user_id: int) -> UserRecord | None:
    user = session.get(User, user_id)
    return _user_record(user) if user is not None else None


def list_users(session: Session) -> list[UserRecord]:
    return [_user_record(u) for u in session.scalars(select(User).order_by(User.username))]


def authenticate(session: Session, username: str, password: str) -> UserRecord | None:
    """The active user with this name and password, else None (whichever part was wrong)."""
    user = session.scalar(select(User).where(User.username == username))
    if user is None:
        # Hash anyway so that response time does not tell which usernames exist.
        _HASHER.hash(password)
        return None
    try:
        _HASHER.verify(user.password_hash, password)
    except (VerificationError, InvalidHashError):
        return None
    if not user.active:
        return None
    if _HASHER.check_needs_rehash(user.password_hash):
        user.password_hash = _HASHER.hash(password)
    return _user_record(user)


def create_token(session: Session, actor: Actor, username: str, label: str) -> NewToken:
    user = _find(session, username)
    label = label.strip()
    if not label or len(label) > 100:
        raise InvalidInputError("a token label is 1-100 characters")
    token = TOKEN_PREFIX + secrets.token_urlsafe(32)
    row = ApiToken(user_id=user.id, label=label, token_hash=_token_hash(token), created_at=utcnow(), user=user)
    session.add(row)
    session.flush()
    audit.record(session, actor, "token.create", "token", row.id, username=username, label=label)
    return NewToken(token, _token_record(row))


def list_tokens(session: Session, username: str | None = None) -> list[TokenRecord]:
    query = select(ApiToken).join(ApiToken.user).order_by(ApiToken.id)
    if username is not None:
        query = query.where(User.username == username)
    return [_token_record(t) for t in session.scalars(query)]


def revoke_token(session: Session, actor: Actor, token_id: int) -> TokenRecord:
    row = session.get(ApiToken, token_id)
    if row is None:
        raise NotFoundError(f"no token {token_id}")
    if row.revoked_at is None:
        row.revoked_at = utcnow()
        audit.record(session, actor, "token.revoke", "token", row.id, username=row.user.username, label=row.label)
    return _token_record(row)


def user_for_token(session: Session, token: str) -> UserRecord | None:
    """The active user an unrevoked token belongs to, else None."""
    if not token.startswith(TOKEN_PREFIX):
        return None
    row = session.scalar(select(ApiToken).where(ApiToken.token_hash == _token_hash(token)))
    if row is None or row.revoked_at is not None or not row.user.active:
        return None
    return _user_record(row.user)
