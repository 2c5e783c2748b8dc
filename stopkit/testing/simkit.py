"""Simulator kit: what every venue simulator shares (test and demo infrastructure, not adapters).

- trigger and fill rules of a simulated market, as the venues document them;
- :func:`serve`: run an :class:`aiohttp.web.Application` on 127.0.0.1 at an ephemeral port.

Buy stops trigger when the reference price rises to or above the stop price;
sell stops when it falls to or below it (Aries documents this table verbatim,
https://finance.dev/api-reference/orders/stop-order; Pacifica observes it for
``bid`` stops; B2TRADER's order-types guide says the same). A triggered
stop-market fills at the current price; a triggered stop-limit fills at the
current price when that is at or better than the limit, and otherwise rests.
"""

from __future__ import annotations

import asyncio
import random
import socket
from collections.abc import Awaitable, Callable
from decimal import Decimal

import attrs
from aiohttp import web

__all__ = [
    "FAULTS_THAT_PROCESS",
    "FAULT_KINDS",
    "Fault",
    "FaultInjector",
    "RunningServer",
    "ServedSimulator",
    "bind_socket",
    "limit_fill_price",
    "serve",
    "should_trigger",
]

Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]


def should_trigger(*, buy: bool, stop_price: Decimal, price: Decimal) -> bool:
    """True when a buy (``buy=True``) or sell stop at ``stop_price`` triggers at ``price``."""
    return price >= stop_price if buy else price <= stop_price


def limit_fill_price(*, buy: bool, limit_price: Decimal | None, price: Decimal) -> Decimal | None:
    """The fill price of a released order at market ``price``, or ``None`` if a limit order must rest.

    ``limit_price=None`` is a market order: it fills at ``price``.
    """
    if limit_price is None:
        return price
    if buy:
        return price if price <= limit_price else None
    return price if price >= limit_price else None


@attrs.define
class RunningServer:
    """A simulator being served: ``base_url`` is ``http://127.0.0.1:<port>``."""

    runner: web.AppRunner
    base_url: str

    async def close(self) -> None:
        """Stop serving and release the port."""
        await self.runner.cleanup()


def bind_socket(host: str = "127.0.0.1", port: int = 0) -> socket.socket:
    """A TCP socket bound to ``host`` (loopback by default) at ``port`` (0 = ephemeral), not yet
    listening: pass it to :func:`serve` to know the base URL before serving."""
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.bind((host, port))
    return sock


async def serve(
    app: web.Application, *, host: str = "127.0.0.1", port: int = 0, sock: socket.socket | None = None
) -> RunningServer:
    """Serve ``app`` on ``host`` (loopback by default) at ``port`` (0 = ephemeral), or on ``sock``
    (from :func:`bind_socket`; ``host`` and ``port`` are then ignored)."""
    runner = web.AppRunner(app, access_log=None)
    await runner.setup()
    if sock is None:
        sock = bind_socket(host, port)
    site = web.SockSite(runner, sock)
    await site.start()
    bound_host, bound_port = sock.getsockname()[:2]
    return RunningServer(runner=runner, base_url=f"http://{bound_host}:{bound_port}")


class ServedSimulator:
    """Mixin for simulators: serve :meth:`make_app` on loopback with :meth:`start`, stop with :meth:`stop`.

    ``stopkit demo`` uses these two methods, so stopkit itself never imports aiohttp.web.
    """

    _server: RunningServer | None = None
    _faults: FaultInjector | None = None

    @property
    def faults(self) -> FaultInjector:
        """This simulator's fault injector (its middleware must be in the app, first)."""
        if self._faults is None:
            self._faults = FaultInjector()
        return self._faults

    def make_app(self) -> web.Application:
        raise NotImplementedError

    async def start(self, *, host: str = "127.0.0.1", port: int = 0, sock: socket.socket | None = None) -> str:
        """Serve the simulator (on ``sock`` when given, see :func:`bind_socket`); returns its base
        URL (``http://127.0.0.1:<port>``)."""
        self._server = await serve(self.make_app(), host=host, port=port, sock=sock)
        return self._server.base_url

    async def stop(self) -> None:
        """Stop serving (idempotent)."""
        if self._server is not None:
            await self._server.close()
            self._server = None


# -- fault injection -------------------------------------------------------------------

FAULT_KINDS = (
    "latency",
    "status",
    "reset",
    "status_after",
    "drop_after",
    "delay_after",
    "garbage",
    "garbage_after",
)
"""Every fault a simulator can inject:

- ``latency``: wait ``delay_s``, then handle normally;
- ``status``: answer ``status`` (e.g. 429 with ``Retry-After``, 502/503/504) without handling
  the request: the venue provably did nothing;
- ``reset``: close the connection before reading the request: nothing was done;
- ``status_after``: handle the request (it takes effect), then answer ``status`` (a 5xx after acceptance);
- ``drop_after``: handle the request, then drop the connection with no answer;
- ``delay_after``: handle the request, then answer only after ``delay_s`` (past the client timeout);
- ``garbage``: answer ``body`` (an HTML error page, an empty or truncated body) without handling;
- ``garbage_after``: handle the request, then answer ``body`` instead of the real answer.
"""

# Which faults let the request take effect on the simulated venue.
FAULTS_THAT_PROCESS = frozenset({"latency", "status_after", "drop_after", "delay_after", "garbage_after"})


@attrs.frozen(kw_only=True)
class Fault:
    """One fault to inject. ``method`` and ``path`` restrict which requests it hits."""

    kind: str = attrs.field(validator=attrs.validators.in_(FAULT_KINDS))
    status: int = 503
    headers: dict[str, str] = attrs.field(factory=dict)
    body: bytes = b""
    content_type: str = "application/json"
    delay_s: float = 0.0
    method: str | None = None
    path: str | None = None
    exact_path: bool = False

    def matches(self, request: web.Request) -> bool:
        """True when this fault applies to ``request``: ``path`` is a substring, or the whole path if ``exact_path``."""
        if self.method is not None and request.method != self.method:
            return False
        if self.path is None:
            return True
        return request.path == self.path if self.exact_path else self.path in request.path


@attrs.define
class FaultInjector:
    """Faults switched on by test code, per request: a queue of one-shot faults, plus an
    optional random mode (``chaos(rate, faults, seed)``) for the chaos suite.

    ``log`` records ``(kind, method, path)`` for every fault injected.
    """

    queue: list[Fault] = attrs.field(factory=list)
    log: list[tuple[str, str, str]] = attrs.field(factory=list)
    _rate: float = 0.0
    _pool: tuple[Fault, ...] = ()
    _rng: random.Random = attrs.field(factory=lambda: random.Random(0))

    def add(self, fault: Fault, *, times: int = 1) -> None:
        """Inject ``fault`` into the next ``times`` matching requests."""
        self.queue.extend([fault] * times)

    def chaos(self, rate: float, faults: tuple[Fault, ...], *, seed: int = 0) -> None:
        """From now on, hit each request with probability ``rate`` by a fault drawn from ``faults``."""
        self._rate, self._pool, self._rng = rate, faults, random.Random(seed)

    def clear(self) -> None:
        """Stop injecting (queued and random faults)."""
        self.queue.clear()
        self._rate, self._pool = 0.0, ()

    def _next(self, request: web.Request) -> Fault | None:
        for index, fault in enumerate(self.queue):
            if fault.matches(request):
                return self.queue.pop(index)
        if self._pool and self._rng.random() < self._rate:
            candidates = [f for f in self._pool if f.matches(request)]
            if candidates:
                return self._rng.choice(candidates)
        return None

    @web.middleware
    async def middleware(self, request: web.Request, handler: Handler) -> web.StreamResponse:
        """aiohttp middleware applying the next matching fault (put it first in ``middlewares``)."""
        fault = self._next(request)
        if fault is None:
            return await handler(request)
        self.log.append((fault.kind, request.method, request.path))
        if fault.kind == "latency":
            await asyncio.sleep(fault.delay_s)
            return await handler(request)
        if fault.kind == "reset":
            _close(request)
            return web.Response(status=500)
        if fault.kind in ("status", "garbage"):
            return _answer(fault)
        response = await handler(request)  # the request takes effect
        if fault.kind == "drop_after":
            _close(request)
            return response
        if fault.kind == "delay_after":
            await asyncio.sleep(fault.delay_s)
            return response
        return _answer(fault)


def _answer(fault: Fault) -> web.Response:
    return web.Response(status=fault.status, body=fault.body, headers=fault.headers, content_type=fault.content_type)


def _close(request: web.Request) -> None:
    # Cut the TCP connection: the client sees a reset / disconnect with no answer.
    if request.transport is not None:
        request.transport.close()
