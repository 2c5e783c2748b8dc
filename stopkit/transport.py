"""The only network code in stopkit: an aiohttp transport.

A transport sends one :class:`~stopkit.wire.HttpRequest` exactly as built (the
body bytes untouched) and returns the :class:`~stopkit.wire.HttpResponse`.
Connection problems become :class:`~stopkit.errors.TransportError`:

- refused / DNS / TLS setup failures: the request never left, so
  ``outcome_known=True`` and ``retryable=True``;
- a reset, a disconnect or a timeout once the request may have been sent:
  ``outcome_known=False``; the caller decides (a read is simply retried, an
  order placement is reconciled, never resent blindly).
"""

from __future__ import annotations

import asyncio
import contextlib
import functools
import logging
from typing import Protocol

import aiohttp

from stopkit.errors import AuthenticationError, TransportError
from stopkit.stream import WsRequest
from stopkit.wire import HttpRequest, HttpResponse

__all__ = ["AiohttpTransport", "AiohttpWebSocket", "Transport", "WebSocket", "WsTransport"]

log = logging.getLogger("stopkit.transport")


class Transport(Protocol):
    """Anything that can send one request and return the response."""

    async def send(self, request: HttpRequest, *, timeout_s: float) -> HttpResponse:
        """Send ``request``; raise :class:`TransportError` when no response arrives."""
        ...

    async def close(self) -> None:
        """Release connections."""
        ...


class WebSocket(Protocol):
    """One open WebSocket connection (text frames)."""

    async def send_text(self, text: str) -> None:
        """Send one text frame; raise :class:`TransportError` when the connection is gone."""
        ...

    async def receive_text(self, *, timeout_s: float | None) -> str | None:
        """The next text frame (binary frames decoded as UTF-8), ``None`` once the connection is closed.

        Raises ``TimeoutError`` when nothing arrives within ``timeout_s`` seconds.
        """
        ...

    async def close(self) -> None:
        """Close the connection (idempotent)."""
        ...


class WsTransport(Protocol):
    """A transport that can also open WebSockets (used by ``VenueClient.watch_orders``)."""

    async def ws_connect(self, request: WsRequest, *, timeout_s: float) -> WebSocket:
        """Open ``request``'s WebSocket; raise :class:`TransportError` or :class:`AuthenticationError` (401/403)."""
        ...


class AiohttpWebSocket:
    """An open :class:`aiohttp.ClientWebSocketResponse`, as a :class:`WebSocket`."""

    def __init__(self, ws: aiohttp.ClientWebSocketResponse, *, venue: str | None) -> None:
        self._ws = ws
        self._venue = venue

    async def send_text(self, text: str) -> None:
        """Send one text frame."""
        try:
            await self._ws.send_str(text)
        except (aiohttp.ClientError, ConnectionError, RuntimeError) as exc:
            raise TransportError(f"WebSocket send failed: {type(exc).__name__}", venue=self._venue) from None

    async def receive_text(self, *, timeout_s: float | None) -> str | None:
        """The next text frame, or ``None`` once closed; ``TimeoutError`` after ``timeout_s``."""
        while True:
            message = await self._ws.receive(timeout=timeout_s)
            if message.type is aiohttp.WSMsgType.TEXT:
                return str(message.data)
            if message.type is aiohttp.WSMsgType.BINARY:
                return bytes(message.data).decode("utf-8", errors="replace")
            if message.type in (aiohttp.WSMsgType.PING, aiohttp.WSMsgType.PONG):
                continue  # protocol-level keep-alives are answered by aiohttp (autoping)
            return None  # CLOSE, CLOSING, CLOSED, ERROR

    async def close(self) -> None:
        """Close the connection."""
        if not self._ws.closed:
            with contextlib.suppress(TimeoutError, aiohttp.ClientError, ConnectionError):
                await asyncio.wait_for(self._ws.close(), timeout=2.0)


class AiohttpTransport:
    """One :class:`aiohttp.ClientSession` per transport (per client), created lazily.

    ``session``: use an existing session (not closed by :meth:`close`).
    """

    def __init__(self, *, session: aiohttp.ClientSession | None = None, venue: str | None = None) -> None:
        self._session = session
        self._owns_session = session is None
        self._venue = venue

    def _get_session(self) -> aiohttp.ClientSession:
        if self._session is None or self._session.closed:
            # No cookie jar (venues authenticate per request) and no default headers.
            self._session = aiohttp.ClientSession(cookie_jar=aiohttp.DummyCookieJar(), auto_decompress=True)
        return self._session

    async def send(self, request: HttpRequest, *, timeout_s: float) -> HttpResponse:
        """Send ``request`` with a total timeout of ``timeout_s`` seconds.

        Raises:
            TransportError: refused (``outcome_known=True``) or reset/timed out
                after sending (``outcome_known=False``).
        """
        session = self._get_session()
        try:
            async with session.request(
                request.method,
                request.url,
                data=request.body,
                headers=request.headers,
                timeout=_timeout(timeout_s),
                allow_redirects=False,
            ) as response:
                body = await response.read()
                log.debug("%s %s -> %s", request.method, _path_only(request.url), response.status)
                return HttpResponse(status=response.status, headers=dict(response.headers), body=body)
        except aiohttp.ClientConnectorError as exc:
            raise TransportError(
                f"cannot connect: {type(exc).__name__}", venue=self._venue, retryable=True, outcome_known=True
            ) from None
        except (TimeoutError, aiohttp.ServerTimeoutError):
            raise TransportError(
                f"no response within {timeout_s} s", venue=self._venue, retryable=True, outcome_known=False
            ) from None
        except aiohttp.ClientError as exc:
            raise TransportError(
                f"connection failed after sending: {type(exc).__name__}",
                venue=self._venue,
                retryable=True,
                outcome_known=False,
            ) from None

    async def ws_connect(self, request: WsRequest, *, timeout_s: float) -> AiohttpWebSocket:
        """Open ``request``'s WebSocket within ``timeout_s`` seconds. Logs and errors show the URL
        with secret query values masked (a token may ride in ``?access_token=``).

        Raises:
            AuthenticationError: the handshake was refused with 401/403.
            TransportError: cannot connect, or the handshake failed otherwise (retryable).
        """
        session = self._get_session()
        shown = request.masked_url()
        try:
            ws = await asyncio.wait_for(
                session.ws_connect(request.url, headers=dict(request.headers), autoping=True, heartbeat=None),
                timeout=timeout_s,
            )
        except aiohttp.WSServerHandshakeError as exc:
            if exc.status in (401, 403):
                raise AuthenticationError(
                    f"WebSocket handshake refused (HTTP {exc.status})", venue=self._venue, http_status=exc.status
                ) from None
            raise TransportError(
                f"WebSocket handshake failed (HTTP {exc.status})", venue=self._venue, http_status=exc.status
            ) from None
        except (TimeoutError, aiohttp.ClientError, OSError) as exc:
            raise TransportError(f"cannot open the WebSocket: {type(exc).__name__}", venue=self._venue) from None
        log.debug("websocket open: %s", _path_only(shown))
        return AiohttpWebSocket(ws, venue=self._venue)

    async def close(self) -> None:
        """Close the session if this transport created it."""
        if self._session is not None and self._owns_session and not self._session.closed:
            await self._session.close()


@functools.lru_cache(maxsize=16)
def _timeout(total_s: float) -> aiohttp.ClientTimeout:
    # ClientTimeout is immutable: one per distinct value, not one per request.
    return aiohttp.ClientTimeout(total=total_s)


def _path_only(url: str) -> str:
    # Logs show the path, never query strings (which may carry tokens).
    return url.split("?", 1)[0]
