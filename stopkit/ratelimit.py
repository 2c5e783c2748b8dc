"""Client-side rate limiting: a leaky bucket of credits plus a cap on concurrent requests.

Each venue declares its documented budget (:attr:`VenueAdapter.rate_limit`,
refined per credentials by :attr:`BoundVenue.rate_limit`); every exchange of a
flow costs :attr:`Exchange.cost` credits (Pacifica: an action 1, a cancel 0.5,
heavy reads more). One :class:`Throttle` is shared by all calls of one client;
pass the same ``Throttle`` to several clients to share a budget between them
(for instance two clients on the same account).
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import TYPE_CHECKING

import attrs

if TYPE_CHECKING:
    from aiolimiter import AsyncLimiter

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


class Throttle:
    """Enforces one :class:`RateLimit`; use ``async with throttle.slot(cost): ...`` around a request.

    A cost above the capacity is clamped to the capacity (the request waits for a full bucket).
    """

    def __init__(self, limit: RateLimit) -> None:
        import asyncio  # loaded with the first client, not with `import stopkit`

        from aiolimiter import AsyncLimiter

        self.limit = limit
        self._bucket: AsyncLimiter = AsyncLimiter(limit.capacity, limit.window_s)
        self._slots = asyncio.Semaphore(limit.max_concurrent)

    @asynccontextmanager
    async def slot(self, cost: float = 1.0) -> AsyncIterator[None]:
        """Wait for ``cost`` credits and a free concurrency slot, then hold the slot."""
        async with self._slots:
            await self._bucket.acquire(min(max(cost, 0.0), self.limit.capacity))
            yield

    def __repr__(self) -> str:
        return f"Throttle({self.limit!r})"
