"""B2TRADER market precision: Get markets parsing, the order checks, and the cached read in the place flow."""

from __future__ import annotations

import json
from decimal import Decimal

import b2trader_support as support
import jwt
import pytest

import stopkit
from stopkit import (
    AuthenticationError,
    ConfigurationError,
    FrozenClock,
    HttpRequest,
    HttpResponse,
    InvalidOrder,
    OrderStatus,
    ResponseShapeError,
    Side,
    StopLimitOrder,
    StopOrder,
)
from stopkit.retry import RetryPolicy
from stopkit.testing import MockTransport
from venues.b2trader.markets import (
    Markets,
    MarketSpec,
    check_order_fits,
    decimal_places,
    parse_markets,
    parse_markets_response,
)


@pytest.fixture
def b2t() -> type[support.B2TData]:
    """Constants and helpers of the B2TRADER tests."""
    return support.B2TData


@pytest.fixture
def markets(b2t) -> Markets:
    """The support module's Get markets answer, parsed."""
    return parse_markets_response(HttpResponse(status=200, body=b2t.MARKETS_BODY.encode()), fetched_at_ms=7)


# -- parsing ------------------------------------------------------------------------------


def test_markets_answer_parsed(markets) -> None:
    """Every market keyed by marketId; scales as ints, limits as exact Decimals, null = no limit."""
    assert markets.fetched_at_ms == 7
    assert set(markets.by_id) == {"spot.btc_usdt", "spot.eth_usdt", "cfd.eur_chf"}
    assert markets.by_id["spot.btc_usdt"] == MarketSpec(
        market_id="spot.btc_usdt",
        price_scale=2,
        amount_scale=5,
        min_amount=Decimal("0.0001"),
        max_base_amount=Decimal("100"),
    )
    cfd = markets.by_id["cfd.eur_chf"]
    assert cfd.amount_scale is None
    assert cfd.min_amount is None


@pytest.mark.parametrize("key", ["markets", "items", "data", "result"])
def test_wrapped_list_is_accepted(key) -> None:
    """Defensive: an object wrapping the list is read too."""
    payload = {key: [{"marketId": "spot.a_b", "priceScale": 3}]}
    assert parse_markets(payload, fetched_at_ms=0).by_id["spot.a_b"].price_scale == 3


def test_odd_entries_are_skipped_and_alternative_encodings_read() -> None:
    """Non-objects and entries without a marketId are skipped; "8" and 8.0 scales, number limits are read."""
    payload = [
        "spot.x_y",
        {"displayName": "no id"},
        {"marketId": 5},
        {"marketId": "spot.a_b", "priceScale": "8", "amountScale": Decimal("3"), "minAmount": Decimal("0.5")},
        {"marketId": "spot.c_d", "maxBaseAmount": "0", "minAmount": ""},
    ]
    by_id = parse_markets(payload, fetched_at_ms=0).by_id
    assert set(by_id) == {"spot.a_b", "spot.c_d"}
    assert (by_id["spot.a_b"].price_scale, by_id["spot.a_b"].amount_scale) == (8, 3)
    assert by_id["spot.a_b"].min_amount == Decimal("0.5")
    assert by_id["spot.c_d"] == MarketSpec(market_id="spot.c_d")  # 0 and "" mean no limit; no scale given


@pytest.mark.parametrize(
    ("field", "value"),
    [("priceScale", "two"), ("priceScale", -1), ("priceScale", True), ("amountScale", 2.5), ("minAmount", "abc")],
)
def test_malformed_market_spoils_only_itself(field, value) -> None:
    """A malformed field is reported when an order uses that market; the other markets still work."""
    payload = [{"marketId": "spot.a_b", field: value}, {"marketId": "spot.btc_usdt", "priceScale": 2}]
    markets = parse_markets(payload, fetched_at_ms=0)
    order = StopOrder(symbol="spot.a_b", side="buy", quantity=Decimal("1"), stop_price=Decimal("1"))
    with pytest.raises(ResponseShapeError, match=field):
        check_order_fits(order, "spot.a_b", markets)
    fine = StopOrder(symbol="BTC/USDT", side="buy", quantity=Decimal("1"), stop_price=Decimal("1.25"))
    check_order_fits(fine, "spot.btc_usdt", markets)


@pytest.mark.parametrize("body", [b'{"markets": "none"}', b"42", b"<html/>", b""])
def test_unreadable_answer_is_a_shape_error(body) -> None:
    """A 200 that is not a market list → ResponseShapeError with the raw body."""
    with pytest.raises(ResponseShapeError) as excinfo:
        parse_markets_response(HttpResponse(status=200, body=body), fetched_at_ms=0)
    assert excinfo.value.http_status == 200


def test_error_answer_is_classified() -> None:
    """A non-2xx Get markets answer goes through classify_error as a read (401 → AuthenticationError)."""
    with pytest.raises(AuthenticationError):
        parse_markets_response(HttpResponse(status=401), fetched_at_ms=0)


@pytest.mark.parametrize(
    ("text", "places"), [("0.010", 2), ("128000.00", 0), ("1E+3", 0), ("1.5E-3", 4), ("7", 0), ("0.00000001", 8)]
)
def test_decimal_places(text, places) -> None:
    """Digits after the decimal point a value needs (trailing zeros do not count)."""
    assert decimal_places(Decimal(text)) == places


# -- the checks ---------------------------------------------------------------------------


def _order(**changes) -> StopOrder:
    values = {"symbol": "BTC/USDT", "side": Side.BUY, "quantity": Decimal("0.01"), "stop_price": Decimal("128000")}
    return StopOrder(**(values | changes))


@pytest.mark.parametrize(
    "order",
    [
        _order(),
        _order(stop_price=Decimal("128000.12"), quantity=Decimal("0.00001") * 10),
        _order(quantity=Decimal("0.0001")),  # exactly minAmount
        _order(quantity=Decimal("100")),  # exactly maxBaseAmount
        _order(stop_price=Decimal("128000.1200")),  # trailing zeros are not extra precision
    ],
)
def test_fitting_orders_pass(markets, order) -> None:
    """Orders within the scales and limits pass; the market is returned."""
    assert check_order_fits(order, "spot.btc_usdt", markets).market_id == "spot.btc_usdt"


@pytest.mark.parametrize(
    ("order", "field", "fragment"),
    [
        (_order(stop_price=Decimal("128000.123")), "stop_price", "priceScale=2"),
        (
            StopLimitOrder(
                symbol="BTC/USDT",
                side="buy",
                quantity=Decimal("0.01"),
                stop_price=Decimal("128000"),
                limit_price=Decimal("128100.001"),
            ),
            "limit_price",
            "priceScale=2",
        ),
        (_order(quantity=Decimal("0.000011")), "quantity", "amountScale=5"),
        (_order(quantity=Decimal("0.00009")), "quantity", "minAmount 0.0001"),
        (_order(quantity=Decimal("100.00001")), "quantity", "maxBaseAmount 100"),
    ],
)
def test_orders_that_do_not_fit_are_invalid(markets, order, field, fragment) -> None:
    """Each rule → InvalidOrder naming the field and the scale or limit."""
    with pytest.raises(InvalidOrder, match=fragment) as excinfo:
        check_order_fits(order, "spot.btc_usdt", markets)
    assert excinfo.value.field == field
    assert excinfo.value.venue == "b2trader"


def test_unknown_market_is_invalid(markets) -> None:
    """A market Get markets does not list → InvalidOrder on the symbol."""
    with pytest.raises(InvalidOrder, match="not offered") as excinfo:
        check_order_fits(_order(symbol="XRP/EUR"), "spot.xrp_eur", markets)
    assert excinfo.value.field == "symbol"


# -- the place flow through stopkit.connect (MockTransport) -------------------------------

KEY = b"m" * 32
T0 = 1_755_187_645_819


class FakeVenue:
    """Answers token, markets and place requests; counts them."""

    def __init__(self, b2t, *, markets_body: str | None = None) -> None:
        self.b2t = b2t
        self.markets_body = markets_body or b2t.MARKETS_BODY
        self.markets_status = 200

    def __call__(self, request: HttpRequest) -> HttpResponse:
        if request.url.endswith("/access-token"):
            token = jwt.encode({"sub": "a", "exp": 4_000_000_000}, KEY, algorithm="HS256")
            return HttpResponse(status=200, body=json.dumps({"accessToken": token}).encode())
        if request.url.endswith("/markets"):
            if self.markets_status != 200:
                return HttpResponse(status=self.markets_status)
            return HttpResponse(status=200, body=self.markets_body.encode())
        return HttpResponse(status=200, body=self.b2t.DOC_RESPONSE_BODY.encode())


def _paths(transport: MockTransport) -> list[str]:
    return [r.url.rsplit("/", 1)[1] for r in transport.sent]


def _client(b2t, transport, clock, **config) -> stopkit.VenueClient:
    return stopkit.connect(
        "b2trader",
        credentials=b2t.credentials(),
        config={"base_url": b2t.BASE_URL, "requests_per_s": 1000} | config,
        transport=transport,
        clock=clock,
        retry=RetryPolicy(backoff=False),
    )


async def test_markets_fetched_once_and_reused_within_the_ttl(b2t) -> None:
    """First place: token, markets, place; later places within markets_ttl_s reuse the cache."""
    transport, clock = MockTransport(FakeVenue(b2t)), FrozenClock(T0)
    async with _client(b2t, transport, clock) as client:
        await client.place(_order())
        clock.advance(299_999)
        await client.place(_order())
        assert client.venue.cached_markets is not None
        assert client.venue.cached_markets.fetched_at_ms == T0
    assert _paths(transport) == ["access-token", "markets", "stop-orders", "stop-orders"]
    markets_request = transport.sent[1]
    assert markets_request.method == "GET"
    assert markets_request.url == b2t.BASE_URL + "/frontoffice/api/v5/markets"
    assert markets_request.body is None
    assert list(markets_request.headers) == ["Authorization", "accountId", "Accept"]


async def test_markets_fetched_again_after_the_ttl(b2t) -> None:
    """Once the cache is markets_ttl_s old, the next place fetches Get markets first."""
    transport, clock = MockTransport(FakeVenue(b2t)), FrozenClock(T0)
    async with _client(b2t, transport, clock, markets_ttl_s="60") as client:
        await client.place(_order())
        clock.advance(60_000)
        state = await client.place(_order())
        assert client.venue.cached_markets.fetched_at_ms == T0 + 60_000
    assert state.status is OrderStatus.ACCEPTED
    assert _paths(transport) == ["access-token", "markets", "stop-orders", "markets", "stop-orders"]


async def test_expired_cache_is_checked_against_the_new_markets(b2t) -> None:
    """A scale tightened since the last fetch: the refetched markets refuse the order; nothing posted."""
    venue = FakeVenue(b2t)
    transport, clock = MockTransport(venue), FrozenClock(T0)
    async with _client(b2t, transport, clock, markets_ttl_s=10) as client:
        await client.place(_order(stop_price=Decimal("128000.5")))
        venue.markets_body = b2t.MARKETS_BODY.replace(
            '"priceScale":2,"amountScale":5', '"priceScale":0,"amountScale":5'
        )
        clock.advance(10_000)
        with pytest.raises(InvalidOrder, match="priceScale=0"):
            await client.place(_order(stop_price=Decimal("128000.5")))
    assert _paths(transport) == ["access-token", "markets", "stop-orders", "markets"]


async def test_ttl_zero_fetches_before_every_placement(b2t) -> None:
    """markets_ttl_s=0: Get markets before each place."""
    transport, clock = MockTransport(FakeVenue(b2t)), FrozenClock(T0)
    async with _client(b2t, transport, clock, markets_ttl_s=0) as client:
        await client.place(_order())
        await client.place(_order())
    assert _paths(transport) == ["access-token", "markets", "stop-orders", "markets", "stop-orders"]


async def test_precision_refusal_sends_no_order(b2t) -> None:
    """An amount finer than amountScale → InvalidOrder after Get markets, before any POST."""
    transport, clock = MockTransport(FakeVenue(b2t)), FrozenClock(T0)
    async with _client(b2t, transport, clock) as client:
        with pytest.raises(InvalidOrder, match="amountScale=5"):
            await client.place(_order(quantity=Decimal("0.000001")))
    assert _paths(transport) == ["access-token", "markets"]


async def test_markets_failure_stops_the_placement(b2t) -> None:
    """Get markets answering 503 (a read, retried, then raised): the order is never posted."""
    venue = FakeVenue(b2t)
    venue.markets_status = 503
    transport, clock = MockTransport(venue), FrozenClock(T0)
    async with _client(b2t, transport, clock) as client:
        with pytest.raises(stopkit.VenueUnavailable) as excinfo:
            await client.place(_order())
    assert excinfo.value.outcome_known is True  # a read: nothing was placed
    assert _paths(transport) == ["access-token", "markets", "markets", "markets"]


def test_preview_skips_the_market_check(b2t) -> None:
    """stopkit.preview does no I/O: an amount finer than any scale still previews (documented)."""
    request = stopkit.preview(
        "b2trader",
        _order(quantity=Decimal("0.123456789")),
        credentials=b2t.credentials(),
        config={"base_url": b2t.BASE_URL, "requests_per_s": 1000},
        now_ms=0,
    )
    assert json.loads(request.body)["order"]["requestedAmount"] == "0.123456789"


@pytest.mark.parametrize(
    ("config", "fragment"), [({"markets_ttl_s": -1}, "markets_ttl_s"), ({"markets_ttl_s": "x"}, "bad config")]
)
def test_bad_ttl_config(b2t, config, fragment) -> None:
    """A negative or non-integer markets_ttl_s → ConfigurationError."""
    with pytest.raises(ConfigurationError, match=fragment):
        stopkit.bind("b2trader", credentials=b2t.credentials(), config={"base_url": b2t.BASE_URL} | config)
