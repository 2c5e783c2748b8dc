"""Explicit tables between stopkit's neutral vocabulary and B2TRADER's (pure).

Enums on the wire are PascalCase (``Buy``, ``Market``, ``Gtc``,
``WaitingForActivation``); the OpenAPI's ``Unspecified`` placeholder is never
sent (sheet §7.4). Symbols: ``marketId`` is ``{marketType}.{base}_{quote}`` in
lower case, e.g. ``spot.btc_usdt`` (sheet §3.1, §4).
"""

from __future__ import annotations

import re
from typing import Final

from stopkit.plugin import (
    InvalidOrder,
    OrderKind,
    OrderStatus,
    Side,
    TimeInForce,
    UnsupportedOrder,
)
from venues.b2trader.constants import SPOT_MARKET_TYPE, VENUE_NAME

__all__ = [
    "CHILD_ORDER_STATUS",
    "ORDER_TYPE_FROM_VENUE",
    "ORDER_TYPE_TO_VENUE",
    "SIDE_FROM_VENUE",
    "SIDE_TO_VENUE",
    "STOP_STATUS",
    "TIME_IN_FORCE_FROM_VENUE",
    "TIME_IN_FORCE_TO_VENUE",
    "market_id_for",
]

SIDE_TO_VENUE: Final[dict[Side, str]] = {Side.BUY: "Buy", Side.SELL: "Sell"}
SIDE_FROM_VENUE: Final[dict[str, Side]] = {v: k for k, v in SIDE_TO_VENUE.items()}

# A stop-market releases a Market order, a stop-limit a Limit order (sheet §3.1, §4).
ORDER_TYPE_TO_VENUE: Final[dict[OrderKind, str]] = {OrderKind.STOP_MARKET: "Market", OrderKind.STOP_LIMIT: "Limit"}
ORDER_TYPE_FROM_VENUE: Final[dict[str, OrderKind]] = {v: k for k, v in ORDER_TYPE_TO_VENUE.items()}

TIME_IN_FORCE_TO_VENUE: Final[dict[TimeInForce, str]] = {
    TimeInForce.GTC: "Gtc",
    TimeInForce.IOC: "Ioc",
    TimeInForce.FOK: "Fok",
    TimeInForce.GTD: "Gtd",  # with order.cancellationDate (sheet §3.1, §7.6)
    TimeInForce.DAY: "Day",
}
TIME_IN_FORCE_FROM_VENUE: Final[dict[str, TimeInForce]] = {v: k for k, v in TIME_IN_FORCE_TO_VENUE.items()}

STOP_STATUS: Final[dict[str, OrderStatus]] = {
    # "The order awaits the Activation price trigger." (sheet §5)
    "WaitingForActivation": OrderStatus.ACCEPTED,
    # "The Activation price has been reached, a new Market or Limit order has been placed."
    # Lossy: the fill happens on that new order, which has its own orderId and no link to
    # the stop (sheet §5, §7.11); the stop itself stays "Activated" whatever the child does.
    "Activated": OrderStatus.TRIGGERED,
    # "...reached, but an issue occurred with placing of a new Market or Limit order."
    "Rejected": OrderStatus.REJECTED,
}
"""Stop-order ``status`` → neutral status. The stop enum has only these three values;
there is no Cancelled: a cancel shows as a non-null ``cancellationDate`` (sheet §3.3, §7.10)."""

CHILD_ORDER_STATUS: Final[dict[str, OrderStatus]] = {
    # The regular-order enum, for the order a stop releases on activation (source
    # "StopOrder"; sheet §5). Seen from the stop, the child's existence means the stop fired.
    # "The order has passed preliminary checks." Lossy: not yet working, but already released.
    "Started": OrderStatus.TRIGGERED,
    # "For Limit orders: the order is waiting for a price trigger." The released limit rests.
    "Pending": OrderStatus.TRIGGERED,
    # "The order is being executed." Refined to PARTIALLY_FILLED by the parser when
    # remainingAmount < requestedAmount (there is no PartiallyFilled status; sheet §5).
    "Working": OrderStatus.TRIGGERED,
    "Completed": OrderStatus.FILLED,
    "Cancelled": OrderStatus.CANCELED,  # a partial fill before it shows in filled_quantity
    "Rejected": OrderStatus.REJECTED,
    # "Cancelled due to Time in force settings. Some part of it may have already been
    # executed." GTD and Day only; a partial fill shows in filled_quantity.
    "Expired": OrderStatus.EXPIRED,
    # Not in the current API docs' enum (sheet §5). Only the older B2Trader order-status page
    # lists it: "the order has been reverted as a result of rolling back an associated trade"
    # (LEGACY_ORDER_STATUSES_DOC_URL). Mapped conservatively to CANCELED: the order is terminal
    # and works no further. Lossy: its fill was rolled back, so the parser reports no filled
    # quantity for it (a bot must not count a reverted fill as a position) and says so in ``reason``.
    "Reverted": OrderStatus.CANCELED,
}
"""Regular (child) order ``status`` → neutral status (sheet §5; ``Reverted`` from the legacy docs)."""

# Asset ids as they appear in marketId examples (btc, usdt, eur, chf): lower-case letters and digits.
_ASSET = r"[a-z0-9]+"
_NATIVE_MARKET = re.compile(rf"(?P<type>[a-z]+)\.(?P<base>{_ASSET})_(?P<quote>{_ASSET})")
_UNIFIED_SPOT = re.compile(r"(?P<base>[A-Za-z0-9]+)/(?P<quote>[A-Za-z0-9]+)")

_SPOT_ONLY = (
    "stopkit places B2TRADER stops on SPOT markets only; the CFD and perpetual stop paths and bodies "
    "are unverified (sheet §3.2, §8.8)"
)


def market_id_for(symbol: str) -> str:
    """The SPOT ``marketId`` for ``symbol``.

    Accepts a unified spot symbol (``BTC/USDT`` → ``spot.btc_usdt``) or a native
    spot market id (``spot.btc_usdt``, returned as is). Whether the broker lists the
    market is only known from Get markets (sheet §7.12); the venue refuses unknown ones.

    Raises:
        UnsupportedOrder: a derivative symbol: a unified symbol with a settle
            currency (``BTC/USDT:USDT``) or a native id of another market type
            (``cfd.eur_chf``, ``perpetual.btc_usdt``).
        InvalidOrder: anything else that is neither form.
    """
    if ":" in symbol:
        raise UnsupportedOrder(
            f"{VENUE_NAME}: symbol {symbol!r} is a derivative (perpetual/CFD) symbol: {_SPOT_ONLY}",
            feature="market_type",
            venue=VENUE_NAME,
        )
    native = _NATIVE_MARKET.fullmatch(symbol)
    if native is not None:
        if native["type"] != SPOT_MARKET_TYPE:
            raise UnsupportedOrder(
                f"{VENUE_NAME}: market type {native['type']!r} of {symbol!r} is not supported: {_SPOT_ONLY}",
                feature=f"market_type={native['type']}",
                venue=VENUE_NAME,
            )
        return symbol
    unified = _UNIFIED_SPOT.fullmatch(symbol)
    if unified is not None:
        return f"{SPOT_MARKET_TYPE}.{unified['base'].lower()}_{unified['quote'].lower()}"
    raise InvalidOrder(
        f"{VENUE_NAME}: symbol {symbol!r} is neither a unified spot symbol like 'BTC/USDT' "
        "nor a market id like 'spot.btc_usdt'",
        field="symbol",
        venue=VENUE_NAME,
    )
