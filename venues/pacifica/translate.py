"""Neutral orders → Pacifica HTTP requests (pure: same input, same bytes).

Placement: ``POST /api/v1/orders/stop/create`` (op ``create_stop_order``),
https://docs.pacifica.fi/api-documentation/api/rest-api/orders/create-stop-order.
Cancel: ``POST /api/v1/orders/stop/cancel`` (op ``cancel_stop_order``),
https://docs.pacifica.fi/api-documentation/api/rest-api/orders/cancel-stop-order.
Reads (unsigned GETs): open orders, order history, history by id, market info.
"""

from __future__ import annotations

import functools
import re
from typing import Any
from urllib.parse import urlencode

from stopkit.plugin import (
    AnyStopOrder,
    HttpRequest,
    InvalidOrder,
    PositionEffect,
    RequestContext,
    StopLimitOrder,
    UnsupportedOrder,
    compact_json,
    format_decimal,
)
from stopkit_venues.pacifica.auth import PacificaKeys, sign_payload
from stopkit_venues.pacifica.config import PacificaConfig
from stopkit_venues.pacifica.constants import (
    DOC_MARKET_SYMBOLS_URL,
    HEADER_API_KEY,
    HEADER_CONTENT_TYPE,
    JSON_CONTENT_TYPE,
    OP_CANCEL_STOP_ORDER,
    OP_CREATE_STOP_ORDER,
    PATH_MARKET_INFO,
    PATH_OPEN_ORDERS,
    PATH_ORDER_HISTORY,
    PATH_ORDER_HISTORY_BY_ID,
    PATH_STOP_CANCEL,
    PATH_STOP_CREATE,
    VENUE_NAME,
)
from stopkit_venues.pacifica.mapping import SIDE_TO_VENUE, TRIGGER_TYPE_TO_VENUE

__all__ = [
    "build_cancel_request",
    "build_history_by_id_request",
    "build_history_request",
    "build_market_info_request",
    "build_open_orders_request",
    "build_place_request",
    "cancel_payload",
    "native_symbol",
    "parse_venue_order_id",
    "place_payload",
    "validate_client_order_id",
]

# Pacifica market symbols are base tickers, case-sensitive: BTC, ETH, kBONK.
_NATIVE_SYMBOL = re.compile(r"[A-Za-z0-9]{1,32}")
# A full UUID in its 8-4-4-4-12 hex form (the venue asks for a "full UUID string").
_UUID = re.compile(r"[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}")
# Pacifica markets are linear USDC perpetuals (ccxt: BTC/USDC:USDC).
_QUOTE = "USDC"


@functools.lru_cache(maxsize=1024)
def native_symbol(symbol: str) -> str:
    """Pacifica's market symbol for a unified (``BTC/USDC:USDC``) or native (``BTC``) symbol.

    Native symbols are case-sensitive and passed as given (``kBONK``), see
    https://docs.pacifica.fi/api-documentation/api/market-symbols.

    Raises:
        UnsupportedOrder: a spot symbol (``BTC/USDC``): Pacifica lists perpetuals only.
        InvalidOrder: any other shape, or a quote/settle currency other than USDC.

    Pure, and asked about every order several times: answers are remembered (1,024 symbols;
    refusals are not).
    """
    if "/" in symbol:
        base, _, rest = symbol.partition("/")
        quote, _, settle = rest.partition(":")
        if not settle:
            raise UnsupportedOrder(
                f"{VENUE_NAME}: symbol={symbol} is a spot market; Pacifica lists USDC perpetuals only "
                f"(use {base}/{_QUOTE}:{_QUOTE})",
                feature="symbol=spot",
                venue=VENUE_NAME,
            )
        if quote != _QUOTE or settle != _QUOTE:
            raise InvalidOrder(
                f"{VENUE_NAME}: symbol {symbol!r}: Pacifica perpetuals are quoted and settled in {_QUOTE}",
                field="symbol",
                venue=VENUE_NAME,
            )
        symbol = base
    if not _NATIVE_SYMBOL.fullmatch(symbol):
        raise InvalidOrder(
            f"{VENUE_NAME}: symbol {symbol!r} is not a Pacifica market symbol (e.g. BTC, kBONK; "
            f"{DOC_MARKET_SYMBOLS_URL})",
            field="symbol",
            venue=VENUE_NAME,
        )
    return symbol


def validate_client_order_id(value: str) -> str:
    """``value`` when it is a full UUID string (``8-4-4-4-12`` hex digits).

    Raises:
        InvalidOrder: naming ``client_order_id``.
    """
    if not _UUID.fullmatch(value):
        raise InvalidOrder(
            f"{VENUE_NAME}: client_order_id must be a full UUID string "
            f"(e.g. d25ac10b-58cc-4372-a567-0e02b2c3d479), got {value!r}",
            field="client_order_id",
            venue=VENUE_NAME,
        )
    return value


def parse_venue_order_id(value: str) -> int:
    """Pacifica's integer ``order_id`` from its decimal text.

    Raises:
        InvalidOrder: ``value`` is not a non-negative decimal integer.
    """
    text = value.strip()
    if not text.isascii() or not text.isdigit():
        raise InvalidOrder(
            f"{VENUE_NAME}: venue_order_id must be Pacifica's integer order_id, got {value!r}",
            field="venue_order_id",
            venue=VENUE_NAME,
        )
    return int(text)


def place_payload(order: AnyStopOrder, *, builder_code: str | None) -> dict[str, Any]:
    """The signed fields of a stop order, in wire order.

    ``{"symbol", "side", "reduce_only", "stop_order": {"stop_price", ["limit_price"],
    "client_order_id", ["amount"], "trigger_price_type"}, ["builder_code"]}``. Optional
    fields are omitted, never ``null``; ``amount`` is omitted only for a whole-position
    (``quantity=None``) CLOSE order. Prices and amounts are canonical decimal strings.

    Raises:
        InvalidOrder, UnsupportedOrder: the order cannot be expressed.
    """
    trigger = TRIGGER_TYPE_TO_VENUE.get(order.trigger_type)
    if trigger is None:
        raise UnsupportedOrder(
            f"{VENUE_NAME}: trigger_type={order.trigger_type.name} is not supported: Pacifica triggers on "
            "mark, last trade or mid price only",
            feature=f"trigger_type={order.trigger_type.name}",
            venue=VENUE_NAME,
        )
    stop_order: dict[str, Any] = {"stop_price": format_decimal(order.stop_price)}
    if isinstance(order, StopLimitOrder):
        stop_order["limit_price"] = format_decimal(order.limit_price)
    stop_order["client_order_id"] = validate_client_order_id(order.client_order_id)
    if order.quantity is not None:
        stop_order["amount"] = format_decimal(order.quantity)
    stop_order["trigger_price_type"] = trigger
    payload: dict[str, Any] = {
        "symbol": native_symbol(order.symbol),
        "side": SIDE_TO_VENUE[order.side],
        "reduce_only": order.position_effect is PositionEffect.CLOSE,
        "stop_order": stop_order,
    }
    if builder_code is not None:
        payload["builder_code"] = builder_code
    return payload


@functools.lru_cache(maxsize=8)
def _headers(api_key: str | None, *, json_body: bool) -> dict[str, str]:
    # Content-Type on bodies; PF-API-KEY only when configured (masked in reprs and cassettes).
    # Built once per key (HttpRequest copies the mapping it is given: the cached one is never changed).
    headers: dict[str, str] = {}
    if json_body:
        headers[HEADER_CONTENT_TYPE] = JSON_CONTENT_TYPE
    if api_key is not None:
        headers[HEADER_API_KEY] = api_key
    return headers


def _signed_post(
    path: str,
    op: str,
    payload: dict[str, Any],
    ctx: RequestContext,
    *,
    keys: PacificaKeys,
    config: PacificaConfig,
    api_key: str | None,
) -> HttpRequest:
    # Signs with a timestamp from the request context, so every retry is re-stamped and re-signed.
    body = sign_payload(keys, op, payload, timestamp_ms=ctx.now_ms, expiry_window_ms=config.expiry_window_ms)
    return HttpRequest(
        method="POST", url=config.base_url + path, headers=_headers(api_key, json_body=True), body=compact_json(body)
    )


def build_place_request(
    order: AnyStopOrder, ctx: RequestContext, *, keys: PacificaKeys, config: PacificaConfig, api_key: str | None
) -> HttpRequest:
    """``POST {base_url}/api/v1/orders/stop/create`` with the signed compact-JSON body.

    Body key order: ``account, [agent_wallet], signature, timestamp, expiry_window, symbol,
    side, reduce_only, stop_order, [builder_code]``; ``timestamp`` = ``ctx.now_ms``.
    """
    payload = place_payload(order, builder_code=config.builder_code)
    return _signed_post(PATH_STOP_CREATE, OP_CREATE_STOP_ORDER, payload, ctx, keys=keys, config=config, api_key=api_key)


def cancel_payload(symbol: str, *, venue_order_id: str | None, client_order_id: str | None) -> dict[str, Any]:
    """``{"symbol", "order_id": int}`` or ``{"symbol", "client_order_id"}`` (order id preferred).

    Raises:
        InvalidOrder: no id, a non-integer order id or a non-UUID client order id.
    """
    payload: dict[str, Any] = {"symbol": native_symbol(symbol)}
    if venue_order_id:
        payload["order_id"] = parse_venue_order_id(venue_order_id)
    elif client_order_id:
        payload["client_order_id"] = validate_client_order_id(client_order_id)
    else:
        raise InvalidOrder("give venue_order_id or client_order_id", field="venue_order_id", venue=VENUE_NAME)
    return payload


def build_cancel_request(
    payload: dict[str, Any], ctx: RequestContext, *, keys: PacificaKeys, config: PacificaConfig, api_key: str | None
) -> HttpRequest:
    """``POST {base_url}/api/v1/orders/stop/cancel`` with the signed body for ``payload``."""
    return _signed_post(PATH_STOP_CANCEL, OP_CANCEL_STOP_ORDER, payload, ctx, keys=keys, config=config, api_key=api_key)


def _get(config: PacificaConfig, path: str, query: dict[str, str | int], api_key: str | None) -> HttpRequest:
    return HttpRequest(
        method="GET", url=f"{config.base_url}{path}?{urlencode(query)}", headers=_headers(api_key, json_body=False)
    )


def build_open_orders_request(*, account: str, config: PacificaConfig, api_key: str | None) -> HttpRequest:
    """``GET {base_url}/api/v1/orders?account=<account>`` (unsigned)."""
    return _get(config, PATH_OPEN_ORDERS, {"account": account}, api_key)


def build_history_request(
    *, account: str, limit: int, cursor: str | None, config: PacificaConfig, api_key: str | None
) -> HttpRequest:
    """``GET {base_url}/api/v1/orders/history?account=&limit=[&cursor=]`` (unsigned)."""
    query: dict[str, str | int] = {"account": account, "limit": limit}
    if cursor is not None:
        query["cursor"] = cursor
    return _get(config, PATH_ORDER_HISTORY, query, api_key)


def build_history_by_id_request(*, order_id: int, config: PacificaConfig, api_key: str | None) -> HttpRequest:
    """``GET {base_url}/api/v1/orders/history_by_id?order_id=<int>`` (unsigned)."""
    return _get(config, PATH_ORDER_HISTORY_BY_ID, {"order_id": order_id}, api_key)


def build_market_info_request(*, config: PacificaConfig, api_key: str | None) -> HttpRequest:
    """``GET {base_url}/api/v1/info`` (unsigned): every market's tick, lot and size rules
    (https://docs.pacifica.fi/api-documentation/api/rest-api/markets/get-market-info)."""
    return HttpRequest(
        method="GET", url=f"{config.base_url}{PATH_MARKET_INFO}", headers=_headers(api_key, json_body=False)
    )
