"""Strict parsing helpers adapters share."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone
from decimal import Decimal

import pytest

from stopkit import HttpResponse, ResponseShapeError, UnknownVenueValue
from stopkit.parsing import lookup, parse_decimal, parse_id, parse_iso8601, parse_unix_ms, retry_after_s


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("2025-08-14T16:07:25Z", datetime(2025, 8, 14, 16, 7, 25, tzinfo=UTC)),
        ("2025-08-14T16:07:25.8Z", datetime(2025, 8, 14, 16, 7, 25, 800000, tzinfo=UTC)),
        ("2025-08-14T16:07:25.899Z", datetime(2025, 8, 14, 16, 7, 25, 899000, tzinfo=UTC)),
        ("2025-08-14T16:07:25.819303Z", datetime(2025, 8, 14, 16, 7, 25, 819303, tzinfo=UTC)),
        ("2025-08-14T16:07:25.8193038Z", datetime(2025, 8, 14, 16, 7, 25, 819303, tzinfo=UTC)),
        ("2025-05-20T19:22:31.899+02:00", datetime(2025, 5, 20, 17, 22, 31, 899000, tzinfo=UTC)),
        ("2025-05-20T19:22:31.8193038+02:00", datetime(2025, 5, 20, 17, 22, 31, 819303, tzinfo=UTC)),
        ("2025-05-20T19:22:31+02:00", datetime(2025, 5, 20, 17, 22, 31, tzinfo=UTC)),
        ("2025-05-20T19:22:31.5-05:30", datetime(2025, 5, 21, 0, 52, 31, 500000, tzinfo=UTC)),
        ("2026-01-15T14:30:05", datetime(2026, 1, 15, 14, 30, 5, tzinfo=UTC)),
    ],
)
def test_iso8601(text: str, expected: datetime) -> None:
    """0-7 fractional digits with Z or an offset give the right instant."""
    parsed = parse_iso8601(text, venue="v", field="t")
    assert parsed == expected
    assert parsed is not None
    assert parsed.utcoffset() is not None


def test_iso8601_keeps_offset() -> None:
    """An offset is kept on the value (equal instants compare equal)."""
    parsed = parse_iso8601("2025-05-20T19:22:31.899+02:00", venue="v", field="t")
    assert parsed is not None
    assert parsed.tzinfo == timezone(timedelta(hours=2))


@pytest.mark.parametrize("bad", ["yesterday", "2025-13-01T00:00:00Z", 17, "2025-08-14T16:07:25.Z"])
def test_iso8601_bad(bad: object) -> None:
    """Unreadable timestamps are ResponseShapeErrors naming the field."""
    with pytest.raises(ResponseShapeError, match="updatedAt"):
        parse_iso8601(bad, venue="v", field="updatedAt")


def test_numbers_ids_and_times() -> None:
    """Decimals, ids and ms timestamps parse strictly."""
    assert parse_decimal("0.10", venue="v", field="f") == Decimal("0.10")
    assert parse_decimal(5, venue="v", field="f") == Decimal(5)
    assert parse_decimal("", venue="v", field="f", optional=True) is None
    for bad in ("x", True, "NaN", None):
        with pytest.raises(ResponseShapeError):
            parse_decimal(bad, venue="v", field="f")
    assert parse_id(241221627, venue="v", field="order_id") == "241221627"
    assert parse_id("241221627", venue="v", field="order_id") == "241221627"
    with pytest.raises(ResponseShapeError):
        parse_id(1.5, venue="v", field="order_id")
    assert parse_unix_ms(1759224706737, venue="v", field="t") == datetime(2025, 9, 30, 9, 31, 46, 737000, tzinfo=UTC)
    assert parse_unix_ms("1759224706737", venue="v", field="t") == parse_unix_ms(1759224706737, venue="v", field="t")


def test_lookup_raises_with_raw_value() -> None:
    """An unmapped value raises UnknownVenueValue carrying it."""
    assert lookup({"open": 1}, "open", venue="v", field="status") == 1
    with pytest.raises(UnknownVenueValue) as info:
        lookup({"open": 1}, "weird", venue="v", field="status")
    assert (info.value.field, info.value.raw_value, info.value.venue) == ("status", "weird", "v")


@pytest.mark.parametrize(
    ("header", "expected"), [("2", 2.0), ("0.5", 0.5), ("-1", None), ("Wed, 21 Oct 2015 07:28:00 GMT", None)]
)
def test_retry_after(header: str, expected: float | None) -> None:
    """Retry-After seconds are read; dates and negatives give None."""
    assert retry_after_s(HttpResponse(status=429, headers={"Retry-After": header})) == expected
    assert retry_after_s(HttpResponse(status=429)) is None
