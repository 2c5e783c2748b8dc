"""Aries cassette tests: recorded against the simulator, replayed with nothing else listening.

Every operation (token by client credentials in form encoding with scope, as the SDK sends it, and
in JSON by setting; refresh; the
fallback to client credentials after a refused refresh, place both kinds, get, open_orders,
cancel, modify, reconciliation after a lost answer and after a 5xx) and every error class
(400 in both shapes, an empty 400, 401, 403, 404, 5xx, 200 with REJECTED) has a cassette.

Re-record with ``python -m pytest tests/venues/aries --record-mode=rewrite``.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
import yaml  # type: ignore[import-untyped]  # no stubs installed
from aries_testdata import stop_limit_order, stop_order

import stopkit
from stopkit.client import VenueClient
from stopkit.context import FrozenClock
from stopkit.errors import (
    AuthenticationError,
    OrderNotFound,
    OrderRejected,
    OutcomeUnknown,
    TransportError,
    VenueUnavailable,
)
from stopkit.retry import RetryPolicy
from stopkit.state import OrderStatus
from stopkit.testing.simkit import Fault
from stopkit.transport import AiohttpTransport
from stopkit.wire import HttpRequest, HttpResponse
from stopkit_venues.aries.constants import CHAIN_FIELD
from stopkit_venues.aries.simulator import DEMO_CLIENT_SECRET, AriesSimulator

CASSETTE_DIR = Path(__file__).resolve().parents[3] / "cassettes" / "aries"
UNREACHABLE_BASE_URL = "http://127.0.0.1:9"
START_MS = 1_768_487_400_000  # 2026-01-15T14:30:00Z
HOUR_MS = 3_600_000
STATIC_TOKEN = "cassette-static-token-4c2d"  # a test value the simulator does not know
ONE_TRY = RetryPolicy(max_attempts=1)

EXPECTED_CASSETTES = {
    "test_aries_cassette_place_get_cancel",
    "test_aries_cassette_expired_token_refresh",
    "test_aries_cassette_modify_chain",
    "test_aries_cassette_reconcile_lost_response",
    "test_aries_cassette_reconcile_after_5xx",
    "test_aries_cassette_error_classes",
}


@pytest.fixture
def vcr_cassette_dir() -> str:
    """Cassettes live in cassettes/aries/."""
    return str(CASSETTE_DIR)


class Setup:
    """The simulator (serving only while recording) and a client, sharing one frozen clock."""

    def __init__(self, recording: bool) -> None:
        self.recording = recording
        self.clock = FrozenClock(START_MS)
        self.venue_ms = START_MS
        self.sim = AriesSimulator(clock_ms=lambda: self.venue_ms)
        self.base_url = UNREACHABLE_BASE_URL

    async def start(self, served: Callable[[Any], Awaitable[Any]]) -> Setup:
        if self.recording:
            server = await served(self.sim.make_app())
            self.base_url = str(server.base_url)
            self.sim.set_price("AAPL", Decimal(150))
        return self

    def advance(self, ms: int) -> None:
        """Move both clocks."""
        self.venue_ms += ms
        self.clock.advance(ms)

    def connect(self, credentials: dict[str, str] | None = None, **kwargs: Any) -> VenueClient:
        config = {"base_url": self.base_url, "requests_per_s": 1000, **kwargs.pop("config", {})}
        return stopkit.connect(
            "aries",
            credentials=credentials or self.sim.demo_credentials(),
            config=config,
            clock=self.clock,
            retry=kwargs.pop("retry", ONE_TRY),
            **kwargs,
        )


class LosingTransport:
    """The aiohttp transport, except that the answer to the first ``POST /v1/orders`` is lost
    (the request reached the venue, which acted on it; the client sees a dropped connection)."""

    def __init__(self) -> None:
        self.inner = AiohttpTransport(venue="aries")
        self.lost = False

    async def send(self, request: HttpRequest, *, timeout_s: float) -> HttpResponse:
        response = await self.inner.send(request, timeout_s=timeout_s)
        if not self.lost and request.method == "POST" and request.url.endswith("/v1/orders"):
            self.lost = True
            raise TransportError("connection failed after sending: ServerDisconnectedError", outcome_known=False)
        return response

    async def close(self) -> None:
        await self.inner.close()


@pytest.mark.vcr
async def test_aries_cassette_place_get_cancel(recording: bool, served: Callable[[Any], Awaitable[Any]]) -> None:
    """Replay: client_credentials (form, scope), place both kinds, get, open_orders, cancel one, the other fills
    and is found by our client order id (this client placed it)."""
    env = await Setup(recording).start(served)
    async with env.connect() as client:
        stop = await client.place(stop_order(client_order_id="cassette-stop-1"))
        stop_limit = await client.place(stop_limit_order(client_order_id="cassette-stop-limit-1"))
        assert stop.status is OrderStatus.ACCEPTED
        assert stop_limit.status is OrderStatus.ACCEPTED
        assert (await client.get(venue_order_id=stop.venue_order_id)).status is OrderStatus.ACCEPTED
        listed = await client.open_orders("AAPL")
        assert [s.venue_order_id for s in listed] == [stop.venue_order_id, stop_limit.venue_order_id]
        canceled = await client.cancel(venue_order_id=stop_limit.venue_order_id)
        assert canceled.status is OrderStatus.CANCELED
        if recording:
            env.sim.set_price("AAPL", Decimal("144.90"))
        filled = await client.get(client_order_id="cassette-stop-1")
        assert filled.status is OrderStatus.FILLED
        assert filled.venue_order_id == stop.venue_order_id
    if recording:
        assert env.sim.grants == ["client_credentials"]


@pytest.mark.vcr
async def test_aries_cassette_expired_token_refresh(recording: bool, served: Callable[[Any], Awaitable[Any]]) -> None:
    """Replay (JSON encoding by setting): 401 → refresh_token grant; later a revoked refresh → client_credentials."""
    env = await Setup(recording).start(served)
    async with env.connect(config={"token_encoding": "json"}) as client:
        placed = await client.place(stop_order(client_order_id="cassette-refresh-1"))
        env.venue_ms += HOUR_MS + 1_000  # only the venue sees the expiry: it answers 401
        assert (await client.get(venue_order_id=placed.venue_order_id)).status is OrderStatus.ACCEPTED
        if recording:
            env.sim.revoke_refresh_tokens()
        env.advance(2 * HOUR_MS)  # both clocks: the client refreshes first, the venue refuses the refresh
        assert (await client.get(venue_order_id=placed.venue_order_id)).status is OrderStatus.ACCEPTED
    if recording:
        assert env.sim.grants == ["client_credentials", "refresh_token", "client_credentials"]
        assert env.sim.token_requests == 4


@pytest.mark.vcr
async def test_aries_cassette_modify_chain(recording: bool, served: Callable[[Any], Awaitable[Any]]) -> None:
    """Replay: place, replace twice (new clOrdId each), get by the oldest id, cancel by it, late replace refused."""
    env = await Setup(recording).start(served)
    async with env.connect() as client:
        placed = await client.place(stop_limit_order(client_order_id="cassette-modify-1"))
        first = await client.modify(placed, stop_price=Decimal(140), limit_price=Decimal("139.5"))
        second = await client.modify(first, quantity=Decimal(50))
        assert len({placed.venue_order_id, first.venue_order_id, second.venue_order_id}) == 3
        assert second.raw[CHAIN_FIELD] == [placed.venue_order_id, first.venue_order_id, second.venue_order_id]
        found = await client.get(venue_order_id=placed.venue_order_id)
        assert found.venue_order_id == second.venue_order_id
        assert (found.quantity, found.stop_price, found.limit_price) == (50, 140, Decimal("139.5"))
        canceled = await client.cancel(venue_order_id=placed.venue_order_id)
        assert (canceled.venue_order_id, canceled.status) == (second.venue_order_id, OrderStatus.CANCELED)
        with pytest.raises(OrderRejected) as info:
            await client.modify(second, stop_price=Decimal(139))
        assert info.value.venue_message == "Order is already CANCELED"


@pytest.mark.vcr
async def test_aries_cassette_reconcile_lost_response(recording: bool, served: Callable[[Any], Awaitable[Any]]) -> None:
    """Replay: the place answer is lost; the active list shows the order; place returns it (no resend)."""
    env = await Setup(recording).start(served)
    transport = LosingTransport()
    async with env.connect(transport=transport) as client:
        state = await client.place(stop_order(client_order_id="cassette-lost-1"))
    assert transport.lost
    assert state.client_order_id == "cassette-lost-1"
    assert state.status is OrderStatus.ACCEPTED
    if recording:
        assert [o["clOrdId"] for o in env.sim.orders()] == [state.venue_order_id]


@pytest.mark.vcr
async def test_aries_cassette_reconcile_after_5xx(recording: bool, served: Callable[[Any], Awaitable[Any]]) -> None:
    """Replay: HTTP 500 after the venue accepted the order; reconciliation finds it (no resend)."""
    env = await Setup(recording).start(served)
    if recording:
        env.sim.lose_next_place_response("5xx")
    async with env.connect() as client:
        state = await client.place(stop_limit_order(client_order_id="cassette-5xx-1"))
    assert (state.client_order_id, state.status) == ("cassette-5xx-1", OrderStatus.ACCEPTED)
    if recording:
        assert [o["clOrdId"] for o in env.sim.orders()] == [state.venue_order_id]


@pytest.mark.vcr
async def test_aries_cassette_error_classes(recording: bool, served: Callable[[Any], Awaitable[Any]]) -> None:
    """Replay: 400 flat, 400 nested, empty 400 (unknown), 404, 503, 200 REJECTED, 403 and 401, each as its error."""
    env = await Setup(recording).start(served)
    nested = b'{"error":{"type":"VALIDATION","code":"INVALID_STOP_PRICE","message":"stop too close"},"meta":{}}'

    def fault(**fields: Any) -> None:
        # The next matching request gets this answer (only the recording run has a simulator).
        if recording:
            env.sim.faults.add(Fault(**fields))

    if recording:
        env.sim.halt("TSLA")
    async with env.connect(config={"fractional_shares": True}) as client:
        with pytest.raises(OrderRejected) as flat:
            await client.place(stop_order(quantity=Decimal("1.5"), client_order_id="cassette-err-flat"))
        assert (flat.value.http_status, flat.value.venue_code) == (400, "FRACTIONAL_NOT_ALLOWED")
        fault(kind="garbage", status=400, body=nested, method="POST", path="/v1/orders")
        with pytest.raises(OrderRejected) as nested_error:
            await client.place(stop_order(client_order_id="cassette-err-nested"))
        assert (nested_error.value.venue_code, nested_error.value.venue_message) == ("INVALID_STOP_PRICE",
                                                                                     "stop too close")  # fmt: skip
        fault(kind="garbage", status=400, body=b"", method="POST", path="/v1/orders")
        # An empty 400 is not one of the documented error bodies: it proves nothing, so the
        # outcome is unknown (and reconciled), never a known rejection.
        with pytest.raises(OutcomeUnknown) as empty:
            await client.place(stop_order(client_order_id="cassette-err-empty"))
        assert (empty.value.http_status, empty.value.outcome_known) == (400, False)
        assert isinstance(empty.value.classified, OrderRejected)
        fault(kind="status", status=404, body=b"", method="GET", path="/orders")
        with pytest.raises(OrderNotFound) as missing:
            await client.get(venue_order_id="ORDER-20260115-404")
        assert missing.value.http_status == 404
        fault(kind="status", status=503, body=b"", method="GET", path="/orders")
        with pytest.raises(VenueUnavailable) as down:
            await client.open_orders()
        assert (down.value.http_status, down.value.outcome_known) == (503, True)
        with pytest.raises(OrderRejected) as halted:
            await client.place(stop_order(symbol="TSLA", client_order_id="cassette-err-halted"))
        assert (halted.value.http_status, halted.value.venue_code) == (200, "SYMBOL_HALTED")
        assert halted.value.venue_message == "Trading is halted in the symbol"
    wrong_account = dict(env.sim.demo_credentials(), ARIES_ACCOUNT_ID="SOMEONE-ELSE")
    async with env.connect(wrong_account) as other:
        with pytest.raises(AuthenticationError) as forbidden:
            await other.open_orders()
        assert (forbidden.value.http_status, forbidden.value.venue_code) == (403, "ACCOUNT_FORBIDDEN")
    static_only = {"ARIES_ACCESS_TOKEN": STATIC_TOKEN, "ARIES_ACCOUNT_ID": env.sim.account_id}
    async with env.connect(static_only) as stale:
        with pytest.raises(AuthenticationError) as refused:
            await stale.get(venue_order_id="ORDER-1")
        assert (refused.value.http_status, refused.value.venue_code) == (401, "INVALID_TOKEN")


def test_aries_cassettes_hold_no_secrets() -> None:
    """The client secret, tokens and refresh tokens are scrubbed from every cassette."""
    files = sorted(CASSETTE_DIR.glob("*.yaml"))
    assert {f.stem for f in files} >= EXPECTED_CASSETTES
    grants = []
    for path in files:
        text = path.read_text()
        assert DEMO_CLIENT_SECRET not in text
        assert STATIC_TOKEN not in text
        for interaction in yaml.safe_load(text)["interactions"]:
            request, response = interaction["request"], interaction["response"]
            for name, values in request["headers"].items():
                if name.lower() == "authorization":
                    assert values == ["Bearer ***"]
            body = request["body"] or ""
            if isinstance(body, bytes):
                body = body.decode()
            if request["uri"].endswith("/v1/oauth2/token"):
                assert "client_secret=%2A%2A%2A" in body or '"client_secret":"***"' in body
                assert "refresh_token=" not in body or "refresh_token=%2A%2A%2A" in body
                answer = response["body"]["string"]
                answer = answer.decode() if isinstance(answer, bytes) else answer
                if response["status"]["code"] == 200:
                    assert '"access_token":"***"' in answer
                    assert '"refresh_token":"***"' in answer
                encoding = "form" if "grant_type=" in body else "json"
                grant = "refresh_token" if "refresh_token" in body.split("grant_type")[1][:20] else "client_credentials"
                grants.append((encoding, grant))
    assert {("form", "client_credentials"), ("json", "client_credentials"), ("json", "refresh_token")} <= set(grants)
