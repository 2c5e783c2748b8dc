"""Explicit tables between stopkit's neutral vocabulary and B2TRADER's (pure).

Enums on the wire are PascalCase (``Buy``, ``Market``, ``Gtc``,
``WaitingForActivation``), as every documented example shows
(https://api-docs.b2trader.b2broker.com/rest-api). Symbols: ``marketId`` is
``{marketType}.{baseAssetId}_{quoteAssetId}``, e.g. ``spot.btc_usdt`` ("Place SPOT Stop
order"). Sources of every table: the evidence ledger in ``docs/venues/b2trader.md``.
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
from stopkit_venues.b2trader.constants import SPOT_MARKET_TYPE, VENUE_NAME

__all__ = [
    "CHILD_KIND_OF_STOP",
    "CHILD_ORDER_STATUS",
    "CHILD_ORDER_TYPE",
    "ORDER_TYPE_FROM_VENUE",
    "ORDER_TYPE_TO_VENUE",
    "SIDE_FROM_VENUE",
    "SIDE_TO_VENUE",
    "STOP_STATUS",
    "TIME_IN_FORCE_FROM_VENUE",
    "TIME_IN_FORCE_TO_VENUE",
    "market_id_for",
    "unified_symbol",
]

SIDE_TO_VENUE: Final[dict[Side, str]] = {Side.BUY: "Buy", Side.SELL: "Sell"}
SIDE_FROM_VENUE: Final[dict[str, Side]] = {v: k for k, v in SIDE_TO_VENUE.items()}

# A stop-market releases a Market order, a stop-limit a Limit order ("Place SPOT Stop order").
ORDER_TYPE_TO_VENUE: Final[dict[OrderKind, str]] = {OrderKind.STOP_MARKET: "Market", OrderKind.STOP_LIMIT: "Limit"}
ORDER_TYPE_FROM_VENUE: Final[dict[str, OrderKind]] = {v: k for k, v in ORDER_TYPE_TO_VENUE.items()}

# A regular order (the child an activated stop released, "Cancel order", the OpenOrders stream) is a
# plain Market or Limit order: it has no trigger of its own.
CHILD_ORDER_TYPE: Final[dict[str, OrderKind]] = {"Market": OrderKind.MARKET, "Limit": OrderKind.LIMIT}
CHILD_KIND_OF_STOP: Final[dict[OrderKind, OrderKind]] = {
    OrderKind.STOP_MARKET: OrderKind.MARKET,
    OrderKind.STOP_LIMIT: OrderKind.LIMIT,
}
"""The kind of the order a stop of each kind releases."""

TIME_IN_FORCE_TO_VENUE: Final[dict[TimeInForce, str]] = {
    TimeInForce.GTC: "Gtc",
    TimeInForce.IOC: "Ioc",
    TimeInForce.FOK: "Fok",
    TimeInForce.GTD: "Gtd",  # with order.cancellationDate ("Required if timeInForce is set to Gtd")
    TimeInForce.DAY: "Day",
}
TIME_IN_FORCE_FROM_VENUE: Final[dict[str, TimeInForce]] = {v: k for k, v in TIME_IN_FORCE_TO_VENUE.items()}

TIME_IN_FORCE_BY_KIND: Final[dict[OrderKind, frozenset[TimeInForce]]] = {
    # The order a stop-market releases is a Market order: the documented Market stop sends "Ioc"
    # ("Place SPOT Stop order" example); FOK ("filled instantly or killed") is immediate too (time-in-force
    # knowledge base). GTD and DAY keep an order resting, which applies to limit orders only. GTC, stopkit's
    # default, is sent as the config ``market_stop_time_in_force`` (Ioc by default; see adapter).
    OrderKind.STOP_MARKET: frozenset({TimeInForce.GTC, TimeInForce.IOC, TimeInForce.FOK}),
    # A stop-limit releases a Limit order: every documented value (Gtc, Ioc, Fok, Gtd, Day).
    OrderKind.STOP_LIMIT: frozenset(TIME_IN_FORCE_TO_VENUE),
}
"""Which time in force each order kind may carry; others raise UnsupportedOrder before any I/O."""

STOP_STATUS: Final[dict[str, OrderStatus]] = {
    # "The order awaits the Activation price trigger." (order-statuses page)
    "WaitingForActivation": OrderStatus.ACCEPTED,
    # "The Activation price has been reached, a new Market or Limit order has been placed."
    # Lossy: the fill happens on that new order, which has its own orderId and no link to
    # the stop; the stop itself stays "Activated" whatever the child does.
    "Activated": OrderStatus.TRIGGERED,
    # "...reached, but an issue occurred with placing of a new Market or Limit order."
    "Rejected": OrderStatus.REJECTED,
}
"""Stop-order ``status`` → neutral status. The stop enum has only these three values and no
Cancelled; a 200 answer to the cancel DELETE is what proves a cancel (see parse.parse_stop_order)."""

CHILD_ORDER_STATUS: Final[dict[str, OrderStatus]] = {
    # The regular-order enum, for the order a stop releases on activation (source
    # "StopOrder"; order-statuses page). Seen from the stop, the child's existence means the stop fired.
    # "The order has passed preliminary checks." Lossy: not yet working, but already released.
    "Started": OrderStatus.TRIGGERED,
    # "For Limit orders: the order is waiting for a price trigger." The released limit rests.
    "Pending": OrderStatus.TRIGGERED,
    # "The order is being executed." Refined to PARTIALLY_FILLED by the parser when
    # remainingAmount < requestedAmount (there is no PartiallyFilled status).
    "Working": OrderStatus.TRIGGERED,
    "Completed": OrderStatus.FILLED,
    "Cancelled": OrderStatus.CANCELED,  # a partial fill before it shows in filled_quantity
    "Rejected": OrderStatus.REJECTED,
    # "Cancelled due to Time in force settings. Some part of it may have already been
    # executed." GTD and Day only; a partial fill shows in filled_quantity.
    "Expired": OrderStatus.EXPIRED,
    # Not in the current API docs' enum. Only the older B2Trader order-status page
    # lists it: "the order has been reverted as a result of rolling back an associated trade"
    # (LEGACY_ORDER_STATUSES_DOC_URL). Mapped conservatively to CANCELED: the order is terminal
    # and works no further. Lossy: its fill was rolled back, so the parser reports no filled
    # quantity for it (a bot must not count a reverted fill as a position) and says so in ``reason``.
    "Reverted": OrderStatus.CANCELED,
}
"""Regular (child) order ``status`` → neutral status (order-statuses page; ``Reverted`` from the legacy docs)."""

OPEN_CHILD_STATUSES: Final = frozenset({"Started", "Pending", "Working"})
"""The statuses the ``OpenOrders`` stream documents for its items (B2PRIME "Get open orders")."""

# The documented pattern {marketType}.{baseAssetId}_{quoteAssetId}: only the "." after the type and a
# "_" somewhere after it are required; asset ids are broker-defined, so their characters are not
# restricted beyond "no whitespace, '/' or ':'" (which would make another symbol form).
_NATIVE_MARKET = re.compile(r"(?P<type>[A-Za-z]+)\.(?P<pair>[^\s/:]*[^\s/:_]_[^\s/:]+)")
_UNIFIED_SPOT = re.compile(r"(?P<base>[^\s/:]+)/(?P<quote>[^\s/:]+)")

_SPOT_ONLY = (
    "stopkit places B2TRADER stops on SPOT markets only: the perpetual stop body differs (lots, leverage) "
    "and no CFD stop path is documented (see docs/venues/b2trader.md)"
)


def market_id_for(symbol: str) -> str:
    """The SPOT ``marketId`` for ``symbol``.

    Accepts a unified spot symbol (``BTC/USDT`` → ``spot.btc_usdt``) or a native
    spot market id (``spot.btc_usdt``, returned as is). A unified symbol is lower-cased, as
    every documented ``marketId`` is. Whether the broker offers the market is known only to
    the broker ("Get market"); the venue refuses unknown ones.

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
        if native["type"].lower() != SPOT_MARKET_TYPE:
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


def unified_symbol(market_id: str, *, base: object = None, quote: object = None) -> str:
    """The unified symbol of a SPOT ``marketId`` (``spot.btc_usdt`` → ``BTC/USDT``), from its
    ``baseAssetId``/``quoteAssetId`` when given, else from the id when its pair has exactly one ``_``;
    any other id (another market type, an ambiguous pair) is returned as is."""
    native = _NATIVE_MARKET.fullmatch(market_id)
    if native is None or native["type"].lower() != SPOT_MARKET_TYPE:
        return market_id
    if isinstance(base, str) and base and isinstance(quote, str) and quote:
        return f"{base.upper()}/{quote.upper()}"
    parts = native["pair"].split("_")
    if len(parts) != 2:
        return market_id
    return f"{parts[0].upper()}/{parts[1].upper()}"
