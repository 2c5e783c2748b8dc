"""A Pacifica simulator: an aiohttp.web app that behaves as the Pacifica docs describe.

Paths (https://docs.pacifica.fi/api-documentation/api/rest-api):

- ``POST /api/v1/orders/stop/create`` (op ``create_stop_order``) and
  ``POST /api/v1/orders/stop/cancel`` (op ``cancel_stop_order``), signed;
- ``POST /api/v1/agent/bind`` (op ``bind_agent_wallet``), signed by the main key;
- ``GET /api/v1/orders?account=``, ``GET /api/v1/orders/history?account=&limit=&cursor=``,
  ``GET /api/v1/orders/history_by_id?order_id=``, ``GET /api/v1/info`` (market
  specifications: ``tick_size``, ``min_tick``, ``max_tick``, ``lot_size``,
  ``min_order_size``, ...; https://docs.pacifica.fi/api-documentation/api/rest-api/markets/get-market-info),
  unsigned.

Every answer carries the rate-limit headers of
https://docs.pacifica.fi/api-documentation/api/rate-limits (values x10):
``ratelimit: "credits";r=<remainingx10>;t=<seconds to refresh>`` and
``ratelimit-policy: "credits";q=<quotax10>;w=<window s>``. Credits are counted per
window (60 s, configurable) and per caller: 100 per unidentified IP, 300 per
``PF-API-KEY`` config key (both configurable). Costs (CCXT ``python/ccxt/pacifica.py``
weights): a standard action 1 (create, agent bind, ``/info``, open orders, history by id),
a cancel 0.5, order history 12 (4 with a config key). A request the remaining credits cannot
pay gets 429 in the error envelope and is not processed.

Checks, in the venue's observed order (pacifica-mcp ``scripts/smoke-1d.ts``: body
deserialisation, then the signature, then price validation): Content-Type, JSON body
deserialisation (field types, enums, full-UUID client ids, unknown fields), then the Ed25519
signature, re-implemented here from the documented rules
(https://docs.pacifica.fi/api-documentation/api/signing/implementation): the payload is
re-derived from the body itself (everything but ``account``, ``agent_wallet``,
``signature``, ``timestamp``, ``expiry_window``), so any difference between what was signed
and what was sent fails with ``Verification failed``; ``timestamp + expiry_window`` before the
simulator's clock gives ``Invalid message``; an agent wallet must be bound to the account
(registered in the constructor, with :meth:`PacificaSimulator.bind_agent`, or through
``/api/v1/agent/bind``), else 400 ``Agent not authorized for account`` (the text CCXT quotes in
``python/ccxt/pacifica.py`` ``handle_errors``; ``unbound_agent_error="sign_on_behalf"`` sends
``<agent> is unauthorized to sign on behalf of <account>`` instead, as a third-party bot saw
live). Then business rules, from the market table ``GET /api/v1/info`` serves: known market;
prices multiples of ``tick_size`` within ``[min_tick, max_tick]``; amounts multiples of
``lot_size``. How a mis-rounded price or amount is answered depends on ``tick_errors``:
``"bad_request"`` (default; the current tick-and-lot-size page and the official MCP server's
observation: 400 "... not a multiple of tick size 1"), ``"business"`` (422 with codes 16
INVALID_STOP_TICK, 52 INVALID_TICK_SIZE, 59 INVALID_AMOUNT of the newer table) or
``"server_error"`` (500 "Internal server error", the older page). Then: an omitted ``amount``
without ``reduce_only`` → 422 code 19 INVALID_STOP_ORDER_REDUCE_ONLY [assumption]; with
``check_position_on_create`` (off by default: unverified whether the venue checks at creation)
a reduce-only stop needs an opposite position (23, 21, 22); duplicate client order ids → 422
code 36; unapproved builder codes → 403. A stop whose trigger price the market has already
crossed is accepted (and triggers at once): nothing shows the venue refuses it. Cancel: unknown
stop → the documented 400 "Stop order not found"; a client order id never used → 422 code 37.
Business texts are those of the error-codes page
(https://docs.pacifica.fi/api-documentation/api/error-codes) where it gives one.

Prices: every market has a mark, a last-trade and a mid price; :meth:`set_price` moves all
three, :meth:`set_reference_price` one. A stop compares its ``trigger_price_type`` price with
``stop_price`` (``bid`` stops trigger at or above, ``ask`` stops at or below,
stopkit.testing.simkit.should_trigger). An omitted ``trigger_price_type`` triggers on
``mid_price``, as the official MCP server observed (pacifica-mcp ``src/tools/orders.ts``), not
on the documented ``mark_price``.

Trigger: event ``stop_triggered``; then a reduce-only stop with no position to reduce, or an
order below the market's ``min_order_size`` (USD notional, checked only at trigger time as
pacifica-mcp ``scripts/smoke-1d.ts`` observed), is rejected (``force_cancel`` event, status
``rejected``). A stop-market fills at the last price (``fulfill_market``); a stop-limit fills
when the last price is at or better than its limit (``fulfill_limit``), else rests (``make``)
and fills on a later move. Assumption (see the ledger): the triggered order keeps its
``order_id`` and shows its released type (``limit``/``market``) in open orders.

Order history is served oldest first by default (the MCP server's description;
``history_order="newest_first"`` reverses it: nothing documents the order).

WebSocket ``GET /ws`` (https://docs.pacifica.fi/api-documentation/api/websocket): ``{"method":
"subscribe","params":{"source":"account_order_updates","account":...}}`` → ack
``{"channel":"subscribe","data":<params>}``, then every order event of that account is pushed as
``{"channel":"account_order_updates","data":[{abbreviated fields}]}``; ``{"method":"ping"}`` →
``{"channel":"pong"}``; a connection silent for ``ws_idle_timeout_s`` (60 s) is closed. Fault
switches: :meth:`~PacificaSimulator.ws_drop`, :meth:`~PacificaSimulator.ws_stall`.

Test switches: :meth:`PacificaSimulator.fail_next` (any answer),
:meth:`~PacificaSimulator.fail_next_documented` (403 restricted / builder code, 404,
409, 500, 503, 504 in their documented shapes), :meth:`~PacificaSimulator.fail_next_business`
(a 422 business code), :meth:`~PacificaSimulator.lose_next_response` (process the
request, then drop the connection, answer 500, or answer after a delay).
"""

from __future__ import annotations

import asyncio
import hashlib
import json
import math
import re
import time
from collections.abc import Callable, Mapping
from decimal import Decimal, InvalidOperation
from email.utils import formatdate
from typing import Any

import attrs
import base58
import nacl.exceptions
import nacl.signing
from aiohttp import web

from stopkit.plugin import (
    BoundVenue,
    DemoScenario,
    OrderKind,
    OrderNotFound,
    OrderState,
    OrderStatus,
    PositionEffect,
    Side,
    StopLimitOrder,
    StopOrder,
)
from stopkit.testing import SimSocket, SimSocketHub
from stopkit.testing.simkit import ServedSimulator, limit_fill_price, should_trigger
from stopkit_venues.pacifica.constants import (
    DOC_URL,
    ENV_ACCOUNT,
    ENV_PRIVATE_KEY,
    PATH_AGENT_BIND,
    PATH_MARKET_INFO,
    PATH_OPEN_ORDERS,
    PATH_ORDER_HISTORY,
    PATH_ORDER_HISTORY_BY_ID,
    PATH_STOP_CANCEL,
    PATH_STOP_CREATE,
    WS_PATH,
)
from stopkit_venues.pacifica.translate import native_symbol

__all__ = [
    "BUSINESS_CODES",
    "DEFAULT_MARKETS",
    "DEMO_AGENT_SEED",
    "DEMO_API_KEY",
    "DEMO_SEED",
    "DOCUMENTED_FAILURES",
    "Market",
    "PacificaSimulator",
]

# Fixed test keys generated for the simulator (not the published vector keys, not real accounts).
DEMO_SEED = hashlib.sha256(b"stopkit pacifica simulator demo account").digest()
DEMO_AGENT_SEED = hashlib.sha256(b"stopkit pacifica simulator demo agent").digest()
DEMO_API_KEY = "pf-test-config-key-0001"  # a made-up PF-API-KEY the simulator knows

_HEADER_FIELDS = frozenset({"account", "agent_wallet", "signature", "timestamp", "expiry_window"})
_DEFAULT_WINDOW_MS = 30_000
_PRICE_TYPES = ("mark_price", "last_trade_price", "mid_price")
_SIDES = ("bid", "ask")
_UUID = re.compile(r"[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}")
_BUILDER_CODE = re.compile(r"[A-Za-z0-9]{3,16}")
_TICK_ERROR_STYLES = ("bad_request", "business", "server_error")
_LOSS_MODES = ("drop", "server_error", "delay")
_HISTORY_ORDERS = ("oldest_first", "newest_first")

BUSINESS_CODES: Mapping[int, tuple[str, str]] = {
    # code -> (name, message template): the stop-relevant 422 business codes of the current table
    # (https://docs.pacifica.fi/api-documentation/api/error-codes as copied in
    # Neiroleptik/pacifica_rust_sdk docs/error-codes.md; names from CCXT python/ccxt/pacifica.py
    # exceptions.exact). The page gives no text for 25, 50, 52 and 59: those texts are ours.
    3: ("BOOK_NOT_FOUND", "Book not found: {symbol}"),
    6: ("ORDER_NOT_FOUND", "Order not found for {address}: {order_id}"),
    7: ("ORDER_AMOUNT_TOO_LOW", "Order amount too low for {address}: {amount} < {minimum}"),
    10: ("OPEN_ORDER_LIMIT_REACHED", "Open order limit reached for {address}: {limit}"),
    13: ("POSITION_NOT_FOUND", "Position not found for {address}: {symbol}"),
    16: ("INVALID_STOP_TICK", "Invalid stop tick: {tick}"),
    17: ("INVALID_STOP_ORDER_SIDE", "Invalid stop order side"),
    18: ("INVALID_STOP_ORDER_AMOUNT", "Invalid stop order amount: {amount}"),
    19: ("INVALID_STOP_ORDER_REDUCE_ONLY", "Invalid stop order reduce only"),
    20: ("INVALID_ORDER_TYPE", "Invalid order type"),
    21: ("INVALID_REDUCE_ONLY_ORDER_SIDE", "Invalid reduce-only order side: must be opposite to position side"),
    22: (
        "INVALID_REDUCE_ONLY_ORDER_AMOUNT",
        "Invalid reduce-only order amount: {order_amount} exceeds position amount {position_amount}",
    ),
    23: ("NO_POSITION_FOR_REDUCE_ONLY_ORDER", "No position found for reduce-only order: {address} {symbol}"),
    25: ("NO_REASONABLE_PRICE", "No reasonable price"),
    30: ("PRICE_TOO_FAR_FROM_MARK", "Price too far from mark: {price} {mark_price}"),
    36: ("DUPLICATE_CLIENT_ORDER_ID", "Duplicate client order id: {client_order_id}"),
    37: ("UNUSED_CLIENT_ORDER_ID", "Unused client order id: {client_order_id}"),
    50: ("INVALID_BUILDER_CODE", "Invalid builder code: {builder_code}"),
    52: ("INVALID_TICK_SIZE", "Invalid tick size: {detail}"),
    59: ("INVALID_AMOUNT", "Invalid amount: {detail}"),
}

# Example values for the placeholders of an injected business error's text.
_EXAMPLE_FIELDS: Mapping[str, object] = {
    "address": "42trU9A5...", "order_id": 13753364, "amount": "0.0001", "minimum": "10", "limit": 100,
    "symbol": "BTC", "tick": 48000, "order_amount": "2", "position_amount": "1", "price": "60000",
    "mark_price": "48000", "client_order_id": "d25ac10b-58cc-4372-a567-0e02b2c3d479", "builder_code": "MYCODE",
    "detail": "not a multiple of the market's step",
}  # fmt: skip

# The unbound-agent texts the venue is seen to send (see the module docstring).
_UNBOUND_AGENT_ERRORS = ("ccxt", "sign_on_behalf")


class _Blank(dict[str, str]):
    # Formats a template with the fields given; a missing field shows as its placeholder name.
    def __missing__(self, key: str) -> str:
        return "{" + key + "}"


def _envelope_error(message: str, code: int, **extra: Any) -> dict[str, Any]:
    return {"success": False, "data": None, "error": message, "code": code, **extra}


DOCUMENTED_FAILURES: Mapping[str, tuple[int, Any]] = {
    # name -> (HTTP status, body) of the statuses https://docs.pacifica.fi/api-documentation/api/error-codes
    # lists; a str body is sent as text/plain (the docs print 500 as the bare text "Internal server error").
    "restricted": (403, _envelope_error("Forbidden: restricted region or missing access code", 403)),
    "builder_code": (403, _envelope_error("Builder code MYCODE is not approved by this account", 403)),
    "not_found": (404, _envelope_error("Not found", 404)),
    "conflict": (409, _envelope_error("Conflict: the request conflicts with the current state", 409)),
    "internal": (500, "Internal server error"),
    "unavailable": (503, _envelope_error("Service unavailable", 503)),
    "gateway_timeout": (504, _envelope_error("Gateway timeout", 504)),
}


@attrs.frozen
class Market:
    """A simulated market's specification, as ``GET /api/v1/info`` lists it.

    ``tick_size`` (prices), ``lot_size`` (amounts, base units), ``min_tick``/``max_tick``
    (price bounds), ``min_order_size``/``max_order_size`` (USD notional), ``max_leverage``.
    """

    tick_size: Decimal
    lot_size: Decimal
    min_tick: Decimal = Decimal(0)
    max_tick: Decimal = Decimal(1_000_000)
    min_order_size: Decimal = Decimal(10)
    max_order_size: Decimal = Decimal(5_000_000)
    max_leverage: int = 50


DEFAULT_MARKETS: Mapping[str, Market] = {
    # BTC and ETH as the get-market-info example lists them.
    "BTC": Market(Decimal("1"), Decimal("0.00001")),
    "ETH": Market(Decimal("0.1"), Decimal("0.0001")),
    "SOL": Market(Decimal("0.01"), Decimal("0.01"), max_leverage=20),
}
_START_PRICES = {"BTC": Decimal("50000"), "ETH": Decimal("3000"), "SOL": Decimal("150")}
_LISTED_AT_MS = 1748881333944


def _b58(data: bytes) -> str:
    return base58.b58encode(data).decode("ascii")


def _pubkey_of(seed: bytes) -> str:
    return _b58(bytes(nacl.signing.SigningKey(seed).verify_key))


def _secret_of(seed: bytes) -> str:
    key = nacl.signing.SigningKey(seed)
    return _b58(seed + bytes(key.verify_key))


def _fmt(value: Decimal | None) -> str | None:
    if value is None:
        return None
    if value.is_zero():
        return "0"
    text = format(value, "f")
    return text.rstrip("0").rstrip(".") if "." in text else text


def _sorted_keys(value: Any) -> Any:
    # The canonical form (https://docs.pacifica.fi/api-documentation/api/signing/implementation):
    # keys sorted at every depth, lists kept in order.
    if isinstance(value, dict):
        return {key: _sorted_keys(value[key]) for key in sorted(value)}
    if isinstance(value, list):
        return [_sorted_keys(item) for item in value]
    return value


class _Reject(Exception):
    # An error answer in the venue's envelope.
    def __init__(self, status: int, message: str, code: int | None = None) -> None:
        super().__init__(message)
        self.status = status
        self.message = message
        self.code = status if code is None else code

    def response(self) -> web.Response:
        return web.json_response(_envelope_error(self.message, self.code), status=self.status)


def _business(code: int, **fields: object) -> _Reject:
    # The 422 envelope of business `code`, its documented text filled with `fields`.
    _name, template = BUSINESS_CODES[code]
    return _Reject(422, template.format_map(_Blank({k: str(v) for k, v in fields.items()})), code)


def _deserialize_error(detail: str) -> _Reject:
    return _Reject(400, f"Failed to deserialize the JSON body into the target type: {detail}")


# The simulator's own reading of its records (book_state), kept apart from the adapter's tables.
_SIM_STATUSES = {"filled": OrderStatus.FILLED, "partially_filled": OrderStatus.PARTIALLY_FILLED,
                 "rejected": OrderStatus.REJECTED}  # fmt: skip
_SIM_CANCEL_REASONS = {"expired": OrderStatus.EXPIRED, "post_only_rejected": OrderStatus.REJECTED}


@attrs.define
class _Event:
    history_id: int
    event_type: str
    order_status: str
    order_type: str
    filled_amount: Decimal
    cancelled_amount: Decimal
    amount: Decimal | None
    created_at: int


@attrs.define
class _Order:
    order_id: int
    account: str
    client_order_id: str | None
    symbol: str
    side: str
    reduce_only: bool
    stop_price: Decimal
    limit_price: Decimal | None
    amount: Decimal | None
    trigger_price_type: str | None
    builder_code: str | None
    created_at: int
    updated_at: int
    status: str = "open"
    triggered: bool = False
    filled: Decimal = Decimal(0)
    cancelled: Decimal = Decimal(0)
    average_price: Decimal = Decimal(0)
    reason: str | None = None
    events: list[_Event] = attrs.field(factory=list)

    @property
    def stop_type(self) -> str:
        return "stop_market" if self.limit_price is None else "stop_limit"

    @property
    def released_type(self) -> str:
        return "market" if self.limit_price is None else "limit"

    @property
    def current_type(self) -> str:
        return self.released_type if self.triggered else self.stop_type


@attrs.define
class _Bucket:
    # One caller's credits in tenths (the headers' x10 unit) and when its window started.
    window_start_ms: int
    used_tenths: int = 0


@attrs.frozen
class ReceivedRequest:
    """One request the simulator received: ``method``, ``path``, ``query`` string, ``headers``, ``body`` bytes."""

    method: str
    path: str
    query: str
    headers: Mapping[str, str]
    body: bytes

    def json(self) -> Any:
        """The body parsed as JSON."""
        return json.loads(self.body)


@attrs.define
class _Failure:
    # An injected answer, for the next request on `path` (any path when None).
    path: str | None
    status: int
    body: Any
    headers: Mapping[str, str]

    def response(self) -> web.Response:
        if isinstance(self.body, str):
            return web.Response(status=self.status, text=self.body, headers=dict(self.headers))
        return web.json_response(self.body, status=self.status, headers=dict(self.headers))


@attrs.define
class _Loss:
    # Process the next request on `path`, then lose its answer (drop / 500 / late).
    path: str
    mode: str
    delay_s: float


# The client budget demo_config sets: the simulator's own quota is what tests exercise.
SIMULATOR_CLIENT_CREDITS = 1_000_000.0


class PacificaSimulator(ServedSimulator):
    """The simulated Pacifica venue.

    Args:
        clock: a callable returning the simulator's time in Unix ms (signature expiry,
            timestamps, rate-limit windows); the system clock when ``None``.
        markets: symbol → :class:`Market`; BTC, ETH and SOL by default.
        agents: agent public key → account public key, already bound (the demo agent
            is bound to the demo account by default).
        approved_builder_codes: builder codes users have approved (``STOPKIT`` by default).
        demo_position: the demo account's initial long BTC position (so reduce-only sells are valid).
        tick_errors: how mis-rounded prices/amounts are answered: ``"bad_request"``,
            ``"business"`` or ``"server_error"`` (see the module docstring).
        check_position_on_create: refuse reduce-only stops without a matching position at creation.
        credits_per_ip, credits_per_api_key: credits per window (whole credits, > 0).
        rate_window_ms: the rate-limit window in ms (> 0; 60000 as documented).
        api_keys: the ``PF-API-KEY`` values the venue knows (an unknown key counts as none).
        history_order: ``"oldest_first"`` (default, as the MCP server describes it) or
            ``"newest_first"``: the order of ``GET /api/v1/orders/history`` rows.
        unbound_agent_error: the text of the refusal of an unbound agent wallet: ``"ccxt"``
            (``Agent not authorized for account``) or ``"sign_on_behalf"``
            (``<agent> is unauthorized to sign on behalf of <account>``).
    """

    def __init__(
        self,
        *,
        clock: Callable[[], int] | None = None,
        markets: Mapping[str, Market] | None = None,
        agents: Mapping[str, str] | None = None,
        approved_builder_codes: frozenset[str] = frozenset({"STOPKIT"}),
        demo_position: Decimal = Decimal("1"),
        tick_errors: str = "bad_request",
        check_position_on_create: bool = False,
        credits_per_ip: int = 100,
        credits_per_api_key: int = 300,
        rate_window_ms: int = 60_000,
        api_keys: frozenset[str] = frozenset({DEMO_API_KEY}),
        history_order: str = "oldest_first",
        unbound_agent_error: str = "ccxt",
    ) -> None:
        if history_order not in _HISTORY_ORDERS:
            raise ValueError(f"history_order must be one of {_HISTORY_ORDERS}, got {history_order!r}")
        if unbound_agent_error not in _UNBOUND_AGENT_ERRORS:
            raise ValueError(f"unbound_agent_error must be one of {_UNBOUND_AGENT_ERRORS}, got {unbound_agent_error!r}")
        if tick_errors not in _TICK_ERROR_STYLES:
            raise ValueError(f"tick_errors must be one of {_TICK_ERROR_STYLES}, got {tick_errors!r}")
        if credits_per_ip <= 0 or credits_per_api_key <= 0 or rate_window_ms <= 0:
            raise ValueError("credits and the rate window must be positive")
        self._clock = clock or (lambda: time.time_ns() // 1_000_000)
        self.markets: dict[str, Market] = dict(DEFAULT_MARKETS if markets is None else markets)
        self.demo_account = _pubkey_of(DEMO_SEED)
        self.demo_agent = _pubkey_of(DEMO_AGENT_SEED)
        self.agents: dict[str, str] = {self.demo_agent: self.demo_account} if agents is None else dict(agents)
        self.approved_builder_codes = approved_builder_codes
        self.tick_errors = tick_errors
        self.check_position_on_create = check_position_on_create
        self.credits_per_ip = credits_per_ip
        self.credits_per_api_key = credits_per_api_key
        self.rate_window_ms = rate_window_ms
        self.api_keys = api_keys
        self.history_order = history_order
        self.unbound_agent_error = unbound_agent_error
        self.prices: dict[str, dict[str, Decimal]] = {
            symbol: dict.fromkeys(_PRICE_TYPES, _START_PRICES.get(symbol, Decimal(100))) for symbol in self.markets
        }
        self.positions: dict[tuple[str, str], Decimal] = {(self.demo_account, "BTC"): demo_position}
        self.orders: dict[int, _Order] = {}
        self._used_client_ids: set[tuple[str, str]] = set()
        self._next_order_id = 241_221_600
        self._next_history_id = 641_452_500
        self._failures: list[_Failure] = []
        self._losses: list[_Loss] = []
        self._buckets: dict[tuple[str, str], _Bucket] = {}
        self.requests: list[tuple[str, str]] = []
        self.received: list[ReceivedRequest] = []
        self.ws_idle_timeout_s = 60.0
        self._ws_hub: SimSocketHub | None = None

    # -- Simulator protocol -------------------------------------------------------------

    def make_app(self) -> web.Application:
        """A fresh app serving the documented paths."""
        app = web.Application(middlewares=[self.faults.middleware, self._middleware])
        app.on_response_prepare.append(self._date_header)
        app.router.add_post(PATH_STOP_CREATE, self._create_stop)
        app.router.add_post(PATH_STOP_CANCEL, self._cancel_stop)
        app.router.add_post(PATH_AGENT_BIND, self._bind_agent)
        app.router.add_get(PATH_OPEN_ORDERS, self._open_orders)
        app.router.add_get(PATH_ORDER_HISTORY, self._history)
        app.router.add_get(PATH_ORDER_HISTORY_BY_ID, self._history_by_id)
        app.router.add_get(PATH_MARKET_INFO, self._market_info)
        app.router.add_get(WS_PATH, self._ws)
        return app

    def demo_credentials(self) -> dict[str, str]:
        """The demo account's own key (a fixed generated test key) and its public key."""
        return {ENV_PRIVATE_KEY: _secret_of(DEMO_SEED), ENV_ACCOUNT: self.demo_account}

    def demo_agent_credentials(self) -> dict[str, str]:
        """The demo agent wallet's key, acting for the demo account (bound by default)."""
        return {ENV_PRIVATE_KEY: _secret_of(DEMO_AGENT_SEED), ENV_ACCOUNT: self.demo_account}

    def demo_config(self, base_url: str) -> dict[str, Any]:
        """Config pointing the adapter at ``base_url``, with the client-side credit budget lifted:
        the simulator enforces its own quota (and answers 429 with the documented headers)."""
        return {"base_url": base_url, "rate_limit_credits": SIMULATOR_CLIENT_CREDITS}

    def demo_scenario(self) -> DemoScenario:
        """The documented example (BTC, sell 0.1 reduce-only, stop 48000, limit 47950) and its stop-market twin."""
        common: dict[str, Any] = {
            "symbol": "BTC",
            "side": Side.SELL,
            "position_effect": PositionEffect.CLOSE,
            "quantity": Decimal("0.1"),
            "stop_price": Decimal("48000"),
        }
        return DemoScenario(
            symbol="BTC",
            orders=(StopLimitOrder(limit_price=Decimal("47950"), **common), StopOrder(**common)),
            start_price=Decimal("50000"),
            near_price=Decimal("48500"),
            through_price=Decimal("47990"),
            notes=f"the create-stop-order example ({DOC_URL}), as a sell stop-loss of a long BTC position",
        )

    def set_price(self, symbol: str, price: Decimal) -> None:
        """Move the mark, last-trade and mid price of ``symbol`` (native ``BTC`` or unified
        ``BTC/USDC:USDC``) to ``price``; crossed stops trigger. Unknown market: ``KeyError``."""
        symbol = native_symbol(symbol)
        self._market(symbol)
        for price_type in _PRICE_TYPES:
            self.prices[symbol][price_type] = price
        self._evaluate(symbol)

    def set_reference_price(self, symbol: str, price_type: str, price: Decimal) -> None:
        """Move one of ``mark_price``, ``last_trade_price``, ``mid_price`` of ``symbol``."""
        self._market(symbol)
        if price_type not in _PRICE_TYPES:
            raise ValueError(f"price_type must be one of {_PRICE_TYPES}, got {price_type!r}")
        self.prices[symbol][price_type] = price
        self._evaluate(symbol)

    def book_state(self, venue: BoundVenue, venue_order_id: str) -> OrderState:
        """The simulator's own record of the order as an :class:`OrderState`, read directly (not through
        the adapter's parser, so that tests can judge the parser against it): ``open`` is ACCEPTED, or
        TRIGGERED once the stop fired; ``cancelled`` is EXPIRED, REJECTED or CANCELED by its reason."""
        order = self.orders.get(int(venue_order_id))
        if order is None:
            raise OrderNotFound(f"pacifica simulator: no order {venue_order_id}", venue="pacifica")
        if order.status == "open":
            status = OrderStatus.TRIGGERED if order.triggered else OrderStatus.ACCEPTED
        elif order.status == "cancelled":
            status = _SIM_CANCEL_REASONS.get(order.reason or "", OrderStatus.CANCELED)
        else:
            status = _SIM_STATUSES[order.status]
        return OrderState(
            venue="pacifica",
            venue_order_id=str(order.order_id),
            client_order_id=order.client_order_id,
            symbol=order.symbol,
            side=Side.BUY if order.side == "bid" else Side.SELL,
            kind=OrderKind.STOP_MARKET if order.limit_price is None else OrderKind.STOP_LIMIT,
            status=status,
            venue_status=order.status,
            quantity=order.amount,
            filled_quantity=order.filled,
            stop_price=order.stop_price,
            limit_price=order.limit_price,
            reason=order.reason,
            raw={"order_id": order.order_id, "status": order.status, "triggered": order.triggered},
        )

    # -- test hooks ---------------------------------------------------------------------

    def bind_agent(self, account: str, agent_wallet: str) -> None:
        """Bind ``agent_wallet`` to ``account`` (as ``POST /api/v1/agent/bind`` would)."""
        self.agents[agent_wallet] = account

    def set_position(self, account: str, symbol: str, size: Decimal) -> None:
        """Set a position (positive long, negative short)."""
        self.positions[(account, symbol)] = size

    def fail_next(
        self, status: int, body: Any, headers: Mapping[str, str] | None = None, *, path: str | None = None
    ) -> None:
        """Answer the next request (on ``path``, or any path) with ``status`` and ``body`` (JSON unless ``str``),
        without processing it. Rate-limit headers are added unless ``headers`` set them."""
        self._failures.append(_Failure(path, status, body, dict(headers or {})))

    def fail_next_documented(self, name: str, *, path: str | None = None) -> None:
        """Answer the next request with one of :data:`DOCUMENTED_FAILURES` (e.g. ``"restricted"``, ``"internal"``)."""
        status, body = DOCUMENTED_FAILURES[name]
        self.fail_next(status, body, path=path)

    def fail_next_business(self, code: int, *, path: str | None = None) -> None:
        """Answer the next request with the 422 envelope of business ``code`` (see :data:`BUSINESS_CODES`), its
        text filled with example values."""
        reject = _business(code, **_EXAMPLE_FIELDS)
        self.fail_next(422, _envelope_error(reject.message, code), path=path)

    def lose_next_response(self, path: str, *, mode: str = "drop", delay_s: float = 0.0) -> None:
        """Process the next request on ``path`` as usual, then lose the answer.

        ``mode``: ``"drop"`` closes the connection without answering, ``"server_error"``
        answers 500 "Internal server error", ``"delay"`` answers after ``delay_s`` seconds
        (past the client's timeout).
        """
        if mode not in _LOSS_MODES:
            raise ValueError(f"mode must be one of {_LOSS_MODES}, got {mode!r}")
        self._losses.append(_Loss(path, mode, delay_s))

    @property
    def ws_hub(self) -> SimSocketHub:
        """The WebSocket connections (``connections`` counts them, ``log`` the frames received)."""
        if self._ws_hub is None:
            self._ws_hub = SimSocketHub()
        return self._ws_hub

    def ws_drop(self) -> None:
        """Fault: close every WebSocket connection now."""
        self.ws_hub.drop()

    def ws_stall(self, on: bool = True) -> None:
        """Fault: stop pushing events and answering pings (``on=False`` resumes; events in between are lost)."""
        self.ws_hub.stall(on)

    async def _ws(self, request: web.Request) -> web.StreamResponse:
        # GET /ws: the account order updates stream.
        ws = web.WebSocketResponse()
        await ws.prepare(request)
        await self.ws_hub.serve(ws, self._ws_message, idle_timeout_s=self.ws_idle_timeout_s)
        return ws

    def _ws_message(self, sock: SimSocket, text: str) -> None:
        # One client message: ping, or a subscribe to account_order_updates.
        try:
            message = json.loads(text)
        except ValueError:
            sock.send(json.dumps({"channel": "error", "data": {"message": "invalid JSON"}}))
            return
        method = message.get("method") if isinstance(message, dict) else None
        if method == "ping":
            sock.send(json.dumps({"channel": "pong"}))
            return
        params = message.get("params") if isinstance(message, dict) else None
        if method != "subscribe" or not isinstance(params, dict):
            sock.send(json.dumps({"channel": "error", "data": {"message": f"unknown method {method!r}"}}))
            return
        account = params.get("account")
        if params.get("source") != "account_order_updates" or not isinstance(account, str) or not account:
            sock.send(json.dumps({"channel": "error", "data": {"message": "unsupported subscription"}}))
            return
        sock.state.setdefault("accounts", set()).add(account)
        sock.send(json.dumps({"channel": "subscribe", "data": params}))

    def _ws_push(self, order: _Order, event: _Event) -> None:
        # An order event to the sockets subscribed to the order's account, in the documented short keys.
        if self._ws_hub is None or not self._ws_hub.sockets:
            return
        row = {
            "i": order.order_id,
            "I": order.client_order_id,
            "u": order.account,
            "s": order.symbol,
            "d": order.side,
            "p": _fmt(order.average_price),
            "ip": _fmt(order.limit_price) if order.limit_price is not None else None,
            "lp": _fmt(order.average_price),
            "a": _fmt(event.amount),
            "f": _fmt(event.filled_amount),
            "oe": event.event_type,
            "os": event.order_status,
            "ot": event.order_type,
            "sp": _fmt(order.stop_price),
            "si": None,
            "tp": order.trigger_price_type,
            "r": order.reduce_only,
            "ct": order.created_at,
            "ut": event.created_at,
            "li": event.history_id,
        }
        frame = json.dumps({"channel": "account_order_updates", "data": [row]})
        self._ws_hub.broadcast(frame, where=lambda sock: order.account in sock.state.get("accounts", ()))

    def push_order_update(self, row: Mapping[str, Any]) -> None:
        """Push one ``account_order_updates`` element as it is (e.g. a documented example or an order
        the simulator does not model: a plain limit order, a TWAP child) to the sockets subscribed
        to its account ``u``."""
        if self._ws_hub is None:
            return
        frame = json.dumps({"channel": "account_order_updates", "data": [dict(row)]})
        account = row.get("u")
        self._ws_hub.broadcast(frame, where=lambda sock: account in sock.state.get("accounts", ()))

    def requests_to(self, path: str) -> list[ReceivedRequest]:
        """The requests received on ``path``, oldest first."""
        return [r for r in self.received if r.path == path]

    # -- machinery ----------------------------------------------------------------------

    def _take(self, items: list[Any], path: str) -> Any:
        # The first armed switch for this path (or for any path), removed from the list.
        for index, item in enumerate(items):
            if item.path is None or item.path == path:
                return items.pop(index)
        return None

    @web.middleware
    async def _middleware(self, request: web.Request, handler: Callable[[web.Request], Any]) -> web.StreamResponse:
        if request.path == WS_PATH:
            # The WebSocket is another service (ws.pacifica.fi): no REST credits, no REST switches.
            result: web.StreamResponse = await handler(request)
            return result
        body = await request.read()
        self.requests.append((request.method, request.path))
        self.received.append(
            ReceivedRequest(request.method, request.path, request.query_string, dict(request.headers), body)
        )
        limited, headers = self._charge(request)
        failure: _Failure | None = None if limited is not None else self._take(self._failures, request.path)
        if limited is not None:
            response: web.StreamResponse = limited
        elif failure is not None:
            response = failure.response()
        else:
            response = await self._handle(request, handler)
            loss: _Loss | None = self._take(self._losses, request.path)
            if loss is not None:
                if loss.mode == "drop":
                    if request.transport is not None:
                        request.transport.close()
                elif loss.mode == "server_error":
                    response = web.Response(status=500, text="Internal server error")
                else:
                    await asyncio.sleep(loss.delay_s)
        for name, value in headers.items():
            response.headers.setdefault(name, value)
        return response

    async def _handle(self, request: web.Request, handler: Callable[[web.Request], Any]) -> web.StreamResponse:
        # The route's answer; rejections, unknown paths and crashes in the venue's envelopes.
        try:
            result: web.StreamResponse = await handler(request)
        except _Reject as reject:
            return reject.response()
        except web.HTTPNotFound:
            return _Reject(404, "Not found").response()
        except web.HTTPMethodNotAllowed:
            return _Reject(405, "Method not allowed").response()
        return result

    def _cost_tenths(self, request: web.Request, keyed: bool) -> int:
        # https://docs.pacifica.fi/api-documentation/api/rate-limits: standard action 1, cancel 0.5,
        # heavy GETs 3-12; CCXT's weights name the heavy one: order history 12 (4 with a config
        # key). In tenths of a credit.
        if request.path == PATH_STOP_CANCEL:
            return 5
        if request.method == "GET" and request.path == PATH_ORDER_HISTORY:
            return 40 if keyed else 120
        return 10

    def _charge(self, request: web.Request) -> tuple[web.Response | None, dict[str, str]]:
        # Charge the caller's bucket; (a 429 answer when the credits do not suffice, the rate-limit headers).
        api_key = request.headers.get("PF-API-KEY")
        keyed = api_key is not None and api_key in self.api_keys
        key = ("key", str(api_key)) if keyed else ("ip", str(request.remote))
        quota = (self.credits_per_api_key if keyed else self.credits_per_ip) * 10
        now = self._now()
        bucket = self._buckets.get(key)
        if bucket is None or now >= bucket.window_start_ms + self.rate_window_ms:
            bucket = self._buckets[key] = _Bucket(window_start_ms=now)
        cost = self._cost_tenths(request, keyed)
        limited = bucket.used_tenths + cost > quota
        if not limited:
            bucket.used_tenths += cost
        refresh_s = math.ceil((bucket.window_start_ms + self.rate_window_ms - now) / 1000)
        headers = {
            "ratelimit": f'"credits";r={quota - bucket.used_tenths};t={refresh_s}',
            "ratelimit-policy": f'"credits";q={quota};w={math.ceil(self.rate_window_ms / 1000)}',
        }
        if limited:
            return _Reject(429, "Rate limit exceeded").response(), headers
        return None, headers

    @staticmethod
    def _envelope(data: Any, **extra: Any) -> dict[str, Any]:
        return {"success": True, "data": data, "error": None, "code": None, **extra}

    def _now(self) -> int:
        return int(self._clock())

    async def _date_header(self, _request: web.Request, response: web.StreamResponse) -> None:
        # The Date header tells the venue's own (possibly skewed) time, as a real server's does.
        response.headers["Date"] = formatdate(self._now() / 1000, usegmt=True)

    def _market(self, symbol: str) -> Market:
        market = self.markets.get(symbol)
        if market is None:
            raise KeyError(f"unknown simulated market {symbol!r}")
        return market

    async def _json_body(self, request: web.Request) -> dict[str, Any]:
        # Content type, then a JSON object body.
        if request.content_type != "application/json":
            raise _Reject(400, "Expected request with `Content-Type: application/json`")
        raw = await request.read()
        try:
            body = json.loads(raw)
        except ValueError:
            raise _deserialize_error("body is not valid JSON") from None
        if not isinstance(body, dict):
            raise _deserialize_error("expected a JSON object")
        return body

    @staticmethod
    def _check_fields(
        obj: Mapping[str, Any], spec: Mapping[str, tuple[type | tuple[type, ...], bool]], where: str
    ) -> None:
        # Deserialisation: unknown fields, missing required fields, wrong JSON types (bool is not int).
        for key in obj:
            if key not in spec:
                raise _deserialize_error(f"{where}unknown field `{key}`")
        for key, (types, required) in spec.items():
            if key not in obj or obj[key] is None:
                if required:
                    raise _deserialize_error(f"{where}missing field `{key}`")
                continue
            value = obj[key]
            if isinstance(value, bool) and bool not in (types if isinstance(types, tuple) else (types,)):
                raise _deserialize_error(f"{where}invalid type for `{key}`: boolean")
            if not isinstance(value, types):
                raise _deserialize_error(f"{where}invalid type for `{key}`: {type(value).__name__}")

    _HEADER_SPEC: Mapping[str, tuple[type | tuple[type, ...], bool]] = {
        "account": (str, True),
        "agent_wallet": (str, False),
        "signature": (str, True),
        "timestamp": (int, True),
        "expiry_window": (int, False),
    }

    def _verify(self, body: Mapping[str, Any], op: str) -> str:
        # The signature checks of https://docs.pacifica.fi/api-documentation/api/signing/error-handling;
        # returns the account.
        try:
            signature = base58.b58decode(body["signature"].encode("ascii"))
        except (ValueError, UnicodeEncodeError):
            raise _Reject(400, "Invalid signature") from None
        if len(signature) != 64:
            raise _Reject(400, "Invalid signature")
        account = body["account"]
        agent = body.get("agent_wallet")
        keys: dict[str, bytes] = {}
        for name, text in (("account", account), ("agent_wallet", agent)):
            if text is None:
                continue
            try:
                raw = base58.b58decode(text.encode("ascii"))
            except (ValueError, UnicodeEncodeError):
                raise _Reject(400, "Invalid public key") from None
            if len(raw) != 32:
                raise _Reject(400, "Invalid public key")
            keys[name] = raw
        timestamp: int = body["timestamp"]
        window: int = _DEFAULT_WINDOW_MS if body.get("expiry_window") is None else body["expiry_window"]
        if window <= 0 or timestamp + window < self._now():
            raise _Reject(400, "Invalid message")
        payload = {key: value for key, value in body.items() if key not in _HEADER_FIELDS}
        message = {"type": op, "timestamp": timestamp, "expiry_window": window, "data": payload}
        data = json.dumps(_sorted_keys(message), separators=(",", ":"), ensure_ascii=True).encode("utf-8")
        signer = keys["agent_wallet"] if agent is not None else keys["account"]
        try:
            nacl.signing.VerifyKey(signer).verify(data, signature)
        except nacl.exceptions.BadSignatureError:
            raise _Reject(
                400,
                "Verification failed",
            ) from None
        if agent is not None and self.agents.get(agent) != account:
            if self.unbound_agent_error == "sign_on_behalf":
                raise _Reject(400, f"{agent} is unauthorized to sign on behalf of {account}")
            raise _Reject(400, "Agent not authorized for account")
        return str(account)

    def _event(self, order: _Order, event_type: str, *, order_type: str | None = None) -> None:
        self._next_history_id += 1
        now = self._now()
        order.updated_at = now
        event = _Event(
            history_id=self._next_history_id,
            event_type=event_type,
            order_status=order.status,
            order_type=order_type or order.current_type,
            filled_amount=order.filled,
            cancelled_amount=order.cancelled,
            amount=order.amount,
            created_at=now,
        )
        order.events.append(event)
        self._ws_push(order, event)

    # -- create -------------------------------------------------------------------------

    _CREATE_SPEC: Mapping[str, tuple[type | tuple[type, ...], bool]] = {
        **_HEADER_SPEC,
        "symbol": (str, True),
        "side": (str, True),
        "reduce_only": (bool, True),
        "stop_order": (dict, True),
        "builder_code": (str, False),
    }
    _STOP_ORDER_SPEC: Mapping[str, tuple[type | tuple[type, ...], bool]] = {
        "stop_price": (str, True),
        "limit_price": (str, False),
        "client_order_id": (str, False),
        "trigger_price_type": (str, False),
        "amount": (str, False),
    }

    @staticmethod
    def _decimal(text: str, field: str) -> Decimal:
        try:
            value = Decimal(text)
        except InvalidOperation:
            raise _Reject(400, f"Invalid {field}: {text!r} is not a decimal number") from None
        if not value.is_finite():
            raise _Reject(400, f"Invalid {field}: {text!r}")
        return value

    def _rounding_error(self, business_code: int, text: str, **fields: object) -> _Reject:
        # A mis-rounded price or amount, answered in the configured style (module docstring).
        if self.tick_errors == "business":
            return _business(business_code, detail=text, **fields)
        if self.tick_errors == "server_error":
            return _Reject(500, "Internal server error", 500)
        return _Reject(400, text)

    def _check_price(self, market: Market, name: str, price: Decimal, code: int) -> None:
        # Prices: positive, a multiple of tick_size, within [min_tick, max_tick] (GET /api/v1/info).
        if price <= 0:
            raise _Reject(400, f"{name} must be positive")
        tick = _fmt(price / market.tick_size)
        if price % market.tick_size != 0:
            raise self._rounding_error(
                code, f"{name} {price} is not a multiple of tick size {_fmt(market.tick_size)}", tick=tick
            )
        if not market.min_tick <= price <= market.max_tick:
            raise self._rounding_error(
                code, f"{name} {price} is outside [{_fmt(market.min_tick)}, {_fmt(market.max_tick)}]", tick=tick
            )

    def _check_position(self, account: str, symbol: str, side: str, amount: Decimal | None) -> None:
        # Reduce-only at creation (only with check_position_on_create): an opposite position large enough.
        size = self.positions.get((account, symbol), Decimal(0))
        if size == 0:
            raise _business(23, address=account, symbol=symbol)
        if (side == "ask") != (size > 0):
            raise _business(21)
        if amount is not None and amount > abs(size):
            raise _business(22, order_amount=_fmt(amount), position_amount=_fmt(abs(size)))

    async def _create_stop(self, request: web.Request) -> web.Response:
        body = await self._json_body(request)
        self._check_fields(body, self._CREATE_SPEC, "")
        stop = body["stop_order"]
        self._check_fields(stop, self._STOP_ORDER_SPEC, "stop_order: ")
        if body["side"] not in _SIDES:
            raise _deserialize_error(f"side: unknown variant `{body['side']}`, expected `bid` or `ask`")
        trigger_type = stop.get("trigger_price_type")
        if trigger_type is not None and trigger_type not in _PRICE_TYPES:
            raise _deserialize_error(f"stop_order.trigger_price_type: unknown variant `{trigger_type}`")
        client_id = stop.get("client_order_id")
        if client_id is not None and not _UUID.fullmatch(client_id):
            raise _deserialize_error("stop_order.client_order_id: invalid UUID")
        account = self._verify(body, "create_stop_order")

        symbol = body["symbol"]
        market = self.markets.get(symbol)
        if market is None:
            raise _business(3, symbol=symbol)
        stop_price = self._decimal(stop["stop_price"], "stop price")
        self._check_price(market, "Stop price", stop_price, 16)
        limit_text = stop.get("limit_price")
        limit_price = None if limit_text is None else self._decimal(limit_text, "limit price")
        if limit_price is not None:
            self._check_price(market, "Limit price", limit_price, 52)
        amount_text = stop.get("amount")
        amount = None if amount_text is None else self._decimal(amount_text, "amount")
        if amount is not None:
            if amount < 0:
                raise _Reject(400, "Amount must not be negative")
            if amount % market.lot_size != 0:
                raise self._rounding_error(59, f"Amount {amount} is not a multiple of lot size {_fmt(market.lot_size)}")
        elif not body["reduce_only"]:
            raise _business(19)  # assumption: the full position only makes sense reduce-only
        # A stop its reference price has already crossed is accepted (it triggers at once):
        # nothing shows Pacifica refuses it; code 17 is about the side against the position.
        if body["reduce_only"] and self.check_position_on_create:
            self._check_position(account, symbol, body["side"], amount)
        builder = body.get("builder_code")
        if builder is not None:
            if not _BUILDER_CODE.fullmatch(builder):
                raise _business(50, builder_code=builder)
            if builder not in self.approved_builder_codes:
                raise _Reject(403, f"Builder code {builder} is not approved by this account")
        if client_id is not None:
            if (account, client_id) in self._used_client_ids:
                raise _business(36, client_order_id=client_id)
            self._used_client_ids.add((account, client_id))

        self._next_order_id += 1
        now = self._now()
        order = _Order(
            order_id=self._next_order_id,
            account=account,
            client_order_id=client_id,
            symbol=symbol,
            side=body["side"],
            reduce_only=body["reduce_only"],
            stop_price=stop_price,
            limit_price=limit_price,
            amount=amount,
            trigger_price_type=trigger_type,
            builder_code=builder,
            created_at=now,
            updated_at=now,
        )
        self.orders[order.order_id] = order
        self._event(order, "stop_created")
        self._evaluate(symbol)
        # Live answers carry the id as a string inside the envelope (CCXT response fixture).
        return web.json_response(self._envelope({"order_id": str(order.order_id)}))

    # -- cancel ---------------------------------------------------------------------------

    _CANCEL_SPEC: Mapping[str, tuple[type | tuple[type, ...], bool]] = {
        **_HEADER_SPEC,
        "symbol": (str, True),
        "order_id": (int, False),
        "client_order_id": (str, False),
    }

    async def _cancel_stop(self, request: web.Request) -> web.Response:
        body = await self._json_body(request)
        self._check_fields(body, self._CANCEL_SPEC, "")
        if body.get("order_id") is None and body.get("client_order_id") is None:
            raise _deserialize_error("one of `order_id` or `client_order_id` is required")
        client_id = body.get("client_order_id")
        if client_id is not None and not _UUID.fullmatch(client_id):
            raise _deserialize_error("client_order_id: invalid UUID")
        account = self._verify(body, "cancel_stop_order")
        if body.get("order_id") is None and (account, client_id) not in self._used_client_ids:
            raise _business(37, client_order_id=client_id)
        order = self._find(account, body.get("order_id"), client_id)
        if order is None or order.symbol != body["symbol"] or order.triggered or order.status != "open":
            raise _Reject(400, "Stop order not found")
        order.status = "cancelled"
        order.reason = "cancel"
        order.cancelled = (order.amount or Decimal(0)) - order.filled
        self._event(order, "cancel")
        # The documented answer (https://docs.pacifica.fi/api-documentation/api/rest-api/orders/cancel-stop-order).
        return web.json_response({"success": True})

    def _find(self, account: str, order_id: int | None, client_id: str | None) -> _Order | None:
        for order in self.orders.values():
            if order.account != account:
                continue
            if order_id is not None and order.order_id == order_id:
                return order
            if order_id is None and client_id is not None and order.client_order_id == client_id:
                return order
        return None

    # -- agent bind -------------------------------------------------------------------------

    async def _bind_agent(self, request: web.Request) -> web.Response:
        body = await self._json_body(request)
        self._check_fields(body, {**self._HEADER_SPEC, "agent_wallet": (str, True)}, "")
        # Signed by the main key; agent_wallet is the payload here, not the signer.
        agent = body["agent_wallet"]
        account = self._verify_bind(body)
        self.agents[agent] = account
        return web.json_response(self._envelope(None))

    def _verify_bind(self, body: Mapping[str, Any]) -> str:
        # agent_wallet is the signed payload of bind_agent_wallet (python-sdk rest/api_agent_keys.py),
        # so the generic check (which treats it as the signer) does not apply.
        try:
            signature = base58.b58decode(body["signature"].encode("ascii"))
            account_key = base58.b58decode(body["account"].encode("ascii"))
        except (ValueError, UnicodeEncodeError):
            raise _Reject(400, "Invalid signature") from None
        window: int = _DEFAULT_WINDOW_MS if body.get("expiry_window") is None else body["expiry_window"]
        if body["timestamp"] + window < self._now():
            raise _Reject(400, "Invalid message")
        message = {
            "type": "bind_agent_wallet",
            "timestamp": body["timestamp"],
            "expiry_window": window,
            "data": {"agent_wallet": body["agent_wallet"]},
        }
        data = json.dumps(_sorted_keys(message), separators=(",", ":"), ensure_ascii=True).encode("utf-8")
        try:
            nacl.signing.VerifyKey(account_key).verify(data, signature)
        except (nacl.exceptions.BadSignatureError, ValueError, TypeError):
            raise _Reject(
                400,
                "Verification failed",
            ) from None
        return str(body["account"])

    # -- reads ----------------------------------------------------------------------------

    async def _market_info(self, request: web.Request) -> web.Response:
        # GET /api/v1/info: every market's specification, oldest listing first, in the documented shape.
        rows = [
            {
                "symbol": symbol,
                "tick_size": _fmt(market.tick_size),
                "min_tick": _fmt(market.min_tick),
                "max_tick": _fmt(market.max_tick),
                "lot_size": _fmt(market.lot_size),
                "max_leverage": market.max_leverage,
                "isolated_only": False,
                "min_order_size": _fmt(market.min_order_size),
                "max_order_size": _fmt(market.max_order_size),
                "funding_rate": "0.0000125",
                "next_funding_rate": "0.0000125",
                "created_at": _LISTED_AT_MS,
                "instrument_type": "perpetual",
                "base_asset": symbol,
            }
            for symbol, market in self.markets.items()
        ]
        return web.json_response(self._envelope(rows))

    @staticmethod
    def _account_query(request: web.Request) -> str:
        account = request.query.get("account")
        if not account:
            raise _Reject(400, "Missing query parameter `account`")
        return account

    def _open_row(self, order: _Order) -> dict[str, Any]:
        return {
            "order_id": order.order_id,
            "client_order_id": order.client_order_id,
            "symbol": order.symbol,
            "side": order.side,
            "price": _fmt(order.limit_price) if order.limit_price is not None else "0",
            "initial_amount": _fmt(order.amount),
            "filled_amount": _fmt(order.filled),
            "cancelled_amount": _fmt(order.cancelled),
            "stop_price": _fmt(order.stop_price),
            "order_type": order.current_type,
            "stop_parent_order_id": None,
            "reduce_only": order.reduce_only,
            "trigger_price_type": order.trigger_price_type,
            "created_at": order.created_at,
            "updated_at": order.updated_at,
        }

    async def _open_orders(self, request: web.Request) -> web.Response:
        account = self._account_query(request)
        rows = [
            self._open_row(order)
            for order in self.orders.values()
            if order.account == account and order.status in ("open", "partially_filled")
        ]
        # The envelope's exchange-wide ordering nonce (CCXT fixture, pacifica-mcp getOpenOrders).
        return web.json_response(self._envelope(rows, last_order_id=self._next_order_id))

    def _history_row(self, order: _Order) -> dict[str, Any]:
        return {
            "order_id": order.order_id,
            "client_order_id": order.client_order_id,
            "symbol": order.symbol,
            "side": order.side,
            "initial_price": _fmt(order.limit_price) if order.limit_price is not None else "0",
            "average_filled_price": _fmt(order.average_price),
            "amount": _fmt(order.amount),
            "filled_amount": _fmt(order.filled),
            "order_status": order.status,
            "order_type": order.stop_type,
            "stop_price": _fmt(order.stop_price),
            "stop_parent_order_id": None,
            "reduce_only": order.reduce_only,
            "reason": order.reason,
            "created_at": order.created_at,
            "updated_at": order.updated_at,
        }

    async def _history(self, request: web.Request) -> web.Response:
        account = self._account_query(request)
        try:
            limit = int(request.query.get("limit", "100"))
            offset = int(base58.b58decode(request.query["cursor"]).decode()) if "cursor" in request.query else 0
        except (ValueError, UnicodeDecodeError):
            raise _Reject(400, "Invalid query parameter `limit` or `cursor`") from None
        if limit <= 0 or offset < 0:
            raise _Reject(400, "Invalid query parameter `limit` or `cursor`")
        newest_first = self.history_order == "newest_first"
        mine = sorted(
            (o for o in self.orders.values() if o.account == account),
            key=lambda o: -o.order_id if newest_first else o.order_id,
        )
        page = mine[offset : offset + limit]
        has_more = offset + limit < len(mine)
        cursor = _b58(str(offset + limit).encode()) if has_more else None
        body = self._envelope([self._history_row(order) for order in page], next_cursor=cursor, has_more=has_more)
        return web.json_response(body)

    def _event_rows(self, order: _Order) -> list[dict[str, Any]]:
        # Newest first, as the documented example lists them.
        return [
            {
                "history_id": event.history_id,
                "order_id": order.order_id,
                "client_order_id": order.client_order_id,
                "symbol": order.symbol,
                "side": order.side,
                "price": _fmt(order.limit_price) if order.limit_price is not None else "0",
                "initial_amount": _fmt(event.amount),
                "filled_amount": _fmt(event.filled_amount),
                "cancelled_amount": _fmt(event.cancelled_amount),
                "event_type": event.event_type,
                "order_type": event.order_type,
                "order_status": event.order_status,
                "stop_price": _fmt(order.stop_price),
                "stop_parent_order_id": None,
                "reduce_only": order.reduce_only,
                "created_at": event.created_at,
            }
            for event in reversed(order.events)
        ]

    async def _history_by_id(self, request: web.Request) -> web.Response:
        text = request.query.get("order_id", "")
        if not text.isdigit():
            raise _Reject(400, "Invalid query parameter `order_id`: expected an integer")
        order = self.orders.get(int(text))
        # An unknown id gives an empty list [obs] (pacifica-mcp src/tools/orders.ts).
        return web.json_response(self._envelope([] if order is None else self._event_rows(order)))

    # -- market ---------------------------------------------------------------------------

    def _evaluate(self, symbol: str) -> None:
        # Trigger armed stops the reference prices crossed, then fill resting released limit orders.
        prices = self.prices[symbol]
        for order in sorted(self.orders.values(), key=lambda o: o.order_id):
            if order.symbol != symbol or order.status not in ("open", "partially_filled"):
                continue
            if not order.triggered:
                reference = prices[order.trigger_price_type or "mid_price"]
                if should_trigger(buy=order.side == "bid", stop_price=order.stop_price, price=reference):
                    self._trigger(order)
            else:
                self._try_fill(order, resting=True)

    def _position_room(self, order: _Order) -> Decimal:
        # How much a reduce-only order may trade: the size of an opposite position.
        size = self.positions.get((order.account, order.symbol), Decimal(0))
        reduces = size > 0 if order.side == "ask" else size < 0
        return abs(size) if reduces else Decimal(0)

    def _reject_at_trigger(self, order: _Order) -> None:
        order.status = "rejected"
        order.reason = "force_cancel"
        order.cancelled = order.amount or Decimal(0)
        self._event(order, "force_cancel")

    def _trigger(self, order: _Order) -> None:
        order.triggered = True
        self._event(order, "stop_triggered", order_type=order.stop_type)
        if order.reduce_only and self._position_room(order) == 0:
            self._reject_at_trigger(order)
            return
        if order.amount is None:
            order.amount = self._position_room(order)
        # The amount and minimum-notional check runs only at trigger time (pacifica-mcp scripts/smoke-1d.ts).
        market = self.markets[order.symbol]
        if order.amount * self.prices[order.symbol]["last_trade_price"] < market.min_order_size:
            self._reject_at_trigger(order)
            return
        self._try_fill(order, resting=False)

    def _try_fill(self, order: _Order, *, resting: bool) -> None:
        last = self.prices[order.symbol]["last_trade_price"]
        buy = order.side == "bid"
        price = limit_fill_price(buy=buy, limit_price=order.limit_price, price=last)
        if price is None:
            if not resting:
                self._event(order, "make")
            return
        quantity = (order.amount or Decimal(0)) - order.filled
        if order.reduce_only:
            quantity = min(quantity, self._position_room(order))
        if quantity <= 0:
            order.status = "cancelled"
            order.reason = "force_cancel"
            self._event(order, "force_cancel")
            return
        key = (order.account, order.symbol)
        self.positions[key] = self.positions.get(key, Decimal(0)) + (quantity if buy else -quantity)
        order.average_price = price
        order.filled += quantity
        order.status = "filled" if order.filled >= (order.amount or Decimal(0)) else "partially_filled"
        self._event(order, "fulfill_market" if order.limit_price is None else "fulfill_limit")
