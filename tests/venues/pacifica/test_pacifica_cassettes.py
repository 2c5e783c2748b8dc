"""Recorded Pacifica exchanges (cassettes/pacifica/): replayed with nothing listening.

One cassette per test: every operation (place both kinds with each trigger type, agent
wallet, builder code, whole-position close, get by venue id and by client id, open orders,
cancel by both ids, reconciliation) and every error class (signature variants, expired and
re-signed, duplicate client id, not found, each 422 family, 403, 404, 409, 429 with its
headers, 5xx).

Re-record with ``python -m pytest tests/venues/pacifica --record-mode=rewrite``: the
simulator then runs on 127.0.0.1 with the same frozen clock, and vcrpy stores what
passed over the loopback (PF-API-KEY masked). In replay (record mode ``none``) the base
URL is unreachable and the simulator does not exist: only the cassette answers, so every
assertion below holds on the recorded answers.
"""

from __future__ import annotations

import json
from collections.abc import Awaitable, Callable, Iterator
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
import yaml
from pacifica_support import CANCEL, CREATE, INFO, NOW_MS, Served

import stopkit
from stopkit.context import FrozenClock
from stopkit.errors import (
    AuthenticationError,
    DuplicateClientOrderId,
    OrderNotFound,
    OrderRejected,
    RateLimited,
    RemoteError,
    VenueUnavailable,
)
from stopkit.orders import PositionEffect, Side, StopLimitOrder, StopOrder, TriggerType
from stopkit.retry import RetryPolicy
from stopkit.state import OrderStatus
from stopkit.transport import AiohttpTransport
from stopkit.wire import HttpRequest, HttpResponse, compact_json
from stopkit_venues.pacifica import parse
from stopkit_venues.pacifica.adapter import PacificaVenue
from stopkit_venues.pacifica.simulator import DEMO_API_KEY, PacificaSimulator

CASSETTES = Path(__file__).resolve().parents[3] / "cassettes" / "pacifica"
UNREACHABLE_BASE_URL = "http://127.0.0.1:9"  # as tests/conftest.py: nothing listens there
STRANGER_KEY = "0x" + "42" * 32
NO_RETRY = RetryPolicy(max_attempts=1, backoff=False)
Sim = PacificaSimulator | None


def cid(n: int) -> str:
    """A fixed client order id (cassette bodies must be byte-identical on replay)."""
    return f"6f1c2b8e-3a4d-4e5f-8a9b-{n:012d}"


LIMIT_ID = cid(1)
MARKET_ID = cid(2)


@pytest.fixture
def vcr_cassette_dir() -> str:
    """Cassettes live in cassettes/pacifica/."""
    return str(CASSETTES)


StartSim = Callable[..., Awaitable[tuple[Sim, str, FrozenClock]]]


@pytest.fixture
def venue(recording: bool, served: Served) -> StartSim:
    """``await venue(**simulator_kwargs)`` → (simulator or None, base_url, shared frozen clock).

    Recording: a simulator on the frozen clock, served on 127.0.0.1. Replaying: no simulator
    and the unreachable base URL."""

    async def start(**kwargs: Any) -> tuple[Sim, str, FrozenClock]:
        clock = FrozenClock(NOW_MS)
        if not recording:
            return None, UNREACHABLE_BASE_URL, clock
        sim = PacificaSimulator(clock=clock.now_ms, **kwargs)
        server = await served(sim.make_app())
        return sim, server.base_url, clock

    return start


def _credentials(*, agent: bool = False, api_key: bool = True) -> dict[str, str]:
    # The simulator's generated demo keys (computed locally, no server needed), plus a config key.
    sim = PacificaSimulator()
    creds = sim.demo_agent_credentials() if agent else sim.demo_credentials()
    return {**creds, "PACIFICA_API_KEY": DEMO_API_KEY} if api_key else creds


def _connect(base_url: str, clock: Any, *, credentials: dict[str, str] | None = None,
             retry: RetryPolicy = NO_RETRY, **config: Any) -> stopkit.VenueClient:  # fmt: skip
    return stopkit.connect("pacifica", credentials=credentials or _credentials(),
                           config={"base_url": base_url, **config}, clock=clock, retry=retry)  # fmt: skip


def _stop(n: int, **overrides: Any) -> StopOrder:
    fields: dict[str, Any] = {"symbol": "BTC", "side": Side.SELL, "position_effect": PositionEffect.CLOSE,
                              "quantity": Decimal("0.1"), "stop_price": Decimal("48000"),
                              "client_order_id": cid(n)}  # fmt: skip
    fields.update(overrides)
    return StopOrder(**fields)


def _stop_limit(n: int, **overrides: Any) -> StopLimitOrder:
    fields: dict[str, Any] = {"symbol": "BTC", "side": Side.SELL, "position_effect": PositionEffect.CLOSE,
                              "quantity": Decimal("0.1"), "stop_price": Decimal("48000"),
                              "limit_price": Decimal("47950"), "client_order_id": cid(n)}  # fmt: skip
    fields.update(overrides)
    return StopLimitOrder(**fields)


def _on(sim: Sim, action: Callable[[PacificaSimulator], object]) -> None:
    # Act on the simulator when recording; replay has only the cassette.
    if sim is not None:
        action(sim)


async def _raw(request: HttpRequest) -> HttpResponse:
    # One hand-made request through stopkit's transport (recorded / replayed like the client's).
    transport = AiohttpTransport(venue="pacifica")
    try:
        return await transport.send(request, timeout_s=5)
    finally:
        await transport.close()


# -- operations ----------------------------------------------------------------------------------


@pytest.mark.vcr
async def test_cassette_place_trigger_and_read_back(venue: StartSim) -> None:
    """Place the documented pair, read back armed, move through, read back filled (by both ids)."""
    sim, base_url, clock = await venue()
    async with _connect(base_url, clock) as client:
        limit, market = [await client.place(o) for o in (_stop_limit(1), _stop(2))]
        assert limit.status is OrderStatus.ACCEPTED
        assert market.status is OrderStatus.ACCEPTED
        _on(sim, lambda s: s.set_price("BTC", Decimal("48500")))
        assert (await client.get(venue_order_id=limit.venue_order_id)).status is OrderStatus.ACCEPTED
        assert len(await client.open_orders("BTC")) == 2
        _on(sim, lambda s: s.set_price("BTC", Decimal("47990")))
        filled = await client.get(venue_order_id=limit.venue_order_id)
        assert (filled.status, filled.venue_status) == (OrderStatus.FILLED, "filled")
        by_client_id = await client.get(client_order_id=MARKET_ID)
        assert (by_client_id.status, by_client_id.venue_order_id) == (OrderStatus.FILLED, market.venue_order_id)


@pytest.mark.vcr
async def test_cassette_each_trigger_type_both_kinds(venue: StartSim) -> None:
    """Stop-market and stop-limit with DEFAULT/MARK/LAST/MID: each triggers only when its own price moves."""
    sim, base_url, clock = await venue()
    triggers = [TriggerType.DEFAULT, TriggerType.MARK_PRICE, TriggerType.LAST_PRICE, TriggerType.MID_POINT]
    async with _connect(base_url, clock) as client:
        placed: dict[TriggerType, list[str]] = {}
        for i, trigger in enumerate(triggers):
            states = [await client.place(_stop(10 + i, trigger_type=trigger)),
                      await client.place(_stop_limit(20 + i, trigger_type=trigger))]  # fmt: skip
            placed[trigger] = [str(s.venue_order_id) for s in states]

        async def statuses() -> dict[TriggerType, list[OrderStatus]]:
            return {t: [(await client.get(venue_order_id=i)).status for i in ids] for t, ids in placed.items()}

        _on(sim, lambda s: s.set_reference_price("BTC", "mark_price", Decimal("47990")))
        after_mark = await statuses()
        assert after_mark[TriggerType.DEFAULT] == [OrderStatus.FILLED] * 2  # DEFAULT is sent as mark_price
        assert after_mark[TriggerType.MARK_PRICE] == [OrderStatus.FILLED] * 2
        assert after_mark[TriggerType.LAST_PRICE] == [OrderStatus.ACCEPTED] * 2
        assert after_mark[TriggerType.MID_POINT] == [OrderStatus.ACCEPTED] * 2
        _on(sim, lambda s: s.set_reference_price("BTC", "mid_price", Decimal("47990")))
        assert (await statuses())[TriggerType.MID_POINT] == [OrderStatus.FILLED] * 2
        assert (await statuses())[TriggerType.LAST_PRICE] == [OrderStatus.ACCEPTED] * 2
        _on(sim, lambda s: s.set_reference_price("BTC", "last_trade_price", Decimal("47990")))
        assert (await statuses())[TriggerType.LAST_PRICE] == [OrderStatus.FILLED] * 2


@pytest.mark.vcr
async def test_cassette_agent_wallet_and_builder_code(venue: StartSim) -> None:
    """A bound agent key places with an approved builder code; an unapproved one → 403 → OrderRejected."""
    _sim, base_url, clock = await venue()
    async with _connect(base_url, clock, credentials=_credentials(agent=True), builder_code="STOPKIT") as client:
        placed = await client.place(_stop_limit(30))
        assert placed.status is OrderStatus.ACCEPTED
        state = await client.get(client_order_id=cid(30))
        assert state.venue_order_id == placed.venue_order_id
    async with _connect(base_url, clock, credentials=_credentials(agent=True), builder_code="MYCODE") as client:
        with pytest.raises(OrderRejected, match="builder code") as info:
            await client.place(_stop(31))
    assert info.value.http_status == 403


@pytest.mark.vcr
async def test_cassette_whole_position_close(venue: StartSim) -> None:
    """quantity=None with CLOSE (amount omitted) closes the whole 0.3 BTC position when triggered."""
    sim, base_url, clock = await venue()
    _on(sim, lambda s: s.set_position(s.demo_account, "BTC", Decimal("0.3")))
    async with _connect(base_url, clock) as client:
        placed = await client.place(_stop(40, quantity=None))
        assert (placed.status, placed.quantity) == (OrderStatus.ACCEPTED, None)
        _on(sim, lambda s: s.set_price("BTC", Decimal("47990")))
        state = await client.get(client_order_id=cid(40))
    assert (state.status, state.filled_quantity) == (OrderStatus.FILLED, Decimal("0.3"))


@pytest.mark.vcr
async def test_cassette_get_open_orders_and_cancel_by_both_ids(venue: StartSim) -> None:
    """get by venue id and client id, open_orders (all and per symbol), cancel by venue id and by client id."""
    _sim, base_url, clock = await venue()
    async with _connect(base_url, clock) as client:
        a = await client.place(_stop(50))
        b = await client.place(_stop_limit(51, symbol="ETH/USDC:USDC", stop_price=2900, limit_price=2890))
        assert (await client.get(venue_order_id=a.venue_order_id)).client_order_id == cid(50)
        assert (await client.get(client_order_id=cid(51))).venue_order_id == b.venue_order_id
        assert {s.venue_order_id for s in await client.open_orders()} == {a.venue_order_id, b.venue_order_id}
        # Placed with a unified symbol: reported with it, the venue's own in venue_symbol.
        assert [(s.symbol, s.venue_symbol) for s in await client.open_orders("ETH")] == [("ETH/USDC:USDC", "ETH")]
        first = await client.cancel(venue_order_id=a.venue_order_id, symbol="BTC")
        second = await client.cancel(client_order_id=cid(51), symbol="ETH")
        assert (first.status, first.reason) == (OrderStatus.CANCELED, "cancel")
        assert (second.status, second.venue_order_id) == (OrderStatus.CANCELED, b.venue_order_id)
        assert await client.open_orders() == []


@pytest.mark.vcr
async def test_cassette_reconcile_after_lost_answer(venue: StartSim) -> None:
    """The venue creates the order but answers 500: place reconciles by client id and returns the order."""
    sim, base_url, clock = await venue()
    _on(sim, lambda s: s.lose_next_response(CREATE, mode="server_error"))
    async with _connect(base_url, clock, retry=RetryPolicy(max_attempts=3, backoff=False)) as client:
        state = await client.place(_stop_limit(60))
    assert (state.status, state.client_order_id, state.stop_price) == (OrderStatus.ACCEPTED, cid(60), 48000)
    if sim is not None:
        assert len(sim.orders) == 1
        assert len(sim.requests_to(CREATE)) == 1


@pytest.mark.vcr
async def test_cassette_market_info(venue: StartSim) -> None:
    """GET /api/v1/info: tick_size, lot_size, min_tick/max_tick and min_order_size per market."""
    _sim, base_url, _clock = await venue()
    response = await _raw(HttpRequest(method="GET", url=base_url + INFO))
    rows = {row["symbol"]: row for row in response.json()["data"]}
    assert {k: rows["BTC"][k] for k in ("tick_size", "lot_size", "min_tick", "max_tick", "min_order_size")} == {
        "tick_size": "1", "lot_size": "0.00001", "min_tick": "0", "max_tick": "1000000", "min_order_size": "10",
    }  # fmt: skip
    assert response.headers["ratelimit-policy"] == '"credits";q=1000;w=60'


# -- errors --------------------------------------------------------------------------------------


@pytest.mark.vcr
async def test_cassette_cancel_and_refusals(venue: StartSim) -> None:
    """Cancel reads back CANCELED; a reused client id and a stranger's key are refused."""
    _sim, base_url, clock = await venue()
    async with _connect(base_url, clock) as client:
        placed = await client.place(_stop(2))
        cancelled = await client.cancel(venue_order_id=placed.venue_order_id, symbol="BTC")
        assert (cancelled.status, cancelled.venue_status) == (OrderStatus.CANCELED, "cancelled")
        with pytest.raises(DuplicateClientOrderId):
            await client.place(_stop(2))
    stranger = {"PACIFICA_PRIVATE_KEY": STRANGER_KEY, "PACIFICA_ACCOUNT": _credentials()["PACIFICA_ACCOUNT"]}
    async with _connect(base_url, clock, credentials=stranger) as client:
        with pytest.raises(AuthenticationError):
            await client.place(_stop_limit(1))


class _SequenceClock:
    # Returns the given times in order, then the last one forever (deterministic stale-then-right).
    def __init__(self, *values: int) -> None:
        self.values = list(values)

    def now_ms(self) -> int:
        return self.values.pop(0) if len(self.values) > 1 else self.values[0]


@pytest.mark.vcr
async def test_cassette_signature_errors(venue: StartSim) -> None:
    """Unbound agent, tampered body, agent body without agent_wallet, bad signature, bad public key, expired
    (raised) and expired-then-re-signed (placed): each classified from the recorded answer."""
    _sim, base_url, clock = await venue()
    stranger = {"PACIFICA_PRIVATE_KEY": STRANGER_KEY, "PACIFICA_ACCOUNT": _credentials()["PACIFICA_ACCOUNT"]}
    async with _connect(base_url, clock, credentials=stranger) as client:
        with pytest.raises(AuthenticationError, match="Agent not authorized for account"):
            await client.place(_stop(70))

    bound = stopkit.bind("pacifica", credentials=_credentials(api_key=False), config={"base_url": base_url})
    assert isinstance(bound, PacificaVenue)
    agent = stopkit.bind("pacifica", credentials=_credentials(agent=True, api_key=False), config={"base_url": base_url})
    ctx = stopkit.RequestContext(now_ms=NOW_MS)
    good = bound.build_place_request(_stop(71), ctx)

    def variant(body: dict[str, Any]) -> HttpRequest:
        return HttpRequest(method="POST", url=good.url, headers=dict(good.headers), body=compact_json(body))

    tampered = {**json.loads(good.body or b""), "reduce_only": False}
    agent_body = json.loads(agent.build_place_request(_stop(72), ctx).body or b"")
    del agent_body["agent_wallet"]
    not_base58 = {**json.loads(good.body or b""), "signature": "0OIl-not-base58"}
    bad_account = {**json.loads(good.body or b""), "account": "abc"}
    cases = [
        (tampered, "Verification failed", "400"),
        (agent_body, "Verification failed", "400"),
        (not_base58, "Invalid signature", "400"),
        (bad_account, "Invalid public key", "400"),
    ]
    for body, message, code in cases:
        response = await _raw(variant(body))
        err = bound.classify_error(response, writes=True)
        assert type(err) is AuthenticationError
        assert (err.http_status, err.venue_code, err.retryable, err.outcome_known) == (400, code, False, True)
        assert (err.venue_message or "").startswith(message)

    async with _connect(base_url, FrozenClock(NOW_MS - 60_000), expiry_window_ms=5000) as client:
        with pytest.raises(AuthenticationError, match="Invalid message") as info:
            await client.place(_stop(73))
    assert (info.value.retryable, info.value.outcome_known) == (True, True)
    stale_then_right = _SequenceClock(NOW_MS - 60_000, NOW_MS - 60_000, NOW_MS)
    retry = RetryPolicy(max_attempts=2, backoff=False)
    async with _connect(base_url, stale_then_right, retry=retry, expiry_window_ms=5000) as client:
        placed = await client.place(_stop(74))
    assert placed.status is OrderStatus.ACCEPTED


@pytest.mark.vcr
async def test_cassette_not_found(venue: StartSim) -> None:
    """Unknown ids: get by venue id and by client id → OrderNotFound; cancel of an unknown stop → the documented
    400 "Stop order not found" (the read-back finds no cancelled order either); cancel by an unused client id →
    422 code 37; an injected 422 code 6."""
    sim, base_url, clock = await venue()
    async with _connect(base_url, clock) as client:
        with pytest.raises(OrderNotFound):
            await client.get(venue_order_id="999")
        with pytest.raises(OrderNotFound):
            await client.get(client_order_id=cid(999))
        with pytest.raises(OrderNotFound, match="Stop order not found") as info:
            await client.cancel(venue_order_id="999", symbol="BTC")
        assert (info.value.http_status, info.value.venue_code) == (400, "400")
        with pytest.raises(OrderNotFound) as info:
            await client.cancel(client_order_id=cid(998), symbol="BTC")
        assert (info.value.http_status, info.value.venue_code) == (422, "37")
        _on(sim, lambda s: s.fail_next_business(6, path=CANCEL))
        with pytest.raises(OrderNotFound) as info:
            await client.cancel(venue_order_id="1", symbol="BTC")
        assert (info.value.http_status, info.value.venue_code) == (422, "6")


@pytest.mark.vcr
async def test_cassette_business_codes(venue: StartSim) -> None:
    """Each 422 family: tick 16/52, amount 59, reduce-only 21/22/23 from real checks (the client's own
    market-rules check off, so the venue answers); the rest of the table (17 included) injected. Every
    one → OrderRejected (or its subclass) carrying the code."""
    sim, base_url, clock = await venue(tick_errors="business", check_position_on_create=True)
    natural = [
        (_stop(80, stop_price=Decimal("48000.5")), "16"),
        (_stop_limit(81, limit_price=Decimal("47950.5")), "52"),
        (_stop(82, quantity=Decimal("0.000015")), "59"),
        (_stop(84, side=Side.BUY, stop_price=51000), "21"),
        (_stop(85, quantity=Decimal(2)), "22"),
        (_stop(86, symbol="ETH", stop_price=2900), "23"),
    ]
    async with _connect(base_url, clock, check_market_rules=False) as client:
        for order, code in natural:
            with pytest.raises(OrderRejected) as info:
                await client.place(order)
            assert type(info.value) is OrderRejected
            assert (info.value.http_status, info.value.venue_code, info.value.retryable) == (422, code, False)
        for n, code in enumerate((10, 13, 17, 18, 19, 20, 25, 30, 50)):
            _on(sim, lambda s, code=code: s.fail_next_business(code, path=CREATE))
            with pytest.raises(OrderRejected) as info:
                await client.place(_stop(90 + n))
            assert (type(info.value), info.value.venue_code) == (OrderRejected, str(code))


@pytest.mark.vcr
async def test_cassette_tick_errors_as_documented_400(venue: StartSim) -> None:
    """The default (documented) style: a mis-rounded price or amount → 400 "not a multiple of ..." → OrderRejected
    (the client's own market-rules check off, so the venue answers)."""
    _sim, base_url, clock = await venue()
    async with _connect(base_url, clock, check_market_rules=False) as client:
        with pytest.raises(OrderRejected, match="not a multiple of tick size 1") as info:
            await client.place(_stop(100, stop_price=Decimal("48000.5")))
        assert info.value.http_status == 400
        with pytest.raises(OrderRejected, match="lot size"):
            await client.place(_stop(101, quantity=Decimal("0.000015")))


@pytest.mark.vcr
async def test_cassette_access_and_server_errors(venue: StartSim) -> None:
    """403 restricted → AuthenticationError; 404 → OrderNotFound; 409 → OrderRejected; 500/503/504 on reads →
    VenueUnavailable (outcome known); 503 on a create → looked up, not found → reported unknown (the default);
    with resend_after_unknown → resent with the same client order id → placed once."""
    sim, base_url, clock = await venue()
    expected: list[tuple[str, type[RemoteError], int]] = [
        ("restricted", AuthenticationError, 403), ("not_found", OrderNotFound, 404),
        ("conflict", OrderRejected, 409), ("internal", VenueUnavailable, 500),
        ("unavailable", VenueUnavailable, 503), ("gateway_timeout", VenueUnavailable, 504),
    ]  # fmt: skip
    async with _connect(base_url, clock) as client:
        for name, cls, status in expected:
            _on(sim, lambda s, name=name: s.fail_next_documented(name))
            with pytest.raises(RemoteError) as info:
                await client.open_orders()
            assert (type(info.value), info.value.http_status, info.value.outcome_known) == (cls, status, True)
        _on(sim, lambda s: s.fail_next_documented("conflict", path=CREATE))
        with pytest.raises(OrderRejected) as conflict:
            await client.place(_stop(110))
        assert conflict.value.http_status == 409
        _on(sim, lambda s: s.fail_next_documented("unavailable", path=CREATE))
        with pytest.raises(VenueUnavailable) as unknown:
            await client.place(_stop(112))  # 503 → looked up, not found → no resend by default
        assert unknown.value.outcome_known is False
    async with _connect(base_url, clock, resend_after_unknown=True) as client:
        _on(sim, lambda s: s.fail_next_documented("unavailable", path=CREATE))
        order = _stop(111)
        placed = await client.place(order)  # 503 → looked up, not found → sent once more (same id) → placed
        assert placed.status is OrderStatus.ACCEPTED
        assert placed.client_order_id == order.client_order_id


@pytest.mark.vcr
async def test_cassette_rate_limited(venue: StartSim) -> None:
    """13 credits per IP: open orders (1) and an order history page (12) pass, the next read → 429 with the
    ratelimit headers → RateLimited (retry_after_s from t=, seconds); once the window has passed, it passes again."""
    _sim, base_url, clock = await venue(credits_per_ip=13, rate_window_ms=10_000)
    async with _connect(base_url, clock, credentials=_credentials(api_key=False)) as client:
        with pytest.raises(OrderNotFound):
            await client.get(client_order_id=cid(120))  # open orders (1) + one history page (12)
        clock.advance(2_500)
        with pytest.raises(RateLimited) as info:
            await client.open_orders()
        assert (info.value.http_status, info.value.retry_after_s, info.value.retryable) == (429, 8.0, True)
        assert "0 credits left" in str(info.value)
        clock.advance(7_500)
        assert await client.open_orders() == []


# -- the cassettes themselves ------------------------------------------------------------------


def _recorded() -> Iterator[tuple[str, dict[str, Any]]]:
    # Every recorded interaction; a loop over none would pass vacuously, so an empty set fails here.
    recorded = [
        (path.name, interaction)
        for path in sorted(CASSETTES.glob("*.yaml"))
        for interaction in yaml.safe_load(path.read_text())["interactions"]
    ]
    assert len(recorded) >= 50, "cassettes missing: re-record with --record-mode=rewrite"
    yield from recorded


def test_cassettes_hold_no_secret() -> None:
    """No test secret (private keys, seeds, config key) appears in any recorded cassette."""
    files = sorted(CASSETTES.glob("*.yaml"))
    assert len(files) >= 12, "cassettes missing: re-record with --record-mode=rewrite"
    sim = PacificaSimulator()
    secrets = [sim.demo_credentials()["PACIFICA_PRIVATE_KEY"], sim.demo_agent_credentials()["PACIFICA_PRIVATE_KEY"],
               DEMO_API_KEY, "42" * 32]  # fmt: skip
    for path in files:
        text = path.read_text()
        for secret in secrets:
            assert secret not in text, f"{secret[:4]}... in {path.name}"


def test_every_recorded_answer_has_ratelimit_headers() -> None:
    """Every answer the simulator recorded carries ratelimit and ratelimit-policy."""
    for name, interaction in _recorded():
        headers = {k.lower(): v for k, v in interaction["response"]["headers"].items()}
        assert "ratelimit" in headers, name
        assert headers["ratelimit-policy"][0].startswith('"credits";q='), name


# Expected class per recorded error answer: by (status, code) of the envelope.
_RECORDED_CLASSES: dict[tuple[int, Any], type[RemoteError]] = {
    (403, 403): AuthenticationError, (404, 404): OrderNotFound, (409, 409): OrderRejected,
    (422, 6): OrderNotFound, (422, 36): DuplicateClientOrderId, (422, 37): OrderNotFound,
    (429, 429): RateLimited, (500, None): VenueUnavailable, (503, 503): VenueUnavailable,
    (504, 504): VenueUnavailable,
}  # fmt: skip


def test_recorded_error_bodies_classify() -> None:
    """classify_error over every recorded error answer gives the documented class, with the venue's code."""
    seen: set[type[RemoteError]] = set()
    for name, interaction in _recorded():
        answer = interaction["response"]
        status = answer["status"]["code"]
        if status < 400:
            continue
        response = HttpResponse(status=status, headers={k: v[0] for k, v in answer["headers"].items()},
                                body=answer["body"]["string"].encode())  # fmt: skip
        try:
            code = json.loads(response.body).get("code")
            message = json.loads(response.body).get("error") or ""
        except ValueError:
            code, message = None, ""
        err = parse.classify_error(response, writes=interaction["request"]["method"] == "POST")
        seen.add(type(err))
        if "builder" in message.lower():
            expected: type[RemoteError] = OrderRejected
        elif status == 400 and message.startswith(
            ("Verification", "Invalid s", "Invalid p", "Invalid m", "Agent not authorized")
        ):
            expected = AuthenticationError
        elif status == 400 and "not found" in message:
            expected = OrderNotFound
        elif status in (400, 422) and (status, code) not in _RECORDED_CLASSES:
            expected = OrderRejected
        else:
            expected = _RECORDED_CLASSES[(status, code)]
        assert type(err) is expected, (name, status, message)
        assert err.http_status == status
        if status == 422:
            assert err.venue_code == str(code)
        if status >= 500:
            assert err.outcome_known is (interaction["request"]["method"] != "POST")
    assert seen == {AuthenticationError, OrderNotFound, OrderRejected, DuplicateClientOrderId, RateLimited,
                    VenueUnavailable}  # fmt: skip


def test_cassettes_use_signed_bodies_only_for_posts() -> None:
    """Recorded POSTs are signed with the header fields first; GETs carry no body."""
    for name, interaction in _recorded():
        request = interaction["request"]
        if request["method"] == "GET":
            assert request["body"] is None, name
            continue
        body = json.loads(request["body"])
        assert next(iter(body)) == "account", name
        assert {"signature", "timestamp", "expiry_window"} <= set(body), name
