"""A B2TRADER simulator: an aiohttp.web app behaving like the documented frontoffice API.

Sources of every behaviour: the evidence ledger in ``docs/venues/b2trader.md``; the contract corpus
``tests/contract/b2trader/`` checks the simulator's answers against the documented examples.

Routes:

- ``POST /frontoffice/api/v4/access-token`` ``{"token": "<API token>"}`` →
  ``{"accessToken": "<JWT>"}`` (the exchange third-party clients use): an HS256 JWT signed with a
  secret private to this simulator, ``sub`` = the account id, ``iat`` = now, ``exp`` = now +
  ``token_lifetime_s`` (``jwt_exp=False`` leaves ``exp`` out; the token still expires). A wrong
  API token → 401 ProblemDetails. :meth:`B2TraderSimulator.issue_token` mints one directly (a
  broker that hands out bearer tokens).
- ``GET /frontoffice/api/v5/markets/{marketId}`` ("Get market") → one market object with the
  documented fields, 404 for an unknown market; ``GET /frontoffice/api/v5/markets`` lists them all.
  Both need a valid bearer JWT (401).
- ``POST /frontoffice/api/v3/stop-orders`` and ``DELETE /frontoffice/api/v3/stop-orders/{orderId}``:
  a valid, unexpired bearer JWT (401 with an empty body and ``WWW-Authenticate`` otherwise, like
  ASP.NET's JWT bearer), the ``accountId`` header naming the token's account (403), ``Content-Type``
  exactly ``application/json; x-api-version=4.0`` (415; :attr:`B2TraderSimulator.media_type`), and
  for a place the body ``{"order": {...}}`` with ``activationPrice`` inside, a listed SPOT
  ``marketId``, PascalCase enums, ``requestedPrice`` only for Limit, ``cancellationDate`` as
  ``YYYY-MM-DDTHH:MM:SS.sssZ`` for Gtd, amounts > 0 as decimal strings or JSON numbers (both
  parsed exactly as ``Decimal``), prices within ``priceScale`` and amounts within ``amountScale``,
  ``minAmount`` and ``maxBaseAmount``. Refusals are RFC 7807 ProblemDetails (400).
- ``DELETE /frontoffice/api/v3/orders/{orderId}`` ("Cancel order"): cancels an open child order
  (``Authorization``, ``accountId``; no Content-Type needed) → ``{"order": {...}}`` ``Cancelled``;
  404 unknown, 400 no longer open.

Answers are the documented ``{"order": {...}}`` with a 26-character ULID-like ``orderId``, status
``WaitingForActivation`` and 7-digit (.NET) timestamps.

Prices move only through :meth:`B2TraderSimulator.set_price` (a mid price; the best bid and
ask are one price tick below and above it) or :meth:`B2TraderSimulator.set_quotes`. A Buy
stop activates when the best ask is at or above ``activationPrice``, a Sell stop when the
best bid is at or below it; also at placement: "for stop buy orders, the stop price should
be above the best ask price; for stop sell orders ... below the best bid price (otherwise,
the orders will be activated instantly)" (order-types guide). Activation sets the stop to
``Activated`` and creates a separate child order (``source: "StopOrder"``, its own ``orderId``):
a Market child fills at the best ask (Buy) or bid (Sell) (``Completed``); a Limit child fills
there when that is at or better than ``requestedPrice``, and otherwise rests as ``Working`` (or
is ``Cancelled`` at once when its time in force is Ioc/Fok). A cancelled stop keeps its status
and gets a ``cancellationDate``; cancelling an activated stop is refused (400). Untriggered
Gtd/Day stops never expire here (undocumented).

WebSocket ``GET /frontoffice/ws/v4/account?access_token=<JWT>`` (SignalR JSON protocol, see
:mod:`stopkit_venues.b2trader.stream`): the JWT in the query is verified like a bearer token before the
upgrade (401 otherwise); the first message must be the handshake ``{"protocol":"json","version":1}``;
``invocationId`` must start at 0 and increase by 1 per message that carries one; an ``OpenOrders``
invocation (type 4) for the token's account gets an item listing the open children, and a new item
whenever a child changes. As documented, items carry only open orders (Started, Pending,
Working): an item lists the account's whole open set, so an order that filled or was cancelled
simply drops out of the next item. :attr:`~B2TraderSimulator.ws_final_states` (off by default, not
documented) adds the changed order's final status to that item. A client ping (type 6) is answered
with a ping. Stops themselves are never streamed. Fault switches: :meth:`~B2TraderSimulator.ws_drop`,
:meth:`~B2TraderSimulator.ws_stall`, :meth:`~B2TraderSimulator.ws_expire_auth` (close message type
7 ``Unauthorized``).

Test switches: :attr:`~B2TraderSimulator.faults` (the core's
:class:`~stopkit.testing.simkit.FaultInjector`, first middleware) answers a request with a
canned error (429, 5xx, empty or HTML bodies) without acting on it, or acts on it and then
drops the connection or answers 5xx (an unknown outcome for the client);
:meth:`~B2TraderSimulator.problem_body` writes ProblemDetails bodies for such faults;
:attr:`~B2TraderSimulator.media_type` is the exact media type the host demands (another
``x-api-version`` → 415).
"""

from __future__ import annotations

import json
import random
import re
import secrets
import time
from collections.abc import Awaitable, Callable, Mapping
from datetime import UTC, datetime
from decimal import Decimal, InvalidOperation
from typing import Any

import attrs
import jwt
from aiohttp import web

from stopkit.plugin import (
    BoundVenue,
    DemoScenario,
    OrderKind,
    OrderNotFound,
    OrderState,
    OrderStatus,
    Side,
    StopLimitOrder,
    StopOrder,
    TimeInForce,
    format_decimal,
)
from stopkit.testing import SimSocket, SimSocketHub
from stopkit.testing.simkit import ServedSimulator, limit_fill_price, should_trigger
from stopkit_venues.b2trader.constants import (
    DEFAULT_TOKEN_PATH,
    DOC_URL,
    ENV_ACCOUNT_ID,
    ENV_API_TOKEN,
    HEADER_ACCOUNT_ID,
    MARKETS_PATH,
    ORDERS_PATH,
    STOP_CONTENT_TYPE,
    STOP_ORDERS_PATH,
)
from stopkit_venues.b2trader.mapping import market_id_for
from stopkit_venues.b2trader.stream import RS, WS_PATH

__all__ = ["DEFAULT_MARKETS", "DEMO_ACCOUNT_ID", "DEMO_API_TOKEN", "B2TraderSimulator"]

DEMO_API_TOKEN = "b2t-sim-api-token-5c0f9e7d41a2"  # noqa: S105  # a generated test value, not a real token
"""The API token the simulator accepts by default (a test value)."""
DEMO_ACCOUNT_ID = "685a7eaa360f9e7416221a61"
"""The account id of the docs' Get accounts example (settings page)."""

DEFAULT_MARKETS: tuple[Mapping[str, Any], ...] = (
    {
        "marketId": "spot.btc_usdt",
        "displayName": "BTC/USDT",
        "fullName": "Bitcoin to Tether",
        "baseAssetId": "btc",
        "quoteAssetId": "usdt",
        "minAmount": "0.0001",
        "maxBaseAmount": "100",
        "priceDeviation": "0",
        "priceScale": 2,
        "amountScale": 5,
    },
    {
        "marketId": "spot.eth_usdt",
        "displayName": "ETH/USDT",
        "fullName": None,
        "baseAssetId": "eth",
        "quoteAssetId": "usdt",
        "minAmount": "0.001",
        "maxBaseAmount": "1000",
        "priceDeviation": "0.1",
        "priceScale": 2,
        "amountScale": 4,
    },
    {
        # No size limits and the finest scales: room for long exact decimals.
        "marketId": "spot.eth_btc",
        "displayName": "ETH/BTC",
        "fullName": None,
        "baseAssetId": "eth",
        "quoteAssetId": "btc",
        "minAmount": None,
        "maxBaseAmount": None,
        "priceDeviation": "0",
        "priceScale": 8,
        "amountScale": 8,
    },
    {
        # A CFD market: amountScale and minAmount are spot-only, hence null; stops cannot be placed on it.
        "marketId": "cfd.eur_chf",
        "displayName": "EUR/CHF",
        "fullName": "Euro to Swiss Franc",
        "baseAssetId": "eur",
        "quoteAssetId": "chf",
        "minAmount": None,
        "maxBaseAmount": "10000000",
        "priceDeviation": "0",
        "priceScale": 5,
        "amountScale": None,
    },
)
"""The markets the simulator offers by default, in the documented "Get market" shape."""

TOKEN_LIFETIME_S = 3600
_JWT_ALGORITHM = "HS256"
_CROCKFORD = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"
_CANCELLATION_DATE = re.compile(r"\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z")
_DECIMAL_TEXT = re.compile(r"-?\d+(\.\d+)?")
_SIDES = ("Buy", "Sell")
_OPEN_STATUSES = ("Started", "Pending", "Working")  # the statuses the OpenOrders stream documents
_ORDER_TYPES = ("Market", "Limit")
_TIME_IN_FORCE = ("Gtc", "Ioc", "Fok", "Gtd", "Day")
_ORDER_FIELDS = frozenset(
    {
        "marketId",
        "side",
        "orderType",
        "timeInForce",
        "requestedAmount",
        "requestedPrice",
        "activationPrice",
        "cancellationDate",
    }
)
_PROBLEM_TYPE = {
    400: "https://tools.ietf.org/html/rfc9110#section-15.5.1",
    401: "https://tools.ietf.org/html/rfc9110#section-15.5.2",
    403: "https://tools.ietf.org/html/rfc9110#section-15.5.4",
    404: "https://tools.ietf.org/html/rfc9110#section-15.5.5",
    415: "https://tools.ietf.org/html/rfc9110#section-15.5.16",
    429: "https://tools.ietf.org/html/rfc6585#section-4",
}
_TITLES = {
    400: "Bad Request",
    401: "Unauthorized",
    403: "Forbidden",
    404: "Not Found",
    415: "Unsupported Media Type",
    429: "Too Many Requests",
}


class _Refused(Exception):
    # Raised by a handler step to answer at once with ``response``.
    def __init__(self, response: web.Response) -> None:
        super().__init__(response.status)
        self.response = response


@web.middleware
async def _refusals(
    request: web.Request, handler: Callable[[web.Request], Awaitable[web.StreamResponse]]
) -> web.StreamResponse:
    # Turns _Refused into its answer.
    try:
        return await handler(request)
    except _Refused as refused:
        return refused.response


# The simulator's own reading of its stop records (book_state), kept apart from the adapter's table.
_SIM_STOP_STATUS = {
    "WaitingForActivation": OrderStatus.ACCEPTED,
    "Activated": OrderStatus.TRIGGERED,
    "Rejected": OrderStatus.REJECTED,
}


@attrs.define
class _Stop:
    # One stop order as the simulator holds it (venue field values).
    order_id: str
    account_id: str
    market_id: str
    side: str
    order_type: str
    activation_price: Decimal
    requested_amount: Decimal
    requested_price: Decimal | None
    time_in_force: str
    status: str
    created_at: str
    updated_at: str
    cancellation_date: str | None = None
    child_id: str | None = None


@attrs.define
class _Child:
    # The regular order a stop released on activation (source "StopOrder").
    order_id: str
    parent_id: str
    account_id: str
    market_id: str
    side: str
    order_type: str
    requested_amount: Decimal
    requested_price: Decimal | None
    time_in_force: str
    status: str
    remaining_amount: Decimal
    execution_price: Decimal
    created_at: str
    updated_at: str
    cancellation_date: str | None = None


def _decimal_field(value: object) -> Decimal | None:
    # A request decimal: a plain decimal string or a JSON number (already Decimal); None if neither.
    if isinstance(value, Decimal):
        return value if value.is_finite() else None
    if isinstance(value, str) and _DECIMAL_TEXT.fullmatch(value):
        try:
            return Decimal(value)
        except InvalidOperation:  # pragma: no cover - the pattern admits only valid text
            return None
    return None


def _reject_constant(name: str) -> Any:
    # json.loads hook: NaN and Infinity are not JSON.
    raise ValueError(f"invalid JSON constant {name}")


# What the simulator can take: the client's budget in demo_config (real brokers' are lower).
SIMULATOR_REQUESTS_PER_S = 10_000.0


class B2TraderSimulator(ServedSimulator):
    """The simulated venue. One account per API token; all state in memory.

    Serve it with :meth:`start` / :meth:`stop` (from :class:`~stopkit.testing.simkit.ServedSimulator`)
    or pass :meth:`make_app` to any aiohttp runner.

    Args:
        api_token: the API token accepted by the access-token exchange.
        account_id: the account that token belongs to (the JWT ``sub``).
        clock: Unix ms now (injectable, e.g. a ``FrozenClock``'s ``now_ms``); the system clock by default.
        seed: seeds order ids and trace ids (reproducible recordings).
        token_lifetime_s: lifetime of an issued access token.
        jwt_exp: put the ``exp`` claim into access tokens (``False``: the client must assume a lifetime).
        markets: the market objects Get markets lists (default :data:`DEFAULT_MARKETS`).
        spread_ticks: best ask minus best bid, in price ticks (``10**-priceScale``), around a :meth:`set_price`.

    Attributes: ``tokens_issued`` and ``markets_served`` count answers; ``stops`` and ``children``
    hold the orders; ``media_type`` is the exact Content-Type the stop endpoints demand;
    ``faults`` injects faults (see the module docstring).
    """

    def __init__(
        self,
        *,
        api_token: str = DEMO_API_TOKEN,
        account_id: str = DEMO_ACCOUNT_ID,
        clock: Callable[[], int] | None = None,
        seed: int | None = None,
        token_lifetime_s: int = TOKEN_LIFETIME_S,
        jwt_exp: bool = True,
        markets: tuple[Mapping[str, Any], ...] = DEFAULT_MARKETS,
        spread_ticks: int = 2,
    ) -> None:
        self.api_token = api_token
        self.account_id = account_id
        self._clock = clock or (lambda: time.time_ns() // 1_000_000)
        self._random = random.Random(seed)
        # Simulator-private signing key: nothing outside can mint a token it accepts.
        self._jwt_secret = secrets.token_bytes(32)
        self._ticks = 0
        self.token_lifetime_s = token_lifetime_s
        self.jwt_exp = jwt_exp
        self.markets: dict[str, dict[str, Any]] = {m["marketId"]: dict(m) for m in markets}
        self.spread_ticks = spread_ticks
        self.media_type = STOP_CONTENT_TYPE
        self.ws_final_states = False
        self.tokens_issued = 0
        self.markets_served = 0
        self.prices: dict[str, Decimal] = {}
        self.quotes: dict[str, tuple[Decimal, Decimal]] = {}
        self.stops: dict[str, _Stop] = {}
        self.children: dict[str, _Child] = {}
        self._ws_hub: SimSocketHub | None = None
        self.ws_idle_timeout_s = 60.0

    # -- Simulator protocol ---------------------------------------------------------

    def make_app(self) -> web.Application:
        """A fresh application serving the access-token, market, stop-order, order-cancel and WebSocket paths."""
        app = web.Application(middlewares=[self.faults.middleware, _refusals])
        app.router.add_post(DEFAULT_TOKEN_PATH, self._access_token)
        app.router.add_get(MARKETS_PATH, self._markets)
        app.router.add_get(MARKETS_PATH + "/{market_id}", self._market)
        app.router.add_post(STOP_ORDERS_PATH, self._place)
        app.router.add_delete(STOP_ORDERS_PATH + "/{order_id}", self._cancel)
        app.router.add_delete(ORDERS_PATH + "/{order_id}", self._cancel_order)
        app.router.add_get(WS_PATH, self._ws)
        return app

    # -- WebSocket (SignalR JSON) -------------------------------------------------------

    @property
    def ws_hub(self) -> SimSocketHub:
        """The account WebSocket's connections."""
        if self._ws_hub is None:
            self._ws_hub = SimSocketHub()
        return self._ws_hub

    def ws_drop(self) -> None:
        """Fault: close every account WebSocket now."""
        self.ws_hub.drop()

    def ws_stall(self, on: bool = True) -> None:
        """Fault: stop pushing and answering pings while ``on``."""
        self.ws_hub.stall(on)

    def ws_push_item(self, rows: list[Any]) -> None:
        """Test switch: send ``rows`` as one ``OpenOrders`` item to every streaming connection, as given
        (e.g. an order of another shape a real broker may stream)."""
        for sock in list(self.ws_hub.sockets):
            if "stream" in sock.state:
                sock.send(json.dumps({"type": 2, "invocationId": sock.state["stream"], "item": rows}) + RS)

    def ws_expire_auth(self) -> None:
        """Fault: the access token expired: a SignalR close (type 7) naming it, then the connection closes."""
        close = json.dumps({"type": 7, "error": "Unauthorized: the access token expired", "allowReconnect": True})
        for sock in list(self.ws_hub.sockets):
            sock.send(close + RS)
            sock.close()

    async def _ws(self, request: web.Request) -> web.StreamResponse:
        # GET /frontoffice/ws/v4/account?access_token=<JWT>: verified before the upgrade.
        token = request.query.get("access_token", "")
        account = self._token_account(token)
        ws = web.WebSocketResponse()
        await ws.prepare(request)

        def opened(sock: SimSocket) -> None:
            sock.state.update(account=account, next_invocation=0, handshake=False)

        await self.ws_hub.serve(ws, self._ws_message, idle_timeout_s=self.ws_idle_timeout_s, on_open=opened)
        return ws

    def _token_account(self, token: str) -> str:
        # The account (sub) of a valid, unexpired simulator JWT; 401 otherwise.
        if not token:
            raise self._unauthorized(None)
        try:
            claims = jwt.decode(
                token,
                self._jwt_secret,
                algorithms=[_JWT_ALGORITHM],
                options={"verify_exp": False, "require": ["iat", "sub"]},
            )
        except jwt.PyJWTError:
            raise self._unauthorized("The signature key was not found") from None
        expires_s = claims["exp"] if "exp" in claims else claims["iat"] + self.token_lifetime_s
        if int(expires_s) * 1000 <= self._clock():
            raise self._unauthorized("The token expired")
        return str(claims["sub"])

    def _ws_message(self, sock: SimSocket, text: str) -> None:
        # SignalR messages of one frame.
        for piece in text.split(RS):
            if piece.strip():
                self._ws_one(sock, piece)

    def _ws_one(self, sock: SimSocket, piece: str) -> None:
        try:
            message = json.loads(piece)
        except ValueError:
            message = None
        if not isinstance(message, dict):
            sock.send(json.dumps({"type": 7, "error": "Invalid message", "allowReconnect": False}) + RS)
            sock.close()
            return
        if not sock.state["handshake"]:
            if message != {"protocol": "json", "version": 1}:
                sock.send(json.dumps({"error": "Handshake was canceled: expected the json protocol, version 1"}) + RS)
                sock.close()
                return
            sock.state["handshake"] = True
            sock.send("{}" + RS)
            return
        if "invocationId" in message:
            expected = str(sock.state["next_invocation"])
            if message["invocationId"] != expected:
                sock.send(
                    json.dumps({"type": 7, "error": f"invocationId must be {expected}", "allowReconnect": False}) + RS
                )
                sock.close()
                return
            sock.state["next_invocation"] += 1
        kind = message.get("type")
        if kind == 6:
            sock.send(json.dumps({"type": 6}) + RS)
        elif kind == 4 and message.get("target") == "OpenOrders":
            invocation = message.get("invocationId")
            if message.get("arguments") != [sock.state["account"]]:
                error = "Account is not accessible with this token."
                sock.send(json.dumps({"type": 3, "invocationId": invocation, "error": error}) + RS)
                return
            sock.state["stream"] = invocation
            open_children = [
                self.render_child(c)
                for c in self.children.values()
                if c.account_id == sock.state["account"] and c.status in _OPEN_STATUSES
            ]
            sock.send(json.dumps({"type": 2, "invocationId": invocation, "item": open_children}) + RS)
        elif kind == 5:
            sock.state.pop("stream", None)
        elif kind == 7:
            sock.close()
        else:
            error = f"Unknown hub method or message type {kind!r}"
            sock.send(json.dumps({"type": 3, "invocationId": message.get("invocationId"), "error": error}) + RS)

    def _child_changed(self, child: _Child) -> None:
        # An OpenOrders item to every connection streaming the child's account: the account's open
        # children (the whole open set), plus the changed child's final state when ws_final_states.
        if self._ws_hub is None:
            return
        rows = [
            self.render_child(c)
            for c in self.children.values()
            if c.account_id == child.account_id and c.status in _OPEN_STATUSES
        ]
        if self.ws_final_states and child.status not in _OPEN_STATUSES:
            rows.append(self.render_child(child))
        for sock in list(self._ws_hub.sockets):
            if sock.state.get("account") == child.account_id and "stream" in sock.state:
                sock.send(json.dumps({"type": 2, "invocationId": sock.state["stream"], "item": rows}) + RS)

    def demo_credentials(self) -> dict[str, str]:
        """``B2TRADER_API_TOKEN`` and ``B2TRADER_ACCOUNT_ID`` test values the simulator accepts."""
        return {ENV_API_TOKEN: self.api_token, ENV_ACCOUNT_ID: self.account_id}

    def demo_config(self, base_url: str) -> dict[str, Any]:
        """``base_url``, and the client's request budget lifted (the simulator has no rate limit;
        the adapter's default is a conservative 1 request a second)."""
        return {"base_url": base_url, "requests_per_s": SIMULATOR_REQUESTS_PER_S}

    def demo_scenario(self) -> DemoScenario:
        """The documented "Place SPOT Stop order" example and its stop-limit variant."""
        common: dict[str, Any] = {
            "symbol": "spot.btc_usdt",
            "side": Side.BUY,
            "quantity": Decimal("0.01"),
            "stop_price": Decimal("128000"),
            "time_in_force": TimeInForce.IOC,
        }
        return DemoScenario(
            symbol="spot.btc_usdt",
            # The stop-limit first: it takes every time in force (a stop-market refuses DAY and GTD),
            # so capability checks that vary the first order see all of them.
            orders=(StopLimitOrder(**common, limit_price=Decimal("128100")), StopOrder(**common)),
            start_price=Decimal("120000"),
            near_price=Decimal("127000"),
            through_price=Decimal("128050"),
            notes=(
                "a Limit variant at requestedPrice 128100 of the 'Place SPOT Stop order' request example, and the "
                f"example itself (Buy Market 0.01 BTC, activation 128000, Ioc), {DOC_URL}"
            ),
        )

    def set_price(self, symbol: str, price: Decimal) -> None:
        """Move the mid price of market ``symbol`` (a marketId ``spot.btc_usdt`` or a unified
        ``BTC/USDT``): the best bid and ask are ``spread_ticks / 2`` price ticks below and above
        it. Crossed stops activate, resting children fill."""
        symbol = market_id_for(symbol)
        tick = Decimal(1).scaleb(-int(self.markets[symbol]["priceScale"])) if symbol in self.markets else Decimal(0)
        half = tick * self.spread_ticks / 2
        self.set_quotes(symbol, bid=price - half, ask=price + half)
        self.prices[symbol] = price

    def set_quotes(self, symbol: str, *, bid: Decimal, ask: Decimal) -> None:
        """Set the best bid and ask of ``symbol`` directly (bid <= ask). Buy stops compare with the
        ask, Sell stops with the bid (order-types guide); crossed stops activate, resting children fill."""
        if bid > ask:
            raise ValueError(f"bid {bid} is above ask {ask}")
        self.quotes[symbol] = (bid, ask)
        self.prices[symbol] = (bid + ask) / 2
        for stop in list(self.stops.values()):
            if stop.market_id == symbol:
                self._maybe_activate(stop)
        for child in self.children.values():
            if child.market_id == symbol and child.status == "Working":
                self._maybe_fill(child)

    def problem_body(self, status: int, *, detail: str) -> bytes:
        """An RFC 7807 ProblemDetails body as ASP.NET writes it, e.g. for a
        :class:`~stopkit.testing.simkit.Fault` (``content_type="application/problem+json"``)."""
        body = {
            "type": _PROBLEM_TYPE.get(status, "about:blank"),
            "title": _TITLES.get(status, "Error"),
            "status": status,
            "detail": detail,
            "traceId": self._trace_id(),
        }
        return json.dumps(body).encode()

    def book_state(self, venue: BoundVenue, venue_order_id: str) -> OrderState:
        """The stop ``venue_order_id`` as the simulator holds it, read directly into an :class:`OrderState`
        (not through the adapter's parser, so that tests can judge the parser against it). A stop the
        simulator cancelled is CANCELED (the wire status has no Cancelled: it keeps WaitingForActivation).

        Raises:
            OrderNotFound: the simulator holds no such stop.
        """
        stop = self.stops.get(venue_order_id)
        if stop is None:
            raise OrderNotFound(f"b2trader simulator: no stop order {venue_order_id!r}", venue="b2trader")
        if stop.cancellation_date is not None and stop.status == "WaitingForActivation":
            status = OrderStatus.CANCELED
        else:
            status = _SIM_STOP_STATUS[stop.status]
        limit = stop.order_type == "Limit"
        return OrderState(
            venue="b2trader",
            venue_order_id=stop.order_id,
            client_order_id=None,
            symbol=stop.market_id,
            side=Side.BUY if stop.side == "Buy" else Side.SELL,
            kind=OrderKind.STOP_LIMIT if limit else OrderKind.STOP_MARKET,
            status=status,
            venue_status=stop.status,
            quantity=stop.requested_amount,
            stop_price=stop.activation_price,
            limit_price=stop.requested_price if limit else None,
            raw={"orderId": stop.order_id, "status": stop.status, "cancellationDate": stop.cancellation_date},
        )

    # -- inspection helpers (tests, demo) --------------------------------------------

    def revoke_tokens(self) -> None:
        """Rotate the signing key: every access token issued so far is refused with 401 from now on."""
        self._jwt_secret = secrets.token_bytes(32)

    def child_of(self, venue_order_id: str) -> dict[str, Any] | None:
        """The rendered child order the stop ``venue_order_id`` released, or ``None`` (not activated)."""
        stop = self.stops.get(venue_order_id)
        if stop is None or stop.child_id is None:
            return None
        return self.render_child(self.children[stop.child_id])

    def render_stop(self, stop: _Stop) -> dict[str, Any]:
        """A stop in the documented answer shape; ``requestedPrice`` "0" for Market (documented example)."""
        return {
            "marketId": stop.market_id,
            "marketDisplayName": self._order_display_name(stop.market_id),
            "orderId": stop.order_id,
            "orderType": stop.order_type,
            "side": stop.side,
            "requestedPrice": format_decimal(stop.requested_price or Decimal(0)),
            "activationPrice": format_decimal(stop.activation_price),
            "requestedAmount": format_decimal(stop.requested_amount),
            "timeInForce": stop.time_in_force,
            "status": stop.status,
            "createdAt": stop.created_at,
            "updatedAt": stop.updated_at,
            "cancellationDate": stop.cancellation_date,
        }

    def render_child(self, child: _Child) -> dict[str, Any]:
        """A child order in the regular-order shape of the documented ``OpenOrders`` stream item."""
        filled = child.requested_amount - child.remaining_amount
        return {
            "marketId": child.market_id,
            "marketType": "Spot",
            "marketDisplayName": self._order_display_name(child.market_id),
            "marketFullName": "",
            "orderId": child.order_id,
            "timeInForce": child.time_in_force,
            "status": child.status,
            "source": "StopOrder",
            "reason": "Trader",
            "side": child.side,
            "orderType": child.order_type,
            "requestedAmount": format_decimal(child.requested_amount),
            "remainingAmount": format_decimal(child.remaining_amount),
            "requestedPrice": format_decimal(child.requested_price or Decimal(0)),
            "executionPrice": format_decimal(child.execution_price),
            "createdAt": child.created_at,
            "updatedAt": child.updated_at,
            "cancellationDate": child.cancellation_date,
            "commissionAssetId": child.market_id.rsplit("_", 1)[1],
            "commissionAmount": "0",
            "leverage": 1,
            "fillFactor": format_decimal(filled / child.requested_amount),
            "takeProfit": None,
            "stopLoss": None,
        }

    def _order_display_name(self, market_id: str) -> str:
        # An order's marketDisplayName: "SPOT BTC/USDT" in the documented answer.
        return f"SPOT {self.markets[market_id]['displayName']}"

    # -- time, ids, answers -----------------------------------------------------------

    def _timestamp(self) -> str:
        # Now with 7 fractional digits (.NET ticks), strictly increasing within a millisecond.
        ms = self._clock()
        self._ticks = (self._ticks + 1) % 10_000
        moment = datetime.fromtimestamp(ms // 1000, tz=UTC)
        return f"{moment.strftime('%Y-%m-%dT%H:%M:%S')}.{ms % 1000:03d}{self._ticks:04d}Z"

    def _new_id(self) -> str:
        # 26 Crockford base32 characters: 48 bits of ms time, 80 random bits (ULID layout).
        value = (self._clock() << 80) | self._random.getrandbits(80)
        return "".join(_CROCKFORD[(value >> (5 * i)) & 31] for i in reversed(range(26)))

    def _trace_id(self) -> str:
        # A W3C traceparent-like id, as ASP.NET puts in ProblemDetails.
        return f"00-{self._random.getrandbits(128):032x}-{self._random.getrandbits(64):016x}-00"

    def _problem(
        self, status: int, *, detail: str | None = None, errors: Mapping[str, list[str]] | None = None
    ) -> _Refused:
        # An RFC 7807 ProblemDetails answer, as ASP.NET Core writes it.
        body: dict[str, Any] = {
            "type": _PROBLEM_TYPE[status],
            "title": "One or more validation errors occurred." if errors else _TITLES[status],
            "status": status,
        }
        if detail is not None:
            body["detail"] = detail
        if errors:
            body["errors"] = dict(errors)
        body["traceId"] = self._trace_id()
        return _Refused(web.json_response(body, status=status, content_type="application/problem+json"))

    def _unauthorized(self, description: str | None) -> _Refused:
        # ASP.NET JwtBearer: 401 with an empty body and a WWW-Authenticate challenge.
        challenge = (
            "Bearer" if description is None else f'Bearer error="invalid_token", error_description="{description}"'
        )
        return _Refused(web.Response(status=401, headers={"WWW-Authenticate": challenge}))

    # -- authentication ---------------------------------------------------------------

    async def _read_json(self, request: web.Request) -> Any:
        # The body parsed with exact Decimals; 400 ProblemDetails when it is not JSON.
        raw = await request.read()
        try:
            return json.loads(raw, parse_float=Decimal, parse_int=Decimal, parse_constant=_reject_constant)
        except (ValueError, UnicodeDecodeError):
            raise self._problem(400, errors={"$": ["The JSON value could not be converted."]}) from None

    async def _access_token(self, request: web.Request) -> web.StreamResponse:
        # POST /frontoffice/api/v4/access-token {"token": ...} → {"accessToken": <JWT>}.
        if request.content_type != "application/json":
            raise self._problem(415)
        body = await self._read_json(request)
        token = body.get("token") if isinstance(body, dict) else None
        if not isinstance(token, str) or not token:
            raise self._problem(400, errors={"token": ["The Token field is required."]})
        if not secrets.compare_digest(token.encode(), self.api_token.encode()):
            raise self._problem(401, detail="Invalid API token.")
        return web.json_response({"accessToken": self.issue_token()})

    def issue_token(self) -> str:
        """A bearer JWT for :attr:`account_id`, as the exchange issues it (e.g. for ``B2TRADER_ACCESS_TOKEN``)."""
        now_s = self._clock() // 1000
        self.tokens_issued += 1
        claims: dict[str, Any] = {"sub": self.account_id, "iat": now_s}
        if self.jwt_exp:
            claims["exp"] = now_s + self.token_lifetime_s
        return jwt.encode(claims, self._jwt_secret, algorithm=_JWT_ALGORITHM)

    def _bearer_account(self, request: web.Request) -> str:
        # A valid, unexpired simulator JWT (401 otherwise); returns its account (sub).
        scheme, _, token = request.headers.get("Authorization", "").partition(" ")
        if scheme != "Bearer" or not token:
            raise self._unauthorized(None)
        try:
            claims = jwt.decode(
                token,
                self._jwt_secret,
                algorithms=[_JWT_ALGORITHM],
                options={"verify_exp": False, "require": ["iat", "sub"]},
            )
        except jwt.PyJWTError:
            raise self._unauthorized("The signature key was not found") from None
        # Expiry against the injectable clock (a frozen test clock must be honoured); a token
        # without exp still lives only token_lifetime_s from its iat.
        expires_s = claims["exp"] if "exp" in claims else claims["iat"] + self.token_lifetime_s
        if int(expires_s) * 1000 <= self._clock():
            raise self._unauthorized("The token expired")
        return str(claims["sub"])

    def _authorize(self, request: web.Request) -> str:
        # The stop endpoints' header checks; returns the account id. Order: 401, 400/403 (accountId), 415.
        subject = self._bearer_account(request)
        account = request.headers.get(HEADER_ACCOUNT_ID)
        if not account:
            raise self._problem(400, errors={HEADER_ACCOUNT_ID: ["The accountId header is required."]})
        if account != subject:
            raise self._problem(403, detail=f"Account '{account}' is not accessible with this token.")
        if request.headers.get("Content-Type") != self.media_type:
            # Exactly the documented media type, on POST and on DELETE (both documented examples).
            raise self._problem(415)
        return account

    # -- markets ----------------------------------------------------------------------

    async def _market(self, request: web.Request) -> web.StreamResponse:
        # GET /frontoffice/api/v5/markets/{marketId} → one market object ("Get market"); 404 unknown.
        self._bearer_account(request)
        market = self.markets.get(request.match_info["market_id"])
        if market is None:
            raise self._problem(404, detail=f"Market '{request.match_info['market_id']}' was not found.")
        self.markets_served += 1
        return web.json_response(market)

    async def _markets(self, request: web.Request) -> web.StreamResponse:
        # GET /frontoffice/api/v5/markets → [market, ...] ("Get market" fields; the list shape is undocumented).
        subject = self._bearer_account(request)
        account = request.headers.get(HEADER_ACCOUNT_ID)
        if account is not None and account != subject:
            raise self._problem(403, detail=f"Account '{account}' is not accessible with this token.")
        self.markets_served += 1
        return web.json_response(list(self.markets.values()))

    # -- place ------------------------------------------------------------------------

    def _validate_order(self, body: object) -> tuple[dict[str, Any], dict[str, list[str]]]:
        # The "order" object and the validation errors by field (ASP.NET style).
        errors: dict[str, list[str]] = {}
        if not isinstance(body, dict):
            return {}, {"$": ["The request body must be a JSON object."]}
        for key in body:
            if key != "order":
                hint = " (it belongs inside order)" if key in _ORDER_FIELDS else ""
                errors.setdefault(key, []).append(f"Unknown field '{key}'{hint}.")
        order = body.get("order")
        if not isinstance(order, dict):
            errors.setdefault("order", []).append("The Order field is required.")
            return {}, errors
        for key in order:
            if key not in _ORDER_FIELDS:
                errors.setdefault(f"order.{key}", []).append(f"Unknown field '{key}'.")

        def need(name: str, allowed: tuple[str, ...]) -> None:
            if order.get(name) not in allowed:
                errors.setdefault(f"order.{name}", []).append(
                    f"The value {order.get(name)!r} is not valid; expected one of {', '.join(allowed)}."
                )

        if not isinstance(order.get("marketId"), str):
            errors.setdefault("order.marketId", []).append("The MarketId field is required.")
        need("side", _SIDES)
        need("orderType", _ORDER_TYPES)
        need("timeInForce", _TIME_IN_FORCE)
        for name in ("requestedAmount", "activationPrice"):
            # activationPrice is "nullable" in the field list, but a stop without one cannot activate.
            value = _decimal_field(order.get(name))
            if value is None or value <= 0:
                errors.setdefault(f"order.{name}", []).append(f"{name} must be a positive decimal.")
        price = order.get("requestedPrice")
        if order.get("orderType") == "Limit":
            value = _decimal_field(price)
            if value is None or value <= 0:
                errors.setdefault("order.requestedPrice", []).append("requestedPrice is required for Limit orders.")
        elif price is not None:
            errors.setdefault("order.requestedPrice", []).append("requestedPrice must be null for Market orders.")
        date = order.get("cancellationDate")
        if order.get("timeInForce") == "Gtd":
            problem = self._check_cancellation_date(date)
            if problem:
                errors.setdefault("order.cancellationDate", []).append(problem)
        elif date is not None and not isinstance(date, str):
            errors.setdefault("order.cancellationDate", []).append("cancellationDate must be a string.")
        return order, errors

    def _check_cancellation_date(self, value: object) -> str | None:
        # Gtd: YYYY-MM-DDTHH:MM:SS.sssZ, a real instant, in the future.
        if not isinstance(value, str) or not _CANCELLATION_DATE.fullmatch(value):
            return "cancellationDate is required for Gtd, formatted YYYY-MM-DDTHH:MM:SS.sssZ."
        try:
            moment = datetime.fromisoformat(value[:-1] + "+00:00")
        except ValueError:
            return f"cancellationDate {value!r} is not a valid date."
        if moment.timestamp() * 1000 <= self._clock():
            return "cancellationDate must be in the future."
        return None

    async def _place(self, request: web.Request) -> web.StreamResponse:
        # POST /frontoffice/api/v3/stop-orders.
        account = self._authorize(request)
        order, errors = self._validate_order(await self._read_json(request))
        if errors:
            raise self._problem(400, errors=errors)
        market_id = order["marketId"]
        market = self.markets.get(market_id)
        if market is None or not market_id.startswith("spot."):
            raise self._problem(400, detail=f"Market '{market_id}' was not found.")
        errors = self._check_market_rules(order, market)
        if errors:
            raise self._problem(400, errors=errors)
        now = self._timestamp()
        is_limit = order["orderType"] == "Limit"
        stop = _Stop(
            order_id=self._new_id(),
            account_id=account,
            market_id=market_id,
            side=order["side"],
            order_type=order["orderType"],
            activation_price=_required(order["activationPrice"]),
            requested_amount=_required(order["requestedAmount"]),
            requested_price=_required(order["requestedPrice"]) if is_limit else None,
            time_in_force=order["timeInForce"],
            status="WaitingForActivation",
            created_at=now,
            updated_at=now,
        )
        self.stops[stop.order_id] = stop
        # A stop on the wrong side of the best bid/ask activates at once (order-types guide).
        self._maybe_activate(stop)
        return web.json_response({"order": self.render_stop(stop)})

    @staticmethod
    def _check_market_rules(order: Mapping[str, Any], market: Mapping[str, Any]) -> dict[str, list[str]]:
        # priceScale / amountScale / minAmount / maxBaseAmount of the market ("Get market" fields).
        errors: dict[str, list[str]] = {}

        def places(value: Decimal) -> int:
            exponent = value.normalize().as_tuple().exponent
            return max(0, -exponent) if isinstance(exponent, int) else 0

        price_scale = market.get("priceScale")
        for name in ("activationPrice", "requestedPrice"):
            value = _decimal_field(order.get(name))
            if value is not None and isinstance(price_scale, int) and places(value) > price_scale:
                errors[f"order.{name}"] = [f"{name} must have at most {price_scale} decimal places."]
        amount = _required(order["requestedAmount"])
        amount_scale = market.get("amountScale")
        if isinstance(amount_scale, int) and places(amount) > amount_scale:
            errors.setdefault("order.requestedAmount", []).append(
                f"requestedAmount must have at most {amount_scale} decimal places."
            )
        minimum = market.get("minAmount")
        if minimum is not None and amount < Decimal(minimum):
            errors.setdefault("order.requestedAmount", []).append(f"requestedAmount is below minAmount {minimum}.")
        maximum = market.get("maxBaseAmount")
        if maximum is not None and Decimal(maximum) > 0 and amount > Decimal(maximum):
            errors.setdefault("order.requestedAmount", []).append(f"requestedAmount is above maxBaseAmount {maximum}.")
        return errors

    # -- cancel -----------------------------------------------------------------------

    async def _cancel(self, request: web.Request) -> web.StreamResponse:
        # DELETE /frontoffice/api/v3/stop-orders/{orderId}.
        account = self._authorize(request)
        order_id = request.match_info["order_id"]
        stop = self.stops.get(order_id)
        if stop is None or stop.account_id != account:
            raise self._problem(404, detail=f"Stop order '{order_id}' was not found.")
        if stop.cancellation_date is not None:
            raise self._problem(400, detail=f"Stop order '{order_id}' is already cancelled.")
        if stop.status != "WaitingForActivation":
            raise self._problem(400, detail=f"Stop order '{order_id}' is {stop.status} and cannot be cancelled.")
        now = self._timestamp()
        stop.cancellation_date = now
        stop.updated_at = now
        return web.json_response({"order": self.render_stop(stop)})

    async def _cancel_order(self, request: web.Request) -> web.StreamResponse:
        # DELETE /frontoffice/api/v3/orders/{orderId} ("Cancel order"): an open child order.
        account = self._bearer_account(request)
        header = request.headers.get(HEADER_ACCOUNT_ID)
        if not header:
            raise self._problem(400, errors={HEADER_ACCOUNT_ID: ["The accountId header is required."]})
        if header != account:
            raise self._problem(403, detail=f"Account '{header}' is not accessible with this token.")
        order_id = request.match_info["order_id"]
        child = self.children.get(order_id)
        if child is None or child.account_id != account:
            raise self._problem(404, detail=f"Order '{order_id}' was not found.")
        if child.status not in _OPEN_STATUSES:
            raise self._problem(400, detail=f"Order '{order_id}' is {child.status} and cannot be cancelled.")
        child.status = "Cancelled"
        child.cancellation_date = child.updated_at = self._timestamp()
        self._child_changed(child)
        return web.json_response({"order": self.render_child(child)})

    # -- market -----------------------------------------------------------------------

    def _reference(self, market_id: str, side: str) -> Decimal | None:
        # The price a Buy compares with (best ask) or a Sell (best bid); None before any quote.
        quotes = self.quotes.get(market_id)
        if quotes is None:
            return None
        return quotes[1] if side == "Buy" else quotes[0]

    def _maybe_activate(self, stop: _Stop) -> None:
        # Activate an armed stop its side's best price has reached, releasing its child order.
        if stop.status != "WaitingForActivation" or stop.cancellation_date is not None:
            return
        price = self._reference(stop.market_id, stop.side)
        if price is None or not should_trigger(buy=stop.side == "Buy", stop_price=stop.activation_price, price=price):
            return
        now = self._timestamp()
        stop.status = "Activated"
        stop.updated_at = now
        child = _Child(
            order_id=self._new_id(),
            parent_id=stop.order_id,
            account_id=stop.account_id,
            market_id=stop.market_id,
            side=stop.side,
            order_type=stop.order_type,
            requested_amount=stop.requested_amount,
            requested_price=stop.requested_price,
            time_in_force=stop.time_in_force,
            status="Working",
            remaining_amount=stop.requested_amount,
            execution_price=Decimal(0),
            created_at=now,
            updated_at=now,
        )
        stop.child_id = child.order_id
        self.children[child.order_id] = child
        self._child_changed(child)
        self._maybe_fill(child)
        if child.status == "Working" and child.time_in_force in ("Ioc", "Fok"):
            # An immediate-or-cancel limit that cannot fill now does not rest.
            child.status = "Cancelled"
            child.cancellation_date = child.updated_at = self._timestamp()
            self._child_changed(child)

    def _maybe_fill(self, child: _Child) -> None:
        # Fill a working child in full at the best ask (Buy) / bid (Sell) when it allows (Market: always).
        price = self._reference(child.market_id, child.side)
        if price is None:
            return
        fill = limit_fill_price(buy=child.side == "Buy", limit_price=child.requested_price, price=price)
        if fill is None:
            return
        child.status = "Completed"
        child.execution_price = fill
        child.remaining_amount = Decimal(0)
        child.updated_at = self._timestamp()
        self._child_changed(child)


def _required(value: object) -> Decimal:
    # A field _validate_order already checked.
    result = _decimal_field(value)
    if result is None:  # pragma: no cover - validated before
        raise ValueError("unvalidated decimal")
    return result
