"""The public surface is exactly ``stopkit.__all__``; changing it is a deliberate act."""

from __future__ import annotations

import ast
import builtins
import inspect
import typing

import attrs

import stopkit
import stopkit.plugin

EXPECTED = {
    # the order journal (issue 17): in connect()'s and VenueClient's signatures
    "EntryStatus",
    "Journal",
    "JournalBinding",
    "JournalEntry",
    "CancelReplaceFailed",
    "Market",
    "Markets",
    "ReplaceStep",
    "Rounding",
    "round_price",
    "round_quantity",
    "Amount",
    "BoundVenue",
    "Clock",
    "DemoScenario",
    "PaperMarket",
    "RateLimit",
    "ReconnectPolicy",
    "Simulator",
    "Throttle",
    "Transport",
    "VenueAdapter",
    "simulator",
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


# Names a public signature may use without stopkit exporting them: the standard library's.
_STDLIB = (
    set(dir(builtins))
    | set(typing.__all__)
    | {
        "AsyncGenerator",
        "AsyncIterator",
        "Awaitable",
        "Callable",
        "Decimal",
        "Generator",
        "Iterable",
        "Iterator",
        "Mapping",
        "Sequence",
        "TracebackType",
        "asyncio",
        "datetime",
    }
)
# The plugin contract's own methods may use the plugin API (stopkit.plugin), which documents them.
_PLUGIN_CONTRACT = {"BoundVenue", "VenueAdapter", "Simulator"}


def _names(annotation: object) -> set[str]:
    text = annotation if isinstance(annotation, str) else getattr(annotation, "__name__", repr(annotation))
    try:
        tree = ast.parse(text, mode="eval")
    except SyntaxError:
        return set()
    return {node.id for node in ast.walk(tree) if isinstance(node, ast.Name)}


def _signature_names(function: object) -> set[str]:
    try:
        signature = inspect.signature(function)  # type: ignore[arg-type]
    except (TypeError, ValueError):
        return set()
    annotations = [p.annotation for p in signature.parameters.values() if p.annotation is not inspect.Parameter.empty]
    if signature.return_annotation is not inspect.Signature.empty:
        annotations.append(signature.return_annotation)
    return set().union(*(_names(a) for a in annotations)) if annotations else set()


def test_every_type_in_a_public_signature_is_exported() -> None:
    """Each type named by an exported function, class (init, methods, properties, fields) is importable from stopkit."""
    missing: dict[str, set[str]] = {}
    for name in stopkit.__all__:
        obj = getattr(stopkit, name)
        allowed = set(stopkit.__all__) | _STDLIB
        if name in _PLUGIN_CONTRACT:
            allowed |= set(stopkit.plugin.__all__)
        used: dict[str, set[str]] = {}
        if inspect.isfunction(obj):
            used[name] = _signature_names(obj)
        elif inspect.isclass(obj):
            used[f"{name}.__init__"] = _signature_names(obj.__init__)
            for attr, member in vars(obj).items():
                if attr.startswith("_"):
                    continue
                if isinstance(member, property):
                    used[f"{name}.{attr}"] = _signature_names(member.fget)
                elif inspect.isfunction(member):
                    used[f"{name}.{attr}"] = _signature_names(member)
            if attrs.has(obj):
                for field in attrs.fields(obj):
                    if not field.name.startswith("_"):
                        used[f"{name}.{field.name}"] = _names(field.type)
        for where, names in used.items():
            for unexported in names - allowed:
                missing.setdefault(unexported, set()).add(where)
    assert missing == {}


def test_the_client_signatures_name_only_exported_types() -> None:
    """VenueClient (loaded lazily) and connect() name only types stopkit exports; the probe sees real names."""
    names = _signature_names(stopkit.connect)
    assert {"Transport", "RateLimit", "Throttle", "Clock", "VenueAdapter"} <= names
    assert names <= set(stopkit.__all__) | _STDLIB
    watch = _signature_names(stopkit.VenueClient.watch_orders)
    assert "ReconnectPolicy" in watch
    assert watch <= set(stopkit.__all__) | _STDLIB
