"""Aries account WebSocket: auth/subscribe frames, NDJSON parsing, and the stream end to end."""

from __future__ import annotations

import asyncio
import contextlib
import json
from decimal import Decimal
from typing import Any

import aiohttp

import stopkit
from stopkit import AccessToken, OrderState, OrderStatus, RequestContext, StreamGap
from stopkit.retry import ReconnectPolicy
from venues.aries.simulator import AriesSimulator
from venues.aries.stream import AriesStream

# The documented TradeOrderV2 example (sheet §3.4, list-active-orders), verbatim; it is a LIMIT order.
DOC_ORDER = json.loads(
    '{"clOrdId": "clord-20260115-aapl-001", "ordId": "ord-7f3a9c2e-0001", "accountId": "TEST-ACCOUNT-001",'
    ' "clientId": "demo-oauth-client", "symbol": "AAPL", "side": "BUY", "type": "LIMIT", "timeInForce": "DAY",'
    ' "qty": "100", "price": "175.50", "stopPrice": "", "ordStatus": "NEW", "cumQty": "0", "leavesQty": "100",'
    ' "avgPrice": "0", "currency": "USD", "exDestination": "NASDAQ", "text": "", "ordRejReason": "",'
    ' "securityType": "EQUITY", "category": "SINGLE_LEG", "legs": [], "createdAt": "2026-01-15T14:30:00Z",'
    ' "updatedAt": "2026-01-15T14:30:05Z"}'
)
STOP_ORDER = {**DOC_ORDER, "clOrdId": "ORDER-20260115-001", "type": "STOP_LIMIT", "side": "SELL", "price": "144.50",
              "stopPrice": "145.00"}  # fmt: skip


def _stream() -> AriesStream:
    sim = AriesSimulator()
    bound = stopkit.bind("aries", credentials=sim.demo_credentials())
    stream = bound.stream()
    assert isinstance(stream, AriesStream)
    return stream


def _event(action: str, data: Any = None) -> str:
    return json.dumps({"type": "event", "topic": "account", "payload": {"action": action, "data": data}})


def test_auth_then_subscribe_and_ndjson_frames() -> None:
    """/auth first (documented envelope), subscribe after authSuccess; NDJSON frames carry several messages."""
    stream = _stream()
    ctx = RequestContext(now_ms=0, access_token=AccessToken("TOKEN-1"))
    request = stream.connect_request(ctx)
    assert request.url == "wss://api.aries.com/v1/accounts/ws"
    assert not request.headers
    (auth,) = stream.open_frames(ctx)
    message = json.loads(auth)
    assert message["type"] == "request"
    assert message["id"].startswith("auth-")
    assert message["payload"] == {"method": "POST", "path": "/auth", "body": {"token": "TOKEN-1"}}
    step = stream.handle_text('{"type":"response","id":"auth-001-001","payload":{"action":"authSuccess"}}')
    (subscribe,) = step.send
    sub = json.loads(subscribe)
    assert sub["type"] == "subscribe"
    assert sub["id"].startswith("subscribe-")
    assert sub["payload"] == {"topic": "account", "params": {"accountId": "ACC123456"}}
    frame = "\n".join(
        [_event("snapshot", {"orders": [DOC_ORDER, STOP_ORDER], "positions": [], "balance": {}}),
         _event("account.order", {**STOP_ORDER, "ordStatus": "FILLED", "cumQty": "100", "leavesQty": "0"})]
    )  # fmt: skip
    step = stream.handle_text(frame)
    assert step.ready  # the snapshot arrived: the subscription is live
    # The LIMIT order is not a stop order: skipped; the stop shows NEW then FILLED.
    assert [(s.venue_order_id, s.status) for s in step.updates] == [
        ("ORDER-20260115-001", OrderStatus.ACCEPTED),
        ("ORDER-20260115-001", OrderStatus.FILLED),
    ]
    assert step.updates[1].filled_quantity == Decimal(100)
    assert step.updates[1].limit_price == Decimal("144.50")


def test_session_notices() -> None:
    """refreshAuth asks for re-auth with a fresh token, authExpired for a reconnect, authFailed is an auth error."""
    stream = _stream()
    assert stream.handle_text(_event("refreshAuth")).reauth
    assert stream.handle_text(_event("authExpired")).reconnect
    failed = stream.handle_text('{"type":"response","id":"auth-1","payload":{"action":"authFailed"}}').error
    assert isinstance(failed, stopkit.AuthenticationError)
    fresh = stream.auth_frames(RequestContext(now_ms=0, access_token=AccessToken("TOKEN-2")))
    assert json.loads(fresh[0])["payload"]["body"] == {"token": "TOKEN-2"}
    assert json.loads(stream.ping_frame())["type"] == "ping"


async def _watch(client: stopkit.VenueClient, out: list[OrderState | StreamGap], ready: asyncio.Event) -> None:
    policy = ReconnectPolicy(initial_s=0.01, max_s=0.05, max_failures=20)
    async with contextlib.aclosing(client.watch_orders(ready=ready, reconnect=policy)) as updates:
        async for update in updates:
            out.append(update)


async def _until(predicate: Any) -> None:
    async def wait() -> None:
        while not predicate():  # noqa: ASYNC110  # polls state another task changes
            await asyncio.sleep(0.01)

    await asyncio.wait_for(wait(), 3)


def _statuses(out: list[OrderState | StreamGap], order_id: str | None) -> list[OrderStatus]:
    return [u.status for u in out if isinstance(u, OrderState) and u.venue_order_id == order_id]


async def test_end_to_end_accepted_then_filled_with_reauth_and_expiry() -> None:
    """ACCEPTED → FILLED (Aries shows no trigger); refreshAuth re-authenticates with a new token;
    authExpired reconnects and the snapshot/read-back keeps the stream complete."""
    sim = AriesSimulator()
    base = await sim.start()
    scenario = sim.demo_scenario()
    out: list[OrderState | StreamGap] = []
    try:
        async with stopkit.connect("aries", credentials=sim.demo_credentials(), config=sim.demo_config(base)) as c:
            ready = asyncio.Event()
            task = asyncio.ensure_future(_watch(c, out, ready))
            await asyncio.wait_for(ready.wait(), 3)
            sim.set_price("AAPL", scenario.start_price)
            placed = [await c.place(order) for order in scenario.orders]
            await _until(lambda: all(_statuses(out, p.venue_order_id) == [OrderStatus.ACCEPTED] for p in placed))
            grants = len(sim.grants)
            sim.ws_refresh_warning()
            await _until(lambda: len(sim.grants) > grants)  # a fresh token was obtained for the re-auth
            await _until(lambda: sum('"path":"/auth"' in m for m in sim.ws_hub.log) >= 2)
            sim.ws_expire_auth()
            sim.set_price("AAPL", scenario.through_price)
            await _until(lambda: all(OrderStatus.FILLED in _statuses(out, p.venue_order_id) for p in placed))
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await task
        for p in placed:
            assert _statuses(out, p.venue_order_id) == [OrderStatus.ACCEPTED, OrderStatus.FILLED]
        assert sim.ws_hub.connections >= 2
        assert not any(isinstance(u, StreamGap) for u in out)
        # our client order id is attached to the stream's states (Aries does not carry it)
        assert all(u.client_order_id for u in out if isinstance(u, OrderState))
    finally:
        await sim.stop()


async def test_simulator_is_strict_about_auth() -> None:
    """No /auth within the deadline → closed; a bad token → authFailed and closed; subscribe before auth refused."""
    sim = AriesSimulator()
    sim.ws_auth_timeout_s = 0.2
    base = await sim.start()
    url = base.replace("http", "ws") + "/v1/accounts/ws"
    try:
        async with aiohttp.ClientSession() as session:
            async with session.ws_connect(url) as ws:
                message = await asyncio.wait_for(ws.receive(), 2)
                assert "authentication required" in message.data
                assert (await asyncio.wait_for(ws.receive(), 2)).type in (
                    aiohttp.WSMsgType.CLOSE,
                    aiohttp.WSMsgType.CLOSED,
                    aiohttp.WSMsgType.CLOSING,
                )
            async with session.ws_connect(url) as ws:
                bad = {
                    "type": "request",
                    "id": "a1",
                    "payload": {"method": "POST", "path": "/auth", "body": {"token": "x"}},
                }
                await ws.send_str(json.dumps(bad))
                reply = json.loads((await asyncio.wait_for(ws.receive(), 2)).data)
                assert reply["payload"]["action"] == "authFailed"
            async with session.ws_connect(url) as ws:
                await ws.send_str(json.dumps({"type": "subscribe", "id": "s1", "payload": {"topic": "account"}}))
                reply = json.loads((await asyncio.wait_for(ws.receive(), 2)).data)
                assert reply["type"] == "error"
    finally:
        await sim.stop()
