"""Aries simulator: it checks what the docs say Aries checks (raw HTTP against 127.0.0.1)."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator, Awaitable, Callable
from decimal import Decimal
from typing import Any

import aiohttp
import pytest

from stopkit.state import OrderStatus
from stopkit_venues.aries import VENUE
from stopkit_venues.aries.simulator import DEMO_ACCOUNT_ID, DEMO_CLIENT_ID, DEMO_CLIENT_SECRET, AriesSimulator

GOOD_STOP = {
    "tradingAccountId": DEMO_ACCOUNT_ID, "symbol": "AAPL", "side": "SELL", "type": "STOP", "qty": "100",
    "stopPrice": "145.00", "timeInForce": "DAY",
}  # fmt: skip


class Api:
    """A raw HTTP helper bound to one running simulator."""

    def __init__(self, session: aiohttp.ClientSession, base_url: str) -> None:
        self.session, self.base_url, self.token = session, base_url, ""

    async def call(
        self, method: str, path: str, body: Any = None, *, raw: bytes | None = None, ctype: str = "application/json",
        auth: bool = True,
    ) -> tuple[int, Any]:  # fmt: skip
        headers = {"Content-Type": ctype} if (body is not None or raw is not None) else {}
        if auth:
            headers["Authorization"] = f"Bearer {self.token}"
        data = raw if raw is not None else (json.dumps(body).encode() if body is not None else None)
        async with self.session.request(method, self.base_url + path, data=data, headers=headers) as response:
            text = await response.read()
            return response.status, json.loads(text) if text else None

    async def login(self) -> None:
        body = {"grant_type": "client_credentials", "client_id": DEMO_CLIENT_ID, "client_secret": DEMO_CLIENT_SECRET}
        status, answer = await self.call("POST", "/v1/oauth2/token", body, auth=False)
        assert status == 200
        self.token = answer["access_token"]


@pytest.fixture
async def sim_api(
    served: Callable[[Any], Awaitable[Any]],
) -> AsyncIterator[tuple[AriesSimulator, Api]]:
    sim = AriesSimulator()
    server = await served(sim.make_app())
    async with aiohttp.ClientSession() as session:
        api = Api(session, server.base_url)
        await api.login()
        yield sim, api


async def test_aries_sim_token_answer_shape(sim_api: tuple[AriesSimulator, Api]) -> None:
    """The token answer has the documented fields; form bodies work; bad secrets get 401 nested."""
    _sim, api = sim_api
    form = f"grant_type=client_credentials&client_id={DEMO_CLIENT_ID}&client_secret={DEMO_CLIENT_SECRET}"
    status, answer = await api.call(
        "POST", "/v1/oauth2/token", raw=form.encode(), ctype="application/x-www-form-urlencoded", auth=False
    )
    assert status == 200
    assert answer["token_type"] == "Bearer"
    assert answer["expires_in"] == 3600
    assert answer["refresh_token_expires_in"] == 2592000
    assert answer["refresh_token"]
    bad = {"grant_type": "client_credentials", "client_id": DEMO_CLIENT_ID, "client_secret": "nope"}
    status, answer = await api.call("POST", "/v1/oauth2/token", bad, auth=False)
    assert status == 401
    assert answer["error"]["type"] == "AUTHENTICATION"
    refresh = {"grant_type": "refresh_token", "client_id": DEMO_CLIENT_ID, "client_secret": DEMO_CLIENT_SECRET,
               "refresh_token": "unknown"}  # fmt: skip
    status, answer = await api.call("POST", "/v1/oauth2/token", refresh, auth=False)
    assert status == 400
    assert answer["error"]["code"] == "invalid_grant"


async def test_aries_sim_requires_bearer(sim_api: tuple[AriesSimulator, Api]) -> None:
    """No or unknown bearer token → 401 in the nested shape."""
    _sim, api = sim_api
    status, answer = await api.call("POST", "/v1/orders", GOOD_STOP, auth=False)
    assert status == 401
    assert answer["error"]["type"] == "AUTHENTICATION"
    api.token = "forged"
    status, _ = await api.call("GET", f"/v2/accounts/{DEMO_ACCOUNT_ID}/orders")
    assert status == 401


@pytest.mark.parametrize(
    ("changes", "field"),
    [
        ({"price": "144.50"}, "price"),  # STOP must not carry price
        ({"type": "STOP_LIMIT"}, "price"),  # STOP_LIMIT needs price
        ({"stopPrice": "145.123456"}, "stopPrice"),  # at most 5 decimals
        ({"qty": 100}, "qty"),  # numbers are strings
        ({"qty": "0"}, "qty"),
        ({"timeInForce": None}, "timeInForce"),
        ({"timeInForce": "GTD"}, "timeInForce"),
        ({"side": "sell"}, "side"),
        ({"tradingAccountId": "OTHER"}, "tradingAccountId"),
        ({"symbol": "aapl"}, "symbol"),
        ({"clientId": "x" * 51}, "clientId"),
        ({"reduceOnly": True}, "reduceOnly"),
    ],
)
async def test_aries_sim_place_validation(
    sim_api: tuple[AriesSimulator, Api], changes: dict[str, Any], field: str
) -> None:
    """Invalid place bodies → 400 in the flat shape naming the field."""
    _sim, api = sim_api
    body = {k: v for k, v in {**GOOD_STOP, **changes}.items() if v is not None}
    status, answer = await api.call("POST", "/v1/orders", body)
    assert status == 400
    assert isinstance(answer["error"], str)
    assert field in {c["field"] for c in answer["codes"]}


async def test_aries_sim_place_needs_json(sim_api: tuple[AriesSimulator, Api]) -> None:
    """A non-JSON content type is refused."""
    _sim, api = sim_api
    status, _ = await api.call("POST", "/v1/orders", raw=b"symbol=AAPL", ctype="application/x-www-form-urlencoded")
    assert status == 400


async def test_aries_sim_ack_list_and_cancel(sim_api: tuple[AriesSimulator, Api]) -> None:
    """The ack, the TradeOrderV2 row and the cancel answer have the documented shapes."""
    sim, api = sim_api
    status, ack = await api.call("POST", "/v1/orders", GOOD_STOP)
    assert status == 200
    assert set(ack) == {"success", "clOrdId", "status", "symbol", "side", "qty", "cumQty", "leavesQty", "avgPrice",
                        "text", "ordRejReason", "transactTime"}  # fmt: skip
    assert ack["status"] == "NEW"
    assert ack["success"] is True
    status, page = await api.call("GET", f"/v2/accounts/{DEMO_ACCOUNT_ID}/orders?limit=1&cursor=0")
    assert status == 200
    assert page["nextCursor"] == 0
    row = page["orders"][0]
    assert row["clOrdId"] == ack["clOrdId"]
    assert row["price"] == ""
    assert row["stopPrice"] == "145"
    assert VENUE.capabilities.get_order  # the same row parses through the adapter:
    assert sim.book_state(VENUE.bind(_creds(), None), ack["clOrdId"]).status is OrderStatus.ACCEPTED
    cancel = {"origClOrdId": ack["clOrdId"], "tradingAccountId": DEMO_ACCOUNT_ID, "symbol": "AAPL", "side": "BUY",
              "securityType": "CS"}  # fmt: skip
    status, _ = await api.call("POST", "/v1/orders/cancel", cancel)
    assert status == 400  # the side must match the order
    cancel["side"] = "SELL"
    status, answer = await api.call("POST", "/v1/orders/cancel", cancel)
    assert status == 200
    assert answer["status"] == "CANCELED"
    assert answer["origClOrdId"] == ack["clOrdId"]
    status, answer = await api.call("POST", "/v1/orders/cancel", cancel)
    assert status == 200
    assert answer["status"] == "REJECTED"
    assert answer["success"] is False
    cancel["origClOrdId"] = "ORDER-unknown"
    status, answer = await api.call("POST", "/v1/orders/cancel", cancel)
    assert status == 404
    assert answer["error"]["type"] == "NOT_FOUND"


async def test_aries_sim_paging_and_history_rules(sim_api: tuple[AriesSimulator, Api]) -> None:
    """nextCursor pages; orders is null when empty; history needs from and a ≤ 90-day window."""
    sim, api = sim_api
    path = f"/v2/accounts/{DEMO_ACCOUNT_ID}/orders"
    status, page = await api.call("GET", path + "?limit=500&cursor=0")
    assert status == 200
    assert page == {"orders": None, "nextCursor": 0}
    for _ in range(3):
        await api.call("POST", "/v1/orders", GOOD_STOP)
    status, page = await api.call("GET", path + "?limit=2&cursor=0")
    assert len(page["orders"]) == 2
    assert page["nextCursor"] == 2
    status, page = await api.call("GET", path + "?limit=2&cursor=2")
    assert len(page["orders"]) == 1
    assert page["nextCursor"] == 0
    status, _ = await api.call("GET", path + "?limit=501")
    assert status == 400
    status, _ = await api.call("GET", path + "/history?limit=10")
    assert status == 400
    status, _ = await api.call("GET", path + "/history?from=2020-01-01T00:00:00Z")
    assert status == 400  # more than 90 days
    status, page = await api.call("GET", path + "/history?from=2000-01-01T00:00:00Z&to=2000-02-01T00:00:00Z")
    assert status == 200
    assert page == {"orders": [], "nextCursor": 0}  # history: an empty array, the active list: null
    status, _ = await api.call("GET", "/v2/accounts/SOMEONE-ELSE/orders")
    assert status == 403
    sim.set_price("AAPL", Decimal("144"))
    status, page = await api.call("GET", path)
    assert {r["ordStatus"] for r in page["orders"]} == {"FILLED"}


def _creds() -> Any:
    from stopkit.venue import Credentials

    return Credentials("aries", AriesSimulator().demo_credentials())


async def test_aries_sim_replace_cycles_cl_ord_id(sim_api: tuple[AriesSimulator, Api]) -> None:
    """Each replace assigns a new clOrdId; the old one is SUPERSEDED (active list only) and reusing it is REJECTED."""
    _sim, api = sim_api
    _status, ack = await api.call("POST", "/v1/orders", GOOD_STOP)
    first = ack["clOrdId"]
    replace = {"origClOrdId": first, "tradingAccountId": DEMO_ACCOUNT_ID, "symbol": "AAPL", "stopPrice": "140"}
    status, answer = await api.call("POST", "/v1/orders/replace", replace)
    assert status == 200
    assert set(answer) == {"success", "clOrdId", "origClOrdId", "status", "qty", "price", "text", "transactTime"}
    assert (answer["status"], answer["origClOrdId"], answer["price"]) == ("REPLACED", first, "")
    second = answer["clOrdId"]
    assert second != first
    status, stale = await api.call("POST", "/v1/orders/replace", replace)
    assert (status, stale["success"], stale["status"]) == (200, False, "REJECTED")
    assert "use the latest clOrdId" in stale["text"]
    assert "ordRejReason" not in stale  # not a CancelOrdResponse/ReplaceOrdResponse field
    cancel = {"origClOrdId": first, "tradingAccountId": DEMO_ACCOUNT_ID, "symbol": "AAPL", "side": "SELL"}
    status, stale = await api.call("POST", "/v1/orders/cancel", cancel)
    assert (status, stale["status"]) == (200, "REJECTED")
    assert "was replaced" in stale["text"]
    status, page = await api.call("GET", f"/v2/accounts/{DEMO_ACCOUNT_ID}/orders")
    rows = {r["clOrdId"]: r for r in page["orders"]}
    assert rows[first]["ordStatus"] == "SUPERSEDED"
    assert (rows[second]["ordStatus"], rows[second]["origClOrdId"], rows[second]["stopPrice"]) == ("NEW", first, "140")
    status, page = await api.call("GET", f"/v2/accounts/{DEMO_ACCOUNT_ID}/orders/history?from=2020-01-01T00:00:00Z"
                                         f"&to=2020-02-01T00:00:00Z")  # fmt: skip
    assert status == 200


@pytest.mark.parametrize(
    ("changes", "status", "field"),
    [
        ({}, 400, "qty"),  # nothing to replace
        ({"stopPrice": "140", "price": "139"}, 400, "price"),  # no price on a STOP
        ({"stopPrice": "140", "type": "LIMIT"}, 400, "type"),
        ({"stopPrice": "140", "side": "BUY"}, 400, "symbol"),
        ({"qty": "1.5"}, 400, "qty"),  # whole shares
        ({"stopPrice": "140.123456"}, 400, "stopPrice"),
        ({"stopPrice": "140", "reduceOnly": True}, 400, "reduceOnly"),
    ],
)
async def test_aries_sim_replace_validation(
    sim_api: tuple[AriesSimulator, Api], changes: dict[str, Any], status: int, field: str
) -> None:
    """Replace bodies are checked like place bodies (flat error shape naming the field)."""
    _sim, api = sim_api
    _status, ack = await api.call("POST", "/v1/orders", GOOD_STOP)
    body = {"origClOrdId": ack["clOrdId"], "tradingAccountId": DEMO_ACCOUNT_ID, "symbol": "AAPL", **changes}
    got, answer = await api.call("POST", "/v1/orders/replace", body)
    assert got == status
    assert field in {c["field"] for c in answer["codes"]}
    unknown = {"origClOrdId": "ORDER-unknown", "tradingAccountId": DEMO_ACCOUNT_ID, "symbol": "AAPL", "stopPrice": "1"}
    got, answer = await api.call("POST", "/v1/orders/replace", unknown)
    assert (got, answer["error"]["code"]) == (404, "ORDER_NOT_FOUND")


@pytest.mark.parametrize("mode", ["drop", "5xx"])
async def test_aries_sim_lost_answer_keeps_the_order(sim_api: tuple[AriesSimulator, Api], mode: str) -> None:
    """lose_next_place_response: the order is held although the client gets no (good) answer; once only."""
    sim, api = sim_api
    sim.lose_next_place_response(mode)
    if mode == "drop":
        with pytest.raises(aiohttp.ClientError):
            await api.call("POST", "/v1/orders", GOOD_STOP)
    else:
        status, answer = await api.call("POST", "/v1/orders", GOOD_STOP)
        assert (status, answer["error"]["type"]) == (500, "INTERNAL")
    assert len(sim.orders()) == 1
    status, _ack = await api.call("POST", "/v1/orders", GOOD_STOP)
    assert status == 200
    assert len(sim.orders()) == 2
    with pytest.raises(ValueError, match="mode"):
        sim.lose_next_place_response("vanish")


async def test_aries_sim_token_counters_and_revocation(sim_api: tuple[AriesSimulator, Api]) -> None:
    """token_requests counts every token call; revoked refresh tokens get 400 invalid_grant."""
    sim, api = sim_api
    refresh = sim.issue_refresh_token()
    sim.revoke_refresh_tokens()
    body = {"grant_type": "refresh_token", "client_id": DEMO_CLIENT_ID, "client_secret": DEMO_CLIENT_SECRET,
            "refresh_token": refresh}  # fmt: skip
    status, answer = await api.call("POST", "/v1/oauth2/token", body, auth=False)
    assert (status, answer["error"]["code"]) == (400, "invalid_grant")
    assert sim.token_requests == 2  # the fixture's login and this one
    api.token = "expired"
    await api.call("GET", f"/v2/accounts/{DEMO_ACCOUNT_ID}/orders")
    assert sim.unauthorized == 1
