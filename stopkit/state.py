"""Normalized order state: what every venue's answers are parsed into."""

from __future__ import annotations

import enum
from collections.abc import Mapping
from datetime import datetime
from decimal import Decimal
from typing import Any

import attrs

from stopkit.orders import OrderKind, Side

__all__ = ["OrderState", "OrderStatus"]


class OrderStatus(enum.Enum):
    """Normalized order status.

    - SUBMITTED: sent, the venue has not confirmed it holds the order yet.
    - ACCEPTED: armed, waiting for its trigger.
    - TRIGGERED: the trigger was hit; the released order is working.
    - PARTIALLY_FILLED, FILLED: executions.
    - PENDING_UPDATE, PENDING_CANCEL: a change is in flight.
    - CANCELED, REJECTED, EXPIRED: terminal without a full fill.
    """

    __hash__ = (
        object.__hash__
    )  # members are singletons compared by identity: hashed as such (Enum hashes its name in Python)

    SUBMITTED = "submitted"
    ACCEPTED = "accepted"
    TRIGGERED = "triggered"
    PARTIALLY_FILLED = "partially_filled"
    FILLED = "filled"
    PENDING_UPDATE = "pending_update"
    PENDING_CANCEL = "pending_cancel"
    CANCELED = "canceled"
    REJECTED = "rejected"
    EXPIRED = "expired"

    @property
    def is_terminal(self) -> bool:
        """True when the order can no longer change (FILLED, CANCELED, REJECTED, EXPIRED)."""
        return self in _TERMINAL

    @property
    def is_triggered(self) -> bool:
        """True when the trigger is known to have fired (TRIGGERED or any fill)."""
        return self in (OrderStatus.TRIGGERED, OrderStatus.PARTIALLY_FILLED, OrderStatus.FILLED)


_TERMINAL = frozenset({OrderStatus.FILLED, OrderStatus.CANCELED, OrderStatus.REJECTED, OrderStatus.EXPIRED})


@attrs.frozen(kw_only=True)
class OrderState:
    """One venue's view of one stop order, normalized.

    Fields:
        venue: registered venue name, e.g. ``"pacifica"``.
        venue_order_id: the venue's id (``str``; integer ids are rendered in
            decimal), ``None`` if the venue has not assigned one.
        client_order_id: ours, when the venue carries or echoes it, else ``None``.
        symbol: the order's symbol: the unified symbol the order was placed with (``BTC/USDC:USDC``,
            ``BTC/USDT``) when this client placed it with one, else the venue's own (``BTC``,
            ``AAPL``, ``spot.btc_usdt``).
        venue_symbol: the venue's own symbol (``BTC``, ``spot.btc_usdt``); defaults to ``symbol``.
        side: BUY / SELL.
        kind: stop-market or stop-limit.
        status: normalized :class:`OrderStatus`.
        venue_status: the venue's raw status (or event) string, unchanged.
        quantity: ordered quantity (base units/shares); ``None`` = whole position.
        filled_quantity: executed quantity so far.
        stop_price, limit_price: ``Decimal`` (``limit_price`` is ``None`` for stop-market).
        created_at, updated_at: timezone-aware UTC datetimes when the venue said.
        raw: the venue's JSON object this state was parsed from.
        reason: the venue's reason text for a cancel/reject/expiry, when given.
        average_fill_price: the venue's average execution price of the filled quantity
            (``Decimal``), ``None`` when the venue does not say or nothing has filled.
        remaining_quantity: the quantity still open and able to fill (``Decimal``, e.g. Aries
            ``leavesQty``), ``None`` when the venue does not say.
    """

    venue: str
    venue_order_id: str | None
    client_order_id: str | None
    symbol: str
    venue_symbol: str = attrs.field(default=attrs.Factory(lambda self: self.symbol, takes_self=True))
    side: Side
    kind: OrderKind
    status: OrderStatus
    venue_status: str
    quantity: Decimal | None
    filled_quantity: Decimal = Decimal(0)
    stop_price: Decimal | None = None
    limit_price: Decimal | None = None
    created_at: datetime | None = None
    updated_at: datetime | None = None
    reason: str | None = None
    average_fill_price: Decimal | None = None
    remaining_quantity: Decimal | None = None
    raw: Mapping[str, Any] = attrs.field(factory=dict, eq=False, repr=False)
