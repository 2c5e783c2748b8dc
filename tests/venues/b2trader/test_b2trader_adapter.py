"""B2TRADER adapter: binding and its refusals, the exchanges it hands the core, and its flows driven answer by
answer (markets, place, cancel), each checked against literal requests, states and messages."""

from __future__ import annotations

import json
import logging
from collections.abc import Generator
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

import b2trader_support as support
import jwt
import pytest

from stopkit import (
    AccessToken,
    ConfigurationError,
    OrderNotFound,
    OrderStatus,
    RequestContext,
    ResponseShapeError,
    StopOrder,
    UnsupportedOrder,
    VenueUnavailable,
)
from stopkit.testing import drive_flow
from stopkit.venue import OrderRef
from stopkit.wire import HttpResponse
from stopkit_venues.b2trader import VENUE
from stopkit_venues.b2trader.adapter import B2TraderBound
from stopkit_venues.b2trader.parse import parse_stop_order

CTX = RequestContext(now_ms=1_755_187_645_819, access_token=AccessToken("jwt-test-value"))
STOP = json.loads(support.DOC_RESPONSE_BODY)["order"]
CHILD = json.loads(support.DOC_WS_ITEM)["item"][0] | {"marketId": "spot.btc_usdt", "source": "StopOrder"}


def _bind(config: dict[str, Any] | None = None, **credentials: str) -> B2TraderBound:
    return VENUE.bind(VENUE.credentials_from_env(support.credentials(**credentials)), config)


def _answer(obj: object, status: int = 200) -> HttpResponse:
    return HttpResponse(status=status, body=json.dumps(obj).encode())


def _drive(flow: Generator[Any, Any, Any], answers: list[HttpResponse]) -> tuple[Any, list[tuple[Any, Any]]]:
    # Run a flow as the core does: build each exchange's request, parse the next answer (errors thrown in).
    return drive_flow(flow, lambda _request: answers.pop(0), ctx=CTX)


# -- binding ------------------------------------------------------------------------------------


def test_bind_reads_the_base_url_from_the_environment_and_keeps_the_config() -> None:
    """B2TRADER_BASE_URL serves when config has none; every config value lands on the bound venue."""
    bound = _bind(
        {"requests_per_s": 2.5, "market_stop_time_in_force": "Fok", "markets_ttl_s": 0, "stream_snapshots": False},
        B2TRADER_BASE_URL="http://127.0.0.1:8080/b2t/",
    )
    assert bound.base_url == "http://127.0.0.1:8080/b2t"
    assert bound.account_id == support.ACCOUNT_ID
    assert (bound.requests_per_s, bound.market_stop_time_in_force) == (2.5, "Fok")
    assert (bound.markets_ttl_s, bound.stream_snapshots) == (0, False)
    limit = bound.rate_limit
    assert (limit.capacity, limit.window_s, limit.source) == (2.5, 1.0, "configured (B2TRADER documents no limit)")
    body = json.loads(bound.build_place_request(StopOrder(**support.B2TData.order_kwargs()), CTX).body)
    assert body["order"]["timeInForce"] == "Fok"


@pytest.mark.parametrize(
    ("config", "credentials", "message"),
    [
        (
            None,
            {},
            "b2trader: no base URL: every broker runs its own host; set config base_url or B2TRADER_BASE_URL",
        ),
        (
            {"base_url": "ftp://x.invalid"},
            {},
            "b2trader: base_url must be an http(s) URL like https://trade.example-broker.com, got 'ftp://x.invalid'",
        ),
        (
            {"base_url": support.BASE_URL},
            {"B2TRADER_API_TOKEN": "tok\n"},
            "b2trader: B2TRADER_API_TOKEN has surrounding whitespace",
        ),
        (
            {"base_url": support.BASE_URL},
            {"B2TRADER_ACCOUNT_ID": "a b"},
            "b2trader: B2TRADER_ACCOUNT_ID must be visible ASCII without spaces (at most 128 characters)",
        ),
        (
            {"base_url": support.BASE_URL, "markets_ttl_s": -1},
            {},
            "b2trader: markets_ttl_s must be 0 or more seconds, got -1",
        ),
        (
            {"base_url": support.BASE_URL, "token_path": "token"},
            {},
            "b2trader: token_path must be an absolute URL path like /frontoffice/api/v4/access-token, got 'token'",
        ),
        (
            {"base_url": support.BASE_URL, "market_stop_time_in_force": "Day"},
            {},
            "b2trader: market_stop_time_in_force must be one of Ioc, Fok, Gtc, got 'Day'",
        ),
    ],
)
def test_bind_refusals_name_the_venue_and_the_setting(config, credentials, message) -> None:
    """Each bad setting is a ConfigurationError from b2trader saying what is wrong (never echoing a secret)."""
    with pytest.raises(ConfigurationError) as excinfo:
        _bind(config, **credentials)
    assert (excinfo.value.venue, excinfo.value.message) == ("b2trader", message)


def test_bind_without_any_token_or_account_names_them() -> None:
    """Neither token → both variables named; no account id → named with where to find it."""
    values = support.credentials()
    del values["B2TRADER_API_TOKEN"]
    with pytest.raises(ConfigurationError) as excinfo:
        VENUE.bind(VENUE.credentials_from_env(values), {"base_url": support.BASE_URL})
    assert (excinfo.value.venue, excinfo.value.message) == (
        "b2trader",
        "b2trader: B2TRADER_API_TOKEN is not set (the offline API token from the trading terminal), "
        "nor B2TRADER_ACCESS_TOKEN (a ready bearer token)",
    )
    values = support.credentials()
    del values["B2TRADER_ACCOUNT_ID"]
    with pytest.raises(ConfigurationError) as excinfo:
        VENUE.bind(VENUE.credentials_from_env(values), {"base_url": support.BASE_URL})
    assert excinfo.value.message == ("b2trader: B2TRADER_ACCOUNT_ID is not set (from GET /frontoffice/api/v3/accounts)")


def test_an_unknown_config_key_is_refused_by_b2trader() -> None:
    """structure_config's refusal names the venue."""
    with pytest.raises(ConfigurationError) as excinfo:
        _bind({"base_url": support.BASE_URL, "json_numbers": "1"})
    assert excinfo.value.venue == "b2trader"


def test_a_ready_access_token_alone_binds_without_an_exchange() -> None:
    """B2TRADER_ACCESS_TOKEN alone: used as is (initial_token), no token exchange; repr masks it."""
    values = support.credentials(B2TRADER_ACCESS_TOKEN="ready-jwt")
    del values["B2TRADER_API_TOKEN"]
    bound = VENUE.bind(VENUE.credentials_from_env(values), {"base_url": support.BASE_URL})
    assert bound.token_exchange() is None
    token = bound.initial_token()
    assert token is not None
    assert (token.value, token.expires_at_ms) == ("ready-jwt", None)
    assert "api_token=None, access_token='***'" in repr(bound)
    assert "ready-jwt" not in repr(bound)


def test_with_only_an_api_token_there_is_no_initial_token_and_the_exchange_is_labelled() -> None:
    """The API token alone: no initial token; the exchange is an unauthenticated read labelled token."""
    bound = _bind({"base_url": support.BASE_URL, "token_path": "/custom/token"})
    assert bound.initial_token() is None
    assert "api_token='***', access_token=None" in repr(bound)
    exchange = bound.token_exchange()
    assert exchange is not None
    assert (exchange.writes, exchange.authenticated, exchange.label) == (False, False, "token")
    assert exchange.build(CTX).url == "https://trade.broker.invalid/custom/token"


# -- market reads --------------------------------------------------------------------------------


@pytest.mark.parametrize(("ttl", "key"), [(300, "b2trader:market:spot.btc_usdt"), (0, None)])
def test_market_exchange_is_a_cached_read(ttl, key) -> None:
    """Get market: a read labelled market, cached per market for markets_ttl_s (0: never cached)."""
    exchange = _bind({"base_url": support.BASE_URL, "markets_ttl_s": ttl}).market_exchange("spot.btc_usdt")
    assert (exchange.writes, exchange.label, exchange.cache_key, exchange.cache_ttl_s) == (False, "market", key, ttl)
    request = exchange.build(CTX)
    assert (request.method, request.url) == (
        "GET",
        "https://trade.broker.invalid/frontoffice/api/v5/markets/spot.btc_usdt",
    )
    assert request.headers["Authorization"] == "Bearer jwt-test-value"


@pytest.mark.parametrize(("ttl", "key"), [(300, "b2trader:markets"), (0, None)])
def test_markets_list_exchange_is_a_cached_read(ttl, key) -> None:
    """Get markets: a read labelled markets, cached for markets_ttl_s (0: never cached)."""
    exchange = _bind({"base_url": support.BASE_URL, "markets_ttl_s": ttl}).markets_list_exchange()
    assert (exchange.writes, exchange.label, exchange.cache_key, exchange.cache_ttl_s) == (False, "markets", key, ttl)
    request = exchange.build(CTX)
    assert (request.method, request.url) == ("GET", "https://trade.broker.invalid/frontoffice/api/v5/markets")
    specs = exchange.parse(HttpResponse(status=200, body=("[" + support.MARKET_BODY + "]").encode()))
    assert [spec.market_id for spec in specs] == ["spot.btc_usdt"]


def test_markets_by_symbol_leave_out_what_is_not_a_spot_market_of_the_broker() -> None:
    """Symbols read one by one: invalid, derivative and unknown (404) ones are named, unreadable answers too."""
    bound = support.make_bound()
    flow = bound.markets_flow(("BTCUSDT", "cfd.eur_chf", "BTC/USDT", "ETH/USDT", "spot.xrp_usdt"))
    answers = [
        HttpResponse(status=200, body=support.MARKET_BODY.encode()),
        _answer({"title": "Not Found"}, 404),
        _answer({"marketId": "spot.xrp_usdt"}),  # no priceScale: not the documented answer
    ]
    markets, exchanges = _drive(flow, answers)
    assert [request.url.rsplit("/", 1)[-1] for _, request in exchanges] == [
        "spot.btc_usdt",
        "spot.eth_usdt",
        "spot.xrp_usdt",
    ]
    assert markets.venue == "b2trader"
    assert [(m.symbol, m.venue_symbol, m.tick_size, m.lot_size) for m in markets.values()] == [
        ("BTC/USDT", "spot.btc_usdt", Decimal("0.01"), Decimal("0.00001"))
    ]
    assert markets.reason == (
        "not SPOT markets of this broker: BTCUSDT, cfd.eur_chf, ETH/USDT; answers that could not be read: "
        "spot.xrp_usdt (the answer has no priceScale (https://support.xbtfx.com/en/articles/"
        "13886694-rest-api-settings-get-market))"
    )
    assert markets.source == "https://support.xbtfx.com/en/articles/13886694-rest-api-settings-get-market"


def test_markets_listed_keep_the_spot_ones_only() -> None:
    """Get markets (no symbols): one read; only SPOT markets (any case of the type) are kept; no reason."""
    entry = json.loads(support.MARKET_BODY)
    listed = [entry, entry | {"marketId": "cfd.eur_chf"}, entry | {"marketId": "SPOT.eth_usdt"}]
    markets, exchanges = _drive(support.make_bound().markets_flow(None), [_answer(listed)])
    assert [exchange.label for exchange, _ in exchanges] == ["markets"]
    assert [m.venue_symbol for m in markets.values()] == ["spot.btc_usdt", "SPOT.eth_usdt"]
    assert (markets.venue, markets.reason) == ("b2trader", None)


# -- placing ----------------------------------------------------------------------------------------


def test_place_reads_the_market_then_posts_a_write() -> None:
    """place_flow: the market read, then the place write labelled place; the answer is the stop, ACCEPTED."""
    order = support.make_doc_stop()
    state, exchanges = _drive(
        support.make_bound().place_flow(order),
        [
            HttpResponse(status=200, body=support.MARKET_BODY.encode()),
            HttpResponse(status=200, body=support.DOC_RESPONSE_BODY.encode()),
        ],
    )
    assert [(e.label, e.writes, r.method) for e, r in exchanges] == [("market", False, "GET"), ("place", True, "POST")]
    assert (state.status, state.client_order_id) == (OrderStatus.ACCEPTED, "coid-1")


def test_an_unreadable_market_read_warns_once_and_places_unchecked(caplog: pytest.LogCaptureFixture) -> None:
    """A failed Get market never blocks: the order is posted, and one warning per market says why."""
    bound = support.make_bound()
    order = support.make_doc_stop()
    caplog.set_level(logging.WARNING, logger="stopkit.venues.b2trader")
    for _ in range(2):
        state, exchanges = _drive(
            bound.place_flow(order),
            [HttpResponse(status=503), HttpResponse(status=200, body=support.DOC_RESPONSE_BODY.encode())],
        )
        assert [e.label for e, _ in exchanges] == ["market", "place"]
        assert state.status is OrderStatus.ACCEPTED
    assert [record.getMessage() for record in caplog.records] == [
        "b2trader: Get market spot.btc_usdt could not be read (the read failed: b2trader is unavailable (HTTP 503)); "
        "orders on it are placed without the client-side precision check (the venue still refuses a bad order). "
        "Set check_market_precision=false to skip the read."
    ]


def test_the_bound_classifier_passes_writes_on() -> None:
    """bound.classify_error(writes=True) on a 5xx: VenueUnavailable with an unknown outcome."""
    error = support.make_bound().classify_error(HttpResponse(status=503), writes=True)
    assert type(error) is VenueUnavailable
    assert error.outcome_known is False


# -- cancelling -----------------------------------------------------------------------------------


def test_cancel_by_client_order_id_alone_is_refused_by_the_flow() -> None:
    """cancel_flow itself refuses a ref without venue_order_id: stops carry no client order id."""
    with pytest.raises(UnsupportedOrder) as excinfo:
        next(support.make_bound().cancel_flow(OrderRef(client_order_id="coid-1")))
    assert (excinfo.value.venue, excinfo.value.feature) == ("b2trader", "client_order_id")
    assert excinfo.value.message == (
        "b2trader: cancel needs venue_order_id: stop orders carry no client order id, "
        "so one cannot be cancelled by client_order_id"
    )


def test_cancel_deletes_the_stop_as_a_write_and_a_200_is_canceled() -> None:
    """DELETE /stop-orders/{id}, a write labelled cancel; the 200 answer is CANCELED whatever its status text."""
    state, exchanges = _drive(
        support.make_bound().cancel_flow(OrderRef(venue_order_id=STOP["orderId"])), [_answer({"order": STOP})]
    )
    ((exchange, request),) = exchanges
    assert (exchange.writes, exchange.label, request.method) == (True, "cancel", "DELETE")
    assert request.url == f"https://trade.broker.invalid/frontoffice/api/v3/stop-orders/{STOP['orderId']}"
    assert (state.status, state.venue_status, state.reason) == (OrderStatus.CANCELED, "WaitingForActivation", None)


def test_a_cancel_answer_saying_activated_warns_of_an_unknown_child() -> None:
    """Activated in the cancel answer, no child known: CANCELED, and reason says a released order may be live."""
    state, _ = _drive(
        support.make_bound().cancel_flow(OrderRef(venue_order_id=STOP["orderId"])),
        [_answer({"order": STOP | {"status": "Activated"}})],
    )
    assert (state.status, state.venue_status) == (OrderStatus.CANCELED, "Activated")
    assert state.reason == (
        "the cancel answer says Activated: the stop had released a Market/Limit order, unknown to "
        "this client, which may be live (find it on watch_orders, source StopOrder)"
    )


def test_a_cancel_answer_saying_activated_cancels_the_known_child() -> None:
    """Activated in the cancel answer with the child known: the child is cancelled next, and reported."""
    bound = support.make_bound()
    stop = parse_stop_order(STOP | {"status": "Activated"})
    flow = bound.cancel_flow(OrderRef(venue_order_id=STOP["orderId"]))
    first = next(flow)
    first.build(CTX)
    bound.note_activation(stop, CHILD["orderId"])  # the stream sees the child meanwhile
    child = first.parse(_answer({"order": STOP | {"status": "Activated"}}))
    second = flow.send(child)
    request = second.build(CTX)
    assert request.url == f"https://trade.broker.invalid/frontoffice/api/v3/orders/{CHILD['orderId']}"
    with pytest.raises(StopIteration) as done:
        flow.send(second.parse(_answer({"order": CHILD | {"status": "Cancelled"}})))
    state = done.value.value
    assert (state.status, state.raw["stopkit.childOrderId"]) == (OrderStatus.CANCELED, CHILD["orderId"])


def test_a_refused_stop_cancel_turns_to_the_child_the_stream_saw_meanwhile() -> None:
    """A 404 to the stop DELETE (a known outcome) after the stream saw the child: the child is cancelled."""
    bound = support.make_bound()
    flow = bound.cancel_flow(OrderRef(venue_order_id=STOP["orderId"]))
    first = next(flow)
    bound.note_activation(parse_stop_order(STOP | {"status": "Activated"}), CHILD["orderId"])
    with pytest.raises(OrderNotFound) as refused:
        first.parse(_answer({"title": "Not Found"}, 404))
    second = flow.throw(refused.value)
    assert second.build(CTX).url.endswith(f"/frontoffice/api/v3/orders/{CHILD['orderId']}")
    with pytest.raises(StopIteration) as done:
        flow.send(second.parse(_answer({"order": CHILD | {"status": "Cancelled"}})))
    assert done.value.value.raw["stopkit.childOrderId"] == CHILD["orderId"]


def test_a_refused_stop_cancel_without_a_known_child_says_what_may_be_live() -> None:
    """A 404 with no child known: re-raised, with a note on the order an activation would have released."""
    flow = support.make_bound().cancel_flow(OrderRef(venue_order_id="S-1"))
    first = next(flow)
    with pytest.raises(OrderNotFound) as refused:
        first.parse(_answer({"title": "Not Found"}, 404))
    with pytest.raises(OrderNotFound) as excinfo:
        flow.throw(refused.value)
    assert excinfo.value.__notes__ == [
        "if stop S-1 had already activated, the Market/Limit order it released (its own orderId, source StopOrder, "
        "shown by watch_orders) may be live: cancel it with DELETE /frontoffice/api/v3/orders/{orderId} "
        "(https://support.xbtfx.com/en/articles/13885769-rest-api-trading-cancel-order)"
    ]


def test_an_unknown_stop_cancel_outcome_is_not_turned_to_the_child() -> None:
    """A 5xx to the stop DELETE (outcome unknown) is re-raised even when the child is known: nothing more sent."""
    bound = support.make_bound()
    flow = bound.cancel_flow(OrderRef(venue_order_id=STOP["orderId"]))
    first = next(flow)
    bound.note_activation(parse_stop_order(STOP | {"status": "Activated"}), CHILD["orderId"])
    with pytest.raises(VenueUnavailable) as failed:
        first.parse(HttpResponse(status=503))
    assert failed.value.outcome_known is False
    with pytest.raises(VenueUnavailable):
        flow.throw(failed.value)
    assert bound.released_child(STOP["orderId"]) == CHILD["orderId"]


def test_an_unreadable_answer_to_the_stop_cancel_has_an_unknown_outcome() -> None:
    """A 2xx to the stop DELETE that cannot be read: the venue may have cancelled, so the outcome is unknown."""
    flow = support.make_bound().cancel_flow(OrderRef(venue_order_id="S-1"))
    first = next(flow)
    with pytest.raises(ResponseShapeError) as excinfo:
        first.parse(HttpResponse(status=200, body=b"[]"))
    assert excinfo.value.outcome_known is False


def test_a_cancelled_child_reports_its_stop_as_activated() -> None:
    """Whatever state the stop was noted with, the cancel result says Activated: the stop had released a child."""
    bound = support.make_bound()
    placed = parse_stop_order(STOP)  # ACCEPTED, WaitingForActivation
    bound.note_activation(placed, CHILD["orderId"])
    state, exchanges = _drive(
        bound.cancel_flow(OrderRef(venue_order_id=STOP["orderId"])),
        [_answer({"order": CHILD | {"status": "Cancelled"}})],
    )
    assert [request.url.rsplit("/", 2)[-2] for _, request in exchanges] == ["orders"]
    assert (state.status, state.venue_status) == (OrderStatus.CANCELED, "Activated")


# -- more of binding, reads and the child cancel ---------------------------------------------------------


@pytest.mark.parametrize(
    ("url", "normalized"),
    [("https://trade.example/api-X/", "https://trade.example/api-X"), ("  http://h.example//  ", "http://h.example")],
)
def test_base_url_loses_only_its_trailing_slashes_and_spaces(url, normalized) -> None:
    """The base URL is kept as given but for surrounding spaces and trailing slashes."""
    assert _bind({"base_url": url}).base_url == normalized


def test_a_base_url_that_cannot_be_split_is_a_configuration_error() -> None:
    """A malformed host (an unclosed IPv6 bracket) is refused as configuration, not a crash."""
    with pytest.raises(ConfigurationError) as excinfo:
        _bind({"base_url": "https://[::1"})
    assert excinfo.value.message == (
        "b2trader: base_url must be an http(s) URL like https://trade.example-broker.com, got 'https://[::1'"
    )


def test_the_bound_venues_attributes_show_tokens_masked() -> None:
    """vars(bound) shows each held token as '***' (what a debugger or a log of the object prints)."""
    text = repr(vars(support.make_bound()))
    assert "'_api_token': '***'" in text
    assert support.API_TOKEN not in text


def test_a_ready_jwt_access_token_expires_at_its_exp() -> None:
    """B2TRADER_ACCESS_TOKEN as a JWT: its exp claim (seconds) is the token's expiry in ms."""
    token = jwt.encode({"sub": "acc", "exp": 1_755_191_245}, b"k" * 32, algorithm="HS256")
    bound = _bind({"base_url": support.BASE_URL}, B2TRADER_ACCESS_TOKEN=token)
    initial = bound.initial_token()
    assert initial is not None
    assert (initial.value, initial.expires_at_ms) == (token, 1_755_191_245_000)


def test_a_one_second_ttl_still_caches_market_reads() -> None:
    """markets_ttl_s=1 caches both reads for one second (only 0 turns caching off)."""
    bound = _bind({"base_url": support.BASE_URL, "markets_ttl_s": 1})
    assert bound.market_exchange("spot.btc_usdt").cache_key == "b2trader:market:spot.btc_usdt"
    assert bound.markets_list_exchange().cache_key == "b2trader:markets"


def test_several_unreadable_market_answers_are_listed_apart() -> None:
    """Each unreadable answer is named with its problem, separated by '; '."""
    markets, _ = _drive(
        support.make_bound().markets_flow(("spot.a_usdt", "spot.b_usdt")),
        [_answer([]), _answer({"marketId": "spot.b_usdt"})],
    )
    assert len(markets) == 0
    assert markets.reason == (
        "answers that could not be read: "
        "spot.a_usdt (the answer is not a market object (https://support.xbtfx.com/en/articles/"
        "13886694-rest-api-settings-get-market)); "
        "spot.b_usdt (the answer has no priceScale (https://support.xbtfx.com/en/articles/"
        "13886694-rest-api-settings-get-market))"
    )


def test_the_bound_classifier_treats_an_error_as_a_reads_by_default() -> None:
    """bound.classify_error without writes: a 5xx keeps a known outcome."""
    error = support.make_bound().classify_error(HttpResponse(status=503))
    assert type(error) is VenueUnavailable
    assert error.outcome_known is True


def test_a_refused_child_cancel_says_the_child_may_be_live() -> None:
    """A refused DELETE of the child: re-raised with a note naming the stop and the child to check."""
    bound = support.make_bound()
    bound.note_activation(parse_stop_order(STOP | {"status": "Activated"}), "C-9")
    flow = bound.cancel_flow(OrderRef(venue_order_id=STOP["orderId"]))
    exchange = next(flow)
    with pytest.raises(OrderNotFound) as refused:
        exchange.parse(_answer({"title": "Not Found"}, 404))
    with pytest.raises(OrderNotFound) as excinfo:
        flow.throw(refused.value)
    assert excinfo.value.__notes__ == [
        f"stop {STOP['orderId']} had activated and released order C-9; that order could not be "
        "cancelled: it may have filled or may still be live, check it"
    ]


def test_two_cancels_of_the_same_activated_stop_both_finish() -> None:
    """Two cancels in flight for one activated stop: both cancel the child and return; neither fails."""
    bound = support.make_bound()
    bound.note_activation(parse_stop_order(STOP | {"status": "Activated"}), CHILD["orderId"])
    flows = [bound.cancel_flow(OrderRef(venue_order_id=STOP["orderId"])) for _ in range(2)]
    exchanges = [next(flow) for flow in flows]
    answer = _answer({"order": CHILD | {"status": "Cancelled"}})
    for flow, exchange in zip(flows, exchanges, strict=True):
        with pytest.raises(StopIteration) as done:
            flow.send(exchange.parse(answer))
        assert done.value.value.status is OrderStatus.CANCELED
    assert bound.released_child(STOP["orderId"]) is None


@pytest.mark.parametrize(
    ("child_updated", "expected"),
    [
        ("2025-08-14T16:09:00.5Z", datetime(2025, 8, 14, 16, 9, 0, 500000, tzinfo=UTC)),
        (None, datetime(2025, 8, 14, 16, 7, 25, 819304, tzinfo=UTC)),  # the stop's own updatedAt
    ],
)
def test_the_stop_after_a_child_cancel_is_updated_when_the_child_was(child_updated, expected) -> None:
    """updated_at of the returned stop: the child's, or the stop's own when the child has none."""
    bound = support.make_bound()
    bound.note_activation(parse_stop_order(STOP | {"status": "Activated"}), CHILD["orderId"])
    state, _ = _drive(
        bound.cancel_flow(OrderRef(venue_order_id=STOP["orderId"])),
        [_answer({"order": CHILD | {"status": "Cancelled", "updatedAt": child_updated}})],
    )
    assert state.updated_at == expected
