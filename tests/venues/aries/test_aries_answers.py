"""Aries answers at their edges: error bodies (the SDK's two shapes, and what is not JSON), acknowledgements
that cannot be read (the outcome of a write is then unknown), and zero prices meaning "not used".

Sources: finance-dev 0.9.0 models/apperror.py and errors/errorresponse.py (error shapes), models/ordresponse.py
(``success`` is a boolean; ``avgPrice`` "is 0 until fills occur"), TradeOrderV2 (``price``/``stopPrice``
"empty or zero when not used"), https://finance.dev/api-reference/orders/place-order (the ack example).
"""

from __future__ import annotations

import json
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

import pytest
from aries_testdata import NESTED_ERROR, ORD_RESPONSE, TRADE_ORDER_V2, json_answer, stop_order

from stopkit.errors import OrderNotFound, OrderRejected, ResponseShapeError, UnknownVenueValue
from stopkit.state import OrderKind, OrderStatus
from stopkit.wire import HttpResponse
from stopkit_venues.aries import parse


def _ack(**changes: Any) -> dict[str, Any]:
    # The documented place-order answer (a NEW buy of 100 AAPL), changed.
    body: dict[str, Any] = json.loads(ORD_RESPONSE)
    body.update(changes)
    return body


def _place(body: dict[str, Any]) -> Any:
    return parse.parse_place_response(stop_order(), json_answer(body), symbol="AAPL")


def test_a_400_with_the_nested_error_body_is_a_refusal_quoting_the_message() -> None:
    """A 400 with the SDK's nested error body is OrderRejected whose message quotes the venue's message."""
    error = parse.classify_error(HttpResponse(status=400, body=NESTED_ERROR), writes=True)
    assert isinstance(error, OrderRejected)
    assert error.message == "aries: refused (HTTP 400): stopPrice must be below the market"
    assert error.venue_code == "INVALID_STOP_PRICE"


def test_a_4xx_whose_body_is_not_json_is_a_shape_error_saying_so() -> None:
    """A 400 answered with an HTML page is no documented refusal: ResponseShapeError naming the status."""
    error = parse.classify_error(HttpResponse(status=400, body=b"<html>Bad Request</html>"), writes=True)
    assert isinstance(error, ResponseShapeError)
    assert error.message == "aries: HTTP 400 with a body that is not JSON"


def test_an_error_type_that_is_not_text_is_ignored() -> None:
    """A nested error.type that is not a non-empty string counts as absent (a JSON object there must not crash)."""
    body = b'{"error": {"type": {"kind": "VALIDATION"}, "code": "BAD", "message": "no"}}'
    assert parse.error_fields(body) == (None, "BAD", "no")
    assert parse.error_fields(b'{"error": {"type": 7, "code": 12, "message": ""}}') == (None, "12", None)
    error = parse.classify_error(HttpResponse(status=422, body=body), writes=True)
    assert isinstance(error, OrderRejected)
    assert error.message == "aries: refused (HTTP 422): no"


def test_an_ack_whose_success_is_not_a_boolean_has_an_unknown_outcome() -> None:
    """success: "yes" is not the documented boolean: the placement's outcome is unknown (reconciled)."""
    with pytest.raises(ResponseShapeError) as info:
        _place(_ack(success="yes"))
    assert info.value.message == "aries: success is not a boolean"
    assert (info.value.venue, info.value.outcome_known, info.value.http_status) == ("aries", False, 200)


def test_an_unreadable_ack_keeps_the_first_4096_characters_of_the_body() -> None:
    """The raw body kept on an unreadable ack is its first 4096 characters."""
    body = _ack(success=1, text="x" * 5000)
    with pytest.raises(ResponseShapeError) as info:
        _place(body)
    assert info.value.raw_body == json.dumps(body)[:4096]


def test_an_ack_with_an_unreadable_fill_quantity_names_aries_and_the_field() -> None:
    """cumQty "abc" makes the ack unreadable: ResponseShapeError of aries naming cumQty, outcome unknown."""
    with pytest.raises(ResponseShapeError) as info:
        _place(_ack(cumQty="abc"))
    assert (info.value.venue, info.value.outcome_known) == ("aries", False)
    assert "cumQty" in info.value.message


def test_zero_prices_mean_not_used() -> None:
    """A STOP_LIMIT row with price "0" has no limit price, and an avgPrice of 0 after fills is no average."""
    row = json.loads(TRADE_ORDER_V2)
    row.update({"type": "STOP_LIMIT", "price": "0", "stopPrice": "145.00", "side": "SELL"})
    state = parse.parse_trade_order(row)
    assert (state.kind, state.limit_price, state.stop_price) == (OrderKind.STOP_LIMIT, None, Decimal("145.00"))
    placed = _place(_ack(cumQty="10", leavesQty="90", avgPrice="0"))
    assert (placed.filled_quantity, placed.average_fill_price) == (Decimal(10), None)
    priced = _place(_ack(cumQty="10", leavesQty="90", avgPrice="145.02"))
    assert priced.average_fill_price == Decimal("145.02")


def test_a_replace_answer_with_an_unknown_status_or_quantity_is_unreadable_naming_the_field() -> None:
    """A replace ack with an undocumented status or a qty that is no number: outcome unknown, the field named."""
    row = json.loads(TRADE_ORDER_V2)
    row.update({"type": "STOP", "side": "SELL", "price": "", "stopPrice": "145.00"})
    previous = parse.parse_trade_order(row)
    amendment = parse.Amendment(stop_price=Decimal(140))
    with pytest.raises(UnknownVenueValue) as status:
        parse.parse_replace_response(previous, amendment, json_answer({"clOrdId": "N-1", "status": "WEIRD"}))
    assert (status.value.field, status.value.raw_value, status.value.outcome_known) == ("status", "WEIRD", False)
    with pytest.raises(ResponseShapeError) as qty:
        parse.parse_replace_response(previous, amendment, json_answer({"clOrdId": "N-1", "qty": "abc"}))
    assert qty.value.message == "aries: qty is not a number: 'abc'"
    assert qty.value.outcome_known is False


def test_a_replace_answer_dates_the_new_state_with_its_transact_time() -> None:
    """The replace ack's transactTime becomes the new state's updated_at (else the previous one stays)."""
    row = json.loads(TRADE_ORDER_V2)
    row.update({"type": "STOP", "side": "SELL", "price": "", "stopPrice": "145.00"})
    previous = parse.parse_trade_order(row)
    amendment = parse.Amendment(stop_price=Decimal(140))
    body = {"clOrdId": "N-1", "status": "REPLACED", "transactTime": "2026-01-15T14:31:00Z"}
    state = parse.parse_replace_response(previous, amendment, json_answer(body))
    assert state.updated_at == datetime(2026, 1, 15, 14, 31, tzinfo=UTC)
    unchanged = parse.parse_replace_response(previous, amendment, json_answer({"clOrdId": "N-2"}))
    assert unchanged.updated_at == datetime(2026, 1, 15, 14, 30, 5, tzinfo=UTC)  # the row's updatedAt


def test_an_option_row_is_refused_naming_its_security_type() -> None:
    """A TradeOrderV2 row of an option is no equity stop: UnknownVenueValue carrying securityType's value."""
    row = json.loads(TRADE_ORDER_V2)
    row.update({"type": "STOP", "stopPrice": "1.5", "securityType": "OPTION"})
    with pytest.raises(UnknownVenueValue) as info:
        parse.parse_trade_order(row)
    assert (info.value.field, info.value.raw_value, info.value.venue) == ("securityType", "OPTION", "aries")


def test_reconciliation_candidates_without_a_creation_time_come_first() -> None:
    """Candidates are oldest first; a row without createdAt counts as created at the allowance's start."""
    base = json.loads(TRADE_ORDER_V2)
    base.update({"type": "STOP", "side": "SELL", "price": "", "stopPrice": "145.00", "ordStatus": "NEW",
                 "cumQty": "0"})  # fmt: skip
    later = {**base, "clOrdId": "LATER", "createdAt": "2026-01-15T14:30:02Z"}
    undated = {**base, "clOrdId": "UNDATED", "createdAt": ""}
    first = {**base, "clOrdId": "FIRST", "createdAt": "2026-01-15T14:30:01Z"}
    not_before_ms = int(datetime(2026, 1, 15, 14, 30, 0, tzinfo=UTC).timestamp() * 1000)
    rows = parse.reconcile_candidates(
        [later, undated, first], stop_order(), symbol="AAPL", side="SELL", order_type="STOP",
        time_in_force="DAY", not_before_ms=not_before_ms,
    )  # fmt: skip
    assert [row["clOrdId"] for row in rows] == ["UNDATED", "FIRST", "LATER"]


def test_a_rejected_ack_says_the_order_was_rejected_and_why() -> None:
    """A 200 ack with status REJECTED is OrderRejected whose message gives ordRejReason and text."""
    with pytest.raises(OrderRejected) as info:
        _place(_ack(status="REJECTED", ordRejReason="HALTED", text="symbol halted"))
    assert info.value.message == "aries: order rejected: HALTED; symbol halted"
    assert (info.value.venue_code, info.value.outcome_known) == ("HALTED", True)


def test_an_ack_filled_at_once_is_filled() -> None:
    """An ack still saying NEW but with cumQty equal to the order's 100 shares is FILLED; fewer is partial."""
    assert _place(_ack(status="NEW", cumQty="100", leavesQty="0", avgPrice="144.98")).status is OrderStatus.FILLED
    partial = _place(_ack(status="NEW", cumQty="40", leavesQty="60", avgPrice="144.98"))
    assert partial.status is OrderStatus.PARTIALLY_FILLED


def test_an_ack_with_an_unreadable_transact_time_names_the_field() -> None:
    """transactTime "nope" makes the ack unreadable: the error names transactTime, the outcome is unknown."""
    with pytest.raises(ResponseShapeError) as info:
        _place(_ack(transactTime="nope"))
    assert info.value.message == "aries: transactTime is not an ISO 8601 timestamp: 'nope'"
    assert info.value.outcome_known is False


def test_an_orders_page_whose_orders_are_not_a_list_keeps_the_body() -> None:
    """A page with "orders": {} is refused as a shape error carrying the answer's body for diagnosis."""
    body = b'{"orders": {"clOrdId": "A-1"}, "nextCursor": 0}'
    with pytest.raises(ResponseShapeError) as info:
        parse.parse_orders_page(HttpResponse(status=200, body=body))
    assert (info.value.venue, info.value.message) == ("aries", "aries: orders is not a list")
    assert info.value.raw_body == body.decode()


def test_an_option_row_is_refused_saying_its_security_type_and_category() -> None:
    """The refusal of an option row quotes its securityType and category."""
    row = json.loads(TRADE_ORDER_V2)
    row.update({"type": "STOP", "stopPrice": "1.5", "securityType": "OPTION", "category": "SINGLE_LEG"})
    with pytest.raises(UnknownVenueValue) as info:
        parse.parse_trade_order(row)
    assert info.value.message == (
        "aries: an option order (securityType 'OPTION', category 'SINGLE_LEG') is not an equity stop"
    )


@pytest.mark.parametrize(
    ("field", "value", "message"),
    [
        ("qty", "lots", "aries: qty is not a number: 'lots'"),
        ("leavesQty", "some", "aries: leavesQty is not a number: 'some'"),
        ("createdAt", "yesterday", "aries: createdAt is not an ISO 8601 timestamp: 'yesterday'"),
        ("updatedAt", "later", "aries: updatedAt is not an ISO 8601 timestamp: 'later'"),
    ],
)
def test_an_unreadable_row_field_is_refused_naming_aries_and_the_field(field: str, value: str, message: str) -> None:
    """A TradeOrderV2 row with a malformed qty, leavesQty, createdAt or updatedAt: the error names the field."""
    row = json.loads(TRADE_ORDER_V2)
    row.update({"type": "STOP", "side": "SELL", "price": "", "stopPrice": "145.00", field: value})
    with pytest.raises(ResponseShapeError) as info:
        parse.parse_trade_order(row)
    assert (info.value.venue, info.value.message) == ("aries", message)


def test_a_404_is_not_found_quoting_the_message() -> None:
    """A 404 with the nested error body is OrderNotFound whose message quotes the venue's message."""
    body = b'{"error": {"type": "NOT_FOUND", "code": "ORDER_NOT_FOUND", "message": "order not found"}}'
    error = parse.classify_error(HttpResponse(status=404, body=body), writes=True)
    assert isinstance(error, OrderNotFound)
    assert error.message == "aries: not found (HTTP 404): order not found"


def test_a_place_answer_that_is_not_an_object_is_unreadable_saying_what_it_is() -> None:
    """A 200 place answer that is a JSON list: outcome unknown, the error saying the place answer was expected."""
    with pytest.raises(ResponseShapeError) as info:
        parse.parse_place_response(stop_order(), HttpResponse(status=200, body=b"[1]"), symbol="AAPL")
    assert info.value.message == "aries: expected a JSON object for the place answer, got list"
    assert info.value.outcome_known is False
