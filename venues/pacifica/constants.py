"""Pacifica constants: base URLs, paths, operation types, headers, env vars and doc URLs.

Sources: https://docs.pacifica.fi/api-documentation/api and the evidence ledger in
``docs/venues/pacifica.md`` (one row per fact).
"""

from __future__ import annotations

from typing import Final

VENUE_NAME: Final = "pacifica"
TITLE: Final = "Pacifica (Solana perpetuals DEX)"

# Base URLs are scheme + host; every path below carries its /api/v1 prefix.
# https://docs.pacifica.fi/api-documentation/api/rest-api
LIVE_BASE_URL: Final = "https://api.pacifica.fi"
TESTNET_BASE_URL: Final = "https://test-api.pacifica.fi"
API_PREFIX: Final = "/api/v1"
# WebSocket (https://docs.pacifica.fi/api-documentation/api/websocket).
LIVE_WS_URL: Final = "wss://ws.pacifica.fi/ws"
TESTNET_WS_URL: Final = "wss://test-ws.pacifica.fi/ws"
WS_PATH: Final = "/ws"
DOC_WS_URL: Final = "https://docs.pacifica.fi/api-documentation/api/websocket/subscriptions/account-order-updates"

PATH_STOP_CREATE: Final = "/api/v1/orders/stop/create"
PATH_STOP_CANCEL: Final = "/api/v1/orders/stop/cancel"
PATH_OPEN_ORDERS: Final = "/api/v1/orders"
PATH_ORDER_HISTORY: Final = "/api/v1/orders/history"
PATH_ORDER_HISTORY_BY_ID: Final = "/api/v1/orders/history_by_id"
PATH_AGENT_BIND: Final = "/api/v1/agent/bind"
PATH_MARKET_INFO: Final = "/api/v1/info"

# Signing operation types (https://docs.pacifica.fi/api-documentation/api/signing/operation-types).
OP_CREATE_STOP_ORDER: Final = "create_stop_order"
OP_CANCEL_STOP_ORDER: Final = "cancel_stop_order"
OP_BIND_AGENT_WALLET: Final = "bind_agent_wallet"

# Body fields that are never part of the signed ``data``
# (https://docs.pacifica.fi/api-documentation/api/signing/implementation, python-sdk common/utils.py).
UNSIGNED_BODY_FIELDS: Final = frozenset({"account", "agent_wallet", "signature", "timestamp", "expiry_window"})

HEADER_CONTENT_TYPE: Final = "Content-Type"
JSON_CONTENT_TYPE: Final = "application/json"
# Optional: raises rate limits only, does not authenticate
# (https://docs.pacifica.fi/api-documentation/api/rate-limits/api-config-keys).
HEADER_API_KEY: Final = "PF-API-KEY"

ENV_PRIVATE_KEY: Final = "PACIFICA_PRIVATE_KEY"
ENV_ACCOUNT: Final = "PACIFICA_ACCOUNT"
ENV_API_KEY: Final = "PACIFICA_API_KEY"

DEFAULT_EXPIRY_WINDOW_MS: Final = 30_000
# Order history is read in pages of the documented default size (the MCP server says the venue
# caps limit at 4000; CCXT notes the heavy weight depends on it, so the default is kept), and a
# search for a client order id never reads more than this many pages, whatever the budget.
HISTORY_PAGE_LIMIT: Final = 100
HISTORY_MAX_PAGES: Final = 20
# Share of the credit budget one history search may spend when history_search_max_credits is unset.
HISTORY_SEARCH_BUDGET_SHARE: Final = 0.25

DOC_URL: Final = "https://docs.pacifica.fi/api-documentation/api/rest-api/orders/create-stop-order"
DOC_CANCEL_URL: Final = "https://docs.pacifica.fi/api-documentation/api/rest-api/orders/cancel-stop-order"
DOC_OPEN_ORDERS_URL: Final = "https://docs.pacifica.fi/api-documentation/api/rest-api/orders/get-open-orders"
DOC_HISTORY_URL: Final = "https://docs.pacifica.fi/api-documentation/api/rest-api/orders/get-order-history"
DOC_HISTORY_BY_ID_URL: Final = "https://docs.pacifica.fi/api-documentation/api/rest-api/orders/get-order-history-by-id"
DOC_SIGNING_URL: Final = "https://docs.pacifica.fi/api-documentation/api/signing/implementation"
DOC_AGENT_KEYS_URL: Final = "https://docs.pacifica.fi/api-documentation/api/signing/api-agent-keys"
DOC_SIGNING_ERRORS_URL: Final = "https://docs.pacifica.fi/api-documentation/api/signing/error-handling"
DOC_ERROR_CODES_URL: Final = "https://docs.pacifica.fi/api-documentation/api/error-codes"
DOC_RATE_LIMITS_URL: Final = "https://docs.pacifica.fi/api-documentation/api/rate-limits"

# Credits per 60 s window (rate-limits page): 100 per unidentified IP (other versions of the
# page say 125; the lower is taken), 300 with a PF-API-KEY; an action costs 1, a cancel 0.5.
CREDITS_PER_IP: Final = 100.0
CREDITS_WITH_API_KEY: Final = 300.0
CREDIT_WINDOW_S: Final = 60.0
CANCEL_COST: Final = 0.5
# Read costs: CCXT python/ccxt/pacifica.py api weights (orders 1, orders/history_by_id 1, info 1,
# orders/history 12; with an API key a heavy read costs options.maxCostHugeWithApiKey = 4). The
# rate-limits page gives heavy GETs 3-12 (1-3, or 1-4 in another version, with a key): the upper
# bounds are taken.
OPEN_ORDERS_COST: Final = 1.0
HISTORY_BY_ID_COST: Final = 1.0
MARKET_INFO_COST: Final = 1.0
HISTORY_COST: Final = 12.0
HISTORY_COST_WITH_API_KEY: Final = 4.0
DOC_MARKET_SYMBOLS_URL: Final = "https://docs.pacifica.fi/api-documentation/api/market-symbols"
DOC_MARKET_INFO_URL: Final = "https://docs.pacifica.fi/api-documentation/api/rest-api/markets/get-market-info"
DOC_TICK_LOT_URL: Final = "https://docs.pacifica.fi/api-documentation/api/tick-and-lot-size"
# The cache key of the GET /api/v1/info answer (per client; the base URL is appended).
MARKET_INFO_CACHE_KEY: Final = "pacifica:info"
