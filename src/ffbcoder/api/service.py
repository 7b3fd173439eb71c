"""What the review service does, for the JSON API and the web page alike: suggest + storage.

One Suggester per process, loaded once (in a background thread at startup, so that health
answers at once and readiness tells when the model is in). Handlers run in worker threads,
never on the event loop; suggest calls take turns on one lock because the model already uses
every core for one note.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from dataclasses import dataclass

from litestar.di import NamedDependency
from litestar.exceptions import ServiceUnavailableException

from ffbcoder.api.coverage_runs import CoverageRunner
from ffbcoder.api.memory import trim_malloc
from ffbcoder.catalogue.model import Catalogue
from ffbcoder.storage import notes
from ffbcoder.storage.audit import Actor
from ffbcoder.storage.database import Database
from ffbcoder.storage.errors import InvalidInputError
from ffbcoder.storage.notes import NoteRecord
from ffbcoder.suggest.suggester import Suggester, SuggestOptions
from ffbcoder.text.mask import mask_identifiers

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class ServiceConfig:
    """max_suggestions: suggestions stored per note (the page stays usable with 30).
    max_body_bytes: requests larger than this are refused with 413.
    secure_cookies: send session and CSRF cookies over HTTPS only (behind a TLS proxy).
    session_hours: a login lasts this long.
    """

    max_suggestions: int = 30
    max_body_bytes: int = 1_000_000
    secure_cookies: bool = False
    session_hours: int = 10


class SuggesterSlot:
    """The process's Suggester: given, or loaded once in a background thread."""

    def __init__(self, suggester: Suggester | None = None) -> None:
        self._suggester = suggester
        self._error: str | None = None
        self._loading = False

    def load_in_background(self, loader: Callable[[], Suggester]) -> None:
        if self._suggester is not None or self._loading:
            return
        self._loading = True
        threading.Thread(target=self._load, args=(loader,), name="suggester-load", daemon=True).start()

    def _load(self, loader: Callable[[], Suggester]) -> None:
        try:
            self._suggester = loader()
        except Exception as exc:  # shown by /ready and on submit; the server keeps serving reviews
            log.exception("loading the suggester failed")
            self._error = f"{type(exc).__name__}: {exc}"
        finally:
            self._loading = False

    def problem(self) -> str | None:
        """None when loaded, else why not (still loading, or the load error)."""
        if self._suggester is not None:
            return None
        return f"the suggester failed to load: {self._error}" if self._error else "the suggester is loading"

    def get(self) -> Suggester:
        if self._suggester is None:
            raise ServiceUnavailableException(self.problem())
        return self._suggester


class ReviewService:
    def __init__(
        self, database: Database, catalogue: Catalogue, slot: SuggesterSlot, config: ServiceConfig | None = None
    ) -> None:
        self.database = database
        self.catalogue = catalogue
        self.slot = slot
        self.config = config or ServiceConfig()
        self._suggest_lock = threading.Lock()
        self.coverage = CoverageRunner(database, slot.get, self._suggest_lock)

    def submit(self, actor: Actor, text: str, case_ref: str | None = None, note_ref: str | None = None) -> NoteRecord:
        """Mask, suggest on the masked text, store note and suggestions in one transaction."""
        if not text.strip():
            raise InvalidInputError("the note is empty")
        suggester = self.slot.get()
        masked = mask_identifiers(text)
        options = SuggestOptions(top_k=self.config.max_suggestions)
        with self._suggest_lock:
            result = suggester.suggest(masked.text, options)
            trim_malloc()
        with self.database.transaction() as session:
            return notes.add_note(session, actor, masked, result, case_ref, note_ref)

    def decide(
        self, actor: Actor, note_id: int, code: str, action: notes.Action, comment: str | None = None
    ) -> NoteRecord:
        with self.database.transaction() as session:
            return notes.record_decision(session, actor, note_id, code, action, self.catalogue, comment)

    def confirm(self, actor: Actor, note_id: int) -> NoteRecord:
        with self.database.transaction() as session:
            return notes.confirm_note(session, actor, note_id)

    def note(self, note_id: int) -> NoteRecord:
        with self.database.reading() as session:
            return notes.get_note(session, note_id)

    def problems(self) -> list[str]:
        """What keeps the service from being ready (empty when ready)."""
        return [p for p in (self.database.check_ready(), self.slot.problem()) if p]


# How route handlers ask for the service (``service: Service``); the app provides the one instance.
Service = NamedDependency[ReviewService]
