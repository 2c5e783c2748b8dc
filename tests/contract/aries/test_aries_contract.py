"""Aries contract corpus: documented payloads (each file names its source and retrieval date) judge both
stopkit's parsers and the simulator. Where the corpus and the simulator disagree, the simulator changes."""

from __future__ import annotations

import json
import sys
from decimal import Decimal
from pathlib import Path
from typing import Any
from urllib.parse import parse_qsl

import pytest
from finance_dev import models as sdk

import stopkit
from stopkit.context import AccessToken, RequestContext
from stopkit.errors import UnknownVenueValue
from stopkit.orders import StopLimitOrder, StopOrder
from stopkit.state import OrderStatus
from stopkit.venue import Amendment, Credentials
from stopkit.wire import HttpResponse
from stopkit_venues.aries import VENUE, auth, parse, translate
from stopkit_venues.aries.adapter import AriesBoundVenue
from stopkit_venues.aries.simulator import AriesSimulator
from stopkit_venues.aries.stream import AriesStream

sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "venues" / "aries"))
from sdk_oracle import check_client_frame, check_model, check_response  # the shared SDK judge

HERE = Path(__file__).resolve().parent
CTX = RequestContext(now_ms=1_768_487_400_000, access_token=AccessToken("tok"))


def _load(name: str) -> dict[str, Any]:
    return dict(json.loads((HERE / name).read_text()))


def _bound(account: str = "TEST-ACCOUNT-001", **config: Any) -> AriesBoundVenue:
    creds = {"ARIES_CLIENT_ID": "cid", "ARIES_CLIENT_SECRET": "sec", "ARIES_ACCOUNT_ID": account}
    return VENUE.bind(Credentials("aries", creds), config)


def _types(value: dict[str, Any]) -> dict[str, type]:
    return {key: type(item) for key, item in value.items()}


def test_every_corpus_file_names_its_source_and_date() -> None:
    """Each payload file carries a source (URL or SDK file) and the retrieval date."""
    files = sorted(HERE.glob("*.json"))
    assert len(files) >= 7
    for path in files:
        data = json.loads(path.read_text())
        assert ("finance.dev" in data["source"]) or ("finance-dev" in data["source"]) or ("SDK" in data["source"])
        assert data["retrieved"] == "2026-12-03"


def test_place_response_parses_and_the_simulator_answers_alike() -> None:
    """The documented OrdResponse is ACCEPTED with its clOrdId; the SDK accepts it; the simulator's ack has the
    same fields with the same JSON types."""
    doc = _load("rest_place_order_response_docs.json")
    body = json.dumps(doc["payload"]).encode()
    order = StopOrder(symbol="AAPL", side="buy", quantity=Decimal(100), stop_price=Decimal(160), time_in_force="day")
    state = _bound().parse_place_response(order, HttpResponse(status=200, body=body))
    assert (state.venue_order_id, state.status, state.venue_status) == (
        "ORDER-20260115-001",
        OrderStatus.ACCEPTED,
        "NEW",
    )
    assert (state.remaining_quantity, state.average_fill_price) == (Decimal(100), None)
    check_response("POST", "https://api.aries.com/v1/orders", 200, body)


async def test_simulator_place_ack_matches_the_documented_shape() -> None:
    """The simulator's place acknowledgement has exactly the documented keys and JSON types."""
    doc = _load("rest_place_order_response_docs.json")["payload"]
    ack = await _sim_call("POST", "/v1/orders", {"symbol": "AAPL", "side": "BUY", "type": "STOP", "qty": "100",
                                                 "stopPrice": "160", "timeInForce": "DAY"})  # fmt: skip
    assert _types(ack) == _types(doc)


def test_documented_trade_order_is_not_a_stop_and_contradicts_two_sdk_enums() -> None:
    """The docs' TradeOrderV2 example is a LIMIT order (never read as a stop); its exDestination is not an SDK
    value (recorded as a contradiction); a STOP_LIMIT row of the same shape parses with fills and prices."""
    row = _load("rest_trade_order_v2_docs.json")["payload"]
    with pytest.raises(UnknownVenueValue) as info:
        parse.parse_trade_order(row)
    assert info.value.field == "type"
    with pytest.raises(AssertionError, match="exDestination"):
        check_model(sdk.TradeOrderV2, row)
    stop = {**row, "type": "STOP_LIMIT", "stopPrice": "176", "ordStatus": "PARTIALLY_FILLED", "cumQty": "40",
            "leavesQty": "60", "avgPrice": "175.75"}  # fmt: skip
    state = parse.parse_trade_order(stop)
    assert (state.status, state.filled_quantity, state.remaining_quantity) == (
        OrderStatus.PARTIALLY_FILLED, Decimal(40), Decimal(60)
    )  # fmt: skip
    assert (state.limit_price, state.stop_price, state.average_fill_price) == (
        Decimal("175.50"), Decimal(176), Decimal("175.75")
    )  # fmt: skip
    assert state.client_order_id is None  # clientId "demo-oauth-client" is the OAuth application


async def test_simulator_rows_match_the_documented_shape() -> None:
    """A simulator row has the documented TradeOrderV2 keys with the same JSON types (values per the SDK enums)."""
    doc = _load("rest_trade_order_v2_docs.json")["payload"]
    row = await _sim_row()
    assert set(row) == set(doc)
    assert _types(row) == _types(doc)
    assert (row["exDestination"], row["category"], row["securityType"]) == ("MNGD", "EQUITY", "EQUITY")


@pytest.mark.parametrize(
    "case",
    _load("rest_cancel_order_docs.json")["cases"],
    ids=lambda c: str(c.get("expected_status") or c.get("expected_error")),
)
def test_cancel_request_and_answers(case: dict[str, Any]) -> None:
    """Our cancel body equals the documented example; each answer becomes the documented status or refusal."""
    doc = _load("rest_cancel_order_docs.json")
    request = translate.build_cancel_request(
        CTX, base_url="https://api.aries.com", account_id="TEST-ACCOUNT-001", orig_cl_ord_id="ORDER-123456",
        symbol="AAPL", side="BUY", security_type="CS",
    )  # fmt: skip
    assert request.json() == doc["request"]
    assert list(request.json()) == list(doc["request"])
    found = _bound().parse_trade_order(
        {"clOrdId": "ORDER-123456", "symbol": "AAPL", "side": "BUY", "type": "STOP", "qty": "1", "stopPrice": "1",
         "ordStatus": "NEW"}
    )  # fmt: skip
    response = HttpResponse(status=case["http_status"], body=json.dumps(case["payload"]).encode())
    check_response("POST", request.url, response.status, response.body)
    if "expected_error" in case:
        with pytest.raises(getattr(stopkit, case["expected_error"])):
            parse.parse_cancel_response(found, response)
    else:
        state = parse.parse_cancel_response(found, response)
        assert state.status is OrderStatus[case["expected_status"]]
        assert state.venue_order_id == "ORDER-123456"


def test_replace_answer_and_our_replace_body() -> None:
    """The documented replace answer gives the new clOrdId; our replace body uses the documented field names."""
    doc = _load("rest_replace_order_docs.json")
    venue = _bound()
    previous = venue.parse_trade_order(
        {"clOrdId": "ORDER-123456", "symbol": "AAPL", "side": "BUY", "type": "STOP_LIMIT", "qty": "20",
         "stopPrice": "145.00", "price": "148.50", "ordStatus": "NEW", "cumQty": "0"}
    )  # fmt: skip
    answer = HttpResponse(status=200, body=json.dumps(doc["payload"]).encode())
    check_response("POST", "https://api.aries.com/v1/orders/replace", 200, answer.body)
    state = parse.parse_replace_response(previous, Amendment(limit_price=Decimal("150.00")), answer)
    assert (state.venue_order_id, state.status, state.limit_price) == ("ORDER-123457", OrderStatus.ACCEPTED,
                                                                       Decimal("150.00"))  # fmt: skip
    ours = venue._replace_request(previous, Amendment(limit_price=Decimal("150")), CTX).json()
    assert set(ours) <= set(doc["request"])
    assert [k for k in doc["request"] if k in ours] == list(ours)  # the documented order


def test_token_answer_and_the_sdks_token_request() -> None:
    """The documented token answer parses (3600 s); our request equals the SDK's captured one for the same scope;
    the simulator's answer has the documented fields."""
    doc = _load("rest_oauth2_token_docs.json")
    grant = auth.parse_token_response(HttpResponse(status=200, body=json.dumps(doc["payload"]).encode()))
    assert (grant.expires_in_s, grant.refresh_token) == (3600.0, doc["payload"]["refresh_token"])
    exchange = _bound(token_scope="order:execution").token_exchange(None)
    assert exchange is not None
    request = exchange.build(CTX)
    sdk_request = doc["sdk_request"]
    assert (request.method, request.url) == (sdk_request["method"], sdk_request["url"])
    assert request.headers["Content-Type"] == sdk_request["content_type"]
    assert parse_qsl((request.body or b"").decode()) == parse_qsl(sdk_request["body"])


async def test_simulator_token_answer_matches_the_documented_fields() -> None:
    """The simulator's token answer has exactly the documented fields and types."""
    doc = _load("rest_oauth2_token_docs.json")["payload"]
    sim = AriesSimulator()
    base = await sim.start()
    try:
        import aiohttp

        form = {"grant_type": "client_credentials", "client_id": sim.client_id, "client_secret": sim.client_secret}
        async with aiohttp.ClientSession() as session, session.post(base + "/v1/oauth2/token", data=form) as answer:
            body = await answer.json()
    finally:
        await sim.stop()
    assert _types(body) == _types(doc)


@pytest.mark.parametrize(
    "case", _load("rest_errors_sdk.json")["cases"], ids=lambda c: f"{c['http_status']}-{c['expected_code']}"
)
def test_error_shapes(case: dict[str, Any]) -> None:
    """Both documented error shapes map to the stopkit error, code kept; server-side types are unavailability."""
    response = HttpResponse(status=case["http_status"], body=json.dumps(case["payload"]).encode())
    check_response("POST", "https://api.aries.com/v1/orders", response.status, response.body)
    error = parse.classify_error(response, writes=True)
    assert type(error).__name__ == case["expected_error"]
    assert error.venue_code == case["expected_code"]
    if case["expected_error"] == "VenueUnavailable":
        assert error.outcome_known is False


def test_websocket_frames_against_the_docs_and_the_sdk() -> None:
    """Our /auth and subscribe frames have the SDK's shapes (the docs' example differs only in 'post' case and the
    id); every documented refusal ends the attempt with AuthenticationError; notices ask for re-auth/reconnect."""
    doc = _load("ws_account_updates_docs.json")
    stream = _bound("ACC123456").stream()
    assert isinstance(stream, AriesStream)
    ctx = RequestContext(now_ms=0, access_token=AccessToken("YOUR_ACCESS_TOKEN"))
    stream.connect_request(ctx)
    ours = json.loads(stream.open_frames(ctx)[0])
    check_client_frame(json.dumps(ours))
    assert ours["payload"] == doc["sdk_auth_request"]["payload"]
    assert {**ours["payload"], "method": "post"} == doc["docs_auth_request"]["payload"]
    auth_id = ours["id"]
    success = {**doc["auth_success"], "id": auth_id}
    (subscribe,) = stream.handle_text(json.dumps(success)).send
    assert json.loads(subscribe)["payload"] == doc["sdk_subscribe"]["payload"]
    for refusal in doc["refusals"]:
        fresh = _bound("ACC123456").stream()
        assert isinstance(fresh, AriesStream)
        fresh.connect_request(ctx)
        fresh_id = json.loads(fresh.open_frames(ctx)[0])["id"]
        message = {**refusal, "id": fresh_id} if "id" in refusal else refusal
        step = fresh.handle_text(json.dumps(message))
        assert isinstance(step.error, stopkit.AuthenticationError), refusal
    refresh, expired = doc["session_notices"]
    assert stream.handle_text(json.dumps(refresh)).reauth
    assert stream.handle_text(json.dumps(expired)).reconnect


async def test_simulator_accepts_the_docs_lowercase_auth_method() -> None:
    """The docs' example sends method "post": the simulator accepts it as the SDK's "POST"."""
    import aiohttp

    doc = _load("ws_account_updates_docs.json")
    sim = AriesSimulator()
    base = await sim.start()
    try:
        async with stopkit.connect("aries", credentials=sim.demo_credentials(), config=sim.demo_config(base)) as c:
            token = await c._current_token()
        assert token is not None
        request = json.loads(json.dumps(doc["docs_auth_request"]).replace("YOUR_ACCESS_TOKEN", token.value))
        async with (
            aiohttp.ClientSession() as session,
            session.ws_connect(base.replace("http", "ws") + "/v1/accounts/ws") as ws,
        ):
            await ws.send_str(json.dumps(request))
            answer = json.loads((await ws.receive(timeout=2)).data)
    finally:
        await sim.stop()
    assert answer == doc["auth_success"]


# -- helpers talking to a served simulator ------------------------------------------------------


async def _sim_call(method: str, path: str, body: dict[str, Any]) -> dict[str, Any]:
    # One call on a fresh simulator with a fresh token; the answer's JSON.
    import aiohttp

    sim = AriesSimulator()
    base = await sim.start()
    try:
        async with stopkit.connect("aries", credentials=sim.demo_credentials(), config=sim.demo_config(base)) as c:
            token = await c._current_token()
        assert token is not None
        headers = {"Authorization": f"Bearer {token.value}"}
        payload = {"tradingAccountId": sim.account_id, **body}
        async with (
            aiohttp.ClientSession() as session,
            session.request(method, base + path, json=payload, headers=headers) as answer,
        ):
            return dict(await answer.json())
    finally:
        await sim.stop()


async def _sim_row() -> dict[str, Any]:
    # A STOP_LIMIT row as the simulator lists it.
    sim = AriesSimulator()
    order = StopLimitOrder(symbol="AAPL", side="sell", quantity=Decimal(100), stop_price=Decimal(145),
                           limit_price=Decimal("144.5"), time_in_force="day")  # fmt: skip
    base = await sim.start()
    try:
        async with stopkit.connect("aries", credentials=sim.demo_credentials(), config=sim.demo_config(base)) as c:
            placed = await c.place(order)
            return dict(sim.render(sim._orders[str(placed.venue_order_id)]))
    finally:
        await sim.stop()
