"""The review pages over HTTP: login, CSRF, the queue, the HTMX fragments, admin pages."""

from __future__ import annotations

import re

import pytest
from litestar import Litestar
from litestar.testing import TestClient

from ffbcoder.api.service import ReviewService
from ffbcoder.storage import notes
from ffbcoder.storage.audit import Actor
from ffbcoder.suggest.suggester import Suggester, SuggestOptions
from ffbcoder.text.mask import mask_identifiers
from tests.api.conftest import NOTE, PASSWORD, Tokens

pytestmark = pytest.mark.model
Client = TestClient[Litestar]
ONE_PAGE_NOTE = (
    "Underretning fra skolen. Drengen har ikke været i skole de sidste tre uger, og mor drikker dagligt. "
    "Ved hjemmebesøget var der ingen mad i køleskabet, og lejligheden var meget rodet. Pigen på 4 år virker "
    "ked af det, trækker sig fra de andre børn og har blå mærker på armene, som hun ikke vil forklare. "
    "Far er ikke i kontakt med familien. Mor fortæller, at hun er træt og ikke kan overskue hverdagen, og "
    "hun har tidligere været indlagt med depression. Familien har brug for støtte i hjemmet, og drengen "
    "ønsker en kontaktperson. Der aftales et nyt møde om to uger med skolen og sundhedsplejersken."
)


def csrf(client: Client) -> str:
    if "ffbcoder_csrf" not in client.cookies:
        client.get("/login")
    return str(client.cookies["ffbcoder_csrf"])


def login(client: Client, username: str = "mette", password: str = PASSWORD, next: str = "/noter") -> None:
    form = {"username": username, "password": password, "next": next, "_csrf_token": csrf(client)}
    answer = client.post("/login", data=form, follow_redirects=False)
    assert answer.status_code == 303 and answer.headers["location"] == next


def htmx(client: Client) -> dict[str, str]:
    return {"HX-Request": "true", "x-csrftoken": csrf(client)}


def test_pages_send_the_browser_to_login(client: Client) -> None:
    answer = client.get("/noter/3", follow_redirects=False)
    assert answer.status_code in (302, 303) and answer.headers["location"] == "/login?next=/noter/3"
    fragment = client.post("/noter/3/beslutning", headers={**htmx(client)}, data={"code": "x", "decision": "accept"})
    assert fragment.status_code == 401 and fragment.headers["hx-redirect"].startswith("/login")


def test_login_needs_csrf_and_the_right_password(client: Client, tokens: Tokens) -> None:
    page = client.get("/login")
    assert page.status_code == 200 and "Log ind" in page.text and 'lang="da"' in page.text
    no_token = client.post("/login", data={"username": "mette", "password": PASSWORD}, follow_redirects=False)
    assert no_token.status_code == 403
    wrong = client.post("/login", data={"username": "mette", "password": "forkert", "_csrf_token": csrf(client)})
    assert wrong.status_code == 401 and "Forkert brugernavn eller adgangskode" in wrong.text
    outside = {"username": "mette", "password": PASSWORD, "next": "//evil.example/x", "_csrf_token": csrf(client)}
    answer = client.post("/login", data=outside, follow_redirects=False)
    assert answer.headers["location"] == "/noter"
    [session_cookie] = [c for c in answer.headers.get_list("set-cookie") if c.startswith("ffbcoder_session=")]
    assert "HttpOnly" in session_cookie and "SameSite=lax" in session_cookie and "mette" not in session_cookie
    queue = client.get("/noter")
    assert queue.status_code == 200 and "Til gennemsyn (0)" in queue.text and "mette" in queue.text
    client.post("/logout", data={"_csrf_token": csrf(client)})
    assert client.get("/noter", follow_redirects=False).status_code in (302, 303)


def test_review_through_the_page(client: Client, tokens: Tokens, service: ReviewService) -> None:
    login(client)
    created = client.post(
        "/noter/ny",
        data={"text": NOTE, "case_ref": "sag 9", "note_ref": "", "_csrf_token": csrf(client)},
        follow_redirects=False,
    )
    assert created.status_code == 303
    note_id = int(created.headers["location"].rsplit("/", 1)[1])
    page = client.get(f"/noter/{note_id}").text
    assert "XXXXXX-XXXX" in page and "010203" not in page
    assert "Tilstande" in page and 'id="card-t-skolefravaer"' in page and "Bekræft note" in page
    assert re.search(r'id="confirm"[^>]*disabled', page), "confirm waits for every suggestion"

    note = service.note(note_id)
    for s in note.suggestions:
        fragment = client.post(
            f"/noter/{note_id}/beslutning", data={"code": s.code, "decision": "accept"}, headers=htmx(client)
        )
        assert fragment.status_code == 200 and fragment.text.lstrip().startswith('<div id="panel"')
    without_csrf = client.post(
        f"/noter/{note_id}/beslutning", data={"code": "t-angst", "decision": "add"}, headers={"HX-Request": "true"}
    )
    assert without_csrf.status_code == 403
    bad = client.post(f"/noter/{note_id}/beslutning", data={"code": "x-nej", "decision": "add"}, headers=htmx(client))
    assert bad.status_code == 422 and bad.text.startswith("Ugyldige data: unknown code")
    results = client.get(f"/noter/{note_id}/begreber", params={"q": "angst"}).text
    assert "t-angst" in results and 'data-add="t-angst"' in results
    suggested = client.get(f"/noter/{note_id}/begreber", params={"q": "skolefravær"}).text
    assert "foreslået" in suggested and 'data-add="t-skolefravaer"' not in suggested
    panel = client.post(
        f"/noter/{note_id}/beslutning", data={"code": "t-angst", "decision": "add"}, headers=htmx(client)
    )
    assert "Tilføjede koder" in panel.text and "Alle forslag er afgjort" in panel.text

    done = client.post(f"/noter/{note_id}/bekraeft", data={"_csrf_token": csrf(client)}, follow_redirects=False)
    assert done.headers["location"] == f"/noter?bekraeftet={note_id}"
    assert f"Note {note_id} er bekræftet" in client.get(done.headers["location"]).text
    assert service.note(note_id).status == "done"
    again = client.post(f"/noter/{note_id}/bekraeft", data={"_csrf_token": csrf(client)})
    assert again.status_code == 409 and "Kan ikke gennemføres" in again.text


def test_thirty_suggestions_render(
    client: Client, tokens: Tokens, service: ReviewService, suggester: Suggester
) -> None:
    masked = mask_identifiers(ONE_PAGE_NOTE)
    result = suggester.suggest(masked.text, SuggestOptions(top_k=30, threshold=0.0))
    assert len(result.suggestions) == 30
    with service.database.transaction() as session:
        note_id = notes.add_note(session, Actor(2, "mette"), masked, result).id
    login(client)
    page = client.get(f"/noter/{note_id}").text
    assert page.count('class="card open"') == 30
    assert "Indsatser" in page and "30 forslag mangler en afgørelse" in page


def test_admin_pages_are_for_admins(client: Client, tokens: Tokens) -> None:
    login(client)
    for path in (
        "/admin/brugere",
        "/admin/katalog",
        "/admin/eksport",
        "/admin/revision",
        "/admin/eksport/fil",
        "/admin/dekning",
    ):
        answer = client.get(path)
        assert answer.status_code == 403 and "Ingen adgang" in answer.text, path
    client.post("/logout", data={"_csrf_token": csrf(client)})
    login(client, "anne")
    users_page = client.get("/admin/brugere").text
    assert "Dækningsrapport" in users_page and "mette" in users_page
    made = client.post(
        "/admin/brugere/mette/token", data={"label": "journal", "_csrf_token": csrf(client)}, follow_redirects=False
    )
    token = re.search(r'<code id="new-token">(ffb_[^<]+)</code>', made.text)
    assert token and client.get("/api/me", headers={"Authorization": f"Bearer {token[1]}"}).status_code == 200
    token_id = re.findall(r'action="/admin/tokens/(\d+)/tilbagekald"', made.text)[-1]
    revoked = client.post(f"/admin/tokens/{token_id}/tilbagekald", data={"_csrf_token": csrf(client)})
    assert "Nøglen er tilbagekaldt" in revoked.text
    assert client.get("/api/me", headers={"Authorization": f"Bearer {token[1]}"}).status_code == 401
    new_user = {"username": "jonas", "password": "langt nok kodeord", "role": "caseworker"}
    created = client.post("/admin/brugere", data={**new_user, "_csrf_token": csrf(client)})
    assert "Brugeren jonas er oprettet" in created.text
    change = {"role": "caseworker", "active": "nej", "password": "", "_csrf_token": csrf(client)}
    assert "Brugeren jonas er opdateret" in client.post("/admin/brugere/jonas", data=change).text
    duplicate = client.post("/admin/brugere", data={**new_user, "_csrf_token": csrf(client)})
    assert duplicate.status_code == 409 and "exists already" in duplicate.text
    catalogue = client.get("/admin/katalog").text
    assert "UDKAST" in catalogue and "t-skolefravaer" in catalogue
    export = client.get("/admin/eksport/fil", params={"format": "csv", "fra": "2020-01-01", "til": "2030-12-31"})
    assert export.status_code == 200 and export.text.startswith("note_id,case_ref")
    trail = client.get("/admin/revision").text
    assert "token.create" in trail and "anne" in trail


def test_admin_runs_a_coverage_report_of_the_stored_notes(
    client: Client, tokens: Tokens, service: ReviewService
) -> None:
    mette = Actor(2, "mette")
    texts = [NOTE, ONE_PAGE_NOTE, "Samtale med skolen om fravær. Pigen pjækker flere dage om ugen."]
    ids = [service.submit(mette, text).id for text in texts]
    first = service.note(ids[0])
    rejected = first.suggestions[0].code
    service.decide(mette, ids[0], rejected, "reject")
    service.decide(mette, ids[0], "t-angst", "add")
    login(client, "anne")
    assert "Ingen rapporter endnu" in client.get("/admin/dekning").text
    started = client.post("/admin/dekning", data={"_csrf_token": csrf(client)})
    assert "Dækningsrapport 1 er startet" in started.text
    assert service.coverage.wait(timeout=300), "the coverage run did not finish"
    page = client.get("/admin/dekning").text
    assert "færdig" in page and 'src="/admin/dekning/1/rapport"' in page

    html = client.get("/admin/dekning/1/rapport")
    assert html.status_code == 200 and "Coverage of the catalogue" in html.text
    assert "default-src 'none'" in html.headers["content-security-policy"]
    report = client.get("/admin/dekning/1/rapport.json").json()
    assert report["notes"] == 3 and report["source"]["kind"] == "notes"
    by_code = {c["code"]: c for c in report["usage"]["concepts"]}
    assert by_code["t-angst"]["added"] == 1 and by_code[rejected]["rejected"] == 1
    assert report["confusion"]["swaps"][0]["a"] == rejected and report["confusion"]["swaps"][0]["b"] == "t-angst"
    assert client.get("/admin/dekning/2/rapport").status_code == 404
    trail = client.get("/admin/revision").text
    assert "coverage.run" in trail
