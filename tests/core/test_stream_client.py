"""VenueClient.watch_orders over the in-memory fake WebSocket: dedup, reconnect, resync, gaps, stalls."""

from __future__ import annotations

import asyncio
import contextlib
import json
from collections.abc import Sequence
from decimal import Decimal
from typing import Any

import pytest

from stopkit import (
    Capabilities,
    HttpRequest,
    HttpResponse,
    OrderKind,
    OrderState,
    OrderStatus,
    RequestContext,
    Side,
    StreamGap,
    TimeInForce,
    TransportError,
    TriggerType,
)
from stopkit.client import VenueClient
from stopkit.errors import RemoteError
from stopkit.orders import AnyStopOrder
from stopkit.retry import ReconnectPolicy, RetryPolicy
from stopkit.stream import Resync, StreamProtocol, StreamStep, WsRequest, mask_query
from stopkit.testing import FakeServerSocket, MockTransport
from stopkit.venue import BoundVenue, Credentials, Exchange, Flow, VenueAdapter

FAST = ReconnectPolicy(initial_s=0.0, max_s=0.0, jitter=0.0, max_failures=3)


def _state(order_id: str, status: OrderStatus, filled: str = "0") -> OrderState:
    return OrderState(
        venue="streamvenue",
        venue_order_id=order_id,
        client_order_id=None,
        symbol="BTC",
        side=Side.SELL,
        kind=OrderKind.STOP_MARKET,
        status=status,
        venue_status=status.value,
        quantity=Decimal(1),
        filled_quantity=Decimal(filled),
        stop_price=Decimal(100),
    )


class _Protocol(StreamProtocol):
    # Frames are JSON: {"ready": true} | {"orders": [[id, status, filled], ...]} | {"reconnect": "why"}.
    ping_interval_s = 0.05
    stall_timeout_s = 5.0

    def __init__(self, venue: BoundVenue, resync: bool) -> None:
        super().__init__(venue)
        self.resync = resync

    def connect_request(self, ctx: RequestContext) -> WsRequest:
        return WsRequest(url="wss://stream.invalid/ws?access_token=SECRET-TOKEN")

    def open_frames(self, ctx: RequestContext) -> Sequence[str]:
        return ('{"subscribe": true}',)

    def ping_frame(self) -> str:
        return '{"ping": true}'

    def handle_text(self, text: str, *, known: Sequence[OrderState] = ()) -> StreamStep:
        message = json.loads(text)
        updates = tuple(_state(i, OrderStatus[s], f) for i, s, f in message.get("orders", []))
        return StreamStep(updates=updates, ready=bool(message.get("ready")), reconnect=message.get("reconnect"))

    def resync_flow(self, known: Sequence[OrderState]) -> Flow[Resync] | None:
        if not self.resync:
            return None
        return self._read_back()

    def _read_back(self) -> Flow[Resync]:
        rows: list[list[str]] = yield Exchange(
            build=lambda ctx: HttpRequest(method="GET", url="https://rest.invalid/orders"),
            parse=lambda response: json.loads(response.body),
            label="orders",
        )
        return Resync(states=tuple(_state(i, OrderStatus[s], f) for i, s, f in rows))


class _Bound(BoundVenue):
    def __init__(self, adapter: VenueAdapter, resync: bool) -> None:
        super().__init__(adapter)
        self._resync = resync

    def stream(self) -> StreamProtocol:
        return _Protocol(self, self._resync)

    def build_place_request(self, order: AnyStopOrder, ctx: RequestContext) -> HttpRequest:
        raise NotImplementedError

    def parse_place_response(self, order: AnyStopOrder, response: HttpResponse) -> OrderState:
        raise NotImplementedError

    def classify_error(self, response: HttpResponse, *, writes: bool = False) -> RemoteError:
        return RemoteError("refused", venue="streamvenue")


class _Adapter(VenueAdapter):
    name = "streamvenue"
    title = "stream test venue"
    doc_url = "https://stream.invalid"
    capabilities = Capabilities(
        order_kinds=frozenset({OrderKind.STOP_MARKET}),
        trigger_types=frozenset({TriggerType.DEFAULT}),
        time_in_force=frozenset({TimeInForce.GTC}),
        position_effects=frozenset({None}),
        whole_position_quantity=False,
        client_order_id=False,
        get_order=False,
        list_open_orders=False,
        cancel=False,
    )

    def bind(self, credentials: Credentials, config: Any = None) -> BoundVenue:
        return _Bound(self, resync=bool((config or {}).get("resync")))


def _client(servers: list[Any], *, resync: bool = True, rest: list[list[str]] | None = None) -> VenueClient:
    # One scripted server coroutine per connection, in order; REST answers `rest` to the read-back.
    scripts = iter(servers)

    async def ws(server: FakeServerSocket) -> None:
        await next(scripts)(server)

    transport = MockTransport(lambda request: HttpResponse(status=200, body=json.dumps(rest or []).encode()), ws=ws)
    bound = _Adapter().bind(Credentials("streamvenue", {}), {"resync": resync})
    return VenueClient(bound, transport=transport, retry=RetryPolicy(backoff=False))


async def _collect(client: VenueClient, count: int, **kwargs: Any) -> list[OrderState | StreamGap]:
    out: list[OrderState | StreamGap] = []

    async def run() -> None:
        async with contextlib.aclosing(client.watch_orders(reconnect=FAST, **kwargs)) as updates:
            async for update in updates:
                out.append(update)
                if len(out) == count:
                    return

    await asyncio.wait_for(run(), timeout=5)
    return out


def _frame(**message: Any) -> str:
    return json.dumps(message)


async def test_dedup_and_no_regression() -> None:
    """Repeated and older states are dropped; each change is yielded once and becomes last_state."""

    async def server(sock: FakeServerSocket) -> None:
        assert await sock.receive() == '{"subscribe": true}'
        await sock.send(_frame(ready=True, orders=[["1", "ACCEPTED", "0"]]))
        await sock.send(_frame(orders=[["1", "ACCEPTED", "0"], ["1", "TRIGGERED", "0"]]))
        await sock.send(_frame(orders=[["1", "ACCEPTED", "0"], ["1", "FILLED", "1"]]))
        await asyncio.sleep(10)

    client = _client([server])
    got = await _collect(client, 3)
    assert [u.status for u in got if isinstance(u, OrderState)] == [
        OrderStatus.ACCEPTED,
        OrderStatus.TRIGGERED,
        OrderStatus.FILLED,
    ]
    last = client.last_state(venue_order_id="1")
    assert last is not None
    assert last.status is OrderStatus.FILLED
    await client.close()


async def test_reconnect_then_rest_resync_yields_the_missed_transition() -> None:
    """After the venue closes the socket, the client reconnects, re-subscribes and reads back through REST."""

    async def first(sock: FakeServerSocket) -> None:
        await sock.receive()
        await sock.send(_frame(ready=True, orders=[["7", "ACCEPTED", "0"]]))
        # returning closes the connection: a drop

    async def second(sock: FakeServerSocket) -> None:
        assert await sock.receive() == '{"subscribe": true}'  # re-subscribed
        await sock.send(_frame(ready=True))
        await asyncio.sleep(10)

    client = _client([first, second], rest=[["7", "FILLED", "1"]])
    got = await _collect(client, 2)
    assert [(u.venue_order_id, u.status) for u in got if isinstance(u, OrderState)] == [
        ("7", OrderStatus.ACCEPTED),
        ("7", OrderStatus.FILLED),
    ]
    assert [r.url for r in client._transport.sent] == ["https://rest.invalid/orders"]  # type: ignore[attr-defined]
    await client.close()


async def test_gap_when_the_venue_cannot_read_back() -> None:
    """No resync flow: a StreamGap (venue, since_ms, reason) is yielded after the reconnect."""

    async def first(sock: FakeServerSocket) -> None:
        await sock.receive()
        await sock.send(_frame(ready=True, orders=[["9", "ACCEPTED", "0"]]))

    async def second(sock: FakeServerSocket) -> None:
        await sock.receive()
        await sock.send(_frame(ready=True))
        await asyncio.sleep(10)

    client = _client([first, second], resync=False)
    got = await _collect(client, 2)
    gap = got[1]
    assert isinstance(gap, StreamGap)
    assert gap.venue == "streamvenue"
    assert gap.since_ms is not None
    assert "no way" in gap.reason
    await client.close()


async def test_stalled_connection_is_replaced_and_pings_are_sent() -> None:
    """No frame within stall_timeout_s: reconnect; pings go out every ping_interval_s meanwhile."""
    sockets: list[FakeServerSocket] = []

    async def silent(sock: FakeServerSocket) -> None:
        sockets.append(sock)
        await sock.receive()
        await sock.send(_frame(ready=True))
        await asyncio.sleep(10)  # then answers nothing, pings included

    async def healthy(sock: FakeServerSocket) -> None:
        await sock.receive()
        await sock.send(_frame(ready=True, orders=[["3", "TRIGGERED", "0"]]))
        await asyncio.sleep(10)

    client = _client([silent, healthy])
    # A stall window twenty ping intervals long: at least three pings go out even on a loaded machine.
    got = await _collect(client, 1, stall_timeout_s=1.0, ping_interval_s=0.05)
    assert isinstance(got[0], OrderState)
    assert got[0].status is OrderStatus.TRIGGERED
    assert sockets[0].closed  # the stalled connection was given up
    assert sockets[0].received.count('{"ping": true}') >= 3
    await client.close()


async def test_venue_asked_reconnect_and_give_up_after_refusals() -> None:
    """A step's reconnect reason reconnects; connection refusals beyond the policy raise the last error."""

    async def asks(sock: FakeServerSocket) -> None:
        await sock.receive()
        await sock.send(_frame(ready=True, reconnect="session over"))
        await asyncio.sleep(10)

    async def refuse(sock: FakeServerSocket) -> None:
        raise TransportError("refused", outcome_known=True)

    client = _client([asks, refuse, refuse, refuse, refuse])
    with pytest.raises(TransportError):
        await _collect(client, 5)
    await client.close()


def test_ws_request_masks_the_token() -> None:
    """Token-bearing query values are masked in reprs and masked_url; the backoff is bounded."""
    request = WsRequest(url="wss://h.invalid/frontoffice/ws/v4/account?access_token=abc.def&x=1")
    assert "abc.def" not in repr(request)
    assert "abc.def" not in request.masked_url()
    assert request.masked_url().endswith("access_token=***&x=1")
    assert mask_query("wss://h/ws") == "wss://h/ws"
    policy = ReconnectPolicy(initial_s=0.5, max_s=4.0, jitter=0.0, max_failures=2)
    assert [policy.delay_s(n) for n in range(5)] == [0.5, 1.0, 2.0, 4.0, 4.0]
    assert not policy.gives_up(1)
    assert policy.gives_up(2)


async def test_a_frame_the_protocol_cannot_read_is_a_gap_not_the_end() -> None:
    """A nesting bomb (the protocol's json.loads raises RecursionError) becomes a StreamGap; the stream goes on."""

    async def server(sock: FakeServerSocket) -> None:
        assert await sock.receive() == '{"subscribe": true}'
        await sock.send(_frame(ready=True, orders=[["1", "ACCEPTED", "0"]]))
        await sock.send("[" * 100_000)
        await sock.send(_frame(orders=[["1", "TRIGGERED", "0"]]))
        await asyncio.sleep(10)

    client = _client([server])
    out = await _collect(client, 3)
    assert isinstance(out[0], OrderState)
    assert isinstance(out[1], StreamGap)
    assert "RecursionError" in out[1].reason
    assert isinstance(out[2], OrderState)
    assert out[2].status is OrderStatus.TRIGGERED
