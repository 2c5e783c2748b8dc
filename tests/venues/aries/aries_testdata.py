"""Shared Aries test data: documented bodies (sources named on each) and helpers."""

from __future__ import annotations

import json
from collections.abc import Callable, Generator
from decimal import Decimal
from typing import Any

from stopkit.context import AccessToken, RequestContext
from stopkit.orders import StopLimitOrder, StopOrder
from stopkit.testing import drive_flow
from stopkit.venue import Credentials
from stopkit.wire import HttpRequest, HttpResponse
from stopkit_venues.aries import VENUE
from stopkit_venues.aries.adapter import AriesBoundVenue

ACCOUNT = "ACC123456"
CLIENT_ID = "test-client-id"
CLIENT_SECRET = "test-client-secret-7d1f0c"
STATIC_TOKEN = "static-token-9a8b7c"
REFRESH_TOKEN = "refresh-token-5e4d3c"

# https://finance.dev/api-reference/orders/place-order, Response example (verbatim).
ORD_RESPONSE = b"""{
  "success": true,
  "clOrdId": "ORDER-20260115-001",
  "status": "NEW",
  "symbol": "AAPL",
  "side": "BUY",
  "qty": "100",
  "cumQty": "0",
  "leavesQty": "100",
  "avgPrice": "0",
  "text": "Order accepted",
  "ordRejReason": "",
  "transactTime": "2026-01-15T14:30:05Z"
}"""

# https://finance.dev/api-reference/accounts/list-active-orders, TradeOrderV2 example (verbatim).
TRADE_ORDER_V2 = b"""{"clOrdId": "clord-20260115-aapl-001", "ordId": "ord-7f3a9c2e-0001", "accountId": "TEST-ACCOUNT-001", "clientId": "demo-oauth-client",
 "symbol": "AAPL", "side": "BUY", "type": "LIMIT", "timeInForce": "DAY", "qty": "100", "price": "175.50", "stopPrice": "", "ordStatus": "NEW",
 "cumQty": "0", "leavesQty": "100", "avgPrice": "0", "currency": "USD", "exDestination": "NASDAQ", "text": "", "ordRejReason": "",
 "securityType": "EQUITY", "category": "SINGLE_LEG", "legs": [], "createdAt": "2026-01-15T14:30:00Z", "updatedAt": "2026-01-15T14:30:05Z"}"""  # noqa: E501

# Cancel: the per-field examples of https://finance.dev/api-reference/orders/cancel-order, assembled, and an
# answer with the fields of the SDK's CancelOrdResponse (finance-dev 0.9.0 models/cancelordresponse.py).
CANCEL_REQUEST = (
    b'{"origClOrdId":"ORDER-123456","tradingAccountId":"TEST-ACCOUNT-001","symbol":"AAPL","side":"BUY",'
    b'"securityType":"CS"}'
)
CANCEL_RESPONSE = (
    b'{"success":true,"clOrdId":"ORDER-20260115-002","origClOrdId":"ORDER-20260115-001","status":"CANCELED",'
    b'"text":"Cancel request processed"}'
)

# The two documented error shapes (finance-dev 0.9.0 models/apperror.py, errors/errorresponse.py).
NESTED_ERROR = (
    b'{"error":{"type":"VALIDATION","code":"INVALID_STOP_PRICE","message":"stopPrice must be below the market",'
    b'"details":{},"request_id":"req-1"},"meta":{}}'
)
FLAT_ERROR = (
    b'{"error":"validation failed","codes":[{"code":"INVALID_PRECISION","description":"at most 5 decimals",'
    b'"field":"stopPrice"}],"metadata":{}}'
)


def bound(**config: Any) -> AriesBoundVenue:
    """Aries bound to client credentials + a static token for the test account."""
    creds = Credentials(
        "aries",
        {
            "ARIES_ACCESS_TOKEN": STATIC_TOKEN,
            "ARIES_CLIENT_ID": CLIENT_ID,
            "ARIES_CLIENT_SECRET": CLIENT_SECRET,
            "ARIES_ACCOUNT_ID": ACCOUNT,
        },
    )
    return VENUE.bind(creds, config)


def stop_order(**overrides: Any) -> StopOrder:
    """The stop-order page's example: sell 100 AAPL if it drops to 145."""
    fields: dict[str, Any] = {
        "symbol": "AAPL",
        "side": "sell",
        "quantity": Decimal(100),
        "stop_price": Decimal("145.00"),
        "time_in_force": "day",
        "client_order_id": "cid-stop-1",
    }
    fields.update(overrides)
    return StopOrder(**fields)


def stop_limit_order(**overrides: Any) -> StopLimitOrder:
    """The stop-limit page's example: sell 100 AAPL, arm at 145.00, don't sell below 144.50."""
    fields: dict[str, Any] = {
        "symbol": "AAPL",
        "side": "sell",
        "quantity": Decimal(100),
        "stop_price": Decimal("145.00"),
        "limit_price": Decimal("144.50"),
        "time_in_force": "day",
        "client_order_id": "cid-stop-limit-1",
    }
    fields.update(overrides)
    return StopLimitOrder(**fields)


def drive(flow: Generator[Any, Any, Any], answer: Callable[[HttpRequest], HttpResponse], *, now_ms: int) -> Any:
    """Run a pure flow as the client does (each exchange built at ``now_ms``, answered by ``answer``, a stopkit
    error from the parser thrown back into the flow); returns the flow's result."""
    result, _ = drive_flow(flow, answer, ctx=RequestContext(now_ms=now_ms, access_token=AccessToken("t")))
    return result


def json_answer(body: object, status: int = 200) -> HttpResponse:
    """A JSON answer with ``status``."""
    return HttpResponse(status=status, headers={"Content-Type": "application/json"}, body=json.dumps(body).encode())
