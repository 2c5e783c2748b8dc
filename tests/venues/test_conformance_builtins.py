"""The three built-in venues pass the same conformance kit a third-party plugin runs.

The documented value lists are copied here from the venue sheets (not from the
adapters' tables), so a table that drops or invents a value fails.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import ClassVar

from expected_tables import ARIES, B2TRADER, PACIFICA

from stopkit.testing.conformance import VenueConformance
from stopkit_venues.aries import mapping as aries
from stopkit_venues.b2trader import mapping as b2trader
from stopkit_venues.pacifica import mapping as pacifica

EnumTables = Mapping[str, tuple[Iterable[str], Mapping[str, object], Iterable[str]]]

# Pacifica's documented values (docs/venues/pacifica.md, evidence ledger: statuses, reasons, events, types).
PACIFICA_STATUSES = ("open", "partially_filled", "filled", "cancelled", "rejected")
PACIFICA_REASONS = ("cancel", "force_cancel", "expired", "post_only_rejected", "self_trade_prevented")
PACIFICA_EVENTS = (
    "make", "stop_created", "stop_triggered", "stop_upgrade", "stop_parent_order_filled", "fulfill_market",
    "fulfill_limit", "adjust", "cancel", "force_cancel", "expired", "post_only_rejected", "self_trade_prevented",
)  # fmt: skip
PACIFICA_ORDER_TYPES = (
    "limit", "market", "stop_limit", "stop_market",
    "take_profit_limit", "stop_loss_limit", "take_profit_market", "stop_loss_market",
)  # fmt: skip
PACIFICA_TRIGGERS = ("mark_price", "last_trade_price", "mid_price")

# Aries' documented values (finance-dev 0.9.0 models; docs/venues/aries.md): all 16 FIX statuses, sides, types.
ARIES_STATUSES = (
    "PENDING_NEW", "NEW", "PARTIALLY_FILLED", "FILLED", "PENDING_CANCEL", "CANCELED", "PENDING_REPLACE", "REPLACED",
    "REJECTED", "EXPIRED", "DONE_FOR_DAY", "STOPPED", "SUSPENDED", "CALCULATED", "ACCEPTED_FOR_BID", "SUPERSEDED",
)  # fmt: skip
ARIES_SIDES = ("BUY", "SELL", "SELL_SHORT", "BUY_TO_COVER")
ARIES_TYPES = ("MARKET", "LIMIT", "STOP", "STOP_LIMIT")

# B2TRADER's documented values (docs/venues/b2trader.md): stop and order statuses (Reverted from the legacy
# status page) and time in force.
B2_STOP_STATUSES = ("WaitingForActivation", "Activated", "Rejected")
B2_ORDER_STATUSES = ("Started", "Pending", "Working", "Completed", "Cancelled", "Rejected", "Expired", "Reverted")
B2_TIME_IN_FORCE = ("Gtc", "Ioc", "Fok", "Gtd", "Day")


class TestPacificaConformance(VenueConformance):
    venue = "pacifica"
    expected_tables = PACIFICA
    enum_tables: ClassVar[EnumTables] = {
        "order_status": (PACIFICA_STATUSES, pacifica.ORDER_STATUS, ()),
        "reason": (PACIFICA_REASONS, pacifica.CANCEL_REASON, ()),
        "event_type": (PACIFICA_EVENTS, pacifica.EVENT_PHASE, ()),
        "order_type": (PACIFICA_ORDER_TYPES, pacifica.ORDER_TYPE_KIND, ()),
        "side": (("bid", "ask"), pacifica.VENUE_SIDE, ()),
        "trigger_price_type": (PACIFICA_TRIGGERS, pacifica.VENUE_TRIGGER_TYPE, ()),
    }


class TestAriesConformance(VenueConformance):
    venue = "aries"
    expected_tables = ARIES
    enum_tables: ClassVar[EnumTables] = {
        "ordStatus": (ARIES_STATUSES, aries.ORDER_STATUS, ()),
        "side": (ARIES_SIDES, aries.SIDE_FROM_VENUE, ()),
        # MARKET and LIMIT are not stop orders: stopkit does not read them as stops.
        "type": (ARIES_TYPES, aries.TYPE_TO_KIND, ("MARKET", "LIMIT")),
    }


class TestB2TraderConformance(VenueConformance):
    venue = "b2trader"
    expected_tables = B2TRADER
    enum_tables: ClassVar[EnumTables] = {
        "stop status": (B2_STOP_STATUSES, b2trader.STOP_STATUS, ()),
        "order status": (B2_ORDER_STATUSES, b2trader.CHILD_ORDER_STATUS, ()),
        "side": (("Buy", "Sell"), b2trader.SIDE_FROM_VENUE, ()),
        "orderType": (("Market", "Limit"), b2trader.ORDER_TYPE_FROM_VENUE, ()),
        "timeInForce": (B2_TIME_IN_FORCE, b2trader.TIME_IN_FORCE_FROM_VENUE, ()),
    }
