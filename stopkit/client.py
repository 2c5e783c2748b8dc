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
from collections.abc import Generator
from types import TracebackType
from typing import Any, TypeVar

from stopkit.context import AccessToken, Clock, RequestContext, SystemClock, TokenGrant
from stopkit.errors import AuthenticationError, InvalidOrder, StopkitError
from stopkit.orders import AnyStopOrder, OrderKind, StopLimitOrder, StopOrder
from stopkit.ratelimit import Throttle
from stopkit.retry import RetryPolicy, run_with_retry
from stopkit.state import OrderState
from stopkit.transport import Transport
from stopkit.venue import Amendment, BoundVenue, Exchange, OrderRef
from stopkit.wire import HttpResponse

__all__ = ["VenueClient"]

T = TypeVar("T")
log = logging.getLogger("stopkit.client")


class VenueClient:
    """A connection to one venue with one set of credentials.

    Use as an async context manager (``async with stopkit.connect(...) as venue``)
    or call :meth:`close`. Operations:

    - :meth:`place` (every venue), :meth:`get`, :meth:`cancel`,
      :meth:`open_orders` (where the venue documents a way; otherwise
      :class:`~stopkit.errors.UnsupportedOrder`).
    - :meth:`last_state`: the last state this client saw for an order.
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
            ``outcome_known=False`` means the order may exist and must be reconciled.
        """
        if not isinstance(order, StopOrder | StopLimitOrder):
            raise InvalidOrder(f"expected StopOrder or StopLimitOrder, got {type(order).__name__}", field="order")
        self.venue.check_order(order)
        sent_at_ms = self._clock.now_ms()
        try:
            state = await self._run(self.venue.place_flow(order))
        except StopkitError as exc:
            if exc.outcome_known:
                raise
            state = await self._reconcile(order, exc, sent_at_ms)
        return self._remember(state)

    async def _reconcile(self, order: AnyStopOrder, error: StopkitError, sent_at_ms: int) -> OrderState:
        # The venue may or may not hold the order: look for it, never resend it.
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

    async def _send_now(self, exchange: Exchange[Any], token: AccessToken | None, attempt: int) -> HttpResponse:
        request = exchange.build(RequestContext(now_ms=self._clock.now_ms(), access_token=token, attempt=attempt))
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
