"""The only network code in stopkit: an aiohttp transport.

A transport sends one :class:`~stopkit.wire.HttpRequest` exactly as built (the
body bytes untouched) and returns the :class:`~stopkit.wire.HttpResponse`.
Connection problems become :class:`~stopkit.errors.TransportError`:

- refused / DNS / TLS setup failures: the request never left, so
  ``outcome_known=True`` and ``retryable=True``;
- a reset, a disconnect or a timeout once the request may have been sent:
  ``outcome_known=False``; the caller decides (a read is simply retried, an
  order placement is reconciled, never resent blindly).

Answers are bounded: a body larger than ``max_body_bytes`` (announced by
``Content-Length`` or counted while reading, after decompression too) raises
:class:`~stopkit.errors.ResponseShapeError` with ``outcome_known=False``. aiohttp's
automatic decompression is off; stopkit asks for ``gzip, deflate`` only and inflates
them itself, never past the cap. Redirects are never followed, WebSocket handshakes
included, so no credential is ever sent to another host. Errors never carry aiohttp's
exception as their context (it can hold a URL with a token).
"""

from __future__ import annotations

import asyncio
import contextlib
import functools
import logging
import zlib
from types import SimpleNamespace
from typing import Any, Protocol

import aiohttp

from stopkit.errors import AuthenticationError, ResponseShapeError, StopkitError, TransportError
from stopkit.stream import WsRequest
from stopkit.wire import HttpRequest, HttpResponse

__all__ = [
    "DEFAULT_MAX_BODY_BYTES",
    "AiohttpTransport",
    "AiohttpWebSocket",
    "Transport",
    "WebSocket",
    "WsTransport",
]

log = logging.getLogger("stopkit.transport")

DEFAULT_MAX_BODY_BYTES = 4 * 1024 * 1024
"""The largest answer body stopkit reads (4 MiB), after decompression; venues may set their own."""

_ACCEPT_ENCODING = "gzip, deflate"
_CHUNK = 64 * 1024


class _RedirectRefused(Exception):
    # Raised from aiohttp's redirect trace hook: a WebSocket handshake is never redirected.
    def __init__(self, status: int) -> None:
        super().__init__(status)
        self.status = status


async def _refuse_redirect(session: aiohttp.ClientSession, ctx: SimpleNamespace, params: Any) -> None:
    raise _RedirectRefused(int(params.response.status))


def _no_redirects() -> aiohttp.TraceConfig:
    trace = aiohttp.TraceConfig()
    trace.on_request_redirect.append(_refuse_redirect)
    return trace


def _too_large(venue: str | None, limit: int, status: int) -> ResponseShapeError:
    return ResponseShapeError(
        f"the answer is larger than {limit} bytes: not read", venue=venue, http_status=status, outcome_known=False
    )


def _inflate(raw: bytes, encoding: str, *, limit: int, venue: str | None, status: int) -> bytes:
    # Decompress a gzip/deflate body ourselves, never producing more than `limit` bytes.
    if encoding in ("gzip", "x-gzip"):
        inflater = zlib.decompressobj(wbits=16 + zlib.MAX_WBITS)
    elif encoding == "deflate":
        # HTTP "deflate" is zlib-wrapped; some servers send raw deflate.
        inflater = zlib.decompressobj(wbits=zlib.MAX_WBITS if raw[:1] == b"x" else -zlib.MAX_WBITS)
    else:
        raise ResponseShapeError(
            f"the answer uses an encoding stopkit did not ask for: {encoding[:40]!r}",
            venue=venue,
            http_status=status,
            outcome_known=False,
        )
    try:
        body = inflater.decompress(raw, limit + 1)
    except zlib.error:
        raise ResponseShapeError(
            f"the {encoding} answer cannot be decompressed", venue=venue, http_status=status, outcome_known=False
        ) from None
    if len(body) > limit or inflater.unconsumed_tail:
        raise _too_large(venue, limit, status)
    return body


async def _read_body(response: aiohttp.ClientResponse, *, limit: int, venue: str | None) -> bytes:
    # The whole body, at most `limit` bytes on the wire and after decompression.
    status = response.status
    length = response.content_length
    if length is not None and length > limit:
        raise _too_large(venue, limit, status)
    if length is not None:
        # Announced and within the cap: the HTTP parser delivers exactly that many bytes, no more.
        raw = await response.content.read()
    else:
        chunks: list[bytes] = []
        total = 0
        async for chunk in response.content.iter_chunked(_CHUNK):
            total += len(chunk)
            if total > limit:
                raise _too_large(venue, limit, status)
            chunks.append(chunk)
        raw = b"".join(chunks)
    encoding = response.headers.get("Content-Encoding")
    if encoding is None:
        return raw
    encoding = encoding.strip().lower()
    if encoding in ("", "identity"):
        return raw
    return _inflate(raw, encoding, limit=limit, venue=venue, status=status)


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
            error = TransportError(f"WebSocket send failed: {type(exc).__name__}", venue=self._venue)
        else:
            return
        raise error  # outside the except block: no aiohttp context

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

    ``session``: use an existing session (not closed by :meth:`close`; its own redirect and
    decompression settings apply to WebSockets). ``max_body_bytes``: the largest answer read
    (default :data:`DEFAULT_MAX_BODY_BYTES`).
    """

    def __init__(
        self,
        *,
        session: aiohttp.ClientSession | None = None,
        venue: str | None = None,
        max_body_bytes: int = DEFAULT_MAX_BODY_BYTES,
    ) -> None:
        self._session = session
        self._owns_session = session is None
        self._ws_session: aiohttp.ClientSession | None = None
        self._venue = venue
        self.max_body_bytes = max_body_bytes
        self._timeout_s = -1.0
        self._timeout = _timeout(10.0)

    def _get_session(self) -> aiohttp.ClientSession:
        session = self._session
        if session is None or session.closed:
            # No cookie jar (venues authenticate per request), no automatic decompression (bounded by
            # hand: only gzip and deflate are asked for), no trace hooks (they cost every request a
            # handful of awaited signals); redirects are refused per request (allow_redirects=False).
            session = self._session = aiohttp.ClientSession(
                cookie_jar=aiohttp.DummyCookieJar(),
                auto_decompress=False,
                headers={"Accept-Encoding": _ACCEPT_ENCODING},
            )
            self._owns_session = True
        return session

    def _get_ws_session(self) -> aiohttp.ClientSession:
        # aiohttp's ws_connect always follows redirects: its own session refuses them with a trace
        # hook (a handshake is rare; HTTP requests never pay for the hook). A given session is used
        # as it is.
        if not self._owns_session and self._session is not None and not self._session.closed:
            return self._session
        session = self._ws_session
        if session is None or session.closed:
            session = self._ws_session = aiohttp.ClientSession(
                cookie_jar=aiohttp.DummyCookieJar(), auto_decompress=False, trace_configs=[_no_redirects()]
            )
        return session

    async def send(self, request: HttpRequest, *, timeout_s: float) -> HttpResponse:
        """Send ``request`` with a total timeout of ``timeout_s`` seconds.

        Raises:
            TransportError: refused (``outcome_known=True``) or reset/timed out
                after sending (``outcome_known=False``).
            ResponseShapeError: the answer is larger than ``max_body_bytes``, or compressed in a
                way stopkit did not ask for (``outcome_known=False``).
        """
        error: StopkitError
        session = self._get_session()
        headers = request.headers
        if not self._owns_session and not any(name.lower() == "accept-encoding" for name in headers):
            headers = {**headers, "Accept-Encoding": _ACCEPT_ENCODING}  # a given session: ask per request
        if timeout_s != self._timeout_s:
            self._timeout, self._timeout_s = _timeout(timeout_s), timeout_s
        try:
            async with session.request(
                request.method,
                request.url,
                data=request.body,
                headers=headers,
                timeout=self._timeout,
                allow_redirects=False,
            ) as response:
                body = await _read_body(response, limit=self.max_body_bytes, venue=self._venue)
                status = response.status
                if log.isEnabledFor(logging.DEBUG):
                    log.debug("%s %s -> %s", request.method, _path_only(request.url), status)
                return HttpResponse(status=status, headers=dict(response.headers), body=body)
        except ResponseShapeError:
            raise
        except aiohttp.ClientConnectorError as exc:
            error = TransportError(
                f"cannot connect: {type(exc).__name__}", venue=self._venue, retryable=True, outcome_known=True
            )
        except (TimeoutError, aiohttp.ServerTimeoutError):
            error = TransportError(
                f"no response within {timeout_s} s", venue=self._venue, retryable=True, outcome_known=False
            )
        except (aiohttp.ClientError, _RedirectRefused, ValueError) as exc:
            error = TransportError(
                f"connection failed after sending: {type(exc).__name__}",
                venue=self._venue,
                retryable=True,
                outcome_known=False,
            )
        raise error  # outside the except blocks: no context that could hold a URL

    async def ws_connect(self, request: WsRequest, *, timeout_s: float) -> AiohttpWebSocket:
        """Open ``request``'s WebSocket within ``timeout_s`` seconds. Logs and errors show the URL
        with secret query values masked (a token may ride in ``?access_token=``). A redirect is
        never followed (the handshake fails instead).

        Raises:
            AuthenticationError: the handshake was refused with 401/403.
            TransportError: cannot connect, redirected, or the handshake failed otherwise (retryable).
        """
        error: StopkitError
        session = self._get_ws_session()
        shown = request.masked_url()
        try:
            ws = await asyncio.wait_for(
                session.ws_connect(request.url, headers=dict(request.headers), autoping=True, heartbeat=None),
                timeout=timeout_s,
            )
        except aiohttp.WSServerHandshakeError as exc:
            if exc.status in (401, 403):
                error = AuthenticationError(
                    f"WebSocket handshake refused (HTTP {exc.status})", venue=self._venue, http_status=exc.status
                )
            else:
                error = TransportError(
                    f"WebSocket handshake failed (HTTP {exc.status})", venue=self._venue, http_status=exc.status
                )
        except _RedirectRefused as exc:
            error = TransportError(
                f"WebSocket handshake redirected (HTTP {exc.status}): redirects are not followed",
                venue=self._venue,
                http_status=exc.status,
            )
        except (TimeoutError, aiohttp.ClientError, OSError, ValueError) as exc:
            error = TransportError(f"cannot open the WebSocket: {type(exc).__name__}", venue=self._venue)
        else:
            log.debug("websocket open: %s", _path_only(shown))
            return AiohttpWebSocket(ws, venue=self._venue)
        raise error  # outside the except blocks: aiohttp's error holds the URL (and any token in it)

    async def close(self) -> None:
        """Close the sessions this transport created."""
        if self._session is not None and self._owns_session and not self._session.closed:
            await self._session.close()
        if self._ws_session is not None and not self._ws_session.closed:
            await self._ws_session.close()


@functools.lru_cache(maxsize=16)
def _timeout(total_s: float) -> aiohttp.ClientTimeout:
    # ClientTimeout is immutable: one per distinct value, not one per request.
    return aiohttp.ClientTimeout(total=total_s)


def _path_only(url: str) -> str:
    # Logs show the path, never query strings (which may carry tokens).
    return url.split("?", 1)[0]
