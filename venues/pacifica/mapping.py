"""Explicit tables between stopkit's neutral vocabulary and Pacifica's wire values.

Every value Pacifica documents appears here, each table with its source; the evidence
ledger in ``docs/venues/pacifica.md`` lists them row by row. How an unmapped value is
handled depends on where it is met (never a silent default):

- placing: only values stopkit itself sends (sides, trigger types) are looked up;
- reads (``GET /api/v1/orders``, history, history by id): an unknown ``reason`` or
  ``event_type`` is kept raw and does not change the status (they only refine it); a row
  whose ``order_type`` is not a documented stop type is not a stop and is left out of
  stop listings; only an ``order_status`` nothing else explains raises
  :class:`~stopkit.errors.UnknownVenueValue` (the one place where refusing to guess is
  the safe thing: the caller asked for that order's state);
- the order stream: nothing raises; a row that cannot be normalized is logged once and
  skipped (see :mod:`stopkit_venues.pacifica.stream`).

Sources: https://docs.pacifica.fi/api-documentation/api/rest-api/orders/get-order-history,
https://docs.pacifica.fi/api-documentation/api/rest-api/orders/get-order-history-by-id,
https://docs.pacifica.fi/api-documentation/api/websocket/subscriptions/account-order-updates,
and the enums of Neiroleptik/pacifica_rust_sdk ``src/common/types.rs`` (third-party, weak).
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

# stop_order.trigger_price_type. Always sent: pacifica-mcp src/tools/orders.ts observed that an
# omitted trigger_price_type behaves like mid_price, not the documented mark_price default.
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

# order_status (history rows, history_by_id events, WS "os"); the five documented values.
ORDER_STATUS: Final[Mapping[str, OrderStatus]] = {
    # Lossy: "open" is both an armed stop and a triggered stop-limit resting on the
    # book; the events tell them apart (see EVENT_PHASE).
    "open": OrderStatus.ACCEPTED,
    "partially_filled": OrderStatus.PARTIALLY_FILLED,
    "filled": OrderStatus.FILLED,
    # Lossy: refined by CANCEL_REASON (an expiry is reported as cancelled + reason expired).
    "cancelled": OrderStatus.CANCELED,
    "rejected": OrderStatus.REJECTED,
}

# reason of a closed order (history rows). Only refines a cancelled order_status: an unknown
# reason is kept raw and the status stays CANCELED.
CANCEL_REASON: Final[Mapping[str, OrderStatus]] = {
    "cancel": OrderStatus.CANCELED,  # by the user
    "force_cancel": OrderStatus.CANCELED,  # by the system (e.g. a reduce-only order with no position)
    "expired": OrderStatus.EXPIRED,
    # Lossy: the venue reports these as cancelled; for the user it is a refusal of the released order.
    "post_only_rejected": OrderStatus.REJECTED,
    "self_trade_prevented": OrderStatus.CANCELED,
    # The Rust SDK's OrderReason (third-party) also lists "cancelled" and "rejected": not
    # documented, so not mapped; met on the wire they are kept raw like any unknown reason.
}

# event_type of a history_by_id row / WS "oe" -> the trigger phase it proves while order_status
# is still "open"; None = the event does not change the phase (fills and terminal events are
# read from order_status instead). The documented list; the Rust SDK's OrderEventType
# (third-party) also has take / fulfill_maker / fulfill_taker, which, like any unknown
# event (twap_...), are kept raw and leave the phase unchanged.
EVENT_PHASE: Final[Mapping[str, OrderStatus | None]] = {
    "stop_created": OrderStatus.ACCEPTED,
    # Lossy: a TP/SL attached to a parent order becomes armed when the parent fills.
    "stop_parent_order_filled": OrderStatus.ACCEPTED,
    "stop_triggered": OrderStatus.TRIGGERED,  # "Stop order activated"
    "stop_upgrade": OrderStatus.TRIGGERED,  # "Stop order upgraded"
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

# order_type (REST) / "ot" (WS) -> order kind, for the documented stop types only.
STOP_TYPE_KIND: Final[Mapping[str, OrderKind]] = {
    "stop_market": OrderKind.STOP_MARKET,
    "stop_limit": OrderKind.STOP_LIMIT,
    # Lossy: position TP/SL types are stops of the same two kinds.
    "take_profit_limit": OrderKind.STOP_LIMIT,
    "stop_loss_limit": OrderKind.STOP_LIMIT,
    "take_profit_market": OrderKind.STOP_MARKET,
    "stop_loss_market": OrderKind.STOP_MARKET,
}
# The account's other orders: plain limit and market orders (never reported as stops).
PLAIN_TYPE_KIND: Final[Mapping[str, OrderKind]] = {
    "limit": OrderKind.LIMIT,
    "market": OrderKind.MARKET,
}
# Every documented order_type.
ORDER_TYPE_KIND: Final[Mapping[str, OrderKind]] = {**STOP_TYPE_KIND, **PLAIN_TYPE_KIND}
STOP_ORDER_TYPES: Final = frozenset(STOP_TYPE_KIND)
