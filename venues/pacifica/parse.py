"""Pacifica answers → OrderState, and error answers → stopkit errors (pure).

Answers come in the envelope ``{"success": bool, "data": ..., "error": str|null,
"code": int|null}`` (live errors may add ``error_id``); some documented
examples show bare bodies (``{"order_id": 12345}``, a bare list), which are
accepted too. Every rule here has a row in the evidence ledger of
``docs/venues/pacifica.md``. Sources: https://docs.pacifica.fi/api-documentation/api/error-codes,
https://docs.pacifica.fi/api-documentation/api/signing/error-handling, CCXT
``python/ccxt/pacifica.py`` (``handle_errors``, ``exceptions``) and the payloads of
``tests/contract/pacifica/``.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from decimal import Decimal
from typing import Any, Final

import attrs

from stopkit.plugin import (
    AnyStopOrder,
    AuthenticationError,
    DuplicateClientOrderId,
    HttpResponse,
    Market,
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
    parse_unix_ms,
    require_mapping,
    retry_after_s,
)
from stopkit_venues.pacifica.constants import VENUE_NAME
from stopkit_venues.pacifica.mapping import (
    CANCEL_REASON,
    EVENT_PHASE,
    ORDER_STATUS,
    ORDER_TYPE_KIND,
    STOP_ORDER_TYPES,
    TERMINAL_EVENTS,
    VENUE_SIDE,
)
from stopkit_venues.pacifica.translate import native_symbol

__all__ = [
    "BUSINESS_CODES",
    "HistoryPage",
    "MarketInfo",
    "MarketRules",
    "classify_error",
    "is_stop_row",
    "market_rules",
    "parse_cancel_response",
    "parse_history_by_id",
    "parse_history_page",
    "parse_history_row",
    "parse_market_info",
    "parse_open_order_row",
    "parse_open_orders",
    "parse_place_response",
    "remaining_credits",
    "row_kind",
    "row_order_id",
]

V = VENUE_NAME

# -- errors -----------------------------------------------------------------

# Error class and retryability per venue error, looked up by error_id first, then by
# message prefix (or an agent text anywhere in the message), then by the 422 business code.
_ErrorRule = tuple[type[RemoteError], bool]

# An error_id beside the text: no outside source shows one (ledger X9, assumption); used when present.
ERROR_ID_RULES: Final[Mapping[str, _ErrorRule]] = {
    "signature_verification_failed": (AuthenticationError, False),
    "invalid_amount": (OrderRejected, False),
}

# https://docs.pacifica.fi/api-documentation/api/signing/error-handling (the four signature texts);
# the agent-wallet texts: "Agent not authorized for account" (CCXT python/ccxt/pacifica.py
# handle_errors), "Unauthorized" (pacifica-mcp scripts/smoke-agent.ts), "Signer not whitelisted"
# (the error-codes page, 403).
MESSAGE_PREFIX_RULES: Final[Sequence[tuple[str, _ErrorRule]]] = (
    ("Invalid signature", (AuthenticationError, False)),  # not base58 / not an Ed25519 signature
    # Expired (or malformed) message: the venue did not accept it; a re-signed request may pass.
    ("Invalid message", (AuthenticationError, True)),
    ("Invalid public key", (AuthenticationError, False)),
    ("Verification failed", (AuthenticationError, False)),  # wrong key or content differs from what was signed
    ("Agent not authorized", (AuthenticationError, False)),  # the agent wallet is not bound to the account
    ("Unauthorized", (AuthenticationError, False)),
    ("Signer not whitelisted", (AuthenticationError, False)),
)
# "<agent key> is unauthorized to sign on behalf of <account key>": an unbound agent wallet
# (seen live by a third-party bot, nexwave-so/pacifica-operator docs/FIX_TP_SL_ORDER_CREATION.md;
# weak evidence). Matched anywhere in the message, since it starts with a key.
UNAUTHORIZED_SIGNER = re.compile(r"\bis unauthorized to sign on behalf of\b", re.IGNORECASE)

# 422 business codes, current numbering: the error-codes page
# (https://docs.pacifica.fi/api-documentation/api/error-codes, as copied in
# Neiroleptik/pacifica_rust_sdk docs/error-codes.md) and CCXT python/ccxt/pacifica.py
# exceptions.exact; the older table, which started 0 UNKNOWN, 1 ACCOUNT_NOT_FOUND,
# 2 BOOK_NOT_FOUND, is not used. code -> (name, error class, retryable). A 422 code not listed
# is a business refusal too (OrderRejected).
BUSINESS_CODES: Final[Mapping[int, tuple[str, type[RemoteError], bool]]] = {
    3: ("BOOK_NOT_FOUND", OrderRejected, False),  # "Book not found: {symbol}"
    6: ("ORDER_NOT_FOUND", OrderNotFound, False),
    7: ("ORDER_AMOUNT_TOO_LOW", OrderRejected, False),  # "Order amount too low for {address}: {amount} < {minimum}"
    10: ("OPEN_ORDER_LIMIT_REACHED", OrderRejected, False),
    13: ("POSITION_NOT_FOUND", OrderRejected, False),
    16: ("INVALID_STOP_TICK", OrderRejected, False),
    # "Invalid stop order side": the stop's side against the position's: the official MCP server
    # (pacifica-mcp src/tools/orders.ts) says the engine rejects side == position side with it.
    # Nothing says it refuses a stop whose trigger price the market has already crossed.
    17: ("INVALID_STOP_ORDER_SIDE", OrderRejected, False),
    18: ("INVALID_STOP_ORDER_AMOUNT", OrderRejected, False),
    19: ("INVALID_STOP_ORDER_REDUCE_ONLY", OrderRejected, False),
    20: ("INVALID_ORDER_TYPE", OrderRejected, False),
    21: ("INVALID_REDUCE_ONLY_ORDER_SIDE", OrderRejected, False),
    22: ("INVALID_REDUCE_ONLY_ORDER_AMOUNT", OrderRejected, False),
    23: ("NO_POSITION_FOR_REDUCE_ONLY_ORDER", OrderRejected, False),
    25: ("NO_REASONABLE_PRICE", OrderRejected, False),
    30: ("PRICE_TOO_FAR_FROM_MARK", OrderRejected, False),
    # The client order id is taken: an earlier attempt with it landed (or another order uses it).
    36: ("DUPLICATE_CLIENT_ORDER_ID", DuplicateClientOrderId, False),
    37: ("UNUSED_CLIENT_ORDER_ID", OrderNotFound, False),  # no order carries this client order id
    50: ("INVALID_BUILDER_CODE", OrderRejected, False),
    52: ("INVALID_TICK_SIZE", OrderRejected, False),
    59: ("INVALID_AMOUNT", OrderRejected, False),
}
BUSINESS_CODE_RULES: Final[Mapping[int, _ErrorRule]] = {
    code: (cls, retryable) for code, (_name, cls, retryable) in BUSINESS_CODES.items()
}

# The rate-limit header (https://docs.pacifica.fi/api-documentation/api/rate-limits):
# 'ratelimit: "credits";r=<remaining x10>;t=<seconds to refresh>'.
_RATELIMIT_R = re.compile(r"(?:^|;)\s*r=(\d+)")
_RATELIMIT_T = re.compile(r"(?:^|;)\s*t=(\d+(?:\.\d+)?)")


def remaining_credits(response: HttpResponse) -> Decimal | None:
    """The credits left in the window, from the ``ratelimit`` header's ``r=`` (sent x10: ``r=1200`` →
    ``Decimal("120")``), or ``None`` when the header is absent or unreadable."""
    header = response.headers.get("ratelimit")
    match = _RATELIMIT_R.search(header) if header is not None else None
    return None if match is None else Decimal(int(match.group(1))) / 10


def _retry_after_s(response: HttpResponse) -> float | None:
    # Retry-After (seconds) first; else the t= (seconds to refresh) of the "ratelimit" header,
    # e.g. '"credits";r=0;t=32' (https://docs.pacifica.fi/api-documentation/api/rate-limits).
    seconds = retry_after_s(response)
    if seconds is not None:
        return seconds
    header = response.headers.get("ratelimit")
    if header is not None:
        match = _RATELIMIT_T.search(header)
        if match:
            return float(match.group(1))
    return None


def _error_fields(body: Any) -> tuple[str | None, int | str | None, str | None]:
    # (message, code, error_id) of an error envelope; Nones when absent.
    if not isinstance(body, Mapping):
        return None, None, None
    message = body.get("error")
    code = body.get("code")
    error_id = body.get("error_id")
    return (
        message if isinstance(message, str) else None,
        code if isinstance(code, int | str) and not isinstance(code, bool) else None,
        error_id if isinstance(error_id, str) else None,
    )


def _business_code(code: int | str | None) -> int | None:
    if isinstance(code, int):
        return code
    if isinstance(code, str) and code.strip().isdigit():
        return int(code)
    return None


def _rule_for(status: int, message: str | None, code: int | str | None, error_id: str | None) -> _ErrorRule | None:
    # The table rule for an error envelope: error_id, then message prefix, then 422 business code.
    if error_id is not None and error_id in ERROR_ID_RULES:
        return ERROR_ID_RULES[error_id]
    if message is not None:
        for prefix, rule in MESSAGE_PREFIX_RULES:
            if message.startswith(prefix):
                return rule
        if UNAUTHORIZED_SIGNER.search(message):
            return (AuthenticationError, False)
        if "order not found" in message.lower():  # "Stop order not found", "Order not found"
            return (OrderNotFound, False)
    business = _business_code(code)
    if status == 422 and business is not None and business in BUSINESS_CODE_RULES:
        return BUSINESS_CODE_RULES[business]
    return None


def classify_error(response: HttpResponse, *, writes: bool = False) -> RemoteError:
    """The stopkit error for a non-success Pacifica answer.

    - 429 → :class:`RateLimited` (``retry_after_s`` from ``Retry-After``, else the
      ``ratelimit`` header's ``t=``, which is in seconds; its ``r=`` credits are x10);
    - 5xx → :class:`VenueUnavailable`, ``outcome_known = not writes``;
    - then, for a JSON error envelope: by ``error_id``, message prefix (signature errors and
      the unbound-agent texts ``Agent not authorized for account`` and ``<key> is
      unauthorized to sign on behalf of <key>`` → :class:`AuthenticationError`, retryable
      only for ``Invalid message`` = expired),
      then 422 business code (:data:`BUSINESS_CODES`: 36 → :class:`DuplicateClientOrderId`,
      6/37 → :class:`OrderNotFound`, the tick, amount, stop-side and reduce-only codes →
      :class:`OrderRejected`; ``venue_code`` is the code, or the ``error_id`` when given);
    - else by status: 401/403 → :class:`AuthenticationError` (a 403 naming the builder
      code → :class:`OrderRejected`: an unapproved builder code is a refusal of this
      order, not of the credentials), 404 → :class:`OrderNotFound`, other 4xx and
      ``success: false`` → :class:`OrderRejected`;
    - a body that is not JSON → :class:`ResponseShapeError` (401/403: AuthenticationError).
    """
    status = response.status
    try:
        body: Any = response.json(venue=V)
    except ResponseShapeError:
        body = None
    message, code, error_id = _error_fields(body)
    fields: dict[str, Any] = {
        "venue": V,
        "http_status": status,
        "venue_code": error_id if error_id is not None else code,
        "venue_message": message,
        "raw_body": response.body,
    }
    text = message or f"HTTP {status}"
    if status == 429:
        credits = remaining_credits(response)
        left = "" if credits is None else f" ({credits} credits left)"
        return RateLimited(f"{V}: rate limited{left}: {text}", retry_after_s=_retry_after_s(response), **fields)
    if status >= 500:
        return VenueUnavailable(f"{V}: venue unavailable: {text}", outcome_known=not writes, **fields)
    if not isinstance(body, Mapping):
        if status in (401, 403):
            return AuthenticationError(f"{V}: access refused (HTTP {status})", **fields)
        return ResponseShapeError(f"{V}: HTTP {status} answer is not a JSON object", **fields)
    rule = _rule_for(status, message, code, error_id)
    if rule is not None:
        cls, retryable = rule
        business = _business_code(code)
        if status == 422 and business is not None and business in BUSINESS_CODES:
            text = f"{BUSINESS_CODES[business][0]} (code {business}): {text}"
        error = cls(f"{V}: {text}", retryable=retryable, **fields)
        if isinstance(error, AuthenticationError) and message is not None and message.startswith("Invalid message"):
            # Expired: the client re-signs with its clock corrected from the venue's Date header.
            error.stale_timestamp = True
        return error
    if status in (401, 403):
        if message is not None and "builder" in message.lower():
            return OrderRejected(f"{V}: builder code refused: {text}", **fields)
        return AuthenticationError(f"{V}: access refused: {text}", **fields)
    if status == 404:
        return OrderNotFound(f"{V}: not found: {text}", **fields)
    if 400 <= status < 500 or (200 <= status < 300 and body.get("success") is False):
        return OrderRejected(f"{V}: refused: {text}", **fields)
    return ResponseShapeError(f"{V}: unexpected HTTP {status} answer", **fields)


# -- success bodies ---------------------------------------------------------


def _is_error_envelope(body: Any) -> bool:
    return isinstance(body, Mapping) and (body.get("success") is False or body.get("error") not in (None, ""))


def _ok_body(response: HttpResponse, *, writes: bool) -> Any:
    # The JSON body of a 2xx answer; an error status or error envelope raises its stopkit error.
    if not 200 <= response.status < 300:
        raise classify_error(response, writes=writes)
    try:
        body = response.json(venue=V)
    except ResponseShapeError as exc:
        # A write that answered 2xx may well have taken effect.
        exc.outcome_known = not writes
        raise
    if _is_error_envelope(body):
        raise classify_error(response, writes=writes)
    return body


def _data(body: Any) -> Any:
    # The payload: "data" of an envelope, or the bare documented body.
    if isinstance(body, Mapping) and "data" in body and ("success" in body or "error" in body):
        return body["data"]
    return body


# The venue's success answer to a create-stop-order in its documented key order (compact or with JSON
# whitespace), read without a JSON parse: an id with leading zeros is no JSON number, and a string
# id here holds printable ASCII without escapes, so the groups are exactly what json would read.
_WS = rb"[ \t\n\r]*"
_PLACED = re.compile(
    _WS.join(
        (
            rb"",
            rb'\{', rb'"success"', rb":", rb"true", rb",", rb'"data"', rb":", rb"\{", rb'"order_id"', rb":",
            rb'(?:(0|[1-9][0-9]{0,19})|"([\x20\x21\x23-\x5b\x5d-\x7e]{1,64})")',
            rb"\}", rb",", rb'"error"', rb":", rb"null", rb",", rb'"code"', rb":", rb"null", rb"\}",
            rb"",
        )
    )
)  # fmt: skip


def _placed_body(response: HttpResponse) -> dict[str, Any] | None:
    # The body of the documented success answer, as json would read it; None for anything else.
    if response.status != 200:
        return None
    match = _PLACED.fullmatch(response.body)
    if match is None:
        return None
    number, text = match.groups()
    order_id: int | str = int(number) if number is not None else text.decode("ascii")
    return {"success": True, "data": {"order_id": order_id}, "error": None, "code": None}


def parse_place_response(order: AnyStopOrder, response: HttpResponse) -> OrderState:
    """The state of a just-created stop: ACCEPTED, ``venue_status="open"``.

    Accepts ``{"order_id": 12345}`` and ``{"success": true, "data": {"order_id": "241221627"}, ...}``
    (id as int or string). Raises the classified error for a refusal; an unreadable
    2xx body raises :class:`ResponseShapeError` with ``outcome_known=False``. The venue's usual
    answer (compact, ``{"success":true,"data":{"order_id":...},"error":null,"code":null}``) is
    matched as bytes; any other body goes through the JSON parser and the checks below.
    """
    body: Any = _placed_body(response)
    if body is not None:
        data: Any = body["data"]
    else:
        body = _ok_body(response, writes=True)
        data = _data(body)
        if not isinstance(data, Mapping) or "order_id" not in data:
            raise ResponseShapeError(
                f"{V}: create-stop answer has no order_id",
                venue=V,
                http_status=response.status,
                raw_body=response.body,
                outcome_known=False,
            )
    order_id = parse_id(data["order_id"], venue=V, field="order_id")
    return OrderState(
        venue=V,
        venue_order_id=order_id,
        client_order_id=order.client_order_id,
        symbol=native_symbol(order.symbol),
        side=order.side,
        kind=order.kind,
        status=OrderStatus.ACCEPTED,
        venue_status="open",
        quantity=order.quantity,
        stop_price=order.stop_price,
        limit_price=order.limit_price if isinstance(order, StopLimitOrder) else None,
        raw=body if isinstance(body, Mapping) else {"data": body},
    )


def parse_cancel_response(response: HttpResponse) -> None:
    """Accept ``{"success": true}`` (with or without the rest of the envelope); raise otherwise."""
    body = _ok_body(response, writes=True)
    if not isinstance(body, Mapping) or body.get("success") is not True:
        raise ResponseShapeError(
            f'{V}: cancel answer is not {{"success": true}}',
            venue=V,
            http_status=response.status,
            raw_body=response.body,
            outcome_known=False,
        )


def _rows(body: Any, what: str) -> list[Mapping[str, Any]]:
    data = _data(body)
    if not isinstance(data, list):
        raise ResponseShapeError(f"{V}: expected a list of {what}, got {type(data).__name__}", venue=V)
    return [require_mapping(row, venue=V, what=what) for row in data]


def row_order_id(row: Mapping[str, Any]) -> str:
    """An order row's ``order_id`` (JSON integer or string) as decimal text."""
    return str(parse_id(row.get("order_id"), venue=V, field="order_id"))


def is_stop_row(row: Mapping[str, Any]) -> bool:
    """True when the row's ``order_type`` is one of the documented stop types (``stop_market``,
    ``stop_limit``, the four TP/SL types); plain ``limit``/``market`` rows and unknown types are not
    (nor is a value that is not a string: a JSON object there would not even be hashable)."""
    value = row.get("order_type")
    return isinstance(value, str) and value in STOP_ORDER_TYPES


def row_kind(row: Mapping[str, Any], field: str = "order_type") -> OrderKind | None:
    """The kind of an order row from its ``order_type`` (stop kinds for the stop types, LIMIT/MARKET
    for plain orders), or ``None`` for a type Pacifica does not document (kept raw, never guessed)."""
    value = row.get(field)
    return ORDER_TYPE_KIND.get(value) if isinstance(value, str) else None


def _str(row: Mapping[str, Any], field: str, *, optional: bool = False) -> str | None:
    value = row.get(field)
    if value is None and optional:
        return None
    if not isinstance(value, str):
        raise ResponseShapeError(f"{V}: {field} must be a string, got {value!r}", venue=V)
    return value


@attrs.frozen(kw_only=True)
class _RowFacts:
    # What every Pacifica order row says about the order, whatever the endpoint.
    order_id: str
    client_order_id: str | None
    symbol: str
    kind: OrderKind
    side: Any
    quantity: Decimal | None
    filled: Decimal
    stop_price: Decimal | None
    limit_price: Decimal | None
    created_at: Any
    updated_at: Any


def _facts(row: Mapping[str, Any], kind: OrderKind, *, amount_field: str, price_field: str) -> _RowFacts:
    price = parse_decimal(row.get(price_field), venue=V, field=price_field, optional=True)
    amount = parse_decimal(row.get(amount_field), venue=V, field=amount_field, optional=True)
    return _RowFacts(
        order_id=str(parse_id(row.get("order_id"), venue=V, field="order_id")),
        client_order_id=_str(row, "client_order_id", optional=True) or None,
        symbol=str(_str(row, "symbol")),
        kind=kind,
        side=lookup(VENUE_SIDE, row.get("side"), venue=V, field="side"),
        quantity=amount,
        filled=parse_decimal(row.get("filled_amount"), venue=V, field="filled_amount", optional=True) or Decimal(0),
        stop_price=parse_decimal(row.get("stop_price"), venue=V, field="stop_price", optional=True),
        # A market-kind row carries no meaningful limit price.
        limit_price=price if kind in (OrderKind.STOP_LIMIT, OrderKind.LIMIT) and price else None,
        created_at=parse_unix_ms(row.get("created_at"), venue=V, field="created_at"),
        updated_at=parse_unix_ms(row.get("updated_at"), venue=V, field="updated_at"),
    )


def _kind_or_raise(row: Mapping[str, Any]) -> OrderKind:
    kind = row_kind(row)
    if kind is None:
        raise UnknownVenueValue(
            f"{V}: unknown order_type value {row.get('order_type')!r}",
            field="order_type",
            raw_value=row.get("order_type"),
            venue=V,
        )
    return kind


def _state(facts: _RowFacts, *, status: OrderStatus, venue_status: str, reason: str | None, raw: Any) -> OrderState:
    return OrderState(
        venue=V,
        venue_order_id=facts.order_id,
        client_order_id=facts.client_order_id,
        symbol=facts.symbol,
        side=facts.side,
        kind=facts.kind,
        status=status,
        venue_status=venue_status,
        quantity=facts.quantity,
        filled_quantity=facts.filled,
        stop_price=facts.stop_price,
        limit_price=facts.limit_price,
        created_at=facts.created_at,
        updated_at=facts.updated_at,
        reason=reason,
        raw=raw,
    )


def parse_open_order_row(row: Mapping[str, Any]) -> OrderState:
    """One ``GET /api/v1/orders`` row as a state, with its real kind (``order_type``).

    An open order is working: ACCEPTED, ``venue_status="open"`` (PARTIALLY_FILLED when
    ``filled_amount`` > 0); for a stop row that means armed. Assumption (ledger): once
    triggered, a stop no longer shows a stop ``order_type`` here; the events of
    history_by_id are authoritative for that.

    Raises:
        UnknownVenueValue: an ``order_type`` or ``side`` Pacifica does not document (callers
            listing stops skip such rows, see :func:`is_stop_row`).
        ResponseShapeError: a malformed row.
    """
    facts = _facts(row, _kind_or_raise(row), amount_field="initial_amount", price_field="price")
    status = OrderStatus.PARTIALLY_FILLED if facts.filled > 0 else OrderStatus.ACCEPTED
    return _state(facts, status=status, venue_status="open", reason=None, raw=row)


def parse_open_orders(response: HttpResponse) -> list[Mapping[str, Any]]:
    """The rows of ``GET /api/v1/orders?account=`` (envelope or bare list), all order types."""
    return _rows(_ok_body(response, writes=False), "open orders")


def _closed_status(order_status: str, reason: str | None) -> OrderStatus:
    # A known order_status, refined by the cancel reason (expired -> EXPIRED). An unknown reason
    # is kept raw by the caller and refines nothing: the order stays CANCELED.
    status = lookup(ORDER_STATUS, order_status, venue=V, field="order_status")
    if status is OrderStatus.CANCELED and reason:
        return CANCEL_REASON.get(reason, status)
    return status


def parse_history_row(row: Mapping[str, Any]) -> OrderState:
    """One ``GET /api/v1/orders/history`` row (summary of one order) as a state, with its real kind.

    ``order_status`` maps through :data:`~stopkit_venues.pacifica.mapping.ORDER_STATUS`
    (``cancelled`` refined by a known ``reason``; an unknown reason is kept raw in
    ``reason``); ``venue_status`` is ``order_status``. Quantity and limit price come from
    ``amount``/``initial_price`` (the documented row), or ``initial_amount``/``price`` where a
    row has those instead (the MCP server's example).

    Raises:
        UnknownVenueValue: an undocumented ``order_status`` or ``order_type``.
        ResponseShapeError: a malformed row.
    """
    amount_field = "amount" if "amount" in row else "initial_amount"
    price_field = "initial_price" if "initial_price" in row else "price"
    facts = _facts(row, _kind_or_raise(row), amount_field=amount_field, price_field=price_field)
    order_status = str(_str(row, "order_status"))
    reason = _str(row, "reason", optional=True)
    status = _closed_status(order_status, reason)
    return _state(facts, status=status, venue_status=order_status, reason=reason, raw=row)


@attrs.frozen
class HistoryPage:
    """One page of order history: ``rows``, ``next_cursor`` and ``has_more``."""

    rows: list[Mapping[str, Any]]
    next_cursor: str | None
    has_more: bool


def parse_history_page(response: HttpResponse) -> HistoryPage:
    """``GET /api/v1/orders/history`` → rows plus paging (``next_cursor``, ``has_more``)."""
    body = _ok_body(response, writes=False)
    rows = _rows(body, "order history rows")
    cursor = body.get("next_cursor") if isinstance(body, Mapping) else None
    has_more = body.get("has_more") if isinstance(body, Mapping) else False
    if cursor is not None and not isinstance(cursor, str | int):
        raise ResponseShapeError(f"{V}: next_cursor must be a string, got {cursor!r}", venue=V)
    return HistoryPage(rows=rows, next_cursor=None if cursor is None else str(cursor), has_more=has_more is True)


def _history_id(row: Mapping[str, Any]) -> int:
    value = parse_id(row.get("history_id"), venue=V, field="history_id")
    if value is None or not value.isdigit():
        raise ResponseShapeError(f"{V}: history_id must be an integer, got {row.get('history_id')!r}", venue=V)
    return int(value)


def parse_history_by_id(response: HttpResponse) -> OrderState | None:
    """The state of one order from its events (``GET /api/v1/orders/history_by_id``), or
    ``None`` when the venue returns no events (unknown id).

    The events are ordered by ``history_id`` (the documented example lists them newest first;
    nothing relies on that). The newest event wins:

    - ``order_status`` other than ``open`` decides (``filled``, ``partially_filled``,
      ``cancelled`` refined by ``reason`` e.g. expired → EXPIRED, ``rejected``), as do
      the terminal events ``cancel``/``force_cancel``/``expired``;
    - while ``open``, the events say how far a stop got: ``stop_created`` → ACCEPTED,
      ``stop_triggered`` (and ``stop_upgrade``, ``make``) → TRIGGERED; other events,
      including ones Pacifica does not document (kept raw in ``venue_status``), keep
      the phase of the events before them. An open plain (non-stop) order is ACCEPTED.

    The kind is the one of the order's stop-typed events when it has any (a released stop's
    later events may show ``limit``/``market``), else the real kind of its oldest event:
    LIMIT or MARKET for a plain order, which is not a stop.

    ``venue_status`` is the newest ``event_type`` while ``open``, else its ``order_status``.

    Raises:
        UnknownVenueValue: an ``order_status`` Pacifica does not document when no terminal
            event explains it (the state cannot be read without guessing), or no event
            with a documented ``order_type``.
        ResponseShapeError: a malformed answer.
    """
    body = _ok_body(response, writes=False)
    rows = _rows(body, "order events")
    if not rows:
        return None
    events = sorted(rows, key=_history_id)
    phase = OrderStatus.ACCEPTED
    for event in events:
        event_type = event.get("event_type")
        step = EVENT_PHASE.get(event_type) if isinstance(event_type, str) else None
        if step is not None:
            phase = step
    newest = events[-1]
    event_type = str(newest.get("event_type"))
    order_status = str(_str(newest, "order_status"))
    reason = _str(newest, "reason", optional=True)
    if reason is None and order_status != "open" and event_type in CANCEL_REASON:
        # The documented event rows carry no reason; a closing event's name is the reason
        # vocabulary itself (cancel, force_cancel, expired, post_only_rejected, self_trade_prevented).
        reason = event_type
    if order_status not in ORDER_STATUS and event_type in TERMINAL_EVENTS:
        # An undocumented status beside a documented terminal event: the event decides.
        status, venue_status = TERMINAL_EVENTS[event_type], order_status
    elif order_status == "open" and event_type not in TERMINAL_EVENTS:
        # The trigger phase is a stop's; a plain order that is open is working (ACCEPTED).
        stop_typed = any(is_stop_row(e) for e in events)
        status, venue_status = (phase if stop_typed else OrderStatus.ACCEPTED), event_type
    elif event_type in TERMINAL_EVENTS and order_status in ("open", "cancelled"):
        status = TERMINAL_EVENTS[event_type] if not reason else _closed_status("cancelled", reason)
        venue_status = order_status
    else:
        status, venue_status = _closed_status(order_status, reason), order_status
    stop_rows = [e for e in events if is_stop_row(e)]
    typed = stop_rows or [e for e in events if row_kind(e) is not None]
    if not typed:
        raise UnknownVenueValue(
            f"{V}: no event of order {newest.get('order_id')!r} has a documented order_type",
            field="order_type",
            raw_value=newest.get("order_type"),
            venue=V,
        )
    # Kind, quantity and prices from the order's own (stop-typed, else oldest typed) row.
    first = _facts(typed[0], _kind_or_raise(typed[0]), amount_field="initial_amount", price_field="price")
    last_filled = parse_decimal(newest.get("filled_amount"), venue=V, field="filled_amount", optional=True)
    facts = attrs.evolve(
        first,
        filled=last_filled or Decimal(0),
        stop_price=first.stop_price
        if first.stop_price is not None
        else parse_decimal(newest.get("stop_price"), venue=V, field="stop_price", optional=True),
        updated_at=parse_unix_ms(newest.get("created_at"), venue=V, field="created_at"),
    )
    raw = body if isinstance(body, Mapping) else {"data": rows}
    return _state(facts, status=status, venue_status=venue_status, reason=reason, raw=raw)


# -- market rules (GET /api/v1/info) ----------------------------------------------------


@attrs.frozen(kw_only=True)
class MarketRules:
    """One market's order rules, as ``GET /api/v1/info`` lists them
    (https://docs.pacifica.fi/api-documentation/api/rest-api/markets/get-market-info).

    Fields: ``symbol``; ``tick_size`` (prices are multiples of it); ``lot_size`` (amounts, in
    base units, are multiples of it); ``min_tick``/``max_tick`` (the price bounds, ``None``
    when not given); ``min_order_size`` (minimum order value in USD, ``None`` when not given);
    ``raw`` (the venue's row).
    """

    symbol: str
    tick_size: Decimal
    lot_size: Decimal
    min_tick: Decimal | None = None
    max_tick: Decimal | None = None
    min_order_size: Decimal | None = None
    raw: Mapping[str, Any] = attrs.field(factory=dict, eq=False, repr=False)


def _market_rules(row: Mapping[str, Any]) -> MarketRules:
    # One /info row; tick and lot sizes must be positive numbers.
    symbol = str(_str(row, "symbol"))
    values: dict[str, Decimal | None] = {}
    for field in ("tick_size", "lot_size", "min_tick", "max_tick", "min_order_size"):
        required = field in ("tick_size", "lot_size")
        values[field] = parse_decimal(row.get(field), venue=V, field=f"{symbol}.{field}", optional=not required)
    tick, lot = values["tick_size"], values["lot_size"]
    if tick is None or lot is None or tick <= 0 or lot <= 0:
        raise ResponseShapeError(f"{V}: {symbol}: tick_size and lot_size must be positive, got {tick}, {lot}", venue=V)
    return MarketRules(
        symbol=symbol,
        tick_size=tick,
        lot_size=lot,
        min_tick=values["min_tick"],
        max_tick=values["max_tick"],
        min_order_size=values["min_order_size"],
        raw=row,
    )


class MarketInfo(dict[str, Mapping[str, Any]]):
    """The rows of one ``GET /api/v1/info`` answer by ``symbol`` (a ``dict``), plus ``markets``:
    what has been read from them, by symbol (filled by :func:`~stopkit_venues.pacifica.rules.check_market_rules`).

    The client caches the answer (``market_info_ttl_s``) and every placement checks its order
    against it, so each market's row is read once per answer, not once per order.
    """

    __slots__ = ("markets",)

    def __init__(self, rows: Mapping[str, Mapping[str, Any]]) -> None:
        super().__init__(rows)
        self.markets: dict[str, Market] = {}


def parse_market_info(response: HttpResponse) -> MarketInfo:
    """``GET /api/v1/info`` → the venue's rows by ``symbol`` (rows without a string symbol are
    skipped). Each row is read into :class:`MarketRules` only when an order on that market is
    checked (:func:`market_rules`), so one malformed market never blocks the others."""
    rows = _rows(_ok_body(response, writes=False), "markets")
    return MarketInfo({row["symbol"]: row for row in rows if isinstance(row.get("symbol"), str)})


def market_rules(markets: Mapping[str, Mapping[str, Any]], symbol: str) -> MarketRules | None:
    """The rules of market ``symbol`` (exact, case-sensitive), or ``None`` when not listed.

    Raises:
        ResponseShapeError: the market's row is malformed.
    """
    row = markets.get(symbol)
    return None if row is None else _market_rules(row)
