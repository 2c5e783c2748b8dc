"""Aries (finance.dev) constants: URLs, paths, env-var names, doc URLs, limits.

API reference https://finance.dev/api-reference; the official SDK ``finance-dev`` 0.9.0
(https://pypi.org/project/finance-dev/). Every value's source is in the evidence ledger of
``docs/venues/aries.md``.
"""

from __future__ import annotations

from typing import Final

__all__ = [
    "ACCOUNT_ID_MAX_LEN",
    "CANCEL_PATH",
    "CHAIN_FIELD",
    "DEFAULT_TOKEN_SCOPE",
    "DOC_URL",
    "DOC_CANCEL",
    "DOC_HISTORY",
    "DOC_LIST_ACTIVE",
    "DOC_PLACE",
    "DOC_REPLACE",
    "DOC_STOP",
    "DOC_STOP_LIMIT",
    "DOC_TOKEN",
    "DOC_WS",
    "ENV_ACCESS_TOKEN",
    "ENV_ACCOUNT_ID",
    "ENV_CLIENT_ID",
    "ENV_CLIENT_SECRET",
    "ENV_REFRESH_TOKEN",
    "HISTORY_MARGIN_MS",
    "HISTORY_MAX_DAYS",
    "LIVE_BASE_URL",
    "MAX_DECIMALS",
    "MAX_PAGES",
    "ORDERS_PATH",
    "PAGE_LIMIT",
    "RECONCILE_SKEW_MS",
    "REPLACE_PATH",
    "SDK_URL",
    "SECURITY_TYPE_EQUITY",
    "SECURITY_TYPE_OPTION",
    "SERVER_SIDE_ERROR_TYPES",
    "SYMBOL_MAX_LEN",
    "TOKEN_PATH",
    "VENUE_NAME",
    "WS_PATH",
    "active_orders_path",
    "history_orders_path",
]

VENUE_NAME = "aries"

# "All API requests should be made to: https://api.aries.com" (https://finance.dev/api-reference).
LIVE_BASE_URL = "https://api.aries.com"

DOC_URL = "https://finance.dev/api-reference"
DOC_PLACE = "https://finance.dev/api-reference/orders/place-order"
DOC_STOP = "https://finance.dev/api-reference/orders/stop-order"
DOC_STOP_LIMIT = "https://finance.dev/api-reference/orders/stop-limit-order"
DOC_CANCEL = "https://finance.dev/api-reference/orders/cancel-order"
DOC_REPLACE = "https://finance.dev/api-reference/orders/update-order"
DOC_LIST_ACTIVE = "https://finance.dev/api-reference/accounts/list-active-orders"
DOC_HISTORY = "https://finance.dev/api-reference/accounts/list-orders-history"
DOC_TOKEN = "https://finance.dev/api-reference/oauth2/token"  # noqa: S105  # a URL
# The official SDK, generated from the "Aries API — OpenAPI Specification" (models cited by module).
SDK_URL = "https://pypi.org/project/finance-dev/0.9.0/"

# Account updates WebSocket (https://finance.dev/websockets/account-updates).
WS_PATH = "/v1/accounts/ws"
DOC_WS = "https://finance.dev/websockets/account-updates"

TOKEN_PATH = "/v1/oauth2/token"  # noqa: S105  # a path
ORDERS_PATH = "/v1/orders"
CANCEL_PATH = "/v1/orders/cancel"
REPLACE_PATH = "/v1/orders/replace"


def active_orders_path(account_id_quoted: str) -> str:
    """``/v2/accounts/{tradingAccountId}/orders`` (the id already URL-quoted)."""
    return f"/v2/accounts/{account_id_quoted}/orders"


def history_orders_path(account_id_quoted: str) -> str:
    """``/v2/accounts/{tradingAccountId}/orders/history`` (the id already URL-quoted)."""
    return f"/v2/accounts/{account_id_quoted}/orders/history"


ENV_ACCESS_TOKEN = "ARIES_ACCESS_TOKEN"  # noqa: S105  # an env-var name, not a secret
ENV_CLIENT_ID = "ARIES_CLIENT_ID"
ENV_CLIENT_SECRET = "ARIES_CLIENT_SECRET"  # noqa: S105  # an env-var name, not a secret
ENV_REFRESH_TOKEN = "ARIES_REFRESH_TOKEN"  # noqa: S105  # an env-var name, not a secret
ENV_ACCOUNT_ID = "ARIES_ACCOUNT_ID"

# "Decimal inputs support up to 5 digits after the decimal point" (SDK finance_dev/orders.py, place_order).
MAX_DECIMALS = 5
# tradingAccountId 1-50 characters, symbol 1-20 (https://finance.dev/api-reference/orders/cancel-order).
ACCOUNT_ID_MAX_LEN = 50
SYMBOL_MAX_LEN = 20
# List endpoints: "Default is 50; maximum is 500" (SDK orders.py list_active_orders / list_order_history).
PAGE_LIMIT = 500
# A read gives up after this many pages (a cursor that never reaches 0 is a venue bug).
MAX_PAGES = 100
# History: "The server caps the window at 90 days" (SDK orders.py list_order_history).
HISTORY_MAX_DAYS = 90
# A history search by creation time starts this long before the order's known creation time
# (our clock and the venue's order_created_at may differ). Assumption; see the ledger.
HISTORY_MARGIN_MS = 3_600_000
# Cancel requests name the security type CS (equity) / OPT (option)
# (https://finance.dev/api-reference/orders/cancel-order); order rows say EQUITY / OPTION
# (SDK models/tradeorderv2.py TradeOrderV2SecurityType).
SECURITY_TYPE_EQUITY = "CS"
SECURITY_TYPE_OPTION = "OPT"
# AppErrorType values that describe a failure on the venue's side (SDK models/apperror.py:
# "INTERNAL — server-side error; retry or contact support", "TIMEOUT — operation took too long",
# and the service categories DATABASE, EXTERNAL_SERVICE, SERVICE_UNAVAILABLE, GRPC, QUEUE): whatever
# the HTTP status, they never prove that a write was not carried out.
SERVER_SIDE_ERROR_TYPES = frozenset(
    {"TIMEOUT", "EXTERNAL_SERVICE", "SERVICE_UNAVAILABLE", "INTERNAL", "GRPC", "QUEUE", "DATABASE"}
)
# The token's scopes: the SDK asks for order:execution on place/cancel/replace and for
# order:information on the two order lists (SDK orders.py, oauth2_scopes of each operation); one
# stopkit token serves both, so both are requested by default (config token_scope).
DEFAULT_TOKEN_SCOPE = "order:execution order:information"  # noqa: S105  # scope names, not a secret
# Reconciliation after an unknown placement outcome accepts orders whose createdAt is at most
# this long before the first send (createdAt has second precision; clocks drift). Configurable.
RECONCILE_SKEW_MS = 5_000
# The key under which a modified order's OrderState.raw lists every clOrdId of its replace chain,
# oldest first (stopkit's own key beside the venue's answer fields; see parse.parse_replace_response).
CHAIN_FIELD = "stopkit.clOrdIdChain"

# Aries publishes no rate limits; a conservative client-side throttle (assumption, config requests_per_s).
DEFAULT_REQUESTS_PER_S: Final = 5.0
