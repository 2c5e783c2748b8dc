"""The proof of "no order lost, none doubled": many stop orders placed concurrently on every
venue's simulator while about a fifth of all requests (orders, reads, token exchanges, market
lookups) meet a fault of every kind the simulators can inject.

Afterwards, for each venue, the simulator's book is compared with what the client said:

- every call that returned an ``OrderState`` has exactly one order on the venue;
- every call that raised with ``outcome_known=True`` has none;
- calls that raised with ``outcome_known=False`` are counted and listed (each has 0 or 1);
- no order exists twice.

Run larger with ``python -m pytest tests/chaos --chaos-orders 3000`` (loopback only, bounded).
"""

from __future__ import annotations

import asyncio
import json
from collections import Counter
from collections.abc import Callable
from decimal import Decimal
from typing import Any

import attrs
import pytest

import stopkit
from stopkit import AnyStopOrder, OrderState, RetryPolicy, StopkitError
from stopkit.testing.simkit import Fault, ServedSimulator

# The client gives up on an answer after this long; delayed answers come later still.
CLIENT_TIMEOUT_S = 0.4
LATE_S = 0.7
CONCURRENCY = 24


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
    from venues.pacifica.simulator import PacificaSimulator

    return PacificaSimulator(credits_per_ip=10**9, credits_per_api_key=10**9)


def _aries_sim() -> ServedSimulator:
    from venues.aries.simulator import AriesSimulator

    return AriesSimulator()


def _b2trader_sim() -> ServedSimulator:
    from venues.b2trader.simulator import B2TraderSimulator

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
        outcomes = [Outcome(order=venue.order(i)) for i in range(orders)]

        async def one(outcome: Outcome, client: stopkit.VenueClient) -> None:
            async with gate:
                try:
                    outcome.state = await client.place(outcome.order)
                except StopkitError as exc:
                    outcome.error = exc

        async with stopkit.connect(
            venue.name, credentials=sim.demo_credentials(), config=sim.demo_config(base_url), retry=retry
        ) as client:
            half = len(outcomes) // 2
            await asyncio.gather(*(one(o, client) for o in outcomes[:half]))
            if venue.expire_tokens is not None:
                venue.expire_tokens(sim)  # a token that expires between two calls
            await asyncio.gather(*(one(o, client) for o in outcomes[half:]))
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
        doubled = {identity: n for identity, n in held.items() if n > 1}
        if doubled:
            problems.append(f"{venue.name}: duplicated orders on the venue: {doubled}")
        placed = known = 0
        unknown: list[tuple[object, int, str]] = []
        for outcome in outcomes:
            identity = venue.identity(outcome.order)
            count = held.get(identity, 0)
            if outcome.state is not None:
                placed += 1
                if count != 1:
                    problems.append(f"{venue.name}: {identity} returned a state but the venue holds {count}")
            elif outcome.error is not None and outcome.error.outcome_known:
                known += 1
                if count != 0:
                    problems.append(
                        f"{venue.name}: {identity} raised {outcome.error!r} (outcome known) but the venue holds {count}"
                    )
            elif outcome.error is not None:
                unknown.append((identity, count, type(outcome.error).__name__))
        ours = {venue.identity(o.order) for o in outcomes}
        strangers = set(held) - ours
        if strangers:
            problems.append(f"{venue.name}: orders nobody placed: {sorted(map(str, strangers))[:5]}")
        faults = Counter(kind for kind, _method, _path in sim.faults.log)
        landed = sum(1 for _, count, _ in unknown if count)
        lines.append(
            f"  {venue.name:<9} placed {placed:>4}  failed (known) {known:>4}  unknown {len(unknown):>3} "
            f"({landed} landed)  duplicates {len(doubled)}  faults {sum(faults.values()):>4}"
        )
        lines.append(f"    faults by kind: {dict(sorted(faults.items()))}")
        for identity, count, name in unknown:
            lines.append(f"    unknown outcome: {identity} ({name}); on the venue: {count}")
        assert sum(faults.values()) > 0, f"{venue.name}: no fault was injected"
    with capsys.disabled():
        print("\n" + "\n".join(lines))
    assert not problems, "\n".join(problems)
    assert json.dumps(lines)  # the tally is plain text
