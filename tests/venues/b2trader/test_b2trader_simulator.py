"""B2TRADER end to end: stopkit.connect against the simulator on 127.0.0.1, and the simulator's own checks."""

from __future__ import annotations

import asyncio
import json
from datetime import UTC, datetime, timedelta, timezone
from decimal import Decimal
from typing import Any

import aiohttp
import attrs
import b2trader_support as support
import jwt
import pytest

import stopkit
from stopkit import (
    AuthenticationError,
    FrozenClock,
    InvalidOrder,
    OrderNotFound,
    OrderRejected,
    OrderStatus,
    OutcomeUnknown,
    RateLimited,
    Side,
    StopLimitOrder,
    StopOrder,
    TimeInForce,
    TransportError,
    UnsupportedOrder,
    VenueUnavailable,
)
from stopkit.retry import RetryPolicy
from stopkit.testing.simkit import Fault
from stopkit_venues.b2trader.simulator import B2TraderSimulator


@pytest.fixture
def b2t() -> type[support.B2TData]:
    """Constants and helpers of the B2TRADER tests."""
    return support.B2TData


NO_BACKOFF = RetryPolicy(backoff=False)
STOP_PATH = "/frontoffice/api/v3/stop-orders"
MARKETS = "/frontoffice/api/v5/markets"
CT = "application/json; x-api-version=4.0"


async def _start(serve_app, **kwargs: Any) -> tuple[B2TraderSimulator, str]:
    sim = B2TraderSimulator(**kwargs)
    server = await serve_app(sim.make_app())
    return sim, server.base_url


def _connect(sim: B2TraderSimulator, base_url: str, **kwargs: Any) -> stopkit.VenueClient:
    credentials = sim.demo_credentials() | kwargs.pop("credentials", {})
    config = sim.demo_config(base_url) | kwargs.pop("config_extra", {})
    return stopkit.connect("b2trader", credentials=credentials, config=config, retry=NO_BACKOFF, **kwargs)


# -- through stopkit.connect ----------------------------------------------------------------


async def test_demo_scenario_end_to_end(served) -> None:
    """Both documented kinds: ACCEPTED, still armed near the stop, Activated/TRIGGERED through it."""
    sim, base_url = await _start(served)
    scenario = sim.demo_scenario()
    sim.set_price(scenario.symbol, scenario.start_price)
    async with _connect(sim, base_url) as client:
        placed = [await client.place(order) for order in scenario.orders]
        bound = client.venue
    assert [p.kind.value for p in placed] == ["stop-limit", "stop-market"]
    for state, order in zip(placed, scenario.orders, strict=True):
        assert state.status is OrderStatus.ACCEPTED
        assert state.venue_status == "WaitingForActivation"
        assert state.client_order_id == order.client_order_id
        assert state.symbol == "spot.btc_usdt"
        assert state.stop_price == Decimal("128000")
        assert len(state.venue_order_id or "") == 26
    assert placed[0].limit_price == Decimal("128100")
    assert sim.tokens_issued == 1  # one exchange, reused

    sim.set_price(scenario.symbol, scenario.near_price)
    for state in placed:
        assert sim.book_state(bound, state.venue_order_id).status is OrderStatus.ACCEPTED
        assert sim.child_of(state.venue_order_id) is None

    sim.set_price(scenario.symbol, scenario.through_price)
    for state in placed:
        after = sim.book_state(bound, state.venue_order_id)
        assert after.status is OrderStatus.TRIGGERED
        assert after.venue_status == "Activated"
        child = sim.child_of(state.venue_order_id)
        assert child is not None
        assert child["source"] == "StopOrder"
        assert child["orderId"] != state.venue_order_id
        child_state = bound.parse_child_order(child)
        assert child_state.status is OrderStatus.FILLED
        assert child_state.filled_quantity == Decimal("0.01")
        assert child["executionPrice"] == "128050.01"  # a Buy fills at the best ask: mid + one tick


async def test_cancel_a_fresh_stop(served) -> None:
    """DELETE a WaitingForActivation stop → CANCELED; the book agrees; it no longer triggers. Cancelling it
    again returns the CANCELED state; a client that never saw it gets the venue's refusal."""
    sim, base_url = await _start(served)
    sim.set_price("spot.btc_usdt", Decimal("120000"))
    async with _connect(sim, base_url) as client:
        placed = await client.place(sim.demo_scenario().orders[0])
        canceled = await client.cancel(venue_order_id=placed.venue_order_id)
        assert canceled.status is OrderStatus.CANCELED
        assert canceled.venue_order_id == placed.venue_order_id
        assert canceled.client_order_id == placed.client_order_id  # carried forward: the answer has none
        assert canceled.raw["cancellationDate"] is not None
        assert sim.book_state(client.venue, placed.venue_order_id).status is OrderStatus.CANCELED
        sim.set_price("spot.btc_usdt", Decimal("130000"))
        assert sim.child_of(placed.venue_order_id) is None
        again = await client.cancel(venue_order_id=placed.venue_order_id)
        assert (again.status, again.venue_order_id) == (OrderStatus.CANCELED, placed.venue_order_id)
    async with _connect(sim, base_url) as stranger:
        with pytest.raises(OrderRejected, match="already cancelled"):
            await stranger.cancel(venue_order_id=placed.venue_order_id)


async def test_cancel_unknown_and_activated(served) -> None:
    """Unknown id → OrderNotFound; an Activated stop cannot be cancelled → OrderRejected."""
    sim, base_url = await _start(served)
    async with _connect(sim, base_url) as client:
        with pytest.raises(OrderNotFound):
            await client.cancel(venue_order_id="01K2MNGAWPMQJ7WGATFSCAS1G4")
        placed = await client.place(sim.demo_scenario().orders[0])
        sim.set_price("spot.btc_usdt", Decimal("128000"))  # at the stop: a Buy stop activates
        with pytest.raises(OrderRejected, match="Activated"):
            await client.cancel(venue_order_id=placed.venue_order_id)


async def test_sell_stop_triggers_on_the_way_down(served) -> None:
    """A Sell stop stays armed above its price and activates at or below it (order-types guide)."""
    sim, base_url = await _start(served)
    sim.set_price("spot.eth_usdt", Decimal("3000"))
    order = StopOrder(symbol="ETH/USDT", side=Side.SELL, quantity=Decimal("1.5"), stop_price=Decimal("2900"))
    async with _connect(sim, base_url) as client:
        placed = await client.place(order)
        assert (placed.symbol, placed.venue_symbol) == ("ETH/USDT", "spot.eth_usdt")
        sim.set_price("spot.eth_usdt", Decimal("3100"))
        assert sim.book_state(client.venue, placed.venue_order_id).status is OrderStatus.ACCEPTED
        sim.set_price("spot.eth_usdt", Decimal("2900"))
        assert sim.book_state(client.venue, placed.venue_order_id).status is OrderStatus.TRIGGERED


async def test_wrong_side_stop_activates_at_once(served) -> None:
    """A Buy stop below the market activates on placement (order-types guide)."""
    sim, base_url = await _start(served)
    sim.set_price("spot.btc_usdt", Decimal("130000"))
    async with _connect(sim, base_url) as client:
        placed = await client.place(sim.demo_scenario().orders[0])
    assert placed.status is OrderStatus.TRIGGERED
    assert placed.venue_status == "Activated"


async def test_stop_limit_rests_until_the_limit_is_reachable(served) -> None:
    """Gtc stop-limit: activated above the limit → child Working; the price comes back → Completed."""
    sim, base_url = await _start(served)
    order = StopLimitOrder(
        symbol="BTC/USDT",
        side=Side.BUY,
        quantity=Decimal("0.02"),
        stop_price=Decimal("128000"),
        limit_price=Decimal("128010"),
    )
    async with _connect(sim, base_url) as client:
        placed = await client.place(order)
        sim.set_price("spot.btc_usdt", Decimal("128050"))
        assert sim.book_state(client.venue, placed.venue_order_id).status is OrderStatus.TRIGGERED
        child = sim.child_of(placed.venue_order_id)
        assert child is not None
        assert child["status"] == "Working"
        assert client.venue.parse_child_order(child).status is OrderStatus.TRIGGERED
        sim.set_price("spot.btc_usdt", Decimal("128005"))
        child = sim.child_of(placed.venue_order_id)
        assert child is not None
        assert child["status"] == "Completed"
        assert child["executionPrice"] == "128005.01"  # the best ask, at or below the limit


async def test_ioc_stop_limit_that_cannot_fill_is_cancelled(served) -> None:
    """An Ioc limit child that cannot fill at activation does not rest."""
    sim, base_url = await _start(served)
    order = StopLimitOrder(
        symbol="BTC/USDT",
        side=Side.BUY,
        quantity=Decimal("0.01"),
        stop_price=Decimal("128000"),
        limit_price=Decimal("128010"),
        time_in_force=TimeInForce.IOC,
    )
    async with _connect(sim, base_url) as client:
        placed = await client.place(order)
        sim.set_price("spot.btc_usdt", Decimal("128500"))
        child = sim.child_of(placed.venue_order_id)
        assert child is not None
        assert client.venue.parse_child_order(child).status is OrderStatus.CANCELED


async def test_gtd_order_accepted_and_past_date_refused(served) -> None:
    """Gtd with a future cancellationDate is accepted; one in the past is a 400 → OrderRejected."""
    clock = FrozenClock(1_755_187_645_819)
    sim, base_url = await _start(served, clock=clock.now_ms)
    start = datetime.fromtimestamp(clock.ms / 1000, tz=UTC)
    future = StopLimitOrder(
        symbol="BTC/USDT",
        side=Side.BUY,
        quantity=Decimal("0.01"),
        stop_price=Decimal("128000"),
        limit_price=Decimal("128100"),
        time_in_force=TimeInForce.GTD,
        expire_at=start + timedelta(days=1),
    )
    past = StopLimitOrder(
        symbol="BTC/USDT",
        side=Side.BUY,
        quantity=Decimal("0.01"),
        stop_price=Decimal("128000"),
        limit_price=Decimal("128100"),
        time_in_force=TimeInForce.GTD,
        expire_at=start - timedelta(seconds=1),
    )
    async with _connect(sim, base_url, clock=clock) as client:
        assert (await client.place(future)).raw["timeInForce"] == "Gtd"
        with pytest.raises(OrderRejected, match="cancellationDate must be in the future"):
            await client.place(past)


async def test_unknown_market_is_placed_unchecked_and_refused_by_the_venue(served, caplog) -> None:
    """Get market answers 404 for an unlisted market: the order is still sent (a warning logged once),
    and the venue's own refusal (400) is what the caller sees."""
    sim, base_url = await _start(served)
    order = StopOrder(symbol="DOGE/USDT", side=Side.BUY, quantity=Decimal("10"), stop_price=Decimal("1"))
    async with _connect(sim, base_url) as client:
        for _ in range(2):
            with pytest.raises(OrderRejected, match=r"spot\.doge_usdt"):
                await client.place(order)
    warnings = [r for r in caplog.records if "could not be read" in r.getMessage()]
    assert len(warnings) == 1
    assert "spot.doge_usdt" in warnings[0].getMessage()
    assert sim.stops == {}


async def test_wrong_api_token_is_an_authentication_error(served) -> None:
    """The simulator refuses the API token (401) → AuthenticationError; nothing placed."""
    sim, base_url = await _start(served)
    async with _connect(sim, base_url, credentials={"B2TRADER_API_TOKEN": "not-the-token"}) as client:
        with pytest.raises(AuthenticationError) as excinfo:
            await client.place(sim.demo_scenario().orders[0])
    assert excinfo.value.http_status == 401
    assert excinfo.value.raw_body is None
    assert sim.stops == {}


async def test_wrong_account_id_is_an_unknown_outcome_classified_as_403(served) -> None:
    """An accountId the token does not cover → 403 to the place. A 403 is no refusal declared for B2TRADER
    (venues/b2trader/refusals.py), so the outcome is unknown, the AuthenticationError kept; nothing placed."""
    sim, base_url = await _start(served)
    async with _connect(sim, base_url, credentials={"B2TRADER_ACCOUNT_ID": "6891e70db552ff9c6fbbccf5"}) as client:
        with pytest.raises(OutcomeUnknown) as excinfo:
            await client.place(sim.demo_scenario().orders[0])
    assert excinfo.value.http_status == 403
    assert isinstance(excinfo.value.classified, AuthenticationError)
    assert sim.stops == {}


async def test_expired_token_is_re_exchanged_before_use(served) -> None:
    """The client reads the JWT exp and exchanges again once the hour is (nearly) over."""
    clock = FrozenClock(1_755_187_645_819)
    sim, base_url = await _start(served, clock=clock.now_ms)
    async with _connect(sim, base_url, clock=clock) as client:
        await client.place(sim.demo_scenario().orders[0])
        clock.advance(30 * 60 * 1000)
        await client.place(sim.demo_scenario().orders[0])
        assert sim.tokens_issued == 1
        clock.advance(31 * 60 * 1000)
        await client.place(sim.demo_scenario().orders[0])
        assert sim.tokens_issued == 2
    assert len(sim.stops) == 3


async def test_revoked_token_is_refreshed_once_on_401(served) -> None:
    """A 401 on a stop endpoint → one re-exchange, no resend (a 401 is no documented refusal and a stop
    cannot be looked up): outcome unknown; the next order uses the new token."""
    sim, base_url = await _start(served)
    async with _connect(sim, base_url) as client:
        await client.place(sim.demo_scenario().orders[0])
        sim.revoke_tokens()
        with pytest.raises(OutcomeUnknown):
            await client.place(sim.demo_scenario().orders[1])
        placed = await client.place(sim.demo_scenario().orders[1])
    assert placed.status is OrderStatus.ACCEPTED
    assert sim.tokens_issued == 2
    assert len(sim.stops) == 2


async def test_demo_config_and_credentials() -> None:
    """demo_config points base_url at the simulator; demo credentials are the two variables."""
    sim = B2TraderSimulator()
    assert sim.demo_config("http://127.0.0.1:1234")["base_url"] == "http://127.0.0.1:1234"
    assert set(sim.demo_credentials()) == {"B2TRADER_API_TOKEN", "B2TRADER_ACCOUNT_ID"}
    scenario = sim.demo_scenario()
    assert scenario.symbol == "spot.btc_usdt"
    assert scenario.start_price < scenario.near_price < Decimal("128000") <= scenario.through_price


def test_book_state_of_unknown_order() -> None:
    """book_state on an id the simulator never issued → OrderNotFound."""
    sim = B2TraderSimulator()
    bound = stopkit.bind("b2trader", credentials=sim.demo_credentials(), config=sim.demo_config("http://x.invalid"))
    with pytest.raises(OrderNotFound):
        sim.book_state(bound, "01K2MNC3BVR5WRTBEE9YWAS91K")


# -- the simulator's own strictness (raw HTTP) ------------------------------------------------


async def _raw(
    session: aiohttp.ClientSession, method: str, url: str, *, headers: dict[str, str], body: Any = None
) -> tuple[int, Any, dict[str, str]]:
    data = None if body is None else (body if isinstance(body, bytes) else json.dumps(body).encode())
    async with session.request(method, url, headers=headers, data=data) as response:
        text = await response.read()
        parsed = json.loads(text) if text else None
        return response.status, parsed, dict(response.headers)


@pytest.fixture
async def raw_sim(served):
    """(simulator, base_url, session, valid stop headers); the simulator's clock is ``sim.test_clock``."""
    clock = FrozenClock(1_755_187_645_819)
    sim, base_url = await _start(served, clock=clock.now_ms)
    sim.test_clock = clock  # type: ignore[attr-defined]
    async with aiohttp.ClientSession() as session:
        status, answer, _ = await _raw(
            session,
            "POST",
            base_url + "/frontoffice/api/v4/access-token",
            headers={"Content-Type": "application/json"},
            body={"token": sim.api_token},
        )
        assert status == 200
        headers = {
            "Authorization": f"Bearer {answer['accessToken']}",
            "accountId": sim.account_id,
            "Content-Type": CT,
            "Accept": "*/*",
        }
        yield sim, base_url, session, headers


def _doc_body(**changes: Any) -> dict[str, Any]:
    order: dict[str, Any] = {
        "marketId": "spot.btc_usdt",
        "side": "Buy",
        "orderType": "Market",
        "activationPrice": "128000",
        "requestedAmount": "0.01",
        "timeInForce": "Ioc",
    }
    order.update(changes)
    return {"order": {k: v for k, v in order.items() if v is not ...}}


async def test_access_token_is_a_signed_jwt_for_the_account(raw_sim) -> None:
    """The access token is an HS256 JWT with sub = account and exp = now + 3600."""
    sim, _, _, headers = raw_sim
    claims = jwt.decode(headers["Authorization"].split(" ", 1)[1], options={"verify_signature": False})
    assert claims["sub"] == sim.account_id
    assert claims["exp"] - claims["iat"] == 3600


async def test_documented_example_with_json_numbers_is_accepted(raw_sim, b2t) -> None:
    """The docs' request example verbatim (JSON numbers) → the documented answer shape, decimals as strings."""
    _, base_url, session, headers = raw_sim
    status, answer, _ = await _raw(
        session, "POST", base_url + STOP_PATH, headers=headers, body=b2t.DOC_REQUEST_BODY.encode()
    )
    assert status == 200
    documented = json.loads(b2t.DOC_RESPONSE_BODY)["order"]
    assert list(answer["order"]) == list(documented)
    assert answer["order"]["requestedAmount"] == "0.01"
    assert answer["order"]["activationPrice"] == "128000"
    assert answer["order"]["requestedPrice"] == "0"
    assert answer["order"]["status"] == "WaitingForActivation"
    assert len(answer["order"]["createdAt"]) == len(documented["createdAt"])  # 7 fractional digits


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"activationPrice": "128000", "order": _doc_body(activationPrice=...)["order"]}, "activationPrice"),
        (_doc_body(side="buy"), "order.side"),
        (_doc_body(orderType="StopMarket"), "order.orderType"),
        (_doc_body(timeInForce="Unspecified"), "order.timeInForce"),
        (_doc_body(requestedPrice="128100"), "order.requestedPrice"),
        (_doc_body(orderType="Limit"), "order.requestedPrice"),
        (_doc_body(requestedAmount="0"), "order.requestedAmount"),
        (_doc_body(requestedAmount="1e-2"), "order.requestedAmount"),
        (_doc_body(activationPrice=True), "order.activationPrice"),
        (_doc_body(timeInForce="Gtd"), "order.cancellationDate"),
        (_doc_body(timeInForce="Gtd", cancellationDate="2099-01-01T00:00:00Z"), "order.cancellationDate"),
        (_doc_body(clientOrderId="x"), "order.clientOrderId"),
        (_doc_body()["order"], "order"),
    ],
)
async def test_malformed_place_bodies_are_400_problems(raw_sim, body, field) -> None:
    """Each violation of the documented body → 400 ProblemDetails naming the field."""
    _, base_url, session, headers = raw_sim
    status, answer, response_headers = await _raw(session, "POST", base_url + STOP_PATH, headers=headers, body=body)
    assert status == 400
    assert response_headers["Content-Type"].startswith("application/problem+json")
    assert field in answer["errors"]


async def test_gtd_with_exact_date_is_accepted(raw_sim) -> None:
    """Gtd with YYYY-MM-DDTHH:MM:SS.sssZ in the future → 200."""
    _, base_url, session, headers = raw_sim
    body = _doc_body(timeInForce="Gtd", cancellationDate="2099-01-01T00:00:00.000Z")
    status, answer, _ = await _raw(session, "POST", base_url + STOP_PATH, headers=headers, body=body)
    assert status == 200
    assert answer["order"]["timeInForce"] == "Gtd"


@pytest.mark.parametrize("content_type", ["application/json", "application/json; x-api-version=3.0", None])
async def test_media_type_must_be_exact(raw_sim, content_type) -> None:
    """Anything but "application/json; x-api-version=4.0" → 415, on place and on cancel."""
    _, base_url, session, headers = raw_sim
    headers = {k: v for k, v in headers.items() if k != "Content-Type"}
    if content_type is not None:
        headers["Content-Type"] = content_type
    status, _, _ = await _raw(session, "POST", base_url + STOP_PATH, headers=headers, body=_doc_body())
    assert status == 415
    status, _, _ = await _raw(session, "DELETE", base_url + STOP_PATH + "/X", headers=headers)
    assert status == 415


async def test_bearer_must_be_a_valid_unexpired_simulator_jwt(raw_sim) -> None:
    """No token, a forged token, an expired token → 401 with a WWW-Authenticate challenge."""
    sim, base_url, session, headers = raw_sim
    forged = jwt.encode({"sub": sim.account_id, "exp": 4_000_000_000}, b"x" * 32, algorithm="HS256")
    for authorization in (None, f"Bearer {forged}", "Basic abc"):
        probe = {k: v for k, v in headers.items() if k != "Authorization"}
        if authorization:
            probe["Authorization"] = authorization
        status, body, response_headers = await _raw(
            session, "POST", base_url + STOP_PATH, headers=probe, body=_doc_body()
        )
        assert status == 401
        assert body is None
        assert response_headers["WWW-Authenticate"].startswith("Bearer")
    sim.test_clock.advance(3600 * 1000)  # exp = issue time + 3600 s: now expired
    status, _, response_headers = await _raw(session, "POST", base_url + STOP_PATH, headers=headers, body=_doc_body())
    assert status == 401
    assert "expired" in response_headers["WWW-Authenticate"]


async def test_account_header_required_and_matching(raw_sim) -> None:
    """Missing accountId → 400; another account's id → 403."""
    _, base_url, session, headers = raw_sim
    missing = {k: v for k, v in headers.items() if k != "accountId"}
    assert (await _raw(session, "POST", base_url + STOP_PATH, headers=missing, body=_doc_body()))[0] == 400
    other = headers | {"accountId": "6891e70db552ff9c6fbbccf5"}
    assert (await _raw(session, "POST", base_url + STOP_PATH, headers=other, body=_doc_body()))[0] == 403


async def test_wrong_api_token_is_a_401_problem(raw_sim) -> None:
    """The token exchange refuses a wrong API token with a 401 ProblemDetails."""
    _, base_url, session, _ = raw_sim
    status, body, _ = await _raw(
        session,
        "POST",
        base_url + "/frontoffice/api/v4/access-token",
        headers={"Content-Type": "application/json"},
        body={"token": "wrong"},
    )
    assert status == 401
    assert body["status"] == 401
    assert "accessToken" not in body


# -- Get markets ------------------------------------------------------------------------------


async def test_markets_endpoint_lists_scales(raw_sim) -> None:
    """GET /frontoffice/api/v5/markets → an array of "Get market" objects; bearer required, accountId checked."""
    sim, base_url, session, headers = raw_sim
    read_headers = {k: v for k, v in headers.items() if k != "Content-Type"}
    status, body, _ = await _raw(session, "GET", base_url + MARKETS, headers=read_headers)
    assert status == 200
    btc = next(m for m in body if m["marketId"] == "spot.btc_usdt")
    assert btc == {
        "marketId": "spot.btc_usdt",
        "displayName": "BTC/USDT",
        "fullName": "Bitcoin to Tether",
        "baseAssetId": "btc",
        "quoteAssetId": "usdt",
        "minAmount": "0.0001",
        "maxBaseAmount": "100",
        "priceDeviation": "0",
        "priceScale": 2,
        "amountScale": 5,
    }
    no_account = {k: v for k, v in read_headers.items() if k != "accountId"}
    assert (await _raw(session, "GET", base_url + MARKETS, headers=no_account))[0] == 200
    other = read_headers | {"accountId": "6891e70db552ff9c6fbbccf5"}
    assert (await _raw(session, "GET", base_url + MARKETS, headers=other))[0] == 403
    anonymous = {k: v for k, v in read_headers.items() if k != "Authorization"}
    assert (await _raw(session, "GET", base_url + MARKETS, headers=anonymous))[0] == 401
    assert sim.markets_served == 2


@pytest.mark.parametrize(
    ("changes", "field"),
    [
        ({"activationPrice": "128000.001"}, "order.activationPrice"),
        ({"orderType": "Limit", "requestedPrice": "128100.123"}, "order.requestedPrice"),
        ({"requestedAmount": "0.000001"}, "order.requestedAmount"),
        ({"requestedAmount": "0.00009"}, "order.requestedAmount"),
        ({"requestedAmount": "100.5"}, "order.requestedAmount"),
    ],
)
async def test_simulator_enforces_market_rules(raw_sim, changes, field) -> None:
    """The venue side of the precision rules: 400 ProblemDetails naming the field."""
    _, base_url, session, headers = raw_sim
    status, answer, _ = await _raw(session, "POST", base_url + STOP_PATH, headers=headers, body=_doc_body(**changes))
    assert status == 400
    assert field in answer["errors"]


async def test_simulator_refuses_stops_on_cfd_markets(raw_sim) -> None:
    """A listed CFD market is not a SPOT stop market: 400."""
    _, base_url, session, headers = raw_sim
    status, answer, _ = await _raw(
        session, "POST", base_url + STOP_PATH, headers=headers, body=_doc_body(marketId="cfd.eur_chf")
    )
    assert status == 400
    assert "cfd.eur_chf" in answer["detail"]


async def test_markets_cached_for_the_ttl_and_refetched_after(served) -> None:
    """Against the simulator: one Get market per market and markets_ttl_s, whatever the number of places."""
    clock = FrozenClock(1_755_187_645_819)
    sim, base_url = await _start(served, clock=clock.now_ms)
    config = sim.demo_config(base_url) | {"markets_ttl_s": "120"}
    async with stopkit.connect(
        "b2trader", credentials=sim.demo_credentials(), config=config, clock=clock, retry=NO_BACKOFF
    ) as client:
        for _ in range(3):
            await client.place(sim.demo_scenario().orders[0])
        assert sim.markets_served == 1
        clock.advance(120_000)
        await client.place(sim.demo_scenario().orders[0])
        assert sim.markets_served == 2
    assert len(sim.stops) == 4


async def test_precision_refused_before_the_post(served) -> None:
    """Through stopkit.connect: price beyond priceScale, amount beyond amountScale/limits → InvalidOrder, no POST."""
    sim, base_url = await _start(served)
    bad = [
        StopOrder(symbol="BTC/USDT", side=Side.BUY, quantity=Decimal("0.01"), stop_price=Decimal("128000.005")),
        StopOrder(symbol="BTC/USDT", side=Side.BUY, quantity=Decimal("0.000001"), stop_price=Decimal("128000")),
        StopOrder(symbol="BTC/USDT", side=Side.BUY, quantity=Decimal("0.00001"), stop_price=Decimal("128000")),
        StopOrder(symbol="BTC/USDT", side=Side.BUY, quantity=Decimal("101"), stop_price=Decimal("128000")),
    ]
    fragments = ["priceScale=2", "amountScale=5", "minAmount 0.0001", "maxBaseAmount 100"]
    async with _connect(sim, base_url) as client:
        for order, fragment in zip(bad, fragments, strict=True):
            with pytest.raises(InvalidOrder, match=fragment):
                await client.place(order)
    assert sim.stops == {}
    assert sim.markets_served == 1


# -- best bid / ask and wrong-side stops (order-types guide) ----------------------------------------


async def test_buy_stop_at_the_best_ask_activates_at_once(served) -> None:
    """Mid 127999.99 → ask 128000.00: a Buy stop at 128000 is "not above the best ask" → Activated on placement."""
    sim, base_url = await _start(served)
    sim.set_price("spot.btc_usdt", Decimal("127999.99"))
    assert sim.quotes["spot.btc_usdt"] == (Decimal("127999.98"), Decimal("128000.00"))
    async with _connect(sim, base_url) as client:
        placed = await client.place(sim.demo_scenario().orders[0])
    assert placed.status is OrderStatus.TRIGGERED
    assert placed.venue_status == "Activated"
    child = sim.child_of(placed.venue_order_id)
    assert child is not None
    assert child["source"] == "StopOrder"
    assert child["status"] == "Completed"
    assert child["executionPrice"] == "128000"


async def test_buy_stop_above_the_best_ask_stays_armed(served) -> None:
    """Mid 127999.98 → ask 127999.99 < 128000: armed until the ask reaches the stop."""
    sim, base_url = await _start(served)
    sim.set_price("spot.btc_usdt", Decimal("127999.98"))
    async with _connect(sim, base_url) as client:
        placed = await client.place(sim.demo_scenario().orders[0])
        assert placed.status is OrderStatus.ACCEPTED
        sim.set_quotes("spot.btc_usdt", bid=Decimal("127999.99"), ask=Decimal("128000"))
        assert sim.book_state(client.venue, placed.venue_order_id).status is OrderStatus.TRIGGERED


async def test_sell_stop_compares_with_the_best_bid(served) -> None:
    """Sell stops use the bid: at or above the bid → instant; below it → armed until the bid falls."""
    sim, base_url = await _start(served)
    sim.set_quotes("spot.eth_usdt", bid=Decimal("2900.50"), ask=Decimal("2901"))
    instant = StopOrder(symbol="ETH/USDT", side=Side.SELL, quantity=Decimal("1"), stop_price=Decimal("2900.5"))
    armed = StopOrder(symbol="ETH/USDT", side=Side.SELL, quantity=Decimal("1"), stop_price=Decimal("2900.49"))
    async with _connect(sim, base_url) as client:
        assert (await client.place(instant)).status is OrderStatus.TRIGGERED
        later = await client.place(armed)
        assert later.status is OrderStatus.ACCEPTED
        child = sim.child_of((await client.place(instant)).venue_order_id)
        assert child is not None
        assert child["executionPrice"] == "2900.5"  # a Sell fills at the best bid
        sim.set_quotes("spot.eth_usdt", bid=Decimal("2900.49"), ask=Decimal("2900.6"))
        assert sim.book_state(client.venue, later.venue_order_id).status is OrderStatus.TRIGGERED


# -- decimals as numbers, GTD -------------------------------------------------------------------


async def test_numbers_mode_end_to_end_is_exact(served) -> None:
    """decimals_as_numbers=true: the simulator receives JSON numbers and holds exactly the Decimals sent."""
    sim, base_url = await _start(served)
    order = StopLimitOrder(
        symbol="ETH/BTC",
        side=Side.BUY,
        quantity=Decimal("123456789012.12345678"),
        stop_price=Decimal("1234567890123456789.01"),
        limit_price=Decimal("1234567890123456789.02"),
    )
    async with _connect(sim, base_url, config_extra={"decimals_as_numbers": "true"}) as client:
        placed = await client.place(order)
    held = sim.stops[placed.venue_order_id]
    assert held.activation_price == order.stop_price
    assert held.requested_amount == order.quantity
    assert held.requested_price == order.limit_price
    assert placed.stop_price == order.stop_price
    assert placed.quantity == order.quantity


async def test_gtd_numbers_mode_end_to_end(served) -> None:
    """GTD with decimals as numbers: cancellationDate in UTC milliseconds, accepted, echoed as Gtd."""
    clock = FrozenClock(1_755_187_645_819)
    sim, base_url = await _start(served, clock=clock.now_ms)
    order = StopLimitOrder(
        symbol="BTC/USDT",
        side=Side.SELL,
        quantity=Decimal("0.5"),
        stop_price=Decimal("100000.5"),
        limit_price=Decimal("100000"),
        time_in_force=TimeInForce.GTD,
        expire_at=datetime(2025, 8, 15, 18, 7, 25, 819000, tzinfo=timezone(timedelta(hours=2))),
    )
    async with _connect(sim, base_url, clock=clock, config_extra={"decimals_as_numbers": True}) as client:
        placed = await client.place(order)
    assert placed.raw["timeInForce"] == "Gtd"
    assert sim.stops[placed.venue_order_id].time_in_force == "Gtd"
    assert placed.stop_price == Decimal("100000.5")


# -- unknown outcomes: never resent, not reconcilable ------------------------------------------


@pytest.mark.parametrize(("kind", "error_type"), [("drop_after", TransportError), ("status_after", VenueUnavailable)])
async def test_lost_answer_after_acceptance_is_raised_unknown_and_never_resent(served, kind, error_type) -> None:
    """The venue accepts, the answer is lost (dropped / 504): outcome_known=False, one order only, no reconcile."""
    sim, base_url = await _start(served)
    sim.faults.add(Fault(kind=kind, status=504, body=b"", method="POST", path="/stop-orders"))
    async with stopkit.connect(
        "b2trader",
        credentials=sim.demo_credentials(),
        config=sim.demo_config(base_url),
        retry=RetryPolicy(backoff=False, max_attempts=3),
    ) as client:
        assert client.venue.reconcile_flow(sim.demo_scenario().orders[0], sent_at_ms=0) is None
        with pytest.raises(error_type) as excinfo:
            await client.place(sim.demo_scenario().orders[0])
    assert excinfo.value.outcome_known is False
    assert any("no way to look the order up" in note for note in excinfo.value.__notes__)
    assert len(sim.stops) == 1
    assert sim.faults.log == [(kind, "POST", "/frontoffice/api/v3/stop-orders")]


async def test_throttled_place_is_retried_after_retry_after(served) -> None:
    """A 429 ProblemDetails is not a refusal B2TRADER documents: outcome unknown, never resent, nothing placed."""
    sim, base_url = await _start(served)
    body = sim.problem_body(429, detail="Too many requests.")
    sim.faults.add(
        Fault(
            kind="status",
            status=429,
            body=body,
            content_type="application/problem+json",
            headers={"Retry-After": "0"},
            method="POST",
            path="/stop-orders",
        )
    )
    async with _connect(sim, base_url) as client:
        with pytest.raises(OutcomeUnknown) as excinfo:
            await client.place(sim.demo_scenario().orders[0])
    assert isinstance(excinfo.value.classified, RateLimited)
    assert len(sim.stops) == 0


async def test_5xx_on_cancel_is_unknown_and_not_resent(served) -> None:
    """A 503 to DELETE: the cancel may or may not have happened → outcome unknown, one attempt only."""
    sim, base_url = await _start(served)
    async with _connect(sim, base_url) as client:
        placed = await client.place(sim.demo_scenario().orders[0])
        sim.faults.add(Fault(kind="status", status=503, body=b"", method="DELETE"))
        with pytest.raises(VenueUnavailable) as excinfo:
            await client.cancel(venue_order_id=placed.venue_order_id)
    assert excinfo.value.outcome_known is False
    assert len(sim.faults.log) == 1


async def test_415_when_the_host_wants_another_media_version(served) -> None:
    """A host demanding x-api-version=5.0 answers our 4.0 with 415: not documented → OutcomeUnknown(415)."""
    sim, base_url = await _start(served)
    sim.media_type = "application/json; x-api-version=5.0"
    async with _connect(sim, base_url) as client:
        with pytest.raises(OutcomeUnknown) as excinfo:
            await client.place(sim.demo_scenario().orders[0])
    assert excinfo.value.http_status == 415
    assert excinfo.value.venue_message == "Unsupported Media Type"
    assert sim.stops == {}


# -- tokens -----------------------------------------------------------------------------------


async def test_concurrent_places_share_one_token_exchange(served) -> None:
    """Single flight: three concurrent first places → one access-token exchange."""
    sim, base_url = await _start(served)
    async with _connect(sim, base_url) as client:
        placed = await asyncio.gather(*(client.place(o) for o in sim.demo_scenario().orders * 2))
    assert sim.tokens_issued == 1
    assert len({p.venue_order_id for p in placed}) == 4


async def test_token_without_exp_is_assumed_to_last_an_hour(served) -> None:
    """No exp claim: the client assumes 60 minutes and exchanges again just before (the simulator expires it then)."""
    clock = FrozenClock(1_755_187_645_819)
    sim, base_url = await _start(served, clock=clock.now_ms, jwt_exp=False)
    async with _connect(sim, base_url, clock=clock, config_extra={"markets_ttl_s": 0}) as client:
        await client.place(sim.demo_scenario().orders[0])
        clock.advance(58 * 60 * 1000)
        await client.place(sim.demo_scenario().orders[0])
        assert sim.tokens_issued == 1
        clock.advance(int(1.5 * 60 * 1000))  # 59.5 min: inside the refresh margin
        await client.place(sim.demo_scenario().orders[0])
        assert sim.tokens_issued == 2
    assert len(sim.stops) == 3


async def test_refused_token_on_markets_is_refreshed_once(served) -> None:
    """A 401 to Get markets (revoked token): one re-exchange, then markets and the order go through."""
    sim, base_url = await _start(served)
    async with _connect(sim, base_url, config_extra={"markets_ttl_s": 0}) as client:
        await client.place(sim.demo_scenario().orders[0])
        sim.revoke_tokens()
        await client.place(sim.demo_scenario().orders[0])
    assert sim.tokens_issued == 2
    assert sim.markets_served == 2
    assert len(sim.stops) == 2


async def test_client_keeps_the_last_state_it_saw(served) -> None:
    """No read endpoint: last_state is the place answer, then the cancel answer."""
    sim, base_url = await _start(served)
    async with _connect(sim, base_url) as client:
        placed = await client.place(sim.demo_scenario().orders[0])
        assert client.last_state(venue_order_id=placed.venue_order_id) == placed
        assert client.last_state(client_order_id=placed.client_order_id) == placed
        canceled = await client.cancel(venue_order_id=placed.venue_order_id)
        assert client.last_state(venue_order_id=placed.venue_order_id) == canceled
        with pytest.raises(UnsupportedOrder, match="no documented endpoint"):
            await client.get(venue_order_id=placed.venue_order_id)
        with pytest.raises(UnsupportedOrder, match="no documented endpoint"):
            await client.open_orders()


@pytest.mark.parametrize("ahead_ms", [2 * 3_600_000, -2 * 3_600_000])
async def test_token_cache_survives_a_skewed_local_clock(served, ahead_ms: int) -> None:
    """Our clock 2 h ahead of (or behind) the venue's: the JWT's lifetime (exp - iat) is counted on our clock,
    so three orders share one token exchange instead of one exchange each (or a stale token)."""
    venue_clock = FrozenClock(1_767_225_600_000)
    ours = FrozenClock(venue_clock.ms + ahead_ms)
    sim, base_url = await _start(served, clock=venue_clock.now_ms)
    async with _connect(sim, base_url, clock=ours) as client:
        order = sim.demo_scenario().orders[0]
        for n in range(3):
            await client.place(attrs.evolve(order, client_order_id=f"skew-{n}"))
    assert sim.tokens_issued == 1
    assert len(sim.stops) == 3
