"""Shared helpers of the Pacifica tests (imported by module name; pytest puts this folder on sys.path)."""

from __future__ import annotations

from collections.abc import Callable
from decimal import Decimal
from typing import Any

import stopkit
from stopkit.context import FrozenClock
from stopkit.orders import PositionEffect, Side, StopLimitOrder, StopOrder
from stopkit.retry import RetryPolicy
from stopkit_venues.pacifica.simulator import PacificaSimulator

NOW_MS = 1_750_000_000_000
NO_RETRY = RetryPolicy(max_attempts=1, backoff=False)
CREATE = "/api/v1/orders/stop/create"
CANCEL = "/api/v1/orders/stop/cancel"
OPEN_ORDERS = "/api/v1/orders"
HISTORY = "/api/v1/orders/history"
HISTORY_BY_ID = "/api/v1/orders/history_by_id"
INFO = "/api/v1/info"
Served = Callable[[Any], Any]


async def start(served: Served, **kwargs: Any) -> tuple[PacificaSimulator, str, FrozenClock]:
    """A simulator on a frozen clock, served on 127.0.0.1: (simulator, base_url, clock)."""
    clock = FrozenClock(NOW_MS)
    sim = PacificaSimulator(clock=clock.now_ms, **kwargs)
    server = await served(sim.make_app())
    return sim, server.base_url, clock


def connect(
    sim: PacificaSimulator,
    base_url: str,
    clock: Any,
    *,
    credentials: dict[str, str] | None = None,
    retry: RetryPolicy = NO_RETRY,
    **config: Any,
) -> stopkit.VenueClient:
    """stopkit.connect("pacifica", ...) pointed at the simulator."""
    return stopkit.connect(
        "pacifica",
        credentials=credentials or sim.demo_credentials(),
        config={**sim.demo_config(base_url), **config},
        clock=clock,
        retry=retry,
    )


def sell_stop(**overrides: Any) -> StopOrder:
    """A sell stop-market closing 0.1 BTC at 48000 (below the simulator's 50000 start price)."""
    fields: dict[str, Any] = {
        "symbol": "BTC",
        "side": Side.SELL,
        "position_effect": PositionEffect.CLOSE,
        "quantity": Decimal("0.1"),
        "stop_price": Decimal("48000"),
    }
    fields.update(overrides)
    return StopOrder(**fields)


def sell_stop_limit(**overrides: Any) -> StopLimitOrder:
    """The documented stop-limit: sell 0.1 BTC reduce-only, stop 48000, limit 47950."""
    fields: dict[str, Any] = {
        "symbol": "BTC",
        "side": Side.SELL,
        "position_effect": PositionEffect.CLOSE,
        "quantity": Decimal("0.1"),
        "stop_price": Decimal("48000"),
        "limit_price": Decimal("47950"),
    }
    fields.update(overrides)
    return StopLimitOrder(**fields)
