"""Pacifica answers at their edges: error envelopes without a text or with an odd ``error_id``, and rows
that cannot be read (the error names the venue and the field).

Shapes: the error envelope ``{"success": false, "error": ..., "code": ...}`` of
https://docs.pacifica.fi/api-documentation/api/error-codes and the history row of
tests/contract/pacifica/rest_order_history_docs.json.
"""

from __future__ import annotations

import json
from datetime import UTC, datetime
from typing import Any

import pytest

import stopkit
from stopkit.errors import AuthenticationError, DuplicateClientOrderId, OrderRejected, StopkitError, UnknownVenueValue
from stopkit.state import OrderKind, OrderStatus
from stopkit.wire import HttpResponse
from stopkit_venues.pacifica import parse


def _answer(status: int, body: object) -> HttpResponse:
    return HttpResponse(status=status, headers={"Content-Type": "application/json"}, body=json.dumps(body).encode())


def _history_row(**changes: Any) -> dict[str, Any]:
    row: dict[str, Any] = {
        "order_id": 5, "client_order_id": None, "symbol": "BTC", "side": "ask", "initial_price": "0",
        "average_filled_price": "0", "amount": "0.1", "filled_amount": "0", "order_status": "cancelled",
        "order_type": "stop_market", "stop_price": "48000", "stop_parent_order_id": None, "reduce_only": True,
        "reason": "cancel", "created_at": 1_716_200_000_000, "updated_at": 1_716_200_000_000,
    }  # fmt: skip
    row.update(changes)
    return row


def test_error_envelopes_without_a_text_are_classified_by_status() -> None:
    """Envelopes carrying no error text are still classified: by status (400, 401) or 422 business code."""
    rejected = parse.classify_error(_answer(400, {"success": False}), writes=True)
    assert isinstance(rejected, OrderRejected)
    assert rejected.message == "pacifica: refused: HTTP 400"
    refused = parse.classify_error(_answer(401, {"success": False, "error": None}))
    assert isinstance(refused, AuthenticationError)
    assert refused.retryable is False
    duplicate = parse.classify_error(_answer(422, {"success": False, "code": 36}), writes=True)
    assert isinstance(duplicate, DuplicateClientOrderId)
    assert duplicate.message == "pacifica: DUPLICATE_CLIENT_ORDER_ID (code 36): HTTP 422"


def test_an_error_id_that_is_not_text_is_ignored() -> None:
    """A numeric error_id is no documented error id: the 422 business code decides, and is the venue code."""
    body = {"success": False, "error": "Client order id already exists", "code": 36, "error_id": 5}
    error = parse.classify_error(_answer(422, body), writes=True)
    assert isinstance(error, DuplicateClientOrderId)
    assert error.venue_code == "36"


def test_history_rows_that_are_not_objects_are_refused_naming_what_was_expected() -> None:
    """A history page whose rows are numbers: ResponseShapeError of pacifica saying it expected order rows."""
    with pytest.raises(StopkitError) as info:
        parse.parse_history_page(_answer(200, {"success": True, "data": [1], "error": None, "code": None}))
    assert info.value.message == "pacifica: expected a JSON object for order history rows, got int"
    assert info.value.venue == "pacifica"


def test_a_history_row_with_an_unreadable_order_id_or_status_names_pacifica_and_the_field() -> None:
    """An order_id that is an object, or an undocumented order_status, is refused naming pacifica (and field)."""
    with pytest.raises(StopkitError) as order_id:
        parse.parse_history_row(_history_row(order_id={"id": 5}))
    assert (order_id.value.venue, order_id.value.message) == (
        "pacifica",
        "pacifica: order_id has an unexpected type dict",
    )
    with pytest.raises(UnknownVenueValue) as status:
        parse.parse_history_row(_history_row(order_status="weird"))
    assert (status.value.venue, status.value.field, status.value.raw_value) == ("pacifica", "order_status", "weird")


def test_a_listed_error_id_decides_before_the_text_and_an_unlisted_one_is_ignored() -> None:
    """error_id signature_verification_failed is a refused credential whatever the status says; an error_id
    not in the table leaves the text to decide (here a documented signature text)."""
    listed = {"success": False, "error": "request refused", "code": 400, "error_id": "signature_verification_failed"}
    error = parse.classify_error(_answer(400, listed), writes=True)
    assert isinstance(error, AuthenticationError)
    assert error.venue_code == "signature_verification_failed"
    unlisted = {"success": False, "error": "Invalid signature", "code": 400, "error_id": "some_new_id"}
    assert isinstance(parse.classify_error(_answer(400, unlisted), writes=True), AuthenticationError)
    plain = {"success": False, "error": "request refused", "code": 400, "error_id": "some_new_id"}
    assert isinstance(parse.classify_error(_answer(400, plain), writes=True), OrderRejected)


def _event(history_id: int, event_type: str, order_status: str) -> dict[str, Any]:
    # One row of GET /api/v1/orders/history_by_id (tests/contract/pacifica/rest_order_history_by_id_docs.json).
    return {
        "history_id": history_id, "order_id": 7, "client_order_id": None, "symbol": "BTC", "side": "ask",
        "price": "0", "initial_amount": "0.1", "filled_amount": "0", "cancelled_amount": "0",
        "event_type": event_type, "order_type": "stop_market", "order_status": order_status,
        "stop_price": "48000", "stop_parent_order_id": None, "reduce_only": True,
        "created_at": 1759224893638 + history_id,
    }  # fmt: skip


@pytest.mark.parametrize(("order_status", "reason"), [("open", None), ("cancelled", "cancel")])
def test_a_closing_event_names_the_reason_only_once_the_status_is_closed(order_status: str, reason: str | None) -> None:
    """The newest event 'cancel' ends the stop and dates the update; its name becomes the reason only when
    order_status is closed."""
    events = [_event(2, "cancel", order_status), _event(1, "stop_created", "open")]
    answer = _answer(200, {"success": True, "data": events})
    state = parse.parse_history_by_id(answer)
    assert state is not None
    assert (state.status, state.reason) == (OrderStatus.CANCELED, reason)
    assert state.created_at == datetime(2025, 9, 30, 9, 34, 53, 639000, tzinfo=UTC)  # the oldest event's
    assert state.updated_at == datetime(2025, 9, 30, 9, 34, 53, 640000, tzinfo=UTC)  # the newest event's


def test_a_create_answer_with_an_unreadable_order_id_names_the_field() -> None:
    """A create-stop answer whose order_id is an object is unreadable, the error naming order_id."""
    order = stopkit.StopOrder(
        symbol="BTC",
        side="sell",
        quantity="0.1",
        stop_price=48000,
        position_effect="close",
        client_order_id="d25ac10b-58cc-4372-a567-0e02b2c3d479",
    )
    answer = _answer(200, {"success": True, "data": {"order_id": {"id": 1}}, "error": None, "code": None})
    with pytest.raises(StopkitError) as info:
        parse.parse_place_response(order, answer)
    assert info.value.message == "pacifica: order_id has an unexpected type dict"


def test_a_history_page_whose_data_is_not_a_list_is_refused_by_pacifica() -> None:
    """A history answer whose data is an object: ResponseShapeError of pacifica saying a list was expected."""
    with pytest.raises(StopkitError) as info:
        parse.parse_history_page(_answer(200, {"success": True, "data": {}, "error": None, "code": None}))
    assert (info.value.venue, info.value.message) == (
        "pacifica",
        "pacifica: expected a list of order history rows, got dict",
    )


def test_a_history_row_with_an_unreadable_filled_amount_names_the_field() -> None:
    """filled_amount "some" makes the row unreadable, the error naming filled_amount."""
    with pytest.raises(StopkitError) as info:
        parse.parse_history_row(_history_row(filled_amount="some"))
    assert info.value.message == "pacifica: filled_amount is not a number: 'some'"


def test_an_expired_signature_is_marked_for_a_resign_with_the_venue_clock() -> None:
    """'Invalid message' (an expired signed request) is an AuthenticationError flagged stale_timestamp."""
    error = parse.classify_error(_answer(400, {"success": False, "error": "Invalid message: expired", "code": 400}))
    assert isinstance(error, AuthenticationError)
    assert error.stale_timestamp is True
    other = parse.classify_error(_answer(400, {"success": False, "error": "Invalid signature", "code": 400}))
    assert isinstance(other, AuthenticationError)
    assert other.stale_timestamp is False


def test_an_events_answer_whose_data_is_not_a_list_is_refused_saying_so() -> None:
    """history_by_id answering an object: ResponseShapeError saying a list of order events was expected."""
    with pytest.raises(StopkitError) as info:
        parse.parse_history_by_id(_answer(200, {"success": True, "data": {}, "error": None, "code": None}))
    assert info.value.message == "pacifica: expected a list of order events, got dict"


def test_a_cancel_answer_that_is_not_an_object_keeps_the_body() -> None:
    """A 200 cancel answer that is a JSON list is unreadable (outcome unknown) and keeps the body."""
    with pytest.raises(StopkitError) as info:
        parse.parse_cancel_response(HttpResponse(status=200, body=b"[]"))
    assert (info.value.outcome_known, info.value.raw_body) == (False, "[]")


def test_the_kind_comes_from_the_stop_typed_events_even_after_an_older_plain_one() -> None:
    """Events of a released stop: though an older event shows 'limit', the stop-typed event gives the kind."""
    plain = {**_event(1, "make", "open"), "order_type": "limit"}
    stop = {**_event(2, "stop_created", "open"), "order_type": "stop_limit", "price": "47950"}
    state = parse.parse_history_by_id(_answer(200, {"success": True, "data": [stop, plain]}))
    assert state is not None
    assert state.kind is OrderKind.STOP_LIMIT


def test_an_open_order_row_keeps_its_update_time() -> None:
    """An open-orders row is a working order of pacifica, dated by its created_at and updated_at."""
    row = {
        "order_id": 7, "client_order_id": None, "symbol": "BTC", "side": "ask", "price": "0",
        "initial_amount": "0.1", "filled_amount": "0", "cancelled_amount": "0", "stop_price": "48000",
        "order_type": "stop_market", "stop_parent_order_id": None, "reduce_only": True,
        "created_at": 1748956324604, "updated_at": 1748956389000,
    }  # fmt: skip
    state = parse.parse_open_order_row(row)
    assert (state.venue, state.venue_order_id, state.status) == ("pacifica", "7", OrderStatus.ACCEPTED)
    assert state.created_at == datetime(2025, 6, 3, 13, 12, 4, 604000, tzinfo=UTC)
    assert state.updated_at == datetime(2025, 6, 3, 13, 13, 9, tzinfo=UTC)


def test_a_history_page_with_an_object_cursor_is_refused_by_pacifica() -> None:
    """next_cursor {} is no cursor: ResponseShapeError of pacifica quoting it."""
    body = {"success": True, "data": [], "next_cursor": {}, "has_more": True, "error": None, "code": None}
    with pytest.raises(StopkitError) as info:
        parse.parse_history_page(_answer(200, body))
    assert (info.value.venue, info.value.message) == ("pacifica", "pacifica: next_cursor must be a string, got {}")


def test_a_market_list_that_is_not_a_list_is_refused_saying_markets() -> None:
    """GET /api/v1/info answering an object: the error says a list of markets was expected."""
    with pytest.raises(StopkitError) as info:
        parse.parse_market_info(_answer(200, {"success": True, "data": {}, "error": None, "code": None}))
    assert info.value.message == "pacifica: expected a list of markets, got dict"


def test_a_create_answer_without_an_order_id_keeps_the_body() -> None:
    """A 200 create-stop answer without order_id: outcome unknown, the error keeping the answer's body."""
    order = stopkit.StopOrder(symbol="BTC", side="sell", quantity="0.1", stop_price=48000, position_effect="close")
    body = {"success": True, "data": {}, "error": None, "code": None}
    with pytest.raises(StopkitError) as info:
        parse.parse_place_response(order, _answer(200, body))
    assert info.value.message == "pacifica: create-stop answer has no order_id"
    assert (info.value.outcome_known, info.value.raw_body) == (False, json.dumps(body))


def test_an_event_with_an_unreadable_filled_amount_names_the_field() -> None:
    """The newest event's filled_amount "some" makes the events unreadable, the error naming filled_amount."""
    events = [{**_event(2, "cancel", "cancelled"), "filled_amount": "some"}, _event(1, "stop_created", "open")]
    with pytest.raises(StopkitError) as info:
        parse.parse_history_by_id(_answer(200, {"success": True, "data": events}))
    assert info.value.message == "pacifica: filled_amount is not a number: 'some'"


def test_the_stop_price_falls_back_to_the_newest_event() -> None:
    """When the order's own event shows no stop_price, the newest event's is used; unreadable, it is named."""
    first = {**_event(1, "stop_created", "open"), "stop_price": None}
    events = [_event(2, "cancel", "cancelled"), first]
    state = parse.parse_history_by_id(_answer(200, {"success": True, "data": events}))
    assert state is not None
    assert state.stop_price == 48000
    broken = [{**_event(2, "cancel", "cancelled"), "stop_price": "high"}, first]
    with pytest.raises(StopkitError) as info:
        parse.parse_history_by_id(_answer(200, {"success": True, "data": broken}))
    assert info.value.message == "pacifica: stop_price is not a number: 'high'"
