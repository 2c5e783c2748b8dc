"""Parse Aries answers (pure): order acks, ``TradeOrderV2`` rows, list pages, errors.

Shapes (sheet §3, §6):

- ``OrdResponse`` (place, cancel and replace acks, HTTP 200)::

    {"success": true, "clOrdId": "ORDER-20260115-001", "status": "NEW", "symbol": "AAPL",
     "side": "BUY", "qty": "100", "cumQty": "0", "leavesQty": "100", "avgPrice": "0",
     "text": "Order accepted", "ordRejReason": "", "transactTime": "2026-01-15T14:30:05Z"}

- list pages: ``{"orders": [TradeOrderV2, ...] | null, "nextCursor": int}`` (0 = last page);
- ``TradeOrderV2``: ``clOrdId, ordId, accountId, clientId, symbol, side, type, timeInForce,
  qty, price, stopPrice, ordStatus?, cumQty, leavesQty, avgPrice, text, ordRejReason,
  createdAt, updatedAt, ...`` (``price``/``stopPrice`` are ``""`` or ``"0"`` when unused);
- errors, two shapes and sometimes no body at all:
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
    VenueUnavailable,
    lookup,
    parse_decimal,
    parse_id,
    parse_iso8601,
    require_mapping,
    retry_after_s,
)
from venues.aries.constants import CHAIN_FIELD, VENUE_NAME
from venues.aries.mapping import ORDER_STATUS, SIDE_FROM_VENUE, TYPE_TO_KIND

__all__ = [
    "OrdersPage",
    "classify_error",
    "error_fields",
    "parse_cancel_response",
    "parse_orders_page",
    "parse_place_response",
    "parse_replace_response",
    "parse_trade_order",
    "reconcile_match",
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
    - 5xx → :class:`VenueUnavailable`, ``outcome_known = not writes`` (a write may have landed);
    - other 4xx → by the nested ``error.type`` when given (AUTHENTICATION/AUTHORIZATION,
      NOT_FOUND, RATE_LIMIT), else :class:`OrderRejected` (400 VALIDATION/BAD_REQUEST/CONFLICT);
      a non-empty body that is not JSON → :class:`ResponseShapeError`;
    - anything else → :class:`ResponseShapeError`.

    Error bodies vary and may be empty (sheet §6): the status decides when the body says nothing.
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
    kind = _KIND_BY_STATUS.get(status)
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


# HTTP statuses with a fixed meaning (sheet §6), checked before the body's error type.
_KIND_BY_STATUS = {401: "auth", 403: "scope", 404: "not_found", 429: "rate"}
# Nested ``error.type`` values (``models/apperror.py``) refining another 4xx; the rest
# (VALIDATION, BAD_REQUEST, CONFLICT, ...) are business refusals.
_KIND_BY_TYPE = {"AUTHENTICATION": "auth", "AUTHORIZATION": "scope", "NOT_FOUND": "not_found", "RATE_LIMIT": "rate"}


# -- orders ---------------------------------------------------------------------


def _json_object(response: HttpResponse, what: str) -> Mapping[str, Any]:
    # The body as a JSON object (Decimal numbers) or ResponseShapeError carrying the body.
    return require_mapping(response.json(venue=VENUE_NAME), venue=VENUE_NAME, what=what)


def _optional_price(value: object, field: str) -> Decimal | None:
    # price/stopPrice are "empty or zero when not used" (sheet §3.4).
    result = parse_decimal(value, venue=VENUE_NAME, field=field, optional=True)
    return None if result is None or result.is_zero() else result


def _text(value: object) -> str | None:
    # A non-empty string or None.
    return value if isinstance(value, str) and value else None


def _refine_with_fills(status: OrderStatus, quantity: Decimal | None, filled: Decimal) -> OrderStatus:
    # Fills prove the trigger (sheet §5): a working status with cumQty > 0 is at least
    # PARTIALLY_FILLED, and FILLED once cumQty reaches qty. Terminal statuses stay.
    if status.is_terminal or status in (OrderStatus.PENDING_CANCEL, OrderStatus.PENDING_UPDATE) or filled <= 0:
        return status
    if quantity is not None and filled >= quantity:
        return OrderStatus.FILLED
    return OrderStatus.PARTIALLY_FILLED


def _reject_from_ack(data: Mapping[str, Any], response: HttpResponse, what: str) -> OrderRejected:
    # A 200 ack that says success:false or status REJECTED (sheet §8.5: handle both).
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


def parse_place_response(order: AnyStopOrder, response: HttpResponse, *, symbol: str) -> OrderState:
    """The placed order's state from the ``POST /v1/orders`` answer.

    ``status`` NEW → ACCEPTED ("armed and waiting", stop-order page; Aries shows no trigger, so
    this also covers "triggered, not yet filled"); ``venue_order_id`` = ``clOrdId`` (assigned
    by Aries); ``client_order_id`` = ours (kept locally; ``clientId`` is only a tag).

    Raises:
        OrderRejected: ``success: false`` or ``status: REJECTED`` (with ``ordRejReason``/``text``),
            or a 4xx answer.
        ResponseShapeError: an unreadable 200 answer, with ``outcome_known=False`` (the order
            may exist: reconcile through the active-orders list).
        AuthenticationError, RateLimited, VenueUnavailable, OrderNotFound: see :func:`classify_error`.
    """
    if response.status != 200:
        raise classify_error(response, writes=True)
    try:
        data = _json_object(response, "the place answer")
        if data.get("success") is False or data.get("status") == "REJECTED":
            raise _reject_from_ack(data, response, "order")
        if "success" in data and not isinstance(data["success"], bool):
            raise ResponseShapeError(f"{VENUE_NAME}: success is not a boolean", venue=VENUE_NAME)
        cl_ord_id = parse_id(data.get("clOrdId"), venue=VENUE_NAME, field="clOrdId")
        raw_status = data.get("status")
        status = lookup(ORDER_STATUS, raw_status, venue=VENUE_NAME, field="status")
        filled = parse_decimal(data.get("cumQty"), venue=VENUE_NAME, field="cumQty", optional=True) or Decimal(0)
        transact = parse_iso8601(_text(data.get("transactTime")), venue=VENUE_NAME, field="transactTime")
    except ResponseShapeError as exc:
        exc.outcome_known = False
        if exc.http_status is None:
            exc.http_status = response.status
        if exc.raw_body is None:
            exc.raw_body = response.text()[:4096]
        raise
    return OrderState(
        venue=VENUE_NAME,
        venue_order_id=cl_ord_id,
        client_order_id=order.client_order_id,
        symbol=symbol,
        side=order.side,
        kind=order.kind,
        status=_refine_with_fills(status, order.quantity, filled),
        venue_status=str(raw_status),
        quantity=order.quantity,
        filled_quantity=filled,
        stop_price=order.stop_price,
        limit_price=order.limit_price if isinstance(order, StopLimitOrder) else None,
        created_at=transact,
        updated_at=transact,
        raw=data,
    )


def parse_orders_page(response: HttpResponse) -> OrdersPage:
    """A page of ``GET /v2/accounts/{id}/orders`` or ``.../orders/history``.

    ``orders`` may be ``null`` (sheet §3.4); a missing ``nextCursor`` counts as 0 (last page).

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
    elif isinstance(cursor, str) and cursor.isdigit():
        next_cursor = int(cursor)
    else:
        raise ResponseShapeError(
            f"{VENUE_NAME}: nextCursor is not a cursor: {cursor!r}", venue=VENUE_NAME, raw_body=response.body
        )
    return OrdersPage(rows=rows, next_cursor=next_cursor)


def parse_trade_order(row: Mapping[str, Any], *, client_order_id: str | None = None) -> OrderState:
    """An :class:`OrderState` from one ``TradeOrderV2`` object (list endpoints and WebSocket).

    - ``ordStatus`` via :data:`~venues.aries.mapping.ORDER_STATUS`; absent/empty → SUBMITTED
      with ``venue_status=""`` ("omitted when the broker has not yet reported a status").
      NEW stays ACCEPTED (armed or triggered: indistinguishable) until ``cumQty`` shows fills.
    - ``cumQty`` → ``filled_quantity``; ``price``/``stopPrice`` ``""``/``"0"`` → ``None``.
    - ``client_order_id``: only what the caller passes (a ``clientId`` it matched); the row's
      ``clientId`` may be the OAuth client, not our tag (sheet §8.8).

    Raises:
        UnknownVenueValue: unmapped ``ordStatus``, ``side`` or ``type`` (e.g. LIMIT: not a stop).
        ResponseShapeError: missing or malformed fields.
    """
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
    filled = parse_decimal(row.get("cumQty"), venue=VENUE_NAME, field="cumQty", optional=True) or Decimal(0)
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
        raw=row,
    )


def parse_cancel_response(found: OrderState, response: HttpResponse) -> OrderState:
    """The order's state after ``POST /v1/orders/cancel``; ``found`` is its state before.

    Answer: ``{"success": true, "clOrdId": "<cancel id>", "origClOrdId": "<order id>",
    "status": "PENDING_CANCEL" | "CANCELED" | "REJECTED", "text": ...}`` (sheet §3.2).
    The order keeps its ``venue_order_id``; ``status``/``venue_status``/``raw`` come from the answer.

    Raises:
        OrderRejected: REJECTED or ``success: false`` ("the cancel was refused (e.g. the order had
            already fully filled). The original order is unchanged.").
        ResponseShapeError: an unreadable 200 answer (``outcome_known=False``).
    """
    if response.status != 200:
        raise classify_error(response, writes=True)
    try:
        data = _json_object(response, "the cancel answer")
        if data.get("success") is False or data.get("status") == "REJECTED":
            raise _reject_from_ack(data, response, "cancel")
        raw_status = data.get("status")
        status = lookup(ORDER_STATUS, raw_status, venue=VENUE_NAME, field="status")
    except ResponseShapeError as exc:
        exc.outcome_known = False
        if exc.raw_body is None:
            exc.raw_body = response.text()[:4096]
        raise
    return attrs.evolve(
        found,
        status=status,
        venue_status=str(raw_status),
        reason=_text(data.get("text")),
        raw=data,
    )


def parse_replace_response(previous: OrderState, amendment: Amendment, response: HttpResponse) -> OrderState:
    """The order's state after ``POST /v1/orders/replace``; ``previous`` is its state before.

    Answer (sheet §3.3)::

        {"success": true, "clOrdId": "<new id>", "origClOrdId": "<id replaced>",
         "status": "PENDING_REPLACE" | "REPLACED" | "REJECTED", "qty": "...", "price": "...",
         "text": "Replace accepted", "transactTime": "..."}

    ``venue_order_id`` becomes the **new** ``clOrdId`` (every later cancel or replace must use
    it). REPLACED → ACCEPTED (live with the new terms), PENDING_REPLACE → PENDING_UPDATE. Terms
    come from the answer where it states them (non-empty, non-zero), else from ``amendment``,
    else from ``previous``. ``raw`` is the answer plus :data:`~venues.aries.constants.CHAIN_FIELD`:
    every ``clOrdId`` of the order, oldest first, so earlier ids stay reachable.

    Raises:
        OrderRejected: REJECTED or ``success: false`` (with ``ordRejReason``/``text``); the
            original order is unchanged ("Reusing the old ID will be rejected").
        ResponseShapeError: an unreadable 200 answer (``outcome_known=False``).
        RemoteError: a non-200 answer, per :func:`classify_error` (5xx: outcome unknown).
    """
    if response.status != 200:
        raise classify_error(response, writes=True)
    try:
        data = _json_object(response, "the replace answer")
        if data.get("success") is False or data.get("status") == "REJECTED":
            raise _reject_from_ack(data, response, "replace")
        new_id = parse_id(data.get("clOrdId"), venue=VENUE_NAME, field="clOrdId")
        raw_status = data.get("status")
        status = lookup(ORDER_STATUS, raw_status, venue=VENUE_NAME, field="status")
        quantity = parse_decimal(data.get("qty"), venue=VENUE_NAME, field="qty", optional=True)
        stop_price = _optional_price(data.get("stopPrice"), "stopPrice")
        limit_price = _optional_price(data.get("price"), "price")
        transact = parse_iso8601(_text(data.get("transactTime")), venue=VENUE_NAME, field="transactTime")
    except ResponseShapeError as exc:
        exc.outcome_known = False
        if exc.http_status is None:
            exc.http_status = response.status
        if exc.raw_body is None:
            exc.raw_body = response.text()[:4096]
        raise
    chain = [str(x) for x in previous.raw.get(CHAIN_FIELD) or [previous.venue_order_id] if x]
    if not chain or chain[-1] != new_id:
        chain.append(str(new_id))
    stop_limit = previous.kind is OrderKind.STOP_LIMIT
    return attrs.evolve(
        previous,
        venue_order_id=new_id,
        status=status,
        venue_status=str(raw_status),
        quantity=quantity or amendment.quantity or previous.quantity,
        stop_price=stop_price or amendment.stop_price or previous.stop_price,
        limit_price=(limit_price or amendment.limit_price or previous.limit_price) if stop_limit else None,
        updated_at=transact or previous.updated_at,
        reason=None,
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
    ([sdk] ``models/tradeorderv2.py``: it "appears in replace and cancel chains"). From
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
    not_before_ms: int,
) -> list[Mapping[str, Any]]:
    """Every row that could be ``order`` after a placement whose outcome is unknown: the order's
    ``symbol``, venue ``side``, ``type``, ``qty``, ``stopPrice`` and ``price`` (empty or zero on a
    STOP), ``createdAt`` at or after ``not_before_ms`` (the first send minus a clock-skew allowance),
    not SUPERSEDED. Matched by terms only: ``clientId`` is the OAuth client that submitted the order
    (finance-dev ``models/tradeorderv2.py``), not a per-order tag. The client decides which, if any,
    is this placement's."""
    return [
        row
        for row in rows
        if row.get("ordStatus") != "SUPERSEDED"
        and _same_terms(row, order, symbol=symbol, side=side, order_type=order_type)
        and (created := _row_ms(row)) is not None
        and created >= not_before_ms
    ]


def reconcile_match(
    rows: tuple[Mapping[str, Any], ...] | list[Mapping[str, Any]],
    order: AnyStopOrder,
    *,
    symbol: str,
    side: str,
    order_type: str,
    not_before_ms: int,
) -> Mapping[str, Any] | None:
    """The one row that is ``order`` after a placement whose outcome is unknown, or ``None``.

    1. Rows whose ``clientId`` is our client order id (we send it as a tag; the echo is
       [unverified], sheet §8.8): exactly one → it; several → the one of them with the order's
       terms, if exactly one; otherwise ``None`` (ambiguous).
    2. Else rows with the order's ``symbol``, venue ``side``, ``type``, ``qty``, ``stopPrice`` and
       ``price`` (empty or zero on a STOP), ``createdAt`` at or after ``not_before_ms`` (the first
       send minus a clock-skew allowance) and not SUPERSEDED: exactly one → it; none or several →
       ``None``. Several identical candidates are never guessed between: the caller reports the
       outcome as unknown.
    """
    tagged = [row for row in rows if row.get("clientId") == order.client_order_id]
    if len(tagged) == 1:
        return tagged[0]
    if tagged:
        same = [row for row in tagged if _same_terms(row, order, symbol=symbol, side=side, order_type=order_type)]
        return same[0] if len(same) == 1 else None
    candidates = [
        row
        for row in rows
        if row.get("ordStatus") != "SUPERSEDED"
        and _same_terms(row, order, symbol=symbol, side=side, order_type=order_type)
        and (created := _row_ms(row)) is not None
        and created >= not_before_ms
    ]
    return candidates[0] if len(candidates) == 1 else None
