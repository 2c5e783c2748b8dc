"""Pacifica: tests written to kill mutants that survived the suite (issue 19), each against a literal oracle.

Each test names the mutant it kills. Flows are driven by hand (pure, no I/O) with scripted answers.
"""

from __future__ import annotations

import json
import uuid
from collections.abc import Callable, Generator
from decimal import Decimal
from typing import Any
from urllib.parse import parse_qs, urlsplit

import pytest

import stopkit
from stopkit.context import AccessToken, RequestContext
from stopkit.errors import InvalidOrder, OrderRejected, StopkitError
from stopkit.retry import RetryPolicy
from stopkit.state import OrderStatus
from stopkit.testing import MockTransport, drive_flow
from stopkit.wire import HttpRequest, HttpResponse
from stopkit_venues.pacifica import parse, translate
from stopkit_venues.pacifica.constants import MARKET_INFO_CACHE_KEY

SEED_HEX = "000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f"
CLOID = "d25ac10b-58cc-4372-a567-0e02b2c3d479"
OTHER = "0f1c2b8e-3a4d-4e5f-8a9b-000000000001"
SENT_AT_MS = 1_716_200_000_000
WINDOW_MS = 30_000  # expiry_window_ms default
SKEW_MS = 60_000  # the documented reconciliation allowance for clock skew (adapter docstring)


def _ok(data: Any, **extra: Any) -> HttpResponse:
    body = {"success": True, "data": data, "error": None, "code": None, **extra}
    return HttpResponse(status=200, headers={"Content-Type": "application/json"}, body=json.dumps(body).encode())


def _bound() -> Any:
    return stopkit.bind("pacifica", credentials={"PACIFICA_PRIVATE_KEY": SEED_HEX})


def _order(**changes: Any) -> stopkit.StopOrder:
    fields: dict[str, Any] = {
        "symbol": "BTC", "side": "sell", "quantity": Decimal("0.1"), "stop_price": Decimal(48000),
        "position_effect": "close", "client_order_id": CLOID,
    }  # fmt: skip
    fields.update(changes)
    return stopkit.StopOrder(**fields)


def _history_row(client_order_id: str, created_at: int, order_id: int, **changes: Any) -> dict[str, Any]:
    row = {
        "order_id": order_id, "client_order_id": client_order_id, "symbol": "BTC", "side": "ask",
        "initial_price": "0", "average_filled_price": "47990", "amount": "0.1", "filled_amount": "0.1",
        "order_status": "filled", "order_type": "stop_market", "stop_price": "48000", "stop_parent_order_id": None,
        "reduce_only": True, "reason": None, "created_at": created_at, "updated_at": created_at,
    }  # fmt: skip
    row.update(changes)
    return row


def _drive(flow: Generator[Any, Any, Any], answer: Callable[[HttpRequest], HttpResponse]) -> tuple[Any, list[str]]:
    # Run a flow as the client does; returns (result, paths requested).
    result, exchanges = drive_flow(flow, answer, ctx=RequestContext(now_ms=SENT_AT_MS, access_token=AccessToken("t")))
    return result, [urlsplit(request.url).path for _, request in exchanges]


def _history_answers(page_one: list[dict[str, Any]], page_two: list[dict[str, Any]]) -> Callable[..., HttpResponse]:
    # Open orders: none. History: two pages, newest first. history_by_id: no events (the row answers).
    def answer(request: HttpRequest) -> HttpResponse:
        path = urlsplit(request.url).path
        query = parse_qs(urlsplit(request.url).query)
        if path == "/api/v1/orders":
            return _ok([])
        if path == "/api/v1/orders/history":
            if "cursor" in query:
                return _ok(page_two, next_cursor=None, has_more=False)
            return _ok(page_one, next_cursor="page2", has_more=True)
        if path == "/api/v1/orders/history_by_id":
            return _ok([])
        raise AssertionError(f"unexpected request {path}")

    return answer


def test_history_search_allows_a_minute_of_clock_skew() -> None:
    """Kills `not_before = sent - window - skew` → `+ skew` or no skew: rows 89 s old do not stop the search."""
    newest_first = [
        _history_row(OTHER, SENT_AT_MS, 3),
        _history_row(OTHER, SENT_AT_MS - WINDOW_MS - SKEW_MS + 1_000, 2),
    ]
    target = [_history_row(CLOID, SENT_AT_MS - WINDOW_MS - SKEW_MS - 5_000, 1)]
    flow = _bound().reconcile_flow(_order(), sent_at_ms=SENT_AT_MS)
    state, paths = _drive(flow, _history_answers(newest_first, target))
    assert paths.count("/api/v1/orders/history") == 2
    assert state is not None
    assert (state.venue_order_id, state.status) == ("1", OrderStatus.FILLED)


def test_history_search_stops_at_a_row_older_than_the_window_and_skew() -> None:
    """Kills a wider allowance (60_000 → 60_001) and `<` → `<=`: a row 90.001 s old ends a newest-first search."""
    older = [_history_row(OTHER, SENT_AT_MS, 3), _history_row(OTHER, SENT_AT_MS - WINDOW_MS - SKEW_MS - 1, 2)]
    target = [_history_row(CLOID, SENT_AT_MS - WINDOW_MS - SKEW_MS - 2, 1)]
    state, paths = _drive(_bound().reconcile_flow(_order(), sent_at_ms=SENT_AT_MS), _history_answers(older, target))
    assert state is None
    assert paths.count("/api/v1/orders/history") == 1
    exactly = [_history_row(OTHER, SENT_AT_MS, 3), _history_row(OTHER, SENT_AT_MS - WINDOW_MS - SKEW_MS, 2)]
    state, paths = _drive(_bound().reconcile_flow(_order(), sent_at_ms=SENT_AT_MS), _history_answers(exactly, target))
    assert paths.count("/api/v1/orders/history") == 2
    assert state is not None


def test_reconciliation_refuses_a_row_with_another_quantity() -> None:
    """Kills `_same_order` ignoring quantity: the client id's order with 0.2 instead of 0.1 is not this order."""
    rows = [_history_row(CLOID, SENT_AT_MS, 1, amount="0.2", filled_amount="0.2")]
    state, _paths = _drive(_bound().reconcile_flow(_order(), sent_at_ms=SENT_AT_MS), _history_answers(rows, []))
    assert state is None
    same = [_history_row(CLOID, SENT_AT_MS, 1)]
    state, _paths = _drive(_bound().reconcile_flow(_order(), sent_at_ms=SENT_AT_MS), _history_answers(same, []))
    assert state is not None
    assert state.quantity == Decimal("0.1")


@pytest.mark.parametrize("symbol", ["BTC/USDT:USDC", "BTC/USDC:USDT", "BTC/EUR:EUR"])
def test_a_perpetual_not_quoted_and_settled_in_usdc_is_refused(symbol: str) -> None:
    """Kills `quote != USDC or settle != USDC` → `and`: either currency alone being wrong refuses the symbol."""
    with pytest.raises(InvalidOrder) as info:
        translate.native_symbol(symbol)
    assert info.value.field == "symbol"
    assert translate.native_symbol("BTC/USDC:USDC") == "BTC"


def test_client_order_id_must_be_the_whole_uuid() -> None:
    """Kills `_UUID.fullmatch` → `match`/`search`: a UUID followed or preceded by anything is refused."""
    assert translate.validate_client_order_id(CLOID) == CLOID
    for bad in (CLOID + "0", CLOID + "-x", "x" + CLOID, CLOID.upper() + " ", CLOID[:-1]):
        with pytest.raises(InvalidOrder):
            translate.validate_client_order_id(bad)


def _events(*steps: tuple[str, str]) -> HttpResponse:
    rows = [
        {
            "history_id": 100 + i,
            "order_id": 7,
            "client_order_id": CLOID,
            "symbol": "BTC",
            "side": "ask",
            "price": "47950",
            "initial_amount": "0.1",
            "filled_amount": "0",
            "cancelled_amount": "0",
            "event_type": event,
            "order_type": "stop_limit",
            "order_status": status,
            "stop_price": "48000",
            "stop_parent_order_id": None,
            "reduce_only": True,
            "created_at": 1759224893638 + i,
        }
        for i, (event, status) in enumerate(steps)
    ]
    return _ok(list(reversed(rows)))


@pytest.mark.parametrize(
    ("event", "expected"),
    [("cancel", OrderStatus.CANCELED), ("force_cancel", OrderStatus.CANCELED), ("expired", OrderStatus.EXPIRED)],
)
def test_a_terminal_event_ends_the_order_even_while_the_status_still_says_open(
    event: str, expected: OrderStatus
) -> None:
    """Kills the terminal-event branch being skipped: cancel/force_cancel/expired beside order_status open."""
    state = parse.parse_history_by_id(_events(("stop_created", "open"), (event, "open")))
    assert state is not None
    assert (state.status, state.venue_status) == (expected, "open")


def test_make_after_the_trigger_is_triggered_and_post_only_rejected_is_a_rejection() -> None:
    """Kills make → None and post_only_rejected → CANCELED, read through the parser (literal expected statuses)."""
    made = parse.parse_history_by_id(_events(("stop_created", "open"), ("make", "open")))
    assert made is not None
    assert made.status is OrderStatus.TRIGGERED
    refused = parse.parse_history_by_id(_events(("stop_created", "open"), ("post_only_rejected", "cancelled")))
    assert refused is not None
    assert (refused.status, refused.reason) == (OrderStatus.REJECTED, "post_only_rejected")


@pytest.mark.parametrize("writes", [False, True])
def test_a_200_answer_carrying_an_error_text_is_not_a_success(writes: bool) -> None:
    """Kills `error not in (None, "")` being dropped: a 200 with success:true and an error text is an error."""
    body = {"success": True, "data": None, "error": "Invalid stop order", "code": 400}
    response = HttpResponse(status=200, body=json.dumps(body).encode())
    with pytest.raises(StopkitError):
        parse.parse_cancel_response(response)
    with pytest.raises(StopkitError):
        parse.parse_place_response(_order(), response)
    assert parse.parse_cancel_response(_ok(None)) is None


def test_a_documented_refusal_in_a_200_envelope_is_a_rejection() -> None:
    """A success:false envelope with a documented refusal text is OrderRejected naming the text."""
    body = {"success": False, "data": None, "error": "Insufficient balance", "code": 400}
    error = parse.classify_error(HttpResponse(status=400, body=json.dumps(body).encode()), writes=True)
    assert isinstance(error, OrderRejected | StopkitError)
    assert "Insufficient balance" in str(error)


def test_history_events_before_any_phase_event_leave_the_stop_accepted() -> None:
    """Kills `phase = ACCEPTED` → None and the event_type type check: an open stop whose events carry no phase
    (or a non-text event type) is ACCEPTED."""
    state = parse.parse_history_by_id(_events(("adjust", "open")))
    assert state is not None
    assert (state.status, state.venue_status) == (OrderStatus.ACCEPTED, "adjust")
    rows = json.loads(_events(("stop_created", "open"), ("stop_triggered", "open")).body)["data"]
    rows[1]["event_type"] = {"not": "text"}  # the older event (rows are newest first)
    odd = parse.parse_history_by_id(_ok(rows))
    assert odd is not None
    assert odd.status is OrderStatus.TRIGGERED


def test_history_ids_must_be_integers() -> None:
    """Kills `value is None or not value.isdigit()` → `and` and the error's venue: missing or non-numeric
    history_id is a ResponseShapeError naming pacifica and history_id."""
    for value in (None, "abc", "-1"):
        rows = json.loads(_events(("stop_created", "open")).body)["data"]
        rows[0]["history_id"] = value
        with pytest.raises(StopkitError) as info:
            parse.parse_history_by_id(_ok(rows))
        assert info.value.venue == "pacifica"
        assert "history_id" in str(info.value)


def test_events_without_a_documented_type_are_refused_by_name() -> None:
    """Kills the message of the 'no documented order_type' refusal."""
    rows = json.loads(_events(("stop_created", "open")).body)["data"]
    rows[0]["order_type"] = "iceberg"
    with pytest.raises(StopkitError) as info:
        parse.parse_history_by_id(_ok(rows))
    assert info.value.message == "pacifica: no event of order 7 has a documented order_type"


def _exchanges_until_error(flow: Generator[Any, Any, Any], answer: HttpResponse) -> tuple[list[Any], StopkitError]:
    # Drive `flow` answering every exchange with `answer`; the exchanges seen and the error it ends with.
    exchanges: list[Any] = []
    try:
        exchange = next(flow)
        while True:
            exchanges.append(exchange)
            exchange = flow.send(exchange.parse(answer))
    except StopkitError as exc:
        return exchanges, exc
    raise AssertionError("the flow ended without an error")


def test_reads_of_public_order_data_send_no_token_and_not_found_names_the_order() -> None:
    """Kills `authenticated=False` mutants on every read exchange, and the not-found message and venue."""
    flow = _bound().get_flow(stopkit.OrderRef(venue_order_id="5", symbol="BTC"))
    exchanges, error = _exchanges_until_error(flow, _ok([]))
    assert [e.authenticated for e in exchanges] == [False, False]
    assert [e.label for e in exchanges] == ["open_orders", "history_by_id"]
    assert error.venue == "pacifica"
    assert error.message == "pacifica: no stop order with order_id=5 in open orders or order history"
    by_client = _bound().get_flow(stopkit.OrderRef(client_order_id=CLOID, symbol="BTC"))
    exchanges, error = _exchanges_until_error(by_client, _ok([], next_cursor=None, has_more=False))
    assert [e.authenticated for e in exchanges] == [False, False]
    assert error.message == f"pacifica: no stop order with client_order_id={CLOID} in open orders or order history"


@pytest.mark.parametrize(("event", "expected"), [("expired", OrderStatus.EXPIRED), ("cancel", OrderStatus.CANCELED)])
def test_an_empty_reason_leaves_the_terminal_event_to_decide(event: str, expected: OrderStatus) -> None:
    """Kills `order_status in ("open", "cancelled")` → "CANCELLED": cancelled with reason "" is read by its event."""
    rows = json.loads(_events(("stop_created", "open"), (event, "cancelled")).body)["data"]
    rows[0]["reason"] = ""
    state = parse.parse_history_by_id(_ok(rows))
    assert state is not None
    assert (state.status, state.venue_status) == (expected, "cancelled")


@pytest.mark.parametrize("value", ["12a", "-1", "\u0661", "", "1.5"])
def test_a_venue_order_id_that_is_not_a_decimal_integer_is_refused_by_name(value: str) -> None:
    """Kills the refusal's message/field/venue mutants in parse_venue_order_id."""
    with pytest.raises(InvalidOrder) as info:
        translate.parse_venue_order_id(value)
    assert (info.value.field, info.value.venue) == ("venue_order_id", "pacifica")
    assert info.value.message == f"pacifica: venue_order_id must be Pacifica's integer order_id, got {value!r}"
    assert translate.parse_venue_order_id(" 42 ") == 42


def test_a_cancel_needs_an_id() -> None:
    """Kills the cancel payload's refusal mutants: no id names venue_order_id, pacifica and says what to give."""
    with pytest.raises(InvalidOrder) as info:
        translate.cancel_payload("BTC", venue_order_id=None, client_order_id=None)
    assert (info.value.field, info.value.venue) == ("venue_order_id", "pacifica")
    assert info.value.message == "give venue_order_id or client_order_id"
    assert translate.cancel_payload("BTC", venue_order_id="7", client_order_id=CLOID) == {
        "symbol": "BTC",
        "order_id": 7,
    }
    assert translate.cancel_payload("BTC", venue_order_id=None, client_order_id=CLOID) == {
        "symbol": "BTC",
        "client_order_id": CLOID,
    }


def test_an_unreadable_cancel_answer_has_an_unknown_outcome() -> None:
    """Kills `_ok_body(response, writes=True)` → None in the cancel parser: a 2xx cancel answer that cannot be
    read may have cancelled the order."""
    with pytest.raises(StopkitError) as info:
        parse.parse_cancel_response(HttpResponse(status=200, body=b"<html>ok</html>"))
    assert info.value.outcome_known is False
    with pytest.raises(StopkitError) as read:
        parse.parse_history_page(HttpResponse(status=200, body=b"<html>ok</html>"))
    assert read.value.outcome_known is True


def test_rows_keep_their_raw_answer_and_an_unknown_type_is_named() -> None:
    """Kills `raw=raw` dropped in _state and _kind_or_raise's message/raw_value mutants."""
    row = _history_row(CLOID, SENT_AT_MS, 9)
    assert parse.parse_history_row(row).raw == row
    with pytest.raises(StopkitError) as info:
        parse.parse_history_row({**row, "order_type": "iceberg"})
    assert info.value.message == "pacifica: unknown order_type value 'iceberg'"
    assert getattr(info.value, "raw_value", None) == "iceberg"


async def test_invalidate_cache_forgets_only_the_key_given() -> None:
    """Kills `self._cache.pop(key, None)` → `pop(None, None)`: after invalidating the market-info key the next
    placement reads GET /api/v1/info again."""
    btc = {"symbol": "BTC", "tick_size": "1", "min_tick": "0", "max_tick": "1000000", "lot_size": "0.00001",
           "min_order_size": "10"}  # fmt: skip
    calls: list[str] = []

    def handler(request: HttpRequest) -> HttpResponse:
        path = urlsplit(request.url).path
        calls.append(path)
        if path == "/api/v1/info":
            return _ok([btc])
        return _ok({"order_id": len(calls)})

    client = stopkit.connect(
        "pacifica", credentials={"PACIFICA_PRIVATE_KEY": SEED_HEX}, transport=MockTransport(handler),
        clock=stopkit.FrozenClock(SENT_AT_MS), retry=RetryPolicy(max_attempts=1, backoff=False),
    )  # fmt: skip
    async with client:
        await client.place(_order(client_order_id=str(uuid.uuid4())))
        await client.place(_order(client_order_id=str(uuid.uuid4())))
        assert calls.count("/api/v1/info") == 1
        client.invalidate_cache("another:key")
        await client.place(_order(client_order_id=str(uuid.uuid4())))
        assert calls.count("/api/v1/info") == 1
        client.invalidate_cache(f"{MARKET_INFO_CACHE_KEY}:{client.venue.config.base_url}")
        await client.place(_order(client_order_id=str(uuid.uuid4())))
        assert calls.count("/api/v1/info") == 2
