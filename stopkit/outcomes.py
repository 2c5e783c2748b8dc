"""Write outcomes: the one rule that decides whether a failed write is a known failure,
and the client's record of writes whose outcome its caller may not have learned.

**The rule.** An answer to a write (place, cancel, modify) is a *known* failure only when
the error the venue's parser raised matches one of the venue's documented
:class:`~stopkit.venue.Refusal` s: a documented, parseable refusal proves the venue did
not act. Everything else is an unknown outcome (``outcome_known=False``) that the client
reconciles before anything is sent again:

- any status the venue does not document as a refusal (1xx, 3xx redirects, an
  undocumented 4xx page, 5xx), even when the parser classified it as a rejection: it
  becomes :class:`~stopkit.errors.OutcomeUnknown` with the parser's view in ``classified``;
- a body that cannot be read, that is too large, or that crashes the parser (any
  exception, ``RecursionError`` and ``MemoryError`` included):
  :class:`~stopkit.errors.ResponseShapeError` with ``outcome_known=False``;
- a timeout or a connection lost after sending (the transport says so).

A refused connection is known: the request never left.
"""

from __future__ import annotations

import enum
import itertools
from collections import OrderedDict
from collections.abc import Iterable, Sequence

import attrs

from stopkit.errors import (
    OutcomeUnknown,
    ResponseShapeError,
    StopkitError,
    TransportError,
    VenueUnavailable,
)
from stopkit.orders import AnyStopOrder, StopLimitOrder
from stopkit.state import OrderState
from stopkit.venue import Refusal
from stopkit.wire import HttpResponse

__all__ = ["PendingWrite", "WriteOutcome", "judge_read_failure", "judge_write_failure", "order_terms"]


def _is_refusal(refusals: Sequence[Refusal], operation: str, status: int, error: StopkitError) -> bool:
    return any(refusal.matches(operation, status, error) for refusal in refusals)


def judge_write_failure(
    error: BaseException,
    response: HttpResponse,
    *,
    venue: str,
    operation: str,
    refusals: Sequence[Refusal],
) -> StopkitError:
    """The error to raise for a write whose answer ``response`` made the parser raise ``error``.

    Returns ``error`` itself when it is a documented refusal (known failure); otherwise an
    error with ``outcome_known=False`` (see the module docstring). Never raises.
    """
    status = response.status
    if isinstance(error, StopkitError):
        if error.outcome_known and _is_refusal(refusals, operation, status, error):
            return error
        if isinstance(error, ResponseShapeError | VenueUnavailable | TransportError | OutcomeUnknown):
            error.outcome_known = False
            error.retryable = False
            return error
        what = type(error).__name__
        return OutcomeUnknown(
            f"{venue}: the answer to {operation} (HTTP {status}) is not a refusal the venue documents "
            f"(read as {what}: {error.message}); the venue may have acted",
            classified=error,
            venue=venue,
            http_status=status,
            venue_code=error.venue_code,
            venue_message=error.venue_message,
            raw_body=response.body,
        )
    return ResponseShapeError(
        f"{venue}: the answer to {operation} (HTTP {status}) could not be read ({type(error).__name__}); "
        "the venue may have acted",
        venue=venue,
        http_status=status,
        raw_body=response.body,
        outcome_known=False,
    )


def judge_read_failure(error: BaseException, response: HttpResponse, *, venue: str, operation: str) -> StopkitError:
    """A read's parser raised ``error``: stopkit errors pass; anything else (a parser crash on a
    hostile body) becomes :class:`ResponseShapeError`, which a read may retry."""
    if isinstance(error, StopkitError):
        return error
    return ResponseShapeError(
        f"{venue}: the answer to {operation} (HTTP {response.status}) could not be read ({type(error).__name__})",
        venue=venue,
        http_status=response.status,
        raw_body=response.body,
    )


def order_terms(order: AnyStopOrder) -> tuple[object, ...]:
    """What makes two orders indistinguishable on a venue that does not store our client order id."""
    limit = order.limit_price if isinstance(order, StopLimitOrder) else None
    return (
        order.symbol,
        order.side,
        order.kind,
        order.quantity,
        order.stop_price,
        limit,
        order.position_effect,
        order.trigger_type,
        order.time_in_force,
    )


class WriteOutcome(enum.Enum):
    """Where a write stands, as :meth:`VenueClient.pending <stopkit.client.VenueClient.pending>` reports it."""

    IN_FLIGHT = "in_flight"
    """The call is running (its request may have been sent)."""
    SETTLING = "settling"
    """The caller stopped waiting (its task was cancelled) after the request may have been sent;
    reconciliation is running."""
    APPLIED = "applied"
    """The venue acted: ``state`` is the order's state (placed, cancelled, modified)."""
    NOT_APPLIED = "not_applied"
    """The venue provably did not act (a documented refusal, or nothing was sent)."""
    UNKNOWN = "unknown"
    """Reconciliation could not settle it: the order may or may not exist. Check before acting."""


_ids = itertools.count(1)


@attrs.define(kw_only=True, eq=False)
class PendingWrite:
    """One write (place, cancel, modify) the client started, and where it stands.

    Fields: ``operation`` (``"place"``, ``"cancel"``, ``"modify"``); ``order`` (for a
    place); ``client_order_id`` and ``venue_order_id`` (what is known); ``started_at_ms``
    (Unix ms); ``outcome`` (:class:`WriteOutcome`); ``state`` (the order's state once
    applied or found); ``error`` (why it is not applied or unknown); ``sent`` (the request
    may have left); ``caller_informed`` (the call returned or raised to its caller).
    """

    operation: str
    order: AnyStopOrder | None = None
    client_order_id: str | None = None
    venue_order_id: str | None = None
    started_at_ms: int = 0
    outcome: WriteOutcome = WriteOutcome.IN_FLIGHT
    state: OrderState | None = None
    error: StopkitError | None = None
    sent: bool = False
    caller_informed: bool = False
    id: int = attrs.field(factory=lambda: next(_ids))

    def settle(
        self, outcome: WriteOutcome, *, state: OrderState | None = None, error: StopkitError | None = None
    ) -> None:
        """Record the outcome (and the state or error that shows it)."""
        self.outcome = outcome
        if state is not None:
            self.state = state
            self.venue_order_id = state.venue_order_id or self.venue_order_id
        if error is not None:
            self.error = error

    def __repr__(self) -> str:
        return (
            f"PendingWrite(operation={self.operation!r}, client_order_id={self.client_order_id!r}, "
            f"venue_order_id={self.venue_order_id!r}, outcome={self.outcome.name})"
        )


class BoundedMap(OrderedDict[str, object]):
    """An insertion-ordered map that forgets its oldest entries beyond ``capacity`` (LRU on write)."""

    def __init__(self, capacity: int) -> None:
        super().__init__()
        self.capacity = capacity

    def put(self, key: str, value: object) -> None:
        """Set ``key`` (moving it to the newest end) and evict the oldest beyond capacity."""
        if key in self:
            self.move_to_end(key)
        self[key] = value
        while len(self) > self.capacity:
            self.popitem(last=False)

    def put_all(self, keys: Iterable[str], value: object) -> None:
        """:meth:`put` each key."""
        for key in keys:
            self.put(key, value)
