"""B2TRADER account stream over SignalR's JSON protocol (pure): handshake, ``OpenOrders``, items.

https://api-docs.b2trader.b2broker.com/websocket-api (sheet §1, §3.4, §5):

- connect ``wss://{host}/frontoffice/ws/v4/account?access_token=<JWT>`` (the token rides in the
  query: every log and error shows the URL masked, see :meth:`stopkit.plugin.WsRequest.masked_url`);
- SignalR handshake ``{"protocol":"json","version":1}\\x1e``, answered ``{}\\x1e`` (or
  ``{"error": ...}``) [unverified: the sheet expects the standard handshake]; every message ends
  with the record separator ``\\x1e``, and one frame may hold several;
- subscribe: ``{"arguments":["<accountId>"],"invocationId":"<n>","target":"OpenOrders","type":4}``
  (``invocationId`` unique and increasing by 1 per sent message); stream items come back as
  ``{"type":2,"invocationId":"<n>","item":[{order}, ...]}``; ``type 6`` is a ping (sent both ways),
  ``type 3`` completes the stream, ``type 7`` closes the connection (``error``, ``allowReconnect``).

What the stream shows (sheet §3.4, §5): **there is no stop-order stream.** The orders are regular
orders; those with ``source: "StopOrder"`` are the children that activated stops released (their
own ``orderId``; parsed by :func:`venues.b2trader.parse.parse_child_order`: Started/Working →
TRIGGERED, Completed → FILLED). No field links a child to its stop: the parent stop is reported
TRIGGERED (``Activated``) only when exactly one known armed stop matches the child by market,
side, kind, amount, limit price and ``createdAt`` at or after the stop's — a **heuristic**
[unverified, sheet §8.6]; the parent's ``raw`` then carries ``stopkit.childOrderId`` and
``stopkit.link: "heuristic"``.

Assumption [unverified]: an item lists the orders whose state changed; an order leaving the open
set (Completed, Cancelled, Rejected, Expired) is sent once more with its final status (the sheet
says the stream carries Started, Pending and Working; without the final item a fill could only be
inferred from the order's disappearance). There is no REST read-back of stops: after a reconnect
the client yields a :class:`~stopkit.plugin.StreamGap`.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from decimal import Decimal
from typing import Any
from urllib.parse import quote, urlsplit

import attrs

from stopkit.plugin import (
    AuthenticationError,
    BoundVenue,
    OrderState,
    OrderStatus,
    RequestContext,
    ResponseShapeError,
    StreamProtocol,
    StreamStep,
    WsRequest,
    json_frames,
)
from venues.b2trader.constants import VENUE_NAME
from venues.b2trader.parse import parse_child_order

__all__ = ["HANDSHAKE", "RS", "WS_PATH", "B2TraderStream", "link_parent"]

V = VENUE_NAME
RS = "\x1e"
WS_PATH = "/frontoffice/ws/v4/account"
HANDSHAKE = '{"protocol":"json","version":1}' + RS
CHILD_LINK_FIELD = "stopkit.childOrderId"
LINK_KIND_FIELD = "stopkit.link"


def _frame(message: dict[str, Any]) -> str:
    return json.dumps(message, separators=(",", ":")) + RS


def link_parent(child: OrderState, known: Sequence[OrderState], *, taken: set[str]) -> OrderState | None:
    """The known armed stop that ``child`` (a ``source: "StopOrder"`` order) most likely came from,
    as TRIGGERED; ``None`` unless exactly one stop matches (heuristic, sheet §5 / §8.6)."""
    candidates = [
        stop
        for stop in known
        if stop.venue == V
        and stop.venue_order_id
        and stop.venue_order_id not in taken
        and stop.venue_order_id != child.venue_order_id
        and stop.stop_price is not None  # a stop, not another child
        and stop.status is OrderStatus.ACCEPTED
        and (stop.symbol, stop.side, stop.kind, stop.quantity, stop.limit_price)
        == (child.symbol, child.side, child.kind, child.quantity, child.limit_price)
        and (stop.created_at is None or child.created_at is None or child.created_at >= stop.created_at)
    ]
    if len(candidates) != 1:
        return None
    stop = candidates[0]
    return attrs.evolve(
        stop,
        status=OrderStatus.TRIGGERED,
        venue_status="Activated",
        updated_at=child.created_at or stop.updated_at,
        raw={**stop.raw, CHILD_LINK_FIELD: child.venue_order_id, LINK_KIND_FIELD: "heuristic"},
    )


class B2TraderStream(StreamProtocol):
    """The ``OpenOrders`` stream of one account (the JWT in the query string)."""

    needs_token = True
    ping_interval_s = 15.0  # SignalR's default keep-alive interval
    stall_timeout_s = 30.0  # SignalR's default server timeout

    def __init__(self, venue: BoundVenue, *, base_url: str, account_id: str) -> None:
        super().__init__(venue)
        parts = urlsplit(base_url)
        scheme = "wss" if parts.scheme == "https" else "ws"
        self.ws_base = f"{scheme}://{parts.netloc}{WS_PATH}"
        self.account_id = account_id
        self._invocation = -1
        self._handshaken = False
        self._links: dict[str, str] = {}  # child orderId -> parent stop orderId (heuristic)

    def connect_request(self, ctx: RequestContext) -> WsRequest:
        """``wss://{host}/frontoffice/ws/v4/account?access_token=<JWT>``."""
        if ctx.access_token is None:
            raise AuthenticationError(f"{V}: the account stream needs an access token", venue=V)
        self._invocation = -1
        self._handshaken = False
        return WsRequest(url=f"{self.ws_base}?access_token={quote(ctx.access_token.value, safe='')}")

    def open_frames(self, ctx: RequestContext) -> Sequence[str]:
        """The SignalR handshake (the subscription follows its answer)."""
        return (HANDSHAKE,)

    def _next_invocation(self) -> str:
        self._invocation += 1
        return str(self._invocation)

    def ping_frame(self) -> str:
        """A SignalR ping, ``{"type":6}``."""
        return _frame({"type": 6})

    def resync_flow(self, known: Sequence[OrderState]) -> None:
        """``None``: no documented endpoint reads stop orders back (sheet §3.4, §8.3): a gap is reported."""
        return

    def handle_text(self, text: str, *, known: Sequence[OrderState] = ()) -> StreamStep:
        """Every SignalR message of the frame: handshake answer (then subscribe), stream items, ping, close."""
        updates: list[OrderState] = []
        send: list[str] = []
        ready = False
        reconnect: str | None = None
        for piece in json_frames(text, RS):
            try:
                message = json.loads(piece, parse_float=Decimal)
            except ValueError:
                return StreamStep(error=ResponseShapeError(f"{V}: stream message is not JSON", venue=V))
            if not isinstance(message, dict):
                continue
            if not self._handshaken:
                if "error" in message:
                    return StreamStep(error=ResponseShapeError(f"{V}: handshake refused: {message['error']}", venue=V))
                self._handshaken = True
                send.append(
                    _frame(
                        {
                            "arguments": [self.account_id],
                            "invocationId": self._next_invocation(),
                            "target": "OpenOrders",
                            "type": 4,
                        }
                    )
                )
                ready = True
                continue
            kind = message.get("type")
            if kind == 2:
                items = message.get("item")
                for obj in items if isinstance(items, list) else [items]:
                    if isinstance(obj, dict):
                        updates.extend(self._order(obj, [*known, *updates]))
            elif kind in (3, 7):
                error = message.get("error")
                if error and ("nauthori" in str(error) or "token" in str(error).lower()):
                    return StreamStep(
                        updates=tuple(updates), error=AuthenticationError(f"{V}: stream closed: {error}", venue=V)
                    )
                reconnect = f"the venue ended the stream (type {kind}{': ' + str(error) if error else ''})"
            # type 1 (invocations) and 6 (pings) need nothing.
        return StreamStep(updates=tuple(updates), send=tuple(send), ready=ready, reconnect=reconnect)

    def _order(self, obj: dict[str, Any], known: Sequence[OrderState]) -> list[OrderState]:
        # A regular order; for a stop's child, also its (heuristically linked) parent, once.
        child = parse_child_order(obj)
        if obj.get("source") != "StopOrder" or child.venue_order_id is None:
            return [child]
        if child.venue_order_id in self._links:
            parent_id = self._links[child.venue_order_id]
            return [attrs.evolve(child, raw={**child.raw, "stopkit.parentOrderId": parent_id})]
        parent = link_parent(child, known, taken=set(self._links.values()))
        if parent is None:
            return [child]
        assert parent.venue_order_id is not None  # noqa: S101  # link_parent only links stops with ids
        self._links[child.venue_order_id] = parent.venue_order_id
        return [parent, attrs.evolve(child, raw={**child.raw, "stopkit.parentOrderId": parent.venue_order_id})]
