"""B2TRADER parsing and error classification (sources: the ledger in docs/venues/b2trader.md)."""

from __future__ import annotations

import json
import time
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
from stopkit_venues.b2trader.parse import (
    classify_error,
    classify_status,
    error_details,
    parse_child_order,
    parse_order_response,
    parse_stop_order,
    parse_stop_response,
    parse_timestamp,
)


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


# -- what an error says: the message a caller reads, per status and body -----------------------------------


@pytest.mark.parametrize(
    ("response", "expected", "message"),
    [
        (
            HttpResponse(
                status=401, headers={"WWW-Authenticate": 'Bearer error="invalid_token", error_description="Expired"'}
            ),
            AuthenticationError,
            "b2trader refused the credentials (HTTP 401): Expired",
        ),
        (_answer({"title": "Forbidden"}, 403), AuthenticationError, "b2trader refused access (HTTP 403): Forbidden"),
        (
            _answer({"detail": "No such stop"}, 404),
            OrderNotFound,
            "b2trader does not know the order (HTTP 404): No such stop",
        ),
        (HttpResponse(status=429), RateLimited, "b2trader throttled (HTTP 429)"),
        (
            _answer({"message": "Insufficient balance"}, 400),
            OrderRejected,
            "b2trader refused the request (HTTP 400): Insufficient balance",
        ),
        (_answer({}, 405), OrderRejected, "b2trader refused the request (HTTP 405)"),
        (HttpResponse(status=503), VenueUnavailable, "b2trader is unavailable (HTTP 503)"),
        (_answer({"message": "maintenance"}, 500), VenueUnavailable, "b2trader is unavailable (HTTP 500): maintenance"),
        (HttpResponse(status=404), ResponseShapeError, "b2trader: HTTP 404 with an empty body"),
        (HttpResponse(status=409, body=b"oops"), ResponseShapeError, "b2trader: HTTP 409 with a body that is not JSON"),
        (_answer({"message": "M"}, 302), ResponseShapeError, "b2trader: unexpected HTTP 302"),
        (_answer({}, 600), ResponseShapeError, "b2trader: unexpected HTTP 600"),  # past 599: no 5xx
    ],
)
def test_error_messages_name_the_venue_the_status_and_the_venues_words(response, expected, message) -> None:
    """Each class of answer reads as one sentence: who, what it did, the HTTP status, then the venue's text."""
    error = classify_error(response)
    assert type(error) is expected
    assert error.message == message
    assert (error.venue, error.http_status) == ("b2trader", response.status)


def test_a_5xx_is_a_known_outcome_by_default() -> None:
    """classify_error without writes (a read) leaves a 5xx's outcome known: nothing was asked to change."""
    error = classify_error(HttpResponse(status=503))
    assert type(error) is VenueUnavailable
    assert error.outcome_known is True


@pytest.mark.parametrize(
    ("challenge", "text"),
    [
        ('Bearer error="invalid_token", error_description="The token expired"', "The token expired"),
        ('Bearer error="invalid_token"', "invalid_token"),
        ('Bearer realm="b2trader"', None),
    ],
)
def test_a_401_challenge_gives_its_description_then_its_error(challenge, text) -> None:
    """WWW-Authenticate: error_description first, else error, else nothing."""
    error = classify_error(HttpResponse(status=401, headers={"WWW-Authenticate": challenge}))
    assert type(error) is AuthenticationError
    assert error.venue_message == text


def test_a_challenge_header_counts_only_on_401_and_403() -> None:
    """A 404 that happens to carry WWW-Authenticate keeps its own (empty) details: the header is not its text."""
    response = HttpResponse(
        status=404, headers={"WWW-Authenticate": 'Bearer error="invalid_token"'}, body=b'{"status": 404}'
    )
    error = classify_error(response)
    assert type(error) is OrderNotFound
    assert error.venue_message is None
    assert error.message == "b2trader does not know the order (HTTP 404)"


@pytest.mark.parametrize(
    ("payload", "details"),
    [
        ({}, (None, None)),
        ({"message": "M"}, (None, "M")),
        ("  a bare string  ", (None, "a bare string")),
        ("   ", (None, None)),
        ([1, 2], (None, None)),
        ({"code": "C1", "message": "M"}, ("C1", "M")),
        ({"errorCode": 30100, "message": "M"}, ("30100", "M")),
        ({"code": True, "errorCode": "E2"}, ("E2", None)),  # a boolean is no code
        ({"title": "Bad", "detail": "Worse", "message": "Worst"}, (None, "Bad; Worse; Worst")),
        ({"title": "Same", "detail": "Same"}, (None, "Same")),  # a repeated text once
        ({"error": " halted "}, (None, "halted")),
        ({"error": {"code": 7, "message": "boom"}}, ("7", "boom")),
        ({"code": "C1", "error": {"code": 7, "message": "boom"}}, ("C1", "boom")),  # the outer code first
        (
            {"errors": {"order.marketId": ["unknown", 3], "order.side": "bad", "": ["general"], "x": [1]}},
            (None, "order.marketId: unknown; order.side: bad; general"),
        ),
        ({"errors": ["plain", {"message": "object"}, {"code": 1}, 5]}, (None, "plain; object")),
        ({"order": {"rejectDetails": "Insufficient funds"}}, (None, "Insufficient funds")),
        ({"title": "T", "order": {"rejectDetails": " "}}, (None, "T")),
    ],
)
def test_error_details_read_every_documented_and_defensive_shape(payload, details) -> None:
    """(venue_code, venue_message) of each error body shape, literal."""
    assert error_details(payload) == details


# -- a malformed stop or child names the field and the venue ----------------------------------------------

_CHILD_DOC = json.loads(support.DOC_WS_ITEM)["item"][0]
_STOP_DOC = json.loads(support.DOC_RESPONSE_BODY)["order"]


@pytest.mark.parametrize(
    ("changes", "error", "message"),
    [
        ({"status": None}, ResponseShapeError, "b2trader: order.status is missing or not a string: None"),
        ({"status": ""}, ResponseShapeError, "b2trader: order.status is missing or not a string: ''"),
        ({"orderType": "Trailing"}, UnknownVenueValue, "b2trader: unknown order.orderType value 'Trailing'"),
        ({"side": "Short"}, UnknownVenueValue, "b2trader: unknown order.side value 'Short'"),
        ({"timeInForce": "Gtx"}, UnknownVenueValue, "b2trader: unknown order.timeInForce value 'Gtx'"),
        ({"status": "Teleported"}, UnknownVenueValue, "b2trader: unknown order.status value 'Teleported'"),
        (
            {"cancellationDate": "soon"},
            ResponseShapeError,
            "b2trader: order.cancellationDate is not an ISO 8601 timestamp: 'soon'",
        ),
        ({"orderId": None}, ResponseShapeError, "b2trader: order.orderId is missing"),
        ({"marketId": 5}, ResponseShapeError, "b2trader: order.marketId is missing or not a string: 5"),
        ({"requestedAmount": None}, ResponseShapeError, "b2trader: order.requestedAmount is missing"),
        ({"createdAt": "x"}, ResponseShapeError, "b2trader: order.createdAt is not an ISO 8601 timestamp: 'x'"),
        ({"updatedAt": "x"}, ResponseShapeError, "b2trader: order.updatedAt is not an ISO 8601 timestamp: 'x'"),
        (
            {"orderType": "Limit", "requestedPrice": "0"},
            ResponseShapeError,
            "b2trader: order.requestedPrice of a Limit order is not positive: '0'",
        ),
    ],
)
def test_a_malformed_stop_names_the_field(changes, error, message) -> None:
    """parse_stop_order's errors: the exact class, the venue, and the field in the message."""
    with pytest.raises(error) as excinfo:
        parse_stop_order({**_STOP_DOC, **changes})
    assert (type(excinfo.value), excinfo.value.venue, excinfo.value.message) == (error, "b2trader", message)


@pytest.mark.parametrize(
    ("changes", "error", "message"),
    [
        ({"status": None}, ResponseShapeError, "b2trader: order.status is missing or not a string: None"),
        ({"status": "Teleported"}, UnknownVenueValue, "b2trader: unknown order.status value 'Teleported'"),
        ({"orderType": "StopLimit"}, UnknownVenueValue, "b2trader: unknown order.orderType value 'StopLimit'"),
        ({"side": None}, UnknownVenueValue, "b2trader: unknown order.side value None"),
        ({"requestedAmount": None}, ResponseShapeError, "b2trader: order.requestedAmount is missing"),
        (
            {"remainingAmount": True},
            ResponseShapeError,
            "b2trader: order.remainingAmount is a boolean, expected a number",
        ),
        ({"orderId": None}, ResponseShapeError, "b2trader: order.orderId is missing"),
        ({"marketId": None}, ResponseShapeError, "b2trader: order.marketId is missing or not a string: None"),
        ({"updatedAt": "x"}, ResponseShapeError, "b2trader: order.updatedAt is not an ISO 8601 timestamp: 'x'"),
        ({"createdAt": "x"}, ResponseShapeError, "b2trader: order.createdAt is not an ISO 8601 timestamp: 'x'"),
        (
            {"requestedPrice": "-1"},
            ResponseShapeError,
            "b2trader: order.requestedPrice of a Limit order is not positive: '-1'",
        ),
    ],
)
def test_a_malformed_child_order_names_the_field(changes, error, message) -> None:
    """parse_child_order's errors: the exact class, the venue, and the field in the message."""
    with pytest.raises(error) as excinfo:
        parse_child_order({**_CHILD_DOC, **changes})
    assert (type(excinfo.value), excinfo.value.venue, excinfo.value.message) == (error, "b2trader", message)


def test_a_stop_with_a_null_time_in_force_is_read() -> None:
    """timeInForce null (not validated) still reads as the documented stop, raw kept whole."""
    obj = {**_STOP_DOC, "timeInForce": None}
    state = parse_stop_order(obj)
    assert (state.status, state.kind, state.side) == (OrderStatus.ACCEPTED, OrderKind.STOP_MARKET, Side.BUY)
    assert state.raw == obj


def test_a_child_orders_fields_as_documented() -> None:
    """The documented OpenOrders item: LIMIT kind, no stop price, both timestamps in UTC, reason, raw kept."""
    state = parse_child_order(_CHILD_DOC)
    assert (state.venue, state.kind, state.side, state.symbol) == ("b2trader", OrderKind.LIMIT, Side.BUY, "cfd.eur_chf")
    assert (state.stop_price, state.limit_price) == (None, Decimal("0.9"))
    assert state.created_at == datetime(2025, 5, 20, 17, 22, 31, 899000, tzinfo=UTC)
    assert state.updated_at == datetime(2025, 5, 20, 17, 22, 31, 900121, tzinfo=UTC)
    assert state.reason == "Trader"
    assert state.raw == _CHILD_DOC


@pytest.mark.parametrize(("details", "reason"), [("Insufficient funds", "Insufficient funds"), ("  ", None)])
def test_a_rejected_stop_carries_its_reject_details(details, reason) -> None:
    """A Rejected stop's rejectDetails becomes its reason (blank text is no reason)."""
    state = parse_stop_order({**_STOP_DOC, "status": "Rejected", "rejectDetails": details})
    assert (state.status, state.reason) == (OrderStatus.REJECTED, reason)


@pytest.mark.parametrize("status", [300, 302])
def test_a_3xx_carrying_a_readable_order_is_an_error(status) -> None:
    """parse_order_response reads only a 2xx: a redirect holding a valid order object is not the cancel answer."""
    with pytest.raises(ResponseShapeError) as excinfo:
        parse_order_response(_answer({"order": _CHILD_DOC}, status), writes=False)
    assert (excinfo.value.http_status, excinfo.value.message) == (status, f"b2trader: unexpected HTTP {status}")


@pytest.mark.parametrize(("writes", "known"), [(True, False), (False, True)])
def test_a_5xx_to_the_child_cancel_keeps_the_writes_outcome_rule(writes, known) -> None:
    """parse_order_response passes writes on: a 5xx after the DELETE leaves the outcome unknown."""
    with pytest.raises(VenueUnavailable) as excinfo:
        parse_order_response(HttpResponse(status=503), writes=writes)
    assert excinfo.value.outcome_known is known


def test_field_errors_with_several_messages_are_joined_by_commas() -> None:
    """A field with several messages lists them comma-separated; fields are separated by '; '."""
    payload = {"errors": {"order.side": ["Invalid value.", "Required."], "": ["a", "b"]}}
    assert error_details(payload) == (None, "order.side: Invalid value., Required.; a, b")


def test_an_unexpected_status_keeps_the_bodys_code_and_text() -> None:
    """A 3xx with a JSON error body: ResponseShapeError that still carries the venue's code and message."""
    error = classify_error(_answer({"code": "E7", "message": "Moved"}, 302))
    assert type(error) is ResponseShapeError
    assert (error.venue_code, error.venue_message, error.venue) == ("E7", "Moved", "b2trader")


@pytest.mark.parametrize("status", [302, 600])
def test_classify_status_outside_4xx_and_5xx_is_a_shape_error(status) -> None:
    """classify_status (also the token exchange's classifier) gives a status of no error class a ResponseShapeError
    with the message and details handed in."""
    error = classify_status(
        HttpResponse(status=status), writes=True, message="M", venue_code="C", venue_message="V", raw_body="R"
    )
    assert type(error) is ResponseShapeError
    assert (error.message, error.venue, error.http_status) == ("M", "b2trader", status)
    assert (error.venue_code, error.venue_message, error.raw_body) == ("C", "V", "R")


def test_timestamps_are_utc_whatever_the_local_zone(monkeypatch: pytest.MonkeyPatch) -> None:
    """An offset timestamp is converted to UTC itself, not to the machine's zone (TZ set to Tokyo here)."""
    monkeypatch.setenv("TZ", "Asia/Tokyo")
    time.tzset()
    try:
        moment = parse_timestamp("2025-08-14T18:07:25.5+02:00", field="order.createdAt")
        assert moment is not None
        assert moment.isoformat() == "2025-08-14T16:07:25.500000+00:00"
    finally:
        monkeypatch.delenv("TZ")
        time.tzset()


@pytest.mark.parametrize("price", [None, "absent"])
def test_a_stop_without_an_activation_price_is_still_read(price) -> None:
    """activationPrice is optional in a stop answer: null or absent reads as no stop price."""
    obj = {**_STOP_DOC, "activationPrice": price}
    if price == "absent":
        del obj["activationPrice"]
    state = parse_stop_order(obj)
    assert (state.stop_price, state.status) == (None, OrderStatus.ACCEPTED)


def test_a_non_json_2xx_stop_answer_names_the_venue() -> None:
    """An unparseable 2xx to a stop request: ResponseShapeError from b2trader with the status kept."""
    with pytest.raises(ResponseShapeError) as excinfo:
        parse_stop_response(HttpResponse(status=200, body=b"<html>"), writes=False)
    assert (excinfo.value.venue, excinfo.value.http_status, excinfo.value.outcome_known) == ("b2trader", 200, True)
