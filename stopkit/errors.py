"""The stopkit error tree.

Every error stopkit raises is a :class:`StopkitError`. Local errors mean stopkit
itself refused before any I/O; remote errors mean the venue, or the network on
the way to it, answered (or failed to answer)::

    StopkitError
    ├── LocalError                 nothing was sent
    │   ├── InvalidArgument        a bad argument to a public method (``field`` names it)
    │   │   └── InvalidOrder       the order is malformed (bad price, missing field, ...)
    │   ├── UnsupportedOrder       the venue cannot express this order; never downgraded
    │   ├── ConfigurationError     credentials or venue config missing or malformed
    │   └── PluginError            a venue plugin failed to load or is not a valid adapter
    └── RemoteError                the venue or the network was involved
        ├── AuthenticationError    token/signature refused (HTTP 401/403, bad signature)
        ├── OrderRejected          the venue refused the order (business rule)
        │   └── DuplicateClientOrderId
        ├── OrderNotFound
        ├── RateLimited            429; ``retry_after_s`` when the venue said
        ├── VenueUnavailable       5xx / maintenance
        ├── TransportError         connect failure, reset, timeout
        ├── OutcomeUnknown         a write's answer proves nothing: the venue may have acted
        ├── CancelReplaceFailed    modify by cancel-then-place stopped part-way (``step`` says where)
        └── ResponseShapeError     a body stopkit cannot read
            └── UnknownVenueValue  a venue enum value with no mapping (``raw_value``)

Every error carries:

- ``retryable``: resending the same request is safe and may succeed;
- ``outcome_known``: ``False`` when a state-changing request may or may not have
  taken effect (for instance a timeout after an order POST). Such an outcome must
  be reconciled, never resent blindly;
- ``venue``, ``http_status``, ``venue_code``, ``venue_message`` and ``raw_body``
  where there is one.

No error ever carries a secret: token endpoint bodies are never attached, and
callers pass only venue answers, never request headers, into ``raw_body``.
"""

from __future__ import annotations

import enum
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from stopkit.orders import AnyStopOrder
    from stopkit.state import OrderState

__all__ = [
    "AuthenticationError",
    "CancelReplaceFailed",
    "ConfigurationError",
    "DuplicateClientOrderId",
    "InvalidArgument",
    "InvalidOrder",
    "LocalError",
    "OrderNotFound",
    "OrderRejected",
    "OutcomeUnknown",
    "PluginError",
    "RateLimited",
    "RemoteError",
    "ResponseShapeError",
    "StopkitError",
    "TransportError",
    "UnknownVenueValue",
    "UnsupportedOrder",
    "VenueUnavailable",
]

# A raw body attached to an error is cut to this many characters, so that a
# huge HTML error page does not end up in logs whole.
_RAW_BODY_LIMIT = 4096


class StopkitError(Exception):
    """Base of every stopkit error.

    Attributes:
        message: human-readable description (never contains a secret).
        venue: venue name, or ``None`` when no venue is involved.
        http_status: HTTP status of the venue's answer, if there was one.
        venue_code: the venue's own error code (``str``), if any.
        venue_message: the venue's own error text, if any.
        raw_body: the venue's answer body (text, at most 4096 characters), if any.
        retryable: resending the same request is safe and may succeed.
        outcome_known: ``False`` when a state-changing request may have taken effect.
    """

    default_retryable: bool = False
    default_outcome_known: bool = True

    def __init__(
        self,
        message: str,
        *,
        venue: str | None = None,
        http_status: int | None = None,
        venue_code: str | int | None = None,
        venue_message: str | None = None,
        raw_body: str | bytes | None = None,
        retryable: bool | None = None,
        outcome_known: bool | None = None,
    ) -> None:
        super().__init__(message)
        self.message = message
        self.venue = venue
        self.http_status = http_status
        self.venue_code = None if venue_code is None else str(venue_code)
        self.venue_message = venue_message
        if isinstance(raw_body, bytes):
            raw_body = raw_body.decode("utf-8", errors="replace")
        if raw_body is not None and len(raw_body) > _RAW_BODY_LIMIT:
            raw_body = raw_body[:_RAW_BODY_LIMIT] + "...[truncated]"
        self.raw_body = raw_body
        self.retryable = self.default_retryable if retryable is None else retryable
        self.outcome_known = self.default_outcome_known if outcome_known is None else outcome_known

    def __str__(self) -> str:
        parts = [self.message]
        details = []
        if self.venue:
            details.append(f"venue={self.venue}")
        if self.http_status is not None:
            details.append(f"http_status={self.http_status}")
        if self.venue_code is not None:
            details.append(f"venue_code={self.venue_code}")
        if self.venue_message and self.venue_message not in self.message:
            details.append(f"venue_message={self.venue_message!r}")
        if not self.outcome_known:
            details.append("outcome_known=False")
        if details:
            parts.append("(" + ", ".join(details) + ")")
        return " ".join(parts)

    def __repr__(self) -> str:
        return (
            f"{type(self).__name__}({self.message!r}, venue={self.venue!r}, http_status={self.http_status!r}, "
            f"venue_code={self.venue_code!r}, retryable={self.retryable!r}, outcome_known={self.outcome_known!r})"
        )


class LocalError(StopkitError):
    """stopkit refused before any I/O; nothing reached the venue."""


class InvalidArgument(LocalError, ValueError):
    """A public method was given a bad argument (wrong type, malformed id). ``field`` names it."""

    def __init__(self, message: str, *, field: str | None = None, venue: str | None = None) -> None:
        super().__init__(message, venue=venue)
        self.field = field


class InvalidOrder(InvalidArgument):
    """The order is malformed. ``field`` names the offending field."""


class UnsupportedOrder(LocalError):
    """The venue cannot express this order (or operation); it is never downgraded.

    ``feature`` names what is unsupported, e.g. ``"trigger_type=INDEX_PRICE"``.
    """

    def __init__(self, message: str, *, feature: str | None = None, venue: str | None = None) -> None:
        super().__init__(message, venue=venue)
        self.feature = feature


class ConfigurationError(LocalError, ValueError):
    """Credentials or venue configuration are missing or malformed."""


class PluginError(LocalError):
    """A venue plugin could not be loaded or is not a valid adapter. ``plugin`` names it."""

    def __init__(self, message: str, *, plugin: str) -> None:
        super().__init__(message, venue=plugin)
        self.plugin = plugin


class RemoteError(StopkitError):
    """The venue, or the network on the way to it, was involved."""


class AuthenticationError(RemoteError):
    """Credentials were refused (expired or invalid token, bad signature, missing scope).

    ``stale_timestamp`` is ``True`` when the venue refused a signed request as expired (e.g.
    Pacifica's ``Invalid message``): the client then corrects its clock from the venue's
    ``Date`` header and re-signs. ``token_refreshed`` is ``True`` when the client obtained a
    new bearer token after this refusal (a write is then reconciled before it is sent again).
    """

    def __init__(self, message: str, *, stale_timestamp: bool = False, **kwargs: object) -> None:
        super().__init__(message, **kwargs)  # type: ignore[arg-type]  # kwargs are StopkitError's
        self.stale_timestamp = stale_timestamp
        self.token_refreshed = False


class OrderRejected(RemoteError):
    """The venue refused the order or operation for a business reason. Not retryable."""


class DuplicateClientOrderId(OrderRejected):
    """The client order id is already in use on the venue: an earlier send landed."""


class OrderNotFound(RemoteError):
    """The venue does not know the order."""


class RateLimited(RemoteError):
    """The venue throttled the request (HTTP 429). ``retry_after_s`` when given.

    The venue did not process a throttled request, so retrying after the delay is safe.
    """

    default_retryable = True

    def __init__(self, message: str, *, retry_after_s: float | None = None, **kwargs: object) -> None:
        super().__init__(message, **kwargs)  # type: ignore[arg-type]  # kwargs are StopkitError's
        self.retry_after_s = retry_after_s


class VenueUnavailable(RemoteError):
    """The venue answered 5xx or said it is down.

    For a state-changing request the caller sets ``outcome_known=False``: a 5xx
    after the request was sent does not prove it was not processed.
    """

    default_retryable = True


class TransportError(RemoteError):
    """The connection failed: refused, reset, or timed out.

    ``outcome_known`` is ``True`` only when the request provably never left (for
    instance the connection was refused).
    """

    default_retryable = True


class OutcomeUnknown(RemoteError):
    """An answer to a write (place, cancel, modify) that does not prove what the venue did.

    Only an answer the venue documents as a refusal proves that it did not act; anything
    else (an unexpected status, an undocumented error body, a redirect, ...) leaves the
    outcome unknown, and stopkit reconciles it. ``classified`` is what the venue's parser
    made of the answer (e.g. an :class:`OrderRejected` for an undocumented 400 page), kept
    for diagnosis; it is not proof. ``outcome_known`` is always ``False``.
    """

    default_outcome_known = False

    def __init__(self, message: str, *, classified: StopkitError | None = None, **kwargs: object) -> None:
        super().__init__(message, **kwargs)  # type: ignore[arg-type]  # kwargs are StopkitError's
        self.classified = classified


class ReplaceStep(enum.Enum):
    """Where a cancel-then-place modify stopped (:attr:`CancelReplaceFailed.step`)."""

    CANCEL_FAILED = "cancel_failed"
    """The cancel was refused, or the order had already ended: nothing changed; the old order is as
    ``old_state`` says (still live unless it ended). Nothing was placed."""
    CANCEL_UNKNOWN = "cancel_unknown"
    """The cancel's outcome is unknown (or not confirmed): the old order may still be live. Nothing
    was placed, so two orders are never live."""
    PLACE_FAILED = "place_failed"
    """The old order is cancelled and the venue refused the new one: **no order protects the
    position now**."""
    PLACE_UNKNOWN = "place_unknown"
    """The old order is cancelled; the new one may or may not exist (``new_order.client_order_id``;
    the placement is listed in ``pending()``)."""


class CancelReplaceFailed(RemoteError):
    """``modify(..., allow_cancel_replace=True)`` (cancel, then place anew) stopped part-way.

    Attributes:
        step: the :class:`ReplaceStep` that failed.
        old_state: the old order's last known state (CANCELED from PLACE_FAILED on).
        new_order: the order that was to replace it (``None`` when it was never built).
        new_state: the new order's state where known, else ``None``.
        cause: the underlying error (also ``__cause__``).

    ``outcome_known`` is ``False`` for CANCEL_UNKNOWN and PLACE_UNKNOWN.
    """

    def __init__(
        self,
        message: str,
        *,
        step: ReplaceStep,
        old_state: OrderState | None,
        new_order: AnyStopOrder | None = None,
        new_state: OrderState | None = None,
        cause: StopkitError | None = None,
        **kwargs: object,
    ) -> None:
        kwargs.setdefault("outcome_known", step not in (ReplaceStep.CANCEL_UNKNOWN, ReplaceStep.PLACE_UNKNOWN))
        super().__init__(message, **kwargs)  # type: ignore[arg-type]  # kwargs are StopkitError's
        self.step = step
        self.old_state = old_state
        self.new_order = new_order
        self.new_state = new_state
        self.cause = cause


class ResponseShapeError(RemoteError):
    """The venue's answer could not be read (not JSON, missing fields, wrong types)."""


class UnknownVenueValue(ResponseShapeError):
    """A venue enum value has no mapping. ``field`` and ``raw_value`` say which."""

    def __init__(self, message: str, *, field: str, raw_value: object, **kwargs: object) -> None:
        super().__init__(message, **kwargs)  # type: ignore[arg-type]  # kwargs are StopkitError's
        self.field = field
        self.raw_value = raw_value
