"""modify on a venue without a replace endpoint (cancel, then place), and the state a bot can trust after
place, get and cancel (client order id and unified symbol carried, already cancelled orders), on the
in-test order book venue."""

from __future__ import annotations

import asyncio
import json
import re
from decimal import Decimal

import attrs
import pytest
from book_venue import BASE, Book, BookAdapter, NoReadBookAdapter

from stopkit import (
    CancelReplaceFailed,
    Credentials,
    InvalidArgument,
    InvalidOrder,
    OrderRejected,
    OrderStatus,
    ReplaceStep,
    StopLimitOrder,
    StopOrder,
    UnsupportedOrder,
    WriteOutcome,
)
from stopkit.client import VenueClient
from stopkit.retry import RetryPolicy
from stopkit.testing import MockTransport
from stopkit.wire import HttpRequest, HttpResponse

NO_RETRY = RetryPolicy(max_attempts=1, backoff=False)


def stop(**changes: object) -> StopOrder:
    """A protective sell stop on BTC/USD (closing a long)."""
    fields: dict[str, object] = {
        "symbol": "BTC/USD",
        "side": "sell",
        "quantity": Decimal(1),
        "stop_price": Decimal(100),
        "position_effect": "close",
    }
    fields.update(changes)
    return StopOrder(**fields)  # type: ignore[arg-type]  # test factory


def client_for(book: Book, adapter: BookAdapter | None = None) -> tuple[VenueClient, MockTransport]:
    """A client of the book venue over a mock transport."""
    transport = MockTransport(book.handle)
    bound = (adapter or BookAdapter()).bind(Credentials("bookvenue", {}))
    return VenueClient(bound, transport=transport, retry=NO_RETRY), transport


def writes(transport: MockTransport) -> list[str]:
    """The write requests sent, as "METHOD path"."""
    return [f"{r.method} {r.url.removeprefix(BASE)}" for r in transport.sent if r.method == "POST"]


# -- modify by cancel, then place ------------------------------------------------------------


async def test_modify_without_a_replace_endpoint_needs_the_opt_in() -> None:
    """Without allow_cancel_replace, modify on a venue with no replace endpoint raises UnsupportedOrder naming the
    opt-in and its risk, and sends nothing."""
    book = Book()
    client, transport = client_for(book)
    async with client:
        placed = await client.place(stop())
        with pytest.raises(UnsupportedOrder, match="allow_cancel_replace=True") as info:
            await client.modify(placed, stop_price=Decimal("101"))
    assert "(not atomic: no stop protects the position between the two writes)" in str(info.value)
    assert writes(transport) == ["POST /orders"]


async def test_cancel_then_place_keeps_the_terms_and_never_two_live() -> None:
    """The old order is cancelled first, then the new one placed with the same terms (position effect, unified
    symbol) and the new stop price, under a new client order id; at no time are two orders live."""
    book = Book()
    live_when_placing: list[list[str]] = []
    original = book.handle

    def handle(request: HttpRequest) -> HttpResponse:
        if request.method == "POST" and request.url.endswith("/orders"):
            live_when_placing.append(book.live())
        return original(request)

    book_client, transport = client_for(book)
    transport.handler = handle
    async with book_client as client:
        placed = await client.place(stop())
        new = await client.modify(placed, stop_price=Decimal("101.5"), allow_cancel_replace=True)
        old = client.last_state(venue_order_id=placed.venue_order_id)
    assert book.acted == ["place O1", "cancel O1", "place O2"]
    assert live_when_placing == [[], []]  # the replacement went out only once nothing was live
    assert (new.venue_order_id, new.stop_price, new.symbol, new.venue_symbol) == (
        "O2",
        Decimal("101.5"),
        "BTC/USD",
        "BTC",
    )
    assert new.client_order_id not in (None, placed.client_order_id)
    assert book.orders["O2"]["effect"] == "close"
    assert book.orders["O2"]["qty"] == "1"
    assert old is not None
    assert old.status is OrderStatus.CANCELED
    assert book.live() == ["O2"]


async def test_the_new_order_is_checked_before_the_cancel() -> None:
    """A new stop price off the market's tick is refused (nearest valid values) before any write: the old stop
    stays live."""
    book = Book()
    client, transport = client_for(book)
    async with client:
        placed = await client.place(stop())
        with pytest.raises(InvalidOrder, match=re.escape("nearest valid: 101 or 101.5")) as info:
            await client.modify(placed, stop_price=Decimal("101.25"), allow_cancel_replace=True)
    assert info.value.field == "stop_price"
    assert writes(transport) == ["POST /orders"]
    assert book.live() == ["O1"]


async def test_a_refused_cancel_places_nothing() -> None:
    """The venue refuses the cancel (a documented refusal): CANCEL_FAILED, outcome known, the old order live,
    nothing placed."""
    book = Book(script={"cancel": [400]})
    client, _transport = client_for(book)
    async with client:
        placed = await client.place(stop())
        with pytest.raises(CancelReplaceFailed) as info:
            await client.modify(placed, stop_price=Decimal(99), allow_cancel_replace=True)
    error = info.value
    assert (error.step, error.outcome_known) == (ReplaceStep.CANCEL_FAILED, True)
    assert isinstance(error.cause, OrderRejected)
    assert error.old_state is not None
    assert error.old_state.venue_order_id == "O1"
    assert error.new_order is not None
    assert error.new_order.stop_price == Decimal(99)
    assert book.acted == ["place O1"]
    assert book.live() == ["O1"]


async def test_an_unknown_cancel_places_nothing() -> None:
    """A cancel answered 504 on a venue that cannot read the order back: CANCEL_UNKNOWN, outcome unknown; the
    new order is never sent (the old one may be live)."""
    book = Book(script={"cancel": [504]})
    client, transport = client_for(book, NoReadBookAdapter())
    async with client:
        placed = await client.place(stop())
        with pytest.raises(CancelReplaceFailed) as info:
            await client.modify(placed, stop_price=Decimal(99), allow_cancel_replace=True)
    assert (info.value.step, info.value.outcome_known) == (ReplaceStep.CANCEL_UNKNOWN, False)
    assert writes(transport) == ["POST /orders", "POST /cancel/O1"]
    assert book.live() == ["O1"]


async def test_a_lost_cancel_answer_is_confirmed_by_a_read_back() -> None:
    """The venue cancelled but the answer was lost: the read-back shows CANCELED, so the new order is placed."""
    book = Book(script={"cancel": ["lost"]})
    client, _transport = client_for(book)
    async with client:
        placed = await client.place(stop())
        new = await client.modify(placed, stop_price=Decimal(99), allow_cancel_replace=True)
    assert book.acted == ["place O1", "cancel O1", "place O2"]
    assert new.venue_order_id == "O2"
    assert book.live() == ["O2"]


async def test_a_pending_cancel_is_confirmed_before_placing() -> None:
    """A cancel answered as pending is read back until CANCELED; without a read, it is not confirmed and nothing
    is placed."""
    book = Book(script={"cancel": ["pending"]})
    client, _transport = client_for(book)
    async with client:
        placed = await client.place(stop())
        new = await client.modify(placed, stop_price=Decimal(99), allow_cancel_replace=True)
    assert new.venue_order_id == "O2"
    assert book.live() == ["O2"]

    book = Book(script={"cancel": ["pending"]})
    client, _transport = client_for(book, NoReadBookAdapter())
    async with client:
        placed = await client.place(stop())
        with pytest.raises(CancelReplaceFailed) as info:
            await client.modify(placed, stop_price=Decimal(99), allow_cancel_replace=True)
    assert info.value.step is ReplaceStep.CANCEL_UNKNOWN
    assert info.value.old_state is not None
    assert info.value.old_state.status is OrderStatus.PENDING_CANCEL
    assert book.acted == ["place O1", "cancel O1"]


async def test_a_refused_replacement_says_the_position_is_unprotected() -> None:
    """Cancelled, then the venue refuses the new order: PLACE_FAILED (outcome known) with the old order CANCELED
    and the new order's terms; the message says nothing protects the position."""
    book = Book()
    client, _transport = client_for(book)
    async with client:
        placed = await client.place(stop())
        book.script["place"] = [400]  # the replacement is refused
        with pytest.raises(CancelReplaceFailed, match="NO ORDER PROTECTS THE POSITION") as info:
            await client.modify(placed, stop_price=Decimal(99), allow_cancel_replace=True)
    error = info.value
    assert (error.step, error.outcome_known) == (ReplaceStep.PLACE_FAILED, True)
    assert error.old_state is not None
    assert error.old_state.status is OrderStatus.CANCELED
    assert error.new_state is None
    assert error.new_order is not None
    assert book.live() == []


async def test_an_unknown_replacement_is_pending() -> None:
    """Cancelled, then the new order's answer is lost: PLACE_UNKNOWN (outcome unknown), naming its client order id;
    the placement is listed in pending() as UNKNOWN."""
    book = Book()
    client, _transport = client_for(book)
    async with client:
        placed = await client.place(stop())
        book.script["place"] = ["lost"]
        with pytest.raises(CancelReplaceFailed) as info:
            await client.modify(placed, stop_price=Decimal(99), allow_cancel_replace=True)
        pending = client.pending()
    error = info.value
    assert (error.step, error.outcome_known) == (ReplaceStep.PLACE_UNKNOWN, False)
    assert error.new_order is not None
    assert error.new_order.client_order_id in str(error)
    assert [(p.operation, p.outcome, p.client_order_id) for p in pending] == [
        ("place", WriteOutcome.UNKNOWN, error.new_order.client_order_id)
    ]
    assert book.live() == ["O2"]  # it did land: the bot must look before placing again


async def test_terms_come_from_this_client_or_a_template() -> None:
    """A client that did not place the order does not guess its terms (InvalidArgument, nothing sent); with
    template= it replaces it, keeping the template's position effect."""
    book = Book()
    first, _transport = client_for(book)
    async with first:
        placed = await first.place(stop())
    second, transport = client_for(book)
    async with second:
        with pytest.raises(InvalidArgument, match="template") as info:
            await second.modify(placed, stop_price=Decimal(99), allow_cancel_replace=True)
        assert info.value.field == "template"
        assert writes(transport) == []
        new = await second.modify(placed, stop_price=Decimal(99), allow_cancel_replace=True, template=stop())
    assert new.stop_price == Decimal(99)
    assert book.orders[str(new.venue_order_id)]["effect"] == "close"
    with pytest.raises(InvalidArgument, match="template"):
        await second.modify(placed, stop_price=Decimal(98), allow_cancel_replace=True, template="x")  # type: ignore[arg-type]


async def test_an_order_that_is_no_longer_live_is_never_replaced() -> None:
    """Modifying a stale state again (its order was already replaced: this client saw it CANCELED) fails at once;
    an order cancelled behind the client's back (the venue refuses the cancel) is not adopted as this cancel:
    CANCEL_FAILED both times, and no second stop is placed."""
    book = Book()
    client, transport = client_for(book)
    async with client:
        placed = await client.place(stop())
        await client.modify(placed, stop_price=Decimal(99), allow_cancel_replace=True)
        sent = len(transport.sent)
        with pytest.raises(CancelReplaceFailed, match="already CANCELED") as info:
            await client.modify(placed, stop_price=Decimal(98), allow_cancel_replace=True)
        assert len(transport.sent) == sent
        assert info.value.step is ReplaceStep.CANCEL_FAILED
        book.orders["O2"]["status"] = "canceled"  # cancelled elsewhere
        replaced = client.last_state(venue_order_id="O2")
        assert replaced is not None
        with pytest.raises(CancelReplaceFailed) as info:
            await client.modify(replaced, stop_price=Decimal(97), allow_cancel_replace=True)
    assert info.value.step is ReplaceStep.CANCEL_FAILED
    assert book.acted == ["place O1", "cancel O1", "place O2"]


async def test_a_state_without_any_id_is_refused_before_any_write() -> None:
    """A state carrying neither a venue order id nor a client order id names no order to cancel: InvalidArgument
    on the state (even with a template), nothing sent."""
    book = Book()
    client, transport = client_for(book)
    async with client:
        placed = await client.place(stop())
        anonymous = attrs.evolve(placed, venue_order_id=None, client_order_id=None)
        with pytest.raises(InvalidArgument, match="neither a venue order id nor a client order id") as info:
            await client.modify(anonymous, stop_price=Decimal(99), allow_cancel_replace=True, template=stop())
    assert info.value.field == "state"
    assert writes(transport) == ["POST /orders"]
    assert book.live() == ["O1"]


async def test_a_cancel_answered_filled_places_nothing() -> None:
    """The cancel's answer shows the order already FILLED (it ended before the cancel): CANCEL_FAILED with the filled
    state, and no replacement is placed (the position it protected is closed)."""
    book = Book()

    def handle(request: HttpRequest) -> HttpResponse:
        if request.url.endswith("/cancel/O1"):
            book.orders["O1"]["status"] = "filled"
            return HttpResponse(status=200, body=json.dumps(book.orders["O1"]).encode())
        return book.handle(request)

    client, transport = client_for(book)
    transport.handler = handle
    async with client:
        placed = await client.place(stop())
        with pytest.raises(CancelReplaceFailed, match=re.escape("order O1 had already ended (FILLED)")) as info:
            await client.modify(placed, stop_price=Decimal(99), allow_cancel_replace=True)
    error = info.value
    assert error.step is ReplaceStep.CANCEL_FAILED
    assert error.old_state is not None
    assert error.old_state.status is OrderStatus.FILLED
    assert writes(transport) == ["POST /orders", "POST /cancel/O1"]
    assert book.acted == ["place O1"]


async def test_a_template_of_another_kind_is_refused() -> None:
    """A stop-limit template for a stop-market order is an argument error; nothing is sent."""
    book = Book()
    client, transport = client_for(book)
    async with client:
        placed = await client.place(stop())
        other = StopLimitOrder(symbol="BTC", side="sell", quantity=1, stop_price=100, limit_price=99)
        with pytest.raises(InvalidArgument, match="stop-limit"):
            await client.modify(placed, stop_price=Decimal(99), allow_cancel_replace=True, template=other)
    assert writes(transport) == ["POST /orders"]


async def test_a_partly_filled_order_is_replaced_by_what_is_left() -> None:
    """0.4 of 1 filled before the cancel: the replacement covers the remaining 0.6 (unless quantity is given)."""
    book = Book()
    client, _transport = client_for(book)
    order = StopLimitOrder(
        symbol="BTC/USD", side="sell", quantity=Decimal(1), stop_price=Decimal(100), limit_price=Decimal(99)
    )
    async with client:
        placed = await client.place(order)
        book.orders["O1"]["filled"] = "0.4"
        new = await client.modify(placed, stop_price=Decimal("100.5"), allow_cancel_replace=True)
        book.orders["O2"]["filled"] = "0.1"
        kept = await client.modify(new, stop_price=Decimal(101), quantity=Decimal("0.6"), allow_cancel_replace=True)
    assert (new.quantity, new.kind, new.limit_price) == (Decimal("0.6"), order.kind, Decimal(99))
    assert kept.quantity == Decimal("0.6")


async def test_a_cancelled_caller_does_not_leave_the_position_without_a_stop() -> None:
    """The caller's task is cancelled after the cancel went out: the steps finish in the background (close()
    waits), the new stop is placed, and both writes are listed in pending()."""
    book = Book()
    gate = asyncio.Event()
    cancel_seen = asyncio.Event()

    async def handle(request: HttpRequest) -> HttpResponse:
        if request.url.endswith("/cancel/O1"):
            cancel_seen.set()
            await gate.wait()
        return book.handle(request)

    client, transport = client_for(book)
    transport.handler = handle
    placed = await client.place(stop())
    task = asyncio.ensure_future(client.modify(placed, stop_price=Decimal(99), allow_cancel_replace=True))
    await asyncio.wait_for(cancel_seen.wait(), 2)
    task.cancel()
    with pytest.raises(asyncio.CancelledError):
        await task
    gate.set()
    await client.close()
    assert book.acted == ["place O1", "cancel O1", "place O2"]
    assert book.live() == ["O2"]
    listed = [(p.operation, p.outcome) for p in client.pending()]
    assert listed == [("cancel", WriteOutcome.APPLIED), ("place", WriteOutcome.APPLIED)]


# -- state a bot can trust ---------------------------------------------------------------------


async def test_cancel_keeps_the_client_order_id_and_the_unified_symbol() -> None:
    """The venue's cancel and get answers carry no client order id and the native symbol: the client carries both
    forward, so last_state by either id shows the order CANCELED as BTC/USD (venue_symbol BTC)."""
    book = Book()
    client, _transport = client_for(book)
    async with client:
        placed = await client.place(stop())
        assert (placed.symbol, placed.venue_symbol) == ("BTC/USD", "BTC")
        read = await client.get(venue_order_id=placed.venue_order_id)
        assert (read.client_order_id, read.symbol, read.venue_symbol) == (placed.client_order_id, "BTC/USD", "BTC")
        cancelled = await client.cancel(venue_order_id=placed.venue_order_id)
        by_client_id = client.last_state(client_order_id=placed.client_order_id)
    assert cancelled.client_order_id == placed.client_order_id
    assert by_client_id is not None
    assert by_client_id.status is OrderStatus.CANCELED
    assert by_client_id.symbol == "BTC/USD"


async def test_a_native_symbol_stays_native() -> None:
    """An order placed with the venue's own symbol is reported with it."""
    book = Book()
    client, _transport = client_for(book)
    async with client:
        placed = await client.place(stop(symbol="BTC"))
    assert (placed.symbol, placed.venue_symbol) == ("BTC", "BTC")


async def test_cancelling_a_cancelled_order_returns_its_state() -> None:
    """A second cancel returns the CANCELED state without a request; a client that never saw the order gets the
    venue's refusal settled by a read-back that shows it CANCELED."""
    book = Book()
    client, transport = client_for(book)
    async with client:
        placed = await client.place(stop())
        first = await client.cancel(venue_order_id=placed.venue_order_id)
        sent = len(transport.sent)
        again = await client.cancel(venue_order_id=placed.venue_order_id)
        assert len(transport.sent) == sent
    assert again == first
    assert again.status is OrderStatus.CANCELED
    stranger, transport = client_for(book)
    async with stranger:
        state = await stranger.cancel(venue_order_id=placed.venue_order_id)
    assert (state.status, state.venue_order_id) == (OrderStatus.CANCELED, placed.venue_order_id)
    assert [r.method for r in transport.sent] == ["POST", "GET"]  # refused (400 "not live"), then read back


async def test_a_cancel_refused_for_another_reason_still_raises() -> None:
    """A filled order's cancel is refused and the read-back shows FILLED: the refusal stands."""
    book = Book()
    client, _transport = client_for(book)
    async with client:
        placed = await client.place(stop())
        book.orders["O1"]["status"] = "filled"
        with pytest.raises(OrderRejected):
            await client.cancel(venue_order_id=placed.venue_order_id)


# -- markets through the client ------------------------------------------------------------------


async def test_markets_by_unified_or_native_symbol_cached() -> None:
    """markets() and market() answer the venue's rules by either symbol, from one cached read."""
    book = Book()
    client, transport = client_for(book)
    async with client:
        markets = await client.markets()
        one = await client.market("BTC/USD")
        none = await client.market("ETH/USD")
        with pytest.raises(InvalidArgument):
            await client.markets(["bad symbol"])
    assert list(markets) == ["BTC"]
    assert markets["BTC/USD"] is markets["BTC"]
    assert one is not None
    assert (one.tick_size, one.lot_size, one.min_quantity) == (
        Decimal("0.5"),
        Decimal("0.001"),
        Decimal("0.002"),
    )
    assert none is None
    assert [r.url for r in transport.sent] == [BASE + "/markets"]
