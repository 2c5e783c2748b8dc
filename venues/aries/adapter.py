"""The Aries venue adapter: config, credentials, order checks and flows (pure).

Aries (finance.dev) is a US equities broker with an OAuth2-bearer REST API
(https://finance.dev/api-reference). What this adapter does, and why:

- **Auth** (sheet §2): a static ``ARIES_ACCESS_TOKEN``, and/or ``ARIES_CLIENT_ID`` +
  ``ARIES_CLIENT_SECRET`` for the ``client_credentials`` grant (or the ``refresh_token`` grant
  when a refresh token is known: ``ARIES_REFRESH_TOKEN`` or one a grant returned).
  ``ARIES_ACCOUNT_ID`` (the ``tradingAccountId``) is required.
- **Place** ``POST /v1/orders`` (type STOP / STOP_LIMIT). The ack's ``clOrdId`` is the
  venue order id; our client order id is kept locally and sent only as the ``clientId`` tag.
- **Read back**: there is no get-by-id endpoint. The active list (today) is searched, then
  the history (``history_lookback_days`` back), matching ``clOrdId`` or ``clientId``.
- **Cancel** ``POST /v1/orders/cancel`` needs the symbol and side, so the order is looked up
  first.
- **Triggers are invisible**: NEW stays ACCEPTED, meaning "armed or triggered
  (indistinguishable)", until fills show up (sheet §5, §8.4).
"""

from __future__ import annotations

import functools
import re
from collections.abc import Mapping
from decimal import Decimal
from typing import Any

import attrs

from stopkit.context import AccessToken, RequestContext, TokenGrant
from stopkit.errors import ConfigurationError, InvalidOrder, OrderNotFound, RemoteError, ResponseShapeError
from stopkit.orders import AnyStopOrder, OrderKind, PositionEffect, StopLimitOrder, TimeInForce, TriggerType
from stopkit.state import OrderState
from stopkit.venue import (
    BoundVenue,
    Capabilities,
    Credentials,
    EnvVar,
    Exchange,
    Flow,
    OrderRef,
    Simulator,
    VenueAdapter,
    structure_config,
)
from stopkit.wire import HttpRequest, HttpResponse, format_decimal
from venues.aries import auth, parse, translate
from venues.aries.constants import (
    ACCOUNT_ID_MAX_LEN,
    CLIENT_ID_TAG_MAX_LEN,
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
    SYMBOL_MAX_LEN,
    VENUE_NAME,
)
from venues.aries.mapping import TYPE_TO_KIND

__all__ = ["AriesAdapter", "AriesBoundVenue", "AriesConfig"]


def _base_url(value: object) -> str:
    # Strip trailing slashes; validated by _check_base_url.
    if not isinstance(value, str):
        raise ValueError(f"base_url must be a string, got {type(value).__name__}")
    return value.strip().rstrip("/")


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
            order is not in today's active list (default 1).
    """

    base_url: str = attrs.field(default=LIVE_BASE_URL, converter=_base_url, validator=_check_base_url)
    token_encoding: str = attrs.field(default="json", validator=attrs.validators.in_(("json", "form")))
    fractional_shares: bool = False
    history_lookback_days: int = attrs.field(
        default=1, validator=[attrs.validators.ge(1), attrs.validators.le(HISTORY_MAX_DAYS)]
    )


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
        """``POST /v1/oauth2/token``: the refresh_token grant when a refresh token is known
        (``previous.refresh_token``, else ``ARIES_REFRESH_TOKEN``), else client_credentials.

        ``None`` when no client id + secret are configured (static token only).
        The parse never puts the answer body into an error.
        """
        if not (self._client_id and self._client_secret):
            return None
        refresh = (previous.refresh_token if previous is not None else None) or self._refresh_token
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

    def _walk(
        self, source: str, ref: OrderRef | None
    ) -> Flow[tuple[list[Mapping[str, Any]], Mapping[str, Any] | None]]:
        # Page through a list ("active" or "history") following nextCursor until 0; with a
        # ref, stop at the first matching row. Returns (rows seen, the match or None).
        rows: list[Mapping[str, Any]] = []
        cursor, seen = 0, {0}
        for _ in range(MAX_PAGES):
            page: parse.OrdersPage = yield Exchange(
                build=functools.partial(self._list_request, source, cursor),
                parse=parse.parse_orders_page,
                label=f"list {source} orders",
            )
            for row in page.rows:
                if ref is not None and self._matches(row, ref):
                    return rows, row
                rows.append(row)
            if page.next_cursor == 0:
                return rows, None
            if page.next_cursor in seen:
                raise ResponseShapeError(
                    f"{VENUE_NAME}: nextCursor {page.next_cursor} repeats; stopping", venue=VENUE_NAME
                )
            seen.add(page.next_cursor)
            cursor = page.next_cursor
        raise ResponseShapeError(f"{VENUE_NAME}: more than {MAX_PAGES} pages of orders", venue=VENUE_NAME)

    @staticmethod
    def _matches(row: Mapping[str, Any], ref: OrderRef) -> bool:
        # By clOrdId when a venue order id is given, else by the clientId tag.
        if ref.venue_order_id:
            return str(row.get("clOrdId")) == ref.venue_order_id
        return row.get("clientId") == ref.client_order_id

    def _find(self, ref: OrderRef) -> Flow[OrderState]:
        # Search today's active list, then the history; OrderNotFound when neither has it.
        for source in ("active", "history"):
            _rows, match = yield from self._walk(source, ref)
            if match is not None:
                tagged = ref.client_order_id if match.get("clientId") == ref.client_order_id else None
                return parse.parse_trade_order(match, client_order_id=tagged)
        which = f"clOrdId {ref.venue_order_id!r}" if ref.venue_order_id else f"clientId {ref.client_order_id!r}"
        raise OrderNotFound(
            f"{VENUE_NAME}: no order with {which} in today's orders or the last "
            f"{self.config.history_lookback_days} day(s) of history",
            venue=VENUE_NAME,
        )

    def get_flow(self, ref: OrderRef) -> Flow[OrderState]:
        """Find the order in ``GET /v2/accounts/{id}/orders`` (all pages), then in
        ``.../orders/history`` (newest first, ``history_lookback_days`` back).

        Matches ``clOrdId == venue_order_id``, or (client order id only) ``clientId == client_order_id``.

        Raises:
            OrderNotFound: in neither list.
            UnknownVenueValue: the match is not a stop order (e.g. a LIMIT order).
        """
        state: OrderState = yield from self._find(ref)
        return state

    def open_orders_flow(self, symbol: str | None = None) -> Flow[list[OrderState]]:
        """Today's STOP/STOP_LIMIT orders that are not terminal (optionally of one ticker)."""
        native = self.native_symbol(symbol) if symbol else None
        rows, _none = yield from self._walk("active", None)
        states: list[OrderState] = []
        for row in rows:
            if row.get("type") not in TYPE_TO_KIND or (native is not None and row.get("symbol") != native):
                continue
            state = parse.parse_trade_order(row)
            if not state.status.is_terminal:
                states.append(state)
        return states

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
