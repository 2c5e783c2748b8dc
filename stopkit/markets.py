"""Markets and precision: what a venue publishes about each market, and rounding that keeps a stop protective.

``await venue.markets()`` (:meth:`VenueClient.markets <stopkit.client.VenueClient.markets>`) answers a
:class:`Markets` mapping of :class:`Market` s: per market its tick size (price increment), lot size
(quantity increment), minimum and maximum quantity, minimum notional and price bounds, where the
venue publishes them (``None`` where it does not). :func:`round_price` and :func:`round_quantity`
bring a value onto that grid; :func:`check_order_fits` is the check ``place`` runs before sending
on venues that publish rules, and names the nearest valid values when an order does not fit.

**Rounding rule (protective).** A protective stop rests on the far side of the market and must
never act *before* the price the bot asked for, nor cross to the wrong side of the market:

- ``stop_price`` rounds **away from the market**: a SELL stop (below the market, protecting a long)
  rounds **down**, a BUY stop (above the market, protecting a short) rounds **up**. Rounded the other
  way, a stop placed close to the market could land at or through it and trigger at once, turning a
  protective order into an immediate market exit; rounded away, it triggers at most one tick later
  than asked.
- ``limit_price`` (of a stop-limit) rounds the same way (SELL down, BUY up), which is toward a fill:
  a stop-limit fails to protect when its limit is not reached after the trigger, and a limit one
  tick more marketable is at most one tick worse in price and never less likely to fill.
- ``quantity`` rounds **down** (to the lot below): a protective stop closes a position, and one lot
  more than the position could open an opposite position (or be refused at the trigger on spot,
  where there is nothing more to sell). What is left unprotected is less than one lot.

In short: a SELL order's prices round down, a BUY order's prices round up, quantities round down.
``rounding="up" | "down" | "nearest"`` overrides the rule (e.g. ``"up"`` for a sell stop that must
trigger no later than asked, when the stop is far enough from the market).
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Mapping
from decimal import ROUND_CEILING, ROUND_FLOOR, ROUND_HALF_EVEN, Decimal
from typing import Any, Literal

import attrs

from stopkit.errors import InvalidArgument, InvalidOrder
from stopkit.orders import AnyStopOrder, Side, StopLimitOrder, _to_enum, to_decimal
from stopkit.wire import format_decimal

__all__ = ["Market", "Markets", "Rounding", "check_order_fits", "round_price", "round_quantity"]

Rounding = Literal["protective", "up", "down", "nearest"]
"""How :func:`round_price` / :func:`round_quantity` round: the protective rule, or a fixed direction."""

_ROUNDINGS = {"up": ROUND_CEILING, "down": ROUND_FLOOR, "nearest": ROUND_HALF_EVEN}


def _positive_or_none(value: object, field: str) -> Decimal | None:
    if value is None:
        return None
    result = to_decimal(value, field=field)
    if result <= 0:
        raise InvalidArgument(f"{field} must be positive, got {result}", field=field)
    return result


def _non_negative_or_none(value: object, field: str) -> Decimal | None:
    if value is None:
        return None
    result = to_decimal(value, field=field)
    if result < 0:
        raise InvalidArgument(f"{field} must not be negative, got {result}", field=field)
    return result


# attrs converters: one named function per field (mypy's attrs plugin needs named functions).
def _tick_size(value: object) -> Decimal | None:
    return _positive_or_none(value, "tick_size")


def _lot_size(value: object) -> Decimal | None:
    return _positive_or_none(value, "lot_size")


def _min_quantity(value: object) -> Decimal | None:
    return _non_negative_or_none(value, "min_quantity")


def _max_quantity(value: object) -> Decimal | None:
    return _positive_or_none(value, "max_quantity")


def _min_notional(value: object) -> Decimal | None:
    return _non_negative_or_none(value, "min_notional")


def _min_price(value: object) -> Decimal | None:
    return _non_negative_or_none(value, "min_price")


def _max_price(value: object) -> Decimal | None:
    return _positive_or_none(value, "max_price")


def _frozen_mapping(value: Mapping[str, Any]) -> Mapping[str, Any]:
    return dict(value)


@attrs.frozen(kw_only=True)
class Market:
    """One market's order rules, as the venue publishes them; ``None`` = not published (no such rule).

    Fields:
        venue: the venue name.
        symbol: the unified symbol (``BTC/USDC:USDC``, ``BTC/USDT``); the venue's id when no
            unified form is known.
        venue_symbol: the venue's own id (``BTC``, ``spot.btc_usdt``).
        base, quote: asset names (upper case) when known.
        tick_size: prices (stop and limit) are multiples of it, in quote currency.
        lot_size: quantities are multiples of it, in base units.
        min_quantity, max_quantity: quantity bounds, in base units.
        min_notional: the smallest order value (quantity times price) in quote currency (Pacifica: USD).
        min_price, max_price: price bounds, in quote currency.
        source: the page the venue publishes these rules on.
        raw: the venue's own record of the market.

    Raises:
        InvalidArgument: a non-positive tick or lot size, a negative bound, a float.
    """

    venue: str
    symbol: str
    venue_symbol: str
    base: str | None = None
    quote: str | None = None
    tick_size: Decimal | None = attrs.field(default=None, converter=_tick_size)
    lot_size: Decimal | None = attrs.field(default=None, converter=_lot_size)
    min_quantity: Decimal | None = attrs.field(default=None, converter=_min_quantity)
    max_quantity: Decimal | None = attrs.field(default=None, converter=_max_quantity)
    min_notional: Decimal | None = attrs.field(default=None, converter=_min_notional)
    min_price: Decimal | None = attrs.field(default=None, converter=_min_price)
    max_price: Decimal | None = attrs.field(default=None, converter=_max_price)
    source: str = ""
    raw: Mapping[str, Any] = attrs.field(factory=dict, converter=_frozen_mapping, eq=False, repr=False)

    def check(self, order: AnyStopOrder) -> None:
        """Raise :class:`InvalidOrder` when ``order`` does not fit this market (see :func:`check_order_fits`)."""
        check_order_fits(order, self)

    def as_dict(self) -> dict[str, Any]:
        """A JSON-ready summary: decimals as canonical strings, ``None`` where not published."""

        def text(value: Decimal | None) -> str | None:
            return None if value is None else format_decimal(value)

        return {
            "symbol": self.symbol,
            "venue_symbol": self.venue_symbol,
            "base": self.base,
            "quote": self.quote,
            "tick_size": text(self.tick_size),
            "lot_size": text(self.lot_size),
            "min_quantity": text(self.min_quantity),
            "max_quantity": text(self.max_quantity),
            "min_notional": text(self.min_notional),
            "min_price": text(self.min_price),
            "max_price": text(self.max_price),
        }


class Markets(Mapping[str, Market]):
    """The markets a venue publishes, keyed by the venue's symbol; a unified symbol finds its market too.

    ``markets["BTC"]`` and ``markets["BTC/USDC:USDC"]`` are the same :class:`Market` on Pacifica.
    Iteration yields the venue symbols. ``reason`` says why markets or rules are missing (e.g. the
    venue publishes none: ``len(markets) == 0``), ``None`` when nothing is missing. ``source`` is
    where the venue publishes them.
    """

    def __init__(self, venue: str, markets: Iterable[Market] = (), *, reason: str | None = None, source: str = ""):
        self.venue = venue
        self.reason = reason
        self.source = source
        self._by_venue_symbol: dict[str, Market] = {}
        self._by_symbol: dict[str, Market] = {}
        for market in markets:
            self._by_venue_symbol[market.venue_symbol] = market
            self._by_symbol.setdefault(market.symbol, market)

    def __getitem__(self, symbol: str) -> Market:
        market = self._by_venue_symbol.get(symbol) or self._by_symbol.get(symbol)
        if market is None:
            raise KeyError(symbol)
        return market

    def __iter__(self) -> Iterator[str]:
        return iter(self._by_venue_symbol)

    def __len__(self) -> int:
        return len(self._by_venue_symbol)

    def __repr__(self) -> str:
        why = f", reason={self.reason!r}" if self.reason else ""
        return f"Markets(venue={self.venue!r}, markets={len(self)}{why})"


def _direction(rounding: str, protective: str) -> str:
    if rounding == "protective":
        return _ROUNDINGS["up" if protective == "up" else "down"]
    if rounding not in _ROUNDINGS:
        raise InvalidArgument(
            f"rounding must be one of protective, up, down, nearest, got {rounding!r}", field="rounding"
        )
    return _ROUNDINGS[rounding]


def _to_step(value: Decimal, step: Decimal, mode: str) -> Decimal:
    return (value / step).to_integral_value(rounding=mode) * step


def _fmt(value: Decimal) -> str:
    return format_decimal(value)


def round_price(
    market: Market,
    value: object,
    *,
    side: Side | str,
    field: Literal["stop_price", "limit_price"] = "stop_price",
    rounding: Rounding = "protective",
) -> Decimal:
    """``value`` on the market's price grid (a multiple of ``tick_size``), rounded so the stop stays protective.

    ``side`` is the order's side; ``field`` says which price (``stop_price`` or ``limit_price``):
    both round away from the market, a SELL order's down and a BUY order's up (the stop never
    triggers before the price asked nor crosses the market; the limit is never less likely to
    fill); see the module docstring for the reasoning. ``rounding`` overrides the rule with ``up``, ``down`` or
    ``nearest`` (half to even). A market without a published ``tick_size`` returns ``value`` as is.
    Price bounds (``min_price``/``max_price``) are not applied: :func:`check_order_fits` names them.

    Returns: a ``Decimal`` multiple of ``tick_size`` (quote currency).

    Raises:
        InvalidArgument: ``value`` is a float, not positive, or rounds to zero (the message names the
            smallest valid price); an unknown ``side``, ``field`` or ``rounding``.
    """
    price = to_decimal(value, field=field)
    if price <= 0:
        raise InvalidArgument(f"{field} must be positive, got {price}", field=field)
    side_ = _to_enum(Side, side, "side")
    if field in ("stop_price", "limit_price"):
        toward = "down" if side_ is Side.SELL else "up"
    else:
        raise InvalidArgument(f"field must be stop_price or limit_price, got {field!r}", field="field")
    mode = _direction(rounding, toward)
    tick = market.tick_size
    if tick is None:
        return price
    result = _to_step(price, tick, mode)
    if result <= 0:
        raise InvalidArgument(
            f"{field} {_fmt(price)} rounds to 0 on {market.symbol}'s tick_size {_fmt(tick)}; smallest valid: "
            f"{_fmt(tick)}",
            field=field,
        )
    return result


def round_quantity(
    market: Market, value: object, *, price: object = None, rounding: Rounding = "protective"
) -> Decimal:
    """``value`` on the market's quantity grid (a multiple of ``lot_size``), rounded down by default.

    A protective stop closes a position: rounding down never sells (or buys back) more than asked;
    less than one lot stays unprotected. ``rounding="up"``/``"nearest"`` overrides. A market without
    a published ``lot_size`` leaves the grid alone.

    ``price`` (the limit price of a stop-limit, or the stop price of a stop-market) also checks
    ``min_notional``.

    Returns: a ``Decimal`` quantity in base units.

    Raises:
        InvalidOrder: the result is zero, below ``min_quantity``, above ``max_quantity`` or (with
            ``price``) worth less than ``min_notional``; ``field="quantity"``, and the message names
            the smallest (or largest) valid quantity.
        InvalidArgument: ``value`` or ``price`` is a float or not positive; an unknown ``rounding``.
    """
    quantity = to_decimal(value, field="quantity")
    if quantity <= 0:
        raise InvalidArgument(f"quantity must be positive, got {quantity}", field="quantity")
    mode = _direction(rounding, "down")
    lot = market.lot_size
    result = quantity if lot is None else _to_step(quantity, lot, mode)
    smallest = _smallest_quantity(market, None if price is None else to_decimal(price, field="price"))
    if result <= 0 or (smallest is not None and result < smallest):
        floor = smallest if smallest is not None and smallest > 0 else lot
        raise InvalidOrder(
            f"{market.venue}: quantity {_fmt(quantity)} rounds to {_fmt(result)}, below what {market.symbol} "
            f"takes; smallest valid quantity: {_fmt(floor) if floor is not None else 'unknown'}",
            field="quantity",
            venue=market.venue,
        )
    if market.max_quantity is not None and result > market.max_quantity:
        largest = market.max_quantity if lot is None else _to_step(market.max_quantity, lot, ROUND_FLOOR)
        raise InvalidOrder(
            f"{market.venue}: quantity {_fmt(result)} is above {market.symbol}'s max_quantity "
            f"{_fmt(market.max_quantity)}; largest valid quantity: {_fmt(largest)}",
            field="quantity",
            venue=market.venue,
        )
    return result


def _smallest_quantity(market: Market, price: Decimal | None) -> Decimal | None:
    # The smallest quantity on the lot grid that meets min_quantity and (at `price`) min_notional.
    candidates = [market.min_quantity or Decimal(0)]
    if price is not None and price > 0 and market.min_notional is not None:
        candidates.append(market.min_notional / price)
    least = max(candidates)
    if least <= 0:
        return None
    lot = market.lot_size
    return least if lot is None else _to_step(least, lot, ROUND_CEILING)


def _invalid(market: Market, field: str, message: str) -> InvalidOrder:
    source = f" ({market.source})" if market.source else ""
    return InvalidOrder(f"{market.venue}: {message}{source}", field=field, venue=market.venue)


def _check_price(market: Market, field: str, price: Decimal) -> None:
    tick = market.tick_size
    if tick is not None:
        lower, upper = _to_step(price, tick, ROUND_FLOOR), _to_step(price, tick, ROUND_CEILING)
        if lower != price:
            valid = " or ".join(_fmt(v) for v in (lower, upper) if v > 0)
            raise _invalid(
                market,
                field,
                f"{field} {_fmt(price)} is not a multiple of {market.symbol}'s tick_size {_fmt(tick)}; "
                f"nearest valid: {valid}",
            )
    if market.min_price is not None and price < market.min_price:
        lowest = market.min_price if tick is None else _to_step(market.min_price, tick, ROUND_CEILING)
        if lowest <= 0 and tick is not None:
            lowest = tick
        raise _invalid(
            market,
            field,
            f"{field} {_fmt(price)} is below {market.symbol}'s min_price {_fmt(market.min_price)}; "
            f"lowest valid: {_fmt(lowest)}",
        )
    if market.max_price is not None and price > market.max_price:
        highest = market.max_price if tick is None else _to_step(market.max_price, tick, ROUND_FLOOR)
        raise _invalid(
            market,
            field,
            f"{field} {_fmt(price)} is above {market.symbol}'s max_price {_fmt(market.max_price)}; "
            f"highest valid: {_fmt(highest)}",
        )


def check_order_fits(order: AnyStopOrder, market: Market) -> None:
    """Raise :class:`InvalidOrder` when ``order`` does not fit ``market``'s published rules.

    Checks, in this order: ``stop_price`` and ``limit_price`` (a multiple of ``tick_size``, within
    ``[min_price, max_price]``); ``quantity`` (a multiple of ``lot_size``, within
    ``[min_quantity, max_quantity]``, and worth at least ``min_notional`` at the limit price of a
    stop-limit or the stop price of a stop-market, an estimate since it fills at market). A rule the
    market does not publish (``None``) is not checked; a whole-position order (``quantity=None``)
    skips the quantity checks. The message names the nearest valid values (``nearest valid: A or
    B``, ``lowest valid``, ``highest valid``, ``smallest valid quantity``, ``largest valid
    quantity``) and ``market.source``.

    Raises:
        InvalidOrder: ``field`` is ``stop_price``, ``limit_price`` or ``quantity``; ``venue`` is the market's.
    """
    _check_price(market, "stop_price", order.stop_price)
    if isinstance(order, StopLimitOrder):
        _check_price(market, "limit_price", order.limit_price)
    quantity = order.quantity
    if quantity is None:
        return
    lot = market.lot_size
    if lot is not None:
        lower, upper = _to_step(quantity, lot, ROUND_FLOOR), _to_step(quantity, lot, ROUND_CEILING)
        if lower != quantity:
            valid = " or ".join(_fmt(v) for v in (lower, upper) if v > 0)
            raise _invalid(
                market,
                "quantity",
                f"quantity {_fmt(quantity)} is not a multiple of {market.symbol}'s lot_size {_fmt(lot)}; "
                f"nearest valid: {valid}",
            )
    if market.min_quantity is not None and quantity < market.min_quantity:
        smallest = _smallest_quantity(market, None) or market.min_quantity
        raise _invalid(
            market,
            "quantity",
            f"quantity {_fmt(quantity)} is below {market.symbol}'s min_quantity {_fmt(market.min_quantity)}; "
            f"smallest valid quantity: {_fmt(smallest)}",
        )
    if market.max_quantity is not None and quantity > market.max_quantity:
        largest = market.max_quantity if lot is None else _to_step(market.max_quantity, lot, ROUND_FLOOR)
        raise _invalid(
            market,
            "quantity",
            f"quantity {_fmt(quantity)} is above {market.symbol}'s max_quantity {_fmt(market.max_quantity)}; "
            f"largest valid quantity: {_fmt(largest)}",
        )
    if market.min_notional is not None:
        is_limit = isinstance(order, StopLimitOrder)
        price = order.limit_price if isinstance(order, StopLimitOrder) else order.stop_price
        value = quantity * price
        if value < market.min_notional:
            smallest = _smallest_quantity(market, price) or quantity
            price_field = "limit_price" if is_limit else "stop_price"
            raise _invalid(
                market,
                "quantity",
                f"quantity {_fmt(quantity)} at {price_field} {_fmt(price)} is worth {_fmt(value)}, below "
                f"{market.symbol}'s min_notional {_fmt(market.min_notional)}; smallest valid quantity: "
                f"{_fmt(smallest)}",
            )
