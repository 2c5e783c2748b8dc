"""The B2TRADER venue adapter (SPOT stop-market and stop-limit orders).

Credentials (environment variables):

- ``B2TRADER_API_TOKEN`` (secret): the offline API token from the trading terminal's
  Settings → API token management; exchanged for a bearer JWT (sheet §2).
- ``B2TRADER_ACCOUNT_ID``: the trading account, sent as the ``accountId`` header.
- ``B2TRADER_BASE_URL``: the broker's host (every broker runs its own; no default,
  sheet §1). Config ``base_url`` overrides it; one of the two is required.

Config (``stopkit.connect(..., config=...)`` or ``--venue-config KEY=VALUE``): ``base_url``,
``decimals_as_numbers`` (send exact JSON numbers instead of decimal strings) and
``markets_ttl_s`` (how long Get markets is reused; see :class:`B2TraderConfig`).

Operations:

- place: ``GET /frontoffice/api/v5/markets`` first (cached per bound venue, i.e. per client,
  for ``markets_ttl_s``), the order checked against its market's ``priceScale``,
  ``amountScale``, ``minAmount`` and ``maxBaseAmount`` (:class:`~stopkit.errors.InvalidOrder`
  before the POST), then ``POST /frontoffice/api/v3/stop-orders``.
- cancel: ``DELETE /frontoffice/api/v3/stop-orders/{orderId}``.
- get, open_orders: :class:`~stopkit.errors.UnsupportedOrder`: no documented endpoint reads
  or lists stop orders (sheet §3.4). Stops carry no client order id (§4, §8.9).
- reconcile after an unknown placement outcome: impossible for the same reason; the
  client re-raises the error (``outcome_known=False``) and never resends the order.

:func:`stopkit.preview` does no I/O, so it cannot know the broker's markets: it runs every
check except the market precision check (see :meth:`B2TraderBound.check_order`).
"""

from __future__ import annotations

import functools
import re
from collections.abc import Mapping
from typing import Any
from urllib.parse import urlsplit

import attrs

from stopkit.plugin import (
    AccessToken,
    AnyStopOrder,
    BoundVenue,
    Capabilities,
    ConfigurationError,
    Credentials,
    EnvVar,
    Exchange,
    Flow,
    HttpRequest,
    HttpResponse,
    LocalError,
    OrderKind,
    OrderRef,
    OrderState,
    PositionEffect,
    RateLimit,
    RemoteError,
    RequestContext,
    Simulator,
    StreamProtocol,
    TimeInForce,
    TokenGrant,
    TriggerType,
    UnsupportedOrder,
    VenueAdapter,
    structure_config,
)
from venues.b2trader import auth, parse, translate
from venues.b2trader.constants import (
    DEFAULT_MARKETS_TTL_S,
    DEFAULT_REQUESTS_PER_S,
    DOC_URL,
    ENV_ACCOUNT_ID,
    ENV_API_TOKEN,
    ENV_BASE_URL,
    TITLE,
    VENUE_NAME,
)
from venues.b2trader.markets import Markets, check_order_fits, parse_markets_response
from venues.b2trader.refusals import REFUSALS

__all__ = ["CAPABILITIES", "B2TraderAdapter", "B2TraderBound", "B2TraderConfig"]

_NO_READ = "no documented endpoint lists or fetches stop orders (sheet §3.4); track stops by orderId"

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
            "the trigger price is not selectable on B2TRADER; the venue's own reference (best bid/ask per its "
            "order-types guide, unverified) applies: use TriggerType.DEFAULT (sheet §4, §8.5)"
        ),
        "quantity=None": "spot has no positions: requestedAmount is always given in base units (sheet §4, §7.7)",
        "client_order_id": "stop orders carry no client order id; stopkit keeps it locally (sheet §4, §8.9)",
        "get_order": _NO_READ,
        "list_open_orders": _NO_READ,
    },
)
"""What B2TRADER SPOT stops support (sheet §3, §4)."""


@attrs.frozen(kw_only=True)
class B2TraderConfig:
    """Venue config.

    Fields:
        base_url: the broker's B2TRADER host, e.g. ``https://trade.example-broker.com``
            (overrides ``B2TRADER_BASE_URL``; one of them is required, sheet §1).
        decimals_as_numbers: send ``activationPrice``, ``requestedAmount`` and
            ``requestedPrice`` as exact JSON numbers (``128000``, as the docs' example does)
            instead of decimal strings (``"128000"``, the declared type; the default).
            Written from the ``Decimal``, never through ``float`` (sheet §8.1, [unverified]
            which one a broker accepts).
        markets_ttl_s: seconds the parsed Get markets answer is reused before a placement
            fetches it again (default 300; 0 = before every placement). A market missing
            from a cached answer is looked up once more before the order is refused.
        requests_per_s: client-side request budget per account (default 1/s). The API
            documents no limits; the older B2BX docs allowed ``/frontoffice/*`` one request
            a second, which the sheet takes as the safe default (§6, §8.7). Raise it when
            your broker says more.
    """

    base_url: str | None = None
    decimals_as_numbers: bool = False
    markets_ttl_s: int = DEFAULT_MARKETS_TTL_S
    requests_per_s: float = attrs.field(default=DEFAULT_REQUESTS_PER_S, validator=attrs.validators.gt(0))


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


class _MarketsExpired(LocalError):
    # Raised by a place build (attempt 1 only, before anything is sent) when the cached Get
    # markets answer is older than markets_ttl_s. The client throws it into the place flow,
    # which fetches the markets again: adapters cannot read the clock, only ctx.now_ms.
    pass


@attrs.frozen(repr=False)
class _Secret:
    # A secret string with a masked repr.
    value: str

    def __repr__(self) -> str:
        return "'***'"


class B2TraderBound(BoundVenue):
    """B2TRADER bound to an API token, an account id and a base URL (all pure).

    Attributes: ``base_url`` (no trailing slash), ``account_id``. The API token is
    held privately and never shown.
    """

    def __init__(
        self,
        adapter: VenueAdapter,
        *,
        base_url: str,
        account_id: str,
        api_token: str,
        decimals_as_numbers: bool = False,
        markets_ttl_s: int = DEFAULT_MARKETS_TTL_S,
        requests_per_s: float = DEFAULT_REQUESTS_PER_S,
    ) -> None:
        super().__init__(adapter)
        self.requests_per_s = requests_per_s
        self.base_url = base_url
        self.account_id = account_id
        self.decimals_as_numbers = decimals_as_numbers
        self.markets_ttl_s = markets_ttl_s
        self._api_token = _Secret(api_token)
        # The last Get markets answer (memoized for markets_ttl_s); None until the first placement.
        self._markets: Markets | None = None

    def __repr__(self) -> str:
        return (
            f"B2TraderBound(base_url={self.base_url!r}, account_id={self.account_id!r}, api_token='***', "
            f"decimals_as_numbers={self.decimals_as_numbers!r}, markets_ttl_s={self.markets_ttl_s!r})"
        )

    @property
    def rate_limit(self) -> RateLimit:
        """``requests_per_s`` per account (config; default 1/s, sheet §8.7)."""
        return RateLimit.per_second(self.requests_per_s, source="configured (B2TRADER documents no limit)")

    @property
    def cached_markets(self) -> Markets | None:
        """The memoized Get markets answer, or ``None`` before the first placement."""
        return self._markets

    # -- checks -----------------------------------------------------------------------

    def check_order(self, order: AnyStopOrder) -> None:
        """Capabilities, then the spot rules (no short, no cover, SPOT symbols only). No I/O.

        The market precision check (``priceScale``, ``amountScale``, ``minAmount``,
        ``maxBaseAmount``, listed market) needs Get markets, so it runs in :meth:`place_flow`,
        not here: :func:`stopkit.preview` (which calls only this and
        :meth:`build_place_request`) does not apply it.

        Raises:
            UnsupportedOrder: trigger types other than DEFAULT, ``quantity=None``,
                SELL+OPEN, BUY+CLOSE, derivative symbols.
            InvalidOrder: a symbol of neither accepted form.
        """
        super().check_order(order)
        translate.check_spot_order(order)

    # -- authentication ---------------------------------------------------------------

    def token_exchange(self, previous: AccessToken | None = None) -> Exchange[TokenGrant]:
        """Exchange the API token for a bearer JWT (refresh = the same exchange again; sheet §2)."""
        return Exchange(
            build=self._build_token_request,
            parse=auth.parse_token_response,
            writes=False,
            authenticated=False,
            label="token",
        )

    def _build_token_request(self, ctx: RequestContext) -> HttpRequest:
        # The exchange needs no clock or token; ctx is part of the Exchange.build signature.
        return auth.build_token_request(self.base_url, self._api_token.value)

    # -- placement --------------------------------------------------------------------

    def build_place_request(self, order: AnyStopOrder, ctx: RequestContext) -> HttpRequest:
        """``POST /frontoffice/api/v3/stop-orders`` (see :mod:`venues.b2trader.translate`);
        decimals as JSON numbers when ``decimals_as_numbers``."""
        self.check_order(order)
        return translate.build_place_request(
            order,
            base_url=self.base_url,
            account_id=self.account_id,
            token=ctx.access_token,
            numbers=self.decimals_as_numbers,
        )

    def build_markets_request(self, ctx: RequestContext) -> HttpRequest:
        """``GET /frontoffice/api/v5/markets`` (see :func:`venues.b2trader.translate.build_markets_request`)."""
        return translate.build_markets_request(
            base_url=self.base_url, account_id=self.account_id, token=ctx.access_token
        )

    def markets_exchange(self) -> Exchange[Markets]:
        """The read exchange fetching Get markets; the answer is stamped with the request's ``ctx.now_ms``."""
        built_at_ms: list[int] = []

        def build(ctx: RequestContext) -> HttpRequest:
            built_at_ms.append(ctx.now_ms)
            return self.build_markets_request(ctx)

        def parse_answer(response: HttpResponse) -> Markets:
            return parse_markets_response(response, fetched_at_ms=built_at_ms[-1])

        return Exchange(build=build, parse=parse_answer, writes=False, label="markets")

    def _build_place_if_fresh(self, order: AnyStopOrder, markets: Markets, ctx: RequestContext) -> HttpRequest:
        # The place request, unless (first attempt only) the cached markets have expired by ctx.now_ms.
        if ctx.attempt == 1 and ctx.now_ms - markets.fetched_at_ms >= self.markets_ttl_s * 1000:
            raise _MarketsExpired(f"{VENUE_NAME}: cached markets expired", venue=VENUE_NAME)
        return self.build_place_request(order, ctx)

    def _place_exchange(self, order: AnyStopOrder, build: Any) -> Exchange[OrderState]:
        # The write exchange of a placement with the given build function.
        return Exchange(
            build=build, parse=functools.partial(self.parse_place_response, order), writes=True, label="place"
        )

    def place_flow(self, order: AnyStopOrder) -> Flow[OrderState]:
        """Get markets (unless cached and fresh), check the order against its market, then place it.

        Exchanges: ``GET /frontoffice/api/v5/markets`` (a read, skipped while the memoized
        answer is younger than ``markets_ttl_s`` and lists the market), then the write
        ``POST /frontoffice/api/v3/stop-orders``.

        Raises:
            InvalidOrder: the market is not listed, or the price/amount does not fit its
                ``priceScale`` / ``amountScale`` / ``minAmount`` / ``maxBaseAmount``; nothing is posted.
            UnsupportedOrder: as :meth:`check_order`.
            RemoteError: from either request (see :func:`venues.b2trader.parse.classify_error`).
        """
        self.check_order(order)
        market_id = translate.check_spot_order(order)
        markets = self._markets
        if markets is None or self.markets_ttl_s == 0 or market_id not in markets.by_id:
            markets = yield self.markets_exchange()
            self._markets = markets
            check_order_fits(order, market_id, markets)
            state: OrderState = yield self._place_exchange(order, functools.partial(self.build_place_request, order))
            return state
        check_order_fits(order, market_id, markets)
        try:
            state = yield self._place_exchange(order, functools.partial(self._build_place_if_fresh, order, markets))
        except _MarketsExpired:
            markets = yield self.markets_exchange()
            self._markets = markets
            check_order_fits(order, market_id, markets)
            state = yield self._place_exchange(order, functools.partial(self.build_place_request, order))
        return state

    def reconcile_flow(self, order: AnyStopOrder, *, sent_at_ms: int) -> Flow[OrderState | None] | None:
        """``None``: B2TRADER cannot look a stop up (no read endpoint, no client id; sheet §3.4, §8.3).

        After a placement whose outcome is unknown (a timeout, a dropped connection, a 5xx)
        the client re-raises the error with ``outcome_known=False`` and never resends the
        order: check the trading terminal's Stop orders widget before placing it again.
        """
        return None

    def parse_place_response(self, order: AnyStopOrder, response: HttpResponse) -> OrderState:
        """The placed stop (normally ACCEPTED, ``WaitingForActivation``).

        ``client_order_id`` is the order's own: the venue neither stores nor echoes one,
        so stopkit attaches it locally (sheet §4, §8.9).
        """
        return parse.parse_stop_response(response, writes=True, client_order_id=order.client_order_id)

    def parse_stop_response(self, response: HttpResponse) -> OrderState:
        """Any ``{"order": {...}}`` stop answer (used by the simulator's ``book_state``)."""
        return parse.parse_stop_response(response, writes=False)

    def parse_child_order(self, obj: Mapping[str, Any]) -> OrderState:
        """A regular order object, e.g. the child a stop released (see :func:`parse.parse_child_order`)."""
        return parse.parse_child_order(obj)

    def classify_error(self, response: HttpResponse, *, writes: bool = False) -> RemoteError:
        """See :func:`venues.b2trader.parse.classify_error`."""
        return parse.classify_error(response, writes=writes)

    # -- live order updates -------------------------------------------------------------

    def stream(self) -> StreamProtocol:
        """The account's SignalR ``OpenOrders`` stream (see :mod:`venues.b2trader.stream`): the
        children activated stops release, and their parents as TRIGGERED where a heuristic links
        them. Stops themselves are not streamed, and nothing can be read back after a reconnect
        (a ``StreamGap`` is yielded)."""
        from venues.b2trader.stream import B2TraderStream

        return B2TraderStream(self, base_url=self.base_url, account_id=self.account_id)

    # -- cancel -----------------------------------------------------------------------

    def build_cancel_request(self, venue_order_id: str, ctx: RequestContext) -> HttpRequest:
        """``DELETE /frontoffice/api/v3/stop-orders/{orderId}`` with the four stop headers and no body."""
        return translate.build_cancel_request(
            venue_order_id, base_url=self.base_url, account_id=self.account_id, token=ctx.access_token
        )

    def cancel_flow(self, ref: OrderRef) -> Flow[OrderState]:
        """Cancel one stop by its ``orderId`` (sheet §3.3); the answer → CANCELED.

        Raises:
            UnsupportedOrder: only a client order id was given (stops carry none).
            OrderNotFound, OrderRejected, ...: from the venue.
        """
        if not ref.venue_order_id:
            raise UnsupportedOrder(
                f"{VENUE_NAME}: cancel needs venue_order_id: stop orders carry no client order id, "
                "so one cannot be cancelled by client_order_id (sheet §4, §8.9)",
                feature="client_order_id",
                venue=VENUE_NAME,
            )
        state: OrderState = yield Exchange(
            build=functools.partial(self.build_cancel_request, ref.venue_order_id),
            parse=functools.partial(parse.parse_stop_response, writes=True, cancel_answer=True),
            writes=True,
            label="cancel",
        )
        return state


class B2TraderAdapter(VenueAdapter):
    """B2TRADER (B2Broker) SPOT stop orders: ``frontoffice`` REST API with a bearer JWT."""

    name = VENUE_NAME
    title = TITLE
    doc_url = DOC_URL
    refusals = REFUSALS
    capabilities = CAPABILITIES
    env_vars = (
        EnvVar(ENV_API_TOKEN, "offline API token (terminal Settings → API token management)", True, True),
        EnvVar(ENV_ACCOUNT_ID, "trading account id, sent as the accountId header", True, False),
        EnvVar(ENV_BASE_URL, "the broker's B2TRADER host (required unless config base_url is set)", False, False),
    )

    def simulator(self) -> Simulator:
        """A fresh :class:`~venues.b2trader.simulator.B2TraderSimulator` (imports aiohttp)."""
        from venues.b2trader.simulator import B2TraderSimulator

        return B2TraderSimulator()

    def bind(self, credentials: Credentials, config: Mapping[str, Any] | None = None) -> B2TraderBound:
        """Check the credentials and config once.

        Raises:
            ConfigurationError: unknown config key; no base URL (config ``base_url`` or
                ``B2TRADER_BASE_URL``) or a malformed one; a non-boolean ``decimals_as_numbers``;
                a negative or non-integer ``markets_ttl_s``; ``B2TRADER_API_TOKEN`` or
                ``B2TRADER_ACCOUNT_ID`` missing or malformed (values never echoed).
        """
        parsed = structure_config(B2TraderConfig, config, venue=VENUE_NAME)
        base_url = parsed.base_url or credentials.get(ENV_BASE_URL)
        if not base_url:
            raise ConfigurationError(
                f"{VENUE_NAME}: no base URL: every broker runs its own host; set config base_url or {ENV_BASE_URL}",
                venue=VENUE_NAME,
            )
        api_token = credentials.require(ENV_API_TOKEN, hint="the offline API token from the trading terminal")
        if api_token != api_token.strip():
            raise ConfigurationError(f"{VENUE_NAME}: {ENV_API_TOKEN} has surrounding whitespace", venue=VENUE_NAME)
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
        return B2TraderBound(
            self,
            base_url=_normalize_base_url(base_url),
            account_id=account_id,
            api_token=api_token,
            decimals_as_numbers=parsed.decimals_as_numbers,
            markets_ttl_s=parsed.markets_ttl_s,
            requests_per_s=parsed.requests_per_s,
        )
