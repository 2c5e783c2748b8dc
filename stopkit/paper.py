"""Paper trading: a client whose venue is the venue's simulator, in this process.

``stopkit.connect(venue, paper=True)`` returns an ordinary :class:`~stopkit.client.VenueClient`
whose requests go to the venue's simulator (:meth:`VenueAdapter.simulator
<stopkit.venue.VenueAdapter.simulator>`), served on 127.0.0.1 at an ephemeral port from the
first request until the client closes, with the simulator's demo credentials: your own
credentials are never read or sent. Everything else (validation, signing, throttling,
reconciliation, ``watch_orders``) is the real code path. The simulated market is
``client.paper`` (a :class:`PaperMarket`): move its prices to trigger stops::

    async with stopkit.connect("pacifica", paper=True) as venue:
        venue.paper.set_price("BTC/USDC:USDC", "50000")
        placed = await venue.place(order)
        venue.paper.set_price("BTC/USDC:USDC", "47000")   # through the stop: it triggers
"""

from __future__ import annotations

import asyncio
import socket
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

from stopkit.errors import ConfigurationError, InvalidArgument, InvalidOrder
from stopkit.orders import Amount, to_decimal
from stopkit.validate import check_symbol
from stopkit.venue import Simulator, VenueAdapter

if TYPE_CHECKING:
    from stopkit.stream import WsRequest
    from stopkit.transport import Transport, WebSocket
    from stopkit.wire import HttpRequest, HttpResponse

__all__ = ["PaperMarket", "simulator_of"]


def simulator_of(adapter: VenueAdapter) -> Simulator:
    """A fresh simulator of ``adapter``'s venue.

    Raises:
        ConfigurationError: the venue ships no simulator.
    """
    sim: Simulator | None = adapter.simulator()
    if sim is None:  # a plugin written for an older stopkit
        raise ConfigurationError(f"{adapter.name}: the venue ships no simulator", venue=adapter.name)
    return sim


class PaperMarket:
    """The simulated venue behind a paper client (``client.paper``).

    Attributes:
        venue: the venue name.
        simulator: the venue's simulator itself, for what :meth:`set_price` does not cover
            (e.g. Pacifica's ``set_position``, fault injection in tests).
        base_url: where the simulator is served (``http://127.0.0.1:<port>``); it starts
            serving on the client's first request and stops when the client closes.
        credentials: the simulator's demo credentials (env-var names → values) the client uses.
        config: the venue config pointing the client at the simulator.
    """

    def __init__(self, adapter: VenueAdapter, *, host: str = "127.0.0.1", port: int = 0) -> None:
        self.venue = adapter.name
        self.simulator = simulator_of(adapter)
        # Bound now (so the base URL is known when the client is built), served on first use.
        self._sock: socket.socket | None = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        self._sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        self._sock.bind((host, port))
        bound_host, port = self._sock.getsockname()[:2]
        self.base_url = f"http://{bound_host}:{port}"
        self.credentials: dict[str, str] = dict(self.simulator.demo_credentials())
        self.config: dict[str, Any] = dict(self.simulator.demo_config(self.base_url))
        self._serving = False
        self._closed = False
        self._lock: asyncio.Lock | None = None

    def set_price(self, symbol: str, price: Amount) -> None:
        """Move the simulated reference price of ``symbol`` (unified, e.g. ``BTC/USDC:USDC``,
        ``BTC/USDT``, ``AAPL``, or venue-native) to ``price`` (``Decimal``, ``int`` or decimal
        string, in quote currency). Stops the move crosses trigger at once, and the client's
        ``watch_orders`` sees them.

        Raises:
            InvalidArgument: a malformed symbol or price, or a market the simulator does not list.
        """
        symbol = check_symbol(symbol)
        try:
            value = to_decimal(price, field="price")
        except InvalidOrder as exc:
            raise InvalidArgument(exc.message, field="price") from None
        if value <= 0:
            raise InvalidArgument(f"price must be positive, got {value}", field="price")
        try:
            self.simulator.set_price(symbol, value)
        except (KeyError, ValueError) as exc:
            raise InvalidArgument(
                f"{self.venue}: the simulator has no market {symbol!r} ({exc})", field="symbol", venue=self.venue
            ) from None

    async def start(self) -> str:
        """Serve the simulator (once; the client calls this before its first request). Returns :attr:`base_url`.

        Raises:
            ConfigurationError: the paper client was closed.
        """
        if self._closed:
            raise ConfigurationError(f"{self.venue}: the paper client is closed", venue=self.venue)
        if self._serving:
            return self.base_url
        if self._lock is None:
            self._lock = asyncio.Lock()
        async with self._lock:
            if not self._serving:
                await self._serve()
                self._serving = True
        return self.base_url

    async def _serve(self) -> None:
        from stopkit.testing.simkit import ServedSimulator  # imports aiohttp.web

        sock, self._sock = self._sock, None
        if sock is None:  # pragma: no cover - _serving guards it
            return
        if isinstance(self.simulator, ServedSimulator):
            await self.simulator.start(sock=sock)
            return
        # A plugin simulator that serves itself: hand it the port (freed just before).
        port = sock.getsockname()[1]
        sock.close()
        await self.simulator.start(port=port)

    async def close(self) -> None:
        """Stop serving (idempotent)."""
        self._closed = True
        if self._sock is not None:
            self._sock.close()
            self._sock = None
        if self._serving:
            self._serving = False
            await self.simulator.stop()

    def __repr__(self) -> str:
        return f"PaperMarket(venue={self.venue!r}, base_url={self.base_url!r})"


class PaperTransport:
    """A transport that serves the paper market before its first request and stops it on close."""

    def __init__(self, inner: Transport, market: PaperMarket) -> None:
        self._inner = inner
        self.market = market

    async def send(self, request: HttpRequest, *, timeout_s: float) -> HttpResponse:
        """Serve the market if not yet, then send ``request`` through the wrapped transport."""
        await self.market.start()
        return await self._inner.send(request, timeout_s=timeout_s)

    async def ws_connect(self, request: WsRequest, *, timeout_s: float) -> WebSocket:
        """Serve the market if not yet, then open the WebSocket through the wrapped transport.

        Raises:
            ConfigurationError: the wrapped transport cannot open WebSockets.
        """
        ws_connect = getattr(self._inner, "ws_connect", None)
        if ws_connect is None:
            raise ConfigurationError(
                f"{self.market.venue}: the transport cannot open WebSockets", venue=self.market.venue
            )
        await self.market.start()
        socket_: WebSocket = await ws_connect(request, timeout_s=timeout_s)
        return socket_

    async def close(self) -> None:
        """Close the wrapped transport, then stop serving the market."""
        try:
            await self._inner.close()
        finally:
            await self.market.close()


def paper_config(market: PaperMarket, config: Mapping[str, Any] | None) -> dict[str, Any]:
    """The simulator's config with the caller's keys over it, except ``base_url`` (always the simulator's)."""
    merged = {**market.config, **{k: v for k, v in (config or {}).items() if k != "base_url"}}
    merged["base_url"] = market.config.get("base_url", market.base_url)
    return merged
