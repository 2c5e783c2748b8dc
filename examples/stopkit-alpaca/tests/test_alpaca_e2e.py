"""Alpaca end to end: stopkit.connect against the plugin's simulator on 127.0.0.1."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from decimal import Decimal
from typing import Any

import pytest
import stopkit
from alpaca_testdata import stop_limit_order, stop_order
from stopkit.plugin import (
    AuthenticationError,
    DuplicateClientOrderId,
    InvalidOrder,
    OrderKind,
    OrderNotFound,
    OrderRejected,
    OrderStatus,
    TransportError,
    VenueUnavailable,
)
from stopkit.testing.simkit import Fault

from stopkit_alpaca.simulator import AlpacaSimulator

Served = Callable[[Any], Awaitable[str]]
NO_BACKOFF = stopkit.RetryPolicy(backoff=False)


async def _connect(served: Served, sim: AlpacaSimulator, **config: Any) -> Any:
    base_url = await served(sim)
    sim.set_price("AAPL", Decimal(150))
    return stopkit.connect(
        "alpaca",
        credentials=sim.demo_credentials(),
        config={**sim.demo_config(base_url), **config},
        retry=NO_BACKOFF,
    )


async def test_alpaca_place_trigger_get_cancel(served: Served) -> None:
    """Place both kinds → near stays ACCEPTED → through fills both; list, cancel and get by client id."""
    sim = AlpacaSimulator()
    async with await _connect(served, sim) as client:
        stop = await client.place(stop_order())
        stop_limit = await client.place(stop_limit_order())
        spare = await client.place(stop_order(side="buy", stop_price="160", client_order_id="cid-spare"))
        for state in (stop, stop_limit, spare):
            assert (state.status, state.venue_status) == (OrderStatus.ACCEPTED, "new")
        assert stop.client_order_id == "cid-stop-1"

        sim.set_price("AAPL", Decimal(146))
        for placed in (stop, stop_limit):
            state = await client.get(venue_order_id=placed.venue_order_id)
            assert state.status is OrderStatus.ACCEPTED
            assert state.filled_quantity == 0
        assert state.kind is OrderKind.STOP_LIMIT
        assert state.limit_price == Decimal("144.5")

        listed = await client.open_orders("aapl")
        assert {o.venue_order_id for o in listed} == {stop.venue_order_id, stop_limit.venue_order_id,
                                                      spare.venue_order_id}  # fmt: skip

        canceled = await client.cancel(client_order_id="cid-spare")
        assert (canceled.status, canceled.venue_order_id) == (OrderStatus.CANCELED, spare.venue_order_id)

        sim.set_price("AAPL", Decimal("144.90"))
        for placed in (stop, stop_limit):
            state = await client.get(client_order_id=placed.client_order_id)
            assert state.status is OrderStatus.FILLED
            assert state.filled_quantity == Decimal(10)
            assert state.raw["filled_avg_price"] == "144.9"
        assert await client.open_orders() == []

        with pytest.raises(OrderRejected, match="filled"):
            await client.cancel(venue_order_id=stop.venue_order_id)
        with pytest.raises(OrderNotFound):
            await client.get(client_order_id="never-placed")


async def test_alpaca_stop_limit_rests_after_trigger_without_fill(served: Served) -> None:
    """Through the stop but below the limit: still 'new' (no trigger shown); fills once the price is back."""
    sim = AlpacaSimulator()
    async with await _connect(served, sim) as client:
        placed = await client.place(stop_limit_order())
        sim.set_price("AAPL", Decimal(144))
        state = await client.get(venue_order_id=placed.venue_order_id)
        assert (state.status, state.venue_status) == (OrderStatus.ACCEPTED, "new")
        sim.set_price("AAPL", Decimal("144.60"))
        assert (await client.get(venue_order_id=placed.venue_order_id)).status is OrderStatus.FILLED


async def test_alpaca_modify_replaces_the_order(served: Served) -> None:
    """PATCH gives a new order; the old id reads 'replaced' and get() follows it to the live order."""
    sim = AlpacaSimulator()
    async with await _connect(served, sim) as client:
        placed = await client.place(stop_limit_order())
        modified = await client.modify(placed, stop_price=Decimal("144.80"), limit_price=Decimal("144.30"))
        assert modified.venue_order_id != placed.venue_order_id
        assert (modified.stop_price, modified.limit_price) == (Decimal("144.8"), Decimal("144.3"))
        assert modified.raw["replaces"] == placed.venue_order_id
        followed = await client.get(client_order_id=placed.client_order_id)
        assert followed.venue_order_id == modified.venue_order_id
        assert followed.status is OrderStatus.ACCEPTED
        sim.set_price("AAPL", Decimal("144.90"))  # above the new stop: nothing happens
        assert (await client.get(venue_order_id=placed.venue_order_id)).status is OrderStatus.ACCEPTED
        again = await client.modify(followed, quantity=Decimal(5))
        assert again.quantity == Decimal(5)
        canceled = await client.cancel(venue_order_id=placed.venue_order_id)
        assert (canceled.venue_order_id, canceled.status) == (again.venue_order_id, OrderStatus.CANCELED)


async def test_alpaca_refusals(served: Served) -> None:
    """Wrong keys → AuthenticationError; forbidden → AuthenticationError; buying power → OrderRejected."""
    sim = AlpacaSimulator(buying_power=Decimal(1000))
    base_url = await served(sim)
    wrong = {"APCA_API_KEY_ID": sim.key_id, "APCA_API_SECRET_KEY": "wrong-secret"}
    async with stopkit.connect("alpaca", credentials=wrong, config={"base_url": base_url}, retry=NO_BACKOFF) as client:
        with pytest.raises(AuthenticationError) as info:
            await client.place(stop_order())
        assert "wrong-secret" not in str(info.value) + repr(info.value) + str(info.value.raw_body)
    async with stopkit.connect(
        "alpaca", credentials=sim.demo_credentials(), config={"base_url": base_url}, retry=NO_BACKOFF
    ) as client:
        with pytest.raises(OrderRejected, match="insufficient buying power") as rejected:
            await client.place(stop_order(side="buy", stop_price="160"))
        assert rejected.value.venue_code == "40310000"
        await client.place(stop_order())
        with pytest.raises(DuplicateClientOrderId):
            await client.place(stop_order(stop_price="140"))
        sim.forbid()
        with pytest.raises(AuthenticationError, match="forbidden"):
            await client.get(client_order_id="cid-stop-1")
        with pytest.raises(InvalidOrder):
            await client.place(stop_order(stop_price="145.001", client_order_id="cid-sub-penny"))
    assert sim.requests == [
        ("POST", "/v2/orders"),
        ("POST", "/v2/orders"),
        ("POST", "/v2/orders"),
    ]


async def test_alpaca_unknown_outcome_found_by_client_order_id(served: Served) -> None:
    """A 503 after the order landed: reconciled by client_order_id, never placed twice."""
    sim = AlpacaSimulator()
    async with await _connect(served, sim) as client:
        sim.faults.add(Fault(kind="status_after", status=503, method="POST", path="/v2/orders"))
        state = await client.place(stop_order())
        assert (state.status, state.client_order_id) == (OrderStatus.ACCEPTED, "cid-stop-1")
        assert len(await client.open_orders()) == 1
    assert sim.requests[-2][1].startswith("/v2/orders:by_client_order_id?client_order_id=cid-stop-1")


async def test_alpaca_unknown_outcome_not_landed_is_resent_once(served: Served) -> None:
    """A 503 before processing: the lookup finds nothing, the same request is resent once and lands."""
    sim = AlpacaSimulator()
    async with await _connect(served, sim) as client:
        sim.faults.add(Fault(kind="status", status=503, method="POST", path="/v2/orders"))
        state = await client.place(stop_limit_order())
        assert state.status is OrderStatus.ACCEPTED
        assert len(await client.open_orders()) == 1
    methods = [m for m, p in sim.requests if p == "/v2/orders"]
    assert methods.count("POST") == 1  # the faulted POST never reached the handler


async def test_alpaca_resend_refused_as_duplicate_reads_the_order(served: Served) -> None:
    """The first send lands late: the lookup misses it, the resend is refused as a duplicate, the order is read."""
    sim = AlpacaSimulator()
    async with await _connect(served, sim) as client:
        sim.faults.add(Fault(kind="drop_after", method="POST", path="/v2/orders"))
        # The lookup answers 404 as if the order were not visible yet.
        sim.faults.add(
            Fault(kind="status", status=404, body=b'{"code":40410000,"message":"order not found"}', method="GET")
        )
        state = await client.place(stop_order())
        assert state.client_order_id == "cid-stop-1"
        assert len(await client.open_orders()) == 1
    posts = [p for m, p in sim.requests if m == "POST"]
    assert len(posts) == 2  # the original (landed) and the refused resend


async def test_alpaca_no_resend_when_disabled(served: Served) -> None:
    """resend_after_unknown=false: not found → the unknown outcome is reported, nothing resent."""
    sim = AlpacaSimulator()
    async with await _connect(served, sim, resend_after_unknown="false") as client:
        sim.faults.add(Fault(kind="status", status=503, method="POST", path="/v2/orders"))
        with pytest.raises(VenueUnavailable) as info:
            await client.place(stop_order())
        assert info.value.outcome_known is False
        assert any("no matching order" in note for note in info.value.__notes__)
        assert await client.open_orders() == []


async def test_alpaca_dropped_connection_is_reconciled(served: Served) -> None:
    """The connection drops after the order landed: a TransportError is reconciled to the order."""
    sim = AlpacaSimulator()
    async with await _connect(served, sim) as client:
        sim.faults.add(Fault(kind="drop_after", method="POST", path="/v2/orders"))
        state = await client.place(stop_order())
        assert state.status is OrderStatus.ACCEPTED
    assert [m for m, _ in sim.requests].count("POST") == 1


async def test_alpaca_reused_client_order_id_is_not_taken_for_ours(served: Served) -> None:
    """After an unknown outcome, an older different order with our id is not reported as ours."""
    sim = AlpacaSimulator()
    async with await _connect(served, sim) as client:
        await client.place(stop_order(stop_price="140"))
        sim.faults.add(Fault(kind="status", status=503, method="POST", path="/v2/orders"))
        with pytest.raises(VenueUnavailable) as info:
            await client.place(stop_order())
        assert any("reconciliation failed" in note for note in info.value.__notes__)


async def test_alpaca_unreachable_host_is_a_transport_error() -> None:
    """Nothing listening: TransportError with a known outcome (the request never left)."""
    async with stopkit.connect(
        "alpaca",
        credentials={"APCA_API_KEY_ID": "k", "APCA_API_SECRET_KEY": "s"},
        config={"base_url": "http://127.0.0.1:9"},
        retry=stopkit.RetryPolicy(max_attempts=1),
    ) as client:
        with pytest.raises(TransportError) as info:
            await client.get(venue_order_id="x")
    assert info.value.outcome_known
