"""B2TRADER's documented refusals of writes: the answers that prove the venue did not act.

The frontoffice API documents 200 on success and lists 400, 401, 403 and (per endpoint) 404
without a body schema (https://docs.bbp-admin.b2trader.b2broker.com/m8j7aJ57nMdaM6pshkh5/api/rest-api).
Only a 400/404 whose JSON body the parser could read (a code or a message) counts as a
refusal. A 401/403 does not: its body is not documented, and B2TRADER offers no way to
read a stop back, so a token refusal after the venue acted could not be told apart. Any
other answer to a write is an unknown outcome, reported as such. The "cancel" writes are the stop
DELETE (``/frontoffice/api/v3/stop-orders/{orderId}``) and, for a stop seen to activate, its child's
DELETE (``/frontoffice/api/v3/orders/{orderId}``). Each row is in the evidence ledger of
docs/venues/b2trader.md ("Error statuses", "Refusals of writes").
"""

from __future__ import annotations

from stopkit.plugin import OrderNotFound, OrderRejected, Refusal

__all__ = ["REFUSALS"]

_OPENAPI = "https://docs.bbp-admin.b2trader.b2broker.com/m8j7aJ57nMdaM6pshkh5/api/rest-api (400, 401, 403, 404)"

REFUSALS: tuple[Refusal, ...] = (
    Refusal(operations={"place", "cancel"}, status=400, error=OrderRejected, any_error_body=True, source=_OPENAPI),
    Refusal(operations={"cancel"}, status=404, error=OrderNotFound, any_error_body=True, source=_OPENAPI),
)
