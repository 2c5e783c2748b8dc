"""A minimal in-test venue ("fakevenue") used to exercise the core without a real adapter."""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any

import pytest

from stopkit import (
    AccessToken,
    AuthenticationError,
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
    RateLimited,
    RequestContext,
    Side,
    TimeInForce,
    TokenGrant,
    TransportError,
    TriggerType,
    VenueUnavailable,
)
from stopkit.errors import RemoteError
from stopkit.orders import AnyStopOrder
from stopkit.venue import BoundVenue, Exchange, Flow, OrderRef, VenueAdapter

BASE = "https://fake.invalid"


class FakeBound(BoundVenue):
    def __init__(self, adapter: VenueAdapter, token_auth: bool) -> None:
        super().__init__(adapter)
        self.token_auth = token_auth

    def token_exchange(self, previous: AccessToken | None = None) -> Exchange[TokenGrant] | None:
        if not self.token_auth:
            return None

        def parse(response: HttpResponse) -> TokenGrant:
            if response.status != 200:
                raise AuthenticationError("token refused", venue="fakevenue", http_status=response.status)
            data = json.loads(response.body)
            return TokenGrant(access_token=data["token"], expires_in_s=data["expires_in"])

        return Exchange(
            build=lambda ctx: HttpRequest(method="POST", url=BASE + "/token", body=b"{}"),
            parse=parse,
            authenticated=False,
            label="token",
        )

    def build_place_request(self, order: AnyStopOrder, ctx: RequestContext) -> HttpRequest:
        headers = {"X-Now": str(ctx.now_ms), "X-Attempt": str(ctx.attempt)}
        if ctx.access_token is not None:
            headers["Authorization"] = f"Bearer {ctx.access_token.value}"
        body = json.dumps({"coid": order.client_order_id, "ts": ctx.now_ms}).encode()
        return HttpRequest(method="POST", url=BASE + "/orders", headers=headers, body=body)

    def parse_place_response(self, order: AnyStopOrder, response: HttpResponse) -> OrderState:
        if response.status != 200:
            raise self.classify_error(response, writes=True)
        data = json.loads(response.body)
        return OrderState(
            venue="fakevenue",
            venue_order_id=str(data["id"]),
            client_order_id=order.client_order_id,
            symbol=order.symbol,
            side=order.side,
            kind=order.kind,
            status=OrderStatus.ACCEPTED,
            venue_status="armed",
            quantity=order.quantity,
            stop_price=order.stop_price,
        )

    def classify_error(self, response: HttpResponse, *, writes: bool = False) -> RemoteError:
        kwargs: dict[str, Any] = {"venue": "fakevenue", "http_status": response.status, "raw_body": response.body}
        if response.status == 401:
            return AuthenticationError("unauthorized", **kwargs)
        if response.status == 404:
            return OrderNotFound("not found", **kwargs)
        if response.status == 429:
            return RateLimited("slow down", retry_after_s=0.0, **kwargs)
        if response.status >= 500:
            return VenueUnavailable("down", outcome_known=not writes, **kwargs)
        return OrderRejected("rejected", **kwargs)

    def get_flow(self, ref: OrderRef) -> Flow[OrderState]:
        # Look in "open", then fall back to "history" on OrderNotFound: exercises flow.throw().
        def parse(response: HttpResponse) -> OrderState:
            if response.status != 200:
                raise self.classify_error(response)
            data = json.loads(response.body)
            return OrderState(
                venue="fakevenue",
                venue_order_id=ref.venue_order_id,
                client_order_id=None,
                symbol="X",
                side=Side.SELL,
                kind=OrderKind.STOP_MARKET,
                status=OrderStatus(data["status"]),
                venue_status=data["status"],
                quantity=None,
            )

        try:
            state: OrderState = yield Exchange(
                build=lambda ctx: HttpRequest(method="GET", url=f"{BASE}/open/{ref.venue_order_id}"),
                parse=parse,
                label="open",
            )
        except OrderNotFound:
            state = yield Exchange(
                build=lambda ctx: HttpRequest(method="GET", url=f"{BASE}/history/{ref.venue_order_id}"),
                parse=parse,
                label="history",
            )
        return state


class FakeAdapter(VenueAdapter):
    name = "fakevenue"
    title = "Fake venue for core tests"
    doc_url = "https://fake.invalid/docs"
    capabilities = Capabilities(
        order_kinds=frozenset(OrderKind),
        trigger_types=frozenset({TriggerType.DEFAULT}),
        time_in_force=frozenset({TimeInForce.GTC}),
        position_effects=frozenset({None, PositionEffect.OPEN, PositionEffect.CLOSE}),
        whole_position_quantity=False,
        client_order_id=True,
        get_order=True,
        list_open_orders=False,
        cancel=False,
        reasons={"time_in_force": "fake venues only rest GTC"},
    )

    def bind(self, credentials: Credentials, config: Mapping[str, Any] | None = None) -> BoundVenue:
        return FakeBound(self, token_auth=bool((config or {}).get("token_auth")))


@pytest.fixture
def fake_adapter() -> FakeAdapter:
    return FakeAdapter()


__all__ = ["BASE", "FakeAdapter", "FakeBound", "TransportError"]
