"""Aries units: the replace request and answer, the clOrdId chain, and reconciliation matching."""

from __future__ import annotations

import json
from decimal import Decimal
from typing import Any

import pytest
from aries_testdata import ACCOUNT, bound, stop_limit_order, stop_order

from stopkit.context import AccessToken, RequestContext
from stopkit.errors import InvalidOrder, OrderRejected, ResponseShapeError, VenueUnavailable
from stopkit.orders import OrderKind, Side
from stopkit.state import OrderState, OrderStatus
from stopkit.venue import Amendment, Candidates
from stopkit.wire import HttpResponse
from stopkit_venues.aries import VENUE, mapping, parse, translate
from stopkit_venues.aries.constants import CHAIN_FIELD

CTX = RequestContext(now_ms=1_768_487_400_000, access_token=AccessToken("tok-abc"))
T0_MS = 1_768_487_400_000  # 2026-01-15T14:30:00Z

# A replace answer with every field of the SDK's ReplaceOrdResponse (finance-dev 0.9.0
# models/replaceordresponse.py); illustrative values (qty and price differ from the request, as in the docs).
REPLACE_RESPONSE = (
    b'{"success":true,"clOrdId":"ORDER-20260115-003","origClOrdId":"ORDER-20260115-001","status":"REPLACED",'
    b'"qty":"200","price":"175.50","text":"Replace accepted","transactTime":"2026-01-15T14:31:00Z"}'
)


def _state(kind: OrderKind = OrderKind.STOP_LIMIT, **changes: Any) -> OrderState:
    fields: dict[str, Any] = {
        "venue": "aries",
        "venue_order_id": "ORDER-20260115-001",
        "client_order_id": "cid-1",
        "symbol": "AAPL",
        "side": Side.SELL,
        "kind": kind,
        "status": OrderStatus.ACCEPTED,
        "venue_status": "NEW",
        "quantity": Decimal(100),
        "stop_price": Decimal(145),
        "limit_price": Decimal("144.5") if kind is OrderKind.STOP_LIMIT else None,
        "raw": {"side": "SELL", "clOrdId": "ORDER-20260115-001"},
    }
    fields.update(changes)
    return OrderState(**fields)


def test_aries_capabilities_modify_and_no_trigger() -> None:
    """modify is offered (replace); the venue never shows a trigger; pending states are reported as such."""
    assert VENUE.capabilities.modify
    assert not VENUE.capabilities.reports_trigger
    assert VENUE.capabilities.as_dict()["reports_trigger"] is False
    assert mapping.ORDER_STATUS["PENDING_CANCEL"] is OrderStatus.PENDING_CANCEL
    assert mapping.ORDER_STATUS["PENDING_REPLACE"] is OrderStatus.PENDING_UPDATE
    assert mapping.ORDER_STATUS["REPLACED"] is OrderStatus.ACCEPTED
    assert not any(status is OrderStatus.TRIGGERED for status in mapping.ORDER_STATUS.values())


def test_aries_replace_request_exact_bytes() -> None:
    """origClOrdId, account, symbol, restated side/type, then only the changed terms, canonical decimals."""
    request = translate.build_replace_request(
        CTX,
        base_url="https://api.aries.com",
        account_id=ACCOUNT,
        orig_cl_ord_id="ORDER-20260115-001",
        symbol="AAPL",
        side="SELL_SHORT",
        order_type="STOP_LIMIT",
        qty=None,
        stop_price=Decimal("140.000"),
        price=Decimal("139.50"),
    )
    assert request.method == "POST"
    assert request.url == "https://api.aries.com/v1/orders/replace"
    assert request.headers == {"Authorization": "Bearer tok-abc", "Content-Type": "application/json"}
    assert request.body == (
        b'{"origClOrdId":"ORDER-20260115-001","tradingAccountId":"ACC123456","symbol":"AAPL","side":"SELL_SHORT",'
        b'"type":"STOP_LIMIT","stopPrice":"140","price":"139.5"}'
    )
    qty_only = translate.build_replace_request(
        CTX,
        base_url="https://api.aries.com",
        account_id=ACCOUNT,
        orig_cl_ord_id="X",
        symbol="AAPL",
        side="SELL",
        order_type="STOP",
        qty=Decimal(50),
        stop_price=None,
        price=None,
    )
    assert qty_only.json() == {
        "origClOrdId": "X", "tradingAccountId": ACCOUNT, "symbol": "AAPL", "side": "SELL", "type": "STOP", "qty": "50"
    }  # fmt: skip


def test_aries_parse_documented_replace_answer() -> None:
    """The documented answer: new clOrdId, REPLACED → ACCEPTED, the answer's terms, the chain kept."""
    state = parse.parse_replace_response(
        _state(), Amendment(stop_price=Decimal(140)), HttpResponse(status=200, body=REPLACE_RESPONSE)
    )
    assert state.venue_order_id == "ORDER-20260115-003"
    assert state.status is OrderStatus.ACCEPTED
    assert state.venue_status == "REPLACED"
    assert state.quantity == Decimal(200)  # from the answer
    assert state.limit_price == Decimal("175.50")  # from the answer
    assert state.stop_price == Decimal(140)  # not in the answer: the amendment
    assert state.client_order_id == "cid-1"
    assert state.raw[CHAIN_FIELD] == ["ORDER-20260115-001", "ORDER-20260115-003"]
    assert state.raw["origClOrdId"] == "ORDER-20260115-001"
    again = parse.parse_replace_response(
        state,
        Amendment(quantity=Decimal(10)),
        HttpResponse(status=200, body=b'{"success":true,"clOrdId":"ORDER-4","status":"PENDING_REPLACE"}'),
    )
    assert again.status is OrderStatus.PENDING_UPDATE
    assert again.quantity == Decimal(10)
    assert again.raw[CHAIN_FIELD] == ["ORDER-20260115-001", "ORDER-20260115-003", "ORDER-4"]


def test_aries_replace_on_a_stop_keeps_no_limit() -> None:
    """A STOP's replace answer with an empty price leaves limit_price None."""
    body = b'{"success":true,"clOrdId":"N-2","origClOrdId":"ORDER-20260115-001","status":"REPLACED","price":""}'
    state = parse.parse_replace_response(
        _state(OrderKind.STOP_MARKET), Amendment(stop_price=Decimal(141)), HttpResponse(status=200, body=body)
    )
    assert (state.limit_price, state.stop_price, state.quantity) == (None, Decimal(141), Decimal(100))


@pytest.mark.parametrize(
    ("response", "expected", "known"),
    [
        (HttpResponse(status=200, body=b'{"success":false,"clOrdId":"R","origClOrdId":"O","status":"REJECTED",'
                                       b'"text":"use the latest clOrdId"}'),
         OrderRejected, True),
        (HttpResponse(status=500, body=b""), VenueUnavailable, False),
        (HttpResponse(status=200, body=b"<html>"), ResponseShapeError, False),
        (HttpResponse(status=200, body=b'{"success":true,"status":"REPLACED"}'), ResponseShapeError, False),
    ],
)  # fmt: skip
def test_aries_replace_failures(response: HttpResponse, expected: type[Exception], known: bool) -> None:
    """A refused replace keeps its text (ReplaceOrdResponse has no ordRejReason); a 5xx or unreadable 200 leaves
    the outcome unknown."""
    with pytest.raises(expected) as info:
        parse.parse_replace_response(_state(), Amendment(stop_price=Decimal(140)), response)
    assert getattr(info.value, "outcome_known", None) is known
    if isinstance(info.value, OrderRejected):
        assert info.value.venue_code is None
        assert info.value.venue_message == "use the latest clOrdId"
        assert info.value.raw_body is not None
        assert "use the latest clOrdId" in info.value.raw_body


@pytest.mark.parametrize(
    ("amendment", "kind", "field"),
    [
        (Amendment(stop_price=Decimal("140.123456")), OrderKind.STOP_LIMIT, "stop_price"),
        (Amendment(limit_price=Decimal("139.000001")), OrderKind.STOP_LIMIT, "limit_price"),
        (Amendment(quantity=Decimal("1.5")), OrderKind.STOP_LIMIT, "quantity"),
        (Amendment(limit_price=Decimal(139)), OrderKind.STOP_MARKET, "limit_price"),
    ],
)
def test_aries_modify_checks_before_io(amendment: Amendment, kind: OrderKind, field: str) -> None:
    """Bad amendments raise InvalidOrder naming the field when the flow starts, before any exchange."""
    flow = bound().modify_flow(_state(kind), amendment)
    with pytest.raises(InvalidOrder) as info:
        next(flow)
    assert info.value.field == field


def test_aries_modify_first_looks_the_order_up() -> None:
    """modify's first exchange is a read of the active list (to find the newest clOrdId)."""
    exchange = next(bound().modify_flow(_state(), Amendment(stop_price=Decimal(140))))
    assert not exchange.writes
    assert "/v2/accounts/ACC123456/orders?" in exchange.build(CTX).url


def _row(cl_ord_id: str, **changes: Any) -> dict[str, Any]:
    row: dict[str, Any] = {
        "clOrdId": cl_ord_id, "clientId": "", "symbol": "AAPL", "side": "SELL", "type": "STOP", "qty": "100",
        "price": "", "stopPrice": "145", "ordStatus": "NEW", "cumQty": "0", "createdAt": "2026-01-15T14:30:00Z",
    }  # fmt: skip
    row.update(changes)
    return row


def test_aries_resolve_chain() -> None:
    """Old ids lead to the newest record, whether or not the old record is still listed."""
    a = _row("A", ordStatus="SUPERSEDED")
    b = _row("B", origClOrdId="A", ordStatus="SUPERSEDED")
    c = _row("C", origClOrdId="B")
    other = _row("Z", origClOrdId="Y")
    rows = [a, b, c, other]
    assert parse.resolve_chain(rows, "A") is c
    assert parse.resolve_chain(rows, "B") is c
    assert parse.resolve_chain(rows, "C") is c
    assert parse.resolve_chain([c], "B") is c  # SUPERSEDED rows are not always listed
    assert parse.resolve_chain(rows, "Y") is other
    assert parse.resolve_chain(rows, "nope") is None
    loop = [_row("P", origClOrdId="Q"), _row("Q", origClOrdId="P")]
    assert parse.resolve_chain(loop, "P") is not None  # a cycle ends


def _candidates(rows: list[dict[str, Any]], order: Any = None, skew_ms: int = 5_000) -> list[Any]:
    order = order or stop_order(client_order_id="cid-9")
    return parse.reconcile_candidates(
        rows,
        order,
        symbol="AAPL",
        side="SELL",
        order_type="STOP",
        time_in_force="DAY",
        not_before_ms=T0_MS - skew_ms,
    )


def test_aries_reconcile_never_trusts_client_id() -> None:
    """clientId is the OAuth application: a row carrying our client order id there is matched by terms only."""
    tagged = _row("M", clientId="cid-9", createdAt="2020-01-01T00:00:00Z")  # outside the window
    assert _candidates([tagged]) == []
    changed = _row("M2", clientId="cid-9", stopPrice="150")
    assert _candidates([changed]) == []


def test_aries_reconcile_by_terms_in_the_window() -> None:
    """Same terms (time in force too) and createdAt ≥ sent_at - skew; every candidate listed, oldest first."""
    ours = _row("O", clientId="oauth-client")
    assert _candidates([ours]) == [ours]
    twin = _row("D", clientId="oauth-client", createdAt="2026-01-15T14:30:01Z")
    assert _candidates([twin, ours]) == [ours, twin]  # two identical: both listed, the core decides
    early = _row("E", createdAt="2026-01-15T14:29:54Z")
    assert _candidates([early]) == []  # 6 s before the send, skew 5 s
    assert _candidates([early], skew_ms=10_000) == [early]
    changes: list[dict[str, Any]] = [
        {"symbol": "MSFT"}, {"side": "SELL_SHORT"}, {"type": "STOP_LIMIT"}, {"qty": "10"}, {"stopPrice": "144"},
        {"price": "144"}, {"ordStatus": "SUPERSEDED"}, {"timeInForce": "GTC"}, {"securityType": "OPTION"},
        {"legs": [{"symbol": "AAPL260116C00150000"}]},
    ]  # fmt: skip
    for change in changes:
        assert _candidates([_row("X", **change)]) == [], change
    assert _candidates([_row("Z", price="0", stopPrice="145.000", qty="100.0")]) != []  # unused price is 0
    assert _candidates([_row("N", createdAt=None)]) != []  # no creation time: still a candidate (ambiguity, never loss)


def test_aries_reconcile_stop_limit_terms() -> None:
    """A STOP_LIMIT needs the limit price to match too."""
    order = stop_limit_order(client_order_id="cid-sl")
    row = _row("SL", type="STOP_LIMIT", price="144.50")

    def match(rows: list[dict[str, Any]]) -> list[Any]:
        return parse.reconcile_candidates(
            rows,
            order,
            symbol="AAPL",
            side="SELL",
            order_type="STOP_LIMIT",
            time_in_force="DAY",
            not_before_ms=T0_MS,
        )

    assert match([row]) == [row]
    assert match([_row("SL2", type="STOP_LIMIT", price="144")]) == []


def test_aries_reconcile_flow_lists_then_matches() -> None:
    """reconcile_flow reads the active list (all pages) and returns every terms match as Candidates."""
    venue = bound()
    order = stop_order(client_order_id="cid-9")
    flow = venue.reconcile_flow(order, sent_at_ms=T0_MS)
    assert flow is not None
    exchange = next(flow)
    assert "cursor=0" in exchange.build(CTX).url
    page = parse.OrdersPage(rows=(_row("O", clientId="oauth-client"),), next_cursor=7)
    exchange = flow.send(page)
    assert "cursor=7" in exchange.build(CTX).url
    with pytest.raises(StopIteration) as done:
        flow.send(parse.OrdersPage(rows=(), next_cursor=0))
    found = done.value.value
    assert isinstance(found, Candidates)
    assert found.by_client_order_id is False
    assert [state.venue_order_id for state in found.states] == ["O"]
    assert found.states[0].client_order_id is None  # clientId is the OAuth client, not our id
    empty = venue.reconcile_flow(order, sent_at_ms=T0_MS)
    assert empty is not None
    next(empty)
    with pytest.raises(StopIteration) as done:
        empty.send(parse.OrdersPage(rows=(), next_cursor=0))
    assert done.value.value == Candidates(states=())


def test_aries_documented_rows_json_roundtrip() -> None:
    """The chain helper accepts rows with integer ids too."""
    rows = [json.loads('{"clOrdId": 1, "ordStatus": "SUPERSEDED"}'), json.loads('{"clOrdId": 2, "origClOrdId": 1}')]
    assert parse.resolve_chain(rows, "1") is rows[1]
