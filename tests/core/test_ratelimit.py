"""The throttle: a leaky bucket of credits and a cap on requests in flight, first come first served."""

from __future__ import annotations

import asyncio
import math

import pytest

from stopkit.ratelimit import RateLimit, Throttle


async def _hold(throttle: Throttle, entered: list[str], name: str, release: asyncio.Event, cost: float = 1.0) -> None:
    async with throttle.slot(cost):
        entered.append(name)
        await release.wait()


async def test_credits_are_spent_and_drain_back_over_time() -> None:
    """Two credits at once, then one per 0.1 s (capacity 2 per 0.2 s)."""
    throttle = Throttle(RateLimit(capacity=2, window_s=0.2))
    loop = asyncio.get_running_loop()
    started = loop.time()
    for _ in range(2):
        async with throttle.slot(1):
            pass
    assert loop.time() - started < 0.05
    async with throttle.slot(1):
        waited = loop.time() - started
    assert 0.08 <= waited < 0.5


async def test_a_caller_that_need_not_wait_never_suspends() -> None:
    """With slots and credits free, entering and leaving never yields to the event loop."""
    throttle = Throttle(RateLimit(capacity=1000, window_s=60, max_concurrent=4))
    ran: list[bool] = []
    asyncio.get_running_loop().call_soon(ran.append, True)
    for _ in range(100):
        async with throttle.slot(1):
            pass
    assert ran == []
    await asyncio.sleep(0)
    assert ran == [True]


async def test_concurrency_slots_are_served_in_order_of_arrival() -> None:
    """max_concurrent=1: the waiters get the slot one after another, oldest first."""
    throttle = Throttle(RateLimit(capacity=100, window_s=1, max_concurrent=1))
    entered: list[str] = []
    gates = {name: asyncio.Event() for name in "ABCD"}
    tasks = {}
    for name in "ABCD":
        tasks[name] = asyncio.ensure_future(_hold(throttle, entered, name, gates[name]))
        await asyncio.sleep(0)
    assert entered == ["A"]
    for name in "ABC":
        gates[name].set()
        await tasks[name]
        await asyncio.sleep(0)
    assert entered == ["A", "B", "C", "D"]
    gates["D"].set()
    await tasks["D"]


async def test_a_cancelled_waiter_takes_no_slot_with_it() -> None:
    """A caller cancelled while waiting for a slot is skipped; the slot count stays right afterwards."""
    throttle = Throttle(RateLimit(capacity=100, window_s=1, max_concurrent=1))
    entered: list[str] = []
    gate_a, gate_c = asyncio.Event(), asyncio.Event()
    a = asyncio.ensure_future(_hold(throttle, entered, "A", gate_a))
    await asyncio.sleep(0)
    b = asyncio.ensure_future(_hold(throttle, entered, "B", asyncio.Event()))
    c = asyncio.ensure_future(_hold(throttle, entered, "C", gate_c))
    await asyncio.sleep(0)
    b.cancel()
    with pytest.raises(asyncio.CancelledError):
        await b
    gate_a.set()
    await a
    await asyncio.sleep(0)
    assert entered == ["A", "C"]
    gate_c.set()
    await c
    # One slot, free again: two callers in a row enter without waiting for each other.
    loop = asyncio.get_running_loop()
    started = loop.time()
    for _ in range(2):
        async with throttle.slot(0):
            pass
    assert loop.time() - started < 0.05


async def test_a_slot_handed_over_then_cancelled_is_passed_on() -> None:
    """A waiter handed the slot but cancelled before it resumed passes the slot to the next waiter."""
    throttle = Throttle(RateLimit(capacity=100, window_s=1, max_concurrent=1))
    entered: list[str] = []
    held = throttle.slot(1)
    await held.__aenter__()
    gate_c = asyncio.Event()
    b = asyncio.ensure_future(_hold(throttle, entered, "B", asyncio.Event()))
    c = asyncio.ensure_future(_hold(throttle, entered, "C", gate_c))
    await asyncio.sleep(0)
    await held.__aexit__(None, None, None)  # hands the slot to B without yielding
    b.cancel()  # before B resumed
    with pytest.raises(asyncio.CancelledError):
        await b
    await asyncio.sleep(0)
    assert entered == ["C"]
    gate_c.set()
    await c


async def test_cancelled_while_waiting_for_credits_frees_its_slot() -> None:
    """A caller cancelled while it waits for credits gives its concurrency slot back."""
    throttle = Throttle(RateLimit(capacity=1, window_s=60, max_concurrent=1))
    async with throttle.slot(1):
        pass
    waiting = asyncio.ensure_future(_hold(throttle, [], "B", asyncio.Event()))
    await asyncio.sleep(0.01)
    assert not waiting.done()
    waiting.cancel()
    with pytest.raises(asyncio.CancelledError):
        await waiting
    # The slot is free again: a request that needs no credits enters at once.
    ran: list[bool] = []
    asyncio.get_running_loop().call_soon(ran.append, True)
    async with throttle.slot(0):
        assert ran == []


async def test_credit_waiters_are_served_in_order_of_arrival() -> None:
    """Callers short of credits get them oldest first, one per drained credit."""
    throttle = Throttle(RateLimit(capacity=1, window_s=0.05, max_concurrent=10))
    async with throttle.slot(1):
        pass
    order: list[int] = []

    async def take(index: int) -> None:
        async with throttle.slot(1):
            order.append(index)

    tasks = []
    for index in range(4):
        tasks.append(asyncio.ensure_future(take(index)))
        await asyncio.sleep(0)
    await asyncio.gather(*tasks)
    assert order == [0, 1, 2, 3]


async def test_a_cost_above_the_capacity_waits_for_an_empty_bucket_only() -> None:
    """A cost of 5 on a bucket of 2 is clamped to 2: it passes at once when the bucket is empty."""
    throttle = Throttle(RateLimit(capacity=2, window_s=0.2))
    loop = asyncio.get_running_loop()
    started = loop.time()
    async with throttle.slot(5):
        pass
    assert loop.time() - started < 0.05
    async with throttle.slot(1):
        waited = loop.time() - started
    assert waited >= 0.08


async def test_an_unlimited_budget_keeps_no_credit_account() -> None:
    """capacity=inf: any number of requests pass without waiting; only the concurrency cap applies."""
    throttle = Throttle(RateLimit(capacity=math.inf, window_s=1, max_concurrent=2))
    ran: list[bool] = []
    asyncio.get_running_loop().call_soon(ran.append, True)
    for _ in range(10_000):
        async with throttle.slot(3):
            pass
    assert ran == []
    entered: list[str] = []
    gates = [asyncio.Event() for _ in range(3)]
    tasks = [asyncio.ensure_future(_hold(throttle, entered, str(i), gates[i])) for i in range(3)]
    await asyncio.sleep(0.01)
    assert entered == ["0", "1"]
    for gate in gates:
        gate.set()
    await asyncio.gather(*tasks)
    assert entered == ["0", "1", "2"]
