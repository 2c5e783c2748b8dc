"""B2TRADER for a bot author (issue 16): markets and precision, state a bot can trust (a replaced stop's
trigger and its child on the stream, unified symbols, plain child kinds) and modify by cancel-then-place."""

from __future__ import annotations

import asyncio
import contextlib
import re
from decimal import Decimal
from typing import Any

import attrs
import pytest

import stopkit
from stopkit import (
    CancelReplaceFailed,
    InvalidOrder,
    OrderKind,
    OrderState,
    OrderStatus,
    ReplaceStep,
    Side,
    StopOrder,
    StreamGap,
    round_price,
    round_quantity,
)
from stopkit.retry import ReconnectPolicy, RetryPolicy
from stopkit_venues.b2trader.simulator import B2TraderSimulator
from stopkit_venues.b2trader.stream import link_parent

NO_BACKOFF = RetryPolicy(backoff=False)


def buy_stop(**changes: Any) -> StopOrder:
    """A Buy stop-market on BTC/USDT at 128000 (above the market: it protects a short position)."""
    fields: dict[str, Any] = {
        "symbol": "BTC/USDT",
        "side": Side.BUY,
        "quantity": Decimal("0.01"),
        "stop_price": Decimal(128000),
        "time_in_force": "IOC",
    }
    fields.update(changes)
    return StopOrder(**fields)


def connect(sim: B2TraderSimulator, base_url: str, **config: Any) -> stopkit.VenueClient:
    """stopkit.connect("b2trader", ...) pointed at the simulator."""
    return stopkit.connect(
        "b2trader", credentials=sim.demo_credentials(), config=sim.demo_config(base_url) | config, retry=NO_BACKOFF
    )


async def watch(client: stopkit.VenueClient, out: list[OrderState | StreamGap], ready: asyncio.Event) -> None:
    """Collect the client's order updates into ``out``."""
    policy = ReconnectPolicy(initial_s=0.01, max_s=0.05, max_failures=5)
    async with contextlib.aclosing(client.watch_orders(ready=ready, reconnect=policy)) as updates:
        async for update in updates:
            out.append(update)


async def until(predicate: Any) -> None:
    """Wait (at most 3 s) until ``predicate()`` holds."""

    async def wait() -> None:
        while not predicate():  # noqa: ASYNC110  # polls state another task changes
            await asyncio.sleep(0.01)

    await asyncio.wait_for(wait(), 3)


def of(out: list[OrderState | StreamGap], order_id: object) -> list[OrderState]:
    """The updates of one order."""
    return [u for u in out if isinstance(u, OrderState) and u.venue_order_id == order_id]


@pytest.fixture
async def sim() -> Any:
    """A B2TRADER simulator streaming final states, served on 127.0.0.1: (simulator, base_url)."""
    simulator = B2TraderSimulator()
    simulator.ws_final_states = True
    base = await simulator.start()
    try:
        yield simulator, base
    finally:
        await simulator.stop()


# -- markets ---------------------------------------------------------------------------------


async def test_markets_list_the_spot_markets_with_their_precision(sim: Any) -> None:
    """markets() reads Get markets once: SPOT markets only, tick 10**-priceScale, lot 10**-amountScale, minAmount
    and maxBaseAmount, findable by unified or native symbol; rounding follows them."""
    simulator, base = sim
    async with connect(simulator, base) as client:
        markets = await client.markets()
        again = await client.markets()
    assert set(markets) == {"spot.btc_usdt", "spot.eth_usdt", "spot.eth_btc"}  # cfd.eur_chf left out
    btc = markets["BTC/USDT"]
    assert btc is markets["spot.btc_usdt"]
    assert again["BTC/USDT"] == btc
    assert (btc.symbol, btc.venue_symbol, btc.base, btc.quote) == ("BTC/USDT", "spot.btc_usdt", "BTC", "USDT")
    assert (btc.tick_size, btc.lot_size, btc.min_quantity, btc.max_quantity) == (
        Decimal("0.01"),
        Decimal("0.00001"),
        Decimal("0.0001"),
        Decimal(100),
    )
    assert markets["spot.eth_btc"].min_quantity is None  # null limits: no such rule
    assert round_price(btc, "128000.004", side="buy") == Decimal("128000.01")  # a buy stop: up, away from the market
    assert round_quantity(btc, "0.012345") == Decimal("0.01234")
    assert simulator.markets_served == 1


async def test_markets_by_symbol_read_each_market_and_name_what_is_missing(sim: Any) -> None:
    """markets([...]) reads each market with Get market (cached: place reuses it); a derivative or unknown symbol
    is left out and named in reason."""
    simulator, base = sim
    async with connect(simulator, base) as client:
        markets = await client.markets(["BTC/USDT", "BTC/USDT:USDT", "spot.doge_usdt"])
        one = await client.market("spot.btc_usdt")
        await client.place(buy_stop())
    assert list(markets) == ["spot.btc_usdt"]
    assert one == markets["spot.btc_usdt"]
    assert markets.reason is not None
    assert "BTC/USDT:USDT" in markets.reason
    assert "spot.doge_usdt" in markets.reason
    assert simulator.markets_served == 1  # one Get market of spot.btc_usdt, reused by market() and place()


async def test_place_refuses_what_does_not_fit_with_the_nearest_valid_values(sim: Any) -> None:
    """A stop price beyond priceScale or an amount off amountScale is refused before sending, naming the nearest
    valid values (as on every venue that publishes rules) and the venue's field in a note."""
    simulator, base = sim
    async with connect(simulator, base) as client:
        with pytest.raises(InvalidOrder, match=re.escape("nearest valid: 128000 or 128000.01")) as info:
            await client.place(buy_stop(stop_price=Decimal("128000.005")))
        assert "priceScale=2" in " ".join(info.value.__notes__)
        with pytest.raises(InvalidOrder, match=re.escape("nearest valid: 0.01 or 0.01001")):
            await client.place(buy_stop(quantity=Decimal("0.010005")))
    assert simulator.stops == {}


# -- state a bot can trust -------------------------------------------------------------------


async def test_replaced_stop_with_the_same_terms_triggers_and_its_child_fills_on_the_stream(sim: Any) -> None:
    """Cancel a stop, place one with the same terms under another client order id, trigger it: the stream shows
    the NEW stop TRIGGERED (unified symbol, its client order id) and its child, a plain MARKET order, FILLED; the
    cancelled stop is never linked."""
    simulator, base = sim
    out: list[OrderState | StreamGap] = []
    async with connect(simulator, base) as client:
        ready = asyncio.Event()
        task = asyncio.ensure_future(watch(client, out, ready))
        await asyncio.wait_for(ready.wait(), 3)
        simulator.set_price("spot.btc_usdt", Decimal(120000))
        old = await client.place(buy_stop())
        cancelled = await client.cancel(venue_order_id=old.venue_order_id)
        assert client.last_state(client_order_id=old.client_order_id) == cancelled
        new = await client.place(buy_stop())
        assert new.client_order_id != old.client_order_id
        simulator.set_price("spot.btc_usdt", Decimal(128050))
        child = simulator.child_of(str(new.venue_order_id))
        assert child is not None
        await until(lambda: OrderStatus.FILLED in [s.status for s in of(out, child["orderId"])])
        task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await task
    (parent,) = of(out, new.venue_order_id)
    assert (parent.status, parent.symbol, parent.venue_symbol) == (OrderStatus.TRIGGERED, "BTC/USDT", "spot.btc_usdt")
    assert parent.client_order_id == new.client_order_id
    assert of(out, old.venue_order_id) == []
    states = of(out, child["orderId"])
    assert [s.status for s in states] == [OrderStatus.TRIGGERED, OrderStatus.FILLED]
    assert all((s.kind, s.stop_price) == (OrderKind.MARKET, None) for s in states)


def test_a_cancelled_stop_is_never_a_parent_even_with_a_stale_armed_state() -> None:
    """link_parent ignores a stop of which any known state is no longer armed (the stale ACCEPTED state of a
    cancelled stop next to its CANCELED one), and links the one armed stop with the same terms."""
    base = OrderState(
        venue="b2trader",
        venue_order_id="OLD",
        client_order_id=None,
        symbol="spot.btc_usdt",
        side=Side.BUY,
        kind=OrderKind.STOP_MARKET,
        status=OrderStatus.ACCEPTED,
        venue_status="WaitingForActivation",
        quantity=Decimal("0.01"),
        stop_price=Decimal(128000),
    )
    child = attrs.evolve(
        base, venue_order_id="CHILD", kind=OrderKind.MARKET, stop_price=None, status=OrderStatus.TRIGGERED
    )
    known = [base, attrs.evolve(base, status=OrderStatus.CANCELED), attrs.evolve(base, venue_order_id="NEW")]
    parent = link_parent(child, known, taken=set())
    assert parent is not None
    assert parent.venue_order_id == "NEW"
    assert link_parent(child, [*known, attrs.evolve(base, venue_order_id="TWIN")], taken=set()) is None


# -- modify: cancel, then place -----------------------------------------------------------------


async def test_modify_by_cancel_then_place(sim: Any) -> None:
    """modify(allow_cancel_replace=True): the stop is cancelled (the 200 answer confirms it), then a new one placed
    at the new price; exactly one stop is armed on the venue afterwards."""
    simulator, base = sim
    simulator.set_price("spot.btc_usdt", Decimal(120000))
    async with connect(simulator, base) as client:
        old = await client.place(buy_stop())
        with pytest.raises(stopkit.UnsupportedOrder, match="allow_cancel_replace"):
            await client.modify(old, stop_price=Decimal(127000))
        new = await client.modify(old, stop_price=Decimal(127000), allow_cancel_replace=True)
        armed = [
            oid
            for oid, stop in simulator.stops.items()
            if stop.status == "WaitingForActivation" and stop.cancellation_date is None
        ]
    assert armed == [new.venue_order_id]
    assert (new.stop_price, new.symbol, new.status) == (Decimal(127000), "BTC/USDT", OrderStatus.ACCEPTED)
    assert new.venue_order_id != old.venue_order_id


async def test_modify_of_an_activated_stop_places_nothing(sim: Any) -> None:
    """The stop activated before the cancel: the venue refuses the cancel, so CANCEL_FAILED and no new stop."""
    simulator, base = sim
    simulator.set_price("spot.btc_usdt", Decimal(120000))
    async with connect(simulator, base) as client:
        old = await client.place(buy_stop())
        simulator.set_price("spot.btc_usdt", Decimal(128050))
        stops = len(simulator.stops)
        with pytest.raises(CancelReplaceFailed) as info:
            await client.modify(old, stop_price=Decimal(129000), allow_cancel_replace=True)
    assert (info.value.step, info.value.outcome_known) == (ReplaceStep.CANCEL_FAILED, True)
    assert len(simulator.stops) == stops
