"""Explicit tables between stopkit's neutral vocabulary and Pacifica's wire values.

Every venue value Pacifica documents appears here; an unmapped value met on the
wire raises :class:`~stopkit.errors.UnknownVenueValue` (via
:func:`stopkit.parsing.lookup`), never a silent default. Lossy entries are
commented. Sources: sheet §4 and §5,
https://docs.pacifica.fi/api-documentation/api/rest-api/orders/get-order-history and
https://docs.pacifica.fi/api-documentation/api/rest-api/orders/get-order-history-by-id.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Final

from stopkit.plugin import (
    OrderKind,
    OrderStatus,
    Side,
    TriggerType,
)

SIDE_TO_VENUE: Final[Mapping[Side, str]] = {Side.BUY: "bid", Side.SELL: "ask"}
VENUE_SIDE: Final[Mapping[str, Side]] = {"bid": Side.BUY, "ask": Side.SELL}

# stop_order.trigger_price_type. Always sent (sheet §7.7: omitting it was observed to
# behave like mid_price, not the documented mark_price default).
TRIGGER_TYPE_TO_VENUE: Final[Mapping[TriggerType, str]] = {
    TriggerType.DEFAULT: "mark_price",  # the documented default, sent explicitly
    TriggerType.MARK_PRICE: "mark_price",
    TriggerType.LAST_PRICE: "last_trade_price",
    TriggerType.MID_POINT: "mid_price",
    # TriggerType.INDEX_PRICE: not offered by Pacifica -> UnsupportedOrder.
}
VENUE_TRIGGER_TYPE: Final[Mapping[str, TriggerType]] = {
    "mark_price": TriggerType.MARK_PRICE,
    "last_trade_price": TriggerType.LAST_PRICE,
    "mid_price": TriggerType.MID_POINT,
}

# order_status (history rows, history_by_id events, WS "os").
ORDER_STATUS: Final[Mapping[str, OrderStatus]] = {
    # Lossy: "open" is both an armed stop and a triggered stop-limit resting on the
    # book; the events of history_by_id tell them apart (see EVENT_PHASE).
    "open": OrderStatus.ACCEPTED,
    "partially_filled": OrderStatus.PARTIALLY_FILLED,
    "filled": OrderStatus.FILLED,
    # Lossy: refined by CANCEL_REASON (an expiry is reported as cancelled + reason expired).
    "cancelled": OrderStatus.CANCELED,
    "rejected": OrderStatus.REJECTED,
}

# reason of a cancelled order (history rows).
CANCEL_REASON: Final[Mapping[str, OrderStatus]] = {
    "cancel": OrderStatus.CANCELED,  # by the user
    "force_cancel": OrderStatus.CANCELED,  # by the system (e.g. a reduce-only order with no position)
    "expired": OrderStatus.EXPIRED,
    # Lossy: the venue reports these as cancelled; for the user it is a refusal of the released order.
    "post_only_rejected": OrderStatus.REJECTED,
    "self_trade_prevented": OrderStatus.CANCELED,
}

# event_type of a history_by_id row -> the trigger phase it proves while order_status
# is still "open"; None = the event does not change the phase (fills and terminal events
# are read from order_status instead).
EVENT_PHASE: Final[Mapping[str, OrderStatus | None]] = {
    "stop_created": OrderStatus.ACCEPTED,
    # Lossy: a TP/SL attached to a parent order becomes armed when the parent fills.
    "stop_parent_order_filled": OrderStatus.ACCEPTED,
    "stop_triggered": OrderStatus.TRIGGERED,  # "Stop order activated"
    "stop_upgrade": OrderStatus.TRIGGERED,  # the stop became a regular order
    # Lossy: for a stop, resting on the book only happens after the trigger released a limit order.
    "make": OrderStatus.TRIGGERED,
    "fulfill_market": None,
    "fulfill_limit": None,
    "adjust": None,
    "cancel": None,
    "force_cancel": None,
    "expired": None,
    "post_only_rejected": None,
    "self_trade_prevented": None,
}

# event_type values that end an order whatever order_status says alongside.
TERMINAL_EVENTS: Final[Mapping[str, OrderStatus]] = {
    "cancel": OrderStatus.CANCELED,
    "force_cancel": OrderStatus.CANCELED,
    "expired": OrderStatus.EXPIRED,
}

# order_type -> order kind. Only stop types appear in stopkit's listings; plain
# limit/market rows are another product (see STOP_ORDER_TYPES).
ORDER_TYPE_KIND: Final[Mapping[str, OrderKind]] = {
    "stop_market": OrderKind.STOP_MARKET,
    "stop_limit": OrderKind.STOP_LIMIT,
    # Lossy: position TP/SL types are stops of the same two kinds.
    "take_profit_limit": OrderKind.STOP_LIMIT,
    "stop_loss_limit": OrderKind.STOP_LIMIT,
    "take_profit_market": OrderKind.STOP_MARKET,
    "stop_loss_market": OrderKind.STOP_MARKET,
    # Lossy: after a trigger the released order may be shown with its plain type
    # [unverified, sheet §8.1]; it is still the stop's order.
    "limit": OrderKind.STOP_LIMIT,
    "market": OrderKind.STOP_MARKET,
}
STOP_ORDER_TYPES: Final = frozenset(
    {"stop_market", "stop_limit", "take_profit_limit", "stop_loss_limit", "take_profit_market", "stop_loss_market"}
)
