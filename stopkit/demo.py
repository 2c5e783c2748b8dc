"""``stopkit demo``: the documented example stop orders, placed on every venue's simulator.

For each installed venue that ships a simulator (:meth:`VenueAdapter.simulator`):

1. serve the simulator on 127.0.0.1 at an ephemeral port;
2. place the venue's documented example orders through :func:`stopkit.connect`,
   exactly as a bot would; each must come back ACCEPTED (armed);
3. move the simulated price toward the stops without reaching them: each must
   still read back ACCEPTED;
4. move the price through the stops: each must read back triggered (TRIGGERED,
   PARTIALLY_FILLED or FILLED).

Orders are read back with ``get`` where the venue documents a way; otherwise
(B2TRADER documents no read endpoint for stops) from the simulator's own book,
rendered in the venue's wire shape and parsed by the adapter, and the table
says so. The exit status is 0 only when every order behaved as documented.
"""

from __future__ import annotations

import sys
from collections.abc import Sequence
from typing import Any, TextIO

import attrs

from stopkit.api import connect
from stopkit.client import VenueClient
from stopkit.errors import StopkitError
from stopkit.registry import available_venues, get_venue
from stopkit.state import OrderState, OrderStatus
from stopkit.venue import Simulator
from stopkit.wire import format_decimal

__all__ = ["DemoRow", "run_demo"]

# The built-in venues first, in the order the README lists them; plugins after.
_PREFERRED = ("pacifica", "aries", "b2trader")


@attrs.define
class DemoRow:
    """One order's path through the demo."""

    venue: str
    placed: OrderState
    armed: OrderState | None = None
    after: OrderState | None = None
    read_via: str = ""
    problems: list[str] = attrs.field(factory=list)


def _dec(value: Any) -> str:
    return "-" if value is None else format_decimal(value)


async def _read_back(client: VenueClient, sim: Simulator, placed: OrderState) -> tuple[OrderState, str]:
    if client.venue.capabilities.get_order:
        state = await client.get(
            venue_order_id=placed.venue_order_id, client_order_id=placed.client_order_id, symbol=placed.symbol
        )
        return state, "get"
    if placed.venue_order_id is None:
        raise StopkitError(f"{client.name}: the venue returned no order id; cannot look the order up")
    state = sim.book_state(client.venue, placed.venue_order_id)
    if not isinstance(state, OrderState):
        raise StopkitError(f"{client.name}: simulator book_state returned {type(state).__name__}")
    return state, "simulator book"


async def _run_venue(name: str, out: TextIO) -> list[DemoRow]:
    adapter = get_venue(name)
    sim = adapter.simulator()
    if sim is None:
        print(f"{name}: no simulator; skipped", file=out)
        return []
    scenario = sim.demo_scenario()
    base_url = await sim.start()
    rows: list[DemoRow] = []
    try:
        sim.set_price(scenario.symbol, scenario.start_price)
        async with connect(name, credentials=sim.demo_credentials(), config=sim.demo_config(base_url)) as client:
            for order in scenario.orders:
                state = await client.place(order)
                row = DemoRow(venue=name, placed=state)
                if state.status is not OrderStatus.ACCEPTED:
                    row.problems.append(f"placed as {state.status.name}, expected ACCEPTED")
                rows.append(row)
            sim.set_price(scenario.symbol, scenario.near_price)
            for row in rows:
                row.armed, row.read_via = await _read_back(client, sim, row.placed)
                if row.armed.status is not OrderStatus.ACCEPTED:
                    row.problems.append(
                        f"at {format_decimal(scenario.near_price)} (not through the stop) it is "
                        f"{row.armed.status.name}, expected ACCEPTED"
                    )
            sim.set_price(scenario.symbol, scenario.through_price)
            for row in rows:
                row.after, row.read_via = await _read_back(client, sim, row.placed)
                if not row.after.status.is_triggered:
                    row.problems.append(
                        f"at {format_decimal(scenario.through_price)} (through the stop) it is "
                        f"{row.after.status.name}, expected TRIGGERED or a fill"
                    )
    finally:
        await sim.stop()
    _print_venue(name, adapter.title, scenario, rows, out)
    return rows


def _print_venue(name: str, title: str, scenario: Any, rows: list[DemoRow], out: TextIO) -> None:
    print(f"\n== {name}: {title}", file=out)
    if scenario.notes:
        print(f"   {scenario.notes}", file=out)
    print(
        f"   price {format_decimal(scenario.start_price)} -> {format_decimal(scenario.near_price)} (near) "
        f"-> {format_decimal(scenario.through_price)} (through the stops)",
        file=out,
    )
    headers = [
        "kind",
        "symbol",
        "side",
        "qty",
        "stop",
        "limit",
        "venue order id",
        "placed",
        "near",
        "through",
        "venue status",
        "read via",
    ]
    table = [headers]
    for row in rows:
        placed = row.placed
        table.append(
            [
                placed.kind.value,
                placed.symbol,
                placed.side.name,
                _dec(placed.quantity),
                _dec(placed.stop_price),
                _dec(placed.limit_price),
                placed.venue_order_id or "-",
                placed.status.name,
                row.armed.status.name if row.armed else "-",
                row.after.status.name if row.after else "-",
                f"{placed.venue_status} -> {row.after.venue_status if row.after else '?'}",
                row.read_via,
            ]
        )
    widths = [max(len(str(r[i])) for r in table) for i in range(len(headers))]
    for index, line in enumerate(table):
        print("   " + "  ".join(str(cell).ljust(widths[i]) for i, cell in enumerate(line)).rstrip(), file=out)
        if index == 0:
            print("   " + "  ".join("-" * w for w in widths), file=out)
    for row in rows:
        for problem in row.problems:
            print(f"   FAIL {row.placed.kind.value} {row.placed.venue_order_id}: {problem}", file=out)


async def run_demo(venues: Sequence[str] | None = None, *, out: TextIO | None = None) -> int:
    """Run the demo on ``venues`` (default: every installed venue). Returns the exit status.

    0 when every order was accepted, stayed armed near the stop and triggered
    through it; 1 otherwise (each failure is printed).
    """
    stream = out or sys.stdout
    names = list(venues) if venues else sorted(available_venues(), key=lambda n: (n not in _PREFERRED, _index(n), n))
    all_rows: list[DemoRow] = []
    failures = 0
    for name in names:
        try:
            all_rows.extend(await _run_venue(name, stream))
        except StopkitError as exc:
            failures += 1
            print(f"\n== {name}: FAILED: {exc}", file=stream)
    failures += sum(1 for row in all_rows if row.problems)
    ok = sum(1 for row in all_rows if not row.problems)
    print(f"\n{ok} of {len(all_rows)} orders armed, stayed armed near the stop, then triggered", file=stream)
    if failures or not all_rows:
        print("demo FAILED", file=stream)
        return 1
    print("demo OK", file=stream)
    return 0


def _index(name: str) -> int:
    return _PREFERRED.index(name) if name in _PREFERRED else len(_PREFERRED)
