"""The venue adapter contract.

A venue plugin registers one :class:`VenueAdapter` object under the entry-point
group ``stopkit.venues``. The adapter is stateless; :meth:`VenueAdapter.bind`
turns credentials and configuration into a :class:`BoundVenue`, which holds the
decoded keys and the parsed config and does all translation and parsing as pure
functions: no ``await``, no sockets, no clock, no environment.

Operations are *flows*: generators that yield :class:`Exchange` values (how to
build one request, how to parse its answer) and receive each parsed result. The
client runs the flow, building every attempt with a fresh
:class:`~stopkit.context.RequestContext`, so signed or timestamped requests are
rebuilt and re-signed on each retry, and multi-request operations (look in open
orders, then in history) stay pure::

    def get_flow(self, ref):
        rows = yield Exchange(build=..., parse=self.parse_open_orders)
        ...
        return state
"""

from __future__ import annotations

import abc
import functools
import re
import types
import typing
from collections.abc import Callable, Generator, Iterable, Mapping
from decimal import Decimal
from typing import TYPE_CHECKING, Any, Generic, Protocol, TypeVar

import attrs

from stopkit.context import AccessToken, RequestContext, TokenGrant
from stopkit.errors import ConfigurationError, InvalidOrder, RemoteError, UnsupportedOrder
from stopkit.markets import Markets
from stopkit.orders import Amount, AnyStopOrder, OrderKind, PositionEffect, TimeInForce, TriggerType, to_decimal
from stopkit.ratelimit import RateLimit
from stopkit.state import OrderState
from stopkit.wire import HttpRequest, HttpResponse

if TYPE_CHECKING:
    from stopkit.stream import StreamProtocol

__all__ = [
    "Amendment",
    "BoundVenue",
    "Candidates",
    "Capabilities",
    "Credentials",
    "DemoScenario",
    "EnvVar",
    "Exchange",
    "Flow",
    "OrderRef",
    "Refusal",
    "Simulator",
    "VenueAdapter",
    "structure_config",
]

T = TypeVar("T")
C = TypeVar("C")


@attrs.frozen
class EnvVar:
    """One environment variable a venue reads.

    Fields: ``name``; ``description``; ``required`` (no default and no
    alternative); ``secret`` (never printed).
    """

    name: str
    description: str
    required: bool = False
    secret: bool = False


def _freeze_values(values: Mapping[str, str]) -> Mapping[str, str]:
    return dict(values)


@attrs.frozen(repr=False)
class Credentials:
    """A venue's credentials as name → value (names are the venue's env var names).

    The repr lists names only, never values.
    """

    venue: str
    values: Mapping[str, str] = attrs.field(converter=_freeze_values)

    def get(self, name: str) -> str | None:
        """The value of ``name``, or ``None`` when absent or empty."""
        value = self.values.get(name)
        return value if value else None

    def require(self, name: str, *, hint: str = "") -> str:
        """The value of ``name``. Raises :class:`ConfigurationError` naming it when absent."""
        value = self.get(name)
        if value is None:
            raise ConfigurationError(
                f"{self.venue}: {name} is not set{(' (' + hint + ')') if hint else ''}", venue=self.venue
            )
        return value

    def __repr__(self) -> str:
        return f"Credentials(venue={self.venue!r}, names={sorted(self.values)!r})"

    __str__ = __repr__


@attrs.frozen(kw_only=True)
class Capabilities:
    """What a venue can express and do. Checked before any I/O.

    Fields:
        order_kinds: stop-market and/or stop-limit.
        trigger_types: accepted :class:`TriggerType` values (DEFAULT included when accepted).
        time_in_force: accepted :class:`TimeInForce` values.
        position_effects: accepted values, ``None`` meaning "venue default".
        whole_position_quantity: ``quantity=None`` is expressible (with CLOSE).
        client_order_id: the venue stores our client order id (else it is kept locally).
        get_order, list_open_orders, cancel, modify: the operations with a documented endpoint
            (``modify`` = an in-place replace; on venues without one, ``VenueClient.modify`` cancels
            and places anew only when asked to, with ``allow_cancel_replace=True``).
        reports_trigger: the venue shows that a stop triggered (else an armed and a
            triggered-but-unfilled stop both read ACCEPTED, and fills prove the trigger).
        reasons: feature → why it is unsupported, e.g. ``{"time_in_force=IOC": "..."}``;
            used in :class:`UnsupportedOrder` messages.
    """

    order_kinds: frozenset[OrderKind]
    trigger_types: frozenset[TriggerType]
    time_in_force: frozenset[TimeInForce]
    position_effects: frozenset[PositionEffect | None]
    whole_position_quantity: bool
    client_order_id: bool
    get_order: bool
    list_open_orders: bool
    cancel: bool
    modify: bool = False
    reports_trigger: bool = True
    reasons: Mapping[str, str] = attrs.field(factory=dict)

    def _unsupported(self, feature: str, venue: str, default: str) -> UnsupportedOrder:
        reason = self.reasons.get(feature) or self.reasons.get(feature.split("=")[0]) or default
        return UnsupportedOrder(f"{venue}: {feature} is not supported: {reason}", feature=feature, venue=venue)

    def check(self, order: AnyStopOrder, *, venue: str) -> None:
        """Raise :class:`UnsupportedOrder` naming the first feature of ``order`` the venue lacks."""
        if order.kind not in self.order_kinds:
            raise self._unsupported(f"kind={order.kind.value}", venue, "order kind not offered")
        if order.trigger_type not in self.trigger_types:
            raise self._unsupported(f"trigger_type={order.trigger_type.name}", venue, "trigger type not selectable")
        if order.time_in_force not in self.time_in_force:
            raise self._unsupported(f"time_in_force={order.time_in_force.name}", venue, "time in force not offered")
        if order.position_effect not in self.position_effects:
            name = "None" if order.position_effect is None else order.position_effect.name
            raise self._unsupported(f"position_effect={name}", venue, "position effect not expressible")
        if order.quantity is None:
            if not self.whole_position_quantity:
                raise self._unsupported("quantity=None", venue, "whole-position quantity not offered")
            if order.position_effect is not PositionEffect.CLOSE:
                raise InvalidOrder(
                    "quantity=None (whole position) requires position_effect=CLOSE", field="quantity", venue=venue
                )

    def require(self, operation: str, venue: str) -> None:
        """Raise :class:`UnsupportedOrder` unless ``operation`` is offered.

        ``operation`` is a capability name: get_order, list_open_orders, cancel or modify.
        """
        if not getattr(self, operation):
            raise self._unsupported(operation, venue, "the venue documents no endpoint for it")

    def as_dict(self) -> dict[str, Any]:
        """A JSON-ready summary (enum names, sorted)."""
        return {
            "order_kinds": sorted(k.value for k in self.order_kinds),
            "trigger_types": sorted(t.name for t in self.trigger_types),
            "time_in_force": sorted(t.name for t in self.time_in_force),
            "position_effects": sorted("DEFAULT" if p is None else p.name for p in self.position_effects),
            "whole_position_quantity": self.whole_position_quantity,
            "client_order_id": self.client_order_id,
            "get_order": self.get_order,
            "list_open_orders": self.list_open_orders,
            "cancel": self.cancel,
            "modify": self.modify,
            "reports_trigger": self.reports_trigger,
        }


@attrs.frozen(kw_only=True)
class OrderRef:
    """Which order an operation is about: a venue order id and/or our client order id.

    ``symbol`` is needed by venues that key orders per market (Pacifica cancel).
    Raises :class:`InvalidOrder` when neither id is given.
    """

    venue_order_id: str | None = None
    client_order_id: str | None = None
    symbol: str | None = None

    def __attrs_post_init__(self) -> None:
        if not self.venue_order_id and not self.client_order_id:
            raise InvalidOrder("give venue_order_id or client_order_id", field="venue_order_id")


def _optional_positive(field: str) -> Callable[[object], Decimal | None]:
    def convert(value: object) -> Decimal | None:
        if value is None:
            return None
        result = to_decimal(value, field=field)
        if result <= 0:
            raise InvalidOrder(f"{field} must be positive, got {result}", field=field)
        return result

    return convert


def _amend_stop_price(value: object) -> Decimal | None:
    return _optional_positive("stop_price")(value)


def _amend_limit_price(value: object) -> Decimal | None:
    return _optional_positive("limit_price")(value)


def _amend_quantity(value: object) -> Decimal | None:
    return _optional_positive("quantity")(value)


@attrs.frozen(kw_only=True, init=False)
class Amendment:
    """What :meth:`VenueClient.modify <stopkit.client.VenueClient.modify>` changes; ``None`` = keep.

    Values are :data:`~stopkit.orders.Amount` (``Decimal``, ``int`` or decimal string), stored as ``Decimal``.
    Raises :class:`InvalidOrder` for a non-positive, float or non-finite value, or when nothing changes.
    """

    stop_price: Decimal | None = attrs.field(default=None, converter=_amend_stop_price)
    limit_price: Decimal | None = attrs.field(default=None, converter=_amend_limit_price)
    quantity: Decimal | None = attrs.field(default=None, converter=_amend_quantity)

    def __init__(
        self, *, stop_price: Amount | None = None, limit_price: Amount | None = None, quantity: Amount | None = None
    ) -> None:
        self.__attrs_init__(stop_price=stop_price, limit_price=limit_price, quantity=quantity)

    def __attrs_post_init__(self) -> None:
        if self.stop_price is None and self.limit_price is None and self.quantity is None:
            raise InvalidOrder("modify needs at least one of stop_price, limit_price, quantity", field="stop_price")


@attrs.frozen(kw_only=True, repr=False)
class Exchange(Generic[T]):
    """One HTTP exchange inside a flow.

    Fields:
        build: ``ctx -> HttpRequest``; called anew for every attempt.
        parse: ``HttpResponse -> T``; raises a stopkit error for a refusal.
        writes: the request changes venue state (place, cancel, modify). Its answer is a
            known failure only when it matches one of the venue's documented
            :class:`Refusal` s; any other failure is an unknown outcome, reconciled and
            never resent blindly.
        authenticated: the request carries the venue's bearer token.
        label: short name for logs and for :attr:`Refusal.operations`: the built-in
            writes are labelled ``"place"``, ``"cancel"`` and ``"modify"``.
        cost: credits the request uses from the venue's rate limit (see
            :mod:`stopkit.ratelimit`); 1 unless the venue documents otherwise.
        cache_key: for a read whose answer changes slowly (market metadata): the client
            keeps the parsed result under this key for ``cache_ttl_s`` seconds and answers
            the exchange from it; while one fetch is in flight, other callers wait for it
            (single flight). ``None`` (default): never cached. Never set on a write.
        cache_ttl_s: how long a cached result stays fresh, in seconds.

    The repr shows the label and flags only: ``build``/``parse`` are bound to the venue
    and its credentials.
    """

    build: Callable[[RequestContext], HttpRequest]
    parse: Callable[[HttpResponse], T]
    writes: bool = False
    authenticated: bool = True
    label: str = "request"
    cost: float = 1.0
    cache_key: str | None = None
    cache_ttl_s: float = 300.0

    def __attrs_post_init__(self) -> None:
        if self.writes and self.cache_key is not None:
            raise ValueError("a write exchange cannot be cached")

    def __repr__(self) -> str:
        cache = f", cache_key={self.cache_key!r}" if self.cache_key is not None else ""
        return f"Exchange(label={self.label!r}, writes={self.writes!r}, cost={self.cost!r}{cache})"


def _frozen_ints(values: int | Iterable[int]) -> frozenset[int]:
    if isinstance(values, int):
        return frozenset({values})
    return frozenset(int(value) for value in values)


def _frozen_strs(values: str | Iterable[object]) -> frozenset[str]:
    if isinstance(values, str):
        return frozenset({values})
    return frozenset(str(value) for value in values)


def _patterns(values: str | re.Pattern[str] | Iterable[str | re.Pattern[str]]) -> tuple[re.Pattern[str], ...]:
    if isinstance(values, str | re.Pattern):
        values = (values,)
    return tuple(re.compile(value) for value in values)


def _str_tuple(values: str | Iterable[str]) -> tuple[str, ...]:
    if isinstance(values, str):
        return (values,)
    return tuple(values)


@attrs.frozen(kw_only=True)
class Refusal:
    """An answer to a write that the venue documents as a refusal: proof that it did not act.

    The client treats a failed write as a *known* failure only when the error the venue's
    parser raised matches one of the venue's refusals; every other answer to a write
    (another status, an undocumented body, a redirect, a body that cannot be read, a parser
    crash) is an unknown outcome and goes to reconciliation. Declare only what the venue
    documents, with the page that says so in ``source``.

    Fields:
        operations: the writes it applies to, e.g. ``{"place", "cancel"}``, matched against the
            first word of the write's :attr:`Exchange.label`.
        status: the HTTP status codes (one ``int`` or several).
        error: the stopkit error class the parser raises for it (matched with ``isinstance``).
        codes: venue codes (``StopkitError.venue_code``) that identify it.
        message_prefixes: venue messages (``StopkitError.venue_message``) that identify it, by prefix.
        message_patterns: regular expressions searched in the venue message (for texts that
            embed values, e.g. ``r"is not a multiple of (tick|lot) size"``).
        any_error_body: match any answer whose body the parser read as the venue's documented
            error shape (the error carries a venue code or message), for venues whose codes
            and texts are not fixed.
        any_body: match whatever the body (e.g. a documented bare 429). Use sparingly: a
            proxy's page with that status then counts as proof.
        source: the venue document (URL, SDK file) that says the venue refuses this way.

    Unless ``any_body`` or ``any_error_body`` is set, one of ``codes``, ``message_prefixes`` and
    ``message_patterns`` must match. Raises ``ValueError`` when none is given, or when ``source``
    is empty.
    """

    operations: frozenset[str] = attrs.field(converter=_frozen_strs)
    status: frozenset[int] = attrs.field(converter=_frozen_ints)
    error: type[RemoteError]
    codes: frozenset[str] = attrs.field(default=frozenset(), converter=_frozen_strs)
    message_prefixes: tuple[str, ...] = attrs.field(default=(), converter=_str_tuple)
    message_patterns: tuple[re.Pattern[str], ...] = attrs.field(default=(), converter=_patterns)
    any_error_body: bool = False
    any_body: bool = False
    source: str

    def __attrs_post_init__(self) -> None:
        if not (self.codes or self.message_prefixes or self.message_patterns or self.any_error_body or self.any_body):
            raise ValueError(
                "a Refusal needs codes, message_prefixes, message_patterns, any_error_body=True or any_body=True"
            )
        if not self.source.strip():
            raise ValueError("a Refusal needs the source that documents it")

    def matches(self, operation: str, status: int, error: BaseException) -> bool:
        """True when ``error``, raised for a ``status`` answer to ``operation``, is this refusal."""
        if operation not in self.operations or status not in self.status or not isinstance(error, self.error):
            return False
        if self.any_body:
            return True
        if self.any_error_body and (error.venue_code is not None or error.venue_message):
            return True
        if self.codes and error.venue_code is not None and error.venue_code in self.codes:
            return True
        message = error.venue_message
        if not message:
            return False
        return any(message.startswith(prefix) for prefix in self.message_prefixes) or any(
            pattern.search(message) for pattern in self.message_patterns
        )


def _state_tuple(states: Iterable[OrderState]) -> tuple[OrderState, ...]:
    return tuple(states)


@attrs.frozen(kw_only=True)
class Candidates:
    """What a reconcile flow found when it matched by the order's terms, not by an id.

    ``states``: every venue order that could be the one placed (same terms, inside the
    placement window), newest first or in the venue's order. ``by_client_order_id``:
    ``True`` only when the venue stores our client order id and the rows carry it.

    The client claims one only when it is the single candidate that no other call of
    this client has returned or may still return; otherwise the outcome stays unknown and
    the candidates are listed in the error's notes.
    """

    states: tuple[OrderState, ...] = attrs.field(converter=_state_tuple)
    by_client_order_id: bool = False


Flow = Generator[Exchange[Any], Any, T]
"""An operation: yields exchanges, receives each parsed result, returns ``T``."""


class BoundVenue(abc.ABC):
    """A venue adapter bound to credentials and config. Every method is pure.

    Subclasses implement :meth:`build_place_request`, :meth:`parse_place_response`
    and :meth:`classify_error`, and override the flows the venue supports.
    """

    def __init__(self, adapter: VenueAdapter) -> None:
        self.adapter = adapter

    @property
    def name(self) -> str:
        """The venue name."""
        return self.adapter.name

    @property
    def capabilities(self) -> Capabilities:
        """The venue's capabilities."""
        return self.adapter.capabilities

    @property
    def rate_limit(self) -> RateLimit | None:
        """The request budget for these credentials (default: the adapter's :attr:`VenueAdapter.rate_limit`)."""
        return self.adapter.rate_limit

    def check_order(self, order: AnyStopOrder) -> None:
        """Raise :class:`InvalidOrder` / :class:`UnsupportedOrder` before any I/O.

        The default checks :attr:`capabilities`; venues extend it with their rules.
        """
        self.capabilities.check(order, venue=self.name)

    # -- authentication -------------------------------------------------------

    def token_exchange(self, previous: AccessToken | None = None) -> Exchange[TokenGrant] | None:
        """The exchange that obtains a (new) bearer token, or ``None`` (no token auth, or static token only).

        ``previous`` is the token being replaced, e.g. to use its refresh token.
        The exchange's ``parse`` must never put the answer body into an error
        (it holds the token).
        """
        return None

    def initial_token(self) -> AccessToken | None:
        """A token given directly in the credentials (e.g. ``ARIES_ACCESS_TOKEN``), if any."""
        return None

    # -- placement ------------------------------------------------------------

    @abc.abstractmethod
    def build_place_request(self, order: AnyStopOrder, ctx: RequestContext) -> HttpRequest:
        """The exact request that places ``order``. Raises InvalidOrder/UnsupportedOrder."""

    @abc.abstractmethod
    def parse_place_response(self, order: AnyStopOrder, response: HttpResponse) -> OrderState:
        """The order's state from the venue's answer to the place request; raises on refusal."""

    @abc.abstractmethod
    def classify_error(self, response: HttpResponse, *, writes: bool = False) -> RemoteError:
        """The stopkit error for a non-success answer (``writes``: it answered a state change)."""

    def place_flow(self, order: AnyStopOrder) -> Flow[OrderState]:
        """Place ``order``; the default is one write exchange."""
        state: OrderState = yield Exchange(
            build=functools.partial(self.build_place_request, order),
            parse=functools.partial(self.parse_place_response, order),
            writes=True,
            label="place",
        )
        return state

    # -- optional operations --------------------------------------------------

    def get_flow(self, ref: OrderRef) -> Flow[OrderState]:
        """Read one order back. Default: :class:`UnsupportedOrder`."""
        self.capabilities.require("get_order", self.name)
        raise UnsupportedOrder(f"{self.name}: get is not implemented", feature="get_order", venue=self.name)
        yield  # pragma: no cover - makes this a generator

    def cancel_flow(self, ref: OrderRef) -> Flow[OrderState]:
        """Cancel one order. Default: :class:`UnsupportedOrder`."""
        self.capabilities.require("cancel", self.name)
        raise UnsupportedOrder(f"{self.name}: cancel is not implemented", feature="cancel", venue=self.name)
        yield  # pragma: no cover - makes this a generator

    def modify_flow(self, state: OrderState, amendment: Amendment) -> Flow[OrderState]:
        """Change a resting order in place (a write). Default: :class:`UnsupportedOrder`."""
        self.capabilities.require("modify", self.name)
        raise UnsupportedOrder(f"{self.name}: modify is not implemented", feature="modify", venue=self.name)
        yield  # pragma: no cover - makes this a generator

    @property
    def refusals(self) -> tuple[Refusal, ...]:
        """The venue's documented refusals (default: the adapter's :attr:`VenueAdapter.refusals`)."""
        return self.adapter.refusals

    def reconcile_flow(self, order: AnyStopOrder, *, sent_at_ms: int) -> Flow[OrderState | Candidates | None] | None:
        """After a placement whose outcome is unknown, find ``order`` on the venue.

        ``sent_at_ms`` is when the first attempt was built (Unix ms). The flow
        returns the order's state when it found it by a client order id the venue
        stores (authoritative), :class:`Candidates` when it matched rows by the order's
        terms (the client decides which, if any, is this call's), or ``None`` when no
        matching order is found (which does not prove it will not appear). Returns
        ``None`` instead of a flow when the venue offers no way to look (the unknown
        outcome is then reported as is). The client never resends the order; a venue
        that refuses reused client order ids may resend it inside this flow (see
        docs/plugins.md).

        To be able to answer ``None`` this method must not itself be a generator:
        return one from a helper (``return self._lookup(order, sent_at_ms)``).
        """
        return None

    def markets_flow(self, symbols: tuple[str, ...] | None = None) -> Flow[Markets]:
        """The venue's markets and their order rules (tick and lot size, quantity and price bounds,
        minimum notional): reads only, cached through :attr:`Exchange.cache_key`.

        ``symbols`` (unified or native): only these markets are needed; ``None``: every market the
        venue lists. A venue may answer more than asked, and leaves out what it does not know (a
        symbol it does not list). The default publishes nothing: an empty :class:`Markets` whose
        ``reason`` says so; a venue that publishes no rules overrides it to say why.
        """
        return Markets(self.name, reason=f"{self.name}: the venue plugin publishes no market rules")
        yield  # pragma: no cover - makes this a generator

    def stream(self) -> StreamProtocol | None:
        """The venue's order-update WebSocket protocol (a fresh :class:`~stopkit.stream.StreamProtocol`
        per ``watch_orders`` call), or ``None`` when the venue streams no order updates (default)."""
        return None

    def open_orders_flow(self, symbol: str | None = None) -> Flow[list[OrderState]]:
        """List open stop orders. Default: :class:`UnsupportedOrder`."""
        self.capabilities.require("list_open_orders", self.name)
        raise UnsupportedOrder(
            f"{self.name}: open_orders is not implemented", feature="list_open_orders", venue=self.name
        )
        yield  # pragma: no cover - makes this a generator


@attrs.frozen(kw_only=True)
class DemoScenario:
    """What ``stopkit demo`` does on a venue's simulator.

    Fields:
        symbol: the venue-native symbol whose price moves.
        orders: the documented example orders to place.
        start_price: the price before placement (no stop may trigger at it).
        near_price: a move toward the stops that must not trigger any.
        through_price: a move through every stop: all must trigger.
        notes: one line on where the orders come from (doc URL).
    """

    symbol: str
    orders: tuple[Any, ...]
    start_price: Decimal
    near_price: Decimal
    through_price: Decimal
    notes: str = ""


class Simulator(Protocol):
    """A venue simulator (an aiohttp.web app behaving like the venue's docs).

    Provided by :meth:`VenueAdapter.simulator`; used by ``stopkit demo`` and tests.
    """

    def make_app(self) -> Any:
        """A fresh ``aiohttp.web.Application`` serving the venue's paths."""
        ...

    async def start(self, *, host: str = "127.0.0.1", port: int = 0) -> str:
        """Serve the app on ``host`` (loopback) at ``port`` (0 = ephemeral); returns the base URL."""
        ...

    async def stop(self) -> None:
        """Stop serving."""
        ...

    def demo_credentials(self) -> dict[str, str]:
        """Credentials (env-var names → values) the simulator accepts."""
        ...

    def demo_config(self, base_url: str) -> dict[str, Any]:
        """Venue config pointing the adapter at the simulator served at ``base_url``."""
        ...

    def demo_scenario(self) -> DemoScenario:
        """The documented example orders and the price path of the demo."""
        ...

    def set_price(self, symbol: str, price: Decimal) -> None:
        """Move the simulated reference price of ``symbol`` (venue-native; the built-in simulators
        also take unified symbols); stops it crosses trigger at once."""
        ...

    def book_state(self, venue: BoundVenue, venue_order_id: str) -> Any:
        """The simulator's own record of the order, rendered in the venue's wire shape
        and parsed by ``venue``'s parser into an ``OrderState`` (for venues with no
        read endpoint)."""
        ...


class VenueAdapter(abc.ABC):
    """The object a venue plugin registers under the ``stopkit.venues`` entry points.

    Class attributes: ``name`` (the registered name), ``title``, ``doc_url``,
    ``capabilities``, ``env_vars`` (what :meth:`credentials_from_env` reads),
    ``rate_limit`` (the documented request budget, or ``None``), ``refusals`` (the
    venue's documented refusals of writes, :class:`Refusal`; an answer to a write that
    matches none of them is an unknown outcome), ``max_response_bytes`` (the largest answer
    body the client reads, 4 MiB by default).
    """

    name: str
    title: str
    doc_url: str
    capabilities: Capabilities
    env_vars: tuple[EnvVar, ...] = ()
    rate_limit: RateLimit | None = None
    refusals: tuple[Refusal, ...] = ()
    max_response_bytes: int = 4 * 1024 * 1024

    def simulator(self) -> Simulator:
        """A fresh simulator of this venue. Imported lazily (it needs aiohttp).

        Raises:
            ConfigurationError: the venue ships no simulator (the default). (A plugin written for
                an older stopkit may return ``None`` instead; stopkit treats that the same way.)
        """
        raise ConfigurationError(f"{self.name}: the venue ships no simulator", venue=self.name)

    def credentials_from_env(self, environ: Mapping[str, str]) -> Credentials:
        """Collect this venue's variables from ``environ`` (pure: the mapping is passed in).

        Missing required variables are reported later by :meth:`bind`, which knows
        the alternatives (e.g. a static token or client credentials).
        """
        return Credentials(self.name, {v.name: environ[v.name] for v in self.env_vars if environ.get(v.name)})

    @abc.abstractmethod
    def bind(self, credentials: Credentials, config: Mapping[str, Any] | None = None) -> BoundVenue:
        """Decode credentials and parse ``config`` once.

        ``config`` values may be typed or strings (from ``--venue-config KEY=VALUE``).

        Raises:
            ConfigurationError: missing or malformed credentials or config.
        """


_BOOL_TEXT = {"true": True, "1": True, "yes": True, "on": True, "false": False, "0": False, "no": False, "off": False}


def _structure_bool(value: object, _type: object) -> bool:
    if isinstance(value, bool):
        return value
    if isinstance(value, str) and value.strip().lower() in _BOOL_TEXT:
        return _BOOL_TEXT[value.strip().lower()]
    raise ValueError(f"not a boolean: {value!r}")


def _structure_int(value: object, _type: object) -> int:
    if isinstance(value, bool) or not isinstance(value, int | str):
        raise ValueError(f"not an integer: {value!r}")
    return int(value)


@functools.cache
def _config_converter() -> Any:
    # Built on first use: cattrs costs ~10 ms to import, and `import stopkit` should not pay it.
    import cattrs

    converter = cattrs.Converter(forbid_extra_keys=True)
    converter.register_structure_hook(bool, _structure_bool)
    converter.register_structure_hook(int, _structure_int)
    return converter


_PLAIN_TYPES = (str, bool, int, float)


def _exact_types(annotation: object) -> tuple[type, ...] | None:
    # The value types a field of this type takes unchanged (str, bool, int, float, and X | None), else None.
    if annotation in _PLAIN_TYPES:
        return (annotation,)
    args = typing.get_args(annotation)
    if typing.get_origin(annotation) in (typing.Union, types.UnionType) and len(args) == 2 and type(None) in args:
        (inner,) = (arg for arg in args if arg is not type(None))
        if inner in _PLAIN_TYPES:
            return (inner, type(None))
    return None


@functools.cache
def _plain_fields(cls: type) -> dict[str, tuple[type, ...]] | None:
    # Per field, the value types passed to the class unchanged; None when any field is of another kind.
    attrs.resolve_types(cls)
    plain: dict[str, tuple[type, ...]] = {}
    for field in attrs.fields(cls):
        exact = _exact_types(field.type)
        if exact is None or not field.init or field.alias != field.name:
            return None
        plain[field.name] = exact
    return plain


def structure_config(cls: type[C], values: Mapping[str, Any] | None, *, venue: str) -> C:
    """Build the attrs config class ``cls`` from ``values`` (typed or string values).

    Raises:
        ConfigurationError: naming the unknown key or the key whose value does not convert.
    """
    data = dict(values or {})
    known = {a.name for a in attrs.fields(cls)}  # type: ignore[arg-type]  # cls is an attrs class
    for key in data:
        if key not in known:
            raise ConfigurationError(
                f"{venue}: unknown config key {key!r}; known keys: {', '.join(sorted(known))}", venue=venue
            )
    plain = _plain_fields(typing.cast(type, cls))
    if plain is not None and all(type(value) in plain[key] for key, value in data.items()):
        # Every value already has its field's type (the defaults, or typed values): the converter
        # would pass them through unchanged, so it is not loaded (cattrs costs ~10 ms to import).
        try:
            return cls(**data)
        except Exception:  # noqa: BLE001, S110  # a refused value: the converter below reports it in its words
            pass
    try:
        return _config_converter().structure(data, cls)  # type: ignore[no-any-return]
    except ExceptionGroup as exc:  # cattrs.BaseValidationError is an ExceptionGroup
        import cattrs

        messages = "; ".join(cattrs.transform_error(exc)) if isinstance(exc, cattrs.BaseValidationError) else str(exc)
        raise ConfigurationError(f"{venue}: bad config: {messages}", venue=venue) from None
    except (ValueError, TypeError) as exc:
        raise ConfigurationError(f"{venue}: bad config: {exc}", venue=venue) from None
