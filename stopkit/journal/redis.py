"""The shared journal: Redis, for many processes and hosts (``redis`` asyncio client).

Keys, all under one hash tag per venue and account (``{venue:account}``, so a namespace
lives in one cluster slot):

- ``stopkit:j:{venue:account}:e:<entry id>``: a hash (``status``, ``owner``, ``vid``,
  ``created``, ``data`` = the entry's JSON);
- ``stopkit:j:{venue:account}:idx``: sorted set of entry ids by creation time (Unix ms);
- ``stopkit:j:{venue:account}:open``: set of unsettled entry ids (open or UNKNOWN);
- ``stopkit:j:namespaces``: set of ``venue\\x1faccount`` (for listing);
- ``stopkit:owner:<owner>``: a live client: its Redis connection id, with a lease (``lease_s``).

Claims, take-overs and fenced updates are Lua scripts (one atomic step each on the server:
https://redis.io/docs/latest/develop/interact/programmability/eval-intro/). A client is alive
while its owner key exists and its dedicated connection is still connected (``CLIENT LIST ID``):
a killed process's connection closes at once, a vanished host's lease runs out.

Durability is Redis's: run it with ``appendonly yes`` and ``appendfsync always`` for intents to
survive a Redis restart (https://redis.io/docs/latest/operate/oss_and_stack/management/persistence/).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Iterable
from typing import TYPE_CHECKING, Any

from stopkit.journal._base import DEFAULT_RETENTION_DAYS, Journal
from stopkit.journal._model import EntryStatus, JournalEntry

if TYPE_CHECKING:
    from redis.asyncio import Redis

__all__ = ["RedisJournal", "redis_client"]

log = logging.getLogger("stopkit.journal")

PREFIX = "stopkit:j:"

_CLAIM = """
if redis.call('EXISTS', KEYS[1]) == 1 then
  return redis.call('HMGET', KEYS[1], 'status', 'owner', 'data')
end
redis.call('HSET', KEYS[1], 'status', ARGV[2], 'owner', ARGV[3], 'data', ARGV[4], 'created', ARGV[5], 'vid', ARGV[6])
redis.call('ZADD', KEYS[2], ARGV[5], ARGV[1])
redis.call('SADD', KEYS[3], ARGV[1])
return false
"""

_TAKE_OVER = """
local s = redis.call('HMGET', KEYS[1], 'status', 'owner')
if s[1] ~= ARGV[1] or (s[2] or '') ~= ARGV[2] then return 0 end
redis.call('HSET', KEYS[1], 'status', ARGV[3], 'owner', ARGV[4], 'data', ARGV[5], 'vid', ARGV[6])
if ARGV[7] == '1' then redis.call('SADD', KEYS[2], ARGV[8]) else redis.call('SREM', KEYS[2], ARGV[8]) end
return 1
"""

_UPDATE = """
local o = redis.call('HGET', KEYS[1], 'owner')
if (not o) or o == '' or o ~= ARGV[1] then return 0 end
redis.call('HSET', KEYS[1], 'status', ARGV[2], 'owner', ARGV[3], 'data', ARGV[4], 'vid', ARGV[5])
if ARGV[6] == '1' then redis.call('SADD', KEYS[2], ARGV[7]) else redis.call('SREM', KEYS[2], ARGV[7]) end
return 1
"""

_PRUNE = """
local n = 0
for i, id in ipairs(ARGV) do
  if i > 1 then
    local k = ARGV[1] .. id
    local st = redis.call('HGET', k, 'status')
    if (not st) or st == 'applied' or st == 'refused' or st == 'not_applied' then
      redis.call('DEL', k)
      redis.call('ZREM', KEYS[1], id)
      redis.call('SREM', KEYS[2], id)
      n = n + 1
    end
  end
end
return n
"""


def redis_client(url: str, **kwargs: Any) -> Redis:
    """A ``redis.asyncio.Redis`` for ``url`` (``redis://``, ``rediss://``, ``unix://``).

    Raises:
        ConfigurationError: the ``redis`` package is not installed (``pip install 'stopkit[redis]'``).
    """
    try:
        from redis.asyncio import Redis
    except ImportError:  # pragma: no cover - the redis extra is installed in tests
        from stopkit.errors import ConfigurationError

        raise ConfigurationError(
            "a Redis journal or budget needs the redis package: pip install 'stopkit[redis]'"
        ) from None
    return Redis.from_url(url, **kwargs)


def _ns(venue: str, account: str) -> str:
    return f"{PREFIX}{{{venue}:{account}}}:"


def _text(value: Any) -> str:
    return value.decode() if isinstance(value, bytes) else str(value)


class RedisJournal(Journal):
    """A journal in the Redis database at ``url`` (e.g. ``redis://127.0.0.1:6379/0``).

    Args:
        url: the Redis URL (credentials in it are never logged or shown in ``repr``).
        retention_days: settled entries older than this are pruned when a client opens the
            journal (``None``: never). Default 30.
        lease_s: how long a client whose connection went silent counts as alive (default 10 s);
            renewed every ``lease_s / 3``.
    """

    def __init__(
        self, url: str, *, retention_days: float | None = DEFAULT_RETENTION_DAYS, lease_s: float = 10.0
    ) -> None:
        self._url = url
        self.retention_s = None if retention_days is None else float(retention_days) * 86_400.0
        self._lease_ms = int(lease_s * 1000)
        self._redis: Redis | None = None
        self._scripts: dict[str, Any] = {}
        self._owners: dict[str, tuple[Redis, asyncio.Task[None]]] = {}
        self._open_lock = asyncio.Lock()

    def __repr__(self) -> str:
        from urllib.parse import urlsplit

        parts = urlsplit(self._url)
        return f"RedisJournal('{parts.scheme}://{parts.hostname or ''}:{parts.port or ''}{parts.path}')"

    async def open(self) -> None:
        async with self._open_lock:
            if self._redis is not None:
                return
            redis = redis_client(self._url)
            self._scripts = {
                name: redis.register_script(source)
                for name, source in (
                    ("claim", _CLAIM),
                    ("take_over", _TAKE_OVER),
                    ("update", _UPDATE),
                    ("prune", _PRUNE),
                )
            }
            self._redis = redis

    async def close(self) -> None:
        for owner in list(self._owners):
            await self.release_owner(owner)
        redis, self._redis = self._redis, None
        if redis is not None:
            await redis.aclose()

    async def _r(self) -> Redis:
        if self._redis is None:
            await self.open()
        assert self._redis is not None  # noqa: S101  # set by open()
        return self._redis

    def _entry(self, status: Any, owner: Any, data: Any) -> JournalEntry:
        entry = JournalEntry.from_json(_text(data))
        entry.status = EntryStatus(_text(status))
        entry.owner = _text(owner) if owner not in (None, b"", "") else None
        return entry

    # -- the protocol --------------------------------------------------------------------

    async def claim(self, entry: JournalEntry) -> JournalEntry | None:
        redis = await self._r()
        ns = _ns(entry.venue, entry.account)
        result = await self._scripts["claim"](
            keys=[ns + "e:" + entry.id, ns + "idx", ns + "open"],
            args=[
                entry.id,
                entry.status.value,
                entry.owner or "",
                entry.to_json(),
                entry.created_at_ms,
                entry.venue_order_id or "",
            ],
        )
        if result is None:
            await redis.sadd(PREFIX + "namespaces", f"{entry.venue}\x1f{entry.account}")
            return None
        return self._entry(*result)

    async def take_over(self, entry: JournalEntry, *, owner_was: str | None, status_was: EntryStatus) -> bool:
        await self._r()
        ns = _ns(entry.venue, entry.account)
        done = await self._scripts["take_over"](
            keys=[ns + "e:" + entry.id, ns + "open"],
            args=[
                status_was.value,
                owner_was or "",
                entry.status.value,
                entry.owner or "",
                entry.to_json(),
                entry.venue_order_id or "",
                "1" if entry.status.unsettled else "0",
                entry.id,
            ],
        )
        return bool(done)

    async def update(self, entry: JournalEntry, *, owner: str) -> bool:
        await self._r()
        if not entry.status.is_open:
            entry.owner = None
        ns = _ns(entry.venue, entry.account)
        done = await self._scripts["update"](
            keys=[ns + "e:" + entry.id, ns + "open"],
            args=[
                owner,
                entry.status.value,
                entry.owner or "",
                entry.to_json(),
                entry.venue_order_id or "",
                "1" if entry.status.unsettled else "0",
                entry.id,
            ],
        )
        return bool(done)

    async def get(self, venue: str, account: str, entry_id: str) -> JournalEntry | None:
        redis = await self._r()
        status, owner, data = await redis.hmget(_ns(venue, account) + "e:" + entry_id, ["status", "owner", "data"])
        return None if data is None else self._entry(status, owner, data)

    async def _namespaces(self, venue: str | None, account: str | None) -> list[tuple[str, str]]:
        redis = await self._r()
        if venue is not None and account is not None:
            return [(venue, account)]
        found = []
        for member in await redis.smembers(PREFIX + "namespaces"):
            v, _, a = _text(member).partition("\x1f")
            if (venue is None or v == venue) and (account is None or a == account):
                found.append((v, a))
        return sorted(found)

    async def entries(
        self,
        venue: str | None = None,
        account: str | None = None,
        *,
        statuses: Iterable[EntryStatus] | None = None,
        created_since_ms: int | None = None,
        limit: int | None = None,
    ) -> list[JournalEntry]:
        redis = await self._r()
        wanted = None if statuses is None else frozenset(statuses)
        out: list[JournalEntry] = []
        for v, a in await self._namespaces(venue, account):
            ns = _ns(v, a)
            if wanted is not None and wanted <= {EntryStatus.CLAIMED, EntryStatus.SENT, EntryStatus.UNKNOWN}:
                ids = [_text(i) for i in await redis.smembers(ns + "open")]
            else:
                low = "-inf" if created_since_ms is None else created_since_ms
                ids = [_text(i) for i in await redis.zrangebyscore(ns + "idx", low, "+inf")]
            async with redis.pipeline(transaction=False) as pipe:
                for entry_id in ids:
                    pipe.hmget(ns + "e:" + entry_id, ["status", "owner", "data"])
                rows = await pipe.execute()
            for status, owner, data in rows:
                if data is None:
                    continue
                entry = self._entry(status, owner, data)
                if wanted is not None and entry.status not in wanted:
                    continue
                if created_since_ms is not None and entry.created_at_ms < created_since_ms:
                    continue
                out.append(entry)
        out.sort(key=lambda e: (e.created_at_ms, e.id))
        return out if limit is None else out[:limit]

    async def prune(self, *, before_ms: int) -> int:
        redis = await self._r()
        removed = 0
        for v, a in await self._namespaces(None, None):
            ns = _ns(v, a)
            ids = [_text(i) for i in await redis.zrangebyscore(ns + "idx", "-inf", f"({before_ms}")]
            for start in range(0, len(ids), 500):
                chunk = ids[start : start + 500]
                removed += int(await self._scripts["prune"](keys=[ns + "idx", ns + "open"], args=[ns + "e:", *chunk]))
        return removed

    # -- owners ----------------------------------------------------------------------------

    async def register_owner(self, owner: str) -> None:
        # A dedicated connection whose id marks the owner: it closes when the process dies.
        await self._r()
        conn = redis_client(self._url, single_connection_client=True)
        await self._announce(conn, owner)
        task = asyncio.get_running_loop().create_task(self._beat(conn, owner))
        self._owners[owner] = (conn, task)

    async def _announce(self, conn: Redis, owner: str) -> None:
        client_id = await conn.client_id()
        await conn.set(f"stopkit:owner:{owner}", str(client_id), px=self._lease_ms)

    async def _beat(self, conn: Redis, owner: str) -> None:
        while True:
            await asyncio.sleep(self._lease_ms / 3000)
            try:
                await self._announce(conn, owner)
            except Exception as exc:  # noqa: BLE001  # a blip: the next beat tries again; fencing keeps entries safe
                log.warning("journal: owner heartbeat failed (%s); retrying", type(exc).__name__)

    async def release_owner(self, owner: str) -> None:
        held = self._owners.pop(owner, None)
        if held is None:
            return
        conn, task = held
        task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await task
        with contextlib.suppress(Exception):
            await conn.delete(f"stopkit:owner:{owner}")
        await conn.aclose()

    async def owner_alive(self, owner: str) -> bool:
        if owner in self._owners:
            return True
        redis = await self._r()
        client_id = await redis.get(f"stopkit:owner:{owner}")
        if client_id is None:
            return False
        try:
            listed = await redis.client_list(client_id=[_text(client_id)])
        except Exception:  # noqa: BLE001  # CLIENT LIST not allowed (ACL): the lease decides alone
            return True
        return bool(listed)
