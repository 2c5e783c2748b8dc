"""A venue server in its own process, so the client's measurements see only the client's CPU.

Run as ``python -m benchmarks._server``; it prints ``CONTROL <url>`` and serves a
control app on 127.0.0.1:

- ``POST /reset?mode=sim``: a fresh :class:`~stopkit_venues.pacifica.simulator.PacificaSimulator`
  (public constructor; defaults, but its rate limits raised out of reach) served with
  :func:`stopkit.testing.simkit.serve`; answers
  ``{"base_url", "simulator_parameters"}``. A fresh one per run: the simulator keeps
  every order and re-evaluates all of them on each create.
- ``POST /reset?mode=hold``: a stand-in that answers ``POST /api/v1/orders/stop/create``
  with a valid Pacifica success body only once released (memory at concurrency N).
- ``POST /reset?mode=fast``: the same stand-in, answering at once (a venue far cheaper
  than the simulator, so throughput is bound by the client).
- ``GET /held``: how many requests the stand-in is holding; ``POST /release``: answer them.

:class:`ServerProcess` starts and stops it from the harness.
"""

from __future__ import annotations

import asyncio
import inspect
import subprocess
import sys
from typing import Any

from aiohttp import web

from stopkit.testing.simkit import RunningServer, serve

PATH_STOP_CREATE = "/api/v1/orders/stop/create"


# Rate-limit settings of the simulator's constructor, raised so that a benchmark never hits them.
_UNLIMITED = {"credits_per_ip": 10**12, "credits_per_api_key": 10**12}


def unlimited_kwargs(parameters: list[str]) -> dict[str, Any]:
    """The constructor arguments that lift the simulator's rate limits (those it has)."""
    return {name: value for name, value in _UNLIMITED.items() if name in parameters}


class _Control:
    def __init__(self) -> None:
        self.current: RunningServer | None = None
        self.held = 0
        self.release = asyncio.Event()
        self.next_id = 1_000_000

    async def reset(self, request: web.Request) -> web.Response:
        if self.current is not None:
            await self.current.close()
            self.current = None
        mode = request.query.get("mode", "sim")
        parameters: list[str] = []
        if mode == "sim":
            from stopkit_venues.pacifica.simulator import PacificaSimulator

            parameters = list(inspect.signature(PacificaSimulator).parameters)
            app = PacificaSimulator(**unlimited_kwargs(parameters)).make_app()
        elif mode in ("hold", "fast"):
            self.held = 0
            self.release = asyncio.Event()
            if mode == "fast":
                self.release.set()
            app = web.Application()
            app.router.add_post(PATH_STOP_CREATE, self.hold)
        else:
            raise web.HTTPBadRequest(text=f"unknown mode {mode!r}")
        self.current = await serve(app)
        return web.json_response({"base_url": self.current.base_url, "simulator_parameters": parameters})

    async def hold(self, request: web.Request) -> web.Response:
        await request.read()
        self.held += 1
        await self.release.wait()
        self.next_id += 1
        body = {"success": True, "data": {"order_id": str(self.next_id)}, "error": None, "code": None}
        return web.json_response(body)

    async def count(self, request: web.Request) -> web.Response:
        return web.json_response({"held": self.held})

    async def do_release(self, request: web.Request) -> web.Response:
        self.release.set()
        return web.json_response({"released": self.held})


async def _main() -> None:
    control = _Control()
    app = web.Application()
    app.router.add_post("/reset", control.reset)
    app.router.add_get("/held", control.count)
    app.router.add_post("/release", control.do_release)
    server = await serve(app)
    print(f"CONTROL {server.base_url}", flush=True)
    # Serve until the parent closes our stdin.
    loop = asyncio.get_running_loop()
    await loop.run_in_executor(None, sys.stdin.read)


class ServerProcess:
    """The server subprocess: ``with ServerProcess() as server: ... server.control_url``."""

    def __init__(self) -> None:
        self._proc: subprocess.Popen[str] | None = None
        self.control_url = ""

    def __enter__(self) -> ServerProcess:
        self._proc = subprocess.Popen(  # this interpreter, fixed arguments
            [sys.executable, "-m", "benchmarks._server"],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            text=True,
        )
        assert self._proc.stdout is not None
        line = self._proc.stdout.readline().strip()
        if not line.startswith("CONTROL "):
            self.__exit__()
            raise RuntimeError(f"benchmark server did not start: {line!r}")
        self.control_url = line.split(" ", 1)[1]
        return self

    def __exit__(self, *exc: object) -> None:
        if self._proc is None:
            return
        if self._proc.stdin is not None:
            self._proc.stdin.close()
        try:
            self._proc.wait(timeout=5)
        except subprocess.TimeoutExpired:
            self._proc.kill()
            self._proc.wait()
        self._proc = None

    async def reset(self, session: Any, mode: str = "sim") -> dict[str, Any]:
        """A fresh served app (``mode`` = ``sim`` or ``hold``); returns ``{"base_url", ...}``."""
        async with session.post(f"{self.control_url}/reset", params={"mode": mode}) as response:
            response.raise_for_status()
            result: dict[str, Any] = await response.json()
            return result

    async def held(self, session: Any) -> int:
        async with session.get(f"{self.control_url}/held") as response:
            return int((await response.json())["held"])

    async def release(self, session: Any) -> None:
        async with session.post(f"{self.control_url}/release") as response:
            response.raise_for_status()


if __name__ == "__main__":
    asyncio.run(_main())
