"""The built-in venues' mapping tables written out literally, value by value, from each venue's documentation.

These are the oracles for :meth:`VenueConformance.test_enum_tables_hold_the_expected_values`: every value here
was read from the venue's documented meaning (the evidence ledgers in ``docs/venues/<venue>.md``), never derived
from the adapter's own tables, so a table whose value drifts (``DONE_FOR_DAY → EXPIRED``,
``post_only_rejected → CANCELED``, ``make → None``) fails.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from stopkit.orders import OrderKind, PositionEffect, Side, TimeInForce, TriggerType
from stopkit.state import OrderStatus
from stopkit_venues.aries import mapping as aries
from stopkit_venues.b2trader import mapping as b2trader
from stopkit_venues.pacifica import mapping as pacifica

S = OrderStatus
Tables = Mapping[str, tuple[Mapping[Any, object], Mapping[Any, object]]]

PACIFICA: Tables = {
    "side to venue": (pacifica.SIDE_TO_VENUE, {Side.BUY: "bid", Side.SELL: "ask"}),
    "side": (pacifica.VENUE_SIDE, {"bid": Side.BUY, "ask": Side.SELL}),
    "trigger to venue": (
        pacifica.TRIGGER_TYPE_TO_VENUE,
        {
            TriggerType.DEFAULT: "mark_price",
            TriggerType.MARK_PRICE: "mark_price",
            TriggerType.LAST_PRICE: "last_trade_price",
            TriggerType.MID_POINT: "mid_price",
        },
    ),
    "trigger_price_type": (
        pacifica.VENUE_TRIGGER_TYPE,
        {
            "mark_price": TriggerType.MARK_PRICE,
            "last_trade_price": TriggerType.LAST_PRICE,
            "mid_price": TriggerType.MID_POINT,
        },
    ),
    "order_status": (
        pacifica.ORDER_STATUS,
        {
            "open": S.ACCEPTED,
            "partially_filled": S.PARTIALLY_FILLED,
            "filled": S.FILLED,
            "cancelled": S.CANCELED,
            "rejected": S.REJECTED,
        },
    ),
    "reason": (
        pacifica.CANCEL_REASON,
        {
            "cancel": S.CANCELED,
            "force_cancel": S.CANCELED,
            "expired": S.EXPIRED,
            "post_only_rejected": S.REJECTED,
            "self_trade_prevented": S.CANCELED,
        },
    ),
    "event_type": (
        pacifica.EVENT_PHASE,
        {
            "stop_created": S.ACCEPTED,
            "stop_parent_order_filled": S.ACCEPTED,
            "stop_triggered": S.TRIGGERED,
            "stop_upgrade": S.TRIGGERED,
            "make": S.TRIGGERED,
            "fulfill_market": None,
            "fulfill_limit": None,
            "adjust": None,
            "cancel": None,
            "force_cancel": None,
            "expired": None,
            "post_only_rejected": None,
            "self_trade_prevented": None,
        },
    ),
    "terminal events": (
        pacifica.TERMINAL_EVENTS,
        {"cancel": S.CANCELED, "force_cancel": S.CANCELED, "expired": S.EXPIRED},
    ),
    "stop types": (
        pacifica.STOP_TYPE_KIND,
        {
            "stop_market": OrderKind.STOP_MARKET,
            "stop_limit": OrderKind.STOP_LIMIT,
            "take_profit_limit": OrderKind.STOP_LIMIT,
            "stop_loss_limit": OrderKind.STOP_LIMIT,
            "take_profit_market": OrderKind.STOP_MARKET,
            "stop_loss_market": OrderKind.STOP_MARKET,
        },
    ),
    "plain types": (pacifica.PLAIN_TYPE_KIND, {"limit": OrderKind.LIMIT, "market": OrderKind.MARKET}),
    "order_type": (
        pacifica.ORDER_TYPE_KIND,
        {
            "stop_market": OrderKind.STOP_MARKET,
            "stop_limit": OrderKind.STOP_LIMIT,
            "take_profit_limit": OrderKind.STOP_LIMIT,
            "stop_loss_limit": OrderKind.STOP_LIMIT,
            "take_profit_market": OrderKind.STOP_MARKET,
            "stop_loss_market": OrderKind.STOP_MARKET,
            "limit": OrderKind.LIMIT,
            "market": OrderKind.MARKET,
        },
    ),
}

ARIES: Tables = {
    "ordStatus": (
        aries.ORDER_STATUS,
        {
            "PENDING_NEW": S.SUBMITTED,
            "NEW": S.ACCEPTED,
            "PARTIALLY_FILLED": S.PARTIALLY_FILLED,
            "FILLED": S.FILLED,
            "PENDING_CANCEL": S.PENDING_CANCEL,
            "CANCELED": S.CANCELED,
            "PENDING_REPLACE": S.PENDING_UPDATE,
            "REPLACED": S.ACCEPTED,
            "REJECTED": S.REJECTED,
            "EXPIRED": S.EXPIRED,
            "DONE_FOR_DAY": S.ACCEPTED,
            "STOPPED": S.ACCEPTED,
            "SUSPENDED": S.ACCEPTED,
            "CALCULATED": S.ACCEPTED,
            "ACCEPTED_FOR_BID": S.ACCEPTED,
            "SUPERSEDED": S.CANCELED,
        },
    ),
    "side": (
        aries.SIDE_FROM_VENUE,
        {"BUY": Side.BUY, "BUY_TO_COVER": Side.BUY, "SELL": Side.SELL, "SELL_SHORT": Side.SELL},
    ),
    "side to venue": (
        aries.SIDE_TO_VENUE,
        {
            (Side.BUY, None): "BUY",
            (Side.BUY, PositionEffect.OPEN): "BUY",
            (Side.BUY, PositionEffect.CLOSE): "BUY_TO_COVER",
            (Side.SELL, None): "SELL",
            (Side.SELL, PositionEffect.CLOSE): "SELL",
            (Side.SELL, PositionEffect.OPEN): "SELL_SHORT",
        },
    ),
    "position effect": (
        aries.POSITION_EFFECT_FROM_VENUE,
        {"BUY": None, "SELL": None, "SELL_SHORT": PositionEffect.OPEN, "BUY_TO_COVER": PositionEffect.CLOSE},
    ),
    "type": (aries.TYPE_TO_KIND, {"STOP": OrderKind.STOP_MARKET, "STOP_LIMIT": OrderKind.STOP_LIMIT}),
    "type to venue": (aries.KIND_TO_TYPE, {OrderKind.STOP_MARKET: "STOP", OrderKind.STOP_LIMIT: "STOP_LIMIT"}),
    "timeInForce": (
        aries.TIF_TO_VENUE,
        {TimeInForce.DAY: "DAY", TimeInForce.GTC: "GTC", TimeInForce.IOC: "IOC", TimeInForce.FOK: "FOK"},
    ),
}

B2TRADER: Tables = {
    "side": (b2trader.SIDE_FROM_VENUE, {"Buy": Side.BUY, "Sell": Side.SELL}),
    "side to venue": (b2trader.SIDE_TO_VENUE, {Side.BUY: "Buy", Side.SELL: "Sell"}),
    "orderType": (b2trader.ORDER_TYPE_FROM_VENUE, {"Market": OrderKind.STOP_MARKET, "Limit": OrderKind.STOP_LIMIT}),
    "timeInForce": (
        b2trader.TIME_IN_FORCE_FROM_VENUE,
        {
            "Gtc": TimeInForce.GTC,
            "Ioc": TimeInForce.IOC,
            "Fok": TimeInForce.FOK,
            "Gtd": TimeInForce.GTD,
            "Day": TimeInForce.DAY,
        },
    ),
    "time in force by kind": (
        b2trader.TIME_IN_FORCE_BY_KIND,
        {
            OrderKind.STOP_MARKET: frozenset({TimeInForce.GTC, TimeInForce.IOC, TimeInForce.FOK}),
            OrderKind.STOP_LIMIT: frozenset(
                {TimeInForce.GTC, TimeInForce.IOC, TimeInForce.FOK, TimeInForce.GTD, TimeInForce.DAY}
            ),
        },
    ),
    "stop status": (
        b2trader.STOP_STATUS,
        {"WaitingForActivation": S.ACCEPTED, "Activated": S.TRIGGERED, "Rejected": S.REJECTED},
    ),
    "order status": (
        b2trader.CHILD_ORDER_STATUS,
        {
            "Started": S.TRIGGERED,
            "Pending": S.TRIGGERED,
            "Working": S.TRIGGERED,
            "Completed": S.FILLED,
            "Cancelled": S.CANCELED,
            "Rejected": S.REJECTED,
            "Expired": S.EXPIRED,
            "Reverted": S.CANCELED,
        },
    ),
}
