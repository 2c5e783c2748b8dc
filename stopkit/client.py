"""VenueClient: runs a bound venue's pure flows over the transport.

For every exchange of a flow the client builds a fresh
:class:`~stopkit.context.RequestContext` (clock, bearer token, attempt number),
builds the request, sends it, and parses the answer, inside the retry policy.
Bearer tokens are obtained once, cached until shortly before they expire,
refreshed by one caller at a time, and refreshed once more if the venue answers
401 to a request it therefore did not accept.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncGenerator, AsyncIterator, Generator
from types import TracebackType
from typing import Any, TypeVar

import attrs

from stopkit.context import AccessToken, Clock, RequestContext, SystemClock, TokenGrant
from stopkit.errors import (
    AuthenticationError,
    ConfigurationError,
    InvalidOrder,
    StopkitError,
    TransportError,
    UnsupportedOrder,
)
from stopkit.orders import AnyStopOrder, OrderKind, StopLimitOrder, StopOrder
from stopkit.parsing import server_time_ms
from stopkit.ratelimit import Throttle
from stopkit.retry import ReconnectPolicy, RetryPolicy, run_with_retry
from stopkit.state import OrderState
from stopkit.stream import StreamGap, StreamProtocol
from stopkit.transport import Transport, WebSocket
from stopkit.venue import Amendment, BoundVenue, Exchange, OrderRef
from stopkit.wire import HttpResponse

__all__ = ["VenueClient"]

T = TypeVar("T")
log = logging.getLogger("stopkit.client")

# The venue's Date header has one-second resolution: smaller differences are not corrected.
CLOCK_SKEW_TOLERANCE_MS = 1_500


class VenueClient:
    """A connection to one venue with one set of credentials.

    Use as an async context manager (``async with stopkit.connect(...) as venue``)
    or call :meth:`close`. Operations:

    - :meth:`place` (every venue), :meth:`get`, :meth:`cancel`,
      :meth:`open_orders` (where the venue documents a way; otherwise
      :class:`~stopkit.errors.UnsupportedOrder`).
    - :meth:`last_state`: the last state this client saw for an order.
    - :meth:`watch_orders`: live order updates from the venue's WebSocket.
    """

    def __init__(
        self,
        venue: BoundVenue,
        *,
        transport: Transport,
        clock: Clock | None = None,
        retry: RetryPolicy | None = None,
        throttle: Throttle | None = None,
    ) -> None:
        self.venue = venue
        self._transport = transport
        self._clock: Clock = clock or SystemClock()
        self._clock_offset_ms = 0
        self._retry = retry or RetryPolicy()
        limit = venue.rate_limit
        self.throttle: Throttle | None = throttle or (Throttle(limit) if limit is not None else None)
        self._token: AccessToken | None = venue.initial_token()
        self._token_lock = asyncio.Lock()
        self._seen: dict[str, OrderState] = {}

    @property
    def name(self) -> str:
        """The venue name."""
        return self.venue.name

    async def __aenter__(self) -> VenueClient:
        return self

    async def __aexit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        await self.close()

    async def close(self) -> None:
        """Close the transport's connections."""
        await self._transport.close()

    # -- operations -----------------------------------------------------------

    async def place(self, order: AnyStopOrder) -> OrderState:
        """Place a stop-market or stop-limit order.

        Returns the venue's answer as an :class:`OrderState` (normally ACCEPTED).

        Raises:
            InvalidOrder, UnsupportedOrder: before any I/O.
            OrderRejected, DuplicateClientOrderId, AuthenticationError, RateLimited,
            VenueUnavailable, TransportError, ResponseShapeError: from the venue;
            ``outcome_known=False`` means the order may exist: the venue's reconciliation
            (see :meth:`BoundVenue.reconcile_flow`) ran and could not settle it (the error's
            notes say why), so check before placing it again.
        """
        if not isinstance(order, StopOrder | StopLimitOrder):
            raise InvalidOrder(f"expected StopOrder or StopLimitOrder, got {type(order).__name__}", field="order")
        self.venue.check_order(order)
        sent_at_ms = self._now_ms()
        try:
            state = await self._run(self.venue.place_flow(order))
        except StopkitError as exc:
            if exc.outcome_known:
                raise
            state = await self._reconcile(order, exc, sent_at_ms)
        return self._remember(state)

    async def _reconcile(self, order: AnyStopOrder, error: StopkitError, sent_at_ms: int) -> OrderState:
        # The venue may or may not hold the order: the venue's reconcile flow looks for it (and may
        # resend only where the venue refuses duplicates); the client itself never resends.
        flow = self.venue.reconcile_flow(order, sent_at_ms=sent_at_ms)
        if flow is None:
            error.add_note(f"{self.name} offers no way to look the order up: reconcile it by hand")
            raise error
        log.warning("%s: placement outcome unknown (%s); reconciling", self.name, error.message)
        try:
            found = await self._run(flow)
        except StopkitError as lookup_error:
            error.add_note(f"reconciliation failed too: {lookup_error}")
            raise error from lookup_error
        if found is None:
            error.add_note("reconciliation found no matching order; it may still appear: check again before resending")
            raise error
        log.warning("%s: reconciliation found the order: %s", self.name, found.venue_order_id)
        return found

    async def get(
        self, *, venue_order_id: str | None = None, client_order_id: str | None = None, symbol: str | None = None
    ) -> OrderState:
        """Read one order back by venue order id or client order id.

        Raises:
            UnsupportedOrder: the venue documents no way to read orders.
            OrderNotFound: the venue does not know the order.
        """
        ref = OrderRef(venue_order_id=venue_order_id, client_order_id=client_order_id, symbol=symbol)
        state = await self._run(self.venue.get_flow(ref))
        return self._remember(state)

    async def cancel(
        self, *, venue_order_id: str | None = None, client_order_id: str | None = None, symbol: str | None = None
    ) -> OrderState:
        """Cancel one order by venue order id or client order id; returns its state.

        Raises:
            UnsupportedOrder: the venue cannot cancel stops.
            OrderNotFound: the venue does not know the order.
        """
        ref = OrderRef(venue_order_id=venue_order_id, client_order_id=client_order_id, symbol=symbol)
        state = await self._run(self.venue.cancel_flow(ref))
        return self._remember(state)

    async def modify(
        self,
        state: OrderState,
        *,
        stop_price: object = None,
        limit_price: object = None,
        quantity: object = None,
    ) -> OrderState:
        """Change a resting order's stop price, limit price and/or quantity (``None`` = keep).

        ``state`` is the order's latest state (venues whose ids change on replace
        need it). Returns the new state. Never resent after an unknown outcome.

        Raises:
            InvalidOrder: nothing to change, a bad value, or a limit price on a stop-market.
            UnsupportedOrder: the venue cannot modify in place.
        """
        amendment = Amendment(stop_price=stop_price, limit_price=limit_price, quantity=quantity)
        if amendment.limit_price is not None and state.kind is OrderKind.STOP_MARKET:
            raise InvalidOrder("a stop-market order has no limit price to modify", field="limit_price", venue=self.name)
        new_state = await self._run(self.venue.modify_flow(state, amendment))
        return self._remember(new_state)

    async def open_orders(self, symbol: str | None = None) -> list[OrderState]:
        """The venue's open stop orders (optionally of one symbol).

        Raises:
            UnsupportedOrder: the venue documents no way to list them.
        """
        states = await self._run(self.venue.open_orders_flow(symbol))
        for state in states:
            self._remember(state)
        return states

    def last_state(self, *, venue_order_id: str | None = None, client_order_id: str | None = None) -> OrderState | None:
        """The last state this client saw for the order, or ``None``. No I/O."""
        for key in (venue_order_id, client_order_id):
            if key is not None and key in self._seen:
                return self._seen[key]
        return None

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
                    step = protocol.handle_text(text, known=self._known())
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
        flow = protocol.resync_flow(self._known())
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

    def _known(self) -> list[OrderState]:
        # The distinct orders this client has seen, newest state each.
        unique: dict[int, OrderState] = {id(state): state for state in self._seen.values()}
        return list(unique.values())

    def _stream_change(self, last: dict[str, OrderState], state: OrderState) -> OrderState | None:
        # The state to yield (our client order id attached), or None for no change / an older state.
        key = state.venue_order_id or state.client_order_id
        if key is None:
            return state
        seen = self._seen.get(key)
        if state.client_order_id is None and seen is not None and seen.client_order_id:
            state = attrs.evolve(state, client_order_id=seen.client_order_id)
        previous = last.get(key)
        if previous is not None and (_same_state(previous, state) or _regresses(previous, state)):
            return None
        last[key] = state
        if seen is None or not _regresses(seen, state):
            self._remember(state)
        return state

    # -- machinery ------------------------------------------------------------

    def _remember(self, state: OrderState) -> OrderState:
        if state.venue_order_id:
            self._seen[state.venue_order_id] = state
        if state.client_order_id:
            self._seen[state.client_order_id] = state
        return state

    async def _run(self, flow: Generator[Exchange[Any], Any, T]) -> T:
        try:
            exchange = next(flow)
        except StopIteration as stop:
            return stop.value  # type: ignore[no-any-return]  # the flow's declared return type
        while True:
            try:
                result = await self._exchange(exchange)
            except StopkitError as exc:
                # The flow may handle a venue answer (e.g. not found → look elsewhere).
                try:
                    exchange = flow.throw(exc)
                except StopIteration as stop:
                    return stop.value  # type: ignore[no-any-return]
                continue
            try:
                exchange = flow.send(result)
            except StopIteration as stop:
                return stop.value  # type: ignore[no-any-return]

    async def _exchange(self, exchange: Exchange[T]) -> T:
        refreshed = False

        async def attempt(number: int) -> T:
            nonlocal refreshed
            token = await self._current_token() if exchange.authenticated else None
            response = await self._send(exchange, token, number)
            try:
                return exchange.parse(response)
            except AuthenticationError as exc:
                if exc.stale_timestamp:
                    self._correct_clock(response)
                    raise  # retryable: the next attempt is stamped and signed with the corrected clock
                # A refused token (401): the venue did not accept the request. Refresh once and retry.
                # A 403 (scope, account) is not cured by a new token.
                if exc.http_status != 401 or token is None or refreshed or self.venue.token_exchange(token) is None:
                    raise
                refreshed = True
                log.info("%s: %s refused the token; refreshing once", self.name, exchange.label)
                await self._refresh_token(stale=token)
                return exchange.parse(await self._send(exchange, self._token, number))

        return await run_with_retry(self._retry, attempt, writes=exchange.writes)

    async def _send(self, exchange: Exchange[Any], token: AccessToken | None, attempt: int) -> HttpResponse:
        # Wait for the rate limit first, then stamp: the context is as fresh as the send.
        if self.throttle is None:
            return await self._send_now(exchange, token, attempt)
        async with self.throttle.slot(exchange.cost):
            return await self._send_now(exchange, token, attempt)

    def _now_ms(self) -> int:
        # The injected clock, corrected by what the venue's Date header said after an expiry refusal.
        return self._clock.now_ms() + self._clock_offset_ms

    def _correct_clock(self, response: HttpResponse) -> None:
        # Our timestamps were too old (or too new) for the venue: adopt its clock's offset.
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

    async def _send_now(self, exchange: Exchange[Any], token: AccessToken | None, attempt: int) -> HttpResponse:
        request = exchange.build(RequestContext(now_ms=self._now_ms(), access_token=token, attempt=attempt))
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
            grant: TokenGrant = exchange.parse(await self._send(exchange, None, number))
            return grant.to_token(issued_at_ms)

        return await run_with_retry(self._retry, attempt, writes=False)


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
