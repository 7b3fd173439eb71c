"""The JSON API against the real app, database and model: the review flow, auth, roles, limits."""

from __future__ import annotations

import csv
import io
import json
import threading
from datetime import timedelta

import httpx
import pytest
from httpx import Response
from litestar import Litestar
from litestar.testing import TestClient

from ffbcoder.api.app import create_app
from ffbcoder.api.service import ReviewService, SuggesterSlot
from ffbcoder.api.templating import local_today
from ffbcoder.storage import coverage_reports
from ffbcoder.storage.audit import Actor
from ffbcoder.storage.database import Database
from ffbcoder.suggest.suggester import Suggester
from tests.api.conftest import NOTE, Tokens

pytestmark = pytest.mark.model
Client = TestClient[Litestar]
OPEN_PATHS = {"/health", "/ready", "/login", "/static"}


def submit(client: Client, tokens: Tokens, text: str = NOTE, **refs: str) -> dict:  # type: ignore[type-arg]
    response = client.post("/api/notes", json={"text": text, **refs}, headers=tokens.header())
    assert response.status_code == 201, response.text
    return response.json()  # type: ignore[no-any-return]


def test_health_and_readiness_need_no_login(client: Client, database: Database) -> None:
    assert client.get("/health").json() == {"status": "ok", "problems": []}
    assert client.get("/ready").status_code == 200
    database.downgrade("base")
    answer = client.get("/ready")
    assert answer.status_code == 503 and "ffbcoder db upgrade" in answer.json()["problems"][0]


def test_without_a_suggester_the_service_is_not_ready(service: ReviewService, tokens: Tokens) -> None:
    loading = ReviewService(service.database, service.catalogue, SuggesterSlot())
    with TestClient(create_app(loading)) as client:
        assert client.get("/ready").json() == {"status": "not ready", "problems": ["the suggester is loading"]}
        answer = client.post("/api/notes", json={"text": NOTE}, headers=tokens.header())
        assert answer.status_code == 503 and answer.json()["detail"] == "the suggester is loading"


def test_every_route_but_health_needs_authentication(app: Litestar, client: Client) -> None:
    checked = 0
    for route in app.routes:
        if any(route.path == p or route.path.startswith(p + "/") for p in OPEN_PATHS):
            continue
        path = route.path.replace("{note_id:int}", "1").replace("{token_id:int}", "1").replace("{report_id:int}", "1")
        path = path.replace("{username:str}", "mette").replace("{path:path}", "")
        for method in sorted(route.methods - {"OPTIONS", "HEAD"}):
            answer = client.request(method, path, follow_redirects=False)
            assert answer.status_code in (401, 302, 303), f"{method} {path}: {answer.status_code}"
            if path.startswith("/api/"):
                assert answer.status_code == 401 and answer.headers["www-authenticate"].startswith("Bearer")
            checked += 1
    assert checked > 30


def test_bad_tokens_are_refused(client: Client, tokens: Tokens) -> None:
    for header in ("Bearer ffb_wrong", "Basic bWV0dGU6eA==", "Bearer "):
        answer = client.get("/api/me", headers={"Authorization": header})
        assert answer.status_code == 401, header
    assert client.get("/api/me", headers=tokens.header()).json()["username"] == "mette"


def test_a_caseworker_cannot_reach_admin_endpoints(app: Litestar, client: Client, tokens: Tokens) -> None:
    admin_paths = [r for r in app.routes if r.path.startswith("/api/admin")]
    assert len(admin_paths) >= 6
    for route in admin_paths:
        path = route.path.replace("{token_id:int}", "1").replace("{username:str}", "anne")
        path = path.replace("{report_id:int}", "1")
        for method in route.methods - {"OPTIONS", "HEAD"}:
            answer = client.request(method, path, headers=tokens.header("caseworker"), json={})
            assert answer.status_code == 403, f"{method} {path}"
    assert client.get("/api/admin/users", headers=tokens.header("admin")).status_code == 200


def test_submit_masks_scores_and_stores(client: Client, tokens: Tokens) -> None:
    note = submit(client, tokens, case_ref="sag 010203-1234", note_ref="journal 7")
    assert "1234" not in note["text"] and "XXXXXX-XXXX" in note["text"] and len(note["text"]) == len(NOTE)
    assert note["masked_identifiers"] == 1 and note["case_ref"] == "sag XXXXXX-XXXX"
    assert note["status"] == "to_review" and note["created_by"] == "mette"
    assert note["catalogue"] == {"id": "ffb-bu-udkast", "version": "0.1.0"}
    assert note["model"].startswith("multilingual-e5-small:")
    codes = [s["code"] for s in note["suggestions"]]
    assert "t-skolefravaer" in codes and "t-foraelder-misbrug" in codes
    for s in note["suggestions"]:
        for e in s["evidence"]:
            assert note["text"][e["start"] : e["end"]] == e["text"]
    again = client.get(f"/api/notes/{note['id']}", headers=tokens.header()).json()
    assert again == note
    duplicate = client.post(
        "/api/notes",
        json={"text": NOTE, "case_ref": "sag 010203-1234", "note_ref": "journal 7"},
        headers=tokens.header(),
    )
    assert duplicate.status_code == 409 and f"note {note['id']}" in duplicate.json()["detail"]


def test_review_flow_decisions_confirmation_and_audit(client: Client, tokens: Tokens) -> None:
    note = submit(client, tokens)
    nid, codes = note["id"], [s["code"] for s in note["suggestions"]]
    h = tokens.header()

    def decide(code: str, decision: str, **extra: str) -> Response:
        return client.post(f"/api/notes/{nid}/decisions", json={"code": code, "decision": decision, **extra}, headers=h)

    early = client.post(f"/api/notes/{nid}/confirm", headers=h)
    assert early.status_code == 409 and "without a decision" in early.json()["detail"]
    assert decide(codes[0], "accept").status_code == 200
    for code in codes[1:]:
        assert decide(code, "reject", comment="ikke belyst").status_code == 200
    assert decide("i-familiebehandling", "add", comment="aftalt på mødet").status_code == 200
    assert decide("x-findes-ikke", "add").status_code == 422
    assert decide(codes[0], "add").status_code == 422
    assert decide("i-plejefamilie", "accept").status_code == 422
    missing = client.post("/api/notes/9999/decisions", json={"code": codes[0], "decision": "accept"}, headers=h)
    assert missing.status_code == 404

    listed = client.get("/api/notes", params={"status": "to_review"}, headers=h).json()
    assert [n["id"] for n in listed["items"]] == [nid] and listed["items"][0]["decided"] == len(codes) + 1
    done = client.post(f"/api/notes/{nid}/confirm", headers=h).json()
    assert done["status"] == "done" and done["confirmed_by"] == "mette"
    verdicts = {d["code"]: (d["verdict"], d["source"], d["decided_by"]) for d in done["decisions"]}
    assert verdicts[codes[0]] == ("accepted", "suggested", "mette")
    assert verdicts["i-familiebehandling"] == ("accepted", "added", "mette")
    assert all(verdicts[c][0] == "rejected" for c in codes[1:])
    assert decide(codes[0], "reject").status_code == 409
    assert client.get("/api/notes", params={"status": "done"}, headers=h).json()["total"] == 1

    trail = client.get("/api/admin/audit", params={"entity": "note", "entity_id": nid}, headers=tokens.header("admin"))
    events = list(reversed(trail.json()))
    assert [e["action"] for e in events] == (
        ["note.create", "decision.accept"] + ["decision.reject"] * (len(codes) - 1) + ["decision.add", "note.confirm"]
    )
    assert {e["actor"] for e in events} == {"mette"} and all(e["at"] for e in events)
    assert "tre uger" not in json.dumps(events), "no note text in the audit log"


def test_export_csv_and_jsonl_by_time_and_case(client: Client, tokens: Tokens) -> None:
    for case in ("sag 1", "sag 2"):
        note = submit(client, tokens, case_ref=case)
        for s in note["suggestions"]:
            decision = {"code": s["code"], "decision": "accept"}
            client.post(f"/api/notes/{note['id']}/decisions", json=decision, headers=tokens.header())
        assert client.post(f"/api/notes/{note['id']}/confirm", headers=tokens.header()).status_code == 200
    admin = tokens.header("admin")
    # The export's dates are Danish days; CI may run in UTC after 23:00 when Denmark is a day ahead.
    today = local_today().isoformat()
    answer = client.get("/api/admin/export", params={"format": "csv", "since": today, "until": today}, headers=admin)
    assert answer.status_code == 200 and answer.headers["content-type"].startswith("text/csv")
    assert "attachment" in answer.headers["content-disposition"]
    rows = list(csv.DictReader(io.StringIO(answer.text)))
    assert {r["case_ref"] for r in rows} == {"sag 1", "sag 2"} and all(r["source"] == "suggested" for r in rows)
    lines = client.get("/api/admin/export", params={"format": "jsonl", "case_ref": "sag 2"}, headers=admin).text
    docs = [json.loads(line) for line in lines.splitlines()]
    assert docs and {d["case_ref"] for d in docs} == {"sag 2"} and {"code", "confirmed_at", "model"} <= set(docs[0])
    tomorrow = (local_today() + timedelta(days=1)).isoformat()
    assert client.get("/api/admin/export", params={"since": tomorrow}, headers=admin).text.count("\n") == 1
    bad = client.get("/api/admin/export", params={"since": "i går"}, headers=admin)
    assert bad.status_code == 422 and "since" in bad.json()["detail"]


def test_size_limits_and_malformed_requests(client: Client, tokens: Tokens) -> None:
    h = tokens.header()
    raw = {**h, "content-type": "application/json"}
    too_big = client.post("/api/notes", content=b'{"text": "' + b"a" * 1_100_000 + b'"}', headers=raw)
    assert too_big.status_code == 413
    too_long = client.post("/api/notes", json={"text": "Mor drikker. " * 8000}, headers=h)
    assert too_long.status_code == 413 and "the limit is 100000" in too_long.json()["detail"]
    assert client.post("/api/notes", json={"text": "  \n "}, headers=h).status_code == 422
    assert client.post("/api/notes", json={"text": NOTE, "case_ref": "x" * 201}, headers=h).status_code == 400
    assert client.post("/api/notes", json={"text": NOTE, "cpr": "010203-1234"}, headers=h).status_code == 400
    assert client.post("/api/notes", content=b"{not json", headers=raw).status_code == 400
    assert client.get("/api/notes", params={"limit": 10_000}, headers=h).status_code == 400
    assert client.get("/api/notes", params={"status": "maybe"}, headers=h).status_code == 400
    assert client.get("/api/notes", headers=h).json()["total"] == 0, "nothing was stored by the refused requests"


def test_concept_search(client: Client, tokens: Tokens) -> None:
    found = client.get("/api/concepts", params={"q": "panikanfald"}, headers=tokens.header()).json()
    assert [c["id"] for c in found] == ["t-angst"] and found[0]["kind"] == "tilstand"
    only = client.get("/api/concepts", params={"q": "familie", "kind": "indsats"}, headers=tokens.header()).json()
    assert only and {c["kind"] for c in only} == {"indsats"}


def test_admin_manages_users_and_tokens(client: Client, tokens: Tokens) -> None:
    admin = tokens.header("admin")
    jonas_user = {"username": "jonas", "password": "langt nok kodeord", "role": "caseworker"}
    created = client.post("/api/admin/users", json=jonas_user, headers=admin)
    assert created.status_code == 201 and created.json()["role"] == "caseworker"
    assert client.post("/api/admin/users", json=jonas_user, headers=admin).status_code == 409
    weak = {"username": "kort", "password": "kort"}
    assert client.post("/api/admin/users", json=weak, headers=admin).status_code == 422
    new = client.post("/api/admin/users/jonas/tokens", json={"label": "script"}, headers=admin).json()
    jonas = {"Authorization": f"Bearer {new['token']}"}
    assert client.get("/api/me", headers=jonas).json()["username"] == "jonas"
    assert client.delete(f"/api/admin/tokens/{new['info']['id']}", headers=admin).json()["revoked_at"]
    assert client.get("/api/me", headers=jonas).status_code == 401
    promoted = client.patch("/api/admin/users/mette", json={"role": "admin"}, headers=admin).json()
    assert promoted["role"] == "admin"
    assert client.get("/api/admin/users", headers=tokens.header("caseworker")).status_code == 200
    client.patch("/api/admin/users/mette", json={"active": False}, headers=admin)
    assert client.get("/api/me", headers=tokens.header("caseworker")).status_code == 401, "deactivated users are out"


def test_openapi_schema(client: Client, tokens: Tokens) -> None:
    schema = client.get("/schema/openapi.json", headers=tokens.header()).json()
    expected = {"/api/notes", "/api/notes/{note_id}/decisions", "/api/concepts", "/api/admin/export"}
    assert expected <= set(schema["paths"])
    assert "/noter" not in schema["paths"]
    root = client.get("/schema", headers=tokens.header())
    assert root.json()["openapi"] and "cdn" not in root.text, "no schema viewer that loads scripts from a CDN"


def test_the_server_answers_while_a_note_is_scored(
    base_url: str, service: ReviewService, tokens: Tokens, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Suggest calls run in worker threads: with one held up, other requests are still answered."""
    scoring = threading.Event()
    get_suggester = service.slot.get

    def signalling_get() -> Suggester:
        scoring.set()  # the submit has reached the suggester (and now waits for the lock held below)
        return get_suggester()

    monkeypatch.setattr(service.slot, "get", signalling_get)
    answers: list[httpx.Response] = []
    with httpx.Client(base_url=base_url, headers=tokens.header(), timeout=60) as http:
        submitter = threading.Thread(target=lambda: answers.append(http.post("/api/notes", json={"text": NOTE})))
        with service._suggest_lock:
            submitter.start()
            assert scoring.wait(30), "the submit did not reach the suggester"
            assert http.get("/health").status_code == 200
            assert http.get("/api/notes").json()["total"] == 0
            assert http.get("/api/concepts", params={"q": "angst"}).status_code == 200
            assert submitter.is_alive() and not answers, "the submit is still waiting for the suggester"
        submitter.join(60)
    assert [a.status_code for a in answers] == [201]


def test_coverage_report_of_an_empty_database(client: Client, tokens: Tokens, service: ReviewService) -> None:
    admin = tokens.header("admin")
    # A run left "running" (another request's) refuses a second start until it is closed.
    with service.database.transaction() as session:
        coverage_reports.start_report(session, Actor(None, "test"))
    refused = client.post("/api/admin/coverage", headers=admin)
    assert refused.status_code == 409 and "still running" in refused.text
    with service.database.transaction() as session:
        assert coverage_reports.fail_interrupted(session) == 1
    started = client.post("/api/admin/coverage", headers=admin)
    assert started.status_code == 202 and started.json()["status"] == "running"
    report_id = started.json()["id"]
    assert service.coverage.wait(timeout=120)
    listed = client.get("/api/admin/coverage", headers=admin).json()
    first = next(r for r in listed if r["id"] == report_id)
    assert first["status"] == "done" and first["notes"] == 0 and first["requested_by"] == "anne"
    report = client.get(f"/api/admin/coverage/{report_id}", headers=admin).json()
    assert report["notes"] == 0 and report["uncovered"]["gaps"] == []
    assert client.get("/api/admin/coverage/999", headers=admin).status_code == 404
