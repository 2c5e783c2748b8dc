"""Alpaca adapter: registration, credentials and config, capabilities, checks before any I/O."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import pytest
import stopkit
from alpaca_testdata import CREDENTIALS, SECRET_KEY, bound, stop_limit_order, stop_order
from stopkit.plugin import (
    Amendment,
    ConfigurationError,
    Credentials,
    InvalidOrder,
    OrderKind,
    OrderState,
    OrderStatus,
    RequestContext,
    Side,
    UnsupportedOrder,
)

from stopkit_alpaca import VENUE, AlpacaAdapter

CTX = RequestContext(now_ms=1_768_487_400_000)


def test_alpaca_is_registered_through_the_entry_point() -> None:
    """stopkit finds the plugin by name through the stopkit.venues entry points."""
    assert "alpaca" in stopkit.available_venues()
    assert stopkit.get_venue("alpaca") is VENUE
    assert isinstance(VENUE, AlpacaAdapter)


def test_alpaca_env_vars() -> None:
    """Both keys are read from the environment; the secret one is marked secret."""
    creds = VENUE.credentials_from_env({**CREDENTIALS, "OTHER": "x"})
    assert dict(creds.values) == CREDENTIALS
    assert SECRET_KEY not in repr(creds)
    secret = {v.name: v.secret for v in VENUE.env_vars}
    assert secret == {"APCA_API_KEY_ID": False, "APCA_API_SECRET_KEY": True}


@pytest.mark.parametrize(
    ("values", "message"),
    [
        ({"APCA_API_SECRET_KEY": SECRET_KEY}, "APCA_API_KEY_ID is not set"),
        ({"APCA_API_KEY_ID": "PK1"}, "APCA_API_SECRET_KEY is not set"),
        ({"APCA_API_KEY_ID": "PK1", "APCA_API_SECRET_KEY": "has space"}, "APCA_API_SECRET_KEY contains spaces"),
    ],
)
def test_alpaca_bad_credentials(values: dict[str, str], message: str) -> None:
    """Missing or malformed keys → ConfigurationError naming the variable, never echoing a value."""
    with pytest.raises(ConfigurationError, match=message) as info:
        VENUE.bind(Credentials("alpaca", values))
    assert "has space" not in str(info.value)


@pytest.mark.parametrize(
    ("config", "message"),
    [
        ({"nope": 1}, "unknown config key 'nope'"),
        ({"paper": "maybe"}, "bad config"),
        ({"base_url": "ftp://x"}, "bad config"),
        ({"base_url": "https://x?y=1"}, "bad config"),
    ],
)
def test_alpaca_bad_config(config: dict[str, Any], message: str) -> None:
    """Unknown keys and bad values → ConfigurationError."""
    with pytest.raises(ConfigurationError, match=message):
        bound(**config)


@pytest.mark.parametrize(
    ("overrides", "feature"),
    [
        ({"trigger_type": "mark"}, "trigger_type=MARK_PRICE"),
        ({"trigger_type": "last"}, "trigger_type=LAST_PRICE"),
        ({"time_in_force": "ioc"}, "time_in_force=IOC"),
        ({"time_in_force": "fok"}, "time_in_force=FOK"),
        ({"position_effect": "close"}, "position_effect=CLOSE"),
        ({"position_effect": "open"}, "position_effect=OPEN"),
        ({"quantity": None, "position_effect": "close"}, "position_effect=CLOSE"),
    ],
)
def test_alpaca_unsupported_features(overrides: dict[str, Any], feature: str) -> None:
    """Every unsupported option raises UnsupportedOrder naming it (never a silent downgrade)."""
    for order in (stop_order(**overrides), stop_limit_order(**overrides)):
        with pytest.raises(UnsupportedOrder) as info:
            bound().build_place_request(order, CTX)
        assert info.value.feature == feature


def test_alpaca_gtd_and_whole_position_are_unsupported() -> None:
    """GTD (no such TIF) and quantity=None (no whole-position stop) are refused with reasons."""
    from datetime import UTC, datetime

    order = stop_order(time_in_force="gtd", expire_at=datetime(2026, 2, 1, tzinfo=UTC))
    with pytest.raises(UnsupportedOrder, match="no good-till-date"):
        bound().check_order(order)
    caps = VENUE.capabilities
    assert not caps.whole_position_quantity
    assert "quantity=None" in caps.reasons


@pytest.mark.parametrize(
    ("order", "field"),
    [
        (stop_order(stop_price=Decimal("145.001")), "stop_price"),
        (stop_order(stop_price=Decimal("0.12345")), "stop_price"),
        (stop_limit_order(limit_price=Decimal("144.555")), "limit_price"),
        (stop_order(quantity=Decimal("1.5")), "quantity"),
        (stop_order(symbol="BTC/USD"), "symbol"),
        (stop_order(symbol="AA_PL"), "symbol"),
    ],
)
def test_alpaca_invalid_orders(order: Any, field: str) -> None:
    """Sub-penny prices, fractional shares (by default), crypto pairs and bad tickers → InvalidOrder."""
    with pytest.raises(InvalidOrder) as info:
        bound().check_order(order)
    assert info.value.field == field


def test_alpaca_sub_penny_rule_allows_four_decimals_below_one_dollar() -> None:
    """Below $1.00 four decimals are allowed; at or above, two."""
    bound().check_order(stop_order(stop_price=Decimal("0.1234")))
    bound().check_order(stop_order(stop_price=Decimal("145.10")))


def test_alpaca_fractional_shares_need_config_and_day() -> None:
    """fractional_shares=true allows a fractional DAY stop; GTC stays refused."""
    venue = bound(fractional_shares="true")
    assert venue.build_place_request(stop_order(quantity=Decimal("0.5")), CTX).json()["qty"] == "0.5"
    with pytest.raises(InvalidOrder, match="DAY"):
        venue.check_order(stop_order(quantity=Decimal("0.5"), time_in_force="gtc"))


def _state(kind: OrderKind = OrderKind.STOP_MARKET, venue_order_id: str | None = "oid-1") -> OrderState:
    return OrderState(
        venue="alpaca",
        venue_order_id=venue_order_id,
        client_order_id="c",
        symbol="AAPL",
        side=Side.SELL,
        kind=kind,
        status=OrderStatus.ACCEPTED,
        venue_status="new",
        quantity=Decimal(10),
        raw={"time_in_force": "day"},
    )


def test_alpaca_modify_checks_before_io() -> None:
    """A limit price on a stop, the sub-penny rule and a missing id are refused before building."""
    venue = bound()
    with pytest.raises(InvalidOrder, match="no limit price"):
        next(venue.modify_flow(_state(), Amendment(limit_price=Decimal(140))))
    with pytest.raises(InvalidOrder, match="sub-penny"):
        next(venue.modify_flow(_state(), Amendment(stop_price=Decimal("144.999"))))
    with pytest.raises(InvalidOrder, match="venue_order_id"):
        next(venue.modify_flow(_state(venue_order_id=None), Amendment(stop_price=Decimal(144))))
    exchange = next(venue.modify_flow(_state(OrderKind.STOP_LIMIT), Amendment(limit_price=Decimal("144.4"))))
    request = exchange.build(CTX)
    assert (request.method, request.url, request.body) == (
        "PATCH",
        "https://paper-api.alpaca.markets/v2/orders/oid-1",
        b'{"limit_price":"144.4"}',
    )
    assert exchange.writes


def test_alpaca_capabilities() -> None:
    """Declared: both kinds, DAY/GTC, DEFAULT trigger, venue-default position effect, all operations."""
    caps = VENUE.capabilities.as_dict()
    assert caps["order_kinds"] == ["stop-limit", "stop-market"]
    assert caps["time_in_force"] == ["DAY", "GTC"]
    assert caps["position_effects"] == ["DEFAULT"]
    assert caps["reports_trigger"] is False
    assert all(caps[op] for op in ("get_order", "list_open_orders", "cancel", "modify", "client_order_id"))
    assert VENUE.rate_limit is not None
    assert VENUE.rate_limit.capacity == 200
