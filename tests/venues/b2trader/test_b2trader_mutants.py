"""B2TRADER: tests written to kill mutants that survived the suite (issue 19), each against a literal oracle."""

from __future__ import annotations

import json
import time
from datetime import datetime, timedelta, timezone
from decimal import Decimal
from typing import Any

import pytest

import stopkit
from stopkit.context import AccessToken, RequestContext
from stopkit.errors import RemoteError, ResponseShapeError, StopkitError
from stopkit.state import OrderStatus
from stopkit.venue import OrderRef
from stopkit.wire import HttpResponse
from stopkit_venues.b2trader import parse, translate
from stopkit_venues.b2trader.simulator import B2TraderSimulator

# The documented "Place SPOT Stop order" answer's order object (https://api-docs.b2trader.b2broker.com/rest-api).
DOCUMENTED: dict[str, Any] = {
    "marketId": "spot.btc_usdt", "marketDisplayName": "SPOT BTC/USDT", "orderId": "01K2MNC3BVR5WRTBEE9YWAS91K",
    "orderType": "Market", "side": "Buy", "requestedPrice": "0", "activationPrice": "128000",
    "requestedAmount": "0.01", "timeInForce": "Ioc", "status": "WaitingForActivation",
    "createdAt": "2025-08-14T16:07:25.8193038Z", "updatedAt": "2025-08-14T16:07:25.8193044Z", "cancellationDate": None,
}  # fmt: skip


@pytest.mark.parametrize("cancel_answer", [False, True])
def test_a_rejected_stop_with_a_cancellation_date_stays_rejected(cancel_answer: bool) -> None:
    """Kills `cancel_answer and status != Rejected` → `or`/`==`, and a date deciding: Rejected stays REJECTED."""
    obj = {**DOCUMENTED, "status": "Rejected", "cancellationDate": "2025-08-14T16:08:00.0000000Z"}
    state = parse.parse_stop_order(obj, cancel_answer=cancel_answer)
    assert (state.status, state.venue_status) == (OrderStatus.REJECTED, "Rejected")


@pytest.mark.parametrize(
    ("status", "cancel_answer", "expected"),
    [
        ("WaitingForActivation", False, OrderStatus.ACCEPTED),
        ("WaitingForActivation", True, OrderStatus.CANCELED),
        ("Activated", False, OrderStatus.TRIGGERED),
        ("Activated", True, OrderStatus.CANCELED),
    ],
)
def test_only_the_cancel_answer_makes_a_live_stop_canceled(
    status: str, cancel_answer: bool, expected: OrderStatus
) -> None:
    """A cancellation date alone never cancels; the 200 answer to the cancel DELETE does (literal table)."""
    obj = {**DOCUMENTED, "status": status, "cancellationDate": "2025-08-14T16:08:00.0000000Z"}
    state = parse.parse_stop_order(obj, cancel_answer=cancel_answer)
    assert state.status is expected
    assert (state.quantity, state.stop_price, state.filled_quantity) == (Decimal("0.01"), Decimal(128000), 0)


@pytest.mark.parametrize("status", [300, 301, 302, 199, 100])
@pytest.mark.parametrize("parser", ["order", "stop"])
def test_an_answer_outside_2xx_is_never_read_as_the_order(status: int, parser: str) -> None:
    """Kills `< 300` → `<= 300`/`< 301` in both answer readers: a 300 carrying an order body is an error."""
    body = json.dumps({"order": DOCUMENTED}).encode()
    response = HttpResponse(status=status, body=body)
    read = parse.parse_order_response if parser == "order" else parse.parse_stop_response
    with pytest.raises(RemoteError) as info:
        read(response, writes=True)
    assert info.value.http_status == status


@pytest.mark.parametrize("parser", ["order", "stop"])
@pytest.mark.parametrize(("body", "what"), [(b"[1]", "the answer"), (b'{"order": 7}', "order")])
def test_an_unreadable_2xx_answer_to_a_write_has_an_unknown_outcome(parser: str, body: bytes, what: str) -> None:
    """Kills outcome_known/http_status/raw_body/venue mutants: a 2xx the venue may have acted on is unknown for
    writes (known for reads), keeps the status and the raw body, names the venue and what was unreadable."""
    read = parse.parse_order_response if parser == "order" else parse.parse_stop_response
    for writes in (True, False):
        with pytest.raises(ResponseShapeError) as info:
            read(HttpResponse(status=201, body=body), writes=writes)
        error = info.value
        assert error.outcome_known is (not writes)
        assert (error.http_status, error.raw_body, error.venue) == (201, body.decode(), "b2trader")
        assert f"expected a JSON object for {what}" in str(error)


def test_a_non_json_2xx_names_the_venue() -> None:
    """Kills `response.json(venue=None)`: an unparseable body's error names b2trader."""
    with pytest.raises(ResponseShapeError) as info:
        parse.parse_order_response(HttpResponse(status=200, body=b"<html>"), writes=True)
    assert info.value.venue == "b2trader"
    assert info.value.outcome_known is False


def test_cancellation_date_is_formatted_in_utc_whatever_the_local_zone(monkeypatch: pytest.MonkeyPatch) -> None:
    """Kills `astimezone(UTC)` → `astimezone(None)` (the local zone): with TZ set elsewhere the text stays UTC."""
    monkeypatch.setenv("TZ", "Asia/Tokyo")
    time.tzset()
    try:
        tokyo = timezone(timedelta(hours=9))
        moment = datetime(2026, 1, 15, 23, 30, 0, 123_999, tzinfo=tokyo)
        assert translate.format_cancellation_date(moment) == "2026-01-15T14:30:00.123Z"
    finally:
        monkeypatch.delenv("TZ")
        time.tzset()


# The documented OpenOrders item (https://api-docs.b2trader.b2broker.com/websocket-api, Get Open Orders), trimmed.
CHILD: dict[str, Any] = {
    "marketId": "cfd.eur_chf", "orderId": "01JVQBFSTVC40VK03A0AY7K016", "timeInForce": "Gtc", "status": "Pending",
    "source": "StopOrder", "side": "Buy", "orderType": "Limit", "requestedAmount": "10000",
    "remainingAmount": "10000", "requestedPrice": "0.9", "createdAt": "2025-05-20T17:22:31.899Z",
    "updatedAt": "2025-05-20T17:22:31.9001213Z", "cancellationDate": None,
}  # fmt: skip


@pytest.mark.parametrize(
    ("changes", "status", "filled"),
    [
        ({"status": "Working", "remainingAmount": "9999.5"}, OrderStatus.PARTIALLY_FILLED, Decimal("0.5")),
        ({"status": "Working"}, OrderStatus.TRIGGERED, Decimal(0)),
        ({"status": "Working", "remainingAmount": None}, OrderStatus.TRIGGERED, Decimal(0)),
        ({"status": "Completed", "remainingAmount": "0"}, OrderStatus.FILLED, Decimal(10000)),
        ({"status": "Cancelled", "remainingAmount": "4000"}, OrderStatus.CANCELED, Decimal(6000)),
        ({"status": "Reverted", "remainingAmount": "0"}, OrderStatus.CANCELED, Decimal(0)),
        ({"remainingAmount": "10001"}, OrderStatus.TRIGGERED, Decimal(0)),  # never negative
    ],
)
def test_a_child_orders_status_and_fills(changes: dict[str, Any], status: OrderStatus, filled: Decimal) -> None:
    """Kills `filled > 0` → `> 1`, `remaining is None` mutants and the Reverted rule: literal statuses and fills."""
    state = parse.parse_child_order({**CHILD, **changes})
    assert (state.status, state.filled_quantity, state.quantity) == (status, filled, Decimal(10000))
    assert (state.stop_price, state.limit_price, state.venue_order_id) == (None, Decimal("0.9"), CHILD["orderId"])


@pytest.mark.parametrize(
    ("changes", "reason"),
    [
        ({}, None),
        ({"rejectDetails": "Insufficient funds"}, "Insufficient funds"),
        ({"reason": "Trader"}, "Trader"),
        ({"rejectDetails": "Insufficient funds", "reason": "Trader"}, "Insufficient funds"),
        ({"status": "Reverted"}, "Reverted: the order's trade was rolled back"),
        ({"status": "Reverted", "reason": "Dealer"}, "Reverted: the order's trade was rolled back (Dealer)"),
    ],
)
def test_a_child_orders_reason(changes: dict[str, Any], reason: str | None) -> None:
    """Kills the reason's mutants: rejectDetails first, then reason; a Reverted order says so."""
    assert parse.parse_child_order({**CHILD, **changes}).reason == reason


# -- cancelling a stop that already activated: its released child is cancelled instead -------------------


def _bound() -> Any:
    sim = B2TraderSimulator()
    return stopkit.bind("b2trader", credentials=sim.demo_credentials(), config=sim.demo_config("http://127.0.0.1:9"))


def _drive_cancel(bound: Any, stop_id: str, answers: list[HttpResponse]) -> tuple[Any, list[Any]]:
    ctx = RequestContext(now_ms=1_767_225_600_000, access_token=AccessToken("t"))
    flow = bound.cancel_flow(OrderRef(venue_order_id=stop_id))
    exchanges = []
    exchange = next(flow)
    try:
        while True:
            exchanges.append((exchange, exchange.build(ctx)))
            try:
                value = exchange.parse(answers.pop(0))
            except StopkitError as exc:
                exchange = flow.throw(exc)
                continue
            exchange = flow.send(value)
    except StopIteration as stop:
        return stop.value, exchanges


def _stop_state() -> Any:
    return parse.parse_stop_order({**DOCUMENTED, "status": "Activated"})


def _child_answer(**changes: Any) -> HttpResponse:
    return HttpResponse(status=200, body=json.dumps({"order": {**CHILD, **changes}}).encode())


@pytest.mark.parametrize(
    ("child_status", "remaining", "status", "filled"),
    [
        ("Cancelled", "4000", OrderStatus.CANCELED, Decimal(6000)),
        ("Working", "10000", OrderStatus.CANCELED, Decimal(0)),  # a 200 to the DELETE: cancelled
        ("Completed", "0", OrderStatus.FILLED, Decimal(10000)),
    ],
)
def test_cancelling_an_activated_stop_cancels_its_child(
    child_status: str, remaining: str, status: OrderStatus, filled: Decimal
) -> None:
    """Kills the child-cancel mutants: the DELETE goes to the child as a write, the stop comes back with the
    child's outcome and fills, both ids linked in raw, and the activation is forgotten."""
    bound = _bound()
    stop = _stop_state()
    bound.note_activation(stop, "CHILD-1")
    assert bound.released_child(stop.venue_order_id) == "CHILD-1"
    assert bound.released_child("another") is None
    result, exchanges = _drive_cancel(
        bound, stop.venue_order_id, [_child_answer(status=child_status, remainingAmount=remaining)]
    )
    (exchange, request), = exchanges  # fmt: skip
    assert (request.method, request.url.rsplit("/", 2)[-2:]) == ("DELETE", ["orders", "CHILD-1"])
    assert (exchange.writes, exchange.label) == (True, "cancel")
    assert (result.status, result.filled_quantity, result.venue_status) == (status, filled, "Activated")
    assert result.venue_order_id == stop.venue_order_id
    assert result.raw["stopkit.childOrderId"] == "CHILD-1"
    assert result.raw["stopkit.child"]["status"] == child_status
    assert result.reason == f"the stop had activated; the order it released (CHILD-1) is {child_status}"
    child = bound.cancelled_child("CHILD-1")
    assert child is not None
    assert child.raw["stopkit.parentOrderId"] == stop.venue_order_id
    assert child.status is (OrderStatus.FILLED if child_status == "Completed" else OrderStatus.CANCELED)
    assert bound.released_child(stop.venue_order_id) is None


def test_a_child_cancel_answer_that_cannot_be_read_is_unknown_and_names_the_child() -> None:
    """Kills `writes=True` → None/False on the child cancel: an unreadable 2xx is an unknown outcome, noted."""
    bound = _bound()
    stop = _stop_state()
    bound.note_activation(stop, "CHILD-2")
    with pytest.raises(ResponseShapeError) as info:
        _drive_cancel(bound, stop.venue_order_id, [HttpResponse(status=200, body=b"[]")])
    assert info.value.outcome_known is False
    assert any("released order CHILD-2" in note for note in info.value.__notes__)


def test_an_order_id_from_the_venue_is_escaped_whole_in_the_cancel_path() -> None:
    """Kills `quote(id, safe='')` → `quote(id)`: a child id holding '/' (ids of released orders come from the
    stream, unchecked) stays one path segment."""
    request = translate.build_order_cancel_request(
        "a/../b", base_url="https://broker.example", account_id="ACC", token=AccessToken("t")
    )
    assert request.url == "https://broker.example/frontoffice/api/v3/orders/a%2F..%2Fb"
    assert (request.method, request.body) == ("DELETE", None)
