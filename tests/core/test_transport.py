"""The aiohttp transport sends exact bytes and classifies connection failures honestly."""

from __future__ import annotations

import asyncio
import socket

import pytest
from aiohttp import web

from stopkit import HttpRequest, TransportError
from stopkit.testing.simkit import serve
from stopkit.transport import AiohttpTransport


async def test_exact_bytes_and_headers_arrive() -> None:
    """The server receives the body bytes and headers exactly as built."""
    seen: dict[str, object] = {}

    async def handler(request: web.Request) -> web.Response:
        seen["body"] = await request.read()
        seen["content_type"] = request.headers.get("Content-Type")
        seen["custom"] = request.headers.get("accountId")
        return web.Response(status=201, body=b"ok", headers={"X-Test": "1"})

    app = web.Application()
    app.router.add_post("/p", handler)
    server = await serve(app)
    transport = AiohttpTransport()
    body = b'{"b":"1","a":2}'
    try:
        response = await transport.send(
            HttpRequest(
                method="POST",
                url=server.base_url + "/p",
                headers={"Content-Type": "application/json; x-api-version=4.0", "accountId": "A1"},
                body=body,
            ),
            timeout_s=5,
        )
    finally:
        await transport.close()
        await server.close()
    assert seen == {"body": body, "content_type": "application/json; x-api-version=4.0", "custom": "A1"}
    assert response.status == 201
    assert response.body == b"ok"
    assert response.headers["x-test"] == "1"


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


async def test_refused_connection_has_known_outcome() -> None:
    """Nothing listening: the request never left, so the outcome is known and a retry is safe."""
    transport = AiohttpTransport()
    try:
        with pytest.raises(TransportError) as info:
            await transport.send(HttpRequest(method="POST", url=f"http://127.0.0.1:{_free_port()}/x"), timeout_s=2)
    finally:
        await transport.close()
    assert info.value.outcome_known is True
    assert info.value.retryable is True


async def test_timeout_after_sending_has_unknown_outcome() -> None:
    """The server got the request but answered too late: outcome unknown."""
    received = asyncio.Event()

    async def slow(request: web.Request) -> web.Response:
        received.set()
        await asyncio.sleep(2)
        return web.Response(text="late")

    app = web.Application()
    app.router.add_post("/slow", slow)
    server = await serve(app)
    transport = AiohttpTransport()
    try:
        with pytest.raises(TransportError) as info:
            await transport.send(HttpRequest(method="POST", url=server.base_url + "/slow", body=b"{}"), timeout_s=0.2)
    finally:
        await transport.close()
        await server.close()
    assert received.is_set()
    assert info.value.outcome_known is False


async def test_reset_after_sending_has_unknown_outcome() -> None:
    """The server drops the connection after reading the request: outcome unknown."""

    async def drop(request: web.Request) -> web.Response:
        await request.read()
        assert request.transport is not None
        request.transport.close()
        await asyncio.sleep(0.1)
        return web.Response(text="never")

    app = web.Application()
    app.router.add_post("/drop", drop)
    server = await serve(app)
    transport = AiohttpTransport()
    try:
        with pytest.raises(TransportError) as info:
            await transport.send(HttpRequest(method="POST", url=server.base_url + "/drop", body=b"{}"), timeout_s=2)
    finally:
        await transport.close()
        await server.close()
    assert info.value.outcome_known is False


async def test_accept_encoding_is_gzip_and_deflate_or_the_request_s_own() -> None:
    """Own or given session: stopkit asks for gzip and deflate only; a request's own Accept-Encoding is sent as is."""
    import aiohttp

    seen: list[str] = []

    async def handler(request: web.Request) -> web.Response:
        seen.append(request.headers.get("Accept-Encoding", ""))
        return web.Response(status=200, body=b"ok")

    app = web.Application()
    app.router.add_get("/g", handler)
    server = await serve(app)
    given = aiohttp.ClientSession()
    try:
        for transport in (AiohttpTransport(), AiohttpTransport(session=given)):
            for headers in ({}, {"accept-encoding": "identity"}):
                request = HttpRequest(method="GET", url=server.base_url + "/g", headers=headers)
                assert (await transport.send(request, timeout_s=5)).body == b"ok"
            await transport.close()
    finally:
        await given.close()
        await server.close()
    assert seen == ["gzip, deflate", "identity"] * 2
