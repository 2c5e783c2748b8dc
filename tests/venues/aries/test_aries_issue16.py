"""Aries for a bot author (issue 16): no published market rules (an honest empty answer with its reason),
nearest valid values for too many decimals, cancelling a cancelled order, and modify by native replace."""

from __future__ import annotations

from collections.abc import Callable
from decimal import Decimal
from typing import Any

import pytest
from aries_testdata import stop_order

import stopkit
from stopkit.errors import InvalidOrder
from stopkit.retry import RetryPolicy
from stopkit.state import OrderStatus
from stopkit.testing import MockTransport
from stopkit.transport import AiohttpTransport
from stopkit.wire import HttpRequest, HttpResponse
from stopkit_venues.aries.simulator import AriesSimulator

NO_BACKOFF = RetryPolicy(backoff=False)


class Recording(AiohttpTransport):
    """The real transport, keeping the URL of every request it sends."""

    def __init__(self) -> None:
        super().__init__()
        self.urls: list[str] = []

    async def send(self, request: HttpRequest, *, timeout_s: float) -> HttpResponse:
        self.urls.append(request.url)
        return await super().send(request, timeout_s=timeout_s)

    def cancels(self) -> int:
        """How many cancel requests were sent."""
        return len([url for url in self.urls if url.endswith("/v1/orders/cancel")])


async def test_markets_are_empty_with_the_reason_and_no_request() -> None:
    """Aries publishes no instrument list or tick/lot sizes: markets() is empty, its reason says so and what
    stopkit checks instead; market() is None; nothing is sent."""
    sim = AriesSimulator()

    def refuse(request: HttpRequest) -> HttpResponse:
        raise AssertionError(f"unexpected request {request.method} {request.url}")

    transport = MockTransport(refuse)
    async with stopkit.connect(
        "aries", credentials=sim.demo_credentials(), config=sim.demo_config("http://127.0.0.1:9"), transport=transport
    ) as client:
        markets = await client.markets()
        one = await client.market("AAPL")
    assert len(markets) == 0
    assert one is None
    assert markets.reason is not None
    assert "publishes no market rules" in markets.reason
    assert "5 decimal places" in markets.reason
    assert "whole shares" in markets.reason
    assert transport.sent == []


def test_too_many_decimals_name_the_nearest_valid_values() -> None:
    """A stop price with 6 decimals is refused naming the two 5-decimal neighbours."""
    sim = AriesSimulator()
    bound = stopkit.bind("aries", credentials=sim.demo_credentials(), config=sim.demo_config("http://127.0.0.1:9"))
    with pytest.raises(InvalidOrder, match=r"nearest valid: 145\.12345 or 145\.12346") as info:
        bound.check_order(stop_order(stop_price=Decimal("145.123456")))
    assert info.value.field == "stop_price"


async def test_cancelled_order_cancels_quietly_and_modify_replaces_natively(served: Callable[[Any], Any]) -> None:
    """Native replace needs no opt-in; cancelling the order twice returns CANCELED both times, the second time
    without a cancel request (this client saw it cancelled), and a fresh client finds it cancelled without one."""
    sim = AriesSimulator()
    server = await served(sim.make_app())
    config = sim.demo_config(str(server.base_url))
    transport, fresh_transport = Recording(), Recording()
    async with stopkit.connect(
        "aries", credentials=sim.demo_credentials(), config=config, retry=NO_BACKOFF, transport=transport
    ) as client:
        sim.set_price("AAPL", Decimal(150))
        placed = await client.place(stop_order())
        moved = await client.modify(placed, stop_price=Decimal(144))
        assert (moved.stop_price, moved.status) == (Decimal(144), OrderStatus.ACCEPTED)
        first = await client.cancel(venue_order_id=moved.venue_order_id)
        second = await client.cancel(venue_order_id=moved.venue_order_id)
    async with stopkit.connect(
        "aries", credentials=sim.demo_credentials(), config=config, retry=NO_BACKOFF, transport=fresh_transport
    ) as fresh:
        third = await fresh.cancel(venue_order_id=moved.venue_order_id)
    assert first.status is OrderStatus.CANCELED
    assert (second.status, third.status) == (OrderStatus.CANCELED, OrderStatus.CANCELED)
    assert (transport.cancels(), fresh_transport.cancels()) == (1, 0)
