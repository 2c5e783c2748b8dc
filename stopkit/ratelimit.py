"""Client-side rate limiting: a leaky bucket of credits plus a cap on concurrent requests.

Each venue declares its documented budget (:attr:`VenueAdapter.rate_limit`,
refined per credentials by :attr:`BoundVenue.rate_limit`); every exchange of a
flow costs :attr:`Exchange.cost` credits (Pacifica: an action 1, a cancel 0.5,
heavy reads more). One :class:`Throttle` is shared by all calls of one client;
pass the same ``Throttle`` to several clients to share a budget between them
(for instance two clients on the same account).
"""

from __future__ import annotations

import math
import time
from collections import deque
from contextlib import AbstractAsyncContextManager
from typing import TYPE_CHECKING

import attrs

if TYPE_CHECKING:
    import asyncio

__all__ = ["RateLimit", "Throttle"]


@attrs.frozen(kw_only=True)
class RateLimit:
    """A request budget.

    Fields:
        capacity: credits available per window (> 0).
        window_s: window length in seconds (> 0); credits drain back continuously.
        max_concurrent: requests in flight at once (>= 1).
        source: where the numbers come from (doc URL or "configured").
    """

    capacity: float = attrs.field(validator=attrs.validators.gt(0))
    window_s: float = attrs.field(validator=attrs.validators.gt(0))
    max_concurrent: int = attrs.field(default=16, validator=attrs.validators.ge(1))
    source: str = "configured"

    @classmethod
    def per_second(cls, requests_per_s: float, *, max_concurrent: int = 16, source: str = "configured") -> RateLimit:
        """``requests_per_s`` requests a second (bursts of at most ``max(1, requests_per_s)``)."""
        if requests_per_s <= 0:
            raise ValueError(f"requests_per_s must be positive, got {requests_per_s}")
        capacity = max(1.0, requests_per_s)
        return cls(capacity=capacity, window_s=capacity / requests_per_s, max_concurrent=max_concurrent, source=source)


class _Slot:
    # `async with throttle.slot(cost)`: one per distinct cost, made once and reused (no state per request).
    __slots__ = ("_cost", "_throttle")

    def __init__(self, throttle: Throttle, cost: float) -> None:
        self._throttle = throttle
        self._cost = cost

    async def __aenter__(self) -> None:
        throttle = self._throttle
        if not throttle._try_enter(self._cost):
            await throttle._enter(self._cost)

    async def __aexit__(self, *exc: object) -> None:
        self._throttle._leave()


class Throttle:
    """Enforces one :class:`RateLimit`; use ``async with throttle.slot(cost): ...`` around a request.

    A caller first waits for a free concurrency slot (first come, first served), then, holding it,
    for ``cost`` credits of a leaky bucket that holds ``capacity`` credits and drains at
    ``capacity / window_s`` credits a second (callers waiting for credits are served in order of
    arrival). A cost above the capacity is clamped to the capacity (the request waits for an empty
    bucket); a cost of 0 takes no credits. A budget of ``capacity=math.inf`` keeps no credit
    accounts at all (only the concurrency cap).

    The bookkeeping is O(1) per request: a counter for the slots and two numbers for the bucket;
    a caller that does not have to wait never awaits anything. A caller cancelled while it waits
    takes nothing with it.
    """

    def __init__(self, limit: RateLimit) -> None:
        self.limit = limit
        self._capacity = float(limit.capacity)
        self._drain_per_s = self._capacity / limit.window_s
        self._metered = math.isfinite(self._capacity)
        self._level = 0.0  # credits in the bucket
        self._drained_at = 0.0  # time.monotonic() of the last drain
        self._free = limit.max_concurrent  # slots not held
        self._slot_waiters: deque[asyncio.Future[None]] = deque()  # callers waiting for a slot, oldest first
        self._credit_waiters = 0  # callers waiting for credits (they queue on _credit_turn)
        self._credit_turn: asyncio.Lock | None = None
        self._slot_cms: dict[float, _Slot] = {}

    def slot(self, cost: float = 1.0) -> AbstractAsyncContextManager[None]:
        """Wait for a free concurrency slot and ``cost`` credits, then hold the slot (``async with``)."""
        slot = self._slot_cms.get(cost)
        if slot is None:
            slot = _Slot(self, min(max(float(cost), 0.0), self._capacity))
            if len(self._slot_cms) < 64:  # venues use a handful of costs
                self._slot_cms[cost] = slot
        return slot

    def _try_enter(self, cost: float) -> bool:
        # Take a slot and `cost` credits when neither has to be waited for; else take nothing.
        if self._free <= 0 or self._slot_waiters:
            return False
        if not self._metered or cost <= 0 or (not self._credit_waiters and self._take(min(cost, self._capacity))):
            self._free -= 1
            return True
        return False

    async def _enter(self, cost: float) -> None:
        # Wait for a slot, then (holding it) for `cost` credits (clamped to [0, capacity]).
        cost = min(max(cost, 0.0), self._capacity)
        if self._free > 0 and not self._slot_waiters:
            self._free -= 1
        else:
            await self._wait_for_slot()
        if not self._metered or cost == 0:
            return
        if not self._credit_waiters and self._take(cost):
            return
        try:
            await self._wait_for_credits(cost)
        except BaseException:
            self._leave()
            raise

    def _leave(self) -> None:
        # Hand the slot to the oldest caller still waiting for one, else free it.
        waiters = self._slot_waiters
        while waiters:
            waiter = waiters.popleft()
            if not waiter.done():
                waiter.set_result(None)
                return
        self._free += 1

    async def _wait_for_slot(self) -> None:
        import asyncio

        waiter = asyncio.get_running_loop().create_future()
        self._slot_waiters.append(waiter)
        try:
            await waiter
        except BaseException:
            if waiter.done() and not waiter.cancelled():
                self._leave()  # handed a slot, then cancelled before using it: pass it on
            raise

    def _take(self, cost: float) -> bool:
        # Drain the bucket for the time elapsed, then take `cost` credits if they fit.
        now = time.monotonic()
        level = self._level - (now - self._drained_at) * self._drain_per_s
        self._drained_at = now
        if level < 0.0:
            level = 0.0
        if level + cost <= self._capacity:
            self._level = level + cost
            return True
        self._level = level
        return False

    async def _wait_for_credits(self, cost: float) -> None:
        import asyncio

        if self._credit_turn is None:
            self._credit_turn = asyncio.Lock()
        self._credit_waiters += 1
        try:
            async with self._credit_turn:
                while not self._take(cost):  # noqa: ASYNC110  # the wait is computed: credits drain with time
                    await asyncio.sleep((self._level + cost - self._capacity) / self._drain_per_s)
        finally:
            self._credit_waiters -= 1

    def __repr__(self) -> str:
        return f"Throttle({self.limit!r})"
