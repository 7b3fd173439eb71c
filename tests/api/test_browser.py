"""The review page in headless Chromium (Debian's /usr/bin/chromium, driven by Playwright).

The app runs under uvicorn on 127.0.0.1 in a thread, with the real model and database. A
caseworker logs in, opens a note, accepts one suggestion, rejects one, adds a missing code and
confirms; the test then reads the database and the audit log. Screenshots go to tmp_path, and
to $FFBCODER_SCREENSHOT_DIR when set.
"""

from __future__ import annotations

import os
import re
import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest
from playwright.sync_api import BrowserContext, Page, expect, sync_playwright

from ffbcoder.api.service import ReviewService
from ffbcoder.storage import audit, notes, users
from ffbcoder.storage.users import UserRecord
from ffbcoder.suggest.suggester import Suggester, SuggestOptions
from ffbcoder.text.mask import mask_identifiers
from tests.api.conftest import PASSWORD, Tokens
from tests.api.test_web import ONE_PAGE_NOTE

pytestmark = pytest.mark.model
CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    # Nothing but the test server: every other host name fails to resolve.
    "--host-resolver-rules=MAP * ~NOTFOUND , EXCLUDE 127.0.0.1",
]
NOTE = (
    "Skolen underretter: Drengen (010203-1234) har ikke været i skole de sidste tre uger, og mor drikker dagligt. "
    "Ved hjemmebesøget var der ingen mad i køleskabet."
)


@pytest.fixture
def browser(tmp_path: Path) -> Iterator[BrowserContext]:
    assert CHROMIUM.exists(), "the browser test needs Debian's chromium: apt-get install chromium (.ci/run does)"
    os.environ["PLAYWRIGHT_SKIP_BROWSER_DOWNLOAD"] = "1"
    with sync_playwright() as playwright:
        context = playwright.chromium.launch_persistent_context(
            str(tmp_path / "profile"),
            executable_path=str(CHROMIUM),
            headless=True,
            args=CHROMIUM_ARGS,
            viewport={"width": 1440, "height": 900},
            locale="da-DK",
        )
        context.set_default_timeout(15_000)
        yield context
        context.close()


def screenshot(page: Page, tmp_path: Path, name: str) -> None:
    path = tmp_path / name
    page.screenshot(path=str(path))
    target = os.environ.get("FFBCODER_SCREENSHOT_DIR")
    if target:
        Path(target).mkdir(parents=True, exist_ok=True)
        shutil.copy(path, Path(target) / name)


def log_in(page: Page, base_url: str, path: str) -> None:
    page.goto(base_url + path)
    expect(page).to_have_url(f"{base_url}/login?next={path}")
    page.get_by_label("Brugernavn").fill("mette")
    page.get_by_label("Adgangskode").fill(PASSWORD)
    page.get_by_role("button", name="Log ind").click()
    expect(page).to_have_url(base_url + path)


def caseworker(service: ReviewService) -> UserRecord:
    with service.database.reading() as session:
        return next(u for u in users.list_users(session) if u.username == "mette")


def test_review_a_note_in_the_browser(
    base_url: str, browser: BrowserContext, service: ReviewService, tokens: Tokens, tmp_path: Path
) -> None:
    note = service.submit(caseworker(service).actor(), NOTE, "sag 42", "journal 1")
    codes = [s.code for s in note.suggestions]
    assert len(codes) >= 2, codes
    page = browser.new_page()
    errors: list[str] = []
    page.on("pageerror", lambda exc: errors.append(str(exc)))

    log_in(page, base_url, "/noter")
    page.get_by_role("link", name=str(note.id), exact=True).click()
    expect(page.locator("h1")).to_contain_text(f"Note {note.id}")
    expect(page.locator("#note-text")).to_contain_text("XXXXXX-XXXX")

    # Focusing a suggestion highlights its evidence in the note.
    first, second = page.locator(f"#card-{codes[0]}"), page.locator(f"#card-{codes[1]}")
    first.locator(".head").click()
    expect(first).to_have_class(re.compile(r"\bfocused\b"))
    evidence = note.suggestions[0].evidence[0].text
    expect(page.locator("#note-text mark").first).to_have_text(evidence)
    screenshot(page, tmp_path, "review-focused.png")

    # Accept the first with the keyboard, reject the second with its button.
    page.keyboard.press("g")
    expect(first).to_have_class(re.compile(r"\baccepted\b"))
    second.get_by_role("button", name="Afvis").click()
    expect(second).to_have_class(re.compile(r"\brejected\b"))
    for code in codes[2:]:  # any further suggestions: rejected by keyboard on the card
        page.locator(f"#card-{code} .head").click()
        page.keyboard.press("a")
        expect(page.locator(f"#card-{code}")).to_have_class(re.compile(r"\brejected\b"))

    # Add a code the suggester missed, through the concept search.
    page.keyboard.press("/")
    expect(page.locator("#concept-search")).to_be_focused()
    page.keyboard.type("familiebehandling")
    add = page.locator('button[data-add="i-familiebehandling"]')
    add.click()
    expect(page.locator("#card-i-familiebehandling")).to_contain_text("Tilføjet af mette")
    expect(page.locator("#concept-search")).to_have_value("")
    screenshot(page, tmp_path, "review-decided.png")

    confirm = page.locator("#confirm")
    expect(confirm).to_be_enabled()
    confirm.click()
    expect(page.locator(".notice")).to_contain_text(f"Note {note.id} er bekræftet")
    assert errors == []

    stored = service.note(note.id)
    assert stored.status == "done" and stored.confirmed_by == "mette"
    verdicts = {d.code: (d.verdict, d.source, d.decided_by) for d in stored.decisions}
    assert verdicts[codes[0]] == ("accepted", "suggested", "mette")
    assert verdicts[codes[1]] == ("rejected", "suggested", "mette")
    assert verdicts["i-familiebehandling"] == ("accepted", "added", "mette")
    with service.database.reading() as session:
        trail = list(reversed(audit.list_events(session, "note", note.id)))
    assert [e.action for e in trail] == [
        "note.create",
        "decision.accept",
        *["decision.reject"] * (len(codes) - 1),
        "decision.add",
        "note.confirm",
    ]
    assert {e.actor for e in trail} == {"mette"}
    assert trail[-1].details["accepted"] == [codes[0], "i-familiebehandling"]


def test_thirty_suggestions_stay_usable(
    base_url: str, browser: BrowserContext, service: ReviewService, suggester: Suggester, tokens: Tokens, tmp_path: Path
) -> None:
    masked = mask_identifiers(ONE_PAGE_NOTE)
    result = suggester.suggest(masked.text, SuggestOptions(top_k=30, threshold=0.0))
    with service.database.transaction() as session:
        note = notes.add_note(session, caseworker(service).actor(), masked, result)
    page = browser.new_page()
    log_in(page, base_url, f"/noter/{note.id}")
    cards = page.locator("#panel .card")
    expect(cards).to_have_count(30)
    for _ in range(24):  # walk down to the 25th suggestion with the keyboard
        page.keyboard.press("j")
    in_page_order = [s for kind in ("tilstand", "indsats") for s in note.suggestions if s.kind == kind]
    focused = page.locator("#panel .card.focused")
    expect(focused).to_have_attribute("data-code", in_page_order[24].code)
    viewport = page.viewport_size
    assert viewport is not None

    # The focused card, its evidence, the confirm button and the search are all in view at once,
    # and the card is not hidden under the sticky search or confirm bar.
    def box(selector: str) -> dict[str, float]:
        found = page.locator(selector).first.bounding_box()
        assert found is not None, selector
        assert found["y"] >= 0 and found["y"] + found["height"] <= viewport["height"], (selector, found)
        return dict(found)

    card, search, bar = box("#panel .card.focused"), box(".search"), box(".confirm-bar")
    box("#note-text mark")
    box("#confirm")
    assert search["y"] + search["height"] <= card["y"] and card["y"] + card["height"] <= bar["y"]
    screenshot(page, tmp_path, "review-30.png")
