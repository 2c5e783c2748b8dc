"""A stop checked against its market's rules from ``GET /api/v1/info`` (pure).

Pacifica takes prices only as multiples of ``tick_size`` within ``[min_tick, max_tick]`` and
amounts only as multiples of ``lot_size``
(https://docs.pacifica.fi/api-documentation/api/tick-and-lot-size,
https://docs.pacifica.fi/api-documentation/api/rest-api/markets/get-market-info); an order
worth less than ``min_order_size`` USD is refused. For a stop the venue checks the amount and
the minimum value only when the stop triggers (pacifica-mcp ``scripts/smoke-1d.ts``): a stop
accepted today can die at its trigger with ``force_cancel``. stopkit therefore checks before
sending, and names the nearest valid values.
"""

from __future__ import annotations

from collections.abc import Mapping
from decimal import ROUND_CEILING, ROUND_FLOOR, Decimal
from typing import Any

from stopkit.plugin import AnyStopOrder, InvalidOrder, StopLimitOrder, format_decimal
from venues.pacifica.constants import DOC_MARKET_INFO_URL, DOC_TICK_LOT_URL, VENUE_NAME
from venues.pacifica.parse import MarketRules, market_rules
from venues.pacifica.translate import native_symbol

__all__ = ["check_market_rules", "nearest_multiples"]

V = VENUE_NAME


def nearest_multiples(value: Decimal, step: Decimal) -> tuple[Decimal, Decimal]:
    """The multiples of ``step`` just below and just above ``value`` (equal when ``value`` is one)."""
    lower = (value / step).to_integral_value(rounding=ROUND_FLOOR) * step
    upper = (value / step).to_integral_value(rounding=ROUND_CEILING) * step
    return lower, upper


def _fmt(value: Decimal) -> str:
    return format_decimal(value)


def _invalid(field: str, message: str, source: str) -> InvalidOrder:
    return InvalidOrder(f"{V}: {message} ({source})", field=field, venue=V)


def _check_price(field: str, price: Decimal, rules: MarketRules) -> None:
    # A multiple of tick_size, within [min_tick, max_tick].
    tick = rules.tick_size
    lower, upper = nearest_multiples(price, tick)
    if lower != price:
        valid = [_fmt(v) for v in (lower, upper) if v > 0]
        raise _invalid(
            field,
            f"{field} {_fmt(price)} is not a multiple of {rules.symbol}'s tick_size {_fmt(tick)}; "
            f"nearest valid: {' or '.join(valid)}",
            DOC_TICK_LOT_URL,
        )
    if rules.min_tick is not None and price < rules.min_tick:
        lowest = nearest_multiples(rules.min_tick, tick)[1]
        raise _invalid(
            field,
            f"{field} {_fmt(price)} is below {rules.symbol}'s min_tick {_fmt(rules.min_tick)}; "
            f"lowest valid: {_fmt(lowest)}",
            DOC_MARKET_INFO_URL,
        )
    if rules.max_tick is not None and price > rules.max_tick:
        highest = nearest_multiples(rules.max_tick, tick)[0]
        raise _invalid(
            field,
            f"{field} {_fmt(price)} is above {rules.symbol}'s max_tick {_fmt(rules.max_tick)}; "
            f"highest valid: {_fmt(highest)}",
            DOC_MARKET_INFO_URL,
        )


def _check_quantity(order: AnyStopOrder, rules: MarketRules) -> None:
    # A multiple of lot_size, and worth at least min_order_size USD at the price the stop would
    # trade at: its limit price, or its stop price for a stop-market (an estimate: it fills at market).
    quantity = order.quantity
    if quantity is None:  # the whole position: its size is the venue's to know
        return
    lot = rules.lot_size
    lower, upper = nearest_multiples(quantity, lot)
    if lower != quantity:
        valid = [_fmt(v) for v in (lower, upper) if v > 0]
        raise _invalid(
            "quantity",
            f"quantity {_fmt(quantity)} is not a multiple of {rules.symbol}'s lot_size {_fmt(lot)}; "
            f"nearest valid: {' or '.join(valid)}",
            DOC_TICK_LOT_URL,
        )
    if rules.min_order_size is None:
        return
    price = order.limit_price if isinstance(order, StopLimitOrder) else order.stop_price
    value = quantity * price
    if value < rules.min_order_size:
        smallest = nearest_multiples(rules.min_order_size / price, lot)[1]
        price_field = "limit_price" if isinstance(order, StopLimitOrder) else "stop_price"
        raise _invalid(
            "quantity",
            f"quantity {_fmt(quantity)} at {price_field} {_fmt(price)} is worth {_fmt(value)} USD, below "
            f"{rules.symbol}'s min_order_size {_fmt(rules.min_order_size)} USD; smallest valid quantity: "
            f"{_fmt(smallest)} (the venue would accept the stop and cancel it when it triggers)",
            DOC_MARKET_INFO_URL,
        )


def check_market_rules(order: AnyStopOrder, markets: Mapping[str, Mapping[str, Any]]) -> None:
    """Raise :class:`InvalidOrder` when ``order`` does not fit its market's rules.

    ``markets``: the ``GET /api/v1/info`` rows by symbol (:func:`~venues.pacifica.parse.parse_market_info`).
    Checks ``stop_price`` and ``limit_price`` (multiple of ``tick_size``, within
    ``[min_tick, max_tick]``), ``quantity`` (multiple of ``lot_size``) and the order's value
    (``quantity`` times the limit price, or the stop price for a stop-market, at least ``min_order_size``
    USD); a whole-position order (``quantity=None``) skips the size checks.

    Raises:
        InvalidOrder: naming the field (``symbol``, ``stop_price``, ``limit_price``,
            ``quantity``) and the nearest valid values.
        ResponseShapeError: the market's row in ``/api/v1/info`` is malformed.
    """
    symbol = native_symbol(order.symbol)
    rules = market_rules(markets, symbol)
    if rules is None:
        listed = ", ".join(sorted(markets)[:12]) + (", ..." if len(markets) > 12 else "")
        raise _invalid(
            "symbol",
            f"{symbol} is not a market GET /api/v1/info lists (symbols are case-sensitive; listed: {listed})",
            DOC_MARKET_INFO_URL,
        )
    _check_price("stop_price", order.stop_price, rules)
    if isinstance(order, StopLimitOrder):
        _check_price("limit_price", order.limit_price, rules)
    _check_quantity(order, rules)
