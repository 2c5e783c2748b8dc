"""B2TRADER: tests written to kill mutants that survived the suite (issue 19), each against a literal oracle."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import pytest

from stopkit.state import OrderStatus
from venues.b2trader import parse

# The documented "Place SPOT Stop order" answer's order object (https://api-docs.b2trader.b2broker.com/rest-api).
DOCUMENTED: dict[str, Any] = {
    "marketId": "spot.btc_usdt", "marketDisplayName": "SPOT BTC/USDT", "orderId": "01K2MNC3BVR5WRTBEE9YWAS91K",
    "orderType": "Market", "side": "Buy", "requestedPrice": "0", "activationPrice": "128000",
    "requestedAmount": "0.01", "timeInForce": "Ioc", "status": "WaitingForActivation",
    "createdAt": "2025-08-14T16:07:25.8193038Z", "updatedAt": "2025-08-14T16:07:25.8193044Z", "cancellationDate": None,
}  # fmt: skip


@pytest.mark.parametrize("cancel_answer", [False, True])
def test_a_rejected_stop_with_a_cancellation_date_stays_rejected(cancel_answer: bool) -> None:
    """Kills `cancel_answer and status != Rejected` → `or`/`==`, and a date deciding: Rejected stays REJECTED."""
    obj = {**DOCUMENTED, "status": "Rejected", "cancellationDate": "2025-08-14T16:08:00.0000000Z"}
    state = parse.parse_stop_order(obj, cancel_answer=cancel_answer)
    assert (state.status, state.venue_status) == (OrderStatus.REJECTED, "Rejected")


@pytest.mark.parametrize(
    ("status", "cancel_answer", "expected"),
    [
        ("WaitingForActivation", False, OrderStatus.ACCEPTED),
        ("WaitingForActivation", True, OrderStatus.CANCELED),
        ("Activated", False, OrderStatus.TRIGGERED),
        ("Activated", True, OrderStatus.CANCELED),
    ],
)
def test_only_the_cancel_answer_makes_a_live_stop_canceled(
    status: str, cancel_answer: bool, expected: OrderStatus
) -> None:
    """A cancellation date alone never cancels; the 200 answer to the cancel DELETE does (literal table)."""
    obj = {**DOCUMENTED, "status": status, "cancellationDate": "2025-08-14T16:08:00.0000000Z"}
    state = parse.parse_stop_order(obj, cancel_answer=cancel_answer)
    assert state.status is expected
    assert (state.quantity, state.stop_price, state.filled_quantity) == (Decimal("0.01"), Decimal(128000), 0)
