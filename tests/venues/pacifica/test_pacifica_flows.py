"""Pacifica flows over a MockTransport: which requests get/cancel/open_orders send, and how answers combine."""

from __future__ import annotations

import json
from typing import Any
from urllib.parse import parse_qs, urlsplit

import pytest

import stopkit
from stopkit.errors import OrderNotFound
from stopkit.retry import RetryPolicy
from stopkit.state import OrderStatus
from stopkit.testing import MockTransport
from stopkit.wire import HttpRequest, HttpResponse
from stopkit_venues.pacifica import parse
from stopkit_venues.pacifica.adapter import RECONCILE_ROUNDS

SEED_HEX = "000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f"
ACCOUNT = "FAe4sisG95oZ42w7buUn5qEE4TAnfTTFPiguZUHmhiF"
CLOID = "d25ac10b-58cc-4372-a567-0e02b2c3d479"


def _ok(data: Any, **extra: Any) -> HttpResponse:
    return HttpResponse(status=200, body=json.dumps({"success": True, "data": data, "error": None, "code": None,
                                                     **extra}).encode())  # fmt: skip


def _history_row(order_id: int, client_order_id: str, status: str = "filled") -> dict[str, Any]:
    return {
        "order_id": order_id, "client_order_id": client_order_id, "symbol": "BTC", "side": "ask",
        "initial_price": "0", "average_filled_price": "47990", "amount": "0.1", "filled_amount": "0.1",
        "order_status": status, "order_type": "stop_market", "stop_price": "48000", "stop_parent_order_id": None,
        "reduce_only": True, "reason": None, "created_at": 1, "updated_at": 2,
    }  # fmt: skip


# BTC as GET /api/v1/info lists it (CCXT response fixture, tests/contract/pacifica/).
BTC_MARKET = {"symbol": "BTC", "tick_size": "1", "min_tick": "0", "max_tick": "1000000", "lot_size": "0.00001",
              "max_leverage": 50, "isolated_only": False, "min_order_size": "10", "max_order_size": "5000000",
              "funding_rate": "0.0000125", "next_funding_rate": "0.0000125", "created_at": 1748881333944,
              "instrument_type": "perpetual", "base_asset": "BTC"}  # fmt: skip
INFO = "/api/v1/info"


def _client(handler: Any, **config: Any) -> tuple[stopkit.VenueClient, MockTransport]:
    # The handler answers everything but GET /api/v1/info, which lists BTC.
    def send(request: HttpRequest) -> HttpResponse:
        if _route(request)[0] == INFO:
            return _ok([BTC_MARKET])
        return handler(request)  # type: ignore[no-any-return]

    transport = MockTransport(send)
    client = stopkit.connect(
        "pacifica", credentials={"PACIFICA_PRIVATE_KEY": SEED_HEX}, transport=transport, config=config or None,
        clock=stopkit.FrozenClock(1716200000000), retry=RetryPolicy(max_attempts=1, backoff=False),
    )  # fmt: skip
    return client, transport


def _paths(transport: MockTransport) -> list[str]:
    # The paths sent, GET /api/v1/info left out.
    return [path for path in (_route(r)[0] for r in transport.sent) if path != INFO]


def _route(request: HttpRequest) -> tuple[str, dict[str, list[str]]]:
    parts = urlsplit(request.url)
    return parts.path, parse_qs(parts.query)


async def test_get_by_client_id_pages_history_then_reads_events() -> None:
    """Not open → history pages followed by next_cursor until the client id appears → history_by_id."""

    def handler(request: HttpRequest) -> HttpResponse:
        path, query = _route(request)
        if path == "/api/v1/orders":
            assert query == {"account": [ACCOUNT]}
            return _ok([])
        if path == "/api/v1/orders/history":
            if "cursor" not in query:
                return _ok([_history_row(1, "00000000-0000-4000-8000-000000000001")], next_cursor="c2", has_more=True)
            assert query["cursor"] == ["c2"]
            return _ok([_history_row(77, CLOID)], next_cursor=None, has_more=False)
        assert path == "/api/v1/orders/history_by_id"
        assert query == {"order_id": ["77"]}
        return _ok([])  # no events: the history row itself is the answer

    client, transport = _client(handler)
    async with client:
        state = await client.get(client_order_id=CLOID)
    assert (state.venue_order_id, state.status, state.venue_status) == ("77", OrderStatus.FILLED, "filled")
    assert _paths(transport) == [
        "/api/v1/orders", "/api/v1/orders/history", "/api/v1/orders/history", "/api/v1/orders/history_by_id",
    ]  # fmt: skip
    assert all(r.method == "GET" and r.body is None for r in transport.sent)


async def test_get_by_client_id_not_in_history() -> None:
    """History exhausted without the client id → OrderNotFound, no history_by_id request."""

    def handler(request: HttpRequest) -> HttpResponse:
        path, _ = _route(request)
        return _ok([]) if path == "/api/v1/orders" else _ok([], next_cursor=None, has_more=False)

    client, transport = _client(handler)
    async with client:
        with pytest.raises(OrderNotFound):
            await client.get(client_order_id=CLOID)
    assert len(transport.sent) == 2


async def test_open_orders_keeps_only_stops_of_the_symbol() -> None:
    """Plain limit rows and other symbols are left out."""
    rows = [
        {"order_id": 1, "client_order_id": None, "symbol": "BTC", "side": "bid", "price": "1", "initial_amount": "1",
         "filled_amount": "0", "stop_price": None, "order_type": "limit", "reduce_only": False, "created_at": 1},
        {"order_id": 2, "client_order_id": CLOID, "symbol": "BTC", "side": "ask", "price": "0", "initial_amount": "1",
         "filled_amount": "0", "stop_price": "48000", "order_type": "stop_market", "reduce_only": True,
         "created_at": 1},
        {"order_id": "3", "client_order_id": None, "symbol": "ETH", "side": "ask", "price": "0", "initial_amount": "1",
         "filled_amount": "0", "stop_price": "3000", "order_type": "stop_market", "reduce_only": True,
         "created_at": 1},
    ]  # fmt: skip
    client, _ = _client(lambda request: _ok(rows))
    async with client:
        btc = await client.open_orders("BTC/USDC:USDC")
        every = await client.open_orders()
    assert [s.venue_order_id for s in btc] == ["2"]
    assert [s.venue_order_id for s in every] == ["2", "3"]
    assert all(s.status is OrderStatus.ACCEPTED for s in every)


async def test_cancel_read_back_not_yet_terminal_is_pending_cancel() -> None:
    """The cancel is signed (order_id integer); a read-back still showing the stop → PENDING_CANCEL."""

    def handler(request: HttpRequest) -> HttpResponse:
        path, _ = _route(request)
        if path == "/api/v1/orders/stop/cancel":
            body = json.loads(request.body or b"")
            assert (body["order_id"], body["symbol"], body["account"]) == (5, "BTC", ACCOUNT)
            assert list(body)[:5] == ["account", "signature", "timestamp", "expiry_window", "symbol"]
            return HttpResponse(status=200, body=b'{"success": true}')
        return _ok([
            {"order_id": 5, "client_order_id": CLOID, "symbol": "BTC", "side": "ask", "price": "0",
             "initial_amount": "0.1", "filled_amount": "0", "stop_price": "48000", "order_type": "stop_market",
             "reduce_only": True, "created_at": 1},
        ])  # fmt: skip

    client, transport = _client(handler)
    async with client:
        state = await client.cancel(venue_order_id="5", symbol="BTC")
    assert state.status is OrderStatus.PENDING_CANCEL
    assert transport.sent[0].headers["Content-Type"] == "application/json"


def _event(history_id: int, order_id: int, event_type: str, order_status: str) -> dict[str, Any]:
    return {
        "history_id": history_id, "order_id": order_id, "client_order_id": CLOID, "symbol": "BTC", "side": "ask",
        "price": "0", "initial_amount": "0.1", "filled_amount": "0", "cancelled_amount": "0",
        "event_type": event_type, "order_type": "stop_market", "order_status": order_status, "stop_price": "48000",
        "stop_parent_order_id": None, "reduce_only": True, "created_at": 1716200000001,
    }  # fmt: skip


def _placing_client(handler: Any, **config: Any) -> tuple[stopkit.VenueClient, MockTransport]:
    # Like _client, but the create is answered by a lost connection (outcome unknown).
    from stopkit.errors import TransportError

    def send(request: HttpRequest) -> HttpResponse:
        if request.method == "POST":
            raise TransportError("connection reset after sending", venue="pacifica", outcome_known=False)
        return handler(request)  # type: ignore[no-any-return]

    return _client(send, **config)


def _order(**overrides: Any) -> stopkit.StopOrder:
    fields: dict[str, Any] = {"symbol": "BTC", "side": "sell", "position_effect": "close", "quantity": "0.1",
                              "stop_price": "48000", "client_order_id": CLOID}  # fmt: skip
    fields.update(overrides)
    return stopkit.StopOrder(**fields)


async def test_reconcile_finds_the_order_in_history_then_reads_its_events() -> None:
    """Outcome unknown → open orders (absent) → history pages → history_by_id: the triggered order is returned."""

    def handler(request: HttpRequest) -> HttpResponse:
        path, query = _route(request)
        if path == "/api/v1/orders":
            return _ok([])
        if path == "/api/v1/orders/history":
            if "cursor" not in query:
                other = _history_row(2, "00000000-0000-4000-8000-000000000002")
                return _ok([{**other, "created_at": 1716200000005}], next_cursor="c2", has_more=True)
            return _ok([_history_row(77, CLOID, status="open")], next_cursor=None, has_more=False)
        assert (path, query) == ("/api/v1/orders/history_by_id", {"order_id": ["77"]})
        return _ok([_event(2, 77, "stop_triggered", "open"), _event(1, 77, "stop_created", "open")])

    client, transport = _placing_client(handler)
    async with client:
        state = await client.place(_order())
    assert (state.venue_order_id, state.status, state.venue_status) == ("77", OrderStatus.TRIGGERED, "stop_triggered")
    assert [r.method for r in transport.sent].count("POST") == 1


SENT_MS = 1716200000000
NOT_BEFORE_MS = SENT_MS - 30_000 - 60_000  # the send less the signature window and a minute of skew


def _rows_at(*times: int) -> list[dict[str, Any]]:
    # History rows of other orders, created at the given Unix ms.
    return [
        {**_history_row(100 + i, f"00000000-0000-4000-8000-{i:012d}"), "created_at": t} for i, t in enumerate(times)
    ]


async def test_history_newest_first_search_stops_at_rows_older_than_the_send() -> None:
    """Newest-first pages (read from the times): a row created before the send (less window and skew)
    ends the search after one page: not found → unknown, reported with a note; no resend by default."""
    from stopkit.errors import TransportError

    def handler(request: HttpRequest) -> HttpResponse:
        path, _ = _route(request)
        if path == "/api/v1/orders":
            return _ok([])
        return _ok(_rows_at(SENT_MS + 5, NOT_BEFORE_MS - 1), next_cursor="c2", has_more=True)

    client, transport = _placing_client(handler)
    async with client:
        with pytest.raises(TransportError) as info:
            await client.place(_order())
    assert info.value.outcome_known is False
    assert "reconciliation found no matching order" in " ".join(info.value.__notes__)
    assert _paths(transport) == ["/api/v1/orders/stop/create", "/api/v1/orders", "/api/v1/orders/history"]


async def test_history_oldest_first_search_reads_on_past_old_rows() -> None:
    """Oldest-first pages (the MCP server's description): old rows do not end the search; the next page
    holds the order, which is then read back by its events."""

    def handler(request: HttpRequest) -> HttpResponse:
        path, query = _route(request)
        if path == "/api/v1/orders":
            return _ok([])
        if path == "/api/v1/orders/history":
            if "cursor" not in query:
                return _ok(_rows_at(NOT_BEFORE_MS - 9, NOT_BEFORE_MS - 1), next_cursor="c2", has_more=True)
            return _ok([{**_history_row(77, CLOID, status="open"), "created_at": SENT_MS}], has_more=False)
        assert (path, query) == ("/api/v1/orders/history_by_id", {"order_id": ["77"]})
        return _ok([_event(1, 77, "stop_created", "open")])

    client, transport = _placing_client(handler)
    async with client:
        state = await client.place(_order())
    assert (state.venue_order_id, state.status) == ("77", OrderStatus.ACCEPTED)
    assert _paths(transport).count("/api/v1/orders/history") == 2


async def test_history_search_is_bounded_by_its_credit_budget() -> None:
    """Oldest-first history that never ends: the search reads at most a quarter of the 100-credit budget
    (2 pages of 12 credits), reports the outcome unknown, and never resends after an incomplete search,
    even with resend_after_unknown on."""
    from stopkit.errors import TransportError

    def handler(request: HttpRequest) -> HttpResponse:
        path, _ = _route(request)
        if path == "/api/v1/orders":
            return _ok([])
        return _ok(_rows_at(NOT_BEFORE_MS - 9, NOT_BEFORE_MS - 1), next_cursor="more", has_more=True)

    client, transport = _placing_client(handler, resend_after_unknown=True)
    assert client.venue.history_search_max_pages() == 2  # type: ignore[attr-defined]
    async with client:
        with pytest.raises(TransportError):
            await client.place(_order())
    assert _paths(transport).count("/api/v1/orders/history") == 2
    assert [r.method for r in transport.sent].count("POST") == 1


async def test_reconcile_resend_rounds_when_enabled() -> None:
    """resend_after_unknown on: a complete search that finds nothing → a resend with the same client
    order id, whose outcome is unknown too → again, RECONCILE_ROUNDS rounds in all → the original error,
    noting that reconciliation failed too."""
    from stopkit.errors import TransportError

    def handler(request: HttpRequest) -> HttpResponse:
        path, _ = _route(request)
        if path == "/api/v1/orders":
            return _ok([])
        return _ok(_rows_at(SENT_MS + 5, NOT_BEFORE_MS - 1), next_cursor="c2", has_more=True)

    client, transport = _placing_client(handler, resend_after_unknown=True)
    async with client:
        with pytest.raises(TransportError) as info:
            await client.place(_order())
    assert info.value.outcome_known is False
    assert "reconciliation failed too" in " ".join(info.value.__notes__)
    lookup_then_resend = ["/api/v1/orders", "/api/v1/orders/history", "/api/v1/orders/stop/create"]
    assert _paths(transport) == ["/api/v1/orders/stop/create", *lookup_then_resend * RECONCILE_ROUNDS]
    creates = [r for r in transport.sent if r.method == "POST"]
    assert creates[0].json()["stop_order"]["client_order_id"] == creates[1].json()["stop_order"]["client_order_id"]


async def test_reconcile_resend_refused_as_duplicate_reads_the_order_back() -> None:
    """resend_after_unknown on: not found by the lookup, resent, refused as a duplicate client order id (it
    had landed): read back."""
    row = {"order_id": 5, "client_order_id": CLOID, "symbol": "BTC", "side": "ask", "price": "0",
           "initial_amount": "0.1", "filled_amount": "0", "stop_price": "48000", "order_type": "stop_market",
           "reduce_only": True, "created_at": 1716200000000}  # fmt: skip
    posts = 0
    open_reads = 0

    def handler(request: HttpRequest) -> HttpResponse:
        nonlocal posts, open_reads
        path, _ = _route(request)
        if request.method == "POST":
            posts += 1
            if posts == 1:
                from stopkit.errors import TransportError

                raise TransportError("connection reset after sending", venue="pacifica", outcome_known=False)
            body = (
                b'{"success":false,"data":null,"error":"Duplicate client order id: ' + CLOID.encode() + b'","code":36}'
            )
            return HttpResponse(status=422, body=body)
        if path == "/api/v1/orders":
            open_reads += 1
            return _ok([] if open_reads == 1 else [row])  # the first look is too early to see it
        return _ok([], has_more=False)

    client, _transport = _client(handler, resend_after_unknown=True)
    async with client:
        state = await client.place(_order())
    assert (state.venue_order_id, state.client_order_id, state.status) == ("5", CLOID, OrderStatus.ACCEPTED)
    assert posts == 2


async def test_reconcile_resend_is_off_by_default() -> None:
    """By default (and with resend_after_unknown=false) the lookup alone decides: not found → the original
    error, sent once."""
    from stopkit.errors import TransportError

    for config in ({}, {"resend_after_unknown": "false"}):
        client, transport = _placing_client(lambda request: _ok([], has_more=False), **config)
        async with client:
            with pytest.raises(TransportError) as info:
                await client.place(_order())
        assert "reconciliation found no matching order" in " ".join(info.value.__notes__)
        assert [r.method for r in transport.sent].count("POST") == 1


async def test_reconcile_open_row_with_other_fields_is_not_this_order() -> None:
    """An open stop carrying the client id but another stop price is not this order → not found → the error."""
    from stopkit.errors import TransportError

    row = {"order_id": 5, "client_order_id": CLOID, "symbol": "BTC", "side": "ask", "price": "0",
           "initial_amount": "0.1", "filled_amount": "0", "stop_price": "47000", "order_type": "stop_market",
           "reduce_only": True, "created_at": 1}  # fmt: skip
    client, _ = _placing_client(lambda request: _ok([row]))
    async with client:
        with pytest.raises(TransportError):
            await client.place(_order())
        found = await client.get(client_order_id=CLOID)  # get itself does not compare fields
    assert found.stop_price == 47000


async def test_get_by_client_id_of_a_triggered_open_order_reads_events_without_paging() -> None:
    """A triggered stop shows its released type in open orders: its order_id is taken from there (no history)."""
    row = {"order_id": 9, "client_order_id": CLOID, "symbol": "BTC", "side": "ask", "price": "47950",
           "initial_amount": "0.1", "filled_amount": "0", "stop_price": "48000", "order_type": "limit",
           "reduce_only": True, "created_at": 1}  # fmt: skip

    def handler(request: HttpRequest) -> HttpResponse:
        path, _ = _route(request)
        if path == "/api/v1/orders":
            return _ok([row])
        return _ok([_event(3, 9, "make", "open"), _event(2, 9, "stop_triggered", "open"),
                    _event(1, 9, "stop_created", "open")])  # fmt: skip

    client, transport = _client(handler)
    async with client:
        state = await client.get(client_order_id=CLOID)
    assert (state.status, state.venue_status) == (OrderStatus.TRIGGERED, "make")
    assert _paths(transport) == ["/api/v1/orders", "/api/v1/orders/history_by_id"]


def test_read_costs_follow_ccxt_weights() -> None:
    """Open orders 1, history_by_id 1, market info 1, order history 12 (4 with a PF-API-KEY); a history search
    may read a quarter of the budget (2 pages of 100 credits, 18 of 300 keyed; config overrides, 20 at most)."""
    plain = stopkit.bind("pacifica", credentials={"PACIFICA_PRIVATE_KEY": SEED_HEX})
    keyed = stopkit.bind("pacifica", credentials={"PACIFICA_PRIVATE_KEY": SEED_HEX, "PACIFICA_API_KEY": "k"})
    costs = {}
    for name, bound in (("plain", plain), ("keyed", keyed)):
        flow = bound.get_flow(stopkit.OrderRef(client_order_id=CLOID))
        open_orders = next(flow)
        history = flow.send([])
        by_id = flow.send(parse.HistoryPage(rows=[_history_row(7, CLOID)], next_cursor=None, has_more=False))
        info = next(bound.place_flow(_order()))
        costs[name] = [(x.label, x.cost) for x in (open_orders, history, by_id, info)]
    assert costs["plain"] == [("open_orders", 1), ("history", 12), ("history_by_id", 1), ("market_info", 1)]
    assert costs["keyed"] == [("open_orders", 1), ("history", 4), ("history_by_id", 1), ("market_info", 1)]
    assert (plain.history_search_max_pages(), keyed.history_search_max_pages()) == (2, 18)  # type: ignore[attr-defined]
    wide = stopkit.bind("pacifica", credentials={"PACIFICA_PRIVATE_KEY": SEED_HEX},
                        config={"history_search_max_credits": "1000"})  # fmt: skip
    narrow = stopkit.bind("pacifica", credentials={"PACIFICA_PRIVATE_KEY": SEED_HEX},
                          config={"history_search_max_credits": "5"})  # fmt: skip
    assert (wide.history_search_max_pages(), narrow.history_search_max_pages()) == (20, 1)  # type: ignore[attr-defined]
