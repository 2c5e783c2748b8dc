"""Pacifica parsing: documented bodies, ids as int and string, status/event tables, error classification."""

from __future__ import annotations

import json
from decimal import Decimal
from typing import Any

import pytest

from stopkit.errors import (
    AuthenticationError,
    DuplicateClientOrderId,
    OrderNotFound,
    OrderRejected,
    RateLimited,
    ResponseShapeError,
    UnknownVenueValue,
    VenueUnavailable,
)
from stopkit.orders import OrderKind, PositionEffect, Side, StopLimitOrder, StopOrder, TriggerType
from stopkit.state import OrderStatus
from stopkit.wire import HttpResponse
from stopkit_venues.pacifica import mapping
from stopkit_venues.pacifica.parse import (
    classify_error,
    parse_cancel_response,
    parse_history_by_id,
    parse_history_page,
    parse_history_row,
    parse_open_order_row,
    parse_open_orders,
    parse_place_response,
)

CLOID = "d25ac10b-58cc-4372-a567-0e02b2c3d479"
ORDER = StopLimitOrder(
    symbol="BTC/USDC:USDC", side="sell", position_effect="close", quantity=Decimal("0.1"),
    stop_price=Decimal("48000"), limit_price=Decimal("47950"), client_order_id=CLOID,
)  # fmt: skip


def _resp(status: int, body: Any, headers: dict[str, str] | None = None) -> HttpResponse:
    raw = body if isinstance(body, bytes) else json.dumps(body).encode()
    return HttpResponse(status=status, headers=headers or {}, body=raw)


# -- tables ------------------------------------------------------------------------------------


def test_tables_are_complete() -> None:
    """Every documented status, event, reason and order type is mapped; every neutral trigger but INDEX."""
    assert set(mapping.ORDER_STATUS) == {"open", "partially_filled", "filled", "cancelled", "rejected"}
    assert set(mapping.CANCEL_REASON) == {
        "cancel",
        "force_cancel",
        "expired",
        "post_only_rejected",
        "self_trade_prevented",
    }
    assert set(mapping.EVENT_PHASE) == {
        "make", "stop_created", "stop_triggered", "stop_upgrade", "stop_parent_order_filled", "fulfill_market",
        "fulfill_limit", "adjust", "cancel", "force_cancel", "expired", "post_only_rejected", "self_trade_prevented",
    }  # fmt: skip
    assert set(mapping.ORDER_TYPE_KIND) == {
        "limit", "market", "stop_limit", "stop_market", "take_profit_limit", "stop_loss_limit",
        "take_profit_market", "stop_loss_market",
    }  # fmt: skip
    assert set(mapping.TRIGGER_TYPE_TO_VENUE) == set(TriggerType) - {TriggerType.INDEX_PRICE}
    assert mapping.CANCEL_REASON["expired"] is OrderStatus.EXPIRED
    assert {mapping.SIDE_TO_VENUE[s]: s for s in Side} == dict(mapping.VENUE_SIDE)


# -- place -------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "body",
    [
        {"order_id": 12345},
        {"order_id": "12345"},
        {"success": True, "data": {"order_id": 12345}, "error": None, "code": None},
        {"success": True, "data": {"order_id": "12345"}, "error": None, "code": None},
    ],
)
def test_place_response_documented_and_enveloped(body: dict[str, Any]) -> None:
    """The documented bare body and the live envelope, id int or string → ACCEPTED "open"."""
    state = parse_place_response(ORDER, _resp(200, body))
    assert state.venue_order_id == "12345"
    assert state.status is OrderStatus.ACCEPTED
    assert state.venue_status == "open"
    assert state.symbol == "BTC"
    assert (state.side, state.kind) == (Side.SELL, OrderKind.STOP_LIMIT)
    assert (state.quantity, state.stop_price, state.limit_price) == (Decimal("0.1"), Decimal(48000), Decimal(47950))
    assert state.client_order_id == CLOID
    assert state.raw == body


def test_place_response_live_fixture_string_id() -> None:
    """The ccxt live fixture verbatim."""
    body = b'{"success":true,"data":{"order_id":"241221627"},"error":null,"code":null}'
    state = parse_place_response(StopOrder(symbol="BTC", side="buy", quantity=1, stop_price=1), _resp(200, body))
    assert state.venue_order_id == "241221627"
    assert state.limit_price is None


def test_place_response_errors() -> None:
    """A 400 raises the classified error; an unreadable 200 has an unknown outcome."""
    with pytest.raises(OrderRejected, match="Invalid stop order parameters"):
        parse_place_response(ORDER, _resp(400, {"error": "Invalid stop order parameters", "code": 400}))
    with pytest.raises(ResponseShapeError) as info:
        parse_place_response(ORDER, _resp(200, b"<html>"))
    assert info.value.outcome_known is False
    with pytest.raises(ResponseShapeError) as info:
        parse_place_response(ORDER, _resp(200, {"success": True, "data": {}}))
    assert info.value.outcome_known is False
    with pytest.raises(OrderRejected):
        parse_place_response(ORDER, _resp(200, {"success": False, "data": None, "error": "nope", "code": 0}))


def test_cancel_response() -> None:
    """{"success": true} (bare or enveloped) is accepted; the documented not-found → OrderNotFound."""
    parse_cancel_response(_resp(200, {"success": True}))
    parse_cancel_response(_resp(200, {"success": True, "data": None, "error": None, "code": None}))
    with pytest.raises(OrderNotFound):
        parse_cancel_response(_resp(400, {"error": "Stop order not found", "code": 400}))
    with pytest.raises(ResponseShapeError):
        parse_cancel_response(_resp(200, {"ok": 1}))


# -- classify_error ----------------------------------------------------------------------------


def _classify(status: int, body: Any, *, writes: bool = False, headers: dict[str, str] | None = None) -> Any:
    return classify_error(_resp(status, body, headers), writes=writes)


def test_signature_errors_are_authentication_errors() -> None:
    """The four documented signature errors → AuthenticationError; only the expired one is retryable. An
    ``error_id`` beside the text (no outside source shows one: assumption) becomes the venue code."""
    live = {
        "success": False, "data": None, "code": 400, "error_id": "signature_verification_failed",
        "error": "Verification failed: signature does not match signer and canonical payload.",
    }  # fmt: skip
    err = _classify(400, live, writes=True)
    assert isinstance(err, AuthenticationError)
    assert (err.retryable, err.outcome_known, err.venue_code, err.http_status) == (
        False, True, "signature_verification_failed", 400,
    )  # fmt: skip
    assert err.venue == "pacifica"
    assert "Verification failed" in (err.venue_message or "")
    assert err.raw_body == json.dumps(live)
    for message, retryable in (("Invalid signature", False), ("Invalid message", True), ("Invalid public key", False)):
        err = _classify(400, {"success": False, "data": None, "error": message, "code": 400}, writes=True)
        assert isinstance(err, AuthenticationError)
        assert err.retryable is retryable
        assert err.outcome_known is True
    agent, account = "3ogUn1GNXoASaRbxPNeVJnVv5rG4EPBtmQmX61jVorUe", "FAe4sisG95oZ42w7buUn5qEE4TAnfTTFPiguZUHmhiF"
    for text in (
        "Unauthorized",
        "Agent not authorized for account",
        f"{agent} is unauthorized to sign on behalf of {account}",
    ):
        err = _classify(400, {"success": False, "data": None, "error": text, "code": 400}, writes=True)
        assert type(err) is AuthenticationError, text
        assert err.retryable is False


def test_business_errors() -> None:
    """422 code 36 → DuplicateClientOrderId; code 6 / "not found" → OrderNotFound; others → OrderRejected."""
    err = _classify(422, {"success": False, "data": None, "error": "Duplicate client order id", "code": 36})
    assert isinstance(err, DuplicateClientOrderId)
    assert err.venue_code == "36"
    assert isinstance(_classify(422, {"success": False, "error": "x", "code": 6}), OrderNotFound)
    assert isinstance(_classify(422, {"success": False, "error": "Order not found", "code": 0}), OrderNotFound)
    position = _classify(422, {"success": False, "error": "Position not found", "code": 13})
    assert type(position) is OrderRejected
    amount = {"success": False, "data": None, "error": "Order amount too low for A: 7.81140 < 10", "code": 0,
              "error_id": "invalid_amount"}  # fmt: skip
    err = _classify(422, amount)
    assert type(err) is OrderRejected
    assert (err.venue_code, err.retryable) == ("invalid_amount", False)
    assert type(_classify(409, {"error": "conflict", "code": 409})) is OrderRejected
    tick = _classify(
        400, {"success": False, "error": "Stop price 48000.5 is not a multiple of tick size 1", "code": 400}
    )
    assert type(tick) is OrderRejected


def test_access_errors() -> None:
    """403 → AuthenticationError, except an unapproved builder code → OrderRejected; 401 → Auth; 404 → NotFound."""
    assert isinstance(_classify(403, {"error": "Restricted region", "code": 403}), AuthenticationError)
    builder = _classify(403, {"success": False, "error": "Builder code MYCODE is not approved", "code": 50})
    assert type(builder) is OrderRejected
    assert isinstance(_classify(401, b"Unauthorized"), AuthenticationError)
    assert isinstance(_classify(404, {"error": "no such thing", "code": 404}), OrderNotFound)


def test_rate_limited() -> None:
    """429 → RateLimited, Retry-After first, else the ratelimit header's t=."""
    err = _classify(429, {"error": "Rate limit exceeded", "code": 429}, headers={"Retry-After": "3"})
    assert isinstance(err, RateLimited)
    assert (err.retry_after_s, err.retryable) == (3.0, True)
    err = _classify(429, b"too many", headers={"ratelimit": '"credits";r=0;t=32'})
    assert isinstance(err, RateLimited)
    assert err.retry_after_s == 32.0
    assert _classify(429, b"").retry_after_s is None


def test_server_errors_outcome() -> None:
    """5xx (even plain text, as documented) → VenueUnavailable; outcome unknown for writes only."""
    write = _classify(500, b"Internal server error", writes=True)
    read = _classify(503, b"", writes=False)
    assert isinstance(write, VenueUnavailable)
    assert isinstance(read, VenueUnavailable)
    assert (write.outcome_known, read.outcome_known) == (False, True)
    assert write.retryable


def test_non_json_is_shape_error() -> None:
    """A non-JSON 4xx body → ResponseShapeError carrying the raw body."""
    err = _classify(400, b"<html>bad gateway</html>")
    assert type(err) is ResponseShapeError
    assert err.raw_body == "<html>bad gateway</html>"


# -- reads -------------------------------------------------------------------------------------

OPEN_ROWS_DOC = (
    b'{"success": true, "data": [{"order_id": 315979358, "client_order_id": "add9a4b5-c7f7-4124-b57f-86982d86d479", '
    b'"symbol": "ASTER", "side": "ask", "price": "1.836", "initial_amount": "85.33", "filled_amount": "0", '
    b'"cancelled_amount": "0", "stop_price": null, "order_type": "limit", "stop_parent_order_id": null, '
    b'"reduce_only": false, "created_at": 1759224706737, "updated_at": 1759224706737}], "error": null, "code": null}'
)


def test_open_orders_documented_example() -> None:
    """The documented open-orders body parses to rows (a plain limit order is not a stop)."""
    rows = parse_open_orders(_resp(200, OPEN_ROWS_DOC))
    assert len(rows) == 1
    assert rows[0]["order_type"] == "limit"


def _stop_row(**overrides: Any) -> dict[str, Any]:
    row: dict[str, Any] = {
        "order_id": "241221627", "client_order_id": CLOID, "symbol": "BTC", "side": "ask", "price": "47950",
        "initial_amount": "0.1", "filled_amount": "0", "cancelled_amount": "0", "stop_price": "48000",
        "order_type": "stop_limit", "stop_parent_order_id": None, "reduce_only": True,
        "trigger_price_type": "mark_price", "created_at": "1716200000000", "updated_at": 1716200000001,
    }  # fmt: skip
    row.update(overrides)
    return row


def test_open_stop_row_is_accepted() -> None:
    """An untriggered stop row → ACCEPTED "open"; ids and timestamps may be strings."""
    state = parse_open_order_row(_stop_row())
    assert state.status is OrderStatus.ACCEPTED
    assert state.venue_status == "open"
    assert state.venue_order_id == "241221627"
    assert (state.kind, state.side, state.limit_price) == (OrderKind.STOP_LIMIT, Side.SELL, Decimal(47950))
    assert state.created_at is not None
    assert state.created_at.year == 2024
    market = parse_open_order_row(_stop_row(order_type="stop_market", price="0", order_id=7))
    assert (market.kind, market.limit_price, market.venue_order_id) == (OrderKind.STOP_MARKET, None, "7")
    assert parse_open_order_row(_stop_row(filled_amount="0.05")).status is OrderStatus.PARTIALLY_FILLED


def test_unknown_values_a_row_cannot_be_read_without_raise() -> None:
    """An unmapped side, order type or order status → UnknownVenueValue carrying it (the state cannot be
    read without guessing)."""
    with pytest.raises(UnknownVenueValue) as info:
        parse_open_order_row(_stop_row(side="long"))
    assert (info.value.field, info.value.raw_value) == ("side", "long")
    with pytest.raises(UnknownVenueValue):
        parse_open_order_row(_stop_row(order_type="trailing_stop"))
    with pytest.raises(UnknownVenueValue):
        parse_history_row(_history_row(order_status="zombie"))
    with pytest.raises(UnknownVenueValue):
        parse_history_by_id(_events(("stop_created", "open"), ("make", "zombie")))


def test_unknown_reasons_and_events_are_kept_raw() -> None:
    """An unknown cancel reason or event refines nothing and is kept raw: never raised out of a read."""
    cancelled = parse_history_row(_history_row(order_status="cancelled", reason="gremlins"))
    assert (cancelled.status, cancelled.reason, cancelled.venue_status) == (
        OrderStatus.CANCELED,
        "gremlins",
        "cancelled",
    )
    odd = parse_history_by_id(_events(("stop_created", "open"), ("teleported", "open")))
    assert odd is not None
    assert (odd.status, odd.venue_status) == (OrderStatus.ACCEPTED, "teleported")
    triggered = parse_history_by_id(_events(("stop_created", "open"), ("stop_triggered", "open"),
                                            ("twap_triggered", "open")))  # fmt: skip
    assert triggered is not None
    assert triggered.status is OrderStatus.TRIGGERED
    # An undocumented status beside a documented terminal event: the event decides.
    gone = parse_history_by_id(_events(("stop_created", "open"), ("cancel", "cancelled_by_user")))
    assert gone is not None
    assert (gone.status, gone.venue_status) == (OrderStatus.CANCELED, "cancelled_by_user")


def _history_row(**overrides: Any) -> dict[str, Any]:
    row: dict[str, Any] = {
        "order_id": 315992721, "client_order_id": CLOID, "symbol": "BTC", "side": "ask", "initial_price": "47950",
        "average_filled_price": "0", "amount": "0.1", "filled_amount": "0", "order_status": "open",
        "order_type": "stop_limit", "stop_price": "48000", "stop_parent_order_id": None, "reduce_only": True,
        "reason": None, "created_at": 1759224893638, "updated_at": 1759224893638,
    }  # fmt: skip
    row.update(overrides)
    return row


def test_history_page_documented_example() -> None:
    """The documented history page: rows, next_cursor, has_more."""
    body = {"success": True, "data": [_history_row()], "next_cursor": "1111Hyd74", "has_more": True}
    page = parse_history_page(_resp(200, body))
    assert (len(page.rows), page.next_cursor, page.has_more) == (1, "1111Hyd74", True)
    last = parse_history_page(_resp(200, {"success": True, "data": [], "next_cursor": None, "has_more": False}))
    assert (last.rows, last.next_cursor, last.has_more) == ([], None, False)


@pytest.mark.parametrize(
    ("order_status", "reason", "expected"),
    [
        ("open", None, OrderStatus.ACCEPTED),
        ("filled", None, OrderStatus.FILLED),
        ("partially_filled", None, OrderStatus.PARTIALLY_FILLED),
        ("cancelled", "cancel", OrderStatus.CANCELED),
        ("cancelled", "expired", OrderStatus.EXPIRED),
        ("rejected", "post_only_rejected", OrderStatus.REJECTED),
    ],
)
def test_history_row_statuses(order_status: str, reason: str | None, expected: OrderStatus) -> None:
    """History rows map order_status, refined by reason; the raw status and reason are kept."""
    state = parse_history_row(_history_row(order_status=order_status, reason=reason))
    assert state.status is expected
    assert state.venue_status == order_status
    assert state.reason == reason


def _events(*steps: tuple[str, str], **overrides: Any) -> HttpResponse:
    rows = []
    for index, (event_type, order_status) in enumerate(steps):
        row = {
            "history_id": 641452500 + index, "order_id": 315992721, "client_order_id": CLOID, "symbol": "BTC",
            "side": "ask", "price": "47950", "initial_amount": "0.1",
            "filled_amount": "0.1" if order_status == "filled" else "0", "cancelled_amount": "0",
            "event_type": event_type, "order_type": "stop_limit" if index == 0 else "limit",
            "order_status": order_status, "stop_price": "48000", "stop_parent_order_id": None,
            "reduce_only": True, "created_at": 1759224893638 + index,
        }  # fmt: skip
        row.update(overrides)
        rows.append(row)
    rows.reverse()  # newest first, as documented
    return _resp(200, {"success": True, "data": rows, "error": None, "code": None})


@pytest.mark.parametrize(
    ("steps", "expected", "venue_status"),
    [
        ((("stop_created", "open"),), OrderStatus.ACCEPTED, "stop_created"),
        ((("stop_created", "open"), ("stop_triggered", "open")), OrderStatus.TRIGGERED, "stop_triggered"),
        ((("stop_created", "open"), ("stop_triggered", "open"), ("make", "open")), OrderStatus.TRIGGERED, "make"),
        ((("stop_created", "open"), ("stop_triggered", "open"), ("adjust", "open")), OrderStatus.TRIGGERED, "adjust"),
        (
            (("stop_created", "open"), ("stop_triggered", "open"), ("fulfill_limit", "partially_filled")),
            OrderStatus.PARTIALLY_FILLED,
            "partially_filled",
        ),
        (
            (("stop_created", "open"), ("stop_triggered", "open"), ("fulfill_market", "filled")),
            OrderStatus.FILLED,
            "filled",
        ),
        ((("stop_created", "open"), ("cancel", "cancelled")), OrderStatus.CANCELED, "cancelled"),
        ((("stop_created", "open"), ("expired", "cancelled")), OrderStatus.EXPIRED, "cancelled"),
        ((("stop_created", "open"), ("force_cancel", "rejected")), OrderStatus.REJECTED, "rejected"),
    ],
)
def test_history_by_id_newest_event_wins(
    steps: tuple[tuple[str, str], ...], expected: OrderStatus, venue_status: str
) -> None:
    """Events in any order: the highest history_id decides; while open, the events give the phase."""
    state = parse_history_by_id(_events(*steps))
    assert state is not None
    assert state.status is expected
    assert state.venue_status == venue_status
    assert state.kind is OrderKind.STOP_LIMIT  # from the stop-typed creation event, not the released "limit"
    assert state.venue_order_id == "315992721"
    assert state.stop_price == Decimal(48000)


def test_history_by_id_reason_and_string_ids() -> None:
    """A cancelled event carrying reason=expired → EXPIRED; string history ids sort numerically."""
    state = parse_history_by_id(_events(("stop_created", "open"), ("cancel", "cancelled"), reason="expired"))
    assert state is not None
    assert (state.status, state.reason) == (OrderStatus.EXPIRED, "expired")
    body = {"success": True, "data": [
        {**_history_row(), "history_id": "10", "event_type": "stop_triggered", "order_status": "open",
         "price": "47950", "initial_amount": "0.1"},
        {**_history_row(), "history_id": "9", "event_type": "stop_created", "order_status": "open",
         "price": "47950", "initial_amount": "0.1"},
    ]}  # fmt: skip
    state = parse_history_by_id(_resp(200, body))
    assert state is not None
    assert state.status is OrderStatus.TRIGGERED


def test_history_by_id_documented_examples() -> None:
    """Both documented shapes (envelope, bare list) of a plain limit order parse; an unknown id → None."""
    enveloped = {"success": True, "data": [
        {"history_id": 641452639, "order_id": 315992721, "client_order_id": "ade1aa6...", "symbol": "XPL",
         "side": "ask", "price": "1.0865", "initial_amount": "984", "filled_amount": "0", "cancelled_amount": "984",
         "event_type": "cancel", "order_type": "limit", "order_status": "cancelled", "stop_price": None,
         "stop_parent_order_id": None, "reduce_only": False, "created_at": 1759224895038},
        {"history_id": 641452513, "order_id": 315992721, "client_order_id": "ade1aa6...", "symbol": "XPL",
         "side": "ask", "price": "1.0865", "initial_amount": "984", "filled_amount": "0", "cancelled_amount": "0",
         "event_type": "make", "order_type": "limit", "order_status": "open", "stop_price": None,
         "stop_parent_order_id": None, "reduce_only": False, "created_at": 1759224893638},
    ], "error": None, "code": None}  # fmt: skip
    state = parse_history_by_id(_resp(200, enveloped))
    assert state is not None
    assert (state.status, state.symbol, state.quantity) == (OrderStatus.CANCELED, "XPL", Decimal(984))
    bare = [
        {"history_id": 26698518, "order_id": 13753364, "client_order_id": "f47ac10b-58cc-4372-a567-0e02b2c3d479",
         "symbol": "BTC", "side": "bid", "price": "50000.00", "initial_amount": "0.1", "filled_amount": "0.1",
         "cancelled_amount": "0.0", "event_type": "fulfill_limit", "order_type": "limit", "order_status": "filled",
         "stop_price": None, "stop_parent_order_id": None, "reduce_only": False, "created_at": 1748956314604},
    ]  # fmt: skip
    state = parse_history_by_id(_resp(200, bare))
    assert state is not None
    assert (state.status, state.filled_quantity, state.side) == (OrderStatus.FILLED, Decimal("0.1"), Side.BUY)
    assert parse_history_by_id(_resp(200, {"success": True, "data": [], "error": None, "code": None})) is None


def test_whole_position_order_state_has_no_quantity() -> None:
    """A stop created without amount parses with quantity None."""
    order = StopOrder(symbol="BTC", side="sell", quantity=None, position_effect=PositionEffect.CLOSE, stop_price=1)
    assert parse_place_response(order, _resp(200, {"order_id": 1})).quantity is None
    assert parse_open_order_row(_stop_row(initial_amount=None)).quantity is None


# -- issue 3: business-code table, rate-limit header, reasons from events -------------------------


def test_business_code_table_is_the_current_numbering() -> None:
    """Every stop-relevant code of the current table is mapped, with its name (the error-codes page, CCXT
    exceptions.exact)."""
    from stopkit_venues.pacifica.parse import BUSINESS_CODES

    assert {code: name for code, (name, _cls, _retry) in BUSINESS_CODES.items()} == {
        3: "BOOK_NOT_FOUND", 6: "ORDER_NOT_FOUND", 7: "ORDER_AMOUNT_TOO_LOW", 10: "OPEN_ORDER_LIMIT_REACHED",
        13: "POSITION_NOT_FOUND", 16: "INVALID_STOP_TICK",
        17: "INVALID_STOP_ORDER_SIDE", 18: "INVALID_STOP_ORDER_AMOUNT", 19: "INVALID_STOP_ORDER_REDUCE_ONLY",
        20: "INVALID_ORDER_TYPE", 21: "INVALID_REDUCE_ONLY_ORDER_SIDE", 22: "INVALID_REDUCE_ONLY_ORDER_AMOUNT",
        23: "NO_POSITION_FOR_REDUCE_ONLY_ORDER", 25: "NO_REASONABLE_PRICE", 30: "PRICE_TOO_FAR_FROM_MARK",
        36: "DUPLICATE_CLIENT_ORDER_ID", 37: "UNUSED_CLIENT_ORDER_ID", 50: "INVALID_BUILDER_CODE",
        52: "INVALID_TICK_SIZE", 59: "INVALID_AMOUNT",
    }  # fmt: skip


@pytest.mark.parametrize(
    ("code", "cls"),
    [(6, OrderNotFound), (36, DuplicateClientOrderId), (37, OrderNotFound)]
    + [(c, OrderRejected) for c in (10, 13, 16, 17, 18, 19, 20, 21, 22, 23, 25, 30, 50, 52, 59, 99)],
)
def test_each_business_code(code: int, cls: type[Exception]) -> None:
    """A 422 envelope with each code → its class, not retryable, outcome known, the code kept; an unknown code
    (99) is a refusal too."""
    err = _classify(422, {"success": False, "data": None, "error": "refused", "code": code}, writes=True)
    assert type(err) is cls
    assert (err.venue_code, err.retryable, err.outcome_known, err.http_status) == (str(code), False, True, 422)


def test_business_code_outside_422_is_not_read_as_one() -> None:
    """Code 36 under a 400 is not a duplicate (business codes come with 422 only)."""
    assert type(_classify(400, {"success": False, "error": "Bad Request", "code": 36})) is OrderRejected


def test_ratelimit_header_units() -> None:
    """r= and q= are credits x10, t= is seconds: r=1200;t=32 → 120 credits left, retry after 32 s."""
    from stopkit_venues.pacifica.parse import remaining_credits

    headers = {"ratelimit": '"credits";r=1200;t=32', "ratelimit-policy": '"credits";q=1250;w=60'}
    response = _resp(429, {"success": False, "data": None, "error": "Rate limit exceeded", "code": 429}, headers)
    assert remaining_credits(response) == Decimal(120)
    err = classify_error(response)
    assert isinstance(err, RateLimited)
    assert err.retry_after_s == 32.0
    assert "120 credits left" in str(err)
    assert remaining_credits(_resp(200, {})) is None
    assert classify_error(_resp(429, b"", {"Retry-After": "5", "ratelimit": '"credits";r=0;t=40'})).retry_after_s == 5


@pytest.mark.parametrize(
    ("event", "status", "expected", "reason"),
    [
        ("cancel", "cancelled", OrderStatus.CANCELED, "cancel"),
        ("force_cancel", "cancelled", OrderStatus.CANCELED, "force_cancel"),
        ("force_cancel", "rejected", OrderStatus.REJECTED, "force_cancel"),
        ("expired", "cancelled", OrderStatus.EXPIRED, "expired"),
        ("self_trade_prevented", "cancelled", OrderStatus.CANCELED, "self_trade_prevented"),
        ("fulfill_market", "filled", OrderStatus.FILLED, None),
    ],
)
def test_history_by_id_reason_from_the_closing_event(
    event: str, status: str, expected: OrderStatus, reason: str | None
) -> None:
    """Event rows carry no reason (documented shape): a closing event's name is kept as the reason."""
    state = parse_history_by_id(_events(("stop_created", "open"), ("stop_triggered", "open"), (event, status)))
    assert state is not None
    assert (state.status, state.reason, state.venue_status) == (expected, reason, status)
