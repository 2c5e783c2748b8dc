"""B2TRADER contract corpus: the documented examples (corpus.json, each with its source) judge the adapter's
requests, its parsers and the simulator's answers. Where they disagree, the simulator or adapter changes."""

from __future__ import annotations

import json
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest

import stopkit
from stopkit import AccessToken, HttpResponse, OrderKind, OrderStatus, RequestContext, Side, StopOrder, TimeInForce
from stopkit_venues.b2trader import mapping, translate
from stopkit_venues.b2trader.markets import parse_market
from stopkit_venues.b2trader.parse import parse_child_order, parse_stop_response
from stopkit_venues.b2trader.simulator import DEFAULT_MARKETS, B2TraderSimulator
from stopkit_venues.b2trader.stream import RS, B2TraderStream

CORPUS: dict[str, Any] = json.loads((Path(__file__).parent / "corpus.json").read_text(encoding="utf-8"))
CTX = RequestContext(now_ms=1_755_187_645_819, access_token=AccessToken("JWT"))
ACCOUNT = "685a7eaa360f9e7416221a61"


def _bound(**config: Any) -> Any:
    return stopkit.bind(
        "b2trader",
        credentials={"B2TRADER_API_TOKEN": "t", "B2TRADER_ACCOUNT_ID": ACCOUNT},
        config={"base_url": "https://host.invalid"} | config,
    )


def _headers(documented: dict[str, str]) -> dict[str, str]:
    # The documented headers with the placeholders filled as ours are.
    return {k: v.replace("{accountId}", ACCOUNT) for k, v in documented.items()}


def _doc_order() -> StopOrder:
    return StopOrder(
        symbol="spot.btc_usdt",
        side=Side.BUY,
        quantity=Decimal("0.01"),
        stop_price=Decimal("128000"),
        time_in_force=TimeInForce.IOC,
    )


def test_every_entry_names_its_source() -> None:
    """Each corpus entry carries an outside source URL and the retrieval date."""
    entries = {k: v for k, v in CORPUS.items() if not k.startswith("_")}
    assert entries
    for name, entry in entries.items():
        assert entry["source"].startswith("https://"), name
        assert entry["retrieved"] == "2026-12-03", name


@pytest.mark.parametrize("numbers", [True, False])
def test_place_request_matches_the_documented_example(numbers: bool) -> None:
    """The documented example order → the documented path, headers and body (numbers mode: equal JSON)."""
    doc = CORPUS["place_stop_request"]
    request = _bound(decimals_as_numbers=numbers).build_place_request(_doc_order(), CTX)
    assert (request.method, request.url) == (doc["method"], "https://host.invalid" + doc["path"])
    assert dict(request.headers) == _headers(doc["headers"])
    assert list(request.headers) == list(doc["headers"])
    ours = json.loads(request.body, parse_float=Decimal, parse_int=Decimal)
    documented = json.loads(doc["body_text"], parse_float=Decimal, parse_int=Decimal)
    if numbers:
        assert ours == documented
    else:
        assert {k: str(v) for k, v in ours["order"].items()} == {k: str(v) for k, v in documented["order"].items()}


def test_a_gtc_stop_market_is_sent_as_the_documented_ioc() -> None:
    """stopkit's default GTC on a stop-market sends the documented Market stop's Ioc."""
    order = StopOrder(symbol="spot.btc_usdt", side=Side.BUY, quantity=Decimal("0.01"), stop_price=Decimal("128000"))
    assert json.loads(_bound().build_place_request(order, CTX).body)["order"]["timeInForce"] == "Ioc"


def test_place_response_parses() -> None:
    """The documented answer → ACCEPTED stop-market with the documented values."""
    doc = CORPUS["place_stop_response"]
    state = parse_stop_response(HttpResponse(status=doc["status"], body=doc["body_text"].encode()), writes=True)
    assert (state.status, state.kind, state.side) == (OrderStatus.ACCEPTED, OrderKind.STOP_MARKET, Side.BUY)
    assert (state.venue_order_id, state.quantity, state.stop_price, state.limit_price) == (
        "01K2MNC3BVR5WRTBEE9YWAS91K",
        Decimal("0.01"),
        Decimal("128000"),
        None,
    )
    assert set(doc["documented_stop_statuses"]) == set(mapping.STOP_STATUS)


def test_simulator_stop_answer_has_the_documented_shape() -> None:
    """The simulator's place answer has exactly the documented keys, value types and Market requestedPrice "0"."""
    documented = json.loads(CORPUS["place_stop_response"]["body_text"])["order"]
    sim = B2TraderSimulator(clock=lambda: 1_755_187_645_819, seed=1)
    stop = _sim_stop(sim)
    rendered = sim.render_stop(stop)
    assert list(rendered) == list(documented)
    assert {k: type(v) for k, v in rendered.items()} == {k: type(v) for k, v in documented.items()}
    assert rendered["requestedPrice"] == documented["requestedPrice"] == "0"
    assert len(rendered["orderId"]) == len(documented["orderId"])
    assert set(CORPUS["cancel_stop_request"]["response_fields"]) == set(rendered)


def _sim_stop(sim: B2TraderSimulator) -> Any:
    # A stop held by the simulator, as its place handler creates it.
    from stopkit_venues.b2trader.simulator import _Stop

    now = sim._timestamp()
    return _Stop(
        order_id=sim._new_id(),
        account_id=ACCOUNT,
        market_id="spot.btc_usdt",
        side="Buy",
        order_type="Market",
        activation_price=Decimal("128000"),
        requested_amount=Decimal("0.01"),
        requested_price=None,
        time_in_force="Ioc",
        status="WaitingForActivation",
        created_at=now,
        updated_at=now,
    )


def test_cancel_stop_request_matches_the_documented_example() -> None:
    """DELETE stop: the documented path and the four headers, in order, no body."""
    doc = CORPUS["cancel_stop_request"]
    request = _bound().build_cancel_request("01K2MNGAWPMQJ7WGATFSCAS1G4", CTX)
    assert (request.method, request.url) == (doc["method"], "https://host.invalid" + doc["path"])
    assert list(request.headers.items()) == list(_headers(doc["headers"]).items())
    assert request.body is None


def test_cancel_order_request_matches_the_documented_example() -> None:
    """DELETE regular order (an activated stop's child): the documented path and three headers, no body."""
    doc = CORPUS["cancel_order_request"]
    request = translate.build_order_cancel_request(
        "01K2PF9XS29WN4JZRHMCTTQYJB", base_url="https://host.invalid", account_id=ACCOUNT, token=CTX.access_token
    )
    assert (request.method, request.url) == (doc["method"], "https://host.invalid" + doc["path"])
    assert list(request.headers.items()) == list(_headers(doc["headers"]).items())
    assert set(doc["documented_statuses"]) <= set(mapping.CHILD_ORDER_STATUS)


def test_get_market_request_and_simulator_fields() -> None:
    """Get market: documented path and headers; the simulator's markets carry exactly the documented fields,
    of the documented types and ranges, and parse without a problem."""
    doc = CORPUS["get_market"]
    request = translate.build_market_request("spot.btc_usdt", base_url="https://host.invalid", token=CTX.access_token)
    assert request.url == "https://host.invalid" + doc["path"].replace("{marketId}", "spot.btc_usdt")
    assert list(request.headers.items()) == list(doc["headers"].items())
    kinds = {"string": str, "integer": int, "decimal string": str, "null": type(None)}
    for market in DEFAULT_MARKETS:
        assert list(market) == list(doc["fields"])
        for field, declared in doc["fields"].items():
            allowed = tuple(kinds[k] for k in declared.split("|"))
            assert isinstance(market[field], allowed), (market["marketId"], field)
        low, high = doc["ranges"]["priceScale"]
        assert low <= market["priceScale"] <= high
        if market["marketId"].startswith("spot."):
            assert parse_market(market, market_id=market["marketId"]).problem is None


def test_simulator_account_is_the_documented_one() -> None:
    """The simulator's default account is the first account of the documented Get accounts answer."""
    accounts = json.loads(CORPUS["get_accounts_response"]["body_text"])
    assert B2TraderSimulator().account_id == accounts[0]["accountId"]


def test_subscribe_message_matches_the_documented_one() -> None:
    """After the handshake answer, the subscription is the documented message for our account."""
    doc = CORPUS["ws_subscribe"]
    bound = stopkit.bind(
        "b2trader",
        credentials={"B2TRADER_API_TOKEN": "t", "B2TRADER_ACCOUNT_ID": doc["message"]["arguments"][0]},
        config={"base_url": "https://host.invalid"},
    )
    stream = bound.stream()
    assert isinstance(stream, B2TraderStream)
    request = stream.connect_request(CTX)
    assert request.url == "wss://host.invalid" + doc["url"].replace("{traderToken}", "JWT")
    step = stream.handle_text("{}" + RS)
    assert [json.loads(frame.rstrip(RS)) for frame in step.send] == [doc["message"]]


def test_documented_stream_item_parses_and_the_simulator_matches_its_shape() -> None:
    """The documented item parses (a CFD order, Pending); the simulator's child rows have the same keys and
    types, and only documented item statuses."""
    doc = CORPUS["ws_open_orders_item"]
    documented = json.loads(doc["text"])["item"][0]
    state = parse_child_order(documented)
    assert (state.status, state.venue_status, state.kind) == (OrderStatus.TRIGGERED, "Pending", OrderKind.LIMIT)
    assert set(doc["documented_item_statuses"]) == mapping.OPEN_CHILD_STATUSES
    sim = B2TraderSimulator(clock=lambda: 1_755_187_645_819, seed=1)
    sim.set_price("spot.btc_usdt", Decimal("120000"))
    stop = _sim_stop(sim)
    stop.order_type, stop.requested_price, stop.time_in_force = "Limit", Decimal("119000"), "Gtc"
    sim.stops[stop.order_id] = stop
    sim.set_price("spot.btc_usdt", Decimal("128050"))
    row = sim.child_of(stop.order_id)
    assert row is not None
    assert list(row) == list(documented)
    assert {k: type(v) for k, v in row.items()} == {k: type(v) for k, v in documented.items()}
    assert row["status"] in doc["documented_item_statuses"]
    assert row["marketType"] in doc["documented_market_types"]
