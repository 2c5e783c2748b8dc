"""The write-outcome rule and the write records, unit by unit, against literal expected values (mutation kills).

Each test names what it pins; see ``python -m benchmarks.mutation report --survivors`` for the mutants.
"""

from __future__ import annotations

from decimal import Decimal

import pytest

from stopkit.errors import (
    AuthenticationError,
    OrderNotFound,
    OrderRejected,
    OutcomeUnknown,
    RateLimited,
    ResponseShapeError,
    TransportError,
    VenueUnavailable,
)
from stopkit.orders import OrderKind, Side, StopLimitOrder, StopOrder
from stopkit.outcomes import PendingWrite, WriteOutcome, judge_read_failure, judge_write_failure, order_terms
from stopkit.state import OrderState, OrderStatus
from stopkit.venue import Refusal
from stopkit.wire import HttpResponse

REFUSALS = (
    Refusal(operations={"place"}, status=422, error=OrderRejected, codes={"17"}, source="doc: code 17"),
    Refusal(operations={"cancel"}, status=404, error=OrderNotFound, any_body=True, source="doc: 404"),
    Refusal(
        operations={"place", "cancel"},
        status=400,
        error=OrderRejected,
        message_prefixes=("Invalid ",),
        message_patterns=(r"tick size \d+",),
        source="doc: texts",
    ),
    Refusal(operations={"place"}, status=429, error=RateLimited, any_error_body=True, source="doc: 429 shape"),
)


def _answer(status: int, body: bytes = b'{"error": "x"}') -> HttpResponse:
    return HttpResponse(status=status, body=body)


def _judge(error: BaseException, status: int, operation: str = "place") -> object:
    return judge_write_failure(error, _answer(status), venue="v", operation=operation, refusals=REFUSALS)


@pytest.mark.parametrize(
    ("error", "status", "operation"),
    [
        (OrderRejected("r", venue_code="17"), 422, "place"),
        (OrderNotFound("gone"), 404, "cancel"),
        (OrderRejected("r", venue_message="Invalid price"), 400, "cancel"),
        (OrderRejected("r", venue_message="price not on tick size 5"), 400, "place"),
        (RateLimited("slow", venue_message="too many"), 429, "place"),
    ],
)
def test_a_documented_refusal_is_returned_as_a_known_failure(error: OrderRejected, status: int, operation: str) -> None:
    """Every way a Refusal matches (code, any body, prefix, pattern, error shape) keeps the error, known."""
    judged = _judge(error, status, operation)
    assert judged is error
    assert error.outcome_known is True


@pytest.mark.parametrize(
    ("error", "status", "operation"),
    [
        (OrderRejected("r", venue_code="18"), 422, "place"),  # another code
        (OrderRejected("r", venue_code="17"), 400, "place"),  # another status
        (OrderRejected("r", venue_code="17"), 422, "cancel"),  # another operation
        (OrderNotFound("gone"), 404, "place"),  # documented for cancel only
        (OrderRejected("r", venue_message="invalid price"), 400, "place"),  # prefixes are case-sensitive
        (OrderRejected("r", venue_message=None), 400, "place"),  # no text to match
        (RateLimited("slow"), 429, "place"),  # neither code nor text: not the documented shape
        (AuthenticationError("who", venue_code="17"), 422, "place"),  # another error class
    ],
)
def test_anything_else_is_an_unknown_outcome_keeping_the_parsers_view(
    error: OrderRejected, status: int, operation: str
) -> None:
    """An undocumented answer becomes OutcomeUnknown with the parser's error in `classified` and the answer's
    status, code, message and body."""
    judged = _judge(error, status, operation)
    assert isinstance(judged, OutcomeUnknown)
    assert judged.outcome_known is False
    assert judged.classified is error
    assert (judged.venue, judged.http_status, judged.raw_body) == ("v", status, '{"error": "x"}')
    assert (judged.venue_code, judged.venue_message) == (error.venue_code, error.venue_message)
    assert f"the answer to {operation} (HTTP {status}) is not a refusal the venue documents" in judged.message
    assert f"read as {type(error).__name__}: {error.message}" in judged.message


def test_a_known_error_that_says_outcome_unknown_is_not_taken_as_a_refusal() -> None:
    """An error already marked outcome_known=False is never a known failure, even if it matches a refusal."""
    error = OrderRejected("r", venue_code="17", outcome_known=False)
    assert isinstance(_judge(error, 422), OutcomeUnknown)


@pytest.mark.parametrize(
    "error",
    [ResponseShapeError("bad"), VenueUnavailable("down"), TransportError("reset"), OutcomeUnknown("?")],
)
def test_unreadable_unavailable_or_transport_errors_stay_themselves_but_unknown(error: ResponseShapeError) -> None:
    """These errors are returned as they are, marked unknown and not retryable."""
    error.retryable = True
    judged = _judge(error, 503)
    assert judged is error
    assert (error.outcome_known, error.retryable) == (False, False)


@pytest.mark.parametrize("crash", [RecursionError("deep"), MemoryError(), KeyError("x"), ValueError("v")])
def test_a_parser_crash_is_an_unreadable_answer_with_unknown_outcome(crash: BaseException) -> None:
    """Any non-stopkit exception becomes ResponseShapeError, unknown, naming the exception class."""
    judged = _judge(crash, 200, "cancel")
    assert isinstance(judged, ResponseShapeError)
    assert (judged.outcome_known, judged.venue, judged.http_status) == (False, "v", 200)
    assert judged.raw_body == '{"error": "x"}'
    assert judged.message == (
        f"v: the answer to cancel (HTTP 200) could not be read ({type(crash).__name__}); the venue may have acted"
    )


def test_read_failures() -> None:
    """A read's stopkit error passes unchanged; a crash becomes a ResponseShapeError with the answer's status."""
    error = OrderNotFound("gone")
    assert judge_read_failure(error, _answer(404), venue="v", operation="get") is error
    judged = judge_read_failure(KeyError("k"), _answer(200, b"{}"), venue="v", operation="get")
    assert isinstance(judged, ResponseShapeError)
    assert (judged.venue, judged.http_status, judged.raw_body) == ("v", 200, "{}")
    assert judged.message == "v: the answer to get (HTTP 200) could not be read (KeyError)"


def test_order_terms_are_every_term_but_the_client_order_id() -> None:
    """order_terms lists symbol, side, kind, size, stop, limit, position effect, trigger, time in force."""
    limit = StopLimitOrder(symbol="X", side="buy", quantity=2, stop_price=10, limit_price=11, position_effect="open",
                           trigger_type="mark", time_in_force="day", client_order_id="a")  # fmt: skip
    assert order_terms(limit) == (
        "X", Side.BUY, OrderKind.STOP_LIMIT, Decimal(2), Decimal(10), Decimal(11), limit.position_effect,
        limit.trigger_type, limit.time_in_force,
    )  # fmt: skip
    stop = StopOrder(symbol="X", side="sell", quantity=None, stop_price=10, client_order_id="b")
    assert order_terms(stop)[3:6] == (None, Decimal(10), None)
    assert order_terms(StopOrder(symbol="X", side="sell", quantity=None, stop_price=10, client_order_id="c")) == (
        order_terms(stop)
    )


def test_a_pending_write_records_its_outcome() -> None:
    """settle() sets the outcome, keeps the state's venue order id (or the known one), and the error."""
    record = PendingWrite(operation="place", client_order_id="c1", venue_order_id="old")
    assert record.outcome is WriteOutcome.IN_FLIGHT
    state = OrderState(venue="v", venue_order_id="9", client_order_id="c1", symbol="X", side=Side.SELL,
                       kind=OrderKind.STOP_MARKET, status=OrderStatus.ACCEPTED, venue_status="new",
                       quantity=Decimal(1))  # fmt: skip
    record.settle(WriteOutcome.APPLIED, state=state)
    assert (record.outcome, record.state, record.venue_order_id, record.error) == (
        WriteOutcome.APPLIED, state, "9", None)  # fmt: skip
    error = OutcomeUnknown("?")
    record.settle(WriteOutcome.UNKNOWN, error=error)
    assert (record.outcome, record.state, record.error) == (WriteOutcome.UNKNOWN, state, error)
    blank = PendingWrite(operation="cancel", venue_order_id="keep")
    blank.settle(WriteOutcome.APPLIED, state=OrderState(
        venue="v", venue_order_id="", client_order_id=None, symbol="X", side=Side.SELL, kind=OrderKind.STOP_MARKET,
        status=OrderStatus.CANCELED, venue_status="c", quantity=None))  # fmt: skip
    assert blank.venue_order_id == "keep"
    assert repr(record) == (
        "PendingWrite(operation='place', client_order_id='c1', venue_order_id='9', outcome=UNKNOWN)"
    )
    assert PendingWrite(operation="x").id != PendingWrite(operation="x").id
