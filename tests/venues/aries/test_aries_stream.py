"""Aries account WebSocket: auth/subscribe frames, NDJSON parsing, and the stream end to end."""

from __future__ import annotations

import asyncio
import contextlib
import json
from decimal import Decimal
from typing import Any

import aiohttp
import pytest

import stopkit
from stopkit import AccessToken, OrderState, OrderStatus, RequestContext, StreamGap
from stopkit.retry import ReconnectPolicy
from stopkit_venues.aries.simulator import AriesSimulator
from stopkit_venues.aries.stream import AriesStream

# The documented TradeOrderV2 example (https://finance.dev/api-reference/accounts/list-active-orders),
# verbatim; it is a LIMIT order.
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
OPTION_STOP = {**STOP_ORDER, "clOrdId": "ORDER-20260115-009", "securityType": "OPTION", "symbol": "AAPL260116C00150000"}


def _stream() -> AriesStream:
    sim = AriesSimulator()
    bound = stopkit.bind("aries", credentials=sim.demo_credentials())
    stream = bound.stream()
    assert isinstance(stream, AriesStream)
    return stream


def _event(payload: dict[str, Any]) -> str:
    return json.dumps({"type": "event", "payload": payload})


def _order_event(row: dict[str, Any]) -> str:
    return _event({"topic": "account", "name": "order", "target": "ACC123456", "data": row})


def _authenticated() -> tuple[AriesStream, str]:
    # A stream that sent /auth and got authSuccess; returns it and its subscribe id.
    stream = _stream()
    ctx = RequestContext(now_ms=0, access_token=AccessToken("TOKEN-1"))
    stream.connect_request(ctx)
    (auth,) = stream.open_frames(ctx)
    auth_id = json.loads(auth)["id"]
    step = stream.handle_text(json.dumps({"type": "response", "id": auth_id, "payload": {"action": "authSuccess"}}))
    (subscribe,) = step.send
    return stream, json.loads(subscribe)["id"]


def test_auth_then_subscribe_and_ndjson_frames() -> None:
    """/auth first (documented envelope), subscribe after authSuccess; the snapshot's ordersV2 and the
    AccountEvent's data arrive in one NDJSON frame; LIMIT and option orders are skipped."""
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
    step = stream.handle_text(
        json.dumps({"type": "response", "id": message["id"], "payload": {"action": "authSuccess"}})
    )
    (subscribe,) = step.send
    sub = json.loads(subscribe)
    assert sub["type"] == "subscribe"
    assert sub["id"].startswith("subscribe-")
    assert sub["payload"] == {"topic": "account", "params": {"accountId": "ACC123456"}}
    frame = "\n".join(
        [json.dumps({"type": "subscribed", "id": sub["id"], "payload": sub["payload"]}),
         _event({"account": {}, "positions": [], "ordersV2": [DOC_ORDER, STOP_ORDER, OPTION_STOP]}),
         _order_event({**STOP_ORDER, "ordStatus": "PARTIALLY_FILLED", "cumQty": "40", "leavesQty": "60",
                       "avgPrice": "144.9"}),
         _order_event({**STOP_ORDER, "ordStatus": "FILLED", "cumQty": "100", "leavesQty": "0", "avgPrice": "144.92"})]
    )  # fmt: skip
    step = stream.handle_text(frame)
    assert step.ready  # the subscription is live
    assert [(s.venue_order_id, s.status) for s in step.updates] == [
        ("ORDER-20260115-001", OrderStatus.ACCEPTED),
        ("ORDER-20260115-001", OrderStatus.PARTIALLY_FILLED),
        ("ORDER-20260115-001", OrderStatus.FILLED),
    ]
    assert (step.updates[1].filled_quantity, step.updates[1].remaining_quantity) == (Decimal(40), Decimal(60))
    assert step.updates[2].average_fill_price == Decimal("144.92")
    assert step.updates[2].limit_price == Decimal("144.50")


def test_snapshot_inside_the_subscribe_answer_or_event_data_is_read() -> None:
    """The snapshot is found whether it is the event payload, its data, or the subscribe answer's payload."""
    stream, sub_id = _authenticated()
    snapshot = {"account": {}, "positions": [], "ordersV2": [STOP_ORDER]}
    step = stream.handle_text(json.dumps({"type": "subscribed", "id": sub_id, "payload": snapshot}))
    assert step.ready
    assert [s.venue_order_id for s in step.updates] == ["ORDER-20260115-001"]
    step = stream.handle_text(_event({"topic": "account", "name": "snapshot", "data": snapshot}))
    assert [s.venue_order_id for s in step.updates] == ["ORDER-20260115-001"]


def test_session_notices() -> None:
    """refreshAuth asks for re-auth with a fresh token, authExpired for a reconnect."""
    stream, _ = _authenticated()
    assert stream.handle_text(_event({"action": "refreshAuth"})).reauth
    assert stream.handle_text(_event({"action": "authExpired"})).reconnect
    fresh = stream.auth_frames(RequestContext(now_ms=0, access_token=AccessToken("TOKEN-2")))
    fresh_id = json.loads(fresh[0])["id"]
    assert json.loads(fresh[0])["payload"]["body"] == {"token": "TOKEN-2"}
    # a re-auth success does not subscribe again
    step = stream.handle_text(json.dumps({"type": "response", "id": fresh_id, "payload": {"action": "authSuccess"}}))
    assert not step.send
    assert step.error is None
    assert json.loads(stream.ping_frame())["type"] == "ping"


@pytest.mark.parametrize(
    "answer",
    [
        {"action": "authFailed", "error": "invalid token"},
        {"error": "invalid or expired token", "status": 401},
        {"status": 403},
        {"action": "error", "error": "nope"},
        {"action": "somethingElse"},
    ],
)
def test_every_refused_auth_answer_is_an_authentication_error(answer: dict[str, Any]) -> None:
    """The answer to our /auth with payload.error, status >= 400, action error or anything but authSuccess
    ends the attempt at once with AuthenticationError (SDK transport's rules)."""
    stream = _stream()
    ctx = RequestContext(now_ms=0, access_token=AccessToken("TOKEN-1"))
    stream.connect_request(ctx)
    auth_id = json.loads(stream.open_frames(ctx)[0])["id"]
    step = stream.handle_text(json.dumps({"type": "response", "id": auth_id, "payload": answer}))
    assert isinstance(step.error, stopkit.AuthenticationError)
    assert "TOKEN-1" not in str(step.error)
    assert not step.send


@pytest.mark.parametrize("action", ["authRequired", "authTimeout", "authFailed"])
def test_session_refusal_events_are_authentication_errors(action: str) -> None:
    """authRequired / authTimeout / authFailed events, whatever their id, end the attempt with AuthenticationError."""
    stream, _ = _authenticated()
    step = stream.handle_text(_event({"action": action, "error": "too late"}))
    assert isinstance(step.error, stopkit.AuthenticationError)
    assert action in str(step.error)


def test_refused_subscription_is_an_authentication_error() -> None:
    """A subscribe answered with payload.error / status >= 400 is refused at once, not left to the stall timeout."""
    stream, sub_id = _authenticated()
    step = stream.handle_text(
        json.dumps({"type": "response", "id": sub_id, "payload": {"error": "account not accessible", "status": 403}})
    )
    assert isinstance(step.error, stopkit.AuthenticationError)
    assert "account not accessible" in str(step.error)
    assert not step.ready


def test_unreadable_rows_and_unknown_messages_never_stop_the_stream() -> None:
    """An unknown status, a malformed row, an unknown message type or a positions event are skipped."""
    stream, _ = _authenticated()
    frame = "\n".join(
        [_order_event({**STOP_ORDER, "ordStatus": "BRAND_NEW_STATUS"}),
         _order_event({**STOP_ORDER, "qty": "lots"}),
         json.dumps({"type": "mystery", "payload": {"x": 1}}),
         _event({"topic": "account", "name": "position", "data": {"symbol": "AAPL", "qty": "5"}}),
         _order_event({**STOP_ORDER, "ordStatus": "CANCELED"})]
    )  # fmt: skip
    step = stream.handle_text(frame)
    assert step.error is None
    assert [s.status for s in step.updates] == [OrderStatus.CANCELED]


async def _watch(client: stopkit.VenueClient, out: list[OrderState | StreamGap], ready: asyncio.Event) -> None:
    policy = ReconnectPolicy(initial_s=0.01, max_s=0.05, max_failures=20)
    async with contextlib.aclosing(client.watch_orders(ready=ready, reconnect=policy)) as updates:
        async for update in updates:
            out.append(update)


async def _drain(client: stopkit.VenueClient, policy: ReconnectPolicy) -> None:
    # Iterate watch_orders until it ends (with an error).
    async with contextlib.aclosing(client.watch_orders(reconnect=policy, stall_timeout_s=30)) as updates:
        async for _ in updates:
            pass


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
    """No /auth within the deadline → authTimeout and closed; a bad token → refused the SDK's way
    (payload.error, status 401) and closed; anything before auth → authRequired."""
    sim = AriesSimulator()
    sim.ws_auth_timeout_s = 0.2
    base = await sim.start()
    url = base.replace("http", "ws") + "/v1/accounts/ws"
    try:
        async with aiohttp.ClientSession() as session:
            async with session.ws_connect(url) as ws:
                message = json.loads((await asyncio.wait_for(ws.receive(), 2)).data)
                assert message["payload"]["action"] == "authTimeout"
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
                assert (reply["id"], reply["payload"]["status"]) == ("a1", 401)
                assert reply["payload"]["error"]
            async with session.ws_connect(url) as ws:
                await ws.send_str(json.dumps({"type": "subscribe", "id": "s1", "payload": {"topic": "account"}}))
                reply = json.loads((await asyncio.wait_for(ws.receive(), 2)).data)
                assert reply["payload"]["action"] == "authRequired"
    finally:
        await sim.stop()


@pytest.mark.parametrize("mode", ["status", "error-action", "authFailed", "authRequired"])
async def test_refused_authentication_ends_watch_orders_within_seconds(mode: str) -> None:
    """A venue that refuses every /auth (in each of the SDK's forms) ends watch_orders with AuthenticationError
    after the client's three fresh-token attempts, in seconds, never waiting for the stall timeout."""
    sim = AriesSimulator()
    sim.ws_refuse_tokens = True
    sim.ws_auth_refusal = mode
    base = await sim.start()
    try:
        async with stopkit.connect("aries", credentials=sim.demo_credentials(), config=sim.demo_config(base)) as c:
            started = asyncio.get_running_loop().time()
            policy = ReconnectPolicy(initial_s=0.05, max_s=0.2, max_failures=20)
            with pytest.raises(stopkit.AuthenticationError):
                await _drain(c, policy)
            assert asyncio.get_running_loop().time() - started < 5
        assert sim.ws_hub.connections == 3
    finally:
        await sim.stop()


async def test_refused_subscription_ends_watch_orders_within_seconds() -> None:
    """A subscription the venue refuses ends watch_orders with AuthenticationError in seconds."""
    sim = AriesSimulator()
    sim.ws_refuse_subscribe = True
    base = await sim.start()
    try:
        async with stopkit.connect("aries", credentials=sim.demo_credentials(), config=sim.demo_config(base)) as c:
            started = asyncio.get_running_loop().time()
            policy = ReconnectPolicy(initial_s=0.05, max_s=0.2, max_failures=20)
            with pytest.raises(stopkit.AuthenticationError, match="subscription"):
                await _drain(c, policy)
            assert asyncio.get_running_loop().time() - started < 5
    finally:
        await sim.stop()


async def test_end_to_end_snapshot_stops_and_partial_fills() -> None:
    """watch_orders yields the snapshot's stops (placed before the stream) and every later change,
    partial fills included, with fill quantities and the average price."""
    sim = AriesSimulator()
    base = await sim.start()
    out: list[OrderState | StreamGap] = []
    try:
        async with stopkit.connect("aries", credentials=sim.demo_credentials(), config=sim.demo_config(base)) as c:
            sim.set_price("AAPL", Decimal(150))
            early = await c.place(sim.demo_scenario().orders[0])
            ready = asyncio.Event()
            task = asyncio.ensure_future(_watch(c, out, ready))
            await asyncio.wait_for(ready.wait(), 3)
            await _until(lambda: _statuses(out, early.venue_order_id) == [OrderStatus.ACCEPTED])
            sim.fill_lot = Decimal(40)
            sim.set_price("AAPL", Decimal("144.90"))
            sim.set_price("AAPL", Decimal("144.80"))
            sim.set_price("AAPL", Decimal("144.70"))
            await _until(lambda: OrderStatus.FILLED in _statuses(out, early.venue_order_id))
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await task
        states = [u for u in out if isinstance(u, OrderState) and u.venue_order_id == early.venue_order_id]
        assert [(s.status, s.filled_quantity) for s in states] == [
            (OrderStatus.ACCEPTED, Decimal(0)),
            (OrderStatus.PARTIALLY_FILLED, Decimal(40)),
            (OrderStatus.PARTIALLY_FILLED, Decimal(80)),
            (OrderStatus.FILLED, Decimal(100)),
        ]
        assert states[1].remaining_quantity == Decimal(60)
        assert states[-1].average_fill_price == Decimal("144.82")
        assert states[-1].client_order_id == early.client_order_id
    finally:
        await sim.stop()
