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
    AuthenticationError,
    Capabilities,
    FrozenClock,
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
    # Frames are JSON: {"ready": true} | {"orders": [[id, status, filled], ...]} | {"reconnect": "why"} |
    # {"reply": [frame, ...]} (frames to send back at once).
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
        return StreamStep(
            updates=updates,
            send=tuple(message.get("reply", ())),
            ready=bool(message.get("ready")),
            reconnect=message.get("reconnect"),
        )

    def resync_flow(self, known: Sequence[OrderState]) -> Flow[Resync] | None:
        if not self.resync:
            return None
        return self._read_back()

    def _read_back(self) -> Flow[Resync]:
        # The REST answer: [[id, status, filled], ...], or {"rows": [...], "gap": "what could not be read back"}.
        answer: Any = yield Exchange(
            build=lambda ctx: HttpRequest(method="GET", url="https://rest.invalid/orders"),
            parse=lambda response: json.loads(response.body),
            label="orders",
        )
        rows, gap = (answer["rows"], answer["gap"]) if isinstance(answer, dict) else (answer, None)
        return Resync(states=tuple(_state(i, OrderStatus[s], f) for i, s, f in rows), gap_reason=gap)


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


def _client(
    servers: list[Any], *, resync: bool = True, rest: Any = None, rest_body: bytes | None = None, clock: Any = None
) -> VenueClient:
    # One scripted server coroutine per connection, in order; REST answers `rest` (as JSON) or `rest_body` to the
    # read-back.
    scripts = iter(servers)

    async def ws(server: FakeServerSocket) -> None:
        await next(scripts)(server)

    body = rest_body if rest_body is not None else json.dumps(rest or []).encode()
    transport = MockTransport(lambda request: HttpResponse(status=200, body=body), ws=ws)
    bound = _Adapter().bind(Credentials("streamvenue", {}), {"resync": resync})
    return VenueClient(bound, transport=transport, retry=RetryPolicy(backoff=False), clock=clock)


async def _collect(
    client: VenueClient, count: int, *, reconnect: ReconnectPolicy = FAST, **kwargs: Any
) -> list[OrderState | StreamGap]:
    out: list[OrderState | StreamGap] = []

    async def run() -> None:
        async with contextlib.aclosing(client.watch_orders(reconnect=reconnect, **kwargs)) as updates:
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


async def test_a_failed_read_back_after_a_reconnect_is_a_gap_since_the_last_frame() -> None:
    """The REST read-back after a reconnect answers garbage: a StreamGap since the last frame before the drop (the
    client's clock then), saying the read-back failed; the stream goes on."""

    async def first(sock: FakeServerSocket) -> None:
        await sock.receive()
        await sock.send(_frame(ready=True, orders=[["7", "ACCEPTED", "0"]]))

    async def second(sock: FakeServerSocket) -> None:
        await sock.receive()
        await sock.send(_frame(ready=True))
        await sock.send(_frame(orders=[["7", "TRIGGERED", "0"]]))
        await asyncio.sleep(10)

    client = _client([first, second], rest_body=b"<html>502</html>", clock=FrozenClock(1_000))
    got = await _collect(client, 3)
    assert isinstance(got[0], OrderState)
    gap = got[1]
    assert isinstance(gap, StreamGap)
    assert (gap.venue, gap.since_ms) == ("streamvenue", 1_000)
    assert gap.reason == (
        "stream reconnected; read-back failed: streamvenue: the answer to orders (HTTP 200) could not be read "
        "(JSONDecodeError) (venue=streamvenue, http_status=200)"
    )
    assert isinstance(got[2], OrderState)
    assert got[2].status is OrderStatus.TRIGGERED
    await client.close()


async def test_a_partial_read_back_yields_its_states_then_a_gap() -> None:
    """A read-back that recovers some orders but not all: the recovered change first, then a StreamGap with the
    venue's reason, since the last frame before the drop."""

    async def first(sock: FakeServerSocket) -> None:
        await sock.receive()
        await sock.send(_frame(ready=True, orders=[["7", "ACCEPTED", "0"]]))

    async def second(sock: FakeServerSocket) -> None:
        await sock.receive()
        await sock.send(_frame(ready=True))
        await asyncio.sleep(10)

    rest = {"rows": [["7", "FILLED", "1"]], "gap": "order 8 left the open set unread"}
    client = _client([first, second], rest=rest, clock=FrozenClock(2_500))
    got = await _collect(client, 3)
    assert [(u.venue_order_id, u.status) for u in got if isinstance(u, OrderState)] == [
        ("7", OrderStatus.ACCEPTED),
        ("7", OrderStatus.FILLED),
    ]
    assert got[2] == StreamGap(venue="streamvenue", since_ms=2_500, reason="order 8 left the open set unread")
    await client.close()


async def test_a_connection_that_breaks_mid_session_is_reopened() -> None:
    """Sending on a connection the venue already closed raises TransportError inside the session: the client
    reconnects and the stream goes on."""

    async def breaks(sock: FakeServerSocket) -> None:
        await sock.receive()
        await sock.send(_frame(ready=True, orders=[["5", "ACCEPTED", "0"]]))
        await sock.send(_frame(reply=['{"ack": true}']))  # the client answers after the venue has closed

    async def healthy(sock: FakeServerSocket) -> None:
        await sock.receive()
        await sock.send(_frame(ready=True, orders=[["5", "TRIGGERED", "0"]]))
        await asyncio.sleep(10)

    client = _client([breaks, healthy])
    got = await _collect(client, 2)
    assert [(u.venue_order_id, u.status) for u in got if isinstance(u, OrderState)] == [
        ("5", OrderStatus.ACCEPTED),
        ("5", OrderStatus.TRIGGERED),
    ]
    assert len(client._transport.ws_requests) == 2  # type: ignore[attr-defined]
    await client.close()


async def test_refused_connections_count_from_zero_up_to_max_failures() -> None:
    """Every connection attempt refused: with max_failures=2 the client gives up after exactly two attempts and
    raises the last refusal."""

    async def refuse(sock: FakeServerSocket) -> None:
        raise TransportError("refused", outcome_known=True)

    client = _client([refuse] * 5)
    policy = ReconnectPolicy(initial_s=0.0, max_s=0.0, jitter=0.0, max_failures=2)
    with pytest.raises(TransportError, match="refused"):
        await _collect(client, 1, reconnect=policy)
    assert len(client._transport.ws_requests) == 2  # type: ignore[attr-defined]
    await client.close()


async def test_a_session_refused_three_times_raises_the_refusal() -> None:
    """The venue refuses the session's authentication at every handshake: the third refusal is raised (not the
    second), even with a reconnect policy that never gives up."""

    async def refuse(sock: FakeServerSocket) -> None:
        raise AuthenticationError("session refused", venue="streamvenue")

    client = _client([refuse] * 5)
    policy = ReconnectPolicy(initial_s=0.0, max_s=0.0, jitter=0.0, max_failures=None)
    with pytest.raises(AuthenticationError, match="session refused"):
        await _collect(client, 1, reconnect=policy)
    assert len(client._transport.ws_requests) == 3  # type: ignore[attr-defined]
    await client.close()


async def test_a_live_session_resets_the_failure_count() -> None:
    """A session that went live and then dropped starts the reconnect budget afresh: with max_failures=2 the client
    makes one more connection attempt after the drop, and raises that attempt's refusal."""

    async def live_then_drop(sock: FakeServerSocket) -> None:
        await sock.receive()
        await sock.send(_frame(ready=True, orders=[["4", "ACCEPTED", "0"]]))

    async def refuse(sock: FakeServerSocket) -> None:
        raise TransportError("refused after the drop", outcome_known=True)

    client = _client([live_then_drop, refuse, refuse, refuse])
    policy = ReconnectPolicy(initial_s=0.0, max_s=0.0, jitter=0.0, max_failures=2)
    with pytest.raises(TransportError, match="refused after the drop"):
        await _collect(client, 2, reconnect=policy)
    assert len(client._transport.ws_requests) == 2  # type: ignore[attr-defined]
    await client.close()
