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

import functools
import logging
from typing import Protocol

import aiohttp

from stopkit.errors import TransportError
from stopkit.wire import HttpRequest, HttpResponse

__all__ = ["AiohttpTransport", "Transport"]

log = logging.getLogger("stopkit.transport")


class Transport(Protocol):
    """Anything that can send one request and return the response."""

    async def send(self, request: HttpRequest, *, timeout_s: float) -> HttpResponse:
        """Send ``request``; raise :class:`TransportError` when no response arrives."""
        ...

    async def close(self) -> None:
        """Release connections."""
        ...


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
