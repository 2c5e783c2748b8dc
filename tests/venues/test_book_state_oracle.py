"""The adapters' readings judged against each simulator's own records (issue 19: an independent oracle).

``Simulator.book_state`` reads the simulator's record directly (it no longer parses the venue's wire
answer with the adapter's parser), so comparing it with what the client reads through the adapter tests the
parser: armed, triggered or filled, and cancelled orders, value by value (status where the wire can show it,
size, prices, fills).
"""

from __future__ import annotations

import uuid
from decimal import Decimal

import attrs
import pytest

import stopkit
from stopkit.state import OrderState, OrderStatus

# What each venue's wire can show of the simulator's truth: Aries shows no trigger (NEW stays ACCEPTED).
_WIRE_STATUS = {("aries", OrderStatus.TRIGGERED): OrderStatus.ACCEPTED}


def _agree(venue: str, read: OrderState, truth: OrderState) -> None:
    assert read.venue_order_id == truth.venue_order_id
    assert read.status is _WIRE_STATUS.get((venue, truth.status), truth.status), (read.status, truth.status)
    assert (read.side, read.kind) == (truth.side, truth.kind)
    assert read.quantity == truth.quantity
    assert read.filled_quantity == truth.filled_quantity
    assert read.stop_price == truth.stop_price
    assert read.limit_price == truth.limit_price


@pytest.mark.parametrize("venue", ["pacifica", "aries", "b2trader"])
async def test_what_the_client_reads_is_what_the_simulator_holds(venue: str) -> None:
    """Placed, near the stop, through it, then cancelled: every reading equals the simulator's own record."""
    adapter = stopkit.get_venue(venue)
    sim = adapter.simulator()
    assert sim is not None
    base_url = await sim.start()
    try:
        scenario = sim.demo_scenario()
        sim.set_price(scenario.symbol, scenario.start_price)
        async with stopkit.connect(venue, credentials=sim.demo_credentials(), config=sim.demo_config(base_url)) as c:
            placed = [await c.place(order) for order in scenario.orders]
            readable = c.venue.capabilities.get_order

            async def check(state: OrderState) -> OrderState:
                truth = sim.book_state(c.venue, state.venue_order_id)
                _agree(venue, await c.get(venue_order_id=state.venue_order_id, symbol=scenario.symbol)
                       if readable else state, truth)  # fmt: skip
                return truth

            for state in placed:
                assert (await check(state)).status is OrderStatus.ACCEPTED
            sim.set_price(scenario.symbol, scenario.near_price)
            for state in placed:
                assert (await check(state)).status is OrderStatus.ACCEPTED
            sim.set_price(scenario.symbol, scenario.through_price)
            if readable:
                for state in placed:
                    truth = await check(state)
                    assert truth.status in (OrderStatus.TRIGGERED, OrderStatus.PARTIALLY_FILLED, OrderStatus.FILLED)
            # A fresh order, cancelled: the cancel's answer and the record agree.
            sim.set_price(scenario.symbol, scenario.start_price)
            live = await c.place(attrs.evolve(scenario.orders[0], client_order_id=str(uuid.uuid4())))
            cancelled = await c.cancel(venue_order_id=live.venue_order_id, symbol=scenario.symbol)
            truth = sim.book_state(c.venue, live.venue_order_id)
            assert truth.status is OrderStatus.CANCELED
            _agree(venue, cancelled, truth)
            assert truth.quantity == scenario.orders[0].quantity
            assert truth.filled_quantity == Decimal(0)
    finally:
        await sim.stop()
