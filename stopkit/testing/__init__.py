"""Helpers for tests of stopkit and of venue plugins.

- :class:`MockTransport`: answers requests with a function, records what was sent.
- :func:`vcr_config`: the vcrpy settings stopkit's cassettes use: match on
  method, path, query and body (not host or port, since simulators listen on
  ephemeral ports), and scrub secrets from requests and responses on record.
- :func:`scrub_text`: the secret scrubber itself, for checking cassettes.
- :func:`drive_flow`: runs an adapter's pure flow without I/O, each request answered by a function.
- WebSockets: ``MockTransport(handler, ws=server)`` opens in-memory :class:`FakeWebSocket`
  connections whose other end runs ``server(FakeServerSocket)``; :class:`SimSocketHub` is the
  server side simulators use for their WebSocket endpoints (see :mod:`stopkit.testing.streams`).
"""

from __future__ import annotations

import asyncio
import json
import re
from collections.abc import Awaitable, Callable, Generator, Iterable
from decimal import Decimal
from typing import Any
from urllib.parse import parse_qsl, urlencode

from stopkit.context import FrozenClock, RequestContext, SequentialIds
from stopkit.errors import StopkitError, TransportError
from stopkit.retry import ReconnectPolicy, RetryPolicy
from stopkit.stream import WsRequest
from stopkit.testing.streams import FakeServerSocket, FakeWebSocket, SimSocket, SimSocketHub
from stopkit.wire import HttpRequest, HttpResponse, compact_json, is_sensitive_header

__all__ = [
    "SECRET_FIELDS",
    "FakeServerSocket",
    "FakeWebSocket",
    "FrozenClock",
    "MockTransport",
    "ReconnectPolicy",
    "RetryPolicy",
    "SequentialIds",
    "SimSocket",
    "SimSocketHub",
    "configure_vcr",
    "drive_flow",
    "make_vcr",
    "raw_body_matcher",
    "scrub_text",
    "vcr_config",
]

SECRET_FIELDS = frozenset(
    {
        "access_token",
        "accessToken",
        "refresh_token",
        "refreshToken",
        "client_secret",
        "token",
        "code_verifier",
        "password",
        "private_key",
    }
)
"""JSON, form and query fields whose values are replaced with ``***`` in cassettes."""

MASK = "***"


def drive_flow(
    flow: Generator[Any, Any, Any],
    answer: Callable[[HttpRequest], HttpResponse],
    *,
    ctx: RequestContext,
) -> tuple[Any, list[tuple[Any, HttpRequest]]]:
    """Run a venue adapter's flow (``place_flow``, ``cancel_flow``, ...) as the client runs it, without I/O.

    Each exchange is built with ``ctx`` and answered by ``answer(request)``; a :class:`~stopkit.errors.StopkitError`
    raised by the exchange's parser is thrown back into the flow (as the client does, so the flow may handle
    it); any other exception propagates. No retries, throttling, token refresh or write-outcome rule: for
    those, run the flow through :func:`stopkit.connect` with a :class:`MockTransport`.

    Returns ``(result, exchanges)``: the flow's return value and every ``(Exchange, HttpRequest)`` in order.
    Raises whatever the flow raises (a ``StopkitError`` it did not handle included).
    """
    exchanges: list[tuple[Any, HttpRequest]] = []
    try:
        exchange = next(flow)
        while True:
            request = exchange.build(ctx)
            exchanges.append((exchange, request))
            try:
                value = exchange.parse(answer(request))
            except StopkitError as exc:
                exchange = flow.throw(exc)
                continue
            exchange = flow.send(value)
    except StopIteration as stop:
        return stop.value, exchanges


WsServer = Callable[[FakeServerSocket], Awaitable[None]]
"""A fake venue's WebSocket end: runs for one connection; the connection closes when it returns."""


class MockTransport:
    """A transport that answers with ``handler(request)`` (sync or async) and keeps every request in ``sent``.

    ``ws``: a coroutine function run for every ``ws_connect`` on the server end of an in-memory
    :class:`FakeWebSocket` (it may raise a stopkit error to refuse the handshake). Opened requests
    are kept in ``ws_requests`` and server ends in ``ws_servers``. Without ``ws``, ``ws_connect``
    raises :class:`TransportError`.
    """

    def __init__(
        self,
        handler: Callable[[HttpRequest], HttpResponse | Awaitable[HttpResponse]],
        *,
        ws: WsServer | None = None,
    ) -> None:
        self.handler = handler
        self.ws = ws
        self.sent: list[HttpRequest] = []
        self.ws_requests: list[WsRequest] = []
        self.ws_servers: list[FakeServerSocket] = []
        self.closed = False
        self._tasks: set[asyncio.Task[None]] = set()

    async def ws_connect(self, request: WsRequest, *, timeout_s: float) -> FakeWebSocket:
        """Open a fake connection and start ``ws`` on its server end."""
        self.ws_requests.append(request)
        if self.ws is None:
            raise TransportError("MockTransport: no WebSocket server configured", outcome_known=True)
        server = FakeServerSocket(request)
        self.ws_servers.append(server)
        handler = self.ws

        async def run() -> None:
            try:
                await handler(server)
            finally:
                await server.close()

        # Refusals raised before the handler first suspends surface here, as a real handshake's would.
        task = asyncio.ensure_future(run())
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)
        await asyncio.sleep(0)
        if task.done() and task.exception() is not None:
            raise task.exception()  # type: ignore[misc]  # a refusal from the fake venue
        return FakeWebSocket(server)

    async def send(self, request: HttpRequest, *, timeout_s: float) -> HttpResponse:
        self.sent.append(request)
        result = self.handler(request)
        if isinstance(result, HttpResponse):
            return result
        return await result

    async def close(self) -> None:
        self.closed = True
        for task in list(self._tasks):
            task.cancel()


def _scrub_json(value: Any) -> tuple[Any, bool]:
    # (value with secret fields masked, whether anything was masked)
    if isinstance(value, dict):
        out, changed = {}, False
        for key, item in value.items():
            if key in SECRET_FIELDS and item is not None:
                out[key], changed = MASK, True
            else:
                out[key], sub = _scrub_json(item)
                changed = changed or sub
        return out, changed
    if isinstance(value, list):
        items = [_scrub_json(item) for item in value]
        return [item for item, _ in items], any(sub for _, sub in items)
    return value, False


def scrub_text(text: str) -> str:
    """``text`` with secret fields masked, whether it is JSON or form-encoded; other text unchanged.

    JSON without a secret field is returned byte for byte; JSON with one is rewritten
    compactly with numbers kept exact.
    """
    stripped = text.strip()
    if stripped.startswith(("{", "[")):
        try:
            parsed = json.loads(stripped, parse_float=Decimal)
        except ValueError:
            return text
        scrubbed, changed = _scrub_json(parsed)
        return compact_json(scrubbed).decode("ascii") if changed else text
    if "=" in stripped and re.fullmatch(r"[^\s]*", stripped):
        pairs = parse_qsl(stripped, keep_blank_values=True)
        if pairs and any(k in SECRET_FIELDS for k, _ in pairs):
            return urlencode([(k, MASK if k in SECRET_FIELDS else v) for k, v in pairs])
    return text


def _scrub_body(body: Any) -> Any:
    if body is None:
        return None
    if isinstance(body, bytes):
        try:
            return scrub_text(body.decode("utf-8")).encode("utf-8")
        except UnicodeDecodeError:
            return body
    if isinstance(body, str):
        return scrub_text(body)
    return body


def _scrub_request(request: Any) -> Any:
    for name in list(request.headers):
        if is_sensitive_header(name):
            value = request.headers[name]
            scheme = value.split(" ", 1)[0] if " " in value else ""
            request.headers[name] = f"{scheme} {MASK}".strip()
    request.body = _scrub_body(request.body)
    if "?" in request.uri:
        base, query = request.uri.split("?", 1)
        pairs = parse_qsl(query, keep_blank_values=True)
        request.uri = base + "?" + urlencode([(k, MASK if k in SECRET_FIELDS else v) for k, v in pairs])
    return request


def _scrub_response(response: dict[str, Any]) -> dict[str, Any]:
    body = response.get("body", {})
    if isinstance(body, dict) and "string" in body:
        body["string"] = _scrub_body(body["string"])
    headers = response.get("headers", {})
    for name in list(headers):
        if name.lower() in ("set-cookie",):
            headers[name] = [MASK]
    return response


def raw_body_matcher(r1: Any, r2: Any) -> None:
    """vcrpy matcher ``raw_body``: the request bodies are the same bytes (no JSON re-parsing)."""
    b1 = r1.body or b""
    b2 = r2.body or b""
    if isinstance(b1, str):
        b1 = b1.encode()
    if isinstance(b2, str):
        b2 = b2.encode()
    if b1 != b2:
        raise AssertionError(f"request bodies differ: {b1!r} != {b2!r}")


def configure_vcr(vcr: Any) -> None:
    """Register stopkit's matchers (``raw_body``) on a ``vcr.VCR`` instance."""
    vcr.register_matcher("raw_body", raw_body_matcher)


def make_vcr(cassette_library_dir: str, *, record_mode: str = "none") -> Any:
    """A configured ``vcr.VCR`` (requires the ``test`` extra) using :func:`vcr_config`."""
    import vcr

    instance = vcr.VCR(cassette_library_dir=cassette_library_dir, record_mode=record_mode, **vcr_config())
    configure_vcr(instance)
    return instance


def vcr_config(*, extra_secret_headers: Iterable[str] = ()) -> dict[str, Any]:
    """Keyword arguments for ``vcr.VCR(...)`` / pytest-recording's ``vcr_config`` fixture.

    Requests match on method, path, query and exact body bytes (the ``raw_body``
    matcher: call :func:`configure_vcr`); host and port are ignored. Secrets are
    scrubbed from both sides before anything is written.
    """
    extra = [h.lower() for h in extra_secret_headers]

    def before_request(request: Any) -> Any:
        for name in list(request.headers):
            if name.lower() in extra:
                request.headers[name] = MASK
        return _scrub_request(request)

    return {
        "match_on": ["method", "path", "query", "raw_body"],
        "before_record_request": before_request,
        "before_record_response": _scrub_response,
        "decode_compressed_response": True,
    }
