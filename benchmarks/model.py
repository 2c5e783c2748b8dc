"""Scenario 6: order model construction + validation, per call.

``StopLimitOrder(...)`` with ``Decimal`` inputs and a given client order id (the
common bot path), against the floor for a frozen attrs value: an ``attrs.frozen``
class with the same fields and no converters or checks. Also reported: decimal
strings as inputs, and a generated (UUID4) client order id.
"""

from __future__ import annotations

from collections.abc import Callable
from decimal import Decimal

import attrs

import stopkit
from benchmarks._core import Row, Settings, compare
from benchmarks._fixtures import CLIENT_ORDER_ID, ORDER_FIELDS


@attrs.frozen(kw_only=True)
class _PlainOrder:
    # The same fields as StopLimitOrder, no validation: what an attrs value costs at least.
    symbol: str
    side: stopkit.Side
    quantity: Decimal | None
    stop_price: Decimal
    limit_price: Decimal
    position_effect: stopkit.PositionEffect | None = None
    trigger_type: stopkit.TriggerType = stopkit.TriggerType.DEFAULT
    time_in_force: stopkit.TimeInForce = stopkit.TimeInForce.GTC
    expire_at: object = None
    client_order_id: str = ""


NAME = "model"


def run(settings: Settings) -> list[Row]:
    fields = dict(ORDER_FIELDS)
    strings = {**fields, "quantity": "0.1", "stop_price": "48000", "limit_price": "47950", "side": "sell"}
    candidates: dict[str, Callable[[], object]] = {
        "decimals": lambda: stopkit.StopLimitOrder(client_order_id=CLIENT_ORDER_ID, **fields),
        "strings": lambda: stopkit.StopLimitOrder(client_order_id=CLIENT_ORDER_ID, **strings),
        "generated id": lambda: stopkit.StopLimitOrder(**fields),
        "plain attrs": lambda: _PlainOrder(client_order_id=CLIENT_ORDER_ID, **fields),
    }
    stats = compare(candidates, settings)
    plain = stats["plain attrs"]
    return [
        Row(
            NAME,
            "StopLimitOrder(...) (Decimal inputs)",
            stats["decimals"],
            "s",
            reference="plain attrs.frozen, no validation",
            reference_stats=plain,
            target="≤ 10 µs",
            met=stats["decimals"].median <= 10e-6,
        ),
        Row(
            NAME,
            "StopLimitOrder(...) (str inputs)",
            stats["strings"],
            "s",
            reference="plain attrs.frozen",
            reference_stats=plain,
            target="≤ 10 µs",
            met=stats["strings"].median <= 10e-6,
        ),
        Row(
            NAME,
            "StopLimitOrder(...) (generated UUID4 id)",
            stats["generated id"],
            "s",
            reference="plain attrs.frozen",
            reference_stats=plain,
        ),
    ]
