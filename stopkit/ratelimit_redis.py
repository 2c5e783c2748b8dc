"""A rate-limit budget shared in Redis by every process and host that trades one venue account.

:class:`RedisBudget` is a :class:`~stopkit.ratelimit.Throttle` (``async with budget.slot(cost)``)
whose credits live in Redis. Each grant is one atomic Lua script on the server (Redis's
documented way to make a read-modify-write atomic:
https://redis.io/docs/latest/develop/interact/programmability/eval-intro/): a *sliding log*
of the credits granted (a sorted set scored by the server's ``TIME`` in ms, so the hosts'
clocks do not matter). A grant is made only when the credits granted in the trailing
``window_s + margin_s`` plus this cost fit in ``capacity``; otherwise the script answers how
long to wait for enough old grants to leave the window. So in *any* interval of
``window_s`` (a venue's fixed or sliding window, wherever it starts) at most ``capacity``
credits are sent, even when a request reaches the venue up to ``margin_s`` after its grant.

Costs are the venue's (:attr:`Exchange.cost`: Pacifica's credits, a cancel 0.5, heavy reads 3).
The cap on requests in flight (``max_concurrent``) stays per process.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import TYPE_CHECKING, Any

from stopkit.ratelimit import RateLimit, Throttle

if TYPE_CHECKING:
    from redis.asyncio import Redis

__all__ = ["RedisBudget"]

# KEYS[1]: the grants (sorted set: member "<ms>:<seq>:<cost>", score ms); KEYS[2]: a sequence.
# ARGV: capacity, window_ms, cost. Returns {granted (1/0), wait_ms}.
_GRANT = """
if redis.replicate_commands then redis.replicate_commands() end -- Redis < 5: writes after TIME
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
local window = tonumber(ARGV[2])
local cap = tonumber(ARGV[1])
local cost = tonumber(ARGV[3])
redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', now - window)
local grants = redis.call('ZRANGE', KEYS[1], 0, -1, 'WITHSCORES')
local used = 0
for i = 1, #grants, 2 do
  used = used + tonumber(string.match(grants[i], ':([^:]+)$'))
end
if used + cost <= cap + 1e-9 then
  local seq = redis.call('INCR', KEYS[2])
  redis.call('ZADD', KEYS[1], now, now .. ':' .. seq .. ':' .. ARGV[3])
  redis.call('PEXPIRE', KEYS[1], window + 1000)
  redis.call('PEXPIRE', KEYS[2], window + 1000)
  return {1, 0}
end
local need = used + cost - cap
local freed = 0
for i = 1, #grants, 2 do
  freed = freed + tonumber(string.match(grants[i], ':([^:]+)$'))
  if freed + 1e-9 >= need then
    return {0, tonumber(grants[i + 1]) + window - now + 1}
  end
end
return {0, window}
"""


class RedisBudget(Throttle):
    """A :class:`RateLimit` enforced across processes and hosts through Redis.

    Args:
        redis: a Redis URL (``redis://host:6379/0``) or a ``redis.asyncio.Redis``.
        limit: the budget (``capacity`` credits per ``window_s`` seconds; ``max_concurrent`` per process).
        key: the Redis key prefix of this budget: every client that must share it uses the same key,
            e.g. ``stopkit:budget:{pacifica:<account>}`` (what :func:`stopkit.connect` uses).
        margin_s: added to the window (default 1 s): the largest delay expected between a grant and
            the request's arrival at the venue.

    Raises:
        ConfigurationError: the ``redis`` package is missing (``pip install 'stopkit[redis]'``).
    """

    def __init__(self, redis: str | Redis, limit: RateLimit, *, key: str, margin_s: float = 1.0) -> None:
        from stopkit.journal.redis import redis_client

        self.limit = limit
        self.key = key
        self._redis: Redis = redis_client(redis) if isinstance(redis, str) else redis
        self._window_ms = int((limit.window_s + max(margin_s, 0.0)) * 1000)
        self._slots = asyncio.Semaphore(limit.max_concurrent)
        self._script: Any = self._redis.register_script(_GRANT)

    async def acquire(self, cost: float = 1.0) -> None:
        """Wait until ``cost`` credits (clamped to the capacity) are granted."""
        cost = min(max(float(cost), 0.0), float(self.limit.capacity))
        if cost == 0:
            return
        while True:
            granted, wait_ms = await self._script(
                keys=[self.key + ":grants", self.key + ":seq"],
                args=[repr(float(self.limit.capacity)), self._window_ms, repr(cost)],
            )
            if int(granted):
                return
            await asyncio.sleep(max(int(wait_ms), 1) / 1000)

    @asynccontextmanager
    async def slot(self, cost: float = 1.0) -> AsyncIterator[None]:
        """Wait for a free slot of this process and ``cost`` shared credits, then hold the slot."""
        async with self._slots:
            await self.acquire(cost)
            yield

    async def aclose(self) -> None:
        """Close the Redis connections (a later use reconnects)."""
        await self._redis.aclose()

    def __repr__(self) -> str:
        return f"RedisBudget({self.limit!r}, key={self.key!r})"
