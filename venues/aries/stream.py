"""Aries account updates over WebSocket (pure): auth, subscribe, snapshot, ``account.order`` events.

https://finance.dev/websockets/account-updates (sheet §2 "WebSocket session", §3.4 "Stream"):

- connect ``wss://api.aries.com/v1/accounts/ws`` with no auth header, then **within 5 s** send
  ``{"type":"request","id":"auth-<n>","payload":{"method":"POST","path":"/auth","body":{"token":...}}}``;
  success is a message whose ``payload.action`` is ``authSuccess`` ([sdk]);
- subscribe ``{"type":"subscribe","id":"subscribe-<uuid>","payload":{"topic":"account","params":{"accountId":...}}}``;
  the server first sends a snapshot (orders, positions, balance), then ``account.order`` events
  carrying ``TradeOrderV2`` objects (parsed by :func:`venues.aries.parse.parse_trade_order`);
- frames may hold several newline-separated JSON messages (NDJSON, [sdk] ``websocket/codec.py``);
- sessions expire after 65 minutes with a ``refreshAuth`` warning 5 minutes before: re-send
  ``/auth`` with a fresh token; on ``authExpired``, reconnect ([sdk] ``sync_connection.py``).

Assumptions [unverified] (the docs name the messages but we hold no verbatim examples): every
server message is ``{"type": ..., "id"?: ..., "payload": {"action": ..., "data"?: ...}}``; the
snapshot is ``payload.action == "snapshot"`` with ``data.orders``; an order event is
``payload.action == "account.order"`` with the order in ``data``; an auth refusal is
``payload.action == "authFailed"`` (or ``type: "error"``); keep-alive is ``{"type":"ping"}``
answered by ``{"type":"pong"}``. Orders other than STOP/STOP_LIMIT are not stop orders and are
skipped. Aries shows no trigger (sheet §5): a stop goes ACCEPTED → FILLED on the stream.
"""

from __future__ import annotations

import json
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
from venues.aries.constants import VENUE_NAME
from venues.aries.mapping import TYPE_TO_KIND
from venues.aries.parse import parse_trade_order

__all__ = ["AriesStream", "auth_frame", "subscribe_frame"]

V = VENUE_NAME
TOPIC = "account"
_NAMESPACE = uuid.UUID("5d3f4a63-8d3e-4b1c-9e0b-7f6a4c2b9e11")  # stopkit's namespace for subscribe ids


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
        self._subscribed = False

    def _next_id(self, prefix: str) -> str:
        self._requests += 1
        return f"{prefix}-{self._connection:03d}-{self._requests:03d}"

    def connect_request(self, ctx: RequestContext) -> WsRequest:
        """``ws_url``; no auth header (the token goes in the ``/auth`` message)."""
        self._connection += 1
        self._requests = 0
        self._subscribed = False
        return WsRequest(url=self.ws_url)

    def open_frames(self, ctx: RequestContext) -> Sequence[str]:
        """The ``/auth`` request (subscribe follows ``authSuccess``)."""
        return self.auth_frames(ctx)

    def auth_frames(self, ctx: RequestContext) -> Sequence[str]:
        """A ``/auth`` request with ``ctx.access_token``."""
        if ctx.access_token is None:
            raise AuthenticationError(f"{V}: the account stream needs an access token", venue=V)
        return (auth_frame(ctx.access_token.value, request_id=self._next_id("auth")),)

    def ping_frame(self) -> str:
        """``{"type":"ping"}``."""
        return _json({"type": "ping", "id": self._next_id("ping")})

    def handle_text(self, text: str, *, known: Sequence[OrderState] = ()) -> StreamStep:
        """Every JSON message of an NDJSON frame: auth result, snapshot, order events, session notices."""
        updates: list[OrderState] = []
        send: list[str] = []
        ready = reauth = False
        reconnect: str | None = None
        for piece in json_frames(text, "\n"):
            try:
                message = json.loads(piece, parse_float=Decimal)
            except ValueError:
                return StreamStep(error=ResponseShapeError(f"{V}: stream message is not JSON", venue=V))
            if not isinstance(message, dict):
                continue
            payload = message.get("payload")
            payload = payload if isinstance(payload, dict) else {}
            action = payload.get("action")
            kind = message.get("type")
            if action == "authSuccess":
                if not self._subscribed:
                    self._subscribed = True
                    send.append(subscribe_frame(self.account_id, request_id=self._subscribe_id()))
            elif action == "authFailed" or (kind == "error" and "auth" in str(message.get("id", ""))):
                detail = payload.get("message") or payload.get("error") or "authentication failed"
                return StreamStep(error=AuthenticationError(f"{V}: stream /auth refused: {detail}", venue=V))
            elif kind == "error":
                detail = payload.get("message") or payload.get("error") or piece[:200]
                return StreamStep(error=ResponseShapeError(f"{V}: stream error: {detail}", venue=V))
            elif action == "snapshot":
                data = payload.get("data")
                orders = data.get("orders") if isinstance(data, dict) else None
                updates.extend(self._orders(orders or []))
                ready = True
            elif action == "account.order":
                updates.extend(self._orders([payload.get("data")]))
            elif action == "refreshAuth":
                reauth = True
            elif action == "authExpired":
                reconnect = "the session expired (authExpired)"
        return StreamStep(updates=tuple(updates), send=tuple(send), ready=ready, reauth=reauth, reconnect=reconnect)

    def _subscribe_id(self) -> str:
        # subscribe-<uuid> as the SDK sends it; derived (uuid5) so that frames are reproducible.
        return f"subscribe-{uuid.uuid5(_NAMESPACE, f'{self.account_id}/{self._connection}')}"

    @staticmethod
    def _orders(rows: Sequence[Any]) -> list[OrderState]:
        # TradeOrderV2 objects of stop types, parsed as REST rows are.
        return [parse_trade_order(row) for row in rows if isinstance(row, Mapping) and row.get("type") in TYPE_TO_KIND]
