"""The top-level functions: :func:`preview`, :func:`credentials_from_env`, :func:`connect`."""

from __future__ import annotations

import os
from collections import OrderedDict
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

from stopkit.context import AccessToken, Clock, RequestContext, SystemClock
from stopkit.errors import ConfigurationError
from stopkit.orders import AnyStopOrder
from stopkit.registry import get_venue
from stopkit.venue import BoundVenue, Credentials, Simulator, VenueAdapter
from stopkit.wire import HttpRequest

if TYPE_CHECKING:
    from stopkit.client import VenueClient
    from stopkit.journal import Journal
    from stopkit.ratelimit import RateLimit, Throttle
    from stopkit.retry import RetryPolicy
    from stopkit.transport import Transport

__all__ = ["bind", "connect", "credentials_from_env", "preview", "simulator"]

# Stands in for a bearer token that preview cannot fetch (it does no I/O).
PREVIEW_TOKEN = "PREVIEW-TOKEN"  # noqa: S105  # a placeholder, not a credential


def _adapter(venue: str | VenueAdapter) -> VenueAdapter:
    return get_venue(venue) if isinstance(venue, str) else venue


def _credentials(adapter: VenueAdapter, credentials: Credentials | Mapping[str, str] | None) -> Credentials:
    if credentials is None:
        return adapter.credentials_from_env(os.environ)
    if isinstance(credentials, Credentials):
        if credentials.venue != adapter.name:
            raise ConfigurationError(
                f"credentials are for {credentials.venue!r}, not {adapter.name!r}", venue=adapter.name
            )
        return credentials
    return Credentials(adapter.name, credentials)


def credentials_from_env(venue: str | VenueAdapter, environ: Mapping[str, str] | None = None) -> Credentials:
    """The venue's credentials from its environment variables (``os.environ`` by default).

    See ``stopkit venues`` or the README for each venue's variables.

    Raises:
        PluginError: unknown or broken venue.
    """
    adapter = _adapter(venue)
    return adapter.credentials_from_env(os.environ if environ is None else environ)


# Config keys every venue takes, handled by the client rather than the adapter.
CLIENT_CONFIG_KEYS = frozenset({"allow_insecure", "max_response_bytes"})


def _split_config(adapter: VenueAdapter, config: Mapping[str, Any] | None) -> tuple[dict[str, Any], dict[str, Any]]:
    # (the adapter's own keys, the client's keys: allow_insecure as bool, max_response_bytes as int).
    venue_config = dict(config or {})
    client: dict[str, Any] = {}
    if "allow_insecure" in venue_config:
        from stopkit.venue import _structure_bool

        raw = venue_config.pop("allow_insecure")
        try:
            client["allow_insecure"] = _structure_bool(raw, bool)
        except ValueError:
            raise ConfigurationError(
                f"{adapter.name}: bad config: allow_insecure must be a boolean, got {raw!r}", venue=adapter.name
            ) from None
    if "max_response_bytes" in venue_config:
        raw = venue_config.pop("max_response_bytes")
        try:
            value = int(raw) if not isinstance(raw, bool) else -1
        except (TypeError, ValueError):
            value = -1
        if value < 1024:
            raise ConfigurationError(
                f"{adapter.name}: bad config: max_response_bytes must be an integer >= 1024, got {raw!r}",
                venue=adapter.name,
            )
        client["max_response_bytes"] = value
    return venue_config, client


def bind(
    venue: str | VenueAdapter,
    *,
    credentials: Credentials | Mapping[str, str] | None,
    config: Mapping[str, Any] | None = None,
) -> BoundVenue:
    """The venue's pure adapter bound to credentials and config (keys decoded once).

    The client-side keys every venue takes (``allow_insecure``, ``max_response_bytes``, see
    :func:`connect`) are accepted and ignored here.

    Raises:
        PluginError: unknown or broken venue.
        ConfigurationError: missing or malformed credentials or config.
    """
    adapter = _adapter(venue)
    venue_config, _client = _split_config(adapter, config)
    return adapter.bind(_credentials(adapter, credentials), venue_config)


# preview() is pure, so the keys it decodes can be reused: decoding is most of its
# cost. A small LRU keyed by adapter, credentials and config (process memory only).
_PREVIEW_BINDS: OrderedDict[tuple[Any, ...], BoundVenue] = OrderedDict()
_PREVIEW_BINDS_MAX = 32


def _bind_for_preview(
    adapter: VenueAdapter, credentials: Credentials | Mapping[str, str] | None, config: Mapping[str, Any] | None
) -> BoundVenue:
    creds = _credentials(adapter, credentials)
    config, _client = _split_config(adapter, config)
    key = (id(adapter), tuple(sorted(creds.values.items())), tuple(sorted(config.items())))
    try:
        bound = _PREVIEW_BINDS.get(key)
    except TypeError:  # an unhashable config value: bind afresh
        return adapter.bind(creds, config)
    if bound is None or bound.adapter is not adapter:
        bound = adapter.bind(creds, config)
        _PREVIEW_BINDS[key] = bound
        if len(_PREVIEW_BINDS) > _PREVIEW_BINDS_MAX:
            _PREVIEW_BINDS.popitem(last=False)
    else:
        _PREVIEW_BINDS.move_to_end(key)
    return bound


def preview(
    venue: str | VenueAdapter,
    order: AnyStopOrder,
    *,
    credentials: Credentials | Mapping[str, str] | None,
    config: Mapping[str, Any] | None = None,
    now_ms: int | None = None,
) -> HttpRequest:
    """The exact request that would place ``order``, built with no network I/O.

    ``now_ms`` (Unix ms) fixes the timestamp for reproducible signatures; the
    system clock is used when ``None``. Venues with bearer tokens use the static
    token from the credentials when there is one, else the placeholder
    ``PREVIEW-TOKEN`` (a token cannot be fetched without I/O).

    Returns: :class:`HttpRequest` (method, url, headers, body bytes).

    Raises:
        InvalidOrder, UnsupportedOrder: the order cannot be placed on this venue.
        ConfigurationError, PluginError: as :func:`bind`.
    """
    bound = _bind_for_preview(_adapter(venue), credentials, config)
    bound.check_order(order)
    token = bound.initial_token()
    if token is None and bound.token_exchange(None) is not None:
        token = AccessToken(PREVIEW_TOKEN)
    ctx = RequestContext(now_ms=SystemClock().now_ms() if now_ms is None else now_ms, access_token=token)
    return bound.build_place_request(order, ctx)


def connect(
    venue: str | VenueAdapter,
    *,
    credentials: Credentials | Mapping[str, str] | None = None,
    config: Mapping[str, Any] | None = None,
    transport: Transport | None = None,
    clock: Clock | None = None,
    retry: RetryPolicy | None = None,
    rate_limit: RateLimit | None = None,
    throttle: Throttle | None = None,
    paper: bool = False,
    journal: str | Journal | None = None,
    budget: str | None = None,
    claim_wait_s: float = 30.0,
) -> VenueClient:
    """A :class:`~stopkit.client.VenueClient` for ``venue``; use it with ``async with``.

    ``credentials=None`` (the default) reads the venue's environment variables. One aiohttp
    session is created per client (lazily, on the first request) unless a
    ``transport`` is given. Requests are throttled to ``rate_limit`` (default:
    the venue's documented budget), or by a shared ``throttle``.

    ``paper=True`` trades on the venue's simulator instead (:mod:`stopkit.paper`): served on
    127.0.0.1 from the first request until the client closes, with the simulator's demo
    credentials (``credentials`` is then ignored: nothing of yours is read or sent) and its
    ``base_url`` (other ``config`` keys apply). ``client.paper.set_price(symbol, price)`` moves
    the simulated price.

    ``journal`` places each client order id at most once across crashes, restarts, processes and
    hosts, recording every outcome or reporting it unknown (see :mod:`stopkit.journal`):
    ``"sqlite:///path/orders.db"`` (one host),
    ``"redis://host:6379/0"`` (many processes and hosts), or a :class:`~stopkit.journal.Journal`
    (which you open and close). Entries are namespaced by venue and account. ``claim_wait_s``:
    how long a placement waits for another live client placing the same client order id.
    Without a journal, behaviour is as before (in-process guarantees only).

    ``budget="redis://host:6379/0"`` shares the rate-limit budget (``rate_limit`` or the venue's
    documented one, with the venue's costs) with every process and host using the same venue
    account, through Redis (:class:`~stopkit.ratelimit_redis.RedisBudget`, key
    ``stopkit:budget:{venue:account}``). The in-process limiter stays the default.

    Besides the venue's own keys, ``config`` takes two keys for every venue:

    - ``allow_insecure`` (default ``False``): allow ``http://``/``ws://`` to hosts other than
      loopback. Without it such URLs are refused before any I/O: credentials would travel
      in clear text.
    - ``max_response_bytes`` (default: the venue's, 4 MiB for the built-in venues): the
      largest answer body read, after decompression; a larger one is an unreadable answer
      (for a write, an unknown outcome).

    Raises:
        PluginError: unknown or broken venue.
        ConfigurationError: missing or malformed credentials or config; ``paper=True`` for a
            venue that ships no simulator; a malformed journal or budget URL, or a Redis
            journal/budget without the ``redis`` package (``pip install 'stopkit[redis]'``).
    """
    from stopkit.client import VenueClient
    from stopkit.ratelimit import Throttle
    from stopkit.transport import AiohttpTransport

    adapter = _adapter(venue)
    market = None
    if paper:
        from stopkit.paper import PaperMarket, paper_config

        market = PaperMarket(adapter)
        credentials, config = market.credentials, paper_config(market, config)
    venue_config, client_config = _split_config(adapter, config)
    bound = adapter.bind(_credentials(adapter, credentials), venue_config)
    binding = None
    if journal is not None or budget is not None:
        from stopkit.journal import JournalBinding, account_of, open_journal

        account = account_of(bound)
        if budget is not None:
            if throttle is not None:
                raise ConfigurationError("give budget or throttle, not both", venue=adapter.name)
            limit = rate_limit or bound.rate_limit
            if limit is None:
                raise ConfigurationError(
                    f"{adapter.name}: no rate limit to share: pass rate_limit=", venue=adapter.name
                )
            from stopkit.ratelimit_redis import RedisBudget

            throttle = RedisBudget(budget, limit, key=f"stopkit:budget:{{{adapter.name}:{account}}}")
        if journal is not None:
            binding = JournalBinding(
                open_journal(journal),
                venue=adapter.name,
                account=account,
                owned=not _is_journal(journal),
                claim_wait_s=claim_wait_s,
            )
    if throttle is None and rate_limit is not None:
        throttle = Throttle(rate_limit)
    max_body = client_config.get("max_response_bytes", adapter.max_response_bytes)
    wire: Transport = transport or AiohttpTransport(venue=bound.name, max_body_bytes=max_body)
    if market is not None:
        from stopkit.paper import PaperTransport

        wire = PaperTransport(wire, market)
    return VenueClient(
        bound,
        transport=wire,
        clock=clock,
        retry=retry,
        throttle=throttle,
        allow_insecure=client_config.get("allow_insecure", False),
        paper=market,
        journal=binding,
    )


def _is_journal(value: object) -> bool:
    from stopkit.journal import Journal

    return isinstance(value, Journal)


def simulator(venue: str | VenueAdapter) -> Simulator:
    """A fresh simulator of ``venue`` (an aiohttp app behaving as the venue documents), to serve
    yourself: ``base_url = await sim.start()``, then ``stopkit.connect(venue,
    credentials=sim.demo_credentials(), config=sim.demo_config(base_url))``; ``await sim.stop()``.
    For trading against it in-process, :func:`connect` with ``paper=True`` does all of this.

    Raises:
        PluginError: unknown or broken venue.
        ConfigurationError: the venue ships no simulator.
    """
    from stopkit.paper import simulator_of

    return simulator_of(_adapter(venue))
