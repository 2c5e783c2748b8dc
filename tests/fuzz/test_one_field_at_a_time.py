"""The order model fuzzed one field at a time, from valid orders (issue 19).

Arbitrary values in every field at once almost always fail on ``symbol`` or ``side`` first, so the other
fields' checks were never reached. Here every example starts from a valid order (which must build), then
replaces exactly one field with a hostile or edge value. The oracle is the documented rule for that field,
written out here independently of :mod:`stopkit.validate`: the order builds exactly when the rule admits the
value, and otherwise raises ``InvalidOrder`` naming that field (and no other).
"""

from __future__ import annotations

import enum
from decimal import Decimal, InvalidOperation
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import stopkit
from stopkit import InvalidOrder, RequestContext, UnsupportedOrder
from stopkit.context import AccessToken
from stopkit.orders import PositionEffect, Side, TimeInForce, TriggerType

# -- valid orders -------------------------------------------------------------------------------

PRINTABLE = st.characters(min_codepoint=0x21, max_codepoint=0x7E)
SYMBOLS = st.one_of(
    st.sampled_from(["BTC/USDC:USDC", "BTC", "AAPL", "spot.btc_usdt", "kBONK"]),
    st.text(PRINTABLE, min_size=1, max_size=64),
)
ID_CHARS = st.characters(min_codepoint=0x21, max_codepoint=0x7E, blacklist_characters="/\\?#%")
CLIENT_IDS = st.text(ID_CHARS, min_size=1, max_size=64).filter(lambda s: s.strip(".") != "")
AMOUNTS = st.decimals(min_value=Decimal("0.00000001"), max_value=Decimal(10**9), places=8, allow_nan=False)
VALID = {
    "symbol": SYMBOLS,
    "side": st.sampled_from([*Side, "buy", "SELL"]),
    "quantity": st.one_of(st.none(), AMOUNTS),
    "stop_price": AMOUNTS,
    "limit_price": AMOUNTS,
    "position_effect": st.sampled_from([None, *PositionEffect, "open", "CLOSE"]),
    "trigger_type": st.sampled_from([*TriggerType, "mark", "LAST"]),
    "time_in_force": st.sampled_from([TimeInForce.GTC, TimeInForce.DAY, TimeInForce.IOC, TimeInForce.FOK, "gtc"]),
    "client_order_id": CLIENT_IDS,
}

# -- hostile values, one field at a time ----------------------------------------------------------

ANY = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(min_value=-(10**26), max_value=10**26),
    st.floats(),
    st.decimals(),
    st.text(max_size=70),
    st.lists(st.integers(), max_size=2),
)
AMOUNT_EDGES = st.sampled_from(
    [
        Decimal(0), Decimal("-0"), Decimal("-1"), Decimal("1e24"), Decimal("9.9e24"), Decimal("1e25"),
        Decimal("1e-24"), Decimal("1e-25"), Decimal("1." + "0" * 40), Decimal("1" * 30), Decimal("1" * 31),
        Decimal("0.1" + "1" * 29), Decimal("0.1" + "1" * 30), Decimal("NaN"), Decimal("Infinity"), Decimal("sNaN"),
        10**25 - 1, 10**25, 0, -5, 5, True, 1.5, "0", "-0", " 5 ", "5.", ".5", "+5", "1e3", "1E-3", "1e", "e3",
        "1_0", "\u0661\u0660", "\uff11\uff10", "NaN", "Infinity", "0x10", "1,5", "1" * 65, "",
    ]
)  # fmt: skip
TEXT_EDGES = st.sampled_from(
    ["", "a" * 64, "a" * 65, "A B", "\u0131bm", "\u017fpy", "BTC\n", "\x7f", "..", ".", "a/b", "a\\b", "a?b",
     "a#b", "a%b", "ok-id_1.2", "\t", 7, None]
)  # fmt: skip
ENUM_EDGES = st.sampled_from(
    ["buy", "BUY", "Buy", "sell", " buy", "buy ", "\u017fell", "gtc", "GTD", "gtd", "Day", "ioc", "fok", "open",
     "CLOSE", "mark", "MARK_PRICE", "mark_price", "last", "mid", "index", "default", "", None, 1]
)  # fmt: skip
HOSTILE = {
    "symbol": st.one_of(TEXT_EDGES, ANY),
    "side": st.one_of(ENUM_EDGES, ANY),
    "quantity": st.one_of(AMOUNT_EDGES, ANY),
    "stop_price": st.one_of(AMOUNT_EDGES, ANY),
    "limit_price": st.one_of(AMOUNT_EDGES, ANY),
    "position_effect": st.one_of(ENUM_EDGES, ANY),
    "trigger_type": st.one_of(ENUM_EDGES, ANY),
    "time_in_force": st.one_of(ENUM_EDGES, ANY),
    "client_order_id": st.one_of(TEXT_EDGES, ANY),
}

# -- the documented rules, written out independently ------------------------------------------------


def _printable_ascii(value: object, max_length: int) -> bool:
    # 1..max printable ASCII characters, no space (0x21-0x7e).
    return isinstance(value, str) and 1 <= len(value) <= max_length and all(0x21 <= ord(c) <= 0x7E for c in value)


def _amount(value: object, *, positive: bool = True) -> Decimal | None:
    # Decimal, int or ASCII decimal text; finite; > 0; at most 30 significant digits; magnitude 1e-24..1e24.
    if isinstance(value, bool | float):
        return None
    if isinstance(value, Decimal):
        number = value
    elif isinstance(value, int):
        if abs(value) >= 10**25:
            return None
        number = Decimal(value)
    elif isinstance(value, str):
        text = value.strip()
        if not text or len(text) > 64 or any(c not in "0123456789+-.eE" for c in text):
            return None
        try:
            number = Decimal(text)
        except InvalidOperation:
            return None
    else:
        return None
    if not number.is_finite() or (positive and number <= 0):
        return None
    if number.is_zero():
        return number
    digits = str(number.as_tuple().digits and int("".join(map(str, number.as_tuple().digits)))).rstrip("0") or "0"
    if not -24 <= number.adjusted() <= 24 or len(digits) > 30:
        return None
    return number


def _enum(enum_cls: type[enum.Enum], value: object) -> bool:
    # A member, or ASCII text equal (ignoring case) to a member's value or name.
    if isinstance(value, enum_cls):
        return True
    return (
        isinstance(value, str)
        and value.isascii()
        and value.lower() in {name for m in enum_cls for name in (str(m.value), m.name.lower())}
    )


def _admits(field: str, value: object) -> bool:
    if field == "symbol":
        return _printable_ascii(value, 64)
    if field == "client_order_id":  # None: one is generated
        return value is None or (
            _printable_ascii(value, 64)
            and isinstance(value, str)
            and not set(value) & set("/\\?#%")
            and value.strip(".") != ""
        )
    if field in ("stop_price", "limit_price"):
        return _amount(value) is not None
    if field == "quantity":
        return value is None or _amount(value) is not None
    if field == "position_effect":
        return value is None or _enum(PositionEffect, value)
    enum_cls = {"side": Side, "trigger_type": TriggerType, "time_in_force": TimeInForce}[field]
    return _enum(enum_cls, value)


def _expected_error_field(field: str, value: object) -> str | None:
    # The field an InvalidOrder must name, or None when the order must build.
    if not _admits(field, value):
        return field
    if (
        field == "time_in_force"
        and isinstance(value, str | TimeInForce)
        and str(getattr(value, "value", value)).lower() == "gtd"
    ):
        return "expire_at"  # GTD without expire_at: the error names expire_at
    return None


@st.composite
def _one_field_changed(draw: st.DrawFn, field: str) -> tuple[bool, dict[str, Any], object]:
    # A valid order (stop-limit whenever the field is limit_price), and a value for `field`: one of its
    # edges, any value at all, or a valid value (so that acceptance is exercised too).
    limit = field == "limit_price" or draw(st.booleans())
    fields = {name: draw(strategy) for name, strategy in VALID.items() if limit or name != "limit_price"}
    value = draw(st.one_of(HOSTILE[field], VALID[field]))
    return limit, fields, value


def _build(limit: bool, fields: dict[str, Any]) -> stopkit.StopOrder | stopkit.StopLimitOrder:
    return stopkit.StopLimitOrder(**fields) if limit else stopkit.StopOrder(**fields)


@pytest.mark.parametrize("field", sorted(VALID))
@settings(max_examples=80)
@given(data=st.data())
def test_one_field_changed_is_accepted_by_its_rule_or_refused_naming_it(field: str, data: st.DataObject) -> None:
    """A valid order builds; with one field replaced it builds iff that field's rule admits the value, else
    InvalidOrder names exactly that field."""
    limit, fields, value = data.draw(_one_field_changed(field))
    _build(limit, fields)  # the valid starting point builds
    expected = _expected_error_field(field, value)
    try:
        order = _build(limit, {**fields, field: value})
    except InvalidOrder as exc:
        refused: InvalidOrder | None = exc
    else:
        refused = None
    if refused is not None:
        assert refused.field == expected, (field, value, refused.field, str(refused))
        return
    assert expected is None, (field, value)
    if field in ("stop_price", "limit_price") or (field == "quantity" and value is not None):
        assert getattr(order, field) == _amount(value)
        assert isinstance(getattr(order, field), Decimal)
    if field == "symbol" or (field == "client_order_id" and value is not None):
        assert getattr(order, field) == value


@settings(max_examples=150)
@given(
    fields=st.fixed_dictionaries({k: v for k, v in VALID.items() if k != "limit_price"}),
    venue=st.sampled_from(["pacifica", "aries", "b2trader"]),
)
def test_a_valid_order_builds_or_is_refused_as_unsupported_or_invalid_by_every_venue(
    fields: dict[str, Any], venue: str
) -> None:
    """Valid orders reach every venue's checks and builder: a request or a typed refusal naming a field."""
    order = stopkit.StopOrder(**fields)
    adapter = stopkit.get_venue(venue)
    sim = adapter.simulator()
    assert sim is not None
    bound = stopkit.bind(venue, credentials=sim.demo_credentials(), config=sim.demo_config("http://127.0.0.1:9"))
    ctx = RequestContext(now_ms=1_767_225_600_000, access_token=AccessToken("t"))
    named: str | None = None
    try:
        bound.check_order(order)
        request = bound.build_place_request(order, ctx)
    except UnsupportedOrder as exc:
        named = exc.feature
    except InvalidOrder as exc:
        named = exc.field
    else:
        assert request.method == "POST"
        assert request.body
        return
    assert named  # a refusal names what it refuses
