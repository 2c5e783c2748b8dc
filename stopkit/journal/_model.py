"""The journal's records: :class:`JournalEntry`, :class:`EntryStatus`, and their JSON codec."""

from __future__ import annotations

import enum
import json
import typing
from datetime import datetime
from decimal import Decimal
from typing import Any

import attrs

from stopkit import errors as _errors
from stopkit.errors import OrderRejected, OutcomeUnknown, StopkitError
from stopkit.orders import AnyStopOrder, OrderKind, StopLimitOrder, StopOrder
from stopkit.outcomes import order_terms
from stopkit.state import OrderState

__all__ = ["EntryStatus", "JournalEntry"]


class EntryStatus(enum.Enum):
    """Where one journaled write stands.

    Open (not settled): ``CLAIMED``, ``SENT``. Settled: ``APPLIED``, ``REFUSED``,
    ``NOT_APPLIED``, ``UNKNOWN`` (settled as far as stopkit can: a human must look).
    """

    CLAIMED = "claimed"
    """The intent is recorded and owned by one client; the request has not left."""
    SENT = "sent"
    """The request may have left (marked durably just before the send); no outcome yet."""
    APPLIED = "applied"
    """The venue acted: ``state`` is the order's state."""
    REFUSED = "refused"
    """The venue refused it with a documented, final refusal (``error``); placing the same
    client order id again raises that refusal without sending."""
    NOT_APPLIED = "not_applied"
    """Provably nothing happened (never sent, or a documented retryable refusal such as a
    429): placing the same client order id again sends it."""
    UNKNOWN = "unknown"
    """Reconciliation could not settle it: the order may or may not exist."""

    @property
    def is_open(self) -> bool:
        """``CLAIMED`` or ``SENT``: an owner is working on it (or crashed while it did)."""
        return self in (EntryStatus.CLAIMED, EntryStatus.SENT)

    @property
    def unsettled(self) -> bool:
        """Open or ``UNKNOWN``: what :meth:`VenueClient.recover` works on."""
        return self.is_open or self is EntryStatus.UNKNOWN


@attrs.define(kw_only=True)
class JournalEntry:
    """One journaled write (place, cancel or modify) and where it stands.

    Fields:
        id: ``place:<client order id>`` for a placement (one per client order id), else
            ``<operation>:<uuid>``.
        venue, account: the namespace (venue name and the account it trades).
        operation: ``"place"``, ``"cancel"`` or ``"modify"``.
        status: :class:`EntryStatus`.
        owner: the client (a random id per journaled client) working on an open entry, else ``None``.
        client_order_id, venue_order_id: what is known.
        symbol: for cancel/modify, the symbol given (venues that need it to find the order).
        order: the placed order (placements).
        target: for cancel/modify, the order it acts on (:class:`OrderState`, or ``None`` with ids only).
        amendment: for modify, ``{"stop_price": str|None, "limit_price": ..., "quantity": ...}``.
        state: the order's state once applied or found.
        error: ``{"type", "message", "outcome_known"}`` for REFUSED / NOT_APPLIED / UNKNOWN.
        created_at_ms, sent_at_ms, updated_at_ms: Unix ms (``sent_at_ms`` 0 = never marked sent).
    """

    id: str
    venue: str
    account: str
    operation: str
    status: EntryStatus = EntryStatus.CLAIMED
    owner: str | None = None
    client_order_id: str | None = None
    venue_order_id: str | None = None
    symbol: str | None = None
    order: AnyStopOrder | None = None
    target: OrderState | None = None
    amendment: dict[str, str | None] | None = None
    state: OrderState | None = None
    error: dict[str, Any] | None = None
    created_at_ms: int = 0
    sent_at_ms: int = 0
    updated_at_ms: int = 0

    # -- codec -----------------------------------------------------------------------

    def to_json(self) -> str:
        """The entry as one JSON object (decimals as strings)."""
        return json.dumps(
            {
                "id": self.id,
                "venue": self.venue,
                "account": self.account,
                "operation": self.operation,
                "status": self.status.value,
                "owner": self.owner,
                "client_order_id": self.client_order_id,
                "venue_order_id": self.venue_order_id,
                "symbol": self.symbol,
                "order": None if self.order is None else order_to_dict(self.order),
                "target": None if self.target is None else state_to_dict(self.target),
                "amendment": self.amendment,
                "state": None if self.state is None else state_to_dict(self.state),
                "error": self.error,
                "created_at_ms": self.created_at_ms,
                "sent_at_ms": self.sent_at_ms,
                "updated_at_ms": self.updated_at_ms,
            },
            separators=(",", ":"),
            default=str,
        )

    @classmethod
    def from_json(cls, text: str | bytes) -> JournalEntry:
        """The entry :meth:`to_json` wrote. Raises ``ValueError`` on a malformed record."""
        data = json.loads(text)
        try:
            return cls(
                id=str(data["id"]),
                venue=str(data["venue"]),
                account=str(data["account"]),
                operation=str(data["operation"]),
                status=EntryStatus(data["status"]),
                owner=data.get("owner"),
                client_order_id=data.get("client_order_id"),
                venue_order_id=data.get("venue_order_id"),
                symbol=data.get("symbol"),
                order=None if data.get("order") is None else order_from_dict(data["order"]),
                target=None if data.get("target") is None else state_from_dict(data["target"]),
                amendment=data.get("amendment"),
                state=None if data.get("state") is None else state_from_dict(data["state"]),
                error=data.get("error"),
                created_at_ms=int(data.get("created_at_ms") or 0),
                sent_at_ms=int(data.get("sent_at_ms") or 0),
                updated_at_ms=int(data.get("updated_at_ms") or 0),
            )
        except (KeyError, TypeError) as exc:
            raise ValueError(f"malformed journal entry: {type(exc).__name__}: {exc}") from None

    def recorded_error(self) -> StopkitError:
        """The recorded error as a stopkit error of the recorded class where it is one
        (an :class:`~stopkit.errors.OrderRejected` or :class:`~stopkit.errors.OutcomeUnknown` otherwise)."""
        info = self.error or {}
        message = str(info.get("message") or f"{self.operation} {self.status.value}")
        known = bool(info.get("outcome_known", self.status is not EntryStatus.UNKNOWN))
        cls = getattr(_errors, str(info.get("type")), None)
        fallback: type[StopkitError] = OrderRejected if known else OutcomeUnknown
        if not (isinstance(cls, type) and issubclass(cls, StopkitError)):
            cls = fallback
        try:
            error = cls(f"{message} (recorded in the journal)", venue=self.venue)
        except TypeError:  # an error class with required arguments of its own
            error = fallback(f"{message} (recorded in the journal)", venue=self.venue)
        error.outcome_known = known
        error.retryable = False
        if info.get("venue_code") is not None:
            error.venue_code = str(info["venue_code"])
        return error

    def terms(self) -> tuple[object, ...] | None:
        """The placed order's terms (:func:`stopkit.outcomes.order_terms`), or ``None``."""
        return None if self.order is None else order_terms(self.order)


def error_to_dict(error: BaseException | None) -> dict[str, Any] | None:
    """``{"type", "message", "outcome_known", "venue_code"}`` of a stopkit error (no raw body, no secrets)."""
    if error is None:
        return None
    if isinstance(error, StopkitError):
        return {
            "type": type(error).__name__,
            "message": error.message,
            "outcome_known": error.outcome_known,
            "venue_code": error.venue_code,
        }
    return {"type": type(error).__name__, "message": type(error).__name__, "outcome_known": False}


def _dec(value: Decimal | None) -> str | None:
    return None if value is None else str(value)


def _undec(value: object) -> Decimal | None:
    return None if value is None else Decimal(str(value))


def order_to_dict(order: AnyStopOrder) -> dict[str, Any]:
    """An order's terms as JSON-ready values (decimals as strings)."""
    out: dict[str, Any] = {
        "kind": order.kind.value,
        "symbol": order.symbol,
        "side": order.side.value,
        "quantity": _dec(order.quantity),
        "stop_price": _dec(order.stop_price),
        "position_effect": None if order.position_effect is None else order.position_effect.value,
        "trigger_type": order.trigger_type.value,
        "time_in_force": order.time_in_force.value,
        "expire_at": None if order.expire_at is None else order.expire_at.isoformat(),
        "client_order_id": order.client_order_id,
    }
    if isinstance(order, StopLimitOrder):
        out["limit_price"] = _dec(order.limit_price)
    return out


def order_from_dict(data: dict[str, Any]) -> AnyStopOrder:
    """The order :func:`order_to_dict` wrote (validated again on construction)."""
    fields: dict[str, Any] = {
        "symbol": data["symbol"],
        "side": data["side"],
        "quantity": data["quantity"],
        "stop_price": data["stop_price"],
        "position_effect": data.get("position_effect"),
        "trigger_type": data.get("trigger_type", "default"),
        "time_in_force": data.get("time_in_force", "gtc"),
        "expire_at": None if data.get("expire_at") is None else datetime.fromisoformat(data["expire_at"]),
        "client_order_id": data["client_order_id"],
    }
    if data.get("kind") == OrderKind.STOP_LIMIT.value:
        return StopLimitOrder(limit_price=data["limit_price"], **fields)
    return StopOrder(**fields)


def _state_fields() -> dict[str, type]:
    # OrderState's fields and the one concrete type each holds (Decimal, datetime, an enum, or other).
    hints = typing.get_type_hints(OrderState)
    out: dict[str, type] = {}
    for field in attrs.fields(OrderState):
        hint = hints[field.name]
        args = [a for a in typing.get_args(hint) if a is not type(None)] or [hint]
        concrete = args[0] if isinstance(args[0], type) else object
        out[field.name] = concrete
    return out


def state_to_dict(state: OrderState) -> dict[str, Any]:
    """An order state as JSON-ready values (every field; decimals as strings; ``raw`` kept: it is the
    venue's JSON object)."""
    out: dict[str, Any] = {}
    for name in _state_fields():
        value = getattr(state, name)
        if isinstance(value, Decimal):
            value = str(value)
        elif isinstance(value, enum.Enum):
            value = value.value
        elif isinstance(value, datetime):
            value = value.isoformat()
        elif name == "raw":
            value = dict(value)
        out[name] = value
    return out


def state_from_dict(data: dict[str, Any]) -> OrderState:
    """The state :func:`state_to_dict` wrote (fields it lacks take their defaults)."""
    values: dict[str, Any] = {}
    for name, kind in _state_fields().items():
        if name not in data:
            continue
        value = data[name]
        if value is not None:
            if kind is Decimal:
                value = Decimal(str(value))
            elif kind is datetime:
                value = datetime.fromisoformat(value)
            elif issubclass(kind, enum.Enum):
                value = kind(value)
        values[name] = value
    if values.get("filled_quantity") is None:
        values.pop("filled_quantity", None)
    if values.get("raw") is None:
        values["raw"] = {}
    return OrderState(**values)
