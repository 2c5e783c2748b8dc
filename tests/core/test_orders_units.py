"""The order model's conversions and checks, against literal expected values (mutation kills)."""

from __future__ import annotations

import enum
from datetime import UTC, datetime
from decimal import Decimal

import pytest

from stopkit import orders
from stopkit.errors import InvalidOrder
from stopkit.orders import (
    OrderKind,
    PositionEffect,
    Side,
    StopLimitOrder,
    StopOrder,
    TimeInForce,
    TriggerType,
    to_decimal,
)

BASE = {"symbol": "X", "side": "sell", "quantity": 1, "stop_price": 10}


@pytest.mark.parametrize(
    ("value", "expected"),
    [(Decimal("1.50"), Decimal("1.50")), (7, Decimal(7)), (10**25 - 1, Decimal(10**25 - 1)), (-3, Decimal(-3)),
     ("2.5", Decimal("2.5")), (0, Decimal(0))],
)  # fmt: skip
def test_to_decimal_accepts(value: object, expected: Decimal) -> None:
    """Decimal, int (|n| < 10**25) and ASCII decimal text convert exactly."""
    result = to_decimal(value, field="f")
    assert result == expected
    assert isinstance(result, Decimal)


@pytest.mark.parametrize(
    ("value", "message"),
    [
        (True, "f must be a Decimal, got bool"),
        (10**25, "f is out of range: no venue takes it"),
        (-(10**25), "f is out of range: no venue takes it"),
        (1.5, "f must be a Decimal (or int/str), not float: floats cannot hold prices exactly"),
        ([1], "f must be a Decimal, got list"),
        (None, "f must be a Decimal, got NoneType"),
    ],
)
def test_to_decimal_refuses_with_a_message_naming_the_field(value: object, message: str) -> None:
    """Bool, huge ints, floats and other types are refused naming the field."""
    with pytest.raises(InvalidOrder) as info:
        to_decimal(value, field="f")
    assert info.value.field == "f"
    assert info.value.message == message


@pytest.mark.parametrize("field", ["quantity", "stop_price"])
@pytest.mark.parametrize("value", [0, -1, Decimal("-0.5"), "0"])
def test_amounts_must_be_positive(field: str, value: object) -> None:
    """Zero and negative amounts are refused: '<field> must be positive, got <value>'."""
    with pytest.raises(InvalidOrder) as info:
        StopOrder(**{**BASE, field: value})
    assert info.value.field == field
    assert info.value.message == f"{field} must be positive, got {to_decimal(value, field=field)}"


def test_limit_price_is_required_and_positive() -> None:
    """A stop-limit without limit_price, or with 0, names limit_price."""
    with pytest.raises(InvalidOrder) as info:
        StopLimitOrder(**BASE)
    assert (info.value.field, info.value.message) == ("limit_price", "a stop-limit order requires limit_price")
    with pytest.raises(InvalidOrder) as zero:
        StopLimitOrder(**BASE, limit_price=0)
    assert zero.value.field == "limit_price"
    assert StopLimitOrder(**BASE, limit_price="9.5").limit_price == Decimal("9.5")


@pytest.mark.parametrize(
    ("enum_field", "text", "member"),
    [
        ("side", "BUY", Side.BUY), ("side", "sell", Side.SELL), ("trigger_type", "MARK_PRICE", TriggerType.MARK_PRICE),
        ("trigger_type", "mark", TriggerType.MARK_PRICE), ("trigger_type", "Index", TriggerType.INDEX_PRICE),
        ("time_in_force", "IOC", TimeInForce.IOC), ("position_effect", "Close", PositionEffect.CLOSE),
        ("position_effect", None, None),
    ],
)  # fmt: skip
def test_enum_fields_take_members_values_or_names_in_any_case(enum_field: str, text: object, member: object) -> None:
    """Members, their values and their names (case-insensitive ASCII) convert; None is no position effect."""
    assert getattr(StopOrder(**{**BASE, enum_field: text}), enum_field) is member


@pytest.mark.parametrize(
    ("enum_field", "text", "allowed"),
    [("side", "\u017fell", "BUY, SELL"), ("side", "buy ", "BUY, SELL"), ("side", 1, "BUY, SELL"),
     ("time_in_force", "gtx", "GTC, DAY, IOC, FOK, GTD"), ("position_effect", "both", "OPEN, CLOSE")],
)  # fmt: skip
def test_enum_fields_refuse_anything_else_listing_the_allowed_names(
    enum_field: str, text: object, allowed: str
) -> None:
    """Non-ASCII look-alikes, padded text, other types and unknown words are refused, listing the members."""
    with pytest.raises(InvalidOrder) as info:
        StopOrder(**{**BASE, enum_field: text})
    assert info.value.field == enum_field
    assert info.value.message == f"{enum_field} must be one of {allowed}, got {text!r}"


def test_gtd_and_expire_at_go_together() -> None:
    """GTD needs a timezone-aware expire_at; expire_at needs GTD; each error names expire_at."""
    when = datetime(2026, 12, 31, tzinfo=UTC)
    assert StopOrder(**BASE, time_in_force="gtd", expire_at=when).expire_at == when
    cases = [
        ({"time_in_force": "gtd"}, "time_in_force=GTD requires expire_at"),
        ({"expire_at": when}, "expire_at is only valid with time_in_force=GTD, got GTC"),
        ({"time_in_force": "day", "expire_at": when}, "expire_at is only valid with time_in_force=GTD, got DAY"),
        ({"time_in_force": "gtd", "expire_at": datetime(2026, 12, 31)}, "expire_at must be timezone-aware (e.g. UTC)"),
        ({"time_in_force": "gtd", "expire_at": "2026-12-31"}, "expire_at must be a datetime, got str"),
    ]
    for changes, message in cases:
        with pytest.raises(InvalidOrder) as info:
            StopOrder(**{**BASE, **changes})
        assert (info.value.field, info.value.message) == ("expire_at", message)


def test_defaults_and_kinds() -> None:
    """Defaults: DEFAULT trigger, GTC, no position effect, a fresh UUID4 client order id; kinds per class."""
    a, b = StopOrder(**BASE), StopOrder(**BASE)
    assert (a.trigger_type, a.time_in_force, a.position_effect, a.expire_at) == (
        TriggerType.DEFAULT, TimeInForce.GTC, None, None)  # fmt: skip
    assert a.client_order_id != b.client_order_id
    assert len(a.client_order_id) == 36
    assert a.client_order_id[14] == "4"
    assert a.kind is OrderKind.STOP_MARKET
    assert StopLimitOrder(**BASE, limit_price=9).kind is OrderKind.STOP_LIMIT
    assert StopOrder(**{**BASE, "quantity": None}).quantity is None
    assert OrderKind.STOP_LIMIT.is_stop
    assert OrderKind.STOP_MARKET.is_stop
    assert not OrderKind.LIMIT.is_stop
    assert not OrderKind.MARKET.is_stop


def test_enum_spellings_are_each_members_value_and_lower_cased_name_first_member_first() -> None:
    """An enum's spellings: its text values and lower-cased names; a spelling two members share belongs to the
    one defined first; a value that is not text is no spelling. Read the same way on every later call."""

    class Colour(enum.Enum):
        RED = "r"
        ROUGE = "red"  # RED's lower-cased name, and RED comes first
        GREEN = 2

    assert orders._enum_spellings(Colour) == {
        "r": Colour.RED,
        "red": Colour.RED,
        "rouge": Colour.ROUGE,
        "green": Colour.GREEN,
    }
    for _ in range(2):  # the second round reads the cached table
        assert orders._to_enum(Colour, "R", "colour") is Colour.RED
        assert orders._to_enum(Colour, "red", "colour") is Colour.RED
        assert orders._to_enum(Colour, "ROUGE", "colour") is Colour.ROUGE
        assert orders._to_enum(Colour, "Green", "colour") is Colour.GREEN
        with pytest.raises(InvalidOrder, match=r"^colour must be one of RED, ROUGE, GREEN, got '2'$"):
            orders._to_enum(Colour, "2", "colour")
