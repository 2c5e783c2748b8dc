"""What a pure adapter needs from the outside world, injected per request.

Adapters never read the clock, the environment or random sources themselves.
The client builds a fresh :class:`RequestContext` for every attempt (so every
retry is re-stamped and re-signed), and tests pass a frozen one so the bytes are
reproducible.
"""

from __future__ import annotations

import time
import uuid
from typing import Protocol

import attrs

__all__ = [
    "AccessToken",
    "Clock",
    "FrozenClock",
    "IdSource",
    "RequestContext",
    "SequentialIds",
    "SystemClock",
    "TokenGrant",
    "UuidIds",
]


class Clock(Protocol):
    """A source of wall-clock time in integer Unix milliseconds."""

    def now_ms(self) -> int: ...


class SystemClock:
    """The real wall clock (``time.time_ns() // 1_000_000``)."""

    def now_ms(self) -> int:
        return time.time_ns() // 1_000_000


@attrs.define
class FrozenClock:
    """A clock that returns ``ms`` until moved with :meth:`advance` or :meth:`set`."""

    ms: int

    def now_ms(self) -> int:
        return self.ms

    def advance(self, delta_ms: int) -> None:
        self.ms += delta_ms

    def set(self, ms: int) -> None:
        self.ms = ms


class IdSource(Protocol):
    """A source of new client order ids."""

    def new_id(self) -> str: ...


class UuidIds:
    """Random UUID4 strings."""

    def new_id(self) -> str:
        return str(uuid.uuid4())


@attrs.define
class SequentialIds:
    """Deterministic UUID-shaped ids for tests: ``00000000-0000-4000-8000-000000000001``, ..."""

    counter: int = 0

    def new_id(self) -> str:
        self.counter += 1
        return f"00000000-0000-4000-8000-{self.counter:012d}"


@attrs.frozen(repr=False)
class AccessToken:
    """A bearer token and when it stops being valid.

    Fields:
        value: the token text (masked in repr and str).
        expires_at_ms: Unix ms after which the token must not be used; ``None`` =
            unknown (used until the venue refuses it).
        refresh_token: an OAuth2 refresh token when the venue issued one (masked).
    """

    value: str
    expires_at_ms: int | None = None
    refresh_token: str | None = None
    issued_at_ms: int | None = None

    def is_fresh(self, now_ms: int, *, margin_ms: int = 0) -> bool:
        """True when the token is still valid ``margin_ms`` from ``now_ms``."""
        return self.expires_at_ms is None or now_ms + margin_ms < self.expires_at_ms

    def refresh_margin_ms(self, *, max_margin_ms: int = 60_000) -> int:
        """How long before expiry to refresh: 20 % of the lifetime, at most ``max_margin_ms``."""
        if self.expires_at_ms is None or self.issued_at_ms is None:
            return max_margin_ms
        return max(0, min(max_margin_ms, (self.expires_at_ms - self.issued_at_ms) // 5))

    def __repr__(self) -> str:
        return f"AccessToken(value='***', expires_at_ms={self.expires_at_ms!r})"

    __str__ = __repr__


@attrs.frozen(repr=False, kw_only=True)
class TokenGrant:
    """A token endpoint's answer, as parsed by an adapter (pure: no clock).

    Fields:
        access_token: the bearer token (masked in repr).
        expires_in_s: lifetime in seconds from the answer (OAuth2 ``expires_in``).
        expires_at_ms: absolute expiry in Unix ms on the venue's clock (e.g. a JWT ``exp``);
            wins over ``expires_in_s``.
        venue_now_ms: the venue's clock when it issued the token (a JWT ``iat``, or the
            answer's ``Date`` header), in Unix ms. With it, ``expires_at_ms`` is turned into a
            lifetime counted on our clock, so a clock of ours that runs ahead (or behind) of the
            venue's neither expires every token at once nor keeps a stale one.
        refresh_token: an OAuth2 refresh token, if issued (masked).
        default_lifetime_s: assumed lifetime when the answer says nothing.
    """

    access_token: str
    expires_in_s: float | None = None
    expires_at_ms: int | None = None
    venue_now_ms: int | None = None
    refresh_token: str | None = None
    default_lifetime_s: float | None = None

    def to_token(self, issued_at_ms: int) -> AccessToken:
        """The :class:`AccessToken`, with lifetimes counted from ``issued_at_ms`` (when the request was sent)."""
        expires_at = self.expires_at_ms
        if expires_at is not None and self.venue_now_ms is not None:
            expires_at = issued_at_ms + max(0, expires_at - self.venue_now_ms)
        if expires_at is None:
            lifetime = self.expires_in_s if self.expires_in_s is not None else self.default_lifetime_s
            if lifetime is not None:
                expires_at = issued_at_ms + int(lifetime * 1000)
        return AccessToken(self.access_token, expires_at, self.refresh_token, issued_at_ms)

    def __repr__(self) -> str:
        return (
            f"TokenGrant(access_token='***', expires_in_s={self.expires_in_s!r}, expires_at_ms={self.expires_at_ms!r})"
        )

    __str__ = __repr__


@attrs.frozen(kw_only=True)
class RequestContext:
    """Everything time- or session-dependent that one request build may use.

    Fields:
        now_ms: the current Unix time in ms (timestamps, signatures, expiries).
        access_token: the bearer token to use, for venues with token auth.
        attempt: 1 for the first send of this request, 2 for the first retry, ...
    """

    now_ms: int
    access_token: AccessToken | None = None
    attempt: int = 1
