"""B2TRADER SignalR account stream: frames, the documented item, the parent link heuristic, end to end."""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
from decimal import Decimal
from typing import Any

import pytest

import stopkit
from stopkit import AccessToken, OrderKind, OrderState, OrderStatus, RequestContext, Side, StreamGap
from stopkit.retry import ReconnectPolicy
from stopkit_venues.b2trader.simulator import B2TraderSimulator
from stopkit_venues.b2trader.stream import HANDSHAKE, RS, B2TraderStream, link_parent

# The documented OpenOrders stream item (https://api-docs.b2trader.b2broker.com/websocket-api), verbatim.
DOC_ITEM = (
    '{"type":2,"invocationId":"0","item":[{"marketId":"cfd.eur_chf","marketType":"Cfd","marketDisplayName":"EUR/CHF",'
    '"marketFullName":"","orderId":"01JVQBFSTVC40VK03A0AY7K016","timeInForce":"Gtc","status":"Pending",'
    '"source":"Manual","reason":"Trader","side":"Buy","orderType":"Limit","requestedAmount":"10000",'
    '"remainingAmount":"10000","requestedPrice":"0.9","executionPrice":"0","createdAt":"2025-05-20T17:22:31.899Z",'
    '"updatedAt":"2025-05-20T17:22:31.9001213Z","cancellationDate":null,"commissionAssetId":"eur",'
    '"commissionAmount":"0","leverage":1,"fillFactor":"0","takeProfit":null,"stopLoss":null}]}'
)
TOKEN = "eyJhbGciOiJIUzI1NiJ9.e30.SECRETSIGNATURE"


def _stream() -> B2TraderStream:
    sim = B2TraderSimulator()
    bound = stopkit.bind("b2trader", credentials=sim.demo_credentials(), config={"base_url": "https://broker.example"})
    stream = bound.stream()
    assert isinstance(stream, B2TraderStream)
    return stream


def _stop(order_id: str, *, kind: OrderKind = OrderKind.STOP_MARKET, limit: str | None = None) -> OrderState:
    return OrderState(
        venue="b2trader", venue_order_id=order_id, client_order_id="mine-" + order_id, symbol="spot.btc_usdt",
        side=Side.BUY, kind=kind, status=OrderStatus.ACCEPTED, venue_status="WaitingForActivation",
        quantity=Decimal("0.01"), stop_price=Decimal(128000), limit_price=None if limit is None else Decimal(limit),
    )  # fmt: skip


def _child(order_id: str, *, order_type: str = "Market", price: str = "0", status: str = "Working") -> str:
    obj = {
        "marketId": "spot.btc_usdt", "marketType": "Spot", "marketDisplayName": "SPOT BTC/USDT", "marketFullName": "",
        "orderId": order_id, "timeInForce": "Ioc", "status": status, "source": "StopOrder", "reason": "Trader",
        "side": "Buy", "orderType": order_type, "requestedAmount": "0.01",
        "remainingAmount": "0" if status == "Completed" else "0.01", "requestedPrice": price,
        "executionPrice": "128050.01" if status == "Completed" else "0", "createdAt": "2026-01-01T00:00:01.0000001Z",
        "updatedAt": "2026-01-01T00:00:01.0000002Z", "cancellationDate": None,
    }  # fmt: skip
    return json.dumps({"type": 2, "invocationId": "0", "item": [obj]}) + RS


def test_handshake_subscribe_and_masked_url() -> None:
    """Handshake with \\x1e, then OpenOrders (type 4, account id, invocationId 0, 1, ...); the token is masked."""
    stream = _stream()
    ctx = RequestContext(now_ms=0, access_token=AccessToken(TOKEN))
    request = stream.connect_request(ctx)
    assert request.url.startswith("wss://broker.example/frontoffice/ws/v4/account?access_token=")
    assert TOKEN.split(".")[2] in request.url
    assert "SECRETSIGNATURE" not in repr(request)
    assert "SECRETSIGNATURE" not in request.masked_url()
    assert list(stream.open_frames(ctx)) == [HANDSHAKE] == ['{"protocol":"json","version":1}\x1e']
    step = stream.handle_text("{}" + RS)
    assert step.ready
    (subscribe,) = step.send
    assert subscribe.endswith(RS)
    assert json.loads(subscribe[:-1]) == {
        "arguments": ["685a7eaa360f9e7416221a61"],
        "invocationId": "0",
        "target": "OpenOrders",
        "type": 4,
    }
    assert stream.ping_frame() == '{"type":6}' + RS
    assert stream.handle_text('{"type":6}' + RS) == stopkit.plugin.StreamStep()
    closed = stream.handle_text(
        '{"type":7,"error":"Unauthorized: the access token expired","allowReconnect":true}' + RS
    )
    assert isinstance(closed.error, stopkit.AuthenticationError)
    assert stream.resync_flow([]) is None  # no stop read endpoint: the client reports a gap


def test_documented_item_and_several_messages_per_frame() -> None:
    """The documented item parses (Pending → TRIGGERED, a manual order); one frame may hold several messages."""
    stream = _stream()
    stream.handle_text("{}" + RS)
    step = stream.handle_text(DOC_ITEM + RS + '{"type":6}' + RS)
    (state,) = step.updates
    assert (state.venue_order_id, state.symbol, state.status, state.venue_status) == (
        "01JVQBFSTVC40VK03A0AY7K016",
        "cfd.eur_chf",
        OrderStatus.TRIGGERED,
        "Pending",
    )
    assert state.limit_price == Decimal("0.9")
    assert state.quantity == Decimal(10000)


def test_parent_link_is_heuristic_and_only_when_unambiguous() -> None:
    """A StopOrder child links to the one matching armed stop (marked heuristic); ambiguity links nothing."""
    stream = _stream()
    stream.handle_text("{}" + RS)
    market, limit = _stop("S1"), _stop("S2", kind=OrderKind.STOP_LIMIT, limit="128100")
    step = stream.handle_text(_child("C1"), known=[market, limit])
    parent, child = step.updates
    assert (parent.venue_order_id, parent.status, parent.venue_status) == ("S1", OrderStatus.TRIGGERED, "Activated")
    assert parent.raw["stopkit.link"] == "heuristic"
    assert parent.raw["stopkit.childOrderId"] == "C1"
    assert (child.venue_order_id, child.status, child.raw["stopkit.parentOrderId"]) == (
        "C1",
        OrderStatus.TRIGGERED,
        "S1",
    )
    # The same child again (now Completed): no second parent update.
    (done,) = stream.handle_text(_child("C1", status="Completed"), known=[market, limit]).updates
    assert done.status is OrderStatus.FILLED
    assert done.filled_quantity == Decimal("0.01")
    # Two identical armed stops: the child cannot be attributed.
    twins = [_stop("T1"), _stop("T2")]
    assert [s.venue_order_id for s in _stream_after_handshake().handle_text(_child("C9"), known=twins).updates] == [
        "C9"
    ]
    assert link_parent(OrderState(**{**_attrs(market), "venue_order_id": "X"}), [], taken=set()) is None


def _stream_after_handshake() -> B2TraderStream:
    stream = _stream()
    stream.handle_text("{}" + RS)
    return stream


def _attrs(state: OrderState) -> dict[str, Any]:
    import attrs

    return attrs.asdict(state, recurse=False)


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


async def _run_scenario(sim: B2TraderSimulator, out: list[OrderState | StreamGap]) -> dict[str | None, str]:
    # Watch, place the demo orders, move the price through them; returns stop id -> child id.
    base = await sim.start()
    scenario = sim.demo_scenario()
    async with stopkit.connect("b2trader", credentials=sim.demo_credentials(), config=sim.demo_config(base)) as c:
        ready = asyncio.Event()
        task = asyncio.ensure_future(_watch(c, out, ready))
        await asyncio.wait_for(ready.wait(), 3)
        sim.set_price(scenario.symbol, scenario.start_price)
        placed = [await c.place(order) for order in scenario.orders]
        sim.set_price(scenario.symbol, scenario.through_price)
        children = {p.venue_order_id: str((sim.child_of(str(p.venue_order_id)) or {}).get("orderId")) for p in placed}
        done = FILLED_OR_GAP(children)
        await _until(lambda: all(done(out, child) for child in children.values()))
        for p in placed:
            assert _statuses(out, p.venue_order_id) == [OrderStatus.TRIGGERED]
            parent = next(u for u in out if isinstance(u, OrderState) and u.venue_order_id == p.venue_order_id)
            assert parent.raw["stopkit.childOrderId"] == children[p.venue_order_id]
            assert parent.client_order_id == p.client_order_id
        sim.ws_drop()
        await _until(lambda: any(isinstance(u, StreamGap) and not u.venue_order_ids for u in out))
        task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await task
    return children


def FILLED_OR_GAP(children: dict[str | None, str]) -> Any:  # reads as a predicate name
    """A predicate: the child shows FILLED or a gap names it."""

    def done(out: list[OrderState | StreamGap], child: str) -> bool:
        return OrderStatus.FILLED in _statuses(out, child) or any(
            isinstance(u, StreamGap) and child in u.venue_order_ids for u in out
        )

    return done


async def test_end_to_end_as_documented_fills_are_named_by_gaps() -> None:
    """Documented stream (open orders only): parent TRIGGERED (heuristic), child TRIGGERED, and when the
    child leaves the open set a StreamGap names it and its stop; after a drop a general StreamGap."""
    sim = B2TraderSimulator()
    out: list[OrderState | StreamGap] = []
    try:
        children = await _run_scenario(sim, out)
    finally:
        await sim.stop()
    for stop_id, child_id in children.items():
        assert _statuses(out, child_id) == [OrderStatus.TRIGGERED]
        gap = next(u for u in out if isinstance(u, StreamGap) and child_id in u.venue_order_ids)
        assert gap.venue_order_ids == (child_id, stop_id)
        assert "left the open orders" in gap.reason
        assert gap.since_ms is not None
    general = next(u for u in out if isinstance(u, StreamGap) and not u.venue_order_ids)
    assert general.venue == "b2trader"
    assert general.since_ms is not None


async def test_end_to_end_with_final_states_streamed_fills_are_reported() -> None:
    """A broker that streams final states (simulator switch): the child goes TRIGGERED → FILLED, no order gap."""
    sim = B2TraderSimulator()
    sim.ws_final_states = True
    out: list[OrderState | StreamGap] = []
    try:
        children = await _run_scenario(sim, out)
    finally:
        await sim.stop()
    for child_id in children.values():
        assert _statuses(out, child_id) == [OrderStatus.TRIGGERED, OrderStatus.FILLED]
    assert not any(isinstance(u, StreamGap) and u.venue_order_ids for u in out)


def _statuses(out: list[OrderState | StreamGap], order_id: object) -> list[OrderStatus]:
    return [u.status for u in out if isinstance(u, OrderState) and u.venue_order_id == order_id]


async def _drain(client: stopkit.VenueClient) -> None:
    policy = ReconnectPolicy(initial_s=0, max_s=0, max_failures=3)
    async with contextlib.aclosing(client.watch_orders(reconnect=policy)) as updates:
        async for _ in updates:
            pass


async def test_refused_token_never_shows_in_errors_or_logs(caplog: pytest.LogCaptureFixture) -> None:
    """The simulator checks the JWT in the query (401); the client gives up with AuthenticationError,
    and neither the error nor the logs contain the token."""
    sim = B2TraderSimulator()
    base = await sim.start()
    caplog.set_level(logging.DEBUG)
    try:
        async with stopkit.connect("b2trader", credentials=sim.demo_credentials(), config=sim.demo_config(base)) as c:
            token = await c._current_token()
            assert token is not None
            sim.revoke_tokens()
            sim.api_token = "another-api-token"  # refreshing cannot help either
            with pytest.raises(stopkit.StopkitError) as caught:
                await _drain(c)
        assert token.value not in str(caught.value)
        assert token.value not in repr(caught.value)
        assert token.value not in caplog.text
    finally:
        await sim.stop()


async def test_simulator_enforces_handshake_and_invocation_ids() -> None:
    """A wrong handshake or a non-increasing invocationId closes the connection (strict SignalR rules)."""
    import aiohttp

    sim = B2TraderSimulator()
    base = await sim.start()
    try:
        async with stopkit.connect("b2trader", credentials=sim.demo_credentials(), config=sim.demo_config(base)) as c:
            token = await c._current_token()
        assert token is not None
        url = base.replace("http", "ws") + "/frontoffice/ws/v4/account?access_token=" + token.value
        async with aiohttp.ClientSession() as session:
            async with session.ws_connect(url) as ws:
                await ws.send_str('{"protocol":"messagepack","version":1}' + RS)
                assert "error" in json.loads((await asyncio.wait_for(ws.receive(), 2)).data.rstrip(RS))
            async with session.ws_connect(url) as ws:
                await ws.send_str(HANDSHAKE)
                assert (await asyncio.wait_for(ws.receive(), 2)).data == "{}" + RS
                await ws.send_str(json.dumps({"type": 4, "target": "OpenOrders", "invocationId": "5",
                                              "arguments": [sim.account_id]}) + RS)  # fmt: skip
                closing = json.loads((await asyncio.wait_for(ws.receive(), 2)).data.rstrip(RS))
                assert closing["type"] == 7
                assert "invocationId" in closing["error"]
    finally:
        await sim.stop()


# -- surviving real answers --------------------------------------------------------------------


def _item(*objs: object) -> str:
    return json.dumps({"type": 2, "invocationId": "0", "item": list(objs)}) + RS


def _child_obj(order_id: str, status: str = "Working") -> dict[str, Any]:
    return json.loads(_child(order_id, status=status).rstrip(RS))["item"][0]  # type: ignore[no-any-return]


@pytest.mark.parametrize(
    "bad",
    [
        {"orderId": "PERP1", "marketId": "perp.btc_usdt", "marketType": "Perp", "status": "Working"},  # no amounts
        {**json.loads(DOC_ITEM)["item"][0], "orderId": "ODD1", "status": "Suspended"},  # unknown status
        [{"nested": True}],  # a nested shape
        "text",
    ],
)
def test_unparseable_item_is_skipped_with_a_warning(bad: object, caplog: pytest.LogCaptureFixture) -> None:
    """An entry that cannot be read is skipped (warned once); the good entry beside it still comes out."""
    stream = _stream_after_handshake()
    step = stream.handle_text(_item(bad, _child_obj("GOOD1")))
    assert step.error is None
    assert [u.venue_order_id for u in step.updates] == ["GOOD1"]
    assert "skipped" in caplog.text
    stream.handle_text(_item(bad, _child_obj("GOOD1")))
    assert caplog.text.count("skipped") == 1


def test_item_that_is_not_a_list_is_skipped() -> None:
    """ "item": {"orders": [...]} (a nested envelope) ends nothing: no update, no error."""
    stream = _stream_after_handshake()
    step = stream.handle_text(json.dumps({"type": 2, "invocationId": "0", "item": 5}) + RS)
    assert (step.updates, step.error, step.reconnect) == ((), None, None)


def test_order_leaving_the_open_set_is_named_by_a_gap() -> None:
    """Snapshots: an open order missing from the next item yields a gap naming it (once); a final status does not."""
    stream = _stream_after_handshake()
    stream.handle_text(_item(_child_obj("A1"), _child_obj("B1")))
    step = stream.handle_text(_item(_child_obj("B1")))
    assert [g.venue_order_ids for g in step.gaps] == [("A1",)]
    assert stream.handle_text(_item(_child_obj("B1"))).gaps == ()
    final = stream.handle_text(_item(_child_obj("B1", status="Completed")))
    assert [u.status for u in final.updates] == [OrderStatus.FILLED]
    assert final.gaps == ()
    assert stream.handle_text(_item()).gaps == ()


def test_unparseable_entry_of_an_open_order_is_not_a_departure() -> None:
    """An open order whose entry turns unreadable is still present: no gap for it."""
    stream = _stream_after_handshake()
    stream.handle_text(_item(_child_obj("A1")))
    step = stream.handle_text(_item({**_child_obj("A1"), "status": "Strange"}))
    assert step.gaps == ()


def test_changes_mode_reports_no_departures() -> None:
    """stream_snapshots=false: items carry changes only, so absence says nothing."""
    sim = B2TraderSimulator()
    bound = stopkit.bind(
        "b2trader",
        credentials=sim.demo_credentials(),
        config={"base_url": "https://broker.example", "stream_snapshots": False},
    )
    stream = bound.stream()
    assert isinstance(stream, B2TraderStream)
    stream.handle_text("{}" + RS)
    stream.handle_text(_item(_child_obj("A1")))
    assert stream.handle_text(_item(_child_obj("B1"))).gaps == ()


def test_websocket_url_keeps_the_base_url_path_prefix() -> None:
    """base_url https://host/broker-x → wss://host/broker-x/frontoffice/ws/v4/account, as REST keeps /broker-x."""
    sim = B2TraderSimulator()
    bound = stopkit.bind(
        "b2trader", credentials=sim.demo_credentials(), config={"base_url": "https://broker.example/broker-x/"}
    )
    stream = bound.stream()
    assert stream is not None
    request = stream.connect_request(RequestContext(now_ms=0, access_token=AccessToken(TOKEN)))
    assert request.url.startswith("wss://broker.example/broker-x/frontoffice/ws/v4/account?access_token=")
