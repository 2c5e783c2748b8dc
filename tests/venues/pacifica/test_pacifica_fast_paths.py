"""Pacifica's hot-path shortcuts read exactly what the general code reads: the usual place answer
matched as bytes, market rules read once per /api/v1/info answer, an order checked once."""

from __future__ import annotations

import json
from decimal import Decimal
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

import stopkit
from stopkit.errors import InvalidOrder, ResponseShapeError, UnsupportedOrder
from stopkit.orders import StopLimitOrder
from stopkit.wire import HttpResponse
from stopkit_venues.pacifica import parse, rules

CLOID = "d25ac10b-58cc-4372-a567-0e02b2c3d479"
ORDER = StopLimitOrder(
    symbol="BTC", side="sell", position_effect="close", quantity=Decimal("0.1"),
    stop_price=Decimal("48000"), limit_price=Decimal("47950"), client_order_id=CLOID,
)  # fmt: skip
INFO_ROW = {"symbol": "BTC", "tick_size": "1", "lot_size": "0.00001", "min_tick": "0", "max_tick": "1000000",
            "min_order_size": "10"}  # fmt: skip
SEED = "11111111111111111111111111111111"  # base58 of 32 zero bytes: a public test seed


def _general(order: StopLimitOrder, body: Any, status: int = 200) -> Any:
    # The same answer with its keys in another order: never the byte match, always the JSON parser.
    if isinstance(body, dict):
        body = dict(reversed(list(body.items())))
    return parse.parse_place_response(order, HttpResponse(status=status, body=json.dumps(body).encode()))


_ORDER_IDS = st.integers(0, 10**20 - 1) | st.text(
    st.characters(min_codepoint=0x20, max_codepoint=0x7E, exclude_characters='"\\'), min_size=1, max_size=64
)
_WHITESPACE = st.sampled_from(["", " ", "\n", "\t", "\r\n  "])


@given(_ORDER_IDS, _WHITESPACE, st.booleans())
def test_the_usual_place_answer_reads_as_the_json_parser_reads_it(order_id: Any, space: str, compact: bool) -> None:
    """Compact or spaced, id as number or string: the byte match gives the state the JSON parser gives."""
    body = {"success": True, "data": {"order_id": order_id}, "error": None, "code": None}
    tokens = ["{", '"success"', ":", "true", ",", '"data"', ":", "{", '"order_id"', ":", json.dumps(order_id), "}",
              ",", '"error"', ":", "null", ",", '"code"', ":", "null", "}"]  # fmt: skip
    text = json.dumps(body, separators=(",", ":")) if compact else space + space.join(tokens) + space
    response = HttpResponse(status=200, body=text.encode())
    assert parse._placed_body(response) == json.loads(text)
    state = parse.parse_place_response(ORDER, response)
    assert state == _general(ORDER, body)
    assert state.raw == body
    assert state.venue_order_id == str(order_id)


@pytest.mark.parametrize(
    "text",
    [
        '{"success":true,"data":{"order_id":0123},"error":null,"code":null}',  # no JSON number
        '{"success":true,"data":{"order_id":1.5},"error":null,"code":null}',
        '{"success":true,"data":{"order_id":"a\\u0041"},"error":null,"code":null}',  # an escape: parsed
        '{"success":true,"data":{"order_id":"12"},"error":"x","code":null}',  # an error envelope
        '{"success":false,"data":{"order_id":"12"},"error":null,"code":null}',
        '{"success":true,"data":{"order_id":"12"},"error":null,"code":null,"extra":1}',
        '{"data":{"order_id":"12"},"success":true,"error":null,"code":null}',
    ],
)
def test_any_other_answer_goes_through_the_json_parser(text: str) -> None:
    """Bodies the byte match does not take are read (or refused) exactly as before."""
    response = HttpResponse(status=200, body=text.encode())
    assert parse._placed_body(response) is None
    try:
        expected: Any = json.loads(text)
    except ValueError:
        with pytest.raises(ResponseShapeError) as info:
            parse.parse_place_response(ORDER, response)
        assert info.value.outcome_known is False
        return
    try:
        state = parse.parse_place_response(ORDER, response)
    except Exception as exc:  # noqa: BLE001 - the refusal must be the one the general code raises
        with pytest.raises(type(exc)):
            _general(ORDER, expected)
    else:
        assert state == _general(ORDER, expected)


def test_only_a_200_takes_the_byte_match() -> None:
    """A 201 with the usual body is read by the JSON parser (same state); a 500 is classified."""
    body = b'{"success":true,"data":{"order_id":"7"},"error":null,"code":null}'
    assert parse._placed_body(HttpResponse(status=201, body=body)) is None
    assert parse.parse_place_response(ORDER, HttpResponse(status=201, body=body)).venue_order_id == "7"
    with pytest.raises(Exception, match="unavailable"):
        parse.parse_place_response(ORDER, HttpResponse(status=500, body=body))


def _info(*rows: dict[str, Any]) -> parse.MarketInfo:
    body = {"success": True, "data": list(rows), "error": None, "code": None}
    return parse.parse_market_info(HttpResponse(status=200, body=json.dumps(body).encode()))


def test_market_rules_are_read_once_per_info_answer() -> None:
    """A market's row is read into its rules once per /api/v1/info answer; a fresh answer is read afresh."""
    info = _info(INFO_ROW)
    assert info == {"BTC": INFO_ROW}
    assert info.markets == {}
    rules.check_market_rules(ORDER, info)
    market = info.markets["BTC"]
    rules.check_market_rules(ORDER, info)
    assert info.markets["BTC"] is market
    fresh = _info({**INFO_ROW, "tick_size": "100"})
    with pytest.raises(InvalidOrder, match="tick_size"):
        rules.check_market_rules(StopLimitOrder(**{**_fields(ORDER), "stop_price": Decimal("48050")}), fresh)
    rules.check_market_rules(ORDER, {"BTC": INFO_ROW})  # a plain mapping still works (nothing remembered)


def test_a_malformed_row_is_refused_every_time_and_never_remembered() -> None:
    """A broken market row raises each time the market is checked; nothing is kept for it."""
    info = _info({**INFO_ROW, "tick_size": "zero"})
    for _ in range(2):
        with pytest.raises(ResponseShapeError):
            rules.check_market_rules(ORDER, info)
    assert info.markets == {}


def test_orders_are_checked_again_unless_the_very_same_order_was_just_checked() -> None:
    """check_order skips only the order object it has just passed; every other order is checked in full."""
    bound = stopkit.bind("pacifica", credentials={"PACIFICA_PRIVATE_KEY": SEED})
    bound.check_order(ORDER)
    bound.check_order(ORDER)
    bad = StopLimitOrder(**{**_fields(ORDER), "time_in_force": "ioc"})
    for _ in range(2):
        with pytest.raises(UnsupportedOrder):
            bound.check_order(bad)
    twin = StopLimitOrder(**{**_fields(ORDER), "client_order_id": "not-a-uuid"})
    with pytest.raises(InvalidOrder, match="client_order_id"):
        bound.check_order(twin)
    bound.check_order(ORDER)


def _fields(order: StopLimitOrder) -> dict[str, Any]:
    return {
        "symbol": order.symbol,
        "side": order.side,
        "position_effect": order.position_effect,
        "quantity": order.quantity,
        "stop_price": order.stop_price,
        "limit_price": order.limit_price,
        "client_order_id": order.client_order_id,
        "time_in_force": order.time_in_force,
        "trigger_type": order.trigger_type,
    }
