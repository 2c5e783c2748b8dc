"""stopkit: place, read back and cancel stop-market and stop-limit orders on many venues.

Describe the order once, venue-neutrally::

    order = stopkit.StopLimitOrder(symbol="BTC", side=stopkit.Side.SELL, quantity=Decimal("0.1"),
                                   stop_price=Decimal("48000"), limit_price=Decimal("47950"))
    async with stopkit.connect("pacifica", credentials=stopkit.credentials_from_env("pacifica")) as venue:
        state = await venue.place(order)

Importing stopkit loads only the model; the HTTP stack and the venues load when used.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from stopkit.api import bind, connect, credentials_from_env, preview, simulator
from stopkit.context import AccessToken, Clock, FrozenClock, RequestContext, SystemClock, TokenGrant
from stopkit.errors import (
    AuthenticationError,
    CancelReplaceFailed,
    ConfigurationError,
    DuplicateClientOrderId,
    InvalidArgument,
    InvalidOrder,
    LocalError,
    OrderNotFound,
    OrderRejected,
    OutcomeUnknown,
    PluginError,
    RateLimited,
    RemoteError,
    ReplaceStep,
    ResponseShapeError,
    StopkitError,
    TransportError,
    UnknownVenueValue,
    UnsupportedOrder,
    VenueUnavailable,
)
from stopkit.markets import Market, Markets, Rounding, round_price, round_quantity
from stopkit.orders import (
    Amount,
    AnyStopOrder,
    OrderKind,
    PositionEffect,
    Side,
    StopLimitOrder,
    StopOrder,
    TimeInForce,
    TriggerType,
)
from stopkit.outcomes import PendingWrite, WriteOutcome
from stopkit.paper import PaperMarket
from stopkit.ratelimit import RateLimit, Throttle
from stopkit.registry import available_venues, get_venue, register
from stopkit.state import OrderState, OrderStatus
from stopkit.stream import StreamGap
from stopkit.venue import (
    Amendment,
    BoundVenue,
    Capabilities,
    Credentials,
    DemoScenario,
    OrderRef,
    Simulator,
    VenueAdapter,
)
from stopkit.wire import HttpRequest, HttpResponse

if TYPE_CHECKING:
    from stopkit.client import VenueClient
    from stopkit.journal import EntryStatus, Journal, JournalBinding, JournalEntry
    from stopkit.retry import ReconnectPolicy, RetryPolicy
    from stopkit.transport import Transport

__version__ = "0.1.0"

__all__ = [
    "AccessToken",
    "Amendment",
    "Amount",
    "AnyStopOrder",
    "AuthenticationError",
    "BoundVenue",
    "CancelReplaceFailed",
    "Capabilities",
    "Clock",
    "ConfigurationError",
    "Credentials",
    "DemoScenario",
    "DuplicateClientOrderId",
    "EntryStatus",
    "FrozenClock",
    "HttpRequest",
    "HttpResponse",
    "InvalidArgument",
    "InvalidOrder",
    "Journal",
    "JournalBinding",
    "JournalEntry",
    "LocalError",
    "Market",
    "Markets",
    "OrderKind",
    "OrderNotFound",
    "OrderRef",
    "OrderRejected",
    "OrderState",
    "OrderStatus",
    "OutcomeUnknown",
    "PaperMarket",
    "PendingWrite",
    "PluginError",
    "PositionEffect",
    "RateLimit",
    "RateLimited",
    "ReconnectPolicy",
    "RemoteError",
    "ReplaceStep",
    "RequestContext",
    "ResponseShapeError",
    "RetryPolicy",
    "Rounding",
    "Side",
    "Simulator",
    "StopLimitOrder",
    "StopOrder",
    "StopkitError",
    "StreamGap",
    "SystemClock",
    "Throttle",
    "TimeInForce",
    "TokenGrant",
    "Transport",
    "TransportError",
    "TriggerType",
    "UnknownVenueValue",
    "UnsupportedOrder",
    "VenueAdapter",
    "VenueClient",
    "VenueUnavailable",
    "WriteOutcome",
    "__version__",
    "available_venues",
    "bind",
    "connect",
    "credentials_from_env",
    "get_venue",
    "preview",
    "register",
    "round_price",
    "round_quantity",
    "simulator",
]


def __getattr__(name: str) -> Any:
    # VenueClient, RetryPolicy, ReconnectPolicy and Transport live in modules that import aiohttp/tenacity:
    # load them only when asked for, so `import stopkit` stays light.
    if name == "VenueClient":
        from stopkit.client import VenueClient

        return VenueClient
    if name == "RetryPolicy":
        from stopkit.retry import RetryPolicy

        return RetryPolicy
    if name == "ReconnectPolicy":
        from stopkit.retry import ReconnectPolicy

        return ReconnectPolicy
    if name == "Transport":
        from stopkit.transport import Transport

        return Transport
    if name in ("EntryStatus", "Journal", "JournalBinding", "JournalEntry"):  # stopkit.journal: sqlite3 on use
        import stopkit.journal

        return getattr(stopkit.journal, name)
    raise AttributeError(f"module 'stopkit' has no attribute {name!r}")
