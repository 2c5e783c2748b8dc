"""Pacifica answers at their edges: error envelopes without a text or with an odd ``error_id``, and rows
that cannot be read (the error names the venue and the field).

Shapes: the error envelope ``{"success": false, "error": ..., "code": ...}`` of
https://docs.pacifica.fi/api-documentation/api/error-codes and the history row of
tests/contract/pacifica/rest_order_history_docs.json.
"""

from __future__ import annotations

import json
from typing import Any

import pytest

from stopkit.errors import AuthenticationError, DuplicateClientOrderId, OrderRejected, StopkitError, UnknownVenueValue
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
