"""The review service: ``serve``, ``db upgrade`` and ``users add/list/token/passwd``."""

from __future__ import annotations

import argparse
import getpass
import sys
from dataclasses import replace
from typing import TYPE_CHECKING

from ffbcoder.cli.support import UsageError, settings_from_args
from ffbcoder.config import Settings

if TYPE_CHECKING:
    from sqlalchemy.engine import URL

    from ffbcoder.storage.database import Database


def _settings(args: argparse.Namespace) -> Settings:
    settings = settings_from_args(args)
    if getattr(args, "database_url", None):
        settings = replace(settings, database_url=args.database_url)
    return settings


def database_from_args(args: argparse.Namespace, migrated: bool = True) -> Database:
    """The configured database; with ``migrated``, refuse one whose schema is not current."""
    from ffbcoder.storage.database import Database
    from ffbcoder.storage.errors import DatabaseError

    database = Database(_settings(args).resolved_database_url)
    problem = database.check_ready() if migrated else None
    if problem:
        raise DatabaseError(f"{_shown(database.engine.url)}: {problem}")
    return database


def _shown(url: str | URL) -> str:
    from sqlalchemy.engine import make_url

    return make_url(url).render_as_string(hide_password=True)


def _read_password(args: argparse.Namespace) -> str:
    if args.password_stdin:
        password = sys.stdin.readline().rstrip("\r\n")
    else:
        if not sys.stdin.isatty():
            raise UsageError("no terminal to ask for the password: pass it on stdin with --password-stdin")
        password = getpass.getpass("Adgangskode: ")
        if getpass.getpass("Gentag adgangskoden: ") != password:
            raise UsageError("the passwords differ")
    if not password:
        raise UsageError("empty password")
    return password


def cmd_serve(args: argparse.Namespace) -> int:
    import uvicorn

    from ffbcoder.api.app import create_app
    from ffbcoder.api.memory import limit_malloc_arenas
    from ffbcoder.api.service import ReviewService, ServiceConfig, SuggesterSlot
    from ffbcoder.catalogue.store import resolve_catalogue
    from ffbcoder.storage import coverage_reports, users
    from ffbcoder.storage.database import Database
    from ffbcoder.suggest.suggester import Suggester

    limit_malloc_arenas()  # before any worker thread starts
    settings = _settings(args)
    database = Database(settings.resolved_database_url)
    database.upgrade()
    with database.transaction() as session:
        coverage_reports.fail_interrupted(session)  # a run cut short by the last stop
    with database.reading() as session:
        if not users.list_users(session):
            print("no users yet: create one with 'ffbcoder users add NAME --role admin'", file=sys.stderr)
    config = ServiceConfig(max_suggestions=args.max_suggestions, secure_cookies=args.secure_cookies)
    service = ReviewService(database, resolve_catalogue(settings.catalogue), SuggesterSlot(), config)
    app = create_app(service, load_suggester=lambda: Suggester.from_settings(settings))
    print(
        f"ffbcoder review service on http://{args.host}:{args.port}/ · database {_shown(database.engine.url)} · "
        "the suggester loads in the background (GET /ready says when)",
        file=sys.stderr,
    )
    # No access log: request lines carry case references in query strings.
    uvicorn.run(app, host=args.host, port=args.port, access_log=False, log_level="warning")
    return 0


def cmd_db_upgrade(args: argparse.Namespace) -> int:
    database = database_from_args(args, migrated=False)
    before = database.current_revision()
    database.upgrade()
    print(f"{_shown(database.engine.url)}: schema at revision {database.current_revision()} (was {before})")
    return 0


def cmd_users_add(args: argparse.Namespace) -> int:
    from ffbcoder.storage import users
    from ffbcoder.storage.audit import CLI_ACTOR, Actor

    database = database_from_args(args, migrated=False)
    database.upgrade()  # the first admin is usually added to a brand-new database
    with database.transaction() as session:
        user = users.add_user(session, Actor(None, CLI_ACTOR), args.username, _read_password(args), args.role)
    print(f"added {user.username} ({user.role})")
    return 0


def cmd_users_passwd(args: argparse.Namespace) -> int:
    from ffbcoder.storage import users
    from ffbcoder.storage.audit import CLI_ACTOR, Actor

    with database_from_args(args).transaction() as session:
        users.update_user(session, Actor(None, CLI_ACTOR), args.username, password=_read_password(args))
    print(f"changed the password of {args.username}")
    return 0


def cmd_users_list(args: argparse.Namespace) -> int:
    from ffbcoder.storage import users

    with database_from_args(args).reading() as session:
        listed, tokens = users.list_users(session), users.list_tokens(session)
    for user in listed:
        active = sum(1 for t in tokens if t.username == user.username and t.revoked_at is None)
        state = "active" if user.active else "deactivated"
        print(f"{user.username}\t{user.role}\t{state}\t{active} API token(s)\tsince {user.created_at:%Y-%m-%d}")
    return 0


def cmd_users_token(args: argparse.Namespace) -> int:
    from ffbcoder.storage import users
    from ffbcoder.storage.audit import CLI_ACTOR, Actor

    with database_from_args(args).transaction() as session:
        new = users.create_token(session, Actor(None, CLI_ACTOR), args.username, args.label)
    print(new.token)
    print(f"API token {new.info.id} for {new.info.username} ({new.info.label}); shown this once", file=sys.stderr)
    return 0


def register(sub: argparse._SubParsersAction[argparse.ArgumentParser], common: argparse.ArgumentParser) -> None:
    database = argparse.ArgumentParser(add_help=False, parents=[common])
    database.add_argument("--database-url", help="review database (default: $FFBCODER_DATABASE_URL or SQLite in cache)")

    p = sub.add_parser("serve", parents=[database], help="run the review service (API and web page)")
    p.add_argument("--host", default="127.0.0.1", help="address to listen on (default 127.0.0.1)")
    p.add_argument("--port", type=int, default=8000, help="port (default 8000)")
    p.add_argument("--max-suggestions", type=int, default=30, help="suggestions stored per note (default 30)")
    p.add_argument("--secure-cookies", action="store_true", help="HTTPS-only cookies (behind a TLS proxy)")
    p.set_defaults(func=cmd_serve)

    db = sub.add_parser("db", help="the review database")
    db_sub = db.add_subparsers(dest="db_command", required=True)
    p = db_sub.add_parser("upgrade", parents=[database], help="apply the database migrations")
    p.set_defaults(func=cmd_db_upgrade)

    usr = sub.add_parser("users", help="users of the review service")
    usr_sub = usr.add_subparsers(dest="users_command", required=True)
    p = usr_sub.add_parser("add", parents=[database], help="add a user (asks for the password)")
    p.add_argument("username")
    p.add_argument("--role", choices=["caseworker", "admin"], default="caseworker")
    p.add_argument("--password-stdin", action="store_true", help="read the password from the first line of stdin")
    p.set_defaults(func=cmd_users_add)
    p = usr_sub.add_parser("passwd", parents=[database], help="set a user's password")
    p.add_argument("username")
    p.add_argument("--password-stdin", action="store_true", help="read the password from the first line of stdin")
    p.set_defaults(func=cmd_users_passwd)
    p = usr_sub.add_parser("list", parents=[database], help="list users")
    p.set_defaults(func=cmd_users_list)
    p = usr_sub.add_parser("token", parents=[database], help="create an API token for a user (printed once)")
    p.add_argument("username")
    p.add_argument("--label", default="api", help="what the token is for (default 'api')")
    p.set_defaults(func=cmd_users_token)
