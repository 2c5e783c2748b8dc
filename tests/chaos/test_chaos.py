"""The proof of "no order lost, none doubled": many stop orders placed concurrently on every
venue's simulator while about a fifth of all requests (orders, reads, token exchanges, market
lookups) meet a fault of every kind the simulators can inject, and a hostile venue's answers
on top: odd statuses after acting (202, 204, redirects, HTML 4xx pages, 408/409/413/499), a 401
after acting, nesting bombs and oversized bodies. Every tenth order repeats the previous one's
terms exactly, and about one call in twenty is cancelled by its caller at a random moment.

Afterwards, for each venue, the simulator's book is compared with what the client said, per
group of calls with the same identity (client order id where the venue stores it, else terms):

- calls that returned an ``OrderState`` (or were settled APPLIED after their cancellation) each
  have their own order on the venue: no two calls were handed the same venue order;
- calls that raised with ``outcome_known=True`` (or were settled NOT_APPLIED) have none: the venue
  holds no more orders than calls that returned or stayed unknown;
- calls that stayed unknown are counted and listed;
- no group holds more orders than it has calls (no duplicate).

Run larger with ``python -m pytest tests/chaos --chaos-orders 3000`` (loopback only, bounded).
"""

from __future__ import annotations

import asyncio
import random
import uuid
from collections import Counter, defaultdict
from collections.abc import Callable
from decimal import Decimal
from typing import Any

import attrs
import pytest

import stopkit
from stopkit import AnyStopOrder, OrderState, RetryPolicy, StopkitError, WriteOutcome
from stopkit.outcomes import PendingWrite
from stopkit.testing.simkit import Fault, ServedSimulator

# The client gives up on an answer after this long; delayed answers come later still.
CLIENT_TIMEOUT_S = 0.4
LATE_S = 0.7
CONCURRENCY = 24
# Answers larger than this are not read (a hostile venue's oversized bodies are injected above it).
MAX_BODY = 1024 * 1024
TWIN_EVERY = 10  # every tenth order has exactly the terms of the one before it
CANCEL_SHARE = 0.05  # share of calls whose caller gives up at a random moment


def _faults(rate_limited_headers: dict[str, str]) -> tuple[Fault, ...]:
    html = b"<html><body><h1>502 Bad Gateway</h1></body></html>"
    return (
        Fault(kind="latency", delay_s=0.02),
        Fault(kind="status", status=429, headers={"Retry-After": "0", **rate_limited_headers}),
        Fault(kind="status", status=500, body=b'{"error":"Internal server error"}'),
        Fault(kind="status", status=502, body=html, content_type="text/html"),
        Fault(kind="status", status=503, body=b"", content_type="text/plain"),
        Fault(kind="status", status=504, body=html, content_type="text/html"),
        Fault(kind="reset"),
        Fault(kind="status_after", status=503, body=b'{"error":"Service unavailable"}'),
        Fault(kind="drop_after"),
        Fault(kind="delay_after", delay_s=LATE_S),
        Fault(kind="garbage", status=502, body=html, content_type="text/html"),
        Fault(kind="garbage_after", status=200, body=b'{"success":true,"data":{"order_'),
        Fault(kind="garbage_after", status=200, body=b""),
        # A hostile venue or a man in the middle, after the venue acted:
        Fault(kind="status_after", status=202, body=b""),
        Fault(kind="status_after", status=204, body=b""),
        Fault(kind="status_after", status=302, headers={"Location": "http://127.0.0.2:9/x"}, body=b""),
        Fault(kind="garbage_after", status=400, body=b"<html>Bad Request</html>", content_type="text/html"),
        Fault(kind="garbage_after", status=404, body=b"<html>Not Found</html>", content_type="text/html"),
        Fault(kind="status_after", status=408, body=b""),
        Fault(kind="garbage_after", status=409, body=b"Conflict", content_type="text/plain"),
        Fault(kind="status_after", status=413, body=b""),
        Fault(kind="status_after", status=499, body=b""),
        Fault(kind="status_after", status=401, body=b""),
        Fault(kind="garbage_after", status=200, body=b"[" * 100_000),
        Fault(kind="garbage_after", status=200, body=b" " * (MAX_BODY + 1)),
    )


@attrs.define
class Venue:
    """How the suite drives one venue and reads its simulator's book."""

    name: str
    make_sim: Callable[[], ServedSimulator]
    order: Callable[[int], AnyStopOrder]
    # identity of the i-th order, and the identities of everything the simulator holds
    identity: Callable[[AnyStopOrder], object]
    book: Callable[[Any], list[object]]
    expire_tokens: Callable[[Any], None] | None = None
    rate_limited_headers: dict[str, str] = attrs.field(factory=dict)


def _pacifica_sim() -> ServedSimulator:
    from stopkit_venues.pacifica.simulator import PacificaSimulator

    return PacificaSimulator(credits_per_ip=10**9, credits_per_api_key=10**9)


def _aries_sim() -> ServedSimulator:
    from stopkit_venues.aries.simulator import AriesSimulator

    return AriesSimulator()


def _b2trader_sim() -> ServedSimulator:
    from stopkit_venues.b2trader.simulator import B2TraderSimulator

    return B2TraderSimulator()


VENUES = [
    Venue(
        name="pacifica",
        make_sim=_pacifica_sim,
        # Buy stops above the 50000 mark, one tick apart: each order is unique by client order id.
        order=lambda i: stopkit.StopOrder(
            symbol="BTC", side="buy", quantity=Decimal("0.001"), stop_price=Decimal(60000 + i)
        ),
        identity=lambda order: order.client_order_id,
        book=lambda sim: [o.client_order_id for o in sim.orders.values()],
        rate_limited_headers={"ratelimit": '"credits";r=0;t=0', "ratelimit-policy": '"credits";q=1000;w=60'},
    ),
    Venue(
        name="aries",
        make_sim=_aries_sim,
        # Sell stops below the 150 price, a cent apart: unique by stop price (clientId echo is unverified).
        order=lambda i: stopkit.StopOrder(
            symbol="AAPL", side="sell", quantity=1, stop_price=Decimal("100") + Decimal(i) / 100, time_in_force="day"
        ),
        identity=lambda order: order.stop_price,
        book=lambda sim: [Decimal(row["stopPrice"]) for row in sim.orders()],
        expire_tokens=lambda sim: sim.expire_tokens(),
    ),
    Venue(
        name="b2trader",
        make_sim=_b2trader_sim,
        # Buy stops above the 120000 ask, one unit apart: unique by activation price (stops carry no client id).
        order=lambda i: stopkit.StopOrder(
            symbol="BTC/USDT", side="buy", quantity=Decimal("0.01"), stop_price=Decimal(128000 + i)
        ),
        identity=lambda order: order.stop_price,
        book=lambda sim: [stop.activation_price for stop in sim.stops.values()],
        expire_tokens=lambda sim: sim.revoke_tokens(),
    ),
]


@attrs.define
class Outcome:
    order: AnyStopOrder
    state: OrderState | None = None
    error: StopkitError | None = None
    cancelled: bool = False  # the caller gave up (task cancelled); the client's pending() record settles it
    record: PendingWrite | None = None

    def verdict(self) -> str:
        """ "placed", "failed" (the venue provably did not act) or "unknown"."""
        if self.cancelled:
            outcome = self.record.outcome if self.record is not None else WriteOutcome.NOT_APPLIED
            return {WriteOutcome.APPLIED: "placed", WriteOutcome.NOT_APPLIED: "failed"}.get(outcome, "unknown")
        if self.state is not None:
            return "placed"
        return "failed" if self.error is not None and self.error.outcome_known else "unknown"

    def placed_state(self) -> OrderState | None:
        if self.cancelled:
            return self.record.state if self.record is not None else None
        return self.state


def _orders(venue: Venue, count: int) -> list[AnyStopOrder]:
    # Every TWIN_EVERY-th order repeats the terms of the one before it (with its own client order id).
    orders: list[AnyStopOrder] = []
    for i in range(count):
        if i % TWIN_EVERY == TWIN_EVERY - 1 and orders:
            previous = orders[-1]
            orders.append(attrs.evolve(previous, client_order_id=str(uuid.uuid4())))
        else:
            orders.append(venue.order(i))
    return orders


async def _run_venue(venue: Venue, orders: int, rate: float, seed: int) -> tuple[list[Outcome], Any]:
    sim = venue.make_sim()
    scenario = sim.demo_scenario()
    base_url = await sim.start()
    try:
        sim.set_price(scenario.symbol, scenario.start_price)
        sim.faults.chaos(rate, _faults(venue.rate_limited_headers), seed=seed)
        retry = RetryPolicy(
            max_attempts=3, timeout_s=CLIENT_TIMEOUT_S, total_timeout_s=10, backoff_initial_s=0.01, backoff_max_s=0.05
        )
        gate = asyncio.Semaphore(CONCURRENCY)
        outcomes = [Outcome(order=order) for order in _orders(venue, orders)]
        chooser = random.Random(seed)
        give_up_after = {id(o): chooser.uniform(0, 0.3) for o in outcomes if chooser.random() < CANCEL_SHARE}

        async def one(outcome: Outcome, client: stopkit.VenueClient) -> None:
            async with gate:
                try:
                    if id(outcome) in give_up_after:
                        outcome.state = await asyncio.wait_for(client.place(outcome.order), give_up_after[id(outcome)])
                    else:
                        outcome.state = await client.place(outcome.order)
                except StopkitError as exc:
                    outcome.error = exc
                except TimeoutError:
                    outcome.cancelled = True

        config = {**sim.demo_config(base_url), "max_response_bytes": MAX_BODY}
        async with stopkit.connect(
            venue.name, credentials=sim.demo_credentials(), config=config, retry=retry
        ) as client:
            half = len(outcomes) // 2
            await asyncio.gather(*(one(o, client) for o in outcomes[:half]))
            if venue.expire_tokens is not None:
                venue.expire_tokens(sim)  # a token that expires between two calls
            await asyncio.gather(*(one(o, client) for o in outcomes[half:]))
        # close() has waited for every background settlement: pending() says how each cancelled call ended.
        records = {r.client_order_id: r for r in client.pending() if r.operation == "place"}
        for outcome in outcomes:
            if outcome.cancelled:
                outcome.record = records.get(outcome.order.client_order_id)
        sim.faults.clear()
        await asyncio.sleep(LATE_S + 0.1)  # let delayed answers finish on the venue side
        return outcomes, sim
    finally:
        await sim.stop()


async def test_chaos_no_order_lost_none_doubled(
    request: pytest.FixtureRequest, capsys: pytest.CaptureFixture[str]
) -> None:
    """Under ~20 % faults of every kind: returned → exactly one order, known failure → none,
    unknown → counted and listed (0 or 1), and no duplicate anywhere."""
    total = int(request.config.getoption("--chaos-orders"))
    rate = float(request.config.getoption("--chaos-fault-rate"))
    seed = int(request.config.getoption("--chaos-seed"))
    per_venue = max(1, total // len(VENUES))
    # Bounded: the whole run must end well within this (each request is bounded by the retry policy).
    results = await asyncio.wait_for(
        asyncio.gather(*(_run_venue(venue, per_venue, rate, seed + index) for index, venue in enumerate(VENUES))),
        timeout=max(120.0, per_venue * 0.5),
    )

    lines = [f"chaos: {per_venue * len(VENUES)} orders, fault rate {rate:.0%}, seed {seed}"]
    problems: list[str] = []
    for venue, (outcomes, sim) in zip(VENUES, results, strict=True):
        held = Counter(venue.book(sim))
        groups: defaultdict[object, list[Outcome]] = defaultdict(list)
        for outcome in outcomes:
            groups[venue.identity(outcome.order)].append(outcome)
        verdicts = Counter(outcome.verdict() for outcome in outcomes)
        assert sum(verdicts.values()) == per_venue, f"{venue.name}: every placement has exactly one verdict"
        doubled = landed_known = unknown_landed = 0
        unknown_lines: list[str] = []
        for identity, calls in groups.items():
            count = held.get(identity, 0)
            placed = [c for c in calls if c.verdict() == "placed"]
            unknown = [c for c in calls if c.verdict() == "unknown"]
            ids = [state.venue_order_id for c in placed if (state := c.placed_state()) is not None]
            if len(set(ids)) != len(ids):
                problems.append(f"{venue.name}: {identity}: two calls were handed the same venue order {ids}")
            if count > len(calls):
                doubled += 1
                problems.append(f"{venue.name}: {identity}: {len(calls)} call(s) but {count} orders (duplicate)")
            elif count > len(placed) + len(unknown):
                landed_known += 1
                problems.append(
                    f"{venue.name}: {identity}: a known failure landed ({count} held, {len(placed)} placed, "
                    f"{len(unknown)} unknown)"
                )
            if count < len(placed):
                problems.append(f"{venue.name}: {identity}: {len(placed)} returned but the venue holds {count}")
            if unknown:
                unknown_landed += max(0, count - len(placed))
                for c in unknown:
                    why = "cancelled by caller" if c.cancelled else type(c.error).__name__
                    unknown_lines.append(f"    unknown outcome: {identity} ({why}); on the venue: {count}")
        strangers = set(held) - set(groups)
        if strangers:
            problems.append(f"{venue.name}: orders nobody placed: {sorted(map(str, strangers))[:5]}")
        faults = Counter(kind for kind, _method, _path in sim.faults.log)
        cancelled = sum(1 for o in outcomes if o.cancelled)
        lines.append(
            f"  {venue.name:<9} placed {verdicts['placed']:>4}  failed (known) {verdicts['failed']:>4}  "
            f"unknown {verdicts['unknown']:>3} ({unknown_landed} landed)  cancelled by caller {cancelled:>3}  "
            f"duplicates {doubled}  known failures that landed {landed_known}  faults {sum(faults.values()):>4}"
        )
        lines.append(f"    faults by kind: {dict(sorted(faults.items()))}")
        lines.extend(unknown_lines[:20])
        if len(unknown_lines) > 20:
            lines.append(f"    ... and {len(unknown_lines) - 20} more unknown outcomes")
        assert sum(faults.values()) > 0, f"{venue.name}: no fault was injected"
    with capsys.disabled():
        print("\n" + "\n".join(lines))
    assert not problems, "\n".join(problems)
    # The printed tally says what the checks above proved: one line per venue with zero of both.
    tallies = [line for line in lines if "duplicates 0  known failures that landed 0" in line]
    assert len(tallies) == len(VENUES), "\n".join(lines)
    assert all(line.isprintable() for line in lines)
