"""Build B2TRADER requests from neutral orders (pure: same input, same bytes).

Place ("Place SPOT Stop order", https://api-docs.b2trader.b2broker.com/rest-api)::

    POST {base_url}/frontoffice/api/v3/stop-orders
    Authorization: Bearer <accessToken>
    accountId: <account id>
    Content-Type: application/json; x-api-version=4.0
    Accept: */*

    {"order":{"marketId":"spot.btc_usdt","side":"Buy","orderType":"Market","activationPrice":"128000",
              "requestedAmount":"0.01","timeInForce":"Ioc"}}

Keys in that order; ``requestedPrice`` only for a stop-limit (``orderType: "Limit"``; "Must be
null or omitted for Market orders"), ``cancellationDate`` only for ``Gtd``. ``activationPrice``
goes INSIDE ``order``, as the documented example sends it (the field list shows it without the
prefix). Decimals are sent as canonical strings, the declared type ("decimal string"), by
default; with ``numbers=True`` (config ``decimals_as_numbers``) as exact JSON numbers, as the
docs' example sends them, written from the ``Decimal`` itself, never through ``float``.

Time in force per order kind (:data:`~stopkit_venues.b2trader.mapping.TIME_IN_FORCE_BY_KIND`): a
stop-market releases a Market order, whose documented time in force is ``Ioc``; GTD and DAY
apply to limit orders only and are refused before any I/O for a stop-market. stopkit's default
GTC on a stop-market is sent as ``market_stop_tif`` (config ``market_stop_time_in_force``,
``Ioc`` by default).

Cancel a stop ("Cancel Stop order"): ``DELETE {base_url}/frontoffice/api/v3/stop-orders/{orderId}``
with the same four headers and no body. Cancel a regular order, e.g. the child an activated stop
released ("Cancel order"): ``DELETE {base_url}/frontoffice/api/v3/orders/{orderId}`` with
``Authorization``, ``accountId`` and ``Accept``.

Get market: ``GET {base_url}/frontoffice/api/v5/markets/{marketId}`` with ``Authorization`` and
``Accept`` (see :func:`build_market_request`).
"""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal
from typing import Any
from urllib.parse import quote

from stopkit.plugin import (
    AccessToken,
    AnyStopOrder,
    HttpRequest,
    PositionEffect,
    Side,
    StopLimitOrder,
    StopOrder,
    TimeInForce,
    UnsupportedOrder,
    compact_json,
    format_decimal,
)
from stopkit_venues.b2trader.auth import market_headers, order_cancel_headers, stop_headers
from stopkit_venues.b2trader.constants import (
    MARKETS_PATH,
    ORDERS_PATH,
    STOP_ORDERS_PATH,
    TIME_IN_FORCE_DOC_URL,
    VENUE_NAME,
)
from stopkit_venues.b2trader.mapping import (
    ORDER_TYPE_TO_VENUE,
    SIDE_TO_VENUE,
    TIME_IN_FORCE_BY_KIND,
    TIME_IN_FORCE_TO_VENUE,
    market_id_for,
)

__all__ = [
    "build_cancel_request",
    "build_market_request",
    "build_markets_request",
    "build_order_cancel_request",
    "build_place_body",
    "build_place_request",
    "check_spot_order",
    "format_cancellation_date",
]


def check_spot_order(order: AnyStopOrder) -> str:
    """Venue rules beyond :class:`~stopkit.venue.Capabilities`; returns the order's ``marketId``.

    Spot has no positions to short or reduce:

    - SELL + OPEN is a short sale → :class:`UnsupportedOrder`;
    - BUY + CLOSE would cover a short → :class:`UnsupportedOrder`;
    - BUY + OPEN, SELL + CLOSE and ``None`` are what a spot order does anyway and pass.

    The time in force must suit the order kind (:data:`~stopkit_venues.b2trader.mapping.TIME_IN_FORCE_BY_KIND`):
    a stop-market with DAY or GTD → :class:`UnsupportedOrder`.

    Raises:
        UnsupportedOrder: the pairs above; a derivative symbol (SPOT only); a time in force the
            order kind does not take.
        InvalidOrder: a symbol of neither accepted form.
    """
    if order.time_in_force not in TIME_IN_FORCE_BY_KIND[order.kind]:
        raise UnsupportedOrder(
            f"{VENUE_NAME}: time_in_force={order.time_in_force.name} does not apply to a stop-market: it releases "
            f"a Market order, which fills at once or not at all (the documented Market stop uses Ioc); GTD and DAY "
            f"apply to limit and stop-limit orders ({TIME_IN_FORCE_DOC_URL})",
            feature=f"time_in_force={order.time_in_force.name}",
            venue=VENUE_NAME,
        )
    if order.side is Side.SELL and order.position_effect is PositionEffect.OPEN:
        raise UnsupportedOrder(
            f"{VENUE_NAME}: side=SELL with position_effect=OPEN is a short sale; spot markets cannot short "
            "(sell only what you hold: position_effect=None or CLOSE)",
            feature="position_effect=OPEN",
            venue=VENUE_NAME,
        )
    if order.side is Side.BUY and order.position_effect is PositionEffect.CLOSE:
        raise UnsupportedOrder(
            f"{VENUE_NAME}: side=BUY with position_effect=CLOSE would cover a short; spot markets have no short "
            "positions (position_effect=None or OPEN)",
            feature="position_effect=CLOSE",
            venue=VENUE_NAME,
        )
    return market_id_for(order.symbol)


def format_cancellation_date(expire_at: datetime) -> str:
    """``expire_at`` in UTC as ``YYYY-MM-DDTHH:MM:SS.sssZ`` (the documented format; finer digits truncated)."""
    utc = expire_at.astimezone(UTC)
    return (
        f"{utc.year:04d}-{utc.month:02d}-{utc.day:02d}T{utc.hour:02d}:{utc.minute:02d}:{utc.second:02d}"
        f".{utc.microsecond // 1000:03d}Z"
    )


# A decimal as put into the body: the canonical string, or the Decimal itself (an exact JSON number).
def _wire_decimal(value: Decimal, numbers: bool) -> str | Decimal:
    return value if numbers else format_decimal(value)


def build_place_body(order: AnyStopOrder, *, numbers: bool = False, market_stop_tif: str = "Ioc") -> dict[str, Any]:
    """The JSON value ``{"order": {...}}`` placing ``order`` (key order as sent).

    Decimals are canonical strings (``"0.01"``), or with ``numbers=True`` the ``Decimal``
    values themselves, which :func:`stopkit.wire.compact_json` writes as exact JSON numbers.
    A stop-market with GTC (stopkit's default) sends ``market_stop_tif`` (``Ioc``: the documented
    Market stop's value).

    Raises:
        UnsupportedOrder, InvalidOrder: see :func:`check_spot_order`; ``quantity=None``.
    """
    market_id = check_spot_order(order)
    if order.quantity is None:
        raise UnsupportedOrder(
            f"{VENUE_NAME}: quantity=None (whole position) is not supported: spot has no positions; "
            "give requestedAmount in base units",
            feature="quantity=None",
            venue=VENUE_NAME,
        )
    fields: dict[str, Any] = {
        "marketId": market_id,
        "side": SIDE_TO_VENUE[order.side],
        "orderType": ORDER_TYPE_TO_VENUE[order.kind],
        "activationPrice": _wire_decimal(order.stop_price, numbers),
        "requestedAmount": _wire_decimal(order.quantity, numbers),
    }
    if isinstance(order, StopLimitOrder):
        # "Must be null or omitted for Market orders": omitted for a stop-market.
        fields["requestedPrice"] = _wire_decimal(order.limit_price, numbers)
    tif = TIME_IN_FORCE_TO_VENUE[order.time_in_force]
    if isinstance(order, StopOrder) and order.time_in_force is TimeInForce.GTC:
        tif = market_stop_tif
    fields["timeInForce"] = tif
    if order.expire_at is not None:  # only with GTD (the order model enforces it)
        fields["cancellationDate"] = format_cancellation_date(order.expire_at)
    return {"order": fields}


def build_place_request(
    order: AnyStopOrder,
    *,
    base_url: str,
    account_id: str,
    token: AccessToken | None,
    numbers: bool = False,
    market_stop_tif: str = "Ioc",
) -> HttpRequest:
    """The exact ``POST /frontoffice/api/v3/stop-orders`` placing ``order`` (``numbers``,
    ``market_stop_tif``: as :func:`build_place_body`).

    Raises:
        UnsupportedOrder, InvalidOrder: as :func:`build_place_body`.
        AuthenticationError: no access token.
    """
    body = compact_json(build_place_body(order, numbers=numbers, market_stop_tif=market_stop_tif))
    return HttpRequest(
        method="POST", url=base_url + STOP_ORDERS_PATH, headers=stop_headers(token, account_id), body=body
    )


def build_cancel_request(
    venue_order_id: str, *, base_url: str, account_id: str, token: AccessToken | None
) -> HttpRequest:
    """The exact ``DELETE /frontoffice/api/v3/stop-orders/{orderId}`` (no body; the id is percent-encoded)."""
    return HttpRequest(
        method="DELETE",
        url=f"{base_url}{STOP_ORDERS_PATH}/{quote(venue_order_id, safe='')}",
        headers=stop_headers(token, account_id),
        body=None,
    )


def build_order_cancel_request(
    venue_order_id: str, *, base_url: str, account_id: str, token: AccessToken | None
) -> HttpRequest:
    """The exact ``DELETE /frontoffice/api/v3/orders/{orderId}`` ("Cancel order"; headers as
    :func:`auth.order_cancel_headers`, no body; the id is percent-encoded)."""
    return HttpRequest(
        method="DELETE",
        url=f"{base_url}{ORDERS_PATH}/{quote(venue_order_id, safe='')}",
        headers=order_cancel_headers(token, account_id),
        body=None,
    )


def build_market_request(market_id: str, *, base_url: str, token: AccessToken | None) -> HttpRequest:
    """The exact ``GET /frontoffice/api/v5/markets/{marketId}`` ("Get market"; no query, no body;
    headers as :func:`auth.market_headers`; the id is percent-encoded)."""
    return HttpRequest(
        method="GET",
        url=f"{base_url}{MARKETS_PATH}/{quote(market_id, safe='')}",
        headers=market_headers(token),
        body=None,
    )


def build_markets_request(*, base_url: str, token: AccessToken | None) -> HttpRequest:
    """The exact ``GET /frontoffice/api/v5/markets`` ("Get markets", no query parameters: every category;
    headers as :func:`auth.market_headers`)."""
    return HttpRequest(method="GET", url=f"{base_url}{MARKETS_PATH}", headers=market_headers(token), body=None)
