"""Pacifica constants: base URLs, paths, operation types, headers, env vars and doc URLs.

Source: the venue sheet ``venues/pacifica.md`` and https://docs.pacifica.fi/api-documentation/api.
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

# Body fields that are never part of the signed ``data`` (sheet §2.1 step 3).
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
# Order history is searched for a client order id at most this many pages deep.
HISTORY_PAGE_LIMIT: Final = 100
HISTORY_MAX_PAGES: Final = 20

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

# Credits per 60 s window (rate-limits page): 100 per unidentified IP (an older version
# said 125), 300 with a PF-API-KEY; an action costs 1, a cancel 0.5.
CREDITS_PER_IP: Final = 100.0
CREDITS_WITH_API_KEY: Final = 300.0
CREDIT_WINDOW_S: Final = 60.0
CANCEL_COST: Final = 0.5
DOC_MARKET_SYMBOLS_URL: Final = "https://docs.pacifica.fi/api-documentation/api/market-symbols"
DOC_MARKET_INFO_URL: Final = "https://docs.pacifica.fi/api-documentation/api/rest-api/markets/get-market-info"
DOC_TICK_LOT_URL: Final = "https://docs.pacifica.fi/api-documentation/api/tick-and-lot-size"
