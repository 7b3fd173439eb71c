"""The real app on a real database (SQLite, and PostgreSQL when configured) with the real model."""

from __future__ import annotations

import socket
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass

import pytest
import uvicorn
from litestar import Litestar
from litestar.testing import TestClient

from ffbcoder.api.app import create_app
from ffbcoder.api.service import ReviewService, SuggesterSlot
from ffbcoder.storage import users
from ffbcoder.storage.audit import Actor
from ffbcoder.storage.database import Database
from ffbcoder.suggest.suggester import Suggester

PASSWORD = "korrekt hest batteri"
NOTE = (
    "Drengen (CPR 010203-1234) har ikke været i skole de sidste tre uger, og mor drikker dagligt. "
    "Familien har brug for støtte i hjemmet."
)


@dataclass(frozen=True)
class Tokens:
    admin: str
    caseworker: str

    def header(self, who: str = "caseworker") -> dict[str, str]:
        return {"Authorization": f"Bearer {getattr(self, who)}"}


@pytest.fixture
def service(database: Database, suggester: Suggester) -> ReviewService:
    return ReviewService(database, suggester.catalogue, SuggesterSlot(suggester))


@pytest.fixture
def tokens(database: Database) -> Tokens:
    """An admin ('anne') and a caseworker ('mette'), each with an API token."""
    operator = Actor(None, "test")
    with database.transaction() as session:
        users.add_user(session, operator, "anne", PASSWORD, "admin")
        users.add_user(session, operator, "mette", PASSWORD, "caseworker")
        return Tokens(
            users.create_token(session, operator, "anne", "test").token,
            users.create_token(session, operator, "mette", "test").token,
        )


@pytest.fixture
def app(service: ReviewService) -> Litestar:
    return create_app(service)


@pytest.fixture
def client(app: Litestar) -> Iterator[TestClient[Litestar]]:
    with TestClient(app) as client:
        yield client


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@pytest.fixture
def base_url(app: Litestar) -> Iterator[str]:
    """The app served by uvicorn on 127.0.0.1 (a free port) in a thread."""
    port = _free_port()
    server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning", access_log=False))
    thread = threading.Thread(target=server.run, name="test-server", daemon=True)
    thread.start()
    deadline = time.monotonic() + 30
    while not server.started:
        assert thread.is_alive() and time.monotonic() < deadline, "the test server did not start"
        time.sleep(0.05)
    yield f"http://127.0.0.1:{port}"
    server.should_exit = True
    thread.join(timeout=10)
