"""The B2TRADER venue adapter (SPOT stop-market and stop-limit orders).

Credentials (environment variables):

- ``B2TRADER_API_TOKEN`` (secret): the offline API token from the trading terminal's
  Settings → API token management; exchanged for a bearer JWT at ``token_path``.
- ``B2TRADER_ACCESS_TOKEN`` (secret): a ready bearer token, for brokers that hand one out
  directly; used as is (with ``B2TRADER_API_TOKEN`` also set, the exchange refreshes it).
  One of the two is required.
- ``B2TRADER_ACCOUNT_ID``: the trading account, sent as the ``accountId`` header.
- ``B2TRADER_BASE_URL``: the broker's host (every broker runs its own; no default).
  Config ``base_url`` overrides it; one of the two is required.

Config (``stopkit.connect(..., config=...)`` or ``--venue-config KEY=VALUE``): see
:class:`B2TraderConfig` and the table in ``docs/venues/b2trader.md``.

Operations:

- place: "Get market" ``GET /frontoffice/api/v5/markets/{marketId}`` first (a read the core caches
  per client and market for ``markets_ttl_s``, one fetch in flight), the order checked against its
  ``priceScale``, ``amountScale``, ``minAmount`` and ``maxBaseAmount``, then
  ``POST /frontoffice/api/v3/stop-orders``. An answer that cannot be read never blocks the order:
  it is placed without the client-side check and a warning is logged once per market.
- cancel: ``DELETE /frontoffice/api/v3/stop-orders/{orderId}``; for a stop known to have
  activated (its child seen on ``watch_orders``), ``DELETE /frontoffice/api/v3/orders/{childId}``.
- get, open_orders: :class:`~stopkit.errors.UnsupportedOrder`: no documented endpoint reads
  or lists stop orders. Stops carry no client order id.
- reconcile after an unknown placement outcome: impossible for the same reason; the
  client re-raises the error (``outcome_known=False``) and never resends the order.

:func:`stopkit.preview` does no I/O, so it cannot know the broker's markets: it runs every
check except the market precision check (see :meth:`B2TraderBound.check_order`).
"""

from __future__ import annotations

import functools
import logging
import re
from collections.abc import Mapping
from typing import Any
from urllib.parse import urlsplit

import attrs

from stopkit.plugin import (
    AccessToken,
    AnyStopOrder,
    AuthenticationError,
    BoundVenue,
    Capabilities,
    ConfigurationError,
    Credentials,
    EnvVar,
    Exchange,
    Flow,
    HttpRequest,
    HttpResponse,
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
    TokenGrant,
    TriggerType,
    UnsupportedOrder,
    VenueAdapter,
    structure_config,
)
from stopkit_venues.b2trader import auth, parse, translate
from stopkit_venues.b2trader.constants import (
    CANCEL_ORDER_DOC_URL,
    DEFAULT_MARKETS_TTL_S,
    DEFAULT_REQUESTS_PER_S,
    DEFAULT_TOKEN_PATH,
    DOC_URL,
    ENV_ACCESS_TOKEN,
    ENV_ACCOUNT_ID,
    ENV_API_TOKEN,
    ENV_BASE_URL,
    MARKET_DOC_URL,
    SPOT_MARKET_TYPE,
    TITLE,
    VENUE_NAME,
)
from stopkit_venues.b2trader.mapping import market_id_for
from stopkit_venues.b2trader.markets import (
    MarketSpec,
    check_order_fits,
    parse_market_response,
    parse_markets_response,
    to_market,
)
from stopkit_venues.b2trader.refusals import REFUSALS

__all__ = ["CAPABILITIES", "B2TraderAdapter", "B2TraderBound", "B2TraderConfig"]

log = logging.getLogger("stopkit.venues.b2trader")

_NO_READ = (
    "no documented endpoint lists or fetches stop orders (see docs/venues/b2trader.md); track stops by "
    "orderId and their children with watch_orders()"
)
# Values config market_stop_time_in_force may take: what a GTC stop-market sends.
_MARKET_STOP_TIFS = ("Ioc", "Fok", "Gtc")

CAPABILITIES = Capabilities(
    order_kinds=frozenset({OrderKind.STOP_MARKET, OrderKind.STOP_LIMIT}),
    trigger_types=frozenset({TriggerType.DEFAULT}),
    time_in_force=frozenset({TimeInForce.GTC, TimeInForce.IOC, TimeInForce.FOK, TimeInForce.GTD, TimeInForce.DAY}),
    # All three are accepted; check_order refuses the pairs spot cannot do (SELL+OPEN, BUY+CLOSE).
    position_effects=frozenset({None, PositionEffect.OPEN, PositionEffect.CLOSE}),
    whole_position_quantity=False,
    client_order_id=False,
    get_order=False,
    list_open_orders=False,
    cancel=True,
    reasons={
        "trigger_type": (
            "the trigger price is not selectable on B2TRADER (no such field in 'Place SPOT Stop order'); the "
            "venue's own reference applies: use TriggerType.DEFAULT"
        ),
        "quantity=None": "spot has no positions: requestedAmount is always given in base units",
        "client_order_id": "stop orders carry no client order id; stopkit keeps it locally",
        "get_order": _NO_READ,
        "list_open_orders": _NO_READ,
    },
)
"""What B2TRADER SPOT stops support ("Place SPOT Stop order", "Cancel Stop order")."""


@attrs.frozen(kw_only=True)
class B2TraderConfig:
    """Venue config (every key with its default; see the table in ``docs/venues/b2trader.md``).

    Fields:
        base_url: the broker's B2TRADER host, e.g. ``https://trade.example-broker.com``, optionally
            with a path prefix kept for REST and the WebSocket (overrides ``B2TRADER_BASE_URL``).
        decimals_as_numbers: send ``activationPrice``, ``requestedAmount`` and ``requestedPrice`` as
            exact JSON numbers (as the docs' example does) instead of decimal strings (the declared
            type; the default). Written from the ``Decimal``, never through ``float``.
        check_market_precision: read "Get market" before placing and refuse, before sending, a price
            or amount that does not fit (default true). False: no read, the venue alone judges.
        markets_ttl_s: seconds one market's answer is reused (default 300; 0 = read before every placement).
        requests_per_s: the client-side request budget of this account (default 1/s): no limit is
            documented for this API; the legacy B2BX docs allowed ``/frontoffice/*`` one request a
            second. Raise it when your broker says more.
        token_path: the path of the offline-token exchange (default ``/frontoffice/api/v4/access-token``,
            third-party evidence only).
        market_stop_time_in_force: the ``timeInForce`` a stop-market with GTC (stopkit's default)
            sends: ``Ioc`` (default: the documented Market stop), ``Fok`` or ``Gtc``.
        stream_snapshots: each ``OpenOrders`` item lists the whole open set (default true), so an order
            missing from it has left the set; false: items list changes only (then an order leaving
            the set is noticed only if the broker streams its final status).
    """

    base_url: str | None = None
    decimals_as_numbers: bool = False
    check_market_precision: bool = True
    markets_ttl_s: int = DEFAULT_MARKETS_TTL_S
    requests_per_s: float = attrs.field(default=DEFAULT_REQUESTS_PER_S, validator=attrs.validators.gt(0))
    token_path: str = DEFAULT_TOKEN_PATH
    market_stop_time_in_force: str = "Ioc"
    stream_snapshots: bool = True


def _normalize_base_url(value: str) -> str:
    # http(s)://host[:port][/prefix] without query or fragment; the trailing slash is dropped.
    text = value.strip()
    try:
        parts = urlsplit(text)
    except ValueError:
        parts = None
    if parts is None or parts.scheme not in ("http", "https") or not parts.netloc or parts.query or parts.fragment:
        raise ConfigurationError(
            f"{VENUE_NAME}: base_url must be an http(s) URL like https://trade.example-broker.com, got {value!r}",
            venue=VENUE_NAME,
        )
    return text.rstrip("/")


# The account id is an opaque identifier (a 24-hex id in the docs' examples); it goes into a
# header, so only visible ASCII is allowed.
_ACCOUNT_ID = re.compile(r"[\x21-\x7e]{1,128}")
# token_path: an absolute path of visible ASCII, no query or fragment.
_TOKEN_PATH = re.compile(r"/[\x21\x22\x24-\x3e\x40-\x7e]*")


@attrs.frozen(repr=False)
class _Secret:
    # A secret string with a masked repr.
    value: str

    def __repr__(self) -> str:
        return "'***'"


class B2TraderBound(BoundVenue):
    """B2TRADER bound to its credentials, an account id and a base URL (all pure).

    Attributes: ``base_url`` (no trailing slash), ``account_id``, and the config values. Tokens are
    held privately and never shown.
    """

    def __init__(
        self,
        adapter: VenueAdapter,
        *,
        base_url: str,
        account_id: str,
        api_token: str | None,
        access_token: str | None = None,
        config: B2TraderConfig | None = None,
    ) -> None:
        super().__init__(adapter)
        cfg = config or B2TraderConfig()
        self.base_url = base_url
        self.account_id = account_id
        self.decimals_as_numbers = cfg.decimals_as_numbers
        self.check_market_precision = cfg.check_market_precision
        self.markets_ttl_s = cfg.markets_ttl_s
        self.requests_per_s = cfg.requests_per_s
        self.token_path = cfg.token_path
        self.market_stop_time_in_force = cfg.market_stop_time_in_force
        self.stream_snapshots = cfg.stream_snapshots
        self._api_token = _Secret(api_token) if api_token else None
        self._access_token = _Secret(access_token) if access_token else None
        # Markets whose "Get market" answer could not be read: warned about once each.
        self._warned_markets: set[str] = set()
        # Stops known to have activated: stop orderId -> (its TRIGGERED state, the child's orderId),
        # learnt by the OpenOrders stream (stopkit_venues.b2trader.stream); cancel_flow cancels the child.
        self._activated: dict[str, tuple[OrderState, str]] = {}
        # Children this client cancelled (child orderId -> the cancel answer): when the stream sees one
        # leave the open set, that answer is its final state, not a gap.
        self._cancelled_children: dict[str, OrderState] = {}

    def __repr__(self) -> str:
        return (
            f"B2TraderBound(base_url={self.base_url!r}, account_id={self.account_id!r}, "
            f"api_token={'***' if self._api_token else None!r}, "
            f"access_token={'***' if self._access_token else None!r}, "
            f"decimals_as_numbers={self.decimals_as_numbers!r}, markets_ttl_s={self.markets_ttl_s!r})"
        )

    @property
    def rate_limit(self) -> RateLimit:
        """``requests_per_s`` per account (config; default 1/s: nothing is documented, see the ledger)."""
        return RateLimit.per_second(self.requests_per_s, source="configured (B2TRADER documents no limit)")

    # -- checks -----------------------------------------------------------------------

    def check_order(self, order: AnyStopOrder) -> None:
        """Capabilities, then the spot rules (no short, no cover, SPOT symbols only, time in force
        per order kind). No I/O.

        The market precision check (``priceScale``, ``amountScale``, ``minAmount``,
        ``maxBaseAmount``) needs "Get market", so it runs in :meth:`place_flow`, not here:
        :func:`stopkit.preview` (which calls only this and :meth:`build_place_request`) does not apply it.

        Raises:
            UnsupportedOrder: trigger types other than DEFAULT, ``quantity=None``, SELL+OPEN,
                BUY+CLOSE, derivative symbols, DAY or GTD on a stop-market.
            InvalidOrder: a symbol of neither accepted form.
        """
        super().check_order(order)
        translate.check_spot_order(order)

    # -- authentication ---------------------------------------------------------------

    def initial_token(self) -> AccessToken | None:
        """``B2TRADER_ACCESS_TOKEN`` (expiry from its JWT ``exp`` when it has one), or ``None``."""
        if self._access_token is None:
            return None
        value = self._access_token.value
        return AccessToken(value, auth.jwt_expiry_ms(value))

    def token_exchange(self, previous: AccessToken | None = None) -> Exchange[TokenGrant] | None:
        """Exchange the API token for a bearer JWT at ``token_path`` (refresh = the same exchange again);
        ``None`` without an API token (a ready ``B2TRADER_ACCESS_TOKEN`` is then used as is)."""
        if self._api_token is None:
            return None
        return Exchange(
            build=self._build_token_request,
            parse=auth.parse_token_response,
            writes=False,
            authenticated=False,
            label="token",
        )

    def _build_token_request(self, ctx: RequestContext) -> HttpRequest:
        # The exchange needs no clock or token; ctx is part of the Exchange.build signature.
        assert self._api_token is not None  # noqa: S101  # token_exchange returns None without one
        return auth.build_token_request(self.base_url, self._api_token.value, token_path=self.token_path)

    # -- placement --------------------------------------------------------------------

    def build_place_request(self, order: AnyStopOrder, ctx: RequestContext) -> HttpRequest:
        """``POST /frontoffice/api/v3/stop-orders`` (see :mod:`stopkit_venues.b2trader.translate`)."""
        self.check_order(order)
        return translate.build_place_request(
            order,
            base_url=self.base_url,
            account_id=self.account_id,
            token=ctx.access_token,
            numbers=self.decimals_as_numbers,
            market_stop_tif=self.market_stop_time_in_force,
        )

    def market_exchange(self, market_id: str) -> Exchange[MarketSpec]:
        """The read "Get market" ``GET /frontoffice/api/v5/markets/{marketId}``, cached by the core per
        client and market for ``markets_ttl_s`` (one fetch in flight per market)."""
        cached = self.markets_ttl_s > 0
        return Exchange(
            build=lambda ctx: translate.build_market_request(market_id, base_url=self.base_url, token=ctx.access_token),
            parse=functools.partial(parse_market_response, market_id=market_id),
            writes=False,
            label="market",
            cache_key=f"{VENUE_NAME}:market:{market_id}" if cached else None,
            cache_ttl_s=float(self.markets_ttl_s),
        )

    def markets_list_exchange(self) -> Exchange[list[MarketSpec]]:
        """The read "Get markets" ``GET /frontoffice/api/v5/markets`` (every market; the answer's shape is
        an assumption, see :func:`stopkit_venues.b2trader.markets.parse_markets_response`), cached by the core per
        client for ``markets_ttl_s``."""
        return Exchange(
            build=lambda ctx: translate.build_markets_request(base_url=self.base_url, token=ctx.access_token),
            parse=parse_markets_response,
            writes=False,
            label="markets",
            cache_key=f"{VENUE_NAME}:markets" if self.markets_ttl_s > 0 else None,
            cache_ttl_s=float(self.markets_ttl_s),
        )

    def markets_flow(self, symbols: tuple[str, ...] | None = None) -> Flow[Markets]:
        """The SPOT markets (the ones stopkit places stops on) and their precision, as
        :class:`~stopkit.plugin.Markets`.

        - ``symbols`` given (unified ``BTC/USDT`` or ``spot.btc_usdt``): each read with the documented
          "Get market" (cached per market for ``markets_ttl_s``, the answer :meth:`place_flow` checks
          orders against); a symbol that is not a SPOT market id, or that the broker does not know (404),
          is left out and named in ``reason``.
        - ``None``: "Get markets" (one read; its answer's shape is an assumption, see the ledger); the
          non-SPOT markets are left out.

        An answer that cannot be read leaves its market out (named in ``reason``), as it never blocks a
        placement. Raises :class:`AuthenticationError` for a refused token and the read's error otherwise.
        """
        specs: list[MarketSpec] = []
        missing: list[str] = []
        if symbols is None:
            listed: list[MarketSpec] = yield self.markets_list_exchange()
            specs = [spec for spec in listed if spec.market_id.lower().startswith(f"{SPOT_MARKET_TYPE}.")]
        else:
            for symbol in symbols:
                try:
                    market_id = market_id_for(symbol)
                except StopkitError:
                    missing.append(symbol)
                    continue
                try:
                    spec: MarketSpec = yield self.market_exchange(market_id)
                except OrderNotFound:
                    missing.append(symbol)
                    continue
                specs.append(spec)
        markets = [market for market in (to_market(spec) for spec in specs) if market is not None]
        reasons = []
        if missing:
            reasons.append(f"not SPOT markets of this broker: {', '.join(missing)}")
        unread = [f"{spec.market_id} ({spec.problem})" for spec in specs if spec.problem is not None]
        if unread:
            reasons.append(f"answers that could not be read: {'; '.join(unread)}")
        return Markets(VENUE_NAME, markets, reason="; ".join(reasons) or None, source=MARKET_DOC_URL)

    def _warn_once(self, market_id: str, problem: str) -> None:
        # One warning per market whose answer cannot be read; the order goes out unchecked.
        if market_id in self._warned_markets:
            return
        self._warned_markets.add(market_id)
        log.warning(
            "%s: Get market %s could not be read (%s); orders on it are placed without the client-side "
            "precision check (the venue still refuses a bad order). Set check_market_precision=false to skip the read.",
            VENUE_NAME,
            market_id,
            problem,
        )

    def place_flow(self, order: AnyStopOrder) -> Flow[OrderState]:
        """Read the order's market (unless ``check_market_precision`` is off), check the order
        against it, then place it.

        Exchanges: the read ``GET /frontoffice/api/v5/markets/{marketId}`` (cached), then the write
        ``POST /frontoffice/api/v3/stop-orders``. A market answer that cannot be read (any error but a
        refused token, or an unexpected shape) does not block: the order is placed unchecked, with a
        warning logged once per market.

        Raises:
            InvalidOrder: the price or amount does not fit the market's ``priceScale`` /
                ``amountScale`` / ``minAmount`` / ``maxBaseAmount``; nothing is posted.
            UnsupportedOrder: as :meth:`check_order`.
            AuthenticationError: the token was refused (on the market read or the place).
            RemoteError: from the place request (see :func:`stopkit_venues.b2trader.parse.classify_error`).
        """
        self.check_order(order)
        market_id = translate.check_spot_order(order)
        if self.check_market_precision:
            try:
                spec: MarketSpec = yield self.market_exchange(market_id)
            except AuthenticationError:
                raise  # the credentials, not the market answer: placing would be refused the same way
            except StopkitError as exc:
                spec = MarketSpec(market_id=market_id, problem=f"the read failed: {exc.message}")
            if spec.problem is not None:
                self._warn_once(market_id, spec.problem)
            check_order_fits(order, spec)
        state: OrderState = yield Exchange(
            build=functools.partial(self.build_place_request, order),
            parse=functools.partial(self.parse_place_response, order),
            writes=True,
            label="place",
        )
        return state

    def reconcile_flow(self, order: AnyStopOrder, *, sent_at_ms: int) -> Flow[OrderState | None] | None:
        """``None``: B2TRADER cannot look a stop up (no documented read endpoint, no client id).

        After a placement whose outcome is unknown (a timeout, a dropped connection, a 5xx)
        the client re-raises the error with ``outcome_known=False`` and never resends the
        order: check the trading terminal's Stop orders widget before placing it again.
        """
        return None

    def parse_place_response(self, order: AnyStopOrder, response: HttpResponse) -> OrderState:
        """The placed stop (normally ACCEPTED, ``WaitingForActivation``).

        ``client_order_id`` is the order's own: the venue neither stores nor echoes one,
        so stopkit attaches it locally.
        """
        return parse.parse_stop_response(response, writes=True, client_order_id=order.client_order_id)

    def parse_stop_response(self, response: HttpResponse) -> OrderState:
        """Any ``{"order": {...}}`` stop answer (used by the simulator's ``book_state``)."""
        return parse.parse_stop_response(response, writes=False)

    def parse_child_order(self, obj: Mapping[str, Any]) -> OrderState:
        """A regular order object, e.g. the child a stop released (see :func:`parse.parse_child_order`)."""
        return parse.parse_child_order(obj)

    def classify_error(self, response: HttpResponse, *, writes: bool = False) -> RemoteError:
        """See :func:`stopkit_venues.b2trader.parse.classify_error`."""
        return parse.classify_error(response, writes=writes)

    # -- live order updates -------------------------------------------------------------

    def stream(self) -> StreamProtocol:
        """The account's SignalR ``OpenOrders`` stream (see :mod:`stopkit_venues.b2trader.stream`): the
        children activated stops release, and their parents as TRIGGERED where a heuristic links
        them. An order leaving the open set without a final status is named by a ``StreamGap``."""
        from stopkit_venues.b2trader.stream import B2TraderStream

        return B2TraderStream(self, base_url=self.base_url, account_id=self.account_id, snapshots=self.stream_snapshots)

    def note_activation(self, stop: OrderState, child_order_id: str) -> None:
        """Remember that ``stop`` (TRIGGERED) released ``child_order_id`` (called by the stream), so
        that cancelling the stop cancels that child."""
        if stop.venue_order_id:
            self._activated[stop.venue_order_id] = (stop, child_order_id)

    def cancelled_child(self, child_order_id: str) -> OrderState | None:
        """The answer of this client's cancel of ``child_order_id`` (an activated stop's child), or ``None``."""
        return self._cancelled_children.get(child_order_id)

    def released_child(self, stop_order_id: str) -> str | None:
        """The orderId of the child the stop released, when this client saw it; else ``None``."""
        known = self._activated.get(stop_order_id)
        return None if known is None else known[1]

    # -- cancel -----------------------------------------------------------------------

    def build_cancel_request(self, venue_order_id: str, ctx: RequestContext) -> HttpRequest:
        """``DELETE /frontoffice/api/v3/stop-orders/{orderId}`` with the four stop headers and no body."""
        return translate.build_cancel_request(
            venue_order_id, base_url=self.base_url, account_id=self.account_id, token=ctx.access_token
        )

    def _child_cancel_exchange(self, child_id: str) -> Exchange[OrderState]:
        # DELETE /frontoffice/api/v3/orders/{childId} ("Cancel order").
        return Exchange(
            build=lambda ctx: translate.build_order_cancel_request(
                child_id, base_url=self.base_url, account_id=self.account_id, token=ctx.access_token
            ),
            parse=functools.partial(parse.parse_order_response, writes=True),
            writes=True,
            label="cancel",
        )

    def cancel_flow(self, ref: OrderRef) -> Flow[OrderState]:
        """Cancel one stop by its ``orderId``; returns it CANCELED.

        - A stop this client saw activate (its child on ``watch_orders``): the stop has nothing left
          to cancel, so its child is cancelled instead (``DELETE /frontoffice/api/v3/orders/{childId}``,
          "Cancel order"); the answer is the stop, CANCELED (or FILLED when the child had filled),
          with ``raw["stopkit.childOrderId"]``.
        - Otherwise ``DELETE /frontoffice/api/v3/stop-orders/{orderId}``: a 200 is a successful cancel
          whatever the status text. When that answer says ``Activated``, the stop had released an
          order: it is cancelled too when known; when not, ``reason`` says it may be live.

        Raises:
            UnsupportedOrder: only a client order id was given (stops carry none).
            OrderNotFound, OrderRejected, ...: from the venue; a refused stop cancel carries a note
                naming what may be live (the released order), a refused child cancel names the child.
        """
        if not ref.venue_order_id:
            raise UnsupportedOrder(
                f"{VENUE_NAME}: cancel needs venue_order_id: stop orders carry no client order id, "
                "so one cannot be cancelled by client_order_id",
                feature="client_order_id",
                venue=VENUE_NAME,
            )
        stop_id = ref.venue_order_id
        known = self._activated.get(stop_id)
        if known is not None:
            return (yield from self._cancel_child(known[0], known[1]))
        try:
            state: OrderState = yield Exchange(
                build=functools.partial(self.build_cancel_request, stop_id),
                parse=functools.partial(parse.parse_stop_response, writes=True, cancel_answer=True),
                writes=True,
                label="cancel",
            )
        except StopkitError as exc:
            known = self._activated.get(stop_id)  # the stream may have seen it activate meanwhile
            if known is not None and exc.outcome_known:
                return (yield from self._cancel_child(known[0], known[1]))
            exc.add_note(
                f"if stop {stop_id} had already activated, the Market/Limit order it released (its own orderId, "
                f"source StopOrder, shown by watch_orders) may be live: cancel it with "
                f"DELETE /frontoffice/api/v3/orders/{{orderId}} ({CANCEL_ORDER_DOC_URL})"
            )
            raise
        if state.venue_status == "Activated":
            child_id = self.released_child(stop_id)
            if child_id is not None:
                return (yield from self._cancel_child(state, child_id))
            return attrs.evolve(
                state,
                reason=(
                    "the cancel answer says Activated: the stop had released a Market/Limit order, unknown to "
                    "this client, which may be live (find it on watch_orders, source StopOrder)"
                ),
            )
        return state

    def _cancel_child(self, stop: OrderState, child_id: str) -> Flow[OrderState]:
        # The stop activated: cancel the order it released and report the stop with the outcome.
        try:
            child: OrderState = yield self._child_cancel_exchange(child_id)
        except StopkitError as exc:
            exc.add_note(
                f"stop {stop.venue_order_id} had activated and released order {child_id}; that order could not be "
                "cancelled: it may have filled or may still be live, check it"
            )
            raise
        status = child.status if child.status.is_terminal else OrderStatus.CANCELED
        if status is OrderStatus.CANCELED and child.status is not OrderStatus.CANCELED:
            child = attrs.evolve(child, status=OrderStatus.CANCELED)  # a 200 to the DELETE: cancelled
        if stop.venue_order_id:
            self._activated.pop(stop.venue_order_id, None)
        self._cancelled_children[child_id] = attrs.evolve(
            child, raw={**child.raw, "stopkit.parentOrderId": stop.venue_order_id}
        )
        return attrs.evolve(
            stop,
            status=status,
            venue_status="Activated",
            filled_quantity=child.filled_quantity,
            updated_at=child.updated_at or stop.updated_at,
            reason=f"the stop had activated; the order it released ({child_id}) is {child.venue_status}",
            raw={**stop.raw, "stopkit.childOrderId": child_id, "stopkit.child": dict(child.raw)},
        )


class B2TraderAdapter(VenueAdapter):
    """B2TRADER (B2Broker) SPOT stop orders: ``frontoffice`` REST API with a bearer JWT."""

    name = VENUE_NAME
    title = TITLE
    doc_url = DOC_URL
    refusals = REFUSALS
    capabilities = CAPABILITIES
    env_vars = (
        EnvVar(ENV_API_TOKEN, "offline API token (terminal Settings → API token management)", False, True),
        EnvVar(ENV_ACCESS_TOKEN, "a ready bearer token, for brokers that hand one out directly", False, True),
        EnvVar(ENV_ACCOUNT_ID, "trading account id, sent as the accountId header", True, False),
        EnvVar(ENV_BASE_URL, "the broker's B2TRADER host (required unless config base_url is set)", False, False),
    )

    def simulator(self) -> Simulator:
        """A fresh :class:`~stopkit_venues.b2trader.simulator.B2TraderSimulator` (imports aiohttp)."""
        from stopkit_venues.b2trader.simulator import B2TraderSimulator

        return B2TraderSimulator()

    def bind(self, credentials: Credentials, config: Mapping[str, Any] | None = None) -> B2TraderBound:
        """Check the credentials and config once.

        Raises:
            ConfigurationError: unknown config key or bad value; no base URL (config ``base_url`` or
                ``B2TRADER_BASE_URL``) or a malformed one; neither ``B2TRADER_API_TOKEN`` nor
                ``B2TRADER_ACCESS_TOKEN``; ``B2TRADER_ACCOUNT_ID`` missing or malformed (values never echoed).
        """
        parsed = structure_config(B2TraderConfig, config, venue=VENUE_NAME)
        base_url = parsed.base_url or credentials.get(ENV_BASE_URL)
        if not base_url:
            raise ConfigurationError(
                f"{VENUE_NAME}: no base URL: every broker runs its own host; set config base_url or {ENV_BASE_URL}",
                venue=VENUE_NAME,
            )
        api_token = credentials.get(ENV_API_TOKEN)
        access_token = credentials.get(ENV_ACCESS_TOKEN)
        if api_token is None and access_token is None:
            raise ConfigurationError(
                f"{VENUE_NAME}: {ENV_API_TOKEN} is not set (the offline API token from the trading terminal), "
                f"nor {ENV_ACCESS_TOKEN} (a ready bearer token)",
                venue=VENUE_NAME,
            )
        for name, value in ((ENV_API_TOKEN, api_token), (ENV_ACCESS_TOKEN, access_token)):
            if value is not None and value != value.strip():
                raise ConfigurationError(f"{VENUE_NAME}: {name} has surrounding whitespace", venue=VENUE_NAME)
        account_id = credentials.require(ENV_ACCOUNT_ID, hint="from GET /frontoffice/api/v3/accounts")
        if not _ACCOUNT_ID.fullmatch(account_id):
            raise ConfigurationError(
                f"{VENUE_NAME}: {ENV_ACCOUNT_ID} must be visible ASCII without spaces (at most 128 characters)",
                venue=VENUE_NAME,
            )
        if parsed.markets_ttl_s < 0:
            raise ConfigurationError(
                f"{VENUE_NAME}: markets_ttl_s must be 0 or more seconds, got {parsed.markets_ttl_s}", venue=VENUE_NAME
            )
        if not _TOKEN_PATH.fullmatch(parsed.token_path):
            raise ConfigurationError(
                f"{VENUE_NAME}: token_path must be an absolute URL path like /frontoffice/api/v4/access-token, "
                f"got {parsed.token_path!r}",
                venue=VENUE_NAME,
            )
        if parsed.market_stop_time_in_force not in _MARKET_STOP_TIFS:
            raise ConfigurationError(
                f"{VENUE_NAME}: market_stop_time_in_force must be one of {', '.join(_MARKET_STOP_TIFS)}, "
                f"got {parsed.market_stop_time_in_force!r}",
                venue=VENUE_NAME,
            )
        return B2TraderBound(
            self,
            base_url=_normalize_base_url(base_url),
            account_id=account_id,
            api_token=api_token,
            access_token=access_token,
            config=parsed,
        )
