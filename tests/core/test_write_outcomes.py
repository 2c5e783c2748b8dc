"""The one write-outcome rule, reconciliation claims, cancellation-safe writes and cached reads (core).

Driven through the real ``VenueClient`` with a small in-test venue and a ``MockTransport``.
"""

from __future__ import annotations

import asyncio
import functools
import json
from collections.abc import Callable, Mapping
from decimal import Decimal
from typing import Any
from urllib.parse import urlsplit

import attrs
import pytest
from conftest import BASE, FakeAdapter, FakeBound
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import stopkit
from stopkit import (
    AuthenticationError,
    ConfigurationError,
    Credentials,
    HttpRequest,
    HttpResponse,
    OrderKind,
    OrderRejected,
    OrderState,
    OrderStatus,
    OutcomeUnknown,
    ResponseShapeError,
    RetryPolicy,
    Side,
    StopkitError,
    StopOrder,
    WriteOutcome,
)
from stopkit.orders import AnyStopOrder
from stopkit.testing import MockTransport
from stopkit.venue import BoundVenue, Candidates, Exchange, Flow, OrderRef, Refusal

FAST = RetryPolicy(max_attempts=3, backoff=False, timeout_s=1, total_timeout_s=5)
OK_PLACE = HttpResponse(status=200, body=b'{"id": 7}')


def order(stop: int = 10, coid: str | None = None) -> StopOrder:
    """A stop-market order on X; distinct terms per stop price."""
    extra = {} if coid is None else {"client_order_id": coid}
    return StopOrder(symbol="X", side="sell", quantity=Decimal(1), stop_price=Decimal(stop), **extra)


def row(vid: str, *, coid: str | None = None, status: str = "accepted", stop: int = 10) -> dict[str, Any]:
    """One venue row as the candidates endpoint of the terms venue answers it."""
    return {"id": vid, "coid": coid, "status": status, "stop": stop}


class TermsBound(FakeBound):
    """The fake venue, reconciling by terms: GET /candidates lists every row with the order's terms."""

    def reconcile_flow(self, order: AnyStopOrder, *, sent_at_ms: int) -> Flow[OrderState | Candidates | None] | None:
        return self._by_terms(order)

    def _by_terms(self, order: AnyStopOrder) -> Flow[OrderState | Candidates | None]:
        def parse(response: HttpResponse) -> Candidates:
            rows = json.loads(response.body)
            return Candidates(
                states=[
                    OrderState(
                        venue="fakevenue",
                        venue_order_id=item["id"],
                        client_order_id=item["coid"],
                        symbol=order.symbol,
                        side=order.side,
                        kind=order.kind,
                        status=OrderStatus(item["status"]),
                        venue_status=item["status"],
                        quantity=order.quantity,
                        stop_price=Decimal(item["stop"]),
                    )
                    for item in rows
                ]
            )

        found: Candidates = yield Exchange(
            build=lambda ctx: HttpRequest(method="GET", url=f"{BASE}/candidates?stop={order.stop_price}"),
            parse=parse,
            label="reconcile",
        )
        return found

    def cancel_flow(self, ref: OrderRef) -> Flow[OrderState]:
        def parse(response: HttpResponse) -> OrderState:
            if response.status != 200:
                raise self.classify_error(response, writes=True)
            return _state(str(ref.venue_order_id), OrderStatus.CANCELED)

        state: OrderState = yield Exchange(
            build=lambda ctx: HttpRequest(method="POST", url=f"{BASE}/cancel/{ref.venue_order_id}"),
            parse=parse,
            writes=True,
            label="cancel",
        )
        return state


def _state(vid: str, status: OrderStatus, stop: Decimal = Decimal(10)) -> OrderState:
    return OrderState(
        venue="fakevenue",
        venue_order_id=vid,
        client_order_id=None,
        symbol="X",
        side=Side.SELL,
        kind=OrderKind.STOP_MARKET,
        status=status,
        venue_status=status.value,
        quantity=Decimal(1),
        stop_price=stop,
    )


class TermsAdapter(FakeAdapter):
    """The fake adapter with cancel, binding TermsBound."""

    capabilities = attrs.evolve(FakeAdapter.capabilities, cancel=True, client_order_id=False)

    def bind(self, credentials: Credentials, config: Mapping[str, Any] | None = None) -> BoundVenue:
        return TermsBound(self, token_auth=bool((config or {}).get("token_auth")), reconcile=True)


def connect(adapter: Any, handler: Callable[[HttpRequest], Any], **kwargs: Any) -> tuple[Any, MockTransport]:
    transport = MockTransport(handler)
    return stopkit.connect(adapter, credentials={}, transport=transport, retry=FAST, **kwargs), transport


# -- the rule -----------------------------------------------------------------------------------

# What the fake venue documents as refusals of a place (conftest FakeAdapter.refusals), written
# out independently: 400 (rejected), 401 (token), 429 (throttled); nothing else.
DOCUMENTED_PLACE_REFUSALS = {400, 401, 429}


@settings(suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    status=st.one_of(
        st.sampled_from([200, 202, 204, 301, 302, 400, 401, 403, 404, 408, 409, 413, 429, 499, 500, 503]),
        st.integers(min_value=100, max_value=599),
    ),
    body=st.one_of(
        st.binary(max_size=64),
        st.sampled_from([b"", b"<html>502</html>", b"[" * 5000, b'{"id": 7', b"null"]),
    ),
)
async def test_a_write_is_a_known_failure_only_when_documented(
    fake_adapter: FakeAdapter, status: int, body: bytes
) -> None:
    """Any status 100-599 and any body to a place: outcome_known=True only for a documented refusal; anything
    else is unknown (and reconciled), and the order is never sent twice."""
    client, transport = connect(fake_adapter, lambda r: HttpResponse(status=status, body=body))
    async with client:
        with pytest.raises(StopkitError) as info:
            await client.place(order())
    assert info.value.outcome_known is (status in DOCUMENTED_PLACE_REFUSALS), (status, info.value)
    assert sum(1 for r in transport.sent if r.url.endswith("/orders")) == (3 if status == 429 else 1)


@pytest.mark.parametrize("crash", [RecursionError, MemoryError, KeyError, TypeError, IndexError])
async def test_a_parser_crash_on_a_write_is_unknown_and_reconciled(crash: type[BaseException]) -> None:
    """Any exception while parsing a write's answer → unknown outcome → reconciliation runs."""

    class Crashing(TermsBound):
        def parse_place_response(self, order: AnyStopOrder, response: HttpResponse) -> OrderState:
            raise crash("boom")

    class Adapter(TermsAdapter):
        def bind(self, credentials: Credentials, config: Mapping[str, Any] | None = None) -> BoundVenue:
            return Crashing(self, token_auth=False, reconcile=True)

    def handler(request: HttpRequest) -> HttpResponse:
        if "/candidates" in request.url:
            return HttpResponse(status=200, body=json.dumps([row("V1")]).encode())
        return OK_PLACE

    client, transport = connect(Adapter(), handler)
    async with client:
        state = await client.place(order())
    assert state.venue_order_id == "V1"
    assert [r.method for r in transport.sent] == ["POST", "GET"]


async def test_a_read_parser_crash_is_a_retried_shape_error(fake_adapter: FakeAdapter) -> None:
    """A read whose parser crashes on a hostile body raises ResponseShapeError (retried), never the raw error."""
    client, transport = connect(fake_adapter, lambda r: HttpResponse(status=200, body=b"[" * 100_000))
    async with client:
        with pytest.raises(ResponseShapeError) as info:
            await client.get(venue_order_id="1")
    assert (info.value.venue, info.value.http_status) == ("fakevenue", 200)
    assert len(transport.sent) == FAST.max_attempts


async def test_an_undocumented_rejection_keeps_the_parsers_view(fake_adapter: FakeAdapter) -> None:
    """A 409 the parser calls a rejection is OutcomeUnknown, with the parser's OrderRejected as ``classified``."""
    client, _ = connect(fake_adapter, lambda r: HttpResponse(status=409, body=b"conflict"))
    async with client:
        with pytest.raises(OutcomeUnknown) as info:
            await client.place(order())
    assert isinstance(info.value.classified, OrderRejected)
    assert (info.value.http_status, info.value.outcome_known, info.value.retryable) == (409, False, False)
    assert any("no way to look the order up" in note for note in info.value.__notes__)


def test_refusal_needs_a_proof_and_a_source() -> None:
    """A Refusal without any way to identify the answer, or without a source, is refused at definition."""
    with pytest.raises(ValueError, match="needs codes"):
        Refusal(operations={"place"}, status=400, error=OrderRejected, source="x")
    with pytest.raises(ValueError, match="source"):
        Refusal(operations={"place"}, status=400, error=OrderRejected, any_body=True, source=" ")


def test_refusal_matching() -> None:
    """Operation (first word of the label), status, class, then code, prefix or pattern must all fit."""
    refusal = Refusal(
        operations={"place"},
        status={400, 422},
        error=OrderRejected,
        codes={"17"},
        message_prefixes=("Invalid stop",),
        message_patterns=(r"tick size \d",),
        source="doc",
    )

    def err(code: str | None = None, message: str | None = None, cls: type[StopkitError] = OrderRejected) -> Any:
        return cls("x", venue_code=code, venue_message=message)

    assert refusal.matches("place", 422, err(code="17"))
    assert refusal.matches("place", 400, err(message="Invalid stop order parameters"))
    assert refusal.matches("place", 400, err(message="Price 1.5 is not a multiple of tick size 1"))
    assert not refusal.matches("cancel", 422, err(code="17"))
    assert not refusal.matches("place", 409, err(code="17"))
    assert not refusal.matches("place", 422, err(code="18"))
    assert not refusal.matches("place", 400, err(message="invalid stop"))
    assert not refusal.matches("place", 422, err(code="17", cls=AuthenticationError))
    body_only = Refusal(operations={"place"}, status=400, error=OrderRejected, any_error_body=True, source="doc")
    assert body_only.matches("place", 400, err(message="anything"))
    assert not body_only.matches("place", 400, err())


# -- 401 to a write -----------------------------------------------------------------------------


async def test_401_after_the_venue_acted_returns_the_order_without_resending() -> None:
    """The venue took the order but answered 401 (documented): refresh, look it up, find it, no resend."""
    tokens = iter(["T1", "T2"])

    def handler(request: HttpRequest) -> HttpResponse:
        if request.url.endswith("/token"):
            return HttpResponse(status=200, body=json.dumps({"token": next(tokens), "expires_in": 3600}).encode())
        if "/candidates" in request.url:
            return HttpResponse(status=200, body=json.dumps([row("LANDED")]).encode())
        return HttpResponse(status=401)

    client, transport = connect(TermsAdapter(), handler, config={"token_auth": True})
    async with client:
        state = await client.place(order())
    assert state.venue_order_id == "LANDED"
    assert sum(1 for r in transport.sent if r.url.endswith("/orders")) == 1


async def test_401_whose_lookup_fails_is_unknown_and_not_resent() -> None:
    """A documented 401 to a write whose reconciliation cannot run is reported unknown, never resent."""
    tokens = iter(["T1", "T2"])

    def handler(request: HttpRequest) -> HttpResponse:
        if request.url.endswith("/token"):
            return HttpResponse(status=200, body=json.dumps({"token": next(tokens), "expires_in": 3600}).encode())
        if "/candidates" in request.url:
            return HttpResponse(status=503)
        return HttpResponse(status=401)

    client, transport = connect(TermsAdapter(), handler, config={"token_auth": True})
    async with client:
        with pytest.raises(AuthenticationError) as info:
            await client.place(order())
    assert info.value.outcome_known is False
    assert sum(1 for r in transport.sent if r.url.endswith("/orders")) == 1


# -- reconciliation never claims what another call owns ----------------------------------------


async def test_terms_match_owned_by_another_call_is_not_claimed() -> None:
    """Two orders with identical terms: B lands and is returned; A's answer is lost before the venue saw it.
    A's reconciliation sees only B's row, which B owns: A stays unknown, B is never handed to A."""
    state = {"posts": 0}

    def handler(request: HttpRequest) -> HttpResponse:
        if "/candidates" in request.url:
            return HttpResponse(status=200, body=json.dumps([row("B-ROW")]).encode())
        state["posts"] += 1
        if state["posts"] == 1:
            return HttpResponse(status=200, body=b'{"id": "B-ROW"}')
        return HttpResponse(status=502, body=b"<html>bad gateway</html>")

    client, _ = connect(TermsAdapter(), handler)
    async with client:
        b = await client.place(order(coid="order-b"))
        with pytest.raises(StopkitError) as info:
            await client.place(order(coid="order-a"))
        assert b.venue_order_id == "B-ROW"
        assert info.value.outcome_known is False
        assert any("owned by other calls" in note for note in info.value.__notes__)
        assert client.last_state(client_order_id="order-a") is None
        assert client.pending()[0].client_order_id == "order-a"
        assert client.pending()[0].outcome is WriteOutcome.UNKNOWN


async def test_two_free_candidates_are_ambiguous() -> None:
    """Two unowned rows with the order's terms: nothing is claimed; both are listed in the notes."""

    def handler(request: HttpRequest) -> HttpResponse:
        if "/candidates" in request.url:
            return HttpResponse(status=200, body=json.dumps([row("R1"), row("R2")]).encode())
        return HttpResponse(status=504)

    client, _ = connect(TermsAdapter(), handler)
    async with client:
        with pytest.raises(StopkitError) as info:
            await client.place(order())
    assert info.value.__notes__ == [
        "reconciliation by terms is ambiguous: candidates R1, R2 (0 owned by other calls of this client); none "
        "was claimed: check the venue before resending"
    ]


async def test_a_row_carrying_another_client_order_id_is_not_ours() -> None:
    """A candidate whose client order id (tag) is another order's is excluded; the remaining one is claimed."""

    def handler(request: HttpRequest) -> HttpResponse:
        if "/candidates" in request.url:
            rows = [row("THEIRS", coid="someone-else"), row("MINE")]
            return HttpResponse(status=200, body=json.dumps(rows).encode())
        return HttpResponse(status=504)

    client, _ = connect(TermsAdapter(), handler)
    async with client:
        state = await client.place(order(coid="mine"))
    assert state.venue_order_id == "MINE"
    assert state.client_order_id == "mine"


async def test_a_same_terms_placement_in_flight_makes_a_match_ambiguous() -> None:
    """While another identical placement of this client is still in flight, its row may be the one found:
    the reconciling call claims nothing."""
    release = asyncio.Event()

    async def handler(request: HttpRequest) -> HttpResponse:
        if "/candidates" in request.url:
            return HttpResponse(status=200, body=json.dumps([row("ONE")]).encode())
        body = json.loads(request.body or b"{}")
        if body.get("coid") == "slow":
            await release.wait()
            return HttpResponse(status=200, body=b'{"id": "ONE"}')
        return HttpResponse(status=504)

    client, _ = connect(TermsAdapter(), handler)
    async with client:
        slow = asyncio.ensure_future(client.place(order(coid="slow")))
        await asyncio.sleep(0.01)
        with pytest.raises(StopkitError) as info:
            await client.place(order(coid="fast"))
        release.set()
        assert (await slow).venue_order_id == "ONE"
    assert any("in flight or unsettled" in note for note in info.value.__notes__)


# -- cancellation -------------------------------------------------------------------------------


async def test_cancelled_after_sending_is_settled_in_the_background() -> None:
    """The caller's task is cancelled while the POST is out; the client reconciles on its own, records the
    order (last_state, pending APPLIED), and close() waits for it."""
    gate = asyncio.Event()

    async def handler(request: HttpRequest) -> HttpResponse:
        if "/candidates" in request.url:
            return HttpResponse(status=200, body=json.dumps([row("LANDED")]).encode())
        await gate.wait()  # the venue acted; its answer never comes in time
        return OK_PLACE

    client, transport = connect(TermsAdapter(), handler)
    placed = order(coid="cancel-me")
    async with client:
        task = asyncio.ensure_future(client.place(placed))
        await asyncio.sleep(0.01)
        task.cancel()
        with pytest.raises(asyncio.CancelledError):
            await task
        (record,) = client.pending()
        assert record.operation == "place"
        assert record.outcome in (WriteOutcome.SETTLING, WriteOutcome.APPLIED)
    assert record.outcome is WriteOutcome.APPLIED
    assert record.state is not None
    assert record.state.venue_order_id == "LANDED"
    assert client.last_state(client_order_id="cancel-me") == record.state
    assert sum(1 for r in transport.sent if r.method == "POST") == 1
    gate.set()


async def test_cancelled_before_sending_is_not_applied(fake_adapter: FakeAdapter) -> None:
    """Cancelled while waiting for the rate limit (nothing left): NOT_APPLIED at once, nothing sent."""
    from stopkit.ratelimit import RateLimit, Throttle

    throttle = Throttle(RateLimit(capacity=1, window_s=60))
    client, transport = connect(fake_adapter, lambda r: OK_PLACE, throttle=throttle)
    async with client:
        await client.place(order(1))
        task = asyncio.ensure_future(client.place(order(2, coid="never-sent")))
        await asyncio.sleep(0.01)
        task.cancel()
        with pytest.raises(asyncio.CancelledError):
            await task
        (record,) = client.pending()
        assert (record.client_order_id, record.outcome, record.sent) == ("never-sent", WriteOutcome.NOT_APPLIED, False)
        client.acknowledge(record)
        assert client.pending() == []
    assert len(transport.sent) == 1


async def test_wait_for_timeout_is_settled_unknown_when_nothing_is_found() -> None:
    """asyncio.wait_for times the place out after sending; reconciliation finds nothing → UNKNOWN, recorded."""

    async def handler(request: HttpRequest) -> HttpResponse:
        if "/candidates" in request.url:
            return HttpResponse(status=200, body=b"[]")
        await asyncio.sleep(10)
        return OK_PLACE

    client, _ = connect(TermsAdapter(), handler)
    async with client:
        with pytest.raises(TimeoutError):
            await asyncio.wait_for(client.place(order()), timeout=0.05)
    (record,) = client.pending()
    assert record.outcome is WriteOutcome.UNKNOWN
    assert record.error is not None
    assert record.error.outcome_known is False


async def test_a_settlement_is_bounded_by_the_retry_policys_total_time() -> None:
    """Without settle_timeout_s, a background settlement whose reconciliation never answers gives up after the retry
    policy's total_timeout_s: UNKNOWN, with an OutcomeUnknown saying how long it took; close() returns."""
    gate = asyncio.Event()

    async def handler(request: HttpRequest) -> HttpResponse:
        await gate.wait()  # neither the POST nor the reconciliation is ever answered
        return OK_PLACE

    transport = MockTransport(handler)
    policy = RetryPolicy(max_attempts=1, backoff=False, timeout_s=5, total_timeout_s=0.2)
    client = stopkit.connect(TermsAdapter(), credentials={}, transport=transport, retry=policy)
    task = asyncio.ensure_future(client.place(order()))
    await asyncio.sleep(0.01)
    task.cancel()
    with pytest.raises(asyncio.CancelledError):
        await task
    await asyncio.wait_for(client.close(), timeout=5)
    gate.set()
    (record,) = client.pending()
    assert record.outcome is WriteOutcome.UNKNOWN
    assert isinstance(record.error, OutcomeUnknown)
    assert record.error.message == "fakevenue: place: settling took longer than 0.2 s"


# -- cancel and modify settle by reading back ----------------------------------------------------


async def test_unknown_cancel_reads_back_and_returns_the_cancelled_order() -> None:
    """A cancel answered 502 after it landed: the order is read back, CANCELED, and returned."""

    class Adapter(TermsAdapter):
        pass

    def handler(request: HttpRequest) -> HttpResponse:
        if "/cancel/" in request.url:
            return HttpResponse(status=502, body=b"<html/>")
        return HttpResponse(status=200, body=b'{"status": "canceled"}')

    client, transport = connect(Adapter(), handler)
    async with client:
        state = await client.cancel(venue_order_id="C1")
    assert state.status is OrderStatus.CANCELED
    assert [r.url.rsplit("/", 2)[-2] for r in transport.sent] == ["cancel", "open"]


async def test_unknown_cancel_of_a_live_order_is_sent_once_more() -> None:
    """The read-back shows the order still live: the cancel is sent again once (cancelling twice is harmless)."""
    answers = iter([HttpResponse(status=504), HttpResponse(status=200, body=b"{}")])

    def handler(request: HttpRequest) -> HttpResponse:
        if "/cancel/" in request.url:
            return next(answers)
        return HttpResponse(status=200, body=b'{"status": "accepted"}')

    client, transport = connect(TermsAdapter(), handler)
    async with client:
        state = await client.cancel(venue_order_id="C2")
    assert state.status is OrderStatus.CANCELED
    assert sum(1 for r in transport.sent if "/cancel/" in r.url) == 2


async def test_unknown_cancel_of_a_filled_order_is_a_known_refusal() -> None:
    """The read-back shows the order FILLED: nothing was cancelled, and that is known."""

    def handler(request: HttpRequest) -> HttpResponse:
        if "/cancel/" in request.url:
            return HttpResponse(status=504)
        return HttpResponse(status=200, body=b'{"status": "filled"}')

    client, _ = connect(TermsAdapter(), handler)
    async with client:
        with pytest.raises(OrderRejected, match="FILLED") as info:
            await client.cancel(venue_order_id="C3")
    assert info.value.outcome_known is True


async def test_unknown_modify_reads_back_the_new_terms(fake_adapter: FakeAdapter) -> None:
    """A modify answered 502 after it applied: the read-back shows the new stop price → returned."""

    class Bound(FakeBound):
        def get_flow(self, ref: OrderRef) -> Flow[OrderState]:
            state: OrderState = yield Exchange(
                build=lambda ctx: HttpRequest(method="GET", url=f"{BASE}/open/{ref.venue_order_id}"),
                parse=lambda response: _state("M2", OrderStatus.ACCEPTED, Decimal(json.loads(response.body)["stop"])),
                label="open",
            )
            return state

    class Adapter(FakeAdapter):
        def bind(self, credentials: Credentials, config: Mapping[str, Any] | None = None) -> BoundVenue:
            return Bound(self, token_auth=False)

    def handler(request: HttpRequest) -> HttpResponse:
        if "/replace/" in request.url:
            return HttpResponse(status=502)
        return HttpResponse(status=200, body=b'{"stop": "12"}')

    client, transport = connect(Adapter(), handler)
    async with client:
        new = await client.modify(_state("M1", OrderStatus.ACCEPTED), stop_price=12)
        assert new.stop_price == Decimal(12)
        with pytest.raises(StopkitError) as info:  # the read-back shows the old terms: unknown, not resent
            await client.modify(_state("M1", OrderStatus.ACCEPTED), stop_price=13)
    assert info.value.outcome_known is False
    assert sum(1 for r in transport.sent if "/replace/" in r.url) == 2


# -- cached, single-flight reads ------------------------------------------------------------------


class CacheBound(FakeBound):
    """The fake venue whose get flow first reads cached market metadata."""

    def get_flow(self, ref: OrderRef) -> Flow[OrderState]:
        tick: Decimal = yield Exchange(
            build=lambda ctx: HttpRequest(method="GET", url=f"{BASE}/markets"),
            parse=lambda response: Decimal(json.loads(response.body)["tick"]),
            cache_key="fake:markets",
            cache_ttl_s=60,
            label="markets",
        )
        return _state(str(ref.venue_order_id), OrderStatus.ACCEPTED, tick)


class CacheAdapter(FakeAdapter):
    def bind(self, credentials: Credentials, config: Mapping[str, Any] | None = None) -> BoundVenue:
        return CacheBound(self, token_auth=False)


async def test_cached_read_is_fetched_once_for_concurrent_callers() -> None:
    """20 concurrent flows needing the same metadata → one request; after the TTL → one more."""
    clock = stopkit.FrozenClock(0)
    calls: list[int] = []

    async def handler(request: HttpRequest) -> HttpResponse:
        calls.append(1)
        await asyncio.sleep(0.01)
        return HttpResponse(status=200, body=json.dumps({"tick": str(len(calls))}).encode())

    client, _ = connect(CacheAdapter(), handler, clock=clock)
    async with client:
        states = await asyncio.gather(*(client.get(venue_order_id=str(i)) for i in range(20)))
        assert {s.stop_price for s in states} == {Decimal(1)}
        clock.advance(59_000)
        assert (await client.get(venue_order_id="x")).stop_price == Decimal(1)
        clock.advance(2_000)
        assert (await client.get(venue_order_id="x")).stop_price == Decimal(2)
    assert len(calls) == 2


async def test_a_failed_cached_read_is_not_cached() -> None:
    """A failed fetch is shared by its waiters but not kept: the next call fetches again."""
    answers = iter([HttpResponse(status=404)] * FAST.max_attempts + [HttpResponse(status=200, body=b'{"tick": "5"}')])
    client, transport = connect(CacheAdapter(), lambda r: next(answers))
    async with client:
        with pytest.raises(ResponseShapeError):
            await client.get(venue_order_id="1")
        assert (await client.get(venue_order_id="1")).stop_price == Decimal(5)
    assert len(transport.sent) == FAST.max_attempts + 1


async def test_a_cancelled_fetcher_hands_the_fetch_to_a_waiter() -> None:
    """The caller fetching the metadata is cancelled; a waiting caller fetches it itself and succeeds."""
    first = asyncio.Event()

    async def handler(request: HttpRequest) -> HttpResponse:
        if not first.is_set():
            first.set()
            await asyncio.sleep(10)
        return HttpResponse(status=200, body=b'{"tick": "3"}')

    client, _ = connect(CacheAdapter(), handler)
    async with client:
        owner = asyncio.ensure_future(client.get(venue_order_id="a"))
        await first.wait()
        waiter = asyncio.ensure_future(client.get(venue_order_id="b"))
        await asyncio.sleep(0.01)
        owner.cancel()
        assert (await waiter).stop_price == Decimal(3)


def test_a_write_cannot_be_cached() -> None:
    """Exchange(writes=True, cache_key=...) is refused at construction."""
    with pytest.raises(ValueError, match="cannot be cached"):
        Exchange(build=lambda ctx: HttpRequest(method="POST", url=BASE), parse=lambda r: r, writes=True, cache_key="k")


# -- plain-text URLs -------------------------------------------------------------------------------


class PlainBound(FakeBound):
    """The fake venue at a configurable base URL."""

    base = BASE

    def build_place_request(self, order: AnyStopOrder, ctx: Any) -> HttpRequest:
        request = super().build_place_request(order, ctx)
        return attrs.evolve(request, url=request.url.replace(BASE, self.base))


@pytest.mark.parametrize(
    ("base", "allow", "sent"),
    [
        ("http://venue.example", False, False),
        ("http://10.0.0.5:8080", False, False),
        ("ftp://venue.example", True, False),
        ("http://venue.example", True, True),
        ("https://venue.example", False, True),
        ("http://127.0.0.1:9", False, True),
        ("http://[::1]:9", False, True),
        ("http://localhost:9", False, True),
        ("http://sim.localhost:9", False, True),  # RFC 6761: every name under .localhost is loopback
        ("http://localhost.example:9", False, False),
    ],
)
async def test_plain_text_urls_only_to_loopback_unless_allowed(base: str, allow: bool, sent: bool) -> None:
    """http:// to a real host is refused before any I/O unless allow_insecure=True; loopback stays allowed."""

    class Adapter(FakeAdapter):
        def bind(self, credentials: Credentials, config: Mapping[str, Any] | None = None) -> BoundVenue:
            bound = PlainBound(self, token_auth=False)
            bound.base = base
            return bound

    client, transport = connect(Adapter(), lambda r: OK_PLACE, config={"allow_insecure": allow})
    async with client:
        if sent:
            await client.place(order())
        else:
            with pytest.raises(ConfigurationError) as info:
                await client.place(order())
            parts = urlsplit(base)
            assert info.value.message.startswith(f"fakevenue: refusing {parts.scheme}:// to {parts.hostname}: ")
            assert info.value.message.endswith(
                "credentials would travel in clear text (only https/wss; http/ws to loopback; set allow_insecure=True "
                "in the venue config to allow it)"
            )
    assert len(transport.sent) == (1 if sent else 0)


async def test_a_url_checked_once_stays_checked_and_a_refused_one_stays_refused() -> None:
    """The plain-text check remembers URLs that passed (bounded); a URL off loopback is refused every time."""
    bound = PlainBound(FakeAdapter(), token_auth=False)

    class Adapter(FakeAdapter):
        def bind(self, credentials: Credentials, config: Mapping[str, Any] | None = None) -> BoundVenue:
            return bound

    client, transport = connect(Adapter(), lambda r: OK_PLACE)
    async with client:
        for index, base in enumerate(["http://127.0.0.1:9", "http://venue.example", "http://127.0.0.1:9"] * 2):
            bound.base = base
            if base == "http://venue.example":
                with pytest.raises(ConfigurationError, match="clear text"):
                    await client.place(order(stop=10 + index))
            else:
                await client.place(order(stop=10 + index))
        for port in range(300):  # many distinct URLs (reads with queries): the memory of them stays small
            client._check_origin(f"http://127.0.0.1:9/x?page={port}")
        assert len(client._allowed_urls) <= 256
        bound.base = "http://venue.example"
        with pytest.raises(ConfigurationError, match="clear text"):
            await client.place(order(stop=99))
    assert len(transport.sent) == 4


def test_allow_insecure_must_be_a_boolean(fake_adapter: FakeAdapter) -> None:
    """A malformed allow_insecure is a ConfigurationError naming the key."""
    with pytest.raises(ConfigurationError, match="allow_insecure"):
        stopkit.connect(fake_adapter, credentials={}, transport=MockTransport(lambda r: OK_PLACE),
                        config={"allow_insecure": "perhaps"})  # fmt: skip


def test_exchange_repr_shows_no_bound_arguments() -> None:
    """An Exchange's repr names its label and flags only: its build/parse are bound to credentials."""
    secret = "REFRESH-TOKEN-SECRET"  # a marker, not a credential
    exchange = Exchange(
        build=functools.partial(lambda token, ctx: HttpRequest(method="POST", url=BASE), secret),
        parse=functools.partial(lambda token, response: None, secret),
        label="token",
    )
    assert secret not in repr(exchange)
    assert "token" in repr(exchange)


async def test_a_claimed_order_is_found_by_its_client_order_id() -> None:
    """After reconciliation claimed a row by terms, get(client_order_id=...) asks the venue for that row's venue
    order id: venues that store no client order id still find it."""

    def handler(request: HttpRequest) -> HttpResponse:
        if "/candidates" in request.url:
            return HttpResponse(status=200, body=json.dumps([row("CLAIMED")]).encode())
        if "/open/" in request.url:
            return HttpResponse(status=200, body=b'{"status": "accepted"}')
        return HttpResponse(status=504)

    client, transport = connect(TermsAdapter(), handler)
    async with client:
        placed = await client.place(order(coid="mine-2"))
        again = await client.get(client_order_id="mine-2")
    assert placed.venue_order_id == again.venue_order_id == "CLAIMED"
    assert transport.sent[-1].url.endswith("/open/CLAIMED")


async def test_the_memory_of_seen_orders_is_bounded(fake_adapter: FakeAdapter) -> None:
    """The client remembers the last memory_size orders (two keys each); the oldest are forgotten first, a
    re-seen one stays."""
    from stopkit.client import VenueClient

    ids = iter(range(100))
    transport = MockTransport(
        lambda r: HttpResponse(status=200, body=json.dumps({"id": next(ids), "status": "accepted"}).encode())
    )
    client = VenueClient(fake_adapter.bind(Credentials("fakevenue", {})), transport=transport, memory_size=4)
    async with client:
        first = await client.place(order(1, coid="keep-me"))
        for n in range(2, 5):
            await client.place(order(n))
        assert client.last_state(client_order_id="keep-me") == first
        await client.get(venue_order_id=first.venue_order_id)  # seen again: moves to the newest end
        for n in range(5, 7):
            await client.place(order(n))
    assert client.last_state(venue_order_id=first.venue_order_id) is not None
    # The get's answer carried no client order id: the client carried it forward, so both keys stayed.
    kept = client.last_state(client_order_id="keep-me")
    assert kept is not None
    assert kept.venue_order_id == first.venue_order_id
    assert client.last_state(client_order_id=order(3).client_order_id) is None  # the oldest order was forgotten
    assert len(client._seen) == 8


async def test_a_cancel_answer_without_the_client_order_id_keeps_the_one_asked_for() -> None:
    """A cancel by both ids whose answer omits the client order id (the venue stores none) returns the state with
    the client order id given, so last_state finds it by that id; the client never saw the order before."""

    def handler(request: HttpRequest) -> HttpResponse:
        assert request.url == f"{BASE}/cancel/C9"
        return HttpResponse(status=200, body=b"{}")

    client, _ = connect(TermsAdapter(), handler)
    async with client:
        state = await client.cancel(venue_order_id="C9", client_order_id="bot-order-9")
        assert (state.venue_order_id, state.client_order_id, state.status) == (
            "C9",
            "bot-order-9",
            OrderStatus.CANCELED,
        )
        assert client.last_state(client_order_id="bot-order-9") == state


async def test_a_flow_that_crashes_after_its_write_is_unknown() -> None:
    """A venue flow that crashes on the answer to its write (the venue may have acted) raises ResponseShapeError
    with outcome_known=False and the write stays UNKNOWN; one that crashes on a read's answer is a known failure."""

    class CrashingBound(FakeBound):
        def place_flow(self, order: AnyStopOrder) -> Flow[OrderState]:
            answer: OrderState = yield Exchange(
                build=functools.partial(self.build_place_request, order),
                parse=functools.partial(self.parse_place_response, order),
                writes=True,
                label="place",
            )
            raise KeyError(f"no follow-up for {answer.venue_order_id}")

        def get_flow(self, ref: OrderRef) -> Flow[OrderState]:
            answer: OrderState = yield Exchange(
                build=lambda ctx: HttpRequest(method="GET", url=f"{BASE}/open/{ref.venue_order_id}"),
                parse=lambda response: _state("7", OrderStatus.ACCEPTED),
                label="open",
            )
            raise KeyError(f"no follow-up for {answer.venue_order_id}")

    class CrashingAdapter(FakeAdapter):
        def bind(self, credentials: Credentials, config: Mapping[str, Any] | None = None) -> BoundVenue:
            return CrashingBound(self, token_auth=False)

    client, transport = connect(CrashingAdapter(), lambda r: OK_PLACE)
    async with client:
        with pytest.raises(ResponseShapeError, match=r"^fakevenue: an answer could not be handled \(KeyError\)") as w:
            await client.place(order())
        with pytest.raises(ResponseShapeError, match=r"^fakevenue: an answer could not be handled \(KeyError\)") as r:
            await client.get(venue_order_id="7")
        (record,) = client.pending()
    assert w.value.outcome_known is False
    assert record.outcome is WriteOutcome.UNKNOWN
    assert r.value.outcome_known is True
    assert [request.method for request in transport.sent] == ["POST", "GET"]
