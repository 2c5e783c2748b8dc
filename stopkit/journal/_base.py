"""The small protocol every journal backend implements (:class:`Journal`)."""

from __future__ import annotations

import abc
from collections.abc import Iterable
from types import TracebackType

from stopkit.journal._model import EntryStatus, JournalEntry

__all__ = ["DEFAULT_RETENTION_DAYS", "Journal"]

DEFAULT_RETENTION_DAYS = 30.0


class Journal(abc.ABC):
    """A durable store of journaled writes, shared by every client (and process) that opens it.

    Entries are namespaced per venue and account. A backend implements the primitives below;
    every write it acknowledges must be durable (it survives ``kill -9`` of the process that
    wrote it). Writes to open entries are *fenced*: they apply only while the entry's stored
    owner is the writer, so a client that lost an entry to another one (which judged it dead)
    can never overwrite what that one found.

    ``retention_s``: settled entries older than this may be pruned (:meth:`prune`); ``None``
    keeps everything. Entries left UNKNOWN are never pruned automatically.

    Use ``async with journal:`` (or :meth:`open` / :meth:`close`) when you create one yourself;
    a journal given to :func:`stopkit.connect` as a URL is opened and closed by the client.
    """

    retention_s: float | None = DEFAULT_RETENTION_DAYS * 86_400.0

    async def __aenter__(self) -> Journal:
        await self.open()
        return self

    async def __aexit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        await self.close()

    @abc.abstractmethod
    async def open(self) -> None:
        """Connect / create the schema. Idempotent."""

    @abc.abstractmethod
    async def close(self) -> None:
        """Release connections and owner registrations of this object. Idempotent."""

    @abc.abstractmethod
    async def claim(self, entry: JournalEntry) -> JournalEntry | None:
        """Insert ``entry`` (owned by ``entry.owner``) unless an entry with its id exists in its
        namespace, atomically. Returns ``None`` when inserted, else the existing entry (unchanged)."""

    @abc.abstractmethod
    async def take_over(self, entry: JournalEntry, *, owner_was: str | None, status_was: EntryStatus) -> bool:
        """Replace the stored entry by ``entry`` only if it still has ``owner_was`` and ``status_was``
        (compare-and-swap). Returns whether it did."""

    @abc.abstractmethod
    async def update(self, entry: JournalEntry, *, owner: str) -> bool:
        """Store ``entry`` only while the stored entry's owner is ``owner`` (fenced). A settled status
        clears the owner. Returns whether it did."""

    @abc.abstractmethod
    async def get(self, venue: str, account: str, entry_id: str) -> JournalEntry | None:
        """One entry, or ``None``."""

    @abc.abstractmethod
    async def entries(
        self,
        venue: str | None = None,
        account: str | None = None,
        *,
        statuses: Iterable[EntryStatus] | None = None,
        created_since_ms: int | None = None,
        limit: int | None = None,
    ) -> list[JournalEntry]:
        """Entries (oldest first), filtered by namespace, status and creation time (Unix ms)."""

    @abc.abstractmethod
    async def prune(self, *, before_ms: int) -> int:
        """Delete settled entries (APPLIED, REFUSED, NOT_APPLIED) created before ``before_ms``
        (Unix ms); returns how many. Open and UNKNOWN entries are kept."""

    @abc.abstractmethod
    async def register_owner(self, owner: str) -> None:
        """Announce a live client ``owner`` (kept alive until :meth:`release_owner` or the process dies)."""

    @abc.abstractmethod
    async def release_owner(self, owner: str) -> None:
        """``owner`` is done (a clean close)."""

    @abc.abstractmethod
    async def owner_alive(self, owner: str) -> bool:
        """Whether the client ``owner`` may still be working (a crashed process's owner is not)."""
