"""An Alpaca simulator: an aiohttp.web app behaving as Alpaca documents the Trading API's orders.

Paths (https://docs.alpaca.markets/reference/postorder and neighbours; see ``constants.py``):

- every path needs ``APCA-API-KEY-ID`` and ``APCA-API-SECRET-KEY`` matching the simulator's keys,
  else 401 ``{"code": 40110000, "message": "request is not authorized"}``; keys of another
  environment (:meth:`AlpacaSimulator.forbid`) → 403 ``{"message": "forbidden"}``;
- ``POST /v2/orders``: ``Content-Type: application/json``; known fields only; ``symbol`` an
  uppercase ticker; ``qty`` a positive decimal string (whole shares unless fractional and DAY);
  ``side`` buy/sell; ``type`` one of the five documented (only ``stop`` and ``stop_limit`` are
  simulated); ``time_in_force`` one of the six documented (stops: ``day``/``gtc`` only,
  [assumption]); ``stop_price`` required for both stop types, ``limit_price`` for ``stop_limit``
  only; the sub-penny rule; ``client_order_id`` ≤ 128 characters and unique per account
  (a duplicate → 422 ``client_order_id must be unique``; absent → a UUID is assigned). A buy
  costing more than the buying power → 403 ``insufficient buying power``. Answers 200 with the
  Order object, status ``new``;
- ``GET /v2/orders/{id}``, ``GET /v2/orders:by_client_order_id?client_order_id=`` (404
  ``{"code": 40410000, "message": "order not found"}``);
- ``GET /v2/orders?status=open|closed|all&limit=1..500&direction=asc|desc&symbols=&until=&after=``:
  a JSON array, newest first by default;
- ``DELETE /v2/orders/{id}``: 204; a finished order → 422 ``order is already in "filled" state``;
- ``PATCH /v2/orders/{id}``: ``qty`` / ``time_in_force`` / ``limit_price`` / ``stop_price`` /
  ``client_order_id``; the order is replaced by a new one (new ``id``, ``replaces``); the old one
  reads ``replaced`` with ``replaced_by``. Answers 200 with the new order.

Validation errors answer 422 ``{"code": 40010001, "message": "..."}`` (the documented shape);
a body that is not JSON → 400 with the same shape.

Market model: :meth:`AlpacaSimulator.set_price` moves a symbol's price. Sell stops trigger when the
price falls to or below ``stop_price``, buy stops when it rises to or above; a ``stop`` then fills
at that price; a ``stop_limit`` fills when the price is at or better than ``limit_price``, else it
rests and still reads ``new`` (Alpaca shows no trigger). Cancels take effect at once (the real
venue may show ``pending_cancel`` first).
"""

from __future__ import annotations

import hmac
import json
import random
import re
import time
import uuid
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime
from decimal import Decimal, InvalidOperation
from typing import Any

import attrs
from aiohttp import web
from stopkit.plugin import BoundVenue, DemoScenario, OrderState, StopLimitOrder, StopOrder, format_decimal
from stopkit.testing.simkit import ServedSimulator, limit_fill_price, should_trigger

from stopkit_alpaca.parse import parse_order

__all__ = ["DEMO_KEY_ID", "DEMO_SECRET_KEY", "AlpacaSimulator"]

DEMO_KEY_ID = "PKSIMULATOR0000000001"
DEMO_SECRET_KEY = "sim-secret-3b9f0d7c41e24a8f9c6e"  # noqa: S105  # a simulator test value, not a real secret

# The simulator's own copies of the documented enums (postorder), kept apart from the adapter's.
_SIDES = frozenset({"buy", "sell"})
_TYPES = frozenset({"market", "limit", "stop", "stop_limit", "trailing_stop"})
_TIFS = frozenset({"day", "gtc", "opg", "cls", "ioc", "fok"})
_STOP_TIFS = frozenset({"day", "gtc"})
_PLACE_FIELDS = frozenset(
    {"symbol", "qty", "notional", "side", "type", "time_in_force", "limit_price", "stop_price"}
    | {"trail_price", "trail_percent", "extended_hours", "client_order_id", "order_class"}
    | {"take_profit", "stop_loss", "position_intent"}
)
_PATCH_FIELDS = frozenset({"qty", "time_in_force", "limit_price", "stop_price", "trail", "client_order_id"})
_OPEN = frozenset({"new", "accepted", "pending_new", "partially_filled", "held", "accepted_for_bidding"})
_SYMBOL_RE = re.compile(r"[A-Z][A-Z0-9.\-]{0,19}")
_DECIMAL_RE = re.compile(r"\d+(\.\d+)?")

Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]


def _system_ms() -> int:
    # The real clock, in Unix ms.
    return time.time_ns() // 1_000_000


def _rfc3339(ms: int) -> str:
    # Unix ms → ``2026-01-15T14:30:00.123000Z`` (Alpaca prints microseconds, sometimes nanoseconds).
    return datetime.fromtimestamp(ms / 1000, tz=UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def _error(status: int, code: int | None, message: str) -> web.Response:
    # The documented error shape; code None = a gateway answer with a message only.
    body: dict[str, Any] = {"message": message} if code is None else {"code": code, "message": message}
    return web.json_response(body, status=status)


def _invalid(message: str) -> web.Response:
    # A validation refusal: 422, code 40010001.
    return _error(422, 40010001, message)


def _decimals(value: Decimal) -> int:
    # Digits after the point in canonical form.
    text = format_decimal(value)
    return len(text.split(".", 1)[1]) if "." in text else 0


@attrs.define
class _SimOrder:
    # One order as the simulated broker keeps it.
    id: str
    client_order_id: str
    symbol: str
    asset_id: str
    side: str
    type: str
    time_in_force: str
    qty: Decimal
    stop_price: Decimal
    limit_price: Decimal | None
    status: str
    created_ms: int
    updated_ms: int
    filled_qty: Decimal = Decimal(0)
    filled_avg_price: Decimal | None = None
    filled_ms: int | None = None
    canceled_ms: int | None = None
    replaced_ms: int | None = None
    replaced_by: str | None = None
    replaces: str | None = None
    triggered: bool = False


class AlpacaSimulator(ServedSimulator):
    """The Alpaca simulator (see the module docstring); :meth:`start`/:meth:`stop` serve it on loopback.

    Args:
        clock_ms: the simulator's clock in Unix ms (timestamps); the system clock by default.
        key_id, secret_key: the API key it accepts.
        buying_power: dollars available to buy stops (price x qty at the stop or limit price).
        seed: seeds the order ids (reproducible recordings).
    """

    def __init__(
        self,
        *,
        clock_ms: Callable[[], int] | None = None,
        key_id: str = DEMO_KEY_ID,
        secret_key: str = DEMO_SECRET_KEY,
        buying_power: Decimal = Decimal(100_000),
        seed: int = 0,
    ) -> None:
        self.clock_ms = clock_ms or _system_ms
        self.key_id = key_id
        self.secret_key = secret_key
        self.buying_power = buying_power
        self.requests: list[tuple[str, str]] = []
        """``(method, path_qs)`` of every authenticated request served (for tests)."""
        self._forbidden = False
        self._rng = random.Random(seed)
        self._orders: dict[str, _SimOrder] = {}
        self._by_client_id: dict[str, str] = {}
        self._prices: dict[str, Decimal] = {}

    # -- Simulator protocol -----------------------------------------------------------

    def make_app(self) -> web.Application:
        """A fresh application serving the documented paths (fault injection first)."""
        app = web.Application(middlewares=[self.faults.middleware, self._auth_middleware])
        app.router.add_post("/v2/orders", self._place)
        app.router.add_get("/v2/orders", self._list)
        app.router.add_get("/v2/orders:by_client_order_id", self._get_by_client_id)
        app.router.add_get("/v2/orders/{order_id}", self._get)
        app.router.add_delete("/v2/orders/{order_id}", self._cancel)
        app.router.add_patch("/v2/orders/{order_id}", self._replace)
        return app

    def demo_credentials(self) -> dict[str, str]:
        """``APCA_API_KEY_ID`` / ``APCA_API_SECRET_KEY``: simulator test values, never real keys."""
        return {"APCA_API_KEY_ID": self.key_id, "APCA_API_SECRET_KEY": self.secret_key}

    def demo_config(self, base_url: str) -> dict[str, Any]:
        """Config pointing the adapter at the simulator served at ``base_url``."""
        return {"base_url": base_url}

    def demo_scenario(self) -> DemoScenario:
        """Sell 10 AAPL: a stop at 145 and a stop-limit 145 / 144.5, both DAY (postorder examples)."""
        return DemoScenario(
            symbol="AAPL",
            orders=(
                StopOrder(
                    symbol="AAPL", side="sell", quantity=Decimal(10), stop_price=Decimal("145.00"), time_in_force="day"
                ),
                StopLimitOrder(
                    symbol="AAPL",
                    side="sell",
                    quantity=Decimal(10),
                    stop_price=Decimal("145.00"),
                    limit_price=Decimal("144.50"),
                    time_in_force="day",
                ),
            ),
            start_price=Decimal(150),
            near_price=Decimal(146),
            through_price=Decimal("144.90"),
            notes="Sell 10 AAPL with a stop at 145 and a stop-limit 145/144.50, day orders"
            " (https://docs.alpaca.markets/reference/postorder, type stop / stop_limit)",
        )

    def set_price(self, symbol: str, price: Decimal) -> None:
        """Move ``symbol``'s price; open stops it reaches trigger and fill (or rest) at once."""
        self._prices[symbol] = price
        for order in list(self._orders.values()):
            if order.symbol == symbol:
                self._evaluate(order, price)

    def book_state(self, venue: BoundVenue, venue_order_id: str) -> OrderState:
        """The simulator's record of ``venue_order_id`` as an Order object, parsed by the adapter.

        Raises:
            KeyError: no such order.
        """
        row = self.render(self._orders[venue_order_id])
        parser = getattr(venue, "parse_order", None)
        if callable(parser):
            result: OrderState = parser(row)
            return result
        return parse_order(row)

    # -- test controls ------------------------------------------------------------------

    def forbid(self, forbidden: bool = True) -> None:
        """Answer every request 403 ``{"message": "forbidden"}`` (keys of the other environment)."""
        self._forbidden = forbidden

    def end_day(self) -> None:
        """Close the trading day: open DAY orders expire."""
        now = self.clock_ms()
        for order in self._orders.values():
            if order.status in _OPEN and order.time_in_force == "day":
                order.status, order.updated_ms = "expired", now

    def render(self, order: _SimOrder) -> dict[str, Any]:
        """``order`` as Alpaca's Order object."""

        def ts(ms: int | None) -> str | None:
            return None if ms is None else _rfc3339(ms)

        return {
            "id": order.id,
            "client_order_id": order.client_order_id,
            "created_at": ts(order.created_ms),
            "updated_at": ts(order.updated_ms),
            "submitted_at": ts(order.created_ms),
            "filled_at": ts(order.filled_ms),
            "expired_at": ts(order.updated_ms) if order.status == "expired" else None,
            "canceled_at": ts(order.canceled_ms),
            "failed_at": None,
            "replaced_at": ts(order.replaced_ms),
            "replaced_by": order.replaced_by,
            "replaces": order.replaces,
            "asset_id": order.asset_id,
            "symbol": order.symbol,
            "asset_class": "us_equity",
            "notional": None,
            "qty": format_decimal(order.qty),
            "filled_qty": format_decimal(order.filled_qty),
            "filled_avg_price": None if order.filled_avg_price is None else format_decimal(order.filled_avg_price),
            "order_class": "",
            "order_type": order.type,
            "type": order.type,
            "side": order.side,
            "position_intent": "buy_to_open" if order.side == "buy" else "sell_to_close",
            "time_in_force": order.time_in_force,
            "limit_price": None if order.limit_price is None else format_decimal(order.limit_price),
            "stop_price": format_decimal(order.stop_price),
            "status": order.status,
            "extended_hours": False,
            "legs": None,
            "trail_percent": None,
            "trail_price": None,
            "hwm": None,
        }

    # -- market ---------------------------------------------------------------------------

    def _evaluate(self, order: _SimOrder, price: Decimal) -> None:
        # Trigger per the stop rule, then fill per the simkit's rules; an unfillable stop_limit rests
        # and still reads "new".
        if order.status not in _OPEN:
            return
        buy = order.side == "buy"
        if not order.triggered:
            if not should_trigger(buy=buy, stop_price=order.stop_price, price=price):
                return
            order.triggered = True
        fill = limit_fill_price(buy=buy, limit_price=order.limit_price, price=price)
        if fill is None:
            return
        now = self.clock_ms()
        order.filled_qty, order.filled_avg_price = order.qty, fill
        order.status, order.updated_ms, order.filled_ms = "filled", now, now

    def _new_id(self) -> str:
        # A UUID4-shaped id from the seeded generator.
        return str(uuid.UUID(int=self._rng.getrandbits(128), version=4))

    # -- auth -------------------------------------------------------------------------------

    @web.middleware
    async def _auth_middleware(self, request: web.Request, handler: Handler) -> web.StreamResponse:
        # Both key headers must match (compared in constant time).
        key_id = request.headers.get("APCA-API-KEY-ID", "")
        secret = request.headers.get("APCA-API-SECRET-KEY", "")
        ok = hmac.compare_digest(key_id.encode(), self.key_id.encode()) and hmac.compare_digest(
            secret.encode(), self.secret_key.encode()
        )
        if not ok:
            return _error(401, 40110000, "request is not authorized")
        if self._forbidden:
            return _error(403, None, "forbidden")
        self.requests.append((request.method, request.path_qs))
        try:
            return await handler(request)
        except web.HTTPException as exc:
            if exc.status == 404:
                return _error(404, 40410000, "endpoint not found")
            return _error(exc.status, None, exc.reason)

    # -- helpers ------------------------------------------------------------------------------

    @staticmethod
    async def _json_object(request: web.Request) -> dict[str, Any] | web.Response:
        # The JSON object body (decimals exact), or a refusal in the documented shape.
        if request.content_type != "application/json":
            return _error(400, 40010001, "request body format is invalid: Content-Type must be application/json")
        try:
            data = json.loads(await request.read(), parse_float=Decimal)
        except (ValueError, UnicodeDecodeError):
            return _error(400, 40010001, "request body format is invalid")
        if not isinstance(data, dict):
            return _error(400, 40010001, "request body format is invalid: expected an object")
        return data

    @staticmethod
    def _decimal(data: dict[str, Any], field: str) -> Decimal | str:
        # A positive decimal string, or the refusal message.
        value = data.get(field)
        if not isinstance(value, str) or not _DECIMAL_RE.fullmatch(value):
            return f"invalid {field}: must be a positive decimal string"
        try:
            result = Decimal(value)
        except InvalidOperation:  # pragma: no cover - the pattern admits only valid decimals
            return f"invalid {field}"
        if result <= 0:
            return f"{field} must be > 0"
        return result

    @staticmethod
    def _sub_penny(field: str, value: Decimal) -> str | None:
        # The sub-penny rule: 2 decimals at or above $1, 4 below.
        if _decimals(value) > (2 if value >= 1 else 4):
            return (
                f"invalid {field} {format_decimal(value)}."
                " sub-penny increment does not fulfill minimum pricing criteria"
            )
        return None

    def _lookup(self, order_id: str) -> _SimOrder | web.Response:
        # The order, or 404.
        order = self._orders.get(order_id)
        if order is None:
            return _error(404, 40410000, "order not found")
        return order

    # -- orders ---------------------------------------------------------------------------------

    def _validate_place(self, data: dict[str, Any]) -> str | dict[str, Any]:
        # The validated order fields, or the first refusal message (Alpaca reports one at a time).
        unknown = sorted(set(data) - _PLACE_FIELDS)
        if unknown:
            return f"unknown field {unknown[0]}"
        symbol, side, otype, tif = data.get("symbol"), data.get("side"), data.get("type"), data.get("time_in_force")
        if not isinstance(symbol, str) or not _SYMBOL_RE.fullmatch(symbol):
            return "invalid symbol"
        if side not in _SIDES:
            return "invalid side"
        if otype not in _TYPES:
            return "invalid order type"
        if otype not in ("stop", "stop_limit"):
            return f"the simulator handles stop and stop_limit orders only, got {otype}"
        if tif not in _TIFS:
            return "invalid time_in_force"
        if tif not in _STOP_TIFS:
            return f"invalid time_in_force {tif} for {otype} orders"
        for field in ("notional", "trail_price", "trail_percent", "take_profit", "stop_loss", "position_intent"):
            if field in data:
                return f"{field} is not supported by the simulator"
        if data.get("order_class", "simple") not in ("simple", ""):
            return "the simulator handles simple orders only"
        if data.get("extended_hours", False) is not False:
            return "extended hours orders must be limit orders with time_in_force day"
        if "qty" not in data:
            return "qty is required"
        qty = self._decimal(data, "qty")
        if isinstance(qty, str):
            return qty
        if qty != qty.to_integral_value() and tif != "day":
            return "fractional orders must be day orders"
        if "stop_price" not in data:
            return f"stop_price is required for {otype} orders"
        stop = self._decimal(data, "stop_price")
        if isinstance(stop, str):
            return stop
        limit: Decimal | None = None
        if otype == "stop_limit":
            if "limit_price" not in data:
                return "limit_price is required for stop_limit orders"
            parsed = self._decimal(data, "limit_price")
            if isinstance(parsed, str):
                return parsed
            limit = parsed
        elif "limit_price" in data:
            return "limit_price is not allowed for stop orders"
        for field, value in (("stop_price", stop), ("limit_price", limit)):
            if value is not None and (problem := self._sub_penny(field, value)) is not None:
                return problem
        client_id = data.get("client_order_id")
        if client_id is not None and (not isinstance(client_id, str) or not 1 <= len(client_id) <= 128):
            return "client_order_id must be a string of at most 128 characters"
        return {"symbol": symbol, "side": side, "type": otype, "tif": tif, "qty": qty, "stop": stop, "limit": limit}

    async def _place(self, request: web.Request) -> web.Response:
        data = await self._json_object(request)
        if isinstance(data, web.Response):
            return data
        fields = self._validate_place(data)
        if isinstance(fields, str):
            return _invalid(fields)
        client_id = data.get("client_order_id") or self._new_id()
        if client_id in self._by_client_id:
            return _invalid("client_order_id must be unique")
        if fields["side"] == "buy":
            cost = fields["qty"] * (fields["limit"] or fields["stop"])
            if cost > self.buying_power:
                return _error(403, 40310000, "insufficient buying power")
        now = self.clock_ms()
        order = _SimOrder(
            id=self._new_id(),
            client_order_id=client_id,
            symbol=fields["symbol"],
            asset_id=str(uuid.uuid5(uuid.NAMESPACE_URL, "alpaca-sim:" + fields["symbol"])),
            side=fields["side"],
            type=fields["type"],
            time_in_force=fields["tif"],
            qty=fields["qty"],
            stop_price=fields["stop"],
            limit_price=fields["limit"],
            status="new",
            created_ms=now,
            updated_ms=now,
        )
        self._orders[order.id] = order
        self._by_client_id[client_id] = order.id
        answer = self.render(order)
        # A stop already through the market triggers right after the answer.
        if order.symbol in self._prices:
            self._evaluate(order, self._prices[order.symbol])
        return web.json_response(answer)

    async def _get(self, request: web.Request) -> web.Response:
        found = self._lookup(request.match_info["order_id"])
        if isinstance(found, web.Response):
            return found
        return web.json_response(self.render(found))

    async def _get_by_client_id(self, request: web.Request) -> web.Response:
        client_id = request.query.get("client_order_id")
        if not client_id:
            return _invalid("client_order_id is required")
        order_id = self._by_client_id.get(client_id)
        if order_id is None:
            return _error(404, 40410000, "order not found")
        return web.json_response(self.render(self._orders[order_id]))

    async def _list(self, request: web.Request) -> web.Response:
        query = request.query
        status = query.get("status", "open")
        if status not in ("open", "closed", "all"):
            return _invalid("invalid status")
        direction = query.get("direction", "desc")
        if direction not in ("asc", "desc"):
            return _invalid("invalid direction")
        try:
            limit = int(query.get("limit", "50"))
        except ValueError:
            return _invalid("invalid limit")
        if not 1 <= limit <= 500:
            return _invalid("limit must be between 1 and 500")
        bounds: list[int | None] = []
        for name in ("after", "until"):
            text = query.get(name)
            if text is None:
                bounds.append(None)
                continue
            try:
                bounds.append(int(datetime.fromisoformat(text.replace("Z", "+00:00")).timestamp() * 1000))
            except ValueError:
                return _invalid(f"invalid {name}")
        after, until = bounds
        symbols = set(query["symbols"].split(",")) if query.get("symbols") else None
        rows = [
            o
            for o in self._orders.values()
            if (status == "all" or (o.status in _OPEN) == (status == "open"))
            and (symbols is None or o.symbol in symbols)
            and (after is None or o.created_ms > after)
            and (until is None or o.created_ms < until)
        ]
        rows.sort(key=lambda o: o.created_ms, reverse=direction == "desc")
        return web.json_response([self.render(o) for o in rows[:limit]])

    async def _cancel(self, request: web.Request) -> web.Response:
        found = self._lookup(request.match_info["order_id"])
        if isinstance(found, web.Response):
            return found
        if found.status not in _OPEN:
            return _error(422, 42210000, f'order is already in "{found.status}" state')
        now = self.clock_ms()
        found.status, found.updated_ms, found.canceled_ms = "canceled", now, now
        return web.Response(status=204)

    async def _replace(self, request: web.Request) -> web.Response:
        found = self._lookup(request.match_info["order_id"])
        if isinstance(found, web.Response):
            return found
        data = await self._json_object(request)
        if isinstance(data, web.Response):
            return data
        unknown = sorted(set(data) - _PATCH_FIELDS)
        if unknown:
            return _invalid(f"unknown field {unknown[0]}")
        if not data:
            return _invalid("nothing to replace")
        if found.status not in ("new", "accepted"):
            return _error(422, 42210000, f'order is already in "{found.status}" state')
        changes: dict[str, Decimal] = {}
        for field in ("qty", "stop_price", "limit_price"):
            if field in data:
                value = self._decimal(data, field)
                if isinstance(value, str):
                    return _invalid(value)
                if field != "qty" and (problem := self._sub_penny(field, value)) is not None:
                    return _invalid(problem)
                changes[field] = value
        if "limit_price" in changes and found.type != "stop_limit":
            return _invalid("limit_price is not allowed for stop orders")
        if "trail" in data:
            return _invalid("trail is only for trailing_stop orders")
        tif = data.get("time_in_force", found.time_in_force)
        if tif not in _STOP_TIFS:
            return _invalid("invalid time_in_force")
        client_id = data.get("client_order_id") or self._new_id()
        if not isinstance(client_id, str) or len(client_id) > 128:
            return _invalid("client_order_id must be a string of at most 128 characters")
        if client_id in self._by_client_id:
            return _invalid("client_order_id must be unique")
        now = self.clock_ms()
        new = attrs.evolve(
            found,
            id=self._new_id(),
            client_order_id=client_id,
            time_in_force=tif,
            qty=changes.get("qty", found.qty),
            stop_price=changes.get("stop_price", found.stop_price),
            limit_price=changes.get("limit_price", found.limit_price),
            status="new",
            created_ms=now,
            updated_ms=now,
            replaces=found.id,
            replaced_by=None,
            replaced_ms=None,
            triggered=False,
        )
        found.status, found.updated_ms, found.replaced_ms, found.replaced_by = "replaced", now, now, new.id
        self._orders[new.id] = new
        self._by_client_id[client_id] = new.id
        answer = self.render(new)
        if new.symbol in self._prices:
            self._evaluate(new, self._prices[new.symbol])
        return web.json_response(answer)
