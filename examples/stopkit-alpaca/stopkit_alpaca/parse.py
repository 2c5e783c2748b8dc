"""Parse Alpaca answers (pure): Order objects, lists of them, the empty cancel answer, errors.

The Order object (https://docs.alpaca.markets/reference/getorderbyorderid), the fields read here::

    {"id": "61e69015-8549-4bfd-b9c3-01e75843f47d", "client_order_id": "eb9e2aaa-...",
     "created_at": "2021-03-16T18:38:01.942282Z", "updated_at": "...", "submitted_at": "...",
     "filled_at": null, "expired_at": null, "canceled_at": null, "failed_at": null,
     "replaced_at": null, "replaced_by": null, "replaces": null,
     "asset_id": "...", "symbol": "AAPL", "asset_class": "us_equity",
     "qty": "10", "filled_qty": "0", "filled_avg_price": null,
     "order_class": "", "order_type": "stop_limit", "type": "stop_limit", "side": "sell",
     "time_in_force": "day", "limit_price": "144.5", "stop_price": "145",
     "status": "new", "extended_hours": false, ...}

Decimals arrive as strings (or null). Timestamps are RFC 3339 with up to 9 fractional digits
(cut to microseconds). Errors: ``{"code": 40010001, "message": "..."}`` (api-references); some
gateway answers carry only ``{"message": "forbidden"}`` or no JSON at all.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from decimal import Decimal
from typing import Any

from stopkit.plugin import (
    AnyStopOrder,
    AuthenticationError,
    DuplicateClientOrderId,
    HttpResponse,
    OrderNotFound,
    OrderRejected,
    OrderState,
    OrderStatus,
    RateLimited,
    RemoteError,
    ResponseShapeError,
    VenueUnavailable,
    lookup,
    parse_decimal,
    parse_id,
    parse_iso8601,
    require_mapping,
    retry_after_s,
)

from stopkit_alpaca.constants import VENUE_NAME
from stopkit_alpaca.mapping import ORDER_STATUS, SIDE_FROM_VENUE, TYPE_TO_KIND

__all__ = [
    "classify_error",
    "error_fields",
    "parse_cancel_response",
    "parse_order",
    "parse_order_list",
    "parse_order_response",
    "parse_place_response",
]

# -- errors -----------------------------------------------------------------------


def error_fields(body: bytes) -> tuple[str | None, str | None]:
    """``(code, message)`` from ``{"code": 40010001, "message": "..."}``; ``None`` for what is absent.

    The code may be a JSON integer or string; it is returned as text.
    """
    try:
        data = json.loads(body)
    except (ValueError, UnicodeDecodeError):
        return None, None
    if not isinstance(data, dict):
        return None, None
    code, message = data.get("code"), data.get("message")
    code_text = str(code) if isinstance(code, int | str) and not isinstance(code, bool) and code != "" else None
    return code_text, (message if isinstance(message, str) and message else None)


def _is_json(body: bytes) -> bool:
    # True for a body that parses as JSON.
    try:
        json.loads(body)
    except (ValueError, UnicodeDecodeError):
        return False
    return True


# 403 answers that mean "these keys may not do this" rather than a business refusal. Alpaca uses 403
# for both: "insufficient buying power", "insufficient qty available for order", "potential wash
# trade detected", "account is not allowed to short" are business refusals (OrderRejected), while a
# bare "forbidden" (e.g. paper keys against the live host) or "request is not authorized" is an
# authentication failure. The split is by message text [unverified: Alpaca publishes no code table;
# 40110000 is "not authorized"]; a 403 with no readable message is treated as authentication.
_AUTH_CODES = frozenset({"40110000"})
_AUTH_WORDS = ("forbidden", "not authorized", "unauthorized", "api key", "access key", "authentication")


def _is_auth_403(code: str | None, message: str | None) -> bool:
    # See _AUTH_WORDS.
    if code in _AUTH_CODES:
        return True
    if message is None:
        return True
    text = message.lower()
    return any(word in text for word in _AUTH_WORDS)


def _is_duplicate(message: str | None) -> bool:
    # "client_order_id must be unique" (422, code 40010001) [unverified wording; matched loosely].
    if message is None:
        return False
    text = message.lower()
    return "client_order_id" in text and ("unique" in text or "duplicate" in text or "already" in text)


def classify_error(response: HttpResponse, *, writes: bool = False) -> RemoteError:
    """The stopkit error for a non-success Alpaca answer (api-references, "errors").

    - 401 → :class:`AuthenticationError` (keys missing or wrong);
    - 403 → :class:`AuthenticationError` for "forbidden"/"not authorized" (or no message);
      otherwise :class:`OrderRejected` (insufficient buying power or qty, wash trade, short
      not allowed, PDT protection, ...);
    - 404 → :class:`OrderNotFound`;
    - 422 (and 400) → :class:`DuplicateClientOrderId` for "client_order_id must be unique",
      else :class:`OrderRejected` (invalid field, sub-penny price, order not cancelable, ...);
    - 429 → :class:`RateLimited` with ``retry_after_s`` from ``Retry-After``;
    - 5xx → :class:`VenueUnavailable`, ``outcome_known = not writes`` (a write may have landed);
    - another 4xx with a JSON (or empty) body → :class:`OrderRejected`; with a non-JSON body, or
      any other status → :class:`ResponseShapeError`.

    Every error carries the venue, HTTP status, Alpaca's ``code`` and ``message`` and the raw
    body (Alpaca's answers never hold the keys).
    """
    status = response.status
    code, message = error_fields(response.body)
    common: dict[str, Any] = {
        "venue": VENUE_NAME,
        "http_status": status,
        "venue_code": code,
        "venue_message": message,
        "raw_body": response.body or None,
    }
    detail = f": {message}" if message else ""
    if status == 401:
        return AuthenticationError(f"{VENUE_NAME}: the API key was refused (HTTP 401){detail}", **common)
    if status == 403:
        if _is_auth_403(code, message):
            return AuthenticationError(
                f"{VENUE_NAME}: forbidden (HTTP 403){detail}; check the keys and paper/live base URL", **common
            )
        return OrderRejected(f"{VENUE_NAME}: refused (HTTP 403){detail}", **common)
    if status == 404:
        return OrderNotFound(f"{VENUE_NAME}: not found (HTTP 404){detail}", **common)
    if status == 429:
        return RateLimited(
            f"{VENUE_NAME}: rate limited (HTTP 429){detail}", retry_after_s=retry_after_s(response), **common
        )
    if status >= 500:
        return VenueUnavailable(
            f"{VENUE_NAME}: venue unavailable (HTTP {status}){detail}", outcome_known=not writes, **common
        )
    if 400 <= status < 500:
        if response.body.strip() and not _is_json(response.body):
            return ResponseShapeError(f"{VENUE_NAME}: HTTP {status} with a body that is not JSON", **common)
        if _is_duplicate(message):
            return DuplicateClientOrderId(
                f"{VENUE_NAME}: client_order_id already used on this account (HTTP {status}){detail}", **common
            )
        return OrderRejected(f"{VENUE_NAME}: refused (HTTP {status}){detail}", **common)
    return ResponseShapeError(f"{VENUE_NAME}: unexpected HTTP {status}{detail}", **common)


# -- orders -----------------------------------------------------------------------


def _text(value: object) -> str | None:
    # A non-empty string or None.
    return value if isinstance(value, str) and value else None


def _refine_with_fills(status: OrderStatus, quantity: Decimal | None, filled: Decimal) -> OrderStatus:
    # Fills prove the trigger (Alpaca shows none): a working status with filled_qty > 0 is at least
    # PARTIALLY_FILLED, FILLED once filled_qty reaches qty. Terminal and pending statuses stay.
    if status.is_terminal or status in (OrderStatus.PENDING_CANCEL, OrderStatus.PENDING_UPDATE) or filled <= 0:
        return status
    if quantity is not None and filled >= quantity:
        return OrderStatus.FILLED
    return OrderStatus.PARTIALLY_FILLED


def _reason(data: Mapping[str, Any], raw_status: str) -> str | None:
    # Alpaca's order object has no reason text; say what the status implies where it helps.
    if raw_status == "replaced":
        successor = _text(data.get("replaced_by"))
        return f"replaced by order {successor}" if successor else "replaced"
    return None


def parse_order(data: object) -> OrderState:
    """An Alpaca Order object → :class:`OrderState`.

    ``venue_order_id`` = ``id``; ``client_order_id`` = ``client_order_id``; ``kind`` from ``type``
    (``order_type`` when ``type`` is absent); status per :data:`stopkit_alpaca.mapping.ORDER_STATUS`,
    refined by ``filled_qty``; ``raw`` = the object.

    Raises:
        UnknownVenueValue: an unmapped ``status``, ``side`` or ``type`` (e.g. a ``limit`` order).
        ResponseShapeError: not an object, or a missing/unreadable field.
    """
    row = require_mapping(data, venue=VENUE_NAME, what="an order")
    raw_status = row.get("status")
    status = lookup(ORDER_STATUS, raw_status, venue=VENUE_NAME, field="status")
    side = lookup(SIDE_FROM_VENUE, row.get("side"), venue=VENUE_NAME, field="side")
    kind = lookup(TYPE_TO_KIND, row.get("type", row.get("order_type")), venue=VENUE_NAME, field="type")
    symbol = row.get("symbol")
    if not isinstance(symbol, str) or not symbol:
        raise ResponseShapeError(f"{VENUE_NAME}: symbol is missing", venue=VENUE_NAME)
    # qty is null for notional (dollar-amount) orders, which cannot be stops.
    quantity = parse_decimal(row.get("qty"), venue=VENUE_NAME, field="qty", optional=True)
    filled = parse_decimal(row.get("filled_qty"), venue=VENUE_NAME, field="filled_qty", optional=True)
    filled = Decimal(0) if filled is None else filled
    return OrderState(
        venue=VENUE_NAME,
        venue_order_id=parse_id(row.get("id"), venue=VENUE_NAME, field="id"),
        client_order_id=parse_id(row.get("client_order_id"), venue=VENUE_NAME, field="client_order_id", optional=True),
        symbol=symbol,
        side=side,
        kind=kind,
        status=_refine_with_fills(status, quantity, filled),
        venue_status=str(raw_status),
        quantity=quantity,
        filled_quantity=filled,
        stop_price=parse_decimal(row.get("stop_price"), venue=VENUE_NAME, field="stop_price", optional=True),
        limit_price=parse_decimal(row.get("limit_price"), venue=VENUE_NAME, field="limit_price", optional=True),
        created_at=parse_iso8601(_text(row.get("created_at")), venue=VENUE_NAME, field="created_at"),
        updated_at=parse_iso8601(_text(row.get("updated_at")), venue=VENUE_NAME, field="updated_at"),
        reason=_reason(row, str(raw_status)),
        raw=dict(row),
    )


def parse_order_response(response: HttpResponse) -> OrderState:
    """A read's answer (``GET /v2/orders/{id}``, ``...:by_client_order_id``, ``PATCH``): 200 + Order.

    Raises:
        OrderNotFound, AuthenticationError, RateLimited, VenueUnavailable, OrderRejected: see
            :func:`classify_error`.
        ResponseShapeError, UnknownVenueValue: an unreadable 200 answer.
    """
    if response.status != 200:
        raise classify_error(response)
    return parse_order(response.json(venue=VENUE_NAME))


def parse_place_response(order: AnyStopOrder, response: HttpResponse) -> OrderState:
    """The placed order's state from the ``POST /v2/orders`` answer (200 + Order, normally ``new``).

    Raises:
        OrderRejected: a 403/422 refusal, or a 200 answer whose status is ``rejected``.
        DuplicateClientOrderId: the account already has an order with this ``client_order_id``.
        ResponseShapeError: an unreadable 200 answer, with ``outcome_known=False`` (the order may
            exist: the client reconciles by ``client_order_id``).
        AuthenticationError, RateLimited, VenueUnavailable: see :func:`classify_error`.
    """
    if response.status != 200:
        raise classify_error(response, writes=True)
    try:
        state = parse_order(response.json(venue=VENUE_NAME))
    except ResponseShapeError as exc:
        exc.outcome_known = False
        if exc.http_status is None:
            exc.http_status = response.status
        if exc.raw_body is None:
            exc.raw_body = response.text()
        raise
    if state.status is OrderStatus.REJECTED:
        raise OrderRejected(
            f"{VENUE_NAME}: order {order.client_order_id} rejected",
            venue=VENUE_NAME,
            http_status=response.status,
            venue_message=state.venue_status,
            raw_body=response.body,
        )
    return state


def parse_order_list(response: HttpResponse) -> list[Mapping[str, Any]]:
    """``GET /v2/orders``: a JSON array of Order objects (raw, unparsed), in the venue's order.

    Raises:
        ResponseShapeError: not an array of objects. Other statuses: see :func:`classify_error`.
    """
    if response.status != 200:
        raise classify_error(response)
    data = response.json(venue=VENUE_NAME)
    if not isinstance(data, list):
        raise ResponseShapeError(
            f"{VENUE_NAME}: expected a JSON array of orders, got {type(data).__name__}",
            venue=VENUE_NAME,
            http_status=response.status,
            raw_body=response.body,
        )
    return [require_mapping(item, venue=VENUE_NAME, what="an order in the list") for item in data]


def parse_cancel_response(response: HttpResponse) -> None:
    """``DELETE /v2/orders/{id}``: 204 (or 200) means the cancel was accepted; the body is ignored.

    Raises:
        OrderNotFound: unknown order (404).
        OrderRejected: not cancelable any more, e.g. already filled (422).
        AuthenticationError, RateLimited, VenueUnavailable: see :func:`classify_error` (a write).
    """
    if response.status not in (200, 204):
        raise classify_error(response, writes=True)
