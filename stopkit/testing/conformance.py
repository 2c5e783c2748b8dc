"""The conformance kit: tests every venue plugin runs in its own suite (requires pytest).

Subclass :class:`VenueConformance` in a test module; pytest collects its tests::

    from stopkit.testing.conformance import VenueConformance

    class TestMyVenueConformance(VenueConformance):
        venue = "myvenue"
        enum_tables = {"status": (DOCUMENTED_STATUSES, STATUS_TABLE, DELIBERATELY_UNMAPPED)}

What it checks:

- translation is pure and deterministic: the same order and request context
  give the same bytes, and building touches no socket, clock or environment;
- every enum table is complete: each documented venue value is mapped or listed
  as deliberately unmapped (and the table holds nothing undocumented);
- every table declared in ``expected_tables`` holds exactly the expected values, key by key
  (a table test that checked only the keys would let ``DONE_FOR_DAY → EXPIRED`` pass);
- every declared capability is honoured and every undeclared one raises
  :class:`~stopkit.errors.UnsupportedOrder` before any I/O (order kinds,
  trigger types, time in force, position effects, whole-position quantity, and
  the get / list / cancel / modify operations);
- error classification returns a :class:`~stopkit.errors.RemoteError` for
  arbitrary statuses and bodies;
- :func:`stopkit.preview` and :meth:`VenueClient.place` agree byte for byte
  (method, URL, body, headers except ``Authorization``) for every order of the
  simulator's demo scenario, placed on the venue's own simulator;
- markets (:meth:`BoundVenue.markets_flow`): only reads; a :class:`~stopkit.markets.Markets`
  of this venue, keyed by venue symbol, each :class:`~stopkit.markets.Market` of this venue and
  findable by its unified symbol, an empty answer carrying its ``reason``; the same rules asked
  for one symbol as for all; the demo orders fit their markets;
- modify: a resting demo order's stop price changes (natively, or by cancel-then-place where
  the venue can cancel), and afterwards exactly the new order is live.

The adapter must provide :meth:`VenueAdapter.simulator`.
"""

from __future__ import annotations

import json
import os
import socket
import time
from collections.abc import Iterable, Iterator, Mapping
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Any, ClassVar

import attrs
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from stopkit.api import bind, connect, preview
from stopkit.context import AccessToken, FrozenClock, RequestContext
from stopkit.errors import ConfigurationError, RemoteError, StopkitError, UnsupportedOrder
from stopkit.markets import Market, Markets, check_order_fits
from stopkit.orders import (
    AnyStopOrder,
    OrderKind,
    PositionEffect,
    Side,
    StopLimitOrder,
    StopOrder,
    TimeInForce,
    TriggerType,
)
from stopkit.paper import simulator_of
from stopkit.registry import get_venue
from stopkit.state import OrderState, OrderStatus
from stopkit.testing import MockTransport
from stopkit.transport import AiohttpTransport
from stopkit.venue import BoundVenue, Exchange, Flow, Simulator, VenueAdapter
from stopkit.wire import HttpRequest, HttpResponse

__all__ = ["VenueConformance"]

# A base URL where nothing listens: pure builds never reach it.
_NOWHERE = "http://127.0.0.1:9"
_NOW_MS = 1_767_225_600_000  # 2026-01-01T00:00:00Z


class _Forbidden(dict[str, str]):
    # Stands in for os.environ while a request is built: any read fails the test.
    def __getitem__(self, key: str) -> str:
        raise AssertionError(f"request building read the environment ({key!r})")

    def get(self, key: str, default: Any = None) -> Any:
        raise AssertionError(f"request building read the environment ({key!r})")


def _forbid(*_args: Any, **_kwargs: Any) -> Any:
    raise AssertionError("request building touched the network or the clock")


@contextmanager
def _sealed(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    # No socket, no wall clock, no environment while this block runs.
    with monkeypatch.context() as patch:
        patch.setattr(socket, "socket", _forbid)
        patch.setattr(socket, "create_connection", _forbid)
        patch.setattr(time, "time", _forbid)
        patch.setattr(time, "time_ns", _forbid)
        patch.setattr(os, "environ", _Forbidden())
        yield


def _request_key(request: HttpRequest) -> tuple[str, str, tuple[tuple[str, str], ...], bytes | None]:
    headers = tuple(sorted((k.lower(), v) for k, v in request.headers.items() if k.lower() != "authorization"))
    return request.method, request.url, headers, request.body


class _RecordingTransport(AiohttpTransport):
    # The real transport, keeping every request it sends.
    def __init__(self) -> None:
        super().__init__()
        self.sent: list[HttpRequest] = []

    async def send(self, request: HttpRequest, *, timeout_s: float) -> HttpResponse:
        self.sent.append(request)
        return await super().send(request, timeout_s=timeout_s)


def _with_kind(order: AnyStopOrder, kind: OrderKind) -> AnyStopOrder:
    fields = {a.name: getattr(order, a.name) for a in attrs.fields(type(order)) if a.name != "limit_price"}
    if kind is OrderKind.STOP_MARKET:
        return StopOrder(**fields)
    limit = order.limit_price if isinstance(order, StopLimitOrder) else order.stop_price
    return StopLimitOrder(limit_price=limit, **fields)


def _side_variants(order: AnyStopOrder, **changes: Any) -> list[AnyStopOrder]:
    variants = []
    for side in (order.side, Side.SELL if order.side is Side.BUY else Side.BUY):
        try:
            variants.append(attrs.evolve(order, side=side, **changes))
        except StopkitError:
            continue
    return variants


_JSON = st.recursive(
    st.none() | st.booleans() | st.integers() | st.text(max_size=30),
    lambda children: st.lists(children, max_size=4) | st.dictionaries(st.text(max_size=12), children, max_size=4),
    max_leaves=12,
)
_STATUSES = [400, 401, 403, 404, 409, 415, 422, 429, 500, 502, 503, 504]
_BODIES = st.one_of(
    st.binary(max_size=200),
    _JSON.map(lambda v: json.dumps(v).encode()),
    st.sampled_from([b"", b"<html><body>502 Bad Gateway</body></html>", b"{", b'{"error":', b"null", b"[]"]),
)


def _reads_only(flow: Flow[Any]) -> Flow[Any]:
    # The flow, failing the test at the first exchange that writes.
    try:
        exchange: Exchange[Any] = next(flow)
    except StopIteration as stop:
        return stop.value
    while True:
        assert not exchange.writes, f"markets_flow yielded a write ({exchange!r})"
        try:
            value = yield exchange
        except Exception as exc:  # noqa: BLE001  # passed on to the flow, as the client does
            try:
                exchange = flow.throw(exc)
            except StopIteration as stop:
                return stop.value
            continue
        try:
            exchange = flow.send(value)
        except StopIteration as stop:
            return stop.value


def _moved_stop(order: AnyStopOrder, market: Market | None) -> Decimal:
    # A stop price one tick (or 1) further from the market than the order's.
    step = market.tick_size if market is not None and market.tick_size is not None else Decimal(1)
    return order.stop_price - step if order.side is Side.SELL else order.stop_price + step


class VenueConformance:
    """Base class of a plugin's conformance tests. Set ``venue``; optionally the rest.

    Class attributes:
        venue: the registered name, or a :class:`VenueAdapter` instance.
        credentials: credentials to use (default: the simulator's ``demo_credentials()``).
        config: venue config (default: the simulator's ``demo_config(base_url)``).
        enum_tables: name → (every documented venue value, the mapping table keyed by
            venue value, the values deliberately left unmapped).
        expected_tables: name → (the adapter's table, the expected table written out literally
            from the venue's documentation); every key and every value must agree.
    """

    venue: ClassVar[str | VenueAdapter]
    credentials: ClassVar[Mapping[str, str] | None] = None
    config: ClassVar[Mapping[str, Any] | None] = None
    enum_tables: ClassVar[Mapping[str, tuple[Iterable[str], Mapping[str, object], Iterable[str]]]] = {}
    expected_tables: ClassVar[Mapping[str, tuple[Mapping[Any, object], Mapping[Any, object]]]] = {}

    # -- helpers ----------------------------------------------------------------------

    def _adapter(self) -> VenueAdapter:
        return get_venue(self.venue) if isinstance(self.venue, str) else self.venue

    def _simulator(self) -> Simulator:
        try:
            return simulator_of(self._adapter())
        except ConfigurationError:
            pytest.fail(f"{self._adapter().name}: VenueAdapter.simulator() offers none; the kit needs one")

    def _credentials(self, sim: Simulator) -> Mapping[str, str]:
        return self.credentials if self.credentials is not None else sim.demo_credentials()

    def _config(self, sim: Simulator, base_url: str) -> Mapping[str, Any]:
        return self.config if self.config is not None else sim.demo_config(base_url)

    def _bound(self) -> tuple[BoundVenue, list[AnyStopOrder]]:
        sim = self._simulator()
        bound = bind(self._adapter(), credentials=self._credentials(sim), config=self._config(sim, _NOWHERE))
        return bound, list(sim.demo_scenario().orders)

    def _builds(self, bound: BoundVenue, order: AnyStopOrder) -> bool:
        # True when the venue expresses the order; UnsupportedOrder → False; other errors propagate.
        try:
            bound.check_order(order)
            bound.build_place_request(order, RequestContext(now_ms=_NOW_MS, access_token=AccessToken("conformance")))
        except UnsupportedOrder:
            return False
        return True

    def _any_side_builds(self, bound: BoundVenue, order: AnyStopOrder, **changes: Any) -> bool:
        results = []
        for variant in _side_variants(order, **changes):
            try:
                results.append(self._builds(bound, variant))
            except StopkitError:
                results.append(False)
        return any(results)

    # -- the tests --------------------------------------------------------------------

    def test_translation_is_pure_and_deterministic(self, monkeypatch: pytest.MonkeyPatch) -> None:
        """Same order and context give the same bytes; building reads no socket, clock or environment."""
        bound, orders = self._bound()
        assert orders, "the demo scenario has no orders"
        ctx = RequestContext(now_ms=_NOW_MS, access_token=AccessToken("conformance-token"))
        for order in orders:
            with _sealed(monkeypatch):
                bound.check_order(order)
                first = bound.build_place_request(order, ctx)
                second = bound.build_place_request(order, ctx)
            assert _request_key(first) == _request_key(second)
            assert first.headers == second.headers
            assert first.body is None or isinstance(first.body, bytes)

    def test_enum_tables_are_complete(self) -> None:
        """Every documented venue value is mapped or deliberately unmapped; nothing undocumented is mapped."""
        for name, (documented, table, unmapped) in self.enum_tables.items():
            documented_set, unmapped_set = set(documented), set(unmapped)
            missing = documented_set - set(table) - unmapped_set
            assert not missing, f"{name}: documented values neither mapped nor listed as unmapped: {sorted(missing)}"
            both = set(table) & unmapped_set
            assert not both, f"{name}: values both mapped and listed as unmapped: {sorted(both)}"
            extra = set(table) - documented_set
            assert not extra, f"{name}: mapped values that are not documented: {sorted(extra)}"

    def test_enum_tables_hold_the_expected_values(self) -> None:
        """Each declared table equals its literal expected table, value by value (not only its keys)."""
        for name, (table, expected) in self.expected_tables.items():
            actual = dict(table)
            absent = object()  # a key missing from the table differs from every expected value, None included
            wrong = {
                key: (actual.get(key, absent), value)
                for key, value in expected.items()
                if actual.get(key, absent) != value
            }
            assert not wrong, f"{name}: (actual, expected) per key: {wrong}"
            extra = set(actual) - set(expected)
            assert not extra, f"{name}: keys not in the expected table: {sorted(map(str, extra))}"

    def test_declared_capabilities_are_honoured(self) -> None:
        """Declared features build for at least one side; undeclared ones raise UnsupportedOrder."""
        bound, orders = self._bound()
        caps = bound.capabilities
        base = orders[0]
        for kind in (k for k in OrderKind if k.is_stop):
            order = _with_kind(base, kind)
            assert self._any_side_builds(bound, order) is (kind in caps.order_kinds), f"kind={kind.value}"
        for trigger in TriggerType:
            declared = trigger in caps.trigger_types
            assert self._any_side_builds(bound, base, trigger_type=trigger) is declared, f"trigger={trigger.name}"
        expire = datetime.fromtimestamp(_NOW_MS / 1000, tz=UTC) + timedelta(days=2)
        for tif in TimeInForce:
            changes: dict[str, Any] = {"time_in_force": tif, "expire_at": expire if tif is TimeInForce.GTD else None}
            declared = tif in caps.time_in_force
            assert self._any_side_builds(bound, base, **changes) is declared, f"time_in_force={tif.name}"
        for effect in (None, PositionEffect.OPEN, PositionEffect.CLOSE):
            declared = effect in caps.position_effects
            name = "None" if effect is None else effect.name
            assert self._any_side_builds(bound, base, position_effect=effect) is declared, f"position_effect={name}"
        whole = attrs.evolve(base, quantity=None, position_effect=PositionEffect.CLOSE)
        if caps.whole_position_quantity:
            assert self._any_side_builds(bound, whole), "whole-position quantity is declared but does not build"
        else:
            with pytest.raises(UnsupportedOrder):
                bound.check_order(whole)

    async def test_undeclared_operations_raise_before_io(self) -> None:
        """get / open_orders / cancel / modify that are not declared raise UnsupportedOrder, sending nothing."""
        sim = self._simulator()
        caps = self._adapter().capabilities

        def refuse(request: HttpRequest) -> HttpResponse:
            raise AssertionError(f"unexpected request {request.method} {request.url}")

        transport = MockTransport(refuse)
        client = connect(
            self._adapter(),
            credentials=self._credentials(sim),
            config=self._config(sim, _NOWHERE),
            transport=transport,
        )
        state = OrderState(
            venue=self._adapter().name,
            venue_order_id="1",
            client_order_id="00000000-0000-4000-8000-000000000001",
            symbol=sim.demo_scenario().symbol,
            side=Side.SELL,
            kind=OrderKind.STOP_MARKET,
            status=OrderStatus.ACCEPTED,
            venue_status="armed",
            quantity=Decimal(1),
            stop_price=Decimal(1),
        )
        async with client:
            if not caps.get_order:
                with pytest.raises(UnsupportedOrder):
                    await client.get(venue_order_id="1", symbol=state.symbol)
            if not caps.list_open_orders:
                with pytest.raises(UnsupportedOrder):
                    await client.open_orders()
            if not caps.cancel:
                with pytest.raises(UnsupportedOrder):
                    await client.cancel(venue_order_id="1", symbol=state.symbol)
            if not caps.modify:
                with pytest.raises(UnsupportedOrder):
                    await client.modify(state, stop_price=Decimal(2))
        assert transport.sent == []

    # differing_executors: every subclass runs this same method for its own venue, on purpose.
    @settings(
        max_examples=150,
        deadline=None,
        suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.differing_executors],
    )
    @given(
        status=st.one_of(
            st.sampled_from([400, 401, 403, 404, 409, 415, 422, 429, 500, 502, 503, 504]), st.integers(300, 599)
        ),
        body=_BODIES,
        retry_after=st.one_of(st.none(), st.text(max_size=12)),
        writes=st.booleans(),
    )
    def test_error_classification_is_total(
        self, status: int, body: bytes, retry_after: str | None, writes: bool
    ) -> None:
        """classify_error returns a RemoteError for any status and body, never raises."""
        bound, _orders = self._bound()
        headers = {"Content-Type": "application/json"}
        if retry_after is not None and retry_after.isprintable() and "\n" not in retry_after:
            headers["Retry-After"] = retry_after
        error = bound.classify_error(HttpResponse(status=status, headers=headers, body=body), writes=writes)
        assert isinstance(error, RemoteError)
        assert error.venue is not None

    async def test_preview_and_place_agree_byte_for_byte(self) -> None:
        """For each demo order, the request place() sends is the one preview() shows (but the token)."""
        sim = self._simulator()
        base_url = await sim.start()
        try:
            scenario = sim.demo_scenario()
            sim.set_price(scenario.symbol, scenario.start_price)
            credentials, config = self._credentials(sim), self._config(sim, base_url)
            clock = FrozenClock(time.time_ns() // 1_000_000)
            transport = _RecordingTransport()
            async with connect(
                self._adapter(), credentials=credentials, config=config, transport=transport, clock=clock
            ) as client:
                for order in scenario.orders:
                    expected = preview(self._adapter(), order, credentials=credentials, config=config, now_ms=clock.ms)
                    await client.place(order)
                    sent = [r for r in transport.sent if (r.method, r.url) == (expected.method, expected.url)]
                    assert sent, f"place() sent no {expected.method} {expected.url}"
                    assert _request_key(sent[-1]) == _request_key(expected)
                    clock.advance(1)
        finally:
            await sim.stop()

    async def test_markets_are_reads_and_well_formed(self) -> None:
        """markets_flow only reads; it answers this venue's Markets (reason when empty), each Market findable by
        both symbols with positive tick and lot sizes; one symbol's rules equal the full list's; demo orders fit."""
        sim = self._simulator()
        base_url = await sim.start()
        try:
            scenario = sim.demo_scenario()
            name = self._adapter().name
            async with connect(
                self._adapter(), credentials=self._credentials(sim), config=self._config(sim, base_url)
            ) as client:
                markets = await client._run(_reads_only(client.venue.markets_flow(None)))
                assert isinstance(markets, Markets), f"markets_flow returned {type(markets).__name__}"
                assert markets.venue == name
                one = await client.markets([scenario.symbol])
            if len(markets) == 0:
                assert markets.reason, "an empty Markets must say why (reason)"
            for key in markets:
                market = markets[key]
                assert isinstance(market, Market)
                assert (market.venue, market.venue_symbol) == (name, key)
                assert market.symbol in markets, f"{market.symbol} does not find its market"
                for size in (market.tick_size, market.lot_size):
                    assert size is None or size > 0
            listed = markets.get(scenario.symbol)
            assert one.get(scenario.symbol) == listed, "one symbol's rules differ from the full list's"
            for order in scenario.orders:
                rules = markets.get(order.symbol)
                if rules is not None:
                    check_order_fits(order, rules)
        finally:
            await sim.stop()

    async def test_modify_changes_the_stop_and_leaves_one_order_live(self) -> None:
        """A resting demo order's stop price moves one tick away from the market, natively or by cancel-then-place;
        the answer shows the new price, and the old order is no longer live unless it is the same order."""
        caps = self._adapter().capabilities
        if not (caps.modify or caps.cancel):
            pytest.skip("the venue can neither modify nor cancel")
        sim = self._simulator()
        base_url = await sim.start()
        try:
            scenario = sim.demo_scenario()
            sim.set_price(scenario.symbol, scenario.start_price)
            order = scenario.orders[0]
            async with connect(
                self._adapter(), credentials=self._credentials(sim), config=self._config(sim, base_url)
            ) as client:
                placed = await client.place(order)
                market = await client.market(order.symbol)
                target = _moved_stop(order, market)
                new = await client.modify(placed, stop_price=target, allow_cancel_replace=True)
                assert new.stop_price == target
                assert not new.status.is_terminal
                if new.venue_order_id != placed.venue_order_id and not caps.modify:
                    old = client.last_state(venue_order_id=placed.venue_order_id)
                    assert old is not None
                    assert old.status is OrderStatus.CANCELED, f"the replaced order is {old.status.name}"
                if caps.list_open_orders:
                    live = {state.venue_order_id for state in await client.open_orders()}
                    assert new.venue_order_id in live
                    if new.venue_order_id != placed.venue_order_id and not caps.modify:
                        assert placed.venue_order_id not in live
        finally:
            await sim.stop()
