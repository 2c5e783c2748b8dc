"""The Pacifica adapter: :class:`PacificaAdapter` (registered as ``pacifica``) and
:class:`PacificaVenue` (bound to keys and config; every method pure).

Docs: https://docs.pacifica.fi/api-documentation/api/rest-api/orders/create-stop-order
and the venue sheet ``venues/pacifica.md``.
"""

from __future__ import annotations

import functools
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
from venues.pacifica import parse, translate
from venues.pacifica.auth import PacificaKeys
from venues.pacifica.config import PacificaConfig, parse_config
from venues.pacifica.constants import (
    CANCEL_COST,
    CREDIT_WINDOW_S,
    CREDITS_PER_IP,
    CREDITS_WITH_API_KEY,
    DOC_RATE_LIMITS_URL,
    DOC_URL,
    ENV_ACCOUNT,
    ENV_API_KEY,
    ENV_PRIVATE_KEY,
    HISTORY_MAX_PAGES,
    HISTORY_PAGE_LIMIT,
    TITLE,
    VENUE_NAME,
)
from venues.pacifica.refusals import REFUSALS

__all__ = ["PacificaAdapter", "PacificaVenue"]

# Reconciliation searches history back to the first send less the signature window and this much clock skew.
_CLOCK_SKEW_MS = 60_000
# Look-up-then-resend rounds after an unknown placement outcome (each resend is safe: see _reconcile).
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
        "(stop_order.trigger_price_type, sheet §4)",
        "time_in_force": "the create-stop-order request has no time-in-force field; a stop rests until "
        "triggered or cancelled (GTC only, sheet §4)",
    },
)


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
        credits = self.config.rate_limit_credits
        if credits is None:
            credits = CREDITS_WITH_API_KEY if self._api_key else CREDITS_PER_IP
        return RateLimit(capacity=credits, window_s=CREDIT_WINDOW_S, source=DOC_RATE_LIMITS_URL)

    def _read_cost(self) -> float:
        # Heavy GETs cost 3 credits, 1 with a config key (the rate-limits page gives 3-12 / 1-3;
        # the lower bound is taken: the venue's own 429 and headers remain the authority).
        return 1.0 if self._api_key else 3.0

    # -- placement ------------------------------------------------------------

    def check_order(self, order: AnyStopOrder) -> None:
        """Capabilities, then Pacifica's rules: a full-UUID client order id, a USDC-perp or
        native symbol, ASCII-only signed values (all before any I/O).

        Raises:
            UnsupportedOrder: INDEX_PRICE trigger, a time in force other than GTC, a spot symbol.
            InvalidOrder: a non-UUID client order id, a malformed symbol, ``quantity=None`` without CLOSE.
        """
        super().check_order(order)
        translate.validate_client_order_id(order.client_order_id)
        translate.native_symbol(order.symbol)

    def build_place_request(self, order: AnyStopOrder, ctx: RequestContext) -> HttpRequest:
        """The signed ``POST /api/v1/orders/stop/create`` (see :func:`translate.build_place_request`)."""
        self.check_order(order)
        return translate.build_place_request(order, ctx, keys=self.keys, config=self.config, api_key=self._api_key)

    def parse_place_response(self, order: AnyStopOrder, response: HttpResponse) -> OrderState:
        """ACCEPTED with the venue's ``order_id`` (see :func:`parse.parse_place_response`)."""
        return parse.parse_place_response(order, response)

    def classify_error(self, response: HttpResponse, *, writes: bool = False) -> RemoteError:
        """See :func:`parse.classify_error`."""
        return parse.classify_error(response, writes=writes)

    # -- reads ----------------------------------------------------------------

    def _open_orders_exchange(self) -> Exchange[list[Mapping[str, Any]]]:
        return Exchange(
            build=lambda ctx: translate.build_open_orders_request(
                account=self.account, config=self.config, api_key=self._api_key
            ),
            parse=parse.parse_open_orders,
            authenticated=False,
            label="open_orders",
            cost=self._read_cost(),
        )

    def _history_by_id_exchange(self, order_id: int) -> Exchange[OrderState | None]:
        return Exchange(
            build=lambda ctx: translate.build_history_by_id_request(
                order_id=order_id, config=self.config, api_key=self._api_key
            ),
            parse=parse.parse_history_by_id,
            authenticated=False,
            label="history_by_id",
            cost=self._read_cost(),
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
            cost=self._read_cost(),
        )

    def get_flow(self, ref: OrderRef) -> Flow[OrderState]:
        """Read one stop back, by venue order id (preferred) or client order id.

        1. ``GET /api/v1/orders?account=``: an open stop row → ACCEPTED ``open`` (no more requests).
        2. Else the order's events, ``GET /api/v1/orders/history_by_id?order_id=`` (the newest
           decides, see :func:`parse.parse_history_by_id`). By client order id only, the
           ``order_id`` comes from the open row (a triggered stop shows its released type there)
           or from ``GET /api/v1/orders/history`` pages (at most 20 pages of 100 rows); with no
           events, the history row itself is the answer.

        Raises:
            InvalidOrder: a non-integer venue order id.
            OrderNotFound: no trace of the order.
        """
        order_id = translate.parse_venue_order_id(ref.venue_order_id) if ref.venue_order_id else None
        state: OrderState | None = yield from self._lookup(order_id, ref.client_order_id, not_before_ms=None)
        if state is None:
            raise self._not_found(ref)
        return state

    def _lookup(
        self, order_id: int | None, client_order_id: str | None, *, not_before_ms: int | None
    ) -> Flow[OrderState | None]:
        # Open orders, then (order id known) history_by_id, else history pages for the client id.
        rows: list[Mapping[str, Any]] = yield self._open_orders_exchange()
        wanted_client_id = None if order_id is not None else client_order_id
        match = next((row for row in rows if _matches(row, order_id, wanted_client_id)), None)
        if match is not None and parse.is_stop_row(match):
            return parse.parse_open_order_row(match)
        if match is not None and order_id is None:
            order_id = translate.parse_venue_order_id(str(parse.row_order_id(match)))
        history_row: Mapping[str, Any] | None = None
        if order_id is None:
            if client_order_id is None:
                return None
            history_row = yield from self._find_in_history(client_order_id, not_before_ms=not_before_ms)
            if history_row is None:
                return None
            order_id = translate.parse_venue_order_id(str(parse.row_order_id(history_row)))
        state: OrderState | None = yield self._history_by_id_exchange(order_id)
        if state is not None:
            return state
        return None if history_row is None else parse.parse_history_row(history_row)

    def _find_in_history(self, client_order_id: str, *, not_before_ms: int | None) -> Flow[Mapping[str, Any] | None]:
        # Pages through order history (newest first) for the row carrying client_order_id; stops at
        # HISTORY_MAX_PAGES, or once a page reaches rows created before not_before_ms (Unix ms).
        cursor: str | None = None
        for _ in range(HISTORY_MAX_PAGES):
            page: parse.HistoryPage = yield self._history_exchange(cursor)
            for row in page.rows:
                if row.get("client_order_id") == client_order_id:
                    return row
            if not_before_ms is not None and any(_created_before(row, not_before_ms) for row in page.rows):
                return None
            if not page.has_more or page.next_cursor is None:
                return None
            cursor = page.next_cursor
        return None

    def reconcile_flow(self, order: AnyStopOrder, *, sent_at_ms: int) -> Flow[OrderState | None] | None:
        """After a placement whose outcome is unknown (a timeout, a dropped connection, a 5xx),
        look the order up by its client order id (which every placement carries): open orders,
        then order history (only rows created after ``sent_at_ms`` less the signature window and
        a minute of clock skew), then its events.

        When no order carries the client order id, the same order is sent once more (config
        ``resend_after_unknown``, default on): the venue refuses a reused client order id, so
        the resend either places the order that never landed, or is refused as a duplicate,
        proving it landed (it is then read back). Never two orders.

        The flow returns the state, or ``None`` when the order is not found (resend off, or
        refused as a duplicate but not found), or when the order carrying the client order id
        differs in symbol, side, kind, stop price or quantity (so it is not this order).
        """
        not_before_ms = sent_at_ms - self.config.expiry_window_ms - _CLOCK_SKEW_MS
        return self._reconcile(order, not_before_ms)

    def _reconcile(self, order: AnyStopOrder, not_before_ms: int) -> Flow[OrderState | None]:
        # Look up; if absent, resend the same order (same client order id, fresh signature).
        # Pacifica refuses a second order with a client order id it has seen (422 code 36, sheet
        # §7.10), so a resend cannot make a second order: a success means the first never landed;
        # DuplicateClientOrderId means it did (read it back). A resend whose own outcome is unknown
        # starts another round, at most RECONCILE_ROUNDS in all; then the unknown outcome stands.
        last_error: StopkitError | None = None
        for _round in range(RECONCILE_ROUNDS):
            state: OrderState | None = yield from self._lookup(None, order.client_order_id, not_before_ms=not_before_ms)
            if state is not None:
                return state if _same_order(state, order) else None
            if not self.config.resend_after_unknown:
                return None
            try:
                placed: OrderState = yield Exchange(
                    build=functools.partial(self.build_place_request, order),
                    parse=functools.partial(self.parse_place_response, order),
                    writes=True,
                    authenticated=False,
                    label="place (resend after an unknown outcome)",
                )
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
        optionally of one symbol (unified or native)."""
        wanted = translate.native_symbol(symbol) if symbol is not None else None
        rows: list[Mapping[str, Any]] = yield self._open_orders_exchange()
        return [
            parse.parse_open_order_row(row)
            for row in rows
            if parse.is_stop_row(row) and (wanted is None or row.get("symbol") == wanted)
        ]

    # -- live order updates ---------------------------------------------------

    def stream(self) -> StreamProtocol:
        """The ``account_order_updates`` WebSocket session of :attr:`account` (config ``ws_url``),
        see :mod:`venues.pacifica.stream`. After a reconnect, missed transitions are read back
        through open orders and each known order's events (the default resync)."""
        from venues.pacifica.stream import PacificaStream

        return PacificaStream(self, ws_url=str(self.config.ws_url), account=self.account)

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


def _created_before(row: Mapping[str, Any], ms: int) -> bool:
    # Was this history row's order created before `ms` (Unix ms)? Unreadable times count as "no".
    created = row.get("created_at")
    if isinstance(created, bool) or not isinstance(created, int | str):
        return False
    try:
        return int(created) < ms
    except ValueError:
        return False


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
    Config: see :class:`~venues.pacifica.config.PacificaConfig`.
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
        """A fresh :class:`~venues.pacifica.simulator.PacificaSimulator` (imports aiohttp)."""
        from venues.pacifica.simulator import PacificaSimulator

        return PacificaSimulator()
