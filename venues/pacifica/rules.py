"""Pacifica's markets from ``GET /api/v1/info``, and a stop checked against its market's rules (pure).

Pacifica takes prices only as multiples of ``tick_size`` within ``[min_tick, max_tick]`` and
amounts only as multiples of ``lot_size``
(https://docs.pacifica.fi/api-documentation/api/tick-and-lot-size,
https://docs.pacifica.fi/api-documentation/api/rest-api/markets/get-market-info); an order
worth less than ``min_order_size`` USD is refused. For a stop the venue checks the amount and
the minimum value only when the stop triggers (pacifica-mcp ``scripts/smoke-1d.ts``): a stop
accepted today can die at its trigger with ``force_cancel``. stopkit therefore checks before
sending (the core's :func:`~stopkit.plugin.check_order_fits`, as on every venue that publishes
rules), and names the nearest valid values.

As :class:`~stopkit.plugin.Market`: ``tick_size`` → ``tick_size``, ``lot_size`` → ``lot_size``,
``min_tick``/``max_tick`` → ``min_price``/``max_price``, ``min_order_size`` (USD) →
``min_notional``; unified symbol ``<symbol>/USDC:USDC``. Only perpetuals are listed: ``/info`` rows
with ``instrument_type: spot`` (e.g. ``SOL-USDC``) are left out, since stopkit places no stop there.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable, Mapping
from decimal import ROUND_CEILING, ROUND_FLOOR, Decimal
from typing import Any

from stopkit.plugin import (
    AnyStopOrder,
    InvalidOrder,
    Market,
    Markets,
    ResponseShapeError,
    StopkitError,
    check_order_fits,
)
from stopkit_venues.pacifica.constants import DOC_MARKET_INFO_URL, VENUE_NAME
from stopkit_venues.pacifica.parse import MarketRules, market_rules
from stopkit_venues.pacifica.translate import native_symbol

__all__ = ["check_market_rules", "markets_from_info", "nearest_multiples", "to_market"]

log = logging.getLogger("stopkit.venues.pacifica")

V = VENUE_NAME
_QUOTE = "USDC"


def nearest_multiples(value: Decimal, step: Decimal) -> tuple[Decimal, Decimal]:
    """The multiples of ``step`` just below and just above ``value`` (equal when ``value`` is one)."""
    lower = (value / step).to_integral_value(rounding=ROUND_FLOOR) * step
    upper = (value / step).to_integral_value(rounding=ROUND_CEILING) * step
    return lower, upper


def to_market(rules: MarketRules) -> Market:
    """The neutral :class:`~stopkit.plugin.Market` of one ``/info`` row (a USDC perpetual)."""
    base = rules.raw.get("base_asset")
    return Market(
        venue=V,
        symbol=f"{rules.symbol}/{_QUOTE}:{_QUOTE}",
        venue_symbol=rules.symbol,
        base=base if isinstance(base, str) and base else rules.symbol,
        quote=_QUOTE,
        tick_size=rules.tick_size,
        lot_size=rules.lot_size,
        min_notional=rules.min_order_size,
        min_price=rules.min_tick,
        max_price=rules.max_tick,
        source=DOC_MARKET_INFO_URL,
        raw=rules.raw,
    )


def _is_perpetual(row: Mapping[str, Any]) -> bool:
    # A row without instrument_type (older answers) is a perpetual: Pacifica listed only perpetuals then.
    kind = row.get("instrument_type")
    return kind is None or kind == "perpetual"


def markets_from_info(rows: Mapping[str, Mapping[str, Any]], symbols: Iterable[str] | None = None) -> Markets:
    """The perpetual markets of ``GET /api/v1/info`` (rows by symbol, see
    :func:`~stopkit_venues.pacifica.parse.parse_market_info`), all or only ``symbols`` (unified or native).

    A symbol that is no Pacifica perpetual (a spot or malformed symbol) or not listed is left out; a
    malformed row is left out with a logged warning, and ``reason`` names both.
    """
    wanted: set[str] | None = None
    missing: list[str] = []
    if symbols is not None:
        wanted = set()
        for symbol in symbols:
            try:
                wanted.add(native_symbol(symbol))
            except StopkitError:
                missing.append(symbol)
    markets: list[Market] = []
    broken: list[str] = []
    for symbol, row in rows.items():
        if (wanted is not None and symbol not in wanted) or not _is_perpetual(row):
            continue
        try:
            rules = market_rules(rows, symbol)
        except ResponseShapeError as exc:
            log.warning("%s: GET /api/v1/info row %s left out: %s", V, symbol, exc.message)
            broken.append(symbol)
            continue
        if rules is not None:
            markets.append(to_market(rules))
    listed = {market.venue_symbol for market in markets} | set(broken)
    missing += sorted((wanted or set()) - listed)
    reasons = []
    if missing:
        reasons.append(f"not Pacifica perpetuals listed by GET /api/v1/info: {', '.join(missing)}")
    if broken:
        reasons.append(f"rows that could not be read: {', '.join(broken)}")
    return Markets(V, markets, reason="; ".join(reasons) or None, source=DOC_MARKET_INFO_URL)


def check_market_rules(order: AnyStopOrder, markets: Mapping[str, Mapping[str, Any]]) -> None:
    """Raise :class:`InvalidOrder` when ``order`` does not fit its market's rules.

    ``markets``: the ``GET /api/v1/info`` rows by symbol (:func:`~stopkit_venues.pacifica.parse.parse_market_info`).
    Checks ``stop_price`` and ``limit_price`` (multiple of ``tick_size``, within
    ``[min_tick, max_tick]``), ``quantity`` (multiple of ``lot_size``) and the order's value
    (``quantity`` times the limit price, or the stop price for a stop-market, at least ``min_order_size``
    USD); a whole-position order (``quantity=None``) skips the size checks. See
    :func:`stopkit.plugin.check_order_fits`.

    Raises:
        InvalidOrder: naming the field (``symbol``, ``stop_price``, ``limit_price``,
            ``quantity``) and the nearest valid values.
        ResponseShapeError: the market's row in ``/api/v1/info`` is malformed.
    """
    symbol = native_symbol(order.symbol)
    rules = market_rules(markets, symbol)
    if rules is None:
        listed = ", ".join(sorted(markets)[:12]) + (", ..." if len(markets) > 12 else "")
        raise InvalidOrder(
            f"{V}: {symbol} is not a market GET /api/v1/info lists (symbols are case-sensitive; listed: {listed}) "
            f"({DOC_MARKET_INFO_URL})",
            field="symbol",
            venue=V,
        )
    try:
        check_order_fits(order, to_market(rules))
    except InvalidOrder as exc:
        if exc.field == "quantity":
            exc.add_note(f"{V} would accept such a stop and cancel it when it triggers (force_cancel)")
        raise
