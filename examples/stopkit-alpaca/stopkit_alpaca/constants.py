"""Alpaca Trading API constants: base URLs, paths, header and env-var names, limits, doc URLs.

Docs this plugin relies on (read when it was written; nothing here was fetched at run time).
Points marked **[unverified]** could not be checked against the live docs or the venue from
where the plugin was built; each takes the safe choice and says so where it is used.

- https://docs.alpaca.markets/reference/postorder            place (``POST /v2/orders``): fields, enums
- https://docs.alpaca.markets/reference/getorderbyorderid    ``GET /v2/orders/{order_id}``
- https://docs.alpaca.markets/reference/getorderbyclientorderid  ``GET /v2/orders:by_client_order_id``
- https://docs.alpaca.markets/reference/getallorders         ``GET /v2/orders?status=open``
- https://docs.alpaca.markets/reference/deleteorderbyorderid ``DELETE /v2/orders/{order_id}`` (204)
- https://docs.alpaca.markets/reference/patchorderbyorderid  ``PATCH /v2/orders/{order_id}`` (replace)
- https://docs.alpaca.markets/docs/orders-at-alpaca          order types, time in force, order lifecycle
  (the status list), sub-penny rule, ``client_order_id`` uniqueness
- https://docs.alpaca.markets/docs/authentication            ``APCA-API-KEY-ID`` / ``APCA-API-SECRET-KEY``
- https://docs.alpaca.markets/docs/paper-trading             ``https://paper-api.alpaca.markets``
- https://docs.alpaca.markets/reference/api-references       error bodies ``{"code": 40010001, "message": ...}``
  and the documented rate limit (200 requests per minute per account)
"""

from __future__ import annotations

__all__ = [
    "CLIENT_ORDER_ID_MAX_LEN",
    "DOC_AUTH",
    "DOC_CANCEL",
    "DOC_ERRORS",
    "DOC_GET",
    "DOC_GET_BY_CLIENT_ID",
    "DOC_LIST",
    "DOC_ORDERS_GUIDE",
    "DOC_PAPER",
    "DOC_PLACE",
    "DOC_REPLACE",
    "DOC_URL",
    "ENV_KEY_ID",
    "ENV_SECRET_KEY",
    "HEADER_KEY_ID",
    "HEADER_SECRET_KEY",
    "LIST_LIMIT",
    "LIVE_BASE_URL",
    "MAX_REPLACE_HOPS",
    "ORDERS_PATH",
    "ORDER_BY_CLIENT_ID_PATH",
    "PAPER_BASE_URL",
    "RATE_LIMIT_PER_MIN",
    "SECRET_HEADERS",
    "SYMBOL_MAX_LEN",
    "VENUE_NAME",
    "order_path",
]

VENUE_NAME = "alpaca"

DOC_URL = "https://docs.alpaca.markets/reference/postorder"
DOC_PLACE = "https://docs.alpaca.markets/reference/postorder"
DOC_GET = "https://docs.alpaca.markets/reference/getorderbyorderid"
DOC_GET_BY_CLIENT_ID = "https://docs.alpaca.markets/reference/getorderbyclientorderid"
DOC_LIST = "https://docs.alpaca.markets/reference/getallorders"
DOC_CANCEL = "https://docs.alpaca.markets/reference/deleteorderbyorderid"
DOC_REPLACE = "https://docs.alpaca.markets/reference/patchorderbyorderid"
DOC_ORDERS_GUIDE = "https://docs.alpaca.markets/docs/orders-at-alpaca"
DOC_AUTH = "https://docs.alpaca.markets/docs/authentication"
DOC_PAPER = "https://docs.alpaca.markets/docs/paper-trading"
DOC_ERRORS = "https://docs.alpaca.markets/reference/api-references"

# Paper trading is the default: a plugin example must not reach real money unless asked (paper=false).
PAPER_BASE_URL = "https://paper-api.alpaca.markets"
LIVE_BASE_URL = "https://api.alpaca.markets"

ORDERS_PATH = "/v2/orders"
# The colon is part of the documented path ("GET /v2/orders:by_client_order_id").
ORDER_BY_CLIENT_ID_PATH = "/v2/orders:by_client_order_id"


def order_path(order_id_quoted: str) -> str:
    """``/v2/orders/{order_id}`` (the id already URL-quoted)."""
    return f"{ORDERS_PATH}/{order_id_quoted}"


# Authentication headers (docs/authentication). Both are treated as sensitive: the key id is not a
# secret by itself, but it names the account, so cassettes and reprs mask it too.
HEADER_KEY_ID = "APCA-API-KEY-ID"
HEADER_SECRET_KEY = "APCA-API-SECRET-KEY"  # noqa: S105  # a header name, not a secret
SECRET_HEADERS = (HEADER_KEY_ID, HEADER_SECRET_KEY)

# The variable names Alpaca's own SDKs read.
ENV_KEY_ID = "APCA_API_KEY_ID"
ENV_SECRET_KEY = "APCA_API_SECRET_KEY"  # noqa: S105  # an env-var name, not a secret

# client_order_id: "<= 128 characters" (postorder). stopkit's own model caps ids at 64, so every
# stopkit order fits; the check stays for orders built elsewhere.
CLIENT_ORDER_ID_MAX_LEN = 128
# Ticker length: Alpaca documents no maximum [unverified]; 1-20 characters like the other US broker.
SYMBOL_MAX_LEN = 20
# GET /v2/orders: "limit: max 500, default 50" (getallorders).
LIST_LIMIT = 500
# A read follows `replaced_by` at most this many times (a longer chain is a venue bug or a loop).
MAX_REPLACE_HOPS = 20
# "200 requests every minute per API key" (api-references, rate limit section).
RATE_LIMIT_PER_MIN = 200
