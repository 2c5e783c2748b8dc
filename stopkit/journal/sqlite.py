"""The embedded journal: one SQLite file (WAL, ``synchronous=FULL``), stdlib ``sqlite3`` on a
dedicated thread so the event loop never waits on the disk.

Several processes on one host may share the file (SQLite's own locking; claims run in
``BEGIN IMMEDIATE`` transactions). Owner liveness: each client holds an exclusive ``flock`` on
``<file>.owners/<owner>.lock`` for its lifetime; the kernel drops it when the process dies
(``kill -9`` included), so a crashed client is recognised at once. Where ``fcntl`` is missing
(Windows), a lease renewed every few seconds stands in (``lease_s``).

SQLite docs: https://www.sqlite.org/wal.html, https://www.sqlite.org/pragma.html#pragma_synchronous
(in WAL mode, FULL syncs the WAL on every commit: a committed intent survives a power loss too).
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import random
import sqlite3
import time
from collections.abc import Callable, Iterable
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any, Literal, TypeVar

from stopkit.journal._base import DEFAULT_RETENTION_DAYS, Journal
from stopkit.journal._model import EntryStatus, JournalEntry

try:
    import fcntl
except ImportError:  # pragma: no cover - Windows
    fcntl = None  # type: ignore[assignment]

__all__ = ["SQLiteJournal"]

T = TypeVar("T")

_SCHEMA = """
CREATE TABLE IF NOT EXISTS entries (
    venue TEXT NOT NULL,
    account TEXT NOT NULL,
    id TEXT NOT NULL,
    status TEXT NOT NULL,
    owner TEXT,
    venue_order_id TEXT,
    created_ms INTEGER NOT NULL,
    updated_ms INTEGER NOT NULL,
    data TEXT NOT NULL,
    PRIMARY KEY (venue, account, id)
);
CREATE INDEX IF NOT EXISTS entries_status ON entries (status, venue, account);
CREATE INDEX IF NOT EXISTS entries_created ON entries (created_ms);
CREATE TABLE IF NOT EXISTS owners (
    owner TEXT PRIMARY KEY,
    lease_until_ms INTEGER NOT NULL
);
"""

_SETTLED_PRUNABLE = (EntryStatus.APPLIED.value, EntryStatus.REFUSED.value, EntryStatus.NOT_APPLIED.value)


def _now_ms() -> int:
    return time.time_ns() // 1_000_000


_Condition = Literal["status = ? AND owner IS ?", "owner = ?"]


def _store(conn: sqlite3.Connection, entry: JournalEntry, condition: _Condition, *params: object) -> bool:
    # Write `entry` over its row only where `condition` (one of the fixed fragments above; every value
    # is a bound parameter) still holds.
    cursor = conn.execute(
        "UPDATE entries SET status = ?, owner = ?, venue_order_id = ?, updated_ms = ?, data = ?"  # noqa: S608  # fixed SQL
        f" WHERE venue = ? AND account = ? AND id = ? AND {condition}",
        (
            entry.status.value,
            entry.owner,
            entry.venue_order_id,
            entry.updated_at_ms,
            entry.to_json(),
            entry.venue,
            entry.account,
            entry.id,
            *params,
        ),
    )
    return cursor.rowcount == 1


class SQLiteJournal(Journal):
    """A journal in the SQLite file at ``path`` (created with its folder when missing).

    Args:
        path: the database file.
        retention_days: settled entries older than this are pruned when a client opens the
            journal (``None``: never). Default 30.
        busy_timeout_s: how long a write waits for another process's transaction (default 10 s).
        lease_s: owner lease where ``flock`` is unavailable (default 10 s).

    Raises:
        ConfigurationError: from :meth:`open` when the file cannot be opened as a journal.
    """

    def __init__(
        self,
        path: str | os.PathLike[str],
        *,
        retention_days: float | None = DEFAULT_RETENTION_DAYS,
        busy_timeout_s: float = 10.0,
        lease_s: float = 10.0,
    ) -> None:
        self.path = Path(path)
        self.retention_s = None if retention_days is None else float(retention_days) * 86_400.0
        self._busy_timeout_ms = int(busy_timeout_s * 1000)
        self._lease_ms = int(lease_s * 1000)
        self._executor: ThreadPoolExecutor | None = None
        self._conn: sqlite3.Connection | None = None
        self._locks: dict[str, int] = {}  # owner → fd holding its flock
        self._heartbeats: dict[str, asyncio.Task[None]] = {}
        self._open_lock = asyncio.Lock()

    def __repr__(self) -> str:
        return f"SQLiteJournal({str(self.path)!r})"

    # -- plumbing ----------------------------------------------------------------------

    async def _call(self, fn: Callable[[sqlite3.Connection], T]) -> T:
        # Run `fn` with the connection on the journal's own thread.
        if self._executor is None or self._conn is None:
            await self.open()
        conn, executor = self._conn, self._executor
        if conn is None or executor is None:  # pragma: no cover - open() sets both or raises
            raise RuntimeError("journal closed")
        return await asyncio.get_running_loop().run_in_executor(executor, fn, conn)

    def _connect(self) -> sqlite3.Connection:
        from stopkit.errors import ConfigurationError

        deadline = time.monotonic() + self._busy_timeout_ms / 1000
        while True:
            conn: sqlite3.Connection | None = None
            try:
                self.path.parent.mkdir(parents=True, exist_ok=True)
                conn = sqlite3.connect(self.path, isolation_level=None, check_same_thread=False)
                conn.execute(f"PRAGMA busy_timeout = {self._busy_timeout_ms}")
                mode = conn.execute("PRAGMA journal_mode = WAL").fetchone()[0]
                if str(mode).lower() != "wal":
                    raise sqlite3.OperationalError(f"journal_mode stayed {mode}")
                conn.execute("PRAGMA synchronous = FULL")
                conn.executescript(_SCHEMA)
            except sqlite3.OperationalError as exc:
                if conn is not None:
                    conn.close()
                # Processes opening a new journal together: switching it to WAL and creating the schema can
                # meet SQLite's lock-upgrade refusal, which returns at once without waiting for the busy
                # timeout. Each step is idempotent: start over until the busy timeout has passed.
                if _is_locked(exc) and time.monotonic() < deadline:
                    time.sleep(random.uniform(0.005, 0.05))  # noqa: S311 - jitter, not a secret
                    continue
                raise ConfigurationError(f"journal {self.path}: cannot open it as a SQLite journal ({exc})") from None
            except (OSError, sqlite3.Error) as exc:
                if conn is not None:
                    conn.close()
                raise ConfigurationError(f"journal {self.path}: cannot open it as a SQLite journal ({exc})") from None
            return conn

    async def open(self) -> None:
        async with self._open_lock:
            if self._conn is not None:
                return
            self._executor = ThreadPoolExecutor(max_workers=1, thread_name_prefix="stopkit-journal")
            try:
                self._conn = await asyncio.get_running_loop().run_in_executor(self._executor, self._connect)
            except BaseException:
                self._executor.shutdown(wait=False)
                self._executor = None
                raise

    async def close(self) -> None:
        for owner in list(self._locks) + list(self._heartbeats):
            await self.release_owner(owner)
        conn, executor = self._conn, self._executor
        self._conn = self._executor = None
        if conn is not None and executor is not None:
            await asyncio.get_running_loop().run_in_executor(executor, conn.close)
        if executor is not None:
            executor.shutdown(wait=True)

    @staticmethod
    def _row(row: tuple[Any, ...]) -> JournalEntry:
        # (status, owner, data) → the entry, the columns being authoritative.
        entry = JournalEntry.from_json(row[2])
        entry.status = EntryStatus(row[0])
        entry.owner = row[1] or None
        return entry

    # -- the protocol --------------------------------------------------------------------

    async def claim(self, entry: JournalEntry) -> JournalEntry | None:
        def run(conn: sqlite3.Connection) -> JournalEntry | None:
            with _immediate(conn):
                row = conn.execute(
                    "SELECT status, owner, data FROM entries WHERE venue = ? AND account = ? AND id = ?",
                    (entry.venue, entry.account, entry.id),
                ).fetchone()
                if row is not None:
                    return self._row(row)
                conn.execute(
                    "INSERT INTO entries (venue, account, id, status, owner, venue_order_id, created_ms,"
                    " updated_ms, data) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
                    (
                        entry.venue,
                        entry.account,
                        entry.id,
                        entry.status.value,
                        entry.owner,
                        entry.venue_order_id,
                        entry.created_at_ms,
                        entry.updated_at_ms,
                        entry.to_json(),
                    ),
                )
                return None

        return await self._call(run)

    async def take_over(self, entry: JournalEntry, *, owner_was: str | None, status_was: EntryStatus) -> bool:
        def run(conn: sqlite3.Connection) -> bool:
            with _immediate(conn):
                return _store(conn, entry, "status = ? AND owner IS ?", status_was.value, owner_was)

        return await self._call(run)

    async def update(self, entry: JournalEntry, *, owner: str) -> bool:
        if not entry.status.is_open:
            entry.owner = None

        def run(conn: sqlite3.Connection) -> bool:
            with _immediate(conn):
                return _store(conn, entry, "owner = ?", owner)

        return await self._call(run)

    async def get(self, venue: str, account: str, entry_id: str) -> JournalEntry | None:
        def run(conn: sqlite3.Connection) -> JournalEntry | None:
            row = conn.execute(
                "SELECT status, owner, data FROM entries WHERE venue = ? AND account = ? AND id = ?",
                (venue, account, entry_id),
            ).fetchone()
            return None if row is None else self._row(row)

        return await self._call(run)

    async def entries(
        self,
        venue: str | None = None,
        account: str | None = None,
        *,
        statuses: Iterable[EntryStatus] | None = None,
        created_since_ms: int | None = None,
        limit: int | None = None,
    ) -> list[JournalEntry]:
        clauses: list[str] = []
        params: list[Any] = []
        if venue is not None:
            clauses.append("venue = ?")
            params.append(venue)
        if account is not None:
            clauses.append("account = ?")
            params.append(account)
        if statuses is not None:
            wanted = [status.value for status in statuses]
            clauses.append(f"status IN ({', '.join('?' * len(wanted))})" if wanted else "0")
            params.extend(wanted)
        if created_since_ms is not None:
            clauses.append("created_ms >= ?")
            params.append(created_since_ms)
        sql = "SELECT status, owner, data FROM entries"
        if clauses:
            sql += " WHERE " + " AND ".join(clauses)
        sql += " ORDER BY created_ms, id"
        if limit is not None:
            sql += f" LIMIT {int(limit)}"

        def run(conn: sqlite3.Connection) -> list[JournalEntry]:
            return [self._row(row) for row in conn.execute(sql, params).fetchall()]

        return await self._call(run)

    async def prune(self, *, before_ms: int) -> int:
        def run(conn: sqlite3.Connection) -> int:
            with _immediate(conn):
                cursor = conn.execute(
                    "DELETE FROM entries WHERE created_ms < ? AND status IN (?, ?, ?)",
                    (before_ms, *_SETTLED_PRUNABLE),
                )
                return cursor.rowcount

        return await self._call(run)

    # -- owners ----------------------------------------------------------------------------

    def _lock_path(self, owner: str) -> Path:
        return self.path.with_name(self.path.name + ".owners") / f"{owner}.lock"

    async def register_owner(self, owner: str) -> None:
        if fcntl is not None:
            path = self._lock_path(owner)
            path.parent.mkdir(parents=True, exist_ok=True)
            for stale in sorted(path.parent.glob("*.lock"))[:64]:  # lock files crashed clients left behind
                await self.owner_alive(stale.stem)
            fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o600)
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
            self._locks[owner] = fd
            return
        await self._renew(owner)  # pragma: no cover - Windows
        self._heartbeats[owner] = asyncio.get_running_loop().create_task(self._beat(owner))  # pragma: no cover

    async def _renew(self, owner: str) -> None:
        until = _now_ms() + self._lease_ms

        def run(conn: sqlite3.Connection) -> None:
            conn.execute(
                "INSERT INTO owners (owner, lease_until_ms) VALUES (?, ?)"
                " ON CONFLICT (owner) DO UPDATE SET lease_until_ms = excluded.lease_until_ms",
                (owner, until),
            )

        await self._call(run)

    async def _beat(self, owner: str) -> None:  # pragma: no cover - Windows
        while True:
            await asyncio.sleep(self._lease_ms / 3000)
            with contextlib.suppress(sqlite3.Error):
                await self._renew(owner)

    async def release_owner(self, owner: str) -> None:
        fd = self._locks.pop(owner, None)
        if fd is not None:
            with contextlib.suppress(OSError):
                self._lock_path(owner).unlink()
            os.close(fd)
        task = self._heartbeats.pop(owner, None)
        if task is not None:  # pragma: no cover - Windows
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await task

            def run(conn: sqlite3.Connection) -> None:
                conn.execute("DELETE FROM owners WHERE owner = ?", (owner,))

            await self._call(run)

    async def owner_alive(self, owner: str) -> bool:
        if owner in self._locks or owner in self._heartbeats:
            return True
        if fcntl is not None:
            path = self._lock_path(owner)
            try:
                fd = os.open(path, os.O_RDWR)
            except FileNotFoundError:
                return False
            try:
                fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
            except BlockingIOError:
                return True  # its process holds the lock: alive
            finally:
                os.close(fd)  # closing also drops a lock we took
            with contextlib.suppress(OSError):
                path.unlink()
            return False

        def run(conn: sqlite3.Connection) -> bool:  # pragma: no cover - Windows
            row = conn.execute("SELECT lease_until_ms FROM owners WHERE owner = ?", (owner,)).fetchone()
            return row is not None and int(row[0]) > _now_ms()

        return await self._call(run)  # pragma: no cover - Windows


def _is_locked(exc: sqlite3.OperationalError) -> bool:
    # SQLITE_BUSY / SQLITE_LOCKED ("database is locked", "database table is locked").
    code = getattr(exc, "sqlite_errorcode", None)
    if code is not None:
        return code & 0xFF in (sqlite3.SQLITE_BUSY, sqlite3.SQLITE_LOCKED)
    return "locked" in str(exc)


@contextlib.contextmanager
def _immediate(conn: sqlite3.Connection) -> Any:
    # One write transaction, taken at once (no lock upgrade deadlock between processes).
    conn.execute("BEGIN IMMEDIATE")
    try:
        yield
    except BaseException:
        conn.execute("ROLLBACK")
        raise
    else:
        conn.execute("COMMIT")
