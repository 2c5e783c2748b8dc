"""B2TRADER against its evidence (issue 15): bearer tokens handed out directly, a market answer of an
unexpected shape, cancel of an activated stop, and cancel-and-replace followed by a trigger on the stream."""

from __future__ import annotations

import asyncio
import contextlib
import logging
from decimal import Decimal
from typing import Any

import pytest

import stopkit
from stopkit import (
    HttpRequest,
    HttpResponse,
    OrderRejected,
    OrderState,
    OrderStatus,
    Side,
    StopLimitOrder,
    StopOrder,
    StreamGap,
    TimeInForce,
)
from stopkit.retry import ReconnectPolicy, RetryPolicy
from stopkit.testing import MockTransport
from stopkit.testing.simkit import Fault
from stopkit_venues.b2trader.simulator import B2TraderSimulator

NO_BACKOFF = RetryPolicy(backoff=False)
BUY_STOP = StopOrder(
    symbol="spot.btc_usdt", side=Side.BUY, quantity=Decimal("0.01"), stop_price=Decimal("128000"), time_in_force="IOC"
)


def _connect(sim: B2TraderSimulator, base_url: str, **kwargs: Any) -> stopkit.VenueClient:
    credentials = kwargs.pop("credentials", None) or sim.demo_credentials()
    config = sim.demo_config(base_url) | kwargs.pop("config_extra", {})
    return stopkit.connect("b2trader", credentials=credentials, config=config, retry=NO_BACKOFF, **kwargs)


async def _watch(client: stopkit.VenueClient, out: list[OrderState | StreamGap], ready: asyncio.Event) -> None:
    policy = ReconnectPolicy(initial_s=0.01, max_s=0.05, max_failures=5)
    async with contextlib.aclosing(client.watch_orders(ready=ready, reconnect=policy)) as updates:
        async for update in updates:
            out.append(update)


async def _until(predicate: Any) -> None:
    async def wait() -> None:
        while not predicate():  # noqa: ASYNC110  # polls state another task changes
            await asyncio.sleep(0.01)

    await asyncio.wait_for(wait(), 3)


def _statuses(out: list[OrderState | StreamGap], order_id: object) -> list[OrderStatus]:
    return [u.status for u in out if isinstance(u, OrderState) and u.venue_order_id == order_id]


# -- authentication -------------------------------------------------------------------------


async def test_bearer_token_handed_out_directly_places_without_an_exchange(served) -> None:
    """B2TRADER_ACCESS_TOKEN alone (no API token): the order is placed with it, no exchange is requested."""
    sim = B2TraderSimulator()
    server = await served(sim.make_app())
    token = sim.issue_token()
    credentials = {"B2TRADER_ACCESS_TOKEN": token, "B2TRADER_ACCOUNT_ID": sim.account_id}
    async with _connect(sim, server.base_url, credentials=credentials) as client:
        placed = await client.place(BUY_STOP)
    assert placed.status is OrderStatus.ACCEPTED
    assert sim.tokens_issued == 1  # only the one minted above: nothing called the exchange


async def test_refused_direct_token_without_api_token_is_an_authentication_error(served) -> None:
    """A revoked direct token and no API token to exchange: AuthenticationError, nothing placed."""
    sim = B2TraderSimulator()
    server = await served(sim.make_app())
    credentials = {"B2TRADER_ACCESS_TOKEN": sim.issue_token(), "B2TRADER_ACCOUNT_ID": sim.account_id}
    sim.revoke_tokens()
    async with _connect(sim, server.base_url, credentials=credentials) as client:
        with pytest.raises(stopkit.AuthenticationError):
            await client.place(BUY_STOP)
    assert sim.stops == {}


def test_no_token_at_all_is_a_configuration_error() -> None:
    """Neither B2TRADER_API_TOKEN nor B2TRADER_ACCESS_TOKEN: bind names both."""
    with pytest.raises(stopkit.ConfigurationError, match="B2TRADER_ACCESS_TOKEN"):
        stopkit.bind(
            "b2trader", credentials={"B2TRADER_ACCOUNT_ID": "acc-1"}, config={"base_url": "https://broker.invalid"}
        )


async def test_token_path_is_configurable() -> None:
    """config token_path: the exchange goes to that path of base_url, with the documented body."""
    seen: list[HttpRequest] = []

    def answer(request: HttpRequest) -> HttpResponse:
        seen.append(request)
        if request.url.endswith("/auth/exchange"):
            return HttpResponse(status=200, body=b'{"accessToken":"opaque-token"}')
        return HttpResponse(status=200, body=b"{}")

    transport = MockTransport(answer)
    async with stopkit.connect(
        "b2trader",
        credentials={"B2TRADER_API_TOKEN": "api-token-x", "B2TRADER_ACCOUNT_ID": "acc-1"},
        config={"base_url": "https://broker.invalid/pfx", "token_path": "/auth/exchange"},
        transport=transport,
    ) as client:
        await client._current_token()
    assert seen[0].url == "https://broker.invalid/pfx/auth/exchange"
    with pytest.raises(stopkit.ConfigurationError, match="token_path"):
        stopkit.bind(
            "b2trader",
            credentials={"B2TRADER_API_TOKEN": "t", "B2TRADER_ACCOUNT_ID": "acc-1"},
            config={"base_url": "https://broker.invalid", "token_path": "auth?x=1"},
        )


# -- market precision never blocks on a guess ------------------------------------------------


@pytest.mark.parametrize(
    "body",
    [b'[{"marketId":"spot.btc_usdt","priceScale":2}]', b'{"data":{"priceScale":"two"}}', b"<html>ok</html>", b""],
)
async def test_unexpected_market_answer_still_places_with_one_warning(served, caplog, body) -> None:
    """Get market answers 200 with another shape: the orders are placed unchecked, one warning logged."""
    sim = B2TraderSimulator()
    server = await served(sim.make_app())
    for _ in range(2):
        sim.faults.add(Fault(kind="garbage", status=200, body=body, path="/frontoffice/api/v5/markets/"))
    caplog.set_level(logging.WARNING)
    async with _connect(sim, server.base_url, config_extra={"markets_ttl_s": 0}) as client:
        first = await client.place(BUY_STOP)
        second = await client.place(BUY_STOP)
    assert first.status is second.status is OrderStatus.ACCEPTED
    assert len(sim.stops) == 2
    assert sum("could not be read" in r.getMessage() for r in caplog.records) == 1


async def test_market_read_failure_places_unchecked_and_the_venue_judges(served) -> None:
    """Get market fails (502): the order goes out; a price the venue refuses comes back as its refusal."""
    sim = B2TraderSimulator()
    server = await served(sim.make_app())
    sim.faults.add(Fault(kind="status", status=502, path="/frontoffice/api/v5/markets/"), times=10)
    bad_price = StopOrder(symbol="BTC/USDT", side=Side.BUY, quantity=Decimal("0.01"), stop_price=Decimal("128000.005"))
    async with _connect(sim, server.base_url) as client:
        with pytest.raises(OrderRejected, match="decimal places"):
            await client.place(bad_price)
    assert sim.stops == {}


async def test_precision_check_can_be_turned_off(served) -> None:
    """check_market_precision=false: no Get market request at all."""
    sim = B2TraderSimulator()
    server = await served(sim.make_app())
    async with _connect(sim, server.base_url, config_extra={"check_market_precision": False}) as client:
        await client.place(BUY_STOP)
    assert sim.markets_served == 0
    assert len(sim.stops) == 1


# -- cancel and activation ------------------------------------------------------------------


async def test_cancel_of_an_activated_stop_cancels_its_child() -> None:
    """A stop-limit whose child rests: the stream links them; cancel(stop) cancels the child (DELETE /orders),
    and when the child leaves the open set the stream reports it CANCELED (the cancel answer), not a gap."""
    sim = B2TraderSimulator()
    base = await sim.start()
    out: list[OrderState | StreamGap] = []
    resting = StopLimitOrder(
        symbol="spot.btc_usdt",
        side=Side.BUY,
        quantity=Decimal("0.01"),
        stop_price=Decimal("128000"),
        limit_price=Decimal("127000"),
        time_in_force=TimeInForce.GTC,
    )
    try:
        async with _connect(sim, base) as client:
            ready = asyncio.Event()
            task = asyncio.ensure_future(_watch(client, out, ready))
            await asyncio.wait_for(ready.wait(), 3)
            sim.set_price("spot.btc_usdt", Decimal("120000"))
            stop = await client.place(resting)
            sim.set_price("spot.btc_usdt", Decimal("128050"))
            child = sim.child_of(str(stop.venue_order_id))
            assert child is not None
            assert child["status"] == "Working"
            await _until(lambda: OrderStatus.TRIGGERED in _statuses(out, stop.venue_order_id))
            canceled = await client.cancel(venue_order_id=stop.venue_order_id)
            await _until(lambda: OrderStatus.CANCELED in _statuses(out, child["orderId"]))
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await task
    finally:
        await sim.stop()
    assert canceled.status is OrderStatus.CANCELED
    assert canceled.venue_order_id == stop.venue_order_id
    assert canceled.raw["stopkit.childOrderId"] == child["orderId"]
    assert sim.children[child["orderId"]].status == "Cancelled"
    assert _statuses(out, child["orderId"]) == [OrderStatus.TRIGGERED, OrderStatus.CANCELED]
    assert not any(isinstance(u, StreamGap) and u.venue_order_ids for u in out)


async def test_cancel_of_a_stop_that_activated_unseen_names_what_may_be_live(served) -> None:
    """No stream saw the activation: the venue refuses the stop cancel, and the error says the released
    order may be live and how to cancel it."""
    sim = B2TraderSimulator()
    server = await served(sim.make_app())
    async with _connect(sim, server.base_url) as client:
        sim.set_price("spot.btc_usdt", Decimal("120000"))
        stop = await client.place(
            StopLimitOrder(
                symbol="spot.btc_usdt",
                side=Side.BUY,
                quantity=Decimal("0.01"),
                stop_price=Decimal("128000"),
                limit_price=Decimal("127000"),
            )
        )
        sim.set_price("spot.btc_usdt", Decimal("128050"))
        with pytest.raises(OrderRejected) as excinfo:
            await client.cancel(venue_order_id=stop.venue_order_id)
    notes = " ".join(getattr(excinfo.value, "__notes__", []))
    assert "may be live" in notes
    assert "DELETE /frontoffice/api/v3/orders/{orderId}" in notes


# -- done when: cancel-and-replace, then a trigger ---------------------------------------------


@pytest.mark.parametrize("final_states", [False, True])
async def test_cancel_and_replace_then_trigger(final_states: bool) -> None:
    """Replace a stop (cancel, place anew), then trigger: the NEW stop shows TRIGGERED, the old one never does;
    its child's fill is reported (broker streaming final states) or a StreamGap names child and stop."""
    sim = B2TraderSimulator()
    sim.ws_final_states = final_states
    base = await sim.start()
    out: list[OrderState | StreamGap] = []
    try:
        async with _connect(sim, base) as client:
            ready = asyncio.Event()
            task = asyncio.ensure_future(_watch(client, out, ready))
            await asyncio.wait_for(ready.wait(), 3)
            sim.set_price("spot.btc_usdt", Decimal("120000"))
            old = await client.place(BUY_STOP)
            assert (await client.cancel(venue_order_id=old.venue_order_id)).status is OrderStatus.CANCELED
            new = await client.place(BUY_STOP)
            sim.set_price("spot.btc_usdt", Decimal("128050"))
            child = sim.child_of(str(new.venue_order_id))
            assert child is not None
            child_id = child["orderId"]

            def settled() -> bool:
                return OrderStatus.FILLED in _statuses(out, child_id) or any(
                    isinstance(u, StreamGap) and child_id in u.venue_order_ids for u in out
                )

            await _until(settled)
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await task
    finally:
        await sim.stop()
    assert _statuses(out, new.venue_order_id) == [OrderStatus.TRIGGERED]
    assert _statuses(out, old.venue_order_id) == []
    parent = next(u for u in out if isinstance(u, OrderState) and u.venue_order_id == new.venue_order_id)
    assert parent.raw["stopkit.childOrderId"] == child_id
    if final_states:
        assert _statuses(out, child_id) == [OrderStatus.TRIGGERED, OrderStatus.FILLED]
    else:
        assert _statuses(out, child_id) == [OrderStatus.TRIGGERED]
        gap = next(u for u in out if isinstance(u, StreamGap) and child_id in u.venue_order_ids)
        assert gap.venue_order_ids == (child_id, new.venue_order_id)


async def test_watch_orders_survives_an_unparseable_item(caplog) -> None:
    """A perpetual-style entry and a nested shape arrive on the live stream: a warning, and the stream goes on
    to report the next stop's trigger."""
    sim = B2TraderSimulator()
    base = await sim.start()
    out: list[OrderState | StreamGap] = []
    try:
        async with _connect(sim, base) as client:
            ready = asyncio.Event()
            task = asyncio.ensure_future(_watch(client, out, ready))
            await asyncio.wait_for(ready.wait(), 3)
            sim.ws_push_item([{"orderId": "PERP-1", "marketType": "Perp", "requestedLotAmount": "1"}, [[{}]]])
            sim.set_price("spot.btc_usdt", Decimal("120000"))
            stop = await client.place(BUY_STOP)
            sim.set_price("spot.btc_usdt", Decimal("128050"))
            await _until(lambda: OrderStatus.TRIGGERED in _statuses(out, stop.venue_order_id))
            assert not task.done()
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await task
    finally:
        await sim.stop()
    assert "PERP-1" in caplog.text
    assert _statuses(out, "PERP-1") == []


async def test_concurrent_placements_share_one_market_read(served) -> None:
    """Three placements at once on one market: one Get market (single flight), three orders."""
    sim = B2TraderSimulator()
    server = await served(sim.make_app())
    async with _connect(sim, server.base_url) as client:
        await client._current_token()
        placed = await asyncio.gather(*(client.place(BUY_STOP) for _ in range(3)))
    assert sim.markets_served == 1
    assert len({p.venue_order_id for p in placed}) == 3
