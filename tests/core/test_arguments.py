"""Every public method checks its arguments before any I/O and names the bad one."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import pytest
from conftest import FakeAdapter

import stopkit
from stopkit import InvalidArgument, InvalidOrder, StopOrder
from stopkit.testing import MockTransport


def _never(request: Any) -> Any:
    raise AssertionError(f"nothing may be sent: {request!r}")


@pytest.mark.parametrize(
    ("kwargs", "field"),
    [
        ({}, "venue_order_id"),
        ({"venue_order_id": ".."}, "venue_order_id"),
        ({"venue_order_id": "."}, "venue_order_id"),
        ({"venue_order_id": "a/b"}, "venue_order_id"),
        ({"venue_order_id": "a\\b"}, "venue_order_id"),
        ({"venue_order_id": "1?x=1"}, "venue_order_id"),
        ({"venue_order_id": "1#f"}, "venue_order_id"),
        ({"venue_order_id": "%2e%2e"}, "venue_order_id"),
        ({"venue_order_id": "id with space"}, "venue_order_id"),
        ({"venue_order_id": "ıd"}, "venue_order_id"),  # noqa: RUF001  # a non-ASCII look-alike on purpose
        ({"venue_order_id": ""}, "venue_order_id"),
        ({"venue_order_id": "x" * 129}, "venue_order_id"),
        ({"venue_order_id": 1.5}, "venue_order_id"),
        ({"venue_order_id": True}, "venue_order_id"),
        ({"venue_order_id": -1}, "venue_order_id"),
        ({"venue_order_id": ["1"]}, "venue_order_id"),
        ({"client_order_id": "x" * 65}, "client_order_id"),
        ({"client_order_id": 7}, "client_order_id"),
        ({"client_order_id": "tab\there"}, "client_order_id"),
        ({"venue_order_id": "1", "symbol": "ſpy"}, "symbol"),  # noqa: RUF001  # long s folds to S
        ({"venue_order_id": "1", "symbol": 5}, "symbol"),
        ({"venue_order_id": "1", "symbol": "BTC\n"}, "symbol"),
    ],
)
async def test_get_and_cancel_refuse_bad_ids_before_io(
    fake_adapter: FakeAdapter, kwargs: dict[str, Any], field: str
) -> None:
    """get(), cancel() and last_state() raise InvalidArgument naming the field; nothing is sent."""
    transport = MockTransport(_never)
    async with stopkit.connect(fake_adapter, credentials={}, transport=transport) as client:
        for call in (client.get, client.cancel):
            with pytest.raises(InvalidArgument) as info:
                await call(**kwargs)
            assert info.value.field == field
        if "symbol" not in kwargs:
            with pytest.raises(InvalidArgument) as info:
                client.last_state(**kwargs)
            assert info.value.field == field
    assert transport.sent == []


async def test_integer_venue_ids_are_accepted_as_text(fake_adapter: FakeAdapter) -> None:
    """A non-negative int venue order id is read as its decimal text (Pacifica ids are integers)."""
    transport = MockTransport(lambda r: stopkit.HttpResponse(status=200, body=b'{"status": "accepted"}'))
    async with stopkit.connect(fake_adapter, credentials={}, transport=transport) as client:
        state = await client.get(venue_order_id=42)  # type: ignore[arg-type]  # ints on purpose
    assert transport.sent[0].url.endswith("/open/42")
    assert state.venue_order_id == "42"


async def test_open_orders_and_modify_refuse_bad_arguments(fake_adapter: FakeAdapter) -> None:
    """open_orders(symbol=...) and modify(state=...) check their types before any I/O."""
    transport = MockTransport(_never)
    async with stopkit.connect(fake_adapter, credentials={}, transport=transport) as client:
        with pytest.raises(InvalidArgument) as info:
            await client.open_orders(symbol="ΒTC")  # noqa: RUF001  # Greek capital beta on purpose
        assert info.value.field == "symbol"
        with pytest.raises(InvalidArgument) as info:
            await client.modify("not a state", stop_price=1)  # type: ignore[arg-type]
        assert info.value.field == "state"
    assert transport.sent == []


@pytest.mark.parametrize(
    "text",
    ["\u0661\u0660", "\uff11\uff10", "1_0", "10\u0660", "NaN", "sNaN", "Infinity", "1e", "--1", "0x10", "1,5", " ", ""],
)
def test_amount_text_takes_ascii_digits_only(text: str) -> None:
    """Non-ASCII digits, underscores or other spellings are refused (Python reads Arabic-Indic "10" as 10)."""
    with pytest.raises(InvalidOrder) as info:
        StopOrder(symbol="X", side="sell", quantity=text, stop_price=10)
    assert info.value.field == "quantity"


@pytest.mark.parametrize("text", ["10", " 10 ", "+10", "0.5", ".5", "5.", "1e3", "1E-3", "2.50"])
def test_plain_decimal_text_is_accepted(text: str) -> None:
    """Plain decimal text, with an optional sign, fraction and exponent, is read exactly."""
    order = StopOrder(symbol="X", side="sell", quantity=text, stop_price=10)
    assert order.quantity == Decimal(text.strip())


@pytest.mark.parametrize(
    ("value", "why"),
    [
        (Decimal("1e999999999"), "out of range"),
        (Decimal("1e25"), "out of range"),
        (Decimal("1e-25"), "out of range"),
        ("1e999999999", "out of range"),
        (10**25, "out of range"),
        (Decimal("1.234567890123456789012345678901"), "significant digits"),
    ],
)
def test_amounts_are_bounded(value: object, why: str) -> None:
    """A magnitude beyond 1e±24 or more than 30 significant digits is refused before anything is built."""
    with pytest.raises(InvalidOrder, match=why) as info:
        StopOrder(symbol="X", side="sell", quantity=1, stop_price=value)
    assert info.value.field == "stop_price"


def test_bounds_admit_what_venues_take() -> None:
    """The bounds are wide enough for real amounts: 1e24, 1e-24, 30 digits, trailing zeros."""
    for value in ("1e24", "1e-24", "123456789012345.123456789012345", "100000000000000000000000.0000"):
        assert StopOrder(symbol="X", side="sell", quantity=1, stop_price=value).stop_price == Decimal(value)


@pytest.mark.parametrize("symbol", ["ıbm", "ſpy", "ＡＡＰＬ", "BTC USDT", "", "x" * 65, "A\x00"])  # noqa: RUF001
def test_symbols_are_printable_ascii(symbol: str) -> None:
    """Symbols that only look ASCII after case folding, or hold spaces/controls, are refused by name."""
    with pytest.raises(InvalidOrder) as info:
        StopOrder(symbol=symbol, side="sell", quantity=1, stop_price=10)
    assert info.value.field == "symbol"


@pytest.mark.parametrize("coid", ["..", "a/b", "a%2Fb", "new\nline", "x" * 65, "ſ"])  # noqa: RUF001
def test_client_order_ids_are_safe_in_paths_and_tags(coid: str) -> None:
    """A client order id may end up in a URL path or an order tag: separators, controls, dots-only are refused."""
    with pytest.raises(InvalidOrder) as info:
        StopOrder(symbol="X", side="sell", quantity=1, stop_price=10, client_order_id=coid)
    assert info.value.field == "client_order_id"


def test_enum_text_is_not_case_folded_from_non_ascii() -> None:
    """Side "ſell" (long s) is not read as SELL."""  # noqa: RUF002
    with pytest.raises(InvalidOrder) as info:
        StopOrder(symbol="X", side="ſell", quantity=1, stop_price=10)  # noqa: RUF001
    assert info.value.field == "side"


def test_invalid_order_is_an_invalid_argument() -> None:
    """InvalidOrder is an InvalidArgument (and a ValueError): one except catches every bad input."""
    assert issubclass(InvalidOrder, InvalidArgument)
    assert issubclass(InvalidArgument, ValueError)
