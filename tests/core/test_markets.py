"""Markets and precision: the Market model, the protective rounding rule, and the check place runs."""

from __future__ import annotations

import re
from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st

from stopkit import (
    InvalidArgument,
    InvalidOrder,
    Market,
    Markets,
    Side,
    StopLimitOrder,
    StopOrder,
    round_price,
    round_quantity,
)
from stopkit.markets import check_order_fits

BTC = Market(
    venue="demo",
    symbol="BTC/USDC:USDC",
    venue_symbol="BTC",
    tick_size=Decimal("0.5"),
    lot_size=Decimal("0.001"),
    min_quantity=Decimal("0.002"),
    max_quantity=Decimal(50),
    min_notional=Decimal(10),
    min_price=Decimal(100),
    max_price=Decimal(60000),
    source="https://demo.invalid/markets",
)
BARE = Market(venue="demo", symbol="AAPL", venue_symbol="AAPL")


@pytest.mark.parametrize(
    ("side", "field", "expected"),
    [
        (Side.SELL, "stop_price", "48000"),  # a sell stop sits below the market: down = never triggers early
        (Side.BUY, "stop_price", "48000.5"),  # a buy stop sits above the market: up = never triggers early
        (Side.SELL, "limit_price", "48000"),  # a sell limit: down = more marketable, fills no less often
        (Side.BUY, "limit_price", "48000.5"),  # a buy limit: up = more marketable
    ],
)
def test_protective_rounding_per_side_and_price(side: Side, field: str, expected: str) -> None:
    """A SELL order's stop and limit prices round down, a BUY order's up (away from the market)."""
    assert round_price(BTC, Decimal("48000.2"), side=side, field=field) == Decimal(expected)  # type: ignore[arg-type]


def test_rounding_overrides_and_strings() -> None:
    """rounding=up/down/nearest override the rule; sides and values may be strings; on-grid values stay."""
    assert round_price(BTC, "48000.2", side="sell", rounding="down") == Decimal(48000)
    assert round_price(BTC, "48000.3", side="buy", rounding="up") == Decimal("48000.5")
    assert round_price(BTC, "48000.3", side="buy", rounding="nearest") == Decimal("48000.5")
    assert round_price(BTC, "48000.5", side="sell") == Decimal("48000.5")
    with pytest.raises(InvalidArgument, match="rounding"):
        round_price(BTC, "1", side="sell", rounding="sideways")  # type: ignore[arg-type]
    with pytest.raises(InvalidArgument, match="field"):
        round_price(BTC, "1", side="sell", field="price")  # type: ignore[arg-type]
    with pytest.raises(InvalidArgument, match="side"):
        round_price(BTC, "1", side="long")
    with pytest.raises(InvalidArgument, match="float"):
        round_price(BTC, 48000.2, side="sell")
    with pytest.raises(InvalidArgument, match="rounds to 0"):
        round_price(BTC, "0.2", side="sell")


def test_a_market_without_a_grid_leaves_values_alone() -> None:
    """No published tick or lot: values come back as given."""
    assert round_price(BARE, "145.123", side="sell") == Decimal("145.123")
    assert round_quantity(BARE, "3.7") == Decimal("3.7")


def test_quantity_rounds_down_and_names_the_bounds() -> None:
    """Quantities round down to the lot; below the minimum (or min_notional at a price) or above the maximum raise
    InvalidOrder naming the smallest or largest valid quantity."""
    assert round_quantity(BTC, "0.0105") == Decimal("0.010")
    assert round_quantity(BTC, "0.0105", rounding="up") == Decimal("0.011")
    with pytest.raises(InvalidOrder, match=re.escape("smallest valid quantity: 0.002")) as info:
        round_quantity(BTC, "0.0019")
    assert info.value.field == "quantity"
    with pytest.raises(InvalidOrder, match=re.escape("smallest valid quantity: 0.002")):
        round_quantity(BTC, "0.0005")
    with pytest.raises(InvalidOrder, match=re.escape("smallest valid quantity: 0.003")):
        round_quantity(BTC, "0.002", price=Decimal(4000))  # 0.002 * 4000 = 8 < 10
    with pytest.raises(InvalidOrder, match=re.escape("largest valid quantity: 50")):
        round_quantity(BTC, "50.5")


@given(
    value=st.decimals(min_value=Decimal("0.01"), max_value=Decimal(100000), places=4),
    tick=st.sampled_from([Decimal("0.01"), Decimal("0.5"), Decimal(1), Decimal("0.00001"), Decimal(25)]),
    side=st.sampled_from(list(Side)),
)
def test_protective_stop_rounding_property(value: Decimal, tick: Decimal, side: Side) -> None:
    """For any price and tick: the result is on the grid, less than one tick away, and away from the market
    (a sell order's prices never higher, a buy order's never lower than asked)."""
    market = Market(venue="demo", symbol="X", venue_symbol="X", tick_size=tick)
    for field in ("stop_price", "limit_price"):
        try:
            result = round_price(market, value, side=side, field=field)  # type: ignore[arg-type]
        except InvalidArgument:
            assert value < tick  # only a price below one tick can round to zero
            continue
        assert result % tick == 0
        assert abs(result - value) < tick
        assert result <= value if side is Side.SELL else result >= value


@pytest.mark.parametrize(
    ("order", "field", "text"),
    [
        (StopOrder(symbol="BTC", side="sell", quantity="0.01", stop_price="48000.25"), "stop_price",
         "nearest valid: 48000 or 48000.5"),
        (StopLimitOrder(symbol="BTC", side="sell", quantity="0.01", stop_price=48000, limit_price="47950.2"),
         "limit_price", "nearest valid: 47950 or 47950.5"),
        (StopOrder(symbol="BTC", side="sell", quantity=1, stop_price=50), "stop_price", "lowest valid: 100"),
        (StopOrder(symbol="BTC", side="buy", quantity="0.01", stop_price=60500), "stop_price", "highest valid: 60000"),
        (StopOrder(symbol="BTC", side="sell", quantity="0.0105", stop_price=48000), "quantity",
         "nearest valid: 0.01 or 0.011"),
        (StopOrder(symbol="BTC", side="sell", quantity="0.001", stop_price=48000), "quantity",
         "smallest valid quantity: 0.002"),
        (StopOrder(symbol="BTC", side="sell", quantity=51, stop_price=48000), "quantity", "largest valid quantity: 50"),
        (StopOrder(symbol="BTC", side="sell", quantity="0.002", stop_price=4000), "quantity",
         "smallest valid quantity: 0.003"),
    ],
)  # fmt: skip
def test_check_names_the_field_and_the_nearest_valid_values(order: StopOrder, field: str, text: str) -> None:
    """Each rule refuses with InvalidOrder naming the field, the nearest valid values and the rules' source."""
    with pytest.raises(InvalidOrder) as info:
        check_order_fits(order, BTC)
    assert info.value.field == field
    assert info.value.venue == "demo"
    assert text in str(info.value)
    assert BTC.source in str(info.value)


def test_check_skips_what_is_not_published_and_whole_positions() -> None:
    """Unpublished rules are not checked; a whole-position order skips the quantity rules; a fitting order passes."""
    check_order_fits(StopOrder(symbol="AAPL", side="sell", quantity="0.123456", stop_price="1.234567"), BARE)
    whole = StopOrder(symbol="BTC", side="sell", quantity=None, stop_price=48000, position_effect="close")
    BTC.check(whole)
    BTC.check(StopOrder(symbol="BTC", side="sell", quantity="0.01", stop_price="48000.5"))


def test_markets_find_a_market_by_either_symbol() -> None:
    """Markets is keyed by the venue's symbol; the unified one finds the same market; reason says what is missing."""
    markets = Markets("demo", [BTC], reason="ETH is not listed")
    assert list(markets) == ["BTC"]
    assert len(markets) == 1
    assert markets["BTC/USDC:USDC"] is markets["BTC"] is BTC
    assert "BTC/USDC:USDC" in markets
    assert "ETH" not in markets
    assert markets.get("ETH") is None
    assert markets.reason == "ETH is not listed"
    assert "reason='ETH is not listed'" in repr(markets)
    empty = Markets("aries", reason="publishes none")
    assert len(empty) == 0
    assert empty.reason == "publishes none"


def test_market_values_are_checked() -> None:
    """A non-positive tick or lot, a negative bound or a float is refused naming the field."""
    with pytest.raises(InvalidArgument, match="tick_size"):
        Market(venue="v", symbol="X", venue_symbol="X", tick_size=0)
    with pytest.raises(InvalidArgument, match="lot_size"):
        Market(venue="v", symbol="X", venue_symbol="X", lot_size="-1")
    with pytest.raises(InvalidArgument, match="min_notional"):
        Market(venue="v", symbol="X", venue_symbol="X", min_notional=-5)
    with pytest.raises(InvalidArgument, match="float"):
        Market(venue="v", symbol="X", venue_symbol="X", tick_size=0.1)
    assert BTC.as_dict()["tick_size"] == "0.5"
    assert BARE.as_dict()["lot_size"] is None
