"""The Aries venue adapter: config, credentials, order checks and flows (pure).

Aries (finance.dev) is a US equities broker with an OAuth2-bearer REST API
(https://finance.dev/api-reference; official SDK ``finance-dev`` 0.9.0). What this adapter
does, and why (every wire fact's source is in the evidence ledger of ``docs/venues/aries.md``):

- **Auth**: a static ``ARIES_ACCESS_TOKEN``, and/or ``ARIES_CLIENT_ID`` + ``ARIES_CLIENT_SECRET``
  for the ``client_credentials`` grant as the SDK sends it (form body with ``scope``), the
  ``refresh_token`` grant with the refresh token a grant returned (or ``ARIES_REFRESH_TOKEN``);
  see :meth:`AriesBoundVenue.token_exchange`. ``ARIES_ACCOUNT_ID`` (the ``tradingAccountId``) is required.
- **Place** ``POST /v1/orders`` (type STOP / STOP_LIMIT). The ack's ``clOrdId`` is the venue
  order id. Aries stores no client order id (``clientId`` is the OAuth application), so ours
  is kept by this client only (:class:`~stopkit_venues.aries.memory.OrderMemory`).
- **No duplicates**: there is no idempotency key, so a placement whose outcome is unknown is
  never resent; :meth:`AriesBoundVenue.reconcile_flow` lists the active orders with the same
  terms placed since, and the core claims one only when it is unambiguous.
- **Read back**: there is no get-by-id endpoint. The active list (open orders plus today's
  finished ones) is searched, then the history, which is filtered by creation time: from the
  order's creation when this client saw it, else ``history_lookback_days`` back, paged and
  bounded by ``history_max_pages``. ``clOrdId`` matches follow the replace chain
  (``origClOrdId``). By ``client_order_id``: only orders this client placed or read.
- **Cancel** ``POST /v1/orders/cancel`` and **modify** ``POST /v1/orders/replace`` look the
  order up first (they need its newest ``clOrdId``, symbol, side and security type).
- **Triggers are invisible**: NEW stays ACCEPTED, meaning "armed or triggered
  (indistinguishable)", until fills show up; ``reports_trigger=False``.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Callable, Mapping
from decimal import ROUND_CEILING, ROUND_FLOOR, Decimal
from typing import Any

import attrs

from stopkit.plugin import (
    AccessToken,
    Amendment,
    AnyStopOrder,
    BoundVenue,
    Candidates,
    Capabilities,
    ConfigurationError,
    Credentials,
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
    ResponseShapeError,
    Simulator,
    StopLimitOrder,
    StreamProtocol,
    TimeInForce,
    TokenGrant,
    TriggerType,
    UnsupportedOrder,
    VenueAdapter,
    format_decimal,
    structure_config,
)
from stopkit_venues.aries import auth, parse, translate
from stopkit_venues.aries.constants import (
    ACCOUNT_ID_MAX_LEN,
    CHAIN_FIELD,
    DEFAULT_REQUESTS_PER_S,
    DEFAULT_TOKEN_SCOPE,
    DOC_URL,
    ENV_ACCESS_TOKEN,
    ENV_ACCOUNT_ID,
    ENV_CLIENT_ID,
    ENV_CLIENT_SECRET,
    ENV_REFRESH_TOKEN,
    HISTORY_MARGIN_MS,
    HISTORY_MAX_DAYS,
    LIVE_BASE_URL,
    MAX_DECIMALS,
    MAX_PAGES,
    RECONCILE_SKEW_MS,
    SDK_URL,
    SYMBOL_MAX_LEN,
    VENUE_NAME,
    WS_PATH,
)
from stopkit_venues.aries.mapping import KIND_TO_TYPE, SIDE_TO_VENUE
from stopkit_venues.aries.memory import KnownOrder, OrderMemory
from stopkit_venues.aries.refusals import REFUSALS

__all__ = ["AriesAdapter", "AriesBoundVenue", "AriesConfig"]


def _base_url(value: object) -> str:
    # Strip trailing slashes; validated by _check_base_url.
    if not isinstance(value, str):
        raise ValueError(f"base_url must be a string, got {type(value).__name__}")
    return value.strip().rstrip("/")


def _check_ws_url(_instance: object, _attribute: object, value: str) -> None:
    # An absolute ws(s) URL.
    if not re.fullmatch(r"wss?://[^\s/?#]+(/[^\s#]*)?", value):
        raise ValueError(f"ws_url must be an absolute ws(s) URL, got {value!r}")


def _check_base_url(_instance: object, _attribute: object, value: str) -> None:
    # An absolute http(s) URL without query or fragment.
    if not re.fullmatch(r"https?://[^\s/?#]+(/[^\s?#]*)?", value):
        raise ValueError(f"base_url must be an absolute http(s) URL, got {value!r}")


_DAY_MS = 86_400_000


def _check_scope(_instance: object, _attribute: object, value: str) -> None:
    # Space-separated OAuth scope names (printable ASCII, no quotes or backslashes).
    if not re.fullmatch(r"[\x21\x23-\x5b\x5d-\x7e]+( [\x21\x23-\x5b\x5d-\x7e]+)*", value):
        raise ValueError(f"token_scope must be space-separated scope names, got {value!r}")


@attrs.frozen(kw_only=True)
class AriesConfig:
    """Aries venue config (``--venue-config KEY=VALUE``). Sources: ``docs/venues/aries.md`` (ledger).

    Fields:
        base_url: REST root, default ``https://api.aries.com`` (the only documented host;
            paper trading uses ``is_sim`` accounts on the same host).
        token_encoding: ``"form"`` (default: ``application/x-www-form-urlencoded``, as the SDK's
            ``_hooks/clientcredentials.py`` sends it) or ``"json"`` (the oauth2/token docs page's body).
        token_scope: the ``scope`` of the ``client_credentials`` request, space-separated (default
            ``"order:execution order:information"``: the SDK asks for ``order:execution`` on
            place/cancel/replace and ``order:information`` on the order lists, and one stopkit token
            serves both; ``""`` sends no scope).
        fractional_shares: allow a fractional ``qty`` (default ``False``: whole shares, an assumption).
        extended_hours: send DAY orders as ``EXTENDED_HOURS`` ("Active during pre-market and
            after-hours trading sessions in addition to regular hours", SDK ``TimeInForceEnum``);
            default ``False``.
        history_lookback_days: how far back (1-90 days) the history is searched for an order whose
            creation this client did not see (default 90: the venue's largest window, and GTC
            orders "may cap at 60-90 days"). An order this client placed is searched from its
            creation time instead.
        history_max_pages: at most this many history pages (500 orders each) per lookup (1-100,
            default 20): a lookup is bounded in requests.
        initial_grant: how to start from the credentials (the first token, and the retry after
            a refused refresh): ``"client_credentials"`` (default) or ``"refresh_token"`` (with
            ``ARIES_REFRESH_TOKEN``, for clients that may only use authorization code/PKCE).
        reconcile_clock_skew_ms: after an unknown placement outcome, orders created up to this
            many ms before the first send still count as candidates (0-600000, default 5000:
            createdAt has second precision and clocks drift).
        requests_per_s: client-side request budget (default 5/s). Aries documents no rate
            limits (an assumption with this setting).
        ws_url: the account-updates WebSocket; default ``base_url`` with ``ws(s)://`` and
            ``/v1/accounts/ws`` (``wss://api.aries.com/v1/accounts/ws`` live).
    """

    base_url: str = attrs.field(default=LIVE_BASE_URL, converter=_base_url, validator=_check_base_url)
    token_encoding: str = attrs.field(default="form", validator=attrs.validators.in_(("json", "form")))
    token_scope: str = attrs.field(
        default=DEFAULT_TOKEN_SCOPE,
        validator=attrs.validators.or_(attrs.validators.in_(("",)), _check_scope),
    )
    fractional_shares: bool = False
    extended_hours: bool = False
    history_lookback_days: int = attrs.field(
        default=HISTORY_MAX_DAYS, validator=[attrs.validators.ge(1), attrs.validators.le(HISTORY_MAX_DAYS)]
    )
    history_max_pages: int = attrs.field(default=20, validator=[attrs.validators.ge(1), attrs.validators.le(MAX_PAGES)])
    initial_grant: str = attrs.field(
        default="client_credentials", validator=attrs.validators.in_(("client_credentials", "refresh_token"))
    )
    reconcile_clock_skew_ms: int = attrs.field(
        default=RECONCILE_SKEW_MS, validator=[attrs.validators.ge(0), attrs.validators.le(600_000)]
    )
    requests_per_s: float = attrs.field(default=DEFAULT_REQUESTS_PER_S, validator=attrs.validators.gt(0))
    ws_url: str | None = attrs.field(default=None, validator=attrs.validators.optional(_check_ws_url))

    @property
    def stream_url(self) -> str:
        """``ws_url``, or the WebSocket beside ``base_url`` (http → ws, https → wss, path ``/v1/accounts/ws``)."""
        if self.ws_url is not None:
            return self.ws_url
        root = self.base_url.replace("http", "ws", 1)
        return root.split("/", 3)[0] + "//" + root.split("/", 3)[2] + WS_PATH


_SYMBOL_RE = re.compile(r"[A-Z][A-Z0-9.\-]*")
_CREDENTIAL_RE = re.compile(r"[\x21-\x7e]+")  # printable ASCII, no spaces (header- and body-safe)


def _decimals(value: Decimal) -> int:
    # Digits after the point in canonical form (145.000 has 0, 0.000001 has 6).
    text = format_decimal(value)
    return len(text.split(".", 1)[1]) if "." in text else 0


def _too_precise(field: str, value: Decimal) -> InvalidOrder:
    # More than MAX_DECIMALS digits after the point: refused, naming the nearest valid values.
    step = Decimal(1).scaleb(-MAX_DECIMALS)
    lower = value.quantize(step, rounding=ROUND_FLOOR)
    upper = value.quantize(step, rounding=ROUND_CEILING)
    valid = " or ".join(format_decimal(v) for v in (lower, upper) if v > 0)
    return InvalidOrder(
        f"{VENUE_NAME}: {field} has more than {MAX_DECIMALS} decimal places: {value}; nearest valid: {valid}"
        f' (SDK finance_dev/orders.py: "Decimal inputs support up to {MAX_DECIMALS} digits after the decimal point")',
        field=field,
        venue=VENUE_NAME,
    )


def _created_ms(state: OrderState) -> int | None:
    # The state's creation time in Unix ms, or None.
    return None if state.created_at is None else int(state.created_at.timestamp() * 1000)


class AriesBoundVenue(BoundVenue):
    """Aries bound to one account's credentials and a config. Pure (no I/O); secrets masked in repr.

    Symbols: uppercase US tickers (``AAPL``, ``BRK.B``); lower-case ASCII input is upper-cased
    (tickers are case-insensitive), so ``aapl`` places ``AAPL``. Options are not supported.

    The bound venue remembers (bounded, in memory) what it has seen of its orders: our client
    order ids, replace chains and creation times (:class:`~stopkit_venues.aries.memory.OrderMemory`),
    because Aries keeps none of the first and hides old chain links from its history.
    """

    def __init__(
        self,
        adapter: VenueAdapter,
        *,
        config: AriesConfig,
        account_id: str,
        access_token: str | None,
        client_id: str | None,
        client_secret: str | None,
        refresh_token: str | None,
    ) -> None:
        super().__init__(adapter)
        self.config = config
        self.account_id = account_id
        self._access_token = access_token
        self._client_id = client_id
        self._client_secret = client_secret
        self._refresh_token = refresh_token
        self.memory = OrderMemory()

    def __repr__(self) -> str:
        return (
            f"AriesBoundVenue(account_id={self.account_id!r}, base_url={self.config.base_url!r}, "
            f"static_token={'yes' if self._access_token else 'no'}, "
            f"client_credentials={'yes' if self._client_secret else 'no'})"
        )

    __str__ = __repr__

    # -- checks ---------------------------------------------------------------

    def native_symbol(self, symbol: str) -> str:
        """The Aries ticker for ``symbol`` (upper-cased). Raises :class:`InvalidOrder` naming ``symbol``."""
        native = symbol.strip().upper() if symbol.isascii() else symbol
        if not (1 <= len(native) <= SYMBOL_MAX_LEN) or not _SYMBOL_RE.fullmatch(native):
            raise InvalidOrder(
                f"{VENUE_NAME}: symbol must be a US equity ticker like AAPL or BRK.B (1-{SYMBOL_MAX_LEN} ASCII"
                f" characters), got {symbol!r}",
                field="symbol",
                venue=VENUE_NAME,
            )
        return native

    @property
    def rate_limit(self) -> RateLimit:
        """``requests_per_s`` (config; default 5/s: Aries documents no limits)."""
        return RateLimit.per_second(self.config.requests_per_s, source="configured (Aries documents no limit)")

    def check_order(self, order: AnyStopOrder) -> None:
        """Capabilities, then Aries' rules, before any I/O.

        Raises:
            UnsupportedOrder: GTD (no such time in force), GTC with ``extended_hours`` (the
                extended-hours time in force is a one-day session), a non-default trigger type
                (the reference price is undocumented), ``quantity=None`` (no whole-position orders).
            InvalidOrder: bad ticker; ``stop_price``/``limit_price``/``quantity`` with more than
                5 decimal places ("Decimal inputs support up to 5 digits after the decimal point",
                SDK orders.py); a fractional quantity unless ``fractional_shares``.
        """
        super().check_order(order)
        self.native_symbol(order.symbol)
        if self.config.extended_hours and order.time_in_force is not TimeInForce.DAY:
            raise UnsupportedOrder(
                f"{VENUE_NAME}: with extended_hours=true only DAY orders are sent (as EXTENDED_HOURS, a one-session"
                f" time in force); got time_in_force={order.time_in_force.name}",
                feature=f"time_in_force={order.time_in_force.name}",
                venue=VENUE_NAME,
            )
        prices: list[tuple[str, Decimal | None]] = [("stop_price", order.stop_price), ("quantity", order.quantity)]
        if isinstance(order, StopLimitOrder):
            prices.append(("limit_price", order.limit_price))
        for field, value in prices:
            if value is not None and _decimals(value) > MAX_DECIMALS:
                raise _too_precise(field, value)
        if (
            order.quantity is not None
            and not self.config.fractional_shares
            and order.quantity != order.quantity.to_integral_value()
        ):
            raise InvalidOrder(
                f"{VENUE_NAME}: quantity must be whole shares, got {order.quantity}"
                " (set fractional_shares=true if the account allows fractions)",
                field="quantity",
                venue=VENUE_NAME,
            )

    # -- authentication -------------------------------------------------------

    def initial_token(self) -> AccessToken | None:
        """``ARIES_ACCESS_TOKEN`` as a token of unknown expiry, or ``None``."""
        return AccessToken(self._access_token) if self._access_token else None

    def token_exchange(self, previous: AccessToken | None = None) -> Exchange[TokenGrant] | None:
        """``POST /v1/oauth2/token``; ``None`` when no client id + secret are configured (static token only).

        - ``previous`` carries a refresh token (a grant returned one): the ``refresh_token`` grant
          with it (a rotated refresh token is always the newest one).
        - ``previous`` without a refresh token (e.g. the static ``ARIES_ACCESS_TOKEN`` expired or
          was refused): the ``refresh_token`` grant with ``ARIES_REFRESH_TOKEN`` when it is set,
          else as for ``None``.
        - ``None`` = start from the credentials (the first token, and the client's one retry
          after a refused refresh): ``client_credentials`` with ``scope`` = ``token_scope``, form
          encoded by default (SDK ``_hooks/clientcredentials.py``); or, with config
          ``initial_grant=refresh_token``, the ``refresh_token`` grant with ``ARIES_REFRESH_TOKEN``
          (for clients that may only use authorization code/PKCE: "For partner/business clients,
          supply a token obtained through Authorization Code or PKCE", SDK ``websocket/auth.py``).

        The parse never puts the answer body into an error.
        """
        if not (self._client_id and self._client_secret):
            return None
        refresh = previous.refresh_token if previous is not None else None
        # ARIES_REFRESH_TOKEN replaces a token without its own refresh token; from nothing, only
        # when initial_grant says so (else client_credentials, the fallback after a refused refresh).
        if not refresh and (previous is not None or self.config.initial_grant == "refresh_token"):
            refresh = self._refresh_token
        return Exchange(
            build=functools.partial(self._build_token_request, refresh),
            parse=auth.parse_token_response,
            authenticated=False,
            label="token",
        )

    def _build_token_request(self, refresh_token: str | None, _ctx: RequestContext) -> HttpRequest:
        # The token request (the context is unused: the body carries no timestamp).
        if self._client_id is None or self._client_secret is None:  # pragma: no cover - token_exchange checked
            raise ConfigurationError(f"{VENUE_NAME}: no client credentials", venue=VENUE_NAME)
        return auth.build_token_request(
            base_url=self.config.base_url,
            encoding="form" if self.config.token_encoding == "form" else "json",  # noqa: S105  # not a secret
            client_id=self._client_id,
            client_secret=self._client_secret,
            refresh_token=refresh_token,
            scope=self.config.token_scope or None,
        )

    # -- placement ------------------------------------------------------------

    def build_place_request(self, order: AnyStopOrder, ctx: RequestContext) -> HttpRequest:
        """``POST {base_url}/v1/orders`` with the bearer token and the JSON body (see ``translate``).

        Raises:
            InvalidOrder, UnsupportedOrder: as :meth:`check_order`.
        """
        self.check_order(order)
        return translate.build_place_request(
            order,
            ctx,
            base_url=self.config.base_url,
            account_id=self.account_id,
            symbol=self.native_symbol(order.symbol),
            extended_hours=self.config.extended_hours,
        )

    def parse_place_response(self, order: AnyStopOrder, response: HttpResponse) -> OrderState:
        """See :func:`stopkit_venues.aries.parse.parse_place_response`."""
        return parse.parse_place_response(order, response, symbol=self.native_symbol(order.symbol))

    def place_flow(self, order: AnyStopOrder) -> Flow[OrderState]:
        """One write exchange; the placed order (our client order id, its ``clOrdId``, its creation
        time) is remembered for later lookups."""
        state: OrderState = yield from super().place_flow(order)
        self.memory.record(state)
        return state

    def classify_error(self, response: HttpResponse, *, writes: bool = False) -> RemoteError:
        """See :func:`stopkit_venues.aries.parse.classify_error`."""
        return parse.classify_error(response, writes=writes)

    def parse_trade_order(self, row: Mapping[str, Any], *, client_order_id: str | None = None) -> OrderState:
        """See :func:`stopkit_venues.aries.parse.parse_trade_order`."""
        return parse.parse_trade_order(row, client_order_id=client_order_id)

    # -- reads ----------------------------------------------------------------

    def _active_request(self, cursor: int, ctx: RequestContext) -> HttpRequest:
        # One page of the active list.
        return translate.build_active_orders_request(
            ctx, base_url=self.config.base_url, account_id=self.account_id, cursor=cursor
        )

    def _history_request(self, created_ms: int | None, cursor: int, ctx: RequestContext) -> HttpRequest:
        # One page of the history: from the order's creation (minus a margin) when known, else
        # history_lookback_days back; never more than the venue's 90-day window before now.
        now = ctx.now_ms
        floor = now - self.config.history_lookback_days * _DAY_MS
        if created_ms is not None:
            floor = created_ms - HISTORY_MARGIN_MS
        from_ms = max(floor, now - HISTORY_MAX_DAYS * _DAY_MS + 60_000)
        return translate.build_history_request(
            ctx, base_url=self.config.base_url, account_id=self.account_id, cursor=cursor, from_ms=from_ms
        )

    def _pages(
        self,
        build: Callable[[int, RequestContext], HttpRequest],
        label: str,
        max_pages: int,
        until: Callable[[list[Mapping[str, Any]]], bool] | None = None,
    ) -> Flow[list[Mapping[str, Any]]]:
        # Every row of a list, following nextCursor until 0 (or until ``until(rows)`` holds), at most
        # ``max_pages`` requests.
        rows: list[Mapping[str, Any]] = []
        cursor, seen = 0, {0}
        for _ in range(max_pages):
            page: parse.OrdersPage = yield Exchange(
                build=functools.partial(build, cursor),
                parse=parse.parse_orders_page,
                label=label,
            )
            rows.extend(page.rows)
            if page.next_cursor == 0 or (until is not None and until(rows)):
                return rows
            if page.next_cursor in seen:
                raise ResponseShapeError(
                    f"{VENUE_NAME}: nextCursor {page.next_cursor} repeats; stopping", venue=VENUE_NAME
                )
            seen.add(page.next_cursor)
            cursor = page.next_cursor
        raise ResponseShapeError(
            f"{VENUE_NAME}: more than {max_pages} pages of {label}; stopped there (history lookups: history_max_pages)",
            venue=VENUE_NAME,
        )

    def _active_rows(self) -> Flow[list[Mapping[str, Any]]]:
        # Every row of the active list (open orders plus today's finished ones).
        rows: list[Mapping[str, Any]] = yield from self._pages(self._active_request, "list active orders", MAX_PAGES)
        return rows

    def _ids(self, ref: OrderRef) -> tuple[list[str], KnownOrder | None]:
        # The clOrdIds to look for, newest first, and what this client knows of the order.
        # Raises OrderNotFound for a client order id this client never saw (Aries does not store it).
        if ref.venue_order_id:
            known = self.memory.by_venue_order_id(ref.venue_order_id)
            ids = list(reversed(known.chain)) if known is not None else []
            if ref.venue_order_id not in ids:
                ids.append(ref.venue_order_id)
            return ids, known
        known = self.memory.by_client_order_id(str(ref.client_order_id))
        if known is None:
            raise OrderNotFound(
                f"{VENUE_NAME}: Aries stores no client order id, and this client has not placed or read an order"
                f" with client_order_id {ref.client_order_id!r}: look it up by venue_order_id (its clOrdId)",
                venue=VENUE_NAME,
            )
        return list(reversed(known.chain)), known

    @staticmethod
    def _match(rows: list[Mapping[str, Any]], ids: list[str]) -> Mapping[str, Any] | None:
        # The row that is the order now: the first id (newest first) found, chain followed.
        for cl_ord_id in ids:
            row = parse.resolve_chain(rows, cl_ord_id)
            if row is not None:
                return row
        return None

    def _find(self, ref: OrderRef) -> Flow[OrderState]:
        # Search the active list, then the history by creation time; OrderNotFound when neither has it.
        ids, known = self._ids(ref)
        rows = yield from self._active_rows()
        match = self._match(rows, ids)
        if match is None:
            created_ms = known.created_ms if known is not None else None
            history: list[Mapping[str, Any]] = yield from self._pages(
                functools.partial(self._history_request, created_ms),
                "list order history",
                self.config.history_max_pages,
                until=lambda got: self._match(got, ids) is not None,  # newest first: successors come earlier
            )
            match = self._match(history + rows, ids)
        if match is None:
            since = (
                "its creation"
                if known is not None and known.created_ms is not None
                else (f"the last {self.config.history_lookback_days} day(s)")
            )
            which = f"clOrdId {ids[0]!r}" if ref.venue_order_id else f"client_order_id {ref.client_order_id!r}"
            raise OrderNotFound(
                f"{VENUE_NAME}: no order with {which} in the active orders or the history since {since}",
                venue=VENUE_NAME,
            )
        client_order_id = known.client_order_id if known is not None else None
        if client_order_id is None and ref.venue_order_id and ref.client_order_id:
            # The caller pairs the venue id with its client order id (e.g. an order the core
            # reconciled): remember the pair, so that later lookups by client order id work.
            client_order_id = ref.client_order_id
        state = parse.parse_trade_order(match, client_order_id=client_order_id)
        self.memory.record(state)
        return state

    def stream(self) -> StreamProtocol:
        """The account-updates WebSocket session (see :mod:`stopkit_venues.aries.stream`); after a reconnect,
        missed transitions are read back through the active list (the default resync)."""
        from stopkit_venues.aries.stream import AriesStream

        return AriesStream(self, ws_url=self.config.stream_url, account_id=self.account_id)

    def get_flow(self, ref: OrderRef) -> Flow[OrderState]:
        """Find the order in ``GET /v2/accounts/{id}/orders`` (all pages), then in
        ``.../orders/history`` (newest first, all pages up to ``history_max_pages``).

        History is filtered by *creation* time ("Results are ordered and filtered by
        ``order_created_at``", SDK orders.py), so it is searched from the order's creation when
        this client saw it (placed, read or modified it), else ``history_lookback_days`` back: a GTC
        stop created days ago and filled yesterday is found.

        Matches ``clOrdId == venue_order_id`` and follows the replace chain (``origClOrdId``, and
        the chain this client saw) to the order's newest record, so an id from before a replace
        still finds the order (its ``venue_order_id`` is then the newest ``clOrdId``). By
        ``client_order_id``: only for orders this client placed or read (Aries does not store it).

        Raises:
            OrderNotFound: in neither list, or a client order id this client never saw.
            UnknownVenueValue: the match is not an equity stop order (a LIMIT order, an option).
        """
        state: OrderState = yield from self._find(ref)
        return state

    def open_orders_flow(self, symbol: str | None = None) -> Flow[list[OrderState]]:
        """Today's equity STOP/STOP_LIMIT orders that are not terminal (optionally of one ticker), all pages.

        Raises:
            UnknownVenueValue: a stop row with a status stopkit does not know.
        """
        native = self.native_symbol(symbol) if symbol else None
        rows = yield from self._active_rows()
        states: list[OrderState] = []
        for row in rows:
            if not parse.is_equity_stop_row(row) or (native is not None and row.get("symbol") != native):
                continue
            known = self.memory.by_venue_order_id(str(row.get("clOrdId")))
            state = parse.parse_trade_order(row, client_order_id=known.client_order_id if known else None)
            if not state.status.is_terminal:
                states.append(state)
        return states

    # -- no duplicates: reconciliation after an unknown placement outcome -----------------

    def reconcile_flow(self, order: AnyStopOrder, *, sent_at_ms: int) -> Flow[Candidates] | None:
        """Look for ``order`` in the active orders (all pages) after an unknown outcome.

        ``POST /v1/orders`` has no idempotency key and Aries stores no client order id, so the
        order is never resent, and rows are matched by terms only
        (:func:`stopkit_venues.aries.parse.reconcile_candidates`: equity stop, symbol, venue side, type,
        time in force, qty, prices, ``createdAt`` ≥ ``sent_at_ms`` minus ``reconcile_clock_skew_ms``)
        and returned as :class:`~stopkit.plugin.Candidates` (``by_client_order_id=False``): the
        client claims one only when it is the single match no other call of the client owns or
        may own; otherwise the outcome stays unknown. A candidate this bound venue placed itself
        carries that placement's client order id, so it is never taken for another order.
        """
        return self._reconcile(order, sent_at_ms)

    def _reconcile(self, order: AnyStopOrder, sent_at_ms: int) -> Flow[Candidates]:
        # The reconciliation flow (see reconcile_flow): every terms match, for the client to judge.
        rows = yield from self._active_rows()
        matches = parse.reconcile_candidates(
            rows,
            order,
            symbol=self.native_symbol(order.symbol),
            side=SIDE_TO_VENUE[(order.side, order.position_effect)],
            order_type=KIND_TO_TYPE[order.kind],
            time_in_force=translate.venue_time_in_force(order, extended_hours=self.config.extended_hours),
            not_before_ms=sent_at_ms - self.config.reconcile_clock_skew_ms,
        )
        states = []
        for row in matches:
            known = self.memory.by_venue_order_id(str(row.get("clOrdId")))
            states.append(parse.parse_trade_order(row, client_order_id=known.client_order_id if known else None))
        return Candidates(states=tuple(states), by_client_order_id=False)

    def _cancel_request(self, found: OrderState, ctx: RequestContext) -> HttpRequest:
        # The cancel of a looked-up order: its clOrdId, symbol, raw venue side and security type.
        return translate.build_cancel_request(
            ctx,
            base_url=self.config.base_url,
            account_id=self.account_id,
            orig_cl_ord_id=str(found.venue_order_id),
            symbol=found.symbol,
            side=str(found.raw.get("side")),
            security_type=parse.cancel_security_type(found.raw),
        )

    def cancel_flow(self, ref: OrderRef) -> Flow[OrderState]:
        """Look the order up (cancel needs its symbol, side and security type), then ``POST /v1/orders/cancel``.

        Returns the order's state with the cancel answer's status (PENDING_CANCEL or CANCELED; a 200
        without a status is PENDING_CANCEL). By ``client_order_id``: only for orders this client
        placed or read (Aries does not store it).

        Raises:
            OrderNotFound: the lookup found nothing (nothing is sent).
            OrderRejected: the cancel was REJECTED (e.g. already filled; the order is unchanged).
        """
        found: OrderState = yield from self._find(ref)
        if found.status is OrderStatus.CANCELED:
            return found  # already cancelled: nothing to send (the venue would refuse the cancel)
        state: OrderState = yield Exchange(
            build=functools.partial(self._cancel_request, found),
            parse=functools.partial(parse.parse_cancel_response, found),
            writes=True,
            label="cancel",
        )
        return state

    # -- markets ------------------------------------------------------------------------

    def markets_flow(self, symbols: tuple[str, ...] | None = None) -> Flow[Markets]:
        """No markets: Aries publishes no order rules per instrument (tick, lot, minimum;
        https://finance.dev/api-reference documents none; the SDK's chart symbol info, ``minmov`` and
        ``pricescale``, describes chart display, not orders, so it is not used). The answer is
        an empty :class:`~stopkit.plugin.Markets` whose ``reason`` says so and what stopkit checks
        before sending instead (at most 5 decimal places, whole shares unless ``fractional_shares``).
        No I/O."""
        shares = (
            "fractional quantities allowed (fractional_shares)"
            if self.config.fractional_shares
            else ("whole shares (set fractional_shares=true if the account allows fractions)")
        )
        return Markets(
            VENUE_NAME,
            reason=(
                f"{VENUE_NAME} publishes no market rules (no tick size, lot size or minimum per instrument in its "
                f"API reference, {DOC_URL}); stopkit checks before sending: at most {MAX_DECIMALS} decimal places on "
                f"prices and quantities (SDK finance_dev/orders.py, {SDK_URL}) and {shares}"
            ),
            source=DOC_URL,
        )
        yield  # pragma: no cover - makes this a generator

    # -- modify (replace) ---------------------------------------------------------------

    def _check_amendment(self, state: OrderState, amendment: Amendment) -> None:
        # Aries' value rules for an amendment, before any I/O.
        if not state.venue_order_id:
            raise InvalidOrder(
                f"{VENUE_NAME}: modify needs the order's venue_order_id (clOrdId)",
                field="venue_order_id",
                venue=VENUE_NAME,
            )
        if amendment.limit_price is not None and state.kind is not OrderKind.STOP_LIMIT:
            raise InvalidOrder(
                f"{VENUE_NAME}: a STOP order has no limit price to modify", field="limit_price", venue=VENUE_NAME
            )
        for field, value in (
            ("stop_price", amendment.stop_price),
            ("limit_price", amendment.limit_price),
            ("quantity", amendment.quantity),
        ):
            if value is not None and _decimals(value) > MAX_DECIMALS:
                raise _too_precise(field, value)
        quantity = amendment.quantity
        if quantity is not None and not self.config.fractional_shares and quantity != quantity.to_integral_value():
            raise InvalidOrder(
                f"{VENUE_NAME}: quantity must be whole shares, got {quantity}", field="quantity", venue=VENUE_NAME
            )

    def _replace_request(self, found: OrderState, amendment: Amendment, ctx: RequestContext) -> HttpRequest:
        # The replace of a looked-up order: its newest clOrdId, symbol, raw venue side and type.
        return translate.build_replace_request(
            ctx,
            base_url=self.config.base_url,
            account_id=self.account_id,
            orig_cl_ord_id=str(found.venue_order_id),
            symbol=found.symbol,
            side=str(found.raw.get("side")),
            order_type=KIND_TO_TYPE[found.kind],
            qty=amendment.quantity,
            stop_price=amendment.stop_price,
            price=amendment.limit_price,
        )

    def modify_flow(self, state: OrderState, amendment: Amendment) -> Flow[OrderState]:
        """Look the order up (following its replace chain to the newest ``clOrdId``), then
        ``POST /v1/orders/replace`` (https://finance.dev/api-reference/orders/update-order).

        Returns the new state: ``venue_order_id`` is the **new** ``clOrdId`` (use it, or any
        older id: :meth:`get_flow` follows the chain); ``raw[CHAIN_FIELD]`` lists every
        ``clOrdId`` of the order, oldest first. REPLACED → ACCEPTED (PARTIALLY_FILLED when part
        has filled); PENDING_REPLACE → PENDING_UPDATE. A write: never resent after an unknown outcome.

        Raises:
            InvalidOrder: no venue order id, a limit price on a STOP, more than 5 decimals, a
                fractional quantity (unless ``fractional_shares``); before any I/O.
            OrderNotFound: the lookup found nothing (nothing is sent).
            OrderRejected: the replace was REJECTED (e.g. the order already filled).
        """
        self._check_amendment(state, amendment)
        self.memory.record(state)
        found: OrderState = yield from self._find(OrderRef(venue_order_id=state.venue_order_id))
        chain = [str(x) for x in state.raw.get(CHAIN_FIELD) or [state.venue_order_id] if x]
        known = self.memory.by_venue_order_id(str(found.venue_order_id))
        for cl_ord_id in (known.chain if known is not None else []) + [str(found.venue_order_id)]:
            if cl_ord_id and cl_ord_id not in chain:
                chain.append(cl_ord_id)
        previous = attrs.evolve(
            found,
            client_order_id=state.client_order_id or found.client_order_id,
            raw={**found.raw, CHAIN_FIELD: chain},
        )
        new_state: OrderState = yield Exchange(
            build=functools.partial(self._replace_request, found, amendment),
            parse=functools.partial(parse.parse_replace_response, previous, amendment),
            writes=True,
            label="replace",
        )
        self.memory.record(new_state)
        return new_state


def _clean(credentials: Credentials, name: str) -> str | None:
    # A credential value, refused (without echoing it) when it holds spaces or control characters.
    value = credentials.get(name)
    if value is None:
        return None
    if not _CREDENTIAL_RE.fullmatch(value):
        raise ConfigurationError(f"{VENUE_NAME}: {name} contains spaces or non-printable characters", venue=VENUE_NAME)
    return value


class AriesAdapter(VenueAdapter):
    """Aries (finance.dev): US equities broker, OAuth2 bearer token. Registered as ``aries``."""

    name = VENUE_NAME
    title = "Aries (finance.dev) US equities"
    doc_url = DOC_URL
    refusals = REFUSALS
    capabilities = Capabilities(
        order_kinds=frozenset({OrderKind.STOP_MARKET, OrderKind.STOP_LIMIT}),
        trigger_types=frozenset({TriggerType.DEFAULT}),
        time_in_force=frozenset({TimeInForce.DAY, TimeInForce.GTC, TimeInForce.IOC, TimeInForce.FOK}),
        position_effects=frozenset({None, PositionEffect.OPEN, PositionEffect.CLOSE}),
        whole_position_quantity=False,
        client_order_id=False,
        get_order=True,
        list_open_orders=True,
        cancel=True,
        # POST /v1/orders/replace (https://finance.dev/api-reference/orders/update-order); clOrdId
        # changes on every replace.
        modify=True,
        # No triggered status, flag or timestamp: ACCEPTED = armed or triggered (see the ledger).
        reports_trigger=False,
        reasons={
            "trigger_type": "Aries does not document which price triggers a stop (last trade, bid/ask);"
            " only the venue default is offered",
            "time_in_force=GTD": "Aries has no GTD time in force (SDK OrderRequestTimeInForceEnum: DAY, GTC, IOC,"
            " FOK, EXTENDED_HOURS, AT_THE_OPENING, AT_THE_CLOSE)",
            "quantity=None": "Aries orders need a share quantity; there is no close-whole-position order",
        },
    )
    env_vars = (
        EnvVar(ENV_ACCESS_TOKEN, "static OAuth2 bearer token (used until refused)", secret=True),
        EnvVar(ENV_CLIENT_ID, "OAuth2 client id (with ARIES_CLIENT_SECRET: client_credentials/refresh grants)"),
        EnvVar(ENV_CLIENT_SECRET, "OAuth2 client secret", secret=True),
        EnvVar(ENV_REFRESH_TOKEN, "OAuth2 refresh token (optional; refresh_token grant)", secret=True),
        EnvVar(ENV_ACCOUNT_ID, "tradingAccountId (trading_account_id from GET /v2/users/me/accounts)", required=True),
    )

    def simulator(self) -> Simulator:
        """A fresh :class:`~stopkit_venues.aries.simulator.AriesSimulator` (imports aiohttp)."""
        from stopkit_venues.aries.simulator import AriesSimulator

        return AriesSimulator()

    def bind(self, credentials: Credentials, config: Mapping[str, Any] | None = None) -> AriesBoundVenue:
        """Check the credentials and parse the config once.

        Raises:
            ConfigurationError: no ``ARIES_ACCOUNT_ID`` (or longer than 50 characters); neither
                ``ARIES_ACCESS_TOKEN`` nor both ``ARIES_CLIENT_ID`` and ``ARIES_CLIENT_SECRET``;
                only one of the client id/secret; ``ARIES_REFRESH_TOKEN`` without the client
                id and secret (the refresh grant needs them); malformed values; bad config.
                Secret values are never echoed.
        """
        parsed = structure_config(AriesConfig, config, venue=self.name)
        account_id = _clean(credentials, ENV_ACCOUNT_ID)
        if account_id is None:
            credentials.require(ENV_ACCOUNT_ID, hint="the tradingAccountId from GET /v2/users/me/accounts")
            raise AssertionError("unreachable")  # pragma: no cover - require raised
        if len(account_id) > ACCOUNT_ID_MAX_LEN:
            raise ConfigurationError(
                f"{VENUE_NAME}: {ENV_ACCOUNT_ID} is longer than {ACCOUNT_ID_MAX_LEN} characters", venue=VENUE_NAME
            )
        token = _clean(credentials, ENV_ACCESS_TOKEN)
        client_id = _clean(credentials, ENV_CLIENT_ID)
        client_secret = _clean(credentials, ENV_CLIENT_SECRET)
        refresh_token = _clean(credentials, ENV_REFRESH_TOKEN)
        if (client_id is None) != (client_secret is None):
            missing = ENV_CLIENT_SECRET if client_secret is None else ENV_CLIENT_ID
            raise ConfigurationError(
                f"{VENUE_NAME}: {missing} is not set ({ENV_CLIENT_ID} and {ENV_CLIENT_SECRET} go together)",
                venue=VENUE_NAME,
            )
        if token is None and client_id is None:
            raise ConfigurationError(
                f"{VENUE_NAME}: set {ENV_ACCESS_TOKEN}, or {ENV_CLIENT_ID} and {ENV_CLIENT_SECRET}", venue=VENUE_NAME
            )
        if parsed.initial_grant == "refresh_token" and refresh_token is None:
            raise ConfigurationError(
                f"{VENUE_NAME}: initial_grant=refresh_token needs {ENV_REFRESH_TOKEN}", venue=VENUE_NAME
            )
        if refresh_token is not None and client_id is None:
            raise ConfigurationError(
                f"{VENUE_NAME}: {ENV_REFRESH_TOKEN} needs {ENV_CLIENT_ID} and {ENV_CLIENT_SECRET}"
                " (the refresh_token grant sends both)",
                venue=VENUE_NAME,
            )
        return AriesBoundVenue(
            self,
            config=parsed,
            account_id=account_id,
            access_token=token,
            client_id=client_id,
            client_secret=client_secret,
            refresh_token=refresh_token,
        )
