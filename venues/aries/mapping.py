"""Explicit tables between stopkit's neutral vocabulary and Aries' wire values.

Sources (each row also in the evidence ledger of ``docs/venues/aries.md``): the SDK
``finance-dev`` 0.9.0 enums (``models/ordersideenum.py``, ``models/ordertypeenum.py``,
``models/orderrequesttimeinforceenum.py``, ``models/tradeorderv2.py`` ``OrdStatus`` with its
meanings) and the side/trigger table of https://finance.dev/api-reference/orders/stop-order.
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
    "POSITION_EFFECT_FROM_VENUE",
    "SIDE_FROM_VENUE",
    "SIDE_TO_VENUE",
    "TIF_EXTENDED_HOURS",
    "TIF_TO_VENUE",
    "TYPE_TO_KIND",
    "VENUE_BUY_SIDES",
]

SIDE_TO_VENUE: Mapping[tuple[Side, PositionEffect | None], str] = {
    # Aries encodes the position effect in the side (SDK models/ordersideenum.py: BUY "opens a long
    # position or closes an existing short", SELL "closes a long position", SELL_SHORT "opens a short
    # position", BUY_TO_COVER "buying shares to close an open short position").
    (Side.BUY, None): "BUY",
    (Side.BUY, PositionEffect.OPEN): "BUY",
    (Side.BUY, PositionEffect.CLOSE): "BUY_TO_COVER",
    (Side.SELL, None): "SELL",
    # SELL + CLOSE is a plain SELL ("selling shares you already hold (closes a long position)");
    # Aries has no reduce-only flag (assumption: it does not enforce reduce-only, see the ledger).
    (Side.SELL, PositionEffect.CLOSE): "SELL",
    (Side.SELL, PositionEffect.OPEN): "SELL_SHORT",
}
"""(neutral side, position effect) → Aries ``side``."""

SIDE_FROM_VENUE: Mapping[str, Side] = {
    "BUY": Side.BUY,
    "BUY_TO_COVER": Side.BUY,  # OrderState has no position effect: the venue side stays in raw["side"]
    "SELL": Side.SELL,
    "SELL_SHORT": Side.SELL,  # OrderState has no position effect: the venue side stays in raw["side"]
}
"""Aries ``side`` → neutral side. The position effect is not lost: cancel, replace and reconciliation
always use the row's own venue side (``raw["side"]``), see :data:`POSITION_EFFECT_FROM_VENUE`."""

POSITION_EFFECT_FROM_VENUE: Mapping[str, PositionEffect | None] = {
    "BUY": None,  # opens a long or closes a short: the venue decides
    "SELL": None,  # closes a long (a SELL without a long position is the venue's business)
    "SELL_SHORT": PositionEffect.OPEN,
    "BUY_TO_COVER": PositionEffect.CLOSE,
}
"""Aries ``side`` → the position effect it states (``None`` = the venue default)."""

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
    # OrderRequestTimeInForceEnum (SDK): DAY, GTC, IOC, FOK, EXTENDED_HOURS, AT_THE_OPENING,
    # AT_THE_CLOSE (+ ATO, ATC, EXT). place_order: "Option and multi-leg orders only support DAY and
    # GTC" — no restriction is documented for equity STOP/STOP_LIMIT. On a stop the time in force
    # governs the order the trigger releases (assumption, see the ledger).
    TimeInForce.DAY: "DAY",
    TimeInForce.GTC: "GTC",
    TimeInForce.IOC: "IOC",
    TimeInForce.FOK: "FOK",
    # GTD: no such value in the enum → UnsupportedOrder before any I/O.
}
"""Neutral time in force → Aries ``timeInForce``. DAY becomes ``EXTENDED_HOURS`` with config
``extended_hours=true`` ("Active during pre-market and after-hours trading sessions in addition
to regular hours"). ``AT_THE_OPENING``/``AT_THE_CLOSE`` have no neutral counterpart."""

TIF_EXTENDED_HOURS = "EXTENDED_HOURS"
"""The session-extended DAY time in force (SDK ``OrderRequestTimeInForceEnum``)."""

ORDER_STATUS: Mapping[str, OrderStatus] = {
    "PENDING_NEW": OrderStatus.SUBMITTED,  # submitted, waiting for exchange acknowledgement
    # "NEW here means the stop is armed and waiting" (stop-order page). Aries never shows
    # a trigger: a triggered but unfilled STOP_LIMIT most likely still says NEW (assumption,
    # see the ledger), so ACCEPTED means "armed or triggered (indistinguishable)" until fills arrive.
    "NEW": OrderStatus.ACCEPTED,
    "PARTIALLY_FILLED": OrderStatus.PARTIALLY_FILLED,
    "FILLED": OrderStatus.FILLED,
    "PENDING_CANCEL": OrderStatus.PENDING_CANCEL,
    "CANCELED": OrderStatus.CANCELED,
    "PENDING_REPLACE": OrderStatus.PENDING_UPDATE,
    # Lossy. FIX OrdStatus "Replaced" is reported under the *new* clOrdId, which is live
    # with the modified terms (ReplaceOrdResponse: "REPLACED — the modification took effect. From
    # now on, refer to the order by the new clOrdId"); the old record is the one marked SUPERSEDED.
    # Calling it CANCELED could make a bot place a second stop while this one is still armed.
    # Fills refine it (cumQty > 0 → PARTIALLY_FILLED) in the parser.
    "REPLACED": OrderStatus.ACCEPTED,
    "REJECTED": OrderStatus.REJECTED,
    "EXPIRED": OrderStatus.EXPIRED,
    # Lossy: "inactive for today's session, may resume next day" — not terminal.
    "DONE_FOR_DAY": OrderStatus.ACCEPTED,
    # Lossy: FIX "trading stopped by exchange action", NOT "stop triggered".
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
    # rejected: "the previous ID is no longer valid once replaced", SDK orders.py replace_order);
    # the order lives on under a new clOrdId.
    "SUPERSEDED": OrderStatus.CANCELED,
}
"""FIX ``OrdStatus`` (``status`` in acks, ``ordStatus`` in ``TradeOrderV2``) → neutral status.

An absent ``ordStatus`` ("Omitted when the broker has not yet reported a status", SDK
``TradeOrderV2.ordStatus``) is handled by the parser as SUBMITTED.
"""
