"""Pacifica adapter: credential hints, local refusals, what its exchanges declare, and how its flows read
answers (market list, open orders, the bounded history search, orders that are not stops).

Flows are pure: driven by hand with scripted answers shaped as the documented examples
(tests/contract/pacifica/, https://docs.pacifica.fi/api-documentation/api/rest-api/orders/get-open-orders).
"""

from __future__ import annotations

import json
import logging
from collections.abc import Callable, Generator
from decimal import Decimal
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit

import pytest

import stopkit
from stopkit.context import AccessToken, RequestContext
from stopkit.errors import ConfigurationError, InvalidOrder, OrderNotFound
from stopkit.state import OrderKind, OrderStatus
from stopkit.testing import drive_flow
from stopkit.wire import HttpRequest, HttpResponse

SEED_HEX = "000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f"
CLOID = "d25ac10b-58cc-4372-a567-0e02b2c3d479"
OTHER = "0f1c2b8e-3a4d-4e5f-8a9b-000000000001"
SENT_AT_MS = 1_716_200_000_000
# Reconciliation reads history back to the first send less the signature window (expiry_window_ms, default
# 30 s) and a minute of clock skew (the adapter's reconcile_flow docstring).
NOT_BEFORE_MS = SENT_AT_MS - 30_000 - 60_000
CONTRACT = Path(__file__).parents[2] / "contract" / "pacifica"


def _ok(data: Any, **extra: Any) -> HttpResponse:
    body = {"success": True, "data": data, "error": None, "code": None, **extra}
    return HttpResponse(status=200, headers={"Content-Type": "application/json"}, body=json.dumps(body).encode())


def _bound(**config: Any) -> Any:
    return stopkit.bind("pacifica", credentials={"PACIFICA_PRIVATE_KEY": SEED_HEX}, config=config)


def _order(**changes: Any) -> stopkit.StopOrder:
    fields: dict[str, Any] = {
        "symbol": "BTC", "side": "sell", "quantity": Decimal("0.1"), "stop_price": Decimal(48000),
        "position_effect": "close", "client_order_id": CLOID,
    }  # fmt: skip
    fields.update(changes)
    return stopkit.StopOrder(**fields)


def _open_row(order_id: int, **changes: Any) -> dict[str, Any]:
    # The get-open-orders example row, as a stop-market sell.
    row: dict[str, Any] = {
        "order_id": order_id, "client_order_id": CLOID, "symbol": "BTC", "side": "ask", "price": "0",
        "initial_amount": "0.1", "filled_amount": "0", "cancelled_amount": "0", "stop_price": "48000",
        "order_type": "stop_market", "stop_parent_order_id": None, "reduce_only": True,
        "created_at": 1748956324604, "updated_at": 1748956324604,
    }  # fmt: skip
    row.update(changes)
    return row


def _history_row(client_order_id: str, created_at: int, order_id: int, **changes: Any) -> dict[str, Any]:
    row = {
        "order_id": order_id, "client_order_id": client_order_id, "symbol": "BTC", "side": "ask",
        "initial_price": "0", "average_filled_price": "0", "amount": "0.1", "filled_amount": "0",
        "order_status": "cancelled", "order_type": "stop_market", "stop_price": "48000",
        "stop_parent_order_id": None, "reduce_only": True, "reason": "cancel", "created_at": created_at,
        "updated_at": created_at,
    }  # fmt: skip
    row.update(changes)
    return row


def _drive(flow: Generator[Any, Any, Any], answer: Callable[[HttpRequest], HttpResponse]) -> tuple[Any, list[str]]:
    # Run a flow as the client does; returns (result, paths requested).
    result, exchanges = drive_flow(flow, answer, ctx=RequestContext(now_ms=SENT_AT_MS, access_token=AccessToken("t")))
    return result, [urlsplit(request.url).path for _, request in exchanges]


# -- credentials and local refusals --------------------------------------------------------------


def test_a_missing_private_key_is_refused_saying_what_key_is_expected() -> None:
    """Without PACIFICA_PRIVATE_KEY, bind() says which key forms it accepts."""
    with pytest.raises(ConfigurationError) as info:
        stopkit.bind("pacifica", credentials={})
    assert info.value.message == (
        "pacifica: PACIFICA_PRIVATE_KEY is not set (base58 Solana secret key, seed, or keypair file)"
    )


def test_a_cancel_without_a_symbol_is_refused_naming_the_field_before_any_request() -> None:
    """Pacifica keys a cancel by market: no symbol is InvalidOrder of pacifica naming 'symbol', nothing sent."""
    flow = _bound().cancel_flow(stopkit.OrderRef(venue_order_id="7"))
    with pytest.raises(InvalidOrder) as info:
        next(flow)
    assert (info.value.venue, info.value.field) == ("pacifica", "symbol")


def test_a_read_failure_is_classified_as_a_read_by_default() -> None:
    """classify_error without writes= treats a 503 as a read: nothing was written, so the outcome is known."""
    unavailable = HttpResponse(status=503, body=b"")
    assert _bound().classify_error(unavailable).outcome_known is True
    assert _bound().classify_error(unavailable, writes=True).outcome_known is False


def test_the_bound_venue_reads_the_documented_create_answer() -> None:
    """parse_place_response reads the documented create-stop-order answer: ACCEPTED with its order_id."""
    case = json.loads((CONTRACT / "rest_create_stop_order.json").read_text(encoding="utf-8"))["cases"][0]
    response = HttpResponse(status=case["http_status"], body=json.dumps(case["payload"]).encode())
    state = _bound().parse_place_response(_order(), response)
    assert (state.status, state.venue_order_id, state.client_order_id) == (OrderStatus.ACCEPTED, "241221627", CLOID)


# -- what the exchanges declare ------------------------------------------------------------------


def test_signed_writes_and_the_market_list_carry_no_bearer_token() -> None:
    """Pacifica signs bodies and has no bearer token: place, cancel and GET /api/v1/info are declared
    unauthenticated, with their labels and credit costs (a cancel costs half a credit)."""
    venue = _bound()
    info = next(venue.place_flow(_order()))
    assert (info.label, info.authenticated, info.writes, info.cost) == ("market_info", False, False, 1.0)
    place = next(_bound(check_market_rules=False).place_flow(_order()))
    assert (place.label, place.authenticated, place.writes) == ("place", False, True)
    cancel = next(venue.cancel_flow(stopkit.OrderRef(venue_order_id="7", symbol="BTC")))
    assert (cancel.label, cancel.authenticated, cancel.writes, cancel.cost) == ("cancel", False, True, 0.5)


# -- reads ---------------------------------------------------------------------------------------


def test_markets_of_given_symbols_leave_the_other_markets_out() -> None:
    """markets(('BTC',)) lists BTC only, though GET /api/v1/info lists ETH too."""
    rows = [
        {"symbol": "BTC", "tick_size": "1", "min_tick": "0", "max_tick": "1000000", "lot_size": "0.00001",
         "min_order_size": "10"},
        {"symbol": "ETH", "tick_size": "0.1", "min_tick": "0", "max_tick": "100000", "lot_size": "0.0001",
         "min_order_size": "10"},
    ]  # fmt: skip
    some, _ = _drive(_bound().markets_flow(("BTC",)), lambda request: _ok(rows))
    assert [m.venue_symbol for m in some.values()] == ["BTC"]
    every, _ = _drive(_bound().markets_flow(), lambda request: _ok(rows))
    assert sorted(m.venue_symbol for m in every.values()) == ["BTC", "ETH"]


def test_an_unreadable_open_stop_row_is_logged_with_the_error_and_the_row(caplog: pytest.LogCaptureFixture) -> None:
    """open_orders() leaves out a stop row with an undocumented side and logs the venue, the error and the row."""
    bad = _open_row(8, side="sideways")
    with caplog.at_level(logging.WARNING, logger="stopkit.venues.pacifica"):
        states, _ = _drive(_bound().open_orders_flow(), lambda request: _ok([_open_row(7), bad]))
    assert [s.venue_order_id for s in states] == ["7"]
    [record] = [r for r in caplog.records if "left out" in r.getMessage()]
    message = record.getMessage()
    assert message.startswith("pacifica: open stop order row left out: pacifica: ")
    assert "'sideways'" in message
    assert message.endswith(repr(bad))


def test_an_order_that_is_not_a_stop_is_not_found_saying_what_it_is() -> None:
    """get() of a plain limit order (found by its client order id in history) is OrderNotFound naming its kind."""

    def answer(request: HttpRequest) -> HttpResponse:
        path = urlsplit(request.url).path
        if path == "/api/v1/orders":
            return _ok([])
        if path == "/api/v1/orders/history":
            row = _history_row(CLOID, SENT_AT_MS, 5, order_type="limit", stop_price=None, initial_price="47000")
            return _ok([row], next_cursor=None, has_more=False)
        return _ok([])  # history_by_id: no events, the history row answers

    with pytest.raises(OrderNotFound) as info:
        _drive(_bound().get_flow(stopkit.OrderRef(client_order_id=CLOID)), answer)
    assert info.value.venue == "pacifica"
    assert info.value.message == f"pacifica: order 5 is a {OrderKind.LIMIT.value} order, not a stop order"


def test_a_newest_first_history_search_stops_at_the_first_page_older_than_the_send() -> None:
    """Pages of one row each still show the history's order across pages: once a row older than the first
    send (less window and skew) appears after a newer one, the search stops there and reads no more pages."""
    history_pages = 0

    def answer(request: HttpRequest) -> HttpResponse:
        nonlocal history_pages
        path = urlsplit(request.url).path
        if path == "/api/v1/orders":
            return _ok([])
        assert path == "/api/v1/orders/history", path
        history_pages += 1
        cursor = parse_qs(urlsplit(request.url).query).get("cursor")
        created = SENT_AT_MS if cursor is None else NOT_BEFORE_MS - 1 - history_pages
        return _ok([_history_row(OTHER, created, 100 + history_pages)], next_cursor=f"p{history_pages}", has_more=True)

    venue = _bound(history_search_max_credits=120)  # 10 pages of 12 credits
    flow = venue.reconcile_flow(_order(), sent_at_ms=SENT_AT_MS)
    assert flow is not None
    result, paths = _drive(flow, answer)
    assert result is None
    assert paths == ["/api/v1/orders", "/api/v1/orders/history", "/api/v1/orders/history"]


def test_a_configured_api_key_goes_with_the_cancel() -> None:
    """With PACIFICA_API_KEY set, the signed cancel carries the PF-API-KEY header (the higher credit budget)."""
    venue = stopkit.bind("pacifica", credentials={"PACIFICA_PRIVATE_KEY": SEED_HEX, "PACIFICA_API_KEY": "pf-key-1"})
    cancel = next(venue.cancel_flow(stopkit.OrderRef(venue_order_id="7", symbol="BTC")))
    request = cancel.build(RequestContext(now_ms=SENT_AT_MS, access_token=None))
    assert request.headers.get("PF-API-KEY") == "pf-key-1"
    plain = next(_bound().cancel_flow(stopkit.OrderRef(venue_order_id="7", symbol="BTC")))
    assert "PF-API-KEY" not in plain.build(RequestContext(now_ms=SENT_AT_MS, access_token=None)).headers
