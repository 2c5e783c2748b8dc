"""The B2TRADER venue adapter (SPOT stop-market and stop-limit orders).

Credentials (environment variables):

- ``B2TRADER_API_TOKEN`` (secret): the offline API token from the trading terminal's
  Settings → API token management; exchanged for a bearer JWT (sheet §2).
- ``B2TRADER_ACCOUNT_ID``: the trading account, sent as the ``accountId`` header.
- ``B2TRADER_BASE_URL``: the broker's host (every broker runs its own; no default,
  sheet §1). Config ``base_url`` overrides it; one of the two is required.

Operations: place and cancel. There is no documented endpoint that reads or lists
stop orders (sheet §3.4), so get and open_orders raise
:class:`~stopkit.errors.UnsupportedOrder`; stops carry no client order id (§4, §8.9).
"""

from __future__ import annotations

import functools
import re
from collections.abc import Mapping
from typing import Any
from urllib.parse import urlsplit

import attrs

from stopkit.context import AccessToken, RequestContext, TokenGrant
from stopkit.errors import ConfigurationError, RemoteError, UnsupportedOrder
from stopkit.orders import AnyStopOrder, OrderKind, PositionEffect, TimeInForce, TriggerType
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
from stopkit.wire import HttpRequest, HttpResponse
from venues.b2trader import auth, parse, translate
from venues.b2trader.constants import (
    DOC_URL,
    ENV_ACCOUNT_ID,
    ENV_API_TOKEN,
    ENV_BASE_URL,
    TITLE,
    VENUE_NAME,
)

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
    """

    base_url: str | None = None


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

    def __init__(self, adapter: VenueAdapter, *, base_url: str, account_id: str, api_token: str) -> None:
        super().__init__(adapter)
        self.base_url = base_url
        self.account_id = account_id
        self._api_token = _Secret(api_token)

    def __repr__(self) -> str:
        return f"B2TraderBound(base_url={self.base_url!r}, account_id={self.account_id!r}, api_token='***')"

    # -- checks -----------------------------------------------------------------------

    def check_order(self, order: AnyStopOrder) -> None:
        """Capabilities, then the spot rules (no short, no cover, SPOT symbols only).

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
        """``POST /frontoffice/api/v3/stop-orders`` (see :mod:`venues.b2trader.translate`)."""
        self.check_order(order)
        return translate.build_place_request(
            order, base_url=self.base_url, account_id=self.account_id, token=ctx.access_token
        )

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
                ``B2TRADER_BASE_URL``) or a malformed one; ``B2TRADER_API_TOKEN`` or
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
        return B2TraderBound(self, base_url=_normalize_base_url(base_url), account_id=account_id, api_token=api_token)
