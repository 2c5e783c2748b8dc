"""Aries: mapping tables, check_order rejections and exact request bytes."""

from __future__ import annotations

from decimal import Decimal

import pytest
from aries_testdata import ACCOUNT, STATIC_TOKEN, bound, stop_limit_order, stop_order

import stopkit
from stopkit.context import AccessToken, RequestContext
from stopkit.errors import ConfigurationError, InvalidOrder, UnsupportedOrder
from stopkit.orders import PositionEffect, Side, TimeInForce, TriggerType
from stopkit.state import OrderStatus
from stopkit_venues.aries import VENUE, mapping, translate

CTX = RequestContext(now_ms=1_768_487_400_000, access_token=AccessToken("tok-abc"))


def test_aries_status_table_covers_the_fix_vocabulary() -> None:
    """Every FIX OrdStatus of the SDK's TradeOrderV2.OrdStatus is mapped, explicitly."""
    documented = {
        "PENDING_NEW", "NEW", "PARTIALLY_FILLED", "FILLED", "PENDING_CANCEL", "CANCELED", "PENDING_REPLACE",
        "REPLACED", "REJECTED", "EXPIRED", "DONE_FOR_DAY", "STOPPED", "SUSPENDED", "CALCULATED",
        "ACCEPTED_FOR_BID", "SUPERSEDED",
    }  # fmt: skip
    assert set(mapping.ORDER_STATUS) == documented
    assert mapping.ORDER_STATUS["NEW"] is OrderStatus.ACCEPTED
    assert mapping.ORDER_STATUS["PENDING_NEW"] is OrderStatus.SUBMITTED
    assert mapping.ORDER_STATUS["PENDING_REPLACE"] is OrderStatus.PENDING_UPDATE
    # STOPPED is FIX "trading stopped", not "stop triggered".
    assert not mapping.ORDER_STATUS["STOPPED"].is_triggered
    assert mapping.ORDER_STATUS["SUPERSEDED"] is OrderStatus.CANCELED
    assert mapping.ORDER_STATUS["CANCELED"].is_terminal


@pytest.mark.parametrize(
    ("side", "effect", "wire"),
    [
        (Side.BUY, None, "BUY"),
        (Side.BUY, PositionEffect.OPEN, "BUY"),
        (Side.BUY, PositionEffect.CLOSE, "BUY_TO_COVER"),
        (Side.SELL, None, "SELL"),
        (Side.SELL, PositionEffect.CLOSE, "SELL"),
        (Side.SELL, PositionEffect.OPEN, "SELL_SHORT"),
    ],
)
def test_aries_side_mapping(side: Side, effect: PositionEffect | None, wire: str) -> None:
    """Side + position effect → Aries side, in the body actually sent; read back, the side keeps its effect."""
    order = stop_order(side=side, position_effect=effect)
    request = bound().build_place_request(order, CTX)
    assert request.json()["side"] == wire
    assert mapping.SIDE_FROM_VENUE[wire] is side
    if (effect, side) in ((PositionEffect.OPEN, Side.SELL), (PositionEffect.CLOSE, Side.BUY)):
        assert mapping.POSITION_EFFECT_FROM_VENUE[wire] is effect


def test_aries_stop_order_exact_bytes() -> None:
    """The stop-order example: STOP, no price, canonical decimals, field order, headers, no clientId."""
    request = bound().build_place_request(stop_order(), CTX)
    assert request.method == "POST"
    assert request.url == "https://api.aries.com/v1/orders"
    assert request.headers == {"Authorization": "Bearer tok-abc", "Content-Type": "application/json"}
    assert request.body == (
        b'{"tradingAccountId":"ACC123456","symbol":"AAPL","side":"SELL","type":"STOP","qty":"100",'
        b'"stopPrice":"145","timeInForce":"DAY"}'
    )


def test_aries_stop_limit_order_exact_bytes() -> None:
    """The stop-limit example: STOP_LIMIT with stopPrice and price, GTC passes through."""
    request = bound(base_url="http://127.0.0.1:8080/").build_place_request(stop_limit_order(time_in_force="gtc"), CTX)
    assert request.url == "http://127.0.0.1:8080/v1/orders"
    assert request.body == (
        b'{"tradingAccountId":"ACC123456","symbol":"AAPL","side":"SELL","type":"STOP_LIMIT","qty":"100",'
        b'"stopPrice":"145","price":"144.5","timeInForce":"GTC"}'
    )


@pytest.mark.parametrize(("tif", "wire"), [("ioc", "IOC"), ("fok", "FOK"), ("gtc", "GTC"), ("day", "DAY")])
def test_aries_time_in_force_offered_for_stops(tif: str, wire: str) -> None:
    """IOC and FOK are in the SDK's time-in-force enum with no stop restriction: sent as such."""
    assert bound().build_place_request(stop_limit_order(time_in_force=tif), CTX).json()["timeInForce"] == wire


def test_aries_extended_hours_sends_day_as_extended_hours() -> None:
    """extended_hours=true sends DAY as EXTENDED_HOURS; a GTC order is then refused before I/O, with the reason."""
    venue = bound(extended_hours="true")
    assert venue.build_place_request(stop_order(), CTX).json()["timeInForce"] == "EXTENDED_HOURS"
    with pytest.raises(UnsupportedOrder) as info:
        venue.build_place_request(stop_order(time_in_force="gtc"), CTX)
    assert info.value.feature == "time_in_force=GTC"
    assert "one-session" in str(info.value)


def test_aries_preview_uses_static_token_and_masks_it() -> None:
    """stopkit.preview builds the same bytes with the static token; the repr masks it."""
    creds = {"ARIES_ACCESS_TOKEN": STATIC_TOKEN, "ARIES_ACCOUNT_ID": ACCOUNT}
    request = stopkit.preview("aries", stop_order(), credentials=creds, now_ms=0)
    assert request.headers["Authorization"] == f"Bearer {STATIC_TOKEN}"
    assert STATIC_TOKEN not in repr(request)


def test_aries_lowercase_symbol_is_uppercased() -> None:
    """Tickers are case-insensitive: 'aapl' is sent as AAPL."""
    assert bound().build_place_request(stop_order(symbol="aapl"), CTX).json()["symbol"] == "AAPL"
    assert bound().native_symbol("brk.b") == "BRK.B"


@pytest.mark.parametrize("symbol", ["AAPL/USD", "BTC-PERP!", "A" * 21, "1ABC"])
def test_aries_bad_symbol_is_invalid(symbol: str) -> None:
    """Anything but a 1-20 character ticker is refused before I/O."""
    with pytest.raises(InvalidOrder) as info:
        bound().check_order(stop_order(symbol=symbol))
    assert info.value.field == "symbol"


@pytest.mark.parametrize(
    ("overrides", "feature"),
    [
        (
            {
                "time_in_force": "gtd",
                "expire_at": __import__("datetime").datetime(2030, 1, 1, tzinfo=__import__("datetime").UTC),
            },
            "time_in_force=GTD",
        ),
        ({"trigger_type": TriggerType.LAST_PRICE}, "trigger_type=LAST_PRICE"),
        ({"trigger_type": TriggerType.MARK_PRICE}, "trigger_type=MARK_PRICE"),
        ({"quantity": None, "position_effect": "close"}, "quantity=None"),
    ],
)
def test_aries_unsupported_options(overrides: dict[str, object], feature: str) -> None:
    """Each unsupported option raises UnsupportedOrder naming it and the reason."""
    with pytest.raises(UnsupportedOrder) as info:
        bound().build_place_request(stop_order(**overrides), CTX)
    assert info.value.feature == feature
    if feature == "time_in_force=GTD":
        assert "no GTD" in str(info.value)
    if feature.startswith("trigger_type"):
        assert "does not document" in str(info.value)


@pytest.mark.parametrize(
    ("order", "field"),
    [
        (stop_order(stop_price=Decimal("145.123456")), "stop_price"),
        (stop_limit_order(limit_price=Decimal("144.000001")), "limit_price"),
        (stop_order(quantity=Decimal("0.000001")), "quantity"),
    ],
)
def test_aries_more_than_five_decimals_is_invalid(order: stopkit.AnyStopOrder, field: str) -> None:
    """More than 5 decimal places → InvalidOrder naming the field, before any I/O."""
    with pytest.raises(InvalidOrder) as info:
        bound(fractional_shares=True).check_order(order)
    assert info.value.field == field
    assert "5 decimal places" in str(info.value)


def test_aries_five_decimals_and_trailing_zeros_pass() -> None:
    """145.12345 has 5 decimals (ok); 145.000000 is canonical 145 (ok)."""
    venue = bound()
    venue.check_order(stop_order(stop_price=Decimal("145.12345")))
    body = venue.build_place_request(stop_order(stop_price=Decimal("145.000000")), CTX).json()
    assert body["stopPrice"] == "145"


def test_aries_fractional_quantity_needs_config() -> None:
    """Fractional shares are refused unless fractional_shares is configured."""
    order = stop_order(quantity=Decimal("1.5"))
    with pytest.raises(InvalidOrder) as info:
        bound().check_order(order)
    assert info.value.field == "quantity"
    assert bound(fractional_shares="true").build_place_request(order, CTX).json()["qty"] == "1.5"


def test_aries_client_order_id_is_never_sent() -> None:
    """Our client order id stays local: no clientId (the OAuth application's field), whatever its length."""
    body = bound().build_place_request(stop_order(client_order_id="x" * 60), CTX).json()
    assert "clientId" not in body
    assert "x" * 60 not in str(body)


def test_aries_capabilities_declared() -> None:
    """Capabilities: DAY/GTC/IOC/FOK, default trigger, all position effects, no stored client order id."""
    caps = VENUE.capabilities
    assert caps.time_in_force == frozenset({TimeInForce.DAY, TimeInForce.GTC, TimeInForce.IOC, TimeInForce.FOK})
    assert caps.trigger_types == frozenset({TriggerType.DEFAULT})
    assert caps.position_effects == frozenset({None, PositionEffect.OPEN, PositionEffect.CLOSE})
    assert not caps.whole_position_quantity
    assert not caps.client_order_id
    assert caps.get_order
    assert caps.list_open_orders
    assert caps.cancel


def test_aries_cancel_request_matches_sdk_example() -> None:
    """The cancel-order page's field examples, assembled, are reproduced byte for byte."""
    request = translate.build_cancel_request(
        CTX,
        base_url="https://api.aries.com",
        account_id="TEST-ACCOUNT-001",
        orig_cl_ord_id="ORDER-123456",
        symbol="AAPL",
        side="BUY",
        security_type="CS",
    )
    assert request.url == "https://api.aries.com/v1/orders/cancel"
    assert request.body == (
        b'{"origClOrdId":"ORDER-123456","tradingAccountId":"TEST-ACCOUNT-001","symbol":"AAPL","side":"BUY",'
        b'"securityType":"CS"}'
    )


def test_aries_list_requests() -> None:
    """Active list and history URLs: limit 500, cursor, history from (and to) in RFC 3339 UTC."""
    active = translate.build_active_orders_request(CTX, base_url="https://api.aries.com", account_id="A/1", cursor=0)
    assert active.method == "GET"
    assert active.url == "https://api.aries.com/v2/accounts/A%2F1/orders?limit=500&cursor=0"
    assert active.headers == {"Authorization": "Bearer tok-abc"}
    history = translate.build_history_request(
        CTX, base_url="https://api.aries.com", account_id=ACCOUNT, cursor=500, from_ms=CTX.now_ms - 86_400_000
    )
    assert history.url == (
        "https://api.aries.com/v2/accounts/ACC123456/orders/history"
        "?from=2026-01-14T14%3A30%3A00Z&order_by=desc&limit=500&cursor=500"
    )
    window = translate.build_history_request(
        CTX, base_url="https://api.aries.com", account_id=ACCOUNT, cursor=0, from_ms=0, to_ms=1000
    )
    assert "from=1970-01-01T00%3A00%3A00Z&to=1970-01-01T00%3A00%3A01Z&order_by=desc" in window.url


def test_aries_request_without_token_is_a_configuration_error() -> None:
    """An authenticated build with no token fails loudly instead of sending no header."""
    with pytest.raises(ConfigurationError):
        bound().build_place_request(stop_order(), RequestContext(now_ms=0))
