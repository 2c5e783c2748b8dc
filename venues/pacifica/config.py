"""Pacifica venue configuration (``--venue-config KEY=VALUE`` or ``config={...}``)."""

from __future__ import annotations

import math
import re
from collections.abc import Mapping
from typing import Any
from urllib.parse import urlsplit

import attrs

from stopkit.plugin import (
    ConfigurationError,
    structure_config,
)
from stopkit_venues.pacifica.constants import (
    API_PREFIX,
    DEFAULT_EXPIRY_WINDOW_MS,
    LIVE_BASE_URL,
    LIVE_WS_URL,
    TESTNET_BASE_URL,
    TESTNET_WS_URL,
    VENUE_NAME,
    WS_PATH,
)

__all__ = ["PacificaConfig", "parse_config"]

_BUILDER_CODE = re.compile(r"[A-Za-z0-9]{3,16}")


@attrs.frozen(kw_only=True)
class PacificaConfig:
    """Fields:

    base_url: ``https://api.pacifica.fi`` (live) by default; testnet is
        ``https://test-api.pacifica.fi``. Scheme and host only (a trailing
        ``/api/v1``, as the docs print the REST base, is dropped).
    expiry_window_ms: signature lifetime in ms (positive), default 30000 (the
        documented default; https://docs.pacifica.fi/api-documentation/api/signing/implementation).
    builder_code: 3-16 alphanumeric characters, sent (and signed) only when set;
        the user must have approved it beforehand, or the venue refuses the order.
    resend_after_unknown: after an unknown placement outcome that a complete lookup by client
        order id cannot settle, send the same order (same client order id) once more (default
        ``False``). Off by default: no source says Pacifica refuses a reused client order id
        once the first order has filled or been cancelled (code 36 is only known to guard a
        live duplicate), so a resend could place the order twice. With it off, such an
        outcome is reported as unknown.
    rate_limit_credits: the client-side credit budget per 60 s; ``None`` (default) uses the
        documented 100, or 300 with a ``PF-API-KEY``. Set it to your fee tier's quota.
    history_search_max_credits: the most credits one search of ``GET /api/v1/orders/history``
        for a client order id may spend (a page costs 12 credits, 4 with a ``PF-API-KEY``);
        ``None`` (default) is a quarter of the budget, so one lookup can never exhaust it.
    check_market_rules: before sending a stop, check it against the market's ``tick_size``,
        ``lot_size``, ``min_tick``/``max_tick`` and ``min_order_size`` from ``GET /api/v1/info``
        (default ``True``; an order that does not fit raises ``InvalidOrder`` naming the field
        and the nearest valid values). The venue checks the size only when the stop triggers.
    market_info_ttl_s: how long the ``GET /api/v1/info`` answer is reused, in seconds (default 300).
    stream_all_orders: ``watch_orders()`` yields the account's non-stop orders too, with their
        real kind (LIMIT/MARKET); by default only stop orders are yielded.
    ws_url: the order-update WebSocket; by default ``wss://ws.pacifica.fi/ws`` for the live
        base URL, ``wss://test-ws.pacifica.fi/ws`` for testnet, else ``ws(s)://<base host>/ws``
        (the simulator serves it there).
    """

    base_url: str = LIVE_BASE_URL
    expiry_window_ms: int = DEFAULT_EXPIRY_WINDOW_MS
    builder_code: str | None = None
    resend_after_unknown: bool = False
    rate_limit_credits: float | None = None
    history_search_max_credits: float | None = None
    check_market_rules: bool = True
    market_info_ttl_s: float = 300.0
    stream_all_orders: bool = False
    ws_url: str | None = None


def _bad(message: str) -> ConfigurationError:
    return ConfigurationError(f"{VENUE_NAME}: bad config: {message}", venue=VENUE_NAME)


def _normalize_base_url(value: str) -> str:
    # Scheme + host[:port]; "/api/v1" is dropped since every path carries it; other paths are refused.
    text = value.strip().rstrip("/")
    parts = urlsplit(text)
    if parts.scheme not in ("http", "https") or not parts.netloc:
        raise _bad(f"base_url must be http(s)://host[:port], got {value!r}")
    path = "" if parts.path == API_PREFIX else parts.path
    if path or parts.query or parts.fragment:
        raise _bad(f"base_url must be scheme and host only (paths carry {API_PREFIX}), got {value!r}")
    return f"{parts.scheme}://{parts.netloc}"


def parse_config(values: Mapping[str, Any] | None) -> PacificaConfig:
    """The validated config from typed or string ``values``.

    Raises:
        ConfigurationError: an unknown key, a value of the wrong type, a non-positive
            ``expiry_window_ms``, ``rate_limit_credits`` or ``history_search_max_credits``, a
            negative ``market_info_ttl_s``, a malformed ``base_url``, ``ws_url`` or ``builder_code``.
    """
    config = structure_config(PacificaConfig, values, venue=VENUE_NAME)
    if config.expiry_window_ms <= 0:
        raise _bad(f"expiry_window_ms must be a positive number of milliseconds, got {config.expiry_window_ms}")
    for name in ("market_info_ttl_s", "history_search_max_credits", "rate_limit_credits"):
        value = getattr(config, name)
        if value is not None and not math.isfinite(value):
            raise _bad(f"{name} must be a finite number, got {value}")
    if config.market_info_ttl_s < 0:
        raise _bad(f"market_info_ttl_s must not be negative, got {config.market_info_ttl_s}")
    if config.history_search_max_credits is not None and config.history_search_max_credits <= 0:
        raise _bad(f"history_search_max_credits must be positive, got {config.history_search_max_credits}")
    if config.rate_limit_credits is not None and config.rate_limit_credits <= 0:
        raise _bad(f"rate_limit_credits must be positive, got {config.rate_limit_credits}")
    if config.builder_code is not None and not _BUILDER_CODE.fullmatch(config.builder_code):
        raise _bad(f"builder_code must be 3-16 alphanumeric characters, got {config.builder_code!r}")
    base_url = _normalize_base_url(config.base_url)
    return attrs.evolve(config, base_url=base_url, ws_url=_ws_url(config.ws_url, base_url))


def _ws_url(value: str | None, base_url: str) -> str:
    # The configured ws(s):// URL, or the documented one for the live/testnet host, or one derived from base_url.
    if value is not None:
        parts = urlsplit(value.strip())
        if parts.scheme not in ("ws", "wss") or not parts.netloc:
            raise _bad(f"ws_url must be ws(s)://host[:port]/path, got {value!r}")
        return value.strip()
    if base_url == LIVE_BASE_URL:
        return LIVE_WS_URL
    if base_url == TESTNET_BASE_URL:
        return TESTNET_WS_URL
    return base_url.replace("http", "ws", 1) + WS_PATH
