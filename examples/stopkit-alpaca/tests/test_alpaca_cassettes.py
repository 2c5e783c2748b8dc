"""Alpaca cassette tests: recorded against the simulator, replayed with nothing else listening.

Re-record (from ``examples/stopkit-alpaca``): ``python -m pytest tests --record-mode=rewrite``.
Replay (the default, record mode ``none``) points the adapter at a port where nothing listens, so
only the cassette can answer, through the real aiohttp transport.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
import stopkit
import yaml  # type: ignore[import-untyped]  # no stubs installed
from alpaca_testdata import START_MS, stop_limit_order, stop_order
from stopkit.plugin import OrderStatus

from stopkit_alpaca.simulator import DEMO_KEY_ID, DEMO_SECRET_KEY, AlpacaSimulator

Served = Callable[[Any], Awaitable[str]]
UNREACHABLE_BASE_URL = "http://127.0.0.1:9"
# The same directory as conftest.vcr_cassette_dir (not imported: "conftest" is ambiguous in a joint run).
CASSETTES = Path(__file__).resolve().parent.parent / "cassettes"


async def _setup(recording: bool, served: Served, clock: Any) -> tuple[AlpacaSimulator, str]:
    # The simulator shares the client's frozen clock and a fixed id seed; it only runs while recording.
    sim = AlpacaSimulator(clock_ms=clock.now_ms, seed=7)
    if not recording:
        return sim, UNREACHABLE_BASE_URL
    base_url = await served(sim)
    sim.set_price("AAPL", Decimal(150))
    return sim, base_url


@pytest.mark.vcr
async def test_alpaca_cassette_place_get_cancel(recording: bool, served: Served) -> None:
    """Replay: place both kinds, read back armed, list, cancel one, the other fills."""
    clock = stopkit.FrozenClock(START_MS)
    sim, base_url = await _setup(recording, served, clock)
    async with stopkit.connect(
        "alpaca",
        credentials=sim.demo_credentials(),
        config={"base_url": base_url},
        clock=clock,
        retry=stopkit.RetryPolicy(max_attempts=1),
    ) as client:
        stop = await client.place(stop_order(client_order_id="cassette-stop-1"))
        stop_limit = await client.place(stop_limit_order(client_order_id="cassette-stop-limit-1"))
        assert stop.status is OrderStatus.ACCEPTED
        assert stop_limit.status is OrderStatus.ACCEPTED
        assert (await client.get(venue_order_id=stop.venue_order_id)).status is OrderStatus.ACCEPTED
        assert len(await client.open_orders("AAPL")) == 2
        canceled = await client.cancel(venue_order_id=stop_limit.venue_order_id)
        assert canceled.status is OrderStatus.CANCELED
        if recording:
            sim.set_price("AAPL", Decimal("144.90"))
        filled = await client.get(client_order_id="cassette-stop-1")
        assert filled.status is OrderStatus.FILLED
        assert filled.venue_order_id == stop.venue_order_id


@pytest.mark.vcr
async def test_alpaca_cassette_modify_and_reconcile(recording: bool, served: Served) -> None:
    """Replay: a 503 after the order landed is reconciled by client_order_id; then a replace."""
    clock = stopkit.FrozenClock(START_MS)
    sim, base_url = await _setup(recording, served, clock)
    if recording:
        from stopkit.testing.simkit import Fault

        sim.faults.add(Fault(kind="status_after", status=503, method="POST", path="/v2/orders"))
    async with stopkit.connect(
        "alpaca",
        credentials=sim.demo_credentials(),
        config={"base_url": base_url},
        clock=clock,
        retry=stopkit.RetryPolicy(max_attempts=1),
    ) as client:
        placed = await client.place(stop_limit_order(client_order_id="cassette-reconcile-1"))
        assert placed.status is OrderStatus.ACCEPTED
        assert placed.client_order_id == "cassette-reconcile-1"
        modified = await client.modify(placed, stop_price=Decimal("144.8"))
        assert modified.raw["replaces"] == placed.venue_order_id
        followed = await client.get(venue_order_id=placed.venue_order_id)
        assert followed.venue_order_id == modified.venue_order_id


def test_alpaca_cassettes_hold_no_secrets() -> None:
    """Both key headers are masked in every recorded request; the simulator's secret appears nowhere."""
    files = sorted(CASSETTES.glob("*.yaml"))
    assert {f.stem for f in files} >= {
        "test_alpaca_cassette_place_get_cancel",
        "test_alpaca_cassette_modify_and_reconcile",
    }
    statuses = []
    for path in files:
        text = path.read_text()
        assert DEMO_SECRET_KEY not in text
        assert DEMO_KEY_ID not in text
        for interaction in yaml.safe_load(text)["interactions"]:
            headers = {k.lower(): v for k, v in interaction["request"]["headers"].items()}
            assert headers["apca-api-key-id"] == ["***"]
            assert headers["apca-api-secret-key"] == ["***"]
            statuses.append(interaction["response"]["status"]["code"])
    assert 503 in statuses  # the reconcile cassette holds the faulted answer
