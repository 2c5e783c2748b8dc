"""Aries: parsing documented answers and classifying both error shapes."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from decimal import Decimal

import pytest
from aries_testdata import (
    CANCEL_RESPONSE,
    FLAT_ERROR,
    NESTED_ERROR,
    ORD_RESPONSE,
    TRADE_ORDER_V2,
    bound,
    stop_limit_order,
    stop_order,
)

from stopkit.errors import (
    AuthenticationError,
    OrderNotFound,
    OrderRejected,
    RateLimited,
    ResponseShapeError,
    UnknownVenueValue,
    VenueUnavailable,
)
from stopkit.orders import OrderKind, Side
from stopkit.state import OrderStatus
from stopkit.wire import HttpResponse
from stopkit_venues.aries import parse


def _ok(body: bytes | dict[str, object]) -> HttpResponse:
    raw = body if isinstance(body, bytes) else json.dumps(body).encode()
    return HttpResponse(status=200, headers={"Content-Type": "application/json"}, body=raw)


def _stop_row(**changes: object) -> dict[str, object]:
    # The documented TradeOrderV2 example turned into a stop-limit row.
    row: dict[str, object] = json.loads(TRADE_ORDER_V2)
    row.update({"type": "STOP_LIMIT", "stopPrice": "176.00", "side": "BUY_TO_COVER"})
    row.update(changes)
    return row


def test_aries_parse_documented_ord_response() -> None:
    """The documented OrdResponse: NEW → ACCEPTED, clOrdId is the venue order id."""
    order = stop_order(side="buy")
    state = bound().parse_place_response(order, _ok(ORD_RESPONSE))
    assert state.status is OrderStatus.ACCEPTED
    assert state.venue_status == "NEW"
    assert state.venue_order_id == "ORDER-20260115-001"
    assert state.client_order_id == "cid-stop-1"
    assert state.symbol == "AAPL"
    assert state.kind is OrderKind.STOP_MARKET
    assert state.quantity == Decimal(100)
    assert state.filled_quantity == 0
    assert state.stop_price == Decimal("145.00")
    assert state.limit_price is None
    assert state.created_at == datetime(2026, 1, 15, 14, 30, 5, tzinfo=UTC)
    assert state.raw["text"] == "Order accepted"


def test_aries_place_ack_with_integer_id_and_pending_new() -> None:
    """An integer clOrdId is rendered as a string; PENDING_NEW is SUBMITTED."""
    body = json.loads(ORD_RESPONSE)
    body.update({"clOrdId": 12345, "status": "PENDING_NEW"})
    state = bound().parse_place_response(stop_limit_order(), _ok(body))
    assert state.venue_order_id == "12345"
    assert state.status is OrderStatus.SUBMITTED
    assert state.limit_price == Decimal("144.50")


@pytest.mark.parametrize(
    "changes",
    [
        {"success": False, "status": "REJECTED", "ordRejReason": "INSUFFICIENT_BUYING_POWER", "text": "No BP"},
        {"success": True, "status": "REJECTED", "ordRejReason": "SYMBOL_HALTED", "text": "Halted"},
        {"success": False, "status": "NEW", "ordRejReason": "RISK", "text": "Risk check"},
    ],
)
def test_aries_place_rejection_in_a_200(changes: dict[str, object]) -> None:
    """success:false or status REJECTED in a 200 → OrderRejected with the reason (SDK OrdResponseStatus: REJECTED)."""
    body = json.loads(ORD_RESPONSE)
    body.update(changes)
    with pytest.raises(OrderRejected) as info:
        bound().parse_place_response(stop_order(), _ok(body))
    assert info.value.venue_code == changes["ordRejReason"]
    assert info.value.venue_message == changes["text"]
    assert str(changes["text"]) in str(info.value)


def test_aries_place_unknown_status_is_unknown_value_with_unknown_outcome() -> None:
    """An unmapped ack status raises UnknownVenueValue; the order may exist."""
    body = json.loads(ORD_RESPONSE)
    body["status"] = "TRIGGERED_SOMEHOW"
    with pytest.raises(UnknownVenueValue) as info:
        bound().parse_place_response(stop_order(), _ok(body))
    assert info.value.raw_value == "TRIGGERED_SOMEHOW"
    assert info.value.outcome_known is False


def test_aries_place_unreadable_200_has_unknown_outcome() -> None:
    """A 200 that is not JSON, or lacks clOrdId: reconcile, do not resend."""
    for body in (b"<html>ok</html>", b'{"success": true, "status": "NEW"}'):
        with pytest.raises(ResponseShapeError) as info:
            bound().parse_place_response(stop_order(), _ok(body))
        assert info.value.outcome_known is False
        assert info.value.http_status == 200


def test_aries_parse_documented_trade_order_v2_is_not_a_stop() -> None:
    """The documented TradeOrderV2 example is a LIMIT order: not a stop, so UnknownVenueValue on type."""
    with pytest.raises(UnknownVenueValue) as info:
        bound().parse_trade_order(json.loads(TRADE_ORDER_V2))
    assert info.value.field == "type"
    assert info.value.raw_value == "LIMIT"


def test_aries_parse_trade_order_v2_stop_limit() -> None:
    """The documented row as STOP_LIMIT: prices, quantities, times, side lossy mapping."""
    state = parse.parse_trade_order(_stop_row())
    assert state.venue_order_id == "clord-20260115-aapl-001"
    assert state.client_order_id is None  # clientId is the OAuth client here, not our tag
    assert state.side is Side.BUY
    assert state.kind is OrderKind.STOP_LIMIT
    assert state.status is OrderStatus.ACCEPTED
    assert state.stop_price == Decimal("176.00")
    assert state.limit_price == Decimal("175.50")
    assert state.quantity == Decimal(100)
    assert state.updated_at == datetime(2026, 1, 15, 14, 30, 5, tzinfo=UTC)


def test_aries_parse_trade_order_v2_stop_with_unused_price() -> None:
    """A STOP row: price "" or "0" means no limit; stopPrice parsed."""
    for price in ("", "0"):
        state = parse.parse_trade_order(_stop_row(type="STOP", price=price, stopPrice="145.00"))
        assert state.kind is OrderKind.STOP_MARKET
        assert state.limit_price is None
        assert state.stop_price == Decimal("145.00")


def test_aries_trade_order_fills_and_absent_status() -> None:
    """cumQty → filled_quantity; fills prove the trigger; absent ordStatus → SUBMITTED."""
    partial = parse.parse_trade_order(_stop_row(ordStatus="PARTIALLY_FILLED", cumQty="40", leavesQty="60"))
    assert partial.status is OrderStatus.PARTIALLY_FILLED
    assert partial.filled_quantity == Decimal(40)
    filled = parse.parse_trade_order(_stop_row(ordStatus="FILLED", cumQty="100", avgPrice="144.92"))
    assert filled.status is OrderStatus.FILLED
    # A working status with fills is at least partially filled (fills prove the trigger).
    assert parse.parse_trade_order(_stop_row(ordStatus="NEW", cumQty="10")).status is OrderStatus.PARTIALLY_FILLED
    row = _stop_row()
    del row["ordStatus"]
    absent = parse.parse_trade_order(row)
    assert absent.status is OrderStatus.SUBMITTED
    assert absent.venue_status == ""


def test_aries_trade_order_unknown_status_and_side() -> None:
    """Unknown enum values raise UnknownVenueValue carrying the raw value."""
    with pytest.raises(UnknownVenueValue) as info:
        parse.parse_trade_order(_stop_row(ordStatus="ARMED"))
    assert (info.value.field, info.value.raw_value) == ("ordStatus", "ARMED")
    with pytest.raises(UnknownVenueValue) as info:
        parse.parse_trade_order(_stop_row(side="buy"))
    assert info.value.field == "side"


def test_aries_rejected_row_carries_reason() -> None:
    """A REJECTED row's reason is ordRejReason + text."""
    state = parse.parse_trade_order(_stop_row(ordStatus="REJECTED", ordRejReason="HALTED", text="Symbol halted"))
    assert state.status is OrderStatus.REJECTED
    assert state.reason == "HALTED; Symbol halted"


def test_aries_orders_page_null_and_cursor() -> None:
    """orders may be null; nextCursor is kept; a bad cursor is a shape error."""
    page = parse.parse_orders_page(_ok({"orders": None, "nextCursor": 0}))
    assert page.rows == ()
    assert page.next_cursor == 0
    page = parse.parse_orders_page(_ok({"orders": [_stop_row()], "nextCursor": 500}))
    assert len(page.rows) == 1
    assert page.next_cursor == 500
    with pytest.raises(ResponseShapeError):
        parse.parse_orders_page(_ok({"orders": [], "nextCursor": -1}))
    with pytest.raises(ResponseShapeError):
        parse.parse_orders_page(_ok({"orders": {"a": 1}, "nextCursor": 0}))


def test_aries_parse_documented_cancel_response() -> None:
    """The CancelOrdResponse example: CANCELED, the order keeps its id."""
    found = parse.parse_trade_order(_stop_row(clOrdId="ORDER-20260115-001"))
    state = parse.parse_cancel_response(found, _ok(CANCEL_RESPONSE))
    assert state.status is OrderStatus.CANCELED
    assert state.venue_order_id == "ORDER-20260115-001"
    assert state.reason == "Cancel request processed"
    pending = json.loads(CANCEL_RESPONSE)
    pending["status"] = "PENDING_CANCEL"
    assert parse.parse_cancel_response(found, _ok(pending)).status is OrderStatus.PENDING_CANCEL


def test_aries_cancel_rejected() -> None:
    """status REJECTED → OrderRejected (e.g. already filled; the order is unchanged)."""
    found = parse.parse_trade_order(_stop_row())
    body = {"success": False, "clOrdId": "X", "origClOrdId": "Y", "status": "REJECTED", "text": "already filled"}
    with pytest.raises(OrderRejected) as info:
        parse.parse_cancel_response(found, _ok(body))
    assert "already filled" in str(info.value)


def test_aries_classify_nested_error() -> None:
    """Nested shape: type/code/message read; 400 → OrderRejected."""
    err = bound().classify_error(HttpResponse(status=400, body=NESTED_ERROR), writes=True)
    assert type(err) is OrderRejected
    assert err.venue_code == "INVALID_STOP_PRICE"
    assert err.venue_message == "stopPrice must be below the market"
    assert err.raw_body is not None
    assert "request_id" in err.raw_body
    assert err.http_status == 400
    assert err.venue == "aries"


def test_aries_classify_flat_error() -> None:
    """Flat shape: first codes[].code, message with field: description."""
    err = bound().classify_error(HttpResponse(status=400, body=FLAT_ERROR))
    assert type(err) is OrderRejected
    assert err.venue_code == "INVALID_PRECISION"
    assert err.venue_message == "validation failed; stopPrice: at most 5 decimals"


@pytest.mark.parametrize(
    ("status", "body", "headers", "expected"),
    [
        (401, b"", {}, AuthenticationError),
        (
            401,
            b'{"error":{"type":"AUTHENTICATION","code":"INVALID_TOKEN","message":"expired"}}',
            {},
            AuthenticationError,
        ),
        (403, b'{"error":"insufficient scope","codes":[]}', {}, AuthenticationError),
        (404, b"", {}, OrderNotFound),
        (400, b'{"error":{"type":"NOT_FOUND","code":"ORDER_NOT_FOUND","message":"no such order"}}', {}, OrderNotFound),
        (429, b"", {"Retry-After": "2"}, RateLimited),
        (400, b'{"error":{"type":"RATE_LIMIT","code":"X","message":"slow down"}}', {}, RateLimited),
        (409, b'{"error":{"type":"CONFLICT","code":"DUP","message":"conflict"}}', {}, OrderRejected),
        (400, b"", {}, OrderRejected),
        (400, b"<html>bad</html>", {}, ResponseShapeError),
        (302, b"", {}, ResponseShapeError),
        (503, b"<html>down</html>", {}, VenueUnavailable),
    ],
)
def test_aries_classify_by_status_and_type(
    status: int, body: bytes, headers: dict[str, str], expected: type[Exception]
) -> None:
    """Statuses (and the nested error type) map to the stopkit error tree; empty bodies fall back on status."""
    err = bound().classify_error(HttpResponse(status=status, headers=headers, body=body))
    assert type(err) is expected
    if isinstance(err, RateLimited) and headers:
        assert err.retry_after_s == 2.0
        assert err.retryable


@pytest.mark.parametrize(("writes", "known"), [(True, False), (False, True)])
def test_aries_5xx_outcome(writes: bool, known: bool) -> None:
    """5xx on a write leaves the outcome unknown; on a read it is known."""
    err = bound().classify_error(HttpResponse(status=504, body=b""), writes=writes)
    assert isinstance(err, VenueUnavailable)
    assert err.outcome_known is known


def test_aries_place_non_200_uses_classify() -> None:
    """The place parser raises the classified error for a 400 flat body."""
    with pytest.raises(OrderRejected) as info:
        bound().parse_place_response(stop_order(), HttpResponse(status=400, body=FLAT_ERROR))
    assert info.value.venue_code == "INVALID_PRECISION"


def _equity_row(**changes: object) -> dict[str, object]:
    row: dict[str, object] = {
        "clOrdId": "ORDER-1", "symbol": "AAPL", "side": "SELL", "type": "STOP", "qty": "100", "price": "",
        "stopPrice": "145", "ordStatus": "NEW", "cumQty": "0", "leavesQty": "100", "avgPrice": "0",
        "securityType": "EQUITY", "category": "EQUITY", "legs": [],
    }  # fmt: skip
    row.update(changes)
    return row


@pytest.mark.parametrize(
    ("changes", "option"),
    [
        ({}, False),
        ({"category": "SINGLE_LEG"}, False),  # the docs' equity example: securityType decides
        ({"securityType": "OPTION"}, True),
        ({"securityType": None, "category": "SINGLE_LEG"}, True),
        ({"securityType": None, "category": "MULTI_LEG"}, True),
        ({"securityType": None, "category": None}, False),
        ({"legs": [{"symbol": "AAPL260116C00150000"}]}, True),
    ],
)
def test_option_rows_are_never_equity_stops(changes: dict[str, object], option: bool) -> None:
    """securityType decides (OPTION), else category (SINGLE_LEG/MULTI_LEG), and legs always: an option row is
    refused by the parser, skipped as a stop, and would be cancelled as OPT."""
    row = {k: v for k, v in _equity_row(**changes).items() if v is not None}
    assert parse.is_option_row(row) is option
    assert parse.is_equity_stop_row(row) is not option
    assert parse.cancel_security_type(row) == ("OPT" if option else "CS")
    if option:
        with pytest.raises(UnknownVenueValue) as info:
            parse.parse_trade_order(row)
        assert info.value.field == "securityType"
    else:
        assert parse.parse_trade_order(row).status is OrderStatus.ACCEPTED


def test_fill_fields_average_and_remaining() -> None:
    """avgPrice is None before fills ("0 until fills occur"); leavesQty is the remaining quantity."""
    fresh = parse.parse_trade_order(_equity_row())
    assert (fresh.average_fill_price, fresh.remaining_quantity, fresh.filled_quantity) == (None, Decimal(100), 0)
    partial = parse.parse_trade_order(_equity_row(ordStatus="PARTIALLY_FILLED", cumQty="40", leavesQty="60",
                                                avgPrice="144.9"))  # fmt: skip
    assert (partial.status, partial.average_fill_price, partial.remaining_quantity) == (
        OrderStatus.PARTIALLY_FILLED, Decimal("144.9"), Decimal(60)
    )  # fmt: skip
    replaced_with_fills = parse.parse_trade_order(_equity_row(ordStatus="REPLACED", cumQty="40", leavesQty="60"))
    assert replaced_with_fills.status is OrderStatus.PARTIALLY_FILLED
    bare = parse.parse_trade_order({k: v for k, v in _equity_row().items() if k not in ("leavesQty", "avgPrice")})
    assert (bare.average_fill_price, bare.remaining_quantity) == (None, None)  # optional fields may be absent


def test_place_ack_without_status_or_pending_new_is_submitted() -> None:
    """A 200 ack without status (every OrdResponse field is optional) or with PENDING_NEW is SUBMITTED, not armed."""
    for body in ({"success": True, "clOrdId": "A-1"}, {"success": True, "clOrdId": "A-1", "status": "PENDING_NEW"}):
        state = parse.parse_place_response(stop_order(), _ok(body), symbol="AAPL")
        assert (state.status, state.venue_order_id) == (OrderStatus.SUBMITTED, "A-1")
    with pytest.raises(ResponseShapeError) as info:
        parse.parse_place_response(stop_order(), _ok({"success": True, "status": "NEW"}), symbol="AAPL")
    assert info.value.outcome_known is False  # no clOrdId: the order may exist, reconcile


def test_cancel_without_status_is_a_cancel_the_venue_took() -> None:
    """A 200 cancel without status (or with a status that is not a cancel result) is PENDING_CANCEL."""
    found = parse.parse_trade_order(_equity_row())
    for body in ({}, {"success": True}, {"success": True, "status": "NEW"}):
        state = parse.parse_cancel_response(found, _ok(body))
        assert (state.status, state.venue_order_id) == (OrderStatus.PENDING_CANCEL, "ORDER-1")


def test_replace_of_a_partly_filled_order_stays_partially_filled() -> None:
    """REPLACED after fills → PARTIALLY_FILLED with the fills kept and the remaining quantity recomputed."""
    from stopkit.venue import Amendment

    previous = parse.parse_trade_order(_equity_row(ordStatus="PARTIALLY_FILLED", cumQty="40", leavesQty="60"))
    answer = _ok({"success": True, "clOrdId": "ORDER-2", "origClOrdId": "ORDER-1", "status": "REPLACED"})
    state = parse.parse_replace_response(previous, Amendment(stop_price=Decimal(140)), answer)
    assert (state.status, state.venue_order_id, state.filled_quantity) == (
        OrderStatus.PARTIALLY_FILLED, "ORDER-2", Decimal(40)
    )  # fmt: skip
    assert (state.stop_price, state.remaining_quantity) == (Decimal(140), Decimal(60))
    pending = parse.parse_replace_response(
        previous, Amendment(stop_price=Decimal(140)), _ok({"success": True, "clOrdId": "ORDER-2"})
    )
    assert pending.status is OrderStatus.PENDING_UPDATE  # no status: accepted, not yet final
