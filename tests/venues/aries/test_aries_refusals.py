"""Aries refusals: only documented error bodies prove a write was not carried out; server-side types never do."""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from decimal import Decimal
from pathlib import Path
from typing import Any

import finance_dev
import pytest
from aries_testdata import stop_order

import stopkit
from stopkit.errors import OrderRejected, VenueUnavailable
from stopkit.state import OrderStatus
from stopkit.testing.simkit import Fault
from stopkit.wire import HttpResponse
from stopkit_venues.aries import VENUE, parse
from stopkit_venues.aries.constants import SERVER_SIDE_ERROR_TYPES
from stopkit_venues.aries.refusals import REFUSALS
from stopkit_venues.aries.simulator import AriesSimulator


def _nested(etype: str) -> bytes:
    return json.dumps({"error": {"type": etype, "code": "X1", "message": "something happened"}, "meta": {}}).encode()


def _refused(operation: str, response: HttpResponse) -> bool:
    error = parse.classify_error(response, writes=True)
    return any(refusal.matches(operation, response.status, error) for refusal in REFUSALS)


def test_the_server_side_types_are_the_sdks() -> None:
    """The server-side error types are AppErrorType values of the SDK (TIMEOUT, INTERNAL, ... QUEUE)."""
    members = {member.value for member in finance_dev.models.AppErrorType}
    assert members >= SERVER_SIDE_ERROR_TYPES
    assert {
        "TIMEOUT", "EXTERNAL_SERVICE", "SERVICE_UNAVAILABLE", "INTERNAL", "GRPC", "QUEUE", "DATABASE"
    } == SERVER_SIDE_ERROR_TYPES  # fmt: skip


@pytest.mark.parametrize("etype", sorted(SERVER_SIDE_ERROR_TYPES))
@pytest.mark.parametrize("status", [400, 401, 403, 404, 409, 422, 500, 503])
def test_server_side_error_types_on_a_write_are_unknown_outcomes(etype: str, status: int) -> None:
    """Whatever the status, a server-side error type on a write is VenueUnavailable with an unknown outcome,
    and no declared refusal matches it."""
    response = HttpResponse(status=status, body=_nested(etype))
    error = parse.classify_error(response, writes=True)
    assert isinstance(error, VenueUnavailable)
    assert error.outcome_known is False
    for operation in ("place", "cancel", "replace"):
        assert not _refused(operation, response)
    assert parse.classify_error(response, writes=False).outcome_known is True  # a read changed nothing


@pytest.mark.parametrize(
    ("operation", "status", "body", "refused"),
    [
        ("place", 400, _nested("VALIDATION"), True),
        ("place", 400, b'{"error":"validation failed","codes":[{"code":"INVALID_PRECISION"}],"metadata":{}}', True),
        ("place", 400, b"", False),  # an empty body proves nothing
        ("place", 400, b"<html>bad gateway</html>", False),
        ("place", 401, _nested("AUTHENTICATION"), True),
        ("cancel", 403, _nested("AUTHORIZATION"), True),
        ("cancel", 404, _nested("NOT_FOUND"), True),
        ("place", 404, _nested("NOT_FOUND"), False),  # not documented as a refusal of a placement
        ("place", 429, _nested("RATE_LIMIT"), False),
        ("replace", 500, _nested("VALIDATION"), False),
        ("place", 200, b'{"success":false,"status":"REJECTED","ordRejReason":"SYMBOL_HALTED"}', True),
    ],
)
def test_documented_refusals(operation: str, status: int, body: bytes, refused: bool) -> None:
    """Documented error bodies at 400/401/403 (and 404 for cancel/replace) and a 200 REJECTED are refusals;
    nothing else is."""
    response = HttpResponse(status=status, body=body)
    if status == 200:
        with pytest.raises(OrderRejected) as info:
            parse.parse_cancel_response(None, response)  # type: ignore[arg-type]  # raises before using it
        assert any(r.matches(operation, 200, info.value) for r in REFUSALS) is refused
        return
    assert _refused(operation, response) is refused


def test_every_refusal_names_sdk_files_that_exist() -> None:
    """Each refusal's source names files of the installed SDK, and the adapter declares the table."""
    root = Path(finance_dev.__file__).parent
    for refusal in REFUSALS:
        names = re.findall(r"[a-z_/]+\.py", refusal.source)
        assert names, refusal.source
        for name in names:
            found = list(root.rglob(Path(name).name))
            assert found, f"{name} is not in finance-dev"
    assert VENUE.refusals == REFUSALS


async def test_an_internal_error_after_acting_is_reconciled(served: Callable[[Any], Any]) -> None:
    """The venue takes the order, then answers 400 with error type INTERNAL: not a refusal, so the order is
    found by reconciliation (never reported as a known failure, never placed twice)."""
    sim = AriesSimulator()
    base = str((await served(sim.make_app())).base_url)
    sim.set_price("AAPL", Decimal(150))
    sim.faults.add(Fault(kind="garbage_after", status=400, body=_nested("INTERNAL"), method="POST", path="/v1/orders"))
    async with stopkit.connect("aries", credentials=sim.demo_credentials(), config=sim.demo_config(base)) as client:
        state = await client.place(stop_order(client_order_id="internal-1"))
    assert (state.status, state.client_order_id) == (OrderStatus.ACCEPTED, "internal-1")
    assert [row["clOrdId"] for row in sim.orders()] == [state.venue_order_id]
