"""How a :class:`~stopkit.client.VenueClient` uses a journal: claims, the sent mark, outcomes,
exactly-once placement and recovery. The client calls these hooks; the logic lives here."""

from __future__ import annotations

import asyncio
import logging
import uuid
from collections.abc import Awaitable, Callable
from typing import TYPE_CHECKING, Any

import attrs

from stopkit.errors import InvalidOrder, OrderRejected, OutcomeUnknown, StopkitError
from stopkit.journal._base import Journal
from stopkit.journal._model import EntryStatus, JournalEntry, error_to_dict
from stopkit.orders import AnyStopOrder
from stopkit.outcomes import PendingWrite, WriteOutcome, order_terms
from stopkit.state import OrderState
from stopkit.venue import Amendment, OrderRef

if TYPE_CHECKING:
    from stopkit.client import VenueClient

__all__ = ["ClaimLost", "JournalBinding", "account_of"]

log = logging.getLogger("stopkit.journal")

# How far around an entry other same-terms entries may own or rival its venue order (ms).
_RIVAL_WINDOW_MS = 120_000


class ClaimLost(StopkitError):
    """Another client took this journaled write over (it judged this one dead) before the request
    left: this call sent nothing. Place the order again to learn its outcome (the journal has it)."""


def account_of(venue: Any) -> str:
    """The account a bound venue trades, for namespacing (``account``, ``account_id`` or
    ``account_label`` attribute), else ``"default"``."""
    for name in ("account_label", "account", "account_id"):
        value = getattr(venue, name, None)
        if isinstance(value, str) and value:
            return value
    return "default"


class JournalBinding:
    """One client's use of a :class:`Journal` in one namespace (venue, account).

    ``owned``: the client opened the journal (from a URL) and closes it. ``claim_wait_s``: how
    long a placement waits for another live client that holds the same client order id.
    """

    def __init__(self, journal: Journal, *, venue: str, account: str, owned: bool, claim_wait_s: float = 30.0) -> None:
        self.journal = journal
        self.venue = venue
        self.account = account
        self.owner = uuid.uuid4().hex
        self._owned = owned
        self._claim_wait_s = claim_wait_s
        self._ready_lock = asyncio.Lock()
        self._ready = False
        self._entries: dict[int, JournalEntry] = {}  # PendingWrite.id → its entry
        self._targets: dict[int, tuple[OrderRef, OrderState | None, Amendment | None]] = {}
        self._rivals: dict[int, int] = {}  # PendingWrite.id → same-terms unsettled entries elsewhere

    def __repr__(self) -> str:
        return f"JournalBinding({self.journal!r}, venue={self.venue!r}, account={self.account!r})"

    async def _start(self, client: VenueClient) -> None:
        if self._ready:
            return
        async with self._ready_lock:
            if self._ready:
                return
            await self.journal.open()
            await self.journal.register_owner(self.owner)
            retention = self.journal.retention_s
            if retention is not None:
                # The client's clock, as the entries' times are (an injected clock in tests).
                pruned = await self.journal.prune(before_ms=client._now_ms() - int(retention * 1000))
                if pruned:
                    log.info("journal: pruned %d settled entries older than %g days", pruned, retention / 86_400)
            self._ready = True

    async def close(self) -> None:
        """Release this client's owner registration; close the journal if the client opened it."""
        if self._ready:
            await self.journal.release_owner(self.owner)
            self._ready = False
        if self._owned:
            await self.journal.close()

    def _new(self, entry_id: str, operation: str, now_ms: int, **fields: Any) -> JournalEntry:
        return JournalEntry(
            id=entry_id,
            venue=self.venue,
            account=self.account,
            operation=operation,
            status=EntryStatus.CLAIMED,
            owner=self.owner,
            created_at_ms=now_ms,
            updated_at_ms=now_ms,
            **fields,
        )

    # -- placement -------------------------------------------------------------------------

    async def place(self, client: VenueClient, order: AnyStopOrder, record: PendingWrite) -> OrderState:
        """Place ``order`` at most once per client order id across every client of the journal."""
        await self._start(client)
        loop = asyncio.get_running_loop()
        deadline = loop.time() + self._claim_wait_s
        delay = 0.02
        entry_id = f"place:{order.client_order_id}"
        while True:
            now = client._now_ms()
            fresh = self._new(entry_id, "place", now, client_order_id=order.client_order_id, order=order)
            try:
                found = await self.journal.claim(fresh)
            except asyncio.CancelledError:
                _background(client, self._release(fresh))  # the claim may have been stored: give it back
                raise
            if found is None:
                return await self._send_place(client, order, record, fresh)
            if found.order is not None and order_terms(found.order) != order_terms(order):
                raise InvalidOrder(
                    f"{self.venue}: client order id {order.client_order_id!r} is already journaled with other terms",
                    field="client_order_id",
                    venue=self.venue,
                )
            status = found.status
            if status is EntryStatus.APPLIED and found.state is not None:
                record.caller_informed = True
                record.settle(WriteOutcome.APPLIED, state=found.state)
                return client._remember(found.state)  # the recorded answer (the journal owns the order)
            if status is EntryStatus.REFUSED:
                raise found.recorded_error()
            alive = found.owner is not None and (
                found.owner == self.owner or await self.journal.owner_alive(found.owner)
            )
            if status.is_open and alive:
                if loop.time() >= deadline:
                    raise OutcomeUnknown(
                        f"{self.venue}: client order id {order.client_order_id!r} is being placed by another "
                        f"client of the journal (still {status.value} after {self._claim_wait_s:g} s)",
                        venue=self.venue,
                    )
                await asyncio.sleep(delay)
                delay = min(delay * 2, 0.25)
                continue
            if status is EntryStatus.NOT_APPLIED or status is EntryStatus.CLAIMED:
                # Provably never acted on: send it afresh, as ours.
                if await self.journal.take_over(fresh, owner_was=found.owner, status_was=status):
                    return await self._send_place(client, order, record, fresh)
                continue
            # SENT by a client that died, or UNKNOWN: reconcile before anything is sent.
            taken = attrs.evolve(found, owner=self.owner, status=EntryStatus.SENT, updated_at_ms=now)
            if await self.journal.take_over(taken, owner_was=found.owner, status_was=status):
                return await self._reconcile_entry(client, taken, record)

    async def _release(self, entry: JournalEntry) -> None:
        # Give back a claim whose caller was cancelled before anything was sent.
        released = attrs.evolve(entry, owner=None, status=EntryStatus.NOT_APPLIED, updated_at_ms=_wall_ms())
        try:
            await self.journal.take_over(released, owner_was=self.owner, status_was=EntryStatus.CLAIMED)
        except Exception as exc:  # noqa: BLE001  # it stays CLAIMED by us; recovery settles it after we are gone
            log.warning("journal: releasing %s failed (%s)", entry.id, type(exc).__name__)

    async def _send_place(
        self, client: VenueClient, order: AnyStopOrder, record: PendingWrite, entry: JournalEntry
    ) -> OrderState:
        self._entries[record.id] = entry
        return await client._write(
            record, lambda: client._place(order, record), lambda: client._settle_place(order, record)
        )

    async def _reconcile_entry(self, client: VenueClient, entry: JournalEntry, record: PendingWrite) -> OrderState:
        # An entry whose request may have left without a recorded answer: the venue's reconciliation.
        order = entry.order
        if order is None:  # pragma: no cover - place entries always carry their order
            raise OutcomeUnknown(f"{self.venue}: journal entry {entry.id} has no order", venue=self.venue)
        record.started_at_ms = entry.created_at_ms
        record.sent = True
        self._entries[record.id] = entry
        await self._prime(client, entry, record)

        def error() -> OutcomeUnknown:
            return OutcomeUnknown(
                f"{self.venue}: placement of {order.client_order_id!r} has no recorded outcome "
                "(a previous run stopped after it may have been sent)",
                venue=self.venue,
            )

        try:
            return await client._write(
                record,
                lambda: client._reconcile_place(order, record, error()),
                lambda: client._reconcile_place(order, record, error()),
            )
        finally:
            self._rivals.pop(record.id, None)

    async def _prime(self, client: VenueClient, entry: JournalEntry, record: PendingWrite) -> None:
        # For venues that match by terms: venue orders other journal entries own are not ours,
        # and other unsettled same-terms entries make a single match ambiguous.
        if client.venue.capabilities.client_order_id or entry.order is None:
            return
        terms = order_terms(entry.order)
        nearby = await self.journal.entries(
            self.venue, self.account, created_since_ms=entry.created_at_ms - _RIVAL_WINDOW_MS
        )
        rivals = 0
        for other in nearby:
            if other.id == entry.id or other.order is None or order_terms(other.order) != terms:
                continue
            if other.status is EntryStatus.APPLIED and other.venue_order_id:
                client._owners.put(other.venue_order_id, -1)  # owned by another journaled call
            elif other.status.unsettled:
                rivals += 1
        if rivals:
            self._rivals[record.id] = rivals

    async def recall(self, client: VenueClient, ref: OrderRef) -> None:
        """On a venue that stores no client order id: when ``ref`` has only our client order id and the
        client has not seen the order, remember the state the journal recorded for its placement (so
        a restarted client can read or cancel it by client order id)."""
        if client.venue.capabilities.client_order_id or ref.client_order_id is None or ref.venue_order_id:
            return
        if client.last_state(client_order_id=ref.client_order_id) is not None:
            return
        await self._start(client)
        entry = await self.journal.get(self.venue, self.account, f"place:{ref.client_order_id}")
        if entry is not None and entry.status is EntryStatus.APPLIED and entry.state is not None:
            client._remember(attrs.evolve(entry.state, client_order_id=ref.client_order_id))

    def rivals(self, record: PendingWrite) -> int:
        """Unsettled journal entries elsewhere with the same terms as ``record``'s order (no I/O)."""
        return self._rivals.get(record.id, 0)

    # -- every write: intent, sent mark, outcome --------------------------------------------

    def note(
        self,
        record: PendingWrite,
        ref: OrderRef,
        *,
        state: OrderState | None = None,
        amendment: Amendment | None = None,
    ) -> None:
        """What a cancel or modify acts on (kept for its journal entry and its recovery). No I/O."""
        self._targets[record.id] = (ref, state, amendment)

    def wrap(
        self,
        client: VenueClient,
        record: PendingWrite,
        run: Callable[[], Awaitable[OrderState]],
        settle: Callable[[], Awaitable[OrderState]],
    ) -> tuple[Callable[[], Awaitable[OrderState]], Callable[[], Awaitable[OrderState]]]:
        """``run`` and ``settle`` recording the write's intent (cancel/modify) and outcome."""

        async def journaled_run() -> OrderState:
            if record.id not in self._entries:
                await self._start(client)
                await self._claim_other(client, record)
            try:
                state = await run()
            except asyncio.CancelledError:
                if not record.sent:
                    _background(client, self._finish(record, EntryStatus.NOT_APPLIED, None, None))
                raise
            except StopkitError as exc:
                await self._finish(record, _failed_status(record, exc), None, exc)
                raise
            except BaseException as exc:
                await self._finish(record, EntryStatus.UNKNOWN, None, exc)
                raise
            await self._finish(record, EntryStatus.APPLIED, state, None)
            return state

        async def journaled_settle() -> OrderState:
            try:
                state = await settle()
            except StopkitError as exc:
                await self._finish(record, _failed_status(record, exc), None, exc)
                raise
            except BaseException as exc:
                await self._finish(record, EntryStatus.UNKNOWN, None, exc)
                raise
            await self._finish(record, EntryStatus.APPLIED, state, None)
            return state

        return journaled_run, journaled_settle

    async def _claim_other(self, client: VenueClient, record: PendingWrite) -> None:
        # The intent of a cancel or modify (each its own entry).
        ref, state, amendment = self._targets.pop(
            record.id,
            (OrderRef(venue_order_id=record.venue_order_id, client_order_id=record.client_order_id), None, None),
        )
        target = state
        if target is None:
            target = client.last_state(venue_order_id=ref.venue_order_id) if ref.venue_order_id else None
        entry = self._new(
            f"{record.operation}:{uuid.uuid4().hex}",
            record.operation,
            client._now_ms(),
            client_order_id=ref.client_order_id,
            venue_order_id=ref.venue_order_id,
            target=target,
            symbol=ref.symbol,
            amendment=None if amendment is None else _amendment_dict(amendment),
        )
        await self.journal.claim(entry)
        self._entries[record.id] = entry

    async def mark_sent(self, client: VenueClient, record: PendingWrite) -> None:
        """Durably mark ``record``'s entry SENT, just before its request leaves.

        Raises:
            ClaimLost: another client took the entry over; the request must not be sent.
        """
        entry = self._entries.get(record.id)
        if entry is None or entry.status is not EntryStatus.CLAIMED:
            return
        entry.status = EntryStatus.SENT
        entry.sent_at_ms = entry.updated_at_ms = client._now_ms()
        if not await self.journal.update(entry, owner=self.owner):
            raise ClaimLost(
                f"{self.venue}: {record.operation} of {record.client_order_id or record.venue_order_id!r} was taken "
                "over by another client of the journal before it was sent; nothing was sent by this call",
                venue=self.venue,
            )

    async def _finish(
        self, record: PendingWrite, status: EntryStatus, state: OrderState | None, error: BaseException | None
    ) -> None:
        entry = self._entries.get(record.id)
        if entry is None or isinstance(error, ClaimLost):
            self._entries.pop(record.id, None)
            return
        if status is EntryStatus.NOT_APPLIED and entry.operation != "place" and record.sent:
            status = EntryStatus.REFUSED
        entry.status = status
        entry.updated_at_ms = _wall_ms()
        if state is not None:
            entry.state = state
            entry.venue_order_id = state.venue_order_id or entry.venue_order_id
        entry.error = error_to_dict(error)
        try:
            stored = await self.journal.update(entry, owner=self.owner)
        except Exception as exc:  # noqa: BLE001  # the venue's answer stands; the journal write failed
            log.error("journal: recording %s of %s failed (%s)", status.value, entry.id, type(exc).__name__)
            stored = True  # nothing more to say about it
        # Done with it (a cancellation while writing leaves it here for the background settlement).
        self._entries.pop(record.id, None)
        if not stored:
            log.warning("journal: %s was taken over by another client; its outcome here was not recorded", entry.id)

    # -- recovery ----------------------------------------------------------------------------

    async def recover(self, client: VenueClient) -> list[JournalEntry]:
        """Settle every entry of this namespace left open by a client that is gone, or UNKNOWN."""
        await self._start(client)
        results: list[JournalEntry] = []
        unsettled = (EntryStatus.CLAIMED, EntryStatus.SENT, EntryStatus.UNKNOWN)
        for entry in await self.journal.entries(self.venue, self.account, statuses=unsettled):
            if (
                entry.status.is_open
                and entry.owner is not None
                and (entry.owner == self.owner or await self.journal.owner_alive(entry.owner))
            ):
                results.append(entry)  # a live client is working on it
                continue
            results.append(await self._recover_one(client, entry))
        return results

    async def _recover_one(self, client: VenueClient, entry: JournalEntry) -> JournalEntry:
        now = client._now_ms()
        if entry.status is EntryStatus.CLAIMED:
            done = attrs.evolve(
                entry,
                owner=None,
                status=EntryStatus.NOT_APPLIED,
                updated_at_ms=now,
                error={
                    "type": "NotSent",
                    "message": "never sent (its client stopped first)",
                    "outcome_known": True,
                },
            )
            if await self.journal.take_over(done, owner_was=entry.owner, status_was=entry.status):
                return done
            return await self.journal.get(self.venue, self.account, entry.id) or entry
        taken = attrs.evolve(entry, owner=self.owner, status=EntryStatus.SENT, updated_at_ms=now)
        if not await self.journal.take_over(taken, owner_was=entry.owner, status_was=entry.status):
            return await self.journal.get(self.venue, self.account, entry.id) or entry
        record = PendingWrite(
            operation=entry.operation,
            order=entry.order,
            client_order_id=entry.client_order_id,
            venue_order_id=entry.venue_order_id,
            started_at_ms=entry.created_at_ms,
        )
        try:
            if entry.operation == "place":
                await self._reconcile_entry(client, taken, record)
            else:
                await self._settle_other(client, taken, record)
        except StopkitError:
            pass  # recorded by the wrapped call (in `taken`, which it updated)
        return taken

    async def _settle_other(self, client: VenueClient, entry: JournalEntry, record: PendingWrite) -> OrderState:
        # A cancel or modify with no recorded outcome: read the order back (never sent again).
        record.sent = True
        self._entries[record.id] = entry
        ref = OrderRef(
            venue_order_id=entry.venue_order_id,
            client_order_id=entry.client_order_id,
            symbol=entry.symbol or (entry.target.symbol if entry.target is not None else None),
        )
        error = OutcomeUnknown(
            f"{self.venue}: {entry.operation} of {entry.venue_order_id or entry.client_order_id!r} has no recorded "
            "outcome (a previous run stopped after it may have been sent)",
            venue=self.venue,
        )
        if entry.operation == "modify" and entry.target is not None and entry.amendment is not None:
            target, amendment = entry.target, Amendment(**entry.amendment)

            async def settle_modify() -> OrderState:
                return await client._settle_modify_after(target, amendment, error, resend=False)

            return await client._write(record, settle_modify, settle_modify)

        async def settle_cancel() -> OrderState:
            return await client._settle_cancel_after(ref, error, resend=False)

        return await client._write(record, settle_cancel, settle_cancel)


def _background(client: VenueClient, work: Awaitable[None]) -> None:
    # Run `work` after the caller's cancellation; the client's close() waits for it.
    async def run() -> None:
        await work

    task = asyncio.get_running_loop().create_task(run())
    client._settlers.add(task)
    task.add_done_callback(client._settlers.discard)


def _failed_status(record: PendingWrite, error: StopkitError) -> EntryStatus:
    # Unknown outcome → UNKNOWN; nothing left → NOT_APPLIED; a documented refusal of the order
    # itself → REFUSED (final); any other documented, retryable refusal (429, token) → NOT_APPLIED.
    if not error.outcome_known:
        return EntryStatus.UNKNOWN
    if not record.sent:
        return EntryStatus.NOT_APPLIED
    if isinstance(error, OrderRejected) and not error.retryable:
        return EntryStatus.REFUSED
    return EntryStatus.NOT_APPLIED


def _amendment_dict(amendment: Amendment) -> dict[str, str | None]:
    return {
        "stop_price": None if amendment.stop_price is None else str(amendment.stop_price),
        "limit_price": None if amendment.limit_price is None else str(amendment.limit_price),
        "quantity": None if amendment.quantity is None else str(amendment.quantity),
    }


def _wall_ms() -> int:
    import time

    return time.time_ns() // 1_000_000
