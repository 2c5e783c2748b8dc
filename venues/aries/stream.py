"""Aries account updates over WebSocket (pure): auth, subscribe, snapshot, order events.

https://finance.dev/websockets/account-updates and the SDK ``finance-dev`` 0.9.0
(``finance_dev/websocket``); each fact's source is in the evidence ledger of ``docs/venues/aries.md``:

- connect ``wss://api.aries.com/v1/accounts/ws`` with no auth header (``websocket/config.py``
  ``ACCOUNT_URL``), then "authenticate within 5 seconds": the request message
  ``{"type":"request","id":"auth-…","payload":{"method":"POST","path":"/auth","body":{"token":…}}}``
  (``RequestMessage``; the SDK sends ``POST``); success is the answer whose ``payload.action`` is
  ``authSuccess`` (``transport/async_connection.py``);
- the SDK's refusals, all ending the attempt at once with :class:`AuthenticationError` (the client
  then reconnects with a fresh token, and gives up after three refusals in a row): a message whose
  ``payload.action`` is ``authRequired`` or ``authTimeout``; the answer to our ``/auth`` request
  carrying ``payload.error``, ``payload.status`` ≥ 400, ``payload.action == "error"`` or any action
  but ``authSuccess``; and (the docs' name) ``payload.action == "authFailed"``;
- subscribe ``{"type":"subscribe","id":"subscribe-…","payload":{"topic":"account","params":{"accountId":…}}}``
  (``AccountResource._sub``); an answer to it (``response``/``subscribed``) carrying an error or a
  status ≥ 400 is a refused subscription: :class:`AuthenticationError` (this token may not read
  this account);
- the snapshot is ``AccountSnapshot{account, positions, ordersV2}`` and the later changes are
  ``AccountEvent{topic, name, target, data}`` with the v2 order (``TradeOrderV2``) in ``data``
  (``websocket/models/account.py``), each the ``payload`` of an ``event`` message
  (``EventMessage``); stop orders are read with :func:`stopkit_venues.aries.parse.parse_trade_order`;
- ``refreshAuth`` → re-send ``/auth`` with a fresh token; ``authExpired`` → reconnect
  (``transport/async_connection.py``: "Internal signal to reconnect after server-side token expiry");
- keep-alive ``{"type":"ping","id":"ping-…"}`` answered by ``pong`` (``PingMessage``/``PongMessage``);
- frames may hold several newline-separated JSON messages (NDJSON, ``websocket/codec.py``).

Assumptions (the SDK defines the payload models but not which envelope carries the snapshot; see
the ledger): a payload (or its ``data``) holding ``ordersV2`` is the snapshot, whatever the envelope
(``event``, or the ``subscribed``/``response`` answer to our subscribe); an ``AccountEvent`` whose
``data`` is an order with a ``clOrdId`` is an order change, whatever its ``name`` (the docs call these
``account.order`` events, i.e. topic ``account``, name ``order``). Orders other than equity
STOP/STOP_LIMIT (LIMIT, MARKET, options) are skipped, and so is any row stopkit cannot read (an
unknown status or a malformed field): a long-running stream never stops on a value it does not know.
Aries shows no trigger: a stop goes ACCEPTED → (PARTIALLY_)FILLED on the stream.
"""

from __future__ import annotations

import json
import logging
import uuid
from collections.abc import Mapping, Sequence
from decimal import Decimal
from typing import Any

from stopkit.plugin import (
    AuthenticationError,
    BoundVenue,
    OrderState,
    RequestContext,
    ResponseShapeError,
    StreamProtocol,
    StreamStep,
    WsRequest,
    json_frames,
)
from stopkit_venues.aries.constants import DOC_WS, VENUE_NAME
from stopkit_venues.aries.parse import is_equity_stop_row, parse_trade_order

__all__ = ["AriesStream", "auth_frame", "subscribe_frame"]

log = logging.getLogger("stopkit.venues.aries")

V = VENUE_NAME
TOPIC = "account"
_NAMESPACE = uuid.UUID("5d3f4a63-8d3e-4b1c-9e0b-7f6a4c2b9e11")  # stopkit's namespace for subscribe ids
# payload.action values that refuse the session (SDK transport: authRequired/authTimeout; docs: authFailed).
_REFUSALS = frozenset({"authRequired", "authTimeout", "authFailed"})
# Message types that answer a request by id (SDK transport: response, subscribed, pong).
_ANSWERS = frozenset({"response", "subscribed", "error"})


def _json(value: Any) -> str:
    return json.dumps(value, separators=(",", ":"))


def auth_frame(token: str, *, request_id: str) -> str:
    """The ``POST /auth`` request message (holds the token: never log it)."""
    return _json(
        {"type": "request", "id": request_id, "payload": {"method": "POST", "path": "/auth", "body": {"token": token}}}
    )


def subscribe_frame(account_id: str, *, request_id: str) -> str:
    """The subscribe message for the ``account`` topic of ``account_id``."""
    return _json(
        {"type": "subscribe", "id": request_id, "payload": {"topic": TOPIC, "params": {"accountId": account_id}}}
    )


def _status(payload: Mapping[str, Any]) -> int:
    # payload.status as an int (the SDK compares it with 400); absent or malformed → 200.
    value = payload.get("status", 200)
    if isinstance(value, bool):
        return 200
    if isinstance(value, int):
        return value
    if isinstance(value, Decimal) and value == value.to_integral_value():
        return int(value)
    if isinstance(value, str) and value.isascii() and value.isdigit():
        return int(value)
    return 200


def _refused(payload: Mapping[str, Any]) -> bool:
    # The SDK's test for a refused request: payload.error, or payload.status >= 400, or action "error".
    return bool(payload.get("error")) or _status(payload) >= 400 or payload.get("action") == "error"


def _detail(payload: Mapping[str, Any], default: str) -> str:
    # The venue's reason text, shortened (never the request: it held the token).
    for key in ("message", "error"):
        value = payload.get(key)
        if isinstance(value, str) and value:
            return value[:200]
        if isinstance(value, Mapping):
            inner = value.get("message")
            if isinstance(inner, str) and inner:
                return inner[:200]
    return default


def _snapshot_orders(payload: Mapping[str, Any]) -> list[Any] | None:
    # AccountSnapshot.ordersV2 from a payload (or its data); None when the payload is no snapshot.
    for candidate in (payload, payload.get("data")):
        if isinstance(candidate, Mapping) and "ordersV2" in candidate:
            orders = candidate.get("ordersV2")
            return list(orders) if isinstance(orders, list) else []
    return None


def _event_order(payload: Mapping[str, Any]) -> Mapping[str, Any] | None:
    # The v2 order of an AccountEvent (topic "account", data a TradeOrderV2 with a clOrdId), else None.
    data = payload.get("data")
    if payload.get("topic", TOPIC) != TOPIC or not isinstance(data, Mapping) or "clOrdId" not in data:
        return None
    return data


class AriesStream(StreamProtocol):
    """The account-updates session of one trading account, authenticated with the bearer token."""

    needs_token = True
    ping_interval_s = 20.0
    stall_timeout_s = 60.0

    def __init__(self, venue: BoundVenue, *, ws_url: str, account_id: str) -> None:
        super().__init__(venue)
        self.ws_url = ws_url
        self.account_id = account_id
        self._connection = 0
        self._requests = 0
        self._auth_ids: set[str] = set()
        self._subscribe_id: str | None = None
        self._authenticated = False

    def _next_id(self, prefix: str) -> str:
        self._requests += 1
        return f"{prefix}-{self._connection:03d}-{self._requests:03d}"

    def connect_request(self, ctx: RequestContext) -> WsRequest:
        """``ws_url``; no auth header (the token goes in the ``/auth`` message)."""
        self._connection += 1
        self._requests = 0
        self._auth_ids = set()
        self._subscribe_id = None
        self._authenticated = False
        return WsRequest(url=self.ws_url)

    def open_frames(self, ctx: RequestContext) -> Sequence[str]:
        """The ``/auth`` request (subscribe follows ``authSuccess``)."""
        return self.auth_frames(ctx)

    def auth_frames(self, ctx: RequestContext) -> Sequence[str]:
        """A ``/auth`` request with ``ctx.access_token`` (its id is remembered to match the answer)."""
        if ctx.access_token is None:
            raise AuthenticationError(f"{V}: the account stream needs an access token", venue=V)
        request_id = self._next_id("auth")
        self._auth_ids.add(request_id)
        return (auth_frame(ctx.access_token.value, request_id=request_id),)

    def ping_frame(self) -> str:
        """``{"type":"ping","id":"ping-…"}``."""
        return _json({"type": "ping", "id": self._next_id("ping")})

    def handle_text(self, text: str, *, known: Sequence[OrderState] = ()) -> StreamStep:
        """Every JSON message of an NDJSON frame: auth and subscribe answers, snapshot, order events, notices."""
        updates: list[OrderState] = []
        send: list[str] = []
        ready = reauth = False
        reconnect: str | None = None
        for piece in json_frames(text, "\n"):
            try:
                message = json.loads(piece, parse_float=Decimal)
            except (ValueError, RecursionError):
                return StreamStep(error=ResponseShapeError(f"{V}: stream message is not JSON", venue=V))
            if not isinstance(message, dict):
                continue
            raw_payload = message.get("payload")
            payload: Mapping[str, Any] = raw_payload if isinstance(raw_payload, Mapping) else {}
            action = payload.get("action")
            kind = message.get("type")
            ident = message.get("id") or payload.get("id")
            if action in _REFUSALS:
                detail = _detail(payload, str(action))
                return StreamStep(
                    error=AuthenticationError(f"{V}: stream authentication refused ({action}): {detail}", venue=V)
                )
            if action == "authExpired":
                reconnect = "the session expired (authExpired)"
                continue
            if action == "refreshAuth":
                reauth = True
                continue
            if isinstance(ident, str) and ident in self._auth_ids and (kind in _ANSWERS or action is not None):
                self._auth_ids.discard(ident)
                if _refused(payload) or action != "authSuccess":
                    detail = _detail(payload, f"answer {action!r}")
                    return StreamStep(error=AuthenticationError(f"{V}: stream /auth refused: {detail}", venue=V))
                send.extend(self._authenticated_once())
                continue
            if action == "authSuccess" and self._auth_ids:
                # An authSuccess without our id (the SDK accepts it for the pending /auth request).
                self._auth_ids.clear()
                send.extend(self._authenticated_once())
                continue
            if ident is not None and ident == self._subscribe_id and (kind in _ANSWERS or action is not None):
                if _refused(payload):
                    detail = _detail(payload, "refused")
                    return StreamStep(
                        error=AuthenticationError(
                            f"{V}: subscription to account {self.account_id!r} refused: {detail} ({DOC_WS})", venue=V
                        )
                    )
                ready = True
            orders = _snapshot_orders(payload)
            if orders is not None:
                updates.extend(self._orders(orders))
                ready = True
                continue
            order = _event_order(payload)
            if order is not None:
                updates.extend(self._orders([order]))
        return StreamStep(updates=tuple(updates), send=tuple(send), ready=ready, reauth=reauth, reconnect=reconnect)

    def _authenticated_once(self) -> list[str]:
        # The subscribe after the first authSuccess of a connection (a re-auth does not resubscribe).
        if self._authenticated:
            return []
        self._authenticated = True
        self._subscribe_id = self._make_subscribe_id()
        return [subscribe_frame(self.account_id, request_id=self._subscribe_id)]

    def _make_subscribe_id(self) -> str:
        # subscribe-<uuid> as the SDK sends it; derived (uuid5) so that frames are reproducible.
        return f"subscribe-{uuid.uuid5(_NAMESPACE, f'{self.account_id}/{self._connection}')}"

    @staticmethod
    def _orders(rows: Sequence[Any]) -> list[OrderState]:
        # Equity STOP/STOP_LIMIT TradeOrderV2 objects, parsed as REST rows are; unreadable rows skipped.
        states: list[OrderState] = []
        for row in rows:
            if not isinstance(row, Mapping) or not is_equity_stop_row(row):
                continue
            try:
                states.append(parse_trade_order(row))
            except ResponseShapeError as exc:  # UnknownVenueValue included
                log.warning("%s: skipped a stream order row: %s", V, exc.message)
        return states
