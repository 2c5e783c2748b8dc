"""Explicit tables between stopkit's neutral vocabulary and Alpaca's wire values.

Sources: the ``side``, ``type`` and ``time_in_force`` enums of
https://docs.alpaca.markets/reference/postorder and the order lifecycle (status list) of
https://docs.alpaca.markets/docs/orders-at-alpaca. Each ``DOCUMENTED_*`` tuple lists every
value Alpaca documents; values a table leaves out are listed in the matching ``UNMAPPED_*``
tuple with the reason, so the conformance kit can check the tables are complete.
"""

from __future__ import annotations

from collections.abc import Mapping

from stopkit.plugin import OrderKind, OrderStatus, Side, TimeInForce

__all__ = [
    "DOCUMENTED_SIDES",
    "DOCUMENTED_STATUSES",
    "DOCUMENTED_TIME_IN_FORCE",
    "DOCUMENTED_TYPES",
    "KIND_TO_TYPE",
    "ORDER_STATUS",
    "SIDE_FROM_VENUE",
    "SIDE_TO_VENUE",
    "TIF_FROM_VENUE",
    "TIF_TO_VENUE",
    "TYPE_TO_KIND",
    "UNMAPPED_TIME_IN_FORCE",
    "UNMAPPED_TYPES",
]

DOCUMENTED_SIDES = ("buy", "sell")
"""``side`` (postorder). There is no ``sell_short``: a sell without a long position is a short sale."""

SIDE_TO_VENUE: Mapping[Side, str] = {Side.BUY: "buy", Side.SELL: "sell"}
"""Neutral side → Alpaca ``side``. The position effect is not part of it (see the adapter)."""

SIDE_FROM_VENUE: Mapping[str, Side] = {"buy": Side.BUY, "sell": Side.SELL}
"""Alpaca ``side`` → neutral side."""

DOCUMENTED_TYPES = ("market", "limit", "stop", "stop_limit", "trailing_stop")
"""``type`` (postorder)."""

KIND_TO_TYPE: Mapping[OrderKind, str] = {OrderKind.STOP_MARKET: "stop", OrderKind.STOP_LIMIT: "stop_limit"}
"""Neutral order kind → Alpaca ``type``."""

TYPE_TO_KIND: Mapping[str, OrderKind] = {"stop": OrderKind.STOP_MARKET, "stop_limit": OrderKind.STOP_LIMIT}
"""Alpaca ``type`` → neutral kind."""

UNMAPPED_TYPES = ("market", "limit", "trailing_stop")
"""Not stop orders in stopkit's sense (a trailing stop's trigger moves): never sent; a read of one
raises ``UnknownVenueValue`` and the open-orders list skips them."""

DOCUMENTED_TIME_IN_FORCE = ("day", "gtc", "opg", "cls", "ioc", "fok")
"""``time_in_force`` (postorder)."""

TIF_TO_VENUE: Mapping[TimeInForce, str] = {
    # Only DAY and GTC are sent for stops. The orders guide describes opg/cls for market and limit
    # orders only (on-open/on-close auctions), and IOC/FOK on a stop are not described for US
    # equities [unverified]: refused before any I/O rather than risk a silent reinterpretation.
    # GTC equity orders are cancelled by Alpaca after 90 days (orders guide) [unverified period].
    TimeInForce.DAY: "day",
    TimeInForce.GTC: "gtc",
}
"""Neutral time in force → Alpaca ``time_in_force`` (what this plugin sends)."""

TIF_FROM_VENUE: Mapping[str, TimeInForce] = {
    "day": TimeInForce.DAY,
    "gtc": TimeInForce.GTC,
    "ioc": TimeInForce.IOC,
    "fok": TimeInForce.FOK,
}
"""Alpaca ``time_in_force`` → neutral (for reading orders placed elsewhere)."""

UNMAPPED_TIME_IN_FORCE = ("opg", "cls")
"""Market/limit on open/close auction orders: no neutral counterpart and not offered for stops."""

DOCUMENTED_STATUSES = (
    "new",
    "partially_filled",
    "filled",
    "done_for_day",
    "canceled",
    "expired",
    "replaced",
    "pending_cancel",
    "pending_replace",
    "accepted",
    "pending_new",
    "accepted_for_bidding",
    "stopped",
    "rejected",
    "suspended",
    "calculated",
    "held",
)
"""Every order status of the order lifecycle (orders-at-alpaca)."""

ORDER_STATUS: Mapping[str, OrderStatus] = {
    # "received by Alpaca and routed to exchanges; the usual initial state": for a stop, armed.
    # Alpaca shows no trigger (reports_trigger=False): a triggered stop-limit that has not filled
    # still reads "new", so ACCEPTED means "armed or triggered (indistinguishable)" until fills.
    "new": OrderStatus.ACCEPTED,
    # "received by Alpaca but not yet routed" (often outside market hours). Alpaca holds the order:
    # for a stop that is armed [unverified: whether a stop can trigger while "accepted"].
    "accepted": OrderStatus.ACCEPTED,
    # "routed to the exchanges but not yet accepted for execution": not confirmed yet.
    "pending_new": OrderStatus.SUBMITTED,
    # Lossy: a held order waits for another one (e.g. a bracket's stop-loss leg waits for its
    # entry). It is armed-but-dormant, not terminal.
    "held": OrderStatus.ACCEPTED,
    # Lossy: "received by exchanges and evaluated for pricing" (auctions); working.
    "accepted_for_bidding": OrderStatus.ACCEPTED,
    "partially_filled": OrderStatus.PARTIALLY_FILLED,
    "filled": OrderStatus.FILLED,
    # Lossy: "done executing for the day, no further updates until the next trading day": not
    # terminal. Fills refine it to PARTIALLY_FILLED in the parser.
    "done_for_day": OrderStatus.ACCEPTED,
    "canceled": OrderStatus.CANCELED,
    "expired": OrderStatus.EXPIRED,
    # Lossy: this record was replaced by a newer order (``replaced_by`` holds its id): this id is
    # dead, the order lives on under the new id. get() follows ``replaced_by`` to the live order.
    "replaced": OrderStatus.CANCELED,
    "pending_cancel": OrderStatus.PENDING_CANCEL,
    "pending_replace": OrderStatus.PENDING_UPDATE,
    # Lossy: FIX "Stopped" = a trade is guaranteed but has not occurred yet. NOT "stop triggered";
    # the order is working.
    "stopped": OrderStatus.ACCEPTED,
    "rejected": OrderStatus.REJECTED,
    # Lossy: "suspended, not eligible for trading" (rare): held by the venue, not terminal.
    "suspended": OrderStatus.ACCEPTED,
    # Lossy: "completed for the day (filled or done for day), settlement calculations pending".
    # Fills refine it to (PARTIALLY_)FILLED in the parser; otherwise it is treated as working.
    "calculated": OrderStatus.ACCEPTED,
}
"""Alpaca ``status`` → neutral status (complete over :data:`DOCUMENTED_STATUSES`)."""
