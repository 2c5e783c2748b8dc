"""B2TRADER cassette tests: recorded from the simulator, replayed with nothing listening.

Re-record with ``python -m pytest tests/venues/b2trader --record-mode=rewrite``: the
simulator then runs on 127.0.0.1 with a frozen clock and a fixed seed, so the
recordings are reproducible. In replay mode (the default, ``none``) the base URL
points at a port where nothing listens: only the cassette can answer.
"""

from __future__ import annotations

import dataclasses
import json
from collections.abc import AsyncIterator
from datetime import UTC, datetime
from decimal import Decimal
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import b2trader_support as support
import pytest
import yaml

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
    ResponseShapeError,
    Side,
    StopLimitOrder,
    StopOrder,
    TimeInForce,
    VenueUnavailable,
)
from stopkit.retry import RetryPolicy
from stopkit.testing import SECRET_FIELDS
from stopkit.testing import vcr_config as stopkit_vcr_config
from stopkit.testing.simkit import Fault
from stopkit_venues.b2trader.simulator import DEMO_ACCOUNT_ID, DEMO_API_TOKEN, B2TraderSimulator


@pytest.fixture
def doc_stop() -> StopOrder:
    """The documented example stop-market."""
    return support.make_doc_stop()


@pytest.fixture
def doc_stop_limit() -> StopLimitOrder:
    """The documented example as a stop-limit."""
    return support.make_doc_stop_limit()


CASSETTES = Path(__file__).resolve().parents[3] / "cassettes" / "b2trader"
UNREACHABLE_BASE_URL = "http://127.0.0.1:9"  # as tests/conftest.py: nothing listens here
FROZEN_MS = 1_755_187_645_819  # 2025-08-14T16:07:25.819Z, the documented answer's createdAt
WRONG_API_TOKEN = "b2t-wrong-api-token-77c1"
CREDENTIALS = {"B2TRADER_API_TOKEN": DEMO_API_TOKEN, "B2TRADER_ACCOUNT_ID": DEMO_ACCOUNT_ID}


def _has_secret_field(body: object) -> bool:
    # True when a JSON body holds one of the fields stopkit's scrubber masks (at any depth).
    text = body.decode("utf-8", errors="replace") if isinstance(body, bytes) else str(body)
    try:
        value = json.loads(text, parse_float=Decimal)
    except ValueError:
        return True  # not JSON: let the stock scrubber decide
    stack = [value]
    while stack:
        item = stack.pop()
        if isinstance(item, dict):
            if SECRET_FIELDS & set(item):
                return True
            stack.extend(item.values())
        elif isinstance(item, list):
            stack.extend(item)
    return False


@pytest.fixture(scope="module")
def vcr_config() -> dict[str, Any]:
    """stopkit's vcr settings, except that a request body without a secret field is kept byte for byte.

    The stock scrubber re-serializes every JSON body through ``float``, which would turn the
    numbers-mode body ``"activationPrice":1234567890123456789.01`` into ``1.2345678901234568e+18``
    in the cassette (matching still works, both sides are scrubbed alike, but the cassette would
    not show the exact bytes sent). Secret-bearing bodies (the token exchange) are scrubbed as before.
    """
    config = stopkit_vcr_config()
    scrub = config["before_record_request"]

    def before_record_request(request: Any) -> Any:
        original = request.body
        request = scrub(request)
        if original is not None and not _has_secret_field(original):
            request.body = original
        return request

    return config | {"before_record_request": before_record_request}


@pytest.fixture
def vcr_cassette_dir() -> str:
    """Cassettes live in cassettes/b2trader/."""
    return str(CASSETTES)


@pytest.fixture
def clock() -> FrozenClock:
    """The frozen clock shared by the client and (when recording) the simulator."""
    return FrozenClock(FROZEN_MS)


@dataclasses.dataclass
class Venue:
    """Where the client connects, and the simulator behind it when recording (``None`` when replaying)."""

    base_url: str
    sim: B2TraderSimulator | None


@pytest.fixture
async def venue(recording: bool, served: Any, clock: FrozenClock) -> AsyncIterator[Venue]:
    """The simulator's URL when recording (price 120000); an unreachable one when replaying."""
    if recording:
        sim = B2TraderSimulator(clock=clock.now_ms, seed=20250814)
        sim.set_price("spot.btc_usdt", Decimal("120000"))
        server = await served(sim.make_app())
        yield Venue(server.base_url, sim)
    else:
        yield Venue(UNREACHABLE_BASE_URL, None)


def _connect(
    venue: Venue, clock: FrozenClock, credentials: dict[str, str] | None = None, **config: Any
) -> stopkit.VenueClient:
    return stopkit.connect(
        "b2trader",
        credentials=credentials or CREDENTIALS,
        config={"base_url": venue.base_url, "requests_per_s": 1000} | config,
        clock=clock,
        retry=RetryPolicy(backoff=False, max_attempts=1),
    )


def _fault(venue: Venue, fault: Fault) -> None:
    # Switch a simulator fault on (recording only: a replay has the answer in the cassette).
    if venue.sim is not None:
        venue.sim.faults.add(fault)


# -- operations ---------------------------------------------------------------------------------


@pytest.mark.vcr
async def test_b2trader_cassette_place_and_cancel(venue, clock, doc_stop, doc_stop_limit) -> None:
    """Token exchange, Get market, the documented stop-market and its stop-limit variant, then cancel the first."""
    async with _connect(venue, clock) as client:
        market = await client.place(doc_stop)
        limit = await client.place(doc_stop_limit)
        canceled = await client.cancel(venue_order_id=market.venue_order_id)
        assert client.last_state(venue_order_id=market.venue_order_id) == canceled
    assert market.status is OrderStatus.ACCEPTED
    assert market.venue_status == "WaitingForActivation"
    assert market.client_order_id == "coid-1"
    assert market.limit_price is None
    assert market.created_at is not None
    assert market.created_at.replace(microsecond=0) == datetime(2025, 8, 14, 16, 7, 25, tzinfo=UTC)
    assert limit.status is OrderStatus.ACCEPTED
    assert limit.limit_price == Decimal("128100")
    assert len({market.venue_order_id, limit.venue_order_id}) == 2
    assert canceled.venue_order_id == market.venue_order_id
    assert canceled.status is OrderStatus.CANCELED
    assert canceled.raw["cancellationDate"] is not None


@pytest.mark.vcr
async def test_b2trader_cassette_gtd_and_numbers(venue, clock) -> None:
    """decimals_as_numbers: a GTD stop-limit with values no float holds, and a Day stop-limit, sent as JSON numbers."""
    gtd = StopLimitOrder(
        symbol="ETH/BTC",
        side=Side.BUY,
        quantity=Decimal("123456789012.12345678"),
        stop_price=Decimal("1234567890123456789.01"),
        limit_price=Decimal("1234567890123456789.02"),
        time_in_force=TimeInForce.GTD,
        expire_at=datetime(2025, 8, 15, 16, 7, 25, 819000, tzinfo=UTC),
        client_order_id="c-gtd",
    )
    day = StopLimitOrder(
        symbol="BTC/USDT",
        side=Side.SELL,
        quantity=Decimal("0.5"),
        stop_price=Decimal("110000.5"),
        limit_price=Decimal("110000"),
        time_in_force=TimeInForce.DAY,
        client_order_id="c-day",
    )
    async with _connect(venue, clock, decimals_as_numbers=True) as client:
        placed_gtd = await client.place(gtd)
        placed_day = await client.place(day)
    assert placed_gtd.status is OrderStatus.ACCEPTED
    assert placed_gtd.stop_price == gtd.stop_price
    assert placed_gtd.limit_price == gtd.limit_price
    assert placed_gtd.quantity == gtd.quantity
    assert placed_gtd.raw["timeInForce"] == "Gtd"
    assert placed_day.raw["timeInForce"] == "Day"
    assert placed_day.stop_price == Decimal("110000.5")


@pytest.mark.vcr
async def test_b2trader_cassette_market_checks(venue, clock) -> None:
    """Orders that do not fit the scales/limits → InvalidOrder (only Get market is sent); an unlisted market
    (404 to Get market) is still sent, and the venue's 400 is the answer."""
    orders = [
        (StopOrder(symbol="BTC/USDT", side="buy", quantity=Decimal("0.01"), stop_price=Decimal("1.001")), "stop_price"),
        (StopOrder(symbol="BTC/USDT", side="buy", quantity=Decimal("0.000001"), stop_price=Decimal("1")), "quantity"),
        (StopOrder(symbol="BTC/USDT", side="buy", quantity=Decimal("0.00001"), stop_price=Decimal("1")), "quantity"),
        (StopOrder(symbol="BTC/USDT", side="buy", quantity=Decimal("100.1"), stop_price=Decimal("1")), "quantity"),
    ]
    async with _connect(venue, clock, markets_ttl_s=0) as client:
        for order, field in orders:
            with pytest.raises(InvalidOrder) as excinfo:
                await client.place(order)
            assert excinfo.value.field == field
        with pytest.raises(OrderRejected, match=r"spot\.xrp_eur"):
            await client.place(
                StopOrder(symbol="XRP/EUR", side="sell", quantity=Decimal("100"), stop_price=Decimal("0.5"))
            )
    if venue.sim is not None:
        assert venue.sim.stops == {}


@pytest.mark.vcr
async def test_b2trader_cassette_token_refresh_on_401(venue, clock, doc_stop) -> None:
    """A revoked token: the stop endpoint answers an empty 401 → one re-exchange, but the order is not sent
    again (B2TRADER documents no 401 body and no way to look a stop up): outcome unknown. The next order
    goes out with the new token."""
    async with _connect(venue, clock) as client:
        await client.place(doc_stop)
        if venue.sim is not None:
            venue.sim.revoke_tokens()
        with pytest.raises(OutcomeUnknown) as excinfo:
            await client.place(doc_stop)
        again = await client.place(doc_stop)
    assert isinstance(excinfo.value.classified, AuthenticationError)
    assert excinfo.value.classified.token_refreshed is True
    assert again.status is OrderStatus.ACCEPTED
    if venue.sim is not None:
        assert venue.sim.tokens_issued == 2
        assert len(venue.sim.stops) == 2


# -- error classes -------------------------------------------------------------------------------


@pytest.mark.vcr
async def test_b2trader_cassette_wrong_api_token(venue, clock, doc_stop) -> None:
    """A wrong API token: the exchange answers 401 → AuthenticationError, no order request made."""
    async with _connect(venue, clock, CREDENTIALS | {"B2TRADER_API_TOKEN": WRONG_API_TOKEN}) as client:
        with pytest.raises(AuthenticationError) as excinfo:
            await client.place(doc_stop)
    assert excinfo.value.http_status == 401
    assert excinfo.value.raw_body is None  # the token endpoint's body is never attached


@pytest.mark.vcr
async def test_b2trader_cassette_400_problem_details(venue, clock) -> None:
    """A GTD date in the past passes local checks; the venue's 400 ProblemDetails → OrderRejected naming the field."""
    order = StopLimitOrder(
        symbol="BTC/USDT",
        side=Side.BUY,
        quantity=Decimal("0.01"),
        stop_price=Decimal("128000"),
        limit_price=Decimal("128100"),
        time_in_force=TimeInForce.GTD,
        expire_at=datetime(2025, 8, 14, 16, 0, tzinfo=UTC),
        client_order_id="c-past",
    )
    async with _connect(venue, clock) as client:
        with pytest.raises(OrderRejected) as excinfo:
            await client.place(order)
    error = excinfo.value
    assert error.http_status == 400
    assert "order.cancellationDate: cancellationDate must be in the future." in (error.venue_message or "")
    assert json.loads(error.raw_body or "")["title"] == "One or more validation errors occurred."


@pytest.mark.vcr
async def test_b2trader_cassette_403_wrong_account(venue, clock, doc_stop) -> None:
    """An accountId the token does not cover → 403 ProblemDetails to the place: no declared refusal, so
    OutcomeUnknown with the parser's AuthenticationError kept."""
    async with _connect(venue, clock, CREDENTIALS | {"B2TRADER_ACCOUNT_ID": "6891e70db552ff9c6fbbccf5"}) as client:
        with pytest.raises(OutcomeUnknown) as excinfo:
            await client.place(doc_stop)
    assert excinfo.value.http_status == 403
    assert isinstance(excinfo.value.classified, AuthenticationError)
    assert "not accessible" in (excinfo.value.venue_message or "")


@pytest.mark.vcr
async def test_b2trader_cassette_404_cancel_unknown(venue, clock) -> None:
    """DELETE of an id the venue does not know → 404 ProblemDetails → OrderNotFound."""
    async with _connect(venue, clock) as client:
        with pytest.raises(OrderNotFound) as excinfo:
            await client.cancel(venue_order_id="01K2MNGAWPMQJ7WGATFSCAS1G4")
    assert excinfo.value.http_status == 404
    assert "01K2MNGAWPMQJ7WGATFSCAS1G4" in (excinfo.value.venue_message or "")


@pytest.mark.vcr
async def test_b2trader_cassette_415_media_type(venue, clock, doc_stop) -> None:
    """A host demanding another x-api-version answers 415: not a documented refusal → OutcomeUnknown
    (the parser's OrderRejected(415) kept as ``classified``)."""
    if venue.sim is not None:
        venue.sim.media_type = "application/json; x-api-version=5.0"
    async with _connect(venue, clock) as client:
        with pytest.raises(OutcomeUnknown) as excinfo:
            await client.place(doc_stop)
    assert (excinfo.value.http_status, excinfo.value.outcome_known) == (415, False)
    assert isinstance(excinfo.value.classified, OrderRejected)
    assert excinfo.value.venue_message == "Unsupported Media Type"


@pytest.mark.vcr
async def test_b2trader_cassette_429_rate_limited(venue, clock, doc_stop) -> None:
    """429 ProblemDetails with Retry-After: B2TRADER documents no 429, so the answer proves nothing →
    OutcomeUnknown (the parser's RateLimited(retry_after_s=7) kept), not resent; nothing placed."""
    body = venue.sim.problem_body(429, detail="Too many requests.") if venue.sim is not None else b""
    _fault(
        venue,
        Fault(
            kind="status",
            status=429,
            body=body,
            content_type="application/problem+json",
            headers={"Retry-After": "7"},
            method="POST",
            path="/stop-orders",
        ),
    )
    async with _connect(venue, clock) as client:
        with pytest.raises(OutcomeUnknown) as excinfo:
            await client.place(doc_stop)
    throttled = excinfo.value.classified
    assert isinstance(throttled, RateLimited)
    assert throttled.retry_after_s == 7.0
    assert excinfo.value.retryable is False
    assert excinfo.value.venue_message == "Too Many Requests; Too many requests."
    if venue.sim is not None:
        assert venue.sim.stops == {}


@pytest.mark.vcr
async def test_b2trader_cassette_5xx_after_acceptance(venue, clock, doc_stop) -> None:
    """The venue takes the order, then an empty 504: VenueUnavailable with outcome_known=False, not resent."""
    _fault(venue, Fault(kind="status_after", status=504, body=b"", method="POST", path="/stop-orders"))
    async with _connect(venue, clock) as client:
        with pytest.raises(VenueUnavailable) as excinfo:
            await client.place(doc_stop)
    assert excinfo.value.http_status == 504
    assert excinfo.value.outcome_known is False
    assert any("no way to look the order up" in note for note in excinfo.value.__notes__)
    if venue.sim is not None:
        assert len(venue.sim.stops) == 1


@pytest.mark.vcr
async def test_b2trader_cassette_empty_and_html_bodies(venue, clock, doc_stop) -> None:
    """An empty 400, an HTML 502 and an unreadable 200: each lands in the tree with its raw body, and none
    proves the venue did not act (outcome unknown)."""
    _fault(venue, Fault(kind="status", status=400, body=b"", method="POST", path="/stop-orders"))
    html = b"<html><body><h1>502 Bad Gateway</h1></body></html>"
    _fault(venue, Fault(kind="garbage", status=502, body=html, content_type="text/html", method="DELETE"))
    _fault(
        venue,
        Fault(
            kind="garbage_after",
            status=200,
            body=b"<html>OK</html>",
            content_type="text/html",
            method="POST",
            path="/stop-orders",
        ),
    )
    async with _connect(venue, clock) as client:
        with pytest.raises(ResponseShapeError) as empty:
            await client.place(doc_stop)
        with pytest.raises(VenueUnavailable) as proxy:
            await client.cancel(venue_order_id="01K2MNGAWPMQJ7WGATFSCAS1G4")
        with pytest.raises(ResponseShapeError) as unreadable:
            await client.place(doc_stop)
    assert (empty.value.http_status, empty.value.raw_body, empty.value.outcome_known) == (400, None, False)
    assert (proxy.value.http_status, proxy.value.raw_body) == (502, html.decode())
    assert proxy.value.outcome_known is False  # a cancel is a write
    assert (unreadable.value.http_status, unreadable.value.outcome_known) == (200, False)
    if venue.sim is not None:
        assert len(venue.sim.stops) == 1  # the unreadable 200 did place it


def test_b2trader_cassettes_hold_no_secrets() -> None:
    """Neither API token nor any access token (a JWT starts "eyJ") is in a cassette; the masks are."""
    files = sorted(CASSETTES.glob("*.yaml"))
    assert {f.stem for f in files} == {
        name for name, value in globals().items() if name.startswith("test_b2trader_cassette_") and callable(value)
    }
    text = "\n".join(f.read_text(encoding="utf-8") for f in files)
    for secret in (DEMO_API_TOKEN, WRONG_API_TOKEN, "eyJ"):
        assert secret not in text
    assert '{"token":"***"}' in text
    assert '{"accessToken":"***"}' in text
    assert "Bearer ***" in text


def _cassette(name: str) -> Any:
    # The recorded interactions of one cassette as (method, path, request body, status, response body).
    data = yaml.safe_load((CASSETTES / f"test_b2trader_cassette_{name}.yaml").read_text(encoding="utf-8"))
    return [
        (
            i["request"]["method"],
            urlsplit(i["request"]["uri"]).path,
            i["request"]["body"],
            i["response"]["status"]["code"],
            i["response"]["body"]["string"],
        )
        for i in data["interactions"]
    ]


def test_b2trader_cassettes_show_the_wire() -> None:
    """The cassettes hold what the issue asks: Get market reads, numbers-mode bodies, a 401 then a re-exchange."""
    place = _cassette("place_and_cancel")
    wire = [(m, p.rsplit("/", 1)[1], c) for m, p, _, c, _ in place]
    assert wire[:2] == [("POST", "access-token", 200), ("GET", "spot.btc_usdt", 200)]
    assert [w for w in wire if w[0] != "GET"] == [
        ("POST", "access-token", 200),
        ("POST", "stop-orders", 200),
        ("POST", "stop-orders", 200),
        ("DELETE", place[-1][1].rsplit("/", 1)[1], 200),
    ]
    assert place[1][2] is None
    numbers = [i for i in _cassette("gtd_and_numbers") if i[0] != "GET"]
    gtd_body = numbers[1][2]
    assert gtd_body == (
        '{"order":{"marketId":"spot.eth_btc","side":"Buy","orderType":"Limit",'
        '"activationPrice":1234567890123456789.01,"requestedAmount":123456789012.12345678,'
        '"requestedPrice":1234567890123456789.02,"timeInForce":"Gtd","cancellationDate":"2025-08-15T16:07:25.819Z"}}'
    )
    assert '"timeInForce":"Day"' in numbers[2][2]
    refresh = [(m, p.rsplit("/", 1)[1], c) for m, p, _, c, _ in _cassette("token_refresh_on_401")]
    refused = next(i for i, r in enumerate(refresh) if r[2] == 401)
    assert refresh[refused + 1] == ("POST", "access-token", 200)  # one re-exchange after the 401
    assert refresh[-1] == ("POST", "stop-orders", 200)
    checks = [(p.rsplit("/", 1)[1], c) for _, p, _, c, _ in _cassette("market_checks")]
    assert checks[-2:] == [("spot.xrp_eur", 404), ("stop-orders", 400)]  # unlisted: sent anyway, the venue refuses
