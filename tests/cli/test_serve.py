"""`ffbcoder db upgrade` and `ffbcoder users ...` as an operator runs them."""

from __future__ import annotations

import io
from pathlib import Path

import pytest

from ffbcoder.cli import main
from ffbcoder.storage import audit, users
from ffbcoder.storage.database import Database


def run(capsys: pytest.CaptureFixture[str], *args: str, stdin: str = "") -> tuple[int, str, str]:
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr("sys.stdin", io.StringIO(stdin))
        code = main(list(args))
    out, err = capsys.readouterr()
    return code, out, err


def test_db_upgrade_and_users(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'review.sqlite3'}"
    code, out, _ = run(capsys, "db", "upgrade", "--database-url", url)
    assert code == 0 and "schema at revision 0002 (was None)" in out

    code, out, _ = run(
        capsys,
        "users",
        "add",
        "anne",
        "--role",
        "admin",
        "--password-stdin",
        "--database-url",
        url,
        stdin="korrekt hest batteri\n",
    )
    assert (code, out.strip()) == (0, "added anne (admin)")
    code, _, err = run(capsys, "users", "add", "anne", "--password-stdin", "--database-url", url, stdin="x" * 12)
    assert code == 2 and "exists already" in err
    code, _, err = run(capsys, "users", "add", "bo", "--password-stdin", "--database-url", url, stdin="kort\n")
    assert code == 2 and "at least 10 characters" in err
    code, _, err = run(capsys, "users", "add", "bo", "--database-url", url)
    assert code == 2 and "--password-stdin" in err

    code, token, err = run(capsys, "users", "token", "anne", "--label", "journal", "--database-url", url)
    assert code == 0 and token.startswith("ffb_") and "shown this once" in err
    code, out, _ = run(capsys, "users", "list", "--database-url", url)
    assert out.split("\t")[:4] == ["anne", "admin", "active", "1 API token(s)"]
    code, _, _ = run(
        capsys, "users", "passwd", "anne", "--password-stdin", "--database-url", url, stdin="et nyt langt kodeord\n"
    )
    assert code == 0

    database = Database(url)
    with database.reading() as session:
        assert users.user_for_token(session, token.strip()) is not None
        assert users.authenticate(session, "anne", "et nyt langt kodeord") is not None
        actions = [(e.actor, e.action) for e in reversed(audit.list_events(session))]
    database.dispose()
    assert actions == [
        (audit.CLI_ACTOR, "user.create"),
        (audit.CLI_ACTOR, "token.create"),
        (audit.CLI_ACTOR, "user.update"),
    ]


def test_bad_or_unmigrated_databases_are_reported(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    code, _, err = run(capsys, "db", "upgrade", "--database-url", "mysql://h/db")
    assert code == 2 and "unsupported database 'mysql'" in err
    code, _, err = run(capsys, "users", "list", "--database-url", f"sqlite:///{tmp_path / 'new.sqlite3'}")
    assert code == 2 and "run 'ffbcoder db upgrade'" in err
    code, _, err = run(capsys, "db", "upgrade", "--database-url", "postgresql://nobody:secret@127.0.0.1:1/none")
    assert code == 2 and "cannot use the database" in err and "secret" not in err
