"""B2TRADER authentication (pure): the API-token → access-token exchange and the request headers.

No official page documents how the bearer JWT is obtained. The trading terminal's Settings
offer "API token management: Generate and manage tokens for accessing the Trading API"
(https://trader-docs.b2trader.b2broker.com/get-started/settings). The exchange used by
default comes from third-party code only (weak evidence: GitHub ``oualiabdox-byte/glitch``,
``execution/b2trader_adapter.py``)::

    POST {base_url}{token_path}            (default /frontoffice/api/v4/access-token)
    Content-Type: application/json
    {"token": "<API token>"}          →   {"accessToken": "<JWT>"}

Refreshing means re-exchanging the same API token. Brokers with another login flow set
``token_path`` or hand out the bearer token directly (``B2TRADER_ACCESS_TOKEN``; see the
adapter). The lifetime comes from the JWT's ``exp`` claim, read without verifying the
signature (the venue verifies it); without one, 60 minutes is assumed (weak evidence).
"""

from __future__ import annotations

import json
import math
from collections.abc import Mapping
from typing import Any

import jwt

from stopkit.plugin import (
    AccessToken,
    AuthenticationError,
    HttpRequest,
    HttpResponse,
    ResponseShapeError,
    StopkitError,
    TokenGrant,
    compact_json,
    server_time_ms,
)
from stopkit_venues.b2trader.constants import (
    ACCEPT,
    DEFAULT_TOKEN_LIFETIME_S,
    DEFAULT_TOKEN_PATH,
    ENV_API_TOKEN,
    HEADER_ACCOUNT_ID,
    STOP_CONTENT_TYPE,
    TOKEN_CONTENT_TYPE,
    VENUE_NAME,
)
from stopkit_venues.b2trader.parse import classify_status

__all__ = [
    "build_token_request",
    "market_headers",
    "order_cancel_headers",
    "jwt_expiry_ms",
    "parse_token_response",
    "stop_headers",
]


def build_token_request(base_url: str, api_token: str, *, token_path: str = DEFAULT_TOKEN_PATH) -> HttpRequest:
    """The access-token exchange: ``POST {base_url}{token_path}``, body ``{"token": ...}``."""
    return HttpRequest(
        method="POST",
        url=base_url + token_path,
        headers={"Content-Type": TOKEN_CONTENT_TYPE},
        body=compact_json({"token": api_token}),
        sensitive_body=True,  # the API token: masked in reprs
    )


def _claim_ms(claims: Mapping[str, Any], name: str) -> int | None:
    # A NumericDate claim (seconds since the epoch) in Unix ms, or None.
    value = claims.get(name)
    if isinstance(value, bool) or not isinstance(value, int | float) or not math.isfinite(value) or value <= 0:
        return None
    return int(value * 1000)


def _claims(token: str) -> Mapping[str, Any]:
    try:
        claims = jwt.decode(token, options={"verify_signature": False})
    except jwt.PyJWTError:
        return {}
    return claims if isinstance(claims, Mapping) else {}


def jwt_expiry_ms(token: str) -> int | None:
    """The JWT ``exp`` claim of ``token`` in Unix ms, or ``None`` when absent or not a JWT.

    The signature is NOT verified (the venue does that); only the expiry is read so the
    client refreshes in time. Never raises.
    """
    return _claim_ms(_claims(token), "exp")


def jwt_issued_at_ms(token: str) -> int | None:
    """The JWT ``iat`` claim (RFC 7519 §4.1.6) of ``token`` in Unix ms, or ``None``. Never raises."""
    return _claim_ms(_claims(token), "iat")


def _token_error(response: HttpResponse) -> StopkitError:
    # Errors of the token endpoint never carry its body (it may hold a token), only the status.
    return classify_status(
        response,
        writes=False,
        message=f"{VENUE_NAME}: the access-token exchange failed with HTTP {response.status}",
        venue_message=None,
        venue_code=None,
        raw_body=None,
    )


def parse_token_response(response: HttpResponse) -> TokenGrant:
    """The :class:`TokenGrant` from the exchange's answer ``{"accessToken": "<JWT>"}``.

    ``expires_at_ms`` is the JWT ``exp`` * 1000; ``default_lifetime_s`` = 3600 covers a
    token without one (weak evidence: third-party code).

    Raises:
        AuthenticationError: HTTP 401/403 (the API token was refused).
        RateLimited, VenueUnavailable, OrderRejected, ...: other statuses.
        ResponseShapeError: a 200 without a usable ``accessToken``.
        None of them carries the answer body.
    """
    if response.status == 401:
        raise AuthenticationError(
            f"{VENUE_NAME}: the API token was refused (HTTP 401); check {ENV_API_TOKEN}",
            venue=VENUE_NAME,
            http_status=401,
        )
    if not 200 <= response.status < 300:
        raise _token_error(response)
    try:
        payload = json.loads(response.body)
    except (ValueError, UnicodeDecodeError):
        raise ResponseShapeError(
            f"{VENUE_NAME}: the access-token answer is not JSON", venue=VENUE_NAME, http_status=response.status
        ) from None
    token = payload.get("accessToken") if isinstance(payload, Mapping) else None
    if not isinstance(token, str) or not token.strip():
        raise ResponseShapeError(
            f"{VENUE_NAME}: the access-token answer has no accessToken string",
            venue=VENUE_NAME,
            http_status=response.status,
        )
    # The venue's clock at issue (iat, else the Date header): the lifetime exp - iat is then counted on
    # our clock, so a local clock running ahead of the venue's does not expire every token at once.
    venue_now = jwt_issued_at_ms(token) or server_time_ms(response)
    return TokenGrant(
        access_token=token,
        expires_at_ms=jwt_expiry_ms(token),
        venue_now_ms=venue_now,
        default_lifetime_s=DEFAULT_TOKEN_LIFETIME_S,
    )


def stop_headers(token: AccessToken | None, account_id: str) -> dict[str, str]:
    """The four headers of the stop endpoints, exactly as documented (place and cancel examples), in this order:

    ``Authorization: Bearer <accessToken>``, ``accountId: <id>``,
    ``Content-Type: application/json; x-api-version=4.0``, ``Accept: */*``.

    Raises:
        AuthenticationError: no access token was obtained (the client always provides one).
    """
    return {
        "Authorization": _bearer(token),
        HEADER_ACCOUNT_ID: account_id,
        "Content-Type": STOP_CONTENT_TYPE,
        "Accept": ACCEPT,
    }


def _bearer(token: AccessToken | None) -> str:
    # The Authorization value; raises when no token was obtained (the client always provides one).
    if token is None:
        raise AuthenticationError(f"{VENUE_NAME}: no access token to send", venue=VENUE_NAME)
    return f"Bearer {token.value}"


def market_headers(token: AccessToken | None) -> dict[str, str]:
    """The headers of ``GET /frontoffice/api/v5/markets/{marketId}``, as its documented example:
    ``Authorization: Bearer <accessToken>``, ``Accept: */*`` (no ``accountId``, no ``Content-Type``).

    Raises:
        AuthenticationError: no access token.
    """
    return {"Authorization": _bearer(token), "Accept": ACCEPT}


def order_cancel_headers(token: AccessToken | None, account_id: str) -> dict[str, str]:
    """The headers of ``DELETE /frontoffice/api/v3/orders/{orderId}``, as its documented example:
    ``Authorization``, ``accountId``, ``Accept: */*`` (no ``Content-Type``: no body).

    Raises:
        AuthenticationError: no access token.
    """
    return {"Authorization": _bearer(token), HEADER_ACCOUNT_ID: account_id, "Accept": ACCEPT}
