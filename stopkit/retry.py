"""The one retry policy, over tenacity.

What is retried: an attempt that raised a :class:`~stopkit.errors.StopkitError`
with ``retryable=True`` and, for a state-changing request, ``outcome_known=True``
(the venue provably did not act on it: connection refused, 429, a refused
signature). A write whose outcome is unknown is never resent here; the client
reconciles it. ``RateLimited.retry_after_s`` is honoured. Attempts and total
time are bounded.
"""

from __future__ import annotations

import asyncio
import random
import time
from collections.abc import Awaitable, Callable
from typing import TYPE_CHECKING, TypeVar

import attrs

from stopkit.errors import RateLimited, ResponseShapeError, StopkitError

if TYPE_CHECKING:
    import tenacity

__all__ = ["ReconnectPolicy", "RetryPolicy", "retry_after", "run_with_retry"]

T = TypeVar("T")


@attrs.frozen(kw_only=True)
class RetryPolicy:
    """Bounds of the retry loop.

    Fields:
        max_attempts: attempts in all, including the first (>= 1).
        timeout_s: per-request timeout in seconds, given to the transport.
        total_timeout_s: no new attempt starts after this many seconds.
        backoff_initial_s, backoff_max_s: exponential backoff with jitter between attempts.
        backoff: ``False`` disables waiting (tests).
    """

    max_attempts: int = attrs.field(default=3, validator=attrs.validators.ge(1))
    timeout_s: float = attrs.field(default=10.0, validator=attrs.validators.gt(0))
    total_timeout_s: float = attrs.field(default=30.0, validator=attrs.validators.gt(0))
    backoff_initial_s: float = 0.05
    backoff_max_s: float = 2.0
    backoff: bool = True


@attrs.frozen(kw_only=True)
class ReconnectPolicy:
    """Bounded exponential backoff between WebSocket reconnects (``VenueClient.watch_orders``).

    Fields:
        initial_s: the wait before the first reconnect attempt after a drop.
        max_s: the longest wait between attempts.
        factor: growth per consecutive failure.
        jitter: each wait is drawn uniformly from ``[wait * (1 - jitter), wait]`` (0 = none).
        max_failures: consecutive failed connection attempts before giving up (``None`` = never);
            a connection that gets its subscription live resets the count.
    """

    initial_s: float = attrs.field(default=0.5, validator=attrs.validators.ge(0))
    max_s: float = attrs.field(default=30.0, validator=attrs.validators.ge(0))
    factor: float = attrs.field(default=2.0, validator=attrs.validators.ge(1))
    jitter: float = attrs.field(default=0.5, validator=[attrs.validators.ge(0), attrs.validators.le(1)])
    max_failures: int | None = 10

    def delay_s(self, failures: int) -> float:
        """The wait in seconds before the next attempt after ``failures`` consecutive failures (>= 0)."""
        wait = min(self.max_s, self.initial_s * self.factor ** max(0, failures))
        if self.jitter:
            wait *= 1 - random.uniform(0, self.jitter)  # noqa: S311  # jitter, not security
        return wait

    def gives_up(self, failures: int) -> bool:
        """True when ``failures`` consecutive failed attempts exhaust the policy."""
        return self.max_failures is not None and failures >= self.max_failures


def _should_retry(writes: bool) -> Callable[[BaseException], bool]:
    def predicate(exc: BaseException) -> bool:
        if not isinstance(exc, StopkitError):
            return False
        if not writes and type(exc) is ResponseShapeError:
            # A garbled answer to a read (a proxy's HTML page, a truncated body): reading again is
            # safe. Not an UnknownVenueValue: the venue would only say the same again.
            return True
        if not exc.retryable:
            return False
        return exc.outcome_known or not writes

    return predicate


_RETRY_WRITES = _should_retry(True)
_RETRY_READS = _should_retry(False)


def _wait(policy: RetryPolicy) -> Callable[[tenacity.RetryCallState], float]:
    import tenacity

    jitter = tenacity.wait_random_exponential(multiplier=policy.backoff_initial_s, max=policy.backoff_max_s)

    def wait(state: tenacity.RetryCallState) -> float:
        if not policy.backoff:
            return 0.0
        exc = state.outcome.exception() if state.outcome is not None else None
        if isinstance(exc, RateLimited) and exc.retry_after_s is not None:
            return min(exc.retry_after_s, policy.total_timeout_s)
        return jitter(state)

    return wait


def _first_wait_s(policy: RetryPolicy, exc: BaseException) -> float:
    # The wait after the first attempt, by the same rules as tenacity's loop below.
    if not policy.backoff:
        return 0.0
    if isinstance(exc, RateLimited) and exc.retry_after_s is not None:
        return min(exc.retry_after_s, policy.total_timeout_s)
    return random.uniform(0, policy.backoff_initial_s)  # noqa: S311  # jitter, not security


async def run_with_retry(policy: RetryPolicy, attempt: Callable[[int], Awaitable[T]], *, writes: bool) -> T:
    """Run ``attempt(n)`` (n = 1, 2, ...) until it returns or must not be retried.

    The first attempt runs directly (no retry machinery on the happy path); tenacity
    drives the attempts after a retryable failure. The last real exception is
    re-raised unchanged.
    """
    started = time.monotonic()
    try:
        return await attempt(1)
    except Exception as exc:  # noqa: BLE001  # judged below, outside this block (no implicit context)
        first = exc
    return await retry_after(policy, attempt, first, started=started, writes=writes)


async def retry_after(
    policy: RetryPolicy,
    attempt: Callable[[int], Awaitable[T]],
    error: Exception,
    *,
    started: float,
    writes: bool,
) -> T:
    """The rest of :func:`run_with_retry` once ``attempt(1)``, begun at ``started``
    (``time.monotonic()``), raised ``error``: re-raises it unless the policy retries it."""
    should_retry = _RETRY_WRITES if writes else _RETRY_READS
    if policy.max_attempts <= 1 or not should_retry(error):
        raise error
    first_wait = _first_wait_s(policy, error)
    if time.monotonic() - started + first_wait >= policy.total_timeout_s:
        raise error
    import tenacity  # imported on the first retry only: the happy path never needs it

    await asyncio.sleep(first_wait)
    remaining_s = max(0.0, policy.total_timeout_s - (time.monotonic() - started))
    retrying = tenacity.AsyncRetrying(
        stop=tenacity.stop_after_attempt(policy.max_attempts - 1) | tenacity.stop_after_delay(remaining_s),
        wait=_wait(policy),
        retry=tenacity.retry_if_exception(should_retry),
        reraise=True,
    )
    async for try_ in retrying:
        with try_:
            return await attempt(try_.retry_state.attempt_number + 1)
    raise AssertionError("unreachable")  # pragma: no cover - tenacity always returns or raises
