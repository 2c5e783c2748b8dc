"""OAuth2 bearer-token handling for Aries (pure).

Token endpoint: ``POST {base_url}/v1/oauth2/token`` (https://finance.dev/api-reference/oauth2/token).
Grants used here:

- ``client_credentials``: ``grant_type=client_credentials, client_id, client_secret, scope`` as
  the SDK sends it (``finance_dev/_hooks/clientcredentials.py`` ``do_token_request``: a form body,
  ``scope`` the space-joined scopes of the operation);
- ``refresh_token``: ``grant_type=refresh_token, client_id, client_secret, refresh_token``
  (https://finance.dev/api-reference/oauth2/token: the secret is "required for confidential
  clients and refresh_token grant").

Body encoding: ``"form"`` (``application/x-www-form-urlencoded``, as the SDK sends it; default) or
``"json"`` (the docs page's JSON body), config ``token_encoding``.

The answer (``access_token``, ``expires_in`` seconds, ``refresh_token``, ...) holds
secrets: nothing read from a token endpoint body ever goes into an error.
"""

from __future__ import annotations

import json
import math
import re
from decimal import Decimal
from typing import Any, Literal
from urllib.parse import urlencode

from stopkit.plugin import (
    AuthenticationError,
    HttpRequest,
    HttpResponse,
    RateLimited,
    ResponseShapeError,
    TokenGrant,
    VenueUnavailable,
    compact_json,
    retry_after_s,
)
from stopkit_venues.aries.constants import TOKEN_PATH, VENUE_NAME

__all__ = ["TokenEncoding", "build_token_request", "parse_token_response"]

TokenEncoding = Literal["json", "form"]

# A venue error code is echoed only when it looks like a code (never free text from a token body).
_CODE_RE = re.compile(r"^[A-Za-z0-9_.\-]{1,64}$")


def build_token_request(
    *,
    base_url: str,
    encoding: TokenEncoding,
    client_id: str,
    client_secret: str,
    refresh_token: str | None,
    scope: str | None = None,
) -> HttpRequest:
    """The token request: ``refresh_token`` grant when ``refresh_token`` is given, else ``client_credentials``.

    Field order: ``grant_type, client_id, client_secret`` then ``scope`` (client_credentials, when
    ``scope`` is non-empty, as the SDK hook adds it) or ``refresh_token``.
    Returns an :class:`HttpRequest` whose body holds the secret (its repr shows the body:
    never log it; cassettes scrub ``client_secret``/``refresh_token``).
    """
    fields: dict[str, str] = {
        "grant_type": "refresh_token" if refresh_token else "client_credentials",
        "client_id": client_id,
        "client_secret": client_secret,
    }
    if refresh_token:
        fields["refresh_token"] = refresh_token
    elif scope:
        fields["scope"] = scope
    if encoding == "json":
        body = compact_json(fields)
        content_type = "application/json"
    else:
        body = urlencode(fields).encode("ascii")
        content_type = "application/x-www-form-urlencoded"
    return HttpRequest(
        method="POST",
        url=base_url + TOKEN_PATH,
        headers={"Content-Type": content_type, "Accept": "application/json"},
        body=body,
        sensitive_body=True,  # holds the client secret / refresh token
    )


def _error_code(body: bytes) -> str | None:
    # The code of a token endpoint error (nested ``error.code`` / ``error.type`` or OAuth's
    # flat ``error`` string), only when it is code-shaped; never message text.
    try:
        data = json.loads(body)
    except (ValueError, UnicodeDecodeError):
        return None
    if not isinstance(data, dict):
        return None
    error = data.get("error")
    candidate: Any = None
    if isinstance(error, dict):
        candidate = error.get("code") or error.get("type")
    elif isinstance(error, str):
        candidate = error
    if isinstance(candidate, str) and _CODE_RE.match(candidate):
        return candidate
    return None


def parse_token_response(response: HttpResponse) -> TokenGrant:
    """A :class:`TokenGrant` from the token endpoint's answer.

    200 body: ``{"access_token": str, "expires_in": int seconds, "refresh_token": str?,
    "token_type": "Bearer", ...}``.

    Raises (never carrying the body):
        AuthenticationError: 400/401/403 (bad client, grant or refresh token).
        RateLimited: 429. VenueUnavailable: 5xx.
        ResponseShapeError: any other status, or a 200 body without a usable token.
    """
    status = response.status
    if status in (400, 401, 403):
        code = _error_code(response.body)
        raise AuthenticationError(
            f"{VENUE_NAME}: the token endpoint refused the credentials (HTTP {status})",
            venue=VENUE_NAME,
            http_status=status,
            venue_code=code,
        )
    if status == 429:
        raise RateLimited(
            f"{VENUE_NAME}: the token endpoint is rate limited",
            venue=VENUE_NAME,
            http_status=status,
            retry_after_s=retry_after_s(response),
        )
    if status >= 500:
        raise VenueUnavailable(f"{VENUE_NAME}: the token endpoint is unavailable", venue=VENUE_NAME, http_status=status)
    if status != 200:
        raise ResponseShapeError(
            f"{VENUE_NAME}: unexpected HTTP {status} from the token endpoint", venue=VENUE_NAME, http_status=status
        )
    try:
        data = json.loads(response.body, parse_float=Decimal)
    except (ValueError, UnicodeDecodeError):
        data = None
    if not isinstance(data, dict):
        raise ResponseShapeError(f"{VENUE_NAME}: the token answer is not a JSON object", venue=VENUE_NAME)
    access_token = data.get("access_token")
    if not isinstance(access_token, str) or not access_token:
        raise ResponseShapeError(f"{VENUE_NAME}: the token answer has no access_token", venue=VENUE_NAME)
    token_type = data.get("token_type")
    if token_type is not None and (not isinstance(token_type, str) or token_type.lower() != "bearer"):
        raise ResponseShapeError(f"{VENUE_NAME}: the token answer's token_type is not Bearer", venue=VENUE_NAME)
    expires_in = data.get("expires_in")
    expires_in_s: float | None
    if expires_in is None:
        expires_in_s = None
    elif isinstance(expires_in, bool) or not isinstance(expires_in, int | Decimal | str):
        raise ResponseShapeError(f"{VENUE_NAME}: the token answer's expires_in is not a number", venue=VENUE_NAME)
    else:
        try:
            expires_in_s = float(Decimal(str(expires_in)))
        except ArithmeticError:
            raise ResponseShapeError(
                f"{VENUE_NAME}: the token answer's expires_in is not a number", venue=VENUE_NAME
            ) from None
        if not (expires_in_s > 0 and math.isfinite(expires_in_s)):
            raise ResponseShapeError(f"{VENUE_NAME}: the token answer's expires_in is not positive", venue=VENUE_NAME)
    refresh_token = data.get("refresh_token")
    if refresh_token is not None and not isinstance(refresh_token, str):
        raise ResponseShapeError(f"{VENUE_NAME}: the token answer's refresh_token is not a string", venue=VENUE_NAME)
    return TokenGrant(
        access_token=access_token,
        expires_in_s=expires_in_s,
        refresh_token=refresh_token or None,
        # "expires_in" is typically 3600 s (https://finance.dev/api-reference/oauth2/token), and the
        # SDK's websocket token provider assumes 3600 when absent (websocket/auth.py).
        default_lifetime_s=3600.0,
    )
