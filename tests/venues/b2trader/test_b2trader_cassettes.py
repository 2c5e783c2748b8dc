"""B2TRADER cassette tests: recorded from the simulator, replayed with nothing listening.

Re-record with ``python -m pytest tests/venues/b2trader --record-mode=rewrite``: the
simulator then runs on 127.0.0.1 with a frozen clock and a fixed seed, so the
recordings are reproducible. In replay mode (the default, ``none``) the base URL
points at a port where nothing listens: only the cassette can answer.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import UTC, datetime
from decimal import Decimal
from pathlib import Path
from typing import Any

import b2trader_support as support
import pytest

import stopkit
from stopkit import AuthenticationError, FrozenClock, OrderRejected, OrderStatus, Side, StopLimitOrder, StopOrder
from stopkit.retry import RetryPolicy
from venues.b2trader.simulator import DEMO_ACCOUNT_ID, DEMO_API_TOKEN, B2TraderSimulator


@pytest.fixture
def doc_stop() -> StopOrder:
    """The documented example stop-market."""
    return support.make_doc_stop()


@pytest.fixture
def doc_stop_limit() -> StopLimitOrder:
    """The documented example as a stop-limit."""
    return support.make_doc_stop_limit()


CASSETTES = Path(__file__).resolve().parents[3] / "cassettes" / "b2trader"
UNREACHABLE_BASE_URL = "http://127.0.0.1:9"  # as tests/conftest.py: nothing listens here
FROZEN_MS = 1_755_187_645_819  # 2025-08-14T16:07:25.819Z, the documented answer's createdAt
WRONG_API_TOKEN = "b2t-wrong-api-token-77c1"
CREDENTIALS = {"B2TRADER_API_TOKEN": DEMO_API_TOKEN, "B2TRADER_ACCOUNT_ID": DEMO_ACCOUNT_ID}


@pytest.fixture
def vcr_cassette_dir() -> str:
    """Cassettes live in cassettes/b2trader/."""
    return str(CASSETTES)


@pytest.fixture
def clock() -> FrozenClock:
    """The frozen clock shared by the client and (when recording) the simulator."""
    return FrozenClock(FROZEN_MS)


@pytest.fixture
async def base_url(recording: bool, served: Any, clock: FrozenClock) -> AsyncIterator[str]:
    """The simulator's URL when recording; an unreachable one when replaying."""
    if recording:
        sim = B2TraderSimulator(clock=clock.now_ms, seed=20250814)
        sim.set_price("spot.btc_usdt", Decimal("120000"))
        server = await served(sim.make_app())
        yield server.base_url
    else:
        yield UNREACHABLE_BASE_URL


def _connect(base_url: str, clock: FrozenClock, credentials: dict[str, str] | None = None) -> stopkit.VenueClient:
    return stopkit.connect(
        "b2trader",
        credentials=credentials or CREDENTIALS,
        config={"base_url": base_url},
        clock=clock,
        retry=RetryPolicy(backoff=False, max_attempts=1),
    )


@pytest.mark.vcr
async def test_b2trader_cassette_place_and_cancel(base_url, clock, doc_stop, doc_stop_limit) -> None:
    """Token exchange, the documented stop-market and its stop-limit variant, then cancel the first."""
    async with _connect(base_url, clock) as client:
        market = await client.place(doc_stop)
        limit = await client.place(doc_stop_limit)
        canceled = await client.cancel(venue_order_id=market.venue_order_id)
    assert market.status is OrderStatus.ACCEPTED
    assert market.venue_status == "WaitingForActivation"
    assert market.client_order_id == "coid-1"
    assert market.limit_price is None
    assert market.created_at is not None
    assert market.created_at.replace(microsecond=0) == datetime(2025, 8, 14, 16, 7, 25, tzinfo=UTC)
    assert limit.status is OrderStatus.ACCEPTED
    assert limit.limit_price == Decimal("128100")
    assert len({market.venue_order_id, limit.venue_order_id}) == 2
    assert canceled.venue_order_id == market.venue_order_id
    assert canceled.status is OrderStatus.CANCELED
    assert canceled.raw["cancellationDate"] is not None


@pytest.mark.vcr
async def test_b2trader_cassette_wrong_api_token(base_url, clock, doc_stop) -> None:
    """A wrong API token: the exchange answers 401 → AuthenticationError, no order request made."""
    async with _connect(base_url, clock, CREDENTIALS | {"B2TRADER_API_TOKEN": WRONG_API_TOKEN}) as client:
        with pytest.raises(AuthenticationError) as excinfo:
            await client.place(doc_stop)
    assert excinfo.value.http_status == 401


@pytest.mark.vcr
async def test_b2trader_cassette_unknown_market(base_url, clock) -> None:
    """A market the broker does not list → 400 ProblemDetails → OrderRejected with its detail."""
    order = StopOrder(
        symbol="XRP/EUR", side=Side.SELL, quantity=Decimal("100"), stop_price=Decimal("0.5"), client_order_id="c3"
    )
    async with _connect(base_url, clock) as client:
        with pytest.raises(OrderRejected) as excinfo:
            await client.place(order)
    assert excinfo.value.http_status == 400
    assert excinfo.value.venue_message is not None
    assert "spot.xrp_eur" in excinfo.value.venue_message


def test_b2trader_cassettes_hold_no_secrets() -> None:
    """Neither API token nor any access token (a JWT starts "eyJ") is in a cassette; the masks are."""
    files = sorted(CASSETTES.glob("*.yaml"))
    assert [f.name for f in files] == [
        "test_b2trader_cassette_place_and_cancel.yaml",
        "test_b2trader_cassette_unknown_market.yaml",
        "test_b2trader_cassette_wrong_api_token.yaml",
    ]
    text = "\n".join(f.read_text(encoding="utf-8") for f in files)
    for secret in (DEMO_API_TOKEN, WRONG_API_TOKEN, "eyJ"):
        assert secret not in text
    assert '{"token":"***"}' in text
    assert '{"accessToken":"***"}' in text
    assert "Bearer ***" in text
