"""Aries end to end: stopkit.connect against the simulator on 127.0.0.1 (and a mock for paging)."""

from __future__ import annotations

import json
from collections.abc import Callable
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any
from urllib.parse import parse_qs, urlsplit

import pytest
from aries_testdata import stop_limit_order, stop_order

import stopkit
from stopkit.context import FrozenClock
from stopkit.errors import AuthenticationError, OrderNotFound, OrderRejected, UnsupportedOrder
from stopkit.orders import OrderKind
from stopkit.retry import RetryPolicy
from stopkit.state import OrderStatus
from stopkit.testing import MockTransport
from stopkit.wire import HttpRequest, HttpResponse
from stopkit_venues.aries.simulator import DEMO_CLIENT_SECRET, AriesSimulator

START_MS = 1_768_487_400_000  # 2026-01-15T14:30:00Z
NO_BACKOFF = RetryPolicy(backoff=False)


async def _start(served: Callable[[Any], Any], sim: AriesSimulator) -> str:
    server = await served(sim.make_app())
    return str(server.base_url)


async def test_aries_place_trigger_get_cancel(served: Callable[[Any], Any]) -> None:
    """Client credentials → place both kinds → near stays ACCEPTED → through is FILLED; cancel works."""
    sim = AriesSimulator()
    base_url = await _start(served, sim)
    sim.set_price("AAPL", Decimal(150))
    async with stopkit.connect(
        "aries", credentials=sim.demo_credentials(), config=sim.demo_config(base_url), retry=NO_BACKOFF
    ) as client:
        stop = await client.place(stop_order())
        stop_limit = await client.place(stop_limit_order())
        spare = await client.place(stop_order(side="buy", position_effect="close", stop_price="160",
                                              client_order_id="cid-spare"))  # fmt: skip
        for state in (stop, stop_limit, spare):
            assert state.status is OrderStatus.ACCEPTED
            assert state.venue_status == "NEW"
        assert sim.grants == ["client_credentials"]

        sim.set_price("AAPL", Decimal(146))
        for placed in (stop, stop_limit):
            state = await client.get(venue_order_id=placed.venue_order_id)
            assert state.status is OrderStatus.ACCEPTED
            assert state.filled_quantity == 0
        assert state.kind is OrderKind.STOP_LIMIT
        assert state.limit_price == Decimal("144.5")

        open_orders = await client.open_orders("aapl")
        assert {o.venue_order_id for o in open_orders} == {stop.venue_order_id, stop_limit.venue_order_id,
                                                           spare.venue_order_id}  # fmt: skip

        canceled = await client.cancel(client_order_id="cid-spare")
        assert canceled.status is OrderStatus.CANCELED
        assert canceled.venue_order_id == spare.venue_order_id
        assert (await client.get(venue_order_id=spare.venue_order_id)).status is OrderStatus.CANCELED

        sim.set_price("AAPL", Decimal("144.90"))
        for placed in (stop, stop_limit):
            state = await client.get(venue_order_id=placed.venue_order_id, client_order_id=placed.client_order_id)
            assert state.status is OrderStatus.FILLED
            assert state.filled_quantity == Decimal(100)
            assert state.raw["avgPrice"] == "144.9"
        assert await client.open_orders() == []

        with pytest.raises(OrderRejected) as info:
            await client.cancel(venue_order_id=stop.venue_order_id)
        assert "FILLED" in str(info.value)
    assert sim.grants == ["client_credentials"]


async def test_aries_stop_limit_gap_rests_as_new(served: Callable[[Any], Any]) -> None:
    """A STOP_LIMIT whose trigger is gapped below its limit rests, still NEW/ACCEPTED, then fills."""
    sim = AriesSimulator()
    base_url = await _start(served, sim)
    sim.set_price("AAPL", Decimal(150))
    async with stopkit.connect("aries", credentials=sim.demo_credentials(), config=sim.demo_config(base_url)) as client:
        placed = await client.place(stop_limit_order())
        sim.set_price("AAPL", Decimal("144.00"))
        state = await client.get(venue_order_id=placed.venue_order_id)
        assert state.status is OrderStatus.ACCEPTED  # armed or triggered: Aries cannot tell
        assert sim.book_state(client.venue, str(placed.venue_order_id)).venue_status == "NEW"
        sim.set_price("AAPL", Decimal("144.60"))
        state = await client.get(venue_order_id=placed.venue_order_id)
        assert state.status is OrderStatus.FILLED
        assert state.raw["avgPrice"] == "144.6"


async def test_aries_expired_token_refreshes_once(served: Callable[[Any], Any]) -> None:
    """A token the venue considers expired → one 401, one refresh_token grant, and the request succeeds."""
    now = [START_MS]
    sim = AriesSimulator(clock_ms=lambda: now[0])
    base_url = await _start(served, sim)
    clock = FrozenClock(START_MS)
    async with stopkit.connect(
        "aries", credentials=sim.demo_credentials(), config=sim.demo_config(base_url), clock=clock
    ) as client:
        placed = await client.place(stop_order())
        now[0] += 3_601_000  # the venue's clock passes the expiry; the client's does not
        requests_before = sim.order_requests
        state = await client.get(venue_order_id=placed.venue_order_id)
        assert state.status is OrderStatus.ACCEPTED
        assert sim.grants == ["client_credentials", "refresh_token"]
        assert sim.order_requests == requests_before + 1  # only the retried request got through

        # The client's own clock passing the expiry refreshes before sending (no 401).
        clock.advance(3_601_000)
        now[0] += 3_601_000
        await client.get(venue_order_id=placed.venue_order_id)
        assert sim.grants == ["client_credentials", "refresh_token", "refresh_token"]


@pytest.mark.parametrize(("sim_encoding", "config_encoding"), [("form", "form"), ("json", "json"), (None, "form")])
async def test_aries_token_encodings(
    served: Callable[[Any], Any], sim_encoding: str | None, config_encoding: str
) -> None:
    """The token exchange works in both encodings against a simulator accepting them."""
    sim = AriesSimulator(token_encoding=sim_encoding)
    base_url = await _start(served, sim)
    config = {"base_url": base_url, "token_encoding": config_encoding}
    async with stopkit.connect("aries", credentials=sim.demo_credentials(), config=config) as client:
        assert (await client.place(stop_order())).status is OrderStatus.ACCEPTED


async def test_aries_wrong_encoding_is_refused(served: Callable[[Any], Any]) -> None:
    """A simulator strict to form refuses a JSON token body (token_encoding=json): AuthenticationError."""
    sim = AriesSimulator(token_encoding="form")
    base_url = await _start(served, sim)
    config = {"base_url": base_url, "token_encoding": "json"}
    async with stopkit.connect("aries", credentials=sim.demo_credentials(), config=config) as client:
        with pytest.raises(AuthenticationError):
            await client.place(stop_order())
    assert sim.order_requests == 0


async def test_aries_bad_credentials(served: Callable[[Any], Any]) -> None:
    """A wrong client secret is refused by the simulator: AuthenticationError without the secret."""
    sim = AriesSimulator()
    base_url = await _start(served, sim)
    creds = dict(sim.demo_credentials(), ARIES_CLIENT_SECRET="wrong-secret-123")
    async with stopkit.connect("aries", credentials=creds, config={"base_url": base_url}) as client:
        with pytest.raises(AuthenticationError) as info:
            await client.place(stop_order())
    assert info.value.http_status == 401
    assert info.value.venue_code == "invalid_client"
    assert "wrong-secret-123" not in repr(info.value) + str(info.value)
    assert DEMO_CLIENT_SECRET not in str(info.value)


async def test_aries_unknown_static_token(served: Callable[[Any], Any]) -> None:
    """A static token the venue does not know: 401 and no way to refresh → AuthenticationError."""
    sim = AriesSimulator()
    base_url = await _start(served, sim)
    creds = {"ARIES_ACCESS_TOKEN": "not-a-real-token", "ARIES_ACCOUNT_ID": sim.account_id}
    async with stopkit.connect("aries", credentials=creds, config={"base_url": base_url}) as client:
        with pytest.raises(AuthenticationError) as info:
            await client.get(venue_order_id="ORDER-1")
    assert info.value.http_status == 401
    assert "not-a-real-token" not in str(info.value)


async def test_aries_static_token_refused_then_client_credentials(served: Callable[[Any], Any]) -> None:
    """A refused static token is replaced once through client credentials."""
    sim = AriesSimulator()
    base_url = await _start(served, sim)
    creds = dict(sim.demo_credentials(), ARIES_ACCESS_TOKEN="stale-static-token")
    async with stopkit.connect("aries", credentials=creds, config={"base_url": base_url}) as client:
        assert (await client.place(stop_order())).status is OrderStatus.ACCEPTED
    assert sim.grants == ["client_credentials"]


async def test_aries_history_lookup_and_not_found(served: Callable[[Any], Any]) -> None:
    """After the day ends, finished orders are found in the history; unknown ids → OrderNotFound."""
    sim = AriesSimulator()
    base_url = await _start(served, sim)
    sim.set_price("AAPL", Decimal(150))
    async with stopkit.connect("aries", credentials=sim.demo_credentials(), config=sim.demo_config(base_url)) as client:
        day = await client.place(stop_order(client_order_id="cid-day"))
        gtc = await client.place(stop_order(client_order_id="cid-gtc", time_in_force="gtc"))
        sim.end_day()
        expired = await client.get(client_order_id="cid-day")
        assert expired.status is OrderStatus.EXPIRED
        assert expired.venue_order_id == day.venue_order_id
        assert expired.client_order_id == "cid-day"
        assert [o.venue_order_id for o in await client.open_orders()] == [gtc.venue_order_id]
        with pytest.raises(OrderNotFound):
            await client.get(venue_order_id="ORDER-00000000-999")
        with pytest.raises(OrderNotFound):
            await client.cancel(client_order_id="no-such-tag")


async def test_aries_halted_symbol_rejected(served: Callable[[Any], Any]) -> None:
    """A broker rejection in a 200 (success:false) raises OrderRejected with the reason."""
    sim = AriesSimulator()
    base_url = await _start(served, sim)
    sim.halt("TSLA")
    async with stopkit.connect("aries", credentials=sim.demo_credentials(), config=sim.demo_config(base_url)) as client:
        with pytest.raises(OrderRejected) as info:
            await client.place(stop_order(symbol="TSLA"))
    assert info.value.venue_code == "SYMBOL_HALTED"
    assert info.value.http_status == 200


async def test_aries_unsupported_order_sends_nothing() -> None:
    """UnsupportedOrder is raised before any request."""
    transport = MockTransport(lambda _r: HttpResponse(status=500))
    creds = {"ARIES_ACCESS_TOKEN": "t", "ARIES_ACCOUNT_ID": "ACC1"}
    async with stopkit.connect("aries", credentials=creds, transport=transport) as client:
        with pytest.raises(UnsupportedOrder):
            await client.place(stop_order(time_in_force="gtd", expire_at=datetime(2030, 1, 1, tzinfo=UTC)))
    assert transport.sent == []


def _row(cl_ord_id: str, client_id: str = "", status: str = "NEW", otype: str = "STOP") -> dict[str, object]:
    return {
        "clOrdId": cl_ord_id, "ordId": "", "accountId": "ACC1", "clientId": client_id, "symbol": "AAPL",
        "side": "SELL", "type": otype, "timeInForce": "DAY", "qty": "1", "price": "" if otype == "STOP" else "9",
        "stopPrice": "10", "ordStatus": status, "cumQty": "0", "leavesQty": "1", "avgPrice": "0",
        "createdAt": "2026-01-15T14:30:00Z", "updatedAt": "2026-01-15T14:30:00Z",
    }  # fmt: skip


async def test_aries_paging_follows_next_cursor_then_history() -> None:
    """get follows nextCursor through the active list, then the history (90 days back for an order this
    client never saw), with limit=500; by client order id only what this client saw."""
    pages = {
        ("orders", "0"): {"orders": [_row("A-1"), _row("L-1", otype="LIMIT")], "nextCursor": 500},
        ("orders", "500"): {"orders": None, "nextCursor": 0},
        ("history", "0"): {"orders": [_row("B-1")], "nextCursor": 2},
        ("history", "2"): {"orders": [_row("C-1", client_id="demo-oauth-client")], "nextCursor": 0},
    }
    seen: list[str] = []

    def handler(request: HttpRequest) -> HttpResponse:
        url = urlsplit(request.url)
        query = parse_qs(url.query)
        assert query["limit"] == ["500"]
        assert request.headers["Authorization"] == "Bearer t"
        kind = "history" if url.path.endswith("/history") else "orders"
        if kind == "history":
            assert query["order_by"] == ["desc"]
            assert query["from"] == ["2025-10-17T14:31:00Z"]  # 90 days (less a minute) before START_MS
        seen.append(f"{kind}:{query['cursor'][0]}")
        return HttpResponse(status=200, body=json.dumps(pages[(kind, query["cursor"][0])]).encode())

    transport = MockTransport(handler)
    creds = {"ARIES_ACCESS_TOKEN": "t", "ARIES_ACCOUNT_ID": "ACC1"}
    async with stopkit.connect("aries", credentials=creds, transport=transport, clock=FrozenClock(START_MS)) as client:
        with pytest.raises(OrderNotFound, match="stores no client order id"):
            await client.get(client_order_id="mine")
        assert seen == []  # nothing to look for: Aries does not store our id
        state = await client.get(venue_order_id="C-1")
        assert state.venue_order_id == "C-1"
        assert state.client_order_id is None  # clientId is the OAuth application, not ours
        assert seen == ["orders:0", "orders:500", "history:0", "history:2"]
        seen.clear()
        assert [s.venue_order_id for s in await client.open_orders()] == ["A-1"]  # the LIMIT row is skipped
        assert seen == ["orders:0", "orders:500"]
