"""``stopkit watch VENUE``: print a venue's live order updates as a table, one line per change.

With ``--simulator``: serve the venue's simulator on 127.0.0.1, subscribe, place the demo
scenario's orders, move the price near and then through the stops, print what the stream shows,
and exit once every order (or the child order it released) has finished, or after a few seconds.
Without it: connect with the venue's environment credentials and print until Ctrl-C.
With ``--json``: one JSON object per update (NDJSON), as :func:`format_json`.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
from collections.abc import Mapping
from datetime import UTC, datetime
from typing import Any, TextIO

from stopkit.api import connect, credentials_from_env
from stopkit.cli_json import gap_json, state_json
from stopkit.client import VenueClient
from stopkit.errors import UnsupportedOrder
from stopkit.paper import simulator_of
from stopkit.registry import get_venue
from stopkit.state import OrderState
from stopkit.stream import StreamGap
from stopkit.wire import format_decimal

__all__ = ["format_json", "format_update", "run_watch"]

_COLUMNS = (
    ("time", 12),
    ("order id", 26),
    ("symbol", 13),
    ("side", 4),
    ("kind", 11),
    ("status", 16),
    ("venue status", 20),
    ("filled/qty", 14),
    ("stop", 9),
    ("limit", 9),
)
# --simulator: how long to wait for the final transitions before exiting.
_SIMULATOR_WAIT_S = 3.0


def _cell(value: object) -> str:
    if value is None:
        return "-"
    if isinstance(value, int | float) and not isinstance(value, bool):
        return str(value)
    try:
        return format_decimal(value)  # type: ignore[arg-type]  # Decimal-like values
    except (TypeError, ValueError, ArithmeticError):
        return str(value)


def header() -> str:
    """The table's header line."""
    return "  ".join(name.ljust(width) for name, width in _COLUMNS).rstrip()


def format_update(update: OrderState | StreamGap, *, now: datetime | None = None) -> str:
    """One table line for an update (a gap is one line starting ``GAP``)."""
    stamp = (now or datetime.now(tz=UTC)).strftime("%H:%M:%S.%f")[:12]
    if isinstance(update, StreamGap):
        since = "?" if update.since_ms is None else datetime.fromtimestamp(update.since_ms / 1000, tz=UTC).isoformat()
        return f"{stamp}  GAP since {since}: {update.reason}"
    cells = [
        stamp,
        update.venue_order_id or update.client_order_id or "-",
        update.symbol,
        update.side.name,
        update.kind.value,
        update.status.name,
        update.venue_status or "-",
        f"{_cell(update.filled_quantity)}/{_cell(update.quantity)}",
        _cell(update.stop_price),
        _cell(update.limit_price),
    ]
    return "  ".join(cell.ljust(width) for cell, (_, width) in zip(cells, _COLUMNS, strict=True)).rstrip()


def _require_stream(client: VenueClient) -> None:
    if client.venue.stream() is None:
        raise UnsupportedOrder(
            f"{client.name}: the venue offers no order-update stream", feature="watch_orders", venue=client.name
        )


def format_json(update: OrderState | StreamGap) -> str:
    """One NDJSON line for an update: the state's JSON object (:func:`stopkit.cli_json.state_json`),
    or ``{"gap": {...}}``."""
    return json.dumps(state_json(update) if isinstance(update, OrderState) else gap_json(update))


async def _print_stream(
    client: VenueClient, out: TextIO, ready: asyncio.Event, seen: list[OrderState], *, as_json: bool = False
) -> None:
    async with contextlib.aclosing(client.watch_orders(ready=ready)) as updates:
        async for update in updates:
            print(format_json(update) if as_json else format_update(update), file=out, flush=True)
            if isinstance(update, OrderState):
                seen.append(update)


async def run_watch(
    venue: str, *, simulator: bool, config: Mapping[str, Any], out: TextIO, as_json: bool = False
) -> int:
    """Run ``stopkit watch``; returns the exit status (see the module docstring). ``as_json``: one
    JSON object per update (NDJSON, no header line) instead of the table.

    Raises:
        ConfigurationError: ``--simulator`` for a venue without one; as :func:`stopkit.connect`.
        UnsupportedOrder: the venue streams no order updates.
    """
    adapter = get_venue(venue)
    seen: list[OrderState] = []
    ready = asyncio.Event()
    if not simulator:
        async with connect(adapter, credentials=credentials_from_env(adapter), config=config or None) as client:
            _require_stream(client)
            if not as_json:
                print(header(), file=out, flush=True)
            await _print_stream(client, out, ready, seen, as_json=as_json)
        return 0
    sim = simulator_of(adapter)
    scenario = sim.demo_scenario()
    base_url = await sim.start()
    try:
        sim.set_price(scenario.symbol, scenario.start_price)
        merged = {**sim.demo_config(base_url), **config}
        async with connect(adapter, credentials=sim.demo_credentials(), config=merged) as client:
            _require_stream(client)
            if not as_json:
                print(header(), file=out, flush=True)
            task = asyncio.ensure_future(_print_stream(client, out, ready, seen, as_json=as_json))
            try:
                await asyncio.wait_for(asyncio.shield(ready.wait()), timeout=_SIMULATOR_WAIT_S)
                placed = [await client.place(order) for order in scenario.orders]
                sim.set_price(scenario.symbol, scenario.near_price)
                sim.set_price(scenario.symbol, scenario.through_price)
                await _wait_final(placed, seen, task)
            finally:
                task.cancel()
                with contextlib.suppress(asyncio.CancelledError):
                    await task
    finally:
        await sim.stop()
    return 0


async def _wait_final(placed: list[OrderState], seen: list[OrderState], task: asyncio.Future[None]) -> None:
    # Until every placed order (or the child linked to it) shows a terminal state, bounded in time.
    loop = asyncio.get_running_loop()
    deadline = loop.time() + _SIMULATOR_WAIT_S
    ids = {p.venue_order_id for p in placed}
    while loop.time() < deadline and not task.done():
        child_of = {
            s.venue_order_id: str(s.raw["stopkit.childOrderId"]) for s in seen if "stopkit.childOrderId" in s.raw
        }
        finished = {s.venue_order_id for s in seen if s.status.is_terminal}
        if all(i in finished or child_of.get(i) in finished for i in ids):
            return
        await asyncio.sleep(0.02)
