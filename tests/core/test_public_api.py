"""The public surface is exactly ``stopkit.__all__``; changing it is a deliberate act."""

from __future__ import annotations

import stopkit

EXPECTED = {
    "CancelReplaceFailed",
    "Market",
    "Markets",
    "ReplaceStep",
    "round_price",
    "round_quantity",
    "InvalidArgument",
    "OutcomeUnknown",
    "PendingWrite",
    "WriteOutcome",
    "AccessToken",
    "Amendment",
    "AnyStopOrder",
    "AuthenticationError",
    "Capabilities",
    "ConfigurationError",
    "Credentials",
    "DuplicateClientOrderId",
    "FrozenClock",
    "HttpRequest",
    "HttpResponse",
    "InvalidOrder",
    "LocalError",
    "OrderKind",
    "OrderNotFound",
    "OrderRef",
    "OrderRejected",
    "OrderState",
    "OrderStatus",
    "PluginError",
    "PositionEffect",
    "RateLimited",
    "RemoteError",
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
    "__version__",
    "available_venues",
    "bind",
    "connect",
    "credentials_from_env",
    "get_venue",
    "preview",
    "register",
}


def test_all_is_pinned_and_sorted() -> None:
    """__all__ matches the pinned list, is sorted, and every name resolves."""
    assert set(stopkit.__all__) == EXPECTED
    assert list(stopkit.__all__) == sorted(stopkit.__all__)
    for name in stopkit.__all__:
        assert getattr(stopkit, name) is not None
