"""Parse B2TRADER answers into neutral values, and map error answers to stopkit errors (pure).

Answers of the stop endpoints are ``{"order": {...}}`` ("Place SPOT Stop order", "Cancel Stop
order"; https://api-docs.b2trader.b2broker.com/rest-api)::

    {"order": {"marketId": "spot.btc_usdt", "marketDisplayName": "SPOT BTC/USDT",
               "orderId": "01K2MNC3BVR5WRTBEE9YWAS91K", "orderType": "Market", "side": "Buy",
               "requestedPrice": "0", "activationPrice": "128000", "requestedAmount": "0.01",
               "timeInForce": "Ioc", "status": "WaitingForActivation",
               "createdAt": "2025-08-14T16:07:25.8193038Z", "updatedAt": "2025-08-14T16:07:25.8193044Z",
               "cancellationDate": null}}

Decimals arrive as strings; timestamps carry up to 7 fractional digits (.NET ticks, as in the
documented examples). The error body schema is not documented:
:func:`classify_error` reads RFC 7807 ProblemDetails, ``{"message": ...}`` and
``{"error": ...}`` defensively and always keeps the raw body.
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

from stopkit.plugin import (
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
    VenueUnavailable,
    lookup,
    parse_decimal,
    parse_id,
    parse_iso8601,
    require_mapping,
    retry_after_s,
)
from stopkit_venues.b2trader.constants import VENUE_NAME
from stopkit_venues.b2trader.mapping import (
    CHILD_ORDER_STATUS,
    CHILD_ORDER_TYPE,
    ORDER_TYPE_FROM_VENUE,
    SIDE_FROM_VENUE,
    STOP_STATUS,
    TIME_IN_FORCE_FROM_VENUE,
)

__all__ = [
    "classify_error",
    "classify_status",
    "error_details",
    "parse_child_order",
    "parse_order_response",
    "parse_stop_order",
    "parse_stop_response",
    "parse_timestamp",
]

_RAW_LIMIT = 4096


# .NET timestamps: 0-7 fractional digits (documented examples), "Z" or an offset.
def parse_timestamp(value: object, *, field: str) -> datetime | None:
    """A UTC datetime from ``2025-08-14T16:07:25.8193038Z`` (0-7 fractional digits, truncated
    to microseconds; offsets honoured; no zone = UTC). ``None`` stays ``None``.

    Raises:
        ResponseShapeError: not such a timestamp.
    """
    result = parse_iso8601(value, venue=VENUE_NAME, field=field)
    return None if result is None else result.astimezone(UTC)


def _str(value: object, *, field: str) -> str:
    # A required, non-empty JSON string field.
    if not isinstance(value, str) or not value:
        raise ResponseShapeError(f"{VENUE_NAME}: {field} is missing or not a string: {value!r}", venue=VENUE_NAME)
    return value


def _opt_str(value: object) -> str | None:
    # An optional free-text field (reasons, reject details): a non-empty string or None.
    return value if isinstance(value, str) and value.strip() else None


def _amount(obj: Mapping[str, Any], field: str, *, optional: bool = False) -> Decimal | None:
    # A decimal field of ``obj``, named ``order.<field>`` in errors.
    return parse_decimal(obj.get(field), venue=VENUE_NAME, field=f"order.{field}", optional=optional)


def _required_amount(obj: Mapping[str, Any], field: str) -> Decimal:
    # A required decimal field of ``obj`` (parse_decimal raises when it is missing).
    value = _amount(obj, field)
    if value is None:  # pragma: no cover - parse_decimal(optional=False) never returns None
        raise ResponseShapeError(f"{VENUE_NAME}: order.{field} is missing", venue=VENUE_NAME)
    return value


def _limit_price(obj: Mapping[str, Any], kind: OrderKind) -> Decimal | None:
    # A Market order shows "requestedPrice": "0" (documented example) or null: no limit price.
    # A Limit order must carry a positive one.
    if kind in (OrderKind.STOP_MARKET, OrderKind.MARKET):
        return None
    price = _amount(obj, "requestedPrice")
    if price is None or price <= 0:
        raise ResponseShapeError(
            f"{VENUE_NAME}: order.requestedPrice of a Limit order is not positive: {obj.get('requestedPrice')!r}",
            venue=VENUE_NAME,
        )
    return price


def parse_stop_order(
    obj: Mapping[str, Any], *, client_order_id: str | None = None, cancel_answer: bool = False
) -> OrderState:
    """An :class:`OrderState` from one stop-order object (the value of ``"order"``).

    Status: ``status`` through :data:`~stopkit_venues.b2trader.mapping.STOP_STATUS`, except that
    ``cancel_answer=True`` (a 200 answer to the cancel DELETE, "The canceled order") is CANCELED
    whatever its status text: the venue said it cancelled the stop (a ``Rejected`` stop stays
    REJECTED: it never was live).

    ``cancellationDate`` never decides the status on its own: the same field name carries the GTD
    expiry in the place request, and an ``Activated`` stop may show a date while its child order
    still works. It stays in ``raw``.

    ``client_order_id`` is ours, attached by the caller: stops carry no client id.

    Raises:
        ResponseShapeError: a missing or malformed field.
        UnknownVenueValue: an unmapped ``side``, ``orderType``, ``timeInForce`` or ``status``.
    """
    venue_status = _str(obj.get("status"), field="order.status")
    kind = lookup(ORDER_TYPE_FROM_VENUE, obj.get("orderType"), venue=VENUE_NAME, field="order.orderType")
    side = lookup(SIDE_FROM_VENUE, obj.get("side"), venue=VENUE_NAME, field="order.side")
    if "timeInForce" in obj and obj["timeInForce"] is not None:
        # Validated only: OrderState has no time-in-force field.
        lookup(TIME_IN_FORCE_FROM_VENUE, obj["timeInForce"], venue=VENUE_NAME, field="order.timeInForce")
    parse_timestamp(obj.get("cancellationDate"), field="order.cancellationDate")  # validated; kept in raw
    if cancel_answer and venue_status != "Rejected":
        status = OrderStatus.CANCELED
    else:
        status = lookup(STOP_STATUS, venue_status, venue=VENUE_NAME, field="order.status")
    return OrderState(
        venue=VENUE_NAME,
        venue_order_id=parse_id(obj.get("orderId"), venue=VENUE_NAME, field="order.orderId"),
        client_order_id=client_order_id,
        symbol=_str(obj.get("marketId"), field="order.marketId"),
        side=side,
        kind=kind,
        status=status,
        venue_status=venue_status,
        quantity=_amount(obj, "requestedAmount"),
        # A stop fills only through the order it releases (a different orderId).
        filled_quantity=Decimal(0),
        stop_price=_amount(obj, "activationPrice", optional=True),
        limit_price=_limit_price(obj, kind),
        created_at=parse_timestamp(obj.get("createdAt"), field="order.createdAt"),
        updated_at=parse_timestamp(obj.get("updatedAt"), field="order.updatedAt"),
        reason=_opt_str(obj.get("rejectDetails")),
        raw=dict(obj),
    )


def parse_child_order(obj: Mapping[str, Any]) -> OrderState:
    """An :class:`OrderState` from a regular-order object, e.g. the order a stop released
    (``source: "StopOrder"``) as the ``OpenOrders`` stream or the "Cancel order" answer shows it.

    Status through :data:`~stopkit_venues.b2trader.mapping.CHILD_ORDER_STATUS`; ``Working`` with
    ``remainingAmount < requestedAmount`` → PARTIALLY_FILLED. ``filled_quantity`` =
    ``requestedAmount - remainingAmount``, except 0 for ``Reverted`` (its trade was rolled back).
    ``stop_price`` is ``None`` (a child carries none); ``kind`` is the plain order's type
    (``Market`` → :attr:`OrderKind.MARKET`, ``Limit`` → :attr:`OrderKind.LIMIT`): a released
    child is no stop. No field links the child to its stop: callers correlate by source, market,
    side and amount (see :data:`~stopkit_venues.b2trader.mapping.CHILD_KIND_OF_STOP`).

    Raises:
        ResponseShapeError, UnknownVenueValue: as :func:`parse_stop_order`.
    """
    venue_status = _str(obj.get("status"), field="order.status")
    status = lookup(CHILD_ORDER_STATUS, venue_status, venue=VENUE_NAME, field="order.status")
    kind = lookup(CHILD_ORDER_TYPE, obj.get("orderType"), venue=VENUE_NAME, field="order.orderType")
    quantity = _required_amount(obj, "requestedAmount")
    remaining = _amount(obj, "remainingAmount", optional=True)
    filled = Decimal(0) if remaining is None else max(Decimal(0), quantity - remaining)
    reason = _opt_str(obj.get("rejectDetails")) or _opt_str(obj.get("reason"))
    if venue_status == "Working" and filled > 0:
        status = OrderStatus.PARTIALLY_FILLED
    elif venue_status == "Reverted":
        # The trade was rolled back (legacy docs): nothing executed stands (see CHILD_ORDER_STATUS).
        filled = Decimal(0)
        reason = "Reverted: the order's trade was rolled back" + (f" ({reason})" if reason else "")
    return OrderState(
        venue=VENUE_NAME,
        venue_order_id=parse_id(obj.get("orderId"), venue=VENUE_NAME, field="order.orderId"),
        client_order_id=None,
        symbol=_str(obj.get("marketId"), field="order.marketId"),
        side=lookup(SIDE_FROM_VENUE, obj.get("side"), venue=VENUE_NAME, field="order.side"),
        kind=kind,
        status=status,
        venue_status=venue_status,
        quantity=quantity,
        filled_quantity=filled,
        stop_price=None,
        limit_price=_limit_price(obj, kind),
        created_at=parse_timestamp(obj.get("createdAt"), field="order.createdAt"),
        updated_at=parse_timestamp(obj.get("updatedAt"), field="order.updatedAt"),
        reason=reason,
        raw=dict(obj),
    )


def parse_stop_response(
    response: HttpResponse, *, writes: bool, client_order_id: str | None = None, cancel_answer: bool = False
) -> OrderState:
    """The stop order in a 200 answer ``{"order": {...}}`` of place or cancel.

    Raises:
        RemoteError: a non-2xx answer, through :func:`classify_error` (``writes`` passed on).
        ResponseShapeError: the body is not that envelope (the raw body is attached); for a
            write (``writes=True``) with ``outcome_known=False``: a 2xx means the venue may have acted.
    """
    if not 200 <= response.status < 300:
        raise classify_error(response, writes=writes)
    try:
        envelope = require_mapping(response.json(venue=VENUE_NAME), venue=VENUE_NAME, what="the answer")
        order = require_mapping(envelope.get("order"), venue=VENUE_NAME, what="order")
        return parse_stop_order(order, client_order_id=client_order_id, cancel_answer=cancel_answer)
    except ResponseShapeError as exc:
        # The answer of a stop endpoint holds no secret: keep it for diagnosis.
        if exc.raw_body is None:
            exc.raw_body = response.text()[:_RAW_LIMIT]
        if exc.http_status is None:
            exc.http_status = response.status
        if writes:
            # The venue said 2xx to a place/cancel: it may have acted even though we cannot read what it did.
            exc.outcome_known = False
        raise


def parse_order_response(response: HttpResponse, *, writes: bool) -> OrderState:
    """The regular order in a 200 answer ``{"order": {...}}`` of "Cancel order"
    (``DELETE /frontoffice/api/v3/orders/{orderId}``), through :func:`parse_child_order`.

    Raises:
        RemoteError: a non-2xx answer, through :func:`classify_error`.
        ResponseShapeError: as :func:`parse_stop_response`.
    """
    if not 200 <= response.status < 300:
        raise classify_error(response, writes=writes)
    try:
        envelope = require_mapping(response.json(venue=VENUE_NAME), venue=VENUE_NAME, what="the answer")
        order = require_mapping(envelope.get("order"), venue=VENUE_NAME, what="order")
        return parse_child_order(order)
    except ResponseShapeError as exc:
        if exc.raw_body is None:
            exc.raw_body = response.text()[:_RAW_LIMIT]
        if exc.http_status is None:
            exc.http_status = response.status
        if writes:
            exc.outcome_known = False
        raise


# -- errors -----------------------------------------------------------------------------

_NOT_JSON = object()
_WWW_AUTH_FIELD = re.compile(r'(error_description|error)="([^"]*)"')


def _json_or_marker(body: bytes) -> Any:
    # The parsed body, or _NOT_JSON for an empty or non-JSON one.
    if not body.strip():
        return _NOT_JSON
    try:
        return json.loads(body, parse_float=Decimal)
    except (ValueError, UnicodeDecodeError):
        return _NOT_JSON


def _code(value: object) -> str | None:
    # A business code when the body offers one (string or integer, never a boolean).
    if isinstance(value, bool) or not isinstance(value, str | int):
        return None
    return str(value)


def _field_errors(errors: object) -> list[str]:
    # ProblemDetails "errors": {"order.marketId": ["..."]} or a list of strings/objects.
    parts: list[str] = []
    if isinstance(errors, Mapping):
        for name, messages in errors.items():
            texts = [m for m in (messages if isinstance(messages, list) else [messages]) if isinstance(m, str)]
            if texts:
                parts.append(f"{name}: {', '.join(texts)}" if name else ", ".join(texts))
    elif isinstance(errors, list):
        for item in errors:
            if isinstance(item, str):
                parts.append(item)
            elif isinstance(item, Mapping) and isinstance(item.get("message"), str):
                parts.append(item["message"])
    return parts


def error_details(payload: object) -> tuple[str | None, str | None]:
    """``(venue_code, venue_message)`` from any parsed error body; ``(None, None)`` when it says nothing.

    Read defensively (the schema is undocumented): RFC 7807 ProblemDetails
    (``title``, ``detail``, ``errors``), ``{"message": ...}``, ``{"error": "..."}`` or
    ``{"error": {"code", "message"}}``, ``{"code"|"errorCode": ...}``, a regular order's
    ``order.rejectDetails``, or a bare JSON string.
    """
    if isinstance(payload, str):
        return None, payload.strip() or None
    if not isinstance(payload, Mapping):
        return None, None
    code = _code(payload.get("code")) or _code(payload.get("errorCode"))
    parts: list[str] = []
    for key in ("title", "detail", "message"):
        text = _opt_str(payload.get(key))
        if text and text not in parts:
            parts.append(text)
    error = payload.get("error")
    if isinstance(error, str) and error.strip():
        parts.append(error.strip())
    elif isinstance(error, Mapping):
        code = code or _code(error.get("code"))
        text = _opt_str(error.get("message"))
        if text:
            parts.append(text)
    parts.extend(_field_errors(payload.get("errors")))
    order = payload.get("order")
    if isinstance(order, Mapping):
        text = _opt_str(order.get("rejectDetails"))
        if text:
            parts.append(text)
    return code, ("; ".join(parts) or None)


def classify_status(
    response: HttpResponse,
    *,
    writes: bool,
    message: str,
    venue_code: str | None,
    venue_message: str | None,
    raw_body: str | None,
) -> RemoteError:
    """The stopkit error class for ``response.status``, with the details given.

    401/403 → AuthenticationError; 429 → RateLimited (``Retry-After`` seconds);
    5xx → VenueUnavailable (``outcome_known = not writes``); 404 → OrderNotFound;
    400/409/422 and other 4xx → OrderRejected; anything else → ResponseShapeError.
    """
    status = response.status
    details: dict[str, Any] = {
        "venue": VENUE_NAME,
        "http_status": status,
        "venue_code": venue_code,
        "venue_message": venue_message,
        "raw_body": raw_body,
    }
    if status in (401, 403):
        return AuthenticationError(message, **details)
    if status == 429:
        return RateLimited(message, retry_after_s=retry_after_s(response), **details)
    if 500 <= status < 600:
        return VenueUnavailable(message, outcome_known=not writes, **details)
    if status == 404:
        return OrderNotFound(message, **details)
    if 400 <= status < 500:
        # 400/409/422 are business or validation refusals; other 4xx (405, 415, ...) are
        # refusals of the request too, and were not acted on.
        return OrderRejected(message, **details)
    return ResponseShapeError(message, **details)


_WHAT = {401: "refused the credentials", 403: "refused access", 404: "does not know the order", 429: "throttled"}


def classify_error(response: HttpResponse, *, writes: bool = False) -> RemoteError:
    """The stopkit error for a non-success answer of a stop endpoint (raw body always kept).

    - 401/403 → :class:`AuthenticationError`, 429 → :class:`RateLimited`, 5xx →
      :class:`VenueUnavailable` (``outcome_known = not writes``): whatever the body
      (an empty 401 with ``WWW-Authenticate`` is what ASP.NET's JWT bearer sends; a 502
      may be a proxy's HTML page).
    - 404 → :class:`OrderNotFound`, 400/409/422 (and other 4xx) → :class:`OrderRejected`,
      when the body is JSON; an empty or non-JSON body there (a proxy page, an unknown
      route) → :class:`ResponseShapeError`, since nothing says the venue judged the order.
    - a 1xx/2xx/3xx answer → :class:`ResponseShapeError`.
    """
    status = response.status
    payload = _json_or_marker(response.body)
    raw = response.text() if response.body else None
    code, text = (None, None) if payload is _NOT_JSON else error_details(payload)
    if status in (401, 403) and text is None:
        challenge = response.headers.get("www-authenticate", "")
        found = dict(_WWW_AUTH_FIELD.findall(challenge))
        text = found.get("error_description") or found.get("error") or None
    by_status = status in (401, 403, 429) or 500 <= status < 600
    if not by_status and (payload is _NOT_JSON or not 400 <= status < 500):
        return ResponseShapeError(
            f"{VENUE_NAME}: HTTP {status} with {'an empty body' if raw is None else 'a body that is not JSON'}"
            if payload is _NOT_JSON
            else f"{VENUE_NAME}: unexpected HTTP {status}",
            venue=VENUE_NAME,
            http_status=status,
            venue_code=code,
            venue_message=text,
            raw_body=raw,
        )
    what = _WHAT.get(status) or ("is unavailable" if status >= 500 else "refused the request")
    message = f"{VENUE_NAME} {what} (HTTP {status})" + (f": {text}" if text else "")
    return classify_status(response, writes=writes, message=message, venue_code=code, venue_message=text, raw_body=raw)
