"""Build Alpaca requests (pure): place, get (by id / by client order id), list open, cancel, replace.

Every request carries the two key headers (https://docs.alpaca.markets/docs/authentication)::

    APCA-API-KEY-ID: <key id>
    APCA-API-SECRET-KEY: <secret key>

Place: ``POST /v2/orders`` with ``Content-Type: application/json`` and this body, fields in this
order (https://docs.alpaca.markets/reference/postorder)::

    {"symbol":"AAPL","qty":"10","side":"sell","type":"stop_limit","time_in_force":"day",
     "stop_price":"145","limit_price":"144.5","client_order_id":"<ours>"}

``limit_price`` only on ``stop_limit``. Quantities and prices are JSON strings in stopkit's canonical
decimal form (``145.00`` → ``"145"``), as the reference types them (``string``). No field holds a
timestamp or a nonce, so a request built twice is the same bytes: a resend is byte-identical.
"""

from __future__ import annotations

from collections.abc import Mapping
from decimal import Decimal
from urllib.parse import quote, urlencode

from stopkit.plugin import AnyStopOrder, ConfigurationError, HttpRequest, StopLimitOrder, compact_json, format_decimal

from stopkit_alpaca.constants import (
    HEADER_KEY_ID,
    HEADER_SECRET_KEY,
    LIST_LIMIT,
    ORDER_BY_CLIENT_ID_PATH,
    ORDERS_PATH,
    VENUE_NAME,
    order_path,
)
from stopkit_alpaca.mapping import KIND_TO_TYPE, SIDE_TO_VENUE, TIF_TO_VENUE

__all__ = [
    "MaskedValue",
    "auth_headers",
    "build_cancel_request",
    "build_get_by_client_id_request",
    "build_get_request",
    "build_list_open_request",
    "build_place_body",
    "build_place_request",
    "build_replace_request",
]


class MaskedValue(str):
    """A header value whose ``repr`` is ``'***'``; its text (what is sent) is unchanged.

    stopkit's :class:`HttpRequest` masks only the header names the core knows
    (``Authorization`` and a few more) in its repr; Alpaca's key headers are not among them. Wrapping
    their values keeps the secret out of ``repr(request)``, pytest's assertion output and logs of
    the request object. ``str(value)`` and the bytes on the wire are the real value.
    """

    __slots__ = ()

    def __repr__(self) -> str:
        return "'***'"


def auth_headers(*, key_id: str, secret_key: str, json_body: bool = False) -> dict[str, str]:
    """The two key headers (values masked in reprs), plus ``Content-Type`` for JSON bodies."""
    headers: dict[str, str] = {HEADER_KEY_ID: MaskedValue(key_id), HEADER_SECRET_KEY: MaskedValue(secret_key)}
    if json_body:
        headers["Content-Type"] = "application/json"
    return headers


def _quantity(order: AnyStopOrder) -> Decimal:
    # check_order refuses quantity=None (no whole-position orders on Alpaca).
    if order.quantity is None:  # pragma: no cover - guarded by check_order
        raise ConfigurationError(f"{VENUE_NAME}: quantity is required", venue=VENUE_NAME)
    return order.quantity


def build_place_body(order: AnyStopOrder, *, symbol: str) -> bytes:
    """The exact ``POST /v2/orders`` body for a checked ``order`` and its native ``symbol``."""
    body: dict[str, str] = {
        "symbol": symbol,
        "qty": format_decimal(_quantity(order)),
        "side": SIDE_TO_VENUE[order.side],
        "type": KIND_TO_TYPE[order.kind],
        "time_in_force": TIF_TO_VENUE[order.time_in_force],
        "stop_price": format_decimal(order.stop_price),
    }
    if isinstance(order, StopLimitOrder):
        body["limit_price"] = format_decimal(order.limit_price)
    # Unique per account (orders guide): a second order with this id is refused, which is what
    # makes a resend after an unknown outcome safe (see AlpacaBoundVenue.reconcile_flow).
    body["client_order_id"] = order.client_order_id
    return compact_json(body)


def build_place_request(
    order: AnyStopOrder, *, base_url: str, symbol: str, key_id: str, secret_key: str
) -> HttpRequest:
    """``POST {base_url}/v2/orders`` placing ``order`` (already checked)."""
    return HttpRequest(
        method="POST",
        url=base_url + ORDERS_PATH,
        headers=auth_headers(key_id=key_id, secret_key=secret_key, json_body=True),
        body=build_place_body(order, symbol=symbol),
    )


def build_get_request(order_id: str, *, base_url: str, key_id: str, secret_key: str) -> HttpRequest:
    """``GET {base_url}/v2/orders/{order_id}`` (https://docs.alpaca.markets/reference/getorderbyorderid)."""
    return HttpRequest(
        method="GET",
        url=base_url + order_path(quote(order_id, safe="")),
        headers=auth_headers(key_id=key_id, secret_key=secret_key),
    )


def build_get_by_client_id_request(client_order_id: str, *, base_url: str, key_id: str, secret_key: str) -> HttpRequest:
    """``GET {base_url}/v2/orders:by_client_order_id?client_order_id=<id>`` (getorderbyclientorderid)."""
    query = urlencode({"client_order_id": client_order_id})
    return HttpRequest(
        method="GET",
        url=f"{base_url}{ORDER_BY_CLIENT_ID_PATH}?{query}",
        headers=auth_headers(key_id=key_id, secret_key=secret_key),
    )


def build_list_open_request(
    *, base_url: str, key_id: str, secret_key: str, symbol: str | None = None, until: str | None = None
) -> HttpRequest:
    """``GET {base_url}/v2/orders?status=open&limit=500&direction=desc[&symbols=S][&until=T]``.

    ``until`` (RFC 3339) pages back: orders submitted before it (getallorders).
    """
    params: dict[str, str | int] = {"status": "open", "limit": LIST_LIMIT, "direction": "desc"}
    if symbol is not None:
        params["symbols"] = symbol
    if until is not None:
        params["until"] = until
    return HttpRequest(
        method="GET",
        url=f"{base_url}{ORDERS_PATH}?{urlencode(params)}",
        headers=auth_headers(key_id=key_id, secret_key=secret_key),
    )


def build_cancel_request(order_id: str, *, base_url: str, key_id: str, secret_key: str) -> HttpRequest:
    """``DELETE {base_url}/v2/orders/{order_id}`` (answer: 204, no body; deleteorderbyorderid)."""
    return HttpRequest(
        method="DELETE",
        url=base_url + order_path(quote(order_id, safe="")),
        headers=auth_headers(key_id=key_id, secret_key=secret_key),
    )


def build_replace_request(
    order_id: str, changes: Mapping[str, Decimal], *, base_url: str, key_id: str, secret_key: str
) -> HttpRequest:
    """``PATCH {base_url}/v2/orders/{order_id}`` with the changed fields only (patchorderbyorderid).

    ``changes`` maps ``qty`` / ``stop_price`` / ``limit_price`` to new values (sent as decimal
    strings, in that order).
    """
    body = {k: format_decimal(changes[k]) for k in ("qty", "stop_price", "limit_price") if k in changes}
    return HttpRequest(
        method="PATCH",
        url=base_url + order_path(quote(order_id, safe="")),
        headers=auth_headers(key_id=key_id, secret_key=secret_key, json_body=True),
        body=compact_json(body),
    )
