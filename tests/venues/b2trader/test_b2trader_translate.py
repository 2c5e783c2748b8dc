"""B2TRADER translation: exact bytes and headers, GTD dates, symbols, spot rules ("Place SPOT Stop order")."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta, timezone
from decimal import Decimal

import b2trader_support as support
import pytest

import stopkit
from stopkit import (
    InvalidOrder,
    PositionEffect,
    RequestContext,
    Side,
    StopLimitOrder,
    StopOrder,
    TimeInForce,
    TriggerType,
    UnsupportedOrder,
)
from stopkit_venues.b2trader import translate
from stopkit_venues.b2trader.adapter import B2TraderBound
from stopkit_venues.b2trader.mapping import market_id_for, unified_symbol
from stopkit_venues.b2trader.translate import format_cancellation_date


@pytest.fixture
def b2t() -> type[support.B2TData]:
    """Constants and helpers of the B2TRADER tests."""
    return support.B2TData


@pytest.fixture
def bound() -> B2TraderBound:
    """B2TRADER bound to test credentials."""
    return support.make_bound()


@pytest.fixture
def ctx() -> RequestContext:
    """A request context holding a test access token."""
    return support.make_ctx()


@pytest.fixture
def doc_stop() -> StopOrder:
    """The documented example stop-market."""
    return support.make_doc_stop()


@pytest.fixture
def doc_stop_limit() -> StopLimitOrder:
    """The documented example as a stop-limit."""
    return support.make_doc_stop_limit()


STOP_HEADERS = {
    "Authorization": "Bearer jwt-test-value",
    "accountId": "685a7eaa360f9e7416221a61",
    "Content-Type": "application/json; x-api-version=4.0",
    "Accept": "*/*",
}


def test_documented_example_exact_bytes_and_headers(bound, ctx, doc_stop) -> None:
    """The documented Buy Market stop: exact URL, the four headers in order, exact body bytes."""
    request = bound.build_place_request(doc_stop, ctx)
    assert request.method == "POST"
    assert request.url == "https://trade.broker.invalid/frontoffice/api/v3/stop-orders"
    assert list(request.headers.items()) == list(STOP_HEADERS.items())
    assert request.body == (
        b'{"order":{"marketId":"spot.btc_usdt","side":"Buy","orderType":"Market","activationPrice":"128000",'
        b'"requestedAmount":"0.01","timeInForce":"Ioc"}}'
    )


def test_documented_example_values_match_the_docs(bound, ctx, doc_stop, b2t) -> None:
    """Same keys in the same order and equal values as the docs' example; we send strings, the docs numbers."""
    documented = json.loads(b2t.DOC_REQUEST_BODY, parse_float=Decimal)
    sent = json.loads(bound.build_place_request(doc_stop, ctx).body)
    assert list(sent) == ["order"]
    assert list(sent["order"]) == list(documented["order"])  # activationPrice inside "order", same order
    for key, value in documented["order"].items():
        if isinstance(value, str):
            assert sent["order"][key] == value
        else:
            assert isinstance(sent["order"][key], str)  # decimal strings (the declared type)
            assert Decimal(sent["order"][key]) == Decimal(value)


def test_stop_limit_sends_limit_type_and_requested_price(bound, ctx, doc_stop_limit) -> None:
    """Stop-limit: orderType Limit and requestedPrice between requestedAmount and timeInForce."""
    request = bound.build_place_request(doc_stop_limit, ctx)
    assert request.body == (
        b'{"order":{"marketId":"spot.btc_usdt","side":"Buy","orderType":"Limit","activationPrice":"128000",'
        b'"requestedAmount":"0.01","requestedPrice":"128100","timeInForce":"Ioc"}}'
    )
    assert list(request.headers.items()) == list(STOP_HEADERS.items())


def test_stop_market_never_sends_requested_price(bound, ctx, doc_stop) -> None:
    """ "Must be null or omitted for Market orders": omitted."""
    assert "requestedPrice" not in json.loads(bound.build_place_request(doc_stop, ctx).body)["order"]


def test_decimals_are_canonical_strings(bound, ctx, b2t) -> None:
    """Trailing zeros and exponents are normalized: 0.0100 → "0.01", 1.2805E+5 → "128050"."""
    order = StopOrder(**b2t.order_kwargs(side=Side.SELL, quantity=Decimal("0.0100"), stop_price=Decimal("1.2805E+5")))
    body = json.loads(bound.build_place_request(order, ctx).body)["order"]
    assert body["requestedAmount"] == "0.01"
    assert body["activationPrice"] == "128050"
    assert body["side"] == "Sell"


@pytest.mark.parametrize(
    ("tif", "wire"),
    [(TimeInForce.GTC, "Gtc"), (TimeInForce.IOC, "Ioc"), (TimeInForce.FOK, "Fok"), (TimeInForce.DAY, "Day")],
)
def test_time_in_force_is_pascal_case_without_cancellation_date(bound, ctx, b2t, tif, wire) -> None:
    """Each TIF of a stop-limit maps to its PascalCase value; only Gtd carries cancellationDate."""
    order = StopLimitOrder(**b2t.order_kwargs(time_in_force=tif, limit_price=Decimal("128100")))
    body = json.loads(bound.build_place_request(order, ctx).body)
    assert body["order"]["timeInForce"] == wire
    assert "cancellationDate" not in body["order"]


def test_gtd_sends_cancellation_date_in_utc_milliseconds(bound, ctx, b2t) -> None:
    """GTD: cancellationDate is expire_at in UTC as YYYY-MM-DDTHH:MM:SS.sssZ, the last key."""
    expire = datetime(2025, 8, 15, 16, 7, 25, 819999, tzinfo=timezone(timedelta(hours=2)))
    order = StopLimitOrder(**b2t.order_kwargs(time_in_force="gtd", expire_at=expire, limit_price=Decimal("128100")))
    body = bound.build_place_request(order, ctx).body
    assert body.endswith(b',"timeInForce":"Gtd","cancellationDate":"2025-08-15T14:07:25.819Z"}}')


@pytest.mark.parametrize(
    ("moment", "text"),
    [
        (datetime(2025, 1, 2, 3, 4, 5, tzinfo=UTC), "2025-01-02T03:04:05.000Z"),
        (datetime(2025, 1, 2, 3, 4, 5, 999999, tzinfo=UTC), "2025-01-02T03:04:05.999Z"),  # truncated, not rounded
        (datetime(2025, 1, 1, 0, 30, tzinfo=timezone(timedelta(hours=1))), "2024-12-31T23:30:00.000Z"),
    ],
)
def test_cancellation_date_format(moment, text) -> None:
    """Exactly three fractional digits and Z, converted to UTC."""
    assert format_cancellation_date(moment) == text


@pytest.mark.parametrize(
    ("symbol", "market_id"),
    [
        ("BTC/USDT", "spot.btc_usdt"),
        ("eth/btc", "spot.eth_btc"),
        ("spot.btc_usdt", "spot.btc_usdt"),
        ("spot.eur_chf", "spot.eur_chf"),
    ],
)
def test_symbols_unified_and_native(symbol, market_id) -> None:
    """Unified spot symbols become marketIds; native spot marketIds pass unchanged."""
    assert market_id_for(symbol) == market_id


@pytest.mark.parametrize("symbol", ["BTC/USDT:USDT", "BTC/USD:BTC", "cfd.eur_chf", "perpetual.btc_usdt"])
def test_derivative_symbols_are_unsupported(bound, ctx, b2t, symbol) -> None:
    """SPOT only: settle-currency symbols and other market types → UnsupportedOrder."""
    order = StopOrder(**b2t.order_kwargs(symbol=symbol))
    with pytest.raises(UnsupportedOrder, match="SPOT") as excinfo:
        bound.check_order(order)
    assert excinfo.value.feature is not None
    assert excinfo.value.feature.startswith("market_type")
    with pytest.raises(UnsupportedOrder):
        bound.build_place_request(order, ctx)


@pytest.mark.parametrize("symbol", ["BTCUSDT", "spot._usdt", "BTC-USDT", "spot.btcusdt", "BTC/USDT/X", "spot.btc usdt"])
def test_malformed_symbols_are_invalid(bound, b2t, symbol) -> None:
    """A symbol of neither form → InvalidOrder naming the symbol field."""
    with pytest.raises(InvalidOrder) as excinfo:
        bound.check_order(StopOrder(**b2t.order_kwargs(symbol=symbol)))
    assert excinfo.value.field == "symbol"


def test_sell_open_is_a_short_and_unsupported(bound, b2t) -> None:
    """SELL + OPEN is a short sale: spot cannot short."""
    order = StopOrder(**b2t.order_kwargs(side=Side.SELL, position_effect=PositionEffect.OPEN))
    with pytest.raises(UnsupportedOrder, match="short") as excinfo:
        bound.check_order(order)
    assert excinfo.value.feature == "position_effect=OPEN"


def test_buy_close_is_a_cover_and_unsupported(bound, b2t) -> None:
    """BUY + CLOSE would cover a short: spot has none."""
    order = StopOrder(**b2t.order_kwargs(side=Side.BUY, position_effect=PositionEffect.CLOSE))
    with pytest.raises(UnsupportedOrder, match="cover") as excinfo:
        bound.check_order(order)
    assert excinfo.value.feature == "position_effect=CLOSE"


@pytest.mark.parametrize(
    ("side", "effect"),
    [(Side.BUY, None), (Side.SELL, None), (Side.BUY, PositionEffect.OPEN), (Side.SELL, PositionEffect.CLOSE)],
)
def test_spot_compatible_position_effects_send_the_same_body(bound, ctx, b2t, side, effect) -> None:
    """BUY+OPEN and SELL+CLOSE are what spot does: accepted, and nothing extra is sent."""
    plain = bound.build_place_request(StopOrder(**b2t.order_kwargs(side=side)), ctx).body
    with_effect = bound.build_place_request(StopOrder(**b2t.order_kwargs(side=side, position_effect=effect)), ctx)
    assert with_effect.body == plain


@pytest.mark.parametrize(
    "trigger", [TriggerType.MARK_PRICE, TriggerType.LAST_PRICE, TriggerType.MID_POINT, TriggerType.INDEX_PRICE]
)
def test_trigger_types_other_than_default_are_unsupported(bound, b2t, trigger) -> None:
    """The trigger reference is not selectable (no such field in "Place SPOT Stop order")."""
    with pytest.raises(UnsupportedOrder, match="not selectable") as excinfo:
        bound.check_order(StopOrder(**b2t.order_kwargs(trigger_type=trigger)))
    assert excinfo.value.feature == f"trigger_type={trigger.name}"


def test_whole_position_quantity_is_unsupported(bound, b2t) -> None:
    """quantity=None → UnsupportedOrder (spot has no positions)."""
    order = StopOrder(**b2t.order_kwargs(side=Side.SELL, quantity=None, position_effect=PositionEffect.CLOSE))
    with pytest.raises(UnsupportedOrder) as excinfo:
        bound.check_order(order)
    assert excinfo.value.feature == "quantity=None"


def test_preview_builds_the_request_without_io(b2t, doc_stop) -> None:
    """stopkit.preview: placeholder token, same body bytes as the bound venue builds."""
    request = stopkit.preview(
        "b2trader", doc_stop, credentials=b2t.credentials(), config={"base_url": b2t.BASE_URL + "/"}, now_ms=0
    )
    assert request.url == b2t.BASE_URL + "/frontoffice/api/v3/stop-orders"
    assert request.headers["Authorization"] == "Bearer PREVIEW-TOKEN"
    assert json.loads(request.body)["order"]["activationPrice"] == "128000"


def test_preview_refuses_a_short_before_building(b2t) -> None:
    """preview runs check_order: an impossible order never becomes a request."""
    order = StopOrder(**b2t.order_kwargs(side="sell", position_effect="open"))
    with pytest.raises(UnsupportedOrder):
        stopkit.preview("b2trader", order, credentials=b2t.credentials(), config={"base_url": b2t.BASE_URL})


def test_cancel_request_exact(bound, ctx) -> None:
    """DELETE /frontoffice/api/v3/stop-orders/{orderId}: the same four headers, no body."""
    request = bound.build_cancel_request("01K2MNGAWPMQJ7WGATFSCAS1G4", ctx)
    assert request.method == "DELETE"
    assert request.url == "https://trade.broker.invalid/frontoffice/api/v3/stop-orders/01K2MNGAWPMQJ7WGATFSCAS1G4"
    assert list(request.headers.items()) == list(STOP_HEADERS.items())
    assert request.body is None


def test_cancel_request_percent_encodes_the_id(bound, ctx) -> None:
    """An id cannot escape its path segment."""
    assert bound.build_cancel_request("a/../b?c", ctx).url.endswith("/stop-orders/a%2F..%2Fb%3Fc")


def test_place_request_repr_masks_the_token(bound, ctx, doc_stop) -> None:
    """The bearer token never shows in the request's repr."""
    text = repr(bound.build_place_request(doc_stop, ctx))
    assert "jwt-test-value" not in text
    assert "Bearer ***" in text


def test_build_without_token_is_an_authentication_error(bound, doc_stop) -> None:
    """No access token → AuthenticationError, not a request with an empty bearer."""
    with pytest.raises(stopkit.AuthenticationError):
        bound.build_place_request(doc_stop, RequestContext(now_ms=0))


# -- decimals as exact JSON numbers (config decimals_as_numbers) ---------------------------


@pytest.fixture
def numbers_bound(b2t) -> B2TraderBound:
    """B2TRADER bound with decimals_as_numbers given as a CLI-style string."""
    return stopkit.bind(
        "b2trader", credentials=b2t.credentials(), config={"base_url": b2t.BASE_URL, "decimals_as_numbers": "true"}
    )


def test_numbers_mode_sends_the_documented_example_bytes(numbers_bound, ctx, doc_stop, b2t) -> None:
    """decimals_as_numbers: the docs' example exactly, as JSON numbers (compacted)."""
    body = numbers_bound.build_place_request(doc_stop, ctx).body
    assert body == (
        b'{"order":{"marketId":"spot.btc_usdt","side":"Buy","orderType":"Market","activationPrice":128000,'
        b'"requestedAmount":0.01,"timeInForce":"Ioc"}}'
    )
    assert json.loads(body) == json.loads(b2t.DOC_REQUEST_BODY)


def test_numbers_mode_is_exact_where_a_float_is_not(numbers_bound, ctx) -> None:
    """Values a float cannot hold are written digit for digit (never through float); zeros canonical."""
    order = StopLimitOrder(
        symbol="ETH/BTC",
        side=Side.SELL,
        quantity=Decimal("123456789012.12345678"),
        stop_price=Decimal("1234567890123456789.01"),
        limit_price=Decimal("0.100000000000000000000000001"),
    )
    assert float(order.stop_price) != order.stop_price  # the premise: a float would change it
    body = numbers_bound.build_place_request(order, ctx).body
    assert body == (
        b'{"order":{"marketId":"spot.eth_btc","side":"Sell","orderType":"Limit",'
        b'"activationPrice":1234567890123456789.01,"requestedAmount":123456789012.12345678,'
        b'"requestedPrice":0.100000000000000000000000001,"timeInForce":"Gtc"}}'
    )
    parsed = json.loads(body, parse_float=Decimal)["order"]
    assert parsed["activationPrice"] == order.stop_price
    assert parsed["requestedPrice"] == order.limit_price


def test_numbers_mode_canonicalizes(numbers_bound, ctx, b2t) -> None:
    """0.0100 → 0.01 and 1.2805E+5 → 128050 as numbers, no exponent."""
    order = StopOrder(**b2t.order_kwargs(quantity=Decimal("0.0100"), stop_price=Decimal("1.2805E+5")))
    body = numbers_bound.build_place_request(order, ctx).body
    assert b'"activationPrice":128050,"requestedAmount":0.01,' in body


def test_string_mode_is_the_default_and_exact(bound, ctx) -> None:
    """Default: the same long values as exact decimal strings."""
    order = StopOrder(
        symbol="ETH/BTC", side=Side.BUY, quantity=Decimal("123456789012.12345678"), stop_price=Decimal("1E-8")
    )
    body = json.loads(bound.build_place_request(order, ctx).body)["order"]
    assert body["requestedAmount"] == "123456789012.12345678"
    assert body["activationPrice"] == "0.00000001"


@pytest.mark.parametrize("value", ["maybe", "2"])
def test_bad_decimals_as_numbers_is_a_configuration_error(b2t, value) -> None:
    """decimals_as_numbers must be a boolean."""
    with pytest.raises(stopkit.ConfigurationError, match="decimals_as_numbers"):
        stopkit.bind(
            "b2trader", credentials=b2t.credentials(), config={"base_url": b2t.BASE_URL, "decimals_as_numbers": value}
        )


def test_market_request_exact(bound, ctx) -> None:
    """GET /frontoffice/api/v5/markets/{marketId}: bearer and Accept as documented; no body, no Content-Type."""
    request = translate.build_market_request("spot.btc_usdt", base_url=bound.base_url, token=ctx.access_token)
    assert request.method == "GET"
    assert request.url == "https://trade.broker.invalid/frontoffice/api/v5/markets/spot.btc_usdt"
    assert list(request.headers.items()) == [("Authorization", "Bearer jwt-test-value"), ("Accept", "*/*")]
    assert request.body is None


def test_child_cancel_request_exact(bound, ctx) -> None:
    """DELETE /frontoffice/api/v3/orders/{orderId}: bearer, accountId, Accept as documented; no body."""
    request = translate.build_order_cancel_request(
        "01K2PF9XS29WN4JZRHMCTTQYJB", base_url=bound.base_url, account_id=bound.account_id, token=ctx.access_token
    )
    assert (request.method, request.url) == (
        "DELETE",
        "https://trade.broker.invalid/frontoffice/api/v3/orders/01K2PF9XS29WN4JZRHMCTTQYJB",
    )
    assert list(request.headers.items()) == [
        ("Authorization", "Bearer jwt-test-value"),
        ("accountId", "685a7eaa360f9e7416221a61"),
        ("Accept", "*/*"),
    ]
    assert request.body is None


@pytest.mark.parametrize("tif", [TimeInForce.DAY, TimeInForce.GTD])
def test_resting_time_in_force_refused_for_a_stop_market(bound, ctx, b2t, tif) -> None:
    """DAY/GTD apply to limit orders only: a stop-market with one is UnsupportedOrder before any request."""
    kwargs = b2t.order_kwargs(time_in_force=tif)
    if tif is TimeInForce.GTD:
        kwargs["expire_at"] = datetime(2030, 1, 1, tzinfo=UTC)
    with pytest.raises(UnsupportedOrder, match="stop-market") as excinfo:
        bound.check_order(StopOrder(**kwargs))
    assert excinfo.value.feature == f"time_in_force={tif.name}"


@pytest.mark.parametrize(
    ("tif", "wire"), [(TimeInForce.GTC, "Ioc"), (TimeInForce.IOC, "Ioc"), (TimeInForce.FOK, "Fok")]
)
def test_stop_market_time_in_force(bound, ctx, b2t, tif, wire) -> None:
    """A stop-market sends Ioc for stopkit's default GTC (the documented Market stop), and IOC/FOK as given."""
    body = json.loads(bound.build_place_request(StopOrder(**b2t.order_kwargs(time_in_force=tif)), ctx).body)
    assert body["order"]["timeInForce"] == wire


def test_market_stop_time_in_force_setting(b2t, ctx) -> None:
    """Config market_stop_time_in_force=Gtc sends a GTC stop-market as Gtc; an unknown value is refused."""
    bound = stopkit.bind(
        "b2trader",
        credentials=b2t.credentials(),
        config={"base_url": b2t.BASE_URL, "market_stop_time_in_force": "Gtc"},
    )
    body = json.loads(bound.build_place_request(StopOrder(**b2t.order_kwargs()), ctx).body)
    assert body["order"]["timeInForce"] == "Gtc"
    with pytest.raises(stopkit.ConfigurationError, match="market_stop_time_in_force"):
        stopkit.bind(
            "b2trader",
            credentials=b2t.credentials(),
            config={"base_url": b2t.BASE_URL, "market_stop_time_in_force": "Day"},
        )


@pytest.mark.parametrize("symbol", ["spot.BTC_USDT", "spot.usdt_btc-x", "spot.a.b_c", "Spot.btc_usdt"])
def test_native_market_ids_follow_the_documented_pattern_only(bound, symbol) -> None:
    """Any {marketType}.{base}_{quote} id passes unchanged: asset ids are broker-defined."""
    assert translate.check_spot_order(StopOrder(symbol=symbol, side="buy", quantity=1, stop_price=1)) == symbol


def test_markets_list_request_exact(bound, ctx) -> None:
    """GET /frontoffice/api/v5/markets ("Get markets"): upper-case GET, no query, bearer and Accept, no body."""
    request = translate.build_markets_request(base_url=bound.base_url, token=ctx.access_token)
    assert (request.method, request.url) == ("GET", "https://trade.broker.invalid/frontoffice/api/v5/markets")
    assert list(request.headers.items()) == [("Authorization", "Bearer jwt-test-value"), ("Accept", "*/*")]
    assert request.body is None


def test_market_request_percent_encodes_the_market_id(bound, ctx) -> None:
    """A market id cannot escape its path segment: '/' and '?' are escaped too."""
    request = translate.build_market_request("spot.a/../b?c", base_url=bound.base_url, token=ctx.access_token)
    assert request.url == "https://trade.broker.invalid/frontoffice/api/v5/markets/spot.a%2F..%2Fb%3Fc"


def test_place_body_defaults_are_decimal_strings_and_ioc(b2t) -> None:
    """build_place_body's defaults: decimals as canonical strings, a GTC stop-market sent as Ioc."""
    order = StopOrder(**b2t.order_kwargs(quantity=Decimal("0.0100")))
    assert translate.build_place_body(order) == {
        "order": {
            "marketId": "spot.btc_usdt",
            "side": "Buy",
            "orderType": "Market",
            "activationPrice": "128000",
            "requestedAmount": "0.01",
            "timeInForce": "Ioc",
        }
    }


# -- symbols back: the unified symbol of a market id (Markets) ------------------------------------------


@pytest.mark.parametrize(
    ("market_id", "symbol"),
    [
        ("spot.btc_usdt", "BTC/USDT"),
        ("Spot.eth_btc", "ETH/BTC"),
        ("spot.a_b_c", "spot.a_b_c"),  # two "_": the pair is ambiguous, the id is kept
        ("cfd.eur_chf", "cfd.eur_chf"),  # another market type: kept
        ("BTCUSDT", "BTCUSDT"),  # not a market id: kept
    ],
)
def test_unified_symbol_from_the_market_id_alone(market_id, symbol) -> None:
    """Without asset ids a SPOT id with one "_" becomes BASE/QUOTE upper-cased; anything else is kept."""
    assert unified_symbol(market_id) == symbol


@pytest.mark.parametrize(
    ("base", "quote", "symbol"),
    [
        ("btc", "usdt", "BTC/USDT"),  # the asset ids win over the id's own pair
        (None, "usdt", "XY/Z"),  # one asset id missing: from the id
        ("btc", None, "XY/Z"),
        ("btc", "", "XY/Z"),
        ("", "usdt", "XY/Z"),
        (7, "usdt", "XY/Z"),
    ],
)
def test_unified_symbol_uses_the_asset_ids_only_when_both_are_given(base, quote, symbol) -> None:
    """baseAssetId/quoteAssetId give the symbol when both are non-empty strings; else the id's pair is read."""
    assert unified_symbol("spot.xy_z", base=base, quote=quote) == symbol


# -- what a refused order tells its caller: the class, the venue, the feature or field, the message ------

SPOT_ONLY = (
    "stopkit places B2TRADER stops on SPOT markets only: the perpetual stop body differs (lots, leverage) "
    "and no CFD stop path is documented (see docs/venues/b2trader.md)"
)


@pytest.mark.parametrize(
    ("symbol", "feature", "message"),
    [
        (
            "BTC/USDT:USDT",
            "market_type",
            f"b2trader: symbol 'BTC/USDT:USDT' is a derivative (perpetual/CFD) symbol: {SPOT_ONLY}",
        ),
        (
            "cfd.eur_chf",
            "market_type=cfd",
            f"b2trader: market type 'cfd' of 'cfd.eur_chf' is not supported: {SPOT_ONLY}",
        ),
        (
            "Perpetual.btc_usdt",
            "market_type=Perpetual",
            f"b2trader: market type 'Perpetual' of 'Perpetual.btc_usdt' is not supported: {SPOT_ONLY}",
        ),
    ],
)
def test_a_derivative_symbol_is_refused_naming_the_venue_and_market_type(symbol, feature, message) -> None:
    """UnsupportedOrder from b2trader with the market type as the feature and the reason spelled out."""
    with pytest.raises(UnsupportedOrder) as excinfo:
        market_id_for(symbol)
    assert (excinfo.value.venue, excinfo.value.feature, excinfo.value.message) == ("b2trader", feature, message)


def test_a_symbol_of_neither_form_is_invalid_naming_the_symbol_field() -> None:
    """InvalidOrder from b2trader on the field symbol, showing both accepted forms."""
    with pytest.raises(InvalidOrder) as excinfo:
        market_id_for("BTCUSDT")
    assert (excinfo.value.venue, excinfo.value.field) == ("b2trader", "symbol")
    assert excinfo.value.message == (
        "b2trader: symbol 'BTCUSDT' is neither a unified spot symbol like 'BTC/USDT' "
        "nor a market id like 'spot.btc_usdt'"
    )


@pytest.mark.parametrize(
    ("overrides", "feature", "message"),
    [
        (
            {"side": Side.SELL, "position_effect": PositionEffect.OPEN},
            "position_effect=OPEN",
            "b2trader: side=SELL with position_effect=OPEN is a short sale; spot markets cannot short "
            "(sell only what you hold: position_effect=None or CLOSE)",
        ),
        (
            {"side": Side.BUY, "position_effect": PositionEffect.CLOSE},
            "position_effect=CLOSE",
            "b2trader: side=BUY with position_effect=CLOSE would cover a short; spot markets have no short "
            "positions (position_effect=None or OPEN)",
        ),
        (
            {"time_in_force": TimeInForce.DAY},
            "time_in_force=DAY",
            "b2trader: time_in_force=DAY does not apply to a stop-market: it releases a Market order, which fills "
            "at once or not at all (the documented Market stop uses Ioc); GTD and DAY apply to limit and "
            "stop-limit orders (https://docs.bbp.b2trader.b2broker.com/knowledge-base/time-in-force)",
        ),
    ],
)
def test_spot_rule_refusals_name_the_venue_feature_and_reason(b2t, overrides, feature, message) -> None:
    """check_spot_order's UnsupportedOrder: venue b2trader, the refused feature, the spot rule in words."""
    with pytest.raises(UnsupportedOrder) as excinfo:
        translate.check_spot_order(StopOrder(**b2t.order_kwargs(**overrides)))
    assert (excinfo.value.venue, excinfo.value.feature) == ("b2trader", feature)
    assert excinfo.value.message == message


def test_place_body_refuses_a_whole_position_quantity(b2t) -> None:
    """build_place_body alone (no check_order first) refuses quantity=None: requestedAmount is always given."""
    order = StopOrder(**b2t.order_kwargs(side=Side.SELL, quantity=None, position_effect=PositionEffect.CLOSE))
    with pytest.raises(UnsupportedOrder) as excinfo:
        translate.build_place_body(order)
    assert (excinfo.value.venue, excinfo.value.feature) == ("b2trader", "quantity=None")
    assert excinfo.value.message == (
        "b2trader: quantity=None (whole position) is not supported: spot has no positions; "
        "give requestedAmount in base units"
    )


def test_place_request_defaults_are_decimal_strings_and_ioc(b2t) -> None:
    """build_place_request's defaults: the documented request with decimal strings, a GTC stop-market as Ioc."""
    order = StopOrder(**b2t.order_kwargs())
    request = translate.build_place_request(
        order, base_url=b2t.BASE_URL, account_id=b2t.ACCOUNT_ID, token=support.make_ctx().access_token
    )
    assert (request.method, request.url) == ("POST", "https://trade.broker.invalid/frontoffice/api/v3/stop-orders")
    assert request.body == (
        b'{"order":{"marketId":"spot.btc_usdt","side":"Buy","orderType":"Market","activationPrice":"128000",'
        b'"requestedAmount":"0.01","timeInForce":"Ioc"}}'
    )
