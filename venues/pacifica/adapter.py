"""The Pacifica adapter: :class:`PacificaAdapter` (registered as ``pacifica``) and
:class:`PacificaVenue` (bound to keys and config; every method pure).

Docs: https://docs.pacifica.fi/api-documentation/api/rest-api/orders/create-stop-order;
every wire fact used here has a row in the evidence ledger of ``docs/venues/pacifica.md``.
"""

from __future__ import annotations

import functools
import logging
import math
from collections.abc import Mapping
from typing import Any

import attrs

from stopkit.plugin import (
    AnyStopOrder,
    BoundVenue,
    Capabilities,
    Credentials,
    DuplicateClientOrderId,
    EnvVar,
    Exchange,
    Flow,
    HttpRequest,
    HttpResponse,
    InvalidOrder,
    Markets,
    OrderKind,
    OrderNotFound,
    OrderRef,
    OrderState,
    OrderStatus,
    PositionEffect,
    RateLimit,
    RemoteError,
    RequestContext,
    Simulator,
    StopkitError,
    StreamProtocol,
    TimeInForce,
    TriggerType,
    VenueAdapter,
)
from stopkit_venues.pacifica import parse, rules, translate
from stopkit_venues.pacifica.auth import PacificaKeys
from stopkit_venues.pacifica.config import PacificaConfig, parse_config
from stopkit_venues.pacifica.constants import (
    CANCEL_COST,
    CREDIT_WINDOW_S,
    CREDITS_PER_IP,
    CREDITS_WITH_API_KEY,
    DOC_RATE_LIMITS_URL,
    DOC_URL,
    ENV_ACCOUNT,
    ENV_API_KEY,
    ENV_PRIVATE_KEY,
    HISTORY_BY_ID_COST,
    HISTORY_COST,
    HISTORY_COST_WITH_API_KEY,
    HISTORY_MAX_PAGES,
    HISTORY_PAGE_LIMIT,
    HISTORY_SEARCH_BUDGET_SHARE,
    MARKET_INFO_CACHE_KEY,
    MARKET_INFO_COST,
    OPEN_ORDERS_COST,
    TITLE,
    VENUE_NAME,
)
from stopkit_venues.pacifica.refusals import REFUSALS

__all__ = ["PacificaAdapter", "PacificaVenue"]

log = logging.getLogger("stopkit.venues.pacifica")

# Reconciliation searches history back to the first send less the signature window and this much clock skew.
_CLOCK_SKEW_MS = 60_000
# Look-up-then-resend rounds after an unknown placement outcome (only with resend_after_unknown).
RECONCILE_ROUNDS = 3

CAPABILITIES = Capabilities(
    order_kinds=frozenset({OrderKind.STOP_MARKET, OrderKind.STOP_LIMIT}),
    trigger_types=frozenset(
        {TriggerType.DEFAULT, TriggerType.MARK_PRICE, TriggerType.LAST_PRICE, TriggerType.MID_POINT}
    ),
    time_in_force=frozenset({TimeInForce.GTC}),
    position_effects=frozenset({None, PositionEffect.OPEN, PositionEffect.CLOSE}),
    whole_position_quantity=True,
    client_order_id=True,
    get_order=True,
    list_open_orders=True,
    cancel=True,
    reasons={
        "trigger_type=INDEX_PRICE": "Pacifica triggers on mark_price, last_trade_price or mid_price only "
        f"(stop_order.trigger_price_type, {DOC_URL})",
        "time_in_force": "the create-stop-order request has no time-in-force field; a stop rests until "
        f"triggered or cancelled (GTC only, {DOC_URL})",
    },
)

# History order, as detected from a page's created_at times.
_OLDEST_FIRST = 1
_NEWEST_FIRST = -1


@attrs.frozen
class _Search:
    # The outcome of a history search for a client order id: the row (or None) and whether the
    # search covered every row that could hold it (else the bound or the paging cut it short).
    row: Mapping[str, Any] | None
    complete: bool


class PacificaVenue(BoundVenue):
    """Pacifica bound to a signing key (and account) and a :class:`PacificaConfig`. Pure."""

    def __init__(self, adapter: PacificaAdapter, *, keys: PacificaKeys, config: PacificaConfig, api_key: str | None):
        super().__init__(adapter)
        self.keys = keys
        self.config = config
        self._api_key = api_key

    def __repr__(self) -> str:
        return f"PacificaVenue(account={self.keys.account!r}, base_url={self.config.base_url!r})"

    @property
    def account(self) -> str:
        """The account (base58 public key) orders are placed for."""
        return self.keys.account

    @property
    def rate_limit(self) -> RateLimit:
        """Pacifica's credits: 100 per 60 s per unidentified IP, 300 with a ``PF-API-KEY``
        (https://docs.pacifica.fi/api-documentation/api/rate-limits). Credits are shared by a
        main account and its subaccounts: give clients of one account one shared throttle."""
        return RateLimit(capacity=self._credits(), window_s=CREDIT_WINDOW_S, source=DOC_RATE_LIMITS_URL)

    def _credits(self) -> float:
        credits = self.config.rate_limit_credits
        if credits is None:
            credits = CREDITS_WITH_API_KEY if self._api_key else CREDITS_PER_IP
        return credits

    def _history_cost(self) -> float:
        # The heavy read: 12 credits, 4 with a config key (CCXT weights; the upper bound of the docs).
        return HISTORY_COST_WITH_API_KEY if self._api_key else HISTORY_COST

    def history_search_max_pages(self) -> int:
        """How many ``GET /api/v1/orders/history`` pages one client-order-id search may read: the
        search budget (config ``history_search_max_credits``, default a quarter of the credit
        budget) over the cost of a page, at least 1 and at most 20."""
        budget = self.config.history_search_max_credits
        if budget is None:
            budget = self._credits() * HISTORY_SEARCH_BUDGET_SHARE
        return max(1, min(HISTORY_MAX_PAGES, math.floor(budget / self._history_cost())))

    # -- placement ------------------------------------------------------------

    def check_order(self, order: AnyStopOrder) -> None:
        """Capabilities, then Pacifica's rules: a full-UUID client order id, a USDC-perp or
        native symbol, ASCII-only signed values (all before any I/O). The market's tick, lot
        and minimum size need ``GET /api/v1/info`` and are checked by :meth:`place_flow`.

        Raises:
            UnsupportedOrder: INDEX_PRICE trigger, a time in force other than GTC, a spot symbol.
            InvalidOrder: a non-UUID client order id, a malformed symbol, ``quantity=None`` without CLOSE.
        """
        super().check_order(order)
        translate.validate_client_order_id(order.client_order_id)
        translate.native_symbol(order.symbol)

    def build_place_request(self, order: AnyStopOrder, ctx: RequestContext) -> HttpRequest:
        """The signed ``POST /api/v1/orders/stop/create`` (see :func:`translate.build_place_request`).

        Built without I/O, so without the market's tick, lot and minimum-size check that
        :meth:`place_flow` makes first (see :attr:`preview_notes`).
        """
        self.check_order(order)
        return translate.build_place_request(order, ctx, keys=self.keys, config=self.config, api_key=self._api_key)

    @property
    def preview_notes(self) -> tuple[str, ...]:
        """What ``stopkit preview`` (built without I/O) does not check: the market's tick, lot and
        minimum size, which placing checks first against ``GET /api/v1/info`` (config
        ``check_market_rules``); empty when that check is off."""
        if not self.config.check_market_rules:
            return ()
        return (
            f"{VENUE_NAME}: not checked against the market's tick_size, lot_size, min_tick/max_tick and "
            "min_order_size (that needs GET /api/v1/info); placing checks them before sending "
            "(config check_market_rules)",
        )

    def parse_place_response(self, order: AnyStopOrder, response: HttpResponse) -> OrderState:
        """ACCEPTED with the venue's ``order_id`` (see :func:`parse.parse_place_response`)."""
        return parse.parse_place_response(order, response)

    def classify_error(self, response: HttpResponse, *, writes: bool = False) -> RemoteError:
        """See :func:`parse.classify_error`."""
        return parse.classify_error(response, writes=writes)

    def _market_info_exchange(self) -> Exchange[Mapping[str, Mapping[str, Any]]]:
        # GET /api/v1/info, cached per client for market_info_ttl_s (one fetch in flight at a time).
        return Exchange(
            build=lambda ctx: translate.build_market_info_request(config=self.config, api_key=self._api_key),
            parse=parse.parse_market_info,
            authenticated=False,
            label="market_info",
            cost=MARKET_INFO_COST,
            cache_key=f"{MARKET_INFO_CACHE_KEY}:{self.config.base_url}",
            cache_ttl_s=self.config.market_info_ttl_s,
        )

    def _place_exchange(self, order: AnyStopOrder) -> Exchange[OrderState]:
        return Exchange(
            build=functools.partial(self.build_place_request, order),
            parse=functools.partial(self.parse_place_response, order),
            writes=True,
            authenticated=False,
            label="place",
        )

    def place_flow(self, order: AnyStopOrder) -> Flow[OrderState]:
        """Place a stop: first (config ``check_market_rules``, default on) check it against the
        market's rules from ``GET /api/v1/info`` (cached per client for ``market_info_ttl_s``),
        then the signed ``POST /api/v1/orders/stop/create``.

        Raises:
            InvalidOrder: the stop does not fit its market (``symbol``, ``stop_price``,
                ``limit_price`` or ``quantity`` named, with the nearest valid values), before
                the order is sent; see :func:`stopkit_venues.pacifica.rules.check_market_rules`.
        """
        if self.config.check_market_rules:
            markets: Mapping[str, Mapping[str, Any]] = yield self._market_info_exchange()
            rules.check_market_rules(order, markets)
        state: OrderState = yield self._place_exchange(order)
        return state

    def markets_flow(self, symbols: tuple[str, ...] | None = None) -> Flow[Markets]:
        """The USDC perpetuals of ``GET /api/v1/info`` (public, 1 credit; cached per client for
        ``market_info_ttl_s``, the same answer :meth:`place_flow` checks stops against), as
        :class:`~stopkit.plugin.Markets`: tick and lot size, ``min_tick``/``max_tick`` as the price
        bounds, ``min_order_size`` (USD) as the minimum notional; see
        :func:`stopkit_venues.pacifica.rules.markets_from_info`.
        """
        rows: Mapping[str, Mapping[str, Any]] = yield self._market_info_exchange()
        return rules.markets_from_info(rows, symbols)

    # -- reads ----------------------------------------------------------------

    def _open_orders_exchange(self) -> Exchange[list[Mapping[str, Any]]]:
        return Exchange(
            build=lambda ctx: translate.build_open_orders_request(
                account=self.account, config=self.config, api_key=self._api_key
            ),
            parse=parse.parse_open_orders,
            authenticated=False,
            label="open_orders",
            cost=OPEN_ORDERS_COST,
        )

    def _history_by_id_exchange(self, order_id: int) -> Exchange[OrderState | None]:
        return Exchange(
            build=lambda ctx: translate.build_history_by_id_request(
                order_id=order_id, config=self.config, api_key=self._api_key
            ),
            parse=parse.parse_history_by_id,
            authenticated=False,
            label="history_by_id",
            cost=HISTORY_BY_ID_COST,
        )

    def _history_exchange(self, cursor: str | None) -> Exchange[parse.HistoryPage]:
        return Exchange(
            build=lambda ctx: translate.build_history_request(
                account=self.account,
                limit=HISTORY_PAGE_LIMIT,
                cursor=cursor,
                config=self.config,
                api_key=self._api_key,
            ),
            parse=parse.parse_history_page,
            authenticated=False,
            label="history",
            cost=self._history_cost(),
        )

    def get_flow(self, ref: OrderRef) -> Flow[OrderState]:
        """Read one stop back, by venue order id (preferred) or client order id.

        1. ``GET /api/v1/orders?account=`` (1 credit): an open stop row → ACCEPTED ``open``.
        2. Else the order's events, ``GET /api/v1/orders/history_by_id?order_id=`` (1 credit; the
           newest decides, see :func:`parse.parse_history_by_id`). By client order id only, the
           ``order_id`` comes from the open row (a triggered stop shows its released type there)
           or from ``GET /api/v1/orders/history`` pages (12 credits each, 4 with a key; at most
           :meth:`history_search_max_pages` pages); with no events, the history row itself is the answer.

        Raises:
            InvalidOrder: a non-integer venue order id.
            OrderNotFound: no trace of the order, or the order is not a stop (a plain limit or
                market order).
        """
        order_id = translate.parse_venue_order_id(ref.venue_order_id) if ref.venue_order_id else None
        state, _complete = yield from self._lookup(order_id, ref.client_order_id, not_before_ms=None)
        if state is None:
            raise self._not_found(ref)
        if not state.kind.is_stop:
            raise OrderNotFound(
                f"{VENUE_NAME}: order {state.venue_order_id} is a {state.kind.value} order, not a stop order",
                venue=VENUE_NAME,
            )
        return state

    def _lookup(
        self, order_id: int | None, client_order_id: str | None, *, not_before_ms: int | None
    ) -> Flow[tuple[OrderState | None, bool]]:
        # (state, complete): open orders, then (order id known) history_by_id, else history pages
        # for the client id. `complete` is False when the bounded history search was cut short.
        rows: list[Mapping[str, Any]] = yield self._open_orders_exchange()
        wanted_client_id = None if order_id is not None else client_order_id
        match = next((row for row in rows if _matches(row, order_id, wanted_client_id)), None)
        if match is not None and parse.is_stop_row(match):
            return parse.parse_open_order_row(match), True
        if match is not None and order_id is None:
            order_id = translate.parse_venue_order_id(parse.row_order_id(match))
        history_row: Mapping[str, Any] | None = None
        if order_id is None:
            if client_order_id is None:
                return None, True
            search: _Search = yield from self._find_in_history(client_order_id, not_before_ms=not_before_ms)
            if search.row is None:
                return None, search.complete
            history_row = search.row
            order_id = translate.parse_venue_order_id(parse.row_order_id(history_row))
        state: OrderState | None = yield self._history_by_id_exchange(order_id)
        if state is not None:
            return state, True
        return (None if history_row is None else parse.parse_history_row(history_row)), True

    def _find_in_history(self, client_order_id: str, *, not_before_ms: int | None) -> Flow[_Search]:
        # Pages through order history for the row carrying client_order_id, at most
        # history_search_max_pages pages. Nothing documents the order of the rows (the MCP server
        # says oldest first), so it is read from the created_at times: newest first, the search
        # stops at a row created before not_before_ms (Unix ms), since every later row is older;
        # oldest first (or undecided), it can only stop at the end of the history.
        cursor: str | None = None
        direction = 0
        last_ms: int | None = None
        for _ in range(self.history_search_max_pages()):
            page: parse.HistoryPage = yield self._history_exchange(cursor)
            for row in page.rows:
                if row.get("client_order_id") == client_order_id:
                    return _Search(row, True)
            times = [ms for ms in (_created_ms(row) for row in page.rows) if ms is not None]
            direction = direction or _direction(([last_ms] if last_ms is not None else []) + times)
            last_ms = times[-1] if times else last_ms
            if direction == _NEWEST_FIRST and not_before_ms is not None and any(ms < not_before_ms for ms in times):
                return _Search(None, True)
            if not page.has_more or page.next_cursor is None:
                return _Search(None, True)
            cursor = page.next_cursor
        return _Search(None, False)

    def reconcile_flow(self, order: AnyStopOrder, *, sent_at_ms: int) -> Flow[OrderState | None] | None:
        """After a placement whose outcome is unknown (a timeout, a dropped connection, a 5xx),
        look the order up by its client order id (which every placement carries and Pacifica
        stores): open orders, then order history (rows created after ``sent_at_ms`` less the
        signature window and a minute of clock skew; a bounded search, see
        :meth:`history_search_max_pages`), then its events.

        The flow returns the state, or ``None`` when the order is not found, or when the order
        carrying the client order id differs in symbol, side, kind, stop price or quantity (so it
        is not this order): the client then reports the outcome as unknown.

        Only with config ``resend_after_unknown`` (default off: no source says the venue refuses a
        client order id reused after the first order filled or was cancelled), a complete search
        that finds nothing is followed by one resend of the same order (same client order id, fresh
        signature); a refusal as a duplicate proves the first landed (it is read back).
        """
        not_before_ms = sent_at_ms - self.config.expiry_window_ms - _CLOCK_SKEW_MS
        return self._reconcile(order, not_before_ms)

    def _reconcile(self, order: AnyStopOrder, not_before_ms: int) -> Flow[OrderState | None]:
        # Look up; with resend_after_unknown, after a complete search that found nothing, resend the
        # same order (same client order id). A resend whose own outcome is unknown starts another
        # round, at most RECONCILE_ROUNDS in all; then the unknown outcome stands.
        last_error: StopkitError | None = None
        for _round in range(RECONCILE_ROUNDS):
            state, complete = yield from self._lookup(None, order.client_order_id, not_before_ms=not_before_ms)
            if state is not None:
                return state if _same_order(state, order) else None
            if not self.config.resend_after_unknown or not complete:
                return None
            try:
                placed: OrderState = yield self._place_exchange(order)
            except DuplicateClientOrderId:
                continue  # it had landed: the next round reads it back
            except StopkitError as exc:
                if exc.outcome_known:
                    raise
                last_error = exc
                continue
            return placed
        if last_error is not None:
            raise last_error
        return None

    def _not_found(self, ref: OrderRef) -> OrderNotFound:
        which = f"order_id={ref.venue_order_id}" if ref.venue_order_id else f"client_order_id={ref.client_order_id}"
        return OrderNotFound(
            f"{VENUE_NAME}: no stop order with {which} in open orders or order history", venue=VENUE_NAME
        )

    def open_orders_flow(self, symbol: str | None = None) -> Flow[list[OrderState]]:
        """The account's open stop orders (``GET /api/v1/orders``, stop ``order_type`` rows only),
        optionally of one symbol (unified or native). A stop row that cannot be read (an
        undocumented side, a malformed number) is logged and left out, never raised."""
        wanted = translate.native_symbol(symbol) if symbol is not None else None
        rows: list[Mapping[str, Any]] = yield self._open_orders_exchange()
        states: list[OrderState] = []
        for row in rows:
            if not parse.is_stop_row(row) or (wanted is not None and row.get("symbol") != wanted):
                continue
            try:
                states.append(parse.parse_open_order_row(row))
            except StopkitError as exc:
                log.warning("%s: open stop order row left out: %s: %r", VENUE_NAME, exc, dict(row))
        return states

    # -- live order updates ---------------------------------------------------

    def stream(self) -> StreamProtocol:
        """The ``account_order_updates`` WebSocket session of :attr:`account` (config ``ws_url``),
        see :mod:`stopkit_venues.pacifica.stream`: stop orders only, unless config ``stream_all_orders``.
        After a reconnect, missed transitions are read back through open orders and each known
        order's events (the default resync)."""
        from stopkit_venues.pacifica.stream import PacificaStream

        return PacificaStream(
            self, ws_url=str(self.config.ws_url), account=self.account, all_orders=self.config.stream_all_orders
        )

    # -- cancel ---------------------------------------------------------------

    def cancel_flow(self, ref: OrderRef) -> Flow[OrderState]:
        """Cancel a stop: signed ``POST /api/v1/orders/stop/cancel`` (op ``cancel_stop_order``)
        with ``order_id`` (JSON integer, preferred) or ``client_order_id``, and ``symbol``.

        After ``{"success": true}`` the order is read back through :meth:`get_flow`, so
        the state returned is the venue's own (normally CANCELED ``cancelled``). If the
        venue's history does not show a terminal status yet, the read-back state is
        returned as PENDING_CANCEL (the venue accepted the cancel; it is in flight).

        Raises:
            InvalidOrder: ``ref.symbol`` is missing (Pacifica keys the cancel by market), or an id is malformed.
            OrderNotFound: the venue does not know the stop (e.g. ``Stop order not found``).
        """
        if not ref.symbol:
            raise InvalidOrder(
                f"{VENUE_NAME}: cancel needs the order's symbol (the cancel-stop-order request requires it)",
                field="symbol",
                venue=VENUE_NAME,
            )
        payload = translate.cancel_payload(
            ref.symbol, venue_order_id=ref.venue_order_id, client_order_id=ref.client_order_id
        )
        yield Exchange(
            build=functools.partial(
                translate.build_cancel_request, payload, keys=self.keys, config=self.config, api_key=self._api_key
            ),
            parse=parse.parse_cancel_response,
            writes=True,
            authenticated=False,
            label="cancel",
            cost=CANCEL_COST,
        )
        state: OrderState = yield from self.get_flow(ref)
        if not state.status.is_terminal:
            return _evolve_status(state, OrderStatus.PENDING_CANCEL)
        return state


def _matches(row: Mapping[str, Any], order_id: int | None, client_order_id: str | None) -> bool:
    # Does an open-orders row carry the wanted id (order ids may arrive as int or string)?
    if order_id is not None:
        return str(row.get("order_id")) == str(order_id)
    return client_order_id is not None and row.get("client_order_id") == client_order_id


def _created_ms(row: Mapping[str, Any]) -> int | None:
    # A history row's created_at (Unix ms, integer or digit string), or None when unreadable.
    created = row.get("created_at")
    if isinstance(created, bool) or not isinstance(created, int | str):
        return None
    try:
        return int(created)
    except ValueError:
        return None


def _direction(times: list[int]) -> int:
    # _OLDEST_FIRST / _NEWEST_FIRST when the times are ordered and not all equal, else 0 (undecided).
    if len(set(times)) < 2:
        return 0
    if times == sorted(times):
        return _OLDEST_FIRST
    if times == sorted(times, reverse=True):
        return _NEWEST_FIRST
    return 0


def _same_order(state: OrderState, order: AnyStopOrder) -> bool:
    # Does the found state describe `order` (same market, side, kind, trigger and, when both say, size)?
    if (state.symbol, state.side, state.kind, state.stop_price) != (
        translate.native_symbol(order.symbol),
        order.side,
        order.kind,
        order.stop_price,
    ):
        return False
    return state.quantity is None or order.quantity is None or state.quantity == order.quantity


def _evolve_status(state: OrderState, status: OrderStatus) -> OrderState:
    return attrs.evolve(state, status=status)


class PacificaAdapter(VenueAdapter):
    """Pacifica perpetuals: Ed25519-signed JSON bodies, stops by ``POST /api/v1/orders/stop/create``.

    Environment: ``PACIFICA_PRIVATE_KEY`` (required, secret), ``PACIFICA_ACCOUNT``
    (when the key is an agent wallet's), ``PACIFICA_API_KEY`` (optional, secret).
    Config: see :class:`~stopkit_venues.pacifica.config.PacificaConfig`.
    """

    name = VENUE_NAME
    title = TITLE
    doc_url = DOC_URL
    refusals = REFUSALS
    capabilities = CAPABILITIES
    env_vars = (
        EnvVar(
            ENV_PRIVATE_KEY,
            "the signing key: base58 64-byte Solana secret key, base58/hex 32-byte seed, or a Solana keypair "
            "JSON file path (the account's own key or a bound agent wallet's)",
            required=True,
            secret=True,
        ),
        EnvVar(
            ENV_ACCOUNT,
            "the main account or subaccount public key (base58) when the key is an agent wallet's; "
            "defaults to the key's own public key",
        ),
        EnvVar(ENV_API_KEY, "optional PF-API-KEY header value (raises rate limits only)", secret=True),
    )

    def bind(self, credentials: Credentials, config: Mapping[str, Any] | None = None) -> PacificaVenue:
        """Decode the key once and parse the config.

        Raises:
            ConfigurationError: missing/malformed ``PACIFICA_PRIVATE_KEY`` or
                ``PACIFICA_ACCOUNT`` (never echoed), or bad config.
        """
        parsed = parse_config(config)
        private_key = credentials.require(ENV_PRIVATE_KEY, hint="base58 Solana secret key, seed, or keypair file")
        keys = PacificaKeys.from_credentials(
            private_key, credentials.get(ENV_ACCOUNT), key_name=ENV_PRIVATE_KEY, account_name=ENV_ACCOUNT
        )
        return PacificaVenue(self, keys=keys, config=parsed, api_key=credentials.get(ENV_API_KEY))

    def simulator(self) -> Simulator:
        """A fresh :class:`~stopkit_venues.pacifica.simulator.PacificaSimulator` (imports aiohttp)."""
        from stopkit_venues.pacifica.simulator import PacificaSimulator

        return PacificaSimulator()
