"""Build B2TRADER stop requests from neutral orders (pure: same input, same bytes).

Place (sheet §3.1; doc copy ``docs/b2trader-place-spot-stop-order.txt``)::

    POST {base_url}/frontoffice/api/v3/stop-orders
    Authorization: Bearer <accessToken>
    accountId: <account id>
    Content-Type: application/json; x-api-version=4.0
    Accept: */*

    {"order":{"marketId":"spot.btc_usdt","side":"Buy","orderType":"Market","activationPrice":"128000",
              "requestedAmount":"0.01","timeInForce":"Ioc"}}

Keys in that order; ``requestedPrice`` only for a stop-limit (``orderType: "Limit"``),
``cancellationDate`` only for ``Gtd``. ``activationPrice`` goes INSIDE ``order``, as
the documented example sends it (the field list shows it without the prefix, §3.1).
Decimals are sent as canonical strings, the declared type, by default; with
``numbers=True`` (venue config ``decimals_as_numbers``) as exact JSON numbers, as the docs'
example sends them (``"activationPrice":128000``), written by :func:`stopkit.wire.compact_json`
from the ``Decimal`` itself, never through ``float`` (sheet §8.1, [unverified] which one
brokers accept).

Cancel (sheet §3.3): ``DELETE {base_url}/frontoffice/api/v3/stop-orders/{orderId}`` with
the same four headers and no body.

Get markets (sheet §4, settings page): ``GET {base_url}/frontoffice/api/v5/markets`` with
``Authorization``, ``accountId`` and ``Accept`` and no body (see :func:`build_markets_request`).
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
    UnsupportedOrder,
    compact_json,
    format_decimal,
)
from venues.b2trader.auth import read_headers, stop_headers
from venues.b2trader.constants import MARKETS_PATH, STOP_ORDERS_PATH, VENUE_NAME
from venues.b2trader.mapping import ORDER_TYPE_TO_VENUE, SIDE_TO_VENUE, TIME_IN_FORCE_TO_VENUE, market_id_for

__all__ = [
    "build_cancel_request",
    "build_markets_request",
    "build_place_body",
    "build_place_request",
    "check_spot_order",
    "format_cancellation_date",
]


def check_spot_order(order: AnyStopOrder) -> str:
    """Venue rules beyond :class:`~stopkit.venue.Capabilities`; returns the order's ``marketId``.

    Spot has no positions to short or reduce (ARCHITECTURE §5, sheet §4):

    - SELL + OPEN is a short sale → :class:`UnsupportedOrder`;
    - BUY + CLOSE would cover a short → :class:`UnsupportedOrder`;
    - BUY + OPEN, SELL + CLOSE and ``None`` are what a spot order does anyway and pass.

    Raises:
        UnsupportedOrder: the pairs above; a derivative symbol (SPOT only, sheet §3.2).
        InvalidOrder: a symbol of neither accepted form.
    """
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
    """``expire_at`` in UTC as ``YYYY-MM-DDTHH:MM:SS.sssZ`` (milliseconds; finer digits truncated, sheet §7.6)."""
    utc = expire_at.astimezone(UTC)
    return (
        f"{utc.year:04d}-{utc.month:02d}-{utc.day:02d}T{utc.hour:02d}:{utc.minute:02d}:{utc.second:02d}"
        f".{utc.microsecond // 1000:03d}Z"
    )


# A decimal as put into the body: the canonical string, or the Decimal itself (an exact JSON number).
def _wire_decimal(value: Decimal, numbers: bool) -> str | Decimal:
    return value if numbers else format_decimal(value)


def build_place_body(order: AnyStopOrder, *, numbers: bool = False) -> dict[str, Any]:
    """The JSON value ``{"order": {...}}`` placing ``order`` (key order as sent).

    Decimals are canonical strings (``"0.01"``), or with ``numbers=True`` the ``Decimal``
    values themselves, which :func:`stopkit.wire.compact_json` writes as exact JSON numbers.

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
        # "Must be null or omitted for Market orders" (sheet §3.1): omitted for a stop-market.
        fields["requestedPrice"] = _wire_decimal(order.limit_price, numbers)
    fields["timeInForce"] = TIME_IN_FORCE_TO_VENUE[order.time_in_force]
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
) -> HttpRequest:
    """The exact ``POST /frontoffice/api/v3/stop-orders`` placing ``order`` (``numbers``: as :func:`build_place_body`).

    Raises:
        UnsupportedOrder, InvalidOrder: as :func:`build_place_body`.
        AuthenticationError: no access token.
    """
    body = compact_json(build_place_body(order, numbers=numbers))
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


def build_markets_request(*, base_url: str, account_id: str, token: AccessToken | None) -> HttpRequest:
    """The exact ``GET /frontoffice/api/v5/markets`` (no query, no body; headers as :func:`auth.read_headers`)."""
    return HttpRequest(method="GET", url=base_url + MARKETS_PATH, headers=read_headers(token, account_id), body=None)
