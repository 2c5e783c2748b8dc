"""Explicit tables between stopkit's neutral vocabulary and Aries' wire values.

Sources: sheet §4 (field mapping) and §5 (FIX ``OrdStatus`` vocabulary, meanings
quoted from the [sdk] ``models/tradeorderv2.py``); the side/trigger table of
https://finance.dev/api-reference/orders/stop-order.
"""

from __future__ import annotations

from collections.abc import Mapping

from stopkit.plugin import (
    OrderKind,
    OrderStatus,
    PositionEffect,
    Side,
    TimeInForce,
)

__all__ = [
    "KIND_TO_TYPE",
    "ORDER_STATUS",
    "SIDE_FROM_VENUE",
    "SIDE_TO_VENUE",
    "TIF_TO_VENUE",
    "TYPE_TO_KIND",
    "VENUE_BUY_SIDES",
]

SIDE_TO_VENUE: Mapping[tuple[Side, PositionEffect | None], str] = {
    # Aries encodes the position effect in the side (sheet §4, pitfall 9).
    (Side.BUY, None): "BUY",
    (Side.BUY, PositionEffect.OPEN): "BUY",
    (Side.BUY, PositionEffect.CLOSE): "BUY_TO_COVER",
    (Side.SELL, None): "SELL",
    # SELL + CLOSE is a plain SELL: Aries has no reduce-only flag and does not enforce
    # reduce-only semantics [unverified, sheet §4].
    (Side.SELL, PositionEffect.CLOSE): "SELL",
    (Side.SELL, PositionEffect.OPEN): "SELL_SHORT",
}
"""(neutral side, position effect) → Aries ``side``."""

SIDE_FROM_VENUE: Mapping[str, Side] = {
    "BUY": Side.BUY,
    "BUY_TO_COVER": Side.BUY,  # lossy: the "close a short" effect is dropped
    "SELL": Side.SELL,
    "SELL_SHORT": Side.SELL,  # lossy: the "open a short" effect is dropped
}
"""Aries ``side`` → neutral side."""

VENUE_BUY_SIDES = frozenset({"BUY", "BUY_TO_COVER"})
"""Sides whose stop triggers when the price rises to or above ``stopPrice`` (stop-order page table)."""

KIND_TO_TYPE: Mapping[OrderKind, str] = {
    OrderKind.STOP_MARKET: "STOP",
    OrderKind.STOP_LIMIT: "STOP_LIMIT",
}
"""Neutral order kind → Aries ``type``."""

TYPE_TO_KIND: Mapping[str, OrderKind] = {v: k for k, v in KIND_TO_TYPE.items()}
"""Aries ``type`` → neutral kind. ``MARKET`` and ``LIMIT`` are not stop orders and are unmapped."""

TIF_TO_VENUE: Mapping[TimeInForce, str] = {
    # Only DAY and GTC until Aries documents what else stops accept (sheet §8.2).
    # IOC/FOK exist in the enum but are unverified for stops; GTD does not exist.
    TimeInForce.DAY: "DAY",
    TimeInForce.GTC: "GTC",
}
"""Neutral time in force → Aries ``timeInForce``."""

ORDER_STATUS: Mapping[str, OrderStatus] = {
    "PENDING_NEW": OrderStatus.SUBMITTED,  # submitted, waiting for exchange acknowledgement
    # "NEW here means the stop is armed and waiting" (stop-order page). Aries never shows
    # a trigger: a triggered but unfilled STOP_LIMIT most likely still says NEW (sheet §5,
    # §8.4), so ACCEPTED means "armed or triggered (indistinguishable)" until fills arrive.
    "NEW": OrderStatus.ACCEPTED,
    "PARTIALLY_FILLED": OrderStatus.PARTIALLY_FILLED,
    "FILLED": OrderStatus.FILLED,
    "PENDING_CANCEL": OrderStatus.PENDING_CANCEL,
    "CANCELED": OrderStatus.CANCELED,
    "PENDING_REPLACE": OrderStatus.PENDING_UPDATE,
    # Lossy. FIX OrdStatus "Replaced" is reported under the *new* clOrdId, which is live
    # with the modified terms (the replace ack carries the new clOrdId with status
    # REPLACED, sheet §3.3); the old record is the one marked SUPERSEDED. Calling it
    # CANCELED could make a bot place a second stop while this one is still armed.
    "REPLACED": OrderStatus.ACCEPTED,
    "REJECTED": OrderStatus.REJECTED,
    "EXPIRED": OrderStatus.EXPIRED,
    # Lossy: "inactive for today's session, may resume next day" — not terminal.
    "DONE_FOR_DAY": OrderStatus.ACCEPTED,
    # Lossy: FIX "trading stopped by exchange action", NOT "stop triggered" (pitfall 7).
    # The order is held but not finished.
    "STOPPED": OrderStatus.ACCEPTED,
    # Lossy: "temporarily suspended by broker or exchange" — not terminal.
    "SUSPENDED": OrderStatus.ACCEPTED,
    # Lossy: FIX end-of-day "Calculated" (completed for the day). Fill quantities refine
    # it to (PARTIALLY_)FILLED in the parser; otherwise it is treated as still working.
    "CALCULATED": OrderStatus.ACCEPTED,
    # Lossy: auction workflows; the order is held by the venue.
    "ACCEPTED_FOR_BID": OrderStatus.ACCEPTED,
    # Lossy: "replaced by a newer record". This clOrdId is dead (cancel/replace with it is
    # rejected, sheet §3.3); the order lives on under a new clOrdId we cannot link to.
    "SUPERSEDED": OrderStatus.CANCELED,
}
"""FIX ``OrdStatus`` (``status`` in acks, ``ordStatus`` in ``TradeOrderV2``) → neutral status.

An absent ``ordStatus`` ("omitted when the broker has not yet reported a status",
sheet §5) is handled by the parser as SUBMITTED.
"""
