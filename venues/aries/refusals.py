"""Aries' documented refusals of writes: the answers that prove the venue did not act.

Sources: the official SDK ``finance-dev`` 0.9.0 (``finance_dev/orders.py`` lists 400, 401,
403 and 404 for the order endpoints; ``models/apperror.py`` and ``errors/errorresponse.py``
are the two error body shapes; ``models/ordresponse.py``, ``cancelordresponse.py`` and
``replaceordresponse.py`` carry ``success`` and ``status``). A refusal counts only when its
body is one of the documented error shapes; a bare status (a proxy's page) is an unknown
outcome, reconciled by the order's terms. Server-side error types and 5xx are never
refusals. See docs/venues/aries.md.
"""

from __future__ import annotations

from stopkit.plugin import AuthenticationError, OrderNotFound, OrderRejected, Refusal

__all__ = ["REFUSALS"]

_SDK_ORDERS = "finance-dev 0.9.0 finance_dev/orders.py (documented 400/401/403/404) and models/apperror.py"
_SDK_ACKS = "finance-dev 0.9.0 models/ordresponse.py, cancelordresponse.py, replaceordresponse.py (success, status)"

_WRITES = frozenset({"place", "cancel", "replace"})

REFUSALS: tuple[Refusal, ...] = (
    Refusal(operations=_WRITES, status=400, error=OrderRejected, any_error_body=True, source=_SDK_ORDERS),
    Refusal(operations=_WRITES, status={401, 403}, error=AuthenticationError, any_error_body=True, source=_SDK_ORDERS),
    Refusal(operations={"cancel", "replace"}, status=404, error=OrderNotFound, any_error_body=True, source=_SDK_ORDERS),
    # A 200 acknowledgement that says success:false or status REJECTED: the venue refused it.
    Refusal(operations=_WRITES, status=200, error=OrderRejected, any_body=True, source=_SDK_ACKS),
)
