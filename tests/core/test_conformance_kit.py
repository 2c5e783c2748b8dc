"""The conformance kit catches broken adapters (each check can fail)."""

from __future__ import annotations

import time
from collections.abc import Mapping
from decimal import Decimal
from typing import Any

import pytest
from conftest import FakeAdapter, FakeBound

from stopkit import HttpRequest, HttpResponse, RequestContext, StopOrder, TimeInForce
from stopkit.errors import RemoteError, ResponseShapeError
from stopkit.orders import AnyStopOrder
from stopkit.testing.conformance import VenueConformance
from stopkit.venue import BoundVenue, Credentials, DemoScenario


class _FakeSim:
    # Enough of a simulator for the pure checks (nothing is served).
    def demo_credentials(self) -> dict[str, str]:
        return {}

    def demo_config(self, base_url: str) -> dict[str, Any]:
        return {}

    def demo_scenario(self) -> DemoScenario:
        order = StopOrder(symbol="X", side="sell", quantity=Decimal(1), stop_price=Decimal(10))
        return DemoScenario(
            symbol="X", orders=(order,), start_price=Decimal(12), near_price=Decimal(11), through_price=Decimal(9)
        )


class _ImpureBound(FakeBound):
    def build_place_request(self, order: AnyStopOrder, ctx: RequestContext) -> HttpRequest:
        stamp = str(int(time.time()))  # reads the clock: not pure
        return HttpRequest(method="POST", url="https://fake.invalid/orders", body=stamp.encode())


class _LyingBound(FakeBound):
    def check_order(self, order: AnyStopOrder) -> None:
        super().check_order(order)

    def build_place_request(self, order: AnyStopOrder, ctx: RequestContext) -> HttpRequest:
        from stopkit import UnsupportedOrder

        if order.kind.value == "stop-limit":
            raise UnsupportedOrder("declared but not built", feature="kind")
        return super().build_place_request(order, ctx)


class _FragileBound(FakeBound):
    def classify_error(self, response: HttpResponse, *, writes: bool = False) -> RemoteError:
        response.json()  # raises on garbage instead of classifying it
        return super().classify_error(response, writes=writes)


def _adapter(bound_cls: type[FakeBound]) -> FakeAdapter:
    class _Adapter(FakeAdapter):
        def simulator(self) -> Any:
            return _FakeSim()

        def bind(self, credentials: Credentials, config: Mapping[str, Any] | None = None) -> BoundVenue:
            return bound_cls(self, token_auth=False)

    return _Adapter()


def _kit(bound_cls: type[FakeBound], **attrs_: Any) -> VenueConformance:
    kit = type("Kit", (VenueConformance,), {"venue": _adapter(bound_cls), **attrs_})
    return kit()  # type: ignore[no-any-return]


def test_a_well_behaved_fake_passes(monkeypatch: pytest.MonkeyPatch) -> None:
    """The fake venue passes the pure checks (so the failures below are the kit's doing)."""
    kit = _kit(FakeBound, enum_tables={"side": (("bid", "ask"), {"bid": 1, "ask": 2}, ())})
    kit.test_translation_is_pure_and_deterministic(monkeypatch)
    kit.test_enum_tables_are_complete()
    kit.test_declared_capabilities_are_honoured()
    kit.test_error_classification_is_total()


def test_impure_translation_fails(monkeypatch: pytest.MonkeyPatch) -> None:
    """Reading the clock while building is caught."""
    with pytest.raises(AssertionError, match="clock"):
        _kit(_ImpureBound).test_translation_is_pure_and_deterministic(monkeypatch)


def test_incomplete_enum_table_fails() -> None:
    """A documented value neither mapped nor listed fails, and so does an undocumented mapping."""
    with pytest.raises(AssertionError, match="neither mapped"):
        _kit(FakeBound, enum_tables={"side": (("bid", "ask"), {"bid": 1}, ())}).test_enum_tables_are_complete()
    with pytest.raises(AssertionError, match="not documented"):
        _kit(FakeBound, enum_tables={"side": (("bid",), {"bid": 1, "x": 2}, ())}).test_enum_tables_are_complete()


def test_declared_but_unsupported_fails() -> None:
    """A declared order kind that the adapter refuses is caught."""
    with pytest.raises(AssertionError, match="kind=stop-limit"):
        _kit(_LyingBound).test_declared_capabilities_are_honoured()


def test_fragile_error_classification_fails() -> None:
    """classify_error raising on a garbage body is caught."""
    with pytest.raises((ExceptionGroup, ResponseShapeError)) as info:
        _kit(_FragileBound).test_error_classification_is_total()
    errors = info.value.exceptions if isinstance(info.value, ExceptionGroup) else (info.value,)
    assert all(isinstance(e, ResponseShapeError) for e in errors)


def test_time_in_force_is_checked_too() -> None:
    """The fake declares GTC only: the kit expects IOC to be refused, and it is."""
    assert TimeInForce.IOC not in FakeAdapter.capabilities.time_in_force
    _kit(FakeBound).test_declared_capabilities_are_honoured()
