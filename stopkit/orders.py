"""The venue-neutral stop-order model.

Two order kinds:

- :class:`StopOrder`: a **stop-market** order. Once the reference price reaches
  ``stop_price`` (the trigger price), the venue sends a market order.
- :class:`StopLimitOrder`: a **stop-limit** order. Once triggered, the venue
  works a limit order at ``limit_price``.

Both are frozen, keyword-only attrs classes that validate on construction: a bad
value raises :class:`~stopkit.errors.InvalidOrder` naming the field, before any
venue is involved. Prices and quantities are :class:`decimal.Decimal`; ``int``
and decimal strings are accepted and converted exactly, ``float`` is refused
(it cannot represent most prices exactly).
"""

from __future__ import annotations

import enum
import uuid
from datetime import datetime
from decimal import Decimal
from typing import TYPE_CHECKING, Any, TypeAlias, TypeVar

import attrs

from stopkit.errors import InvalidOrder
from stopkit.validate import check_decimal, check_id, check_symbol, parse_decimal_text

__all__ = [
    "Amount",
    "AnyStopOrder",
    "OrderKind",
    "PositionEffect",
    "Side",
    "StopLimitOrder",
    "StopOrder",
    "TimeInForce",
    "TriggerType",
    "to_decimal",
]


E = TypeVar("E", bound=enum.Enum)

Amount: TypeAlias = Decimal | str | int
"""What a price or quantity parameter accepts: a ``Decimal``, an ``int`` or a decimal string
(``"0.1"``), converted exactly. ``float`` is refused (by type checkers, and at run time with
:class:`~stopkit.errors.InvalidOrder`)."""


class Side(enum.Enum):
    """Order side."""

    __hash__ = (
        object.__hash__
    )  # members are singletons compared by identity: hashed as such (Enum hashes its name in Python)

    BUY = "buy"
    SELL = "sell"


class PositionEffect(enum.Enum):
    """Whether the order opens/increases or closes/reduces a position.

    ``None`` on an order means "venue default". CLOSE is reduce-only on perps and
    BUY_TO_COVER / SELL on equities; SELL + OPEN is a short sale.
    """

    __hash__ = (
        object.__hash__
    )  # members are singletons compared by identity: hashed as such (Enum hashes its name in Python)

    OPEN = "open"
    CLOSE = "close"


class TriggerType(enum.Enum):
    """The reference price compared with the stop (trigger) price."""

    __hash__ = (
        object.__hash__
    )  # members are singletons compared by identity: hashed as such (Enum hashes its name in Python)

    DEFAULT = "default"
    MARK_PRICE = "mark"
    LAST_PRICE = "last"
    MID_POINT = "mid"
    INDEX_PRICE = "index"


class TimeInForce(enum.Enum):
    """Time in force of the order the stop releases (venue rules vary)."""

    __hash__ = (
        object.__hash__
    )  # members are singletons compared by identity: hashed as such (Enum hashes its name in Python)

    GTC = "gtc"
    DAY = "day"
    IOC = "ioc"
    FOK = "fok"
    GTD = "gtd"


class OrderKind(enum.Enum):
    """The two stop-order kinds stopkit places, and the plain kinds a stream may report.

    ``LIMIT`` and ``MARKET`` are never placed: they describe the account's other orders,
    which a venue's order stream reports only when asked to (e.g. Pacifica
    ``stream_all_orders``); see :attr:`is_stop`.
    """

    __hash__ = (
        object.__hash__
    )  # members are singletons compared by identity: hashed as such (Enum hashes its name in Python)

    STOP_MARKET = "stop-market"
    STOP_LIMIT = "stop-limit"
    LIMIT = "limit"
    MARKET = "market"

    @property
    def is_stop(self) -> bool:
        """True for the stop kinds (the ones stopkit places)."""
        return self in (OrderKind.STOP_MARKET, OrderKind.STOP_LIMIT)


def to_decimal(value: object, *, field: str) -> Decimal:
    """Convert ``value`` to a finite :class:`Decimal` exactly.

    Accepts ``Decimal``, ``int`` and decimal strings of ASCII digits (``"0.5"``, ``"2e3"``).
    Raises :class:`~stopkit.errors.InvalidOrder` naming ``field`` for ``float``, ``bool``,
    NaN, infinities, other digits or separators (full-width or Arabic-Indic digits, ``"1_0"``), any other type, and
    values no venue takes: more than 30 significant digits or a magnitude beyond ``1e±24``.
    """
    if isinstance(value, Decimal):
        result = value
    elif isinstance(value, bool):
        raise InvalidOrder(f"{field} must be a Decimal, got bool", field=field)
    elif isinstance(value, int):
        if abs(value) >= 10**25:
            raise InvalidOrder(f"{field} is out of range: no venue takes it", field=field)
        result = Decimal(value)
    elif isinstance(value, str):
        result = parse_decimal_text(value, field=field)
    elif isinstance(value, float):
        raise InvalidOrder(
            f"{field} must be a Decimal (or int/str), not float: floats cannot hold prices exactly",
            field=field,
        )
    else:
        raise InvalidOrder(f"{field} must be a Decimal, got {type(value).__name__}", field=field)
    return check_decimal(result, field=field)


# attrs converters: one named function per field (mypy's attrs plugin needs
# named functions), so every error names its field.
def _positive(value: object, field: str) -> Decimal:
    result = to_decimal(value, field=field)
    if result <= 0:
        raise InvalidOrder(f"{field} must be positive, got {result}", field=field)
    return result


def _enum_spellings(enum_cls: type[E]) -> dict[str, E]:
    # Each member by its value (when text) and by its lower-cased name; the first member in definition
    # order wins a spelling two members share.
    table: dict[str, E] = {}
    for member in enum_cls:
        if isinstance(member.value, str):
            table.setdefault(member.value, member)
        table.setdefault(member.name.lower(), member)
    return table


# Each enum's spellings, built on first use (a cache: it changes only how fast a spelling is found).
_SPELLINGS: dict[type[enum.Enum], dict[str, Any]] = {}


def _to_enum(enum_cls: type[E], value: object, field: str) -> E:
    if isinstance(value, enum_cls):
        return value
    if isinstance(value, str) and value.isascii():  # no case folding of non-ASCII look-alikes
        table = _SPELLINGS.get(enum_cls)
        if table is None:
            table = _SPELLINGS[enum_cls] = _enum_spellings(enum_cls)
        member: E | None = table.get(value.lower())
        if member is not None:
            return member
    allowed = ", ".join(m.name for m in enum_cls)
    raise InvalidOrder(f"{field} must be one of {allowed}, got {value!r}", field=field)


def _quantity(value: object) -> Decimal | None:
    return None if value is None else _positive(value, "quantity")


def _stop_price(value: object) -> Decimal:
    return _positive(value, "stop_price")


def _limit_price(value: object) -> Decimal:
    if value is None:
        raise InvalidOrder("a stop-limit order requires limit_price", field="limit_price")
    return _positive(value, "limit_price")


def _side(value: object) -> Side:
    return _to_enum(Side, value, "side")


def _position_effect(value: object) -> PositionEffect | None:
    return None if value is None else _to_enum(PositionEffect, value, "position_effect")


def _trigger_type(value: object) -> TriggerType:
    return _to_enum(TriggerType, value, "trigger_type")


def _time_in_force(value: object) -> TimeInForce:
    return _to_enum(TimeInForce, value, "time_in_force")


def _symbol(value: object) -> str:
    return check_symbol(value, error=InvalidOrder)


def _client_order_id(value: object) -> str:
    return check_id(value, field="client_order_id", max_length=64, error=InvalidOrder)


def _expire_at(value: object) -> datetime | None:
    if value is None:
        return None
    if not isinstance(value, datetime):
        raise InvalidOrder(f"expire_at must be a datetime, got {type(value).__name__}", field="expire_at")
    if value.tzinfo is None or value.utcoffset() is None:
        raise InvalidOrder("expire_at must be timezone-aware (e.g. UTC)", field="expire_at")
    return value


def _new_client_order_id() -> str:
    return str(uuid.uuid4())


@attrs.frozen(kw_only=True)
class _StopBase:
    # Shared fields and checks of both order kinds; not public.
    symbol: str = attrs.field(converter=_symbol)
    side: Side = attrs.field(converter=_side)
    quantity: Decimal | None = attrs.field(converter=_quantity)
    stop_price: Decimal = attrs.field(converter=_stop_price)
    position_effect: PositionEffect | None = attrs.field(default=None, converter=_position_effect)
    trigger_type: TriggerType = attrs.field(default=TriggerType.DEFAULT, converter=_trigger_type)
    time_in_force: TimeInForce = attrs.field(default=TimeInForce.GTC, converter=_time_in_force)
    expire_at: datetime | None = attrs.field(default=None, converter=_expire_at)
    client_order_id: str = attrs.field(factory=_new_client_order_id, converter=_client_order_id)

    def __attrs_post_init__(self) -> None:
        if self.time_in_force is TimeInForce.GTD and self.expire_at is None:
            raise InvalidOrder("time_in_force=GTD requires expire_at", field="expire_at")
        if self.expire_at is not None and self.time_in_force is not TimeInForce.GTD:
            raise InvalidOrder(
                f"expire_at is only valid with time_in_force=GTD, got {self.time_in_force.name}",
                field="expire_at",
            )

    @property
    def kind(self) -> OrderKind:
        """The order kind: stop-market or stop-limit."""
        raise NotImplementedError  # pragma: no cover - overridden


@attrs.frozen(kw_only=True, init=False)
class StopOrder(_StopBase):
    """A stop-market order.

    Fields (keyword-only):
        symbol: unified (``BTC/USDC:USDC``, ``BTC/USDT``, ``AAPL``) or venue-native
            (``BTC``, ``spot.btc_usdt``) symbol: 1-64 printable ASCII characters.
        side: :class:`Side`, or its name or value in any case (``"SELL"``, ``"sell"``).
        quantity: :data:`Amount` > 0 (``Decimal``, ``int`` or decimal string; stored as
            ``Decimal``) in base units or shares; ``None`` = whole position, where the venue
            supports it (with ``position_effect=CLOSE``).
        stop_price: :data:`Amount` > 0, the trigger price in quote currency.
        position_effect: :class:`PositionEffect` OPEN / CLOSE (or ``"open"``/``"close"``), or
            ``None`` (venue default).
        trigger_type: :class:`TriggerType` (or its name or value: ``"MARK_PRICE"``, ``"mark"``):
            which reference price triggers (DEFAULT = venue default).
        time_in_force: :class:`TimeInForce` (or ``"gtc"``, ``"DAY"``, ...) of the released order;
            GTD requires ``expire_at``.
        expire_at: timezone-aware ``datetime``, only with GTD.
        client_order_id: ours; a UUID4 string is generated when not given (or ``None``). 1-64 printable
            ASCII characters, none of ``/ \\ ? # %``, not dots only.

    Raises:
        InvalidOrder: naming the field, for floats, NaN, infinities, zero or
            negative prices/quantities, GTD without ``expire_at`` or ``expire_at``
            without GTD.
    """

    def __init__(
        self,
        *,
        symbol: str,
        side: Side | str,
        quantity: Amount | None,
        stop_price: Amount,
        position_effect: PositionEffect | str | None = None,
        trigger_type: TriggerType | str = TriggerType.DEFAULT,
        time_in_force: TimeInForce | str = TimeInForce.GTC,
        expire_at: datetime | None = None,
        client_order_id: str | None = None,
    ) -> None:
        self.__attrs_init__(
            symbol=symbol,
            side=side,
            quantity=quantity,
            stop_price=stop_price,
            position_effect=position_effect,
            trigger_type=trigger_type,
            time_in_force=time_in_force,
            expire_at=expire_at,
            client_order_id=_new_client_order_id() if client_order_id is None else client_order_id,
        )

    @property
    def kind(self) -> OrderKind:
        return OrderKind.STOP_MARKET


@attrs.frozen(kw_only=True, init=False)
class StopLimitOrder(_StopBase):
    """A stop-limit order: like :class:`StopOrder`, plus ``limit_price``.

    ``limit_price`` (``Decimal`` > 0) is the limit of the order released by the
    trigger. Missing, float, NaN or non-positive → :class:`InvalidOrder`.
    """

    limit_price: Decimal = attrs.field(default=None, converter=_limit_price)

    if TYPE_CHECKING:
        # For type checkers limit_price is required; at run time a missing one is an InvalidOrder.
        def __init__(
            self,
            *,
            symbol: str,
            side: Side | str,
            quantity: Amount | None,
            stop_price: Amount,
            limit_price: Amount,
            position_effect: PositionEffect | str | None = None,
            trigger_type: TriggerType | str = TriggerType.DEFAULT,
            time_in_force: TimeInForce | str = TimeInForce.GTC,
            expire_at: datetime | None = None,
            client_order_id: str | None = None,
        ) -> None: ...

    else:

        def __init__(
            self,
            *,
            symbol,
            side,
            quantity,
            stop_price,
            limit_price=None,
            position_effect=None,
            trigger_type=TriggerType.DEFAULT,
            time_in_force=TimeInForce.GTC,
            expire_at=None,
            client_order_id=None,
        ):
            self.__attrs_init__(
                symbol=symbol,
                side=side,
                quantity=quantity,
                stop_price=stop_price,
                limit_price=limit_price,
                position_effect=position_effect,
                trigger_type=trigger_type,
                time_in_force=time_in_force,
                expire_at=expire_at,
                client_order_id=_new_client_order_id() if client_order_id is None else client_order_id,
            )

    @property
    def kind(self) -> OrderKind:
        return OrderKind.STOP_LIMIT


AnyStopOrder = StopOrder | StopLimitOrder
"""Either order kind."""
