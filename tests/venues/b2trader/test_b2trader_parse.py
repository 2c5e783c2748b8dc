"""B2TRADER parsing and error classification (sources: the ledger in docs/venues/b2trader.md)."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from decimal import Decimal

import b2trader_support as support
import pytest

from stopkit import (
    AuthenticationError,
    HttpResponse,
    OrderKind,
    OrderNotFound,
    OrderRejected,
    OrderStatus,
    RateLimited,
    ResponseShapeError,
    Side,
    StopOrder,
    UnknownVenueValue,
    VenueUnavailable,
)
from stopkit_venues.b2trader.adapter import B2TraderBound
from stopkit_venues.b2trader.mapping import CHILD_ORDER_STATUS, STOP_STATUS
from stopkit_venues.b2trader.parse import classify_error, parse_child_order, parse_stop_response, parse_timestamp


@pytest.fixture
def b2t() -> type[support.B2TData]:
    """Constants and helpers of the B2TRADER tests."""
    return support.B2TData


@pytest.fixture
def bound() -> B2TraderBound:
    """B2TRADER bound to test credentials."""
    return support.make_bound()


@pytest.fixture
def doc_stop() -> StopOrder:
    """The documented example stop-market."""
    return support.make_doc_stop()


def _answer(obj: object, status: int = 200) -> HttpResponse:
    return HttpResponse(status=status, headers={"Content-Type": "application/json"}, body=json.dumps(obj).encode())


def _doc_order(b2t) -> dict:
    return json.loads(b2t.DOC_RESPONSE_BODY)["order"]


def test_documented_response_verbatim(bound, doc_stop, b2t) -> None:
    """The documented 200 answer → ACCEPTED with every field, 7-digit timestamps, "0" = no limit price."""
    response = HttpResponse(status=200, body=b2t.DOC_RESPONSE_BODY.encode())
    state = bound.parse_place_response(doc_stop, response)
    assert state.venue == "b2trader"
    assert state.venue_order_id == "01K2MNC3BVR5WRTBEE9YWAS91K"
    assert state.client_order_id == "coid-1"  # ours, kept locally: the venue echoes none
    assert state.symbol == "spot.btc_usdt"
    assert state.side is Side.BUY
    assert state.kind is OrderKind.STOP_MARKET
    assert state.status is OrderStatus.ACCEPTED
    assert state.venue_status == "WaitingForActivation"
    assert state.quantity == Decimal("0.01")
    assert state.filled_quantity == 0
    assert state.stop_price == Decimal("128000")
    assert state.limit_price is None
    assert state.created_at == datetime(2025, 8, 14, 16, 7, 25, 819303, tzinfo=UTC)
    assert state.updated_at == datetime(2025, 8, 14, 16, 7, 25, 819304, tzinfo=UTC)
    assert state.raw == json.loads(b2t.DOC_RESPONSE_BODY)["order"]


@pytest.mark.parametrize(
    ("status", "expected"),
    [
        ("WaitingForActivation", OrderStatus.ACCEPTED),
        ("Activated", OrderStatus.TRIGGERED),
        ("Rejected", OrderStatus.REJECTED),
    ],
)
def test_stop_statuses(b2t, status, expected) -> None:
    """The three stop statuses, each mapped and kept raw."""
    order = _doc_order(b2t) | {"status": status}
    state = parse_stop_response(_answer({"order": order}), writes=False)
    assert state.status is expected
    assert state.venue_status == status


def test_status_tables_are_complete() -> None:
    """Exactly the documented enums (order-statuses page), plus the legacy docs' Reverted."""
    assert set(STOP_STATUS) == {"WaitingForActivation", "Activated", "Rejected"}
    assert set(CHILD_ORDER_STATUS) == {
        "Started",
        "Pending",
        "Working",
        "Completed",
        "Cancelled",
        "Rejected",
        "Expired",
        "Reverted",  # legacy docs only; see mapping.py
    }


@pytest.mark.parametrize(
    ("field", "value"),
    [("status", "Cancelled"), ("status", "Unspecified"), ("side", "BUY"), ("orderType", "StopLimit")],
)
def test_unknown_enum_values_raise(b2t, field, value) -> None:
    """Unmapped values raise UnknownVenueValue carrying the raw value (no silent default)."""
    order = _doc_order(b2t) | {field: value}
    with pytest.raises(UnknownVenueValue) as excinfo:
        parse_stop_response(_answer({"order": order}), writes=False)
    assert excinfo.value.raw_value == value
    assert excinfo.value.field == f"order.{field}"
    assert excinfo.value.raw_body is not None
    assert value in excinfo.value.raw_body


def test_limit_stop_reads_requested_price(b2t) -> None:
    """A Limit stop's requestedPrice is its limit price."""
    order = _doc_order(b2t) | {"orderType": "Limit", "requestedPrice": "128100"}
    state = parse_stop_response(_answer({"order": order}), writes=False)
    assert state.kind is OrderKind.STOP_LIMIT
    assert state.limit_price == Decimal("128100")


def test_limit_stop_without_price_is_a_shape_error(b2t) -> None:
    """A Limit stop showing "0" has no usable limit: refuse to guess."""
    order = _doc_order(b2t) | {"orderType": "Limit"}
    with pytest.raises(ResponseShapeError, match="requestedPrice"):
        parse_stop_response(_answer({"order": order}), writes=False)


def test_market_stop_with_null_requested_price(b2t) -> None:
    """null (the field list's wording) is "no limit price" too."""
    state = parse_stop_response(_answer({"order": _doc_order(b2t) | {"requestedPrice": None}}), writes=False)
    assert state.limit_price is None


def test_ids_and_numbers_as_json_numbers(b2t) -> None:
    """An integer orderId becomes its decimal text; JSON-number amounts are read exactly."""
    body = json.dumps({"order": _doc_order(b2t) | {"orderId": 123456789}}).replace('"0.01"', "0.01").encode()
    state = parse_stop_response(HttpResponse(status=200, body=body), writes=False)
    assert state.venue_order_id == "123456789"
    assert state.quantity == Decimal("0.01")


@pytest.mark.parametrize(
    ("venue_status", "status"), [("WaitingForActivation", OrderStatus.ACCEPTED), ("Activated", OrderStatus.TRIGGERED)]
)
def test_cancellation_date_alone_is_not_a_cancel(b2t, venue_status, status) -> None:
    """A non-null cancellationDate outside a cancel answer (a GTD date, an Activated stop) keeps the status."""
    order = _doc_order(b2t) | {"status": venue_status, "cancellationDate": "2025-08-14T16:09:00.1234567Z"}
    state = parse_stop_response(_answer({"order": order}), writes=False)
    assert state.status is status
    assert state.raw["cancellationDate"] == "2025-08-14T16:09:00.1234567Z"


def test_cancel_answer_is_canceled_even_without_date(b2t) -> None:
    """A 200 to DELETE ("The canceled order") → CANCELED whatever the status text."""
    state = parse_stop_response(_answer({"order": _doc_order(b2t)}), writes=True, cancel_answer=True)
    assert state.status is OrderStatus.CANCELED


def test_activated_stop_in_a_cancel_answer_is_canceled(b2t) -> None:
    """A 200 cancel answer showing Activated is still a successful cancel (the text does not decide)."""
    order = _doc_order(b2t) | {"status": "Activated"}
    state = parse_stop_response(_answer({"order": order}), writes=True, cancel_answer=True)
    assert state.status is OrderStatus.CANCELED
    assert state.venue_status == "Activated"


def test_rejected_stop_in_a_cancel_answer_stays_rejected(b2t) -> None:
    """A Rejected stop never was live: a cancel answer does not turn it into CANCELED."""
    order = _doc_order(b2t) | {"status": "Rejected"}
    state = parse_stop_response(_answer({"order": order}), writes=True, cancel_answer=True)
    assert state.status is OrderStatus.REJECTED


@pytest.mark.parametrize(
    "body", [b"[]", b'{"orders": []}', b'{"order": "x"}', b'{"order": {"orderId": "X"}}', b"not json"]
)
def test_malformed_success_bodies_are_shape_errors(body) -> None:
    """A 200 that is not the documented envelope → ResponseShapeError with the raw body."""
    with pytest.raises(ResponseShapeError) as excinfo:
        parse_stop_response(HttpResponse(status=200, body=body), writes=True)
    assert excinfo.value.raw_body == body.decode()
    assert excinfo.value.http_status == 200


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("2025-08-14T16:07:25.8193038Z", datetime(2025, 8, 14, 16, 7, 25, 819303, tzinfo=UTC)),
        ("2025-05-20T17:22:31.899Z", datetime(2025, 5, 20, 17, 22, 31, 899000, tzinfo=UTC)),
        ("2025-05-20T17:22:31Z", datetime(2025, 5, 20, 17, 22, 31, tzinfo=UTC)),
        ("2025-05-20T17:22:31.123456Z", datetime(2025, 5, 20, 17, 22, 31, 123456, tzinfo=UTC)),
        ("2025-05-20T19:22:31.5+02:00", datetime(2025, 5, 20, 17, 22, 31, 500000, tzinfo=UTC)),
        (None, None),
    ],
)
def test_timestamps(text, expected) -> None:
    """0-7 fractional digits, truncated to microseconds; offsets honoured."""
    assert parse_timestamp(text, field="t") == expected


@pytest.mark.parametrize("text", ["yesterday", "2025-13-01T00:00:00Z", 1755187645, "2025-08-14T16:07:25.Z"])
def test_bad_timestamps(text) -> None:
    """Anything else is a ResponseShapeError naming the field."""
    with pytest.raises(ResponseShapeError, match=r"order\.createdAt"):
        parse_timestamp(text, field="order.createdAt")


# -- child orders (the order a stop releases) --------------------------------------------


def test_documented_stream_item_as_child_order(b2t) -> None:
    """The documented OpenOrders item (a Pending Limit order) parses as a released, resting order."""
    item = json.loads(b2t.DOC_WS_ITEM)["item"][0]
    state = parse_child_order(item)
    assert state.venue_order_id == "01JVQBFSTVC40VK03A0AY7K016"
    assert state.symbol == "cfd.eur_chf"
    assert state.status is OrderStatus.TRIGGERED
    assert state.venue_status == "Pending"
    assert state.kind is OrderKind.LIMIT  # a released order is a plain Limit order, not a stop
    assert state.quantity == Decimal("10000")
    assert state.filled_quantity == 0
    assert state.limit_price == Decimal("0.9")
    assert state.stop_price is None
    assert state.updated_at == datetime(2025, 5, 20, 17, 22, 31, 900121, tzinfo=UTC)


@pytest.mark.parametrize(
    ("status", "remaining", "expected", "filled"),
    [
        ("Started", "10000", OrderStatus.TRIGGERED, "0"),
        ("Working", "10000", OrderStatus.TRIGGERED, "0"),
        ("Working", "2500", OrderStatus.PARTIALLY_FILLED, "7500"),
        ("Completed", "0", OrderStatus.FILLED, "10000"),
        ("Cancelled", "4000", OrderStatus.CANCELED, "6000"),
        ("Rejected", "10000", OrderStatus.REJECTED, "0"),
        ("Expired", "10000", OrderStatus.EXPIRED, "0"),
    ],
)
def test_child_order_statuses_and_fills(b2t, status, remaining, expected, filled) -> None:
    """Regular-order statuses; Working with a partial fill → PARTIALLY_FILLED; filled = requested - remaining."""
    item = json.loads(b2t.DOC_WS_ITEM)["item"][0] | {"status": status, "remainingAmount": remaining}
    state = parse_child_order(item)
    assert state.status is expected
    assert state.filled_quantity == Decimal(filled)


def test_child_market_order_has_no_limit(b2t) -> None:
    """A Market child (from a stop-market) is a plain MARKET order (not a stop without a stop price) and shows
    requestedPrice "0": no limit price."""
    item = json.loads(b2t.DOC_WS_ITEM)["item"][0] | {"orderType": "Market", "requestedPrice": "0"}
    state = parse_child_order(item)
    assert (state.kind, state.stop_price) == (OrderKind.MARKET, None)
    assert state.limit_price is None


def test_child_unknown_status_raises(b2t) -> None:
    """A stop status is not a regular-order status."""
    item = json.loads(b2t.DOC_WS_ITEM)["item"][0] | {"status": "WaitingForActivation"}
    with pytest.raises(UnknownVenueValue):
        parse_child_order(item)


# -- errors ------------------------------------------------------------------------------

PROBLEM_400 = {
    "type": "https://tools.ietf.org/html/rfc9110#section-15.5.1",
    "title": "One or more validation errors occurred.",
    "status": 400,
    "errors": {"order.marketId": ["Market 'spot.foo_bar' was not found."], "order.side": ["Invalid value."]},
    "traceId": "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-00",
}


def test_problem_details_validation_is_rejected_with_field_messages() -> None:
    """RFC 7807 validation errors → OrderRejected, field messages in venue_message, raw body kept."""
    response = _answer(PROBLEM_400, 400)
    error = classify_error(response, writes=True)
    assert type(error) is OrderRejected
    assert error.http_status == 400
    assert error.venue_message is not None
    assert "One or more validation errors occurred." in error.venue_message
    assert "order.marketId: Market 'spot.foo_bar' was not found." in error.venue_message
    assert "order.side: Invalid value." in error.venue_message
    assert error.raw_body == response.text()
    assert error.outcome_known is True
    assert error.retryable is False


def test_problem_details_detail_and_not_found() -> None:
    """404 ProblemDetails → OrderNotFound carrying the detail."""
    body = {"type": "about:blank", "title": "Not Found", "status": 404, "detail": "Stop order 'X' was not found."}
    error = classify_error(_answer(body, 404))
    assert type(error) is OrderNotFound
    assert error.venue_message == "Not Found; Stop order 'X' was not found."


@pytest.mark.parametrize("status", [409, 422])
def test_message_bodies_are_rejections(status) -> None:
    """{"message": ...} bodies with 409/422 → OrderRejected."""
    error = classify_error(_answer({"message": "Insufficient balance"}, status), writes=True)
    assert type(error) is OrderRejected
    assert error.venue_message == "Insufficient balance"


def test_error_objects_carry_their_code() -> None:
    """{"error": {"code", "message"}} → venue_code and venue_message."""
    error = classify_error(_answer({"error": {"code": 30100, "message": "Price out of range"}}, 400))
    assert error.venue_code == "30100"
    assert error.venue_message == "Price out of range"


def test_error_strings() -> None:
    """{"error": "..."} → venue_message."""
    assert classify_error(_answer({"error": "market halted"}, 400)).venue_message == "market halted"


def test_regular_order_reject_details() -> None:
    """A rejected regular order's order.rejectDetails is surfaced."""
    error = classify_error(_answer({"order": {"rejectDetails": "Not enough funds"}}, 400))
    assert error.venue_message == "Not enough funds"


def test_empty_401_is_authentication_with_the_challenge() -> None:
    """ASP.NET JwtBearer: empty 401 + WWW-Authenticate → AuthenticationError with its description."""
    response = HttpResponse(
        status=401,
        headers={"WWW-Authenticate": 'Bearer error="invalid_token", error_description="The token expired"'},
    )
    error = classify_error(response, writes=True)
    assert type(error) is AuthenticationError
    assert error.venue_message == "The token expired"
    assert error.raw_body is None


def test_403_problem_is_authentication() -> None:
    """403 (account not accessible with this token) → AuthenticationError."""
    body = {"title": "Forbidden", "status": 403, "detail": "Account 'x' is not accessible with this token."}
    error = classify_error(_answer(body, 403))
    assert type(error) is AuthenticationError
    assert "not accessible" in (error.venue_message or "")


def test_429_is_rate_limited_with_retry_after() -> None:
    """429 → RateLimited, Retry-After in seconds, retryable."""
    error = classify_error(HttpResponse(status=429, headers={"Retry-After": "3"}, body=b""))
    assert isinstance(error, RateLimited)
    assert error.retry_after_s == 3.0
    assert error.retryable is True


def test_429_with_http_date_leaves_retry_after_unset() -> None:
    """The HTTP-date form needs the clock: left to backoff."""
    error = classify_error(HttpResponse(status=429, headers={"Retry-After": "Wed, 21 Oct 2025 07:28:00 GMT"}))
    assert isinstance(error, RateLimited)
    assert error.retry_after_s is None


@pytest.mark.parametrize(("writes", "known"), [(True, False), (False, True)])
def test_5xx_html_is_unavailable_and_write_outcome_unknown(writes, known) -> None:
    """A proxy's HTML 502 → VenueUnavailable; after a write the outcome is unknown."""
    html = b"<html><body><h1>502 Bad Gateway</h1></body></html>"
    error = classify_error(HttpResponse(status=502, headers={"Content-Type": "text/html"}, body=html), writes=writes)
    assert type(error) is VenueUnavailable
    assert error.outcome_known is known
    assert error.raw_body == html.decode()


def test_empty_500_is_unavailable() -> None:
    """An empty 500 → VenueUnavailable."""
    assert type(classify_error(HttpResponse(status=500), writes=True)) is VenueUnavailable


@pytest.mark.parametrize(("status", "body"), [(400, b"<html>Bad Request</html>"), (404, b""), (409, b"oops")])
def test_non_json_4xx_is_a_shape_error(status, body) -> None:
    """Empty or non-JSON 4xx (a proxy page, an unknown route): nothing says the venue judged the order."""
    error = classify_error(HttpResponse(status=status, body=body))
    assert type(error) is ResponseShapeError
    assert error.http_status == status
    assert error.raw_body == (body.decode() or None)


def test_success_status_handed_to_classify_is_a_shape_error() -> None:
    """classify_error on a 200 → ResponseShapeError."""
    assert type(classify_error(_answer({"order": {}}, 200))) is ResponseShapeError


def test_place_response_with_error_status_raises_classified(bound, doc_stop) -> None:
    """parse_place_response raises the classified error (writes=True: 503 outcome unknown)."""
    with pytest.raises(VenueUnavailable) as excinfo:
        bound.parse_place_response(doc_stop, HttpResponse(status=503, body=b"Service Unavailable"))
    assert excinfo.value.outcome_known is False


# -- Reverted (legacy docs) --------------------------------------------------------------


def test_reverted_child_is_canceled_with_nothing_filled(b2t) -> None:
    """Reverted: the trade was rolled back → CANCELED, filled 0 whatever remainingAmount says, reason set."""
    item = json.loads(b2t.DOC_WS_ITEM)["item"][0] | {"status": "Reverted", "remainingAmount": "0"}
    state = parse_child_order(item)
    assert state.status is OrderStatus.CANCELED
    assert state.venue_status == "Reverted"
    assert state.filled_quantity == 0
    assert state.reason is not None
    assert state.reason.startswith("Reverted: the order's trade was rolled back")
    assert state.raw["remainingAmount"] == "0"


# -- the error matrix: every status class x ProblemDetails / plain JSON / empty ----------


def _problem(status: int) -> bytes:
    return json.dumps(
        {"type": "about:blank", "title": "T", "status": status, "detail": "D", "traceId": "00-1-2-00"}
    ).encode()


@pytest.mark.parametrize(
    ("status", "shape", "expected"),
    [
        (400, "problem", OrderRejected),
        (400, "plain", OrderRejected),
        (400, "empty", ResponseShapeError),
        (401, "problem", AuthenticationError),
        (401, "plain", AuthenticationError),
        (401, "empty", AuthenticationError),
        (403, "problem", AuthenticationError),
        (403, "plain", AuthenticationError),
        (403, "empty", AuthenticationError),
        (404, "problem", OrderNotFound),
        (404, "plain", OrderNotFound),
        (404, "empty", ResponseShapeError),  # an unknown route (wrong base_url) says nothing about the order
        (415, "problem", OrderRejected),
        (415, "empty", ResponseShapeError),
        (429, "problem", RateLimited),
        (429, "plain", RateLimited),
        (429, "empty", RateLimited),
        (500, "problem", VenueUnavailable),
        (502, "plain", VenueUnavailable),
        (503, "empty", VenueUnavailable),
        (504, "empty", VenueUnavailable),
    ],
)
@pytest.mark.parametrize("writes", [True, False])
def test_error_matrix(status, shape, expected, writes) -> None:
    """Each status with each body shape lands in the tree; details read, raw body kept; 5xx after a write unknown."""
    body = {"problem": _problem(status), "plain": b'{"message":"M"}', "empty": b""}[shape]
    error = classify_error(HttpResponse(status=status, body=body), writes=writes)
    assert type(error) is expected
    assert error.http_status == status
    assert error.venue == "b2trader"
    assert error.raw_body == (body.decode() or None)
    if shape == "problem":
        assert error.venue_message == "T; D"
    elif shape == "plain":
        assert error.venue_message == "M"
    assert error.outcome_known is (not (writes and status >= 500))
    assert error.retryable is (expected in (RateLimited, VenueUnavailable))


@pytest.mark.parametrize(
    "body", [b"", b"<html>OK</html>", b'{"order": {"status": "Teleported"}}', b'{"order": null}', b"[]"]
)
def test_unreadable_2xx_after_a_write_has_an_unknown_outcome(bound, doc_stop, body) -> None:
    """A 2xx to place that cannot be read: the venue may hold the order → outcome_known=False; reads stay known."""
    response = HttpResponse(status=200, body=body)
    with pytest.raises(ResponseShapeError) as excinfo:
        bound.parse_place_response(doc_stop, response)
    assert excinfo.value.outcome_known is False
    assert excinfo.value.raw_body == body.decode()
    with pytest.raises(ResponseShapeError) as read:
        bound.parse_stop_response(response)
    assert read.value.outcome_known is True
