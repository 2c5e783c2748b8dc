"""Build Aries requests (pure): place, list active orders, list history, cancel, replace.

Place: ``POST /v1/orders`` with ``Authorization: Bearer <token>`` and
``Content-Type: application/json`` (https://finance.dev/api-reference/orders/place-order).
Body fields, in this order (SDK ``models/placeordrequest_union.py`` ``PlaceOrdRequest2``)::

    {"tradingAccountId":"ACC123456","symbol":"AAPL","side":"SELL","type":"STOP_LIMIT",
     "qty":"100","stopPrice":"145","price":"144.5","timeInForce":"DAY"}

``price`` only on STOP_LIMIT ("Do not send" on STOP, https://finance.dev/api-reference/orders/stop-order).
Decimals are strings in stopkit's canonical form (``145.00`` → ``"145"``). No ``clientId``: the
venue reports ``clientId`` as "OAuth client / application identifier that submitted the order"
(SDK ``TradeOrderV2.clientId``), so it cannot carry our client order id.
"""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal
from urllib.parse import quote, urlencode

from stopkit.plugin import (
    AnyStopOrder,
    ConfigurationError,
    HttpRequest,
    RequestContext,
    StopLimitOrder,
    compact_json,
    format_decimal,
)
from stopkit_venues.aries.constants import (
    CANCEL_PATH,
    ORDERS_PATH,
    PAGE_LIMIT,
    REPLACE_PATH,
    VENUE_NAME,
    active_orders_path,
    history_orders_path,
)
from stopkit_venues.aries.mapping import KIND_TO_TYPE, SIDE_TO_VENUE, TIF_EXTENDED_HOURS, TIF_TO_VENUE

__all__ = [
    "auth_headers",
    "build_active_orders_request",
    "build_cancel_request",
    "build_history_request",
    "build_place_body",
    "build_place_request",
    "build_replace_request",
    "rfc3339_utc",
    "venue_time_in_force",
]


def auth_headers(ctx: RequestContext, *, json_body: bool) -> dict[str, str]:
    """``Authorization: Bearer <token>`` (+ ``Content-Type: application/json`` for bodies).

    Raises:
        ConfigurationError: the context carries no token (the client always supplies one).
    """
    if ctx.access_token is None:
        raise ConfigurationError(f"{VENUE_NAME}: no access token for an authenticated request", venue=VENUE_NAME)
    headers = {"Authorization": f"Bearer {ctx.access_token.value}"}
    if json_body:
        headers["Content-Type"] = "application/json"
    return headers


def venue_time_in_force(order: AnyStopOrder, *, extended_hours: bool = False) -> str:
    """The ``timeInForce`` sent for a checked ``order``: DAY → ``EXTENDED_HOURS`` when ``extended_hours``."""
    value = TIF_TO_VENUE[order.time_in_force]
    return TIF_EXTENDED_HOURS if extended_hours and value == "DAY" else value


def build_place_body(order: AnyStopOrder, *, account_id: str, symbol: str, extended_hours: bool = False) -> bytes:
    """The exact ``POST /v1/orders`` body for a checked order and its native ``symbol``."""
    body: dict[str, str] = {
        "tradingAccountId": account_id,
        "symbol": symbol,
        "side": SIDE_TO_VENUE[(order.side, order.position_effect)],
        "type": KIND_TO_TYPE[order.kind],
        "qty": format_decimal(_quantity(order)),
        "stopPrice": format_decimal(order.stop_price),
    }
    if isinstance(order, StopLimitOrder):
        body["price"] = format_decimal(order.limit_price)
    body["timeInForce"] = venue_time_in_force(order, extended_hours=extended_hours)
    return compact_json(body)


def _quantity(order: AnyStopOrder) -> Decimal:
    # check_order has refused quantity=None already.
    if order.quantity is None:  # pragma: no cover - guarded by check_order
        raise ConfigurationError(f"{VENUE_NAME}: quantity is required", venue=VENUE_NAME)
    return order.quantity


def build_place_request(
    order: AnyStopOrder,
    ctx: RequestContext,
    *,
    base_url: str,
    account_id: str,
    symbol: str,
    extended_hours: bool = False,
) -> HttpRequest:
    """``POST {base_url}/v1/orders`` placing ``order`` (already checked)."""
    return HttpRequest(
        method="POST",
        url=base_url + ORDERS_PATH,
        headers=auth_headers(ctx, json_body=True),
        body=build_place_body(order, account_id=account_id, symbol=symbol, extended_hours=extended_hours),
    )


def rfc3339_utc(ms: int) -> str:
    """Unix ms → RFC 3339 UTC text with second precision, e.g. ``2026-01-15T14:30:00Z``."""
    return datetime.fromtimestamp(ms // 1000, tz=UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def build_active_orders_request(ctx: RequestContext, *, base_url: str, account_id: str, cursor: int) -> HttpRequest:
    """``GET /v2/accounts/{id}/orders?limit=500&cursor=<cursor>``: "active orders (open orders plus
    today's terminal activity)" (SDK orders.py ``list_active_orders``)."""
    query = urlencode({"limit": PAGE_LIMIT, "cursor": cursor})
    path = active_orders_path(quote(account_id, safe=""))
    return HttpRequest(method="GET", url=f"{base_url}{path}?{query}", headers=auth_headers(ctx, json_body=False))


def build_history_request(
    ctx: RequestContext, *, base_url: str, account_id: str, cursor: int, from_ms: int, to_ms: int | None = None
) -> HttpRequest:
    """``GET /v2/accounts/{id}/orders/history?from=<from>[&to=<to>]&order_by=desc&limit=500&cursor=<cursor>``.

    History is "ordered and filtered by ``order_created_at``" and "The server caps the window at
    90 days"; ``to`` "defaults to the current time" (SDK orders.py ``list_order_history``). So
    ``from_ms``/``to_ms`` (Unix ms, sent as RFC 3339 UTC seconds) bound the orders' *creation*
    times; the caller keeps each window within 90 days. ``ctx`` supplies only the token.
    """
    fields: dict[str, str | int] = {"from": rfc3339_utc(from_ms)}
    if to_ms is not None:
        fields["to"] = rfc3339_utc(to_ms)
    fields.update({"order_by": "desc", "limit": PAGE_LIMIT, "cursor": cursor})
    query = urlencode(fields)
    path = history_orders_path(quote(account_id, safe=""))
    return HttpRequest(method="GET", url=f"{base_url}{path}?{query}", headers=auth_headers(ctx, json_body=False))


def build_cancel_request(
    ctx: RequestContext,
    *,
    base_url: str,
    account_id: str,
    orig_cl_ord_id: str,
    symbol: str,
    side: str,
    security_type: str,
) -> HttpRequest:
    """``POST /v1/orders/cancel`` with ``origClOrdId, tradingAccountId, symbol, side, securityType``.

    Fields per SDK ``models/cancelordrequest_union.py`` (``CancelOrdRequest2``: ``origClOrdId``,
    ``tradingAccountId``, ``symbol``, ``side`` required) and
    https://finance.dev/api-reference/orders/cancel-order (``securityType`` ``CS``/``OPT``).
    ``side`` and ``security_type`` are the order row's own (``CS`` for an equity row).
    """
    body = compact_json(
        {
            "origClOrdId": orig_cl_ord_id,
            "tradingAccountId": account_id,
            "symbol": symbol,
            "side": side,
            "securityType": security_type,
        }
    )
    return HttpRequest(method="POST", url=base_url + CANCEL_PATH, headers=auth_headers(ctx, json_body=True), body=body)


def build_replace_request(
    ctx: RequestContext,
    *,
    base_url: str,
    account_id: str,
    orig_cl_ord_id: str,
    symbol: str,
    side: str,
    order_type: str,
    qty: Decimal | None,
    stop_price: Decimal | None,
    price: Decimal | None,
) -> HttpRequest:
    """``POST /v1/orders/replace`` (https://finance.dev/api-reference/orders/update-order; SDK
    ``models/replaceordrequest_union.py`` ``ReplaceOrdRequest2``).

    Body, in this order: ``origClOrdId`` (the order's *latest* clOrdId), ``tradingAccountId``,
    ``symbol`` (required), ``side`` and ``type`` (unchanged, restated), then only what changes:
    ``qty``, ``stopPrice``, ``price`` (``None`` = not sent)::

        {"origClOrdId":"ORDER-20260115-001","tradingAccountId":"ACC123456","symbol":"AAPL",
         "side":"SELL","type":"STOP_LIMIT","stopPrice":"140","price":"139.5"}

    Assumption (see the ledger): omitted fields keep their values. Restating the unchanged ``side`` and
    ``type`` is harmless under either reading (and keeps a stop from being re-typed); ``qty`` is
    sent only when it changes, because whether it means total or remaining quantity on a
    partly filled order is undocumented. ``timeInForce`` is never sent (it cannot be amended).
    """
    body: dict[str, str] = {
        "origClOrdId": orig_cl_ord_id,
        "tradingAccountId": account_id,
        "symbol": symbol,
        "side": side,
        "type": order_type,
    }
    if qty is not None:
        body["qty"] = format_decimal(qty)
    if stop_price is not None:
        body["stopPrice"] = format_decimal(stop_price)
    if price is not None:
        body["price"] = format_decimal(price)
    return HttpRequest(
        method="POST", url=base_url + REPLACE_PATH, headers=auth_headers(ctx, json_body=True), body=compact_json(body)
    )
