"""What the ``stopkit`` command prints with ``--json``, and its exit statuses.

Exit statuses (every command):

- ``0``: done;
- ``1``: not done, and known not to be: the venue refused (``OrderRejected``, ``OrderNotFound``,
  ``AuthenticationError``, ``RateLimited``, ...), could not be reached before anything was sent,
  or you declined the confirmation;
- ``2``: a usage error: bad arguments, an invalid or unsupported order, missing or malformed
  credentials or config; nothing was sent;
- ``3``: the outcome is unknown (``outcome_known=False``): the order may exist; check with
  ``stopkit get``/``orders`` before trying again;
- ``130``: interrupted (Ctrl-C).

JSON shapes: an order state is one object (:func:`state_json`), enum fields by name
(``"status": "ACCEPTED"``, ``"side": "SELL"``) except ``kind`` (``"stop-market"``), amounts as
decimal strings, times as ISO 8601; a stream gap is ``{"gap": {...}}``; an error is
``{"error": {...}, "exit_status": N}`` (:func:`error_json`).
"""

from __future__ import annotations

import enum
from datetime import datetime
from decimal import Decimal
from typing import Any

import attrs

from stopkit.errors import LocalError, StopkitError
from stopkit.orders import OrderKind
from stopkit.state import OrderState
from stopkit.stream import StreamGap
from stopkit.wire import format_decimal

__all__ = [
    "EXIT_DECLINED",
    "EXIT_OK",
    "EXIT_REFUSED",
    "EXIT_UNKNOWN",
    "EXIT_USAGE",
    "error_json",
    "exit_status",
    "gap_json",
    "state_json",
]

EXIT_OK = 0
EXIT_REFUSED = 1
EXIT_DECLINED = 1
EXIT_USAGE = 2
EXIT_UNKNOWN = 3


def exit_status(exc: StopkitError) -> int:
    """The exit status for ``exc``: 3 when the outcome is unknown, 2 for a local error, else 1."""
    if not exc.outcome_known:
        return EXIT_UNKNOWN
    if isinstance(exc, LocalError):
        return EXIT_USAGE
    return EXIT_REFUSED


def _value(value: Any) -> Any:
    if isinstance(value, OrderKind):
        return value.value
    if isinstance(value, enum.Enum):
        return value.name
    if isinstance(value, Decimal):
        return format_decimal(value)
    if isinstance(value, datetime):
        return value.isoformat()
    if isinstance(value, tuple | list):
        return [_value(item) for item in value]
    if isinstance(value, dict):
        return {str(k): _value(v) for k, v in value.items()}
    return value


def state_json(state: OrderState) -> dict[str, Any]:
    """``state`` as a JSON-ready object: every field of :class:`OrderState`, ``raw`` (the venue's
    own object) last."""
    out: dict[str, Any] = {}
    for field in attrs.fields(OrderState):
        if field.name != "raw":
            out[field.name] = _value(getattr(state, field.name))
    out["raw"] = _jsonable(dict(state.raw))
    return out


def _jsonable(value: Any) -> Any:
    # The venue's raw object, with anything JSON cannot hold (Decimal, datetime, ...) as text.
    if isinstance(value, dict):
        return {str(k): _jsonable(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_jsonable(v) for v in value]
    if value is None or isinstance(value, bool | int | float | str):
        return value
    return str(_value(value))


def gap_json(gap: StreamGap) -> dict[str, Any]:
    """A stream gap as ``{"gap": {"venue", "since_ms", "reason", "venue_order_ids"}}``."""
    return {
        "gap": {
            "venue": gap.venue,
            "since_ms": gap.since_ms,
            "reason": gap.reason,
            "venue_order_ids": list(gap.venue_order_ids),
        }
    }


def error_json(exc: StopkitError) -> dict[str, Any]:
    """``exc`` as ``{"error": {type, message, venue, outcome_known, retryable, http_status,
    venue_code, venue_message, notes}, "exit_status": N}`` (never a secret: errors carry none)."""
    return {
        "error": {
            "type": type(exc).__name__,
            "message": exc.message,
            "venue": exc.venue,
            "outcome_known": exc.outcome_known,
            "retryable": exc.retryable,
            "http_status": exc.http_status,
            "venue_code": exc.venue_code,
            "venue_message": exc.venue_message,
            "notes": [str(note) for note in getattr(exc, "__notes__", ())],
        },
        "exit_status": exit_status(exc),
    }
