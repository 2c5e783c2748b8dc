"""Aries: tests written to kill mutants that survived the suite (issue 19), each against a literal oracle.

Each test names the mutant it kills. Flows are driven by hand (pure, no I/O) with scripted answers.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Generator
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Any

import pytest
from aries_testdata import TRADE_ORDER_V2, bound, stop_order

from stopkit.context import AccessToken, RequestContext
from stopkit.errors import ConfigurationError, InvalidOrder, OrderRejected, ResponseShapeError, StopkitError
from stopkit.state import OrderStatus
from stopkit.testing import drive_flow
from stopkit.wire import HttpRequest, HttpResponse
from stopkit_venues.aries import parse

SENT = datetime(2026, 1, 15, 14, 30, 0, 500_000, tzinfo=UTC)  # half a second past: no whole-second clocks
SENT_MS = int(SENT.timestamp() * 1000)


def _ok(body: dict[str, Any]) -> HttpResponse:
    return HttpResponse(status=200, headers={"Content-Type": "application/json"}, body=json.dumps(body).encode())


def _row(**changes: Any) -> dict[str, Any]:
    # The documented TradeOrderV2 example turned into the stop_order() fixture's row (sell 100 AAPL, stop 145).
    row: dict[str, Any] = json.loads(TRADE_ORDER_V2)
    row.update({"type": "STOP", "side": "SELL", "price": "", "stopPrice": "145.00", "timeInForce": "DAY"})
    row.update(changes)
    return row


def _iso(moment: datetime) -> str:
    return moment.strftime("%Y-%m-%dT%H:%M:%S.%f")[:-3] + "Z"


def test_a_rejected_cancel_with_success_true_is_a_rejection() -> None:
    """Kills `success is False or status == REJECTED` → `and`: REJECTED alone refuses the cancel."""
    found = parse.parse_trade_order(_row())
    body = {"success": True, "clOrdId": "C-2", "origClOrdId": found.venue_order_id, "status": "REJECTED",
            "text": "order already filled"}  # fmt: skip
    with pytest.raises(OrderRejected, match="order already filled"):
        parse.parse_cancel_response(found, _ok(body))
    with pytest.raises(OrderRejected):
        parse.parse_cancel_response(found, _ok({"success": False, "status": "CANCELED"}))


@pytest.mark.parametrize("what", ["place", "replace"])
def test_a_rejected_place_or_replace_with_success_true_is_a_rejection(what: str) -> None:
    """Kills the same `or` → `and` in the place and replace answers."""
    body = {"success": True, "clOrdId": "X-1", "status": "REJECTED", "ordRejReason": "HALTED", "text": "halted"}
    found = parse.parse_trade_order(_row())
    amendment = parse.Amendment(stop_price=Decimal(140))

    def call() -> object:
        if what == "place":
            return bound().parse_place_response(stop_order(), _ok(body))
        return parse.parse_replace_response(found, amendment, _ok(body))

    with pytest.raises(OrderRejected, match="halted"):
        call()


@pytest.mark.parametrize(
    ("ord_status", "expected"),
    [("DONE_FOR_DAY", OrderStatus.ACCEPTED), ("STOPPED", OrderStatus.ACCEPTED), ("EXPIRED", OrderStatus.EXPIRED)],
)
def test_statuses_read_through_the_parser(ord_status: str, expected: OrderStatus) -> None:
    """Kills DONE_FOR_DAY → EXPIRED (a table value): the order is still working tomorrow."""
    state = parse.parse_trade_order(_row(ordStatus=ord_status))
    assert (state.status, state.venue_status) == (expected, ord_status)


def test_fills_equal_to_the_quantity_make_the_order_filled() -> None:
    """Kills `filled >= quantity` → `>`: cumQty == qty on a NEW row is FILLED, one share less is partial."""
    full = parse.parse_trade_order(_row(ordStatus="NEW", cumQty="100", leavesQty="0"))
    assert full.status is OrderStatus.FILLED
    partial = parse.parse_trade_order(_row(ordStatus="NEW", cumQty="99", leavesQty="1"))
    assert partial.status is OrderStatus.PARTIALLY_FILLED
    none = parse.parse_trade_order(_row(ordStatus="NEW", cumQty="0"))
    assert none.status is OrderStatus.ACCEPTED


def test_resolve_chain_prefers_the_successor_that_is_not_superseded() -> None:
    """Kills `live = [not SUPERSEDED] or successors` → successors: the live successor wins even if listed first."""
    rows = [
        _row(clOrdId="A", ordStatus="SUPERSEDED"),
        _row(clOrdId="B", origClOrdId="A", ordStatus="NEW"),
        _row(clOrdId="C", origClOrdId="A", ordStatus="SUPERSEDED"),
    ]
    found = parse.resolve_chain(rows, "A")
    assert found is not None
    assert found["clOrdId"] == "B"
    only_dead = [_row(clOrdId="A"), _row(clOrdId="D", origClOrdId="A", ordStatus="SUPERSEDED")]
    dead = parse.resolve_chain(only_dead, "A")
    assert dead is not None
    assert dead["clOrdId"] == "D"
    assert parse.resolve_chain(rows, "Z") is None


def _drive(flow: Generator[Any, Any, Any], answer: Callable[[HttpRequest], HttpResponse]) -> Any:
    result, _ = drive_flow(flow, answer, ctx=RequestContext(now_ms=SENT_MS, access_token=AccessToken("t")))
    return result


@pytest.mark.parametrize(
    ("skew_ms", "age_ms", "found"),
    [(2_000, 1_999, True), (2_000, 2_000, True), (2_000, 2_001, False), (10_000, 9_500, True), (10_000, 10_001, False)],
)
def test_reconciliation_honours_reconcile_clock_skew_ms(skew_ms: int, age_ms: int, found: bool) -> None:
    """Kills the config being ignored (a fixed allowance) and `created < not_before` → `<=`: millisecond edges."""
    created = SENT - timedelta(milliseconds=age_ms)
    rows = [_row(clOrdId="R-1", createdAt=_iso(created), ordStatus="NEW", cumQty="0")]
    venue = bound(reconcile_clock_skew_ms=skew_ms)
    flow = venue.reconcile_flow(stop_order(), sent_at_ms=SENT_MS)
    assert flow is not None
    result = _drive(flow, lambda request: _ok({"orders": rows, "nextCursor": None}))
    assert [s.venue_order_id for s in result.states] == (["R-1"] if found else [])
    assert result.by_client_order_id is False


# -- answers to cancel and replace, config, repr, classify defaults --------------------------------------


def test_cancel_answers_read_to_literal_states_and_errors() -> None:
    """Kills the cancel answer's mutants: a status that is not text is a cancel taken; refusals and unreadable
    answers say 'cancel'."""
    found = parse.parse_trade_order(_row())
    odd = parse.parse_cancel_response(found, _ok({"success": True, "status": {"not": "text"}}))
    assert (odd.status, odd.venue_status) == (OrderStatus.PENDING_CANCEL, "")
    with pytest.raises(OrderRejected) as refused:
        parse.parse_cancel_response(found, _ok({"success": False, "text": "too late"}))
    assert refused.value.message == "aries: cancel rejected: too late"
    with pytest.raises(StopkitError, match="the cancel answer"):
        parse.parse_cancel_response(found, HttpResponse(status=200, body=b"[]"))


def _partly_filled() -> Any:
    return parse.parse_trade_order(_row(clOrdId="P-1", ordStatus="PARTIALLY_FILLED", qty="100", cumQty="50"))


def test_replace_answers_read_to_literal_states_and_errors() -> None:
    """Kills the replace answer's mutants: success:false alone refuses ('replace'), the new clOrdId is required
    (error names aries), an empty status is pending, the answer's stopPrice wins, fills refine the status."""
    previous = _partly_filled()
    amendment = parse.Amendment(stop_price=Decimal(140))
    with pytest.raises(OrderRejected) as refused:
        parse.parse_replace_response(previous, amendment, _ok({"success": False, "clOrdId": "N", "text": "no"}))
    assert refused.value.message == "aries: replace rejected: no"
    with pytest.raises(ResponseShapeError) as missing:
        parse.parse_replace_response(previous, amendment, _ok({"success": True, "status": "REPLACED"}))
    assert (missing.value.venue, missing.value.outcome_known) == ("aries", False)
    assert "clOrdId" in str(missing.value)
    pending = parse.parse_replace_response(previous, amendment, _ok({"clOrdId": "N-1", "status": ""}))
    assert (pending.status, pending.venue_status, pending.venue_order_id) == (OrderStatus.PENDING_UPDATE, "", "N-1")
    priced = parse.parse_replace_response(previous, amendment, _ok({"clOrdId": "N-2", "status": "REPLACED",
                                                                    "stopPrice": "139.5"}))  # fmt: skip
    assert priced.stop_price == Decimal("139.5")
    with pytest.raises(ResponseShapeError, match="stopPrice"):
        parse.parse_replace_response(previous, amendment, _ok({"clOrdId": "N-3", "stopPrice": "abc"}))
    shrunk = parse.parse_replace_response(previous, parse.Amendment(quantity=Decimal(50)),
                                          _ok({"clOrdId": "N-4", "status": "REPLACED"}))  # fmt: skip
    assert (shrunk.status, shrunk.quantity, shrunk.filled_quantity) == (OrderStatus.FILLED, 50, 50)


@pytest.mark.parametrize("url", ["wss://stream.example/v1/accounts/ws", "ws://127.0.0.1:9/ws", "wss://h"])
def test_ws_url_config_accepts_absolute_ws_urls(url: str) -> None:
    """Kills the ws_url check's mutants: absolute ws(s) URLs are accepted and used."""
    assert bound(ws_url=url).config.ws_url == url


@pytest.mark.parametrize("url", ["https://stream.example/ws", "wss://", "wss:// bad", "stream.example/ws"])
def test_ws_url_config_refuses_anything_else(url: str) -> None:
    """Anything but an absolute ws(s) URL is a configuration error (the message does not name the key yet)."""
    with pytest.raises(ConfigurationError, match="bad config"):
        bound(ws_url=url)


def test_repr_says_which_credentials_without_showing_them() -> None:
    """Kills the repr's mutants: static_token and client_credentials say yes/no, never the secrets."""
    text = repr(bound())
    assert "static_token=yes" in text
    assert "client_credentials=yes" in text
    assert "static-token-9a8b7c" not in text


def test_classify_error_defaults_to_a_read() -> None:
    """Kills `writes=False` → True as the default: a 503 to a read is a known failure (nothing was written)."""
    error = bound().classify_error(HttpResponse(status=503, body=b"{}"))
    assert error.outcome_known is True
    assert bound().classify_error(HttpResponse(status=503, body=b"{}"), writes=True).outcome_known is False


def test_amendment_errors_name_the_venue() -> None:
    """Kills `venue=VENUE_NAME` → None in the amendment checks."""
    found = parse.parse_trade_order(_row(type="STOP", price=""))
    with pytest.raises(InvalidOrder) as info:
        next(bound().modify_flow(found, parse.Amendment(limit_price=Decimal(1))))
    assert (info.value.venue, info.value.field) == ("aries", "limit_price")


@pytest.mark.parametrize(("value", "expected"), [("A-1", "A-1"), (17, "17"), ("", None), (None, None), (True, None),
                                                 (1.5, None), ({"x": 1}, None)])  # fmt: skip
def test_row_ids_are_text_or_integers_never_empty(value: object, expected: str | None) -> None:
    """Kills `_row_id`'s `or` → `and`: an empty id is no id."""
    assert parse._row_id({"clOrdId": value}, "clOrdId") == expected
