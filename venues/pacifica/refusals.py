"""Pacifica's documented refusals of writes: the answers that prove the venue did not act.

Pacifica answers errors in one envelope, ``{"success": false, "data": null, "error": "<text>",
"code": <int>}`` (CCXT ``python/ccxt/pacifica.py`` ``handle_errors`` quotes live ones), with the
HTTP statuses its error-codes page documents as client errors: 400 (a malformed body, a missing
field or an invalid signature), 403 (restricted region, no access code; an unapproved builder
code), 404 (no such resource or endpoint), 409 (conflicts with the current state, e.g. a duplicate
order id), 422 (a business rule, with a numbered ``code``) and 429 (credits exhausted). A refusal
counts only when the body is that envelope, i.e. the parser found a venue code or text (a
proxy's page with the same status proves nothing); a 429 counts whatever its body, since the
credits are charged before anything is processed. Any other answer to a create or cancel
(500 included: the older tick-and-lot-size page answers a mis-rounded price with 500) is an
unknown outcome that stopkit reconciles by client order id. Every row has its line in the
evidence ledger of ``docs/venues/pacifica.md``.
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

# The status meanings: https://docs.pacifica.fi/api-documentation/api/error-codes (as the
# official docs-migrate pages state them: https://mintlify.wiki/pacifica-fi/docs-migrate/api/error-codes).
_CODES = "https://docs.pacifica.fi/api-documentation/api/error-codes"
_SIGNING = "https://docs.pacifica.fi/api-documentation/api/signing/error-handling"
_AGENT = "ccxt/ccxt python/ccxt/pacifica.py handle_errors (400 Agent not authorized for account)"
_CREATE = "https://docs.pacifica.fi/api-documentation/api/rest-api/orders/create-stop-order"
_CANCEL = "https://docs.pacifica.fi/api-documentation/api/rest-api/orders/cancel-stop-order"
_TICK = "pacifica-fi/pacifica-mcp scripts/smoke-1d.ts (400 not a multiple of tick size)"
_LIMITS = "https://docs.pacifica.fi/api-documentation/api/rate-limits"

_WRITES = frozenset({"place", "cancel"})

REFUSALS: tuple[Refusal, ...] = (
    # Signature, agent-wallet and access checks run before the order is looked at (the MCP server's
    # smoke tests: deserialisation, then the signature, then price validation).
    Refusal(
        operations=_WRITES,
        status={400, 403},
        error=AuthenticationError,
        any_error_body=True,
        source=f"{_SIGNING}; {_AGENT}; {_CODES} (403 restricted region, Signer not whitelisted)",
    ),
    Refusal(
        operations=_WRITES,
        status={400, 403, 409, 422},
        error=OrderRejected,
        any_error_body=True,
        source=f"{_CODES} (400, 403, 409, 422 with a business code); {_CREATE} (400 Invalid stop order "
        f"parameters); {_TICK}",
    ),
    Refusal(
        operations=_WRITES,
        status={400, 404, 422},
        error=OrderNotFound,
        any_error_body=True,
        source=f"{_CANCEL} (400 Stop order not found); {_CODES} (404; 422 codes 6 ORDER_NOT_FOUND, 37 "
        "UNUSED_CLIENT_ORDER_ID)",
    ),
    Refusal(
        operations={"place"},
        status=422,
        error=DuplicateClientOrderId,
        codes={"36"},
        source=f"{_CODES} (422 code 36 DUPLICATE_CLIENT_ORDER_ID)",
    ),
    # Exhausted credits: the request was not processed.
    Refusal(operations=_WRITES, status=429, error=RateLimited, any_body=True, source=_LIMITS),
)
