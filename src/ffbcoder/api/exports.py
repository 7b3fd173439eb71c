"""Export downloads shared by the JSON API and the admin page: bounds parsing and the stream."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date, datetime, time, timedelta

from litestar.response import Stream

from ffbcoder.api.service import ReviewService
from ffbcoder.api.templating import LOCAL_TIME, local_today
from ffbcoder.storage import export
from ffbcoder.storage.errors import InvalidInputError


def parse_bound(value: str | None, name: str, end: bool = False) -> datetime | None:
    """A date (an end date counts in full) or an ISO datetime; Danish local time unless a zone is given."""
    value = (value or "").strip()
    if not value:
        return None
    try:
        if len(value) == 10:
            day = date.fromisoformat(value) + timedelta(days=1 if end else 0)
            return datetime.combine(day, time(), LOCAL_TIME)
        moment = datetime.fromisoformat(value)
    except ValueError:
        raise InvalidInputError(f"{name}: expected a date (2026-07-01) or an ISO datetime, got {value!r}") from None
    return moment if moment.tzinfo else moment.replace(tzinfo=LOCAL_TIME)


def _chunks(
    service: ReviewService,
    fmt: export.ExportFormat,
    since: datetime | None,
    until: datetime | None,
    case_ref: str | None,
) -> Iterator[bytes]:
    with service.database.reading() as session:
        rows = export.confirmed_codes(session, since, until, case_ref)
        if fmt == "csv":
            for text in export.csv_lines(rows):
                yield text.encode("utf-8")
        else:
            yield from export.jsonl_lines(rows)


def export_stream(
    service: ReviewService,
    fmt: export.ExportFormat,
    since: str | None = None,
    until: str | None = None,
    case_ref: str | None = None,
) -> Stream:
    start, end = parse_bound(since, "since"), parse_bound(until, "until", end=True)
    if start and end and end <= start:
        raise InvalidInputError("the end of the time range comes before its start")
    name = f"ffb-koder-{local_today():%Y%m%d}.{fmt}"
    return Stream(
        _chunks(service, fmt, start, end, case_ref.strip() if case_ref and case_ref.strip() else None),
        media_type=export.MEDIA_TYPES[fmt],
        headers={"Content-Disposition": f'attachment; filename="{name}"'},
    )
