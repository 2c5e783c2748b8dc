"""End to end: stopkit.connect against the Pacifica simulator on 127.0.0.1."""

from __future__ import annotations

import json
from collections.abc import Callable
from decimal import Decimal
from typing import Any

import aiohttp
import pytest

import stopkit
from stopkit.context import FrozenClock
from stopkit.errors import (
    AuthenticationError,
    DuplicateClientOrderId,
    InvalidOrder,
    OrderNotFound,
    OrderRejected,
    RateLimited,
    VenueUnavailable,
)
from stopkit.orders import OrderKind, PositionEffect, Side, StopLimitOrder, StopOrder, TriggerType
from stopkit.retry import RetryPolicy
from stopkit.state import OrderStatus
from stopkit.wire import compact_json
from stopkit_venues.pacifica.adapter import RECONCILE_ROUNDS
from stopkit_venues.pacifica.simulator import PacificaSimulator

CANCEL = "/api/v1/orders/stop/cancel"

NOW_MS = 1_750_000_000_000
NO_RETRY = RetryPolicy(max_attempts=1, backoff=False)
Served = Callable[[Any], Any]


async def _start(served: Served, **kwargs: Any) -> tuple[PacificaSimulator, str, FrozenClock]:
    clock = FrozenClock(NOW_MS)
    sim = PacificaSimulator(clock=clock.now_ms, **kwargs)
    server = await served(sim.make_app())
    return sim, server.base_url, clock


def _connect(
    sim: PacificaSimulator, base_url: str, clock: FrozenClock, *, credentials: dict[str, str] | None = None,
    retry: RetryPolicy = NO_RETRY, **config: Any,
) -> stopkit.VenueClient:  # fmt: skip
    return stopkit.connect(
        "pacifica",
        credentials=credentials or sim.demo_credentials(),
        config={**sim.demo_config(base_url), **config},
        clock=clock,
        retry=retry,
    )


async def test_demo_scenario_place_near_through(served: Served) -> None:
    """Both documented orders: ACCEPTED, still ACCEPTED near the stop, FILLED through it (read with get)."""
    sim, base_url, clock = await _start(served)
    scenario = sim.demo_scenario()
    assert [type(o) for o in scenario.orders] == [StopLimitOrder, StopOrder]
    prices = (scenario.start_price, scenario.near_price, scenario.through_price)
    assert prices == (Decimal(50000), Decimal(48500), Decimal(47990))
    sim.set_price("BTC", scenario.start_price)
    async with _connect(sim, base_url, clock) as client:
        placed = [await client.place(order) for order in scenario.orders]
        assert all(p.status is OrderStatus.ACCEPTED and p.venue_status == "open" for p in placed)
        sim.set_price("BTC", scenario.near_price)
        for p in placed:
            armed = await client.get(venue_order_id=p.venue_order_id)
            assert armed.status is OrderStatus.ACCEPTED
            assert armed.client_order_id == p.client_order_id
        listed = await client.open_orders("BTC/USDC:USDC")
        assert {s.venue_order_id for s in listed} == {p.venue_order_id for p in placed}
        assert {s.kind for s in listed} == {OrderKind.STOP_LIMIT, OrderKind.STOP_MARKET}
        sim.set_price("BTC", scenario.through_price)
        for p in placed:
            after = await client.get(venue_order_id=p.venue_order_id)
            assert after.status is OrderStatus.FILLED
            assert after.filled_quantity == Decimal("0.1")
            by_client_id = await client.get(client_order_id=p.client_order_id)
            assert by_client_id.venue_order_id == p.venue_order_id
            assert by_client_id.status is OrderStatus.FILLED
            assert sim.book_state(client.venue, str(p.venue_order_id)).status is OrderStatus.FILLED
        assert await client.open_orders() == []
    assert sim.positions[(sim.demo_account, "BTC")] == Decimal("0.8")


async def test_stop_limit_rests_when_gapped_through_limit(served: Served) -> None:
    """A stop-limit triggered below its limit rests (TRIGGERED, "make") and fills on a later move back."""
    sim, base_url, clock = await _start(served)
    order = sim.demo_scenario().orders[0]
    async with _connect(sim, base_url, clock) as client:
        placed = await client.place(order)
        sim.set_price("BTC", Decimal("47000"))  # through the stop and below the 47950 limit
        state = await client.get(venue_order_id=placed.venue_order_id)
        assert (state.status, state.venue_status) == (OrderStatus.TRIGGERED, "make")
        assert await client.open_orders() == []  # no longer a stop row
        sim.set_price("BTC", Decimal("47960"))
        state = await client.get(client_order_id=placed.client_order_id)
        assert state.status is OrderStatus.FILLED


async def test_trigger_price_types_are_separate(served: Served) -> None:
    """A LAST_PRICE stop ignores the mark price and triggers on the last trade price."""
    sim, base_url, clock = await _start(served)
    order = StopOrder(
        symbol="BTC", side=Side.SELL, position_effect=PositionEffect.CLOSE, quantity=Decimal("0.1"),
        stop_price=Decimal("48000"), trigger_type=TriggerType.LAST_PRICE,
    )  # fmt: skip
    async with _connect(sim, base_url, clock) as client:
        placed = await client.place(order)
        sim.set_reference_price("BTC", "mark_price", Decimal("47000"))
        sim.set_reference_price("BTC", "mid_price", Decimal("47000"))
        assert (await client.get(venue_order_id=placed.venue_order_id)).status is OrderStatus.ACCEPTED
        sim.set_reference_price("BTC", "last_trade_price", Decimal("47990"))
        assert (await client.get(venue_order_id=placed.venue_order_id)).status is OrderStatus.FILLED


async def test_cancel_by_order_id_and_client_id(served: Served) -> None:
    """Cancel returns the read-back CANCELED state; a second cancel returns it again without a request (the
    venue would answer "Stop order not found"); symbol is required."""
    sim, base_url, clock = await _start(served)
    first, second = sim.demo_scenario().orders
    async with _connect(sim, base_url, clock) as client:
        a = await client.place(first)
        b = await client.place(second)
        with pytest.raises(InvalidOrder, match="symbol"):
            await client.cancel(venue_order_id=a.venue_order_id)
        state = await client.cancel(venue_order_id=a.venue_order_id, symbol="BTC")
        assert (state.status, state.venue_status, state.venue_order_id) == (
            OrderStatus.CANCELED, "cancelled", a.venue_order_id,
        )  # fmt: skip
        state = await client.cancel(client_order_id=b.client_order_id, symbol="BTC/USDC:USDC")
        assert (state.status, state.venue_order_id) == (OrderStatus.CANCELED, b.venue_order_id)
        cancels = len(sim.requests_to(CANCEL))
        again = await client.cancel(venue_order_id=a.venue_order_id, symbol="BTC")
        assert (again.status, again.venue_order_id, again.client_order_id) == (
            OrderStatus.CANCELED, a.venue_order_id, first.client_order_id,
        )  # fmt: skip
        assert len(sim.requests_to(CANCEL)) == cancels
        assert await client.open_orders() == []
        sim.set_price("BTC", Decimal("40000"))
        assert (await client.get(venue_order_id=a.venue_order_id)).status is OrderStatus.CANCELED


async def test_unknown_orders_not_found(served: Served) -> None:
    """Neither in open orders nor in history → OrderNotFound, by order id and by client order id."""
    sim, base_url, clock = await _start(served)
    async with _connect(sim, base_url, clock) as client:
        with pytest.raises(OrderNotFound):
            await client.get(venue_order_id="999")
        with pytest.raises(OrderNotFound):
            await client.get(client_order_id="00000000-0000-4000-8000-000000000999")


async def test_duplicate_client_order_id(served: Served) -> None:
    """Reusing a client order id → 422 code 36 → DuplicateClientOrderId."""
    sim, base_url, clock = await _start(served)
    order = sim.demo_scenario().orders[1]
    async with _connect(sim, base_url, clock) as client:
        await client.place(order)
        with pytest.raises(DuplicateClientOrderId) as info:
            await client.place(order)
    assert (info.value.http_status, info.value.venue_code) == (422, "36")


async def test_wrong_key_for_account_is_refused(served: Served) -> None:
    """A key that is not the account's (and not a bound agent) → AuthenticationError, nothing placed."""
    sim, base_url, clock = await _start(served)
    creds = {"PACIFICA_PRIVATE_KEY": "0x" + "42" * 32, "PACIFICA_ACCOUNT": sim.demo_account}
    async with _connect(sim, base_url, clock, credentials=creds) as client:
        with pytest.raises(AuthenticationError, match="Agent not authorized for account") as info:
            await client.place(sim.demo_scenario().orders[1])
    assert info.value.retryable is False
    assert all(o.account != sim.demo_account for o in sim.orders.values())


async def test_unbound_agent_text_seen_by_a_third_party_is_an_authentication_error(served: Served) -> None:
    """The other live text of an unbound agent, "<agent> is unauthorized to sign on behalf of <account>"
    → AuthenticationError (not a refusal of the order)."""
    sim, base_url, clock = await _start(served, unbound_agent_error="sign_on_behalf")
    creds = {"PACIFICA_PRIVATE_KEY": "0x" + "42" * 32, "PACIFICA_ACCOUNT": sim.demo_account}
    async with _connect(sim, base_url, clock, credentials=creds) as client:
        with pytest.raises(AuthenticationError, match="is unauthorized to sign on behalf of " + sim.demo_account):
            await client.place(sim.demo_scenario().orders[1])
    assert sim.orders == {}


async def test_bound_agent_wallet_is_accepted(served: Served) -> None:
    """The demo agent key (bound in the simulator) places for the demo account."""
    sim, base_url, clock = await _start(served)
    async with _connect(sim, base_url, clock, credentials=sim.demo_agent_credentials()) as client:
        placed = await client.place(sim.demo_scenario().orders[0])
    order = sim.orders[int(str(placed.venue_order_id))]
    assert order.account == sim.demo_account


async def test_expired_signature(served: Served) -> None:
    """timestamp + expiry_window before the simulator's clock → "Invalid message" → retryable AuthenticationError."""
    sim, base_url, _ = await _start(served)
    stale_clock = FrozenClock(NOW_MS - 60_000)
    async with _connect(sim, base_url, stale_clock, expiry_window_ms=5000) as client:
        with pytest.raises(AuthenticationError, match="Invalid message") as info:
            await client.place(sim.demo_scenario().orders[1])
    assert info.value.retryable is True
    assert sim.orders == {}


class _LateThenRightClock:
    # A minute late (an expired signature) until the simulator has seen a create, right after.
    def __init__(self, sim: PacificaSimulator) -> None:
        self.sim = sim

    def now_ms(self) -> int:
        return NOW_MS - 60_000 if ("POST", "/api/v1/orders/stop/create") not in self.sim.requests else NOW_MS


async def test_expired_signature_is_resigned_on_retry(served: Served) -> None:
    """The retry of an expired place request is re-stamped and re-signed, and lands exactly once."""
    sim, base_url, _ = await _start(served)
    clock = _LateThenRightClock(sim)
    client = stopkit.connect(
        "pacifica", credentials=sim.demo_credentials(), config=sim.demo_config(base_url), clock=clock,
        retry=RetryPolicy(max_attempts=2, backoff=False),
    )  # fmt: skip
    async with client:
        placed = await client.place(sim.demo_scenario().orders[1])
    assert placed.status is OrderStatus.ACCEPTED
    assert len(sim.orders) == 1
    assert sim.requests.count(("POST", "/api/v1/orders/stop/create")) == 2


async def test_tampered_body_fails_verification(served: Served) -> None:
    """A body changed after signing, or an agent-signed body without agent_wallet → Verification failed."""
    sim, base_url, _clock = await _start(served)
    bound = stopkit.bind("pacifica", credentials=sim.demo_credentials(), config=sim.demo_config(base_url))
    request = bound.build_place_request(sim.demo_scenario().orders[1], stopkit.RequestContext(now_ms=NOW_MS))
    body = json.loads(request.body or b"")
    body["stop_order"]["amount"] = "0.2"
    async with aiohttp.ClientSession() as session:
        async with session.post(request.url, data=compact_json(body), headers=dict(request.headers)) as resp:
            answer = await resp.json()
        assert resp.status == 400
        assert answer == {"success": False, "data": None, "error": "Verification failed", "code": 400}
        agent = stopkit.bind("pacifica", credentials=sim.demo_agent_credentials(), config=sim.demo_config(base_url))
        agent_request = agent.build_place_request(sim.demo_scenario().orders[1], stopkit.RequestContext(now_ms=NOW_MS))
        agent_body = json.loads(agent_request.body or b"")
        del agent_body["agent_wallet"]
        async with session.post(request.url, data=compact_json(agent_body), headers=dict(request.headers)) as resp:
            assert (await resp.json())["error"].startswith("Verification failed")
        async with session.post(request.url, data=request.body, headers={"Content-Type": "text/plain"}) as resp:
            assert resp.status == 400
    assert sim.orders == {}


async def test_type_and_tick_validation(served: Served) -> None:
    """Prices off the tick → 400 "not a multiple of tick size" → OrderRejected; amounts off the lot too; an
    unknown market → 422 code 3 "Book not found" (the client's own market check off, so the venue answers)."""
    sim, base_url, clock = await _start(served)
    async with _connect(sim, base_url, clock, check_market_rules=False) as client:
        off_tick = StopOrder(symbol="BTC", side="sell", position_effect="close", quantity=Decimal("0.1"),
                             stop_price=Decimal("48000.5"))  # fmt: skip
        with pytest.raises(OrderRejected, match="not a multiple of tick size 1"):
            await client.place(off_tick)
        off_lot = StopOrder(symbol="BTC", side="sell", position_effect="close", quantity=Decimal("0.000001"),
                            stop_price=Decimal("48000"))  # fmt: skip
        with pytest.raises(OrderRejected, match="lot size"):
            await client.place(off_lot)
        with pytest.raises(OrderRejected, match="Book not found: DOGE"):
            await client.place(StopOrder(symbol="DOGE", side="sell", quantity=1, stop_price=1))


async def test_simulator_deserialisation_is_strict(served: Served) -> None:
    """Floats, null ids, bad enums and non-UUID client ids are refused before the signature is checked."""
    sim, base_url, _ = await _start(served)
    bound = stopkit.bind("pacifica", credentials=sim.demo_credentials(), config=sim.demo_config(base_url))
    base = json.loads(
        bound.build_place_request(sim.demo_scenario().orders[0], stopkit.RequestContext(now_ms=NOW_MS)).body or b""
    )
    mutations: list[Callable[[dict[str, Any]], object]] = [
        lambda b: b["stop_order"].update(stop_price=48000.0),
        lambda b: b.update(timestamp=str(b["timestamp"])),
        lambda b: b.update(side="long"),
        lambda b: b["stop_order"].update(trigger_price_type="index_price"),
        lambda b: b["stop_order"].update(client_order_id="abc"),
        lambda b: b.update(data={}),
        lambda b: b.update(reduce_only="true"),
    ]
    async with aiohttp.ClientSession() as session:
        for mutate in mutations:
            body = json.loads(json.dumps(base))
            mutate(body)
            url = base_url + "/api/v1/orders/stop/create"
            async with session.post(url, data=json.dumps(body), headers={"Content-Type": "application/json"}) as resp:
                answer = await resp.json()
            assert resp.status == 400, body
            assert answer["error"].startswith("Failed to deserialize"), answer
    assert sim.orders == {}


async def test_reduce_only_without_position_rejected_at_trigger(served: Served) -> None:
    """Reduce-only is accepted at creation; with no position it is rejected when it triggers."""
    sim, base_url, clock = await _start(served, demo_position=Decimal(0))
    async with _connect(sim, base_url, clock) as client:
        placed = await client.place(sim.demo_scenario().orders[1])
        assert placed.status is OrderStatus.ACCEPTED
        sim.set_price("BTC", Decimal("47000"))
        state = await client.get(venue_order_id=placed.venue_order_id)
    assert state.status is OrderStatus.REJECTED


async def test_rate_limit_and_server_error_classified(served: Served) -> None:
    """Injected 429 → RateLimited with the ratelimit header's t=; 500 on a place → outcome unknown."""
    sim, base_url, clock = await _start(served)
    async with _connect(sim, base_url, clock) as client:
        sim.fail_next(429, {"success": False, "data": None, "error": "Rate limit exceeded", "code": 429},
                      headers={"ratelimit": '"credits";r=0;t=7'})  # fmt: skip
        with pytest.raises(RateLimited) as limited:
            await client.open_orders()
        assert limited.value.retry_after_s == 7.0
        for _ in range(1 + RECONCILE_ROUNDS):  # the create, and each resend with the same client order id
            sim.fail_next(500, "Internal server error", path="/api/v1/orders/stop/create")
        with pytest.raises(VenueUnavailable) as down:
            await client.place(sim.demo_scenario().orders[1])
        assert down.value.outcome_known is False
        assert sim.orders == {}


async def test_agent_bind_endpoint(served: Served) -> None:
    """POST /api/v1/agent/bind signed by the main key binds a new agent; the agent can then place."""
    from stopkit.signing import Ed25519Signer, b58encode

    sim, base_url, clock = await _start(served)
    main = Ed25519Signer.from_key(sim.demo_credentials()["PACIFICA_PRIVATE_KEY"])
    agent_seed = bytes(range(100, 132))
    agent = Ed25519Signer.from_seed(agent_seed)
    message = {"data": {"agent_wallet": agent.public_key_b58}, "expiry_window": 5000, "timestamp": NOW_MS,
               "type": "bind_agent_wallet"}  # fmt: skip
    signature = main.sign_b58(compact_json(message))
    body = {"account": main.public_key_b58, "signature": signature, "timestamp": NOW_MS, "expiry_window": 5000,
            "agent_wallet": agent.public_key_b58}  # fmt: skip
    async with aiohttp.ClientSession() as session:
        url = base_url + "/api/v1/agent/bind"
        async with session.post(url, data=compact_json(body), headers={"Content-Type": "application/json"}) as resp:
            assert resp.status == 200, await resp.text()
    creds = {"PACIFICA_PRIVATE_KEY": b58encode(agent_seed), "PACIFICA_ACCOUNT": sim.demo_account}
    async with _connect(sim, base_url, clock, credentials=creds) as client:
        placed = await client.place(sim.demo_scenario().orders[1])
    assert placed.status is OrderStatus.ACCEPTED
