"""End to end: stopkit.connect("pacifica") against the simulator on 127.0.0.1.

Trigger types, whole-position close, builder codes, market info with the client's tick, lot
and minimum-size check (and the venue's own, with the check off), business codes, documented
failures, credit-based rate limits, re-signed retries and reconciliation after a lost
placement answer.
"""

from __future__ import annotations

import asyncio
import json
from decimal import Decimal
from typing import Any

import aiohttp
import pytest
from pacifica_support import (
    CANCEL,
    CREATE,
    HISTORY,
    INFO,
    NOW_MS,
    OPEN_ORDERS,
    Served,
    connect,
    sell_stop,
    sell_stop_limit,
    start,
)

import stopkit
from stopkit.errors import (
    AuthenticationError,
    DuplicateClientOrderId,
    InvalidOrder,
    OrderNotFound,
    OrderRejected,
    RateLimited,
    RemoteError,
    VenueUnavailable,
)
from stopkit.orders import PositionEffect, Side, StopOrder, TriggerType
from stopkit.retry import RetryPolicy
from stopkit.state import OrderStatus
from stopkit.wire import compact_json
from stopkit_venues.pacifica import parse, translate
from stopkit_venues.pacifica.adapter import RECONCILE_ROUNDS
from stopkit_venues.pacifica.auth import sign_payload
from stopkit_venues.pacifica.simulator import (
    BUSINESS_CODES,
    DEMO_API_KEY,
    DOCUMENTED_FAILURES,
    Market,
    PacificaSimulator,
)

# -- placement options --------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("trigger", "wire"),
    [
        (TriggerType.MARK_PRICE, "mark_price"),
        (TriggerType.LAST_PRICE, "last_trade_price"),
        (TriggerType.MID_POINT, "mid_price"),
        (TriggerType.DEFAULT, "mark_price"),  # sent explicitly: omitted, the venue would use mid
    ],
)
async def test_each_trigger_type_triggers_on_its_own_price(served: Served, trigger: TriggerType, wire: str) -> None:
    """The stop ignores the other two reference prices and triggers on its own, for both order kinds."""
    sim, base_url, clock = await start(served)
    async with connect(sim, base_url, clock) as client:
        placed = [await client.place(o(trigger_type=trigger)) for o in (sell_stop, sell_stop_limit)]
        for other in {"mark_price", "last_trade_price", "mid_price"} - {wire}:
            sim.set_reference_price("BTC", other, Decimal("47000"))
            for p in placed:
                assert (await client.get(venue_order_id=p.venue_order_id)).status is OrderStatus.ACCEPTED
            sim.set_reference_price("BTC", other, Decimal("50000"))
        sim.set_reference_price("BTC", wire, Decimal("47990"))
        for p in placed:
            state = await client.get(venue_order_id=p.venue_order_id)
            assert state.status.is_triggered, state
    sent = [r.json()["stop_order"]["trigger_price_type"] for r in sim.requests_to(CREATE)]
    assert sent == [wire, wire]
    assert all(o.trigger_price_type == wire for o in sim.orders.values())


async def test_whole_position_close_omits_amount_and_closes_the_position(served: Served) -> None:
    """quantity=None + CLOSE: no amount on the wire, reduce_only true, the whole position is closed."""
    sim, base_url, clock = await start(served)
    sim.set_position(sim.demo_account, "BTC", Decimal("0.3"))
    async with connect(sim, base_url, clock) as client:
        placed = await client.place(sell_stop(quantity=None))
        assert placed.quantity is None
        sim.set_price("BTC", Decimal("47990"))
        state = await client.get(client_order_id=placed.client_order_id)
    body = sim.requests_to(CREATE)[0].json()
    assert "amount" not in body["stop_order"]
    assert body["reduce_only"] is True
    assert (state.status, state.filled_quantity) == (OrderStatus.FILLED, Decimal("0.3"))
    assert sim.positions[(sim.demo_account, "BTC")] == 0


async def test_open_effect_is_not_reduce_only(served: Served) -> None:
    """OPEN (and the venue default) → reduce_only false; a buy entry stop above the price is accepted."""
    sim, base_url, clock = await start(served)
    async with connect(sim, base_url, clock) as client:
        await client.place(sell_stop(side=Side.BUY, position_effect=PositionEffect.OPEN, stop_price=51000))
        await client.place(sell_stop(side=Side.BUY, position_effect=None, stop_price=52000))
    assert [r.json()["reduce_only"] for r in sim.requests_to(CREATE)] == [False, False]
    assert [o.side for o in sim.orders.values()] == ["bid", "bid"]


async def test_builder_code_only_when_configured(served: Served) -> None:
    """No builder_code unless configured; an approved one is recorded; an unapproved one → 403 → OrderRejected."""
    sim, base_url, clock = await start(served)
    async with connect(sim, base_url, clock) as client:
        await client.place(sell_stop())
    async with connect(sim, base_url, clock, builder_code="STOPKIT") as client:
        await client.place(sell_stop())
    async with connect(sim, base_url, clock, builder_code="MYCODE") as client:
        with pytest.raises(OrderRejected, match="builder code") as info:
            await client.place(sell_stop())
    assert info.value.http_status == 403
    assert [r.json().get("builder_code") for r in sim.requests_to(CREATE)] == [None, "STOPKIT", "MYCODE"]
    assert [o.builder_code for o in sim.orders.values()] == [None, "STOPKIT"]


async def test_agent_wallet_places_cancels_and_reads(served: Served) -> None:
    """A bound agent key signs for the account: agent_wallet in the body, orders on the account."""
    sim, base_url, clock = await start(served)
    async with connect(sim, base_url, clock, credentials=sim.demo_agent_credentials()) as client:
        placed = await client.place(sell_stop_limit())
        assert (await client.open_orders())[0].venue_order_id == placed.venue_order_id
        cancelled = await client.cancel(client_order_id=placed.client_order_id, symbol="BTC")
    assert cancelled.status is OrderStatus.CANCELED
    for request in (*sim.requests_to(CREATE), *sim.requests_to(CANCEL)):
        assert (request.json()["account"], request.json()["agent_wallet"]) == (sim.demo_account, sim.demo_agent)


async def test_key_is_decoded_once_per_client(served: Served, monkeypatch: pytest.MonkeyPatch) -> None:
    """The private key is decoded when the client is made, never again per order."""
    from stopkit.signing import Ed25519Signer

    calls: list[str] = []
    original = Ed25519Signer.from_key.__func__  # type: ignore[attr-defined]

    def counting(cls: type[Ed25519Signer], key: str, *, name: str = "private key") -> Ed25519Signer:
        calls.append(name)
        return original(cls, key, name=name)  # type: ignore[no-any-return]

    monkeypatch.setattr(Ed25519Signer, "from_key", classmethod(counting))
    sim, base_url, clock = await start(served)
    async with connect(sim, base_url, clock) as client:
        for price in (48000, 47000, 46000):
            await client.place(sell_stop(stop_price=price))
        await client.cancel(venue_order_id=str(min(sim.orders)), symbol="BTC")
    assert calls == ["PACIFICA_PRIVATE_KEY"]


# -- market info, tick and lot ------------------------------------------------------------------


async def test_market_info_documented_shape(served: Served) -> None:
    """GET /api/v1/info lists every market in the get-market-info shape, in the envelope."""
    sim, base_url, _ = await start(served)
    async with aiohttp.ClientSession() as session, session.get(base_url + INFO) as resp:
        body = await resp.json()
    assert resp.status == 200
    assert (body["success"], body["error"], body["code"]) == (True, None, None)
    btc = next(row for row in body["data"] if row["symbol"] == "BTC")
    assert btc == {
        "symbol": "BTC", "tick_size": "1", "min_tick": "0", "max_tick": "1000000", "lot_size": "0.00001",
        "max_leverage": 50, "isolated_only": False, "min_order_size": "10", "max_order_size": "5000000",
        "funding_rate": "0.0000125", "next_funding_rate": "0.0000125", "created_at": 1748881333944,
        "instrument_type": "perpetual", "base_asset": "BTC",
    }  # fmt: skip
    assert [row["symbol"] for row in body["data"]] == list(sim.markets)


async def test_tick_and_lot_checks_follow_market_info(served: Served) -> None:
    """A custom market: /info shows it, and the venue's create checks use exactly its tick, lot and price
    bounds (the client's own check off, so the venue answers)."""
    market = Market(Decimal("0.5"), Decimal("0.001"), min_tick=Decimal("100"), max_tick=Decimal("60000"))
    sim, base_url, clock = await start(served, markets={"BTC": market})
    async with aiohttp.ClientSession() as session, session.get(base_url + INFO) as resp:
        row = (await resp.json())["data"][0]
    assert (row["tick_size"], row["lot_size"], row["min_tick"], row["max_tick"]) == ("0.5", "0.001", "100", "60000")
    async with connect(sim, base_url, clock, check_market_rules=False) as client:
        accepted = await client.place(sell_stop(stop_price=Decimal("48000.5"), quantity=Decimal("0.002")))
        assert accepted.status is OrderStatus.ACCEPTED
        with pytest.raises(OrderRejected, match=r"tick size 0\.5"):
            await client.place(sell_stop(stop_price=Decimal("48000.25")))
        with pytest.raises(OrderRejected, match=r"lot size 0\.001"):
            await client.place(sell_stop(quantity=Decimal("0.0005")))
        with pytest.raises(OrderRejected, match="outside"):
            await client.place(sell_stop(side=Side.BUY, position_effect=None, stop_price=Decimal("60500")))
    assert len(sim.orders) == 1


@pytest.mark.parametrize(
    ("style", "status", "codes"),
    [("bad_request", 400, ("400", "400", "400")), ("business", 422, ("16", "52", "59"))],
)
async def test_rounding_error_styles(served: Served, style: str, status: int, codes: tuple[str, ...]) -> None:
    """Mis-rounded stop price, limit price, amount → OrderRejected carrying the venue's status and code."""
    sim, base_url, clock = await start(served, tick_errors=style)
    async with connect(sim, base_url, clock, check_market_rules=False) as client:
        bad = (
            sell_stop(stop_price=Decimal("48000.5")),
            sell_stop_limit(limit_price=Decimal("47950.5")),
            sell_stop(quantity=Decimal("0.000015")),
        )
        for order, code in zip(bad, codes, strict=True):
            with pytest.raises(OrderRejected) as info:
                await client.place(order)
            assert type(info.value) is OrderRejected
            assert (info.value.http_status, info.value.venue_code) == (status, code)
    assert sim.orders == {}


async def test_rounding_error_as_500_is_reconciled_not_resent(served: Served) -> None:
    """The older page's 500 for a mis-rounded price (client check off): outcome unknown → looked up, not found
    → raised with outcome unknown, sent once. With resend_after_unknown: resent with the same client order
    id, answered 500 again, a bounded number of rounds → raised with outcome unknown."""
    sim, base_url, clock = await start(served, tick_errors="server_error")
    retry = RetryPolicy(max_attempts=3, backoff=False)
    async with connect(sim, base_url, clock, retry=retry, check_market_rules=False) as client:
        with pytest.raises(VenueUnavailable) as info:
            await client.place(sell_stop(stop_price=Decimal("48000.5")))
    assert info.value.outcome_known is False
    assert len(sim.requests_to(CREATE)) == 1
    async with connect(
        sim, base_url, clock, retry=retry, check_market_rules=False, resend_after_unknown=True
    ) as client:
        with pytest.raises(VenueUnavailable) as info:
            await client.place(sell_stop(stop_price=Decimal("48000.5")))
    assert info.value.outcome_known is False
    assert any("reconciliation failed too" in note for note in info.value.__notes__)
    assert len(sim.requests_to(CREATE)) == 1 + 1 + RECONCILE_ROUNDS  # bounded: never a retry loop
    assert sim.orders == {}


async def test_client_refuses_a_stop_that_does_not_fit_before_sending(served: Served) -> None:
    """check_market_rules (default): a mis-rounded stop or limit price, a price out of bounds, a mis-rounded or
    too small quantity → InvalidOrder naming the field and the nearest valid values; no create is sent."""
    market = Market(Decimal("0.5"), Decimal("0.001"), min_tick=Decimal("100"), max_tick=Decimal("60000"))
    sim, base_url, clock = await start(served, markets={"BTC": market})
    cases = [
        (sell_stop(stop_price=Decimal("48000.25")), "stop_price", "nearest valid: 48000 or 48000.5"),
        (sell_stop_limit(limit_price=Decimal("47950.2")), "limit_price", "nearest valid: 47950 or 47950.5"),
        (sell_stop(side=Side.BUY, position_effect=None, stop_price=60500), "stop_price", "highest valid: 60000"),
        (sell_stop(stop_price=Decimal(50), quantity=Decimal(1)), "stop_price", "lowest valid: 100"),
        (sell_stop(quantity=Decimal("0.0105")), "quantity", "nearest valid: 0.01 or 0.011"),
        (sell_stop(stop_price=5000, quantity=Decimal("0.001")), "quantity", "smallest valid quantity: 0.002"),
        (sell_stop(symbol="btc"), "symbol", "not a market"),
    ]
    async with connect(sim, base_url, clock) as client:
        for order, field, text in cases:
            with pytest.raises(InvalidOrder) as info:
                await client.place(order)
            assert info.value.field == field, order
            assert text in str(info.value), str(info.value)
        placed = await client.place(sell_stop(stop_price=Decimal("48000.5"), quantity=Decimal("0.001")))
    assert placed.status is OrderStatus.ACCEPTED
    assert len(sim.requests_to(CREATE)) == 1
    assert len(sim.requests_to(INFO)) == 1  # one read, cached for the client


async def test_market_rules_check_can_be_switched_off(served: Served) -> None:
    """check_market_rules=false: no /api/v1/info read; the stop goes to the venue, which accepts a too small
    one and rejects it only when it triggers (force_cancel)."""
    sim, base_url, clock = await start(served)
    async with connect(sim, base_url, clock, check_market_rules="false") as client:
        placed = await client.place(sell_stop(quantity=Decimal("0.0001")))
    assert placed.status is OrderStatus.ACCEPTED
    assert sim.requests_to(INFO) == []


# -- business codes -----------------------------------------------------------------------------


async def test_crossed_stop_is_accepted_and_triggers_at_once(served: Served) -> None:
    """A sell stop above the reference price is not refused (nothing shows the venue refuses it: code 17 is
    about the side against the position): it is accepted and triggers at once."""
    sim, base_url, clock = await start(served)
    async with connect(sim, base_url, clock) as client:
        placed = await client.place(sell_stop(stop_price=51000))
        state = await client.get(venue_order_id=placed.venue_order_id)
    assert placed.status is OrderStatus.ACCEPTED
    assert state.status is OrderStatus.FILLED


async def test_code_17_is_described_as_the_side_against_the_position(served: Served) -> None:
    """An injected 422 code 17 → OrderRejected naming INVALID_STOP_ORDER_SIDE with the documented text."""
    sim, base_url, clock = await start(served)
    sim.fail_next_business(17, path=CREATE)
    async with connect(sim, base_url, clock) as client:
        with pytest.raises(OrderRejected, match="INVALID_STOP_ORDER_SIDE") as info:
            await client.place(sell_stop())
    assert (info.value.http_status, info.value.venue_code, info.value.venue_message) == (
        422,
        "17",
        "Invalid stop order side",
    )


async def test_omitted_amount_without_reduce_only_is_code_19(served: Served) -> None:
    """A body without amount and with reduce_only false (stopkit never sends one) → 422 code 19."""
    sim, base_url, _ = await start(served)
    bound = stopkit.bind("pacifica", credentials=sim.demo_credentials(), config=sim.demo_config(base_url))
    payload = {"symbol": "BTC", "side": "ask", "reduce_only": False,
               "stop_order": {"stop_price": "48000", "trigger_price_type": "mark_price"}}  # fmt: skip
    body = sign_payload(bound.keys, "create_stop_order", payload, timestamp_ms=NOW_MS, expiry_window_ms=30000)  # type: ignore[attr-defined]
    async with aiohttp.ClientSession() as session:
        headers = {"Content-Type": "application/json"}
        async with session.post(base_url + CREATE, data=compact_json(body), headers=headers) as resp:
            answer = await resp.json()
    assert (resp.status, answer["code"]) == (422, 19)
    assert type(parse.classify_error(stopkit.HttpResponse(status=422, body=json.dumps(answer).encode()))) is (
        OrderRejected
    )


@pytest.mark.parametrize(
    ("position", "order", "code"),
    [
        (Decimal(0), sell_stop(), "23"),
        (Decimal(1), sell_stop(side=Side.BUY, stop_price=51000), "21"),
        (Decimal(1), sell_stop(quantity=Decimal(2)), "22"),
    ],
)
async def test_reduce_only_checked_at_creation_when_switched_on(
    served: Served, position: Decimal, order: StopOrder, code: str
) -> None:
    """check_position_on_create: no position 23, same-direction side 21, too large 22 → OrderRejected with the code."""
    sim, base_url, clock = await start(served, check_position_on_create=True, demo_position=position)
    async with connect(sim, base_url, clock) as client:
        with pytest.raises(OrderRejected) as info:
            await client.place(order)
    assert (info.value.http_status, info.value.venue_code) == (422, code)


@pytest.mark.parametrize("code", sorted(BUSINESS_CODES))
async def test_every_business_code_classified(served: Served, code: int) -> None:
    """Each 422 business code the simulator can send → its error class, with the code and its name."""
    sim, base_url, clock = await start(served)
    expected: dict[int, type[RemoteError]] = {6: OrderNotFound, 36: DuplicateClientOrderId, 37: OrderNotFound}
    sim.fail_next_business(code, path=CREATE)
    async with connect(sim, base_url, clock) as client:
        with pytest.raises(RemoteError) as info:
            await client.place(sell_stop())
    assert type(info.value) is expected.get(code, OrderRejected)
    assert (info.value.http_status, info.value.venue_code, info.value.retryable) == (422, str(code), False)
    assert BUSINESS_CODES[code][0] in str(info.value)
    assert sim.orders == {}


async def test_cancel_by_unused_client_id_is_code_37(served: Served) -> None:
    """Cancel by a client order id no order ever used → 422 code 37 → OrderNotFound."""
    sim, base_url, clock = await start(served)
    async with connect(sim, base_url, clock) as client:
        with pytest.raises(OrderNotFound) as info:
            await client.cancel(client_order_id="00000000-0000-4000-8000-000000000123", symbol="BTC")
    assert (info.value.http_status, info.value.venue_code) == (422, "37")


async def test_min_order_size_is_checked_at_trigger(served: Served) -> None:
    """Below min_order_size (USD) the venue accepts the stop (client check off), then rejects it when it
    triggers; the reason is kept."""
    sim, base_url, clock = await start(served)
    async with connect(sim, base_url, clock, check_market_rules=False) as client:
        placed = await client.place(sell_stop(quantity=Decimal("0.0001")))
        assert placed.status is OrderStatus.ACCEPTED
        sim.set_price("BTC", Decimal("47990"))
        state = await client.get(venue_order_id=placed.venue_order_id)
    assert (state.status, state.venue_status, state.reason) == (OrderStatus.REJECTED, "rejected", "force_cancel")


async def test_cancelled_state_keeps_its_reason(served: Served) -> None:
    """A cancelled stop reads back CANCELED with reason "cancel", by both ids."""
    sim, base_url, clock = await start(served)
    async with connect(sim, base_url, clock) as client:
        placed = await client.place(sell_stop())
        cancelled = await client.cancel(client_order_id=placed.client_order_id, symbol="BTC")
        again = await client.get(venue_order_id=placed.venue_order_id)
    assert (cancelled.status, cancelled.reason) == (OrderStatus.CANCELED, "cancel")
    assert (again.status, again.reason) == (OrderStatus.CANCELED, "cancel")


# -- documented failures -------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("name", "cls", "status"),
    [
        ("restricted", AuthenticationError, 403),
        ("builder_code", OrderRejected, 403),
        ("not_found", OrderNotFound, 404),
        ("conflict", OrderRejected, 409),
        ("internal", VenueUnavailable, 500),
        ("unavailable", VenueUnavailable, 503),
        ("gateway_timeout", VenueUnavailable, 504),
    ],
)
async def test_documented_failures_on_reads(served: Served, name: str, cls: type[RemoteError], status: int) -> None:
    """Each documented failure answering a read → its class; 5xx on a read has a known outcome."""
    assert DOCUMENTED_FAILURES[name][0] == status
    sim, base_url, clock = await start(served)
    sim.fail_next_documented(name)
    async with connect(sim, base_url, clock) as client:
        with pytest.raises(RemoteError) as info:
            await client.open_orders()
    assert type(info.value) is cls
    assert info.value.http_status == status
    assert info.value.outcome_known is True


@pytest.mark.parametrize("name", ["internal", "unavailable", "gateway_timeout"])
async def test_5xx_after_create_reconciles(served: Served, name: str) -> None:
    """A 5xx answering a create the venue did not process: looked up, not found → the outcome is reported
    unknown (default); with resend_after_unknown it is sent once more with the same client order id →
    placed exactly once."""
    sim, base_url, clock = await start(served)
    retry = RetryPolicy(max_attempts=3, backoff=False)
    sim.fail_next_documented(name, path=CREATE)
    async with connect(sim, base_url, clock, retry=retry) as client:
        with pytest.raises(VenueUnavailable) as info:
            await client.place(sell_stop())
    assert info.value.outcome_known is False
    assert [path for _, path in sim.requests] == [INFO, CREATE, OPEN_ORDERS, HISTORY]
    sim.requests.clear()
    sim.fail_next_documented(name, path=CREATE)
    order = sell_stop()
    async with connect(sim, base_url, clock, retry=retry, resend_after_unknown=True) as client:
        state = await client.place(order)
    assert state.status is OrderStatus.ACCEPTED
    assert state.client_order_id == order.client_order_id
    assert [path for _, path in sim.requests] == [INFO, CREATE, OPEN_ORDERS, HISTORY, CREATE]
    assert len(sim.orders) == 1


# -- reconciliation ------------------------------------------------------------------------------


@pytest.mark.parametrize("mode", ["drop", "server_error", "delay"])
async def test_lost_placement_answer_is_reconciled(served: Served, mode: str) -> None:
    """The venue accepts the order, the answer is lost → place returns the found order; exactly one order exists."""
    sim, base_url, clock = await start(served)
    sim.lose_next_response(CREATE, mode=mode, delay_s=1.0)
    retry = RetryPolicy(max_attempts=3, backoff=False, timeout_s=0.3)
    order = sell_stop_limit()
    async with connect(sim, base_url, clock, retry=retry) as client:
        state = await client.place(order)
        assert client.last_state(client_order_id=order.client_order_id) == state
    assert len(sim.orders) == 1
    (only,) = sim.orders.values()
    assert (state.venue_order_id, state.client_order_id) == (str(only.order_id), order.client_order_id)
    assert (state.status, state.kind, state.stop_price) == (OrderStatus.ACCEPTED, order.kind, order.stop_price)
    assert len(sim.requests_to(CREATE)) == 1


async def test_reconcile_ignores_an_older_order_with_the_same_client_id(served: Served) -> None:
    """An existing order carrying the client id but different fields is not this order → the error is raised."""
    sim, base_url, clock = await start(served)
    async with connect(sim, base_url, clock) as client:
        first = await client.place(sell_stop())
        sim.fail_next_documented("internal", path=CREATE)
        with pytest.raises(VenueUnavailable) as info:
            await client.place(sell_stop(stop_price=47000, client_order_id=first.client_order_id))
    assert info.value.outcome_known is False
    assert len(sim.orders) == 1


async def test_dropped_read_is_sent_again(served: Served) -> None:
    """A read whose connection drops is simply sent again (reads are safe to repeat)."""
    sim, base_url, clock = await start(served)
    sim.lose_next_response(OPEN_ORDERS, mode="drop")
    async with connect(sim, base_url, clock, retry=RetryPolicy(max_attempts=2, backoff=False)) as client:
        assert await client.open_orders() == []
    assert [path for _, path in sim.requests] == [OPEN_ORDERS, OPEN_ORDERS]


# -- signatures ----------------------------------------------------------------------------------


class _StaleThenRightClock:
    # A minute late (an expired signature) until the simulator has seen a create, right after.
    def __init__(self, sim: PacificaSimulator) -> None:
        self.sim = sim

    def now_ms(self) -> int:
        return NOW_MS - 60_000 if not self.sim.requests_to(CREATE) else NOW_MS


async def test_expired_retry_is_resigned_with_a_fresh_timestamp(served: Served) -> None:
    """ "Invalid message" (expired) → the retry carries a new timestamp and a new signature, and lands once."""
    sim, base_url, _ = await start(served)
    client = connect(sim, base_url, _StaleThenRightClock(sim), retry=RetryPolicy(max_attempts=2, backoff=False),
                     expiry_window_ms=5000)  # fmt: skip
    async with client:
        placed = await client.place(sell_stop())
    first, second = (r.json() for r in sim.requests_to(CREATE))
    assert (first["timestamp"], second["timestamp"]) == (NOW_MS - 60_000, NOW_MS)
    assert first["signature"] != second["signature"]
    assert {k: v for k, v in first.items() if k not in ("timestamp", "signature")} == {
        k: v for k, v in second.items() if k not in ("timestamp", "signature")
    }
    assert placed.status is OrderStatus.ACCEPTED
    assert len(sim.orders) == 1


async def test_expired_without_retries_left_is_raised(served: Served) -> None:
    """With no attempt left the expired error surfaces: AuthenticationError, retryable, outcome known."""
    sim, base_url, _ = await start(served)
    async with connect(sim, base_url, stopkit.FrozenClock(NOW_MS - 60_000), expiry_window_ms=5000) as client:
        with pytest.raises(AuthenticationError, match="Invalid message") as info:
            await client.place(sell_stop())
    assert (info.value.retryable, info.value.outcome_known) == (True, True)


# -- rate limits ---------------------------------------------------------------------------------


def _ratelimit(headers: Any) -> tuple[int, int, int, int]:
    # (r, t, q, w) from the two documented headers.
    r, t = (int(part.split("=")[1]) for part in headers["ratelimit"].split(";")[1:])
    q, w = (int(part.split("=")[1]) for part in headers["ratelimit-policy"].split(";")[1:])
    assert headers["ratelimit"].startswith('"credits";')
    assert headers["ratelimit-policy"].startswith('"credits";')
    return r, t, q, w


async def test_ratelimit_headers_on_every_answer_and_costs(served: Served) -> None:
    """Every answer (success, refusal, unknown path) carries both headers; costs (x10): create 1, cancel 0.5,
    open orders 1, info 1, order history 12 (4 keyed)."""
    sim, base_url, _ = await start(served)
    bound = stopkit.bind("pacifica", credentials=sim.demo_credentials(), config=sim.demo_config(base_url))
    ctx = stopkit.RequestContext(now_ms=NOW_MS)
    seen: list[tuple[int, int, int, int]] = []
    async with aiohttp.ClientSession() as session:

        async def send(method: str, url: str, body: bytes | None = None, headers: dict[str, str] | None = None) -> int:
            async with session.request(method, url, data=body, headers=headers or {}) as resp:
                seen.append(_ratelimit(resp.headers))
                return resp.status

        create = bound.build_place_request(sell_stop(), ctx)
        assert await send("POST", create.url, create.body, dict(create.headers)) == 200
        payload = translate.cancel_payload("BTC", venue_order_id=str(max(sim.orders)), client_order_id=None)
        cancel = translate.build_cancel_request(payload, ctx, keys=bound.keys, config=bound.config, api_key=None)  # type: ignore[attr-defined]
        assert await send("POST", cancel.url, cancel.body, dict(cancel.headers)) == 200
        assert await send("GET", f"{base_url}{OPEN_ORDERS}?account={sim.demo_account}") == 200
        assert await send("GET", base_url + INFO) == 200
        assert await send("GET", base_url + "/api/v1/nope") == 404
        assert await send("POST", create.url, create.body, dict(create.headers)) == 422  # duplicate client id
        keyed = {"PF-API-KEY": DEMO_API_KEY}
        assert await send("GET", f"{base_url}{OPEN_ORDERS}?account={sim.demo_account}", headers=keyed) == 200
        assert await send("GET", base_url + INFO, headers={"PF-API-KEY": "unknown-key"}) == 200
        assert await send("GET", f"{base_url}{HISTORY}?account={sim.demo_account}") == 200
        assert await send("GET", f"{base_url}{HISTORY}?account={sim.demo_account}", headers=keyed) == 200
    remaining = [r for r, _, _, _ in seen]
    assert remaining == [990, 985, 975, 965, 955, 945, 2990, 935, 815, 2950]
    assert [(q, w) for _, _, q, w in seen] == [(1000, 60)] * 6 + [(3000, 60), (1000, 60), (1000, 60), (3000, 60)]
    assert all(t == 60 for _, t, _, _ in seen)


async def test_exhausted_credits_give_429_until_the_window_refreshes(served: Served) -> None:
    """Unidentified quota 2 credits: two reads of 1 pass, the next is refused → RateLimited with t seconds;
    the refused request is not processed; after the window it passes again."""
    sim, base_url, clock = await start(served, credits_per_ip=2, rate_window_ms=10_000)
    async with connect(sim, base_url, clock) as client:
        await client.open_orders()
        await client.open_orders()
        clock.advance(2_500)
        with pytest.raises(RateLimited) as info:
            await client.open_orders()
        assert info.value.http_status == 429
        assert info.value.retry_after_s == 8.0  # t = ceil(7.5 s)
        assert "0 credits left" in str(info.value)
        assert info.value.retryable is True
        clock.advance(7_500)
        assert await client.open_orders() == []


async def test_config_key_raises_the_quota(served: Served) -> None:
    """With PACIFICA_API_KEY (sent as PF-API-KEY) the keyed quota applies and order history costs 4, not 12."""
    sim, base_url, clock = await start(served, credits_per_ip=11, credits_per_api_key=9)
    creds = {**sim.demo_credentials(), "PACIFICA_API_KEY": DEMO_API_KEY}
    unknown_id = "00000000-0000-4000-8000-000000000321"
    async with connect(sim, base_url, clock, credentials=creds) as client:
        with pytest.raises(OrderNotFound):
            await client.get(client_order_id=unknown_id)  # open orders 1 + history 4
        with pytest.raises(RateLimited):
            await client.get(client_order_id=unknown_id)  # 5 more > the 4 left
    async with connect(sim, base_url, clock) as client:
        with pytest.raises(RateLimited):  # open orders 1, then history 12 > the 10 left without the key
            await client.get(client_order_id=unknown_id)


async def test_rate_limited_place_is_retried_safely(served: Served) -> None:
    """A 429 on a create was not processed: the retry (re-signed) places the order once."""
    sim, base_url, clock = await start(served)
    sim.fail_next(429, {"success": False, "data": None, "error": "Rate limit exceeded", "code": 429},
                  headers={"ratelimit": '"credits";r=0;t=0'}, path=CREATE)  # fmt: skip
    async with connect(sim, base_url, clock, retry=RetryPolicy(max_attempts=2, backoff=False)) as client:
        placed = await client.place(sell_stop())
    assert placed.status is OrderStatus.ACCEPTED
    assert (len(sim.requests_to(CREATE)), len(sim.orders)) == (2, 1)


def test_simulator_switches_validate() -> None:
    """Bad simulator settings are refused."""
    with pytest.raises(ValueError, match="tick_errors"):
        PacificaSimulator(tick_errors="maybe")
    with pytest.raises(ValueError, match="positive"):
        PacificaSimulator(rate_window_ms=0)
    with pytest.raises(ValueError, match="mode"):
        PacificaSimulator().lose_next_response(CREATE, mode="vanish")
    with pytest.raises(ValueError, match="history_order"):
        PacificaSimulator(history_order="random")
    with pytest.raises(ValueError, match="unbound_agent_error"):
        PacificaSimulator(unbound_agent_error="polite")


async def test_market_info_is_cached_per_client_single_flight_with_a_ttl(served: Served) -> None:
    """Concurrent placements of one client read GET /api/v1/info once (single flight); it is read again once
    market_info_ttl_s has passed on the client's clock; another client has its own cache."""
    sim, base_url, clock = await start(served)
    async with connect(sim, base_url, clock, market_info_ttl_s=60) as client:
        await asyncio.gather(*(client.place(sell_stop(stop_price=48000 - i)) for i in range(5)))
        assert len(sim.requests_to(INFO)) == 1
        clock.advance(59_000)
        await client.place(sell_stop(stop_price=47000))
        assert len(sim.requests_to(INFO)) == 1
        clock.advance(2_000)
        await client.place(sell_stop(stop_price=46000))
        assert len(sim.requests_to(INFO)) == 2
    async with connect(sim, base_url, clock) as other:
        await other.place(sell_stop(stop_price=45000))
    assert len(sim.requests_to(INFO)) == 3
    assert len(sim.orders) == 8


@pytest.mark.parametrize(("history_order", "pages"), [("oldest_first", 2), ("newest_first", 1)])
async def test_reconcile_finds_a_filled_order_in_history_in_either_row_order(
    served: Served, history_order: str, pages: int
) -> None:
    """The venue creates a stop that fills at once (already crossed) and its answer is lost: not in open orders,
    so the client-id search reads order history, 100 rows a page, behind 100 older orders: oldest first it reads
    on to the second page (old rows do not stop it), newest first it finds it on the first; sent once."""
    sim, base_url, clock = await start(served, history_order=history_order, credits_per_ip=10**6)
    async with connect(sim, base_url, clock) as client:
        for i in range(100):  # older orders, two minutes back, a millisecond apart
            clock.advance(1)
            await client.place(sell_stop(stop_price=40000 + i))
        clock.advance(120_000)
        sim.lose_next_response(CREATE, mode="server_error")
        crossed = sell_stop(stop_price=51000)  # above the 50000 price: triggers and fills at once
        state = await client.place(crossed)
    assert (state.status, state.client_order_id) == (OrderStatus.FILLED, crossed.client_order_id)
    assert len(sim.requests_to(CREATE)) == 101
    assert len(sim.requests_to(HISTORY)) == pages
