"""A minimal in-test venue ("fakevenue") used to exercise the core without a real adapter."""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any

import attrs
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
from stopkit.venue import Amendment, BoundVenue, Exchange, Flow, OrderRef, Refusal, VenueAdapter

BASE = "https://fake.invalid"


class FakeBound(BoundVenue):
    def __init__(self, adapter: VenueAdapter, token_auth: bool, reconcile: bool = False) -> None:
        super().__init__(adapter)
        self.token_auth = token_auth
        self.reconcile = reconcile
        self.token_requests: list[str] = []

    def token_exchange(self, previous: AccessToken | None = None) -> Exchange[TokenGrant] | None:
        if not self.token_auth:
            return None
        grant_type = "refresh" if previous is not None and previous.refresh_token else "credentials"

        def parse(response: HttpResponse) -> TokenGrant:
            if response.status != 200:
                raise AuthenticationError("token refused", venue="fakevenue", http_status=response.status)
            data = json.loads(response.body)
            return TokenGrant(
                access_token=data["token"], expires_in_s=data["expires_in"], refresh_token=data.get("refresh")
            )

        body = json.dumps({"grant": grant_type}).encode()
        return Exchange(
            build=lambda ctx: HttpRequest(method="POST", url=BASE + "/token", body=body),
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

    def reconcile_flow(self, order: AnyStopOrder, *, sent_at_ms: int) -> Flow[OrderState | None] | None:
        # A plain method (not a generator) so that it can answer None: "cannot look".
        return self._reconcile(order, sent_at_ms) if self.reconcile else None

    def _reconcile(self, order: AnyStopOrder, sent_at_ms: int) -> Flow[OrderState | None]:
        def parse(response: HttpResponse) -> OrderState | None:
            if response.status == 404:
                return None
            if response.status != 200:
                raise self.classify_error(response)
            return self.parse_place_response(order, response)

        state: OrderState | None = yield Exchange(
            build=lambda ctx: HttpRequest(
                method="GET", url=f"{BASE}/by-coid/{order.client_order_id}?since={sent_at_ms}"
            ),
            parse=parse,
            label="reconcile",
        )
        return state

    def modify_flow(self, state: OrderState, amendment: Amendment) -> Flow[OrderState]:
        def parse(response: HttpResponse) -> OrderState:
            if response.status != 200:
                raise self.classify_error(response, writes=True)
            data = json.loads(response.body)
            return attrs.evolve(
                state, venue_order_id=str(data["id"]), stop_price=amendment.stop_price or state.stop_price
            )

        new_state: OrderState = yield Exchange(
            build=lambda ctx: HttpRequest(
                method="POST",
                url=f"{BASE}/replace/{state.venue_order_id}",
                body=json.dumps({"stop": str(amendment.stop_price)}).encode(),
            ),
            parse=parse,
            writes=True,
            label="modify",
        )
        return new_state

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
        modify=True,
        reasons={"time_in_force": "fake venues only rest GTC"},
    )
    # What the fake venue "documents" as refusals of a write: anything else is an unknown outcome.
    refusals = (
        Refusal(
            operations={"place", "modify", "cancel"},
            status=401,
            error=AuthenticationError,
            any_body=True,
            source="fake: 401 refuses the token",
        ),
        Refusal(
            operations={"place", "modify", "cancel"},
            status=429,
            error=RateLimited,
            any_body=True,
            source="fake: 429 throttles",
        ),
        Refusal(
            operations={"place", "modify", "cancel"},
            status=400,
            error=OrderRejected,
            any_body=True,
            source="fake: 400 rejects",
        ),
        Refusal(operations={"cancel"}, status=404, error=OrderNotFound, any_body=True, source="fake: 404 unknown id"),
    )

    def bind(self, credentials: Credentials, config: Mapping[str, Any] | None = None) -> BoundVenue:
        config = config or {}
        return FakeBound(self, token_auth=bool(config.get("token_auth")), reconcile=bool(config.get("reconcile")))


@pytest.fixture
def fake_adapter() -> FakeAdapter:
    return FakeAdapter()


__all__ = ["BASE", "FakeAdapter", "FakeBound", "TransportError"]
