"""Alpaca answers: Order objects, status table, fills, lists, and error classification."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

import pytest
from alpaca_testdata import order_object, stop_limit_order
from stopkit.plugin import (
    AuthenticationError,
    DuplicateClientOrderId,
    HttpResponse,
    OrderKind,
    OrderNotFound,
    OrderRejected,
    OrderStatus,
    RateLimited,
    RemoteError,
    ResponseShapeError,
    Side,
    UnknownVenueValue,
    VenueUnavailable,
)

from stopkit_alpaca import parse
from stopkit_alpaca.mapping import DOCUMENTED_STATUSES, ORDER_STATUS


def _response(status: int, body: Any, headers: dict[str, str] | None = None) -> HttpResponse:
    raw = body if isinstance(body, bytes) else json.dumps(body).encode()
    return HttpResponse(status=status, headers=headers or {}, body=raw)


def test_alpaca_parse_documented_order() -> None:
    """The reference example's fields land in the neutral state; raw keeps the object."""
    state = parse.parse_order_response(_response(200, order_object()))
    assert state.venue == "alpaca"
    assert state.venue_order_id == "61e69015-8549-4bfd-b9c3-01e75843f47d"
    assert state.client_order_id == "eb9e2aaa-f71a-4f51-b5b4-52a6c565dad4"
    assert (state.symbol, state.side, state.kind) == ("AAPL", Side.SELL, OrderKind.STOP_LIMIT)
    assert (state.status, state.venue_status) == (OrderStatus.ACCEPTED, "new")
    assert (state.quantity, state.filled_quantity) == (Decimal(10), Decimal(0))
    assert (state.stop_price, state.limit_price) == (Decimal(145), Decimal("144.5"))
    assert state.created_at == datetime(2021, 3, 16, 18, 38, 1, 942282, tzinfo=UTC)
    assert state.raw["asset_class"] == "us_equity"


def test_alpaca_parse_nanosecond_timestamps_and_stop() -> None:
    """Nine fractional digits are cut to microseconds; a stop has no limit price."""
    obj = order_object(type="stop", order_type="stop", limit_price=None, updated_at="2026-01-15T14:30:00.123456789Z")
    state = parse.parse_order(obj)
    assert state.kind is OrderKind.STOP_MARKET
    assert state.limit_price is None
    assert state.updated_at == datetime(2026, 1, 15, 14, 30, 0, 123456, tzinfo=UTC)


@pytest.mark.parametrize("status", DOCUMENTED_STATUSES)
def test_alpaca_every_documented_status_parses(status: str) -> None:
    """Each documented status maps to its table entry (no fills)."""
    assert parse.parse_order(order_object(status=status)).status is ORDER_STATUS[status]


@pytest.mark.parametrize(
    ("status", "filled", "expected"),
    [
        ("new", "4", OrderStatus.PARTIALLY_FILLED),
        ("new", "10", OrderStatus.FILLED),
        ("done_for_day", "4", OrderStatus.PARTIALLY_FILLED),
        ("calculated", "10", OrderStatus.FILLED),
        ("partially_filled", "4", OrderStatus.PARTIALLY_FILLED),
        ("canceled", "4", OrderStatus.CANCELED),
        ("pending_cancel", "4", OrderStatus.PENDING_CANCEL),
        ("filled", "10", OrderStatus.FILLED),
    ],
)
def test_alpaca_fills_refine_working_statuses(status: str, filled: str, expected: OrderStatus) -> None:
    """Fills prove the trigger: working statuses with filled_qty > 0 read (PARTIALLY_)FILLED."""
    state = parse.parse_order(order_object(status=status, filled_qty=filled))
    assert state.status is expected
    assert state.filled_quantity == Decimal(filled)


def test_alpaca_replaced_order_names_its_successor() -> None:
    """A replaced record is dead (CANCELED) and says which order replaced it."""
    state = parse.parse_order(order_object(status="replaced", replaced_by="new-id"))
    assert state.status is OrderStatus.CANCELED
    assert state.reason == "replaced by order new-id"


@pytest.mark.parametrize(
    ("field", "value"),
    [("status", "teleported"), ("side", "sell_short"), ("type", "limit"), ("type", "trailing_stop")],
)
def test_alpaca_unknown_values_raise(field: str, value: str) -> None:
    """Unmapped venue values raise UnknownVenueValue carrying the raw value."""
    with pytest.raises(UnknownVenueValue) as info:
        parse.parse_order(order_object(**{field: value}))
    assert (info.value.field, info.value.raw_value) == (field, value)


@pytest.mark.parametrize(
    "body",
    [
        order_object(id=None),
        order_object(symbol=""),
        order_object(qty="ten"),
        order_object(created_at="yesterday"),
        [order_object()],
    ],
)
def test_alpaca_bad_shapes_raise(body: Any) -> None:
    """Missing ids, bad numbers, bad timestamps or a non-object → ResponseShapeError."""
    with pytest.raises(ResponseShapeError):
        parse.parse_order_response(_response(200, body))


def test_alpaca_place_answer() -> None:
    """A 200 Order answer is the placed state; an unreadable one has an unknown outcome."""
    state = parse.parse_place_response(stop_limit_order(), _response(200, order_object()))
    assert state.status is OrderStatus.ACCEPTED
    with pytest.raises(ResponseShapeError) as info:
        parse.parse_place_response(stop_limit_order(), _response(200, b"<html>oops</html>"))
    assert info.value.outcome_known is False
    with pytest.raises(OrderRejected, match="rejected"):
        parse.parse_place_response(stop_limit_order(), _response(200, order_object(status="rejected")))


def test_alpaca_list_and_cancel_answers() -> None:
    """The list is a JSON array of objects; cancel accepts 204 with no body."""
    rows = parse.parse_order_list(_response(200, [order_object(), order_object(id="b")]))
    assert [r["id"] for r in rows] == ["61e69015-8549-4bfd-b9c3-01e75843f47d", "b"]
    assert parse.parse_order_list(_response(200, [])) == []
    with pytest.raises(ResponseShapeError):
        parse.parse_order_list(_response(200, {"orders": []}))
    parse.parse_cancel_response(HttpResponse(status=204, body=b""))
    with pytest.raises(OrderRejected):
        parse.parse_cancel_response(_response(422, {"code": 42210000, "message": 'order is already in "filled" state'}))


@pytest.mark.parametrize(
    ("status", "body", "cls"),
    [
        (401, {"code": 40110000, "message": "request is not authorized"}, AuthenticationError),
        (403, {"message": "forbidden"}, AuthenticationError),
        (403, {"code": 40310000, "message": "request is not authorized"}, AuthenticationError),
        (403, b"", AuthenticationError),
        (403, {"code": 40310000, "message": "insufficient buying power"}, OrderRejected),
        (403, {"code": 40310000, "message": "potential wash trade detected. use complex orders"}, OrderRejected),
        (404, {"code": 40410000, "message": "order not found"}, OrderNotFound),
        (422, {"code": 40010001, "message": "client_order_id must be unique"}, DuplicateClientOrderId),
        (422, {"code": 40010001, "message": "invalid qty"}, OrderRejected),
        (400, {"code": 40010001, "message": "request body format is invalid"}, OrderRejected),
        (429, {"code": 42910000, "message": "rate limit exceeded"}, RateLimited),
        (500, {"code": 50010000, "message": "internal server error occurred"}, VenueUnavailable),
        (502, b"<html>Bad Gateway</html>", VenueUnavailable),
        (418, b"<html>teapot</html>", ResponseShapeError),
        (302, b"", ResponseShapeError),
    ],
)
def test_alpaca_classify_error(status: int, body: Any, cls: type[RemoteError]) -> None:
    """Each documented error shape maps to its stopkit error, with code, message and raw body."""
    error = parse.classify_error(_response(status, body))
    assert type(error) is cls
    assert error.venue == "alpaca"
    assert error.http_status == status
    if isinstance(body, dict):
        assert error.venue_message == body["message"]
        assert error.venue_code == (str(body["code"]) if "code" in body else None)


def test_alpaca_classify_error_details() -> None:
    """Retry-After is read; a 5xx after a write has an unknown outcome, after a read a known one."""
    limited = parse.classify_error(_response(429, {"code": 42910000, "message": "slow down"}, {"Retry-After": "3"}))
    assert isinstance(limited, RateLimited)
    assert limited.retry_after_s == 3.0
    assert limited.retryable
    body = {"code": 50010000, "message": "internal server error occurred"}
    assert parse.classify_error(_response(503, body), writes=True).outcome_known is False
    assert parse.classify_error(_response(503, body), writes=False).outcome_known is True
