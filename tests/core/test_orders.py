"""The neutral order model validates on construction and names the bad field."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta, tzinfo
from decimal import Decimal

import attrs
import pytest
from hypothesis import given
from hypothesis import strategies as st

from stopkit import (
    InvalidOrder,
    OrderKind,
    PositionEffect,
    Side,
    StopLimitOrder,
    StopOrder,
    TimeInForce,
    TriggerType,
)

BASE = {"symbol": "BTC", "side": Side.SELL, "quantity": Decimal("0.1"), "stop_price": Decimal("48000")}


def test_stop_limit_fields_and_defaults() -> None:
    """A valid stop-limit keeps exact Decimals and gets the documented defaults."""
    order = StopLimitOrder(**BASE, limit_price=Decimal("47950"))
    assert order.kind is OrderKind.STOP_LIMIT
    assert order.limit_price == Decimal("47950")
    assert order.trigger_type is TriggerType.DEFAULT
    assert order.time_in_force is TimeInForce.GTC
    assert order.position_effect is None
    assert uuid.UUID(order.client_order_id).version == 4


def test_stop_market_kind_and_no_limit() -> None:
    """A stop-market has no limit price attribute at all."""
    order = StopOrder(**BASE)
    assert order.kind is OrderKind.STOP_MARKET
    assert not hasattr(order, "limit_price")


def test_frozen_and_keyword_only() -> None:
    """Orders are immutable and take keywords only."""
    order = StopOrder(**BASE)
    with pytest.raises(attrs.exceptions.FrozenInstanceError):
        order.stop_price = Decimal(1)  # type: ignore[misc]
    with pytest.raises(TypeError):
        StopOrder("BTC", Side.SELL, Decimal(1), Decimal(1))  # type: ignore[misc]


def test_client_order_ids_are_unique() -> None:
    """Generated client order ids differ per order."""
    assert len({StopOrder(**BASE).client_order_id for _ in range(50)}) == 50


def test_strings_and_ints_convert_exactly() -> None:
    """Decimal strings and ints are accepted and converted exactly; enum names in any case too."""
    order = StopLimitOrder(
        symbol="BTC", side="SELL", quantity="0.10", stop_price=48000, limit_price=" 47950.5 ", position_effect="close"
    )
    assert order.quantity == Decimal("0.10")
    assert order.stop_price == Decimal(48000)
    assert order.limit_price == Decimal("47950.5")
    assert order.side is Side.SELL
    assert order.position_effect is PositionEffect.CLOSE


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("quantity", 0.1),
        ("stop_price", 48000.0),
        ("stop_price", Decimal("NaN")),
        ("stop_price", Decimal("Infinity")),
        ("stop_price", Decimal("-Infinity")),
        ("stop_price", "nan"),
        ("stop_price", Decimal(0)),
        ("stop_price", Decimal("-1")),
        ("quantity", Decimal(0)),
        ("quantity", Decimal("-0.1")),
        ("quantity", True),
        ("stop_price", "abc"),
        ("stop_price", None),
        ("stop_price", [1]),
        ("symbol", ""),
        ("symbol", " BTC"),
        ("symbol", 5),
        ("side", "long"),
        ("client_order_id", ""),
        ("client_order_id", "x" * 65),
        ("trigger_type", "bogus"),
        ("time_in_force", "gtx"),
        ("position_effect", "flip"),
    ],
)
def test_bad_values_raise_invalid_order_naming_the_field(field: str, value: object) -> None:
    """Each malformed value raises InvalidOrder whose field is the offending one."""
    with pytest.raises(InvalidOrder) as info:
        StopOrder(**{**BASE, field: value})
    assert info.value.field == field
    assert field in str(info.value)


@pytest.mark.parametrize("value", [None, 47950.0, Decimal("NaN"), Decimal(0), Decimal(-5)])
def test_bad_limit_price(value: object) -> None:
    """A stop-limit without a valid positive limit price raises InvalidOrder(field=limit_price)."""
    with pytest.raises(InvalidOrder) as info:
        StopLimitOrder(**BASE, limit_price=value)
    assert info.value.field == "limit_price"


def test_missing_limit_price_is_invalid_order_not_type_error() -> None:
    """Omitting limit_price on a stop-limit is an InvalidOrder, not a TypeError."""
    with pytest.raises(InvalidOrder, match="limit_price"):
        StopLimitOrder(**BASE)


def test_gtd_needs_expire_at_and_expire_at_needs_gtd() -> None:
    """GTD without expire_at, and expire_at without GTD, are both InvalidOrder(field=expire_at)."""
    with pytest.raises(InvalidOrder) as info:
        StopOrder(**BASE, time_in_force=TimeInForce.GTD)
    assert info.value.field == "expire_at"
    when = datetime(2026, 12, 1, tzinfo=UTC)
    with pytest.raises(InvalidOrder) as info:
        StopOrder(**BASE, expire_at=when)
    assert info.value.field == "expire_at"
    assert StopOrder(**BASE, time_in_force=TimeInForce.GTD, expire_at=when).expire_at == when


def test_naive_expire_at_is_refused() -> None:
    """A naive datetime is ambiguous and refused."""
    with pytest.raises(InvalidOrder, match="timezone"):
        StopOrder(**BASE, time_in_force=TimeInForce.GTD, expire_at=datetime(2026, 12, 1))


class _NoOffset(tzinfo):
    # A tzinfo that does not know its offset: Python counts such a datetime as naive.
    def utcoffset(self, dt: datetime | None) -> timedelta | None:
        return None


def test_expire_at_with_a_tzinfo_that_has_no_offset_is_refused() -> None:
    """A datetime whose tzinfo gives no UTC offset is naive too (the instant is unknown): InvalidOrder on expire_at."""
    with pytest.raises(InvalidOrder, match="expire_at must be timezone-aware") as info:
        StopOrder(**BASE, time_in_force=TimeInForce.GTD, expire_at=datetime(2026, 12, 1, tzinfo=_NoOffset()))
    assert info.value.field == "expire_at"


def test_whole_position_quantity_is_representable() -> None:
    """quantity=None is allowed by the model; venues decide whether they can express it."""
    assert StopOrder(**{**BASE, "quantity": None}, position_effect=PositionEffect.CLOSE).quantity is None


@given(
    st.decimals(min_value=Decimal("1e-8"), max_value=Decimal("1e12"), allow_nan=False, allow_infinity=False, places=8)
)
def test_any_positive_finite_decimal_is_kept_exactly(value: Decimal) -> None:
    """Every positive finite Decimal is accepted unchanged."""
    assert StopOrder(**{**BASE, "stop_price": value}).stop_price == value


@given(st.floats(allow_nan=True, allow_infinity=True))
def test_every_float_is_refused(value: float) -> None:
    """No float is ever accepted as a price."""
    with pytest.raises(InvalidOrder):
        StopOrder(**{**BASE, "stop_price": value})
