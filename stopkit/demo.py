"""``stopkit demo``: the documented example stop orders, placed on every venue's simulator.

For each installed venue that ships a simulator (:meth:`VenueAdapter.simulator`):

1. serve the simulator on 127.0.0.1 at an ephemeral port;
2. place the venue's documented example orders through :func:`stopkit.connect`,
   exactly as a bot would; each must come back ACCEPTED (armed);
3. move the simulated price toward the stops without reaching them: each must
   still read back ACCEPTED;
4. move the price through the stops: each must read back triggered (TRIGGERED,
   PARTIALLY_FILLED or FILLED).

Meanwhile the venue's order-update stream (:meth:`VenueClient.watch_orders`) is subscribed
before anything is placed (as Aries recommends), and each order's transitions as they arrive
on it are printed, e.g. ``ACCEPTED → TRIGGERED → FILLED (stream)``: every order must show a
trigger or a fill there too. Aries shows no trigger (ACCEPTED → FILLED); B2TRADER streams no
stops, only the child orders activated stops release, linked to their stop by a heuristic.

Orders are read back with ``get`` where the venue documents a way; otherwise
(B2TRADER documents no read endpoint for stops) from the simulator's own book,
rendered in the venue's wire shape and parsed by the adapter, and the table
says so. The exit status is 0 only when every order behaved as documented.
"""

from __future__ import annotations

import asyncio
import contextlib
import io
import json
import sys
from collections.abc import Sequence
from typing import Any, TextIO

import attrs

from stopkit.api import connect
from stopkit.client import VenueClient
from stopkit.errors import ConfigurationError, StopkitError
from stopkit.paper import simulator_of
from stopkit.registry import available_venues, get_venue
from stopkit.state import OrderState, OrderStatus
from stopkit.stream import StreamGap
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
    stream: list[OrderState] = attrs.field(factory=list)
    """The order's states as they arrived on the stream, in order."""
    children: list[OrderState] = attrs.field(factory=list)
    """The states of the child order the stream linked to it (B2TRADER), in order."""


# How long the demo waits for the stream to show the final transitions (the simulators push at once).
_STREAM_WAIT_S = 3.0


class _StreamLog:
    # Everything the demo's watch_orders yielded, by venue order id, plus gaps.
    def __init__(self) -> None:
        self.by_id: dict[str, list[OrderState]] = {}
        self.gaps: list[StreamGap] = []
        self.error: BaseException | None = None

    def add(self, update: OrderState | StreamGap) -> None:
        if isinstance(update, StreamGap):
            self.gaps.append(update)
        elif update.venue_order_id is not None:
            self.by_id.setdefault(update.venue_order_id, []).append(update)

    def fill_row(self, row: DemoRow) -> None:
        row.stream = list(self.by_id.get(row.placed.venue_order_id or "", []))
        child_id = next(
            (s.raw.get("stopkit.childOrderId") for s in row.stream if "stopkit.childOrderId" in s.raw), None
        )
        row.children = list(self.by_id.get(str(child_id), [])) if child_id else []

    def named(self, order_id: str | None) -> bool:
        # A gap named this order: it left the venue's open set without a final status (B2TRADER).
        return order_id is not None and any(order_id in gap.venue_order_ids for gap in self.gaps)

    def settled(self, rows: list[DemoRow]) -> bool:
        # Every order (or its linked child) reached a terminal state on the stream, or a gap named it.
        for row in rows:
            self.fill_row(row)
            tail = row.children or row.stream
            if self.named(tail[-1].venue_order_id if tail else None):
                continue
            if not tail or not tail[-1].status.is_terminal:
                return False
        return True


async def _watch(client: VenueClient, log: _StreamLog, ready: asyncio.Event) -> None:
    # Collect the stream until cancelled; an error is kept for the report.
    try:
        async with contextlib.aclosing(client.watch_orders(ready=ready)) as updates:
            async for update in updates:
                log.add(update)
    except StopkitError as exc:
        log.error = exc
        ready.set()


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
    try:
        sim = simulator_of(adapter)
    except ConfigurationError:
        print(f"{name}: no simulator; skipped", file=out)
        return []
    scenario = sim.demo_scenario()
    base_url = await sim.start()
    rows: list[DemoRow] = []
    try:
        sim.set_price(scenario.symbol, scenario.start_price)
        async with connect(name, credentials=sim.demo_credentials(), config=sim.demo_config(base_url)) as client:
            log = _StreamLog()
            ready = asyncio.Event()
            watcher = asyncio.ensure_future(_watch(client, log, ready)) if client.venue.stream() else None
            if watcher is not None:
                # Subscribe before placing, so the stream sees every transition.
                await asyncio.wait_for(ready.wait(), timeout=_STREAM_WAIT_S)
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
            if watcher is not None:
                await _settle(log, rows)
                watcher.cancel()
                with contextlib.suppress(asyncio.CancelledError):
                    await watcher
                _check_stream(log, rows)
    finally:
        await sim.stop()
    _print_venue(name, adapter.title, scenario, rows, out)
    return rows


async def _settle(log: _StreamLog, rows: list[DemoRow]) -> None:
    # Wait (bounded) until the stream has shown every order's final transition.
    loop = asyncio.get_running_loop()
    deadline = loop.time() + _STREAM_WAIT_S
    while not log.settled(rows) and loop.time() < deadline and log.error is None:  # noqa: ASYNC110  # polls state another task changes
        await asyncio.sleep(0.01)
    for row in rows:
        log.fill_row(row)


def _check_stream(log: _StreamLog, rows: list[DemoRow]) -> None:
    # The stream must show each order's trigger (or, where the venue shows none, its fill).
    if log.error is not None:
        for row in rows:
            row.problems.append(f"the order stream failed: {log.error}")
        return
    for gap in log.gaps:
        # A gap naming the demo's own orders is the venue's documented limit (no final status is
        # streamed), reported in the transitions; any other gap is a problem.
        ours = {s.venue_order_id for row in rows for s in row.stream + row.children}
        if not gap.venue_order_ids or not set(gap.venue_order_ids) <= ours:
            rows[0].problems.append(f"the order stream reported a gap: {gap.reason}")
    for row in rows:
        seen = [s.status for s in row.stream + row.children]
        if not any(status.is_triggered for status in seen):
            shown = " → ".join(s.name for s in seen) or "nothing"
            row.problems.append(f"the stream showed {shown}, expected a trigger or a fill")


def _arrows(states: list[OrderState]) -> str:
    return " → ".join(state.status.name for state in states)


def _transitions(row: DemoRow) -> str:
    # "ACCEPTED → TRIGGERED → FILLED (stream)", with the REST placement and a linked child where needed.
    if not row.stream:
        return "nothing on the stream"
    line = _arrows(row.stream) + " (stream)"
    if row.stream[0].status is not OrderStatus.ACCEPTED:
        line = f"{row.placed.status.name} (place answer) → " + line
    if row.children:
        child = row.children[0]
        line += f"; child order {child.venue_order_id} (linked by heuristic): {_arrows(row.children)} (stream)"
    return line


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
    if any(row.stream for row in rows):
        print("   order stream (watch_orders), transitions as they arrived:", file=out)
        for row in rows:
            print(f"   {row.placed.kind.value:<10} {row.placed.venue_order_id}: {_transitions(row)}", file=out)
    for row in rows:
        for problem in row.problems:
            print(f"   FAIL {row.placed.kind.value} {row.placed.venue_order_id}: {problem}", file=out)


async def run_demo(venues: Sequence[str] | None = None, *, out: TextIO | None = None, as_json: bool = False) -> int:
    """Run the demo on ``venues`` (default: every installed venue). Returns the exit status.

    0 when every order was accepted, stayed armed near the stop and triggered
    through it; 1 otherwise (each failure is printed). ``as_json``: print one JSON object
    instead of the tables: ``{"ok", "orders": [{"venue", "placed", "near", "after", "read_via",
    "stream", "problems"}], "failures": [...]}``.
    """
    if as_json:
        text = io.StringIO()
        status, rows = await _run(venues, text)
        print(json.dumps(_demo_json(text.getvalue(), status, rows)), file=out or sys.stdout)
        return status
    status, _rows = await _run(venues, out or sys.stdout)
    return status


async def _run(venues: Sequence[str] | None, stream: TextIO) -> tuple[int, list[DemoRow]]:
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
        return 1, all_rows
    print("demo OK", file=stream)
    return 0, all_rows


def _demo_json(text: str, status: int, rows: list[DemoRow]) -> dict[str, Any]:
    from stopkit.cli_json import state_json

    return {
        "ok": status == 0,
        "orders": [
            {
                "venue": row.venue,
                "placed": state_json(row.placed),
                "near": row.armed.status.name if row.armed else None,
                "after": state_json(row.after) if row.after else None,
                "read_via": row.read_via,
                "stream": [s.status.name for s in row.stream],
                "children": [s.status.name for s in row.children],
                "problems": list(row.problems),
            }
            for row in rows
        ],
        "failures": [line.strip() for line in text.splitlines() if "FAIL" in line],
    }


def _index(name: str) -> int:
    return _PREFERRED.index(name) if name in _PREFERRED else len(_PREFERRED)
