"""Time: a venue whose clock runs ahead refuses our signatures as expired; the client reads the
venue's clock from the Date header, re-signs, and keeps the correction for later requests."""

from __future__ import annotations

from typing import Any

import pytest

import stopkit
from stopkit import FrozenClock, HttpResponse, RetryPolicy
from stopkit.parsing import server_time_ms
from stopkit_venues.pacifica.simulator import PacificaSimulator

CREATE = "/api/v1/orders/stop/create"
NOW_MS = 1_750_000_000_000


def test_server_time_from_date_header() -> None:
    """The Date header is read as Unix ms; a missing or malformed one gives None."""
    assert server_time_ms(HttpResponse(status=200, headers={"Date": "Sun, 15 Jun 2025 15:06:40 GMT"})) == NOW_MS
    assert server_time_ms(HttpResponse(status=200)) is None
    assert server_time_ms(HttpResponse(status=200, headers={"Date": "yesterday"})) is None


async def test_skewed_venue_clock_is_corrected_by_re_signing(served: Any) -> None:
    """Venue 45 s ahead (more than the 30 s window): the first create is refused as expired, the retry is
    re-signed with the venue's time and lands once; the next order needs no correction."""
    client_clock = FrozenClock(NOW_MS)
    sim = PacificaSimulator(clock=lambda: client_clock.ms + 45_000)
    server = await served(sim.make_app())
    scenario = sim.demo_scenario()
    sim.set_price(scenario.symbol, scenario.start_price)
    async with stopkit.connect(
        "pacifica",
        credentials=sim.demo_credentials(),
        config=sim.demo_config(server.base_url),
        clock=client_clock,
        retry=RetryPolicy(max_attempts=2, backoff=False),
    ) as client:
        first = await client.place(scenario.orders[0])
        assert abs(client.clock_offset_ms - 45_000) <= 1_000
        creates = sim.requests_to(CREATE)
        assert len(creates) == 2
        timestamps = [int(r.json()["timestamp"]) for r in creates]
        assert timestamps[0] == NOW_MS
        assert abs(timestamps[1] - (NOW_MS + 45_000)) <= 1_000
        second = await client.place(scenario.orders[1])
    assert len(sim.requests_to(CREATE)) == 3  # no refusal the second time
    assert {first.status, second.status} == {stopkit.OrderStatus.ACCEPTED}
    assert len(sim.orders) == 2


async def test_without_retries_the_expiry_is_reported(served: Any) -> None:
    """With one attempt the refusal surfaces as a retryable AuthenticationError marked stale_timestamp."""
    client_clock = FrozenClock(NOW_MS)
    sim = PacificaSimulator(clock=lambda: client_clock.ms + 45_000)
    server = await served(sim.make_app())
    async with stopkit.connect(
        "pacifica",
        credentials=sim.demo_credentials(),
        config=sim.demo_config(server.base_url),
        clock=client_clock,
        retry=RetryPolicy(max_attempts=1, backoff=False),
    ) as client:
        with pytest.raises(stopkit.AuthenticationError) as info:
            await client.place(sim.demo_scenario().orders[0])
    error = info.value
    assert error.stale_timestamp
    assert error.retryable
    assert sim.orders == {}


@pytest.mark.parametrize("step_ms", [-60_000, -31_000, 90_000])
async def test_offset_is_re_derived_after_our_clock_steps(served: Any, step_ms: int) -> None:
    """Our clock steps (back or forward) after an offset was adopted: the next expiry refusal re-derives the
    offset from the venue's Date header and the order lands once."""
    client_clock = FrozenClock(NOW_MS)
    venue = {"ms": NOW_MS + 45_000}
    sim = PacificaSimulator(clock=lambda: venue["ms"])
    server = await served(sim.make_app())
    scenario = sim.demo_scenario()
    sim.set_price(scenario.symbol, scenario.start_price)
    async with stopkit.connect(
        "pacifica",
        credentials=sim.demo_credentials(),
        config=sim.demo_config(server.base_url),
        clock=client_clock,
        retry=RetryPolicy(max_attempts=2, backoff=False),
    ) as client:
        await client.place(scenario.orders[0])
        assert abs(client.clock_offset_ms - 45_000) <= 1_000
        client_clock.advance(step_ms)  # NTP steps our clock; the venue's is unchanged
        second = await client.place(scenario.orders[1])
        expected = venue["ms"] - client_clock.ms
        assert abs(client.clock_offset_ms - expected) <= 1_000 or step_ms > 0
        stamped = int(sim.requests_to(CREATE)[-1].json()["timestamp"])
        assert venue["ms"] - stamped <= 30_000  # the request that landed was inside the window
    assert second.status is stopkit.OrderStatus.ACCEPTED
    assert len(sim.orders) == 2
