"""The simulator is strict like the venue: auth headers, field validation, documented error shapes."""

from __future__ import annotations

import json
from collections.abc import Awaitable, Callable
from decimal import Decimal
from typing import Any

import aiohttp
import pytest
from alpaca_testdata import stop_order
from stopkit.plugin import OrderStatus

from stopkit_alpaca import VENUE
from stopkit_alpaca.simulator import DEMO_KEY_ID, DEMO_SECRET_KEY, AlpacaSimulator

Served = Callable[[Any], Awaitable[str]]
AUTH = {"APCA-API-KEY-ID": DEMO_KEY_ID, "APCA-API-SECRET-KEY": DEMO_SECRET_KEY}
GOOD = {
    "symbol": "AAPL",
    "qty": "10",
    "side": "sell",
    "type": "stop_limit",
    "time_in_force": "day",
    "stop_price": "145",
    "limit_price": "144.5",
    "client_order_id": "sim-1",
}


@pytest.fixture
async def sim_url(served: Served) -> tuple[AlpacaSimulator, str]:
    """A served simulator and its base URL (stopped by ``served``)."""
    sim = AlpacaSimulator()
    return sim, await served(sim)


async def _call(
    base_url: str, method: str, path: str, body: Any = None, headers: dict[str, str] | None = None
) -> tuple[int, Any]:
    data = None if body is None else (body if isinstance(body, bytes) else json.dumps(body).encode())
    hdrs = dict(AUTH if headers is None else headers)
    if data is not None:
        hdrs.setdefault("Content-Type", "application/json")
    async with (
        aiohttp.ClientSession() as session,
        session.request(method, base_url + path, data=data, headers=hdrs) as response,
    ):
        text = await response.text()
        return response.status, (json.loads(text) if text else None)


async def test_alpaca_sim_requires_both_keys(sim_url: tuple[AlpacaSimulator, str]) -> None:
    """Missing or wrong keys → 401 with the documented error shape."""
    _sim, url = sim_url
    for headers in ({}, {"APCA-API-KEY-ID": DEMO_KEY_ID}, {**AUTH, "APCA-API-SECRET-KEY": "x"}):
        status, body = await _call(url, "GET", "/v2/orders", headers=headers)
        assert (status, body) == (401, {"code": 40110000, "message": "request is not authorized"})


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"qty": 10}, "invalid qty"),
        ({"qty": "0"}, "qty must be > 0"),
        ({"qty": "1.5", "time_in_force": "gtc"}, "fractional orders must be day orders"),
        ({"side": "sell_short"}, "invalid side"),
        ({"type": "stopp"}, "invalid order type"),
        ({"type": "limit"}, "stop and stop_limit orders only"),
        ({"time_in_force": "gtd"}, "invalid time_in_force"),
        ({"time_in_force": "opg"}, "invalid time_in_force opg"),
        ({"stop_price": "145.001"}, "sub-penny"),
        ({"limit_price": None}, "invalid limit_price"),
        ({"symbol": "aapl"}, "invalid symbol"),
        ({"reduce_only": True}, "unknown field reduce_only"),
        ({"client_order_id": "x" * 129}, "at most 128"),
        ({"type": "stop"}, "limit_price is not allowed for stop orders"),
    ],
)
async def test_alpaca_sim_validates_fields(
    sim_url: tuple[AlpacaSimulator, str], change: dict[str, Any], message: str
) -> None:
    """Each bad field → 422 {"code": 40010001, "message": ...} naming it."""
    _sim, url = sim_url
    status, body = await _call(url, "POST", "/v2/orders", {**GOOD, **change})
    assert status == 422
    assert body["code"] == 40010001
    assert message in body["message"]


async def test_alpaca_sim_missing_fields_and_bad_bodies(sim_url: tuple[AlpacaSimulator, str]) -> None:
    """Missing stop_price / limit_price / qty → 422; non-JSON or a wrong content type → 400."""
    _sim, url = sim_url
    for field, message in (("stop_price", "stop_price is required"), ("limit_price", "limit_price is required"),
                           ("qty", "qty is required")):  # fmt: skip
        body = {k: v for k, v in GOOD.items() if k != field}
        assert (await _call(url, "POST", "/v2/orders", body))[1]["message"].startswith(message)
    status, body = await _call(url, "POST", "/v2/orders", b"{not json")
    assert (status, body["code"]) == (400, 40010001)
    status, _ = await _call(url, "POST", "/v2/orders", b"{}", headers={**AUTH, "Content-Type": "text/plain"})
    assert status == 400


async def test_alpaca_sim_order_lifecycle(sim_url: tuple[AlpacaSimulator, str]) -> None:
    """Place → read by id and client id → duplicate refused → cancel 204 → second cancel 422 → 404s."""
    sim, url = sim_url
    status, order = await _call(url, "POST", "/v2/orders", GOOD)
    assert (status, order["status"], order["client_order_id"], order["limit_price"]) == (200, "new", "sim-1", "144.5")
    assert (await _call(url, "GET", f"/v2/orders/{order['id']}"))[1] == order
    assert (await _call(url, "GET", "/v2/orders:by_client_order_id?client_order_id=sim-1"))[1]["id"] == order["id"]
    status, body = await _call(url, "POST", "/v2/orders", GOOD)
    assert (status, body["message"]) == (422, "client_order_id must be unique")
    assert (await _call(url, "DELETE", f"/v2/orders/{order['id']}"))[0] == 204
    status, body = await _call(url, "DELETE", f"/v2/orders/{order['id']}")
    assert (status, body["message"]) == (422, 'order is already in "canceled" state')
    assert (await _call(url, "GET", "/v2/orders/nope"))[0] == 404
    assert (await _call(url, "GET", "/v2/orders:by_client_order_id?client_order_id=nope"))[0] == 404
    assert (await _call(url, "GET", "/v2/orders?status=closed"))[1][0]["status"] == "canceled"
    assert (await _call(url, "GET", "/v2/orders?status=open"))[1] == []
    assert (await _call(url, "GET", "/v2/orders?limit=501"))[0] == 422
    # The simulator's book, parsed by the adapter, agrees with the venue's answers.
    state = sim.book_state(VENUE.bind(VENUE.credentials_from_env({
        "APCA_API_KEY_ID": DEMO_KEY_ID, "APCA_API_SECRET_KEY": DEMO_SECRET_KEY})), order["id"])  # fmt: skip
    assert state.status is OrderStatus.CANCELED


async def test_alpaca_sim_triggers_and_day_expiry(sim_url: tuple[AlpacaSimulator, str]) -> None:
    """Sell stops trigger at or below the stop; buy stops at or above; DAY orders expire at the close."""
    sim, url = sim_url
    sim.set_price("AAPL", Decimal(150))
    body = {k: v for k, v in GOOD.items() if k != "limit_price"} | {"type": "stop", "client_order_id": "s"}
    _, sell = await _call(url, "POST", "/v2/orders", body)
    buy_body = body | {"side": "buy", "stop_price": "155", "client_order_id": "b", "time_in_force": "gtc"}
    _, buy = await _call(url, "POST", "/v2/orders", buy_body)
    sim.set_price("AAPL", Decimal("145.01"))
    assert (await _call(url, "GET", f"/v2/orders/{sell['id']}"))[1]["status"] == "new"
    sim.set_price("AAPL", Decimal(145))
    filled = (await _call(url, "GET", f"/v2/orders/{sell['id']}"))[1]
    assert (filled["status"], filled["filled_qty"], filled["filled_avg_price"]) == ("filled", "10", "145")
    sim.set_price("AAPL", Decimal("154.99"))
    sim.end_day()
    assert (await _call(url, "GET", f"/v2/orders/{buy['id']}"))[1]["status"] == "new"  # GTC survives the close
    _, day = await _call(url, "POST", "/v2/orders", body | {"client_order_id": "d", "stop_price": "140"})
    sim.end_day()
    assert (await _call(url, "GET", f"/v2/orders/{day['id']}"))[1]["status"] == "expired"


def test_alpaca_demo_scenario_is_placeable() -> None:
    """The demo orders pass the adapter's checks; the price path arms, nears, then crosses the stops."""
    scenario = AlpacaSimulator().demo_scenario()
    venue = VENUE.bind(VENUE.credentials_from_env({"APCA_API_KEY_ID": "k", "APCA_API_SECRET_KEY": "s"}))
    for order in scenario.orders:
        venue.check_order(order)
        assert scenario.near_price > order.stop_price > scenario.through_price
    assert stop_order().symbol == scenario.symbol
