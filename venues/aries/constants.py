"""Aries (finance.dev) constants: URLs, paths, env-var names, doc URLs.

Sheet: ``/work/shared/venues/aries.md``; API reference https://finance.dev/api-reference.
"""

from __future__ import annotations

from typing import Final

__all__ = [
    "ACCOUNT_ID_MAX_LEN",
    "CANCEL_PATH",
    "CHAIN_FIELD",
    "CLIENT_ID_TAG_MAX_LEN",
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
    "HISTORY_MAX_DAYS",
    "LIVE_BASE_URL",
    "MAX_DECIMALS",
    "MAX_PAGES",
    "ORDERS_PATH",
    "PAGE_LIMIT",
    "RECONCILE_SKEW_MS",
    "REPLACE_PATH",
    "SECURITY_TYPE_EQUITY",
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

# "Decimal inputs support up to 5 digits after the decimal point" ([sdk] orders.py; sheet §3.1).
MAX_DECIMALS = 5
# clientId: "string ≤50" (sheet §3.1 field table).
CLIENT_ID_TAG_MAX_LEN = 50
# tradingAccountId: "string 1-50"; symbol: "string 1-20" (sheet §3.1).
ACCOUNT_ID_MAX_LEN = 50
SYMBOL_MAX_LEN = 20
# List endpoints: "limit is at most 500" (sheet §3.4).
PAGE_LIMIT = 500
# A read gives up after this many pages (a cursor that never reaches 0 is a venue bug).
MAX_PAGES = 100
# History: "the window is at most 90 days" (sheet §3.4).
HISTORY_MAX_DAYS = 90
# Cancel requests name the security type CS (equity) / OPT (sheet §3.2, pitfall 12).
SECURITY_TYPE_EQUITY = "CS"
# Reconciliation after an unknown placement outcome accepts orders whose createdAt is at most
# this long before the first send (createdAt has second precision; clocks drift). Configurable.
RECONCILE_SKEW_MS = 5_000
# The key under which a modified order's OrderState.raw lists every clOrdId of its replace chain,
# oldest first (stopkit's own key beside the venue's answer fields; see parse.parse_replace_response).
CHAIN_FIELD = "stopkit.clOrdIdChain"

# Aries publishes no rate limits (sheet §6); the sheet's safe throttle (§8.7).
DEFAULT_REQUESTS_PER_S: Final = 5.0
