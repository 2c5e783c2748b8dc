"""Aries: credentials, config, the token request (form as the SDK sends it, or JSON) and secret hygiene."""

from __future__ import annotations

import json
from urllib.parse import parse_qsl

import pytest
from aries_testdata import ACCOUNT, CLIENT_ID, CLIENT_SECRET, REFRESH_TOKEN, STATIC_TOKEN, bound

from stopkit.context import AccessToken, RequestContext, TokenGrant
from stopkit.errors import (
    AuthenticationError,
    ConfigurationError,
    RateLimited,
    ResponseShapeError,
    StopkitError,
    VenueUnavailable,
)
from stopkit.venue import Credentials
from stopkit.wire import HttpResponse
from stopkit_venues.aries import VENUE
from stopkit_venues.aries.adapter import AriesBoundVenue

CTX = RequestContext(now_ms=0)
ISSUED = "issued-access-token-0f9e8d"
ISSUED_REFRESH = "issued-refresh-token-1a2b3c"


def _bind(values: dict[str, str], config: dict[str, object] | None = None) -> AriesBoundVenue:
    return VENUE.bind(Credentials("aries", values), config)


def test_aries_env_vars_declared() -> None:
    """Secrets are flagged secret; the account id is required."""
    by_name = {v.name: v for v in VENUE.env_vars}
    assert by_name["ARIES_ACCESS_TOKEN"].secret
    assert by_name["ARIES_CLIENT_SECRET"].secret
    assert by_name["ARIES_REFRESH_TOKEN"].secret
    assert not by_name["ARIES_CLIENT_ID"].secret
    assert by_name["ARIES_ACCOUNT_ID"].required


@pytest.mark.parametrize(
    ("values", "needle"),
    [
        ({"ARIES_ACCESS_TOKEN": STATIC_TOKEN}, "ARIES_ACCOUNT_ID"),
        ({"ARIES_ACCOUNT_ID": ACCOUNT}, "ARIES_ACCESS_TOKEN"),
        ({"ARIES_ACCOUNT_ID": ACCOUNT, "ARIES_CLIENT_ID": CLIENT_ID}, "ARIES_CLIENT_SECRET"),
        ({"ARIES_ACCOUNT_ID": ACCOUNT, "ARIES_CLIENT_SECRET": CLIENT_SECRET}, "ARIES_CLIENT_ID"),
        ({"ARIES_ACCOUNT_ID": ACCOUNT, "ARIES_ACCESS_TOKEN": STATIC_TOKEN, "ARIES_REFRESH_TOKEN": REFRESH_TOKEN},
         "ARIES_REFRESH_TOKEN"),
        ({"ARIES_ACCOUNT_ID": ACCOUNT, "ARIES_ACCESS_TOKEN": "has space " + STATIC_TOKEN}, "ARIES_ACCESS_TOKEN"),
        ({"ARIES_ACCOUNT_ID": "A" * 51, "ARIES_ACCESS_TOKEN": STATIC_TOKEN}, "ARIES_ACCOUNT_ID"),
    ],
)  # fmt: skip
def test_aries_bind_rejects_incomplete_credentials(values: dict[str, str], needle: str) -> None:
    """Missing or half-configured credentials → ConfigurationError naming the variable, never a value."""
    with pytest.raises(ConfigurationError) as info:
        _bind(values)
    assert needle in str(info.value)
    for secret in (STATIC_TOKEN, CLIENT_SECRET, REFRESH_TOKEN):
        assert secret not in str(info.value)


@pytest.mark.parametrize(
    "config",
    [
        {"token_encoding": "xml"},
        {"base_url": "ftp://x"},
        {"fractional_shares": "maybe"},
        {"history_lookback_days": "91"},
        {"history_lookback_days": "0"},
        {"history_max_pages": "0"},
        {"history_max_pages": "101"},
        {"token_scope": "order:execution\norder:information"},
        {"token_scope": 'order"execution'},
        {"token_scope": " order:execution"},
        {"reconcile_clock_skew_ms": "-1"},
        {"reconcile_clock_skew_ms": "600001"},
        {"unknown_key": 1},
    ],
)
def test_aries_bad_config(config: dict[str, object]) -> None:
    """Bad config values → ConfigurationError."""
    with pytest.raises(ConfigurationError):
        _bind({"ARIES_ACCOUNT_ID": ACCOUNT, "ARIES_ACCESS_TOKEN": STATIC_TOKEN}, config)


def test_aries_config_defaults_and_strings() -> None:
    """Defaults: the SDK's form token body with both order scopes, 90 days of history; CLI strings convert."""
    venue = _bind({"ARIES_ACCOUNT_ID": ACCOUNT, "ARIES_ACCESS_TOKEN": STATIC_TOKEN})
    assert venue.config.base_url == "https://api.aries.com"
    assert venue.config.token_encoding == "form"
    assert venue.config.token_scope == "order:execution order:information"
    assert venue.config.fractional_shares is False
    assert venue.config.extended_hours is False
    assert (venue.config.history_lookback_days, venue.config.history_max_pages) == (90, 20)
    venue = _bind(
        {"ARIES_ACCOUNT_ID": ACCOUNT, "ARIES_ACCESS_TOKEN": STATIC_TOKEN},
        {"token_encoding": "json", "fractional_shares": "yes", "history_lookback_days": "7", "token_scope": ""},
    )
    assert (venue.config.token_encoding, venue.config.fractional_shares) == ("json", True)
    assert venue.config.history_lookback_days == 7
    assert venue.config.token_scope == ""


def test_aries_static_token_only() -> None:
    """A static token is the initial token (unknown expiry); there is no exchange."""
    venue = _bind({"ARIES_ACCOUNT_ID": ACCOUNT, "ARIES_ACCESS_TOKEN": STATIC_TOKEN})
    token = venue.initial_token()
    assert token is not None
    assert token.value == STATIC_TOKEN
    assert token.expires_at_ms is None
    assert venue.token_exchange(None) is None
    assert venue.token_exchange(token) is None


def test_aries_client_credentials_form_request() -> None:
    """Default: a form body with scope, as the SDK sends it; POST /v1/oauth2/token, unauthenticated."""
    venue = _bind({"ARIES_ACCOUNT_ID": ACCOUNT, "ARIES_CLIENT_ID": CLIENT_ID, "ARIES_CLIENT_SECRET": CLIENT_SECRET})
    assert venue.initial_token() is None
    exchange = venue.token_exchange(None)
    assert exchange is not None
    assert not exchange.authenticated
    assert not exchange.writes
    request = exchange.build(CTX)
    assert request.method == "POST"
    assert request.url == "https://api.aries.com/v1/oauth2/token"
    assert request.headers["Content-Type"] == "application/x-www-form-urlencoded"
    assert "Authorization" not in request.headers
    assert request.body == (
        b"grant_type=client_credentials&client_id=test-client-id&client_secret=test-client-secret-7d1f0c"
        b"&scope=order%3Aexecution+order%3Ainformation"
    )


def test_aries_client_credentials_json_request_by_setting() -> None:
    """token_encoding=json: the docs page's JSON body; token_scope sets the scope ("" sends none)."""
    values = {"ARIES_ACCOUNT_ID": ACCOUNT, "ARIES_CLIENT_ID": CLIENT_ID, "ARIES_CLIENT_SECRET": CLIENT_SECRET}
    exchange = _bind(values, {"token_encoding": "json", "token_scope": "order:execution"}).token_exchange(None)
    assert exchange is not None
    request = exchange.build(CTX)
    assert request.headers["Content-Type"] == "application/json"
    assert request.body == (
        b'{"grant_type":"client_credentials","client_id":"test-client-id","client_secret":"test-client-secret-7d1f0c",'
        b'"scope":"order:execution"}'
    )
    exchange = _bind(values, {"token_scope": ""}).token_exchange(None)
    assert exchange is not None
    assert b"scope" not in (exchange.build(CTX).body or b"")


def _grant_fields(venue: AriesBoundVenue, previous: AccessToken | None, encoding: str) -> dict[str, str]:
    # The token request's fields, decoded from either encoding.
    exchange = venue.token_exchange(previous)
    assert exchange is not None
    body = exchange.build(CTX).body
    assert body is not None
    return dict(json.loads(body)) if encoding == "json" else dict(parse_qsl(body.decode()))


@pytest.mark.parametrize("encoding", ["json", "form"])
def test_aries_token_exchange_grant_choice(encoding: str) -> None:
    """A previous refresh token → refresh grant with it; a token without one → ARIES_REFRESH_TOKEN;
    None ("start from the credentials") → client_credentials, never the env refresh token."""
    venue = _bind(
        {
            "ARIES_ACCOUNT_ID": ACCOUNT,
            "ARIES_CLIENT_ID": CLIENT_ID,
            "ARIES_CLIENT_SECRET": CLIENT_SECRET,
            "ARIES_REFRESH_TOKEN": REFRESH_TOKEN,
        },
        {"token_encoding": encoding},
    )
    client = {"client_id": CLIENT_ID, "client_secret": CLIENT_SECRET}
    scope = {"scope": "order:execution order:information"}
    assert _grant_fields(venue, None, encoding) == {"grant_type": "client_credentials", **client, **scope}
    assert _grant_fields(venue, AccessToken(STATIC_TOKEN), encoding) == {
        "grant_type": "refresh_token", **client, "refresh_token": REFRESH_TOKEN
    }  # fmt: skip
    assert _grant_fields(venue, AccessToken("old", 1, refresh_token=ISSUED_REFRESH), encoding) == {
        "grant_type": "refresh_token", **client, "refresh_token": ISSUED_REFRESH
    }  # fmt: skip


def test_aries_token_exchange_without_env_refresh_token() -> None:
    """With no ARIES_REFRESH_TOKEN, a token without a refresh token is replaced by client_credentials."""
    venue = _bind({"ARIES_ACCOUNT_ID": ACCOUNT, "ARIES_CLIENT_ID": CLIENT_ID, "ARIES_CLIENT_SECRET": CLIENT_SECRET})
    assert _grant_fields(venue, AccessToken(STATIC_TOKEN), "form")["grant_type"] == "client_credentials"
    assert _grant_fields(venue, None, "form")["grant_type"] == "client_credentials"


def test_aries_initial_grant_refresh_token() -> None:
    """initial_grant=refresh_token starts from ARIES_REFRESH_TOKEN (clients without client_credentials)."""
    values = {
        "ARIES_ACCOUNT_ID": ACCOUNT,
        "ARIES_CLIENT_ID": CLIENT_ID,
        "ARIES_CLIENT_SECRET": CLIENT_SECRET,
        "ARIES_REFRESH_TOKEN": REFRESH_TOKEN,
    }
    venue = _bind(values, {"initial_grant": "refresh_token"})
    assert _grant_fields(venue, None, "form")["refresh_token"] == REFRESH_TOKEN
    del values["ARIES_REFRESH_TOKEN"]
    with pytest.raises(ConfigurationError) as info:
        _bind(values, {"initial_grant": "refresh_token"})
    assert "ARIES_REFRESH_TOKEN" in str(info.value)
    with pytest.raises(ConfigurationError):
        _bind(values, {"initial_grant": "password"})


def _token_answer(**changes: object) -> HttpResponse:
    body: dict[str, object] = {
        "access_token": ISSUED,
        "expires_in": 3600,
        "refresh_token": ISSUED_REFRESH,
        "refresh_token_expires_in": 2592000,
        "scope": "order:execution order:information",
        "token_type": "Bearer",
    }
    body.update(changes)
    return HttpResponse(status=200, body=json.dumps({k: v for k, v in body.items() if v is not None}).encode())


def test_aries_parse_token_answer() -> None:
    """access_token, expires_in (s) and refresh_token become a TokenGrant; reprs mask them."""
    exchange = bound().token_exchange(None)
    assert exchange is not None
    grant = exchange.parse(_token_answer())
    assert isinstance(grant, TokenGrant)
    assert (grant.access_token, grant.expires_in_s, grant.refresh_token) == (ISSUED, 3600.0, ISSUED_REFRESH)
    token = grant.to_token(1_000)
    assert token.expires_at_ms == 3_601_000
    assert token.refresh_token == ISSUED_REFRESH
    for text in (repr(grant), str(grant), repr(token), str(token)):
        assert ISSUED not in text
        assert ISSUED_REFRESH not in text


def _assert_clean(exc: StopkitError) -> None:
    # Nothing from a token body (or a configured secret) in any rendering of the error.
    rendered = " ".join(
        str(x) for x in (str(exc), repr(exc), exc.raw_body, exc.venue_message, exc.message, exc.venue_code)
    )
    for secret in (ISSUED, ISSUED_REFRESH, CLIENT_SECRET, STATIC_TOKEN, REFRESH_TOKEN):
        assert secret not in rendered
    assert exc.raw_body is None


@pytest.mark.parametrize(
    ("response", "expected"),
    [
        (_token_answer(token_type="mac"), ResponseShapeError),
        (_token_answer(expires_in="soon"), ResponseShapeError),
        (_token_answer(expires_in=-5), ResponseShapeError),
        (_token_answer(access_token=None), ResponseShapeError),
        (_token_answer(refresh_token=12), ResponseShapeError),
        (HttpResponse(status=200, body=b"access_token=" + ISSUED.encode()), ResponseShapeError),
        (HttpResponse(status=401, body=b'{"error":{"type":"AUTHENTICATION","code":"invalid_client",'
                                       b'"message":"client ' + CLIENT_SECRET.encode() + b' unknown"}}'),
         AuthenticationError),
        (HttpResponse(status=400, body=b'{"error":"invalid_grant","error_description":"' + ISSUED_REFRESH.encode()
                                       + b'"}'), AuthenticationError),
        (HttpResponse(status=429, headers={"Retry-After": "3"}, body=b'{"access_token":"' + ISSUED.encode() + b'"}'),
         RateLimited),
        (HttpResponse(status=502, body=ISSUED.encode()), VenueUnavailable),
        (HttpResponse(status=302, body=ISSUED.encode()), ResponseShapeError),
    ],
)  # fmt: skip
def test_aries_token_errors_never_carry_the_body(response: HttpResponse, expected: type[StopkitError]) -> None:
    """Every token-endpoint failure raises without the body (it may hold tokens)."""
    exchange = bound().token_exchange(None)
    assert exchange is not None
    with pytest.raises(expected) as info:
        exchange.parse(response)
    _assert_clean(info.value)


def test_aries_token_error_code_is_kept_when_code_shaped() -> None:
    """A 401's error code (not its message) is kept for diagnosis."""
    exchange = bound().token_exchange(None)
    assert exchange is not None
    with pytest.raises(AuthenticationError) as info:
        exchange.parse(HttpResponse(status=401, body=b'{"error":{"type":"AUTHENTICATION","code":"invalid_client"}}'))
    assert info.value.venue_code == "invalid_client"
    assert info.value.http_status == 401


def test_aries_bound_venue_repr_has_no_secrets() -> None:
    """The bound venue and its credentials never show secret values."""
    venue = _bind(
        {
            "ARIES_ACCOUNT_ID": ACCOUNT,
            "ARIES_ACCESS_TOKEN": STATIC_TOKEN,
            "ARIES_CLIENT_ID": CLIENT_ID,
            "ARIES_CLIENT_SECRET": CLIENT_SECRET,
            "ARIES_REFRESH_TOKEN": REFRESH_TOKEN,
        }
    )
    for text in (repr(venue), str(venue), repr(Credentials("aries", {"ARIES_CLIENT_SECRET": CLIENT_SECRET}))):
        for secret in (STATIC_TOKEN, CLIENT_SECRET, REFRESH_TOKEN):
            assert secret not in text
