"""B2TRADER markets and precision (pure): read "Get market" (and "Get markets") answers, and check an
order against its market.

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

As a :class:`~stopkit.plugin.Market`: ``tick_size`` = ``10**-priceScale`` (which "also determines the
minimum allowed trade price": ``min_price``), ``lot_size`` = ``10**-amountScale``, ``min_quantity`` =
``minAmount``, ``max_quantity`` = ``maxBaseAmount``; unified symbol ``BASE/QUOTE`` for a SPOT market.
The order check is the core's :func:`~stopkit.plugin.check_order_fits` (the same rules and messages,
naming the nearest valid values, as on every venue that publishes rules).

"Get markets" ``GET /frontoffice/api/v5/markets`` (https://api-docs.b2trader.b2broker.com/rest-api/settings:
"detailed information about available markets ... and market specifications") lists every market; its
answer's shape is not in the retrieved documentation. **Assumption** (see the ledger): a JSON array of
objects with the "Get market" fields (an object holding exactly one such array is read too). An entry
that cannot be read is left out and named in ``reason``; an answer of another shape raises
:class:`~stopkit.plugin.ResponseShapeError` (ask for the markets by symbol instead: each is read with
the documented "Get market").
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
    Market,
    ResponseShapeError,
    parse_decimal,
)
from stopkit.plugin import (
    check_order_fits as check_market_fit,
)
from stopkit_venues.b2trader.constants import MARKET_DOC_URL, SETTINGS_DOC_URL, VENUE_NAME
from stopkit_venues.b2trader.mapping import unified_symbol
from stopkit_venues.b2trader.parse import classify_error

__all__ = [
    "MarketSpec",
    "check_order_fits",
    "decimal_places",
    "parse_market",
    "parse_market_response",
    "parse_markets_response",
    "to_market",
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
        raw: the answer's market object.
    """

    market_id: str
    price_scale: int | None = None
    amount_scale: int | None = None
    min_amount: Decimal | None = None
    max_base_amount: Decimal | None = None
    problem: str | None = None
    raw: Mapping[str, Any] = attrs.field(factory=dict, eq=False, repr=False)


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
            raw=dict(payload),
        )
    except (ValueError, ResponseShapeError) as exc:
        message = exc.message if isinstance(exc, ResponseShapeError) else str(exc)
        return MarketSpec(market_id=market_id, problem=message)


def parse_market_response(response: HttpResponse, *, market_id: str) -> MarketSpec:
    """The :class:`MarketSpec` from the answer to ``GET /frontoffice/api/v5/markets/{marketId}``.

    A 2xx whose body cannot be read gives a spec with ``problem`` (cached like any answer).

    Raises:
        RemoteError: a non-2xx answer, through :func:`stopkit_venues.b2trader.parse.classify_error` (a read);
            the place flow catches it and places without the check.
    """
    if not 200 <= response.status < 300:
        raise classify_error(response, writes=False)
    try:
        payload = response.json(venue=VENUE_NAME)
    except ResponseShapeError:
        return MarketSpec(market_id=market_id, problem="the answer is not JSON")
    return parse_market(payload, market_id=market_id)


def to_market(spec: MarketSpec) -> Market | None:
    """The neutral :class:`~stopkit.plugin.Market` of a readable spec; ``None`` for a spec with a problem."""
    if spec.problem is not None:
        return None
    tick = None if spec.price_scale is None else Decimal(1).scaleb(-spec.price_scale)
    lot = None if spec.amount_scale is None else Decimal(1).scaleb(-spec.amount_scale)
    base, quote = spec.raw.get("baseAssetId"), spec.raw.get("quoteAssetId")
    return Market(
        venue=VENUE_NAME,
        symbol=unified_symbol(spec.market_id, base=base, quote=quote),
        venue_symbol=spec.market_id,
        base=base.upper() if isinstance(base, str) and base else None,
        quote=quote.upper() if isinstance(quote, str) and quote else None,
        tick_size=tick,
        lot_size=lot,
        min_quantity=spec.min_amount,
        max_quantity=spec.max_base_amount,
        min_price=tick,
        source=MARKET_DOC_URL,
        raw=spec.raw,
    )


def parse_markets_response(response: HttpResponse) -> list[MarketSpec]:
    """The specs of every market in the answer to "Get markets" ``GET /frontoffice/api/v5/markets``
    (assumed shape: see the module docstring); an entry that cannot be read gives a spec with ``problem``.

    Raises:
        RemoteError: a non-2xx answer, through :func:`stopkit_venues.b2trader.parse.classify_error` (a read).
        ResponseShapeError: the answer is neither an array of objects nor an object holding exactly one.
    """
    if not 200 <= response.status < 300:
        raise classify_error(response, writes=False)
    payload = response.json(venue=VENUE_NAME)
    if isinstance(payload, Mapping):
        lists = [value for value in payload.values() if isinstance(value, list)]
        payload = lists[0] if len(lists) == 1 else payload
    if not isinstance(payload, list):
        raise ResponseShapeError(
            f"{VENUE_NAME}: the Get markets answer is not a list of markets (its shape is not documented, "
            f"{SETTINGS_DOC_URL}); ask for markets by symbol (each is read with Get market, {MARKET_DOC_URL})",
            venue=VENUE_NAME,
            http_status=response.status,
            raw_body=response.text()[:4096],
        )
    specs = []
    for index, entry in enumerate(payload):
        market_id = entry.get("marketId") if isinstance(entry, Mapping) else None
        if not isinstance(market_id, str) or not market_id:
            specs.append(MarketSpec(market_id=f"#{index}", problem="an entry without a marketId"))
            continue
        specs.append(parse_market(entry, market_id=market_id))
    return specs


def check_order_fits(order: AnyStopOrder, spec: MarketSpec) -> None:
    """Check ``order`` against the market's precision and size limits ("Get market" fields), through
    the core's :func:`~stopkit.plugin.check_order_fits` on :func:`to_market`.

    Rules: ``stop_price`` and ``limit_price`` are multiples of ``10**-priceScale`` (at most
    ``priceScale`` decimal places); ``quantity`` a multiple of ``10**-amountScale``, at least
    ``minAmount`` and at most ``maxBaseAmount``. A spec with a ``problem`` checks nothing.

    Raises:
        InvalidOrder: a value does not fit; the message names the nearest valid values, and a note
            the venue's field (``priceScale``, ``amountScale``, ``minAmount``, ``maxBaseAmount``).
    """
    market = to_market(spec)
    if market is None:
        return
    try:
        check_market_fit(order, market)
    except InvalidOrder as exc:
        exc.add_note(_venue_rule(exc, spec))
        raise


def _venue_rule(error: InvalidOrder, spec: MarketSpec) -> str:
    # The "Get market" field behind a refusal, in the venue's words.
    message = error.message
    if "tick_size" in message or "min_price" in message:
        return f"{spec.market_id}: priceScale={spec.price_scale} ({MARKET_DOC_URL})"
    if "lot_size" in message:
        return f"{spec.market_id}: amountScale={spec.amount_scale} ({MARKET_DOC_URL})"
    if "min_quantity" in message:
        return f"{spec.market_id}: minAmount {spec.min_amount} ({MARKET_DOC_URL})"
    return f"{spec.market_id}: maxBaseAmount {spec.max_base_amount} ({MARKET_DOC_URL})"
