"""An Aries simulator: an aiohttp.web app that speaks the shapes of the official SDK.

Every answer and WebSocket message it sends validates under the SDK ``finance-dev`` 0.9.0 models
(``OrdResponse``, ``CancelOrdResponse``, ``ReplaceOrdResponse``, ``GetOrdersV2Response`` of
``TradeOrderV2``, the error envelopes, ``AccountSnapshot``, ``AccountEvent``, the WebSocket envelopes);
the test suite holds it to that (``tests/venues/aries/test_aries_sdk_oracle.py``). Sources per fact:
the evidence ledger of ``docs/venues/aries.md``.

Paths (https://finance.dev/api-reference):

- ``POST /v1/oauth2/token``: ``client_credentials`` (with ``scope``, as the SDK's
  ``_hooks/clientcredentials.py`` sends it) and ``refresh_token`` grants; a form body (the SDK's)
  or JSON (the docs page's), or only one when built with ``token_encoding``. Tokens are random
  and opaque (``token_type: "Bearer"``, ``expires_in`` 3600 s; refresh tokens 30 days, rotated
  on use) and carry the scopes asked for (all four when none). Wrong client credentials → 401, a
  bad grant, refresh token or scope → 400, in the nested error shape.
- Every other path needs ``Authorization: Bearer <valid, unexpired token>`` (401 otherwise) with
  the scope the SDK asks for the operation (``order:execution`` to place/cancel/replace,
  ``order:information`` to list; 403 ``AUTHORIZATION`` otherwise).
- ``POST /v1/orders``: STOP / STOP_LIMIT per ``PlaceOrdRequest``: known fields only, decimals as
  strings with at most 5 decimal places, ``qty`` > 0, STOP without ``price``, STOP_LIMIT with both
  prices, required ``timeInForce``. Validation errors → 400 in the flat shape
  ``{"error": ..., "codes": [{"code", "description", "field"}], "metadata": {}}``. Answers the
  ``OrdResponse`` ack (``status: NEW``, or ``PENDING_NEW`` while :attr:`pending_new`). A halted
  symbol (:meth:`halt`) is rejected with HTTP 200 ``success: false, status: REJECTED``.
- ``GET /v2/accounts/{id}/orders`` (open orders and today's finished ones; ``orders: null`` when
  empty) and ``.../orders/history`` (``from`` required, window ≤ 90 days, filtered and ordered by
  creation time; ``orders: []`` when empty; SUPERSEDED rows left out), ``TradeOrderV2`` rows,
  ``limit`` ≤ 500, ``nextCursor`` paging (0 = end).
- ``POST /v1/orders/cancel``: ``origClOrdId``, account, ``symbol`` and ``side`` must match the
  order, ``securityType`` ``CS``; a finished order → 200 ``status: REJECTED``; unknown id → 404.
- ``POST /v1/orders/replace``: required ``origClOrdId``, account and ``symbol``; then
  ``qty``/``price``/``stopPrice``/``timeInForce`` (``side`` and ``type`` may be restated, not
  changed). Every replace assigns a new ``clOrdId``; the new row names the old one in
  ``origClOrdId`` and the old record stays listed today as ``SUPERSEDED`` (never in the history).
  Reusing an old id → 200 ``success: false, status: REJECTED`` with the reason in ``text`` (the
  cancel and replace answers have no ``ordRejReason``, SDK ``CancelOrdResponse``/``ReplaceOrdResponse``).
  A finished order → 200 REJECTED ``"Order is already FILLED"``. Fills so far stay with the order.

Rows: ``clientId`` is the OAuth client id that placed the order ("OAuth client / application
identifier that submitted the order"), ``securityType``/``category`` ``EQUITY``, ``exDestination``
``MNGD`` (managed routing), ``avgPrice`` the volume-weighted fill price, ``leavesQty`` what is
still open.

Test switches: :meth:`expire_tokens`, :meth:`revoke_refresh_tokens`, :meth:`halt`,
:meth:`end_day`, :attr:`pending_changes` (cancel/replace answer PENDING_CANCEL/PENDING_REPLACE
until :meth:`settle`), :attr:`pending_new` (new orders stay PENDING_NEW until :meth:`settle`),
:attr:`fill_lot` (at most that many shares fill per price move: PARTIALLY_FILLED first),
:meth:`lose_next_place_response` (the order is accepted, then the connection drops, the answer
comes too late, or a 5xx comes instead), :attr:`faults` (the shared
:class:`~stopkit.testing.simkit.FaultInjector`, first in the middleware chain), ``page_cap``
(the server pages with fewer rows than asked) and ``fractional_shares``.

WebSocket ``GET /v1/accounts/ws`` (https://finance.dev/websockets/account-updates; envelopes of
the SDK's ``websocket/models/common.py``): the ``/auth`` request must arrive within
``ws_auth_timeout_s`` (5 s), else ``authTimeout`` and close; a refused token is answered the
SDK's way (``payload.error`` with ``status: 401``; :attr:`ws_auth_refusal` picks another form);
then a subscribe to the ``account`` topic of the simulator's account is confirmed (``subscribed``)
and followed by the snapshot ``AccountSnapshot{account, positions, ordersV2}``; every change of an
order is pushed as ``AccountEvent{topic: "account", name: "order", target, data: TradeOrderV2}``,
each in an ``event`` message; frames coalesce several messages NDJSON-style. Fault switches:
:meth:`~AriesSimulator.ws_drop`, :meth:`~AriesSimulator.ws_stall`,
:meth:`~AriesSimulator.ws_refresh_warning` (``refreshAuth``), :meth:`~AriesSimulator.ws_expire_auth`
(``authExpired``, then close), :attr:`ws_refuse_subscribe`.

Market model: :meth:`set_price` moves a symbol's reference price. Stops trigger per the
documented table (SELL/SELL_SHORT when the price falls to or below ``stopPrice``,
BUY/BUY_TO_COVER when it rises to or above, https://finance.dev/api-reference/orders/stop-order):
a STOP fills at that price; a STOP_LIMIT fills when the price is at or better than ``price``,
else it rests and still shows ``NEW`` (Aries shows no trigger). The time in force of the
released order applies: IOC fills what it can at once and cancels the rest, FOK fills all at
once or cancels.

Assumptions (undocumented, see the ledger): filled and cancelled orders stay in the active list
for the rest of "today", which in the simulator lasts until :meth:`end_day` (DAY orders then
expire; every finished order leaves the active list and stays in the history).
"""

from __future__ import annotations

import asyncio
import hmac
import json
import re
import secrets
import time
from collections.abc import Awaitable, Callable, Mapping
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any
from urllib.parse import parse_qsl

import attrs
from aiohttp import web

from stopkit.plugin import (
    BoundVenue,
    DemoScenario,
    OrderKind,
    OrderState,
    OrderStatus,
    Side,
    StopLimitOrder,
    StopOrder,
    format_decimal,
)
from stopkit.testing import SimSocket, SimSocketHub
from stopkit.testing.simkit import ServedSimulator, limit_fill_price, should_trigger
from stopkit_venues.aries.constants import WS_PATH

__all__ = ["DEMO_ACCOUNT_ID", "DEMO_CLIENT_ID", "DEMO_CLIENT_SECRET", "AriesSimulator"]

DEMO_CLIENT_ID = "stopkit-sim-client"
DEMO_CLIENT_SECRET = "sim-secret-8f3c1e9a5b7d4a2c"  # noqa: S105  # a simulator test value, not a real secret
DEMO_ACCOUNT_ID = "ACC123456"

_TOKEN_LIFETIME_S = 3600
_REFRESH_LIFETIME_S = 2_592_000
_SCOPES = frozenset({"order:execution", "order:information", "account:information", "position:information"})
_DAY_MS = 86_400_000

# The simulator's own copies of the documented enums , kept apart from the adapter's.
_SIDES = frozenset({"BUY", "SELL", "SELL_SHORT", "BUY_TO_COVER"})
_WS_REFUSALS = frozenset({"status", "authFailed", "authRequired", "error-action"})
_BUY_SIDES = frozenset({"BUY", "BUY_TO_COVER"})
_TYPES = frozenset({"MARKET", "LIMIT", "STOP", "STOP_LIMIT"})
_TIFS = frozenset({"DAY", "GTC", "IOC", "FOK", "EXTENDED_HOURS", "AT_THE_OPENING", "AT_THE_CLOSE", "ATO", "ATC", "EXT"})
_PLACE_FIELDS = frozenset(
    {"tradingAccountId", "accountId", "symbol", "side", "type", "qty", "timeInForce", "stopPrice", "price"}
    | {"clientId", "currency", "legs", "exDestination"}
)
_CANCEL_FIELDS = frozenset(
    {"origClOrdId", "tradingAccountId", "accountId", "symbol", "side", "securityType"}
    | {"putCall", "strikePrice", "maturity"}
)
_REPLACE_FIELDS = frozenset(
    {"origClOrdId", "tradingAccountId", "accountId", "symbol", "qty", "price", "stopPrice", "type"}
    | {"timeInForce", "side", "clientId"}
)
_WORKING = frozenset({"NEW", "PARTIALLY_FILLED"})
# The simulator's own reading of its records (book_state), kept apart from the adapter's table.
_SIM_STATUS = {
    "PENDING_NEW": OrderStatus.SUBMITTED, "NEW": OrderStatus.ACCEPTED, "REPLACED": OrderStatus.ACCEPTED,
    "PARTIALLY_FILLED": OrderStatus.PARTIALLY_FILLED, "FILLED": OrderStatus.FILLED,
    "PENDING_CANCEL": OrderStatus.PENDING_CANCEL, "CANCELED": OrderStatus.CANCELED,
    "PENDING_REPLACE": OrderStatus.PENDING_UPDATE, "REJECTED": OrderStatus.REJECTED, "EXPIRED": OrderStatus.EXPIRED,
    "SUPERSEDED": OrderStatus.CANCELED,
}  # fmt: skip
_PENDING = frozenset({"PENDING_CANCEL", "PENDING_REPLACE"})
_LOSS_MODES = frozenset({"drop", "delay", "5xx"})
_DECIMAL_RE = re.compile(r"\d+(\.\d{1,5})?")
_SYMBOL_RE = re.compile(r"[A-Z][A-Z0-9.\-]{0,19}")

Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]


def _system_ms() -> int:
    # The real clock, in Unix ms.
    return time.time_ns() // 1_000_000


def _iso(ms: int) -> str:
    # Unix ms → ``2026-01-15T14:30:05Z``.
    return datetime.fromtimestamp(ms // 1000, tz=UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def _event(payload: dict[str, Any]) -> str:
    # An ``event`` message (SDK websocket EventMessage) carrying ``payload``.
    return json.dumps({"type": "event", "payload": payload})


def _response(request_id: object, payload: dict[str, Any]) -> str:
    # A ``response`` message (SDK websocket ResponseMessage) answering ``request_id``.
    return json.dumps({"type": "response", "id": request_id, "payload": payload})


def _nested_error(status: int, etype: str, code: str, message: str) -> web.Response:
    # The nested error shape (models/apperror.py).
    body = {
        "error": {
            "type": etype,
            "code": code,
            "message": message,
            "details": {},
            "request_id": secrets.token_hex(8),
        },
        "meta": {},
    }
    return web.json_response(body, status=status)


def _flat_error(status: int, message: str, codes: list[tuple[str, str, str]]) -> web.Response:
    # The flat error shape (errors/errorresponse.py): codes are (code, field, description).
    body = {
        "error": message,
        "codes": [{"code": c, "description": d, "field": f} for c, f, d in codes],
        "metadata": {},
    }
    return web.json_response(body, status=status)


@attrs.define
class _SimOrder:
    # One order as the simulated broker keeps it.
    cl_ord_id: str
    ord_id: str
    account_id: str
    client_id: str
    symbol: str
    side: str
    type: str
    time_in_force: str
    qty: Decimal
    price: Decimal | None
    stop_price: Decimal
    status: str
    created_ms: int
    updated_ms: int
    cum_qty: Decimal = Decimal(0)
    avg_price: Decimal = Decimal(0)
    text: str = ""
    rej_reason: str = ""
    triggered: bool = False
    today: bool = True
    orig_cl_ord_id: str = ""


# What the simulators can take: the client's budget in demo_config (the real venues' are lower).
SIMULATOR_REQUESTS_PER_S = 10_000.0


class AriesSimulator(ServedSimulator):
    """The Aries simulator (see the module docstring); :meth:`start`/:meth:`stop` serve it on loopback.

    Args:
        clock_ms: the simulator's clock in Unix ms (token expiry, timestamps); the system clock
            by default. Tests inject one to expire tokens or to match a frozen client clock.
        token_encoding: ``"json"`` or ``"form"`` to accept only that token body encoding;
            ``None`` (default) accepts both.
        client_id, client_secret, account_id: the credentials it accepts.
        page_cap: list pages hold at most this many rows whatever ``limit`` asks (paging tests).
        fractional_shares: accept a fractional ``qty`` (refused by default).
    """

    def __init__(
        self,
        *,
        clock_ms: Callable[[], int] | None = None,
        token_encoding: str | None = None,
        client_id: str = DEMO_CLIENT_ID,
        client_secret: str = DEMO_CLIENT_SECRET,
        account_id: str = DEMO_ACCOUNT_ID,
        page_cap: int | None = None,
        fractional_shares: bool = False,
    ) -> None:
        if token_encoding not in (None, "json", "form"):
            raise ValueError(f"token_encoding must be None, 'json' or 'form', got {token_encoding!r}")
        self.clock_ms = clock_ms or _system_ms
        self.token_encoding = token_encoding
        self.client_id = client_id
        self.client_secret = client_secret
        self.account_id = account_id
        self.grants: list[str] = []
        """The grant types served, in order (for tests)."""
        self.scopes_granted: list[str] = []
        """The scopes of each token issued, in order (for tests)."""
        self.order_requests = 0
        """Authenticated requests answered (for tests)."""
        self.token_requests = 0
        """Requests to the token endpoint, whatever their outcome (for tests)."""
        self.unauthorized = 0
        """401 answers to requests with a missing, unknown or expired bearer token (for tests)."""
        self.pending_changes = False
        """When True, cancel and replace answer PENDING_CANCEL / PENDING_REPLACE until :meth:`settle`."""
        self.pending_new = False
        """When True, new orders answer and stay PENDING_NEW (not yet armed) until :meth:`settle`."""
        self.fill_lot: Decimal | None = None
        """At most this many shares fill per price move (``None`` = the whole order at once)."""
        self.page_cap = page_cap
        self.fractional_shares = fractional_shares
        self.ws_auth_refusal = "status"
        """How a refused ``/auth`` is answered: ``"status"`` (``payload.error`` + ``status: 401``, the
        SDK's test), ``"error-action"`` (``payload.action: "error"``), ``"authFailed"`` or
        ``"authRequired"`` (an ``event`` with that action)."""
        self.ws_refuse_subscribe = False
        """When True, subscribe requests are refused (``payload.error``, ``status: 403``)."""
        self.ws_refuse_tokens = False
        """When True, every ``/auth`` is refused whatever the token."""
        self.loss_delay_s = 1.0
        self._loss_mode: str | None = None
        self._superseded: list[dict[str, Any]] = []
        self._alias: dict[str, str] = {}
        self._access: dict[str, int] = {}
        self._scopes: dict[str, frozenset[str]] = {}
        self._refresh: dict[str, int] = {}
        self._orders: dict[str, _SimOrder] = {}
        self._prices: dict[str, Decimal] = {}
        self._halted: set[str] = set()
        self._seq = 0
        self.ws_auth_timeout_s = 5.0
        self.ws_idle_timeout_s = 60.0
        self.ws_session_ms = 3_900_000  # 65 minutes
        self._ws_hub: SimSocketHub | None = None

    # -- Simulator protocol -----------------------------------------------------

    def make_app(self) -> web.Application:
        """A fresh application serving the documented paths."""
        app = web.Application(middlewares=[self.faults.middleware, self._auth_middleware])
        app.router.add_post("/v1/oauth2/token", self._token)
        app.router.add_post("/v1/orders", self._place)
        app.router.add_post("/v1/orders/cancel", self._cancel)
        app.router.add_post("/v1/orders/replace", self._replace)
        app.router.add_get("/v2/accounts/{account}/orders", self._active)
        app.router.add_get("/v2/accounts/{account}/orders/history", self._history)
        app.router.add_get(WS_PATH, self._ws)
        return app

    # -- WebSocket --------------------------------------------------------------

    @property
    def ws_hub(self) -> SimSocketHub:
        """The account WebSocket's connections (NDJSON framing)."""
        if self._ws_hub is None:
            self._ws_hub = SimSocketHub(ndjson=True)
        return self._ws_hub

    def ws_drop(self) -> None:
        """Fault: close every account WebSocket now."""
        self.ws_hub.drop()

    def ws_stall(self, on: bool = True) -> None:
        """Fault: stop pushing and answering (pings included) while ``on``."""
        self.ws_hub.stall(on)

    def ws_refresh_warning(self) -> None:
        """Send ``refreshAuth`` (the 5-minute warning) to every authenticated connection."""
        notice = _event({"action": "refreshAuth", "expiresInMs": 300_000})
        self.ws_hub.broadcast(notice, where=lambda sock: bool(sock.state.get("auth")))

    def ws_expire_auth(self) -> None:
        """End every session: ``authExpired``, then close (the client must reconnect and re-authenticate)."""
        notice = _event({"action": "authExpired", "error": "session expired"})
        for sock in list(self.ws_hub.sockets):
            sock.send(notice)
            sock.close()

    async def _ws(self, request: web.Request) -> web.StreamResponse:
        # GET /v1/accounts/ws: no auth header; /auth within ws_auth_timeout_s.
        ws = web.WebSocketResponse()
        await ws.prepare(request)
        await self.ws_hub.serve(ws, self._ws_message, idle_timeout_s=self.ws_idle_timeout_s, on_open=self._ws_deadline)
        return ws

    def _ws_deadline(self, sock: SimSocket) -> None:
        # authTimeout and close for a connection that has not authenticated within ws_auth_timeout_s.
        def check() -> None:
            if not sock.state.get("auth"):
                sock.send(_event({"action": "authTimeout", "error": "authentication required within 5 seconds"}))
                sock.close()

        asyncio.get_running_loop().call_later(self.ws_auth_timeout_s, check)

    def _ws_auth_refused(self, sock: SimSocket, request_id: object) -> None:
        # A refused /auth, in the form ws_auth_refusal names, then close.
        message = "invalid or expired token"
        mode = self.ws_auth_refusal
        if mode == "authFailed" or mode == "authRequired":
            sock.send(_event({"action": mode, "error": message}))
        elif mode == "error-action":
            sock.send(_response(request_id, {"action": "error", "error": message}))
        else:
            sock.send(_response(request_id, {"error": message, "status": 401, "code": "INVALID_TOKEN"}))
        sock.close()

    def _ws_message(self, sock: SimSocket, text: str) -> None:
        # One client message: /auth request, subscribe, ping.
        try:
            message = json.loads(text)
        except ValueError:
            sock.send(_response(None, {"action": "error", "error": "invalid JSON", "status": 400}))
            return
        if not isinstance(message, dict):
            sock.send(_response(None, {"action": "error", "error": "expected a JSON object", "status": 400}))
            return
        kind, request_id = message.get("type"), message.get("id")
        raw_payload = message.get("payload")
        payload: dict[str, Any] = raw_payload if isinstance(raw_payload, dict) else {}
        if kind == "ping":
            sock.send(json.dumps({"type": "pong", "id": request_id}))
        elif kind == "request" and payload.get("path") == "/auth" and str(payload.get("method")).upper() == "POST":
            raw_body = payload.get("body")
            body: dict[str, Any] = raw_body if isinstance(raw_body, dict) else {}
            token = body.get("token")
            expiry = self._access.get(token) if isinstance(token, str) else None
            if self.ws_refuse_tokens or expiry is None or expiry <= self.clock_ms():
                self._ws_auth_refused(sock, request_id)
                return
            sock.state["auth"] = True
            sock.state["expires_ms"] = self.clock_ms() + self.ws_session_ms
            sock.send(_response(request_id, {"action": "authSuccess"}))
        elif not sock.state.get("auth"):
            sock.send(_event({"action": "authRequired", "error": "authenticate first (POST /auth)"}))
            sock.close()
        elif kind == "subscribe":
            raw_params = payload.get("params")
            params: dict[str, Any] = raw_params if isinstance(raw_params, dict) else {}
            if (
                self.ws_refuse_subscribe
                or payload.get("topic") != "account"
                or params.get("accountId") != self.account_id
            ):
                sock.send(_response(request_id, {"error": "account not accessible with this token", "status": 403}))
                return
            sock.state["subscribed"] = True
            sock.send(json.dumps({"type": "subscribed", "id": request_id, "payload": dict(payload)}))
            orders = [self.render(o) for o in self._orders.values() if o.today]
            snapshot = {"account": {"accountId": self.account_id}, "positions": [], "ordersV2": orders}
            sock.send(_event(snapshot))
        else:
            sock.send(_response(request_id, {"action": "error", "error": f"unsupported message type {kind!r}"}))

    def _push_row(self, row: dict[str, Any]) -> None:
        # One account order event (AccountEvent, name "order") to every subscribed connection.
        if self._ws_hub is None or not self._ws_hub.sockets:
            return
        event = _event({"topic": "account", "name": "order", "target": self.account_id, "data": row})
        self._ws_hub.broadcast(event, where=lambda sock: bool(sock.state.get("subscribed")))

    def _changed(self, order: _SimOrder) -> None:
        self._push_row(self.render(order))

    def demo_credentials(self) -> dict[str, str]:
        """``ARIES_CLIENT_ID``/``ARIES_CLIENT_SECRET`` (simulator test values) and ``ARIES_ACCOUNT_ID``."""
        return {
            "ARIES_CLIENT_ID": self.client_id,
            "ARIES_CLIENT_SECRET": self.client_secret,
            "ARIES_ACCOUNT_ID": self.account_id,
        }

    def demo_config(self, base_url: str) -> dict[str, Any]:
        """Config pointing the adapter at ``base_url`` (and at the token encoding accepted, if strict)."""
        # The simulator has no rate limit: lift the client's conservative default (5/s).
        config: dict[str, Any] = {"base_url": base_url, "requests_per_s": SIMULATOR_REQUESTS_PER_S}
        if self.token_encoding is not None:
            config["token_encoding"] = self.token_encoding
        return config

    def demo_scenario(self) -> DemoScenario:
        """The stop-order and stop-limit-order pages' example: sell 100 AAPL, stop 145.00 (limit 144.50)."""
        return DemoScenario(
            symbol="AAPL",
            orders=(
                StopOrder(
                    symbol="AAPL", side="sell", quantity=Decimal(100), stop_price=Decimal("145.00"), time_in_force="day"
                ),
                StopLimitOrder(
                    symbol="AAPL",
                    side="sell",
                    quantity=Decimal(100),
                    stop_price=Decimal("145.00"),
                    limit_price=Decimal("144.50"),
                    time_in_force="day",
                ),
            ),
            start_price=Decimal("150"),
            near_price=Decimal("146"),
            through_price=Decimal("144.90"),
            notes="Sell 100 AAPL: arm at 145.00, but don't sell below 144.50"
            " (https://finance.dev/api-reference/orders/stop-limit-order; stop-order page for the STOP)",
        )

    def set_price(self, symbol: str, price: Decimal) -> None:
        """Move ``symbol``'s reference price (a ticker, unified and native alike: ``AAPL``, any case);
        stops it reaches trigger and fill (or rest) at once."""
        symbol = symbol.strip().upper() if symbol.isascii() else symbol
        self._prices[symbol] = price
        for order in self._orders.values():
            if order.symbol == symbol:
                self._evaluate(order, price)

    def book_state(self, venue: BoundVenue, venue_order_id: str) -> OrderState:
        """The simulator's own record of ``venue_order_id`` as an :class:`OrderState`, read directly (not
        through the adapter's parser, so that tests can judge the parser against it). The simulator knows
        what the wire does not show: a working stop that fired is TRIGGERED here.

        An id from before a replace finds the order under its newest ``clOrdId``.

        Raises:
            KeyError: no such order.
        """
        order = self._orders[self._alias.get(venue_order_id, venue_order_id)]
        status = _SIM_STATUS[order.status]
        if status is OrderStatus.ACCEPTED and order.triggered:
            status = OrderStatus.TRIGGERED
        return OrderState(
            venue="aries",
            venue_order_id=order.cl_ord_id,
            client_order_id=None,
            symbol=order.symbol,
            side=Side.BUY if order.side in _BUY_SIDES else Side.SELL,
            kind=OrderKind.STOP_LIMIT if order.type == "STOP_LIMIT" else OrderKind.STOP_MARKET,
            status=status,
            venue_status=order.status,
            quantity=order.qty,
            filled_quantity=order.cum_qty,
            stop_price=order.stop_price,
            limit_price=order.price if order.type == "STOP_LIMIT" else None,
            raw={"clOrdId": order.cl_ord_id, "ordStatus": order.status, "triggered": order.triggered},
        )

    # -- test controls ----------------------------------------------------------

    def halt(self, symbol: str) -> None:
        """Reject new orders on ``symbol`` (HTTP 200, ``success: false``, ``status: REJECTED``)."""
        self._halted.add(symbol)

    def end_day(self) -> None:
        """Close "today": working DAY orders expire; finished orders leave the active list (history keeps them)."""
        now = self.clock_ms()
        for order in self._orders.values():
            if order.status in _WORKING | {"PENDING_NEW"} and order.time_in_force in ("DAY", "EXTENDED_HOURS"):
                order.status, order.updated_ms, order.text = "EXPIRED", now, "Day order expired"
                self._changed(order)
            if order.status not in _WORKING:
                order.today = False
        self._superseded.clear()

    def expire_tokens(self) -> None:
        """Invalidate every access token now (refresh tokens stay valid)."""
        self._access.clear()

    def revoke_refresh_tokens(self) -> None:
        """Invalidate every refresh token now (a refresh grant then gets 400 ``invalid_grant``)."""
        self._refresh.clear()

    def issue_refresh_token(self) -> str:
        """A valid refresh token, as an authorization-code login outside stopkit would give one."""
        refresh = secrets.token_urlsafe(32)
        self._refresh[refresh] = self.clock_ms() + _REFRESH_LIFETIME_S * 1000
        return refresh

    def settle(self) -> None:
        """Complete pending changes: PENDING_NEW → NEW, PENDING_CANCEL → CANCELED, PENDING_REPLACE → NEW
        (PARTIALLY_FILLED when part has filled)."""
        now = self.clock_ms()
        for order in list(self._orders.values()):
            if order.status == "PENDING_NEW":
                order.status, order.updated_ms, order.text = "NEW", now, "Order accepted"
                self._changed(order)
                if order.symbol in self._prices:
                    self._evaluate(order, self._prices[order.symbol])
            elif order.status == "PENDING_CANCEL":
                order.status, order.updated_ms, order.text = "CANCELED", now, "Canceled by user"
                self._changed(order)
            elif order.status == "PENDING_REPLACE":
                order.status = "PARTIALLY_FILLED" if order.cum_qty > 0 else "NEW"
                order.updated_ms, order.text = now, "Replaced"
                self._changed(order)
                if order.symbol in self._prices:
                    self._evaluate(order, self._prices[order.symbol])

    def lose_next_place_response(self, mode: str = "drop", *, delay_s: float = 1.0) -> None:
        """The next accepted ``POST /v1/orders`` keeps the order but its answer is lost.

        ``mode``: ``"drop"`` closes the connection without an answer; ``"delay"`` answers after
        ``delay_s`` seconds (set it past the client's timeout); ``"5xx"`` answers HTTP 500 in the
        nested shape. Applies once.
        """
        if mode not in _LOSS_MODES:
            raise ValueError(f"mode must be one of {sorted(_LOSS_MODES)}, got {mode!r}")
        self._loss_mode, self.loss_delay_s = mode, delay_s

    def orders(self) -> list[dict[str, Any]]:
        """Every order the simulated broker holds (current records, as TradeOrderV2 rows)."""
        return [self.render(o) for o in self._orders.values()]

    def render(self, order: _SimOrder) -> dict[str, Any]:
        """``order`` as a ``TradeOrderV2`` JSON object (SDK ``models/tradeorderv2.py``).

        ``origClOrdId`` names the predecessor after a replace.
        """
        row: dict[str, Any] = {
            "clOrdId": order.cl_ord_id,
            "ordId": order.ord_id,
            "accountId": order.account_id,
            "clientId": order.client_id,
            "symbol": order.symbol,
            "side": order.side,
            "type": order.type,
            "timeInForce": order.time_in_force,
            "qty": format_decimal(order.qty),
            "price": "" if order.price is None else format_decimal(order.price),
            "stopPrice": format_decimal(order.stop_price),
            "ordStatus": order.status,
            "cumQty": format_decimal(order.cum_qty),
            "leavesQty": format_decimal(order.qty - order.cum_qty if order.status in _WORKING else Decimal(0)),
            "avgPrice": format_decimal(order.avg_price),
            "currency": "USD",
            "exDestination": "MNGD",
            "text": order.text,
            "ordRejReason": order.rej_reason,
            "securityType": "EQUITY",
            "category": "EQUITY",
            "legs": [],
            "createdAt": _iso(order.created_ms),
            "updatedAt": _iso(order.updated_ms),
        }
        if order.orig_cl_ord_id:
            row["origClOrdId"] = order.orig_cl_ord_id
        return row

    # -- market -----------------------------------------------------------------

    def _evaluate(self, order: _SimOrder, price: Decimal) -> None:
        # Trigger per the documented table, then fill per the simulator kit's rules (at most fill_lot
        # shares per move); a STOP_LIMIT that cannot fill rests and still shows NEW. The released
        # order's time in force: IOC cancels what did not fill at once, FOK fills all or nothing.
        if order.status not in _WORKING:
            return
        buy = order.side in _BUY_SIDES
        if not order.triggered:
            if not should_trigger(buy=buy, stop_price=order.stop_price, price=price):
                return
            order.triggered = True
        fill = limit_fill_price(buy=buy, limit_price=order.price, price=price)
        remaining = order.qty - order.cum_qty
        lot = remaining if self.fill_lot is None else min(remaining, self.fill_lot)
        now = self.clock_ms()
        if order.time_in_force == "FOK" and (fill is None or lot < remaining):
            order.status, order.updated_ms, order.text = "CANCELED", now, "Fill or kill: not filled"
            self._changed(order)
            return
        if fill is not None and lot > 0:
            order.avg_price = (order.avg_price * order.cum_qty + fill * lot) / (order.cum_qty + lot)
            order.cum_qty += lot
            done = order.cum_qty >= order.qty
            order.status, order.text = ("FILLED", "Filled") if done else ("PARTIALLY_FILLED", "Partially filled")
            order.updated_ms = now
        if order.time_in_force == "IOC" and order.status in _WORKING:
            order.status, order.updated_ms, order.text = "CANCELED", now, "Immediate or cancel: rest canceled"
        if fill is not None or order.status not in _WORKING:
            self._changed(order)

    def _next_id(self, prefix: str) -> str:
        # ORDER-20260115-001 style ids (date from the simulator clock).
        self._seq += 1
        day = datetime.fromtimestamp(self.clock_ms() // 1000, tz=UTC).strftime("%Y%m%d")
        return f"{prefix}-{day}-{self._seq:03d}"

    # -- auth ---------------------------------------------------------------------

    @web.middleware
    async def _auth_middleware(self, request: web.Request, handler: Handler) -> web.StreamResponse:
        # Bearer check for everything but the token endpoint and the WebSocket (which authenticates
        # in-band); HTTP errors in the nested shape.
        if request.path == WS_PATH:
            return await handler(request)
        if request.path != "/v1/oauth2/token":
            scheme, _, token = request.headers.get("Authorization", "").partition(" ")
            expiry = self._access.get(token) if scheme == "Bearer" else None
            if expiry is None or expiry <= self.clock_ms():
                self.unauthorized += 1
                return _nested_error(401, "AUTHENTICATION", "INVALID_TOKEN", "invalid or expired access token")
            # The scope the SDK asks for each operation (orders.py oauth2_scopes).
            needed = "order:information" if request.method == "GET" else "order:execution"
            if needed not in self._scopes.get(token, _SCOPES):
                return _nested_error(403, "AUTHORIZATION", "INSUFFICIENT_SCOPE", f"the token lacks the {needed} scope")
            self.order_requests += 1
        try:
            return await handler(request)
        except web.HTTPException as exc:
            code = "NOT_FOUND" if exc.status == 404 else "BAD_REQUEST"
            return _nested_error(exc.status, code, code, exc.reason)

    def _issue(self, scopes: frozenset[str]) -> web.Response:
        # A new access token and refresh token (opaque random strings) carrying ``scopes``.
        now = self.clock_ms()
        access, refresh = secrets.token_urlsafe(32), secrets.token_urlsafe(32)
        self._access[access] = now + _TOKEN_LIFETIME_S * 1000
        self._scopes[access] = scopes
        self._refresh[refresh] = now + _REFRESH_LIFETIME_S * 1000
        self._scopes[refresh] = scopes
        return web.json_response(
            {
                "access_token": access,
                "token_type": "Bearer",
                "expires_in": _TOKEN_LIFETIME_S,
                "refresh_token": refresh,
                "refresh_token_expires_in": _REFRESH_LIFETIME_S,
                "scope": " ".join(sorted(scopes)),
            }
        )

    async def _token(self, request: web.Request) -> web.Response:
        self.token_requests += 1
        raw = await request.read()
        ctype = request.content_type
        fields: dict[str, Any]
        if ctype == "application/json" and self.token_encoding in (None, "json"):
            try:
                data = json.loads(raw)
            except (ValueError, UnicodeDecodeError):
                return _nested_error(400, "BAD_REQUEST", "invalid_request", "body is not JSON")
            if not isinstance(data, dict):
                return _nested_error(400, "BAD_REQUEST", "invalid_request", "body must be a JSON object")
            fields = data
        elif ctype == "application/x-www-form-urlencoded" and self.token_encoding in (None, "form"):
            try:
                pairs = parse_qsl(raw.decode("ascii"), keep_blank_values=True, strict_parsing=True)
            except (ValueError, UnicodeDecodeError):
                return _nested_error(400, "BAD_REQUEST", "invalid_request", "malformed form body")
            fields = dict(pairs)
            if len(fields) != len(pairs):
                return _nested_error(400, "BAD_REQUEST", "invalid_request", "repeated form field")
        else:
            return _nested_error(400, "BAD_REQUEST", "invalid_request", f"unsupported content type {ctype!r}")
        if not all(isinstance(v, str) for v in fields.values()):
            return _nested_error(400, "VALIDATION", "invalid_request", "every field must be a string")
        grant = fields.get("grant_type")
        if grant not in ("client_credentials", "refresh_token"):
            return _nested_error(400, "BAD_REQUEST", "unsupported_grant_type", f"unsupported grant_type {grant!r}")
        client_ok = hmac.compare_digest(str(fields.get("client_id", "")), self.client_id) and hmac.compare_digest(
            str(fields.get("client_secret", "")).encode(), self.client_secret.encode()
        )
        if not client_ok:
            return _nested_error(401, "AUTHENTICATION", "invalid_client", "client authentication failed")
        scopes = _SCOPES
        if grant == "refresh_token":
            refresh = fields.get("refresh_token")
            expiry = self._refresh.pop(refresh, None) if isinstance(refresh, str) else None
            if expiry is None or expiry <= self.clock_ms():
                return _nested_error(400, "AUTHENTICATION", "invalid_grant", "refresh token is invalid or expired")
            scopes = self._scopes.pop(str(refresh), _SCOPES)
        elif fields.get("scope"):
            asked = frozenset(str(fields["scope"]).split(" "))
            if not asked <= _SCOPES:
                return _nested_error(400, "VALIDATION", "invalid_scope", "unknown scope requested")
            scopes = asked
        self.grants.append(grant)
        self.scopes_granted.append(" ".join(sorted(scopes)))
        return self._issue(scopes)

    # -- orders ---------------------------------------------------------------------

    async def _json_body(self, request: web.Request) -> dict[str, Any] | web.Response:
        # The JSON object body (decimals kept exact) or a 400 in the flat shape.
        if request.content_type != "application/json":
            return _flat_error(
                400, "invalid content type", [("INVALID_CONTENT_TYPE", "", "Content-Type must be application/json")]
            )
        try:
            data = json.loads(await request.read(), parse_float=Decimal)
        except (ValueError, UnicodeDecodeError):
            return _flat_error(400, "invalid JSON", [("INVALID_JSON", "", "body is not JSON")])
        if not isinstance(data, dict):
            return _flat_error(400, "invalid JSON", [("INVALID_JSON", "", "body must be a JSON object")])
        return data

    def _account(self, data: Mapping[str, Any], errors: list[tuple[str, str, str]]) -> None:
        # tradingAccountId and/or accountId: present, equal, and the simulator's account.
        ids = [data[k] for k in ("tradingAccountId", "accountId") if k in data]
        if not ids:
            errors.append(("REQUIRED", "tradingAccountId", "provide accountId or tradingAccountId"))
        elif any(not isinstance(i, str) or not 1 <= len(i) <= 50 for i in ids):
            errors.append(("INVALID_FIELD", "tradingAccountId", "must be a string of 1-50 characters"))
        elif len(set(ids)) > 1:
            errors.append(("INVALID_FIELD", "accountId", "accountId and tradingAccountId differ"))
        elif ids[0] != self.account_id:
            errors.append(("INVALID_ACCOUNT", "tradingAccountId", "unknown trading account"))

    @staticmethod
    def _decimal(data: Mapping[str, Any], field: str, errors: list[tuple[str, str, str]]) -> Decimal | None:
        # A positive decimal string with at most 5 decimal places.
        value = data.get(field)
        if not isinstance(value, str):
            errors.append(("INVALID_FIELD", field, "must be a decimal string"))
            return None
        if not _DECIMAL_RE.fullmatch(value):
            errors.append(("INVALID_PRECISION", field, "must be a decimal with at most 5 digits after the point"))
            return None
        result = Decimal(value)
        if result <= 0:
            errors.append(("INVALID_FIELD", field, "must be greater than 0"))
            return None
        return result

    async def _place(self, request: web.Request) -> web.Response:
        data = await self._json_body(request)
        if isinstance(data, web.Response):
            return data
        errors: list[tuple[str, str, str]] = []
        for key in sorted(set(data) - _PLACE_FIELDS):
            errors.append(("UNKNOWN_FIELD", key, "unknown field"))
        if "legs" in data:
            errors.append(("UNSUPPORTED", "legs", "the simulator handles equities only"))
        self._account(data, errors)
        symbol, side, otype, tif = data.get("symbol"), data.get("side"), data.get("type"), data.get("timeInForce")
        if not isinstance(symbol, str) or not _SYMBOL_RE.fullmatch(symbol):
            errors.append(("INVALID_FIELD", "symbol", "must be an uppercase ticker of 1-20 characters"))
        if side not in _SIDES:
            errors.append(("INVALID_ENUM", "side", "must be BUY, SELL, SELL_SHORT or BUY_TO_COVER"))
        if otype not in _TYPES:
            errors.append(("INVALID_ENUM", "type", "must be MARKET, LIMIT, STOP or STOP_LIMIT"))
        elif otype not in ("STOP", "STOP_LIMIT"):
            errors.append(("UNSUPPORTED", "type", "the simulator handles STOP and STOP_LIMIT only"))
        if tif is None:
            errors.append(("REQUIRED", "timeInForce", "timeInForce is required"))
        elif tif not in _TIFS:
            errors.append(("INVALID_ENUM", "timeInForce", "unknown time in force"))
        qty = self._decimal(data, "qty", errors)
        self._whole(qty, errors)
        stop = self._decimal(data, "stopPrice", errors) if "stopPrice" in data else None
        if otype in ("STOP", "STOP_LIMIT") and "stopPrice" not in data:
            errors.append(("REQUIRED", "stopPrice", f"{otype} requires stopPrice"))
        price = None
        if otype == "STOP" and "price" in data:
            errors.append(("INVALID_FIELD", "price", "do not send price on a STOP order"))
        elif otype == "STOP_LIMIT":
            if "price" not in data:
                errors.append(("REQUIRED", "price", "STOP_LIMIT requires price"))
            else:
                price = self._decimal(data, "price", errors)
        tag = data.get("clientId", "")
        if not isinstance(tag, str) or len(tag) > 50:
            errors.append(("INVALID_FIELD", "clientId", "must be a string of at most 50 characters"))
        if "exDestination" in data and data["exDestination"] not in ("MNGD", "MNGDFTE"):
            errors.append(("INVALID_ENUM", "exDestination", "must be MNGD or MNGDFTE"))
        currency = data.get("currency")
        if currency is not None and (not isinstance(currency, str) or len(currency) != 3):
            errors.append(("INVALID_FIELD", "currency", "must be a 3-letter code"))
        if errors:
            return _flat_error(400, "validation failed", errors)
        assert isinstance(symbol, str) and isinstance(side, str) and isinstance(otype, str)  # noqa: S101, PT018
        assert isinstance(tif, str) and qty is not None and stop is not None  # noqa: S101, PT018
        now = self.clock_ms()
        order = _SimOrder(
            cl_ord_id=self._next_id("ORDER"),
            ord_id=f"ord-{secrets.token_hex(6)}",
            account_id=self.account_id,
            client_id=self.client_id,
            symbol=symbol,
            side=side,
            type=otype,
            time_in_force=tif,
            qty=qty,
            price=price,
            stop_price=stop,
            status="PENDING_NEW" if self.pending_new else "NEW",
            created_ms=now,
            updated_ms=now,
        )
        if symbol in self._halted:
            order.status, order.rej_reason, order.text = "REJECTED", "SYMBOL_HALTED", "Trading is halted in the symbol"
        self._orders[order.cl_ord_id] = order
        self._changed(order)
        ack = {
            "success": order.status != "REJECTED",
            "clOrdId": order.cl_ord_id,
            "status": order.status,
            "symbol": symbol,
            "side": side,
            "qty": format_decimal(qty),
            "cumQty": "0",
            "leavesQty": "0" if order.status == "REJECTED" else format_decimal(qty),
            "avgPrice": "0",
            "text": order.text or ("Order pending" if self.pending_new else "Order accepted"),
            "ordRejReason": order.rej_reason,
            "transactTime": _iso(now),
        }
        # A stop already through the market triggers right after the ack.
        if symbol in self._prices:
            self._evaluate(order, self._prices[symbol])
        return await self._answer_place(request, ack)

    async def _answer_place(self, request: web.Request, ack: dict[str, Any]) -> web.Response:
        # The ack, unless lose_next_place_response asked to lose it (the order is kept either way).
        mode, self._loss_mode = self._loss_mode, None
        if mode == "drop" and request.transport is not None:
            request.transport.close()  # the client sees the connection drop, no answer
        elif mode == "delay":
            await asyncio.sleep(self.loss_delay_s)
        elif mode == "5xx":
            return _nested_error(500, "INTERNAL", "INTERNAL_ERROR", "internal error")
        return web.json_response(ack)

    def _whole(self, qty: Decimal | None, errors: list[tuple[str, str, str]]) -> None:
        # Whole shares unless fractional_shares ().
        if qty is not None and not self.fractional_shares and qty != qty.to_integral_value():
            errors.append(("FRACTIONAL_NOT_ALLOWED", "qty", "fractional shares are not enabled for this account"))

    def _stale(self, orig: str, action: str) -> web.Response | None:
        # 200 REJECTED for an id that a replace made obsolete ("Reusing the old ID will be rejected").
        if orig not in self._alias:
            return None
        return web.json_response(
            {
                "success": False,
                "clOrdId": self._next_id("REJ"),
                "origClOrdId": orig,
                "status": "REJECTED",
                "text": f"{action} refused: {orig} was replaced; use the latest clOrdId",
            }
        )

    def _order_action_errors(self, data: Mapping[str, Any], allowed: frozenset[str]) -> list[tuple[str, str, str]]:
        # What cancel and replace both require: known fields, the account, origClOrdId and symbol.
        errors: list[tuple[str, str, str]] = [
            ("UNKNOWN_FIELD", key, "unknown field") for key in sorted(set(data) - allowed)
        ]
        self._account(data, errors)
        orig = data.get("origClOrdId")
        if not isinstance(orig, str) or not 1 <= len(orig) <= 100:
            errors.append(("REQUIRED", "origClOrdId", "must be a string of 1-100 characters"))
        if not isinstance(data.get("symbol"), str) or not data.get("symbol"):
            errors.append(("REQUIRED", "symbol", "symbol is required"))
        return errors

    async def _cancel(self, request: web.Request) -> web.Response:
        data = await self._json_body(request)
        if isinstance(data, web.Response):
            return data
        errors = self._order_action_errors(data, _CANCEL_FIELDS)
        orig = data.get("origClOrdId")
        if data.get("side") not in _SIDES:
            errors.append(("REQUIRED", "side", "side is required: BUY, SELL, SELL_SHORT or BUY_TO_COVER"))
        if data.get("securityType", "CS") not in ("CS", "OPT"):
            errors.append(("INVALID_ENUM", "securityType", "must be CS or OPT"))
        elif data.get("securityType", "CS") != "CS":
            errors.append(("MISMATCH", "securityType", "the order is an equity order (CS)"))
        if errors:
            return _flat_error(400, "validation failed", errors)
        stale = self._stale(str(orig), "cancel")
        if stale is not None:
            return stale
        order = self._orders.get(str(orig))
        if order is None:
            return _nested_error(404, "NOT_FOUND", "ORDER_NOT_FOUND", "order not found")
        if data["symbol"] != order.symbol or data["side"] != order.side:
            return _flat_error(
                400, "validation failed", [("MISMATCH", "symbol", "symbol and side must match the order")]
            )
        cancel_id = self._next_id("CANCEL")
        if order.status not in _WORKING and order.status != "PENDING_NEW":
            return web.json_response(
                {
                    "success": False,
                    "clOrdId": cancel_id,
                    "origClOrdId": order.cl_ord_id,
                    "status": "REJECTED",
                    "text": f"Order is already {order.status}",
                }
            )
        status = "PENDING_CANCEL" if self.pending_changes else "CANCELED"
        order.status, order.updated_ms = status, self.clock_ms()
        order.text = "Cancel pending" if self.pending_changes else "Canceled by user"
        self._changed(order)
        return web.json_response(
            {
                "success": True,
                "clOrdId": cancel_id,
                "origClOrdId": order.cl_ord_id,
                "status": status,
                "text": "Cancel request processed",
            }
        )

    async def _replace(self, request: web.Request) -> web.Response:
        data = await self._json_body(request)
        if isinstance(data, web.Response):
            return data
        errors = self._order_action_errors(data, _REPLACE_FIELDS)
        orig = data.get("origClOrdId")
        if "side" in data and data["side"] not in _SIDES:
            errors.append(("INVALID_ENUM", "side", "must be BUY, SELL, SELL_SHORT or BUY_TO_COVER"))
        if "timeInForce" in data and data["timeInForce"] not in _TIFS:
            errors.append(("INVALID_ENUM", "timeInForce", "unknown time in force"))
        qty = self._decimal(data, "qty", errors) if "qty" in data else None
        self._whole(qty, errors)
        stop = self._decimal(data, "stopPrice", errors) if "stopPrice" in data else None
        price = self._decimal(data, "price", errors) if "price" in data else None
        if not {"qty", "stopPrice", "price", "timeInForce"} & set(data):
            errors.append(("REQUIRED", "qty", "nothing to replace: send qty, price, stopPrice or timeInForce"))
        if errors:
            return _flat_error(400, "validation failed", errors)
        stale = self._stale(str(orig), "replace")
        if stale is not None:
            return stale
        order = self._orders.get(str(orig))
        if order is None:
            return _nested_error(404, "NOT_FOUND", "ORDER_NOT_FOUND", "order not found")
        if data["symbol"] != order.symbol or data.get("side", order.side) != order.side:
            return _flat_error(
                400, "validation failed", [("MISMATCH", "symbol", "symbol and side must match the order")]
            )
        if data.get("type", order.type) != order.type:
            return _flat_error(400, "validation failed", [("UNSUPPORTED", "type", "the order type cannot change")])
        if order.type == "STOP" and "price" in data:
            return _flat_error(400, "validation failed", [("INVALID_FIELD", "price", "do not send price on a STOP")])
        if qty is not None and qty <= order.cum_qty:
            return _flat_error(400, "validation failed", [("INVALID_FIELD", "qty", "qty must exceed the filled qty")])
        if order.status not in _WORKING:
            return web.json_response(
                {
                    "success": False,
                    "clOrdId": self._next_id("REJ"),
                    "origClOrdId": order.cl_ord_id,
                    "status": "REJECTED",
                    "text": f"Order is already {order.status}",
                }
            )
        now = self.clock_ms()
        old = self.render(order)
        old.update(ordStatus="SUPERSEDED", leavesQty="0", updatedAt=_iso(now))
        self._superseded.append(old)
        new_id = self._next_id("ORDER")
        for alias, target in self._alias.items():
            if target == order.cl_ord_id:
                self._alias[alias] = new_id
        self._alias[order.cl_ord_id] = new_id
        del self._orders[order.cl_ord_id]
        order.orig_cl_ord_id, order.cl_ord_id, order.updated_ms = order.cl_ord_id, new_id, now
        order.qty = qty if qty is not None else order.qty
        order.stop_price = stop if stop is not None else order.stop_price
        order.price = price if price is not None else order.price
        order.time_in_force = str(data.get("timeInForce", order.time_in_force))
        order.triggered = order.cum_qty > 0  # a released order stays released
        if self.pending_changes:
            order.status, order.text = "PENDING_REPLACE", "Replace pending"
        else:
            order.text = "Replaced"  # a partly filled order stays PARTIALLY_FILLED: its fills stay
        self._orders[new_id] = order
        self._push_row(old)
        self._changed(order)
        if not self.pending_changes and order.symbol in self._prices:
            self._evaluate(order, self._prices[order.symbol])
        return web.json_response(
            {
                "success": True,
                "clOrdId": new_id,
                "origClOrdId": order.orig_cl_ord_id,
                "status": "PENDING_REPLACE" if self.pending_changes else "REPLACED",
                "qty": format_decimal(order.qty),
                "price": "" if order.price is None else format_decimal(order.price),
                "text": "Replace accepted",
                "transactTime": _iso(now),
            }
        )

    # -- reads ------------------------------------------------------------------------

    def _page_args(self, request: web.Request) -> tuple[int, int] | web.Response:
        # limit (1-500, default 50) and cursor (>= 0, default 0), or a 400.
        try:
            limit = int(request.query.get("limit", "50"))
            cursor = int(request.query.get("cursor", "0"))
        except ValueError:
            return _flat_error(400, "validation failed", [("INVALID_FIELD", "limit", "limit and cursor are integers")])
        if not 1 <= limit <= 500 or cursor < 0:
            return _flat_error(400, "validation failed", [("INVALID_FIELD", "limit", "limit 1-500, cursor >= 0")])
        return limit, cursor

    def _page(self, rows: list[dict[str, Any]], limit: int, cursor: int, *, empty: list[Any] | None) -> web.Response:
        # One page of TradeOrderV2 rows (at most page_cap); nextCursor is the next offset, 0 at the
        # end. An empty page is ``empty``: "null from GET /v2/accounts/{id}/orders when the account
        # has no active orders; an empty array from the history endpoint" (SDK GetOrdersV2Response).
        size = min(limit, self.page_cap) if self.page_cap else limit
        chunk = rows[cursor : cursor + size]
        following = cursor + size if cursor + size < len(rows) else 0
        return web.json_response({"orders": chunk or empty, "nextCursor": following})

    def _check_account(self, request: web.Request) -> web.Response | None:
        # The path's account must be the simulator's.
        if request.match_info["account"] != self.account_id:
            return _nested_error(403, "AUTHORIZATION", "ACCOUNT_FORBIDDEN", "account not accessible with this token")
        return None

    async def _active(self, request: web.Request) -> web.Response:
        refused = self._check_account(request)
        if refused is not None:
            return refused
        args = self._page_args(request)
        if isinstance(args, web.Response):
            return args
        rows = self._superseded + [self.render(o) for o in self._orders.values() if o.today]
        return self._page(rows, *args, empty=None)

    @staticmethod
    def _rfc3339_ms(text: str) -> int | None:
        # RFC 3339 text (with Z or an offset) → Unix ms, or None.
        try:
            parsed = datetime.fromisoformat(text.replace("Z", "+00:00").replace("z", "+00:00"))
        except ValueError:
            return None
        if parsed.tzinfo is None or "T" not in text.upper():
            return None
        return int(parsed.timestamp() * 1000)

    async def _history(self, request: web.Request) -> web.Response:
        refused = self._check_account(request)
        if refused is not None:
            return refused
        args = self._page_args(request)
        if isinstance(args, web.Response):
            return args
        query = request.query
        start = self._rfc3339_ms(query.get("from", ""))
        if start is None:
            return _flat_error(400, "validation failed", [("REQUIRED", "from", "from (RFC 3339) is required")])
        end = self._rfc3339_ms(query["to"]) if query.get("to") else self.clock_ms()
        if end is None:
            return _flat_error(400, "validation failed", [("INVALID_FIELD", "to", "to must be RFC 3339")])
        if end - start > 90 * _DAY_MS or end < start:
            return _flat_error(400, "validation failed", [("INVALID_RANGE", "from", "the window is at most 90 days")])
        order_by = query.get("order_by", "desc")
        if order_by not in ("asc", "desc"):
            return _flat_error(400, "validation failed", [("INVALID_ENUM", "order_by", "asc or desc")])
        exclude_today = query.get("exclude_today", "false")
        if exclude_today not in ("true", "false"):
            return _flat_error(400, "validation failed", [("INVALID_FIELD", "exclude_today", "true or false")])
        rows = [
            o
            for o in self._orders.values()
            if start <= o.created_ms <= end and not (exclude_today == "true" and o.today)
        ]
        rows.sort(key=lambda o: (o.created_ms, o.cl_ord_id), reverse=order_by == "desc")
        return self._page([self.render(o) for o in rows], *args, empty=[])
