"""VenueClient: runs a bound venue's pure flows over the transport.

For every exchange of a flow the client builds a fresh
:class:`~stopkit.context.RequestContext` (clock, bearer token, attempt number),
builds the request, sends it, and parses the answer, inside the retry policy.
Bearer tokens are obtained once, cached until shortly before they expire, and
refreshed by one caller at a time.

Writes (place, cancel, modify) follow one rule (:mod:`stopkit.outcomes`): a failed
write is a known failure only when the venue's answer is one of its documented
refusals; anything else is an unknown outcome, which the client reconciles (looks
the order up) before it reports or resends anything. A write is never resent on a
refused token before reconciliation has looked for it, and a call whose task is
cancelled after its request may have left is settled in the background
(:meth:`VenueClient.pending`).
"""

from __future__ import annotations

import asyncio
import contextvars
import ipaddress
import logging
import time
import uuid
from collections import OrderedDict
from collections.abc import (
    AsyncGenerator,
    AsyncIterator,
    Awaitable,
    Callable,
    Generator,
    Iterable,
    Iterator,
    Sequence,
)
from types import TracebackType
from typing import TYPE_CHECKING, Any, TypeVar, overload
from urllib.parse import urlsplit

import attrs

from stopkit.context import AccessToken, Clock, RequestContext, SystemClock, TokenGrant
from stopkit.errors import (
    AuthenticationError,
    CancelReplaceFailed,
    ConfigurationError,
    InvalidArgument,
    InvalidOrder,
    OrderNotFound,
    OrderRejected,
    OutcomeUnknown,
    PluginError,
    ReplaceStep,
    ResponseShapeError,
    StopkitError,
    TransportError,
    UnsupportedOrder,
)
from stopkit.markets import Market, Markets, check_order_fits
from stopkit.orders import Amount, AnyStopOrder, OrderKind, StopLimitOrder, StopOrder
from stopkit.outcomes import PendingWrite, WriteOutcome, judge_read_failure, judge_write_failure, order_terms
from stopkit.paper import PaperMarket
from stopkit.parsing import server_time_ms
from stopkit.ratelimit import Throttle
from stopkit.retry import ReconnectPolicy, RetryPolicy, retry_after, run_with_retry
from stopkit.state import OrderState, OrderStatus
from stopkit.stream import StreamGap, StreamProtocol
from stopkit.transport import Transport, WebSocket
from stopkit.validate import check_id, check_symbol
from stopkit.venue import Amendment, BoundVenue, Candidates, Exchange, OrderRef
from stopkit.wire import HttpResponse

if TYPE_CHECKING:
    from stopkit.journal import JournalBinding, JournalEntry

__all__ = ["VenueClient"]

T = TypeVar("T")
K = TypeVar("K")
V = TypeVar("V")
log = logging.getLogger("stopkit.client")

# The venue's Date header has one-second resolution: smaller differences are not corrected.
CLOCK_SKEW_TOLERANCE_MS = 1_500

# The write a task is running: the transport marks it sent just before the request leaves.
_CURRENT_WRITE: contextvars.ContextVar[PendingWrite | None] = contextvars.ContextVar("stopkit_write", default=None)

# How far back another same-terms placement can still produce a row inside this one's window.
_RIVAL_WINDOW_MS = 120_000

# A cancel-replace confirms a cancel answered as pending by reading the order back after these waits.
_CONFIRM_DELAYS_S = (0.1, 0.3, 1.0, 2.0)


class _Bounded(OrderedDict[K, V]):
    # A map that forgets its oldest entries beyond `capacity` (insertion order; a re-put refreshes).
    # An OrderedDict: evicting the oldest is O(1) (a dict's next(iter()) walks the deleted slots
    # at its front, about 40 µs per put once 200,000 keys are full).
    def __init__(self, capacity: int) -> None:
        super().__init__()
        self.capacity = capacity

    def put(self, key: K, value: V) -> None:
        self.pop(key, None)
        self[key] = value
        if len(self) > self.capacity:
            self.popitem(last=False)


class _KnownOrders(Sequence[OrderState]):
    # The distinct orders the client has seen (newest state each), built only when a stream
    # protocol actually reads it, and rebuilt only after the client saw something new.
    def __init__(self, client: VenueClient) -> None:
        self._client = client
        self._version = -1
        self._items: list[OrderState] = []

    def _current(self) -> list[OrderState]:
        if self._version != self._client._seen_version:
            # One state per order: the one kept under its venue order id wins over an older one kept
            # under its client order id; in the venue's own symbols (what its stream protocol reads).
            unique: dict[object, OrderState] = {}
            for key, state in self._client._seen.items():
                ident: object = state.venue_order_id or id(state)
                if ident not in unique or key == state.venue_order_id:
                    unique[ident] = state
            self._items = [_native(state) for state in unique.values()]
            self._version = self._client._seen_version
        return self._items

    @overload
    def __getitem__(self, index: int) -> OrderState: ...
    @overload
    def __getitem__(self, index: slice) -> Sequence[OrderState]: ...
    def __getitem__(self, index: int | slice) -> OrderState | Sequence[OrderState]:
        return self._current()[index]

    def __len__(self) -> int:
        return len(self._current())

    def __iter__(self) -> Iterator[OrderState]:
        return iter(self._current())

    def find(self, venue_order_id: str) -> OrderState | None:
        # O(1): the order this client keeps under its venue order id (stopkit.stream.find_known).
        state = self._client._seen.get(venue_order_id)
        if state is None or state.venue_order_id != venue_order_id:
            return None
        return _native(state)


def _is_loopback(host: str) -> bool:
    if host == "localhost" or host.endswith(".localhost"):
        return True
    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:
        return False


class VenueClient:
    """A connection to one venue with one set of credentials.

    Use as an async context manager (``async with stopkit.connect(...) as venue``)
    or call :meth:`close`. Operations:

    - :meth:`place` (every venue), :meth:`get`, :meth:`cancel`, :meth:`modify`,
      :meth:`open_orders` (where the venue documents a way; otherwise
      :class:`~stopkit.errors.UnsupportedOrder`); :meth:`modify` by cancel-then-place where the
      venue can cancel but not replace (``allow_cancel_replace=True``).
    - :meth:`markets`, :meth:`market`: the venue's markets and their order rules (see
      :mod:`stopkit.markets` for rounding).
    - :meth:`last_state`: the last state this client saw for an order.
    - :meth:`pending`: writes in flight, being settled after their caller was cancelled,
      or whose outcome stayed unknown.
    - :meth:`watch_orders`: live order updates from the venue's WebSocket.

    **Cancellation.** When the task running :meth:`place`, :meth:`cancel` or :meth:`modify`
    is cancelled (or ``asyncio.wait_for`` times it out) after its request may have been
    sent, the call still raises ``CancelledError`` at once, but the client settles the
    outcome in the background: it runs the venue's reconciliation (bounded by
    ``settle_timeout_s``, default the retry policy's ``total_timeout_s``), records the
    order's state where it is found (:meth:`last_state`), and reports the write in
    :meth:`pending` as APPLIED, NOT_APPLIED or UNKNOWN. :meth:`close` waits for these
    settlements (each bounded) before it closes the connections.

    **Plain-text connections.** ``http://`` and ``ws://`` URLs to any host but loopback are
    refused with :class:`~stopkit.errors.ConfigurationError` before any I/O unless
    ``allow_insecure=True`` (``stopkit.connect(..., config={"allow_insecure": True})``):
    credentials would travel in clear text.
    """

    def __init__(
        self,
        venue: BoundVenue,
        *,
        transport: Transport,
        clock: Clock | None = None,
        retry: RetryPolicy | None = None,
        throttle: Throttle | None = None,
        allow_insecure: bool = False,
        memory_size: int = 100_000,
        settle_timeout_s: float | None = None,
        paper: PaperMarket | None = None,
        journal: JournalBinding | None = None,
    ) -> None:
        self.venue = venue
        self._paper = paper
        self._journal = journal
        self._transport = transport
        self._clock: Clock = clock or SystemClock()
        self._clock_offset_ms = 0
        self._retry = retry or RetryPolicy()
        limit = venue.rate_limit
        self.throttle: Throttle | None = throttle or (Throttle(limit) if limit is not None else None)
        self._token: AccessToken | None = venue.initial_token()
        self._token_lock = asyncio.Lock()
        self._allow_insecure = allow_insecure
        self._checked_origins: dict[tuple[str, str], bool] = {}
        self._allowed_urls: set[str] = set()
        # What this client has seen, bounded: order id → newest state; venue order id → the write
        # (PendingWrite.id) that owns it; recent writes.
        self._seen: _Bounded[str, OrderState] = _Bounded(2 * memory_size)  # two keys per order
        self._seen_version = 0
        self._owners: _Bounded[str, int] = _Bounded(memory_size)
        # The order this client placed behind each venue order id (the terms a cancel-replace keeps).
        self._orders: _Bounded[str, AnyStopOrder] = _Bounded(memory_size)
        self._writes: _Bounded[int, PendingWrite] = _Bounded(10_000)
        self._settlers: set[asyncio.Task[Any]] = set()
        self._settle_timeout_s = settle_timeout_s if settle_timeout_s is not None else self._retry.total_timeout_s
        self._known_view = _KnownOrders(self)
        self._cache: dict[str, tuple[int, Any]] = {}
        self._cache_flights: dict[str, asyncio.Future[Any]] = {}
        self._last_ctx = RequestContext(now_ms=-1)

    @property
    def name(self) -> str:
        """The venue name."""
        return self.venue.name

    @property
    def is_paper(self) -> bool:
        """True for a paper client (``stopkit.connect(..., paper=True)``): the venue is its simulator."""
        return self._paper is not None

    @property
    def paper(self) -> PaperMarket:
        """The simulated market of a paper client: ``client.paper.set_price(symbol, price)``.

        Raises:
            ConfigurationError: this client trades on the real venue.
        """
        if self._paper is None:
            raise ConfigurationError(
                f"{self.name}: not a paper client (use stopkit.connect(..., paper=True))", venue=self.name
            )
        return self._paper

    async def __aenter__(self) -> VenueClient:
        return self

    async def __aexit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        await self.close()

    async def close(self) -> None:
        """Wait for background settlements (each bounded in time), then close the transport's connections."""
        while self._settlers:
            await asyncio.gather(*list(self._settlers), return_exceptions=True)
        if self._journal is not None:
            await self._journal.close()
        closer = getattr(self.throttle, "aclose", None)  # a shared budget's connection (stopkit.ratelimit_redis)
        if closer is not None:
            await closer()
        await self._transport.close()

    # -- operations -----------------------------------------------------------

    async def place(self, order: AnyStopOrder) -> OrderState:
        """Place a stop-market or stop-limit order.

        Returns the venue's answer as an :class:`OrderState` (normally ACCEPTED).

        With a journal (:mod:`stopkit.journal`), a client order id whose outcome is recorded returns
        it (or raises the recorded refusal) without sending; one left unknown is reconciled first.

        Raises:
            InvalidOrder, UnsupportedOrder: before any I/O.
            OrderRejected, DuplicateClientOrderId, AuthenticationError, RateLimited: the venue
                refused it in a way it documents: it did not act.
            OutcomeUnknown, VenueUnavailable, TransportError, ResponseShapeError: with
                ``outcome_known=False`` the order may exist: the venue's reconciliation (see
                :meth:`BoundVenue.reconcile_flow`) ran and could not settle it (the error's
                notes say why and list any candidates), so check before placing it again.
                The write stays listed in :meth:`pending` as UNKNOWN.
        """
        if not isinstance(order, StopOrder | StopLimitOrder):
            raise InvalidOrder(f"expected StopOrder or StopLimitOrder, got {type(order).__name__}", field="order")
        self.venue.check_order(order)
        record = PendingWrite(
            operation="place", order=order, client_order_id=order.client_order_id, started_at_ms=self._now_ms()
        )
        if self._journal is not None:  # exactly once per client order id (stopkit.journal)
            return await self._journal.place(self, order, record)
        return await self._write(record, lambda: self._place(order, record), lambda: self._settle_place(order, record))

    async def get(
        self, *, venue_order_id: str | None = None, client_order_id: str | None = None, symbol: str | None = None
    ) -> OrderState:
        """Read one order back by venue order id or client order id.

        On a venue that stores no client order id, a client order id this client has seen (placed,
        reconciled, read) is looked up by the venue order id behind it.

        Raises:
            InvalidArgument: a malformed id or symbol (before any I/O).
            UnsupportedOrder: the venue documents no way to read orders.
            OrderNotFound: the venue does not know the order.
        """
        ref = _order_ref(venue_order_id, client_order_id, symbol)
        if self._journal is not None:  # a restarted client learns the venue order id from the journal
            await self._journal.recall(self, ref)
        ref = self._known_ref(ref)
        state = await self._run(self.venue.get_flow(ref))
        return self._remember(state)

    async def cancel(
        self, *, venue_order_id: str | None = None, client_order_id: str | None = None, symbol: str | None = None
    ) -> OrderState:
        """Cancel one order by venue order id or client order id; returns its state.

        A cancel whose answer proves nothing (see :meth:`place`) is settled by reading the order
        back where the venue allows: a cancelled order is returned as such; one still live gets
        the cancel once more (cancelling twice cannot double anything).

        An order that is already cancelled is returned as such, not raised: when this client last
        saw it CANCELED (by venue order id) nothing is sent; when the venue refuses the cancel (not
        found, rejected), the client's last state or a read-back that shows it CANCELED is returned.
        The state returned carries the order's client order id even when the venue's answer omits it
        (so :meth:`last_state` by either id shows it CANCELED).

        Raises:
            InvalidArgument: a malformed id or symbol (before any I/O).
            UnsupportedOrder: the venue cannot cancel stops.
            OrderNotFound: the venue does not know the order.
            OrderRejected: the venue refused, or the read-back shows the order already ended
                (e.g. filled) so nothing was cancelled.
            OutcomeUnknown (and the other errors with ``outcome_known=False``): not settled.
        """
        ref = _order_ref(venue_order_id, client_order_id, symbol)
        if self._journal is not None:  # a restarted client learns the venue order id from the journal
            await self._journal.recall(self, ref)
        ref = self._known_ref(ref)
        if ref.venue_order_id is not None:
            seen = self._seen.get(ref.venue_order_id)
            if seen is not None and seen.venue_order_id == ref.venue_order_id and seen.status is OrderStatus.CANCELED:
                return seen  # the venue said so: a cancelled order stays cancelled
        record = PendingWrite(
            operation="cancel",
            client_order_id=ref.client_order_id,
            venue_order_id=ref.venue_order_id,
            started_at_ms=self._now_ms(),
        )
        if self._journal is not None:
            self._journal.note(record, ref)
        return await self._write(record, lambda: self._cancel(ref, record), lambda: self._settle_cancel(ref, record))

    async def modify(
        self,
        state: OrderState,
        *,
        stop_price: Amount | None = None,
        limit_price: Amount | None = None,
        quantity: Amount | None = None,
        allow_cancel_replace: bool = False,
        template: AnyStopOrder | None = None,
    ) -> OrderState:
        """Change a resting order's stop price, limit price and/or quantity (``None`` = keep).

        ``state`` is the order's latest state (venues whose ids change on replace
        need it). Returns the new state.

        **Native replace** (venues whose :attr:`Capabilities.modify` is true, e.g. Aries): one write.
        Never resent after an unknown outcome: it is settled by reading the order back where the
        venue allows (the new terms showing = applied).

        **Cancel, then place** (every other venue, only with ``allow_cancel_replace=True``): *not
        atomic*. The old order is cancelled first; the new one (the same terms with the changes, a new
        client order id) is placed only once the cancel is confirmed, by the cancel's answer or by
        reading the order back, so two stops are never live at once; between the two writes no stop
        protects the position. The new order is checked (venue rules, market rules) before the cancel
        is sent. The terms are those of the order this client placed (``template``, an order with the
        same terms, stands in for it after a restart); a partly filled old order is replaced by its
        remaining quantity unless ``quantity`` is given. An order this client already saw ended (e.g.
        one replaced before), or one the venue refuses to cancel, is never replaced. Returns the
        **new** order's state (new venue and client order ids). When the calling task is cancelled
        part-way, the steps finish in the background (:meth:`close` waits for them) and their writes
        are listed in :meth:`pending`.

        Raises:
            InvalidArgument: ``state`` is not an :class:`OrderState`; ``template`` is not an order or of
                another kind, or (cancel-replace) this client does not know the order's terms and no
                ``template`` was given.
            InvalidOrder: nothing to change, a bad value, a limit price on a stop-market, or the new
                order does not fit the venue's or the market's rules (nothing was sent).
            UnsupportedOrder: the venue cannot modify in place and ``allow_cancel_replace`` is false,
                or it cannot cancel.
            CancelReplaceFailed: the cancel-then-place stopped part-way; ``step`` says where
                (:class:`~stopkit.errors.ReplaceStep`), with the old and new states.
        """
        if not isinstance(state, OrderState):
            raise InvalidArgument(f"state must be an OrderState, got {type(state).__name__}", field="state")
        if template is not None and not isinstance(template, StopOrder | StopLimitOrder):
            raise InvalidArgument(
                f"template must be a StopOrder or StopLimitOrder, got {type(template).__name__}", field="template"
            )
        amendment = Amendment(stop_price=stop_price, limit_price=limit_price, quantity=quantity)
        if amendment.limit_price is not None and state.kind is OrderKind.STOP_MARKET:
            raise InvalidOrder("a stop-market order has no limit price to modify", field="limit_price", venue=self.name)
        if not self.venue.capabilities.modify:
            if not allow_cancel_replace:
                raise UnsupportedOrder(
                    f"{self.name}: modify is not supported: the venue has no replace endpoint. Pass "
                    "allow_cancel_replace=True to cancel the order and place a new one (not atomic: no stop "
                    "protects the position between the two writes)",
                    feature="modify",
                    venue=self.name,
                )
            return await self._cancel_replace(state, amendment, template)
        state = _native(state)
        record = PendingWrite(
            operation="modify",
            client_order_id=state.client_order_id,
            venue_order_id=state.venue_order_id,
            started_at_ms=self._now_ms(),
        )
        if self._journal is not None:
            ref = OrderRef(
                venue_order_id=state.venue_order_id, client_order_id=state.client_order_id, symbol=state.symbol
            )
            self._journal.note(record, ref, state=state, amendment=amendment)
        return await self._write(
            record,
            lambda: self._modify(state, amendment, record),
            lambda: self._settle_modify(state, amendment, record),
        )

    async def open_orders(self, symbol: str | None = None) -> list[OrderState]:
        """The venue's open stop orders (optionally of one symbol).

        Raises:
            InvalidArgument: a malformed symbol (before any I/O).
            UnsupportedOrder: the venue documents no way to list them.
        """
        if symbol is not None:
            check_symbol(symbol)
        states = await self._run(self.venue.open_orders_flow(symbol))
        return [self._remember(state) for state in states]

    async def markets(self, symbols: str | Iterable[str] | None = None) -> Markets:
        """The venue's markets and their order rules: per market (by unified or native symbol) the tick
        size, lot size, quantity bounds, minimum notional and price bounds the venue publishes.

        ``symbols``: only these markets (unified or native; one string or several); ``None``: every
        market the venue lists. Answers are cached per client as each venue says (e.g. Pacifica's
        ``market_info_ttl_s``, B2TRADER's ``markets_ttl_s``), one fetch in flight per key. A venue
        that publishes no rules answers an empty :class:`~stopkit.markets.Markets` whose ``reason``
        says why (and what stopkit checks instead). Round values with :func:`stopkit.round_price` /
        :func:`stopkit.round_quantity`.

        Raises:
            InvalidArgument: a malformed symbol (before any I/O).
            RemoteError: the venue's market list could not be read.
        """
        wanted: tuple[str, ...] | None = None
        if symbols is not None:
            items = [symbols] if isinstance(symbols, str) else list(symbols)
            wanted = tuple(check_symbol(item) for item in items)
        result = await self._run(self.venue.markets_flow(wanted))
        if not isinstance(result, Markets):
            raise PluginError(
                f"{self.name}: markets_flow returned {type(result).__name__}, not Markets", plugin=self.name
            )
        return result

    async def market(self, symbol: str) -> Market | None:
        """The rules of one market (unified or native symbol), or ``None`` when the venue publishes none
        for it (see :meth:`markets`).

        Raises:
            InvalidArgument: a malformed symbol (before any I/O).
            RemoteError: the venue's market list could not be read.
        """
        markets = await self.markets([symbol])
        return markets.get(symbol)

    def last_state(self, *, venue_order_id: str | None = None, client_order_id: str | None = None) -> OrderState | None:
        """The last state this client saw for the order, or ``None``. No I/O.

        The client remembers the most recent orders it saw (``memory_size``, 100,000 by default).

        Raises:
            InvalidArgument: neither id given, or a malformed id.
        """
        ref = _order_ref(venue_order_id, client_order_id, None)
        for key in (ref.venue_order_id, ref.client_order_id):
            if key is not None and key in self._seen:
                return self._seen[key]
        return None

    def _known_ref(self, ref: OrderRef) -> OrderRef:
        # On a venue that stores no client order id, fill in what this client knows of the order: the
        # venue order id behind our client order id (the venue could not find it otherwise), and its symbol.
        if self.venue.capabilities.client_order_id or ref.client_order_id is None or ref.venue_order_id is not None:
            return ref
        seen = self._seen.get(ref.client_order_id)
        if seen is None or seen.client_order_id != ref.client_order_id:
            return ref
        return OrderRef(
            venue_order_id=ref.venue_order_id or seen.venue_order_id,
            client_order_id=ref.client_order_id,
            symbol=ref.symbol or seen.venue_symbol,
        )

    def pending(self) -> list[PendingWrite]:
        """Writes whose outcome their caller may not know: in flight, being settled after the caller's
        task was cancelled, settled after such a cancellation (APPLIED / NOT_APPLIED), or UNKNOWN.
        Oldest first. No I/O. Remove what you have dealt with with :meth:`acknowledge`."""
        return [
            record
            for record in self._writes.values()
            if record.outcome in (WriteOutcome.IN_FLIGHT, WriteOutcome.SETTLING, WriteOutcome.UNKNOWN)
            or not record.caller_informed
        ]

    async def recover(self) -> list[JournalEntry]:
        """Settle every journal entry of this venue and account left in flight by a client that is
        gone (crashed or closed mid-write), or left UNKNOWN, and return them (oldest first).

        Each is settled by the same reconciliation as a live unknown outcome: a placement is
        looked up (and, on venues that refuse reused client order ids, resent inside the
        reconciliation); a cancel or modify is read back, never sent again. An entry never
        marked sent becomes NOT_APPLIED (placing its client order id again sends it). Entries a
        live client is working on are returned as they are. The results are recorded.

        Returns: :class:`~stopkit.journal.JournalEntry` s with their settled ``status``, ``state``
        and ``error``.

        Raises:
            ConfigurationError: the client has no journal (``stopkit.connect(..., journal=...)``).
        """
        if self._journal is None:
            raise ConfigurationError(f"{self.name}: recover() needs a journal: stopkit.connect(..., journal=...)")
        return await self._journal.recover(self)

    @property
    def journal(self) -> JournalBinding | None:
        """The client's journal binding (``journal.journal`` is the :class:`~stopkit.journal.Journal`), or ``None``."""
        return self._journal

    def acknowledge(self, *records: PendingWrite) -> None:
        """Drop settled ``records`` from :meth:`pending` (writes in flight or settling stay)."""
        for record in records:
            if record.outcome not in (WriteOutcome.IN_FLIGHT, WriteOutcome.SETTLING):
                self._writes.pop(record.id, None)

    # -- live order updates ---------------------------------------------------

    async def watch_orders(
        self,
        *,
        reconnect: ReconnectPolicy | None = None,
        ping_interval_s: float | None = None,
        stall_timeout_s: float | None = None,
        ready: asyncio.Event | None = None,
    ) -> AsyncGenerator[OrderState | StreamGap, None]:
        """Live order updates: an :class:`OrderState` for every change of every order on the
        account (stops included), normalized as REST answers are (``raw`` keeps the venue's event),
        or a :class:`~stopkit.stream.StreamGap` where transitions may have been missed.

        Runs until the caller stops iterating (use ``contextlib.aclosing`` to close the socket at
        once). Only changes are yielded: a state equal to the last one yielded for the order (status,
        filled, quantity and prices), or older than it (e.g. ACCEPTED after TRIGGERED), is dropped.
        Every yielded state also becomes :meth:`last_state`.

        On a drop, a stalled connection (no frame for ``stall_timeout_s``) or a venue's request to
        reconnect, it reconnects with ``reconnect``'s bounded exponential backoff, with a fresh
        token where the venue uses one, re-subscribes, and then reads the orders back through REST
        where the venue allows (open orders, get); when it cannot, a ``StreamGap`` is yielded.
        ``ping_interval_s`` and ``stall_timeout_s`` default to the venue's protocol values.
        ``ready`` is set whenever a session's subscription is live (e.g. to place orders only
        once the stream will see them, as Aries recommends).

        Raises:
            UnsupportedOrder: the venue streams no order updates.
            ConfigurationError: the transport cannot open WebSockets.
            TransportError, AuthenticationError: the reconnect policy gave up, or the venue
                refused the session three times in a row.
        """
        protocol = self.venue.stream()
        if protocol is None:
            raise UnsupportedOrder(
                f"{self.name}: the venue offers no order-update stream", feature="watch_orders", venue=self.name
            )
        ws_connect = getattr(self._transport, "ws_connect", None)
        if ws_connect is None:
            raise ConfigurationError(f"{self.name}: the transport cannot open WebSockets", venue=self.name)
        policy = reconnect or ReconnectPolicy()
        ping_s = ping_interval_s or protocol.ping_interval_s
        stall_s = stall_timeout_s or protocol.stall_timeout_s
        last: dict[str, OrderState] = {}
        failures = 0
        auth_failures = 0
        last_error: StopkitError | None = None
        lost_at_ms: int | None = None  # set by a drop: the next live session reads missed transitions back
        lost_reason = ""
        loop = asyncio.get_running_loop()
        while True:
            if failures:
                if policy.gives_up(failures) and last_error is not None:
                    raise last_error
                await asyncio.sleep(policy.delay_s(failures - 1))
            try:
                token = await self._stream_token(protocol, force=auth_failures > 0)
                ctx = self._context(token)
                request = protocol.connect_request(ctx)
                self._check_origin(request.url)
                ws: WebSocket = await ws_connect(request, timeout_s=self._retry.timeout_s)
            except AuthenticationError as exc:
                auth_failures, failures, last_error = auth_failures + 1, failures + 1, exc
                if auth_failures >= 3:
                    raise
                log.info("%s: stream session refused (%s); retrying with a fresh token", self.name, exc.message)
                continue
            except TransportError as exc:
                failures, last_error = failures + 1, exc
                log.info("%s: stream connection failed (%s); retrying", self.name, exc.message)
                continue
            last_rx = opened_at = loop.time()
            last_rx_ms = self._clock.now_ms()
            next_ping = last_rx + ping_s
            live = False
            reason = "the venue closed the connection"
            try:
                for frame in protocol.open_frames(ctx):
                    await ws.send_text(frame)
                while True:
                    now = loop.time()
                    if now >= last_rx + stall_s:
                        reason = f"no frame for {stall_s:g} s (stalled)"
                        break
                    if not live and now >= opened_at + stall_s:
                        reason = f"the subscription was not confirmed within {stall_s:g} s"
                        break
                    if now >= next_ping:
                        ping = protocol.ping_frame()
                        if ping is not None:
                            await ws.send_text(ping)
                        next_ping = now + ping_s
                    try:
                        deadline = min(next_ping, last_rx + stall_s, opened_at + stall_s if not live else next_ping)
                        text = await ws.receive_text(timeout_s=max(0.0, deadline - now))
                    except TimeoutError:
                        continue
                    if text is None:
                        break
                    last_rx, last_rx_ms = loop.time(), self._clock.now_ms()
                    try:
                        step = protocol.handle_text(text, known=self._known_view)
                    except Exception as exc:  # noqa: BLE001  # a frame the protocol cannot read must not end the stream
                        log.warning("%s: a stream frame could not be read (%s); skipped", self.name, type(exc).__name__)
                        yield StreamGap(
                            venue=self.name,
                            since_ms=last_rx_ms,
                            reason=f"a frame could not be read ({type(exc).__name__}); its updates may be missing",
                        )
                        continue
                    for frame in step.send:
                        await ws.send_text(frame)
                    if step.error is not None:
                        last_error = step.error
                        if not isinstance(step.error, AuthenticationError):
                            raise step.error
                        auth_failures += 1
                        if auth_failures >= 3:
                            raise step.error
                        reason = f"session refused: {step.error.message}"
                        break
                    for state in step.updates:
                        changed = self._stream_change(last, state)
                        if changed is not None:
                            yield changed
                    for gap in step.gaps:
                        yield gap if gap.since_ms is not None else attrs.evolve(gap, since_ms=last_rx_ms)
                    if step.ready and not live:
                        live, failures, auth_failures = True, 0, 0
                        if ready is not None:
                            ready.set()
                        if lost_at_ms is not None:
                            async for item in self._resync(protocol, last, lost_at_ms, lost_reason):
                                yield item
                            lost_at_ms = None
                    if step.reauth:
                        fresh = await self._stream_token(protocol, force=True)
                        for frame in protocol.auth_frames(self._context(fresh)):
                            await ws.send_text(frame)
                    if step.reconnect is not None:
                        reason = step.reconnect
                        break
            except TransportError as exc:
                last_error, reason = exc, exc.message
            finally:
                await ws.close()
            log.info("%s: stream lost (%s); reconnecting", self.name, reason)
            if lost_at_ms is None:
                lost_at_ms = last_rx_ms
            lost_reason = reason
            failures += 1
            if last_error is None:
                last_error = TransportError(f"{self.name}: stream lost: {reason}", venue=self.name)

    async def _resync(
        self, protocol: StreamProtocol, last: dict[str, OrderState], since_ms: int, why: str
    ) -> AsyncIterator[OrderState | StreamGap]:
        # After a reconnect: read missed transitions back through REST, or report the gap.
        flow = protocol.resync_flow(list(self._known_view))
        if flow is None:
            yield StreamGap(
                venue=self.name,
                since_ms=since_ms,
                reason=f"stream reconnected after: {why}; the venue offers no way to read missed transitions back",
            )
            return
        try:
            result = await self._run(flow)
        except StopkitError as exc:
            yield StreamGap(venue=self.name, since_ms=since_ms, reason=f"stream reconnected; read-back failed: {exc}")
            return
        for state in result.states:
            changed = self._stream_change(last, state)
            if changed is not None:
                yield changed
        if result.gap_reason is not None:
            yield StreamGap(venue=self.name, since_ms=since_ms, reason=result.gap_reason)

    def _context(self, token: AccessToken | None) -> RequestContext:
        return RequestContext(now_ms=self._now_ms(), access_token=token)

    async def _stream_token(self, protocol: StreamProtocol, *, force: bool) -> AccessToken | None:
        # The token a stream session authenticates with; a new one when `force` (refused or refresh asked).
        if not protocol.needs_token:
            return None
        if force and self.venue.token_exchange(self._token) is not None:
            return await self._refresh_token(stale=self._token)
        token = await self._current_token()
        if token is None:
            raise AuthenticationError(f"{self.name}: no token to open the order stream with", venue=self.name)
        return token

    def _stream_change(self, last: dict[str, OrderState], state: OrderState) -> OrderState | None:
        # The state to yield (our client order id and unified symbol attached), or None for no change /
        # an older state.
        key = state.venue_order_id or state.client_order_id
        if key is None:
            return state
        seen = self._seen.get(key)
        state = self._carry(state)
        previous = last.get(key)
        if previous is not None and (_same_state(previous, state) or _regresses(previous, state)):
            return None
        last[key] = state
        if seen is None or not _regresses(seen, state):
            self._remember(state)
        return state

    # -- writes: the outcome rule, reconciliation, claims, cancellation ------

    async def _write(
        self,
        record: PendingWrite,
        run: Callable[[], Awaitable[OrderState]],
        settle: Callable[[], Awaitable[OrderState]],
    ) -> OrderState:
        # Run one write call, keeping `record` current; a cancelled caller leaves `settle` running.
        if self._journal is not None:  # intent before the request leaves, outcome after (stopkit.journal)
            run, settle = self._journal.wrap(self, record, run, settle)
        self._writes.put(record.id, record)
        marker = _CURRENT_WRITE.set(record)
        try:
            state = await run()
        except asyncio.CancelledError:
            self._after_cancel(record, settle)
            raise
        except StopkitError as exc:
            record.caller_informed = True
            record.settle(WriteOutcome.NOT_APPLIED if exc.outcome_known else WriteOutcome.UNKNOWN, error=exc)
            raise
        except BaseException:
            record.caller_informed = True
            record.settle(WriteOutcome.UNKNOWN)
            raise
        finally:
            _CURRENT_WRITE.reset(marker)
        record.caller_informed = True
        record.settle(WriteOutcome.APPLIED, state=state)
        return state

    def _after_cancel(self, record: PendingWrite, settle: Callable[[], Awaitable[OrderState]]) -> None:
        # The caller's task was cancelled: nothing to settle if nothing left; else settle in the background.
        if not record.sent:
            record.settle(WriteOutcome.NOT_APPLIED)
            return
        record.settle(WriteOutcome.SETTLING)
        log.warning(
            "%s: %s cancelled by its caller after the request may have been sent; settling in the background",
            self.name,
            record.operation,
        )
        task = asyncio.get_running_loop().create_task(self._settle_in_background(record, settle))
        self._settlers.add(task)
        task.add_done_callback(self._settlers.discard)

    async def _settle_in_background(self, record: PendingWrite, settle: Callable[[], Awaitable[OrderState]]) -> None:
        try:
            async with asyncio.timeout(self._settle_timeout_s):
                state = await settle()
        except StopkitError as exc:
            record.settle(WriteOutcome.NOT_APPLIED if exc.outcome_known else WriteOutcome.UNKNOWN, error=exc)
        except TimeoutError:
            record.settle(
                WriteOutcome.UNKNOWN,
                error=OutcomeUnknown(
                    f"{self.name}: {record.operation}: settling took longer than {self._settle_timeout_s:g} s",
                    venue=self.name,
                ),
            )
        except Exception as exc:  # a bug must not kill the event loop's task quietly: log it, stay UNKNOWN
            log.exception("%s: settling %s failed: %s", self.name, record.operation, type(exc).__name__)
            record.settle(WriteOutcome.UNKNOWN)
        else:
            record.settle(WriteOutcome.APPLIED, state=state)
        log.warning("%s: %s settled after cancellation: %s", self.name, record.operation, record.outcome.name)

    def _cancelled_error(self, record: PendingWrite) -> OutcomeUnknown:
        return OutcomeUnknown(
            f"{self.name}: {record.operation}: the caller was cancelled after the request may have been sent",
            venue=self.name,
        )

    async def _place(self, order: AnyStopOrder, record: PendingWrite) -> OrderState:
        try:
            state = await self._run(self.venue.place_flow(order))
        except StopkitError as exc:
            if exc.outcome_known:
                if _token_refreshed(exc):
                    return await self._place_after_refused_token(order, record, exc)
                raise
            return await self._reconcile_place(order, record, exc)
        return self._claim(record, state)

    async def _settle_place(self, order: AnyStopOrder, record: PendingWrite) -> OrderState:
        return await self._reconcile_place(order, record, self._cancelled_error(record))

    async def _lookup(self, order: AnyStopOrder, record: PendingWrite, error: StopkitError) -> Any:
        # The venue's reconciliation flow's result; raises `error` (with notes) when it cannot look.
        flow = self.venue.reconcile_flow(order, sent_at_ms=record.started_at_ms)
        if flow is None:
            error.add_note(f"{self.name} offers no way to look the order up: reconcile it by hand")
            raise error
        log.warning("%s: placement outcome unknown (%s); reconciling", self.name, error.message)
        try:
            return await self._run(flow)
        except StopkitError as lookup_error:
            error.add_note(f"reconciliation failed too: {lookup_error}")
            raise error from lookup_error

    async def _reconcile_place(self, order: AnyStopOrder, record: PendingWrite, error: StopkitError) -> OrderState:
        # The venue may or may not hold the order: the venue's reconcile flow looks for it (and may
        # resend only where the venue refuses duplicates); the client itself never resends.
        found = await self._lookup(order, record, error)
        return self._adopt(order, record, found, error)

    async def _place_after_refused_token(
        self, order: AnyStopOrder, record: PendingWrite, error: StopkitError
    ) -> OrderState:
        # A documented token refusal of the order (the token is refreshed by now): the venue says it
        # did not act, but the order is sent again only after reconciliation found nothing.
        if self.venue.reconcile_flow(order, sent_at_ms=record.started_at_ms) is None:
            error.add_note(
                f"the token was refreshed, but {self.name} offers no way to look the order up, so it was not "
                "sent again: place it again if it must exist"
            )
            raise error
        try:
            found = await self._lookup(order, record, error)
        except StopkitError:
            error.outcome_known = False  # the venue could not be checked: a lying refusal stays possible
            raise
        if isinstance(found, OrderState) or (
            isinstance(found, Candidates)
            and (found.by_client_order_id or any(self._may_be_ours(s, order, record) for s in found.states))
        ):
            error.outcome_known = False  # the venue holds something that may be this order
            return self._adopt(order, record, found, error)
        log.info("%s: the token was refused and refreshed; no such order is on the venue: sending again", self.name)
        try:
            state = await self._run(self.venue.place_flow(order))
        except StopkitError as exc:
            if exc.outcome_known:
                raise
            return await self._reconcile_place(order, record, exc)
        return self._claim(record, state)

    def _adopt(
        self, order: AnyStopOrder, record: PendingWrite, found: OrderState | Candidates | None, error: StopkitError
    ) -> OrderState:
        # Settle a reconciliation's result: claim the one order that is this call's, or raise `error`.
        if found is None or (isinstance(found, Candidates) and not found.states):
            error.add_note("reconciliation found no matching order; it may still appear: check again before resending")
            raise error
        states: tuple[OrderState, ...]
        if isinstance(found, OrderState):
            states, by_id = (found,), True
        else:
            states, by_id = found.states, found.by_client_order_id
        if by_id:
            if len(states) == 1:
                log.warning("%s: reconciliation found the order: %s", self.name, states[0].venue_order_id)
                return self._claim(record, states[0])
            error.add_note(f"reconciliation found several orders with this client order id: {_ids(states)}")
            raise error
        mine = [state for state in states if self._may_be_ours(state, order, record)]
        rivals = self._rivals(order, record)
        if self._journal is not None and self._journal.rivals(record):  # same terms, unsettled, in the journal
            rivals.append(record)
        if len(mine) == 1 and not rivals:
            log.warning("%s: reconciliation matched the order by its terms: %s", self.name, mine[0].venue_order_id)
            return self._claim(record, attrs.evolve(mine[0], client_order_id=order.client_order_id))
        error.add_note(
            f"reconciliation by terms is ambiguous: candidates {_ids(states)}"
            f" ({len(states) - len(mine)} owned by other calls of this client"
            f"{f', {len(rivals)} other placement(s) with the same terms in flight or unsettled' if rivals else ''});"
            " none was claimed: check the venue before resending"
        )
        raise error

    def _may_be_ours(self, state: OrderState, order: AnyStopOrder, record: PendingWrite) -> bool:
        # A terms match is ours unless another call of this client owns it or it carries another tag.
        if state.client_order_id is not None and state.client_order_id != order.client_order_id:
            return False
        owner = self._owners.get(state.venue_order_id) if state.venue_order_id else None
        return owner is None or owner == record.id

    def _rivals(self, order: AnyStopOrder, record: PendingWrite) -> list[PendingWrite]:
        # Other recent placements with the same terms whose outcome is open: any of them may own a match.
        terms = order_terms(order)
        since_ms = record.started_at_ms - _RIVAL_WINDOW_MS
        return [
            other
            for other in self._writes.values()
            if other is not record
            and other.operation == "place"
            and other.order is not None
            and other.outcome in (WriteOutcome.IN_FLIGHT, WriteOutcome.SETTLING, WriteOutcome.UNKNOWN)
            and other.started_at_ms >= since_ms
            and order_terms(other.order) == terms
        ]

    def _claim(self, record: PendingWrite, state: OrderState) -> OrderState:
        # `state` is the order `record` placed: no other call may take it in a reconciliation. Placed
        # with a unified symbol, it reports that symbol (the venue's in `venue_symbol`).
        vid = state.venue_order_id
        order = record.order
        if order is not None and "/" in order.symbol and state.symbol == state.venue_symbol:
            state = attrs.evolve(state, symbol=order.symbol)
        if vid:
            owner = self._owners.get(vid)
            if owner is not None and owner != record.id:
                log.error("%s: venue order %s was claimed by another call before its own answer came", self.name, vid)
            self._owners.put(vid, record.id)
            if order is not None:
                self._orders.put(vid, order)
        return self._remember(state)

    async def _cancel(self, ref: OrderRef, record: PendingWrite, *, adopt_cancelled: bool = True) -> OrderState:
        # `adopt_cancelled`: a refused cancel of an order that is already CANCELED returns that state (not when
        # a cancel-replace must know that its own cancel took the order off).
        try:
            state = await self._run(self.venue.cancel_flow(ref))
        except StopkitError as exc:
            if exc.outcome_known and not _token_refreshed(exc):
                if adopt_cancelled and isinstance(exc, OrderNotFound | OrderRejected):
                    cancelled = await self._already_cancelled(ref)
                    if cancelled is not None:
                        return cancelled
                raise
            return await self._settle_cancel_after(ref, exc, resend=True)
        if state.client_order_id is None and ref.client_order_id is not None:
            state = attrs.evolve(state, client_order_id=ref.client_order_id)
        return self._remember(state)

    async def _already_cancelled(self, ref: OrderRef) -> OrderState | None:
        # The venue refused a cancel: the order's CANCELED state when this client saw it so, or the
        # venue shows it so on a read-back; else None (the refusal stands).
        for key in (ref.venue_order_id, ref.client_order_id):
            seen = self._seen.get(key) if key else None
            if seen is not None and seen.status is OrderStatus.CANCELED:
                return seen
        if not self.venue.capabilities.get_order:
            return None
        try:
            state = await self._run(self.venue.get_flow(ref))
        except StopkitError:
            return None
        return self._remember(state) if state.status is OrderStatus.CANCELED else None

    async def _settle_cancel(self, ref: OrderRef, record: PendingWrite) -> OrderState:
        return await self._settle_cancel_after(ref, self._cancelled_error(record), resend=False)

    async def _read_back(self, ref: OrderRef, error: StopkitError, what: str) -> OrderState:
        # The order's state now, to settle a write; raises `error` (with notes) when it cannot be read.
        if not self.venue.capabilities.get_order:
            error.add_note(f"{self.name} offers no way to read the order back: check whether the {what} applied")
            raise error
        log.warning("%s: %s outcome unknown (%s); reading the order back", self.name, what, error.message)
        try:
            state = await self._run(self.venue.get_flow(ref))
        except StopkitError as lookup_error:
            error.add_note(f"reading the order back failed too: {lookup_error}")
            raise error from lookup_error
        return self._remember(state)

    async def _settle_cancel_after(self, ref: OrderRef, error: StopkitError, *, resend: bool) -> OrderState:
        current = await self._read_back(ref, error, "cancel")
        if current.status in (OrderStatus.CANCELED, OrderStatus.PENDING_CANCEL):
            return current
        if current.status.is_terminal:
            raise OrderRejected(
                f"{self.name}: cancel: the order is already {current.status.name}; nothing was cancelled",
                venue=self.name,
            )
        if not resend:
            error.add_note(f"read back: the order is still {current.status.name}; the cancel may yet land")
            raise error
        log.info("%s: the order is still %s: sending the cancel again", self.name, current.status.name)
        return self._remember(await self._run(self.venue.cancel_flow(ref)))

    async def _modify(self, state: OrderState, amendment: Amendment, record: PendingWrite) -> OrderState:
        try:
            new_state = await self._run(self.venue.modify_flow(state, amendment))
        except StopkitError as exc:
            if exc.outcome_known and not _token_refreshed(exc):
                raise
            return await self._settle_modify_after(state, amendment, exc, resend=exc.outcome_known)
        return self._remember(new_state)

    async def _settle_modify(self, state: OrderState, amendment: Amendment, record: PendingWrite) -> OrderState:
        return await self._settle_modify_after(state, amendment, self._cancelled_error(record), resend=False)

    async def _settle_modify_after(
        self, state: OrderState, amendment: Amendment, error: StopkitError, *, resend: bool
    ) -> OrderState:
        ref = OrderRef(
            venue_order_id=state.venue_order_id, client_order_id=state.client_order_id, symbol=state.venue_symbol
        )
        current = await self._read_back(ref, error, "modify")
        if _shows_amendment(current, amendment):
            return current
        if not resend or current.status.is_terminal:
            error.add_note(f"read back: the order is {current.status.name} with its old terms; the modify may yet land")
            raise error
        log.info("%s: the token was refused and refreshed; the order is unchanged: modifying again", self.name)
        return self._remember(await self._run(self.venue.modify_flow(_native(current), amendment)))

    # -- modify by cancel, then place (venues without a replace endpoint) ------

    async def _cancel_replace(
        self, state: OrderState, amendment: Amendment, template: AnyStopOrder | None
    ) -> OrderState:
        # Check everything first (nothing sent), then cancel, confirm, place: in a task of its own, so a
        # caller cancelled between the two writes does not leave the position without a stop.
        self.venue.capabilities.require("cancel", self.name)
        if not state.venue_order_id and not state.client_order_id:
            raise InvalidArgument("state has neither a venue order id nor a client order id", field="state")
        known = self._orders.get(state.venue_order_id) if state.venue_order_id else None
        base = template or known
        if base is None:
            raise InvalidArgument(
                f"{self.name}: cancel-replace needs the order's full terms (position effect, trigger type, time in "
                "force), which this client does not know (it did not place the order): pass template=<the order "
                "as placed>",
                field="template",
            )
        if base.kind is not state.kind:
            raise InvalidArgument(
                f"template is a {base.kind.value} order, the order to replace a {state.kind.value} order",
                field="template",
            )
        latest = self._seen.get(state.venue_order_id) if state.venue_order_id else None
        if latest is not None and latest.venue_order_id == state.venue_order_id and latest.status.is_terminal:
            # Already cancelled (perhaps replaced before) or ended: placing anew could put a second stop live.
            raise CancelReplaceFailed(
                f"{self.name}: modify (cancel-replace): order {state.venue_order_id} is already "
                f"{latest.status.name}; nothing was cancelled or placed",
                step=ReplaceStep.CANCEL_FAILED,
                old_state=latest,
                venue=self.name,
            )
        new_order = _replacement(base, state, amendment)
        self.venue.check_order(new_order)
        markets = await self.markets([new_order.symbol])  # a read failure stops here: nothing was cancelled
        market = markets.get(new_order.symbol)
        if market is not None:
            check_order_fits(new_order, market)
        informed = [True]
        steps = self._cancel_replace_steps(state, new_order, informed, keep_quantity=amendment.quantity is not None)
        task = asyncio.get_running_loop().create_task(steps)
        self._settlers.add(task)
        task.add_done_callback(self._settlers.discard)
        task.add_done_callback(_consume_task)
        try:
            return await asyncio.shield(task)
        except asyncio.CancelledError:
            if not task.done():
                informed[0] = False  # the caller stopped waiting: pending() lists the steps' writes
                log.warning(
                    "%s: modify (cancel-replace) cancelled by its caller; finishing in the background", self.name
                )
            raise

    async def _cancel_replace_steps(
        self, state: OrderState, new_order: AnyStopOrder, informed: list[bool], *, keep_quantity: bool
    ) -> OrderState:
        ref = OrderRef(
            venue_order_id=state.venue_order_id, client_order_id=state.client_order_id, symbol=state.venue_symbol
        )
        cancel = PendingWrite(
            operation="cancel",
            client_order_id=ref.client_order_id,
            venue_order_id=ref.venue_order_id,
            started_at_ms=self._now_ms(),
        )
        try:
            cancelled = await self._replace_cancel(ref, state, new_order, cancel)
            filled = cancelled.filled_quantity
            if filled > 0 and not keep_quantity and new_order.quantity is not None and new_order.quantity > filled:
                # Part of the old order filled before the cancel: the replacement covers what is left.
                new_order = attrs.evolve(new_order, quantity=new_order.quantity - filled)
            try:
                new_state = await self.place(new_order)
            except StopkitError as exc:
                step = ReplaceStep.PLACE_FAILED if exc.outcome_known else ReplaceStep.PLACE_UNKNOWN
                what = (
                    "the venue refused the new order: NO ORDER PROTECTS THE POSITION NOW"
                    if exc.outcome_known
                    else f"the new order's outcome is unknown: look for client order id {new_order.client_order_id} "
                    "before placing again"
                )
                raise CancelReplaceFailed(
                    f"{self.name}: modify (cancel-replace): order {state.venue_order_id} was cancelled, but {what}: "
                    f"{exc.message}",
                    step=step,
                    old_state=cancelled,
                    new_order=new_order,
                    cause=exc,
                    venue=self.name,
                ) from exc
            log.info(
                "%s: modify (cancel-replace): order %s cancelled, replaced by %s",
                self.name,
                state.venue_order_id,
                new_state.venue_order_id,
            )
            return new_state
        finally:
            if not informed[0]:
                # The caller stopped waiting: what the two writes did is listed in pending().
                cancel.caller_informed = False
                for record in self._writes.values():
                    if record.operation == "place" and record.order is new_order:
                        record.caller_informed = False

    async def _replace_cancel(
        self, ref: OrderRef, state: OrderState, new_order: AnyStopOrder, record: PendingWrite
    ) -> OrderState:
        # The cancel step; returns the order's CANCELED state, or raises CancelReplaceFailed (nothing placed).
        def failed(
            step: ReplaceStep, why: str, old: OrderState | None, cause: StopkitError | None
        ) -> CancelReplaceFailed:
            return CancelReplaceFailed(
                f"{self.name}: modify (cancel-replace): {why}; nothing was placed",
                step=step,
                old_state=old,
                new_order=new_order,
                cause=cause,
                venue=self.name,
            )

        try:
            current = await self._write(
                record,
                lambda: self._cancel(ref, record, adopt_cancelled=False),
                lambda: self._settle_cancel(ref, record),
            )
        except StopkitError as exc:
            if exc.outcome_known:
                raise failed(
                    ReplaceStep.CANCEL_FAILED,
                    f"the cancel of order {ref.venue_order_id} failed: {exc.message}",
                    state,
                    exc,
                ) from exc
            raise failed(
                ReplaceStep.CANCEL_UNKNOWN,
                f"the cancel of order {ref.venue_order_id} has an unknown outcome (the order may be live): "
                f"{exc.message}",
                state,
                exc,
            ) from exc
        current = await self._confirm_cancelled(ref, current)
        if current.status is OrderStatus.CANCELED:
            return current
        if current.status.is_terminal:
            raise failed(
                ReplaceStep.CANCEL_FAILED,
                f"order {ref.venue_order_id} had already ended ({current.status.name})",
                current,
                None,
            )
        raise failed(
            ReplaceStep.CANCEL_UNKNOWN,
            f"the cancel of order {ref.venue_order_id} is not confirmed (the order reads {current.status.name})",
            current,
            None,
        )

    async def _confirm_cancelled(self, ref: OrderRef, state: OrderState) -> OrderState:
        # A cancel answered PENDING_CANCEL (or a live status) is confirmed by reading the order back a few times.
        if state.status.is_terminal or not self.venue.capabilities.get_order:
            return state
        for delay_s in _CONFIRM_DELAYS_S:
            await asyncio.sleep(delay_s)
            try:
                state = self._remember(await self._run(self.venue.get_flow(ref)))
            except StopkitError as exc:
                log.info("%s: reading the cancelled order back failed (%s)", self.name, exc.message)
                continue
            if state.status.is_terminal:
                break
        return state

    # -- machinery ------------------------------------------------------------

    def _carry(self, state: OrderState) -> OrderState:
        # What the client knows of the order that the venue's answer leaves out: our client order id
        # (venues that store none, or answers that omit it) and the unified symbol it was placed with.
        previous = self._seen.get(state.venue_order_id) if state.venue_order_id else None
        if previous is not None and previous.venue_order_id != state.venue_order_id:
            previous = None
        if previous is None and state.client_order_id:
            previous = self._seen.get(state.client_order_id)
        if previous is None:
            return state
        client_order_id = state.client_order_id or previous.client_order_id
        symbol = state.symbol
        if symbol == state.venue_symbol and previous.venue_symbol == state.venue_symbol:
            symbol = previous.symbol
        if (client_order_id, symbol) == (state.client_order_id, state.symbol):
            return state
        return attrs.evolve(state, client_order_id=client_order_id, symbol=symbol)

    def _remember(self, state: OrderState) -> OrderState:
        # Keep the newest state under both ids (with what the client knows carried forward); returns it.
        state = self._carry(state)
        if state.venue_order_id:
            self._seen.put(state.venue_order_id, state)
        if state.client_order_id:
            self._seen.put(state.client_order_id, state)
        self._seen_version += 1
        return state

    async def _run(self, flow: Generator[Exchange[Any], Any, T]) -> T:
        wrote = False
        send = flow.send
        value: Any = None  # the first send(None) starts the flow
        thrown: StopkitError | None = None
        while True:
            try:
                exchange = send(value) if thrown is None else flow.throw(thrown)
            except StopIteration as stop:
                return stop.value  # type: ignore[no-any-return]  # the flow's declared return type
            except StopkitError:
                raise
            except Exception as exc:  # noqa: BLE001  # the flow crashed on an answer it could not handle
                error = ResponseShapeError(
                    f"{self.name}: an answer could not be handled ({type(exc).__name__})",
                    venue=self.name,
                    outcome_known=not wrote,  # after a write, the venue may have acted
                )
                break
            wrote = wrote or exchange.writes
            if exchange.cache_key is not None:
                hit = self._cache.get(exchange.cache_key)
                if hit is not None and hit[0] > self._clock.now_ms():
                    value = hit[1]  # a fresh cached answer: nothing to send or await
                    thrown = None
                    continue
            try:
                value = await self._exchange(exchange)
            except StopkitError as exc:
                # The flow may handle a venue answer (e.g. not found → look elsewhere).
                thrown = exc
                continue
            thrown = None
        raise error  # outside the except block

    async def _exchange(self, exchange: Exchange[T]) -> T:
        if exchange.cache_key is not None:
            return await self._cached(exchange)
        refreshed = False

        async def attempt(number: int) -> T:
            nonlocal refreshed
            token = await self._current_token() if exchange.authenticated else None
            response = await self._send(exchange, token, number)
            try:
                return exchange.parse(response)
            except AuthenticationError as exc:
                if exc.stale_timestamp:
                    # Retryable (when documented): the next attempt is re-signed with the corrected clock.
                    self._correct_clock(response)
                elif (
                    exc.http_status == 401
                    and token is not None
                    and not refreshed
                    and self.venue.token_exchange(token) is not None
                ):
                    # A refused token. A 403 (scope, account) is not cured by a new token.
                    refreshed = True
                    log.info("%s: %s refused the token; refreshing once", self.name, exchange.label)
                    await self._refresh_token(stale=token)
                    exc.token_refreshed = True
                    if not exchange.writes:  # a read is simply sent again; a write is reconciled first
                        return self._parse(exchange, await self._send(exchange, self._token, number))
                raise self._judge(exchange, response, exc) from None
            except Exception as exc:  # noqa: BLE001  # any parser crash is judged (unknown for a write)
                raise self._judge(exchange, response, exc) from None

        started = time.monotonic()
        try:
            return await attempt(1)  # the happy path: no retry machinery
        except Exception as exc:  # noqa: BLE001  # judged by the retry policy, outside this block
            first = exc
        return await retry_after(self._retry, attempt, first, started=started, writes=exchange.writes)

    def _parse(self, exchange: Exchange[T], response: HttpResponse) -> T:
        try:
            return exchange.parse(response)
        except Exception as exc:  # noqa: BLE001  # any parser crash is judged (unknown for a write)
            raise self._judge(exchange, response, exc) from None

    def _judge(self, exchange: Exchange[Any], response: HttpResponse, error: BaseException) -> StopkitError:
        # The one rule for writes; a read's parser crash becomes a (retryable) ResponseShapeError.
        if exchange.writes:
            operation = exchange.label.split(" ", 1)[0]
            return judge_write_failure(
                error, response, venue=self.name, operation=operation, refusals=self.venue.refusals
            )
        return judge_read_failure(error, response, venue=self.name, operation=exchange.label)

    async def _cached(self, exchange: Exchange[T]) -> T:
        # A slowly changing read (market metadata), answered from the cache while fresh; one fetch
        # per key in flight, the other callers wait for it.
        key = str(exchange.cache_key)
        while True:
            hit = self._cache.get(key)
            if hit is not None and hit[0] > self._clock.now_ms():
                return hit[1]  # type: ignore[no-any-return]  # what this key's exchange parsed
            flight = self._cache_flights.get(key)
            if flight is None:
                break
            try:
                return await asyncio.shield(flight)
            except asyncio.CancelledError:
                if flight.cancelled():
                    continue  # the fetching caller was cancelled, not us: fetch it ourselves
                raise
        flight = asyncio.get_running_loop().create_future()
        flight.add_done_callback(_consume)
        self._cache_flights[key] = flight
        try:
            value = await self._exchange(attrs.evolve(exchange, cache_key=None))
        except asyncio.CancelledError:
            flight.cancel()
            raise
        except BaseException as exc:
            flight.set_exception(exc)
            raise
        else:
            self._cache[key] = (self._clock.now_ms() + int(exchange.cache_ttl_s * 1000), value)
            flight.set_result(value)
            return value
        finally:
            if self._cache_flights.get(key) is flight:
                del self._cache_flights[key]

    def invalidate_cache(self, key: str | None = None) -> None:
        """Forget the cached answer of ``key`` (an :attr:`Exchange.cache_key`), or every cached answer."""
        if key is None:
            self._cache.clear()
        else:
            self._cache.pop(key, None)

    async def _send(self, exchange: Exchange[Any], token: AccessToken | None, attempt: int) -> HttpResponse:
        # Wait for the rate limit first, then stamp: the context is as fresh as the send.
        throttle = self.throttle
        if throttle is None:
            return await self._send_now(exchange, token, attempt)
        if type(throttle).slot is not Throttle.slot:  # a budget of its own kind (stopkit.ratelimit_redis)
            async with throttle.slot(exchange.cost):
                return await self._send_now(exchange, token, attempt)
        # The in-process throttle: a request that need not wait takes its slot without awaiting.
        if not throttle._try_enter(exchange.cost):
            await throttle._enter(exchange.cost)
        try:
            return await self._send_now(exchange, token, attempt)
        finally:
            throttle._leave()

    def _now_ms(self) -> int:
        # The injected clock, corrected by what the venue's Date header said after an expiry refusal.
        return self._clock.now_ms() + self._clock_offset_ms

    def _correct_clock(self, response: HttpResponse) -> None:
        # Our timestamps were too old (or too new) for the venue: adopt its clock's offset. Derived
        # afresh from our clock now, so a step of our clock (back or forward) since the last
        # correction is corrected too.
        venue_ms = server_time_ms(response)
        if venue_ms is None:
            return
        offset = venue_ms - self._clock.now_ms()
        if abs(offset - self._clock_offset_ms) >= CLOCK_SKEW_TOLERANCE_MS:
            log.warning("%s: request expired; the venue's clock is %+d ms from ours: re-signing", self.name, offset)
            self._clock_offset_ms = offset

    @property
    def clock_offset_ms(self) -> int:
        """The correction applied to the clock after the venue refused an expired request (0 = none)."""
        return self._clock_offset_ms

    def _check_origin(self, url: str) -> None:
        # Plain-text credentials only to loopback, unless the user allowed it. Before any I/O.
        if url in self._allowed_urls:
            return  # this exact URL passed before (a venue's write URLs repeat: no parse per request)
        parts = urlsplit(url)
        origin = (parts.scheme.lower(), (parts.hostname or "").lower())
        allowed = self._checked_origins.get(origin)
        if allowed is None:
            scheme, host = origin
            if scheme in ("https", "wss"):
                allowed = True
            elif scheme in ("http", "ws"):
                allowed = self._allow_insecure or _is_loopback(host)
            else:
                allowed = False
            self._checked_origins[origin] = allowed
        if allowed:
            if len(self._allowed_urls) >= 256:  # reads carry queries: keep the set small
                self._allowed_urls.clear()
            self._allowed_urls.add(url)
        else:
            raise ConfigurationError(
                f"{self.name}: refusing {origin[0]}:// to {origin[1] or 'no host'}: credentials would travel in "
                "clear text (only https/wss; http/ws to loopback; set allow_insecure=True in the venue config to "
                "allow it)",
                venue=self.name,
            )

    async def _send_now(self, exchange: Exchange[Any], token: AccessToken | None, attempt: int) -> HttpResponse:
        now_ms = self._clock.now_ms() + self._clock_offset_ms
        ctx = self._last_ctx
        if ctx.now_ms != now_ms or ctx.access_token is not token or ctx.attempt != attempt:
            # A context is immutable: requests stamped in the same millisecond share one.
            ctx = self._last_ctx = RequestContext(now_ms=now_ms, access_token=token, attempt=attempt)
        request = exchange.build(ctx)
        self._check_origin(request.url)
        if exchange.writes:
            record = _CURRENT_WRITE.get()
            if record is not None:
                first = not record.sent
                record.sent = True  # from here on the venue may act on it
                if first and self._journal is not None:
                    await self._journal.mark_sent(self, record)  # durably, before the request leaves
        return await self._transport.send(request, timeout_s=self._retry.timeout_s)

    async def _current_token(self) -> AccessToken | None:
        token = self._token
        if token is not None and token.is_fresh(self._clock.now_ms(), margin_ms=token.refresh_margin_ms()):
            return token
        if self.venue.token_exchange(token) is None:
            return token  # static token only: use it until the venue refuses it
        return await self._refresh_token(stale=token)

    async def _refresh_token(self, *, stale: AccessToken | None) -> AccessToken:
        # Single flight: callers queue on the lock; whoever comes after a refresh reuses its token.
        async with self._token_lock:
            current = self._token
            if current is not None and current is not stale and current.is_fresh(self._clock.now_ms()):
                return current
            exchange = self.venue.token_exchange(stale)
            if exchange is None:
                raise AuthenticationError(
                    f"{self.name}: the token was refused and no way to get a new one is configured", venue=self.name
                )
            try:
                token = await self._grant(exchange)
            except AuthenticationError:
                # A refused refresh (e.g. a revoked refresh token): start over once from the credentials.
                fresh = self.venue.token_exchange(None) if stale is not None else None
                if fresh is None:
                    raise
                log.info("%s: token refresh refused; obtaining a new token from the credentials", self.name)
                token = await self._grant(fresh)
            self._token = token
            return token

    async def _grant(self, exchange: Exchange[TokenGrant]) -> AccessToken:
        # One token request inside the retry policy (token requests are safe to repeat).
        async def attempt(number: int) -> AccessToken:
            issued_at_ms = self._clock.now_ms()
            response = await self._send(exchange, None, number)
            try:
                grant: TokenGrant = exchange.parse(response)
            except StopkitError:
                raise
            except Exception as exc:  # noqa: BLE001  # a parser crash; the body holds the token: never attach it
                error = ResponseShapeError(
                    f"{self.name}: the token answer could not be read ({type(exc).__name__})",
                    venue=self.name,
                    http_status=response.status,
                )
            else:
                return grant.to_token(issued_at_ms)
            raise error

        return await run_with_retry(self._retry, attempt, writes=False)


def _consume(future: asyncio.Future[Any]) -> None:
    # Mark a shared fetch's exception as retrieved (its waiters re-raise it; none may be left).
    if not future.cancelled():
        future.exception()


def _consume_task(task: asyncio.Task[Any]) -> None:
    # A background cancel-replace whose caller stopped waiting: its error is in pending(), not lost.
    if not task.cancelled():
        task.exception()


def _native(state: OrderState) -> OrderState:
    # The state in the venue's own symbol (what venue flows and stream protocols read).
    return state if state.symbol == state.venue_symbol else attrs.evolve(state, symbol=state.venue_symbol)


def _replacement(base: AnyStopOrder, state: OrderState, amendment: Amendment) -> AnyStopOrder:
    # The new order of a cancel-replace: the order's own symbol, side, prices and size, `base`'s other
    # terms (position effect, trigger type, time in force), the amendment's changes, a new client order id.
    quantity = amendment.quantity if amendment.quantity is not None else (state.quantity or base.quantity)
    changes: dict[str, Any] = {
        "symbol": state.symbol,
        "side": state.side,
        "stop_price": amendment.stop_price or state.stop_price or base.stop_price,
        "quantity": quantity,
        "client_order_id": str(uuid.uuid4()),
    }
    if isinstance(base, StopLimitOrder):
        changes["limit_price"] = amendment.limit_price or state.limit_price or base.limit_price
    return attrs.evolve(base, **changes)


def _token_refreshed(error: StopkitError) -> bool:
    return isinstance(error, AuthenticationError) and error.token_refreshed


def _ids(states: Sequence[OrderState]) -> str:
    return ", ".join(str(state.venue_order_id) for state in states)


def _shows_amendment(state: OrderState, amendment: Amendment) -> bool:
    # Does the read-back state carry every changed value of the amendment?
    pairs = (
        (amendment.stop_price, state.stop_price),
        (amendment.limit_price, state.limit_price),
        (amendment.quantity, state.quantity),
    )
    return all(wanted is None or wanted == have for wanted, have in pairs)


def _order_ref(venue_order_id: object, client_order_id: object, symbol: object) -> OrderRef:
    # Validated ids and symbol (before any I/O), as an OrderRef.
    vid = None if venue_order_id is None else check_id(venue_order_id, field="venue_order_id", allow_int=True)
    coid = None if client_order_id is None else check_id(client_order_id, field="client_order_id", max_length=64)
    sym = None if symbol is None else check_symbol(symbol)
    if vid is None and coid is None:
        raise InvalidArgument("give venue_order_id or client_order_id", field="venue_order_id")
    return OrderRef(venue_order_id=vid, client_order_id=coid, symbol=sym)


def _same_state(a: OrderState, b: OrderState) -> bool:
    # Equal for the stream: the normalized status, fills, size and prices (not the venue's raw words).
    return (a.status, a.filled_quantity, a.quantity, a.stop_price, a.limit_price) == (
        b.status,
        b.filled_quantity,
        b.quantity,
        b.stop_price,
        b.limit_price,
    )


def _regresses(previous: OrderState, new: OrderState) -> bool:
    # Is `new` older news than `previous` (a late or stale source): fewer fills, un-triggered, un-finished?
    if new.filled_quantity < previous.filled_quantity:
        return True
    if previous.status.is_terminal:
        return not (new.status.is_terminal and new.filled_quantity > previous.filled_quantity)
    return previous.status.is_triggered and not new.status.is_triggered and not new.status.is_terminal
