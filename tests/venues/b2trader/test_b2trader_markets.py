"""B2TRADER market precision: "Get market" parsing, the order checks, and the cached read in the place flow."""

from __future__ import annotations

import json
from decimal import Decimal

import b2trader_support as support
import jwt
import pytest

import stopkit
from stopkit import (
    ConfigurationError,
    FrozenClock,
    HttpRequest,
    HttpResponse,
    InvalidOrder,
    OrderStatus,
    Side,
    StopLimitOrder,
    StopOrder,
)
from stopkit.retry import RetryPolicy
from stopkit.testing import MockTransport
from stopkit_venues.b2trader.markets import (
    MarketSpec,
    check_order_fits,
    decimal_places,
    parse_market,
    parse_market_response,
)


@pytest.fixture
def b2t() -> type[support.B2TData]:
    """Constants and helpers of the B2TRADER tests."""
    return support.B2TData


@pytest.fixture
def market(b2t) -> MarketSpec:
    """The support module's "Get market" answer, parsed."""
    return parse_market_response(HttpResponse(status=200, body=b2t.MARKET_BODY.encode()), market_id="spot.btc_usdt")


# -- parsing ------------------------------------------------------------------------------


def test_market_answer_parsed(market) -> None:
    """Scales as ints, limits as exact Decimals."""
    assert market == MarketSpec(
        market_id="spot.btc_usdt",
        price_scale=2,
        amount_scale=5,
        min_amount=Decimal("0.0001"),
        max_base_amount=Decimal("100"),
    )


def test_null_limits_and_digit_strings() -> None:
    """Null amountScale/minAmount/maxBaseAmount (documented nullable) = no limit; digit-string scales read;
    a maxBaseAmount of 0 means no limit."""
    spec = parse_market(
        {"marketId": "spot.x_y", "priceScale": "4", "amountScale": None, "minAmount": None, "maxBaseAmount": "0"},
        market_id="spot.x_y",
    )
    assert spec == MarketSpec(market_id="spot.x_y", price_scale=4)


@pytest.mark.parametrize(
    "payload",
    [
        [{"marketId": "spot.btc_usdt", "priceScale": 2}],  # a list, not the documented object
        {"marketId": "spot.btc_usdt"},  # no priceScale
        {"marketId": "spot.eth_usdt", "priceScale": 2},  # another market
        {"marketId": "spot.btc_usdt", "priceScale": True},
        {"marketId": "spot.btc_usdt", "priceScale": 2, "amountScale": 99},
        {"marketId": "spot.btc_usdt", "priceScale": 2, "minAmount": "-1"},
        {"marketId": "spot.btc_usdt", "priceScale": 2, "maxBaseAmount": "lots"},
        "text",
    ],
)
def test_unreadable_answer_is_a_problem_never_an_error(payload) -> None:
    """Any answer but the documented object → a spec with a problem (and no limits); nothing raises."""
    spec = parse_market(payload, market_id="spot.btc_usdt")
    assert spec.problem
    assert (spec.price_scale, spec.amount_scale, spec.min_amount, spec.max_base_amount) == (None, None, None, None)


@pytest.mark.parametrize("body", [b"", b"<html></html>", b"{"])
def test_non_json_2xx_is_a_problem(body) -> None:
    """A 2xx body that is not JSON → a spec with a problem."""
    assert parse_market_response(HttpResponse(status=200, body=body), market_id="spot.btc_usdt").problem


def test_error_answer_is_classified() -> None:
    """A non-2xx answer raises the classified error (the place flow catches it)."""
    with pytest.raises(stopkit.VenueUnavailable) as excinfo:
        parse_market_response(HttpResponse(status=503), market_id="spot.btc_usdt")
    assert excinfo.value.outcome_known is True


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
def test_fitting_orders_pass(market, order) -> None:
    """Orders within the scales and limits pass."""
    check_order_fits(order, market)


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
def test_orders_that_do_not_fit_are_invalid(market, order, field, fragment) -> None:
    """Each rule → InvalidOrder naming the field and the scale or limit."""
    with pytest.raises(InvalidOrder, match=fragment) as excinfo:
        check_order_fits(order, market)
    assert excinfo.value.field == field
    assert excinfo.value.venue == "b2trader"


def test_a_problem_checks_nothing() -> None:
    """A spec with a problem lets any order through (the venue judges it)."""
    check_order_fits(_order(stop_price=Decimal("1.123456789")), MarketSpec(market_id="spot.btc_usdt", problem="x"))


# -- the place flow through stopkit.connect (MockTransport) -------------------------------

KEY = b"m" * 32
T0 = 1_755_187_645_819


class FakeVenue:
    """Answers token, Get market and place requests."""

    def __init__(self, b2t) -> None:
        self.b2t = b2t
        self.market_status = 200
        self.market_body = b2t.MARKET_BODY

    def __call__(self, request: HttpRequest) -> HttpResponse:
        if request.url.endswith("/access-token"):
            token = jwt.encode({"sub": "a", "exp": 4_000_000_000}, KEY, algorithm="HS256")
            return HttpResponse(status=200, body=json.dumps({"accessToken": token}).encode())
        if "/markets/" in request.url:
            if self.market_status != 200:
                return HttpResponse(status=self.market_status)
            return HttpResponse(status=200, body=self.market_body.encode())
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


async def test_market_read_before_the_place(b2t) -> None:
    """token, Get market of the order's market, then the place."""
    transport, clock = MockTransport(FakeVenue(b2t)), FrozenClock(T0)
    async with _client(b2t, transport, clock) as client:
        state = await client.place(_order())
    assert state.status is OrderStatus.ACCEPTED
    assert _paths(transport) == ["access-token", "spot.btc_usdt", "stop-orders"]


async def test_precision_refusal_sends_no_order(b2t) -> None:
    """An order that does not fit: InvalidOrder after the read, no POST."""
    transport, clock = MockTransport(FakeVenue(b2t)), FrozenClock(T0)
    async with _client(b2t, transport, clock) as client:
        with pytest.raises(InvalidOrder, match="priceScale=2"):
            await client.place(_order(stop_price=Decimal("128000.001")))
    assert "stop-orders" not in _paths(transport)


@pytest.mark.parametrize("status", [404, 500, 400])
async def test_market_read_failure_does_not_block(b2t, status, caplog) -> None:
    """Get market fails: the order is placed without the client-side check, and a warning is logged."""
    fake = FakeVenue(b2t)
    fake.market_status = status
    transport, clock = MockTransport(fake), FrozenClock(T0)
    async with _client(b2t, transport, clock) as client:
        state = await client.place(_order(stop_price=Decimal("128000.001")))
    assert state.status is OrderStatus.ACCEPTED
    assert _paths(transport)[-1] == "stop-orders"
    assert "placed without the client-side precision check" in caplog.text


async def test_check_off_reads_nothing(b2t) -> None:
    """check_market_precision=false: token, then the place; no Get market."""
    transport, clock = MockTransport(FakeVenue(b2t)), FrozenClock(T0)
    async with _client(b2t, transport, clock, check_market_precision="false") as client:
        await client.place(_order(stop_price=Decimal("128000.001")))
    assert _paths(transport) == ["access-token", "stop-orders"]


async def test_ttl_zero_reads_before_every_placement(b2t) -> None:
    """markets_ttl_s=0: one Get market per placement."""
    transport, clock = MockTransport(FakeVenue(b2t)), FrozenClock(T0)
    async with _client(b2t, transport, clock, markets_ttl_s=0) as client:
        await client.place(_order())
        await client.place(_order())
    assert _paths(transport).count("spot.btc_usdt") == 2


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
