"""The JSON API under ``/api`` (token authentication): notes, decisions, concepts, admin."""

from __future__ import annotations

from typing import Annotated, Literal

from litestar import Router, delete, get, patch, post
from litestar.params import FromPath, FromQuery, JSONBody, QueryParameter
from litestar.response import Response, Stream

from ffbcoder.api import errors
from ffbcoder.api.auth import AuthRequest, admin_only
from ffbcoder.api.exports import export_stream
from ffbcoder.api.schemas import ConceptOut, DecisionIn, NoteIn, TokenIn, UserChange, UserIn
from ffbcoder.api.service import Service
from ffbcoder.catalogue.model import ConceptKind
from ffbcoder.catalogue.search import search_concepts
from ffbcoder.storage import audit, coverage_reports, notes, users
from ffbcoder.storage.audit import AuditRecord
from ffbcoder.storage.coverage_reports import ReportInfo
from ffbcoder.storage.notes import NotePage, NoteRecord
from ffbcoder.storage.users import NewToken, TokenRecord, UserRecord

Limit = Annotated[int, QueryParameter(ge=1, le=500)]


@post("/notes", sync_to_thread=True, summary="Submit a note: masked, scored and stored for review")
def submit_note(request: AuthRequest, data: JSONBody[NoteIn], service: Service) -> NoteRecord:
    return service.submit(request.user.actor(), data.text, data.case_ref, data.note_ref)


@get("/notes", sync_to_thread=True, summary="List notes by status (to_review: oldest first)")
def list_notes(
    service: Service,
    status: FromQuery[Literal["to_review", "done"] | None] = None,
    case_ref: FromQuery[str | None] = None,
    limit: Limit = 50,
    offset: Annotated[int, QueryParameter(ge=0)] = 0,
) -> NotePage:
    with service.database.reading() as session:
        return notes.list_notes(session, status, case_ref, limit, offset)


@get("/notes/{note_id:int}", sync_to_thread=True, summary="A note with its suggestions and decisions")
def get_note(note_id: FromPath[int], service: Service) -> NoteRecord:
    return service.note(note_id)


@post("/notes/{note_id:int}/decisions", status_code=200, sync_to_thread=True, summary="Accept, reject or add a code")
def decide(request: AuthRequest, note_id: FromPath[int], data: JSONBody[DecisionIn], service: Service) -> NoteRecord:
    return service.decide(request.user.actor(), note_id, data.code, data.decision, data.comment)


@post("/notes/{note_id:int}/confirm", status_code=200, sync_to_thread=True, summary="Confirm the note as a whole")
def confirm(request: AuthRequest, note_id: FromPath[int], service: Service) -> NoteRecord:
    return service.confirm(request.user.actor(), note_id)


@get("/concepts", sync_to_thread=False, summary="Search concepts by label, synonym or id")
def concepts(
    service: Service,
    q: Annotated[str, QueryParameter(max_length=200)],
    kind: FromQuery[ConceptKind | None] = None,
    limit: Limit = 20,
) -> list[ConceptOut]:
    return [ConceptOut.of(c) for c in search_concepts(service.catalogue, q, kind, limit)]


@get("/me", sync_to_thread=False, summary="The caller")
def me(request: AuthRequest) -> UserRecord:
    return request.user


@get("/users", sync_to_thread=True)
def list_users(service: Service) -> list[UserRecord]:
    with service.database.reading() as session:
        return users.list_users(session)


@post("/users", sync_to_thread=True)
def add_user(request: AuthRequest, data: JSONBody[UserIn], service: Service) -> UserRecord:
    with service.database.transaction() as session:
        return users.add_user(session, request.user.actor(), data.username, data.password, data.role)


@patch("/users/{username:str}", sync_to_thread=True, summary="Change role, active flag or password")
def change_user(
    request: AuthRequest, username: FromPath[str], data: JSONBody[UserChange], service: Service
) -> UserRecord:
    with service.database.transaction() as session:
        return users.update_user(session, request.user.actor(), username, data.role, data.active, data.password)


@post("/users/{username:str}/tokens", sync_to_thread=True, summary="A new API token (shown this once)")
def add_token(request: AuthRequest, username: FromPath[str], data: JSONBody[TokenIn], service: Service) -> NewToken:
    with service.database.transaction() as session:
        return users.create_token(session, request.user.actor(), username, data.label)


@get("/tokens", sync_to_thread=True)
def list_tokens(service: Service, username: FromQuery[str | None] = None) -> list[TokenRecord]:
    with service.database.reading() as session:
        return users.list_tokens(session, username)


@delete("/tokens/{token_id:int}", status_code=200, sync_to_thread=True, summary="Revoke a token")
def revoke_token(request: AuthRequest, token_id: FromPath[int], service: Service) -> TokenRecord:
    with service.database.transaction() as session:
        return users.revoke_token(session, request.user.actor(), token_id)


@get("/catalogue", sync_to_thread=False, summary="The catalogue the service codes with")
def catalogue(service: Service) -> dict[str, object]:
    return {**service.catalogue.to_dict(), "content_hash": service.catalogue.content_hash()}


@get("/audit", sync_to_thread=True, summary="The audit log, newest first")
def audit_log(
    service: Service,
    entity: FromQuery[str | None] = None,
    entity_id: FromQuery[str | None] = None,
    limit: Limit = 100,
) -> list[AuditRecord]:
    with service.database.reading() as session:
        return audit.list_events(session, entity, entity_id, limit)


@get("/export", sync_to_thread=False, summary="Confirmed codes as CSV or JSON Lines")
def export_codes(
    service: Service,
    format: FromQuery[Literal["csv", "jsonl"]] = "csv",
    since: FromQuery[str | None] = None,
    until: FromQuery[str | None] = None,
    case_ref: FromQuery[str | None] = None,
) -> Stream:
    return export_stream(service, format, since, until, case_ref)


@post("/coverage", status_code=202, sync_to_thread=True, summary="Start a coverage report of the stored notes")
def start_coverage(request: AuthRequest, service: Service) -> ReportInfo:
    return service.coverage.start(request.user.actor())


@get("/coverage", sync_to_thread=True, summary="Coverage reports, newest first")
def list_coverage(service: Service, limit: Limit = 20) -> list[ReportInfo]:
    with service.database.reading() as session:
        return coverage_reports.list_reports(session, limit)


@get("/coverage/{report_id:int}", sync_to_thread=True, summary="A finished coverage report's JSON export")
def coverage_report(report_id: FromPath[int], service: Service) -> Response[str]:
    with service.database.reading() as session:
        return Response(coverage_reports.report_document(session, report_id, "json"), media_type="application/json")


admin_router = Router(
    "/admin",
    route_handlers=[
        list_users,
        add_user,
        change_user,
        add_token,
        list_tokens,
        revoke_token,
        catalogue,
        audit_log,
        export_codes,
        start_coverage,
        list_coverage,
        coverage_report,
    ],
    guards=[admin_only],
)
api_router = Router(
    "/api",
    route_handlers=[submit_note, list_notes, get_note, decide, confirm, concepts, me, admin_router],
    # No cookie authenticates here (bearer tokens only), so there is nothing for CSRF to protect.
    opt={"exclude_from_csrf": True},
    exception_handlers=errors.handlers(errors.api_error),
    security=[{"BearerToken": []}],
    tags=["api"],
)
