"""Helpers adapters use to read venue answers strictly and uniformly (pure).

Every helper raises :class:`~stopkit.errors.ResponseShapeError` (or
:class:`~stopkit.errors.UnknownVenueValue`) carrying the venue name and the
offending field, never a silent default.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from datetime import UTC, datetime
from decimal import Decimal, InvalidOperation
from typing import Any, TypeVar

from stopkit.errors import ResponseShapeError, UnknownVenueValue
from stopkit.wire import HttpResponse

__all__ = [
    "lookup",
    "parse_decimal",
    "parse_id",
    "parse_iso8601",
    "parse_unix_ms",
    "require_mapping",
    "retry_after_s",
    "server_time_ms",
]

V = TypeVar("V")

# The fractional seconds of an ISO 8601 time: the dot after the seconds and its digits.
_FRACTION = re.compile(r"(?<=:\d\d)\.(\d*)")


def require_mapping(value: object, *, venue: str, what: str) -> Mapping[str, Any]:
    """``value`` when it is a JSON object; else :class:`ResponseShapeError` naming ``what``."""
    if not isinstance(value, Mapping):
        raise ResponseShapeError(f"{venue}: expected a JSON object for {what}, got {type(value).__name__}", venue=venue)
    return value


def parse_decimal(value: object, *, venue: str, field: str, optional: bool = False) -> Decimal | None:
    """A ``Decimal`` from a JSON string, integer or (exactly parsed) number.

    ``None``/``""`` give ``None`` when ``optional``; otherwise, and for anything
    unparsable, :class:`ResponseShapeError` naming ``field``.
    """
    if value is None or value == "":
        if optional:
            return None
        raise ResponseShapeError(f"{venue}: {field} is missing", venue=venue)
    if isinstance(value, bool):
        raise ResponseShapeError(f"{venue}: {field} is a boolean, expected a number", venue=venue)
    if isinstance(value, Decimal | int):
        return Decimal(value)
    if isinstance(value, float):
        # Only reachable when a caller parsed JSON with floats; repr() is the shortest exact text.
        return Decimal(repr(value))
    if isinstance(value, str):
        try:
            result = Decimal(value.strip())
        except InvalidOperation:
            raise ResponseShapeError(f"{venue}: {field} is not a number: {value!r}", venue=venue) from None
        if result.is_finite():
            return result
    raise ResponseShapeError(f"{venue}: {field} is not a finite number: {value!r}", venue=venue)


def parse_id(value: object, *, venue: str, field: str, optional: bool = False) -> str | None:
    """An id that may arrive as a JSON integer or string, as ``str``."""
    if value is None or value == "":
        if optional:
            return None
        raise ResponseShapeError(f"{venue}: {field} is missing", venue=venue)
    if isinstance(value, bool):
        raise ResponseShapeError(f"{venue}: {field} is a boolean, expected an id", venue=venue)
    if isinstance(value, int):
        return str(value)
    if isinstance(value, str):
        return value
    raise ResponseShapeError(f"{venue}: {field} has an unexpected type {type(value).__name__}", venue=venue)


def parse_unix_ms(value: object, *, venue: str, field: str) -> datetime | None:
    """A UTC datetime from Unix milliseconds (integer or digit string); ``None`` stays ``None``."""
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int | str):
        raise ResponseShapeError(f"{venue}: {field} is not a millisecond timestamp: {value!r}", venue=venue)
    try:
        ms = int(value)
    except ValueError:
        raise ResponseShapeError(f"{venue}: {field} is not a millisecond timestamp: {value!r}", venue=venue) from None
    return datetime.fromtimestamp(ms / 1000, tz=UTC)


def parse_iso8601(value: object, *, venue: str, field: str) -> datetime | None:
    """A timezone-aware datetime from ISO 8601 text with 0-7 fractional digits and ``Z``.

    Fractions beyond microseconds (.NET's 7 digits) are truncated. ``None`` stays ``None``.
    """
    if value is None:
        return None
    if not isinstance(value, str):
        raise ResponseShapeError(f"{venue}: {field} is not a timestamp: {value!r}", venue=venue)
    text = value.strip()
    if text.endswith(("Z", "z")):
        text = text[:-1] + "+00:00"
    # Cut fractional seconds to 6 digits; the offset after them stays as it is.
    match = _FRACTION.search(text)
    if match:
        if not match.group(1):
            raise ResponseShapeError(f"{venue}: {field} is not an ISO 8601 timestamp: {value!r}", venue=venue)
        text = text[: match.start()] + "." + match.group(1)[:6].ljust(6, "0") + text[match.end() :]
    try:
        result = datetime.fromisoformat(text)
    except ValueError:
        raise ResponseShapeError(f"{venue}: {field} is not an ISO 8601 timestamp: {value!r}", venue=venue) from None
    if result.tzinfo is None:
        result = result.replace(tzinfo=UTC)
    return result


def lookup(table: Mapping[str, V], raw: object, *, venue: str, field: str) -> V:
    """``table[raw]``; an unmapped value raises :class:`UnknownVenueValue` carrying it."""
    if isinstance(raw, str) and raw in table:
        return table[raw]
    raise UnknownVenueValue(f"{venue}: unknown {field} value {raw!r}", field=field, raw_value=raw, venue=venue)


def retry_after_s(response: HttpResponse) -> float | None:
    """The ``Retry-After`` header in seconds, or ``None``.

    The HTTP-date form would need the clock (adapters are pure), so it gives
    ``None`` and the retry policy's backoff applies.
    """
    value = response.headers.get("retry-after")
    if value is None:
        return None
    try:
        seconds = float(value.strip())
    except ValueError:
        return None
    return seconds if seconds >= 0 else None


def server_time_ms(response: HttpResponse) -> int | None:
    """The venue's clock from the ``Date`` header, in Unix ms (second resolution), or ``None``."""
    value = response.headers.get("date")
    if not value:
        return None
    from email.utils import parsedate_to_datetime  # only when a clock has to be corrected

    try:
        when = parsedate_to_datetime(value)
    except (TypeError, ValueError, IndexError):
        return None
    if when.tzinfo is None:
        when = when.replace(tzinfo=UTC)
    return int(when.timestamp() * 1000)
