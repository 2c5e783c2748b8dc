"""WebSocket test helpers (no aiohttp import: simulators pass their aiohttp objects in).

- :class:`FakeWebSocket` / :class:`FakeServerSocket`: an in-memory socket pair;
  :class:`~stopkit.testing.MockTransport` opens one per ``ws_connect`` and runs the test's
  server coroutine on the other end, so ``VenueClient.watch_orders`` is unit-testable without sockets.
- :class:`SimSocketHub`: the server side of a simulator's WebSocket endpoint (one writer queue per
  connection, NDJSON coalescing, idle timeout) with fault switches: :meth:`~SimSocketHub.drop`,
  :meth:`~SimSocketHub.stall`.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Awaitable, Callable
from typing import Any

from stopkit.errors import TransportError
from stopkit.stream import WsRequest

__all__ = ["FakeServerSocket", "FakeWebSocket", "SimSocket", "SimSocketHub"]

_CLOSED = None  # the queue sentinel of a closed direction


class FakeServerSocket:
    """The venue's end of a fake connection: ``request`` is what the client asked to open;
    ``received`` lists every frame the client sent, oldest first."""

    def __init__(self, request: WsRequest) -> None:
        self.request = request
        self.received: list[str] = []
        self.closed = False
        self._to_client: asyncio.Queue[str | None] = asyncio.Queue()
        self._to_server: asyncio.Queue[str | None] = asyncio.Queue()

    async def send(self, text: str) -> None:
        """Send a text frame to the client (ignored once closed)."""
        if not self.closed:
            self._to_client.put_nowait(text)

    async def receive(self, *, timeout_s: float | None = None) -> str | None:
        """The client's next frame, or ``None`` once closed; ``TimeoutError`` after ``timeout_s``."""
        if timeout_s is None:
            return await self._to_server.get()
        return await asyncio.wait_for(self._to_server.get(), timeout_s)

    async def close(self) -> None:
        """Close the connection (the client's next receive returns ``None``)."""
        if not self.closed:
            self.closed = True
            self._to_client.put_nowait(_CLOSED)
            self._to_server.put_nowait(_CLOSED)


class FakeWebSocket:
    """The client's end of a fake connection (implements ``stopkit.transport.WebSocket``)."""

    def __init__(self, server: FakeServerSocket) -> None:
        self.server = server

    async def send_text(self, text: str) -> None:
        """Send a text frame; :class:`TransportError` once the connection is closed."""
        if self.server.closed:
            raise TransportError("fake WebSocket is closed")
        self.server.received.append(text)
        self.server._to_server.put_nowait(text)

    async def receive_text(self, *, timeout_s: float | None) -> str | None:
        """The next frame from the server, ``None`` once closed; ``TimeoutError`` after ``timeout_s``."""
        if timeout_s is None:
            return await self.server._to_client.get()
        return await asyncio.wait_for(self.server._to_client.get(), timeout_s)

    async def close(self) -> None:
        """Close both directions."""
        await self.server.close()


class SimSocket:
    """One simulator-side WebSocket connection: push frames with :meth:`send` (queued, in order).

    ``state`` is free for the simulator (e.g. ``{"account": ..., "authenticated": True}``).
    """

    def __init__(self, ws: Any, hub: SimSocketHub) -> None:
        self.ws = ws
        self.hub = hub
        self.state: dict[str, Any] = {}
        self.queue: asyncio.Queue[str | None] = asyncio.Queue()

    def send(self, text: str) -> None:
        """Queue a text frame (dropped while the hub is stalled)."""
        if not self.hub.stalled:
            self.queue.put_nowait(text)

    def close(self) -> None:
        """Close the connection after the frames already queued."""
        self.queue.put_nowait(None)


# aiohttp.WSMsgType values (an IntEnum), compared as ints so that this module needs no aiohttp import.
_TEXT, _BINARY = 1, 2


class SimSocketHub:
    """The connections of a simulator's WebSocket endpoint, and its fault switches.

    ``ndjson``: the writer joins every frame waiting in a connection's queue into one
    newline-separated frame (Aries' NDJSON framing). ``log`` records the frames received.
    """

    def __init__(self, *, ndjson: bool = False) -> None:
        self.sockets: list[SimSocket] = []
        self.stalled = False
        self.ndjson = ndjson
        self.connections = 0
        self.log: list[str] = []
        self._closing: set[asyncio.Future[Any]] = set()

    async def serve(
        self,
        ws: Any,
        on_text: Callable[[SimSocket, str], Awaitable[None] | None],
        *,
        idle_timeout_s: float | None = None,
        on_idle: Callable[[SimSocket], None] | None = None,
        on_open: Callable[[SimSocket], None] | None = None,
    ) -> None:
        """Run one prepared ``aiohttp.web.WebSocketResponse`` until it closes: a writer task sends the
        queued frames; every received text frame goes to ``on_text`` (not while stalled: a stalled
        venue answers nothing). Nothing received for ``idle_timeout_s`` calls ``on_idle`` (default:
        close the connection). ``on_open`` runs first (e.g. to start an authentication deadline)."""
        sock = SimSocket(ws, self)
        self.sockets.append(sock)
        self.connections += 1
        writer = asyncio.ensure_future(self._write(sock))
        if on_open is not None:
            on_open(sock)
        try:
            while not ws.closed:
                try:
                    message = await ws.receive(timeout=idle_timeout_s)
                except TimeoutError:
                    (on_idle or SimSocket.close)(sock)
                    if on_idle is None:
                        break
                    continue
                if int(message.type) not in (_TEXT, _BINARY):
                    break
                text = message.data if int(message.type) == _TEXT else bytes(message.data).decode()
                self.log.append(text)
                if self.stalled:
                    continue
                result = on_text(sock, text)
                if result is not None:
                    await result
        finally:
            sock.close()
            with contextlib.suppress(Exception):
                await asyncio.wait_for(writer, 2.0)
            if sock in self.sockets:
                self.sockets.remove(sock)
            with contextlib.suppress(Exception):
                await ws.close()

    async def _write(self, sock: SimSocket) -> None:
        # Send queued frames in order; None closes the connection.
        while True:
            text = await sock.queue.get()
            if text is None:
                with contextlib.suppress(Exception):
                    await sock.ws.close()
                return
            frames = [text]
            while self.ndjson and not sock.queue.empty():
                more = sock.queue.get_nowait()
                if more is None:
                    sock.queue.put_nowait(None)
                    break
                frames.append(more)
            try:
                await sock.ws.send_str("\n".join(frames))
            except Exception:  # noqa: BLE001  # the peer went away: stop writing
                return

    def broadcast(self, text: str, *, where: Callable[[SimSocket], bool] = lambda _: True) -> None:
        """Queue ``text`` on every connection ``where`` accepts."""
        for sock in list(self.sockets):
            if where(sock):
                sock.send(text)

    def drop(self) -> None:
        """Fault: close every connection now (the client must reconnect); what is broadcast until it
        has reconnected is lost."""
        for sock in list(self.sockets):
            self.sockets.remove(sock)
            task = asyncio.ensure_future(sock.ws.close())
            self._closing.add(task)
            task.add_done_callback(self._closing.discard)

    def stall(self, on: bool = True) -> None:
        """Fault: stop sending anything and stop answering (pings included) while ``on``."""
        self.stalled = on
