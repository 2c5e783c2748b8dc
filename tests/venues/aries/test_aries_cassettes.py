"""Aries cassette tests: recorded against the simulator, replayed with nothing else listening.

Re-record with ``python -m pytest tests/venues/aries --record-mode=rewrite``.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
import yaml  # type: ignore[import-untyped]  # no stubs installed
from aries_testdata import stop_limit_order, stop_order

import stopkit
from stopkit.context import FrozenClock
from stopkit.retry import RetryPolicy
from stopkit.state import OrderStatus
from venues.aries.simulator import DEMO_CLIENT_SECRET, AriesSimulator

CASSETTE_DIR = Path(__file__).resolve().parents[3] / "cassettes" / "aries"
UNREACHABLE_BASE_URL = "http://127.0.0.1:9"
START_MS = 1_768_487_400_000  # 2026-01-15T14:30:00Z


@pytest.fixture
def vcr_cassette_dir() -> str:
    """Cassettes live in cassettes/aries/."""
    return str(CASSETTE_DIR)


async def _setup(
    recording: bool, served: Callable[[Any], Awaitable[Any]], clock: FrozenClock
) -> tuple[AriesSimulator, str]:
    # The simulator shares the client's frozen clock; it only runs while recording.
    sim = AriesSimulator(clock_ms=clock.now_ms)
    if not recording:
        return sim, UNREACHABLE_BASE_URL
    server = await served(sim.make_app())
    sim.set_price("AAPL", Decimal(150))
    return sim, str(server.base_url)


@pytest.mark.vcr
async def test_aries_cassette_place_get_cancel(recording: bool, served: Callable[[Any], Awaitable[Any]]) -> None:
    """Replay: token, place both kinds, read back armed, cancel one, the other fills."""
    clock = FrozenClock(START_MS)
    sim, base_url = await _setup(recording, served, clock)
    async with stopkit.connect(
        "aries",
        credentials=sim.demo_credentials(),
        config={"base_url": base_url},
        clock=clock,
        retry=RetryPolicy(max_attempts=1),
    ) as client:
        stop = await client.place(stop_order(client_order_id="cassette-stop-1"))
        stop_limit = await client.place(stop_limit_order(client_order_id="cassette-stop-limit-1"))
        assert stop.status is OrderStatus.ACCEPTED
        assert stop_limit.status is OrderStatus.ACCEPTED
        assert (await client.get(venue_order_id=stop.venue_order_id)).status is OrderStatus.ACCEPTED
        canceled = await client.cancel(venue_order_id=stop_limit.venue_order_id)
        assert canceled.status is OrderStatus.CANCELED
        if recording:
            sim.set_price("AAPL", Decimal("144.90"))
        filled = await client.get(client_order_id="cassette-stop-1")
        assert filled.status is OrderStatus.FILLED
        assert filled.venue_order_id == stop.venue_order_id


@pytest.mark.vcr
async def test_aries_cassette_expired_token_refresh(recording: bool, served: Callable[[Any], Awaitable[Any]]) -> None:
    """Replay: the venue answers 401 to an expired token; one refresh_token grant; the read succeeds."""
    clock = FrozenClock(START_MS)
    sim, base_url = await _setup(recording, served, clock)
    venue_now = [START_MS]
    if recording:
        sim.clock_ms = lambda: venue_now[0]
    async with stopkit.connect(
        "aries",
        credentials=sim.demo_credentials(),
        config={"base_url": base_url, "token_encoding": "form"},
        clock=clock,
        retry=RetryPolicy(max_attempts=1),
    ) as client:
        placed = await client.place(stop_order(client_order_id="cassette-refresh-1"))
        venue_now[0] += 3_601_000
        state = await client.get(venue_order_id=placed.venue_order_id)
        assert state.status is OrderStatus.ACCEPTED
    if recording:
        assert sim.grants == ["client_credentials", "refresh_token"]


def test_aries_cassettes_hold_no_secrets() -> None:
    """The client secret, tokens and refresh tokens are scrubbed from every cassette."""
    files = sorted(CASSETTE_DIR.glob("*.yaml"))
    assert {f.stem for f in files} >= {
        "test_aries_cassette_place_get_cancel",
        "test_aries_cassette_expired_token_refresh",
    }
    grants = []
    for path in files:
        text = path.read_text()
        assert DEMO_CLIENT_SECRET not in text
        for interaction in yaml.safe_load(text)["interactions"]:
            request, response = interaction["request"], interaction["response"]
            for name, values in request["headers"].items():
                if name.lower() == "authorization":
                    assert values == ["Bearer ***"]
            body = request["body"] or ""
            if isinstance(body, bytes):
                body = body.decode()
            if request["uri"].endswith("/v1/oauth2/token"):
                assert "client_secret=%2A%2A%2A" in body or '"client_secret":"***"' in body
                assert "refresh_token=" not in body or "refresh_token=%2A%2A%2A" in body
                answer = response["body"]["string"]
                answer = answer.decode() if isinstance(answer, bytes) else answer
                assert '"access_token":"***"' in answer
                assert '"refresh_token":"***"' in answer
                grants.append("refresh_token" if "grant_type=refresh_token" in body else "other")
    assert "refresh_token" in grants
