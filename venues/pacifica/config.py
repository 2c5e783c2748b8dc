"""Pacifica venue configuration (``--venue-config KEY=VALUE`` or ``config={...}``)."""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any
from urllib.parse import urlsplit

import attrs

from stopkit.plugin import (
    ConfigurationError,
    structure_config,
)
from venues.pacifica.constants import (
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
    resend_after_unknown: after an unknown placement outcome that a lookup by client
        order id cannot resolve, send the same order (same client order id) once more;
        safe because the venue refuses reused client order ids (default ``True``).
    rate_limit_credits: the client-side credit budget per 60 s; ``None`` (default) uses the
        documented 100, or 300 with a ``PF-API-KEY``. Set it to your fee tier's quota.
    ws_url: the order-update WebSocket; by default ``wss://ws.pacifica.fi/ws`` for the live
        base URL, ``wss://test-ws.pacifica.fi/ws`` for testnet, else ``ws(s)://<base host>/ws``
        (the simulator serves it there).
    """

    base_url: str = LIVE_BASE_URL
    expiry_window_ms: int = DEFAULT_EXPIRY_WINDOW_MS
    builder_code: str | None = None
    resend_after_unknown: bool = True
    rate_limit_credits: float | None = None
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
        ConfigurationError: an unknown key, a value of the wrong type, a
            non-positive ``expiry_window_ms``, a malformed ``base_url`` or ``builder_code``.
    """
    config = structure_config(PacificaConfig, values, venue=VENUE_NAME)
    if config.expiry_window_ms <= 0:
        raise _bad(f"expiry_window_ms must be a positive number of milliseconds, got {config.expiry_window_ms}")
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
