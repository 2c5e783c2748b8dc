"""Shared data and helpers of the B2TRADER tests: documented payloads (verbatim, sources beside them), factories.

Not a conftest.py: core tests import ``conftest`` by module name, and a second
conftest module in the tree would shadow it. Test modules import this module
(pytest's default "prepend" import mode puts this directory on ``sys.path``) and
declare the few fixtures they need from these factories.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from stopkit import AccessToken, RequestContext, Side, StopLimitOrder, StopOrder, TimeInForce
from stopkit_venues.b2trader import VENUE
from stopkit_venues.b2trader.adapter import B2TraderBound

ACCOUNT_ID = "685a7eaa360f9e7416221a61"
API_TOKEN = "test-api-token-0b6f1d"
BASE_URL = "https://trade.broker.invalid"

# "Place SPOT Stop order" request example, verbatim (https://api-docs.b2trader.b2broker.com/rest-api).
DOC_REQUEST_BODY = """{
  "order": {
    "marketId": "spot.btc_usdt",
    "side": "Buy",
    "orderType": "Market",
    "activationPrice": 128000,
    "requestedAmount": 0.01,
    "timeInForce": "Ioc"
  }
}"""

# The documented "200: OK" answer, verbatim (same page).
DOC_RESPONSE_BODY = """{
  "order": {
    "marketId": "spot.btc_usdt",
    "marketDisplayName": "SPOT BTC/USDT",
    "orderId": "01K2MNC3BVR5WRTBEE9YWAS91K",
    "orderType": "Market",
    "side": "Buy",
    "requestedPrice": "0",
    "activationPrice": "128000",
    "requestedAmount": "0.01",
    "timeInForce": "Ioc",
    "status": "WaitingForActivation",
    "createdAt": "2025-08-14T16:07:25.8193038Z",
    "updatedAt": "2025-08-14T16:07:25.8193044Z",
    "cancellationDate": null
  }
}"""

# The documented OpenOrders stream item, verbatim (https://api-docs.b2trader.b2broker.com/websocket-api).
DOC_WS_ITEM = (
    '{"type":2,"invocationId":"0","item":[{"marketId":"cfd.eur_chf","marketType":"Cfd","marketDisplayName":'
    '"EUR/CHF","marketFullName":"","orderId":"01JVQBFSTVC40VK03A0AY7K016","timeInForce":"Gtc","status":"Pending",'
    '"source":"Manual","reason":"Trader","side":"Buy","orderType":"Limit","requestedAmount":"10000",'
    '"remainingAmount":"10000","requestedPrice":"0.9","executionPrice":"0","createdAt":"2025-05-20T17:22:31.899Z",'
    '"updatedAt":"2025-05-20T17:22:31.9001213Z","cancellationDate":null,"commissionAssetId":"eur",'
    '"commissionAmount":"0","leverage":1,"fillFactor":"0","takeProfit":null,"stopLoss":null}]}'
)


# A "Get market" answer with the documented fields (https://support.xbtfx.com/en/articles/13886694-rest-api-settings-get-market;
# the page lists the fields, the values here are ours). BTC/USDT: prices to 0.01, amounts to 0.00001, 0.0001..100 BTC.
MARKET_BODY = (
    '{"marketId":"spot.btc_usdt","displayName":"BTC/USDT","fullName":null,"baseAssetId":"btc",'
    '"quoteAssetId":"usdt","minAmount":"0.0001","maxBaseAmount":"100","priceDeviation":"0","priceScale":2,'
    '"amountScale":5}'
)


def credentials(**overrides: str) -> dict[str, str]:
    """Test credentials (env-var names → values)."""
    values = {"B2TRADER_API_TOKEN": API_TOKEN, "B2TRADER_ACCOUNT_ID": ACCOUNT_ID}
    values.update(overrides)
    return values


class B2TData:
    """Test constants and helpers, handed to tests through each module's ``b2t`` fixture."""

    ACCOUNT_ID = ACCOUNT_ID
    API_TOKEN = API_TOKEN
    BASE_URL = BASE_URL
    DOC_REQUEST_BODY = DOC_REQUEST_BODY
    DOC_RESPONSE_BODY = DOC_RESPONSE_BODY
    DOC_WS_ITEM = DOC_WS_ITEM
    MARKET_BODY = MARKET_BODY
    credentials = staticmethod(credentials)

    @staticmethod
    def order_kwargs(**overrides: Any) -> dict[str, Any]:
        """Keyword arguments of a valid stop order, with overrides."""
        values: dict[str, Any] = {
            "symbol": "BTC/USDT",
            "side": Side.BUY,
            "quantity": Decimal("0.01"),
            "stop_price": Decimal("128000"),
        }
        values.update(overrides)
        return values


def make_bound() -> B2TraderBound:
    """B2TRADER bound to test credentials and a broker-like base URL."""
    return VENUE.bind(VENUE.credentials_from_env(credentials()), {"base_url": BASE_URL})


def make_ctx() -> RequestContext:
    """A request context holding a test access token."""
    return RequestContext(now_ms=1_755_187_645_819, access_token=AccessToken("jwt-test-value"))


def make_doc_stop() -> StopOrder:
    """The documented example: Buy Market stop, 0.01 BTC, activation 128000, Ioc."""
    return StopOrder(
        symbol="spot.btc_usdt",
        side=Side.BUY,
        quantity=Decimal("0.01"),
        stop_price=Decimal("128000"),
        time_in_force=TimeInForce.IOC,
        client_order_id="coid-1",
    )


def make_doc_stop_limit() -> StopLimitOrder:
    """The documented example as a stop-limit at 128100."""
    return StopLimitOrder(
        symbol="spot.btc_usdt",
        side=Side.BUY,
        quantity=Decimal("0.01"),
        stop_price=Decimal("128000"),
        limit_price=Decimal("128100"),
        time_in_force=TimeInForce.IOC,
        client_order_id="coid-2",
    )
