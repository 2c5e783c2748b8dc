"""Pacifica account_order_updates: frame parsing (documented examples) and the stream end to end."""

from __future__ import annotations

import asyncio
import contextlib
import json
from decimal import Decimal
from typing import Any

import pytest

import stopkit
from stopkit import OrderKind, OrderState, OrderStatus, Side, StreamGap, UnknownVenueValue
from stopkit.retry import ReconnectPolicy
from stopkit_venues.pacifica.config import parse_config
from stopkit_venues.pacifica.simulator import PacificaSimulator
from stopkit_venues.pacifica.stream import PING_FRAME, PacificaStream, parse_order_update, subscribe_frame

# Verbatim from https://docs.pacifica.fi/api-documentation/api/websocket/subscriptions/account-order-updates
# (two versions of the page: the older without lp/tp/li, the newer with them).
DOC_FRAME_OLDER = """{"channel": "account_order_updates", "data": [{"I": null, "a": "91.1", "ct": 1749054643721,
 "d": "bid", "f": "2.1", "i": 622900, "ip": "10.979", "oe": "fulfill_limit", "os": "partially_filled", "ot": "limit",
 "p": "10.979", "r": false, "s": "TRUMP", "si": null, "sp": null, "u": "42trU9A5...", "ut": 1749054645220}]}"""
DOC_FRAME_NEWER = """{"channel": "account_order_updates", "data": [{"i": 1559665358, "I": null,
 "u": "BrZp5bidJ3WUvceSq7X78bhjTfZXeezzGvGEV4hAYKTa", "s": "BTC", "d": "bid", "p": "89501", "ip": "89501",
 "lp": "89501", "a": "0.00012", "f": "0.00012", "oe": "fulfill_limit", "os": "filled", "ot": "limit", "sp": null,
 "si": null, "tp": null, "r": false, "ct": 1765017049008, "ut": 1765017219639, "li": 1559696133}]}"""

CLOID = "d25ac10b-58cc-4372-a567-0e02b2c3d479"


def _stop_row(**over: Any) -> dict[str, Any]:
    row: dict[str, Any] = {
        "i": 241221601, "I": CLOID, "u": "acct", "s": "BTC", "d": "ask", "p": "0", "ip": "47950", "a": "0.1",
        "f": "0", "oe": "stop_created", "os": "open", "ot": "stop_limit", "sp": "48000", "si": None, "r": True,
        "ct": 1716200000000, "ut": 1716200000000,
    }  # fmt: skip
    row.update(over)
    return row


def _bound() -> Any:
    sim = PacificaSimulator()
    return stopkit.bind("pacifica", credentials=sim.demo_credentials())


def test_documented_frames_are_plain_limit_orders_not_stops() -> None:
    """Both documented stream examples are plain limit fills: mapped with their real kind (LIMIT), never as a
    stop; the stream yields them only with all_orders (config stream_all_orders)."""
    stops_only = PacificaStream(_bound(), ws_url="wss://ws.pacifica.fi/ws", account="42trU9A5...")
    assert stops_only.handle_text(DOC_FRAME_OLDER).updates == ()
    every = PacificaStream(_bound(), ws_url="wss://ws.pacifica.fi/ws", account="42trU9A5...", all_orders=True)
    (state,) = every.handle_text(DOC_FRAME_OLDER).updates
    assert (state.venue_order_id, state.symbol, state.side, state.kind, state.status) == (
        "622900",
        "TRUMP",
        Side.BUY,
        OrderKind.LIMIT,
        OrderStatus.PARTIALLY_FILLED,
    )
    assert (state.quantity, state.filled_quantity, state.venue_status, state.limit_price) == (
        Decimal("91.1"),
        Decimal("2.1"),
        "partially_filled",
        Decimal("10.979"),
    )
    assert state.raw["oe"] == "fulfill_limit"
    # The newer example is another account's: filtered out for this subscription, parsed on its own.
    assert every.handle_text(DOC_FRAME_NEWER).updates == ()
    newer = parse_order_update(json.loads(DOC_FRAME_NEWER)["data"][0])
    assert (newer.kind, newer.status, newer.filled_quantity) == (
        OrderKind.LIMIT,
        OrderStatus.FILLED,
        Decimal("0.00012"),
    )


def test_stop_events_map_to_the_lifecycle() -> None:
    """stop_created → ACCEPTED, stop_triggered → TRIGGERED; a known stop's released (limit) rows → TRIGGERED and
    its fill FILLED, still a stop-limit; cancels and expiries end it."""
    assert parse_order_update(_stop_row()).status is OrderStatus.ACCEPTED
    triggered = parse_order_update(_stop_row(oe="stop_triggered"))
    assert (triggered.status, triggered.venue_status, triggered.kind) == (
        OrderStatus.TRIGGERED,
        "stop_triggered",
        OrderKind.STOP_LIMIT,
    )
    assert triggered.client_order_id == CLOID
    assert triggered.limit_price == Decimal("47950")
    known = OrderKind.STOP_LIMIT
    assert parse_order_update(_stop_row(oe="make", ot="limit"), stop_kind=known).status is OrderStatus.TRIGGERED
    filled = parse_order_update(_stop_row(oe="fulfill_limit", os="filled", f="0.1", ot="limit"), stop_kind=known)
    assert (filled.kind, filled.status, filled.filled_quantity, filled.venue_status) == (
        OrderKind.STOP_LIMIT,
        OrderStatus.FILLED,
        Decimal("0.1"),
        "filled",
    )
    # The same rows of an order nobody knows as a stop are a plain limit order's.
    plain = parse_order_update(_stop_row(oe="make", ot="limit"))
    assert (plain.kind, plain.status) == (OrderKind.LIMIT, OrderStatus.ACCEPTED)
    assert parse_order_update(_stop_row(oe="cancel", os="cancelled")).status is OrderStatus.CANCELED
    assert parse_order_update(_stop_row(oe="expired", os="cancelled")).status is OrderStatus.EXPIRED
    market = parse_order_update(_stop_row(ot="stop_market", ip=None))
    assert market.kind is OrderKind.STOP_MARKET
    assert market.limit_price is None
    # An undocumented event refines nothing and is kept raw; an undocumented status cannot be read.
    odd = parse_order_update(_stop_row(oe="teleported"))
    assert (odd.status, odd.venue_status, odd.raw["oe"]) == (OrderStatus.ACCEPTED, "teleported", "teleported")
    with pytest.raises(UnknownVenueValue):
        parse_order_update(_stop_row(os="paused"))
    with pytest.raises(UnknownVenueValue):
        parse_order_update(_stop_row(ot="twap"))


def test_unknown_values_never_end_the_stream(caplog: pytest.LogCaptureFixture) -> None:
    """Undocumented oe/os/ot values, a malformed row, an error channel and a frame that is not JSON: what can be
    normalized is yielded, the rest is logged once per value and skipped; nothing raises or errors the step."""
    stream = PacificaStream(_bound(), ws_url="wss://ws.pacifica.fi/ws", account="acct")
    rows = [
        _stop_row(i=1, oe="twap_created"),  # unknown event: yielded, kept raw
        _stop_row(i=2, os="paused"),  # unknown status: skipped
        _stop_row(i=3, ot="twap_child", oe="twap_triggered"),  # unknown type, not a known stop: skipped
        _stop_row(i=4, s=None),  # malformed: skipped
        _stop_row(i=5),  # a normal stop
    ]
    with caplog.at_level("WARNING", logger="stopkit.venues.pacifica"):
        step = stream.handle_text(json.dumps({"channel": "account_order_updates", "data": rows}))
        again = stream.handle_text(json.dumps({"channel": "account_order_updates", "data": rows[1:3]}))
        others = [stream.handle_text(text) for text in ("not json", '{"channel":"error","data":{}}', "[1]")]
    assert step.error is None
    assert step.reconnect is None
    assert [(u.venue_order_id, u.status, u.raw["oe"]) for u in step.updates] == [
        ("1", OrderStatus.ACCEPTED, "twap_created"),
        ("5", OrderStatus.ACCEPTED, "stop_created"),
    ]
    assert again.updates == ()
    assert all(o.error is None and o.updates == () and not o.ready for o in others)
    logged = [r.getMessage() for r in caplog.records]
    assert sum("'paused'" in m for m in logged) == 1  # once, although met twice
    assert sum("'twap_child'" in m for m in logged) == 1
    assert any("not JSON" in m for m in logged)


def test_a_known_stop_keeps_its_kind_when_the_stream_shows_its_released_type() -> None:
    """A stop seen on the stream (or placed by this client) and later shown with ot=limit is still that stop,
    yielded by default; an unknown order's limit rows are not."""
    stream = PacificaStream(_bound(), ws_url="wss://ws.pacifica.fi/ws", account="acct")
    (armed,) = stream.handle_text(json.dumps({"channel": "account_order_updates", "data": [_stop_row(i=7)]})).updates
    released = _stop_row(i=7, ot="limit", oe="fulfill_limit", os="filled", f="0.1")
    stranger = _stop_row(i=8, ot="limit", oe="fulfill_limit", os="filled", f="0.1")
    frame = json.dumps({"channel": "account_order_updates", "data": [released, stranger]})
    (fill,) = stream.handle_text(frame).updates
    assert (armed.kind, fill.venue_order_id, fill.kind, fill.status) == (
        OrderKind.STOP_LIMIT,
        "7",
        OrderKind.STOP_LIMIT,
        OrderStatus.FILLED,
    )
    # Known from the client's own placements (the `known` states), never seen on the stream before.
    fresh = PacificaStream(_bound(), ws_url="wss://ws.pacifica.fi/ws", account="acct")
    (by_known,) = fresh.handle_text(frame, known=[armed]).updates
    assert (by_known.venue_order_id, by_known.kind) == ("7", OrderKind.STOP_LIMIT)


def test_session_frames_and_ws_url() -> None:
    """Subscribe and ping frames as documented; the subscribe confirmation makes the session ready; pong and
    other channels are ignored; ws_url per environment."""
    stream = PacificaStream(_bound(), ws_url="wss://ws.pacifica.fi/ws", account="ACC")
    ctx = stopkit.RequestContext(now_ms=0)
    assert stream.connect_request(ctx).url == "wss://ws.pacifica.fi/ws"
    assert list(stream.open_frames(ctx)) == [subscribe_frame("ACC")]
    assert json.loads(subscribe_frame("ACC")) == {
        "method": "subscribe",
        "params": {"source": "account_order_updates", "account": "ACC"},
    }
    assert stream.ping_frame() == PING_FRAME == '{"method":"ping"}'
    assert stream.ping_interval_s == 30.0
    assert stream.stall_timeout_s == 60.0
    assert stream.handle_text('{"channel":"subscribe","data":{}}').ready
    assert stream.handle_text('{"channel":"pong"}') == stopkit.plugin.StreamStep()
    assert stream.handle_text("not json") == stopkit.plugin.StreamStep()
    assert parse_config(None).ws_url == "wss://ws.pacifica.fi/ws"
    assert parse_config({"base_url": "https://test-api.pacifica.fi"}).ws_url == "wss://test-ws.pacifica.fi/ws"
    assert parse_config({"base_url": "http://127.0.0.1:8080"}).ws_url == "ws://127.0.0.1:8080/ws"
    with pytest.raises(stopkit.ConfigurationError):
        parse_config({"ws_url": "https://ws.pacifica.fi/ws"})


class _Watch:
    # Runs watch_orders in a task, collecting updates.
    def __init__(self, client: stopkit.VenueClient, **kwargs: Any) -> None:
        self.updates: list[OrderState | StreamGap] = []
        self.ready = asyncio.Event()
        self._task = asyncio.ensure_future(self._run(client, kwargs))

    async def _run(self, client: stopkit.VenueClient, kwargs: dict[str, Any]) -> None:
        policy = ReconnectPolicy(initial_s=0.01, max_s=0.05, max_failures=20)
        async with contextlib.aclosing(client.watch_orders(ready=self.ready, reconnect=policy, **kwargs)) as it:
            async for update in it:
                self.updates.append(update)

    def states(self, order_id: str | None) -> list[OrderStatus]:
        return [u.status for u in self.updates if isinstance(u, OrderState) and u.venue_order_id == order_id]

    async def until(self, predicate: Any, timeout_s: float = 3.0) -> None:
        async def wait() -> None:
            while not predicate():  # noqa: ASYNC110  # polls state another task changes
                await asyncio.sleep(0.01)

        await asyncio.wait_for(wait(), timeout_s)

    async def stop(self) -> None:
        self._task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await self._task


async def test_end_to_end_accepted_triggered_filled() -> None:
    """Subscribed before placing: each demo order shows ACCEPTED → TRIGGERED → FILLED on the stream."""
    sim = PacificaSimulator()
    base = await sim.start()
    scenario = sim.demo_scenario()
    try:
        async with stopkit.connect("pacifica", credentials=sim.demo_credentials(), config=sim.demo_config(base)) as c:
            watch = _Watch(c)
            await asyncio.wait_for(watch.ready.wait(), 3)
            placed = [await c.place(order) for order in scenario.orders]
            sim.set_price("BTC", scenario.near_price)
            sim.set_price("BTC", scenario.through_price)
            await watch.until(lambda: all(watch.states(p.venue_order_id)[-1:] == [OrderStatus.FILLED] for p in placed))
            await watch.stop()
        for p in placed:
            assert watch.states(p.venue_order_id) == [OrderStatus.ACCEPTED, OrderStatus.TRIGGERED, OrderStatus.FILLED]
        assert not any(isinstance(u, StreamGap) for u in watch.updates)
        assert sim.ws_hub.log[0] == subscribe_frame(sim.demo_account)
    finally:
        await sim.stop()


async def test_drop_then_rest_resync_recovers_missed_fill() -> None:
    """Events pushed while disconnected are lost; after the reconnect the REST read-back yields FILLED."""
    sim = PacificaSimulator()
    base = await sim.start()
    scenario = sim.demo_scenario()
    try:
        async with stopkit.connect("pacifica", credentials=sim.demo_credentials(), config=sim.demo_config(base)) as c:
            watch = _Watch(c)
            await asyncio.wait_for(watch.ready.wait(), 3)
            placed = await c.place(scenario.orders[1])
            await watch.until(lambda: watch.states(placed.venue_order_id) == [OrderStatus.ACCEPTED])
            sim.ws_drop()  # then the price moves before the client is back
            sim.set_price("BTC", scenario.through_price)
            await watch.until(lambda: OrderStatus.FILLED in watch.states(placed.venue_order_id))
            await watch.stop()
        # TRIGGERED was missed (pushed to nobody); the read-back gives the current state, no gap needed.
        assert watch.states(placed.venue_order_id) == [OrderStatus.ACCEPTED, OrderStatus.FILLED]
        assert not any(isinstance(u, StreamGap) for u in watch.updates)
        assert sim.ws_hub.connections >= 2
        assert sim.requests_to("/api/v1/orders/history_by_id")  # read back through REST
    finally:
        await sim.stop()


async def _until(predicate: Any) -> None:
    # Poll a simulator counter (it offers no event to wait on).
    for _ in range(1_000_000):
        if predicate():
            return
        await asyncio.sleep(0.02)


async def test_stall_is_detected_and_the_stream_resumes() -> None:
    """A venue that stops answering (pings included) is replaced by a new connection within stall_timeout_s."""
    sim = PacificaSimulator()
    base = await sim.start()
    try:
        async with stopkit.connect("pacifica", credentials=sim.demo_credentials(), config=sim.demo_config(base)) as c:
            watch = _Watch(c, ping_interval_s=0.05, stall_timeout_s=0.3)
            await asyncio.wait_for(watch.ready.wait(), 3)
            sim.ws_stall(True)
            # Wait for the reconnect itself, not a fixed time: a loaded machine may take longer than 0.4 s.
            await asyncio.wait_for(_until(lambda: sim.ws_hub.connections >= 2), 10)
            sim.ws_stall(False)
            placed = await c.place(sim.demo_scenario().orders[0])
            await watch.until(lambda: watch.states(placed.venue_order_id) == [OrderStatus.ACCEPTED])
            await watch.stop()
        assert sim.ws_hub.connections >= 2
        assert PING_FRAME in sim.ws_hub.log
    finally:
        await sim.stop()


async def test_simulator_closes_idle_connections() -> None:
    """The simulator closes a connection silent for ws_idle_timeout_s (the venue closes after 60 s)."""
    import aiohttp

    sim = PacificaSimulator()
    sim.ws_idle_timeout_s = 0.2
    base = await sim.start()
    try:
        async with aiohttp.ClientSession() as session, session.ws_connect(base.replace("http", "ws") + "/ws") as ws:
            message = await asyncio.wait_for(ws.receive(), 2)
            assert message.type in (aiohttp.WSMsgType.CLOSE, aiohttp.WSMsgType.CLOSED, aiohttp.WSMsgType.CLOSING)
    finally:
        await sim.stop()


async def test_watch_fed_the_documented_example_yields_no_stop_and_survives_unknown_events() -> None:
    """The documented account_order_updates example (a plain limit fill) and a row with an undocumented event
    type reach a running watch_orders(): no stop order is yielded for the fill, the stream does not end, and
    a stop placed afterwards is seen; with stream_all_orders the fill is yielded as a LIMIT order."""
    sim = PacificaSimulator()
    base = await sim.start()
    doc_row = {**json.loads(DOC_FRAME_NEWER)["data"][0], "u": sim.demo_account}
    twap = {**doc_row, "i": 1559665359, "oe": "twap_triggered", "ot": "twap", "os": "open", "f": "0"}
    try:
        for all_orders in (False, True):
            config = {**sim.demo_config(base), "stream_all_orders": all_orders}
            async with stopkit.connect("pacifica", credentials=sim.demo_credentials(), config=config) as c:
                watch = _Watch(c)
                await asyncio.wait_for(watch.ready.wait(), 3)
                sim.push_order_update(doc_row)
                sim.push_order_update(twap)
                placed = await c.place(sim.demo_scenario().orders[0])
                await watch.until(lambda w=watch, p=placed: w.states(p.venue_order_id) == [OrderStatus.ACCEPTED])
                await watch.stop()
            states = [u for u in watch.updates if isinstance(u, OrderState)]
            assert all(s.kind.is_stop for s in states if s.venue_order_id != "1559665358")
            fills = [s for s in states if s.venue_order_id == "1559665358"]
            if all_orders:
                assert [(s.kind, s.status) for s in fills] == [(OrderKind.LIMIT, OrderStatus.FILLED)]
            else:
                assert fills == []
            assert not any(s.venue_order_id == "1559665359" for s in states)
    finally:
        await sim.stop()


def test_a_stop_seen_in_a_frame_counts_from_the_next_frame() -> None:
    """Within one frame, rows are judged by what was known before it (as always): a released row beside its
    stop's first row is not yet that stop's; in the next frame it is."""
    stream = PacificaStream(_bound(), ws_url="wss://ws.pacifica.fi/ws", account="acct")
    released = _stop_row(i=9, ot="limit", oe="fulfill_limit", os="filled", f="0.1")
    frame = json.dumps({"channel": "account_order_updates", "data": [_stop_row(i=9), released]})
    (armed,) = stream.handle_text(frame).updates
    assert (armed.venue_order_id, armed.kind, armed.status) == ("9", OrderKind.STOP_LIMIT, OrderStatus.ACCEPTED)
    (fill,) = stream.handle_text(json.dumps({"channel": "account_order_updates", "data": [released]})).updates
    assert (fill.venue_order_id, fill.kind, fill.status) == ("9", OrderKind.STOP_LIMIT, OrderStatus.FILLED)


async def test_the_client_answers_the_stream_s_lookups_from_its_memory() -> None:
    """watch_orders gives the protocol a view of the client's orders whose lookup by id agrees with a scan."""
    from stopkit.plugin import find_known
    from stopkit.testing import MockTransport

    rows = [
        {"order_id": 100 + n, "client_order_id": f"00000000-0000-4000-8000-{n:012d}", "symbol": "BTC",
         "side": "ask", "price": "47950", "initial_amount": "0.1", "filled_amount": "0", "stop_price": "48000",
         "order_type": "stop_limit", "reduce_only": True, "created_at": 1, "updated_at": 1}
        for n in range(50)
    ]  # fmt: skip
    body = json.dumps({"success": True, "data": rows, "error": None, "code": None}).encode()
    transport = MockTransport(lambda request: stopkit.HttpResponse(status=200, body=body))
    async with stopkit.connect(
        "pacifica", credentials=PacificaSimulator().demo_credentials(), transport=transport
    ) as client:
        await client.open_orders()
        view = client._known_view
        assert len(view) == 50
        for state in view:
            assert (
                find_known(view, str(state.venue_order_id))
                == state
                == find_known(list(view), str(state.venue_order_id))
            )
        assert find_known(view, "99") is None
        assert find_known(list(view), "99") is None
