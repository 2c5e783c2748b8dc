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

from stopkit.api import bind, connect, credentials_from_env, preview
from stopkit.context import AccessToken, FrozenClock, RequestContext, SystemClock, TokenGrant
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
from stopkit.markets import Market, Markets, round_price, round_quantity
from stopkit.orders import (
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
from stopkit.registry import available_venues, get_venue, register
from stopkit.state import OrderState, OrderStatus
from stopkit.stream import StreamGap
from stopkit.venue import Amendment, Capabilities, Credentials, OrderRef
from stopkit.wire import HttpRequest, HttpResponse

if TYPE_CHECKING:
    from stopkit.client import VenueClient
    from stopkit.retry import RetryPolicy

__version__ = "0.1.0"

__all__ = [
    "AccessToken",
    "Amendment",
    "AnyStopOrder",
    "AuthenticationError",
    "CancelReplaceFailed",
    "Capabilities",
    "ConfigurationError",
    "Credentials",
    "DuplicateClientOrderId",
    "FrozenClock",
    "HttpRequest",
    "HttpResponse",
    "InvalidArgument",
    "InvalidOrder",
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
    "PendingWrite",
    "PluginError",
    "PositionEffect",
    "RateLimited",
    "RemoteError",
    "ReplaceStep",
    "RequestContext",
    "ResponseShapeError",
    "RetryPolicy",
    "Side",
    "StopLimitOrder",
    "StopOrder",
    "StopkitError",
    "StreamGap",
    "SystemClock",
    "TimeInForce",
    "TokenGrant",
    "TransportError",
    "TriggerType",
    "UnknownVenueValue",
    "UnsupportedOrder",
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
]


def __getattr__(name: str) -> Any:
    # VenueClient and RetryPolicy live in modules that import aiohttp/tenacity:
    # load them only when asked for, so `import stopkit` stays light.
    if name == "VenueClient":
        from stopkit.client import VenueClient

        return VenueClient
    if name == "RetryPolicy":
        from stopkit.retry import RetryPolicy

        return RetryPolicy
    raise AttributeError(f"module 'stopkit' has no attribute {name!r}")
