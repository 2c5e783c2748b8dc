"""B2TRADER account stream over SignalR's JSON protocol (pure): handshake, ``OpenOrders``, items.

"Get Open Orders" (https://api-docs.b2trader.b2broker.com/websocket-api; B2PRIME mirror
https://api-docs.b2prime.com/websocket-api/trading):

- connect ``wss://{host}{prefix}/frontoffice/ws/v4/account?access_token=<JWT>``, where ``{prefix}`` is
  the path of ``base_url`` (kept, as for REST); the token rides in the query: every log and error
  shows the URL masked (:meth:`stopkit.plugin.WsRequest.masked_url`);
- SignalR handshake ``{"protocol":"json","version":1}\\x1e``, answered ``{}\\x1e`` (or
  ``{"error": ...}``) (assumption: the standard SignalR JSON protocol, which the docs name);
  every message ends with the record separator ``\\x1e``, and one frame may hold several;
- subscribe: ``{"arguments":["<accountId>"],"invocationId":"<n>","target":"OpenOrders","type":4}``
  (``invocationId`` "must be unique and increase by 1 for each sent message"); items come back as
  ``{"type":2,"invocationId":"<n>","item":[{order}, ...]}``; ``type 6`` is a ping (sent both ways),
  ``type 3`` completes the stream, ``type 7`` closes the connection (``error``, ``allowReconnect``).

What the stream shows: **there is no stop-order stream.** The items are regular orders, and the
documented ``item.status`` values are only ``Started``, ``Pending`` and ``Working`` (open orders).
Those with ``source: "StopOrder"`` are the children activated stops released (their own
``orderId``; :func:`stopkit_venues.b2trader.parse.parse_child_order`). No field links a child to its stop:
the parent stop is reported TRIGGERED (``Activated``) only when exactly one known armed stop
matches the child by market, side, kind, amount, limit price and ``createdAt`` at or after the
stop's — a **heuristic**; the parent's ``raw`` then carries ``stopkit.childOrderId`` and
``stopkit.link: "heuristic"``, and the bound venue remembers the pair (cancelling the stop then
cancels the child).

Surviving real answers:

- an item object that cannot be parsed (a perpetual order's other fields, an unknown status, a
  nested shape) is skipped with a logged warning; the stream goes on;
- final states are not relied on. With ``snapshots`` (config ``stream_snapshots``, default true;
  assumption: an item lists the whole open set, as the stream's name says), an order that was open
  and is missing from a later item has left the open set: it filled, or was cancelled, rejected or
  expired. No documented endpoint reads a SPOT order or a stop back, so a
  :class:`~stopkit.plugin.StreamGap` naming the order (and its parent stop, when linked) is yielded.
  A final status, when a broker streams one, is reported as such instead.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Sequence
from decimal import Decimal
from typing import TYPE_CHECKING, Any
from urllib.parse import quote, urlsplit

import attrs

from stopkit.plugin import (
    AuthenticationError,
    OrderState,
    OrderStatus,
    RequestContext,
    ResponseShapeError,
    StopkitError,
    StreamGap,
    StreamProtocol,
    StreamStep,
    WsRequest,
    json_frames,
)
from stopkit_venues.b2trader.constants import VENUE_NAME
from stopkit_venues.b2trader.mapping import CHILD_KIND_OF_STOP
from stopkit_venues.b2trader.parse import parse_child_order

if TYPE_CHECKING:
    from stopkit_venues.b2trader.adapter import B2TraderBound

log = logging.getLogger("stopkit.venues.b2trader")

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
    as TRIGGERED; ``None`` unless exactly one stop matches (heuristic: no field links them).

    A stop of which any known state is no longer armed (a cancelled stop whose older ACCEPTED state
    is also known, e.g. before a replacement with the same terms) is never a candidate."""
    ended = {stop.venue_order_id for stop in known if stop.venue_order_id and stop.status is not OrderStatus.ACCEPTED}
    candidates = {
        stop.venue_order_id: stop
        for stop in known
        if stop.venue == V
        and stop.venue_order_id
        and stop.venue_order_id not in taken
        and stop.venue_order_id not in ended
        and stop.venue_order_id != child.venue_order_id
        and stop.kind.is_stop  # a stop, not another child
        and stop.status is OrderStatus.ACCEPTED
        and (stop.symbol, stop.side, CHILD_KIND_OF_STOP[stop.kind], stop.quantity, stop.limit_price)
        == (child.symbol, child.side, child.kind, child.quantity, child.limit_price)
        and (stop.created_at is None or child.created_at is None or child.created_at >= stop.created_at)
    }
    if len(candidates) != 1:
        return None
    (stop,) = candidates.values()
    return attrs.evolve(
        stop,
        status=OrderStatus.TRIGGERED,
        venue_status="Activated",
        updated_at=child.created_at or stop.updated_at,
        raw={**stop.raw, CHILD_LINK_FIELD: child.venue_order_id, LINK_KIND_FIELD: "heuristic"},
    )


class B2TraderStream(StreamProtocol):
    """The ``OpenOrders`` stream of one account (the JWT in the query string).

    ``snapshots``: items list the whole open set (see the module docstring).
    """

    needs_token = True
    ping_interval_s = 15.0  # SignalR's default keep-alive interval
    stall_timeout_s = 30.0  # SignalR's default server timeout

    def __init__(self, venue: B2TraderBound, *, base_url: str, account_id: str, snapshots: bool = True) -> None:
        super().__init__(venue)
        self.bound = venue
        parts = urlsplit(base_url)
        scheme = "wss" if parts.scheme == "https" else "ws"
        # The path prefix of base_url is kept, as every REST path keeps it.
        self.ws_base = f"{scheme}://{parts.netloc}{parts.path.rstrip('/')}{WS_PATH}"
        self.account_id = account_id
        self.snapshots = snapshots
        self._invocation = -1
        self._handshaken = False
        self._links: dict[str, str] = {}  # child orderId -> parent stop orderId (heuristic)
        self._open: dict[str, OrderState] = {}  # orders open as of the last item, by orderId
        self._warned: set[str] = set()

    def connect_request(self, ctx: RequestContext) -> WsRequest:
        """``wss://{host}{prefix}/frontoffice/ws/v4/account?access_token=<JWT>``."""
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
        """``None``: no documented endpoint reads stop or SPOT orders back: a gap is reported, and the
        first item after the reconnect names every order that left the open set meanwhile."""
        return

    def _warn(self, key: str, message: str) -> None:
        # A skipped item: logged once per order and reason, never raised.
        if key not in self._warned:
            self._warned.add(key)
            log.warning("%s: OpenOrders item skipped: %s", V, message)

    def handle_text(self, text: str, *, known: Sequence[OrderState] = ()) -> StreamStep:
        """Every SignalR message of the frame: handshake answer (then subscribe), stream items, ping, close."""
        updates: list[OrderState] = []
        gaps: list[StreamGap] = []
        send: list[str] = []
        ready = False
        reconnect: str | None = None
        for piece in json_frames(text, RS):
            try:
                message = json.loads(piece, parse_float=Decimal)
            except ValueError:
                if not self._handshaken:
                    return StreamStep(error=ResponseShapeError(f"{V}: stream message is not JSON", venue=V))
                self._warn(f"json:{piece[:40]}", "a message is not JSON")
                continue
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
                self._item(message.get("item"), [*known], updates, gaps)
            elif kind in (3, 7):
                error = message.get("error")
                if error and ("nauthori" in str(error) or "token" in str(error).lower()):
                    return StreamStep(
                        updates=tuple(updates),
                        gaps=tuple(gaps),
                        error=AuthenticationError(f"{V}: stream closed: {error}", venue=V),
                    )
                reconnect = f"the venue ended the stream (type {kind}{': ' + str(error) if error else ''})"
            # type 1 (invocations) and 6 (pings) need nothing.
        return StreamStep(updates=tuple(updates), gaps=tuple(gaps), send=tuple(send), ready=ready, reconnect=reconnect)

    def _item(self, items: object, known: list[OrderState], updates: list[OrderState], gaps: list[StreamGap]) -> None:
        # One stream item: its orders parsed (unparseable ones skipped), then departures from the open set.
        if isinstance(items, dict):
            items = [items]
        if not isinstance(items, list):
            self._warn(f"shape:{type(items).__name__}", f"item is a {type(items).__name__}, not a list of orders")
            return
        present: set[str] = set()
        for obj in items:
            if not isinstance(obj, dict):
                self._warn(f"entry:{type(obj).__name__}", f"an entry is a {type(obj).__name__}, not an order object")
                continue
            order_id = obj.get("orderId")
            if isinstance(order_id, str) and order_id:
                present.add(order_id)
            try:
                states = self._order(obj, [*known, *updates])
            except StopkitError as exc:
                self._warn(f"{order_id}:{exc.message}", f"order {order_id!r} cannot be read: {exc.message}")
                continue
            for state in states:
                updates.append(state)
                if state.venue_order_id == order_id and isinstance(order_id, str):
                    if state.status.is_terminal:
                        self._open.pop(order_id, None)
                    else:
                        self._open[order_id] = state
        if self.snapshots:
            for order_id in [oid for oid in self._open if oid not in present]:
                del self._open[order_id]
                cancelled = self.bound.cancelled_child(order_id)
                if cancelled is not None:
                    updates.append(cancelled)  # this client cancelled it: its cancel answer is the final state
                else:
                    gaps.append(self._departure(order_id))

    def _departure(self, order_id: str) -> StreamGap:
        # An order that left the open set without a final status (which the docs do not promise).
        parent = self._links.get(order_id)
        released = f" (released by stop {parent})" if parent else ""
        return StreamGap(
            venue=V,
            since_ms=None,
            reason=(
                f"order {order_id}{released} left the open orders without a final status: it filled, or was "
                "cancelled, rejected or expired; no documented endpoint reads it back"
            ),
            venue_order_ids=(order_id, parent) if parent else (order_id,),
        )

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
        self.bound.note_activation(parent, child.venue_order_id)
        return [parent, attrs.evolve(child, raw={**child.raw, "stopkit.parentOrderId": parent.venue_order_id})]
