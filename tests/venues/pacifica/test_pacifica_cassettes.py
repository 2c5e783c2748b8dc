"""Recorded Pacifica exchanges (cassettes/pacifica/): replayed with nothing listening.

Re-record with ``python -m pytest tests/venues/pacifica --record-mode=rewrite``: the
simulator then runs on 127.0.0.1 with the same frozen clock, and vcrpy stores what
passed over the loopback (PF-API-KEY masked).
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from decimal import Decimal
from pathlib import Path

import pytest

import stopkit
from stopkit.context import FrozenClock
from stopkit.errors import AuthenticationError, DuplicateClientOrderId
from stopkit.orders import PositionEffect, Side, StopLimitOrder, StopOrder
from stopkit.retry import RetryPolicy
from stopkit.state import OrderStatus
from venues._simkit import RunningServer, serve
from venues.pacifica.simulator import PacificaSimulator

CASSETTES = Path(__file__).resolve().parents[3] / "cassettes" / "pacifica"
UNREACHABLE_BASE_URL = "http://127.0.0.1:9"  # as tests/conftest.py: nothing listens there
NOW_MS = 1_750_000_000_000
API_KEY = "pf-test-config-key-0001"
LIMIT_ID = "6f1c2b8e-3a4d-4e5f-8a9b-0c1d2e3f4a01"
MARKET_ID = "6f1c2b8e-3a4d-4e5f-8a9b-0c1d2e3f4a02"
NO_RETRY = RetryPolicy(max_attempts=1, backoff=False)


@pytest.fixture
def vcr_cassette_dir() -> str:
    """Cassettes live in cassettes/pacifica/."""
    return str(CASSETTES)


@pytest.fixture
async def sim_url(recording: bool) -> AsyncIterator[tuple[PacificaSimulator | None, str]]:
    """(simulator, base_url) when recording; (None, unreachable URL) when replaying."""
    if not recording:
        yield None, UNREACHABLE_BASE_URL
        return
    clock = FrozenClock(NOW_MS)
    sim = PacificaSimulator(clock=clock.now_ms)
    server: RunningServer = await serve(sim.make_app())
    yield sim, server.base_url
    await server.close()


def _credentials() -> dict[str, str]:
    # The simulator's generated demo key (computed locally, no server needed) plus a config key.
    return {**PacificaSimulator().demo_credentials(), "PACIFICA_API_KEY": API_KEY}


def _orders() -> tuple[StopLimitOrder, StopOrder]:
    common = {"symbol": "BTC", "side": Side.SELL, "position_effect": PositionEffect.CLOSE,
              "quantity": Decimal("0.1"), "stop_price": Decimal("48000")}  # fmt: skip
    return (
        StopLimitOrder(limit_price=Decimal("47950"), client_order_id=LIMIT_ID, **common),
        StopOrder(client_order_id=MARKET_ID, **common),
    )


def _set_price(sim: PacificaSimulator | None, price: str) -> None:
    if sim is not None:
        sim.set_price("BTC", Decimal(price))


@pytest.mark.vcr
async def test_cassette_place_trigger_and_read_back(sim_url: tuple[PacificaSimulator | None, str]) -> None:
    """Place the documented pair, read back armed, move through, read back filled (by both ids)."""
    sim, base_url = sim_url
    client = stopkit.connect("pacifica", credentials=_credentials(), config={"base_url": base_url},
                             clock=FrozenClock(NOW_MS), retry=NO_RETRY)  # fmt: skip
    async with client:
        limit, market = [await client.place(order) for order in _orders()]
        assert limit.status is OrderStatus.ACCEPTED
        assert market.status is OrderStatus.ACCEPTED
        _set_price(sim, "48500")
        assert (await client.get(venue_order_id=limit.venue_order_id)).status is OrderStatus.ACCEPTED
        assert len(await client.open_orders("BTC")) == 2
        _set_price(sim, "47990")
        filled = await client.get(venue_order_id=limit.venue_order_id)
        assert (filled.status, filled.venue_status) == (OrderStatus.FILLED, "filled")
        by_client_id = await client.get(client_order_id=MARKET_ID)
        assert (by_client_id.status, by_client_id.venue_order_id) == (OrderStatus.FILLED, market.venue_order_id)


@pytest.mark.vcr
async def test_cassette_cancel_and_refusals(sim_url: tuple[PacificaSimulator | None, str]) -> None:
    """Cancel reads back CANCELED; a reused client id and a stranger's key are refused."""
    _sim, base_url = sim_url
    async with stopkit.connect("pacifica", credentials=_credentials(), config={"base_url": base_url},
                               clock=FrozenClock(NOW_MS), retry=NO_RETRY) as client:  # fmt: skip
        placed = await client.place(_orders()[1])
        cancelled = await client.cancel(venue_order_id=placed.venue_order_id, symbol="BTC")
        assert (cancelled.status, cancelled.venue_status) == (OrderStatus.CANCELED, "cancelled")
        with pytest.raises(DuplicateClientOrderId):
            await client.place(_orders()[1])
    stranger = {"PACIFICA_PRIVATE_KEY": "0x" + "42" * 32, "PACIFICA_ACCOUNT": _credentials()["PACIFICA_ACCOUNT"]}
    async with stopkit.connect("pacifica", credentials=stranger, config={"base_url": base_url},
                               clock=FrozenClock(NOW_MS), retry=NO_RETRY) as client:  # fmt: skip
        with pytest.raises(AuthenticationError):
            await client.place(_orders()[0])


def test_cassettes_hold_no_secret() -> None:
    """No test secret (private keys, seeds, config key) appears in any recorded cassette."""
    files = sorted(CASSETTES.glob("*.yaml"))
    assert files, "no cassettes recorded"
    secrets = [_credentials()["PACIFICA_PRIVATE_KEY"], API_KEY, "42" * 32]
    for path in files:
        text = path.read_text()
        for secret in secrets:
            assert secret not in text, f"{secret[:4]}... in {path.name}"
