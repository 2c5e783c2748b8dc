"""The journal against the simulators, for SQLite and a real Redis: exactly-once placement per
client order id, what a crashed client leaves and how it is settled, recovery, pruning."""

from __future__ import annotations

import asyncio
from collections import Counter
from collections.abc import AsyncIterator
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from journal_rig import ARIES, B2TRADER, PACIFICA, VENUES, SimVenue

import stopkit
from stopkit.journal import EntryStatus, Journal, JournalEntry, open_journal
from stopkit.orders import AnyStopOrder
from stopkit.testing.simkit import Fault
from stopkit.transport import AiohttpTransport
from stopkit.wire import HttpRequest, HttpResponse

DEAD_OWNER = "0" * 32  # an owner id no client registered: a client that died


class CountingTransport(AiohttpTransport):
    """The real transport, counting the order writes it sends (not GETs, not token exchanges)."""

    def __init__(self, venue: str) -> None:
        super().__init__(venue=venue)
        self.writes: list[str] = []

    async def send(self, request: HttpRequest, *, timeout_s: float | None = None) -> HttpResponse:
        if request.method != "GET" and "token" not in request.url:
            self.writes.append(request.url)
        return await super().send(request, timeout_s=timeout_s)


@pytest.fixture(params=["sqlite", "redis"])
def journal_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    """A fresh journal URL of each backend."""
    if request.param == "sqlite":
        return f"sqlite://{tmp_path / 'orders.db'}"
    return str(request.getfixturevalue("redis_url"))


@pytest.fixture
async def journal(journal_url: str) -> AsyncIterator[Journal]:
    """The journal behind ``journal_url``, opened (for inspecting and seeding entries)."""
    async with open_journal(journal_url) as opened:
        yield opened


class Rig:
    """A running simulator of one venue, and clients on it sharing one journal."""

    def __init__(self, venue: SimVenue, sim: Any, base_url: str, journal_url: str) -> None:
        self.venue, self.sim, self.base_url, self.journal_url = venue, sim, base_url, journal_url
        self.transports: list[CountingTransport] = []

    def connect(self, **kwargs: Any) -> stopkit.VenueClient:
        """A journaled client on the simulator, with a counting transport."""
        transport = CountingTransport(self.venue.name)
        self.transports.append(transport)
        kwargs.setdefault("journal", self.journal_url)
        config = {**self.sim.demo_config(self.base_url), **kwargs.pop("config", {})}
        return stopkit.connect(
            self.venue.name,
            credentials=self.sim.demo_credentials(),
            config=config,
            transport=transport,
            retry=stopkit.RetryPolicy(max_attempts=2, timeout_s=2, total_timeout_s=5, backoff_initial_s=0.01),
            **kwargs,
        )

    def held(self) -> Counter[object]:
        """How many orders of each identity the simulator holds."""
        return Counter(self.venue.book(self.sim))

    async def place_directly(self, order: AnyStopOrder) -> stopkit.OrderState:
        """Place ``order`` without a journal (as if a crashed run had, before it recorded the answer)."""
        async with stopkit.connect(
            self.venue.name, credentials=self.sim.demo_credentials(), config=self.sim.demo_config(self.base_url)
        ) as client:
            return await client.place(order)


@pytest.fixture
async def rigs() -> AsyncIterator[list[Any]]:
    """Simulators started by a test, stopped at its end."""
    started: list[Any] = []
    yield started
    for sim in started:
        await sim.stop()


async def start(venue: SimVenue, journal_url: str, rigs: list[Any], **sim_kwargs: Any) -> Rig:
    """Start ``venue``'s simulator (stopped by the ``rigs`` fixture) and return its rig."""
    sim = venue.make_sim(**sim_kwargs)
    base_url = await sim.start()
    rigs.append(sim)
    scenario = sim.demo_scenario()
    sim.set_price(scenario.symbol, scenario.start_price)
    return Rig(venue, sim, base_url, journal_url)


def seed(venue: SimVenue, order: AnyStopOrder, account: str, status: EntryStatus, **fields: Any) -> JournalEntry:
    """A place entry as a client that died would have left it."""
    return JournalEntry(
        id=f"place:{order.client_order_id}",
        venue=venue.name,
        account=account,
        operation="place",
        status=status,
        owner=DEAD_OWNER if status.is_open else None,
        client_order_id=order.client_order_id,
        order=order,
        created_at_ms=fields.pop("created_at_ms", _now_ms()),
        sent_at_ms=_now_ms() if status is not EntryStatus.CLAIMED else 0,
        **fields,
    )


def _now_ms() -> int:
    import time

    return time.time_ns() // 1_000_000


def _account(client: stopkit.VenueClient) -> str:
    assert client.journal is not None
    return client.journal.account


# -- exactly once per client order id ---------------------------------------------------------------


@pytest.mark.parametrize("venue", list(VENUES.values()), ids=list(VENUES))
async def test_recorded_outcome_is_returned_without_sending(venue: SimVenue, journal_url: str, rigs: list[Any]) -> None:
    """A second client (a restarted bot) placing the same client order id gets the recorded state; nothing is sent."""
    rig = await start(venue, journal_url, rigs)
    order = venue.order(1, "recorded")
    async with rig.connect() as first:
        placed = await first.place(order)
    async with rig.connect() as second:
        again = await second.place(order)
    assert again.venue_order_id == placed.venue_order_id
    assert again.status is placed.status
    assert rig.transports[1].writes == []
    assert rig.held()[venue.identity(order)] == 1


async def test_same_client_order_id_other_terms_is_refused_locally(journal_url: str, rigs: list[Any]) -> None:
    """Reusing a journaled client order id for different terms raises InvalidOrder before any I/O."""
    rig = await start(PACIFICA, journal_url, rigs)
    order = PACIFICA.order(2, "terms")
    async with rig.connect() as client:
        await client.place(order)
        other = stopkit.StopOrder(
            symbol="BTC",
            side="buy",
            quantity=Decimal("0.002"),
            stop_price=Decimal(60002),
            client_order_id=order.client_order_id,
        )
        with pytest.raises(stopkit.InvalidOrder, match="other terms"):
            await client.place(other)
    assert len(rig.transports[0].writes) == 1


async def test_concurrent_clients_place_one_order(journal_url: str, rigs: list[Any]) -> None:
    """Four clients placing the same 10 client order ids at once: each is sent once, all get the same states."""
    rig = await start(PACIFICA, journal_url, rigs)
    orders = [PACIFICA.order(i, "concurrent") for i in range(10)]
    clients = [rig.connect() for _ in range(4)]
    try:
        results = await asyncio.gather(*(client.place(o) for client in clients for o in orders))
    finally:
        for client in clients:
            await client.close()
    by_coid: dict[str, set[str | None]] = {}
    for order, state in zip([o for _ in clients for o in orders], results, strict=True):
        by_coid.setdefault(order.client_order_id, set()).add(state.venue_order_id)
    assert all(len(ids) == 1 for ids in by_coid.values())
    assert sum(len(t.writes) for t in rig.transports) == len(orders)
    assert set(rig.held().values()) == {1}
    assert len(rig.held()) == len(orders)


async def test_documented_refusal_is_recorded_and_repeated(journal_url: str, rigs: list[Any]) -> None:
    """A documented refusal (the venue already holds the client order id) is recorded REFUSED; placing the
    id again raises it without sending."""
    rig = await start(PACIFICA, journal_url, rigs)
    order = PACIFICA.order(3, "refused")
    await rig.place_directly(order)  # placed outside the journal
    async with rig.connect() as client:
        with pytest.raises(stopkit.DuplicateClientOrderId) as first:
            await client.place(order)
        assert first.value.outcome_known
        assert client.journal is not None
        entries = await client.journal.journal.entries()
        assert [e.status for e in entries] == [EntryStatus.REFUSED]
        with pytest.raises(stopkit.DuplicateClientOrderId, match="recorded in the journal"):
            await client.place(order)
    assert len(rig.transports[0].writes) == 1
    assert rig.held()[order.client_order_id] == 1


# -- what a crashed client leaves --------------------------------------------------------------------


@pytest.mark.parametrize("venue", list(VENUES.values()), ids=list(VENUES))
async def test_claimed_but_never_sent_is_sent(
    venue: SimVenue, journal_url: str, journal: Journal, rigs: list[Any]
) -> None:
    """An intent a dead client claimed but never marked sent provably never left: it is sent, once."""
    rig = await start(venue, journal_url, rigs)
    order = venue.order(4, "claimed")
    async with rig.connect() as client:
        await journal.claim(seed(venue, order, _account(client), EntryStatus.CLAIMED))
        state = await client.place(order)
    assert state.status is stopkit.OrderStatus.ACCEPTED
    assert rig.held()[venue.identity(order)] == 1
    stored = await journal.get(venue.name, _account(client), f"place:{order.client_order_id}")
    assert stored is not None
    assert stored.status is EntryStatus.APPLIED


@pytest.mark.parametrize("venue", [PACIFICA, ARIES], ids=["pacifica", "aries"])
async def test_sent_and_held_is_adopted_not_resent(
    venue: SimVenue, journal_url: str, journal: Journal, rigs: list[Any]
) -> None:
    """A dead client's SENT entry whose order the venue holds is found by reconciliation; nothing is sent."""
    rig = await start(venue, journal_url, rigs)
    order = venue.order(5, "held")
    created = _now_ms() - 50
    placed = await rig.place_directly(order)
    async with rig.connect() as client:
        await journal.claim(seed(venue, order, _account(client), EntryStatus.SENT, created_at_ms=created))
        state = await client.place(order)
    assert state.venue_order_id == placed.venue_order_id
    assert rig.transports[0].writes == []
    assert rig.held()[venue.identity(order)] == 1


@pytest.mark.parametrize("resend", [False, True])
async def test_sent_not_held_pacifica(resend: bool, journal_url: str, journal: Journal, rigs: list[Any]) -> None:
    """Pacifica: a SENT entry the venue does not hold stays UNKNOWN (nothing sent); with resend_after_unknown it
    is resent once with the same client order id."""
    rig = await start(PACIFICA, journal_url, rigs)
    order = PACIFICA.order(6, f"lost-{resend}")
    async with rig.connect(config={"resend_after_unknown": resend}) as client:
        await journal.claim(seed(PACIFICA, order, _account(client), EntryStatus.SENT))
        if resend:
            state = await client.place(order)
            assert state.client_order_id == order.client_order_id
        else:
            with pytest.raises(stopkit.OutcomeUnknown):
                await client.place(order)
    assert rig.held()[order.client_order_id] == (1 if resend else 0)
    assert len(rig.transports[0].writes) == (1 if resend else 0)


@pytest.mark.parametrize("venue", [ARIES, B2TRADER], ids=["aries", "b2trader"])
async def test_sent_not_held_without_client_ids_stays_unknown(
    venue: SimVenue, journal_url: str, journal: Journal, rigs: list[Any]
) -> None:
    """Aries and B2TRADER cannot prove absence: a SENT entry not found stays UNKNOWN and is never sent."""
    rig = await start(venue, journal_url, rigs)
    order = venue.order(7, "unknown")
    async with rig.connect() as client:
        await journal.claim(seed(venue, order, _account(client), EntryStatus.SENT))
        for _ in range(2):
            with pytest.raises(stopkit.StopkitError) as caught:
                await client.place(order)
            assert not caught.value.outcome_known
        stored = await journal.get(venue.name, _account(client), f"place:{order.client_order_id}")
    assert stored is not None
    assert stored.status is EntryStatus.UNKNOWN
    assert rig.transports[0].writes == []
    assert rig.held()[venue.identity(order)] == 0


async def test_aries_order_owned_by_another_entry_is_not_adopted(
    journal_url: str, journal: Journal, rigs: list[Any]
) -> None:
    """Aries: an order that another journal entry (same terms) already owns is not claimed again."""
    rig = await start(ARIES, journal_url, rigs)
    first = ARIES.order(8, "owned")
    twin = stopkit.StopOrder(
        symbol=first.symbol,
        side=first.side,
        quantity=first.quantity,
        stop_price=first.stop_price,
        time_in_force="day",
        client_order_id=ARIES.order(9, "owned").client_order_id,
    )
    async with rig.connect() as client:
        placed = await client.place(first)
        await journal.claim(seed(ARIES, twin, _account(client), EntryStatus.SENT))
        with pytest.raises(stopkit.StopkitError) as caught:
            await client.place(twin)
    assert not caught.value.outcome_known
    assert rig.held()[first.stop_price] == 1
    assert placed.venue_order_id is not None


async def test_live_owner_is_waited_for(journal_url: str, journal: Journal, rigs: list[Any]) -> None:
    """A claim held by a live client is waited for (bounded): OutcomeUnknown when it does not settle in time."""
    rig = await start(PACIFICA, journal_url, rigs)
    order = PACIFICA.order(10, "live")
    async with rig.connect() as holder, rig.connect(claim_wait_s=0.3) as waiter:
        await holder.recover()  # registers the holder's owner
        assert holder.journal is not None
        entry = seed(PACIFICA, order, _account(holder), EntryStatus.SENT)
        entry.owner = holder.journal.owner
        await journal.claim(entry)
        with pytest.raises(stopkit.OutcomeUnknown, match="being placed by another client"):
            await waiter.place(order)
    assert rig.transports[1].writes == []


# -- recovery ---------------------------------------------------------------------------------------------


@pytest.mark.parametrize("venue", list(VENUES.values()), ids=list(VENUES))
async def test_recover_settles_what_a_dead_client_left(
    venue: SimVenue, journal_url: str, journal: Journal, rigs: list[Any]
) -> None:
    """recover(): CLAIMED → NOT_APPLIED; SENT and held → APPLIED where the venue can look, else UNKNOWN; recorded."""
    rig = await start(venue, journal_url, rigs)
    never, held = venue.order(11, "recover"), venue.order(12, "recover")
    created = _now_ms() - 50
    await rig.place_directly(held)
    async with rig.connect() as client:
        account = _account(client)
        await journal.claim(seed(venue, never, account, EntryStatus.CLAIMED))
        await journal.claim(seed(venue, held, account, EntryStatus.SENT, created_at_ms=created))
        results = {entry.client_order_id: entry for entry in await client.recover()}
        assert results[never.client_order_id].status is EntryStatus.NOT_APPLIED
        expected = EntryStatus.UNKNOWN if venue is B2TRADER else EntryStatus.APPLIED
        assert results[held.client_order_id].status is expected
        stored = {e.client_order_id: e.status for e in await journal.entries(venue.name, account)}
        assert stored == {never.client_order_id: EntryStatus.NOT_APPLIED, held.client_order_id: expected}
        again = await client.place(never)  # a re-run places the never-sent intent
        assert again.status is stopkit.OrderStatus.ACCEPTED
    assert rig.held()[venue.identity(never)] == 1
    assert rig.held()[venue.identity(held)] == 1


async def test_answer_lost_then_crash_is_recovered(journal_url: str, journal: Journal, rigs: list[Any]) -> None:
    """Pacifica: the venue acted but the answer was lost; the client settles it itself and records APPLIED."""
    rig = await start(PACIFICA, journal_url, rigs)
    order = PACIFICA.order(13, "lost-answer")
    rig.sim.faults.add(Fault(kind="drop_after", method="POST", path=PACIFICA.place_path))
    async with rig.connect() as client:
        state = await client.place(order)
        stored = await journal.get("pacifica", _account(client), f"place:{order.client_order_id}")
    assert stored is not None
    assert stored.status is EntryStatus.APPLIED
    assert stored.state is not None
    assert stored.state.venue_order_id == state.venue_order_id
    assert rig.held()[order.client_order_id] == 1


async def test_cancel_is_journaled_and_recovered(journal_url: str, journal: Journal, rigs: list[Any]) -> None:
    """A cancel is journaled (APPLIED, CANCELED state); a dead client's SENT cancel is settled by reading back."""
    rig = await start(PACIFICA, journal_url, rigs)
    order = PACIFICA.order(14, "cancel")
    async with rig.connect() as client:
        placed = await client.place(order)
        await client.cancel(venue_order_id=placed.venue_order_id, symbol=placed.symbol)
        cancels = [e for e in await journal.entries("pacifica", _account(client)) if e.operation == "cancel"]
        assert [e.status for e in cancels] == [EntryStatus.APPLIED]
        assert cancels[0].state is not None
        assert cancels[0].state.status is stopkit.OrderStatus.CANCELED
        stale = JournalEntry(
            id="cancel:dead",
            venue="pacifica",
            account=_account(client),
            operation="cancel",
            status=EntryStatus.SENT,
            owner=DEAD_OWNER,
            venue_order_id=placed.venue_order_id,
            symbol=placed.symbol,
            created_at_ms=_now_ms(),
        )
        await journal.claim(stale)
        writes = len(rig.transports[0].writes)
        results = {e.id: e for e in await client.recover()}
    assert results["cancel:dead"].status is EntryStatus.APPLIED
    assert len(rig.transports[0].writes) == writes  # read back, never sent again


# -- retention, URLs -------------------------------------------------------------------------------------


async def test_prune_keeps_unknown_and_open(journal: Journal) -> None:
    """prune() deletes old settled entries only; UNKNOWN and open entries stay."""
    order = PACIFICA.order(15, "prune")
    old = _now_ms() - 10_000
    for status in EntryStatus:
        entry = seed(PACIFICA, order, "acct", status, created_at_ms=old)
        entry.id = f"place:{status.value}"
        await journal.claim(entry)
    assert await journal.prune(before_ms=old + 1) == 3
    left = {e.status for e in await journal.entries("pacifica", "acct")}
    assert left == {EntryStatus.CLAIMED, EntryStatus.SENT, EntryStatus.UNKNOWN}
    assert await journal.prune(before_ms=old) == 0


@pytest.mark.parametrize(
    "url",
    ["postgres://x/y", "sqlite://", "sqlite:///tmp/x.db?retention_days=-1", "sqlite:///tmp/x.db?colour=red"],
)
def test_bad_journal_urls(url: str) -> None:
    """Unknown schemes, missing paths and bad keys are ConfigurationError, before any I/O."""
    with pytest.raises(stopkit.ConfigurationError):
        open_journal(url)


def test_journal_urls() -> None:
    """sqlite paths, retention and redis URLs are parsed as documented."""
    from stopkit.journal import RedisJournal, SQLiteJournal

    sqlite = open_journal("sqlite:///var/lib/bot/orders.db?retention_days=7")
    assert isinstance(sqlite, SQLiteJournal)
    assert (str(sqlite.path), sqlite.retention_s) == ("/var/lib/bot/orders.db", 7 * 86_400)
    assert open_journal("sqlite:orders.db?retention_days=none").retention_s is None
    redis = open_journal("redis://:secret@127.0.0.1:6379/2")
    assert isinstance(redis, RedisJournal)
    assert "secret" not in repr(redis)


@pytest.mark.parametrize("venue", [ARIES, B2TRADER], ids=["aries", "b2trader"])
async def test_restarted_client_cancels_by_client_order_id(venue: SimVenue, journal_url: str, rigs: list[Any]) -> None:
    """Venues that store no client order id: a new client cancels by our client order id through the journal."""
    rig = await start(venue, journal_url, rigs)
    order = venue.order(16, "recall")
    async with rig.connect() as first:
        placed = await first.place(order)
    async with rig.connect() as second:
        cancelled = await second.cancel(client_order_id=order.client_order_id)
    assert cancelled.venue_order_id == placed.venue_order_id
    assert cancelled.status in (stopkit.OrderStatus.CANCELED, stopkit.OrderStatus.PENDING_CANCEL)


async def test_aries_twin_intents_make_a_match_ambiguous(journal_url: str, journal: Journal, rigs: list[Any]) -> None:
    """Aries: two unsettled journal entries with the same terms and one matching order: neither claims it."""
    rig = await start(ARIES, journal_url, rigs)
    first = ARIES.order(17, "twins")
    twin = stopkit.StopOrder(
        symbol=first.symbol,
        side=first.side,
        quantity=first.quantity,
        stop_price=first.stop_price,
        time_in_force="day",
        client_order_id=ARIES.order(18, "twins").client_order_id,
    )
    created = _now_ms() - 50
    await rig.place_directly(first)
    async with rig.connect() as client:
        for order in (first, twin):
            await journal.claim(seed(ARIES, order, _account(client), EntryStatus.SENT, created_at_ms=created))
        results = await client.recover()
    assert sorted(e.status.value for e in results) == ["unknown", "unknown"]
    assert rig.transports[0].writes == []
    assert rig.held()[first.stop_price] == 1


async def test_placing_twice_in_one_client_returns_the_recorded_state_quietly(
    journal_url: str, rigs: list[Any], caplog: pytest.LogCaptureFixture
) -> None:
    """The same client placing one client order id twice gets the recorded state, sends once, logs no error."""
    rig = await start(PACIFICA, journal_url, rigs)
    order = PACIFICA.order(19, "twice")
    async with rig.connect() as client:
        first = await client.place(order)
        second = await client.place(order)
    assert second.venue_order_id == first.venue_order_id
    assert len(rig.transports[0].writes) == 1
    assert not [r for r in caplog.records if r.levelname == "ERROR"]


async def test_binding_keeps_no_finished_writes(journal_url: str, rigs: list[Any]) -> None:
    """A long-running client keeps nothing per finished write (places, refusals, cancels)."""
    rig = await start(PACIFICA, journal_url, rigs)
    async with rig.connect() as client:
        assert client.journal is not None
        for index in range(5):
            placed = await client.place(PACIFICA.order(20 + index, "memory"))
            await client.cancel(venue_order_id=placed.venue_order_id, symbol=placed.symbol)
        assert client.journal._entries == {}
        assert client.journal._targets == {}


def test_entry_json_round_trip_keeps_every_field() -> None:
    """An entry's JSON keeps the order (stop-limit, GTD) and every OrderState field, decimals exact."""
    from datetime import UTC, datetime

    import attrs as _attrs

    order = stopkit.StopLimitOrder(
        symbol="BTC/USDC:USDC",
        side="sell",
        quantity=Decimal("0.123456789"),
        stop_price=Decimal("48000.5"),
        limit_price=Decimal("47950.25"),
        position_effect="close",
        trigger_type="mark",
        time_in_force="gtd",
        expire_at=datetime(2027, 1, 2, 3, 4, 5, tzinfo=UTC),
        client_order_id="d25ac10b-58cc-4372-a567-0e02b2c3d479",
    )
    values: dict[str, Any] = {}
    for field in _attrs.fields(stopkit.OrderState):
        values[field.name] = {
            "venue": "pacifica",
            "venue_order_id": "42",
            "client_order_id": order.client_order_id,
            "symbol": "BTC/USDC:USDC",
            "venue_symbol": "BTC",
            "side": stopkit.Side.SELL,
            "kind": stopkit.OrderKind.STOP_LIMIT,
            "status": stopkit.OrderStatus.PARTIALLY_FILLED,
            "venue_status": "partially_filled",
            "created_at": datetime(2026, 12, 3, tzinfo=UTC),
            "updated_at": datetime(2026, 12, 3, 0, 0, 1, tzinfo=UTC),
            "reason": "because",
            "raw": {"order_id": 42, "nested": {"a": [1, "2"]}},
        }.get(field.name, Decimal("0.000000001"))
    state = stopkit.OrderState(**values)
    entry = JournalEntry(
        id="place:x", venue="pacifica", account="acct", operation="place", order=order, state=state, target=state
    )
    back = JournalEntry.from_json(entry.to_json())
    assert back.order == order
    assert back.state == state
    assert back.target == state
    assert back.state is not None
    assert dict(back.state.raw) == dict(state.raw)
