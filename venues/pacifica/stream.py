"""Pacifica account order updates over WebSocket (pure): subscribe, ping, parse events.

https://docs.pacifica.fi/api-documentation/api/websocket and
https://docs.pacifica.fi/api-documentation/api/websocket/subscriptions/account-order-updates:

- connect ``wss://ws.pacifica.fi/ws`` (testnet ``wss://test-ws.pacifica.fi/ws``; config ``ws_url``);
  subscriptions are not signed;
- send ``{"method":"subscribe","params":{"source":"account_order_updates","account":"<pubkey>"}}``;
  the venue confirms with ``{"channel":"subscribe","data":<params>}`` (CCXT
  ``python/ccxt/pro/pacifica.py`` ``handle_subscription_response``; the Rust SDK's copy of the
  docs says to wait for it);
- send ``{"method":"ping"}`` every 30 s, answered ``{"channel":"pong"}``: the server closes a
  connection silent for 60 s (and after 24 h);
- receive ``{"channel":"account_order_updates","data":[{...}, ...]}`` with abbreviated fields:
  ``i`` order id, ``I`` client order id, ``u`` account, ``s`` symbol, ``d`` side, ``p`` average
  filled price, ``ip`` initial price, ``lp`` last filled price, ``a`` amount, ``f`` filled,
  ``oe`` event, ``os`` status, ``ot`` type, ``sp`` stop price, ``si`` stop parent id, ``tp``
  trigger price type, ``r`` reduce only, ``ct``/``ut`` ms, ``li`` last order id.

The stream carries **every** order of the account (the documented example is a plain limit
fill), so each row is mapped with its real kind (``ot``): stop types to the stop kinds,
``limit``/``market`` to LIMIT/MARKET. By default only stop orders are yielded: rows of a stop
type, and rows of an order this session (or the client) already knows as a stop, whose
released order may show a plain type (assumption, see the ledger). Config
``stream_all_orders`` yields the other orders too, with their real kind.

Nothing a frame says ends the stream: a frame that is not JSON, an unknown channel or an
undocumented ``oe``/``os``/``ot`` is logged once per value and skipped (what can be
normalized is yielded; ``raw`` keeps the venue's row).
"""

from __future__ import annotations

import json
import logging
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
    StopkitError,
    StreamProtocol,
    StreamStep,
    UnknownVenueValue,
    WsRequest,
    find_known,
    lookup,
    parse_decimal,
    parse_id,
    parse_unix_ms,
)
from stopkit_venues.pacifica.constants import VENUE_NAME
from stopkit_venues.pacifica.mapping import (
    CANCEL_REASON,
    EVENT_PHASE,
    ORDER_STATUS,
    ORDER_TYPE_KIND,
    STOP_ORDER_TYPES,
    TERMINAL_EVENTS,
    VENUE_SIDE,
)

__all__ = ["PING_FRAME", "PacificaStream", "parse_order_update", "subscribe_frame"]

log = logging.getLogger("stopkit.venues.pacifica")

V = VENUE_NAME
PING_FRAME = '{"method":"ping"}'
SOURCE = "account_order_updates"


_DECIMAL_JSON = json.JSONDecoder(parse_float=Decimal)


def _read_json(text: str) -> Any:
    # json.loads(text, parse_float=Decimal) without building a decoder per frame.
    if text.startswith("\ufeff"):
        raise ValueError("a UTF-8 BOM before the JSON")
    return _DECIMAL_JSON.decode(text)


def subscribe_frame(account: str) -> str:
    """The subscribe message for ``account``'s order updates (compact JSON)."""
    return json.dumps({"method": "subscribe", "params": {"source": SOURCE, "account": account}}, separators=(",", ":"))


def _unknown(field: str, value: object) -> UnknownVenueValue:
    return UnknownVenueValue(f"{V}: unknown {field} value {value!r}", field=field, raw_value=value, venue=V)


def _kind(row: Mapping[str, Any], stop_kind: OrderKind | None) -> tuple[OrderKind, bool]:
    # (kind, released): the row's real kind; a known stop's row of a plain type is its released order.
    order_type = row.get("ot")
    if isinstance(order_type, str) and order_type in STOP_ORDER_TYPES:
        return ORDER_TYPE_KIND[order_type], False
    if stop_kind is not None:
        return stop_kind, True
    if isinstance(order_type, str) and order_type in ORDER_TYPE_KIND:
        return ORDER_TYPE_KIND[order_type], False
    raise _unknown("ot", order_type)


def _status(row: Mapping[str, Any], kind: OrderKind, released: bool) -> OrderStatus:
    # os refined by oe: stop phases while open, terminal events, cancel reasons. An unknown oe
    # refines nothing; an unknown os is read only when a terminal event explains it.
    raw_event = row.get("oe")
    event = raw_event if isinstance(raw_event, str) else ""
    order_status = row.get("os")
    if not isinstance(order_status, str) or order_status not in ORDER_STATUS:
        if event in TERMINAL_EVENTS:
            return TERMINAL_EVENTS[event]
        raise _unknown("os", order_status)
    status = ORDER_STATUS[order_status]
    if order_status == "open":
        if event in TERMINAL_EVENTS:
            return TERMINAL_EVENTS[event]
        phase = EVENT_PHASE.get(event)
        if kind.is_stop and phase is not None:
            return phase
        # A stop of a stop type with no phase event is armed; its released order is working.
        return OrderStatus.TRIGGERED if released else OrderStatus.ACCEPTED
    if status is OrderStatus.CANCELED:
        return CANCEL_REASON.get(event, status)
    return status


def parse_order_update(row: Mapping[str, Any], *, stop_kind: OrderKind | None = None) -> OrderState:
    """One ``account_order_updates`` element as an :class:`OrderState`, with its real kind.

    ``stop_kind``: the kind of the stop this order id is already known as (the row is then
    that stop's, even when ``ot`` shows the plain type of its released order).

    ``venue_status`` is the event (``oe``) while the order is open, else the status (``os``).
    While open: ``stop_created``/``stop_parent_order_filled`` → ACCEPTED, ``stop_triggered``/
    ``stop_upgrade``/``make`` → TRIGGERED for a stop; a plain order is ACCEPTED (working).
    ``cancelled`` is refined by the event (``expired`` → EXPIRED, ``post_only_rejected`` →
    REJECTED). An undocumented ``oe`` refines nothing and is kept in ``raw``.

    Raises:
        UnknownVenueValue: an undocumented ``ot`` (for an order not known as a stop), ``os``
            (unless a terminal ``oe`` explains it) or ``d``.
        ResponseShapeError: a malformed row (no symbol, a bad number or id).
    """
    kind, released = _kind(row, stop_kind)
    status = _status(row, kind, released)
    symbol = row.get("s")
    if not isinstance(symbol, str) or not symbol:
        raise ResponseShapeError(f"{V}: order update without a symbol (s)", venue=V)
    initial = parse_decimal(row.get("ip"), venue=V, field="ip", optional=True)
    client_id = row.get("I")
    event = row.get("oe")
    order_status = row.get("os")
    return OrderState(
        venue=V,
        venue_order_id=parse_id(row.get("i"), venue=V, field="i"),
        client_order_id=client_id if isinstance(client_id, str) and client_id else None,
        symbol=symbol,
        side=lookup(VENUE_SIDE, row.get("d"), venue=V, field="d"),
        kind=kind,
        status=status,
        venue_status=str(event if order_status == "open" else order_status),
        quantity=parse_decimal(row.get("a"), venue=V, field="a", optional=True),
        filled_quantity=parse_decimal(row.get("f"), venue=V, field="f", optional=True) or Decimal(0),
        stop_price=parse_decimal(row.get("sp"), venue=V, field="sp", optional=True),
        limit_price=initial if kind in (OrderKind.STOP_LIMIT, OrderKind.LIMIT) and initial else None,
        created_at=parse_unix_ms(row.get("ct"), venue=V, field="ct"),
        updated_at=parse_unix_ms(row.get("ut"), venue=V, field="ut"),
        reason=str(event) if status in (OrderStatus.CANCELED, OrderStatus.EXPIRED, OrderStatus.REJECTED) else None,
        raw=dict(row),
    )


class PacificaStream(StreamProtocol):
    """The ``account_order_updates`` session for one account (no auth: subscriptions are unsigned).

    ``all_orders``: yield the account's non-stop orders too (config ``stream_all_orders``),
    with their real kind (LIMIT/MARKET); by default only stop orders are yielded.
    """

    ping_interval_s = 30.0
    stall_timeout_s = 60.0  # the server itself closes after 60 s of silence

    def __init__(self, venue: BoundVenue, *, ws_url: str, account: str, all_orders: bool = False) -> None:
        super().__init__(venue)
        self.ws_url = ws_url
        self.account = account
        self.all_orders = all_orders
        self._stops: dict[str, OrderKind] = {}  # order ids seen as stops in this watch -> kind
        self._logged: set[tuple[str, str]] = set()

    def connect_request(self, ctx: RequestContext) -> WsRequest:
        """``ws_url`` (config), no headers."""
        return WsRequest(url=self.ws_url)

    def open_frames(self, ctx: RequestContext) -> Sequence[str]:
        """The subscribe message."""
        return (subscribe_frame(self.account),)

    def ping_frame(self) -> str:
        """``{"method":"ping"}``."""
        return PING_FRAME

    def _log_once(self, what: str, value: object, detail: str) -> None:
        # One log line per distinct (what, value) in this watch: a new venue value must be seen,
        # not flood the log or end the stream.
        key = (what, repr(value)[:200])
        if key in self._logged:
            return
        self._logged.add(key)
        log.warning("%s: order stream: %s %s; skipped (raw kept in the log once): %s", V, what, key[1], detail)

    def handle_text(self, text: str, *, known: Sequence[OrderState] = ()) -> StreamStep:
        """Order updates of ``account_order_updates`` (stop orders only unless ``all_orders``);
        the subscribe confirmation makes the session ready; ``pong`` and other channels are
        ignored. Never raises and never ends the session: an unreadable frame, an ``error``
        channel or a row that cannot be normalized is logged once and skipped."""
        try:
            message = _read_json(text)
        except ValueError:
            self._log_once("frame", text[:80], "not JSON")
            return StreamStep()
        if not isinstance(message, dict):
            return StreamStep()
        channel = message.get("channel")
        if channel == "subscribe":
            return StreamStep(ready=True)
        if channel != SOURCE:
            if channel not in ("pong", "unsubscribe"):
                self._log_once("channel", channel, json.dumps(message, default=str)[:300])
            return StreamStep()
        rows = message.get("data")
        if not isinstance(rows, list):
            self._log_once("data", type(rows).__name__, f"{SOURCE} data is not a list")
            return StreamStep()
        # Which orders are stops: the client's known orders first, then this session's as they were
        # before this frame (each looked up by id: O(1) however many orders the client knows).
        seen_now: dict[str, OrderKind] = {}
        updates: list[OrderState] = []
        for row in rows:
            if not isinstance(row, dict) or row.get("u") not in (None, self.account):
                continue
            order_id = str(row.get("i"))
            known_state = find_known(known, order_id)
            if known_state is not None and known_state.venue == V and known_state.kind.is_stop:
                stop_kind: OrderKind | None = known_state.kind
            else:
                stop_kind = self._stops.get(order_id)
            try:
                state = parse_order_update(row, stop_kind=stop_kind)
            except UnknownVenueValue as exc:
                self._log_once(f"unknown {exc.field}", exc.raw_value, json.dumps(row, default=str)[:300])
                continue
            except StopkitError as exc:
                self._log_once("malformed row of order", order_id, f"{exc}: {json.dumps(row, default=str)[:300]}")
                continue
            if state.kind.is_stop:
                seen_now[order_id] = state.kind
            elif not self.all_orders:
                continue
            updates.append(state)
        self._stops.update(seen_now)
        return StreamStep(updates=tuple(updates))
