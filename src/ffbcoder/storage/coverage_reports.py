"""Coverage reports of the stored notes: one row per run, from start to its HTML and JSON.

The analysis itself lives in ``coverage``; this module only keeps track of runs, so a report
survives a restart and every server instance sees the same ones. At most one run is under
way at a time: a second start is refused while one is running.
"""

from __future__ import annotations

from datetime import datetime

import msgspec
from sqlalchemy import select, update
from sqlalchemy.orm import Session, selectinload

from ffbcoder.storage import audit
from ffbcoder.storage.audit import Actor
from ffbcoder.storage.errors import ConflictError, NotFoundError
from ffbcoder.storage.models import CoverageReport, utcnow

INTERRUPTED = "interrupted: the service stopped before the run finished"


class ReportInfo(msgspec.Struct, frozen=True):
    id: int
    status: str
    requested_at: datetime
    requested_by: str | None
    finished_at: datetime | None
    notes: int | None
    gaps: int | None
    error: str | None


def _info(row: CoverageReport) -> ReportInfo:
    return ReportInfo(
        id=row.id,
        status=row.status,
        requested_at=row.requested_at,
        requested_by=row.requester.username if row.requester is not None else None,
        finished_at=row.finished_at,
        notes=row.notes,
        gaps=row.gaps,
        error=row.error,
    )


def _load(session: Session, report_id: int) -> CoverageReport:
    row = session.get(CoverageReport, report_id)
    if row is None:
        raise NotFoundError(f"no coverage report {report_id}")
    return row


def start_report(session: Session, actor: Actor) -> ReportInfo:
    """A new run in state ``running``; refused while another one runs."""
    running = session.scalar(select(CoverageReport.id).where(CoverageReport.status == "running"))
    if running is not None:
        raise ConflictError(f"coverage report {running} is still running")
    row = CoverageReport(status="running", requested_at=utcnow(), requested_by=actor.id)
    session.add(row)
    session.flush()
    audit.record(session, actor, "coverage.run", "coverage", row.id)
    return _info(row)


def finish_report(session: Session, report_id: int, notes: int, gaps: int, html: str, json_text: str) -> None:
    row = _load(session, report_id)
    row.status, row.finished_at, row.notes, row.gaps = "done", utcnow(), notes, gaps
    row.report_html, row.report_json = html, json_text


def fail_report(session: Session, report_id: int, error: str) -> None:
    row = _load(session, report_id)
    row.status, row.finished_at, row.error = "failed", utcnow(), error


def fail_interrupted(session: Session) -> int:
    """Mark runs left ``running`` by a stopped service as failed; the number marked."""
    result = session.execute(
        update(CoverageReport)
        .where(CoverageReport.status == "running")
        .values(status="failed", finished_at=utcnow(), error=INTERRUPTED)
    )
    return int(getattr(result, "rowcount", 0) or 0)


def list_reports(session: Session, limit: int = 20) -> list[ReportInfo]:
    rows = session.scalars(
        select(CoverageReport)
        .options(selectinload(CoverageReport.requester))
        .order_by(CoverageReport.id.desc())
        .limit(limit)
    )
    return [_info(row) for row in rows]


def get_report(session: Session, report_id: int) -> ReportInfo:
    return _info(_load(session, report_id))


def report_document(session: Session, report_id: int, form: str) -> str:
    """A finished report's ``html`` or ``json`` text."""
    row = _load(session, report_id)
    text = row.report_html if form == "html" else row.report_json
    if row.status != "done" or text is None:
        raise NotFoundError(f"coverage report {report_id} has no {form} ({row.status})")
    return text
