"""The retry policy: what is retried, how often, how long, and Retry-After."""

from __future__ import annotations

import asyncio
import types

import pytest
import tenacity

from stopkit import (
    OrderRejected,
    RateLimited,
    ResponseShapeError,
    TransportError,
    UnknownVenueValue,
    VenueUnavailable,
)
from stopkit import retry as retry_module
from stopkit.retry import RetryPolicy, run_with_retry


def _counting(*errors: BaseException) -> tuple[list[int], object]:
    calls: list[int] = []

    async def attempt(number: int) -> str:
        calls.append(number)
        if len(calls) <= len(errors):
            raise errors[len(calls) - 1]
        return "ok"

    return calls, attempt


async def test_success_first_time_runs_once() -> None:
    """The happy path is one call."""
    calls, attempt = _counting()
    assert await run_with_retry(RetryPolicy(), attempt, writes=True) == "ok"  # type: ignore[arg-type]
    assert calls == [1]


async def test_retryable_read_errors_until_success() -> None:
    """Reads are retried on retryable errors, numbering attempts 1, 2, 3."""
    calls, attempt = _counting(VenueUnavailable("x"), TransportError("y", outcome_known=False))
    policy = RetryPolicy(max_attempts=3, backoff=False)
    assert await run_with_retry(policy, attempt, writes=False) == "ok"  # type: ignore[arg-type]
    assert calls == [1, 2, 3]


async def test_attempts_are_bounded_and_last_error_reraised() -> None:
    """After max_attempts the last real exception propagates unchanged."""
    last = VenueUnavailable("third")
    calls, attempt = _counting(VenueUnavailable("1"), VenueUnavailable("2"), last, VenueUnavailable("4"))
    with pytest.raises(VenueUnavailable) as info:
        await run_with_retry(RetryPolicy(max_attempts=3, backoff=False), attempt, writes=False)  # type: ignore[arg-type]
    assert info.value is last
    assert calls == [1, 2, 3]


@pytest.mark.parametrize(
    ("error", "writes", "retried"),
    [
        (OrderRejected("no"), False, False),
        (VenueUnavailable("5xx", outcome_known=False), True, False),
        (TransportError("reset", outcome_known=False), True, False),
        (TransportError("refused", outcome_known=True), True, True),
        (RateLimited("slow", retry_after_s=0), True, True),
        (ValueError("a bug"), False, False),
    ],
)
async def test_what_is_retried(error: BaseException, writes: bool, retried: bool) -> None:
    """Only retryable errors are retried, and a write only when the venue provably did nothing."""
    calls, attempt = _counting(error)
    policy = RetryPolicy(max_attempts=2, backoff=False)
    if retried:
        assert await run_with_retry(policy, attempt, writes=writes) == "ok"  # type: ignore[arg-type]
        assert calls == [1, 2]
    else:
        with pytest.raises(type(error)):
            await run_with_retry(policy, attempt, writes=writes)  # type: ignore[arg-type]
        assert calls == [1]


async def test_retry_after_is_honoured() -> None:
    """A 429's Retry-After sets the wait before the next attempt."""
    calls, attempt = _counting(RateLimited("slow", retry_after_s=0.2))
    loop = asyncio.get_running_loop()
    started = loop.time()
    assert await run_with_retry(RetryPolicy(max_attempts=2), attempt, writes=True) == "ok"  # type: ignore[arg-type]
    assert loop.time() - started >= 0.19
    assert calls == [1, 2]


async def test_total_time_is_bounded() -> None:
    """No attempt starts once total_timeout_s would be exceeded by the wait."""
    calls, attempt = _counting(*(RateLimited("slow", retry_after_s=5) for _ in range(3)))
    policy = RetryPolicy(max_attempts=5, total_timeout_s=0.5)
    with pytest.raises(RateLimited):
        await run_with_retry(policy, attempt, writes=False)  # type: ignore[arg-type]
    assert calls == [1]


async def test_garbled_read_answers_are_read_again_but_writes_are_not() -> None:
    """A ResponseShapeError on a read is retried; on a write it is not; UnknownVenueValue never."""
    from stopkit import ResponseShapeError, UnknownVenueValue

    calls, attempt = _counting(ResponseShapeError("html page"))
    assert await run_with_retry(RetryPolicy(max_attempts=2, backoff=False), attempt, writes=False) == "ok"  # type: ignore[arg-type]
    assert calls == [1, 2]
    calls, attempt = _counting(ResponseShapeError("html page", outcome_known=False))
    with pytest.raises(ResponseShapeError):
        await run_with_retry(RetryPolicy(max_attempts=2, backoff=False), attempt, writes=True)  # type: ignore[arg-type]
    assert calls == [1]
    calls, attempt = _counting(UnknownVenueValue("weird", field="status", raw_value="X"))
    with pytest.raises(UnknownVenueValue):
        await run_with_retry(RetryPolicy(max_attempts=2, backoff=False), attempt, writes=False)  # type: ignore[arg-type]
    assert calls == [1]


async def test_a_wait_that_uses_up_the_whole_budget_is_not_taken(monkeypatch: pytest.MonkeyPatch) -> None:
    """A Retry-After that would end exactly at total_timeout_s leaves no time for another attempt: the 429 is raised
    at once (the clock is frozen, so the wait fills the budget exactly)."""
    monkeypatch.setattr(retry_module, "time", types.SimpleNamespace(monotonic=lambda: 100.0))
    calls, attempt = _counting(RateLimited("slow", retry_after_s=0.05), RateLimited("slow", retry_after_s=0.05))
    policy = RetryPolicy(max_attempts=3, total_timeout_s=0.05)
    with pytest.raises(RateLimited):
        await run_with_retry(policy, attempt, writes=False)  # type: ignore[arg-type]
    assert calls == [1]


async def test_retries_stop_once_the_total_time_since_the_first_attempt_is_spent() -> None:
    """The first attempt spent 0.4 s of a 0.5 s budget: the retries get only what is left (about two quick
    attempts), not a fresh budget."""
    calls: list[int] = []

    async def attempt(number: int) -> str:
        calls.append(number)
        await asyncio.sleep(0.4 if number == 1 else 0.05)
        raise VenueUnavailable("down")

    policy = RetryPolicy(max_attempts=100, backoff=False, total_timeout_s=0.5)
    with pytest.raises(VenueUnavailable):
        await run_with_retry(policy, attempt, writes=False)
    assert 2 <= len(calls) <= 4


def test_later_waits_grow_from_backoff_initial_s_up_to_backoff_max_s() -> None:
    """Between tenacity's attempts the jittered wait is drawn up to backoff_initial_s * 2**(n-1), capped at
    backoff_max_s: at most 0.1 s after the first retry, at most 0.3 s (and more than 0.15 s at times) later on."""
    policy = RetryPolicy(backoff_initial_s=0.1, backoff_max_s=0.3)
    wait = retry_module._wait(policy)
    error = VenueUnavailable("down")
    first = tenacity.RetryCallState(retry_object=None, fn=None, args=(), kwargs={})  # type: ignore[arg-type]
    first.set_exception((type(error), error, None))
    assert all(0 <= wait(first) <= 0.1 for _ in range(200))
    first.attempt_number = 10
    late = [wait(first) for _ in range(200)]
    assert all(0 <= w <= 0.3 for w in late)
    assert max(late) > 0.15


async def test_a_refusal_on_a_retry_ends_the_retries() -> None:
    """The retry of a retryable failure is refused (OrderRejected, not retryable): that refusal is raised at once,
    no third attempt."""
    refusal = OrderRejected("no")
    calls, attempt = _counting(VenueUnavailable("down"), refusal)
    with pytest.raises(OrderRejected) as info:
        await run_with_retry(RetryPolicy(max_attempts=5, backoff=False), attempt, writes=False)  # type: ignore[arg-type]
    assert info.value is refusal
    assert calls == [1, 2]


async def test_a_single_attempt_policy_never_retries() -> None:
    """max_attempts=1: a retryable failure is raised after the one attempt."""
    error = VenueUnavailable("down")
    calls, attempt = _counting(error)
    with pytest.raises(VenueUnavailable) as info:
        await run_with_retry(RetryPolicy(max_attempts=1, backoff=False), attempt, writes=False)  # type: ignore[arg-type]
    assert info.value is error
    assert calls == [1]


@pytest.mark.parametrize(
    ("error", "for_reads", "for_writes"),
    [
        (ValueError("a bug"), False, False),
        (OrderRejected("no"), False, False),
        (VenueUnavailable("5xx after a read"), True, True),
        (VenueUnavailable("5xx after a write", outcome_known=False), True, False),
        (TransportError("refused", outcome_known=True), True, True),
        (TransportError("reset", outcome_known=False), True, False),
        (RateLimited("slow", retry_after_s=0), True, True),
        (ResponseShapeError("html page"), True, False),
        (ResponseShapeError("html page", outcome_known=False), True, False),
        (UnknownVenueValue("weird", field="status", raw_value="X"), False, False),
    ],
)
def test_the_retry_rule_for_reads_and_writes(error: BaseException, for_reads: bool, for_writes: bool) -> None:
    """The retry predicate, built when a retry begins: reads retry every retryable error and any garbled answer;
    writes only a retryable error whose outcome is known (the venue did not act)."""
    assert retry_module._should_retry(False)(error) is for_reads
    assert retry_module._should_retry(True)(error) is for_writes
