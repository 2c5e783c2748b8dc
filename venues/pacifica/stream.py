"""Pacifica account order updates over WebSocket (pure): subscribe, ping, parse events.

https://docs.pacifica.fi/api-documentation/api/websocket and
https://docs.pacifica.fi/api-documentation/api/websocket/subscriptions/account-order-updates:

- connect ``wss://ws.pacifica.fi/ws`` (testnet ``wss://test-ws.pacifica.fi/ws``; config ``ws_url``);
  subscriptions are not signed;
- send ``{"method":"subscribe","params":{"source":"account_order_updates","account":"<pubkey>"}}``;
- send ``{"method":"ping"}`` every 30 s: the server closes a connection silent for 60 s (and after 24 h);
- receive ``{"channel":"account_order_updates","data":[{...}, ...]}`` with abbreviated fields:
  ``i`` order id, ``I`` client order id, ``u`` account, ``s`` symbol, ``d`` side, ``p`` average
  filled price, ``ip`` initial price, ``a`` amount, ``f`` filled, ``oe`` event, ``os`` status,
  ``ot`` type, ``sp`` stop price, ``si`` stop parent id, ``r`` reduce only, ``ct``/``ut`` ms.

Assumptions [unverified]: the subscription is acknowledged with ``{"channel":"subscribe","data":...}``
and a ping answered with ``{"channel":"pong"}``; a released stop keeps its ``i`` and ``sp``.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from decimal import Decimal
from typing import Any

from stopkit.plugin import (
    BoundVenue,
    OrderKind,
    OrderState,
    OrderStatus,
    RequestContext,
    ResponseShapeError,
    StreamProtocol,
    StreamStep,
    WsRequest,
    lookup,
    parse_decimal,
    parse_id,
    parse_unix_ms,
)
from venues.pacifica.constants import VENUE_NAME
from venues.pacifica.mapping import CANCEL_REASON, ORDER_STATUS, ORDER_TYPE_KIND, STOP_ORDER_TYPES, VENUE_SIDE

__all__ = ["PING_FRAME", "PacificaStream", "parse_order_update", "subscribe_frame"]

V = VENUE_NAME
PING_FRAME = '{"method":"ping"}'
SOURCE = "account_order_updates"

# Events (``oe``) that say how far a stop got while ``os`` is ``open``.
_ARMED_EVENTS = frozenset({"stop_created", "stop_parent_order_filled"})
_TRIGGER_EVENTS = frozenset({"stop_triggered", "stop_upgrade"})  # "Stop order activated" / "upgraded"
# Events that end an order whatever ``os`` says alongside (as in history_by_id).
_TERMINAL_EVENTS: Mapping[str, OrderStatus] = {
    "cancel": OrderStatus.CANCELED,
    "force_cancel": OrderStatus.CANCELED,
    "expired": OrderStatus.EXPIRED,
}
_KNOWN_EVENTS = frozenset(
    {
        "make",
        "stop_created",
        "fulfill_market",
        "fulfill_limit",
        "adjust",
        "stop_parent_order_filled",
        "stop_triggered",
        "stop_upgrade",
        "cancel",
        "force_cancel",
        "expired",
        "post_only_rejected",
        "self_trade_prevented",
    }
)


_EVENTS: Mapping[str, str] = {event: event for event in _KNOWN_EVENTS}


def subscribe_frame(account: str) -> str:
    """The subscribe message for ``account``'s order updates (compact JSON)."""
    return json.dumps({"method": "subscribe", "params": {"source": SOURCE, "account": account}}, separators=(",", ":"))


def _status(row: Mapping[str, Any], kind_type: str) -> OrderStatus:
    # os refined by oe: stop events while open, terminal events, cancel reasons.
    event = lookup(_EVENTS, row.get("oe"), venue=V, field="oe")
    status = lookup(ORDER_STATUS, row.get("os"), venue=V, field="os")
    if row.get("os") == "open":
        if event in _TERMINAL_EVENTS:
            return _TERMINAL_EVENTS[event]
        if event in _TRIGGER_EVENTS:
            return OrderStatus.TRIGGERED
        if event in _ARMED_EVENTS or kind_type in STOP_ORDER_TYPES:
            return OrderStatus.ACCEPTED
        # A plain limit/market type with a stop price: the order a triggered stop released
        # (assumption: it keeps its sp). Without a stop price: a regular order resting on the book.
        return OrderStatus.TRIGGERED if row.get("sp") not in (None, "", "0") else OrderStatus.ACCEPTED
    if status is OrderStatus.CANCELED and event in CANCEL_REASON:
        return CANCEL_REASON[event]
    return status


def parse_order_update(row: Mapping[str, Any]) -> OrderState:
    """One ``account_order_updates`` element as an :class:`OrderState`.

    ``venue_status`` is the event (``oe``) while the order is open, else the status (``os``);
    ``oe: stop_triggered`` → TRIGGERED. ``ot`` maps through the same table as REST rows (lossy:
    plain ``limit``/``market`` become stop-limit/stop-market). Raises
    :class:`~stopkit.errors.UnknownVenueValue` for an unmapped ``os``/``oe``/``ot``/``d``.
    """
    order_type = row.get("ot")
    kind = lookup(ORDER_TYPE_KIND, order_type, venue=V, field="ot")
    status = _status(row, str(order_type))
    symbol = row.get("s")
    if not isinstance(symbol, str) or not symbol:
        raise ResponseShapeError(f"{V}: order update without a symbol (s)", venue=V)
    initial = parse_decimal(row.get("ip"), venue=V, field="ip", optional=True)
    client_id = row.get("I")
    event = str(row.get("oe"))
    return OrderState(
        venue=V,
        venue_order_id=parse_id(row.get("i"), venue=V, field="i"),
        client_order_id=client_id if isinstance(client_id, str) and client_id else None,
        symbol=symbol,
        side=lookup(VENUE_SIDE, row.get("d"), venue=V, field="d"),
        kind=kind,
        status=status,
        venue_status=event if row.get("os") == "open" else str(row.get("os")),
        quantity=parse_decimal(row.get("a"), venue=V, field="a", optional=True),
        filled_quantity=parse_decimal(row.get("f"), venue=V, field="f", optional=True) or Decimal(0),
        stop_price=parse_decimal(row.get("sp"), venue=V, field="sp", optional=True),
        limit_price=initial if kind is OrderKind.STOP_LIMIT and initial else None,
        created_at=parse_unix_ms(row.get("ct"), venue=V, field="ct"),
        updated_at=parse_unix_ms(row.get("ut"), venue=V, field="ut"),
        reason=event if status in (OrderStatus.CANCELED, OrderStatus.EXPIRED, OrderStatus.REJECTED) else None,
        raw=dict(row),
    )


class PacificaStream(StreamProtocol):
    """The ``account_order_updates`` session for one account (no auth: subscriptions are unsigned)."""

    ping_interval_s = 30.0
    stall_timeout_s = 60.0  # the server itself closes after 60 s of silence

    def __init__(self, venue: BoundVenue, *, ws_url: str, account: str) -> None:
        super().__init__(venue)
        self.ws_url = ws_url
        self.account = account

    def connect_request(self, ctx: RequestContext) -> WsRequest:
        """``ws_url`` (config), no headers."""
        return WsRequest(url=self.ws_url)

    def open_frames(self, ctx: RequestContext) -> Sequence[str]:
        """The subscribe message."""
        return (subscribe_frame(self.account),)

    def ping_frame(self) -> str:
        """``{"method":"ping"}``."""
        return PING_FRAME

    def handle_text(self, text: str, *, known: Sequence[OrderState] = ()) -> StreamStep:
        """Order updates of ``account_order_updates``; the subscribe ack makes the session ready;
        ``pong`` and other channels are ignored; an ``error`` channel raises
        :class:`~stopkit.errors.ResponseShapeError` through the step."""
        try:
            message = json.loads(text, parse_float=Decimal)
        except ValueError:
            return StreamStep(error=ResponseShapeError(f"{V}: stream frame is not JSON", venue=V))
        if not isinstance(message, dict):
            return StreamStep()
        channel = message.get("channel")
        if channel == "subscribe":
            return StreamStep(ready=True)
        if channel == "error":
            detail = message.get("data")
            return StreamStep(error=ResponseShapeError(f"{V}: stream error: {detail}", venue=V))
        if channel != SOURCE:
            return StreamStep()
        rows = message.get("data")
        if not isinstance(rows, list):
            return StreamStep(error=ResponseShapeError(f"{V}: {SOURCE} data is not a list", venue=V))
        updates = [
            parse_order_update(row) for row in rows if isinstance(row, dict) and row.get("u") in (None, self.account)
        ]
        return StreamStep(updates=tuple(updates))
