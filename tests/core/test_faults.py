"""The simulators' shared fault injector: every kind, as a client sees it, and whether it took effect."""

from __future__ import annotations

from typing import Any

import pytest
from aiohttp import web

from stopkit import HttpRequest, TransportError
from stopkit.testing.simkit import FAULT_KINDS, FAULTS_THAT_PROCESS, Fault, FaultInjector
from stopkit.transport import AiohttpTransport


async def _setup(served: Any) -> tuple[FaultInjector, list[str], str]:
    injector = FaultInjector()
    handled: list[str] = []

    async def handler(request: web.Request) -> web.Response:
        handled.append(request.path)
        return web.json_response({"ok": True})

    app = web.Application(middlewares=[injector.middleware])
    app.router.add_post("/orders", handler)
    app.router.add_get("/orders", handler)
    server = await served(app)
    return injector, handled, server.base_url


async def _post(base_url: str, timeout_s: float = 1.0) -> Any:
    transport = AiohttpTransport()
    try:
        return await transport.send(
            HttpRequest(method="POST", url=base_url + "/orders", body=b"{}"), timeout_s=timeout_s
        )
    finally:
        await transport.close()


@pytest.mark.parametrize("kind", FAULT_KINDS)
async def test_each_fault_kind(served: Any, kind: str) -> None:
    """Each kind shows the documented symptom, and takes effect exactly when it says it does."""
    injector, handled, base_url = await _setup(served)
    fault = Fault(
        kind=kind,
        status=503 if kind != "status" else 429,
        headers={"Retry-After": "1"} if kind == "status" else {},
        body=b"<html>502 Bad Gateway</html>" if kind.startswith("garbage") else b"",
        content_type="text/html",
        delay_s=0.5 if kind == "delay_after" else 0.01,
    )
    injector.add(fault)
    if kind in ("reset", "drop_after", "delay_after"):
        with pytest.raises(TransportError) as info:
            await _post(base_url, timeout_s=0.2)
        assert info.value.outcome_known is False
    else:
        response = await _post(base_url)
        expected = {"latency": 200, "status": 429, "status_after": 503}.get(kind, 503)
        assert response.status == expected
        if kind == "status":
            assert response.headers["retry-after"] == "1"
        if kind.startswith("garbage"):
            assert response.body == b"<html>502 Bad Gateway</html>"
    assert (handled == ["/orders"]) is (kind in FAULTS_THAT_PROCESS)
    assert injector.log == [(kind, "POST", "/orders")]
    # One-shot: the next request is clean.
    assert (await _post(base_url)).status == 200


async def test_matching_and_chaos_mode(served: Any) -> None:
    """Faults can target a method/path, and chaos mode hits about the given share, reproducibly."""
    injector, _handled, base_url = await _setup(served)
    injector.add(Fault(kind="status", status=500, method="GET"))
    assert (await _post(base_url)).status == 200  # a POST does not consume the GET fault
    assert len(injector.queue) == 1
    injector.clear()
    injector.chaos(0.5, (Fault(kind="status", status=502),), seed=7)
    statuses = [(await _post(base_url)).status for _ in range(40)]
    assert 8 <= statuses.count(502) <= 32
    injector.chaos(0.5, (Fault(kind="status", status=502),), seed=7)
    again = [(await _post(base_url)).status for _ in range(40)]
    assert again == statuses
