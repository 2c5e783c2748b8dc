"""stopkit.validate at its edges, against literal expected values (mutation kills)."""

from __future__ import annotations

from decimal import Decimal

import pytest

from stopkit.errors import InvalidArgument, InvalidOrder
from stopkit.validate import check_decimal, check_id, check_symbol, parse_decimal_text


@pytest.mark.parametrize("symbol", ["A", "!", "~", "a" * 64, "BTC/USDC:USDC", "spot.btc_usdt"])
def test_symbols_accepted(symbol: str) -> None:
    """1-64 printable ASCII characters (0x21-0x7e) are a symbol, returned as given."""
    assert check_symbol(symbol) == symbol


@pytest.mark.parametrize("symbol", ["", "a" * 65, "A B", "\x7f", "\x20", "\u0131bm", "BTC\n", 7, None, b"BTC"])
def test_symbols_refused_naming_the_field(symbol: object) -> None:
    """Anything else raises the given error class naming the given field."""
    with pytest.raises(InvalidArgument) as info:
        check_symbol(symbol)
    assert (type(info.value), info.value.field) == (InvalidArgument, "symbol")
    with pytest.raises(InvalidOrder) as order_info:
        check_symbol(symbol, field="market", error=InvalidOrder)
    assert order_info.value.field == "market"
    assert "market must be" in str(order_info.value)


@pytest.mark.parametrize(
    ("value", "kwargs", "expected"),
    [
        ("a", {}, "a"),
        ("a" * 128, {}, "a" * 128),
        ("a" * 64, {"max_length": 64}, "a" * 64),
        (".a.", {}, ".a."),
        ("~!", {}, "~!"),
        (0, {"allow_int": True}, "0"),
        (12345, {"allow_int": True}, "12345"),
    ],
)
def test_ids_accepted(value: object, kwargs: dict[str, object], expected: str) -> None:
    """Printable ASCII up to max_length (128 by default), not dots only; non-negative ints when allowed."""
    assert check_id(value, field="id", **kwargs) == expected  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("value", "kwargs"),
    [
        ("", {}), ("a" * 129, {}), ("a" * 65, {"max_length": 64}), ("a b", {}), (".", {}), ("..", {}), ("...", {}),
        ("a/b", {}), ("a\\b", {}), ("a?b", {}), ("a#b", {}), ("a%b", {}), (5, {}), (-1, {"allow_int": True}),
        (True, {"allow_int": True}), (None, {"allow_int": True}), ("\u00e9", {}),
    ],
)  # fmt: skip
def test_ids_refused_naming_the_field(value: object, kwargs: dict[str, object]) -> None:
    """Empty, too long, spaces, non-ASCII, URL path/query/fragment characters, dots only, wrong types: refused."""
    with pytest.raises(InvalidArgument) as info:
        check_id(value, field="venue_order_id", **kwargs)  # type: ignore[arg-type]
    assert (type(info.value), info.value.field) == (InvalidArgument, "venue_order_id")
    with pytest.raises(InvalidOrder):
        check_id(value, field="client_order_id", error=InvalidOrder, **kwargs)  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("1", Decimal(1)), (" 1.5 ", Decimal("1.5")), ("+2", Decimal(2)), ("-3", Decimal(-3)), ("4.", Decimal(4)),
        (".5", Decimal("0.5")), ("1e3", Decimal(1000)), ("1E-3", Decimal("0.001")), ("2e+2", Decimal(200)),
        ("1e1234567890", Decimal("1e1234567890")), ("9" * 64, Decimal("9" * 64)),
    ],
)  # fmt: skip
def test_decimal_text_accepted(text: str, expected: Decimal) -> None:
    """ASCII decimal text with sign, fraction and an exponent of up to 10 digits; at most 64 characters."""
    assert parse_decimal_text(text, field="price") == expected


@pytest.mark.parametrize(
    "text",
    ["", " ", "1_0", "\u0661\u0660", "\uff11\uff10", "NaN", "inf", "0x10", "1,5", "1e", "e3", ".", "+", "1e12345678901",
     "9" * 65, "1.2.3", "--1", "1 2"],
)  # fmt: skip
def test_decimal_text_refused_naming_the_field(text: str) -> None:
    """Anything else raises the given error (InvalidOrder by default) naming the field."""
    with pytest.raises(InvalidOrder) as info:
        parse_decimal_text(text, field="stop_price")
    assert info.value.field == "stop_price"
    assert "stop_price is not a decimal number" in str(info.value)
    with pytest.raises(InvalidArgument) as arg:
        parse_decimal_text(text, field="qty", error=InvalidArgument)
    assert type(arg.value) is InvalidArgument


@pytest.mark.parametrize(
    "value",
    [Decimal(0), Decimal("-0"), Decimal("1e24"), Decimal("9.99e24"), Decimal("1e-24"), Decimal("-1e24"),
     Decimal("1." + "1" * 29), Decimal("0." + "1" * 30), Decimal("1." + "0" * 40),
     Decimal("1" * 30 + "0" * 10) / 10**20],
)  # fmt: skip
def test_decimals_accepted(value: Decimal) -> None:
    """Finite, magnitude 1e-24..1e24 (either sign), at most 30 significant digits (trailing zeros do not count)."""
    assert check_decimal(value, field="quantity") is value


@pytest.mark.parametrize(
    ("value", "why"),
    [
        (Decimal("NaN"), "must be finite"), (Decimal("Infinity"), "must be finite"), (Decimal("-Infinity"), "finite"),
        (Decimal("1e25"), "out of range"), (Decimal("1e-25"), "out of range"), (Decimal("-1e25"), "out of range"),
        (Decimal("1." + "1" * 30), "31 significant digits"), (Decimal("0." + "1" * 31), "31 significant digits"),
    ],
)  # fmt: skip
def test_decimals_refused_naming_the_field(value: Decimal, why: str) -> None:
    """NaN, infinities, magnitudes beyond 1e±24 and more than 30 significant digits are refused."""
    with pytest.raises(InvalidOrder, match=why) as info:
        check_decimal(value, field="quantity")
    assert info.value.field == "quantity"
    with pytest.raises(InvalidArgument) as arg:
        check_decimal(value, field="q", error=InvalidArgument)
    assert type(arg.value) is InvalidArgument


@pytest.mark.parametrize(
    ("text", "significant"),
    [("1." + "2" * 30 + "0", 31), ("1." + "2" * 30 + "000", 31), ("1." + "2" * 29 + "00", None)],
)
def test_only_trailing_zeros_are_left_out_of_the_significant_digits(text: str, significant: int | None) -> None:
    """Trailing zeros are dropped one by one, and only they: 31 digits before them are still 31 (refused); 30
    digits followed by zeros pass."""
    value = Decimal(text)
    if significant is None:
        assert check_decimal(value, field="quantity") is value
    else:
        with pytest.raises(InvalidOrder, match=rf"^quantity has {significant} significant digits; at most 30"):
            check_decimal(value, field="quantity")
