"""B2TRADER constants: paths, header names and values, environment variables, doc URLs.

Every broker runs its own host ("All endpoints are relative and resolved based on a specified
hostname", https://api-docs.b2trader.b2broker.com/get-started/overview), so there is no live
base URL here: ``base_url`` is required configuration. Every value below has a row in the
evidence ledger of ``docs/venues/b2trader.md``.
"""

from __future__ import annotations

from typing import Final

__all__ = [
    "ACCEPT",
    "CANCEL_ORDER_DOC_URL",
    "CANCEL_STOP_DOC_URL",
    "DEFAULT_MARKETS_TTL_S",
    "DEFAULT_REQUESTS_PER_S",
    "DEFAULT_TOKEN_LIFETIME_S",
    "DEFAULT_TOKEN_PATH",
    "DOC_URL",
    "ENV_ACCESS_TOKEN",
    "ENV_ACCOUNT_ID",
    "ENV_API_TOKEN",
    "ENV_BASE_URL",
    "HEADER_ACCOUNT_ID",
    "LEGACY_ORDER_STATUSES_DOC_URL",
    "LEGACY_RATE_LIMIT_DOC_URL",
    "MARKETS_PATH",
    "MARKET_DOC_URL",
    "ORDERS_PATH",
    "ORDER_STATUSES_DOC_URL",
    "ORDER_TYPES_DOC_URL",
    "PRIME_TRADING_DOC_URL",
    "PRIME_WS_DOC_URL",
    "SETTINGS_DOC_URL",
    "SPOT_MARKET_TYPE",
    "STOP_CONTENT_TYPE",
    "STOP_ORDERS_PATH",
    "TIME_IN_FORCE_DOC_URL",
    "TITLE",
    "TOKEN_CONTENT_TYPE",
    "TOKEN_SOURCE_URL",
    "VENUE_NAME",
    "WS_DOC_URL",
]

VENUE_NAME: Final = "b2trader"
TITLE: Final = "B2TRADER (B2Broker) SPOT stop orders"

DOC_URL: Final = "https://api-docs.b2trader.b2broker.com/rest-api"
"""The "Trading" REST page with "Place SPOT Stop order"."""
PRIME_TRADING_DOC_URL: Final = "https://api-docs.b2prime.com/rest-api/trading"
"""The B2PRIME mirror of the Trading page (same frontoffice API)."""
SETTINGS_DOC_URL: Final = "https://api-docs.b2trader.b2broker.com/rest-api/settings"
ORDER_STATUSES_DOC_URL: Final = "https://api-docs.b2trader.b2broker.com/get-started/order-statuses"
WS_DOC_URL: Final = "https://api-docs.b2trader.b2broker.com/websocket-api"
PRIME_WS_DOC_URL: Final = "https://api-docs.b2prime.com/websocket-api/trading"
"""B2PRIME "Get open orders": ``item.status`` is one of Started, Pending, Working."""
MARKET_DOC_URL: Final = "https://support.xbtfx.com/en/articles/13886694-rest-api-settings-get-market"
"""Broker knowledge base (XBTFX), "Get market": ``GET /frontoffice/api/v5/markets/{marketId}`` and its fields."""
CANCEL_STOP_DOC_URL: Final = "https://support.xbtfx.com/en/articles/13885966-rest-api-trading-cancel-stop-order"
CANCEL_ORDER_DOC_URL: Final = "https://support.xbtfx.com/en/articles/13885769-rest-api-trading-cancel-order"
"""Broker knowledge base (XBTFX), "Cancel order": ``DELETE /frontoffice/api/v3/orders/{orderId}``."""
TIME_IN_FORCE_DOC_URL: Final = "https://docs.bbp.b2trader.b2broker.com/knowledge-base/time-in-force"
ORDER_TYPES_DOC_URL: Final = "https://docs.bbp.b2trader.b2broker.com/en/trading-guide/references/order-types.html"
LEGACY_ORDER_STATUSES_DOC_URL: Final = "https://docs.b2trader.b2broker.com/en/order-statuses.html"
"""The older B2Trader order-status page, the only one that lists ``Reverted``."""
LEGACY_RATE_LIMIT_DOC_URL: Final = "https://docs.b2bx.exchange/en/_docs/api-reference.html"
"""The older B2BX docs: "/frontoffice/* — 1 request per second" (legacy, indicative only)."""
TOKEN_SOURCE_URL: Final = "https://github.com/oualiabdox-byte/glitch"  # noqa: S105  # a URL, not a secret
"""Third-party code (weak evidence), the only source of the access-token exchange."""

ENV_BASE_URL: Final = "B2TRADER_BASE_URL"
ENV_API_TOKEN: Final = "B2TRADER_API_TOKEN"  # noqa: S105  # an environment variable name, not a secret
ENV_ACCESS_TOKEN: Final = "B2TRADER_ACCESS_TOKEN"  # noqa: S105  # an environment variable name, not a secret
ENV_ACCOUNT_ID: Final = "B2TRADER_ACCOUNT_ID"

DEFAULT_TOKEN_PATH: Final = "/frontoffice/api/v4/access-token"  # noqa: S105  # a URL path
"""The offline-token exchange (third-party evidence only; config ``token_path``)."""
STOP_ORDERS_PATH: Final = "/frontoffice/api/v3/stop-orders"
ORDERS_PATH: Final = "/frontoffice/api/v3/orders"
"""Regular orders; ``DELETE {ORDERS_PATH}/{orderId}`` cancels one, e.g. the child an activated stop released."""
MARKETS_PATH: Final = "/frontoffice/api/v5/markets"
"""``GET {MARKETS_PATH}/{marketId}`` is "Get market" (one market, documented fields)."""

TOKEN_CONTENT_TYPE: Final = "application/json"  # noqa: S105  # a media type
STOP_CONTENT_TYPE: Final = "application/json; x-api-version=4.0"
"""Sent exactly on stop place AND cancel (both documented examples); the URL says v3, the media type 4.0."""
ACCEPT: Final = "*/*"
HEADER_ACCOUNT_ID: Final = "accountId"
"""The trading account is an HTTP header, not a path or body field (every documented trading example)."""

DEFAULT_TOKEN_LIFETIME_S: Final = 3600
"""Assumed access-token lifetime when the token carries no JWT ``exp``: 60 minutes, claimed only by
third-party code (weak evidence)."""

DEFAULT_MARKETS_TTL_S: Final = 300
"""How long one market's "Get market" answer is reused (config ``markets_ttl_s``; 0 = before every
placement). Scales and limits are broker settings that change rarely; five minutes bounds staleness."""

SPOT_MARKET_TYPE: Final = "spot"
"""The only market type stopkit places stops on: "Place SPOT Stop order" is the documented SPOT path."""

DEFAULT_REQUESTS_PER_S: Final = 1.0
"""Client-side budget (config ``requests_per_s``). No limit is documented for this API; the legacy
B2BX docs allowed "/frontoffice/* — 1 request per second" (LEGACY_RATE_LIMIT_DOC_URL)."""
