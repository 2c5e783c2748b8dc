"""The Pacifica contract corpus: outside payloads judge the parsers and the simulator.

Every ``*.json`` file beside this module holds payloads collected from outside sources (the docs
pages, CCXT's recorded fixtures and module comments, the official MCP server, the Rust SDK's copy
of the docs), each file naming its ``source`` and ``retrieved`` date, with the normalized state
each payload must parse to. The parsers are checked payload by payload; the simulator is checked
against the same payloads field for field (keys and JSON types): where they disagree, the
simulator is what changes.
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import Iterator, Mapping
from decimal import Decimal
from pathlib import Path
from typing import Any

import aiohttp
import pytest

import stopkit
from stopkit import OrderState, StopLimitOrder, StopOrder
from stopkit.context import FrozenClock
from stopkit.errors import InvalidOrder, RemoteError
from stopkit.wire import HttpResponse, compact_json
from stopkit_venues.pacifica import parse, rules, translate
from stopkit_venues.pacifica.simulator import PacificaSimulator
from stopkit_venues.pacifica.stream import PING_FRAME, PacificaStream, subscribe_frame

CORPUS = Path(__file__).resolve().parent
RETRIEVED = "2026-12-03"
NOW_MS = 1_769_555_700_037  # the CCXT request fixture's timestamp


def _corpus(kind: str | None = None) -> Iterator[tuple[str, dict[str, Any]]]:
    for path in sorted(CORPUS.glob("*.json")):
        doc = json.loads(path.read_text())
        if kind is None or doc["kind"] == kind:
            yield path.name, doc


def _cases(kind: str) -> list[Any]:
    return [pytest.param(case, id=f"{name}[{i}]") for name, doc in _corpus(kind) for i, case in enumerate(doc["cases"])]


def _response(case: Mapping[str, Any]) -> HttpResponse:
    if "payload_text" in case:
        return HttpResponse(status=case["http_status"], body=case["payload_text"].encode())
    return HttpResponse(status=case["http_status"], body=json.dumps(case["payload"]).encode())


def _dec(value: Any) -> Decimal | None:
    return None if value is None else Decimal(str(value))


def _normalized(state: OrderState) -> dict[str, Any]:
    # The fields every expectation names, decimals compared by value.
    return {
        "venue_order_id": state.venue_order_id,
        "client_order_id": state.client_order_id,
        "symbol": state.symbol,
        "side": state.side.value,
        "kind": state.kind.value,
        "status": state.status.value,
        "venue_status": state.venue_status,
        "quantity": state.quantity,
        "filled_quantity": state.filled_quantity,
        "stop_price": state.stop_price,
        "limit_price": state.limit_price,
        "reason": state.reason,
    }


def _expected(row: Mapping[str, Any]) -> dict[str, Any]:
    decimals = ("quantity", "filled_quantity", "stop_price", "limit_price")
    return {key: (_dec(value) if key in decimals else value) for key, value in row.items()}


def test_every_file_names_its_source_and_retrieval_date() -> None:
    """Each corpus file says where its payloads come from (an outside URL or repository) and when they were read."""
    names = [name for name, _ in _corpus()]
    assert len(names) >= 14
    for name, doc in _corpus():
        assert doc["retrieved"] == RETRIEVED, name
        assert doc["source"].strip(), name
        assert any(mark in doc["source"] for mark in ("https://", " @")), name
        assert "shared" not in doc["source"], name


# -- parsers ------------------------------------------------------------------------------------


@pytest.mark.parametrize("case", _cases("ws_frame"))
@pytest.mark.parametrize("all_orders", [False, True])
def test_stream_frames_parse_to_their_states(case: Mapping[str, Any], all_orders: bool) -> None:
    """A documented account_order_updates frame: stops only by default (the examples are plain orders: nothing),
    every order with stream_all_orders, each with its real kind and status."""
    bound = stopkit.bind("pacifica", credentials=PacificaSimulator().demo_credentials())
    stream = PacificaStream(bound, ws_url="wss://ws.pacifica.fi/ws", account=case["account"], all_orders=all_orders)
    step = stream.handle_text(json.dumps(case["payload"]))
    expected = case["expected_all_orders"] if all_orders else case["expected_stops_only"]
    assert [_normalized(s) for s in step.updates] == [_expected(row) for row in expected]
    assert (step.error, step.reconnect, step.ready) == (None, None, False)
    assert all(s.raw == row for s, row in zip(step.updates, case["payload"]["data"], strict=False))


def test_session_frames_match_the_documented_ones() -> None:
    """Subscribe and ping are sent as documented; the subscribe confirmation makes the session ready; pong is
    ignored."""
    (_, doc), *_ = _corpus("ws_session")
    bound = stopkit.bind("pacifica", credentials=PacificaSimulator().demo_credentials())
    stream = PacificaStream(bound, ws_url="wss://ws.pacifica.fi/ws", account="42trU9A5...")
    assert json.loads(subscribe_frame("42trU9A5...")) == doc["subscribe"]
    assert json.loads(PING_FRAME) == doc["ping"]
    assert stream.handle_text(json.dumps(doc["subscribe_ack"])).ready
    assert stream.handle_text(json.dumps(doc["pong"])) == stopkit.plugin.StreamStep()


@pytest.mark.parametrize("case", _cases("open_orders"))
def test_open_orders_parse_to_their_states_and_list_only_stops(case: Mapping[str, Any]) -> None:
    """Every open-orders row parses with its real kind; open_orders() lists the stop rows only."""
    rows = parse.parse_open_orders(_response(case))
    assert [_normalized(parse.parse_open_order_row(row)) for row in rows] == [
        _expected(row) for row in case["expected_rows"]
    ]
    bound = stopkit.bind("pacifica", credentials=PacificaSimulator().demo_credentials())
    flow = bound.open_orders_flow()
    next(flow)
    with pytest.raises(StopIteration) as done:
        flow.send(rows)
    assert [_normalized(s) for s in done.value.value] == [_expected(row) for row in case["expected_stops"]]


@pytest.mark.parametrize("case", _cases("history"))
def test_history_pages_parse_to_their_rows_and_states(case: Mapping[str, Any]) -> None:
    """Order history: paging fields, and every row's state."""
    page = parse.parse_history_page(_response(case))
    assert (len(page.rows), page.next_cursor, page.has_more) == (
        case["expected_page"]["rows"],
        case["expected_page"]["next_cursor"],
        case["expected_page"]["has_more"],
    )
    assert [_normalized(parse.parse_history_row(row)) for row in page.rows] == [
        _expected(row) for row in case["expected_rows"]
    ]


@pytest.mark.parametrize("case", _cases("history_by_id"))
def test_history_by_id_parses_to_the_order_state(case: Mapping[str, Any]) -> None:
    """An order's events → its state (the newest event decides); no events → None; reversed order, same state."""
    state = parse.parse_history_by_id(_response(case))
    expected = case["expected"]
    assert (None if state is None else _normalized(state)) == (None if expected is None else _expected(expected))
    reversed_case = {**case, "payload": {**case["payload"], "data": list(reversed(case["payload"]["data"]))}}
    again = parse.parse_history_by_id(_response(reversed_case))
    assert (None if again is None else _normalized(again)) == (None if state is None else _normalized(state))


def _stop_limit() -> StopLimitOrder:
    return StopLimitOrder(symbol="BTC", side="buy", quantity=Decimal("0.004"), stop_price=90000, limit_price=87900)


@pytest.mark.parametrize("case", _cases("create_stop"))
def test_create_answers_parse_or_classify(case: Mapping[str, Any]) -> None:
    """A create answer: the order id (integer or string, bare or in the envelope), or the documented error class
    (a 500 after a create is an unknown outcome)."""
    if "expected_order_id" in case:
        state = parse.parse_place_response(_stop_limit(), _response(case))
        assert (state.venue_order_id, state.status.value) == (case["expected_order_id"], "accepted")
        return
    with pytest.raises(RemoteError) as info:
        parse.parse_place_response(_stop_limit(), _response(case))
    assert type(info.value).__name__ == case["expected_error"]
    assert info.value.outcome_known is case.get("expected_outcome_known", True)
    assert info.value.retryable is case.get("expected_retryable", False)


@pytest.mark.parametrize("case", _cases("cancel_stop"))
def test_cancel_answers_parse_or_classify(case: Mapping[str, Any]) -> None:
    """A cancel answer: {"success": true} with or without data, or "Stop order not found" → OrderNotFound."""
    if case["expected_error"] is None:
        assert parse.parse_cancel_response(_response(case)) is None
        return
    with pytest.raises(RemoteError) as info:
        parse.parse_cancel_response(_response(case))
    assert type(info.value).__name__ == case["expected_error"]


@pytest.mark.parametrize("case", _cases("market_info"))
def test_market_info_parses_to_the_rules_the_check_uses(case: Mapping[str, Any]) -> None:
    """GET /api/v1/info → each market's tick, lot, price bounds and minimum size; a BTC stop that fits passes the
    check, one off the tick is refused naming the field and the nearest valid values."""
    markets = parse.parse_market_info(_response(case))
    for symbol, expected in case["expected_rules"].items():
        found = parse.market_rules(markets, symbol)
        assert found is not None
        assert {k: getattr(found, k) for k in expected} == {k: Decimal(v) for k, v in expected.items()}
    rules.check_market_rules(_stop_limit(), markets)
    with pytest.raises(InvalidOrder, match="nearest valid: 90000 or 90001") as info:
        rules.check_market_rules(StopOrder(symbol="BTC", side="buy", quantity=Decimal("0.004"), stop_price="90000.5"),
                                 markets)  # fmt: skip
    assert info.value.field == "stop_price"


@pytest.mark.parametrize("case", _cases("errors"))
def test_error_answers_classify(case: Mapping[str, Any]) -> None:
    """Every recorded or documented error answer to a write → its error class, retryability and outcome."""
    err = parse.classify_error(_response(case), writes=True)
    assert type(err).__name__ == case["expected_error"], case["payload"]
    assert err.retryable is case.get("expected_retryable", False)
    assert err.outcome_known is case.get("expected_outcome_known", True)
    assert err.venue_message == case["payload"]["error"]


def test_ratelimit_headers_read_as_documented() -> None:
    """The documented headers (values x10): 120 credits left, refresh in 32 s."""
    (_, doc), *_ = _corpus("ratelimit_headers")
    response = HttpResponse(status=429, headers=doc["headers"], body=b'{"error":"Rate limit exceeded","code":429}')
    assert parse.remaining_credits(response) == Decimal(doc["expected_remaining_credits"])
    assert parse.classify_error(response).retry_after_s == doc["expected_retry_after_s"]  # type: ignore[attr-defined]


# -- the simulator against the corpus -----------------------------------------------------------

# Fields a stop carries that the corpus, whose rows are all plain orders, shows only as null: the
# type the docs' field tables give them ("decimal string", "integer", "Full UUID string"); "tp" is
# not in the field table (assumption: the trigger price type, a string).
_DOCUMENTED_TYPES: Mapping[str, str] = {
    "stop_price": "str",
    "stop_parent_order_id": "int",
    "client_order_id": "str",
    "reason": "str",
    "trigger_price_type": "str",
    "sp": "str",
    "I": "str",
    "tp": "str",
    "ip": "str",
}


# Fields the corpus shows only with a value that the simulator may send as null: the last history
# page's next_cursor (assumption: the corpus has only pages with has_more true; CCXT reads the
# field with safe_string, which takes null or absent alike).
_NULLABLE: frozenset[str] = frozenset({"next_cursor"})


def _json_type(value: Any) -> str:
    if value is None:
        return "null"
    return {bool: "bool", int: "int", float: "float", str: "str", list: "list", dict: "dict"}[type(value)]


def _check_shape(sim: Any, corpus: list[Any], path: str) -> None:
    # `sim` has the shape of the corpus values at `path`: an object's keys lie between the keys every
    # corpus object has and the keys any has; every value's JSON type is one the corpus (or, for a
    # field the corpus only shows null, the docs) gives it.
    assert corpus, f"{path}: nothing in the corpus to compare with"
    kind = _json_type(sim)
    if kind == "dict":
        objects = [c for c in corpus if isinstance(c, dict)]
        assert objects, f"{path}: the corpus has no object here"
        union = set().union(*objects)
        common = set.intersection(*(set(o) for o in objects))
        assert common <= set(sim) <= union, f"{path}: keys {sorted(sim)} vs corpus {sorted(common)}..{sorted(union)}"
        for key, value in sim.items():
            _check_shape(value, [o[key] for o in objects if key in o], f"{path}.{key}")
        return
    if kind == "list":
        items = [item for c in corpus if isinstance(c, list) for item in c]
        for index, item in enumerate(sim):
            if items:
                _check_shape(item, items, f"{path}[{index}]")
        return
    allowed = {_json_type(c) for c in corpus}
    field = path.rsplit(".", 1)[-1]
    if allowed == {"null"} and field in _DOCUMENTED_TYPES:
        allowed.add(_DOCUMENTED_TYPES[field])
    if field in _NULLABLE:
        allowed.add("null")
    assert kind in allowed, f"{path}: {kind} {sim!r}, the corpus has {sorted(allowed)}"


def _payloads(kind: str, status: int = 200) -> list[Any]:
    return [
        case["payload"]
        for _, doc in _corpus(kind)
        for case in doc["cases"]
        if case.get("http_status") == status and "payload" in case
    ]


def _envelopes(kind: str) -> list[Any]:
    return [p for p in _payloads(kind) if isinstance(p, dict)]


async def test_simulator_accepts_the_recorded_ccxt_stop_request() -> None:
    """The stop request CCXT recorded on testnet (no client order id, no trigger_price_type) is accepted by the
    simulator (its signature verifies) and answered in the corpus's create shape."""
    (_, doc), *_ = _corpus("create_stop")
    sim = PacificaSimulator(clock=FrozenClock(NOW_MS + 1000).now_ms)
    base = await sim.start()
    try:
        async with aiohttp.ClientSession() as session:
            headers = {"Content-Type": "application/json"}
            async with session.post(base + "/api/v1/orders/stop/create", data=compact_json(doc["request"]),
                                    headers=headers) as resp:  # fmt: skip
                body = await resp.json()
        assert resp.status == 200, body
        _check_shape(body, _payloads("create_stop"), "create")
        (order,) = sim.orders.values()
        assert (order.account, order.stop_price, order.limit_price) == (
            doc["request"]["account"],
            Decimal("90000"),
            Decimal("87900"),
        )
    finally:
        await sim.stop()


async def test_simulator_answers_have_the_corpus_shapes() -> None:
    """Open orders, order history, history by id, market info, create, cancel, an error and the stream (row,
    subscribe confirmation, pong): every simulator answer has the keys and JSON types of the corpus payloads."""
    clock = FrozenClock(NOW_MS)
    sim = PacificaSimulator(clock=clock.now_ms)
    base = await sim.start()
    creds = sim.demo_credentials()
    config = sim.demo_config(base)
    bound = stopkit.bind("pacifica", credentials=creds, config=config)
    account = sim.demo_account
    try:
        async with aiohttp.ClientSession() as session:

            async def get(path: str) -> Any:
                async with session.get(base + path) as resp:
                    assert resp.status == 200, path
                    return await resp.json()

            ws = await session.ws_connect(base.replace("http", "ws", 1) + "/ws")
            await ws.send_str(subscribe_frame(account))
            ack = json.loads((await ws.receive(timeout=2)).data)
            ctx = stopkit.RequestContext(now_ms=NOW_MS)
            order = StopLimitOrder(symbol="BTC", side="sell", position_effect="close", quantity=Decimal("0.1"),
                                   stop_price=48000, limit_price=47950)  # fmt: skip
            create = bound.build_place_request(order, ctx)
            async with session.post(create.url, data=create.body, headers=dict(create.headers)) as resp:
                created = await resp.json()
            row_frame = json.loads((await ws.receive(timeout=2)).data)
            await ws.send_str(PING_FRAME)
            pong = json.loads((await ws.receive(timeout=2)).data)
            await ws.close()
            order_id = str(created["data"]["order_id"])
            open_orders = await get(f"/api/v1/orders?account={account}")
            sim.set_price("BTC", Decimal("47990"))  # trigger and fill: a history with several events
            history = await get(f"/api/v1/orders/history?account={account}")
            events = await get(f"/api/v1/orders/history_by_id?order_id={order_id}")
            info = await get("/api/v1/info")
            payload = translate.cancel_payload("BTC", venue_order_id="999999", client_order_id=None)
            cancel = translate.build_cancel_request(payload, ctx, keys=bound.keys, config=bound.config, api_key=None)  # type: ignore[attr-defined]
            async with session.post(cancel.url, data=cancel.body, headers=dict(cancel.headers)) as resp:
                assert resp.status == 400
                refused = await resp.json()
            second = StopOrder(symbol="BTC", side="sell", position_effect="close", quantity=Decimal("0.1"),
                               stop_price=46000)  # fmt: skip
            again = bound.build_place_request(second, ctx)
            async with session.post(again.url, data=again.body, headers=dict(again.headers)) as resp:
                assert resp.status == 200
            placed = next(o for o in sim.orders.values() if o.stop_price == 46000)
            payload = translate.cancel_payload("BTC", venue_order_id=str(placed.order_id), client_order_id=None)
            cancel = translate.build_cancel_request(payload, ctx, keys=bound.keys, config=bound.config, api_key=None)  # type: ignore[attr-defined]
            async with session.post(cancel.url, data=cancel.body, headers=dict(cancel.headers)) as resp:
                cancelled = await resp.json()
    finally:
        await sim.stop()
    (_, session_doc), *_ = _corpus("ws_session")
    frames = [p for _, d in _corpus("ws_frame") for p in (c["payload"] for c in d["cases"])]
    # The confirmation echoes the subscription's params (CCXT's example is a book subscription's).
    assert set(ack) == set(session_doc["subscribe_ack"])
    assert (ack["channel"], ack["data"]) == ("subscribe", json.loads(subscribe_frame(account))["params"])
    _check_shape(pong, [session_doc["pong"]], "ws.pong")
    _check_shape(row_frame, frames, "ws.account_order_updates")
    _check_shape(created, _payloads("create_stop"), "create")
    _check_shape(open_orders, _envelopes("open_orders"), "open_orders")
    _check_shape(history, _envelopes("history"), "history")
    _check_shape(events, _envelopes("history_by_id"), "history_by_id")
    _check_shape(info, _envelopes("market_info"), "info")
    _check_shape(cancelled, _payloads("cancel_stop"), "cancel")
    errors = [c["payload"] for _, d in _corpus("errors") for c in d["cases"]]
    _check_shape(refused, errors + _payloads("cancel_stop", 400), "cancel.refused")
    assert refused["error"] == "Stop order not found"
    assert len(events["data"]) >= 3
    assert open_orders["data"]
    assert history["data"]


def test_shape_check_catches_a_difference() -> None:
    """The shape check is not vacuous: an extra key, a missing common key and a wrong type are each caught."""
    corpus = [{"a": 1, "b": "x"}, {"a": 2, "b": "y", "c": None}]
    _check_shape({"a": 3, "b": "z"}, corpus, "ok")
    for bad in ({"a": 3, "b": "z", "d": 1}, {"b": "z"}, {"a": "3", "b": "z"}):
        with pytest.raises(AssertionError):
            _check_shape(bad, corpus, "bad")


async def test_watch_orders_fed_the_documented_example_yields_no_stop() -> None:
    """Done-when: a running watch_orders() fed the documented account_order_updates example (a plain limit fill)
    yields no stop order for it; an unknown event type after it does not end the stream."""
    (_, doc), *_ = _corpus("ws_frame")
    sim = PacificaSimulator()
    base = await sim.start()
    updates: list[Any] = []
    ready = asyncio.Event()
    try:
        async with stopkit.connect("pacifica", credentials=sim.demo_credentials(), config=sim.demo_config(base)) as c:

            async def watch() -> None:
                async for update in c.watch_orders(ready=ready):
                    updates.append(update)

            task = asyncio.ensure_future(watch())
            await asyncio.wait_for(ready.wait(), 3)
            row = {**doc["cases"][0]["payload"]["data"][0], "u": sim.demo_account}
            sim.push_order_update(row)
            sim.push_order_update({**row, "i": 1, "oe": "twap_created", "os": "open", "ot": "twap"})
            placed = await c.place(sim.demo_scenario().orders[0])
            for _ in range(300):
                if any(getattr(u, "venue_order_id", None) == placed.venue_order_id for u in updates):
                    break
                await asyncio.sleep(0.01)
            task.cancel()
            with pytest.raises(asyncio.CancelledError):
                await task
    finally:
        await sim.stop()
    assert [u.venue_order_id for u in updates if isinstance(u, OrderState)] == [placed.venue_order_id]
    assert all(u.kind.is_stop for u in updates if isinstance(u, OrderState))


def _error_cases() -> list[Any]:
    kinds = ("errors", "create_stop", "cancel_stop")
    return [
        pytest.param(case, id=f"{name}[{i}]")
        for kind in kinds
        for name, doc in _corpus(kind)
        for i, case in enumerate(doc["cases"])
        if case["http_status"] >= 400
    ]


@pytest.mark.parametrize("case", _error_cases())
def test_refusal_table_knows_exactly_the_documented_refusals(case: Mapping[str, Any]) -> None:
    """Every 4xx error answer of the corpus is a declared refusal of a place and a cancel (the venue did not
    act); a 5xx is not (unknown outcome, reconciled)."""
    from stopkit_venues.pacifica.refusals import REFUSALS

    response = _response(case)
    err = parse.classify_error(response, writes=True)
    refused = {op: any(r.matches(op, response.status, err) for r in REFUSALS) for op in ("place", "cancel")}
    assert refused == dict.fromkeys(("place", "cancel"), response.status < 500)


def test_refusal_table_ignores_an_undocumented_body() -> None:
    """A 400 or 422 whose body is not the venue's envelope (e.g. a proxy's page) is not a refusal; a 429 is."""
    from stopkit_venues.pacifica.refusals import REFUSALS

    for status, refused in ((400, False), (403, False), (422, False), (429, True)):
        response = HttpResponse(status=status, body=b"<html>proxy</html>")
        err = parse.classify_error(response, writes=True)
        assert any(r.matches("place", status, err) for r in REFUSALS) is refused, status
