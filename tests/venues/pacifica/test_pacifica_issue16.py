"""Pacifica for a bot author (issue 16): markets from GET /api/v1/info, rounding onto them, unified symbols
carried, cancelling a cancelled stop, and modify by cancel-then-place."""

from __future__ import annotations

from decimal import Decimal

import pytest
from pacifica_support import CANCEL, CREATE, INFO, Served, connect, sell_stop, start

from stopkit import (
    CancelReplaceFailed,
    InvalidOrder,
    OrderStatus,
    ReplaceStep,
    UnsupportedOrder,
    round_price,
    round_quantity,
)
from stopkit_venues.pacifica.rules import markets_from_info


async def test_markets_are_the_perpetuals_of_info_with_their_rules(served: Served) -> None:
    """markets(): one cached GET /api/v1/info (shared with place's check), per perpetual the tick and lot size,
    min_tick/max_tick as price bounds and min_order_size as the minimum notional, by unified or native symbol."""
    sim, base_url, clock = await start(served)
    async with connect(sim, base_url, clock) as client:
        markets = await client.markets()
        btc = await client.market("BTC/USDC:USDC")
        await client.place(sell_stop())
    assert set(markets) == {"BTC", "ETH", "SOL"}
    assert markets.reason is None
    assert btc is not None
    assert btc == markets["BTC"]
    assert (btc.symbol, btc.venue_symbol, btc.quote) == ("BTC/USDC:USDC", "BTC", "USDC")
    assert (btc.tick_size, btc.lot_size, btc.min_notional, btc.min_price, btc.max_price) == (
        Decimal(1),
        Decimal("0.00001"),
        Decimal(10),
        Decimal(0),
        Decimal(1_000_000),
    )
    assert len(sim.requests_to(INFO)) == 1
    assert round_price(btc, "48000.4", side="sell") == Decimal(48000)  # a sell stop rounds down, away from the market
    assert round_quantity(btc, "0.123456") == Decimal("0.12345")


def test_markets_leave_out_spot_rows_and_name_what_is_missing() -> None:
    """A spot row of /info is no market for stops; a spot or unlisted symbol asked for is named in reason; a
    malformed row is left out, named too."""
    rows = {
        "BTC": {"symbol": "BTC", "tick_size": "1", "lot_size": "0.00001", "min_order_size": "10"},
        "SOL-USDC": {"symbol": "SOL-USDC", "tick_size": "0.01", "lot_size": "0.001", "instrument_type": "spot"},
        "BAD": {"symbol": "BAD", "tick_size": "0", "lot_size": "1"},
    }
    everything = markets_from_info(rows)
    assert list(everything) == ["BTC"]
    assert everything.reason is not None
    assert "BAD" in everything.reason
    some = markets_from_info(rows, ["BTC/USDC:USDC", "SOL/USDC", "DOGE"])
    assert list(some) == ["BTC"]
    assert some.reason is not None
    assert "SOL/USDC" in some.reason
    assert "DOGE" in some.reason


async def test_unified_symbol_is_kept_and_a_cancelled_stop_cancels_quietly(served: Served) -> None:
    """Placed as BTC/USDC:USDC: every state (place, get, cancel) says so, venue_symbol BTC; cancelling the cancelled
    stop again returns it without a request; a fresh client's cancel is refused by the venue and settled by the
    read-back."""
    sim, base_url, clock = await start(served)
    async with connect(sim, base_url, clock) as client:
        placed = await client.place(sell_stop(symbol="BTC/USDC:USDC"))
        read = await client.get(venue_order_id=placed.venue_order_id)
        cancelled = await client.cancel(venue_order_id=placed.venue_order_id, symbol=placed.symbol)
        again = await client.cancel(venue_order_id=placed.venue_order_id, symbol=placed.symbol)
    for state in (placed, read, cancelled, again):
        assert (state.symbol, state.venue_symbol) == ("BTC/USDC:USDC", "BTC")
    assert again.status is OrderStatus.CANCELED
    assert len(sim.requests_to(CANCEL)) == 1
    async with connect(sim, base_url, clock) as fresh:
        state = await fresh.cancel(venue_order_id=placed.venue_order_id, symbol="BTC")
    assert (state.status, state.symbol) == (OrderStatus.CANCELED, "BTC")
    assert len(sim.requests_to(CANCEL)) == 2  # refused ("Stop order not found"), then read back


async def test_modify_by_cancel_then_place(served: Served) -> None:
    """modify(allow_cancel_replace=True): the new stop price is checked against the market first (nothing is sent
    when it does not fit), then the stop cancelled (confirmed by the read-back), then the new one placed with the
    same terms; one stop is open afterwards."""
    sim, base_url, clock = await start(served)
    async with connect(sim, base_url, clock) as client:
        old = await client.place(sell_stop(symbol="BTC/USDC:USDC"))
        with pytest.raises(UnsupportedOrder, match="allow_cancel_replace"):
            await client.modify(old, stop_price=Decimal(47000))
        with pytest.raises(InvalidOrder, match="nearest valid: 47000 or 47001"):
            await client.modify(old, stop_price=Decimal("47000.5"), allow_cancel_replace=True)
        assert len(sim.requests_to(CANCEL)) == 0
        new = await client.modify(old, stop_price=Decimal(47000), allow_cancel_replace=True)
        open_orders = await client.open_orders()
    assert [(s.venue_order_id, s.stop_price, s.symbol) for s in open_orders] == [
        (new.venue_order_id, Decimal(47000), "BTC/USDC:USDC")
    ]
    creates = [r.json() for r in sim.requests_to(CREATE)]
    assert creates[-1]["reduce_only"] is True  # the terms of the old stop (position_effect=CLOSE) are kept
    assert creates[-1]["stop_order"]["client_order_id"] == new.client_order_id != old.client_order_id


async def test_modify_when_the_cancel_is_refused_places_nothing(served: Served) -> None:
    """The venue refuses the cancel (documented business code 6): CANCEL_FAILED, the old stop still open, no second
    stop."""
    sim, base_url, clock = await start(served)
    async with connect(sim, base_url, clock) as client:
        old = await client.place(sell_stop())
        sim.fail_next_business(6, path=CANCEL)
        with pytest.raises(CancelReplaceFailed) as info:
            await client.modify(old, stop_price=Decimal(47000), allow_cancel_replace=True)
        still = await client.open_orders()
    assert (info.value.step, info.value.outcome_known) == (ReplaceStep.CANCEL_FAILED, True)
    assert [s.venue_order_id for s in still] == [old.venue_order_id]
    assert len(sim.requests_to(CREATE)) == 1
