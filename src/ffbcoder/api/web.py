"""The review pages (server-rendered, HTMX): login, queue, new note, note review, concept search.

Decisions answer with the re-rendered decision panel (``_panel.html``), which HTMX swaps in
place; without HTMX the browser is sent back to the note page.
"""

from __future__ import annotations

from typing import Annotated, Any, Literal

import msgspec
from litestar import Request, Response, Router, get, post
from litestar.params import FromPath, FromQuery, QueryParameter, URLEncodedBody
from litestar.response import Redirect, Template

from ffbcoder.api import errors
from ffbcoder.api.auth import SESSION_USER, AuthRequest
from ffbcoder.api.schemas import Code, Comment, Password, Ref, Username
from ffbcoder.api.service import Service
from ffbcoder.catalogue.search import search_concepts
from ffbcoder.storage import notes, users
from ffbcoder.storage.notes import NoteRecord

PAGE_SIZE = 50
GROUPS = (("tilstand", "Tilstande"), ("indsats", "Indsatser"))


# Page forms: like the API bodies, but HTML sends empty strings for empty fields, and the CSRF
# token as a field of its own.
class LoginForm(msgspec.Struct):
    username: Username
    password: Password
    next: str = "/noter"


class NoteForm(msgspec.Struct):
    text: str
    case_ref: Ref = ""
    note_ref: Ref = ""


class DecisionForm(msgspec.Struct):
    code: Code
    decision: Literal["accept", "reject", "add"]
    comment: Comment = ""


def _local_path(target: str) -> str:
    """Only a path on this site: '/noter/3', not '//evil.example' or 'https://...'."""
    return target if target.startswith("/") and not target.startswith("//") and "\\" not in target else "/noter"


@get("/login", opt={"exclude_from_auth": True}, sync_to_thread=False)
def login_page(next: Annotated[str, QueryParameter(max_length=500)] = "/noter") -> Template:
    return Template("login.html", context={"next": _local_path(next), "failed": False})


@post("/login", opt={"exclude_from_auth": True}, sync_to_thread=True)
def login(request: Request[Any, Any, Any], data: URLEncodedBody[LoginForm], service: Service) -> Response[Any]:
    with service.database.transaction() as session:  # a login may upgrade the password hash
        user = users.authenticate(session, data.username.strip(), data.password)
    if user is None:
        context = {"next": _local_path(data.next), "failed": True, "username": data.username}
        return Template("login.html", context=context, status_code=401)
    request.set_session({SESSION_USER: user.id})
    return Redirect(_local_path(data.next), status_code=303)


@post("/logout", sync_to_thread=False)
def logout(request: AuthRequest) -> Redirect:
    request.clear_session()
    return Redirect("/login", status_code=303)


@get("/", sync_to_thread=False)
def home() -> Redirect:
    return Redirect("/noter")


@get("/noter", sync_to_thread=True)
def queue(
    service: Service,
    status: FromQuery[Literal["to_review", "done"]] = "to_review",
    page: Annotated[int, QueryParameter(ge=1, le=100_000)] = 1,
    bekraeftet: FromQuery[int | None] = None,
) -> Template:
    with service.database.reading() as session:
        listing = notes.list_notes(session, status, limit=PAGE_SIZE, offset=(page - 1) * PAGE_SIZE)
        counts = notes.count_by_status(session)
        following = notes.list_notes(session, "to_review", limit=1) if bekraeftet is not None else None
    context = {
        "status": status,
        "listing": listing,
        "counts": counts,
        "page": page,
        "pages": max(1, -(-listing.total // PAGE_SIZE)),
        "confirmed": bekraeftet,
        "next_note": following.items[0].id if following and following.items else None,
    }
    return Template("queue.html", context=context)


@get("/noter/ny", sync_to_thread=False)
def new_note_page() -> Template:
    return Template("note_new.html", context={})


@post("/noter/ny", sync_to_thread=True)
def new_note(request: AuthRequest, data: URLEncodedBody[NoteForm], service: Service) -> Redirect:
    note = service.submit(request.user.actor(), data.text, data.case_ref, data.note_ref)
    return Redirect(f"/noter/{note.id}", status_code=303)


def _panel_context(note: NoteRecord) -> dict[str, Any]:
    suggested = {s.code for s in note.suggestions}
    groups = [(heading, [s for s in note.suggestions if s.kind == kind]) for kind, heading in GROUPS]
    return {
        "note": note,
        "groups": [(heading, items) for heading, items in groups if items],
        "added": [d for d in note.decisions if d.code not in suggested],
        "open": len(note.undecided()),
        "spans": {s.code: [[e.start, e.end] for e in s.evidence] for s in note.suggestions},
    }


@get("/noter/{note_id:int}", sync_to_thread=True)
def note_page(note_id: FromPath[int], service: Service) -> Template:
    return Template("note.html", context=_panel_context(service.note(note_id)))


@post("/noter/{note_id:int}/beslutning", sync_to_thread=True)
def decide(
    request: AuthRequest, note_id: FromPath[int], data: URLEncodedBody[DecisionForm], service: Service
) -> Response[Any]:
    note = service.decide(request.user.actor(), note_id, data.code, data.decision, data.comment or None)
    if request.headers.get("hx-request") != "true":
        return Redirect(f"/noter/{note_id}", status_code=303)
    return Template("_panel.html", context=_panel_context(note))


@get("/noter/{note_id:int}/begreber", sync_to_thread=True)
def concept_search(
    note_id: FromPath[int], service: Service, q: Annotated[str, QueryParameter(max_length=200)] = ""
) -> Template:
    note = service.note(note_id)
    found = search_concepts(service.catalogue, q, limit=15)
    suggested = {s.code for s in note.suggestions}
    taken = dict.fromkeys(suggested, "foreslået") | {
        d.code: "tilføjet" for d in note.decisions if d.verdict == "accepted" and d.code not in suggested
    }
    return Template("_search.html", context={"note": note, "concepts": found, "taken": taken, "q": q})


@post("/noter/{note_id:int}/bekraeft", sync_to_thread=True)
def confirm(request: AuthRequest, note_id: FromPath[int], service: Service) -> Redirect:
    service.confirm(request.user.actor(), note_id)
    return Redirect(f"/noter?bekraeftet={note_id}", status_code=303)


router = Router(
    "/",
    route_handlers=[
        login_page,
        login,
        logout,
        home,
        queue,
        new_note_page,
        new_note,
        note_page,
        decide,
        concept_search,
        confirm,
    ],
    exception_handlers=errors.handlers(errors.page_error),
    include_in_schema=False,
)
