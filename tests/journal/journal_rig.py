"""The three built-in venues as the journal tests drive them: a simulator, the i-th order (unique
terms and client order id), and the identities of everything the simulator holds."""

from __future__ import annotations

import uuid
from collections.abc import Callable
from decimal import Decimal
from typing import Any

import attrs

import stopkit
from stopkit.orders import AnyStopOrder
from stopkit.testing.simkit import ServedSimulator


@attrs.frozen
class SimVenue:
    """How a test drives one venue's simulator."""

    name: str
    make_sim: Callable[..., ServedSimulator]
    order: Callable[[int, str], AnyStopOrder]  # (index, run tag) → the order (same index + tag → same order)
    identity: Callable[[AnyStopOrder], object]
    book: Callable[[Any], list[object]]
    place_path: str


def coid(index: int, tag: str) -> str:
    """A deterministic UUID client order id (Pacifica takes UUIDs only) for order ``index`` of run ``tag``."""
    return str(uuid.uuid5(uuid.NAMESPACE_URL, f"stopkit-journal/{tag}/{index}"))


def _pacifica_sim(**kwargs: Any) -> ServedSimulator:
    from stopkit_venues.pacifica.simulator import PacificaSimulator

    kwargs.setdefault("credits_per_ip", 10**9)
    kwargs.setdefault("credits_per_api_key", 10**9)
    return PacificaSimulator(**kwargs)


def _aries_sim(**kwargs: Any) -> ServedSimulator:
    from stopkit_venues.aries.simulator import AriesSimulator

    return AriesSimulator(**kwargs)


def _b2trader_sim(**kwargs: Any) -> ServedSimulator:
    from stopkit_venues.b2trader.simulator import B2TraderSimulator

    return B2TraderSimulator(**kwargs)


PACIFICA = SimVenue(
    name="pacifica",
    make_sim=_pacifica_sim,
    order=lambda i, tag: stopkit.StopOrder(
        symbol="BTC", side="buy", quantity=Decimal("0.001"), stop_price=Decimal(60000 + i), client_order_id=coid(i, tag)
    ),
    identity=lambda order: order.client_order_id,
    book=lambda sim: [o.client_order_id for o in sim.orders.values()],
    place_path="/api/v1/orders/stop/create",
)
ARIES = SimVenue(
    name="aries",
    make_sim=_aries_sim,
    order=lambda i, tag: stopkit.StopOrder(
        symbol="AAPL",
        side="sell",
        quantity=1,
        stop_price=Decimal("100") + Decimal(i) / 100,
        time_in_force="day",
        client_order_id=coid(i, tag)[:36],
    ),
    identity=lambda order: order.stop_price,
    book=lambda sim: [Decimal(row["stopPrice"]) for row in sim.orders()],
    place_path="/v1/orders",
)
B2TRADER = SimVenue(
    name="b2trader",
    make_sim=_b2trader_sim,
    order=lambda i, tag: stopkit.StopOrder(
        symbol="BTC/USDT",
        side="buy",
        quantity=Decimal("0.01"),
        stop_price=Decimal(128000 + i),
        client_order_id=coid(i, tag),
    ),
    identity=lambda order: order.stop_price,
    book=lambda sim: [stop.activation_price for stop in sim.stops.values()],
    place_path="/frontoffice/api/v3/stop-orders",
)
VENUES = {venue.name: venue for venue in (PACIFICA, ARIES, B2TRADER)}
