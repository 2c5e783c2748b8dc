"""The Aries venue adapter: config, credentials, order checks and flows (pure).

Aries (finance.dev) is a US equities broker with an OAuth2-bearer REST API
(https://finance.dev/api-reference). What this adapter does, and why:

- **Auth** (sheet §2): a static ``ARIES_ACCESS_TOKEN``, and/or ``ARIES_CLIENT_ID`` +
  ``ARIES_CLIENT_SECRET`` for the ``client_credentials`` grant, the ``refresh_token`` grant with
  the refresh token a grant returned (or ``ARIES_REFRESH_TOKEN``); see :meth:`token_exchange`.
  ``ARIES_ACCOUNT_ID`` (the ``tradingAccountId``) is required.
- **Place** ``POST /v1/orders`` (type STOP / STOP_LIMIT). The ack's ``clOrdId`` is the
  venue order id; our client order id is kept locally and sent only as the ``clientId`` tag.
- **No duplicates**: there is no idempotency key, so a placement whose outcome is unknown is
  never resent; :meth:`reconcile_flow` looks for it in the active list (tag, else terms and time).
- **Read back**: there is no get-by-id endpoint. The active list (today) is searched, then
  the history (``history_lookback_days`` back), matching ``clOrdId`` (following the replace
  chain through ``origClOrdId``) or ``clientId``.
- **Cancel** ``POST /v1/orders/cancel`` and **modify** ``POST /v1/orders/replace`` look the
  order up first (they need its newest ``clOrdId``, symbol and side).
- **Triggers are invisible**: NEW stays ACCEPTED, meaning "armed or triggered
  (indistinguishable)", until fills show up (sheet §5, §8.4); ``reports_trigger=False``.

Human-readable summary, mapping tables and assumptions: ``docs/venues/aries.md``.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Mapping
from decimal import Decimal
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
    OrderKind,
    OrderNotFound,
    OrderRef,
    OrderState,
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
    VenueAdapter,
    format_decimal,
    structure_config,
)
from venues.aries import auth, parse, translate
from venues.aries.constants import (
    ACCOUNT_ID_MAX_LEN,
    CHAIN_FIELD,
    CLIENT_ID_TAG_MAX_LEN,
    DEFAULT_REQUESTS_PER_S,
    DOC_URL,
    ENV_ACCESS_TOKEN,
    ENV_ACCOUNT_ID,
    ENV_CLIENT_ID,
    ENV_CLIENT_SECRET,
    ENV_REFRESH_TOKEN,
    HISTORY_MAX_DAYS,
    LIVE_BASE_URL,
    MAX_DECIMALS,
    MAX_PAGES,
    RECONCILE_SKEW_MS,
    SYMBOL_MAX_LEN,
    VENUE_NAME,
    WS_PATH,
)
from venues.aries.mapping import KIND_TO_TYPE, SIDE_TO_VENUE, TYPE_TO_KIND
from venues.aries.refusals import REFUSALS

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


@attrs.frozen(kw_only=True)
class AriesConfig:
    """Aries venue config (``--venue-config KEY=VALUE``).

    Fields:
        base_url: REST root, default ``https://api.aries.com`` (the only documented host;
            paper trading uses ``is_sim`` accounts on the same host, sheet §1).
        token_encoding: ``"json"`` (default: the documented JSON body) or ``"form"``
            (``application/x-www-form-urlencoded``, as the [sdk] sends it), sheet §8.6.
        fractional_shares: allow a fractional ``qty`` (default ``False``: whole shares,
            sheet §8.9).
        history_lookback_days: how far back (1-90 days) the order history is searched when an
            order is not in today's active list (default 1; the venue allows at most 90).
        initial_grant: how to start from the credentials (the first token, and the retry after
            a refused refresh): ``"client_credentials"`` (default) or ``"refresh_token"`` (with
            ``ARIES_REFRESH_TOKEN``, for clients that may only use authorization code/PKCE).
        reconcile_clock_skew_ms: after an unknown placement outcome, orders created up to this
            many ms before the first send still count as ours (0-600000, default 5000: createdAt
            has second precision and clocks drift).
        requests_per_s: client-side request budget (default 5/s). Aries documents no
            rate limits; the sheet's safe choice is about 5 order actions a second per
            account, configurable (sheet §6, §8.7).
        ws_url: the account-updates WebSocket; default ``base_url`` with ``ws(s)://`` and
            ``/v1/accounts/ws`` (``wss://api.aries.com/v1/accounts/ws`` live).
    """

    base_url: str = attrs.field(default=LIVE_BASE_URL, converter=_base_url, validator=_check_base_url)
    token_encoding: str = attrs.field(default="json", validator=attrs.validators.in_(("json", "form")))
    fractional_shares: bool = False
    history_lookback_days: int = attrs.field(
        default=1, validator=[attrs.validators.ge(1), attrs.validators.le(HISTORY_MAX_DAYS)]
    )
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


class AriesBoundVenue(BoundVenue):
    """Aries bound to one account's credentials and a config. Pure; secrets masked in repr.

    Symbols: uppercase US tickers (``AAPL``, ``BRK.B``); lower-case input is upper-cased
    (tickers are case-insensitive), so ``aapl`` places ``AAPL``. Options are not supported.
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
        native = symbol.strip().upper()
        if not (1 <= len(native) <= SYMBOL_MAX_LEN) or not _SYMBOL_RE.fullmatch(native):
            raise InvalidOrder(
                f"{VENUE_NAME}: symbol must be a US equity ticker like AAPL or BRK.B (1-{SYMBOL_MAX_LEN} characters),"
                f" got {symbol!r}",
                field="symbol",
                venue=VENUE_NAME,
            )
        return native

    @property
    def rate_limit(self) -> RateLimit:
        """``requests_per_s`` (config; default 5/s, sheet §8.7: Aries documents no limits)."""
        return RateLimit.per_second(self.config.requests_per_s, source="configured (Aries documents no limit)")

    def check_order(self, order: AnyStopOrder) -> None:
        """Capabilities, then Aries' rules, before any I/O.

        Raises:
            UnsupportedOrder: IOC/FOK (unverified for stops, sheet §8.2), GTD (no such TIF),
                a non-default trigger type (reference price undocumented, §8.3),
                ``quantity=None`` (no whole-position orders).
            InvalidOrder: bad ticker; ``stop_price``/``limit_price``/``quantity`` with more than
                5 decimal places ([sdk] "up to 5 digits after the decimal point"); a fractional
                quantity unless ``fractional_shares``; ``client_order_id`` longer than 50
                characters (it is sent as ``clientId``, ≤ 50).
        """
        super().check_order(order)
        self.native_symbol(order.symbol)
        prices: list[tuple[str, Decimal | None]] = [("stop_price", order.stop_price), ("quantity", order.quantity)]
        if isinstance(order, StopLimitOrder):
            prices.append(("limit_price", order.limit_price))
        for field, value in prices:
            if value is not None and _decimals(value) > MAX_DECIMALS:
                raise InvalidOrder(
                    f"{VENUE_NAME}: {field} has more than {MAX_DECIMALS} decimal places: {value}",
                    field=field,
                    venue=VENUE_NAME,
                )
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
        if len(order.client_order_id) > CLIENT_ID_TAG_MAX_LEN:
            raise InvalidOrder(
                f"{VENUE_NAME}: client_order_id is sent as the clientId tag, at most {CLIENT_ID_TAG_MAX_LEN}"
                f" characters; got {len(order.client_order_id)}",
                field="client_order_id",
                venue=VENUE_NAME,
            )

    # -- authentication -------------------------------------------------------

    def initial_token(self) -> AccessToken | None:
        """``ARIES_ACCESS_TOKEN`` as a token of unknown expiry, or ``None``."""
        return AccessToken(self._access_token) if self._access_token else None

    def token_exchange(self, previous: AccessToken | None = None) -> Exchange[TokenGrant] | None:
        """``POST /v1/oauth2/token``; ``None`` when no client id + secret are configured (static token only).

        - ``previous`` carries a refresh token (a grant returned one): the ``refresh_token`` grant
          with it (a rotated refresh token is always the newest one, sheet §2).
        - ``previous`` without a refresh token (e.g. the static ``ARIES_ACCESS_TOKEN`` expired or
          was refused): the ``refresh_token`` grant with ``ARIES_REFRESH_TOKEN`` when it is set,
          else as for ``None``.
        - ``None`` = start from the credentials (the first token, and the client's one retry
          after a refused refresh): ``client_credentials``; or, with config
          ``initial_grant=refresh_token``, the ``refresh_token`` grant with ``ARIES_REFRESH_TOKEN``
          (for clients that may only use authorization code/PKCE, sheet §8.6).

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
        )

    def parse_place_response(self, order: AnyStopOrder, response: HttpResponse) -> OrderState:
        """See :func:`venues.aries.parse.parse_place_response`."""
        return parse.parse_place_response(order, response, symbol=self.native_symbol(order.symbol))

    def classify_error(self, response: HttpResponse, *, writes: bool = False) -> RemoteError:
        """See :func:`venues.aries.parse.classify_error`."""
        return parse.classify_error(response, writes=writes)

    def parse_trade_order(self, row: Mapping[str, Any], *, client_order_id: str | None = None) -> OrderState:
        """See :func:`venues.aries.parse.parse_trade_order`."""
        return parse.parse_trade_order(row, client_order_id=client_order_id)

    # -- reads ----------------------------------------------------------------

    def _list_request(self, source: str, cursor: int, ctx: RequestContext) -> HttpRequest:
        # One page of the active list ("active") or of the history ("history").
        if source == "active":
            return translate.build_active_orders_request(
                ctx, base_url=self.config.base_url, account_id=self.account_id, cursor=cursor
            )
        return translate.build_history_request(
            ctx,
            base_url=self.config.base_url,
            account_id=self.account_id,
            cursor=cursor,
            lookback_days=self.config.history_lookback_days,
        )

    def _rows(self, source: str) -> Flow[list[Mapping[str, Any]]]:
        # Every row of a list ("active" or "history"), following nextCursor until 0.
        rows: list[Mapping[str, Any]] = []
        cursor, seen = 0, {0}
        for _ in range(MAX_PAGES):
            page: parse.OrdersPage = yield Exchange(
                build=functools.partial(self._list_request, source, cursor),
                parse=parse.parse_orders_page,
                label=f"list {source} orders",
            )
            rows.extend(page.rows)
            if page.next_cursor == 0:
                return rows
            if page.next_cursor in seen:
                raise ResponseShapeError(
                    f"{VENUE_NAME}: nextCursor {page.next_cursor} repeats; stopping", venue=VENUE_NAME
                )
            seen.add(page.next_cursor)
            cursor = page.next_cursor
        raise ResponseShapeError(f"{VENUE_NAME}: more than {MAX_PAGES} pages of orders", venue=VENUE_NAME)

    @staticmethod
    def _select(rows: list[Mapping[str, Any]], ref: OrderRef) -> Mapping[str, Any] | None:
        # The row of ``ref`` now: by clOrdId (following the replace chain), else by the clientId
        # tag (the newest chain head among tagged rows).
        if ref.venue_order_id:
            return parse.resolve_chain(rows, ref.venue_order_id)
        heads: list[Mapping[str, Any]] = []
        for row in rows:
            if row.get("clientId") != ref.client_order_id or row.get("clOrdId") in (None, ""):
                continue
            head = parse.resolve_chain(rows, str(row["clOrdId"]))
            if head is not None and all(head is not h for h in heads):
                heads.append(head)
        live = [h for h in heads if h.get("ordStatus") != "SUPERSEDED"] or heads
        return live[-1] if live else None

    def _find(self, ref: OrderRef) -> Flow[OrderState]:
        # Search today's active list, then the history; OrderNotFound when neither has it.
        for source in ("active", "history"):
            rows = yield from self._rows(source)
            match = self._select(rows, ref)
            if match is not None:
                tagged = ref.client_order_id if match.get("clientId") == ref.client_order_id else None
                return parse.parse_trade_order(match, client_order_id=tagged)
        which = f"clOrdId {ref.venue_order_id!r}" if ref.venue_order_id else f"clientId {ref.client_order_id!r}"
        raise OrderNotFound(
            f"{VENUE_NAME}: no order with {which} in today's orders or the last "
            f"{self.config.history_lookback_days} day(s) of history",
            venue=VENUE_NAME,
        )

    def stream(self) -> StreamProtocol:
        """The account-updates WebSocket session (see :mod:`venues.aries.stream`); after a reconnect,
        missed transitions are read back through the active list (the default resync)."""
        from venues.aries.stream import AriesStream

        return AriesStream(self, ws_url=self.config.stream_url, account_id=self.account_id)

    def get_flow(self, ref: OrderRef) -> Flow[OrderState]:
        """Find the order in ``GET /v2/accounts/{id}/orders`` (all pages), then in
        ``.../orders/history`` (newest first, ``history_lookback_days`` back, all pages).

        Matches ``clOrdId == venue_order_id`` and follows the replace chain (``origClOrdId``) to
        the order's newest record, so an id from before a replace still finds the order (its
        ``venue_order_id`` is then the newest ``clOrdId``); with a client order id only,
        ``clientId == client_order_id``.

        Raises:
            OrderNotFound: in neither list.
            UnknownVenueValue: the match is not a stop order (e.g. a LIMIT order).
        """
        state: OrderState = yield from self._find(ref)
        return state

    def open_orders_flow(self, symbol: str | None = None) -> Flow[list[OrderState]]:
        """Today's STOP/STOP_LIMIT orders that are not terminal (optionally of one ticker), all pages."""
        native = self.native_symbol(symbol) if symbol else None
        rows = yield from self._rows("active")
        states: list[OrderState] = []
        for row in rows:
            if row.get("type") not in TYPE_TO_KIND or (native is not None and row.get("symbol") != native):
                continue
            state = parse.parse_trade_order(row)
            if not state.status.is_terminal:
                states.append(state)
        return states

    # -- no duplicates: reconciliation after an unknown placement outcome -----------------

    def reconcile_flow(self, order: AnyStopOrder, *, sent_at_ms: int) -> Flow[Candidates] | None:
        """Look for ``order`` in today's active orders (all pages) after an unknown outcome.

        ``POST /v1/orders`` has no idempotency key, so it is never resent; instead the rows are
        matched by their terms (:func:`venues.aries.parse.reconcile_candidates`: symbol, side, type,
        qty, prices, ``createdAt`` ≥ ``sent_at_ms`` minus ``reconcile_clock_skew_ms``) and returned as
        :class:`~stopkit.plugin.Candidates`: the client claims one only when it is the single match no
        other call of the client owns or may own; otherwise the outcome stays unknown.
        """
        return self._reconcile(order, sent_at_ms)

    def _reconcile(self, order: AnyStopOrder, sent_at_ms: int) -> Flow[Candidates]:
        # The reconciliation flow (see reconcile_flow): every terms match, for the client to judge.
        rows = yield from self._rows("active")
        matches = parse.reconcile_candidates(
            rows,
            order,
            symbol=self.native_symbol(order.symbol),
            side=SIDE_TO_VENUE[(order.side, order.position_effect)],
            order_type=KIND_TO_TYPE[order.kind],
            not_before_ms=sent_at_ms - self.config.reconcile_clock_skew_ms,
        )
        return Candidates(states=tuple(parse.parse_trade_order(row) for row in matches), by_client_order_id=False)

    def _cancel_request(self, found: OrderState, ctx: RequestContext) -> HttpRequest:
        # The cancel of a looked-up order: its clOrdId, symbol and raw venue side.
        side = found.raw.get("side")
        return translate.build_cancel_request(
            ctx,
            base_url=self.config.base_url,
            account_id=self.account_id,
            orig_cl_ord_id=str(found.venue_order_id),
            symbol=found.symbol,
            side=str(side),
        )

    def cancel_flow(self, ref: OrderRef) -> Flow[OrderState]:
        """Look the order up (cancel needs its symbol and side), then ``POST /v1/orders/cancel``.

        Returns the order's state with the cancel answer's status (PENDING_CANCEL or CANCELED).

        Raises:
            OrderNotFound: the lookup found nothing (nothing is sent).
            OrderRejected: the cancel was REJECTED (e.g. already filled; the order is unchanged).
        """
        found: OrderState = yield from self._find(ref)
        state: OrderState = yield Exchange(
            build=functools.partial(self._cancel_request, found),
            parse=functools.partial(parse.parse_cancel_response, found),
            writes=True,
            label="cancel",
        )
        return state

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
                raise InvalidOrder(
                    f"{VENUE_NAME}: {field} has more than {MAX_DECIMALS} decimal places: {value}",
                    field=field,
                    venue=VENUE_NAME,
                )
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
        ``clOrdId`` of the order, oldest first. REPLACED → ACCEPTED; PENDING_REPLACE → PENDING_UPDATE.
        A write: never resent after an unknown outcome.

        Raises:
            InvalidOrder: no venue order id, a limit price on a STOP, more than 5 decimals, a
                fractional quantity (unless ``fractional_shares``); before any I/O.
            OrderNotFound: the lookup found nothing (nothing is sent).
            OrderRejected: the replace was REJECTED (e.g. the order already filled).
        """
        self._check_amendment(state, amendment)
        found: OrderState = yield from self._find(OrderRef(venue_order_id=state.venue_order_id))
        chain = [str(x) for x in state.raw.get(CHAIN_FIELD) or [state.venue_order_id] if x]
        if found.venue_order_id and found.venue_order_id not in chain:
            chain.append(found.venue_order_id)
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
        time_in_force=frozenset({TimeInForce.DAY, TimeInForce.GTC}),
        position_effects=frozenset({None, PositionEffect.OPEN, PositionEffect.CLOSE}),
        whole_position_quantity=False,
        client_order_id=False,
        get_order=True,
        list_open_orders=True,
        cancel=True,
        # POST /v1/orders/replace (sheet §3.3); clOrdId changes on every replace.
        modify=True,
        # No triggered status, flag or timestamp (sheet §5, §8.4): ACCEPTED = armed or triggered.
        reports_trigger=False,
        reasons={
            "trigger_type": "Aries does not document which price triggers a stop (last trade, bid/ask);"
            " only the venue default is offered (sheet §8.3)",
            "time_in_force=IOC": "unverified for STOP/STOP_LIMIT on Aries; only DAY and GTC are sent (sheet §8.2)",
            "time_in_force=FOK": "unverified for STOP/STOP_LIMIT on Aries; only DAY and GTC are sent (sheet §8.2)",
            "time_in_force=GTD": "Aries has no GTD time in force (sheet §4)",
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
        """A fresh :class:`~venues.aries.simulator.AriesSimulator` (imports aiohttp)."""
        from venues.aries.simulator import AriesSimulator

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
