"""Parse Aries answers (pure): order acks, ``TradeOrderV2`` rows, list pages, errors.

Shapes (SDK ``finance-dev`` 0.9.0 models; every field of every model is optional unless noted):

- ``OrdResponse`` (place ack, HTTP 200, ``models/ordresponse.py``)::

    {"success": true, "clOrdId": "ORDER-20260115-001", "status": "NEW", "symbol": "AAPL",
     "side": "BUY", "qty": "100", "cumQty": "0", "leavesQty": "100", "avgPrice": "0",
     "text": "Order accepted", "ordRejReason": "", "transactTime": "2026-01-15T14:30:05Z"}

  (verbatim, https://finance.dev/api-reference/orders/place-order);
- ``CancelOrdResponse`` ``{success, clOrdId, origClOrdId, status, text}`` and ``ReplaceOrdResponse``
  ``{success, clOrdId, origClOrdId, status, qty, price, text, transactTime}``;
- list pages ``GetOrdersV2Response``: ``{"orders": [TradeOrderV2, ...] | null, "nextCursor": int}``
  (0 = last page; ``null`` from the active list when empty, ``[]`` from the history);
- ``TradeOrderV2`` (lists and the WebSocket): ``clOrdId, ordId, accountId, clientId, symbol, side,
  type, timeInForce, qty, price, stopPrice, ordStatus?, cumQty, leavesQty, avgPrice, text,
  ordRejReason, securityType, category, legs, createdAt, updatedAt, origClOrdId?``
  (``price``/``stopPrice`` "empty or zero when not used");
- errors, two shapes and sometimes no body at all (``errors/badrequest.py``, ``errors/errorresponse.py``):
  nested ``{"error": {"type", "code", "message", "details", "request_id"}, "meta": {}}`` and
  flat ``{"error": "<text>", "codes": [{"code", "description", "field"}], "metadata": {}}``.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from decimal import Decimal
from typing import Any

import attrs

from stopkit.plugin import (
    Amendment,
    AnyStopOrder,
    AuthenticationError,
    HttpResponse,
    OrderKind,
    OrderNotFound,
    OrderRejected,
    OrderState,
    OrderStatus,
    RateLimited,
    RemoteError,
    ResponseShapeError,
    StopLimitOrder,
    UnknownVenueValue,
    VenueUnavailable,
    lookup,
    parse_decimal,
    parse_id,
    parse_iso8601,
    require_mapping,
    retry_after_s,
)
from stopkit_venues.aries.constants import (
    CHAIN_FIELD,
    SECURITY_TYPE_EQUITY,
    SECURITY_TYPE_OPTION,
    SERVER_SIDE_ERROR_TYPES,
    VENUE_NAME,
)
from stopkit_venues.aries.mapping import ORDER_STATUS, SIDE_FROM_VENUE, TYPE_TO_KIND

__all__ = [
    "OrdersPage",
    "cancel_security_type",
    "classify_error",
    "error_fields",
    "is_equity_stop_row",
    "is_option_row",
    "parse_cancel_response",
    "parse_orders_page",
    "parse_place_response",
    "parse_replace_response",
    "parse_trade_order",
    "reconcile_candidates",
    "resolve_chain",
]


@attrs.frozen(kw_only=True)
class OrdersPage:
    """One page of a list endpoint: raw ``TradeOrderV2`` objects and the next cursor (0 = none)."""

    rows: tuple[Mapping[str, Any], ...]
    next_cursor: int


# -- errors -------------------------------------------------------------------


def error_fields(body: bytes) -> tuple[str | None, str | None, str | None]:
    """``(error type, code, message)`` from either documented error shape; all ``None`` when absent.

    Nested: ``error.type``, ``error.code``, ``error.message``. Flat: type ``None``, the first
    ``codes[].code``, and ``error`` plus each ``field: description``.
    """
    try:
        data = json.loads(body)
    except (ValueError, UnicodeDecodeError):
        return None, None, None
    if not isinstance(data, dict):
        return None, None, None
    error = data.get("error")
    if isinstance(error, dict):
        etype, code, message = error.get("type"), error.get("code"), error.get("message")
        return (
            etype if isinstance(etype, str) and etype else None,
            str(code) if isinstance(code, str | int) and not isinstance(code, bool) and code != "" else None,
            message if isinstance(message, str) and message else None,
        )
    first_code: str | None = None
    parts: list[str] = [error] if isinstance(error, str) and error else []
    codes = data.get("codes")
    if isinstance(codes, list):
        for item in codes:
            if not isinstance(item, dict):
                continue
            code = item.get("code")
            if first_code is None and isinstance(code, str) and code:
                first_code = code
            description, field = item.get("description"), item.get("field")
            if isinstance(description, str) and description:
                parts.append(f"{field}: {description}" if isinstance(field, str) and field else description)
    return None, first_code, "; ".join(parts) or None


def _is_json(body: bytes) -> bool:
    # True for a body that parses as JSON.
    try:
        json.loads(body)
    except (ValueError, UnicodeDecodeError):
        return False
    return True


def classify_error(response: HttpResponse, *, writes: bool = False) -> RemoteError:
    """The stopkit error for a non-200 answer of an order or account endpoint.

    - 401 → :class:`AuthenticationError` (invalid/expired token: the client refreshes once);
    - 403 → :class:`AuthenticationError` (insufficient scope);
    - 404 → :class:`OrderNotFound`;
    - 429 → :class:`RateLimited` (``Retry-After`` seconds);
    - 5xx, or any status whose nested ``error.type`` is a server-side category (``TIMEOUT``,
      ``EXTERNAL_SERVICE``, ``SERVICE_UNAVAILABLE``, ``INTERNAL``, ``GRPC``, ``QUEUE``, ``DATABASE``,
      SDK ``models/apperror.py``) → :class:`VenueUnavailable`, ``outcome_known = not writes``
      (a write may have landed);
    - other 4xx → by the nested ``error.type`` when given (AUTHENTICATION/AUTHORIZATION,
      NOT_FOUND, RATE_LIMIT), else :class:`OrderRejected` (400 VALIDATION/BAD_REQUEST/CONFLICT);
      a non-empty body that is not JSON → :class:`ResponseShapeError`;
    - anything else → :class:`ResponseShapeError`.

    Error bodies vary and may be empty ("Do not depend on a single error JSON shape", SDK
    ``errors/badrequest.py`` and siblings): the status decides when the body says nothing.
    """
    status = response.status
    etype, code, message = error_fields(response.body)
    common: dict[str, Any] = {
        "venue": VENUE_NAME,
        "http_status": status,
        "venue_code": code,
        "venue_message": message,
        "raw_body": response.body or None,
    }
    detail = f": {message}" if message else ""
    kind = "unavailable" if etype in SERVER_SIDE_ERROR_TYPES else _KIND_BY_STATUS.get(status)
    if kind is None and 400 <= status < 500:
        kind = _KIND_BY_TYPE.get(etype or "", "rejected")
    if kind is None and status >= 500:
        kind = "unavailable"
    if kind == "auth":
        return AuthenticationError(f"{VENUE_NAME}: the access token was refused (HTTP {status}){detail}", **common)
    if kind == "scope":
        return AuthenticationError(
            f"{VENUE_NAME}: not authorized; check the token's scopes (order:execution, order:information)"
            f" and the account id (HTTP {status}){detail}",
            **common,
        )
    if kind == "rate":
        return RateLimited(
            f"{VENUE_NAME}: rate limited (HTTP {status}){detail}", retry_after_s=retry_after_s(response), **common
        )
    if kind == "unavailable":
        return VenueUnavailable(
            f"{VENUE_NAME}: venue unavailable (HTTP {status}){detail}", outcome_known=not writes, **common
        )
    if kind == "not_found":
        return OrderNotFound(f"{VENUE_NAME}: not found (HTTP {status}){detail}", **common)
    if kind == "rejected":
        if response.body.strip() and not _is_json(response.body):
            return ResponseShapeError(f"{VENUE_NAME}: HTTP {status} with a body that is not JSON", **common)
        return OrderRejected(f"{VENUE_NAME}: refused (HTTP {status}){detail}", **common)
    return ResponseShapeError(f"{VENUE_NAME}: unexpected HTTP {status}{detail}", **common)


# HTTP statuses with a fixed meaning (SDK orders.py: 401 Unauthorized, 403 Forbidden, 404 NotFound;
# 429 is retried by the SDK as a rate limit), checked after the server-side error types.
_KIND_BY_STATUS = {401: "auth", 403: "scope", 404: "not_found", 429: "rate"}
# Nested ``error.type`` values (``models/apperror.py``) refining another 4xx; the rest
# (VALIDATION, BAD_REQUEST, CONFLICT, ...) are business refusals.
_KIND_BY_TYPE = {"AUTHENTICATION": "auth", "AUTHORIZATION": "scope", "NOT_FOUND": "not_found", "RATE_LIMIT": "rate"}


# -- orders ---------------------------------------------------------------------


def _json_object(response: HttpResponse, what: str) -> Mapping[str, Any]:
    # The body as a JSON object (Decimal numbers) or ResponseShapeError carrying the body.
    return require_mapping(response.json(venue=VENUE_NAME), venue=VENUE_NAME, what=what)


def _optional_price(value: object, field: str) -> Decimal | None:
    # price/stopPrice are "empty or zero when not used" (SDK TradeOrderV2.price / .stopPrice).
    result = parse_decimal(value, venue=VENUE_NAME, field=field, optional=True)
    return None if result is None or result.is_zero() else result


def _optional_quantity(value: object, field: str) -> Decimal | None:
    # An optional decimal string (cumQty, leavesQty): absent/empty → None.
    return parse_decimal(value, venue=VENUE_NAME, field=field, optional=True)


def _average_price(value: object, filled: Decimal) -> Decimal | None:
    # avgPrice "is 0 until fills occur" (SDK OrdResponse.avgPrice): None without fills or when 0.
    price = _optional_price(value, "avgPrice")
    return price if filled > 0 else None


def _text(value: object) -> str | None:
    # A non-empty string or None.
    return value if isinstance(value, str) and value else None


def _refine_with_fills(status: OrderStatus, quantity: Decimal | None, filled: Decimal) -> OrderStatus:
    # Fills prove the trigger (Aries shows no triggered state): a working status with cumQty > 0 is
    # at least PARTIALLY_FILLED, and FILLED once cumQty reaches qty. Terminal and pending statuses stay.
    if status.is_terminal or status in (OrderStatus.PENDING_CANCEL, OrderStatus.PENDING_UPDATE) or filled <= 0:
        return status
    if quantity is not None and filled >= quantity:
        return OrderStatus.FILLED
    return OrderStatus.PARTIALLY_FILLED


def _reject_from_ack(data: Mapping[str, Any], response: HttpResponse, what: str) -> OrderRejected:
    # A 200 ack that says success:false or status REJECTED ("REJECTED — broker refused the order; see
    # ordRejReason and text", SDK OrdResponseStatus; the cancel/replace variants: "The original order
    # is unchanged").
    reason, text = _text(data.get("ordRejReason")), _text(data.get("text"))
    message = "; ".join(x for x in (reason, text) if x) or "no reason given"
    return OrderRejected(
        f"{VENUE_NAME}: {what} rejected: {message}",
        venue=VENUE_NAME,
        http_status=response.status,
        venue_code=reason,
        venue_message=text,
        raw_body=response.body,
    )


def _check_success(data: Mapping[str, Any]) -> None:
    # ``success`` is optional; when present it must be a boolean.
    if "success" in data and not isinstance(data["success"], bool):
        raise ResponseShapeError(f"{VENUE_NAME}: success is not a boolean", venue=VENUE_NAME)


def _unknown_outcome(exc: ResponseShapeError, response: HttpResponse) -> ResponseShapeError:
    # An unreadable answer to a write: the venue may have acted (reconcile before anything else).
    exc.outcome_known = False
    if exc.http_status is None:
        exc.http_status = response.status
    if exc.raw_body is None:
        exc.raw_body = response.text()[:4096]
    return exc


def parse_place_response(order: AnyStopOrder, response: HttpResponse, *, symbol: str) -> OrderState:
    """The placed order's state from the ``POST /v1/orders`` answer (``OrdResponse``).

    ``status`` NEW → ACCEPTED ("armed and waiting", stop-order page; Aries shows no trigger, so
    this also covers "triggered, not yet filled"); PENDING_NEW → SUBMITTED; an absent ``status``
    (optional in the SDK model) → SUBMITTED; ``venue_order_id`` = ``clOrdId`` ("Store this value to
    look up, replace, or cancel the order later"); ``client_order_id`` = ours (kept locally: Aries
    stores no client order id); ``average_fill_price``/``remaining_quantity`` from ``avgPrice``/``leavesQty``.

    Raises:
        OrderRejected: ``success: false`` or ``status: REJECTED`` (with ``ordRejReason``/``text``),
            or a 4xx answer.
        ResponseShapeError: an unreadable 200 answer or one without ``clOrdId``, with
            ``outcome_known=False`` (the order may exist: reconcile).
        AuthenticationError, RateLimited, VenueUnavailable, OrderNotFound: see :func:`classify_error`.
    """
    if response.status != 200:
        raise classify_error(response, writes=True)
    try:
        data = _json_object(response, "the place answer")
        if data.get("success") is False or data.get("status") == "REJECTED":
            raise _reject_from_ack(data, response, "order")
        _check_success(data)
        cl_ord_id = parse_id(data.get("clOrdId"), venue=VENUE_NAME, field="clOrdId")
        raw_status = data.get("status")
        if raw_status is None or raw_status == "":
            status, venue_status = OrderStatus.SUBMITTED, ""
        else:
            status, venue_status = lookup(ORDER_STATUS, raw_status, venue=VENUE_NAME, field="status"), str(raw_status)
        filled = _optional_quantity(data.get("cumQty"), "cumQty") or Decimal(0)
        remaining = _optional_quantity(data.get("leavesQty"), "leavesQty")
        average = _average_price(data.get("avgPrice"), filled)
        transact = parse_iso8601(_text(data.get("transactTime")), venue=VENUE_NAME, field="transactTime")
    except ResponseShapeError as exc:
        raise _unknown_outcome(exc, response) from None
    return OrderState(
        venue=VENUE_NAME,
        venue_order_id=cl_ord_id,
        client_order_id=order.client_order_id,
        symbol=symbol,
        side=order.side,
        kind=order.kind,
        status=_refine_with_fills(status, order.quantity, filled),
        venue_status=venue_status,
        quantity=order.quantity,
        filled_quantity=filled,
        stop_price=order.stop_price,
        limit_price=order.limit_price if isinstance(order, StopLimitOrder) else None,
        created_at=transact,
        updated_at=transact,
        average_fill_price=average,
        remaining_quantity=remaining,
        raw=data,
    )


def parse_orders_page(response: HttpResponse) -> OrdersPage:
    """A page of ``GET /v2/accounts/{id}/orders`` or ``.../orders/history`` (``GetOrdersV2Response``).

    ``orders`` may be ``null`` (active list) or ``[]`` (history); a missing ``nextCursor`` counts as
    0 (last page).

    Raises:
        ResponseShapeError: not a JSON object, ``orders`` not a list of objects, bad cursor.
        RemoteError: a non-200 answer, per :func:`classify_error`.
    """
    if response.status != 200:
        raise classify_error(response, writes=False)
    data = _json_object(response, "an orders page")
    orders = data.get("orders")
    if orders is None:
        orders = []
    if not isinstance(orders, list):
        raise ResponseShapeError(f"{VENUE_NAME}: orders is not a list", venue=VENUE_NAME, raw_body=response.body)
    rows = tuple(require_mapping(row, venue=VENUE_NAME, what="an order row") for row in orders)
    cursor = data.get("nextCursor")
    if cursor is None:
        next_cursor = 0
    elif isinstance(cursor, int) and not isinstance(cursor, bool) and cursor >= 0:
        next_cursor = cursor
    elif isinstance(cursor, str) and cursor.isascii() and cursor.isdigit():
        next_cursor = int(cursor)
    else:
        raise ResponseShapeError(
            f"{VENUE_NAME}: nextCursor is not a cursor: {cursor!r}", venue=VENUE_NAME, raw_body=response.body
        )
    return OrdersPage(rows=rows, next_cursor=next_cursor)


def is_option_row(row: Mapping[str, Any]) -> bool:
    """True for a ``TradeOrderV2`` row of an option order, never to be read as an equity stop.

    ``securityType`` decides when present ("EQUITY is stock or ETF; OPTION is an options
    contract", SDK ``TradeOrderV2.securityType``); without it, ``category`` (``SINGLE_LEG`` "One
    option contract", ``MULTI_LEG`` an option strategy, ``EQUITY`` "Plain stock or ETF order").
    Non-empty ``legs`` ("Per-leg details for option spreads or other multi-leg orders") are an
    option order either way. (The list-active-orders docs example pairs ``securityType: EQUITY``
    with ``category: SINGLE_LEG`` for an AAPL order: the instrument type field wins.)
    """
    legs = row.get("legs")
    if isinstance(legs, list) and legs:
        return True
    security_type = row.get("securityType")
    if security_type not in (None, ""):
        return bool(security_type != "EQUITY")
    return row.get("category") in ("SINGLE_LEG", "MULTI_LEG")


def is_equity_stop_row(row: Mapping[str, Any]) -> bool:
    """True for a row stopkit reads: an equity ``STOP``/``STOP_LIMIT`` order (not an option, not LIMIT/MARKET).
    A ``type`` that is not a string (a JSON object would not even be hashable) is not a stop."""
    order_type = row.get("type")
    return isinstance(order_type, str) and order_type in TYPE_TO_KIND and not is_option_row(row)


def cancel_security_type(row: Mapping[str, Any]) -> str:
    """The cancel request's ``securityType`` for an order row: ``CS`` for an equity, ``OPT`` for an option.

    Order rows say ``EQUITY``/``OPTION`` (SDK ``TradeOrderV2SecurityType``), cancel requests
    ``CS``/``OPT`` (SDK ``SecurityTypeEnum``, https://finance.dev/api-reference/orders/cancel-order).
    """
    return SECURITY_TYPE_OPTION if is_option_row(row) else SECURITY_TYPE_EQUITY


def parse_trade_order(row: Mapping[str, Any], *, client_order_id: str | None = None) -> OrderState:
    """An :class:`OrderState` from one ``TradeOrderV2`` object (list endpoints and WebSocket).

    - ``ordStatus`` via :data:`~stopkit_venues.aries.mapping.ORDER_STATUS`; absent/empty → SUBMITTED
      with ``venue_status=""`` ("Omitted when the broker has not yet reported a status").
      NEW (and REPLACED) stays ACCEPTED (armed or triggered: indistinguishable) until ``cumQty``
      shows fills: then PARTIALLY_FILLED, or FILLED at ``qty``.
    - ``cumQty`` → ``filled_quantity``; ``leavesQty`` → ``remaining_quantity``; ``avgPrice`` →
      ``average_fill_price`` (``None`` before fills); ``price``/``stopPrice`` ``""``/``"0"`` → ``None``.
    - The side's position effect (``SELL_SHORT``, ``BUY_TO_COVER``) stays in ``raw["side"]``.
    - ``client_order_id``: only what the caller passes. The row's ``clientId`` is the "OAuth
      client / application identifier that submitted the order" (SDK), never ours.

    Raises:
        UnknownVenueValue: an option row (``securityType``/``category``/``legs``, see
            :func:`is_option_row`), or unmapped ``ordStatus``, ``side`` or ``type`` (e.g. LIMIT: not a stop).
        ResponseShapeError: missing or malformed fields.
    """
    if is_option_row(row):
        raise UnknownVenueValue(
            f"{VENUE_NAME}: an option order (securityType {row.get('securityType')!r}, category"
            f" {row.get('category')!r}) is not an equity stop",
            field="securityType",
            raw_value=row.get("securityType"),
            venue=VENUE_NAME,
        )
    cl_ord_id = parse_id(row.get("clOrdId"), venue=VENUE_NAME, field="clOrdId")
    symbol = row.get("symbol")
    if not isinstance(symbol, str) or not symbol:
        raise ResponseShapeError(f"{VENUE_NAME}: symbol is missing", venue=VENUE_NAME)
    side = lookup(SIDE_FROM_VENUE, row.get("side"), venue=VENUE_NAME, field="side")
    kind = lookup(TYPE_TO_KIND, row.get("type"), venue=VENUE_NAME, field="type")
    raw_status = row.get("ordStatus")
    if raw_status is None or raw_status == "":
        status, venue_status = OrderStatus.SUBMITTED, ""
    else:
        status, venue_status = lookup(ORDER_STATUS, raw_status, venue=VENUE_NAME, field="ordStatus"), str(raw_status)
    quantity = parse_decimal(row.get("qty"), venue=VENUE_NAME, field="qty")
    filled = _optional_quantity(row.get("cumQty"), "cumQty") or Decimal(0)
    stop_price = _optional_price(row.get("stopPrice"), "stopPrice")
    limit_price = _optional_price(row.get("price"), "price") if kind is OrderKind.STOP_LIMIT else None
    reason = None
    if status in (OrderStatus.REJECTED, OrderStatus.CANCELED, OrderStatus.EXPIRED):
        reason = "; ".join(x for x in (_text(row.get("ordRejReason")), _text(row.get("text"))) if x) or None
    return OrderState(
        venue=VENUE_NAME,
        venue_order_id=cl_ord_id,
        client_order_id=client_order_id,
        symbol=symbol,
        side=side,
        kind=kind,
        status=_refine_with_fills(status, quantity, filled),
        venue_status=venue_status,
        quantity=quantity,
        filled_quantity=filled,
        stop_price=stop_price,
        limit_price=limit_price,
        created_at=parse_iso8601(_text(row.get("createdAt")), venue=VENUE_NAME, field="createdAt"),
        updated_at=parse_iso8601(_text(row.get("updatedAt")), venue=VENUE_NAME, field="updatedAt"),
        reason=reason,
        average_fill_price=_average_price(row.get("avgPrice"), filled),
        remaining_quantity=_optional_quantity(row.get("leavesQty"), "leavesQty"),
        raw=row,
    )


def parse_cancel_response(found: OrderState, response: HttpResponse) -> OrderState:
    """The order's state after ``POST /v1/orders/cancel`` (``CancelOrdResponse``); ``found`` is its state before.

    Answer: ``{"success": true, "clOrdId": "<cancel id>", "origClOrdId": "<order id>",
    "status": "PENDING_CANCEL" | "CANCELED" | "REJECTED", "text": ...}``, every field optional.
    The order keeps its ``venue_order_id``; ``status``/``venue_status``/``raw`` come from the answer.
    A 200 without ``status`` (or with a status other than a cancel result) is a cancel the venue
    took: PENDING_CANCEL ("cancel request accepted by the broker but not yet final. Keep
    monitoring"), never an unknown outcome.

    Raises:
        OrderRejected: REJECTED or ``success: false`` ("the cancel was refused (e.g. the order had
            already fully filled). The original order is unchanged.").
        ResponseShapeError: an answer that is not a JSON object (``outcome_known=False``).
    """
    if response.status != 200:
        raise classify_error(response, writes=True)
    try:
        data = _json_object(response, "the cancel answer")
        if data.get("success") is False or data.get("status") == "REJECTED":
            raise _reject_from_ack(data, response, "cancel")
        _check_success(data)
    except ResponseShapeError as exc:
        raise _unknown_outcome(exc, response) from None
    raw_status = data.get("status")
    status = ORDER_STATUS.get(raw_status) if isinstance(raw_status, str) else None
    if status not in (OrderStatus.CANCELED, OrderStatus.PENDING_CANCEL):
        status = OrderStatus.PENDING_CANCEL
    return attrs.evolve(
        found,
        status=status,
        venue_status=str(raw_status) if isinstance(raw_status, str) else "",
        reason=_text(data.get("text")),
        raw=data,
    )


def parse_replace_response(previous: OrderState, amendment: Amendment, response: HttpResponse) -> OrderState:
    """The order's state after ``POST /v1/orders/replace`` (``ReplaceOrdResponse``); ``previous`` is its state before.

    Answer::

        {"success": true, "clOrdId": "<new id>", "origClOrdId": "<id replaced>",
         "status": "PENDING_REPLACE" | "REPLACED" | "REJECTED", "qty": "...", "price": "...",
         "text": "Replace accepted", "transactTime": "..."}

    ``venue_order_id`` becomes the **new** ``clOrdId`` ("From now on, refer to the order by the new
    ``clOrdId``"). REPLACED → ACCEPTED (live with the new terms), or PARTIALLY_FILLED when the
    order had already filled in part (the fills stay); PENDING_REPLACE or no ``status`` →
    PENDING_UPDATE. Terms come from the answer where it states them (non-empty, non-zero), else
    from ``amendment``, else from ``previous``. ``raw`` is the answer plus
    :data:`~stopkit_venues.aries.constants.CHAIN_FIELD`: every ``clOrdId`` of the order, oldest first, so
    earlier ids stay reachable.

    Raises:
        OrderRejected: REJECTED or ``success: false`` (with ``ordRejReason``/``text``); the
            original order is unchanged ("the previous ID is no longer valid once replaced").
        ResponseShapeError: an unreadable 200 answer or one without ``clOrdId`` (``outcome_known=False``).
        RemoteError: a non-200 answer, per :func:`classify_error` (5xx: outcome unknown).
    """
    if response.status != 200:
        raise classify_error(response, writes=True)
    try:
        data = _json_object(response, "the replace answer")
        if data.get("success") is False or data.get("status") == "REJECTED":
            raise _reject_from_ack(data, response, "replace")
        _check_success(data)
        new_id = parse_id(data.get("clOrdId"), venue=VENUE_NAME, field="clOrdId")
        raw_status = data.get("status")
        if raw_status is None or raw_status == "":
            status, venue_status = OrderStatus.PENDING_UPDATE, ""
        else:
            status, venue_status = lookup(ORDER_STATUS, raw_status, venue=VENUE_NAME, field="status"), str(raw_status)
        quantity = parse_decimal(data.get("qty"), venue=VENUE_NAME, field="qty", optional=True)
        stop_price = _optional_price(data.get("stopPrice"), "stopPrice")
        limit_price = _optional_price(data.get("price"), "price")
        transact = parse_iso8601(_text(data.get("transactTime")), venue=VENUE_NAME, field="transactTime")
    except ResponseShapeError as exc:
        raise _unknown_outcome(exc, response) from None
    chain = [str(x) for x in previous.raw.get(CHAIN_FIELD) or [previous.venue_order_id] if x]
    if not chain or chain[-1] != new_id:
        chain.append(str(new_id))
    stop_limit = previous.kind is OrderKind.STOP_LIMIT
    new_quantity = quantity or amendment.quantity or previous.quantity
    filled = previous.filled_quantity
    remaining = new_quantity - filled if new_quantity is not None and new_quantity >= filled else None
    return attrs.evolve(
        previous,
        venue_order_id=new_id,
        status=_refine_with_fills(status, new_quantity, filled),
        venue_status=venue_status,
        quantity=new_quantity,
        stop_price=stop_price or amendment.stop_price or previous.stop_price,
        limit_price=(limit_price or amendment.limit_price or previous.limit_price) if stop_limit else None,
        updated_at=transact or previous.updated_at,
        reason=None,
        remaining_quantity=remaining,
        raw={**data, CHAIN_FIELD: chain},
    )


# -- chains and reconciliation (pure row selection) -------------------------------


def _row_id(row: Mapping[str, Any], field: str) -> str | None:
    # A row's clOrdId / origClOrdId as text, None when absent or empty.
    value = row.get(field)
    if isinstance(value, bool) or not isinstance(value, str | int) or value == "":
        return None
    return str(value)


def resolve_chain(
    rows: tuple[Mapping[str, Any], ...] | list[Mapping[str, Any]], cl_ord_id: str
) -> Mapping[str, Any] | None:
    """The row that is the order ``cl_ord_id`` now, following its replace chain.

    ``clOrdId`` changes on every replace, and rows name their predecessor in ``origClOrdId``
    ("Original client order ID for replace/cancel chains", SDK ``TradeOrderV2``). From
    ``cl_ord_id`` the chain is followed to the newest successor (a row whose ``origClOrdId`` is
    the current id; among several, the one not SUPERSEDED, then the last listed). Returns that
    row, or the row of ``cl_ord_id`` itself when it has no successor, or ``None`` when neither
    is in ``rows``. So an old id still finds the order after a replace, even when its own
    (SUPERSEDED) record is no longer listed.
    """
    by_id = {rid: row for row in rows if (rid := _row_id(row, "clOrdId")) is not None}
    current, visited = cl_ord_id, {cl_ord_id}
    while True:
        successors = [
            row
            for row in rows
            if _row_id(row, "origClOrdId") == current and (rid := _row_id(row, "clOrdId")) and rid not in visited
        ]
        if not successors:
            return by_id.get(current)
        live = [row for row in successors if row.get("ordStatus") != "SUPERSEDED"] or successors
        current = str(_row_id(live[-1], "clOrdId"))
        visited.add(current)


def _row_ms(row: Mapping[str, Any]) -> int | None:
    # createdAt in Unix ms, or None when absent or unreadable.
    try:
        created = parse_iso8601(_text(row.get("createdAt")), venue=VENUE_NAME, field="createdAt")
    except ResponseShapeError:
        return None
    return None if created is None else int(created.timestamp() * 1000)


def _same_decimal(value: object, expected: Decimal | None) -> bool:
    # A row's decimal string equals ``expected``; ``None`` expects "empty or zero" (unused price).
    try:
        parsed = parse_decimal(value, venue=VENUE_NAME, field="price", optional=True)
    except ResponseShapeError:
        return False
    if expected is None:
        return parsed is None or parsed.is_zero()
    return parsed == expected


def _same_terms(row: Mapping[str, Any], order: AnyStopOrder, *, symbol: str, side: str, order_type: str) -> bool:
    # The row has the order's symbol, venue side, type, quantity and prices.
    limit = order.limit_price if isinstance(order, StopLimitOrder) else None
    return (
        row.get("symbol") == symbol
        and row.get("side") == side
        and row.get("type") == order_type
        and _same_decimal(row.get("qty"), order.quantity)
        and _same_decimal(row.get("stopPrice"), order.stop_price)
        and _same_decimal(row.get("price"), limit)
    )


def reconcile_candidates(
    rows: tuple[Mapping[str, Any], ...] | list[Mapping[str, Any]],
    order: AnyStopOrder,
    *,
    symbol: str,
    side: str,
    order_type: str,
    time_in_force: str,
    not_before_ms: int,
) -> list[Mapping[str, Any]]:
    """The rows that may be ``order`` after a placement whose outcome is unknown, matched by terms only.

    Aries stores no client order id (``clientId`` is the OAuth application, SDK
    ``TradeOrderV2.clientId``), so a row qualifies when it is an equity stop with the order's
    ``symbol``, venue ``side``, ``type``, ``timeInForce``, ``qty``, ``stopPrice`` and ``price``
    (empty or zero on a STOP), ``createdAt`` at or after ``not_before_ms`` (the first send minus a
    clock-skew allowance; a row without ``createdAt`` qualifies) and not SUPERSEDED. Every
    qualifying row is returned, oldest first: the caller (the core) excludes rows another call
    owns and reports more than one as ambiguous. Never a guess between identical candidates.
    """
    candidates: list[tuple[int, Mapping[str, Any]]] = []
    for row in rows:
        if row.get("ordStatus") == "SUPERSEDED" or not is_equity_stop_row(row):
            continue
        if not _same_terms(row, order, symbol=symbol, side=side, order_type=order_type):
            continue
        if row.get("timeInForce") not in (None, "", time_in_force):
            continue
        created = _row_ms(row)
        if created is not None and created < not_before_ms:
            continue
        candidates.append((created if created is not None else not_before_ms, row))
    candidates.sort(key=lambda item: item[0])
    return [row for _, row in candidates]
