"""The write-outcome rule against every venue's simulator (property-based).

For every built-in venue and every write (place, cancel, and Aries' modify by replace), the simulator
*acts on the request* and then answers an arbitrary status (100-599) with an arbitrary body:
HTML, binary junk, JSON of any shape, a nesting bomb, an oversized body, a redirect.
Afterwards the simulator's book says whether it acted, and the client's answer is judged:

- ``outcome_known=True`` only if the simulator did not act (here it always acts, so never:
  bodies that are the venue's own documented refusals are left out, since a venue that lies
  with its documented refusal cannot be told apart);
- a returned state means the order exists exactly once;
- never a raw Python exception.

The oracle of documented refusals below is written from the venues' documents, independently
of the adapters' refusal tables.
"""

from __future__ import annotations

import asyncio
import itertools
import json
from collections.abc import Callable
from decimal import Decimal
from typing import Any

import attrs
import pytest
from hypothesis import assume, given, settings
from hypothesis import strategies as st

import stopkit
from stopkit import RetryPolicy, StopkitError, StopOrder
from stopkit.testing.simkit import Fault

RETRY = RetryPolicy(max_attempts=2, timeout_s=0.5, total_timeout_s=3, backoff=False)
CAP = 64 * 1024
_stops = itertools.count(1)


def _json_object(body: bytes) -> Any:
    try:
        return json.loads(body)
    except (ValueError, UnicodeDecodeError, RecursionError):
        return None


def pacifica_documents(status: int, body: bytes) -> bool:
    """Pacifica's documented refusals: its error envelope with a listed 4xx, or any 429."""
    if status == 429:
        return True
    data = _json_object(body)
    return (
        status in (400, 403, 404, 409, 422)
        and isinstance(data, dict)
        and (isinstance(data.get("error"), str) or "code" in data or "error_id" in data)
    )


def aries_documents(status: int, body: bytes) -> bool:
    """Aries' documented refusals: a 400/401/403/404 with one of the SDK's two error shapes, or a 200
    acknowledgement saying success:false or status REJECTED."""
    data = _json_object(body)
    if not isinstance(data, dict):
        return False
    if status == 200:
        return data.get("success") is False or data.get("status") == "REJECTED"
    return status in (400, 401, 403, 404) and ("error" in data or "codes" in data)


def b2trader_documents(status: int, body: bytes) -> bool:
    """B2TRADER's documented refusals: a 400 (place, cancel) or 404 (cancel) with a JSON object body."""
    return status in (400, 404) and isinstance(_json_object(body), dict)


@attrs.frozen
class Venue:
    name: str
    sim: Callable[[], Any]
    order: Callable[[int], StopOrder]
    write_path: dict[str, tuple[str, str]]  # operation -> (method, path substring)
    landed: Callable[[Any, StopOrder], int]
    cancelled: Callable[[Any, StopOrder], bool]
    documents: Callable[[int, bytes], bool]


def _pacifica() -> Any:
    from stopkit_venues.pacifica.simulator import PacificaSimulator

    return PacificaSimulator(credits_per_ip=10**9, credits_per_api_key=10**9)


def _aries() -> Any:
    from stopkit_venues.aries.simulator import AriesSimulator

    return AriesSimulator()


def _b2trader() -> Any:
    from stopkit_venues.b2trader.simulator import B2TraderSimulator

    return B2TraderSimulator()


VENUES = {
    "pacifica": Venue(
        name="pacifica",
        sim=_pacifica,
        order=lambda n: StopOrder(symbol="BTC", side="buy", quantity=Decimal("0.001"), stop_price=Decimal(60000 + n)),
        write_path={"place": ("POST", "/orders/stop/create"), "cancel": ("POST", "/orders/stop/cancel")},
        landed=lambda sim, o: sum(1 for x in sim.orders.values() if x.client_order_id == o.client_order_id),
        cancelled=lambda sim, o: any(
            x.status == "cancelled" for x in sim.orders.values() if x.client_order_id == o.client_order_id
        ),
        documents=pacifica_documents,
    ),
    "aries": Venue(
        name="aries",
        sim=_aries,
        order=lambda n: StopOrder(
            symbol="AAPL", side="sell", quantity=1, stop_price=Decimal(100) + Decimal(n) / 100, time_in_force="day"
        ),
        write_path={
            "place": ("POST", "/v1/orders"),
            "cancel": ("POST", "/v1/orders/cancel"),
            "modify": ("POST", "/v1/orders/replace"),
        },
        landed=lambda sim, o: sum(1 for row in sim.orders() if Decimal(row["stopPrice"]) == o.stop_price),
        cancelled=lambda sim, o: any(
            row["ordStatus"] in ("CANCELED", "PENDING_CANCEL")
            for row in sim.orders()
            if Decimal(row["stopPrice"]) == o.stop_price
        ),
        documents=aries_documents,
    ),
    "b2trader": Venue(
        name="b2trader",
        sim=_b2trader,
        order=lambda n: StopOrder(
            symbol="BTC/USDT", side="buy", quantity=Decimal("0.01"), stop_price=Decimal(128000 + n)
        ),
        write_path={"place": ("POST", "/stop-orders"), "cancel": ("DELETE", "/stop-orders/")},
        landed=lambda sim, o: sum(1 for s in sim.stops.values() if s.activation_price == o.stop_price),
        cancelled=lambda sim, o: any(
            s.status == "Cancelled" for s in sim.stops.values() if s.activation_price == o.stop_price
        ),
        documents=b2trader_documents,
    ),
}

JSON_VALUES = st.recursive(
    st.none() | st.booleans() | st.integers() | st.text(max_size=8),
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=8), inner, max_size=3),
    max_leaves=8,
)
BODIES = st.one_of(
    st.sampled_from(
        [
            b"",
            b"<html><body><h1>Bad Gateway</h1></body></html>",
            b"[" * 100_000,
            b'{"success":true,"data":{"order_',
            b"x" * (CAP + 1),
            b"null",
            b'{"success": true}',
        ]
    ),
    st.binary(max_size=40),
    JSON_VALUES.map(lambda value: json.dumps(value).encode()),
)
STATUSES = st.one_of(
    st.sampled_from([200, 201, 202, 204, 301, 302, 307, 400, 401, 403, 404, 408, 409, 413, 422, 429, 499, 500, 503]),
    st.integers(min_value=100, max_value=599),
)


async def _attempt(venue: Venue, operation: str, status: int, body: bytes) -> None:
    sim = venue.sim()
    base_url = await sim.start()
    try:
        scenario = sim.demo_scenario()
        sim.set_price(scenario.symbol, scenario.start_price)
        order = venue.order(next(_stops))
        config = {**sim.demo_config(base_url), "max_response_bytes": CAP}
        method, path = venue.write_path[operation]
        headers = {"Location": "http://127.0.0.2:9/elsewhere"} if 300 <= status < 400 else {}
        fault = Fault(kind="garbage_after", status=status, body=body, headers=headers, method=method, path=path)
        credentials = sim.demo_credentials()
        async with stopkit.connect(venue.name, credentials=credentials, config=config, retry=RETRY) as client:
            error: StopkitError | None = None
            if operation == "modify":
                placed = await client.place(order)
                sim.faults.add(fault)
                new_stop = order.stop_price - Decimal("0.005")
                try:
                    await client.modify(placed, stop_price=new_stop)
                except StopkitError as exc:
                    error = exc
                acted = any(
                    Decimal(row["stopPrice"]) == new_stop and row["ordStatus"] != "SUPERSEDED" for row in sim.orders()
                )
            elif operation == "cancel":
                placed = await client.place(order)
                sim.faults.add(fault)
                try:
                    await client.cancel(venue_order_id=placed.venue_order_id, symbol=order.symbol)
                except StopkitError as exc:
                    error = exc
                acted = venue.cancelled(sim, order)
            else:
                sim.faults.add(fault)
                try:
                    await client.place(order)
                except StopkitError as exc:
                    error = exc
                acted = venue.landed(sim, order) == 1
                assert venue.landed(sim, order) <= 1
        if error is None:
            assert acted, (status, body[:60])  # a returned state: the venue really did it
        else:
            assert not (error.outcome_known and acted), (status, body[:60], error)
    finally:
        await sim.stop()


@pytest.mark.parametrize(
    ("venue_name", "operation"), [(v, op) for v in VENUES for op in ("place", "cancel")] + [("aries", "modify")]
)
@settings(max_examples=30)
@given(status=STATUSES, body=BODIES)
def test_an_answer_after_the_venue_acted_is_never_a_known_failure(
    venue_name: str, operation: str, status: int, body: bytes
) -> None:
    """The simulator acts, then answers any status and body: the client never reports a known failure,
    never doubles the order, and never raises a raw exception."""
    venue = VENUES[venue_name]
    assume(not venue.documents(status, body))
    assume(not 100 <= status < 200 or status in (100, 199))  # 1xx cannot end an exchange: two samples suffice
    asyncio.run(_attempt(venue, operation, status, body))
