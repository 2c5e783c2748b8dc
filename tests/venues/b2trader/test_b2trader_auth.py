"""B2TRADER auth, config, capabilities and unsupported operations."""

from __future__ import annotations

import json

import b2trader_support as support
import jwt
import pytest

import stopkit
from stopkit import (
    AuthenticationError,
    ConfigurationError,
    HttpRequest,
    HttpResponse,
    RequestContext,
    ResponseShapeError,
    StopOrder,
    UnsupportedOrder,
    VenueUnavailable,
)
from stopkit.testing import MockTransport
from stopkit_venues.b2trader import VENUE
from stopkit_venues.b2trader.adapter import B2TraderBound
from stopkit_venues.b2trader.auth import jwt_expiry_ms


@pytest.fixture
def b2t() -> type[support.B2TData]:
    """Constants and helpers of the B2TRADER tests."""
    return support.B2TData


@pytest.fixture
def bound() -> B2TraderBound:
    """B2TRADER bound to test credentials."""
    return support.make_bound()


@pytest.fixture
def doc_stop() -> StopOrder:
    """The documented example stop-market."""
    return support.make_doc_stop()


KEY = b"k" * 32


def _jwt(claims: dict) -> str:
    return jwt.encode(claims, KEY, algorithm="HS256")


def _token_answer(token: object, status: int = 200) -> HttpResponse:
    return HttpResponse(status=status, body=json.dumps({"accessToken": token}).encode())


# -- token exchange ----------------------------------------------------------------------


def test_token_request_exact(bound, b2t) -> None:
    """POST /frontoffice/api/v4/access-token, Content-Type application/json, body {"token": ...}; not authenticated."""
    exchange = bound.token_exchange(None)
    assert exchange.authenticated is False
    assert exchange.writes is False
    request = exchange.build(RequestContext(now_ms=0))
    assert request.method == "POST"
    assert request.url == "https://trade.broker.invalid/frontoffice/api/v4/access-token"
    assert dict(request.headers) == {"Content-Type": "application/json"}
    assert request.body == b'{"token":"' + b2t.API_TOKEN.encode() + b'"}'
    assert b2t.API_TOKEN not in repr(request)  # the body holds the API token: masked


def test_refresh_is_the_same_exchange(bound) -> None:
    """Refreshing re-exchanges the same API token (there is no refresh token)."""
    first = bound.token_exchange(None).build(RequestContext(now_ms=0))
    again = bound.token_exchange(stopkit.AccessToken("old", 1)).build(RequestContext(now_ms=5))
    assert (first.url, first.body) == (again.url, again.body)


def test_token_expiry_from_jwt_exp(bound) -> None:
    """The JWT exp claim (seconds) becomes expires_at_ms, read without verifying the signature."""
    token = _jwt({"sub": "acc", "exp": 1_755_191_245})
    grant = bound.token_exchange().parse(_token_answer(token))
    assert grant.access_token == token
    assert grant.expires_at_ms == 1_755_191_245_000
    assert grant.to_token(issued_at_ms=1).expires_at_ms == 1_755_191_245_000


def test_expired_jwt_is_still_read(bound) -> None:
    """exp is read even when in the past (the client decides; nothing here checks the clock)."""
    assert bound.token_exchange().parse(_token_answer(_jwt({"exp": 100}))).expires_at_ms == 100_000


@pytest.mark.parametrize("token", ["opaque-access-token", _jwt({"sub": "acc"}), _jwt({"exp": "soon"}), "a.b.c"])
def test_default_lifetime_is_sixty_minutes(bound, token) -> None:
    """No usable exp (not a JWT, absent, not a number) → 60-minute default lifetime."""
    grant = bound.token_exchange().parse(_token_answer(token))
    assert grant.expires_at_ms is None
    assert grant.default_lifetime_s == 3600
    assert grant.to_token(issued_at_ms=1_000).expires_at_ms == 1_000 + 3_600_000


def test_jwt_expiry_helper() -> None:
    """jwt_expiry_ms never raises."""
    assert jwt_expiry_ms(_jwt({"exp": 2})) == 2000
    assert jwt_expiry_ms("") is None
    assert jwt_expiry_ms(_jwt({"exp": True})) is None
    # JSON allows Infinity/NaN through Python's parser: still no exception.
    header = "eyJhbGciOiJub25lIn0"  # {"alg":"none"}
    for payload in ("eyJleHAiOkluZmluaXR5fQ", "eyJleHAiOk5hTn0"):  # {"exp":Infinity}, {"exp":NaN}
        assert jwt_expiry_ms(f"{header}.{payload}.") is None


def test_token_401_is_authentication_error_without_body(bound) -> None:
    """A refused API token → AuthenticationError; the answer body is not attached."""
    response = HttpResponse(status=401, body=b'{"title":"Unauthorized","detail":"SECRET-ECHO"}')
    with pytest.raises(AuthenticationError) as excinfo:
        bound.token_exchange().parse(response)
    assert excinfo.value.raw_body is None
    assert excinfo.value.venue_message is None
    assert "SECRET-ECHO" not in str(excinfo.value) + repr(excinfo.value)
    assert "B2TRADER_API_TOKEN" in str(excinfo.value)


@pytest.mark.parametrize(
    ("status", "error_type"), [(403, AuthenticationError), (500, VenueUnavailable), (429, stopkit.RateLimited)]
)
def test_token_errors_never_carry_the_body(bound, status, error_type) -> None:
    """Other token-endpoint failures: classified by status, body dropped."""
    with pytest.raises(error_type) as excinfo:
        bound.token_exchange().parse(HttpResponse(status=status, body=b'{"accessToken":"LEAK"}'))
    assert excinfo.value.raw_body is None
    assert "LEAK" not in str(excinfo.value) + repr(excinfo.value)


@pytest.mark.parametrize("body", [b"<html>ok</html>", b'{"access_token":"LEAK"}', b'{"accessToken":""}', b"[]"])
def test_token_answer_without_access_token_is_a_shape_error(bound, body) -> None:
    """A 200 without a usable accessToken → ResponseShapeError, body not attached."""
    with pytest.raises(ResponseShapeError) as excinfo:
        bound.token_exchange().parse(HttpResponse(status=200, body=body))
    assert excinfo.value.raw_body is None
    assert "LEAK" not in str(excinfo.value)


def test_grant_repr_masks_the_token(bound) -> None:
    """The grant never shows the access token."""
    grant = bound.token_exchange().parse(_token_answer("VISIBLE-TOKEN"))
    assert "VISIBLE-TOKEN" not in repr(grant) + str(grant)


# -- bind / config -----------------------------------------------------------------------


def test_env_vars_and_credentials_from_env(b2t) -> None:
    """The four variables; both tokens are secrets (one of them is needed); collected from an environ mapping."""
    assert {(v.name, v.required, v.secret) for v in VENUE.env_vars} == {
        ("B2TRADER_API_TOKEN", False, True),
        ("B2TRADER_ACCESS_TOKEN", False, True),
        ("B2TRADER_ACCOUNT_ID", True, False),
        ("B2TRADER_BASE_URL", False, False),
    }
    creds = VENUE.credentials_from_env(b2t.credentials(B2TRADER_BASE_URL="https://env.invalid", OTHER="x"))
    assert sorted(creds.values) == ["B2TRADER_ACCOUNT_ID", "B2TRADER_API_TOKEN", "B2TRADER_BASE_URL"]
    assert VENUE.bind(creds).base_url == "https://env.invalid"


def test_config_base_url_overrides_env(b2t) -> None:
    """config base_url wins over B2TRADER_BASE_URL; a trailing slash is dropped."""
    creds = VENUE.credentials_from_env(b2t.credentials(B2TRADER_BASE_URL="https://env.invalid"))
    assert VENUE.bind(creds, {"base_url": "https://cfg.invalid/prefix/"}).base_url == "https://cfg.invalid/prefix"


def test_base_url_is_required(b2t) -> None:
    """No default host: every broker has its own."""
    with pytest.raises(ConfigurationError, match="B2TRADER_BASE_URL"):
        VENUE.bind(VENUE.credentials_from_env(b2t.credentials()))


@pytest.mark.parametrize("url", ["trade.broker.invalid", "ftp://x.invalid", "https://", "https://x.invalid/?a=1"])
def test_bad_base_url(b2t, url) -> None:
    """Only http(s) URLs without query or fragment."""
    with pytest.raises(ConfigurationError, match="base_url"):
        VENUE.bind(VENUE.credentials_from_env(b2t.credentials()), {"base_url": url})


def test_unknown_config_key(b2t) -> None:
    """Unknown keys are refused, naming the known ones."""
    with pytest.raises(ConfigurationError, match="json_numbers"):
        VENUE.bind(VENUE.credentials_from_env(b2t.credentials()), {"base_url": b2t.BASE_URL, "json_numbers": "1"})


@pytest.mark.parametrize("missing", ["B2TRADER_API_TOKEN", "B2TRADER_ACCOUNT_ID"])
def test_missing_credentials(b2t, missing) -> None:
    """Each required variable is named when missing."""
    values = b2t.credentials()
    del values[missing]
    with pytest.raises(ConfigurationError, match=missing):
        VENUE.bind(VENUE.credentials_from_env(values), {"base_url": b2t.BASE_URL})


@pytest.mark.parametrize("account", ["685a 7eaa", "acc\r\nX-Injected: 1", "é"])
def test_bad_account_id_is_refused_without_echo(b2t, account) -> None:
    """The account id goes into a header: visible ASCII only; the value is not echoed."""
    with pytest.raises(ConfigurationError) as excinfo:
        VENUE.bind(VENUE.credentials_from_env(b2t.credentials(B2TRADER_ACCOUNT_ID=account)), {"base_url": b2t.BASE_URL})
    assert account not in str(excinfo.value)


def test_api_token_with_spaces_is_refused_without_echo(b2t) -> None:
    """A pasted token with a trailing newline is refused; the token is not echoed."""
    with pytest.raises(ConfigurationError) as excinfo:
        VENUE.bind(
            VENUE.credentials_from_env(b2t.credentials(B2TRADER_API_TOKEN="tok-123\n")), {"base_url": b2t.BASE_URL}
        )
    assert "tok-123" not in str(excinfo.value)


def test_bound_repr_hides_the_api_token(bound, b2t) -> None:
    """repr(bound) and vars() reprs never show the API token."""
    assert b2t.API_TOKEN not in repr(bound)
    assert b2t.API_TOKEN not in repr(vars(bound))


# -- capabilities and unsupported operations ------------------------------------------------


def test_capabilities() -> None:
    """Both kinds, DEFAULT trigger, five TIFs, all position effects, cancel only."""
    assert VENUE.capabilities.as_dict() == {
        "order_kinds": ["stop-limit", "stop-market"],
        "trigger_types": ["DEFAULT"],
        "time_in_force": ["DAY", "FOK", "GTC", "GTD", "IOC"],
        "position_effects": ["CLOSE", "DEFAULT", "OPEN"],
        "whole_position_quantity": False,
        "client_order_id": False,
        "get_order": False,
        "list_open_orders": False,
        "cancel": True,
        "modify": False,
        "reports_trigger": True,
    }


def test_registered_through_the_entry_point() -> None:
    """stopkit finds the adapter by name."""
    assert stopkit.get_venue("b2trader") is VENUE
    assert VENUE.doc_url.startswith("https://api-docs.b2trader.b2broker.com/")


def _no_network(request: HttpRequest) -> HttpResponse:
    raise AssertionError(f"unexpected request {request.method} {request.url}")


async def test_get_and_open_orders_are_unsupported(b2t) -> None:
    """No documented read endpoint: get and open_orders raise before any I/O."""
    transport = MockTransport(_no_network)
    async with stopkit.connect(
        "b2trader", credentials=b2t.credentials(), config={"base_url": b2t.BASE_URL}, transport=transport
    ) as client:
        with pytest.raises(UnsupportedOrder, match=r"docs/venues/b2trader\.md") as excinfo:
            await client.get(venue_order_id="01K2MNC3BVR5WRTBEE9YWAS91K")
        assert excinfo.value.feature == "get_order"
        with pytest.raises(UnsupportedOrder, match="no documented endpoint lists or fetches stop orders"):
            await client.open_orders("spot.btc_usdt")
    assert transport.sent == []


async def test_cancel_by_client_order_id_is_unsupported(b2t) -> None:
    """Stops carry no client order id: cancelling by one alone is UnsupportedOrder, nothing sent."""
    transport = MockTransport(_no_network)
    async with stopkit.connect(
        "b2trader", credentials=b2t.credentials(), config={"base_url": b2t.BASE_URL}, transport=transport
    ) as client:
        with pytest.raises(UnsupportedOrder, match="client order id") as excinfo:
            await client.cancel(client_order_id="coid-1")
    assert excinfo.value.feature == "client_order_id"
    assert transport.sent == []


async def test_client_exchanges_token_then_places_with_it(b2t, doc_stop) -> None:
    """Through the client: token exchange, Get market, then the place request, both bearing that token."""
    token = _jwt({"sub": b2t.ACCOUNT_ID, "exp": 4_000_000_000})

    def answer(request: HttpRequest) -> HttpResponse:
        if request.url.endswith("/access-token"):
            return _token_answer(token)
        if "/markets/" in request.url:
            return HttpResponse(status=200, body=b2t.MARKET_BODY.encode())
        return HttpResponse(status=200, body=b2t.DOC_RESPONSE_BODY.encode())

    transport = MockTransport(answer)
    async with stopkit.connect(
        "b2trader", credentials=b2t.credentials(), config={"base_url": b2t.BASE_URL}, transport=transport
    ) as client:
        state = await client.place(doc_stop)
    assert [r.url.rsplit("/", 1)[1] for r in transport.sent] == ["access-token", "spot.btc_usdt", "stop-orders"]
    assert transport.sent[1].headers["Authorization"] == f"Bearer {token}"
    assert transport.sent[2].headers["Authorization"] == f"Bearer {token}"
    assert state.status is stopkit.OrderStatus.ACCEPTED
    assert client.last_state(client_order_id="coid-1") == state
