"""A three-venue stop-loss bot, written from stopkit's README alone.

For one position on each venue (BTC perpetual on Pacifica, AAPL shares on Aries, BTC/USDT spot
on B2TRADER) it places a protective sell stop below the market, watches the venue's order
stream, trails the stop up once, cancels it, and reports what happened. Every stopkit error is
handled the way the README says: a refusal (``outcome_known=True``) means nothing happened; an
unknown outcome means the order may exist, so the bot never places it again blindly.

    python examples/stop_loss_bot.py --paper      # on each venue's simulator, in this process
    python examples/stop_loss_bot.py              # live: credentials from the environment

In paper mode the bot also moves the simulated prices (``venue.paper.set_price``), and in a
second session a stop is driven through so that its trigger shows on the stream. Exit status 0 when every step
went as expected on every venue.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import logging
import sys
from collections.abc import Sequence
from decimal import Decimal

import attrs

import stopkit

log = logging.getLogger("stop_loss_bot")


@attrs.frozen
class Position:
    """What the bot protects on one venue."""

    venue: str
    symbol: str  # unified
    quantity: Decimal
    price: Decimal  # the market price the bot assumes (paper: where the simulator starts)
    tick: Decimal  # price increment, used where the venue publishes no market rules (Aries)
    lot: Decimal  # quantity increment, likewise
    position_effect: stopkit.PositionEffect | None = None
    time_in_force: stopkit.TimeInForce = stopkit.TimeInForce.GTC


POSITIONS = (
    Position("pacifica", "BTC/USDC:USDC", Decimal("0.1"), Decimal("50000"), Decimal("1"), Decimal("0.00001"),
             position_effect=stopkit.PositionEffect.CLOSE),
    Position("aries", "AAPL", Decimal("10"), Decimal("150"), Decimal("0.01"), Decimal("1"),
             time_in_force=stopkit.TimeInForce.DAY),
    Position("b2trader", "BTC/USDT", Decimal("0.01"), Decimal("65000"), Decimal("0.01"), Decimal("0.00001")),
)  # fmt: skip

STOP_DISTANCE = Decimal("0.04")  # the first stop 4 % below the price
TRAIL_TO = Decimal("0.02")  # then trailed up to 2 % below it
LAST_STOP = Decimal("0.03")  # paper mode: a last stop 3 % below, which the price then crosses


async def market_of(venue: stopkit.VenueClient, position: Position) -> stopkit.Market:
    """The market's published rules (README: Markets, rounding, modify), or the bot's own tick and lot where the
    venue publishes none."""
    market = await venue.market(position.symbol)
    if market is not None:
        return market
    return stopkit.Market(
        venue=position.venue,
        symbol=position.symbol,
        venue_symbol=position.symbol,
        tick_size=position.tick,
        lot_size=position.lot,
    )


def stop_price(market: stopkit.Market, price: Decimal) -> Decimal:
    """A sell stop's price on the market's grid, rounded down (away from the market): it never triggers early."""
    return stopkit.round_price(market, price, side=stopkit.Side.SELL)


def protective_stop(position: Position, market: stopkit.Market, distance: Decimal) -> stopkit.StopOrder:
    """A sell stop-market ``distance`` (a fraction) below the position's price, rounded to the market's steps."""
    return stopkit.StopOrder(
        symbol=position.symbol,
        side=stopkit.Side.SELL,
        quantity=stopkit.round_quantity(market, position.quantity),
        stop_price=stop_price(market, position.price * (1 - distance)),
        position_effect=position.position_effect,
        time_in_force=position.time_in_force,
    )


async def watch(venue: stopkit.VenueClient, seen: list[stopkit.OrderState], ready: asyncio.Event) -> None:
    """Collect every order update of the account until cancelled (README: Live order updates)."""
    async with contextlib.aclosing(venue.watch_orders(ready=ready)) as updates:
        async for update in updates:
            if isinstance(update, stopkit.StreamGap):
                log.warning("%s: updates since %s may be missing: %s", venue.name, update.since_ms, update.reason)
            else:
                log.info("%s: %s %s", venue.name, update.venue_order_id, update.status.name)
                seen.append(update)


async def move_stop(venue: stopkit.VenueClient, state: stopkit.OrderState, new_stop: Decimal) -> stopkit.OrderState:
    """Trail the stop to ``new_stop``: in place where the venue can modify, else by cancel-then-place (not atomic:
    a failure says which step failed)."""
    return await venue.modify(state, stop_price=new_stop, allow_cancel_replace=True)


async def wait_for(seen: list[stopkit.OrderState], order_id: str | None, *, triggered: bool) -> bool:
    """True once the stream showed the order (or, with ``triggered``, its trigger or a fill), within 3 s."""
    for _ in range(300):
        for state in seen:
            ids = (state.venue_order_id, state.raw.get("stopkit.parentOrderId"))
            if order_id is not None and order_id in ids and (not triggered or state.status.is_triggered):
                return True
        await asyncio.sleep(0.01)
    return False


async def protect(position: Position, *, paper: bool) -> list[str]:
    """Run the bot's steps on one venue; returns the problems found (empty: all went as expected)."""
    problems: list[str] = []
    async with stopkit.connect(position.venue, paper=paper) as venue:
        if paper:
            venue.paper.set_price(position.symbol, position.price)
        seen: list[stopkit.OrderState] = []
        ready = asyncio.Event()
        watcher = asyncio.create_task(watch(venue, seen, ready))
        try:
            await asyncio.wait_for(ready.wait(), timeout=10)  # subscribed before placing
            market = await market_of(venue, position)
            order = protective_stop(position, market, STOP_DISTANCE)
            try:
                state = await venue.place(order)
            except stopkit.StopkitError as exc:
                if not exc.outcome_known:
                    # The stop may exist: never place it again blindly; look for it, or tell a human.
                    problems.append(f"placement outcome unknown, pending: {venue.pending()}: {exc}")
                else:
                    problems.append(f"placement refused: {exc}")  # nothing happened on the venue
                return problems
            print(f"{position.venue:<9} placed   {state.kind.value} {state.side.name} {state.quantity} "
                  f"{state.symbol} stop {state.stop_price}: {state.status.name}")  # fmt: skip
            new_stop = stop_price(market, position.price * (1 - TRAIL_TO))
            try:
                state = await move_stop(venue, state, new_stop)
            except stopkit.CancelReplaceFailed as exc:
                # exc.step: CANCEL_FAILED / CANCEL_UNKNOWN (the old stop may stand), PLACE_FAILED (no stop now!),
                # PLACE_UNKNOWN (the new stop may exist: see venue.pending()).
                problems.append(f"could not trail the stop ({exc.step.name}): {exc}")
                return problems
            except (stopkit.UnsupportedOrder, stopkit.OrderRejected) as exc:
                problems.append(f"could not trail the stop: {exc}")
            else:
                print(f"{position.venue:<9} trailed  stop to {state.stop_price}: {state.status.name}")
            if not await wait_for(seen, state.venue_order_id, triggered=False) and venue.venue.capabilities.get_order:
                problems.append("the stream never showed the stop")
            try:
                cancelled = await venue.cancel(venue_order_id=state.venue_order_id, symbol=state.symbol)
            except stopkit.OrderNotFound:
                problems.append("the stop was gone before the cancel")
            else:
                print(f"{position.venue:<9} cancel   {cancelled.venue_order_id}: {cancelled.status.name}")
                if cancelled.status is not stopkit.OrderStatus.CANCELED:
                    problems.append(f"cancel answered {cancelled.status.name}")
        except stopkit.StopkitError as exc:
            problems.append(f"{type(exc).__name__}: {exc}")
        finally:
            watcher.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await watcher
    return problems


async def drive_through(position: Position) -> list[str]:
    """Paper mode: place a stop, move the simulated price through it, and see the trigger on the stream."""
    async with stopkit.connect(position.venue, paper=True) as venue:
        venue.paper.set_price(position.symbol, position.price)
        seen: list[stopkit.OrderState] = []
        ready = asyncio.Event()
        watcher = asyncio.create_task(watch(venue, seen, ready))
        try:
            await asyncio.wait_for(ready.wait(), timeout=10)
            market = await market_of(venue, position)
            last = await venue.place(protective_stop(position, market, LAST_STOP))
            through = stopkit.round_price(market, position.price * (1 - 2 * LAST_STOP), side="sell", rounding="down")
            venue.paper.set_price(position.symbol, through)
            if not await wait_for(seen, last.venue_order_id, triggered=True):
                return ["the stream never showed the stop's trigger"]
            print(f"{position.venue:<9} trigger  {last.venue_order_id}: seen on the stream")
            return []
        except stopkit.StopkitError as exc:
            return [f"{type(exc).__name__}: {exc}"]
        finally:
            watcher.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await watcher


async def run(venues: Sequence[str], *, paper: bool) -> int:
    """Protect every position concurrently; returns the exit status."""
    positions = [p for p in POSITIONS if p.venue in venues]
    results = await asyncio.gather(*(protect(p, paper=paper) for p in positions))
    if paper:
        triggers = await asyncio.gather(*(drive_through(p) for p in positions))
        results = [a + b for a, b in zip(results, triggers, strict=True)]
    failed = 0
    for position, problems in zip(positions, results, strict=True):
        for problem in problems:
            print(f"{position.venue:<9} PROBLEM  {problem}")
        failed += bool(problems)
    print(f"{len(positions) - failed} of {len(positions)} venues protected, trailed and cancelled as expected")
    return 1 if failed else 0


def main(argv: Sequence[str] | None = None) -> int:
    """The command line: ``--paper``, ``--venue NAME`` (repeatable), ``--verbose``."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--paper", action="store_true", help="trade on each venue's simulator, in this process")
    parser.add_argument("--venue", action="append", dest="venues", help="only this venue (repeatable)")
    parser.add_argument("--verbose", action="store_true", help="log stopkit at DEBUG (requests, stream updates)")
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.DEBUG if args.verbose else logging.WARNING, format="%(name)s: %(message)s")
    venues = args.venues or [p.venue for p in POSITIONS]
    return asyncio.run(run(venues, paper=args.paper))


if __name__ == "__main__":
    sys.exit(main())
