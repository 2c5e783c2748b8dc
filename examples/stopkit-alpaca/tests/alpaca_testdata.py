"""Shared test values: keys, example orders and a documented-style Order object."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from stopkit.plugin import Credentials, StopLimitOrder, StopOrder

from stopkit_alpaca import VENUE, AlpacaBoundVenue

KEY_ID = "PKTESTKEY000000000001"
SECRET_KEY = "test-secret-do-not-leak-7f3a9c"
CREDENTIALS = {"APCA_API_KEY_ID": KEY_ID, "APCA_API_SECRET_KEY": SECRET_KEY}
START_MS = 1_768_487_400_000  # 2026-01-15T14:30:00Z


def bound(**config: Any) -> AlpacaBoundVenue:
    """The adapter bound to the test keys (paper host unless configured)."""
    return VENUE.bind(Credentials("alpaca", CREDENTIALS), config)


def stop_order(**overrides: Any) -> StopOrder:
    """Sell 10 AAPL, stop 145, DAY (the demo's stop)."""
    values: dict[str, Any] = {
        "symbol": "AAPL",
        "side": "sell",
        "quantity": Decimal(10),
        "stop_price": Decimal("145.00"),
        "time_in_force": "day",
        "client_order_id": "cid-stop-1",
    }
    values.update(overrides)
    return StopOrder(**values)


def stop_limit_order(**overrides: Any) -> StopLimitOrder:
    """Sell 10 AAPL, stop 145, limit 144.50, DAY (the demo's stop-limit)."""
    values: dict[str, Any] = {
        "symbol": "AAPL",
        "side": "sell",
        "quantity": Decimal(10),
        "stop_price": Decimal("145.00"),
        "limit_price": Decimal("144.50"),
        "time_in_force": "day",
        "client_order_id": "cid-stop-limit-1",
    }
    values.update(overrides)
    return StopLimitOrder(**values)


def order_object(**overrides: Any) -> dict[str, Any]:
    """An Order object in the shape of Alpaca's reference example (a stop_limit, status new)."""
    obj: dict[str, Any] = {
        "id": "61e69015-8549-4bfd-b9c3-01e75843f47d",
        "client_order_id": "eb9e2aaa-f71a-4f51-b5b4-52a6c565dad4",
        "created_at": "2021-03-16T18:38:01.942282Z",
        "updated_at": "2021-03-16T18:38:01.942282Z",
        "submitted_at": "2021-03-16T18:38:01.937734Z",
        "filled_at": None,
        "expired_at": None,
        "canceled_at": None,
        "failed_at": None,
        "replaced_at": None,
        "replaced_by": None,
        "replaces": None,
        "asset_id": "b0b6dd9d-8b9b-48a9-ba46-b9d54906e415",
        "symbol": "AAPL",
        "asset_class": "us_equity",
        "notional": None,
        "qty": "10",
        "filled_qty": "0",
        "filled_avg_price": None,
        "order_class": "",
        "order_type": "stop_limit",
        "type": "stop_limit",
        "side": "sell",
        "time_in_force": "day",
        "limit_price": "144.5",
        "stop_price": "145",
        "status": "new",
        "extended_hours": False,
        "legs": None,
        "trail_percent": None,
        "trail_price": None,
        "hwm": None,
    }
    obj.update(overrides)
    return obj
