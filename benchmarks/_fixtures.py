"""Fixed inputs shared by the scenarios: a test key, the order, client construction."""

from __future__ import annotations

import inspect
import uuid
from decimal import Decimal
from typing import Any

import base58

import stopkit

SEED = bytes(range(32))
"""A fixed, public test seed (not a real account)."""
PRIVATE_KEY_B58 = base58.b58encode(SEED).decode("ascii")
CREDENTIALS = {"PACIFICA_PRIVATE_KEY": PRIVATE_KEY_B58}
NOW_MS = 1_750_000_000_000
CLIENT_ORDER_ID = "6f1c2b8e-3a4d-4e5f-8a9b-0c1d2e3f4a01"
SYMBOL = "BTC"

# The documented create-stop-order example: sell 0.1 BTC reduce-only, stop 48000, limit 47950.
ORDER_FIELDS: dict[str, Any] = {
    "symbol": SYMBOL,
    "side": stopkit.Side.SELL,
    "quantity": Decimal("0.1"),
    "stop_price": Decimal("48000"),
    "limit_price": Decimal("47950"),
    "position_effect": stopkit.PositionEffect.CLOSE,
}


def order(client_order_id: str = CLIENT_ORDER_ID) -> stopkit.StopLimitOrder:
    """The benchmark's stop-limit order with ``client_order_id``."""
    return stopkit.StopLimitOrder(client_order_id=client_order_id, **ORDER_FIELDS)


def fresh_orders(count: int) -> list[stopkit.StopLimitOrder]:
    """``count`` orders with distinct random UUID client order ids (the simulator refuses duplicates)."""
    return [order(str(uuid.uuid4())) for _ in range(count)]


def unthrottled_kwargs() -> dict[str, Any]:
    """Keyword arguments for ``stopkit.connect`` that lift any client-side rate limit.

    The benchmarks measure stopkit's own cost, not the venue's documented budget:
    when ``connect`` takes ``rate_limit`` (``stopkit.ratelimit``), a budget that never
    waits is passed, so the throttle's bookkeeping is still paid.
    """
    if "rate_limit" not in inspect.signature(stopkit.connect).parameters:
        return {}
    from stopkit.ratelimit import RateLimit

    return {"rate_limit": RateLimit(capacity=1e12, window_s=1.0, max_concurrent=1_000_000, source="benchmark")}


def connect(base_url: str, **kwargs: Any) -> Any:
    """A Pacifica :class:`~stopkit.client.VenueClient` on ``base_url``, unthrottled, retries off."""
    from stopkit.retry import RetryPolicy

    options: dict[str, Any] = {"retry": RetryPolicy(max_attempts=1, backoff=False), **unthrottled_kwargs()}
    options.update(kwargs)
    return stopkit.connect("pacifica", credentials=CREDENTIALS, config={"base_url": base_url}, **options)
