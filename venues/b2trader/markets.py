"""B2TRADER market precision (pure): parse Get markets and check an order against one market.

``GET /frontoffice/api/v5/markets`` ("Get markets", settings page,
https://api-docs.b2trader.b2broker.com/rest-api/settings) lists the broker's markets. The
settings page gives no response example. What is assumed about the answer ([unverified]
where marked):

- the body is a JSON array of market objects, like every other list on the settings page
  (Get accounts, Get assets) [unverified]; an object wrapping the array under ``markets``,
  ``items``, ``data`` or ``result`` is accepted too, defensively;
- each market object has the fields of "Get market" (one market, [mirror]
  https://support.xbtfx.com/en/articles/13886694-rest-api-settings-get-market)::

      {"marketId": "spot.btc_usdt", "displayName": "BTC/USDT", "fullName": null,
       "baseAssetId": "btc", "quoteAssetId": "usdt", "minAmount": "0.0001",
       "maxBaseAmount": "100", "priceDeviation": "0", "priceScale": 2, "amountScale": 5}

  ``priceScale``: integer 2-8, digits after the decimal point of a price;
  ``amountScale``: integer 0-8 or null (spot only), digits of an amount;
  ``minAmount`` / ``maxBaseAmount``: decimal strings or null. Integers given as digit
  strings and decimals given as JSON numbers are accepted [unverified].

Defensive reading: entries that are not objects or carry no string ``marketId`` are
skipped; a malformed field of one market does not spoil the others, it is reported only
when an order is placed on that market (:class:`ResponseShapeError`). A null or absent
``amountScale`` / ``minAmount`` / ``maxBaseAmount`` means "no such limit" (null is documented
for non-spot markets); a ``maxBaseAmount`` of 0 is read as "no limit" too [unverified: a zero
maximum would forbid every order]. An absent ``priceScale`` skips the price check (the
venue still checks). ``priceDeviation`` is not checked: it is relative to a market price
stopkit does not know.
"""

from __future__ import annotations

from collections.abc import Mapping
from decimal import Decimal
from typing import Any

import attrs

from stopkit.plugin import (
    AnyStopOrder,
    HttpResponse,
    InvalidOrder,
    ResponseShapeError,
    StopLimitOrder,
    parse_decimal,
)
from venues.b2trader.constants import MARKET_DOC_URL, VENUE_NAME
from venues.b2trader.parse import classify_error

__all__ = [
    "MarketSpec",
    "Markets",
    "check_order_fits",
    "decimal_places",
    "parse_markets",
    "parse_markets_response",
]

# Keys under which an object-wrapped market list is looked for (defensive; the docs show none).
_LIST_KEYS = ("markets", "items", "data", "result")
# A scale beyond this is not a precision any market uses (docs: 2-8 and 0-8).
_MAX_SCALE = 18


@attrs.frozen(kw_only=True)
class MarketSpec:
    """One market's precision and size limits, as Get markets gives them.

    Fields:
        market_id: e.g. ``spot.btc_usdt``.
        price_scale: max digits after the decimal point of a price, or ``None`` (not given).
        amount_scale: max digits after the decimal point of an amount, or ``None`` (no limit).
        min_amount: smallest amount in base units, or ``None`` (no limit).
        max_base_amount: largest amount in base units, or ``None`` (no limit).
        problem: why the entry could not be read, or ``None``; an order on such a market
            raises :class:`ResponseShapeError`.
    """

    market_id: str
    price_scale: int | None = None
    amount_scale: int | None = None
    min_amount: Decimal | None = None
    max_base_amount: Decimal | None = None
    problem: str | None = None


@attrs.frozen(kw_only=True)
class Markets:
    """The parsed Get markets answer and when it was requested.

    Fields:
        by_id: ``marketId`` → :class:`MarketSpec`.
        fetched_at_ms: Unix ms when the request was built (the cache lifetime counts from it).
    """

    by_id: Mapping[str, MarketSpec]
    fetched_at_ms: int


def decimal_places(value: Decimal) -> int:
    """Digits after the decimal point that ``value`` needs: ``0.010`` → 2, ``128000.00`` → 0, ``1E+3`` → 0."""
    exponent = value.normalize().as_tuple().exponent
    if not isinstance(exponent, int):  # pragma: no cover - orders hold finite values only
        raise ValueError(f"not a finite decimal: {value}")
    return max(0, -exponent)


def _scale(value: object, field: str) -> int | None:
    # An integer scale (0.._MAX_SCALE), given as a JSON integer or a digit string; None stays None.
    if value is None:
        return None
    if isinstance(value, bool):
        raise ValueError(f"{field} is a boolean")
    if isinstance(value, str) and value.strip().isdigit():
        value = int(value.strip())
    if isinstance(value, Decimal) and value == value.to_integral_value():
        value = int(value)
    if not isinstance(value, int) or not 0 <= value <= _MAX_SCALE:
        raise ValueError(f"{field} is not an integer from 0 to {_MAX_SCALE}: {value!r}")
    return value


def _limit(entry: Mapping[str, Any], field: str, market_id: str) -> Decimal | None:
    # A non-negative decimal limit; None, "" and 0 mean "no limit".
    value = parse_decimal(entry.get(field), venue=VENUE_NAME, field=f"{market_id}.{field}", optional=True)
    if value is not None and value < 0:
        raise ValueError(f"{field} is negative: {value}")
    return value if value else None


def _spec(entry: Mapping[str, Any], market_id: str) -> MarketSpec:
    # One market entry; a malformed field becomes MarketSpec.problem instead of an error.
    try:
        return MarketSpec(
            market_id=market_id,
            price_scale=_scale(entry.get("priceScale"), "priceScale"),
            amount_scale=_scale(entry.get("amountScale"), "amountScale"),
            min_amount=_limit(entry, "minAmount", market_id),
            max_base_amount=_limit(entry, "maxBaseAmount", market_id),
        )
    except (ValueError, ResponseShapeError) as exc:
        message = exc.message if isinstance(exc, ResponseShapeError) else str(exc)
        return MarketSpec(market_id=market_id, problem=message)


def parse_markets(payload: object, *, fetched_at_ms: int) -> Markets:
    """:class:`Markets` from a parsed Get markets body (see the module docstring for the shapes read).

    Raises:
        ResponseShapeError: the body is neither a list nor an object wrapping one.
    """
    entries: object = payload
    if isinstance(payload, Mapping):
        entries = next((payload[k] for k in _LIST_KEYS if isinstance(payload.get(k), list)), None)
    if not isinstance(entries, list):
        raise ResponseShapeError(
            f"{VENUE_NAME}: the Get markets answer is not a list of markets ({MARKET_DOC_URL})", venue=VENUE_NAME
        )
    by_id: dict[str, MarketSpec] = {}
    for entry in entries:
        if not isinstance(entry, Mapping):
            continue
        market_id = entry.get("marketId")
        if isinstance(market_id, str) and market_id:
            by_id[market_id] = _spec(entry, market_id)
    return Markets(by_id=by_id, fetched_at_ms=fetched_at_ms)


def parse_markets_response(response: HttpResponse, *, fetched_at_ms: int) -> Markets:
    """:class:`Markets` from the answer to ``GET /frontoffice/api/v5/markets``.

    Raises:
        RemoteError: a non-2xx answer, through :func:`venues.b2trader.parse.classify_error` (a read).
        ResponseShapeError: a 2xx body that is not JSON or not a market list (raw body attached).
    """
    if not 200 <= response.status < 300:
        raise classify_error(response, writes=False)
    try:
        return parse_markets(response.json(venue=VENUE_NAME), fetched_at_ms=fetched_at_ms)
    except ResponseShapeError as exc:
        if exc.raw_body is None:
            exc.raw_body = response.text()
        exc.http_status = response.status
        raise


def _invalid(message: str, field: str) -> InvalidOrder:
    # An InvalidOrder of this venue naming ``field``.
    return InvalidOrder(f"{VENUE_NAME}: {message}", field=field, venue=VENUE_NAME)


def _check_places(value: Decimal, scale: int | None, *, field: str, scale_name: str, market_id: str) -> None:
    # ``value`` may have at most ``scale`` digits after the decimal point.
    if scale is not None and decimal_places(value) > scale:
        step = format(Decimal(1).scaleb(-scale), "f")
        raise _invalid(
            f"{field} {value} has {decimal_places(value)} decimal places; {market_id} allows "
            f"{scale_name}={scale} (steps of {step}); round it before placing",
            field,
        )


def check_order_fits(order: AnyStopOrder, market_id: str, markets: Markets) -> MarketSpec:
    """Check ``order`` against the market's precision and size limits; returns the market.

    Rules (Get market fields, sheet §6, §7.8): ``stop_price`` and ``limit_price`` have at
    most ``priceScale`` decimal places; ``quantity`` at most ``amountScale``, at least
    ``minAmount`` and at most ``maxBaseAmount``.

    Raises:
        InvalidOrder: the market is not listed, or a value does not fit (the message names
            the scale or limit and its value).
        ResponseShapeError: the market's entry could not be read.
    """
    spec = markets.by_id.get(market_id)
    if spec is None:
        raise _invalid(
            f"market {market_id!r} is not offered by this broker (not in Get markets; "
            f"{len(markets.by_id)} markets listed)",
            "symbol",
        )
    if spec.problem is not None:
        raise ResponseShapeError(
            f"{VENUE_NAME}: the Get markets entry of {market_id} cannot be read: {spec.problem}", venue=VENUE_NAME
        )
    _check_places(order.stop_price, spec.price_scale, field="stop_price", scale_name="priceScale", market_id=market_id)
    if isinstance(order, StopLimitOrder):
        _check_places(
            order.limit_price, spec.price_scale, field="limit_price", scale_name="priceScale", market_id=market_id
        )
    quantity = order.quantity
    if quantity is not None:
        _check_places(quantity, spec.amount_scale, field="quantity", scale_name="amountScale", market_id=market_id)
        if spec.min_amount is not None and quantity < spec.min_amount:
            raise _invalid(f"quantity {quantity} is below {market_id}'s minAmount {spec.min_amount}", "quantity")
        if spec.max_base_amount is not None and quantity > spec.max_base_amount:
            raise _invalid(
                f"quantity {quantity} is above {market_id}'s maxBaseAmount {spec.max_base_amount}", "quantity"
            )
    return spec
