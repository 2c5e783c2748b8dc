"""Shared pieces of the venue simulators (test and demo infrastructure, not adapters).

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

import socket
from decimal import Decimal

import attrs
from aiohttp import web

__all__ = ["RunningServer", "ServedSimulator", "limit_fill_price", "serve", "should_trigger"]


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


async def serve(app: web.Application, *, host: str = "127.0.0.1", port: int = 0) -> RunningServer:
    """Serve ``app`` on ``host`` (loopback by default) at ``port`` (0 = ephemeral)."""
    runner = web.AppRunner(app, access_log=None)
    await runner.setup()
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.bind((host, port))
    site = web.SockSite(runner, sock)
    await site.start()
    bound_port = sock.getsockname()[1]
    return RunningServer(runner=runner, base_url=f"http://{host}:{bound_port}")


class ServedSimulator:
    """Mixin for simulators: serve :meth:`make_app` on loopback with :meth:`start`, stop with :meth:`stop`.

    ``stopkit demo`` uses these two methods, so stopkit itself never imports aiohttp.web.
    """

    _server: RunningServer | None = None

    def make_app(self) -> web.Application:
        raise NotImplementedError

    async def start(self, *, host: str = "127.0.0.1", port: int = 0) -> str:
        """Serve the simulator; returns its base URL (``http://127.0.0.1:<port>``)."""
        self._server = await serve(self.make_app(), host=host, port=port)
        return self._server.base_url

    async def stop(self) -> None:
        """Stop serving (idempotent)."""
        if self._server is not None:
            await self._server.close()
            self._server = None
