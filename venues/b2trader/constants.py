"""B2TRADER constants: paths, header names and values, environment variables, doc URLs.

Sheet: /work/shared/venues/b2trader.md. Every broker runs its own host, so there
is no live base URL here (sheet §1): ``base_url`` is required configuration.
"""

from __future__ import annotations

from typing import Final

__all__ = [
    "ACCEPT",
    "ACCESS_TOKEN_PATH",
    "CANCEL_STOP_DOC_URL",
    "DEFAULT_MARKETS_TTL_S",
    "DEFAULT_TOKEN_LIFETIME_S",
    "DOC_URL",
    "ENV_ACCOUNT_ID",
    "ENV_API_TOKEN",
    "ENV_BASE_URL",
    "HEADER_ACCOUNT_ID",
    "LEGACY_ORDER_STATUSES_DOC_URL",
    "MARKETS_DOC_URL",
    "MARKETS_PATH",
    "MARKET_DOC_URL",
    "ORDER_STATUSES_DOC_URL",
    "SETTINGS_DOC_URL",
    "SPOT_MARKET_TYPE",
    "STOP_CONTENT_TYPE",
    "STOP_ORDERS_PATH",
    "TITLE",
    "TOKEN_CONTENT_TYPE",
    "TOKEN_SOURCE_URL",
    "VENUE_NAME",
]

VENUE_NAME: Final = "b2trader"
TITLE: Final = "B2TRADER (B2Broker) SPOT stop orders"

DOC_URL: Final = "https://api-docs.b2trader.b2broker.com/rest-api"
"""The "Trading" REST page with "Place SPOT Stop order" (sheet §3.1)."""
SETTINGS_DOC_URL: Final = "https://api-docs.b2trader.b2broker.com/rest-api/settings"
ORDER_STATUSES_DOC_URL: Final = "https://api-docs.b2trader.b2broker.com/get-started/order-statuses"
MARKETS_DOC_URL: Final = "https://api-docs.b2trader.b2broker.com/rest-api/settings"
"""Settings page, "Get markets" ``GET /frontoffice/api/v5/markets`` (no response example there)."""
MARKET_DOC_URL: Final = "https://support.xbtfx.com/en/articles/13886694-rest-api-settings-get-market"
"""[mirror] "Get market" (one market): the field list of a market object (priceScale, amountScale, ...)."""
LEGACY_ORDER_STATUSES_DOC_URL: Final = "https://docs.b2trader.b2broker.com/en/order-statuses.html"
"""The older B2Trader order-status page, the only one that lists ``Reverted``."""
CANCEL_STOP_DOC_URL: Final = "https://support.xbtfx.com/en/articles/13885966-rest-api-trading-cancel-stop-order"
TOKEN_SOURCE_URL: Final = "https://github.com/oualiabdox-byte/glitch"  # noqa: S105  # a URL, not a secret
"""Third-party code, the only source of the access-token exchange (sheet §2, [3p])."""

ENV_BASE_URL: Final = "B2TRADER_BASE_URL"
ENV_API_TOKEN: Final = "B2TRADER_API_TOKEN"  # noqa: S105  # an environment variable name, not a secret
ENV_ACCOUNT_ID: Final = "B2TRADER_ACCOUNT_ID"

ACCESS_TOKEN_PATH: Final = "/frontoffice/api/v4/access-token"  # noqa: S105  # a URL path
STOP_ORDERS_PATH: Final = "/frontoffice/api/v3/stop-orders"
MARKETS_PATH: Final = "/frontoffice/api/v5/markets"

TOKEN_CONTENT_TYPE: Final = "application/json"  # noqa: S105  # a media type
STOP_CONTENT_TYPE: Final = "application/json; x-api-version=4.0"
"""Sent exactly on stop place AND cancel; the URL says v3, the media type 4.0 (sheet §7.2)."""
ACCEPT: Final = "*/*"
HEADER_ACCOUNT_ID: Final = "accountId"
"""The trading account is an HTTP header, not a path or body field (sheet §2, §7.3)."""

DEFAULT_TOKEN_LIFETIME_S: Final = 3600
"""Assumed access-token lifetime when the token carries no JWT ``exp``: 60 minutes,
claimed only by third-party code (sheet §2, [unverified])."""

DEFAULT_MARKETS_TTL_S: Final = 300
"""How long the parsed Get markets answer is reused before it is fetched again (config
``markets_ttl_s``; 0 = fetch before every placement). Scales and limits are broker settings
that change rarely; five minutes bounds how stale a check can be."""

SPOT_MARKET_TYPE: Final = "spot"
"""The only market type stopkit places stops on; CFD/perpetual paths are unverified (sheet §3.2)."""

# No documented limit; the legacy "/frontoffice/* — 1 request per second" (sheet §6, §8.7).
DEFAULT_REQUESTS_PER_S: Final = 1.0
