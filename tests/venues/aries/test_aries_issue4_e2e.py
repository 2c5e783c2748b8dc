"""Aries issue 4 end to end: stopkit.connect("aries", ...) against the simulator on 127.0.0.1.

Tokens under concurrency, no duplicates after lost answers (reconciliation), the replace chain,
pending states, paging and history, and every error class.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from decimal import Decimal
from typing import Any

import pytest
from aries_testdata import stop_limit_order, stop_order

import stopkit
from stopkit.client import VenueClient
from stopkit.context import FrozenClock
from stopkit.errors import (
    AuthenticationError,
    OrderNotFound,
    OrderRejected,
    OutcomeUnknown,
    ResponseShapeError,
    TransportError,
    VenueUnavailable,
)
from stopkit.retry import RetryPolicy
from stopkit.state import OrderStatus
from stopkit.testing.simkit import Fault
from stopkit_venues.aries.constants import CHAIN_FIELD
from stopkit_venues.aries.simulator import AriesSimulator

START_MS = 1_768_487_400_000  # 2026-01-15T14:30:00Z
HOUR_MS = 3_600_000
DAY_MS = 86_400_000
NO_BACKOFF = RetryPolicy(backoff=False)


class Rig:
    """A simulator sharing a frozen clock with the client (both can be moved together or apart)."""

    def __init__(self, **sim_args: Any) -> None:
        self.clock = FrozenClock(START_MS)
        self.venue_ms = START_MS
        self.sim = AriesSimulator(clock_ms=lambda: self.venue_ms, **sim_args)
        self.base_url = ""

    async def start(self, served: Callable[[Any], Any]) -> Rig:
        server = await served(self.sim.make_app())
        self.base_url = str(server.base_url)
        self.sim.set_price("AAPL", Decimal(150))
        return self

    def advance(self, ms: int, *, client: bool = True) -> None:
        """Move the venue's clock, and the client's unless ``client=False``."""
        self.venue_ms += ms
        if client:
            self.clock.advance(ms)

    def connect(self, retry: RetryPolicy = NO_BACKOFF, **config: Any) -> VenueClient:
        return stopkit.connect(
            "aries",
            credentials=self.sim.demo_credentials(),
            config={**self.sim.demo_config(self.base_url), **config},
            clock=self.clock,
            retry=retry,
        )


# -- item 1: OAuth2 ----------------------------------------------------------------------


async def test_aries_100_concurrent_places_on_an_expired_token_one_token_request(served: Callable[[Any], Any]) -> None:
    """The client's clock says the token expired: 100 concurrent places cause exactly one token request."""
    rig = await Rig().start(served)
    async with rig.connect() as client:
        await client.place(stop_order(client_order_id="warm-up"))
        assert rig.sim.token_requests == 1
        rig.advance(HOUR_MS + 1)
        orders = [stop_order(client_order_id=f"c-{i}", stop_price=Decimal(100 + i)) for i in range(100)]
        states = await asyncio.gather(*(client.place(o) for o in orders))
    assert {s.status for s in states} == {OrderStatus.ACCEPTED}
    assert rig.sim.token_requests == 2
    assert rig.sim.grants == ["client_credentials", "refresh_token"]
    assert rig.sim.unauthorized == 0
    assert len(rig.sim.orders()) == 101


async def test_aries_100_concurrent_401s_one_refresh_no_duplicates(served: Callable[[Any], Any]) -> None:
    """Only the venue knows the token expired: 100 places get 401, one refresh, each is sent once more."""
    rig = await Rig().start(served)
    async with rig.connect() as client:
        await client.place(stop_order(client_order_id="warm-up"))
        rig.advance(HOUR_MS + 1, client=False)
        orders = [stop_order(client_order_id=f"c-{i}", stop_price=Decimal(100 + i)) for i in range(100)]
        states = await asyncio.gather(*(client.place(o) for o in orders))
    assert len({s.venue_order_id for s in states}) == 100
    assert rig.sim.token_requests == 2
    assert rig.sim.unauthorized == 100
    assert len(rig.sim.orders()) == 101  # a 401 means "not accepted": the retry creates no duplicate


async def test_aries_refresh_ahead_of_expiry(served: Callable[[Any], Any]) -> None:
    """Inside the refresh margin (60 s before expiry) the token is refreshed before sending: no 401."""
    rig = await Rig().start(served)
    async with rig.connect() as client:
        placed = await client.place(stop_order())
        rig.advance(HOUR_MS - 30_000)
        await client.get(venue_order_id=placed.venue_order_id)
    assert rig.sim.grants == ["client_credentials", "refresh_token"]
    assert rig.sim.unauthorized == 0


async def test_aries_revoked_refresh_token_recovers_through_client_credentials(served: Callable[[Any], Any]) -> None:
    """A refused refresh (revoked refresh token) → one client_credentials grant → the request succeeds."""
    rig = await Rig().start(served)
    async with rig.connect(token_encoding="form") as client:
        placed = await client.place(stop_order())
        rig.sim.revoke_refresh_tokens()
        rig.advance(HOUR_MS + 1)
        state = await client.get(venue_order_id=placed.venue_order_id)
    assert state.status is OrderStatus.ACCEPTED
    assert rig.sim.token_requests == 3  # client_credentials, the refused refresh, client_credentials
    assert rig.sim.grants == ["client_credentials", "client_credentials"]


async def test_aries_static_token_then_env_refresh_token(served: Callable[[Any], Any]) -> None:
    """A refused static token is replaced through ARIES_REFRESH_TOKEN (refresh_token grant)."""
    rig = await Rig().start(served)
    refresh = rig.sim.issue_refresh_token()  # as an authorization-code login would give one
    creds = dict(rig.sim.demo_credentials(), ARIES_ACCESS_TOKEN="stale-static", ARIES_REFRESH_TOKEN=refresh)
    async with stopkit.connect("aries", credentials=creds, config={"base_url": rig.base_url}, clock=rig.clock) as c:
        assert (await c.place(stop_order(client_order_id="second"))).status is OrderStatus.ACCEPTED
    assert rig.sim.grants == ["refresh_token"]
    assert rig.sim.unauthorized == 1


# -- item 2: placement sides -------------------------------------------------------------


async def test_aries_sides_reach_the_venue(served: Callable[[Any], Any]) -> None:
    """SELL+OPEN → SELL_SHORT, BUY+CLOSE → BUY_TO_COVER, BUY, SELL: as the simulator stored them."""
    rig = await Rig().start(served)
    cases = [("sell", "open", "SELL_SHORT"), ("buy", "close", "BUY_TO_COVER"), ("buy", None, "BUY"),
             ("sell", "close", "SELL")]  # fmt: skip
    async with rig.connect() as client:
        for i, (side, effect, _wire) in enumerate(cases):
            price = Decimal(140) if side == "sell" else Decimal(160)
            await client.place(stop_order(side=side, position_effect=effect, stop_price=price, client_order_id=f"s{i}"))
    assert [o["side"] for o in rig.sim.orders()] == [wire for *_x, wire in cases]
    assert {o["type"] for o in rig.sim.orders()} == {"STOP"}
    assert {o["price"] for o in rig.sim.orders()} == {""}


# -- item 3: no duplicates ---------------------------------------------------------------


@pytest.mark.parametrize("mode", ["drop", "delay", "5xx"])
async def test_aries_accepted_then_answer_lost_is_reconciled(served: Callable[[Any], Any], mode: str) -> None:
    """The venue accepts the order, the answer is lost: place returns the found order; one order exists."""
    rig = await Rig().start(served)
    rig.sim.lose_next_place_response(mode, delay_s=0.6)
    async with rig.connect(RetryPolicy(backoff=False, timeout_s=0.25)) as client:
        state = await client.place(stop_limit_order(client_order_id="lost-1"))
        assert client.last_state(client_order_id="lost-1") == state
    held = rig.sim.orders()
    assert len(held) == 1  # never resent
    assert state.venue_order_id == held[0]["clOrdId"]
    assert state.client_order_id == "lost-1"
    assert state.status is OrderStatus.ACCEPTED
    assert state.limit_price == Decimal("144.5")


async def test_aries_lost_answer_and_failed_lookup_reports_unknown(served: Callable[[Any], Any]) -> None:
    """Lost answer and the lookup failing too: outcome_known=False, still exactly one order (no resend)."""
    rig = await Rig().start(served)
    rig.sim.lose_next_place_response("drop")
    rig.sim.faults.add(Fault(kind="status", status=503, method="GET", path="/orders"), times=3)
    async with rig.connect(RetryPolicy(backoff=False, max_attempts=3)) as client:
        with pytest.raises(TransportError) as info:
            await client.place(stop_order(client_order_id="lost-2"))
    assert info.value.outcome_known is False
    assert any("reconciliation failed too" in note for note in info.value.__notes__)
    assert isinstance(info.value.__cause__, VenueUnavailable)
    assert len(rig.sim.orders()) == 1


async def test_aries_never_reached_the_venue_is_not_found(served: Callable[[Any], Any]) -> None:
    """A reset before the venue read the request: reconciliation finds nothing, nothing is resent."""
    rig = await Rig().start(served)
    rig.sim.faults.add(Fault(kind="reset", method="POST", path="/v1/orders"))
    async with rig.connect() as client:
        with pytest.raises(TransportError) as info:
            await client.place(stop_order(client_order_id="never"))
    assert info.value.outcome_known is False
    assert any("found no matching order" in note for note in info.value.__notes__)
    assert rig.sim.orders() == []


async def test_aries_unreadable_200_is_reconciled(served: Callable[[Any], Any]) -> None:
    """An empty 200 after acceptance (unreadable): reconciled to the one order held."""
    rig = await Rig().start(served)
    rig.sim.faults.add(Fault(kind="garbage_after", status=200, body=b"", method="POST", path="/v1/orders"))
    async with rig.connect() as client:
        state = await client.place(stop_order(client_order_id="empty-200"))
    assert [o["clOrdId"] for o in rig.sim.orders()] == [state.venue_order_id]


async def test_aries_reconcile_by_terms_when_the_tag_is_not_echoed(served: Callable[[Any], Any]) -> None:
    """The venue shows the OAuth client id in clientId: the order is matched by its terms and time."""
    rig = await Rig().start(served)
    async with rig.connect() as client:
        other = await client.place(stop_order(client_order_id="other", stop_price=Decimal(140)))
        rig.advance(60_000)
        rig.sim.lose_next_place_response("drop")
        state = await client.place(stop_order(client_order_id="mine"))
        assert state.venue_order_id != other.venue_order_id
        assert state.client_order_id == "mine"
        assert state.stop_price == Decimal(145)
        # An identical order placed earlier, outside the window, does not confuse it either.
        rig.advance(60_000)
        rig.sim.lose_next_place_response("drop")
        again = await client.place(stop_order(client_order_id="mine-2"))
        assert again.venue_order_id not in (state.venue_order_id, other.venue_order_id)
    assert len(rig.sim.orders()) == 3


async def test_aries_terms_match_skips_the_row_another_call_owns(served: Callable[[Any], Any]) -> None:
    """Two identical orders: the first is returned to its caller; the second's answer is lost after the
    venue acted. Reconciliation skips the first's row (owned) and claims the second's."""
    rig = await Rig().start(served)
    async with rig.connect() as client:
        first = await client.place(stop_order(client_order_id="twin-1"))
        rig.sim.lose_next_place_response("drop")
        second = await client.place(stop_order(client_order_id="twin-2"))
    assert second.venue_order_id != first.venue_order_id
    assert second.client_order_id == "twin-2"
    assert {row["clOrdId"] for row in rig.sim.orders()} == {first.venue_order_id, second.venue_order_id}


async def test_aries_two_unowned_candidates_are_not_guessed(served: Callable[[Any], Any]) -> None:
    """An identical order placed elsewhere (another process) plus ours, answer lost: two candidates no call
    owns → outcome unknown, both listed, nothing claimed, nothing resent."""
    rig = await Rig().start(served)
    async with rig.connect() as elsewhere:
        await elsewhere.place(stop_order(client_order_id="other-process"))
    async with rig.connect() as client:
        rig.sim.lose_next_place_response("drop")
        with pytest.raises(TransportError) as info:
            await client.place(stop_order(client_order_id="twin-2"))
    assert info.value.outcome_known is False
    assert any("ambiguous" in note for note in info.value.__notes__)
    assert len(rig.sim.orders()) == 2


# -- item 4: cancel and modify ------------------------------------------------------------


async def test_aries_modify_chain_get_and_cancel(served: Callable[[Any], Any]) -> None:
    """Two replaces: new clOrdIds each time; old ids still find the order; cancel uses the newest id."""
    rig = await Rig().start(served)
    async with rig.connect() as client:
        placed = await client.place(stop_limit_order(client_order_id="chain-1"))
        first = await client.modify(placed, stop_price=Decimal(140), limit_price=Decimal("139.5"))
        assert first.venue_order_id != placed.venue_order_id
        assert first.status is OrderStatus.ACCEPTED
        assert first.venue_status == "REPLACED"
        assert (first.stop_price, first.limit_price, first.quantity) == (Decimal(140), Decimal("139.5"), Decimal(100))
        # A stale state (the original id) still modifies the live order: the lookup follows the chain.
        second = await client.modify(placed, quantity=Decimal(50))
        assert second.raw[CHAIN_FIELD] == [placed.venue_order_id, first.venue_order_id, second.venue_order_id]
        for old in (placed.venue_order_id, first.venue_order_id):
            found = await client.get(venue_order_id=old)
            assert found.venue_order_id == second.venue_order_id
            assert (found.quantity, found.stop_price, found.limit_price) == (50, 140, Decimal("139.5"))
        assert [o.venue_order_id for o in await client.open_orders()] == [second.venue_order_id]
        assert (await client.get(client_order_id="chain-1")).venue_order_id == second.venue_order_id
        canceled = await client.cancel(venue_order_id=placed.venue_order_id)
        assert canceled.status is OrderStatus.CANCELED
        assert canceled.venue_order_id == second.venue_order_id
        with pytest.raises(OrderRejected) as info:
            await client.modify(second, stop_price=Decimal(139))
        assert info.value.venue_message == "Order is already CANCELED"
    assert len(rig.sim.orders()) == 1


async def test_aries_modified_stop_triggers_at_its_new_price(served: Callable[[Any], Any]) -> None:
    """After moving the stop down, the old stop price no longer triggers; the new one does."""
    rig = await Rig().start(served)
    async with rig.connect() as client:
        placed = await client.place(stop_order())
        moved = await client.modify(placed, stop_price=Decimal(140))
        rig.sim.set_price("AAPL", Decimal("144.9"))
        assert (await client.get(venue_order_id=moved.venue_order_id)).status is OrderStatus.ACCEPTED
        rig.sim.set_price("AAPL", Decimal("139.9"))
        filled = await client.get(venue_order_id=placed.venue_order_id)
    assert filled.status is OrderStatus.FILLED
    assert filled.raw["avgPrice"] == "139.9"


async def test_aries_pending_cancel_and_replace_are_reported(served: Callable[[Any], Any]) -> None:
    """PENDING_REPLACE → PENDING_UPDATE and PENDING_CANCEL → PENDING_CANCEL, until the venue settles."""
    rig = await Rig().start(served)
    rig.sim.pending_changes = True
    async with rig.connect() as client:
        placed = await client.place(stop_order())
        pending = await client.modify(placed, stop_price=Decimal(141))
        assert (pending.status, pending.venue_status) == (OrderStatus.PENDING_UPDATE, "PENDING_REPLACE")
        assert (await client.get(venue_order_id=placed.venue_order_id)).status is OrderStatus.PENDING_UPDATE
        rig.sim.settle()
        assert (await client.get(venue_order_id=pending.venue_order_id)).status is OrderStatus.ACCEPTED
        canceling = await client.cancel(venue_order_id=pending.venue_order_id)
        assert (canceling.status, canceling.venue_status) == (OrderStatus.PENDING_CANCEL, "PENDING_CANCEL")
        assert (await client.get(venue_order_id=pending.venue_order_id)).status is OrderStatus.PENDING_CANCEL
        rig.sim.settle()
        assert (await client.get(venue_order_id=pending.venue_order_id)).status is OrderStatus.CANCELED


# -- item 5: read back ---------------------------------------------------------------------


async def test_aries_paging_against_the_simulator(served: Callable[[Any], Any]) -> None:
    """A server paging 2 rows at a time: open_orders and get follow nextCursor to the end."""
    rig = await Rig(page_cap=2).start(served)
    async with rig.connect() as client:
        placed = [await client.place(stop_order(client_order_id=f"p-{i}", stop_price=Decimal(140 + i)))
                  for i in range(5)]  # fmt: skip
        before = rig.sim.order_requests
        listed = await client.open_orders()
        assert rig.sim.order_requests - before == 3  # pages of 2, 2, 1
        assert [s.venue_order_id for s in listed] == [p.venue_order_id for p in placed]
        assert (await client.get(client_order_id="p-4")).venue_order_id == placed[4].venue_order_id


@pytest.mark.parametrize(("lookback_days", "found"), [(90, True), (30, False)])
async def test_aries_history_window(served: Callable[[Any], Any], lookback_days: int, found: bool) -> None:
    """An order gone from the active list, created 80 days ago: this client finds it from its creation time;
    a client that never saw it searches history_lookback_days back (≤ 90)."""
    rig = await Rig().start(served)
    async with rig.connect(history_lookback_days=lookback_days) as client:
        placed = await client.place(stop_order(client_order_id="old-day"))
        rig.sim.end_day()
        rig.advance(80 * DAY_MS)
        state = await client.get(venue_order_id=placed.venue_order_id)  # searched from its creation
        assert (state.status, state.client_order_id) == (OrderStatus.EXPIRED, "old-day")
    async with rig.connect(history_lookback_days=lookback_days) as fresh:
        if found:
            state = await fresh.get(venue_order_id=placed.venue_order_id)
            assert (state.status, state.client_order_id) == (OrderStatus.EXPIRED, None)
        else:
            with pytest.raises(OrderNotFound, match="last 30 day"):
                await fresh.get(venue_order_id=placed.venue_order_id)


async def test_aries_gtc_stop_created_3_days_ago_filled_yesterday_is_found(served: Callable[[Any], Any]) -> None:
    """History is filtered by creation time: a GTC stop created 3 days ago and filled yesterday is found by get,
    by the client that placed it (searched from its creation) and by a fresh client (default 90-day horizon)."""
    rig = await Rig().start(served)
    async with rig.connect() as client:
        placed = await client.place(stop_order(client_order_id="gtc-3d", time_in_force="gtc"))
        created = placed.created_at
        rig.sim.end_day()
        rig.advance(2 * DAY_MS)  # yesterday: it triggers and fills
        rig.sim.set_price("AAPL", Decimal("144.5"))
        rig.sim.end_day()  # the fill is no longer "today"
        rig.advance(DAY_MS)  # today
        assert placed.venue_order_id not in [o.venue_order_id for o in await client.open_orders()]
        before = rig.sim.order_requests
        state = await client.get(venue_order_id=placed.venue_order_id)
        assert (state.status, state.filled_quantity, state.average_fill_price) == (
            OrderStatus.FILLED, Decimal(100), Decimal("144.5")
        )  # fmt: skip
        assert state.created_at == created
        assert state.client_order_id == "gtc-3d"
        assert rig.sim.order_requests - before == 2  # one active page, one history page: bounded
        by_ours = await client.get(client_order_id="gtc-3d")
        assert by_ours.venue_order_id == placed.venue_order_id
    async with rig.connect() as fresh:
        state = await fresh.get(venue_order_id=placed.venue_order_id)
        assert state.status is OrderStatus.FILLED
        with pytest.raises(OrderNotFound, match="stores no client order id"):
            await fresh.get(client_order_id="gtc-3d")  # Aries does not store ours: only the placing client knows


async def test_aries_history_lookup_is_bounded_in_pages(served: Callable[[Any], Any]) -> None:
    """A history lookup reads at most history_max_pages pages, then gives up with ResponseShapeError."""
    rig = await Rig(page_cap=1).start(served)
    async with rig.connect(history_max_pages=2) as client:
        for i in range(4):
            await client.place(stop_order(client_order_id=f"b-{i}", stop_price=Decimal(100 + i)))
        rig.sim.end_day()
        rig.advance(DAY_MS)
        before = rig.sim.order_requests
        with pytest.raises(ResponseShapeError, match="more than 2 pages"):
            await client.get(venue_order_id="ORDER-NOT-THERE")
        assert rig.sim.order_requests - before == 1 + 2  # the (empty) active page, then 2 history pages


# -- item 6: errors -------------------------------------------------------------------------


async def test_aries_error_classes_through_the_client(served: Callable[[Any], Any]) -> None:
    """400 flat and nested, 403, 404, 5xx, 200 REJECTED, each as its stopkit error; an empty 400 is unknown."""
    rig = await Rig().start(served)
    async with rig.connect(fractional_shares=True) as client:
        with pytest.raises(OrderRejected) as flat:
            await client.place(stop_order(quantity=Decimal("1.5")))
        assert (flat.value.http_status, flat.value.venue_code) == (400, "FRACTIONAL_NOT_ALLOWED")
        assert "qty" in str(flat.value.venue_message)

        nested = b'{"error":{"type":"VALIDATION","code":"INVALID_STOP_PRICE","message":"stop too close"},"meta":{}}'
        rig.sim.faults.add(Fault(kind="garbage", status=400, body=nested, method="POST", path="/v1/orders"))
        with pytest.raises(OrderRejected) as info:
            await client.place(stop_order())
        assert (info.value.venue_code, info.value.venue_message) == ("INVALID_STOP_PRICE", "stop too close")
        assert info.value.outcome_known

        # An empty 400 is not a documented error body: unknown outcome, reconciled (nothing was placed).
        rig.sim.faults.add(Fault(kind="garbage", status=400, body=b"", method="POST", path="/v1/orders"))
        with pytest.raises(OutcomeUnknown) as unknown:
            await client.place(stop_order())
        assert (unknown.value.http_status, unknown.value.outcome_known) == (400, False)

        rig.sim.faults.add(Fault(kind="status", status=404, body=b"", method="GET", path="/orders"))
        with pytest.raises(OrderNotFound) as missing:
            await client.get(venue_order_id="ORDER-1")
        assert missing.value.http_status == 404

        rig.sim.faults.add(Fault(kind="status", status=503, body=b"", method="GET", path="/orders"), times=3)
        with pytest.raises(VenueUnavailable) as down:
            await client.open_orders()
        assert down.value.outcome_known

        rig.sim.halt("TSLA")
        with pytest.raises(OrderRejected) as halted:
            await client.place(stop_order(symbol="TSLA"))
        assert (halted.value.http_status, halted.value.venue_code) == (200, "SYMBOL_HALTED")
        assert halted.value.venue_message == "Trading is halted in the symbol"
        assert halted.value.raw_body is not None
        assert '"ordRejReason":"SYMBOL_HALTED"' in halted.value.raw_body.replace(" ", "")

    assert rig.sim.orders()[0]["ordStatus"] == "REJECTED"  # only the halted one reached the book
    creds = dict(rig.sim.demo_credentials(), ARIES_ACCOUNT_ID="SOMEONE-ELSE")
    async with stopkit.connect("aries", credentials=creds, config={"base_url": rig.base_url}) as other:
        with pytest.raises(AuthenticationError) as forbidden:
            await other.open_orders()
    assert (forbidden.value.http_status, forbidden.value.venue_code) == (403, "ACCOUNT_FORBIDDEN")


async def test_aries_unreadable_answer_shape_on_read(served: Callable[[Any], Any]) -> None:
    """A read answered 200 with a non-JSON body is read again (safe); when every attempt gets one, it raises
    ResponseShapeError carrying the body."""
    rig = await Rig().start(served)
    page = b"<html>maintenance</html>"
    garbage = Fault(kind="garbage", status=200, body=page, content_type="text/html", method="GET")
    rig.sim.faults.add(garbage)
    async with rig.connect() as client:
        assert await client.open_orders() == []  # the second read got a real answer
        rig.sim.faults.add(garbage, times=10)
        with pytest.raises(ResponseShapeError) as info:
            await client.open_orders()
    assert info.value.raw_body == "<html>maintenance</html>"


async def test_aries_reconciled_order_is_found_by_client_order_id(served: Callable[[Any], Any]) -> None:
    """A placement reconciled by terms: get and cancel by our client order id alone work at once (Aries stores
    none; the client looks it up by the venue order id it claimed), while a fresh client cannot know it."""
    rig = await Rig().start(served)
    rig.sim.lose_next_place_response("drop")
    async with rig.connect() as client:
        placed = await client.place(stop_order(client_order_id="reconciled-1"))
        assert placed.client_order_id == "reconciled-1"
        assert (await client.get(client_order_id="reconciled-1")).venue_order_id == placed.venue_order_id
        canceled = await client.cancel(client_order_id="reconciled-1")
    assert canceled.status is OrderStatus.CANCELED
    async with rig.connect() as fresh:
        with pytest.raises(OrderNotFound, match="stores no client order id"):
            await fresh.get(client_order_id="reconciled-1")


async def test_aries_old_id_found_in_history_through_the_successor(served: Callable[[Any], Any]) -> None:
    """History leaves SUPERSEDED records out: a fresh client finds an order by its pre-replace id through the
    successor's origClOrdId, and stops at the page that holds it (newest first)."""
    rig = await Rig(page_cap=1).start(served)
    async with rig.connect() as client:
        for i in range(3):
            await client.place(stop_order(client_order_id=f"older-{i}", stop_price=Decimal(100 + i)))
        rig.advance(60_000)
        placed = await client.place(stop_order(client_order_id="chain-h"))
        moved = await client.modify(placed, stop_price=Decimal(140))
        await client.cancel(venue_order_id=moved.venue_order_id)
        rig.sim.end_day()  # every order is finished (the DAY ones expire) and leaves the active list
        rig.advance(DAY_MS)
    async with rig.connect() as fresh:
        before = rig.sim.order_requests
        found = await fresh.get(venue_order_id=placed.venue_order_id)
        requests = rig.sim.order_requests - before
    assert (found.venue_order_id, found.status) == (moved.venue_order_id, OrderStatus.CANCELED)
    assert requests == 2  # one (empty) active page, one history page: not the 3 older pages behind it
