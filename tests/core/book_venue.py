"""An in-test venue with an order book ("bookvenue"): place, cancel, get, markets, and scripted faults.

Not a conftest.py (core tests import ``conftest`` by module name). It answers over a
:class:`~stopkit.testing.MockTransport`; ``Book.script`` makes the next answer to an operation a fault:

- an ``int`` status: the venue answers it *without acting* (400 is a documented refusal, see
  :attr:`BookAdapter.refusals`; anything else is an unknown outcome);
- ``"lost"``: the venue acts, then the answer is a 504 (an unknown outcome that did land);
- ``"pending"`` (cancel only): the venue answers ``pending``, and the order reads cancelled afterwards.

Its answers to cancel and get carry no client order id (as on venues that store none), and its
symbols are native (``BTC``); unified ``BTC/USD`` is accepted on placement.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from decimal import Decimal
from typing import Any

import attrs

from stopkit import (
    Capabilities,
    Credentials,
    HttpRequest,
    HttpResponse,
    OrderKind,
    OrderNotFound,
    OrderRejected,
    OrderState,
    OrderStatus,
    PositionEffect,
    RequestContext,
    Side,
    TimeInForce,
    TriggerType,
    VenueUnavailable,
)
from stopkit.errors import RemoteError
from stopkit.markets import Market, Markets
from stopkit.orders import AnyStopOrder, StopLimitOrder
from stopkit.venue import BoundVenue, Exchange, Flow, OrderRef, Refusal, VenueAdapter

BASE = "https://book.invalid"
NAME = "bookvenue"


def native(symbol: str) -> str:
    """``BTC/USD`` → ``BTC``; native symbols as given."""
    return symbol.split("/", 1)[0]


@attrs.define
class Book:
    """The venue's state: orders by id, the scripted faults, and every operation it acted on."""

    orders: dict[str, dict[str, Any]] = attrs.Factory(dict)
    script: dict[str, list[int | str]] = attrs.Factory(dict)
    acted: list[str] = attrs.Factory(list)
    tick: str = "0.5"
    next_id: int = 1

    def live(self) -> list[str]:
        """Ids of the orders that are live (armed)."""
        return [oid for oid, row in self.orders.items() if row["status"] == "accepted"]

    def _fault(self, operation: str) -> int | str | None:
        queue = self.script.get(operation) or []
        return queue.pop(0) if queue else None

    def handle(self, request: HttpRequest) -> HttpResponse:
        """The venue's answer to ``request``."""
        path = request.url.removeprefix(BASE)
        if request.method == "GET" and path == "/markets":
            body = [{"symbol": "BTC", "tick": self.tick, "lot": "0.001", "min_qty": "0.002"}]
            return HttpResponse(status=200, body=json.dumps(body).encode())
        if request.method == "GET" and path.startswith("/orders/"):
            row = self.orders.get(path.removeprefix("/orders/"))
            if row is None:
                return HttpResponse(status=404, body=b'{"error": "unknown"}')
            return HttpResponse(status=200, body=json.dumps(_public(row)).encode())
        if request.method == "POST" and path == "/orders":
            fault = self._fault("place")
            if isinstance(fault, int):
                return HttpResponse(status=fault, body=b'{"error": "scripted"}')
            data = json.loads(request.body or b"{}")
            oid = f"O{self.next_id}"
            self.next_id += 1
            self.orders[oid] = {**data, "id": oid, "status": "accepted"}
            self.acted.append(f"place {oid}")
            if fault == "lost":
                return HttpResponse(status=504, body=b"gateway timeout")
            return HttpResponse(status=200, body=json.dumps({"id": oid}).encode())
        if request.method == "POST" and path.startswith("/cancel/"):
            oid = path.removeprefix("/cancel/")
            fault = self._fault("cancel")
            if isinstance(fault, int):
                return HttpResponse(status=fault, body=b'{"error": "scripted"}')
            row = self.orders.get(oid)
            if row is None:
                return HttpResponse(status=404, body=b'{"error": "unknown"}')
            if row["status"] != "accepted":
                return HttpResponse(status=400, body=b'{"error": "not live"}')
            row["status"] = "canceled"
            self.acted.append(f"cancel {oid}")
            if fault == "lost":
                return HttpResponse(status=504, body=b"gateway timeout")
            answer = {**_public(row), "status": "pending"} if fault == "pending" else _public(row)
            return HttpResponse(status=200, body=json.dumps(answer).encode())
        return HttpResponse(status=404, body=b'{"error": "no route"}')


def _public(row: Mapping[str, Any]) -> dict[str, Any]:
    # An order as the venue shows it: no client order id.
    return {key: value for key, value in row.items() if key != "coid"}


_STATUS = {
    "accepted": OrderStatus.ACCEPTED,
    "canceled": OrderStatus.CANCELED,
    "pending": OrderStatus.PENDING_CANCEL,
    "filled": OrderStatus.FILLED,
}


def _state(row: Mapping[str, Any], client_order_id: str | None = None) -> OrderState:
    limit = row.get("limit")
    return OrderState(
        venue=NAME,
        venue_order_id=row["id"],
        client_order_id=client_order_id,
        symbol=row["symbol"],
        side=Side(row["side"]),
        kind=OrderKind.STOP_LIMIT if limit else OrderKind.STOP_MARKET,
        status=_STATUS[row["status"]],
        venue_status=row["status"],
        quantity=Decimal(row["qty"]),
        filled_quantity=Decimal(row.get("filled", "0")),
        stop_price=Decimal(row["stop"]),
        limit_price=Decimal(limit) if limit else None,
        raw=dict(row),
    )


class BookBound(BoundVenue):
    """The bound book venue (pure)."""

    def build_place_request(self, order: AnyStopOrder, ctx: RequestContext) -> HttpRequest:
        body = {
            "coid": order.client_order_id,
            "symbol": native(order.symbol),
            "side": order.side.value,
            "qty": str(order.quantity),
            "stop": str(order.stop_price),
            "limit": str(order.limit_price) if isinstance(order, StopLimitOrder) else None,
            "effect": None if order.position_effect is None else order.position_effect.value,
        }
        return HttpRequest(method="POST", url=BASE + "/orders", body=json.dumps(body).encode())

    def parse_place_response(self, order: AnyStopOrder, response: HttpResponse) -> OrderState:
        if response.status != 200:
            raise self.classify_error(response, writes=True)
        oid = json.loads(response.body)["id"]
        row = {
            "id": oid,
            "symbol": native(order.symbol),
            "side": order.side.value,
            "qty": str(order.quantity),
            "stop": str(order.stop_price),
            "limit": str(order.limit_price) if isinstance(order, StopLimitOrder) else None,
            "status": "accepted",
        }
        return _state(row, order.client_order_id)

    def classify_error(self, response: HttpResponse, *, writes: bool = False) -> RemoteError:
        kwargs: dict[str, Any] = {"venue": NAME, "http_status": response.status, "raw_body": response.body}
        if response.status == 404:
            return OrderNotFound("not found", **kwargs)
        if response.status >= 500:
            return VenueUnavailable("down", outcome_known=not writes, **kwargs)
        return OrderRejected("rejected", venue_message="rejected", **kwargs)

    def _read(self, response: HttpResponse) -> OrderState:
        if response.status != 200:
            raise self.classify_error(response)
        return _state(json.loads(response.body))

    def get_flow(self, ref: OrderRef) -> Flow[OrderState]:
        state: OrderState = yield Exchange(
            build=lambda ctx: HttpRequest(method="GET", url=f"{BASE}/orders/{ref.venue_order_id}"),
            parse=self._read,
            label="get",
        )
        return state

    def cancel_flow(self, ref: OrderRef) -> Flow[OrderState]:
        def parse(response: HttpResponse) -> OrderState:
            if response.status != 200:
                raise self.classify_error(response, writes=True)
            return _state(json.loads(response.body))

        state: OrderState = yield Exchange(
            build=lambda ctx: HttpRequest(method="POST", url=f"{BASE}/cancel/{ref.venue_order_id}"),
            parse=parse,
            writes=True,
            label="cancel",
        )
        return state

    def markets_flow(self, symbols: tuple[str, ...] | None = None) -> Flow[Markets]:
        def parse(response: HttpResponse) -> list[dict[str, Any]]:
            rows: list[dict[str, Any]] = json.loads(response.body)
            return rows

        rows: list[dict[str, Any]] = yield Exchange(
            build=lambda ctx: HttpRequest(method="GET", url=f"{BASE}/markets"),
            parse=parse,
            label="markets",
            cache_key="book:markets",
        )
        markets = [
            Market(
                venue=NAME,
                symbol=f"{row['symbol']}/USD",
                venue_symbol=row["symbol"],
                tick_size=row["tick"],
                lot_size=row["lot"],
                min_quantity=row["min_qty"],
                source="https://book.invalid/markets",
            )
            for row in rows
        ]
        return Markets(NAME, markets)


class BookAdapter(VenueAdapter):
    """The book venue: cancel and get, no replace endpoint."""

    name = NAME
    title = "In-test order book"
    doc_url = "https://book.invalid/docs"
    capabilities = Capabilities(
        order_kinds=frozenset({OrderKind.STOP_MARKET, OrderKind.STOP_LIMIT}),
        trigger_types=frozenset({TriggerType.DEFAULT}),
        time_in_force=frozenset({TimeInForce.GTC}),
        position_effects=frozenset({None, PositionEffect.OPEN, PositionEffect.CLOSE}),
        whole_position_quantity=False,
        client_order_id=False,
        get_order=True,
        list_open_orders=False,
        cancel=True,
    )
    refusals = (
        Refusal(operations={"place", "cancel"}, status=400, error=OrderRejected, any_body=True, source="book: 400"),
        Refusal(operations={"cancel"}, status=404, error=OrderNotFound, any_body=True, source="book: 404"),
    )

    def bind(self, credentials: Credentials, config: Mapping[str, Any] | None = None) -> BookBound:
        return BookBound(self)


class NoReadBookAdapter(BookAdapter):
    """The same venue without a documented read (cancel confirmations come from the answer only)."""

    capabilities = attrs.evolve(BookAdapter.capabilities, get_order=False)
