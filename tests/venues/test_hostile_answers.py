"""Hostile answers after the venue acted, per venue, end to end against the simulators: a 401 after the
order landed never doubles it, and is never reported as a known failure."""

from __future__ import annotations

import json
from decimal import Decimal
from typing import Any

import pytest

import stopkit
from stopkit import OutcomeUnknown, RetryPolicy, StopOrder
from stopkit.testing.simkit import Fault

RETRY = RetryPolicy(max_attempts=2, timeout_s=2, total_timeout_s=5, backoff=False)
ARIES_401 = json.dumps(
    {"error": {"type": "AUTHENTICATION", "code": "INVALID_TOKEN", "message": "invalid or expired access token"}}
).encode()


async def test_aries_401_after_the_order_landed_returns_it_once(served: Any) -> None:
    """Aries takes the order, then answers a documented 401: the client refreshes the token, looks the order up
    by its terms, finds it and returns it; nothing is sent twice."""
    from stopkit_venues.aries.simulator import AriesSimulator

    sim = AriesSimulator()
    server = await served(sim.make_app())
    order = StopOrder(symbol="AAPL", side="sell", quantity=3, stop_price=Decimal("141.07"), time_in_force="day")
    sim.faults.add(Fault(kind="garbage_after", status=401, body=ARIES_401, method="POST", path="/v1/orders",
                         exact_path=True))  # fmt: skip
    config = sim.demo_config(server.base_url)
    async with stopkit.connect("aries", credentials=sim.demo_credentials(), config=config, retry=RETRY) as client:
        placed = await client.place(order)
    rows = [row for row in sim.orders() if Decimal(row["stopPrice"]) == order.stop_price]
    assert len(rows) == 1
    assert placed.venue_order_id == rows[0]["clOrdId"]
    assert sim.token_requests == 2  # the refused token was replaced


async def test_aries_401_before_the_order_landed_sends_it_once_more(served: Any) -> None:
    """A documented 401 that the venue meant (it did not act): refresh, look up (nothing), send again: one order."""
    from stopkit_venues.aries.simulator import AriesSimulator

    sim = AriesSimulator()
    server = await served(sim.make_app())
    order = StopOrder(symbol="AAPL", side="sell", quantity=3, stop_price=Decimal("141.08"), time_in_force="day")
    sim.faults.add(Fault(kind="garbage", status=401, body=ARIES_401, method="POST", path="/v1/orders",
                         exact_path=True))  # fmt: skip
    config = sim.demo_config(server.base_url)
    async with stopkit.connect("aries", credentials=sim.demo_credentials(), config=config, retry=RETRY) as client:
        placed = await client.place(order)
    rows = [row for row in sim.orders() if Decimal(row["stopPrice"]) == order.stop_price]
    assert [row["clOrdId"] for row in rows] == [placed.venue_order_id]


@pytest.mark.parametrize("body", [b"", b'{"title": "Unauthorized", "status": 401}'])
async def test_b2trader_401_after_the_order_landed_is_unknown_and_not_resent(served: Any, body: bytes) -> None:
    """B2TRADER takes the stop, then answers 401 (no documented refusal, no way to look a stop up): the
    outcome is unknown, the token is refreshed for the next call, and the stop is not sent again."""
    from stopkit_venues.b2trader.simulator import B2TraderSimulator

    sim = B2TraderSimulator()
    server = await served(sim.make_app())
    order = StopOrder(symbol="BTC/USDT", side="buy", quantity=Decimal("0.01"), stop_price=Decimal(128123))
    sim.faults.add(Fault(kind="garbage_after", status=401, body=body, method="POST", path="/stop-orders"))
    config = sim.demo_config(server.base_url)
    async with stopkit.connect("b2trader", credentials=sim.demo_credentials(), config=config, retry=RETRY) as client:
        with pytest.raises(OutcomeUnknown) as info:
            await client.place(order)
        (record,) = client.pending()
    assert info.value.outcome_known is False
    assert record.outcome is stopkit.WriteOutcome.UNKNOWN
    assert [s.activation_price for s in sim.stops.values()] == [order.stop_price]
