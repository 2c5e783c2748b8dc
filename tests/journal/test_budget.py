"""The shared rate-limit budget in a real Redis: a sliding window of credits with the venue's costs,
shared by every budget with the same key."""

from __future__ import annotations

import asyncio
import time

import pytest

import stopkit
from stopkit.ratelimit import RateLimit
from stopkit.ratelimit_redis import RedisBudget


async def _grant_times(budget: RedisBudget, costs: list[float]) -> list[tuple[float, float]]:
    # (monotonic time of each grant, its cost), the grants requested concurrently.
    times: list[tuple[float, float]] = []

    async def one(cost: float) -> None:
        async with budget.slot(cost):
            times.append((time.monotonic(), cost))

    await asyncio.gather(*(one(c) for c in costs))
    return sorted(times)


def _max_in_window(times: list[tuple[float, float]], window_s: float) -> float:
    # The most credits granted inside any interval of window_s (less 20 ms: the grants are timed by the
    # Redis server's clock in whole ms; the test sees them a little later, each with its own delay).
    window_s -= 0.02
    best = 0.0
    for start, _ in times:
        best = max(best, sum(c for t, c in times if start <= t < start + window_s))
    return best


async def test_sliding_window_holds_in_any_interval(redis_url: str) -> None:
    """12 requests on a 4-per-0.4 s budget: at most 4 credits in any 0.4 s, and it takes the windows it needs."""
    budget = RedisBudget(redis_url, RateLimit(capacity=4, window_s=0.4), key="t:sliding", margin_s=0)
    started = time.monotonic()
    try:
        times = await _grant_times(budget, [1.0] * 12)
    finally:
        await budget.aclose()
    assert _max_in_window(times, 0.4) <= 4
    assert times[-1][0] - started >= 0.75  # 12 credits at 4 per 0.4 s: two full windows of waiting


async def test_fractional_costs(redis_url: str) -> None:
    """Costs are the venue's credits: eight cancels at 0.5 fit a budget of 4, a ninth waits."""
    budget = RedisBudget(redis_url, RateLimit(capacity=4, window_s=0.5), key="t:costs", margin_s=0)
    try:
        started = time.monotonic()
        await _grant_times(budget, [0.5] * 8)
        assert time.monotonic() - started < 0.3
        await budget.acquire(0.5)
        assert time.monotonic() - started >= 0.45
    finally:
        await budget.aclose()


async def test_budgets_with_one_key_share_and_other_keys_do_not(redis_url: str) -> None:
    """Two budgets with the same key share the credits (as two processes would); another key has its own."""
    limit = RateLimit(capacity=3, window_s=0.5)
    first = RedisBudget(redis_url, limit, key="t:shared", margin_s=0)
    second = RedisBudget(redis_url, limit, key="t:shared", margin_s=0)
    other = RedisBudget(redis_url, limit, key="t:other", margin_s=0)
    try:
        times = sorted(await _grant_times(first, [1.0] * 3) + await _grant_times(second, [1.0] * 3))
        assert _max_in_window(times, 0.5) <= 3
        started = time.monotonic()
        await _grant_times(other, [1.0] * 3)
        assert time.monotonic() - started < 0.25
    finally:
        for budget in (first, second, other):
            await budget.aclose()


def test_connect_budget_key_and_limit(redis_url: str) -> None:
    """connect(budget=) shares the venue's documented budget under stopkit:budget:{venue:account}."""
    client = stopkit.connect("pacifica", credentials={"PACIFICA_PRIVATE_KEY": bytes(range(32)).hex()}, budget=redis_url)
    assert isinstance(client.throttle, RedisBudget)
    assert client.throttle.key.startswith("stopkit:budget:{pacifica:")
    assert (client.throttle.limit.capacity, client.throttle.limit.window_s) == (100, 60)
    with pytest.raises(stopkit.ConfigurationError):
        stopkit.connect(
            "pacifica",
            credentials={"PACIFICA_PRIVATE_KEY": bytes(range(32)).hex()},
            budget=redis_url,
            throttle=client.throttle,
        )
