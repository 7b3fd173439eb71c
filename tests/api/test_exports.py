"""Export bounds are Danish days, whatever zone the server runs in."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from ffbcoder.api.exports import parse_bound
from ffbcoder.storage.errors import InvalidInputError


def test_a_date_is_the_danish_day() -> None:
    start = parse_bound("2026-11-30", "since")
    end = parse_bound("2026-11-30", "until", end=True)
    assert start is not None and end is not None
    # 00:00 Copenhagen in winter is 23:00 UTC the day before; the end date counts in full.
    assert start.astimezone(UTC) == datetime(2026, 11, 29, 23, 0, tzinfo=UTC)
    assert end.astimezone(UTC) == datetime(2026, 11, 30, 23, 0, tzinfo=UTC)
    summer = parse_bound("2026-07-01", "since")
    assert summer is not None and summer.astimezone(UTC) == datetime(2026, 6, 30, 22, 0, tzinfo=UTC)


def test_a_datetime_keeps_its_zone_or_is_read_as_danish() -> None:
    assert parse_bound("2026-11-30T10:00+00:00", "since") == datetime(2026, 11, 30, 10, 0, tzinfo=UTC)
    local = parse_bound("2026-11-30T10:00", "since")
    assert local is not None and local.astimezone(UTC) == datetime(2026, 11, 30, 9, 0, tzinfo=UTC)
    assert parse_bound("  ", "since") is None


def test_a_bad_bound_names_the_parameter() -> None:
    with pytest.raises(InvalidInputError, match="until"):
        parse_bound("i morgen", "until")
