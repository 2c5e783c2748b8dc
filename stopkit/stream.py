"""Live order updates, sans-I/O: the contract between a venue's WebSocket protocol and the client.

A bound venue that streams order updates returns a :class:`StreamProtocol` from
:meth:`BoundVenue.stream() <stopkit.venue.BoundVenue.stream>`. The protocol is pure: it
builds the connect request (:class:`WsRequest`) from a
:class:`~stopkit.context.RequestContext` (clock and token), says which text frames to send
once the socket is open (handshake, auth, subscribe), and turns every received text frame
into a :class:`StreamStep`: normalized :class:`~stopkit.state.OrderState` updates, frames to
send back, and session signals (ready, re-authenticate, reconnect). The client
(:meth:`VenueClient.watch_orders <stopkit.client.VenueClient.watch_orders>`) owns the
socket, the heartbeats, the reconnects with backoff, the REST resync after a reconnect
and the de-duplication, and yields ``OrderState | StreamGap``::

    async with stopkit.connect("pacifica", credentials=creds) as venue:
        async for update in venue.watch_orders():
            if isinstance(update, stopkit.StreamGap):
                ...  # transitions may have been missed since update.since_ms: read the orders back
            else:
                print(update.venue_order_id, update.status.name)
"""

from __future__ import annotations

import abc
from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

import attrs

from stopkit.context import RequestContext
from stopkit.errors import OrderNotFound, StopkitError
from stopkit.state import OrderState

if TYPE_CHECKING:
    from stopkit.venue import BoundVenue, Flow

__all__ = [
    "Resync",
    "StreamGap",
    "StreamProtocol",
    "StreamStep",
    "WsRequest",
    "find_known",
    "json_frames",
    "mask_query",
]

# Query parameters whose values are secrets (masked in logs, errors and reprs).
_SECRET_QUERY = frozenset({"access_token", "token", "accessToken", "api_key", "apiKey", "signature"})


def mask_query(url: str) -> str:
    """``url`` with the values of secret query parameters (``access_token``, ``token``, ...) replaced by ``***``."""
    parts = urlsplit(url)
    if not parts.query:
        return url
    pairs = parse_qsl(parts.query, keep_blank_values=True)
    masked = urlencode([(k, "***" if k in _SECRET_QUERY else v) for k, v in pairs], safe="*")
    return urlunsplit((parts.scheme, parts.netloc, parts.path, masked, parts.fragment))


@attrs.frozen(kw_only=True, repr=False)
class WsRequest:
    """How to open a venue's WebSocket: ``url`` (``ws://`` or ``wss://``) and handshake ``headers``.

    The repr and :meth:`masked_url` mask secret query values (B2TRADER puts its bearer token
    in ``?access_token=``) and every header value.
    """

    url: str
    headers: Mapping[str, str] = attrs.field(factory=dict)

    def masked_url(self) -> str:
        """The URL with secret query values masked, safe for logs and errors."""
        return mask_query(self.url)

    def __repr__(self) -> str:
        return f"WsRequest(url={self.masked_url()!r}, headers={sorted(self.headers)!r})"

    __str__ = __repr__


@attrs.frozen(kw_only=True)
class StreamGap:
    """An explicit hole in the stream of order updates: transitions since ``since_ms`` may be missing.

    Yielded by :meth:`VenueClient.watch_orders <stopkit.client.VenueClient.watch_orders>` after a
    reconnect when the venue offers no way to read the missed transitions back (e.g. B2TRADER has
    no stop-order read endpoint), or when the read-back failed.

    Fields: ``venue``; ``since_ms`` (Unix ms of the last frame received before the connection was
    lost, or ``None``); ``reason`` (human-readable); ``venue_order_ids`` (the orders whose transitions
    may be missing, when the protocol can name them; empty = any order).
    """

    venue: str
    since_ms: int | None
    reason: str
    venue_order_ids: tuple[str, ...] = ()


@attrs.frozen(kw_only=True)
class StreamStep:
    """What a protocol makes of one received text frame (or of the socket opening).

    Fields:
        updates: order states parsed from the frame (the client de-duplicates them).
        gaps: holes the protocol noticed in this frame, e.g. an order that left the venue's open set
            without a final status (the client yields them after ``updates``).
        send: text frames to send now (replies, subscribe after auth, pongs).
        ready: the subscription is live (auth done, subscribed): after a reconnect the client
            reads missed transitions back through REST from here.
        reauth: the venue asks for a fresh token (e.g. Aries ``refreshAuth``): the client gets one
            and sends :meth:`StreamProtocol.auth_frames`.
        reconnect: a reason to close and reconnect (e.g. ``authExpired``, a SignalR close).
        error: the venue refused the session (e.g. an :class:`~stopkit.errors.AuthenticationError`):
            the client refreshes the token and reconnects, and gives up when it repeats.
    """

    updates: tuple[OrderState, ...] = ()
    gaps: tuple[StreamGap, ...] = ()
    send: tuple[str, ...] = ()
    ready: bool = False
    reauth: bool = False
    reconnect: str | None = None
    error: StopkitError | None = None


@attrs.frozen(kw_only=True)
class Resync:
    """The result of a REST read-back after a reconnect: the orders' current ``states``, and a
    ``gap_reason`` when some transitions could not be recovered (then a :class:`StreamGap` is yielded)."""

    states: tuple[OrderState, ...] = ()
    gap_reason: str | None = None


class StreamProtocol(abc.ABC):
    """One venue's order-update WebSocket protocol, pure (no I/O, no clock: time comes in ``ctx``).

    One instance serves one ``watch_orders`` call, across its reconnects: :meth:`connect_request`
    starts every connection (reset per-connection state there). Subclasses set
    ``ping_interval_s`` (how often the client sends :meth:`ping_frame`) and ``stall_timeout_s``
    (no frame for that long = a stalled connection: the client reconnects), and implement
    :meth:`connect_request`, :meth:`open_frames` and :meth:`handle_text`.
    """

    ping_interval_s: float = 30.0
    stall_timeout_s: float = 60.0
    needs_token: bool = False
    """The connection is authenticated with the venue's bearer token (``ctx.access_token``)."""

    def __init__(self, venue: BoundVenue) -> None:
        self.venue = venue

    @abc.abstractmethod
    def connect_request(self, ctx: RequestContext) -> WsRequest:
        """The URL and headers of a new connection (resets per-connection state)."""

    @abc.abstractmethod
    def open_frames(self, ctx: RequestContext) -> Sequence[str]:
        """Text frames to send as soon as the socket is open (handshake, auth, subscribe)."""

    @abc.abstractmethod
    def handle_text(self, text: str, *, known: Sequence[OrderState] = ()) -> StreamStep:
        """Parse one received text frame. ``known`` are the orders the client has seen (for
        venues that must correlate, e.g. a B2TRADER child order with its stop)."""

    def auth_frames(self, ctx: RequestContext) -> Sequence[str]:
        """Frames that re-authenticate the live session with ``ctx.access_token`` (default: none)."""
        return ()

    def ping_frame(self) -> str | None:
        """The application-level keep-alive frame, or ``None`` (default: none)."""
        return None

    def resync_flow(self, known: Sequence[OrderState]) -> Flow[Resync] | None:
        """After a reconnect: read the orders' current states back through REST, or ``None`` when
        the venue offers no way (a :class:`StreamGap` is then yielded).

        Default: the open orders (where listed) plus a ``get`` of every ``known`` order that is
        not terminal and not in that list (where the venue can read one order back).
        """
        caps = self.venue.capabilities
        if not (caps.list_open_orders or caps.get_order):
            return None
        return self._default_resync(list(known))

    def _default_resync(self, known: list[OrderState]) -> Flow[Resync]:
        # Open orders, then each known live order missing from them, read back one by one.
        from stopkit.venue import OrderRef  # venue.py imports this module

        caps = self.venue.capabilities
        states: list[OrderState] = []
        ids: set[str] = set()
        if caps.list_open_orders:
            listed: list[OrderState] = yield from self.venue.open_orders_flow(None)
            states.extend(listed)
            ids.update(s.venue_order_id for s in listed if s.venue_order_id)
        unresolved: list[str] = []
        for state in known:
            if state.status.is_terminal or (state.venue_order_id and state.venue_order_id in ids):
                continue
            if not caps.get_order:
                unresolved.append(state.venue_order_id or state.client_order_id or "?")
                continue
            ref = OrderRef(
                venue_order_id=state.venue_order_id, client_order_id=state.client_order_id, symbol=state.symbol
            )
            try:
                found: OrderState = yield from self.venue.get_flow(ref)
            except OrderNotFound:
                unresolved.append(state.venue_order_id or state.client_order_id or "?")
                continue
            states.append(found)
        reason = None
        if unresolved:
            reason = f"{self.venue.name}: could not read back {', '.join(unresolved)} after the reconnect"
        return Resync(states=tuple(states), gap_reason=reason)


def find_known(known: Sequence[OrderState], venue_order_id: str) -> OrderState | None:
    """The state in ``known`` (the orders :meth:`StreamProtocol.handle_text` is given) of the order
    with ``venue_order_id``, or ``None``.

    O(1) on the sequence the client passes (it looks orders up by id, however many it knows), so
    a protocol can ask about each row of each frame; any other sequence is scanned (the last
    match wins).
    """
    finder = getattr(known, "find", None)
    if finder is not None:
        found: OrderState | None = finder(venue_order_id)
        return found
    match = None
    for state in known:
        if state.venue_order_id == venue_order_id:
            match = state
    return match


def json_frames(text: str, separator: str) -> list[str]:
    """The non-empty pieces of ``text`` split on ``separator`` (NDJSON ``"\\n"``, SignalR ``"\\x1e"``)."""
    return [piece for piece in text.split(separator) if piece.strip()]
