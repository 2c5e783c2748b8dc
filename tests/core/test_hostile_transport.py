"""A hostile peer on the wire: oversized, endless and compressed bodies, redirects, nesting bombs.

Each server here is a real aiohttp server on loopback; the transport under test is the real
aiohttp transport. Memory stays bounded because nothing past the cap is ever read.
"""

from __future__ import annotations

import asyncio
import gzip
import resource
import zlib
from collections.abc import AsyncIterator, Awaitable, Callable

import pytest
from aiohttp import web

from stopkit import HttpRequest, HttpResponse, ResponseShapeError, TransportError
from stopkit.stream import WsRequest
from stopkit.testing.simkit import RunningServer, serve
from stopkit.transport import DEFAULT_MAX_BODY_BYTES, AiohttpTransport

Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]
CAP = 64 * 1024


@pytest.fixture
async def server() -> AsyncIterator[Callable[[Handler], Awaitable[RunningServer]]]:
    """Serve one handler for every path; closed when the test ends."""
    running: list[RunningServer] = []

    async def start(handler: Handler) -> RunningServer:
        app = web.Application()
        app.router.add_route("*", "/{tail:.*}", handler)
        running.append(await serve(app))
        return running[-1]

    yield start
    for item in running:
        await item.close()


async def _get(base_url: str, *, cap: int = CAP, path: str = "/x") -> HttpResponse:
    transport = AiohttpTransport(max_body_bytes=cap)
    try:
        return await transport.send(HttpRequest(method="GET", url=base_url + path), timeout_s=5)
    finally:
        await transport.close()


def _rss_mib() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


async def test_announced_huge_body_is_refused_unread(server: Callable[[Handler], Awaitable[RunningServer]]) -> None:
    """A Content-Length of 8 GiB: refused from the header alone, as an unreadable answer with unknown outcome."""

    async def handler(request: web.Request) -> web.StreamResponse:
        response = web.StreamResponse(status=200, headers={"Content-Length": str(8 * 1024**3)})
        await response.prepare(request)
        await response.write(b"x" * 1024)
        return response

    running = await server(handler)
    with pytest.raises(ResponseShapeError, match="larger than") as info:
        await _get(running.base_url)
    assert info.value.outcome_known is False


async def test_endless_chunked_body_stops_at_the_cap(server: Callable[[Handler], Awaitable[RunningServer]]) -> None:
    """A chunked body that never ends: reading stops once the cap is passed; memory stays flat."""

    async def handler(request: web.Request) -> web.StreamResponse:
        response = web.StreamResponse(status=200)
        response.enable_chunked_encoding()
        await response.prepare(request)
        chunk = b"[" * 65536
        try:
            for _ in range(100_000):  # 6.5 GB if anyone read it all
                await response.write(chunk)
        except (ConnectionError, RuntimeError):
            pass
        return response

    running = await server(handler)
    before = _rss_mib()
    with pytest.raises(ResponseShapeError, match="larger than"):
        await _get(running.base_url, cap=1024 * 1024)
    assert _rss_mib() - before < 200


async def test_gzip_bomb_is_inflated_no_further_than_the_cap(
    server: Callable[[Handler], Awaitable[RunningServer]],
) -> None:
    """4 MB of gzip that inflates to 4 GB: stopkit inflates at most the cap, then refuses."""
    bomb = zlib.compressobj(9, zlib.DEFLATED, 16 + zlib.MAX_WBITS)
    body = b"".join([bomb.compress(b"\0" * (1 << 20)) for _ in range(256)]) + bomb.flush()

    async def handler(request: web.Request) -> web.StreamResponse:
        return web.Response(status=200, body=body, headers={"Content-Encoding": "gzip"})

    running = await server(handler)
    before = _rss_mib()
    with pytest.raises(ResponseShapeError, match="larger than"):
        await _get(running.base_url, cap=DEFAULT_MAX_BODY_BYTES)
    assert _rss_mib() - before < 200


async def test_gzip_and_deflate_within_the_cap_are_inflated(
    server: Callable[[Handler], Awaitable[RunningServer]],
) -> None:
    """Honest compressed answers (gzip, zlib deflate, raw deflate) arrive inflated, exactly."""
    text = b'{"success":true,"data":{"order_id":12345}}' * 10
    raw = zlib.compressobj(6, zlib.DEFLATED, -zlib.MAX_WBITS)
    bodies = {
        "gzip": gzip.compress(text),
        "deflate": zlib.compress(text),
        "raw": raw.compress(text) + raw.flush(),
    }
    seen: list[str] = []

    async def handler(request: web.Request) -> web.StreamResponse:
        seen.append(request.headers.get("Accept-Encoding", ""))
        kind = request.path.strip("/")
        encoding = "deflate" if kind == "raw" else kind
        return web.Response(status=200, body=bodies[kind], headers={"Content-Encoding": encoding})

    running = await server(handler)
    for kind in bodies:
        response = await _get(running.base_url, path="/" + kind)
        assert response.body == text, kind
    assert set(seen) == {"gzip, deflate"}  # never an encoding stopkit cannot bound (br, zstd)


async def test_unrequested_encoding_is_unreadable(server: Callable[[Handler], Awaitable[RunningServer]]) -> None:
    """An answer in an encoding stopkit did not ask for (br) is an unreadable answer, not guessed at."""

    async def handler(request: web.Request) -> web.StreamResponse:
        return web.Response(status=200, body=b"\x0b\x02\x80", headers={"Content-Encoding": "br"})

    running = await server(handler)
    with pytest.raises(ResponseShapeError, match="did not ask for"):
        await _get(running.base_url)


async def test_http_redirect_is_returned_not_followed(server: Callable[[Handler], Awaitable[RunningServer]]) -> None:
    """A 302 to another host comes back as the answer; the client never goes there."""
    hits: list[str] = []

    async def handler(request: web.Request) -> web.StreamResponse:
        hits.append(request.path)
        return web.Response(status=302, headers={"Location": "http://127.0.0.2:9/steal"})

    running = await server(handler)
    response = await _get(running.base_url)
    assert response.status == 302
    assert hits == ["/x"]


async def test_websocket_redirect_is_refused(server: Callable[[Handler], Awaitable[RunningServer]]) -> None:
    """A WebSocket handshake answered with a redirect to another server is not followed: the token in the
    handshake never reaches the other server."""
    reached: list[str] = []

    async def thief(request: web.Request) -> web.StreamResponse:
        reached.append(request.headers.get("Authorization", ""))
        ws = web.WebSocketResponse()
        await ws.prepare(request)
        await ws.close()
        return ws

    other = await server(thief)

    async def redirector(request: web.Request) -> web.StreamResponse:
        return web.Response(status=307, headers={"Location": other.base_url.replace("http", "ws") + "/ws"})

    running = await server(redirector)
    transport = AiohttpTransport()
    try:
        with pytest.raises(TransportError, match="redirect") as info:
            await transport.ws_connect(
                WsRequest(url=running.base_url.replace("http", "ws") + "/ws", headers={"Authorization": "Bearer S3"}),
                timeout_s=5,
            )
    finally:
        await transport.close()
    assert reached == []
    assert info.value.__context__ is None
    assert info.value.__cause__ is None


async def test_failed_websocket_handshake_keeps_no_context(
    server: Callable[[Handler], Awaitable[RunningServer]],
) -> None:
    """A refused handshake's error carries no aiohttp exception (whose text holds the URL and its token)."""

    async def handler(request: web.Request) -> web.StreamResponse:
        return web.Response(status=500)

    running = await server(handler)
    transport = AiohttpTransport()
    url = running.base_url.replace("http", "ws") + "/hub?access_token=SECRET-JWT"
    try:
        with pytest.raises(TransportError) as info:
            await transport.ws_connect(WsRequest(url=url), timeout_s=5)
    finally:
        await transport.close()
    error = info.value
    assert error.__context__ is None
    assert error.__cause__ is None
    assert "SECRET-JWT" not in repr(error)
    assert "SECRET-JWT" not in str(error)


async def test_nesting_bomb_is_a_shape_error() -> None:
    """100,000 nested brackets: a ResponseShapeError, not a RecursionError."""
    response = HttpResponse(status=200, body=b"[" * 100_000 + b"]" * 100_000)
    with pytest.raises(ResponseShapeError, match="nested"):
        response.json(venue="x")


async def test_transport_timeout_is_bounded_for_a_trickling_body(
    server: Callable[[Handler], Awaitable[RunningServer]],
) -> None:
    """A body trickled a byte at a time never holds the client past its timeout."""

    async def handler(request: web.Request) -> web.StreamResponse:
        response = web.StreamResponse(status=200)
        await response.prepare(request)
        for _ in range(1000):
            await response.write(b"x")
            await asyncio.sleep(0.05)
        return response

    running = await server(handler)
    transport = AiohttpTransport()
    try:
        with pytest.raises(TransportError) as info:
            await transport.send(HttpRequest(method="GET", url=running.base_url + "/x"), timeout_s=0.3)
    finally:
        await transport.close()
    assert info.value.outcome_known is False
