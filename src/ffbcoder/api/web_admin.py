"""The admin pages: users and tokens, the catalogue, exports, the audit log and the coverage
report of the stored notes (admin role only). ``NAVIGATION`` is the admin menu.
"""

from __future__ import annotations

from typing import Annotated, Any, Literal
from urllib.parse import urlencode

import msgspec
from litestar import Router, get, post
from litestar.params import FromPath, FromQuery, QueryParameter, URLEncodedBody
from litestar.response import Redirect, Response, Stream, Template

from ffbcoder.api import errors
from ffbcoder.api.auth import AuthRequest, admin_only
from ffbcoder.api.exports import export_stream
from ffbcoder.api.schemas import Password, Role, Username
from ffbcoder.api.service import Service
from ffbcoder.catalogue.model import ConceptKind
from ffbcoder.storage import audit, coverage_reports, users
from ffbcoder.storage.users import NewToken

# (label, path); path None: planned, shown without a link.
NAVIGATION: tuple[tuple[str, str | None], ...] = (
    ("Brugere", "/admin/brugere"),
    ("Katalog", "/admin/katalog"),
    ("Eksport", "/admin/eksport"),
    ("Revisionsspor", "/admin/revision"),
    ("Dækningsrapport", "/admin/dekning"),
)


class NewUserForm(msgspec.Struct):
    username: Username
    password: Password
    role: Role = "caseworker"


class ChangeUserForm(msgspec.Struct):
    role: Role
    active: Literal["ja", "nej"]
    password: Password = ""


class TokenForm(msgspec.Struct):
    label: Annotated[str, msgspec.Meta(max_length=100)]


def _page(name: str, active: str, **context: Any) -> Template:
    return Template(f"admin/{name}", context={"nav": NAVIGATION, "active": active, **context})


@get("/", sync_to_thread=False)
def admin_home() -> Redirect:
    return Redirect("/admin/brugere")


def _users_page(service: Service, message: str | None = None, new_token: NewToken | None = None) -> Template:
    with service.database.reading() as session:
        listed, tokens = users.list_users(session), users.list_tokens(session)
    return _page("users.html", "/admin/brugere", users=listed, tokens=tokens, message=message, new_token=new_token)


def _back_to_users(message: str) -> Redirect:
    return Redirect("/admin/brugere?" + urlencode({"besked": message}), status_code=303)


@get("/brugere", sync_to_thread=True)
def users_page(service: Service, besked: Annotated[str, QueryParameter(max_length=200)] = "") -> Template:
    return _users_page(service, besked or None)


@post("/brugere", sync_to_thread=True)
def add_user(request: AuthRequest, data: URLEncodedBody[NewUserForm], service: Service) -> Redirect:
    with service.database.transaction() as session:
        users.add_user(session, request.user.actor(), data.username.strip(), data.password, data.role)
    return _back_to_users(f"Brugeren {data.username.strip()} er oprettet")


@post("/brugere/{username:str}", sync_to_thread=True)
def change_user(
    request: AuthRequest, username: FromPath[str], data: URLEncodedBody[ChangeUserForm], service: Service
) -> Redirect:
    with service.database.transaction() as session:
        users.update_user(
            session, request.user.actor(), username, data.role, data.active == "ja", data.password or None
        )
    return _back_to_users(f"Brugeren {username} er opdateret")


@post("/brugere/{username:str}/token", sync_to_thread=True)
def add_token(
    request: AuthRequest, username: FromPath[str], data: URLEncodedBody[TokenForm], service: Service
) -> Template:
    with service.database.transaction() as session:
        new = users.create_token(session, request.user.actor(), username, data.label)
    # Shown in this answer only: the database keeps a hash.
    return _users_page(service, new_token=new)


@post("/tokens/{token_id:int}/tilbagekald", sync_to_thread=True)
def revoke_token(request: AuthRequest, token_id: FromPath[int], service: Service) -> Redirect:
    with service.database.transaction() as session:
        users.revoke_token(session, request.user.actor(), token_id)
    return _back_to_users("Nøglen er tilbagekaldt")


@get("/katalog", sync_to_thread=False)
def catalogue_page(service: Service) -> Template:
    catalogue = service.catalogue
    groups = [(kind, catalogue.of_kind(kind)) for kind in ConceptKind]
    return _page(
        "catalogue.html", "/admin/katalog", info=catalogue.info, groups=groups, content_hash=catalogue.content_hash()
    )


@get("/eksport", sync_to_thread=False)
def export_page() -> Template:
    return _page("export.html", "/admin/eksport")


@get("/eksport/fil", sync_to_thread=False)
def export_file(
    service: Service,
    format: FromQuery[Literal["csv", "jsonl"]] = "csv",
    fra: FromQuery[str] = "",
    til: FromQuery[str] = "",
    sag: Annotated[str, QueryParameter(max_length=200)] = "",
) -> Stream:
    return export_stream(service, format, fra, til, sag)


@get("/revision", sync_to_thread=True)
def audit_page(
    service: Service,
    note: FromQuery[int | None] = None,
    limit: Annotated[int, QueryParameter(ge=1, le=1000)] = 200,
) -> Template:
    with service.database.reading() as session:
        events = audit.list_events(session, "note" if note is not None else None, note, limit)
    return _page("audit.html", "/admin/revision", events=events, note=note, limit=limit)


# The report is self-contained: inline styles and data: images, nothing else may load.
_REPORT_POLICY = "default-src 'none'; img-src data:; style-src 'unsafe-inline'"


@get("/dekning", sync_to_thread=True)
def coverage_page(service: Service, besked: Annotated[str, QueryParameter(max_length=200)] = "") -> Template:
    with service.database.reading() as session:
        reports = coverage_reports.list_reports(session)
    shown = next((r for r in reports if r.status == "done"), None)
    running = any(r.status == "running" for r in reports)
    return _page(
        "coverage.html", "/admin/dekning", reports=reports, shown=shown, running=running, message=besked or None
    )


@post("/dekning", sync_to_thread=True)
def start_coverage(request: AuthRequest, service: Service) -> Redirect:
    info = service.coverage.start(request.user.actor())
    message = f"Dækningsrapport {info.id} er startet; siden opdaterer sig selv, til den er færdig"
    return Redirect("/admin/dekning?" + urlencode({"besked": message}), status_code=303)


@get("/dekning/{report_id:int}/rapport", sync_to_thread=True)
def coverage_report_html(report_id: FromPath[int], service: Service) -> Response[str]:
    with service.database.reading() as session:
        text = coverage_reports.report_document(session, report_id, "html")
    return Response(text, media_type="text/html; charset=utf-8", headers={"Content-Security-Policy": _REPORT_POLICY})


@get("/dekning/{report_id:int}/rapport.json", sync_to_thread=True)
def coverage_report_json(report_id: FromPath[int], service: Service) -> Response[str]:
    with service.database.reading() as session:
        text = coverage_reports.report_document(session, report_id, "json")
    return Response(
        text,
        media_type="application/json",
        headers={"Content-Disposition": f'attachment; filename="coverage-{report_id}.json"'},
    )


router = Router(
    "/admin",
    route_handlers=[
        admin_home,
        users_page,
        add_user,
        change_user,
        add_token,
        revoke_token,
        catalogue_page,
        export_page,
        export_file,
        audit_page,
        coverage_page,
        start_coverage,
        coverage_report_html,
        coverage_report_json,
    ],
    guards=[admin_only],
    exception_handlers=errors.handlers(errors.page_error),
    include_in_schema=False,
)
