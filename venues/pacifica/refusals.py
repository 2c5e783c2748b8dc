"""Pacifica's documented refusals of writes: the answers that prove the venue did not act.

Pacifica answers errors in one documented envelope, ``{"success": false, "data": null,
"error": "<text>", "code": <int>}``, with the HTTP statuses its error-codes page lists as
refusals: 400 bad request (signature and parameter checks, e.g. a price off the tick), 403
forbidden (restricted region, an unapproved builder code), 404, 409 conflict, 422 business
errors with a numbered code, and 429 when the rate-limit credits are exhausted. A refusal
counts only when the body is that envelope (a proxy's page with the same status proves
nothing); a 429 counts whatever its body. Any other answer to a create or cancel is an
unknown outcome that stopkit reconciles by client order id. See docs/venues/pacifica.md.
"""

from __future__ import annotations

from stopkit.plugin import (
    AuthenticationError,
    DuplicateClientOrderId,
    OrderNotFound,
    OrderRejected,
    RateLimited,
    Refusal,
)

__all__ = ["REFUSALS"]

_CODES = "https://docs.pacifica.fi/api-documentation/api/error-codes"
_SIGNING = "https://docs.pacifica.fi/api-documentation/api/signing/error-handling"
_CREATE = "https://docs.pacifica.fi/api-documentation/api/rest-api/orders/create-stop-order"
_CANCEL = "https://docs.pacifica.fi/api-documentation/api/rest-api/orders/cancel-stop-order"
_LIMITS = "https://docs.pacifica.fi/api-documentation/api/rate-limits"

_WRITES = frozenset({"place", "cancel"})

REFUSALS: tuple[Refusal, ...] = (
    # Signature, agent-wallet and access checks run before the order is looked at.
    Refusal(operations=_WRITES, status={400, 403}, error=AuthenticationError, any_error_body=True, source=_SIGNING),
    Refusal(
        operations=_WRITES,
        status={400, 403, 409, 422},
        error=OrderRejected,
        any_error_body=True,
        source=f"{_CODES}; {_CREATE} (400 Invalid stop order parameters)",
    ),
    Refusal(
        operations=_WRITES,
        status={400, 404, 422},
        error=OrderNotFound,
        any_error_body=True,
        source=f"{_CANCEL} (400 Stop order not found); {_CODES} (422 codes 6, 37)",
    ),
    Refusal(operations={"place"}, status=422, error=DuplicateClientOrderId, codes={"36"}, source=_CODES),
    # Exhausted credits: the request was not processed.
    Refusal(operations=_WRITES, status=429, error=RateLimited, any_body=True, source=_LIMITS),
)
