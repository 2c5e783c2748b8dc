"""The plugin API module: pinned surface, and the converter factory's rules."""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal

import attrs
import cattrs
import pytest

import stopkit.plugin as plugin
from stopkit import errors

PINNED = {
    "CancelReplaceFailed", "Market", "Markets", "check_order_fits",
    "server_time_ms",
    "Candidates", "InvalidArgument", "OutcomeUnknown", "Refusal",
    "AccessToken", "Amendment", "AnyStopOrder", "AuthenticationError", "BoundVenue", "Capabilities",
    "ConfigurationError", "Credentials", "DemoScenario", "DuplicateClientOrderId", "Ed25519Signer", "EnvVar",
    "Exchange", "Flow", "HttpRequest", "HttpResponse", "InvalidOrder", "LocalError", "OrderKind", "OrderNotFound",
    "OrderRef", "OrderRejected", "OrderState", "OrderStatus", "PluginError", "PositionEffect", "RateLimit",
    "RateLimited", "RemoteError", "RequestContext", "ResponseShapeError", "Resync", "Side", "Simulator",
    "StopLimitOrder", "StopOrder", "StopkitError", "StreamGap", "StreamProtocol", "StreamStep", "TimeInForce",
    "TokenGrant", "TransportError", "TriggerType", "UnknownVenueValue", "UnsupportedOrder", "VenueAdapter",
    "VenueUnavailable", "WsRequest", "b58decode", "b58encode", "canonical_json", "compact_json", "format_decimal",
    "find_known", "is_sensitive_header", "json_frames", "lookup", "make_converter", "masked_headers", "parse_decimal",
    "parse_id",
    "parse_iso8601", "parse_unix_ms", "require_mapping", "retry_after_s", "structure_config", "to_decimal",
}  # fmt: skip


def test_plugin_all_is_pinned() -> None:
    """stopkit.plugin exports exactly the pinned names, sorted, all resolvable, the whole error tree included."""
    assert set(plugin.__all__) == PINNED
    assert list(plugin.__all__) == sorted(plugin.__all__)
    for name in plugin.__all__:
        assert getattr(plugin, name) is not None
    for name in errors.__all__:
        assert getattr(plugin, name) is getattr(errors, name)


@attrs.frozen
class _Row:
    order_id: str
    price: Decimal
    created_at: datetime
    filled: Decimal | None = None


def test_converter_rules() -> None:
    """Decimals from strings/ints exactly, never floats; ISO and ms timestamps; canonical output."""
    conv = plugin.make_converter(forbid_extra_keys=True)
    row = conv.structure({"order_id": "1", "price": "0.10", "created_at": "2025-08-14T16:07:25.8193038Z"}, _Row)
    assert row.price == Decimal("0.10")
    assert row.created_at == datetime(2025, 8, 14, 16, 7, 25, 819303, tzinfo=UTC)
    assert conv.structure({"order_id": "1", "price": 5, "created_at": 1759224706737}, _Row).price == Decimal(5)
    assert conv.unstructure(row) == {
        "order_id": "1",
        "price": "0.1",
        "created_at": "2025-08-14T16:07:25.819303Z",
        "filled": None,
    }
    with pytest.raises(cattrs.BaseValidationError):
        conv.structure({"order_id": "1", "price": "abc", "created_at": 0}, _Row)
    with pytest.raises(cattrs.BaseValidationError):
        conv.structure({"order_id": "1", "price": "1", "created_at": 0, "extra": 1}, _Row)
