"""The public plugin API: everything a venue adapter needs, in one import.

Built-in venues import only from here (and from :mod:`stopkit.testing` in their
simulators and tests), exactly as a third-party plugin does. See
``docs/plugins.md`` for a step-by-step guide.

A plugin is a distribution that registers one :class:`VenueAdapter` instance
under the ``stopkit.venues`` entry-point group::

    [project.entry-points."stopkit.venues"]
    myvenue = "stopkit_myvenue:VENUE"

Contents:

- the contract: :class:`VenueAdapter`, :class:`BoundVenue`, :class:`Capabilities`,
  :class:`Exchange`, :data:`Flow`, :class:`OrderRef`, :class:`Amendment`,
  :class:`Refusal` (a documented refusal of a write), :class:`Candidates` (what a
  reconciliation by terms found),
  :class:`Credentials`, :class:`EnvVar`, :class:`Simulator`, :class:`DemoScenario`,
  :func:`structure_config`, :class:`RateLimit`;
- the model: orders, enums, :class:`OrderState`, :class:`OrderStatus`;
- markets: :class:`Market`, :class:`Markets` (what :meth:`BoundVenue.markets_flow` returns),
  :func:`check_order_fits` (the check a place flow runs against a published market);
- the wire: :class:`HttpRequest`, :class:`HttpResponse`, :func:`format_decimal`,
  :func:`compact_json`, :func:`canonical_json`;
- the context: :class:`RequestContext`, :class:`AccessToken`, :class:`TokenGrant`;
- the error tree (every class);
- parsing helpers and the converter factory :func:`make_converter`;
- the Ed25519 signer :class:`Ed25519Signer` and base58 helpers;
- live order updates: :class:`StreamProtocol` (what :meth:`BoundVenue.stream` returns),
  :class:`StreamStep`, :class:`WsRequest`, :class:`Resync`, :class:`StreamGap`, :func:`json_frames`,
  :func:`find_known`.
"""

from __future__ import annotations

from stopkit.context import AccessToken, RequestContext, TokenGrant
from stopkit.convert import make_converter
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
    ResponseShapeError,
    StopkitError,
    TransportError,
    UnknownVenueValue,
    UnsupportedOrder,
    VenueUnavailable,
)
from stopkit.markets import Market, Markets, check_order_fits
from stopkit.orders import (
    AnyStopOrder,
    OrderKind,
    PositionEffect,
    Side,
    StopLimitOrder,
    StopOrder,
    TimeInForce,
    TriggerType,
    to_decimal,
)
from stopkit.parsing import (
    lookup,
    parse_decimal,
    parse_id,
    parse_iso8601,
    parse_unix_ms,
    require_mapping,
    retry_after_s,
    server_time_ms,
)
from stopkit.ratelimit import RateLimit
from stopkit.signing import Ed25519Signer, b58decode, b58encode
from stopkit.state import OrderState, OrderStatus
from stopkit.stream import Resync, StreamGap, StreamProtocol, StreamStep, WsRequest, find_known, json_frames
from stopkit.venue import (
    Amendment,
    BoundVenue,
    Candidates,
    Capabilities,
    Credentials,
    DemoScenario,
    EnvVar,
    Exchange,
    Flow,
    OrderRef,
    Refusal,
    Simulator,
    VenueAdapter,
    structure_config,
)
from stopkit.wire import (
    HttpRequest,
    HttpResponse,
    canonical_json,
    compact_json,
    format_decimal,
    is_sensitive_header,
    masked_headers,
)

__all__ = [
    "AccessToken",
    "Amendment",
    "AnyStopOrder",
    "AuthenticationError",
    "BoundVenue",
    "CancelReplaceFailed",
    "Candidates",
    "Capabilities",
    "ConfigurationError",
    "Credentials",
    "DemoScenario",
    "DuplicateClientOrderId",
    "Ed25519Signer",
    "EnvVar",
    "Exchange",
    "Flow",
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
    "PluginError",
    "PositionEffect",
    "RateLimit",
    "RateLimited",
    "Refusal",
    "RemoteError",
    "RequestContext",
    "ResponseShapeError",
    "Resync",
    "Side",
    "Simulator",
    "StopLimitOrder",
    "StopOrder",
    "StopkitError",
    "StreamGap",
    "StreamProtocol",
    "StreamStep",
    "TimeInForce",
    "TokenGrant",
    "TransportError",
    "TriggerType",
    "UnknownVenueValue",
    "UnsupportedOrder",
    "VenueAdapter",
    "VenueUnavailable",
    "WsRequest",
    "b58decode",
    "b58encode",
    "canonical_json",
    "check_order_fits",
    "compact_json",
    "find_known",
    "format_decimal",
    "is_sensitive_header",
    "json_frames",
    "lookup",
    "make_converter",
    "masked_headers",
    "parse_decimal",
    "parse_id",
    "parse_iso8601",
    "parse_unix_ms",
    "require_mapping",
    "retry_after_s",
    "server_time_ms",
    "structure_config",
    "to_decimal",
]
