"""Users, passwords and API tokens, with their audit events."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from ffbcoder.storage import audit, users
from ffbcoder.storage.audit import Actor
from ffbcoder.storage.database import Database
from ffbcoder.storage.errors import ConflictError, InvalidInputError, NotFoundError
from ffbcoder.storage.models import ApiToken, User

OPERATOR = Actor(None, audit.CLI_ACTOR)
PASSWORD = "korrekt hest batteri"


def test_passwords_are_hashed_and_checked(database: Database) -> None:
    with database.transaction() as session:
        added = users.add_user(session, OPERATOR, "mette", PASSWORD, "caseworker")
    with database.transaction() as session:
        stored = session.scalar(select(User.password_hash).where(User.username == "mette"))
        assert stored is not None and stored.startswith("$argon2id$") and PASSWORD not in stored
        assert users.authenticate(session, "mette", PASSWORD) == added
        assert users.authenticate(session, "mette", PASSWORD + "!") is None
        assert users.authenticate(session, "nobody", PASSWORD) is None
        users.update_user(session, OPERATOR, "mette", active=False)
    with database.transaction() as session:
        assert users.authenticate(session, "mette", PASSWORD) is None
        actions = [(e.action, e.details.get("active")) for e in reversed(audit.list_events(session))]
    assert actions == [("user.create", None), ("user.update", [True, False])]


@pytest.mark.parametrize(
    ("username", "password", "role", "message"),
    [
        ("mette", PASSWORD, "boss", "unknown role"),
        ("mette", "kort", "caseworker", "at least 10 characters"),
        ("mette hansen", PASSWORD, "caseworker", "a username is"),
    ],
)
def test_bad_users_are_refused(database: Database, username: str, password: str, role: str, message: str) -> None:
    with pytest.raises(InvalidInputError, match=message), database.transaction() as session:
        users.add_user(session, OPERATOR, username, password, role)


def test_usernames_are_unique(database: Database) -> None:
    with database.transaction() as session:
        users.add_user(session, OPERATOR, "mette", PASSWORD, "caseworker")
    with pytest.raises(ConflictError, match="exists already"), database.transaction() as session:
        users.add_user(session, OPERATOR, "mette", PASSWORD, "admin")
    with pytest.raises(NotFoundError), database.transaction() as session:
        users.update_user(session, OPERATOR, "ghost", role="admin")


def test_tokens_identify_their_user_until_revoked(database: Database) -> None:
    with database.transaction() as session:
        user = users.add_user(session, OPERATOR, "journal", PASSWORD, "caseworker")
        new = users.create_token(session, OPERATOR, "journal", "journalsystem")
    assert new.token.startswith(users.TOKEN_PREFIX) and len(new.token) > 40
    with database.transaction() as session:
        assert new.token not in session.scalars(select(ApiToken.token_hash)).all()
        assert users.user_for_token(session, new.token) == user
        assert users.user_for_token(session, new.token + "x") is None
        assert users.user_for_token(session, "guess") is None
        users.revoke_token(session, OPERATOR, new.info.id)
    with database.transaction() as session:
        assert users.user_for_token(session, new.token) is None
        [listed] = users.list_tokens(session, "journal")
        assert listed.revoked_at is not None and listed.label == "journalsystem"
