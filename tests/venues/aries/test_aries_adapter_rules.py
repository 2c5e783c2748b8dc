"""Aries adapter: config and credential checks, local order rules, and what its flows send and return.

Flows are pure: they are driven by hand with scripted answers built from the documented TradeOrderV2 example
(https://finance.dev/api-reference/accounts/list-active-orders), except where the core's judgement of an
answer is the point (then a client with a MockTransport).
"""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Any
from urllib.parse import urlsplit

import attrs
import pytest
from aries_testdata import ACCOUNT, STATIC_TOKEN, TRADE_ORDER_V2, bound, drive, json_answer, stop_order

import stopkit
from stopkit.errors import ConfigurationError, InvalidOrder, OrderNotFound, ResponseShapeError
from stopkit.retry import RetryPolicy
from stopkit.testing import MockTransport
from stopkit.venue import Amendment, Credentials, Markets, OrderRef
from stopkit.wire import HttpRequest, HttpResponse
from stopkit_venues.aries import VENUE, parse
from stopkit_venues.aries.adapter import AriesConfig

NOW = datetime(2026, 1, 15, 15, 0, 0, tzinfo=UTC)
NOW_MS = int(NOW.timestamp() * 1000)


def _row(**changes: Any) -> dict[str, Any]:
    # The documented TradeOrderV2 example as an equity stop: sell 100 AAPL, stop 145, DAY.
    row: dict[str, Any] = json.loads(TRADE_ORDER_V2)
    row.update({"type": "STOP", "side": "SELL", "price": "", "stopPrice": "145.00", "timeInForce": "DAY"})
    row.update(changes)
    return row


def _page(*rows: dict[str, Any]) -> HttpResponse:
    return json_answer({"orders": list(rows), "nextCursor": 0})


# -- config and credentials ---------------------------------------------------------------------


def test_a_base_url_that_is_not_text_is_refused_naming_its_type() -> None:
    """AriesConfig built directly with a non-string base_url raises ValueError naming the type given."""
    with pytest.raises(ValueError, match=r"^base_url must be a string, got int$"):
        AriesConfig(base_url=5)  # type: ignore[arg-type]


def test_an_account_id_longer_than_50_characters_is_a_configuration_error_of_aries() -> None:
    """ARIES_ACCOUNT_ID over 50 characters is refused before any I/O, and the error names the venue."""
    credentials = Credentials("aries", {"ARIES_ACCESS_TOKEN": STATIC_TOKEN, "ARIES_ACCOUNT_ID": "A" * 51})
    with pytest.raises(ConfigurationError) as info:
        VENUE.bind(credentials)
    assert info.value.venue == "aries"
    assert info.value.message == "aries: ARIES_ACCOUNT_ID is longer than 50 characters"
    assert VENUE.bind(Credentials("aries", {"ARIES_ACCESS_TOKEN": STATIC_TOKEN, "ARIES_ACCOUNT_ID": "A" * 50}))


def test_repr_says_no_for_credentials_that_are_not_set() -> None:
    """A static token alone shows client_credentials=no; client credentials alone show static_token=no."""
    static = VENUE.bind(Credentials("aries", {"ARIES_ACCESS_TOKEN": STATIC_TOKEN, "ARIES_ACCOUNT_ID": ACCOUNT}))
    assert repr(static) == (
        "AriesBoundVenue(account_id='ACC123456', base_url='https://api.aries.com', static_token=yes, "
        "client_credentials=no)"
    )
    oauth = VENUE.bind(
        Credentials("aries", {"ARIES_CLIENT_ID": "id", "ARIES_CLIENT_SECRET": "s3cret", "ARIES_ACCOUNT_ID": ACCOUNT})
    )
    assert "static_token=no, client_credentials=yes" in repr(oauth)
    assert "s3cret" not in repr(oauth)


def test_the_token_request_is_an_unauthenticated_exchange_named_token() -> None:
    """The OAuth2 token exchange carries no bearer token and is labelled 'token' in logs and errors."""
    exchange = bound().token_exchange()
    assert exchange is not None
    assert (exchange.label, exchange.authenticated, exchange.writes) == ("token", False, False)


# -- local order rules ---------------------------------------------------------------------------


def test_too_many_decimals_are_an_invalid_order_of_aries_naming_the_field() -> None:
    """A 6-decimal stop price is refused before any I/O with venue 'aries', the field and both neighbours."""
    with pytest.raises(InvalidOrder) as info:
        bound().check_order(stop_order(stop_price=Decimal("145.123456")))
    assert (info.value.venue, info.value.field) == ("aries", "stop_price")
    assert "nearest valid: 145.12345 or 145.12346" in info.value.message


def test_an_amended_quantity_with_too_many_decimals_is_refused_naming_quantity() -> None:
    """A modify to a 6-decimal quantity is refused before any I/O, naming 'quantity' and the venue."""
    found = parse.parse_trade_order(_row())
    venue = bound(fractional_shares=True)
    with pytest.raises(InvalidOrder) as info:
        next(venue.modify_flow(found, Amendment(quantity=Decimal("1.000001"))))
    assert (info.value.venue, info.value.field) == ("aries", "quantity")
    assert "nearest valid: 1 or 1.00001" in info.value.message


def test_modify_without_a_venue_order_id_is_refused_naming_the_field() -> None:
    """A state without a venue order id (clOrdId) cannot be modified: InvalidOrder names venue_order_id."""
    state = attrs.evolve(parse.parse_trade_order(_row()), venue_order_id=None)
    with pytest.raises(InvalidOrder) as info:
        next(bound().modify_flow(state, Amendment(stop_price=Decimal(140))))
    assert (info.value.venue, info.value.field) == ("aries", "venue_order_id")


def test_markets_reason_says_fractional_quantities_are_allowed_when_configured() -> None:
    """With fractional_shares=true the empty markets' reason says fractions are allowed, else whole shares."""

    def reason(venue: Any) -> str:
        markets = drive(venue.markets_flow(), lambda request: pytest.fail(f"unexpected {request.url}"), now_ms=NOW_MS)
        assert isinstance(markets, Markets)
        assert len(markets) == 0
        return str(markets.reason)

    assert reason(bound(fractional_shares=True)).endswith("and fractional quantities allowed (fractional_shares)")
    assert reason(bound()).endswith("and whole shares (set fractional_shares=true if the account allows fractions)")


# -- reads and reconciliation --------------------------------------------------------------------


def test_a_client_order_id_never_seen_is_not_found_without_a_request() -> None:
    """Aries stores no client order id: an unknown one is OrderNotFound of aries, with nothing sent."""
    flow = bound().get_flow(OrderRef(client_order_id="never-placed"))
    with pytest.raises(OrderNotFound) as info:
        next(flow)
    assert info.value.venue == "aries"
    assert info.value.outcome_known is True
    assert "client_order_id 'never-placed'" in info.value.message


def test_open_orders_of_one_ticker_leave_the_other_tickers_out() -> None:
    """open_orders('aapl') returns the AAPL stops of the active list and not the MSFT one."""
    rows = [_row(clOrdId="A-1"), _row(clOrdId="M-1", symbol="MSFT"), _row(clOrdId="A-2", stopPrice="140")]
    states = drive(bound().open_orders_flow("aapl"), lambda request: _page(*rows), now_ms=NOW_MS)
    assert [(s.venue_order_id, s.symbol) for s in states] == [("A-1", "AAPL"), ("A-2", "AAPL")]
    everything = drive(bound().open_orders_flow(), lambda request: _page(*rows), now_ms=NOW_MS)
    assert [s.venue_order_id for s in everything] == ["A-1", "M-1", "A-2"]


def test_reconciliation_with_extended_hours_matches_the_extended_hours_row() -> None:
    """With extended_hours=true a DAY order is sent as EXTENDED_HOURS, so reconciliation looks for that row."""
    created = (NOW - timedelta(seconds=1)).strftime("%Y-%m-%dT%H:%M:%SZ")
    rows = [
        _row(clOrdId="DAY-1", timeInForce="DAY", createdAt=created),
        _row(clOrdId="EXT-1", timeInForce="EXTENDED_HOURS", createdAt=created),
    ]
    extended = bound(extended_hours=True).reconcile_flow(stop_order(), sent_at_ms=NOW_MS)
    regular = bound().reconcile_flow(stop_order(), sent_at_ms=NOW_MS)
    assert extended is not None
    assert regular is not None
    assert [s.venue_order_id for s in drive(extended, lambda r: _page(*rows), now_ms=NOW_MS).states] == ["EXT-1"]
    assert [s.venue_order_id for s in drive(regular, lambda r: _page(*rows), now_ms=NOW_MS).states] == ["DAY-1"]


# -- the core's judgement of a cancel answer -----------------------------------------------------


async def test_a_documented_404_to_a_cancel_is_a_known_not_found() -> None:
    """A cancel answered 404 with the SDK's error body is a documented refusal: OrderNotFound, outcome known."""
    not_found = {"error": {"type": "NOT_FOUND", "code": "ORDER_NOT_FOUND", "message": "order not found",
                           "details": {}, "request_id": "req-9"}, "meta": {}}  # fmt: skip
    paths: list[str] = []

    def handler(request: HttpRequest) -> HttpResponse:
        path = urlsplit(request.url).path
        paths.append(path)
        if path.endswith("/v1/orders/cancel"):
            return json_answer(not_found, status=404)
        return _page(_row(clOrdId="C-1"))

    client = stopkit.connect(
        "aries",
        credentials={"ARIES_ACCESS_TOKEN": STATIC_TOKEN, "ARIES_ACCOUNT_ID": ACCOUNT},
        config={"base_url": "http://127.0.0.1:9"},
        transport=MockTransport(handler),
        retry=RetryPolicy(max_attempts=1, backoff=False),
    )
    async with client:
        with pytest.raises(OrderNotFound) as info:
            await client.cancel(venue_order_id="C-1")
    assert info.value.outcome_known is True
    assert info.value.venue_code == "ORDER_NOT_FOUND"
    assert paths.count("/v1/orders/cancel") == 1


def test_a_lookup_reads_the_active_list_then_the_history_and_says_how_far_back_it_looked() -> None:
    """get() lists the active orders, then the history (each read named in logs and errors); not found says
    it searched history_lookback_days back for an unknown order, and from its creation for one this client saw."""
    empty = parse.OrdersPage(rows=(), next_cursor=0)
    venue = bound(history_lookback_days=7)
    flow = venue.get_flow(OrderRef(venue_order_id="GONE-1"))
    assert next(flow).label == "list active orders"
    assert flow.send(empty).label == "list order history"
    with pytest.raises(OrderNotFound) as unknown:
        flow.send(empty)
    assert unknown.value.message == (
        "aries: no order with clOrdId 'GONE-1' in the active orders or the history since the last 7 day(s)"
    )
    venue.memory.record(parse.parse_trade_order(_row(clOrdId="SEEN-1")))
    flow = venue.get_flow(OrderRef(venue_order_id="SEEN-1"))
    next(flow)
    flow.send(empty)
    with pytest.raises(OrderNotFound) as seen:
        flow.send(empty)
    assert seen.value.message.endswith("in the active orders or the history since its creation")


def test_a_refresh_token_without_client_credentials_is_refused_saying_why() -> None:
    """ARIES_REFRESH_TOKEN without the client id and secret is a configuration error (the grant sends both)."""
    credentials = Credentials(
        "aries", {"ARIES_ACCESS_TOKEN": STATIC_TOKEN, "ARIES_REFRESH_TOKEN": "r-1", "ARIES_ACCOUNT_ID": ACCOUNT}
    )
    with pytest.raises(ConfigurationError) as info:
        VENUE.bind(credentials)
    assert info.value.message == (
        "aries: ARIES_REFRESH_TOKEN needs ARIES_CLIENT_ID and ARIES_CLIENT_SECRET (the refresh_token grant sends both)"
    )


def test_a_repeating_cursor_stops_the_listing_with_a_shape_error_of_aries() -> None:
    """An active list whose nextCursor comes back again would loop forever: ResponseShapeError of aries."""
    cursors = iter([5, 5])

    def answer(request: HttpRequest) -> HttpResponse:
        return json_answer({"orders": [_row()], "nextCursor": next(cursors)})

    with pytest.raises(ResponseShapeError) as info:
        drive(bound().open_orders_flow(), answer, now_ms=NOW_MS)
    assert (info.value.venue, info.value.message) == ("aries", "aries: nextCursor 5 repeats; stopping")


def test_listings_are_bounded_in_pages_and_the_error_names_the_listing() -> None:
    """The active list stops after 100 pages, a history lookup after history_max_pages; the error names which."""
    pages = 0

    def endless(request: HttpRequest) -> HttpResponse:
        nonlocal pages
        pages += 1
        return json_answer({"orders": [], "nextCursor": pages})

    with pytest.raises(ResponseShapeError) as active:
        drive(bound().open_orders_flow(), endless, now_ms=NOW_MS)
    assert active.value.message == (
        "aries: more than 100 pages of list active orders; stopped there (history lookups: history_max_pages)"
    )
    assert (pages, active.value.venue) == (100, "aries")

    def history_endless(request: HttpRequest) -> HttpResponse:
        if "/history" not in request.url:
            return _page()
        return endless(request)

    with pytest.raises(ResponseShapeError) as history:
        drive(bound(history_max_pages=2).get_flow(OrderRef(venue_order_id="X-1")), history_endless, now_ms=NOW_MS)
    assert history.value.message.startswith("aries: more than 2 pages of list order history;")


@pytest.mark.parametrize(
    ("given", "missing"), [("ARIES_CLIENT_ID", "ARIES_CLIENT_SECRET"), ("ARIES_CLIENT_SECRET", "ARIES_CLIENT_ID")]
)
def test_a_client_id_or_secret_alone_is_refused_naming_the_missing_one(given: str, missing: str) -> None:
    """The client id and secret go together: bind() names the one that is not set."""
    credentials = Credentials("aries", {"ARIES_ACCESS_TOKEN": STATIC_TOKEN, given: "x-1", "ARIES_ACCOUNT_ID": ACCOUNT})
    with pytest.raises(ConfigurationError) as info:
        VENUE.bind(credentials)
    assert info.value.message == (f"aries: {missing} is not set (ARIES_CLIENT_ID and ARIES_CLIENT_SECRET go together)")


def test_open_orders_carry_the_client_order_id_of_orders_this_client_placed() -> None:
    """Aries stores no client order id: open_orders() gives back the one this client placed the order with."""
    venue = bound()
    placed = parse.parse_trade_order(_row(clOrdId="MINE-1"), client_order_id="cid-mine")
    venue.memory.record(placed)
    rows = [_row(clOrdId="MINE-1"), _row(clOrdId="OTHER-1")]
    states = drive(venue.open_orders_flow(), lambda request: _page(*rows), now_ms=NOW_MS)
    assert [(s.venue_order_id, s.client_order_id) for s in states] == [("MINE-1", "cid-mine"), ("OTHER-1", None)]


def test_a_base_url_that_is_not_http_is_refused_quoting_it() -> None:
    """AriesConfig built directly with an ftp:// base_url raises ValueError quoting the value."""
    with pytest.raises(ValueError, match=r"^base_url must be an absolute http\(s\) URL, got 'ftp://api\.aries\.com'$"):
        AriesConfig(base_url="ftp://api.aries.com")


def test_a_fractional_quantity_is_refused_saying_how_to_allow_it() -> None:
    """Whole shares unless fractional_shares: 1.5 shares is refused before any I/O, naming the setting."""
    with pytest.raises(InvalidOrder) as info:
        bound().check_order(stop_order(quantity=Decimal("1.5")))
    assert info.value.message == (
        "aries: quantity must be whole shares, got 1.5 (set fractional_shares=true if the account allows fractions)"
    )
    bound(fractional_shares=True).check_order(stop_order(quantity=Decimal("1.5")))


def test_a_modify_keeps_the_client_order_id_this_client_placed_the_order_with() -> None:
    """Modifying a state read without our client order id still returns the one this client placed it with."""
    venue = bound()
    venue.memory.record(parse.parse_trade_order(_row(clOrdId="MINE-1"), client_order_id="cid-mine"))
    state = parse.parse_trade_order(_row(clOrdId="MINE-1"))
    assert state.client_order_id is None

    def answer(request: HttpRequest) -> HttpResponse:
        if request.url.endswith("/v1/orders/replace"):
            return json_answer({"success": True, "clOrdId": "MINE-2", "origClOrdId": "MINE-1", "status": "REPLACED"})
        return _page(_row(clOrdId="MINE-1"))

    new = drive(venue.modify_flow(state, Amendment(stop_price=Decimal(140))), answer, now_ms=NOW_MS)
    assert (new.venue_order_id, new.client_order_id, new.stop_price) == ("MINE-2", "cid-mine", Decimal(140))
