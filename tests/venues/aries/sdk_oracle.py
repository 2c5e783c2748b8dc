"""The official Aries SDK (``finance-dev`` 0.9.0, https://pypi.org/project/finance-dev/0.9.0/) as the judge.

Its pydantic models are generated from the "Aries API — OpenAPI Specification". Validation here is
stricter than the SDK's own parsing in two ways, both so that a wrong value cannot slip through:

- the SDK's enums are *open* (``utils.OpenEnumMeta``: an unknown string is kept as a plain ``str``);
  :func:`check_model` fails on any enum field whose value is not one of the SDK's members;
- REST models ignore unknown keys; for the requests stopkit builds, :func:`check_model` with
  ``exact_keys=True`` fails on a key the model does not define (a typo would otherwise vanish).

A failure raises ``AssertionError`` (or pydantic's ``ValidationError``), so a request or a
simulator answer that the SDK model rejects fails the test suite.
"""

from __future__ import annotations

import enum
import json
import typing
from collections.abc import Mapping
from typing import Any
from urllib.parse import urlsplit

import pydantic
from finance_dev import errors as sdk_errors
from finance_dev import models as sdk
from finance_dev.websocket.codec import decode_frame
from finance_dev.websocket.models import AccountEvent, AccountSnapshot, AccountSubscription
from finance_dev.websocket.models.common import (
    EventMessage,
    PongMessage,
    RequestMessage,
    ResponseMessage,
    SubscribedMessage,
    SubscribeMessage,
    UnknownMessage,
)

__all__ = [
    "check_model",
    "check_request",
    "check_response",
    "check_server_frame",
    "check_client_frame",
]


def _enum_types(annotation: Any) -> list[type[enum.Enum]]:
    # The Enum classes inside a field annotation (Optional[X], Annotated[X, ...], List[X]...).
    if isinstance(annotation, type) and issubclass(annotation, enum.Enum):
        return [annotation]
    found: list[type[enum.Enum]] = []
    for arg in typing.get_args(annotation):
        found.extend(_enum_types(arg))
    return found


def _check_enums(obj: Any, where: str) -> None:
    # Every enum-typed field holds a member of the SDK's enum (recursing into nested models and lists).
    if isinstance(obj, list):
        for i, item in enumerate(obj):
            _check_enums(item, f"{where}[{i}]")
        return
    if not isinstance(obj, pydantic.BaseModel):
        return
    for name, field in type(obj).model_fields.items():
        value = getattr(obj, name)
        if value is None or type(value).__name__ == "Unset":
            continue
        enums = _enum_types(field.annotation)
        if enums and not isinstance(value, enum.Enum):
            allowed = sorted(m.value for e in enums for m in e)
            raise AssertionError(f"{where}.{field.alias or name} = {value!r} is not an SDK value ({allowed})")
        _check_enums(value, f"{where}.{field.alias or name}")


def _keys(model: type[pydantic.BaseModel]) -> set[str]:
    # The wire names a model defines (alias, else the field name).
    return {field.alias or name for name, field in model.model_fields.items()}


def check_model(model: Any, data: Any, *, exact_keys: bool = False, where: str = "") -> Any:
    """``data`` validated by the SDK ``model`` (a model class or a Union), enums strict; returns the object.

    ``exact_keys``: also fail on keys ``model`` does not define (for requests stopkit builds).
    """
    label = where or getattr(model, "__name__", str(model))
    if isinstance(model, type) and issubclass(model, pydantic.BaseModel):
        obj = model.model_validate(data)
        if exact_keys and isinstance(data, Mapping):
            unknown = set(data) - _keys(model)
            assert not unknown, f"{label}: keys the SDK model does not define: {sorted(unknown)}"
    else:
        obj = pydantic.TypeAdapter(model).validate_python(data)
    _check_enums(obj, label)
    return obj


def _json(body: bytes | str | None) -> Any:
    return json.loads(body or b"null")


# -- REST --------------------------------------------------------------------------------------

_ERROR_UNIONS: dict[int, Any] = {
    400: sdk_errors.BadRequestUnion,
    401: sdk_errors.UnauthorizedUnion,
    403: sdk_errors.ForbiddenUnion,
    404: sdk_errors.NotFoundUnion,
    500: sdk_errors.InternalServerErrorUnion,
    503: sdk_errors.AuthenticationErrorEnvelopeData,
    504: sdk_errors.AuthenticationErrorEnvelopeData,
}


def _check_error(status: int, body: Any, *, history: bool) -> None:
    # An error answer: the model the SDK unmarshals for that status (orders.py), and for a nested
    # error object also the structured AppError (code, message and a known type).
    model = sdk_errors.OrderHistoryBadRequestUnion if history and status == 400 else _ERROR_UNIONS.get(status)
    assert model is not None, f"HTTP {status}: the SDK documents no error body for this status"
    check_model(model, body, where=f"HTTP {status} error")
    error = body.get("error") if isinstance(body, Mapping) else None
    if isinstance(error, Mapping):
        check_model(sdk.AppError, error, exact_keys=True, where=f"HTTP {status} error.error")
        assert set(body) <= {"error", "meta"}, f"HTTP {status}: nested envelope keys {sorted(body)}"
    else:
        check_model(sdk_errors.ErrorResponseData, body, where=f"HTTP {status} flat error")
        assert set(body) <= {"error", "codes", "metadata"}, f"HTTP {status}: flat error keys {sorted(body)}"


def _check_token_answer(status: int, body: Any) -> None:
    # What the SDK's ClientCredentialsHook.do_token_request needs: 2xx, token_type bearer, an
    # access_token, an integer expires_in (it adds it to int(time.time())).
    if status >= 400:
        check_model(sdk_errors.AuthenticationErrorEnvelopeData, body, where="token error")
        return
    assert 200 <= status < 300, f"token endpoint: HTTP {status}"
    assert str(body.get("token_type", "")).lower() == "bearer", body.get("token_type")
    assert isinstance(body.get("access_token"), str)
    assert body["access_token"]
    assert isinstance(body.get("expires_in"), int)
    assert not isinstance(body["expires_in"], bool)


def check_response(method: str, url: str, status: int, body: bytes | str | None) -> Any:
    """One HTTP answer of the simulator, judged by the SDK model of its endpoint and status."""
    path = urlsplit(url).path
    data = _json(body)
    if path.endswith("/v1/oauth2/token"):
        _check_token_answer(status, data)
        return data
    if status != 200:
        _check_error(status, data, history=path.endswith("/orders/history"))
        return data
    if method == "GET" and path.startswith("/v2/accounts/"):
        page = check_model(sdk.GetOrdersV2Response, data, exact_keys=True, where=f"GET {path}")
        if path.endswith("/history"):
            assert isinstance(data["orders"], list), "history: 'an empty array ... when there are no matches'"
        for i, row in enumerate(data.get("orders") or []):
            check_model(sdk.TradeOrderV2, row, exact_keys=True, where=f"GET {path} orders[{i}]")
        return page
    models: dict[str, type[pydantic.BaseModel]] = {
        "/v1/orders": sdk.OrdResponse,
        "/v1/orders/cancel": sdk.CancelOrdResponse,
        "/v1/orders/replace": sdk.ReplaceOrdResponse,
    }
    assert path in models, f"no SDK model for {method} {path}"
    return check_model(models[path], data, exact_keys=True, where=f"{method} {path}")


def check_request(method: str, url: str, body: bytes | None) -> Any:
    """One request stopkit built, judged by the SDK model of the endpoint (JSON bodies, exact keys)."""
    path = urlsplit(url).path
    if path.endswith("/v1/oauth2/token") or method == "GET":
        return None  # compared with the SDK's own request in the tests (no request model)
    models: dict[str, type[pydantic.BaseModel]] = {
        "/v1/orders": sdk.PlaceOrdRequest2,
        "/v1/orders/cancel": sdk.CancelOrdRequest2,
        "/v1/orders/replace": sdk.ReplaceOrdRequest2,
    }
    assert path in models, f"no SDK request model for {method} {path}"
    return check_model(models[path], _json(body), exact_keys=True, where=f"{method} {path} request")


# -- WebSocket ---------------------------------------------------------------------------------

_ORDER_EVENT_NAMES = {"order"}


def check_server_frame(frame: str) -> list[Any]:
    """Every message of one simulator WebSocket frame, decoded by the SDK's codec (NDJSON) and its
    payload judged: snapshot → ``AccountSnapshot`` (each ``ordersV2`` row a strict ``TradeOrderV2``),
    order event → ``AccountEvent`` with a strict ``TradeOrderV2`` in ``data``; no unknown message types."""
    messages = decode_frame(frame)
    for message in messages:
        assert not isinstance(message, UnknownMessage), f"a message type the SDK does not know: {message}"
        payload = message.model_dump(by_alias=True).get("payload", {})
        if isinstance(message, EventMessage) and "ordersV2" in payload:
            snapshot = check_model(AccountSnapshot, payload)
            for i, row in enumerate(snapshot.ordersV2):
                check_model(sdk.TradeOrderV2, row, exact_keys=True, where=f"snapshot ordersV2[{i}]")
        elif isinstance(message, EventMessage) and "topic" in payload:
            event = check_model(AccountEvent, payload)
            assert event.topic == "account"
            assert event.name in _ORDER_EVENT_NAMES, event.name
            check_model(sdk.TradeOrderV2, event.data, exact_keys=True, where=f"AccountEvent {event.name} data")
        elif isinstance(message, EventMessage):
            assert payload.get("action") in {"refreshAuth", "authExpired", "authTimeout", "authRequired", "authFailed"}
        else:
            assert isinstance(message, ResponseMessage | SubscribedMessage | PongMessage), type(message)
    return messages


def check_client_frame(frame: str) -> Any:
    """A frame stopkit sends: the /auth request (``RequestMessage``) or the account subscribe
    (``SubscribeMessage`` with ``AccountSubscription`` params), or a ping."""
    (message,) = decode_frame(frame)
    data = json.loads(frame)
    if isinstance(message, RequestMessage):
        assert set(data) == {"type", "id", "payload"}
        assert set(data["payload"]) == {"method", "path", "body"}
        assert (data["payload"]["method"], data["payload"]["path"]) == ("POST", "/auth")
        assert set(data["payload"]["body"]) == {"token"}
    elif isinstance(message, SubscribeMessage):
        assert set(data) == {"type", "id", "payload"}
        assert data["payload"]["topic"] == "account"
        check_model(AccountSubscription, data["payload"]["params"])
        assert set(data["payload"]["params"]) == {"accountId"}
    else:
        assert data["type"] == "ping", data
        assert set(data) == {"type", "id"}, data
    return message
