"""Bad input, everywhere it enters (property-based).

- The order model turns any value of any type into an order or an ``InvalidOrder``.
- Every flow of every built-in venue (place, get, open orders, cancel, reconcile, token
  exchange), fed arbitrary and malformed answers (statuses, headers, bodies), ends in a
  result or a stopkit error: never ``KeyError``, ``TypeError``, ``ValueError``,
  ``decimal.InvalidOperation`` or anything else.
- The CLI turns every error into one line and a non-zero exit.
"""

from __future__ import annotations

import contextlib
import io
import json
from collections.abc import Callable, Generator
from decimal import Decimal
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import stopkit
from stopkit import AccessToken, HttpResponse, InvalidOrder, RequestContext, StopkitError
from stopkit.cli import main
from stopkit.venue import BoundVenue, OrderRef

NOWHERE = "http://127.0.0.1:9"
NOW_MS = 1_767_225_600_000

ANY_VALUE = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(min_value=-(10**20), max_value=10**20),
    st.floats(allow_nan=True, allow_infinity=True),
    st.decimals(allow_nan=True, allow_infinity=True),
    st.text(max_size=12),
    st.sampled_from(["buy", "SELL", "gtd", "close", "mark", "0", "-1", "1e9", "NaN", "48000.5", ""]),
    st.lists(st.integers(), max_size=2),
)


@given(
    symbol=ANY_VALUE,
    side=ANY_VALUE,
    quantity=ANY_VALUE,
    stop_price=ANY_VALUE,
    limit_price=ANY_VALUE,
    position_effect=ANY_VALUE,
    trigger_type=ANY_VALUE,
    time_in_force=ANY_VALUE,
    client_order_id=ANY_VALUE,
)
def test_model_rejects_every_invalid_combination(**fields: Any) -> None:
    """Any values: a valid order or InvalidOrder, never another exception."""
    limit = fields.pop("limit_price")
    for make in (lambda: stopkit.StopOrder(**fields), lambda: stopkit.StopLimitOrder(limit_price=limit, **fields)):
        try:
            order = make()
        except InvalidOrder as exc:
            field = exc.field
            order = None
        if order is None:
            assert field  # the error names the offending field
            continue
        assert isinstance(order.stop_price, Decimal)
        assert order.stop_price > 0


# -- every flow of every venue, against arbitrary answers -------------------------------

FIELD_NAMES = [
    # Pacifica
    "success", "data", "error", "code", "error_id", "order_id", "client_order_id", "symbol", "side", "order_status",
    "order_type", "stop_price", "initial_amount", "filled_amount", "amount", "event_type", "history_id",
    "created_at", "updated_at", "reason", "next_cursor", "has_more", "price", "reduce_only",
    # Aries
    "access_token", "expires_in", "refresh_token", "clOrdId", "status", "ordStatus", "orders", "nextCursor", "qty",
    "cumQty", "type", "stopPrice", "timeInForce", "ordRejReason", "text", "clientId", "origClOrdId", "createdAt",
    # B2TRADER
    "accessToken", "order", "orderId", "marketId", "orderType", "activationPrice", "requestedAmount", "requestedPrice",
    "cancellationDate", "priceScale", "amountScale", "minAmount", "maxBaseAmount", "title", "errors", "traceId",
]  # fmt: skip
SCALARS = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(min_value=-(10**12), max_value=10**15),
    st.floats(allow_nan=False, allow_infinity=False),
    st.text(max_size=10),
    st.sampled_from(
        [
            "open",
            "NEW",
            "WaitingForActivation",
            "filled",
            "FILLED",
            "Activated",
            "ask",
            "BUY",
            "Buy",
            "stop_limit",
            "STOP",
            "Limit",
            "2025-08-14T16:07:25.8193038Z",
            "0",
            "47950",
            "bid",
        ]
    ),
)
JSON_VALUES = st.recursive(
    SCALARS,
    lambda children: (
        st.lists(children, max_size=3)
        | st.dictionaries(st.sampled_from(FIELD_NAMES) | st.text(max_size=6), children, max_size=6)
    ),
    max_leaves=20,
)
BODIES = st.one_of(
    JSON_VALUES.map(lambda value: json.dumps(value).encode()),
    st.binary(max_size=60),
    st.sampled_from([b"", b"<html>502</html>", b"{", b"null", b'{"data":', b"[]", b'{"success":true}']),
)
RESPONSES = st.builds(
    lambda status, body, retry_after: HttpResponse(
        status=status,
        headers={"Content-Type": "application/json", **({"Retry-After": retry_after} if retry_after else {})},
        body=body,
    ),
    status=st.one_of(
        st.sampled_from([200, 200, 200, 201, 204, 400, 401, 403, 404, 409, 415, 422, 429, 500, 503]),
        st.integers(100, 599),
    ),
    body=BODIES,
    retry_after=st.one_of(st.none(), st.sampled_from(["1", "abc", "-3", "1e400", "nan"])),
)


def _drive(flow: Generator[Any, Any, Any], answers: list[HttpResponse]) -> None:
    # Run a flow like the client does, answering each request from ``answers`` (then 404s).
    ctx = RequestContext(now_ms=NOW_MS, access_token=AccessToken("fuzz-token"))
    try:
        exchange = next(flow)
        for _ in range(12):
            exchange.build(ctx)
            response = answers.pop(0) if answers else HttpResponse(status=404, body=b"")
            try:
                result = exchange.parse(response)
            except StopkitError as exc:
                exchange = flow.throw(exc)
                continue
            exchange = flow.send(result)
        flow.close()
    except StopIteration:
        return
    except StopkitError:
        return


def _bound(venue: str) -> tuple[BoundVenue, Any]:
    adapter = stopkit.get_venue(venue)
    sim = adapter.simulator()
    assert sim is not None
    return stopkit.bind(venue, credentials=sim.demo_credentials(), config=sim.demo_config(NOWHERE)), sim


def _flows(bound: BoundVenue, sim: Any) -> list[Callable[[], Generator[Any, Any, Any] | None]]:
    scenario = sim.demo_scenario()
    order = scenario.orders[0]
    ref_id = OrderRef(venue_order_id="12345", symbol=scenario.symbol)
    ref_client = OrderRef(client_order_id=order.client_order_id, symbol=scenario.symbol)
    caps = bound.capabilities
    flows: list[Callable[[], Generator[Any, Any, Any] | None]] = [lambda: bound.place_flow(order)]
    if caps.get_order:
        flows += [lambda: bound.get_flow(ref_id), lambda: bound.get_flow(ref_client)]
    if caps.list_open_orders:
        flows.append(lambda: bound.open_orders_flow(None))
    if caps.cancel:
        flows.append(lambda: bound.cancel_flow(ref_id))
    flows.append(lambda: bound.reconcile_flow(order, sent_at_ms=NOW_MS))
    exchange = bound.token_exchange(None)
    if exchange is not None:

        def token() -> Generator[Any, Any, Any]:
            result = yield exchange
            return result

        flows.append(token)
    return flows


@pytest.mark.parametrize("venue", ["pacifica", "aries", "b2trader"])
@settings(max_examples=300, suppress_health_check=[HealthCheck.too_slow])
@given(answers=st.lists(RESPONSES, min_size=1, max_size=6), which=st.integers(0, 20))
def test_every_flow_ends_in_a_result_or_a_stopkit_error(venue: str, answers: list[HttpResponse], which: int) -> None:
    """Arbitrary answers to any flow: a result or a stopkit error, nothing else escapes."""
    bound, sim = _bound(venue)
    flows = _flows(bound, sim)
    flow = flows[which % len(flows)]()
    if flow is not None:
        _drive(flow, list(answers))


@pytest.mark.parametrize("venue", ["pacifica", "aries", "b2trader"])
@given(response=RESPONSES)
def test_classify_error_is_total(venue: str, response: HttpResponse) -> None:
    """classify_error never raises, for reads and writes."""
    bound, _ = _bound(venue)
    for writes in (False, True):
        assert isinstance(bound.classify_error(response, writes=writes), stopkit.RemoteError)


# -- the CLI ----------------------------------------------------------------------------

CLI_VALUES = st.one_of(st.text(max_size=8), st.sampled_from(["0", "-1", "1e3", "nan", "0.1", "x", "", "48000"]))


@given(quantity=CLI_VALUES, stop=CLI_VALUES, limit=st.one_of(st.none(), CLI_VALUES), symbol=CLI_VALUES)
def test_cli_preview_errors_are_one_line(quantity: str, stop: str, limit: str | None, symbol: str) -> None:
    """Whatever the values, preview prints a request (exit 0) or one line on stderr (exit 2), no traceback."""
    argv = ["preview", "pacifica", "--kind", "stop" if limit is None else "stop-limit", "--symbol", symbol,
            "--side", "sell", "--quantity", quantity, "--stop-price", stop, "--position-effect", "close"]  # fmt: skip
    if limit is not None:
        argv += ["--limit-price", limit]
    err, out = io.StringIO(), io.StringIO()
    env = {"PACIFICA_PRIVATE_KEY": bytes(range(32)).hex()}
    with pytest.MonkeyPatch.context() as patch, contextlib.redirect_stderr(err), contextlib.redirect_stdout(out):
        for key, value in env.items():
            patch.setenv(key, value)
        try:
            code = main(argv)
        except SystemExit as exc:
            code = exc.code  # type: ignore[assignment]
    if code == 0:
        assert json.loads(out.getvalue())["method"] == "POST"
    else:
        assert code == 2
        assert err.getvalue().count("\n") == 1, err.getvalue()
        assert "Traceback" not in err.getvalue()
