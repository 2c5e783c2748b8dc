"""VenueClient: flows, retries, unknown outcomes and bearer tokens, over a MockTransport."""

from __future__ import annotations

import asyncio
import contextlib
import json
from collections.abc import AsyncIterator, Mapping
from decimal import Decimal
from typing import Any

import pytest
from conftest import FakeAdapter, FakeBound

import stopkit
from stopkit import (
    FrozenClock,
    HttpRequest,
    HttpResponse,
    InvalidOrder,
    OrderState,
    OrderStatus,
    RequestContext,
    RetryPolicy,
    Side,
    StopOrder,
    TimeInForce,
    TransportError,
    UnsupportedOrder,
    VenueUnavailable,
    WriteOutcome,
)
from stopkit.orders import AnyStopOrder
from stopkit.testing import MockTransport
from stopkit.venue import BoundVenue, Credentials, Exchange, Flow

ORDER = StopOrder(symbol="X", side=Side.SELL, quantity=Decimal(1), stop_price=Decimal(10))
FAST = RetryPolicy(max_attempts=3, backoff=False, timeout_s=1)


def ok(request: HttpRequest) -> HttpResponse:
    return HttpResponse(status=200, body=b'{"id": 7}')


async def test_place_runs_the_flow_and_remembers(fake_adapter: FakeAdapter) -> None:
    """place() builds with the injected clock, parses, and keeps the last state."""
    transport = MockTransport(ok)
    async with stopkit.connect(
        fake_adapter, credentials={}, transport=transport, clock=FrozenClock(1_000), retry=FAST
    ) as client:
        state = await client.place(ORDER)
        assert state.venue_order_id == "7"
        assert state.status is OrderStatus.ACCEPTED
        assert transport.sent[0].headers["X-Now"] == "1000"
        assert client.last_state(client_order_id=ORDER.client_order_id) == state
        assert client.last_state(venue_order_id="7") == state
    assert transport.closed


async def test_unsupported_and_invalid_before_io(fake_adapter: FakeAdapter) -> None:
    """Capability and type checks raise before anything is sent."""
    transport = MockTransport(ok)
    async with stopkit.connect(fake_adapter, credentials={}, transport=transport, retry=FAST) as client:
        with pytest.raises(UnsupportedOrder, match="fake venues only rest GTC") as info:
            await client.place(StopOrder(symbol="X", side="buy", quantity=1, stop_price=1, time_in_force="ioc"))
        assert info.value.feature == "time_in_force=IOC"
        with pytest.raises(UnsupportedOrder, match="whole-position"):
            await client.place(StopOrder(symbol="X", side="sell", quantity=None, stop_price=1))
        with pytest.raises(InvalidOrder):
            await client.place("not an order")  # type: ignore[arg-type]
        with pytest.raises(UnsupportedOrder, match="cancel"):
            await client.cancel(venue_order_id="1")
    assert transport.sent == []
    assert ORDER.time_in_force is TimeInForce.GTC


async def test_write_with_unknown_outcome_is_never_resent(fake_adapter: FakeAdapter) -> None:
    """A 503 after an order POST is not resent: the error says the outcome is unknown."""
    transport = MockTransport(lambda r: HttpResponse(status=503, body=b"down"))
    async with stopkit.connect(fake_adapter, credentials={}, transport=transport, retry=FAST) as client:
        with pytest.raises(VenueUnavailable) as info:
            await client.place(ORDER)
    assert info.value.outcome_known is False
    assert len(transport.sent) == 1


async def test_timeout_after_send_is_never_resent(fake_adapter: FakeAdapter) -> None:
    """A transport timeout on an order POST propagates with outcome_known=False, sent once."""

    def timeout(request: HttpRequest) -> HttpResponse:
        raise TransportError("no response", outcome_known=False)

    transport = MockTransport(timeout)
    async with stopkit.connect(fake_adapter, credentials={}, transport=transport, retry=FAST) as client:
        with pytest.raises(TransportError) as info:
            await client.place(ORDER)
    assert info.value.outcome_known is False
    assert len(transport.sent) == 1


async def test_refused_connection_is_retried_and_restamped(fake_adapter: FakeAdapter) -> None:
    """A write that provably never left is retried, rebuilt with a fresh context each attempt."""
    clock = FrozenClock(5_000)
    calls = 0

    def flaky(request: HttpRequest) -> HttpResponse:
        nonlocal calls
        calls += 1
        clock.advance(250)
        if calls < 3:
            raise TransportError("refused", outcome_known=True)
        return ok(request)

    transport = MockTransport(flaky)
    async with stopkit.connect(fake_adapter, credentials={}, transport=transport, clock=clock, retry=FAST) as client:
        await client.place(ORDER)
    assert [r.headers["X-Attempt"] for r in transport.sent] == ["1", "2", "3"]
    assert [r.headers["X-Now"] for r in transport.sent] == ["5000", "5250", "5500"]


async def test_reads_retry_on_5xx_and_rate_limits(fake_adapter: FakeAdapter) -> None:
    """Reads are retried on 503 and 429 and succeed; attempts are bounded."""
    answers = [
        HttpResponse(status=503),
        HttpResponse(status=429),
        HttpResponse(status=200, body=b'{"status":"filled"}'),
    ]
    transport = MockTransport(lambda r: answers.pop(0))
    async with stopkit.connect(fake_adapter, credentials={}, transport=transport, retry=FAST) as client:
        state = await client.get(venue_order_id="9")
    assert state.status is OrderStatus.FILLED
    assert len(transport.sent) == 3

    always = MockTransport(lambda r: HttpResponse(status=503))
    async with stopkit.connect(fake_adapter, credentials={}, transport=always, retry=FAST) as client:
        with pytest.raises(VenueUnavailable):
            await client.get(venue_order_id="9")
    assert len(always.sent) == 3


async def test_flow_handles_not_found_by_looking_elsewhere(fake_adapter: FakeAdapter) -> None:
    """A flow can catch a venue error thrown into it and continue with another request."""

    def route(request: HttpRequest) -> HttpResponse:
        if "/open/" in request.url:
            return HttpResponse(status=404)
        return HttpResponse(status=200, body=b'{"status":"canceled"}')

    transport = MockTransport(route)
    async with stopkit.connect(fake_adapter, credentials={}, transport=transport, retry=FAST) as client:
        state = await client.get(venue_order_id="3")
    assert state.status is OrderStatus.CANCELED
    assert [r.url.rsplit("/", 2)[1] for r in transport.sent] == ["open", "history"]


async def test_one_token_request_for_many_concurrent_calls(fake_adapter: FakeAdapter) -> None:
    """100 concurrent place() calls on no token cause exactly one token request."""
    token_calls = 0

    async def handler(request: HttpRequest) -> HttpResponse:
        nonlocal token_calls
        if request.url.endswith("/token"):
            token_calls += 1
            await asyncio.sleep(0.01)
            return HttpResponse(status=200, body=json.dumps({"token": "T1", "expires_in": 3600}).encode())
        assert request.headers["Authorization"] == "Bearer T1"
        return ok(request)

    transport = MockTransport(handler)
    async with stopkit.connect(
        fake_adapter, credentials={}, config={"token_auth": True}, transport=transport, retry=FAST
    ) as client:
        orders = [StopOrder(symbol="X", side="sell", quantity=1, stop_price=1) for _ in range(100)]
        states = await asyncio.gather(*(client.place(o) for o in orders))
    assert token_calls == 1
    assert len(states) == 100


async def test_expired_token_refreshed_before_use(fake_adapter: FakeAdapter) -> None:
    """A token close to expiry is replaced before the next request."""
    clock = FrozenClock(0)
    issued = []

    def handler(request: HttpRequest) -> HttpResponse:
        if request.url.endswith("/token"):
            issued.append(f"T{len(issued) + 1}")
            return HttpResponse(status=200, body=json.dumps({"token": issued[-1], "expires_in": 600}).encode())
        return ok(request)

    transport = MockTransport(handler)
    async with stopkit.connect(
        fake_adapter, credentials={}, config={"token_auth": True}, transport=transport, clock=clock, retry=FAST
    ) as client:
        await client.place(ORDER)
        clock.advance(400_000)  # 200 s left: more than the 60 s margin, keep it
        await client.place(StopOrder(symbol="X", side="sell", quantity=1, stop_price=1))
        clock.advance(150_000)  # 50 s left: inside min(60 s, 20 % of 600 s), refresh
        await client.place(StopOrder(symbol="X", side="sell", quantity=1, stop_price=1))
    auth = [r.headers.get("Authorization") for r in transport.sent if r.url.endswith("/orders")]
    assert auth == ["Bearer T1", "Bearer T1", "Bearer T2"]


async def test_401_refreshes_once_and_retries_a_read(
    fake_adapter: FakeAdapter, caplog: pytest.LogCaptureFixture
) -> None:
    """A 401 on a read leads to one token refresh (logged, naming the request) and one resend; a second 401
    propagates."""
    tokens = iter(["T1", "T2", "T3"])
    reads = iter([401, 200])

    def handler(request: HttpRequest) -> HttpResponse:
        if request.url.endswith("/token"):
            return HttpResponse(status=200, body=json.dumps({"token": next(tokens), "expires_in": 3600}).encode())
        return HttpResponse(status=next(reads), body=b'{"status": "accepted"}')

    transport = MockTransport(handler)
    caplog.set_level("INFO", logger="stopkit.client")
    async with stopkit.connect(
        fake_adapter, credentials={}, config={"token_auth": True}, transport=transport, retry=FAST
    ) as client:
        state = await client.get(venue_order_id="7")
    assert state.status is OrderStatus.ACCEPTED
    assert "fakevenue: open refused the token; refreshing once" in caplog.messages
    assert sum(1 for r in transport.sent if "/open/" in r.url) == 2
    assert sum(1 for r in transport.sent if r.url.endswith("/token")) == 2

    always = MockTransport(
        lambda r: (
            HttpResponse(status=200, body=b'{"token": "T", "expires_in": 3600}')
            if r.url.endswith("/token")
            else HttpResponse(status=401)
        )
    )
    async with stopkit.connect(
        fake_adapter, credentials={}, config={"token_auth": True}, transport=always, retry=FAST
    ) as client:
        with pytest.raises(stopkit.AuthenticationError):
            await client.get(venue_order_id="7")
    assert sum(1 for r in always.sent if "/open/" in r.url) == 2


async def test_401_to_a_write_is_resent_only_after_reconciliation_found_nothing(fake_adapter: FakeAdapter) -> None:
    """A documented 401 to an order POST: refresh, look the order up, and send again only when absent."""
    tokens = iter(["T1", "T2", "T3"])

    def handler(request: HttpRequest) -> HttpResponse:
        if request.url.endswith("/token"):
            return HttpResponse(status=200, body=json.dumps({"token": next(tokens), "expires_in": 3600}).encode())
        if "/by-coid/" in request.url:
            return HttpResponse(status=404)
        if request.headers["Authorization"] == "Bearer T1":
            return HttpResponse(status=401)
        return ok(request)

    transport = MockTransport(handler)
    async with stopkit.connect(
        fake_adapter, credentials={}, config={"token_auth": True, "reconcile": True}, transport=transport, retry=FAST
    ) as client:
        state = await client.place(ORDER)
    assert state.venue_order_id == "7"
    kinds = [
        ("lookup" if "/by-coid/" in r.url else r.headers.get("Authorization"))
        for r in transport.sent
        if not r.url.endswith("/token")
    ]
    assert kinds == ["Bearer T1", "lookup", "Bearer T2"]


async def test_401_to_a_write_without_reconciliation_is_not_resent(fake_adapter: FakeAdapter) -> None:
    """With no way to look the order up, a 401 to an order POST refreshes the token but never resends."""
    tokens = iter(["T1", "T2"])

    def handler(request: HttpRequest) -> HttpResponse:
        if request.url.endswith("/token"):
            return HttpResponse(status=200, body=json.dumps({"token": next(tokens), "expires_in": 3600}).encode())
        if request.headers["Authorization"] == "Bearer T1":
            return HttpResponse(status=401)
        return ok(request)

    transport = MockTransport(handler)
    async with stopkit.connect(
        fake_adapter, credentials={}, config={"token_auth": True}, transport=transport, retry=FAST
    ) as client:
        with pytest.raises(stopkit.AuthenticationError) as info:
            await client.place(ORDER)
        assert info.value.outcome_known is True  # documented refusal: the venue did not act
        assert info.value.token_refreshed is True
        assert any("it was not sent again" in note for note in info.value.__notes__)
        assert sum(1 for r in transport.sent if r.url.endswith("/orders")) == 1
        again = await client.place(ORDER)  # the next call goes out with the fresh token
    assert again.venue_order_id == "7"
    assert [r.headers["Authorization"] for r in transport.sent if r.url.endswith("/orders")] == [
        "Bearer T1",
        "Bearer T2",
    ]


async def test_unknown_outcome_is_reconciled_not_resent(fake_adapter: FakeAdapter) -> None:
    """A lost answer to an order POST leads to a lookup that finds the order; the POST is sent once."""
    clock = FrozenClock(42_000)

    def handler(request: HttpRequest) -> HttpResponse:
        if request.url.endswith("/orders"):
            raise TransportError("reset after sending", outcome_known=False)
        assert "/by-coid/" in request.url
        assert request.url.endswith("?since=42000")
        return ok(request)

    transport = MockTransport(handler)
    async with stopkit.connect(
        fake_adapter, credentials={}, config={"reconcile": True}, transport=transport, clock=clock, retry=FAST
    ) as client:
        state = await client.place(ORDER)
    assert state.venue_order_id == "7"
    assert [r.method for r in transport.sent] == ["POST", "GET"]


async def test_unknown_outcome_not_found_keeps_the_original_error(fake_adapter: FakeAdapter) -> None:
    """When the lookup finds nothing the original error is raised, still outcome_known=False, with a note."""

    def handler(request: HttpRequest) -> HttpResponse:
        if request.url.endswith("/orders"):
            return HttpResponse(status=504)
        return HttpResponse(status=404)

    transport = MockTransport(handler)
    async with stopkit.connect(
        fake_adapter, credentials={}, config={"reconcile": True}, transport=transport, retry=FAST
    ) as client:
        with pytest.raises(VenueUnavailable) as info:
            await client.place(ORDER)
    assert info.value.outcome_known is False
    assert info.value.__notes__ == [
        "reconciliation found no matching order; it may still appear: check again before resending"
    ]
    assert sum(1 for r in transport.sent if r.method == "POST") == 1


async def test_unknown_outcome_without_reconciliation(fake_adapter: FakeAdapter) -> None:
    """A venue that cannot look orders up reports the unknown outcome as is, with a note."""
    transport = MockTransport(lambda r: HttpResponse(status=502))
    async with stopkit.connect(fake_adapter, credentials={}, transport=transport, retry=FAST) as client:
        with pytest.raises(VenueUnavailable) as info:
            await client.place(ORDER)
    assert info.value.outcome_known is False
    assert any("reconcile it by hand" in note for note in info.value.__notes__)
    assert len(transport.sent) == 1


async def test_modify_validates_and_runs_the_venue_flow(fake_adapter: FakeAdapter) -> None:
    """modify() checks the amendment before I/O and returns the venue's new state."""
    transport = MockTransport(lambda r: HttpResponse(status=200, body=b'{"id": 8}') if "/replace/" in r.url else ok(r))
    async with stopkit.connect(fake_adapter, credentials={}, transport=transport, retry=FAST) as client:
        placed = await client.place(ORDER)
        with pytest.raises(InvalidOrder, match="at least one"):
            await client.modify(placed)
        with pytest.raises(InvalidOrder, match="no limit price") as limit_info:
            await client.modify(placed, limit_price=Decimal(9))
        assert limit_info.value.field == "limit_price"
        with pytest.raises(InvalidOrder):
            await client.modify(placed, stop_price=9.5)
        sent_before = len(transport.sent)
        assert sent_before == 1
        moved = await client.modify(placed, stop_price="9.5")
    assert moved.venue_order_id == "8"
    assert moved.stop_price == Decimal("9.5")
    assert transport.sent[-1].body == b'{"stop": "9.5"}'


async def test_refused_refresh_falls_back_to_credentials(fake_adapter: FakeAdapter) -> None:
    """A refused refresh grant is followed by one grant from the credentials; the request then succeeds."""
    clock = FrozenClock(0)
    grants: list[str] = []

    def handler(request: HttpRequest) -> HttpResponse:
        if request.url.endswith("/token"):
            grant = json.loads(request.body or b"{}")["grant"]
            grants.append(grant)
            if grant == "refresh":
                return HttpResponse(status=400)
            return HttpResponse(
                status=200, body=json.dumps({"token": f"T{len(grants)}", "expires_in": 100, "refresh": "R"}).encode()
            )
        return ok(request)

    transport = MockTransport(handler)
    async with stopkit.connect(
        fake_adapter, credentials={}, config={"token_auth": True}, transport=transport, clock=clock, retry=FAST
    ) as client:
        await client.place(ORDER)
        clock.advance(95_000)  # inside the refresh margin
        await client.place(StopOrder(symbol="X", side="sell", quantity=1, stop_price=1))
    assert grants == ["credentials", "refresh", "credentials"]
    auth = [r.headers.get("Authorization") for r in transport.sent if r.url.endswith("/orders")]
    assert auth == ["Bearer T1", "Bearer T3"]


async def test_throttle_caps_concurrency_and_spends_credits(fake_adapter: FakeAdapter) -> None:
    """Requests wait for credits and never exceed max_concurrent in flight."""
    from stopkit.ratelimit import RateLimit

    in_flight = 0
    peak = 0

    async def handler(request: HttpRequest) -> HttpResponse:
        nonlocal in_flight, peak
        in_flight += 1
        peak = max(peak, in_flight)
        await asyncio.sleep(0.005)
        in_flight -= 1
        return ok(request)

    limit = RateLimit(capacity=4, window_s=0.4, max_concurrent=2)
    transport = MockTransport(handler)
    loop = asyncio.get_running_loop()
    async with stopkit.connect(
        fake_adapter, credentials={}, transport=transport, retry=FAST, rate_limit=limit
    ) as client:
        started = loop.time()
        await asyncio.gather(
            *(client.place(StopOrder(symbol="X", side="sell", quantity=1, stop_price=1)) for _ in range(8))
        )
        elapsed = loop.time() - started
    assert peak == 2
    # 4 credits at once, then one per 0.1 s: the 8th request cannot start before ~0.4 s.
    assert elapsed >= 0.35
    assert len(transport.sent) == 8


async def test_shared_throttle_between_clients(fake_adapter: FakeAdapter) -> None:
    """One Throttle passed to two clients is one budget."""
    from stopkit.ratelimit import RateLimit, Throttle

    throttle = Throttle(RateLimit(capacity=2, window_s=0.3))
    loop = asyncio.get_running_loop()
    a = stopkit.connect(fake_adapter, credentials={}, transport=MockTransport(ok), retry=FAST, throttle=throttle)
    b = stopkit.connect(fake_adapter, credentials={}, transport=MockTransport(ok), retry=FAST, throttle=throttle)
    async with a, b:
        assert a.throttle is b.throttle is throttle
        started = loop.time()
        await asyncio.gather(
            *(c.place(StopOrder(symbol="X", side="sell", quantity=1, stop_price=1)) for c in (a, b, a, b))
        )
        assert loop.time() - started >= 0.25


async def test_recover_without_a_journal_says_how_to_get_one(fake_adapter: FakeAdapter) -> None:
    """recover() on a client without a journal raises ConfigurationError naming the venue and the connect option."""
    transport = MockTransport(ok)
    async with stopkit.connect(fake_adapter, credentials={}, transport=transport, retry=FAST) as client:
        with pytest.raises(stopkit.ConfigurationError) as info:
            await client.recover()
    assert str(info.value) == "fakevenue: recover() needs a journal: stopkit.connect(..., journal=...)"
    assert transport.sent == []


async def test_a_resent_order_whose_answer_is_lost_is_reconciled(
    fake_adapter: FakeAdapter, caplog: pytest.LogCaptureFixture
) -> None:
    """401 to an order POST, the lookup finds nothing, the resend's answer is lost (504): the order is looked up
    again and found, not sent a third time."""
    tokens = iter(["T1", "T2"])
    lookups = iter([HttpResponse(status=404), HttpResponse(status=200, body=b'{"id": 9}')])

    def handler(request: HttpRequest) -> HttpResponse:
        if request.url.endswith("/token"):
            return HttpResponse(status=200, body=json.dumps({"token": next(tokens), "expires_in": 3600}).encode())
        if "/by-coid/" in request.url:
            return next(lookups)
        if request.headers["Authorization"] == "Bearer T1":
            return HttpResponse(status=401)
        return HttpResponse(status=504)

    transport = MockTransport(handler)
    caplog.set_level("INFO", logger="stopkit.client")
    async with stopkit.connect(
        fake_adapter, credentials={}, config={"token_auth": True, "reconcile": True}, transport=transport, retry=FAST
    ) as client:
        state = await client.place(ORDER)
    assert (state.venue_order_id, state.client_order_id) == ("9", ORDER.client_order_id)
    kinds = [
        ("lookup" if "/by-coid/" in r.url else r.headers.get("Authorization"))
        for r in transport.sent
        if not r.url.endswith("/token")
    ]
    assert kinds == ["Bearer T1", "lookup", "Bearer T2", "lookup"]
    assert (
        "fakevenue: the token was refused and refreshed; no such order is on the venue: sending again"
        in caplog.messages
    )


async def test_a_modify_cancelled_after_sending_is_settled_unknown_by_a_read_back(fake_adapter: FakeAdapter) -> None:
    """The caller of a modify is cancelled while the replace is out; the background read-back shows the old terms:
    the write is UNKNOWN with an OutcomeUnknown saying the caller was cancelled, and nothing is resent."""
    gate = asyncio.Event()

    async def handler(request: HttpRequest) -> HttpResponse:
        if "/replace/" in request.url:
            await gate.wait()  # the answer never comes in time
        if "/open/" in request.url:
            return HttpResponse(status=200, body=b'{"status": "accepted"}')
        return ok(request)

    transport = MockTransport(handler)
    client = stopkit.connect(fake_adapter, credentials={}, transport=transport, retry=FAST)
    placed = await client.place(ORDER)
    task = asyncio.ensure_future(client.modify(placed, stop_price=Decimal(11)))
    await asyncio.sleep(0.01)
    task.cancel()
    with pytest.raises(asyncio.CancelledError):
        await task
    await client.close()
    gate.set()
    (record,) = client.pending()
    assert (record.operation, record.outcome) == ("modify", WriteOutcome.UNKNOWN)
    assert isinstance(record.error, stopkit.OutcomeUnknown)
    assert record.error.message == "fakevenue: modify: the caller was cancelled after the request may have been sent"
    assert record.error.__notes__ == ["read back: the order is ACCEPTED with its old terms; the modify may yet land"]
    assert [r.url.removeprefix("https://fake.invalid") for r in transport.sent] == ["/orders", "/replace/7", "/open/7"]


async def test_a_settlement_that_crashes_is_logged_with_its_error_type(caplog: pytest.LogCaptureFixture) -> None:
    """A bug in the venue's reconciliation (its request cannot be built) must not vanish in the background task:
    the write stays UNKNOWN and the log names the settlement and the exception type."""

    class CrashingBound(FakeBound):
        def reconcile_flow(self, order: AnyStopOrder, *, sent_at_ms: int) -> Flow[OrderState | None] | None:
            return self._crash()

        def _crash(self) -> Flow[OrderState | None]:
            def build(ctx: RequestContext) -> HttpRequest:
                raise LookupError("no such route")

            state: OrderState | None = yield Exchange(build=build, parse=lambda r: None, label="reconcile")
            return state

    class CrashingAdapter(FakeAdapter):
        def bind(self, credentials: Credentials, config: Mapping[str, Any] | None = None) -> BoundVenue:
            return CrashingBound(self, token_auth=False)

    gate = asyncio.Event()

    async def handler(request: HttpRequest) -> HttpResponse:
        await gate.wait()
        return ok(request)

    client = stopkit.connect(CrashingAdapter(), credentials={}, transport=MockTransport(handler), retry=FAST)
    task = asyncio.ensure_future(client.place(ORDER))
    await asyncio.sleep(0.01)
    task.cancel()
    with pytest.raises(asyncio.CancelledError):
        await task
    await client.close()
    gate.set()
    (record,) = client.pending()
    assert (record.outcome, record.error) == (WriteOutcome.UNKNOWN, None)
    assert "fakevenue: settling place failed: LookupError" in caplog.messages


async def test_a_write_that_crashes_is_unknown_and_its_caller_informed() -> None:
    """A write that fails with something other than a stopkit error (here the venue's request builder crashes)
    re-raises it unchanged; the write is listed UNKNOWN, marked as reported to its caller."""

    class BrokenBound(FakeBound):
        def build_place_request(self, order: AnyStopOrder, ctx: RequestContext) -> HttpRequest:
            raise LookupError("no route for this order")

    class BrokenAdapter(FakeAdapter):
        def bind(self, credentials: Credentials, config: Mapping[str, Any] | None = None) -> BoundVenue:
            return BrokenBound(self, token_auth=False)

    transport = MockTransport(ok)
    async with stopkit.connect(BrokenAdapter(), credentials={}, transport=transport, retry=FAST) as client:
        with pytest.raises(LookupError, match="no route for this order"):
            await client.place(ORDER)
        (record,) = client.pending()
    assert (record.operation, record.outcome, record.caller_informed) == ("place", WriteOutcome.UNKNOWN, True)
    assert transport.sent == []


async def test_a_budget_of_its_own_kind_is_entered_around_each_request(fake_adapter: FakeAdapter) -> None:
    """A Throttle subclass with its own slot (as stopkit.ratelimit_redis's shared budget) is entered once per request
    with the request's cost, and the request goes out stamped as usual (clock, first attempt)."""
    from stopkit.ratelimit import RateLimit, Throttle

    class CountingBudget(Throttle):
        def __init__(self) -> None:
            super().__init__(RateLimit(capacity=10, window_s=1))
            self.entered: list[float] = []

        @contextlib.asynccontextmanager
        async def slot(self, cost: float = 1.0) -> AsyncIterator[None]:
            self.entered.append(cost)
            yield

    budget = CountingBudget()
    transport = MockTransport(ok)
    async with stopkit.connect(
        fake_adapter, credentials={}, transport=transport, clock=FrozenClock(1_000), retry=FAST, throttle=budget
    ) as client:
        state = await client.place(ORDER)
    assert state.venue_order_id == "7"
    assert budget.entered == [1.0]
    assert (transport.sent[0].headers["X-Now"], transport.sent[0].headers["X-Attempt"]) == ("1000", "1")
