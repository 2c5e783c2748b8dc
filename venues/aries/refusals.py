"""Aries' documented refusals of writes: the answers that prove the venue did not act.

Sources (each a row of the evidence ledger in ``docs/venues/aries.md``): the official SDK
``finance-dev`` 0.9.0. ``finance_dev/orders.py`` documents, for place, cancel and replace, the
error bodies of 400 (``BadRequest``: "request body or query parameters failed validation"), 401
(``Unauthorized``: a missing, invalid or expired token), 403 (``Forbidden``: the token "lacks the
required scope/permission") and 404 (``NotFound``); the two body shapes are ``models/apperror.py``
(nested) and ``errors/errorresponse.py`` (flat). ``models/ordresponse.py``,
``cancelordresponse.py`` and ``replaceordresponse.py`` document a 200 answer with ``success: false``
or ``status: REJECTED`` ("broker refused the order"; "The original order is unchanged").

A refusal counts only when the parser read one of those documented error bodies (a code or a
message): a bare status (a proxy's page, an empty body) is an unknown outcome, reconciled. Never
refusals, whatever the status: 5xx, 429 (the SDK does not retry writes), and the server-side error
types of ``models/apperror.py`` (``TIMEOUT``, ``EXTERNAL_SERVICE``, ``SERVICE_UNAVAILABLE``,
``INTERNAL``, ``GRPC``, ``QUEUE``, ``DATABASE``): the parser classifies those as
:class:`~stopkit.plugin.VenueUnavailable`, which no row below matches.
"""

from __future__ import annotations

from stopkit.plugin import AuthenticationError, OrderNotFound, OrderRejected, Refusal

__all__ = ["REFUSALS"]

_SDK_ERRORS = (
    "finance-dev 0.9.0 finance_dev/orders.py (place_order, cancel_order, replace_order: 400 BadRequest,"
    " 401 Unauthorized, 403 Forbidden, 404 NotFound) with the bodies of models/apperror.py and"
    " errors/errorresponse.py"
)
_SDK_ACKS = (
    "finance-dev 0.9.0 models/ordresponse.py, cancelordresponse.py, replaceordresponse.py"
    " (success: false / status REJECTED: refused, the original order unchanged)"
)

_WRITES = frozenset({"place", "cancel", "replace"})

REFUSALS: tuple[Refusal, ...] = (
    # 400 VALIDATION / BAD_REQUEST / CONFLICT ... with a documented body (code or message).
    Refusal(operations=_WRITES, status=400, error=OrderRejected, any_error_body=True, source=_SDK_ERRORS),
    # 401 (token refused) and 403 (scope or account not allowed) with a documented body.
    Refusal(operations=_WRITES, status={401, 403}, error=AuthenticationError, any_error_body=True, source=_SDK_ERRORS),
    # 404 for the order a cancel or replace names.
    Refusal(operations={"cancel", "replace"}, status=404, error=OrderNotFound, any_error_body=True, source=_SDK_ERRORS),
    # A 200 acknowledgement that says success:false or status REJECTED: the venue refused it.
    Refusal(operations=_WRITES, status=200, error=OrderRejected, any_body=True, source=_SDK_ACKS),
)
