"""B2TRADER market precision (pure): read one "Get market" answer and check an order against it.

``GET /frontoffice/api/v5/markets/{marketId}`` ("Get market", broker knowledge base
https://support.xbtfx.com/en/articles/13886694-rest-api-settings-get-market) answers one object.
The documented fields used here::

    {"marketId": "spot.btc_usdt", "displayName": "BTC/USDT", "fullName": null,
     "baseAssetId": "btc", "quoteAssetId": "usdt", "minAmount": "0.0001",
     "maxBaseAmount": "100", "priceDeviation": "0", "priceScale": 2, "amountScale": 5}

- ``priceScale`` (integer, 2-8): digits after the decimal point of a price;
- ``amountScale`` (integer 0-8 or null, "Applicable to Spot markets only"): digits of an amount;
- ``minAmount`` ("Applicable to Spot markets only") / ``maxBaseAmount``: decimal strings or null.

**Never a guess that blocks an order.** An answer that cannot be read (not JSON, not an object,
a field of another type) gives a :class:`MarketSpec` with ``problem`` set: the order is then placed
without the client-side check (the venue still refuses a bad order) and the adapter logs a warning
once per market. Null or absent limits mean "no such limit"; a ``maxBaseAmount`` of 0 is read as
"no limit" (a zero maximum would forbid every order). A missing ``priceScale`` (documented as an
integer, never null) means the answer is not the documented one. ``priceDeviation`` is not checked: it is
relative to a market price stopkit does not know.
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
    "check_order_fits",
    "decimal_places",
    "parse_market",
    "parse_market_response",
]

# A scale beyond this is not a precision any market uses (docs: 2-8 and 0-8).
_MAX_SCALE = 18


@attrs.frozen(kw_only=True)
class MarketSpec:
    """One market's precision and size limits, as "Get market" gives them.

    Fields:
        market_id: the market asked for, e.g. ``spot.btc_usdt``.
        price_scale: max digits after the decimal point of a price, or ``None`` (not given).
        amount_scale: max digits after the decimal point of an amount, or ``None`` (no limit).
        min_amount: smallest amount in base units, or ``None`` (no limit).
        max_base_amount: largest amount in base units, or ``None`` (no limit).
        problem: why the answer could not be read, or ``None``; with a problem nothing is checked.
    """

    market_id: str
    price_scale: int | None = None
    amount_scale: int | None = None
    min_amount: Decimal | None = None
    max_base_amount: Decimal | None = None
    problem: str | None = None


def decimal_places(value: Decimal) -> int:
    """Digits after the decimal point that ``value`` needs: ``0.010`` → 2, ``128000.00`` → 0, ``1E+3`` → 0."""
    exponent = value.normalize().as_tuple().exponent
    if not isinstance(exponent, int):  # pragma: no cover - orders hold finite values only
        raise ValueError(f"not a finite decimal: {value}")
    return max(0, -exponent)


def _scale(value: object, field: str) -> int | None:
    # A documented integer scale (0.._MAX_SCALE); a digit string is accepted too; None stays None.
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


def parse_market(payload: object, *, market_id: str) -> MarketSpec:
    """The :class:`MarketSpec` of a parsed "Get market" body; never raises.

    Anything but an object whose documented fields have their documented types gives a spec with
    ``problem`` set (and no limits), so that the order is placed without the client-side check.
    """
    if not isinstance(payload, Mapping):
        return MarketSpec(market_id=market_id, problem=f"the answer is not a market object ({MARKET_DOC_URL})")
    if payload.get("priceScale") is None:
        # Documented as an integer, never null: without it this is not the documented answer.
        return MarketSpec(market_id=market_id, problem=f"the answer has no priceScale ({MARKET_DOC_URL})")
    answered = payload.get("marketId")
    if answered is not None and answered != market_id:
        return MarketSpec(market_id=market_id, problem=f"the answer describes another market: {answered!r}")
    try:
        return MarketSpec(
            market_id=market_id,
            price_scale=_scale(payload.get("priceScale"), "priceScale"),
            amount_scale=_scale(payload.get("amountScale"), "amountScale"),
            min_amount=_limit(payload, "minAmount", market_id),
            max_base_amount=_limit(payload, "maxBaseAmount", market_id),
        )
    except (ValueError, ResponseShapeError) as exc:
        message = exc.message if isinstance(exc, ResponseShapeError) else str(exc)
        return MarketSpec(market_id=market_id, problem=message)


def parse_market_response(response: HttpResponse, *, market_id: str) -> MarketSpec:
    """The :class:`MarketSpec` from the answer to ``GET /frontoffice/api/v5/markets/{marketId}``.

    A 2xx whose body cannot be read gives a spec with ``problem`` (cached like any answer).

    Raises:
        RemoteError: a non-2xx answer, through :func:`venues.b2trader.parse.classify_error` (a read);
            the place flow catches it and places without the check.
    """
    if not 200 <= response.status < 300:
        raise classify_error(response, writes=False)
    try:
        payload = response.json(venue=VENUE_NAME)
    except ResponseShapeError:
        return MarketSpec(market_id=market_id, problem="the answer is not JSON")
    return parse_market(payload, market_id=market_id)


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


def check_order_fits(order: AnyStopOrder, spec: MarketSpec) -> None:
    """Check ``order`` against the market's precision and size limits ("Get market" fields).

    Rules: ``stop_price`` and ``limit_price`` have at most ``priceScale`` decimal places;
    ``quantity`` at most ``amountScale``, at least ``minAmount`` and at most ``maxBaseAmount``.
    A spec with a ``problem`` checks nothing.

    Raises:
        InvalidOrder: a value does not fit (the message names the scale or limit and its value).
    """
    if spec.problem is not None:
        return
    market_id = spec.market_id
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
