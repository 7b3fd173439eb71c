"""Coverage reports run from the admin page: one background thread at a time per service.

A run reads every stored note and scores it with the service's suggester, taking turns with
caseworkers' suggest calls chunk by chunk (``CHUNK_NOTES``), so a long run slows the page
down a little instead of blocking it. The report lands in the database (``coverage_reports``).
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from contextlib import AbstractContextManager

from ffbcoder.coverage.analyse import CoverageOptions
from ffbcoder.coverage.report import render_html, render_json
from ffbcoder.coverage.review_db import analyse_database
from ffbcoder.storage import coverage_reports
from ffbcoder.storage.audit import Actor
from ffbcoder.storage.coverage_reports import ReportInfo
from ffbcoder.storage.database import Database
from ffbcoder.suggest.suggester import Suggester

log = logging.getLogger(__name__)
CHUNK_NOTES = 16  # notes scored per turn on the suggester lock (about a second on two cores)


class CoverageRunner:
    def __init__(
        self,
        database: Database,
        suggester: Callable[[], Suggester],
        lock: AbstractContextManager[object],
        options: CoverageOptions | None = None,
    ) -> None:
        self.database = database
        self._suggester = suggester
        self._lock = lock
        self.options = options or CoverageOptions(chunk_notes=CHUNK_NOTES)
        self._thread: threading.Thread | None = None

    def start(self, actor: Actor) -> ReportInfo:
        """Record a new run and start it; refused (ConflictError) while one runs."""
        suggester = self._suggester()  # 503 before anything is recorded when the model is not in yet
        with self.database.transaction() as session:
            info = coverage_reports.start_report(session, actor)
        self._thread = threading.Thread(
            target=self._run, args=(info.id, suggester), name=f"coverage-{info.id}", daemon=True
        )
        self._thread.start()
        return info

    def wait(self, timeout: float | None = None) -> bool:
        """Wait for the run this process started; True when none is under way."""
        if self._thread is not None:
            self._thread.join(timeout)
        return self._thread is None or not self._thread.is_alive()

    def _run(self, report_id: int, suggester: Suggester) -> None:
        try:
            analysis = analyse_database(suggester, self.database, self.options, lock=self._lock)
            html, json_text = render_html(analysis), render_json(analysis)
        except Exception as exc:
            # The type only: a message could quote a note.
            log.exception("coverage report %d failed", report_id)
            with self.database.transaction() as session:
                coverage_reports.fail_report(session, report_id, f"the analysis failed ({type(exc).__name__})")
            return
        with self.database.transaction() as session:
            coverage_reports.finish_report(session, report_id, analysis.n_notes, len(analysis.gaps), html, json_text)
