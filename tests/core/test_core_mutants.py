"""Core: tests written to kill mutants that survived the suite (issue 12 item 9, issue 19), literal oracles.

Each test names the mutant(s) it kills (see ``python -m benchmarks.mutation report --survivors``).
"""

from __future__ import annotations

import json
import time
from collections.abc import Mapping
from decimal import Decimal
from email.utils import formatdate
from pathlib import Path
from typing import Any

import attrs
import nacl.signing
import pytest
import tenacity
from conftest import FakeAdapter, FakeBound

import stopkit
from stopkit import client as client_module
from stopkit import retry as retry_module
from stopkit.context import FrozenClock
from stopkit.errors import AuthenticationError, ConfigurationError, RateLimited, RemoteError, VenueUnavailable
from stopkit.orders import OrderKind, Side
from stopkit.outcomes import BoundedMap
from stopkit.retry import ReconnectPolicy, RetryPolicy, run_with_retry
from stopkit.signing import Ed25519Signer
from stopkit.state import OrderState, OrderStatus
from stopkit.testing import MockTransport
from stopkit.validate import parse_decimal_text
from stopkit.venue import BoundVenue, Credentials
from stopkit.wire import HttpRequest, HttpResponse, compact_json, masked_headers

FAST = RetryPolicy(max_attempts=3, backoff=False, timeout_s=1)


def _secret64(seed: bytes) -> list[int]:
    return list(seed + bytes(nacl.signing.SigningKey(seed).verify_key))


def test_keypair_bytes_may_be_255() -> None:
    """Kills `0 <= v <= 255` → `< 255`: a keypair holding the byte 255 is accepted (seed of 0xff bytes)."""
    seed = b"\xff" * 32
    signer = Ed25519Signer.from_key(json.dumps(_secret64(seed)))
    assert signer.public_key == Ed25519Signer.from_seed(seed).public_key
    for bad in ([256, *_secret64(seed)[1:]], [-1, *_secret64(seed)[1:]], [True, *_secret64(seed)[1:]]):
        with pytest.raises(ConfigurationError, match=r"64 integers 0\.\.255"):
            Ed25519Signer.from_key(json.dumps(bad), name="KEY")


def test_keypair_errors_name_the_setting_and_what_is_wrong(tmp_path: Path) -> None:
    """Kills the messages of the keypair path becoming None and `name=None` passed on: each error says which
    setting and why (unreadable file, not JSON, public half not matching)."""
    with pytest.raises(ConfigurationError, match=r"^MY_KEY: cannot read keypair file \("):
        Ed25519Signer._from_keypair_json(str(tmp_path / "missing.json"), name="MY_KEY")
    junk = tmp_path / "id.json"
    junk.write_text("[not json", encoding="utf-8")
    with pytest.raises(ConfigurationError, match=r"^MY_KEY: keypair file is not JSON$"):
        Ed25519Signer.from_key(str(junk), name="MY_KEY")
    forged = _secret64(b"\x01" * 32)[:32] + _secret64(b"\x02" * 32)[32:]
    with pytest.raises(ConfigurationError, match=r"^MY_KEY: the public half of the 64-byte secret key"):
        Ed25519Signer.from_key(json.dumps(forged), name="MY_KEY")


# -- the client's clock correction, token refresh, stream regression; retry waits ------------------


class _Bound(FakeBound):
    # The fake venue, where a 400 saying "expired" refuses a stale signature and 401/403 refuse a token.
    def classify_error(self, response: HttpResponse, *, writes: bool = False) -> RemoteError:
        if response.status == 400 and b"expired" in response.body:
            return AuthenticationError("expired", venue="fakevenue", http_status=400, stale_timestamp=True,
                                       retryable=True)  # fmt: skip
        if response.status in (401, 403):
            return AuthenticationError("refused", venue="fakevenue", http_status=response.status)
        return super().classify_error(response, writes=writes)


class _Adapter(FakeAdapter):
    def bind(self, credentials: Credentials, config: Mapping[str, Any] | None = None) -> BoundVenue:
        return _Bound(self, token_auth=bool((config or {}).get("token_auth")))


@pytest.mark.parametrize(("clock_ms", "venue_s", "offset"), [
    (1_750_000_000_500, 1_750_000_002, 1_500),  # exactly the tolerance: adopted
    (1_750_000_000_501, 1_750_000_002, 0),  # 1.499 s: within the tolerance, ignored
    (1_750_000_000_000, 1_750_000_002, 2_000),  # 2 s (a 15 s tolerance would ignore it)
    (1_750_000_000_000, 1_749_999_998, -2_000),  # behind
])  # fmt: skip
async def test_clock_skew_tolerance_is_one_and_a_half_seconds(clock_ms: int, venue_s: int, offset: int) -> None:
    """Kills CLOCK_SKEW_TOLERANCE_MS 1_500 → 15_000 / 1_501 and `>=` → `>`: offsets from the Date header of an
    expired-signature refusal are adopted from 1.5 s on, and the read is sent again re-stamped."""
    answers = iter([
        HttpResponse(status=400, headers={"Date": formatdate(venue_s, usegmt=True)}, body=b'{"error": "expired"}'),
        HttpResponse(status=200, body=b'{"status": "accepted"}'),
    ])  # fmt: skip
    transport = MockTransport(lambda request: next(answers))
    async with stopkit.connect(
        _Adapter(), credentials={}, transport=transport, clock=FrozenClock(clock_ms), retry=FAST
    ) as client:
        state = await client.get(venue_order_id="7")
        assert client.clock_offset_ms == offset
    assert state.status is OrderStatus.ACCEPTED
    assert len(transport.sent) == 2


async def test_a_403_is_not_cured_by_a_new_token() -> None:
    """Kills `http_status == 401` → `!= 401`/`in (401, 403)`: a 403 (scope, account) fetches no new token."""

    def handler(request: HttpRequest) -> HttpResponse:
        if request.url.endswith("/token"):
            return HttpResponse(status=200, body=json.dumps({"token": "T", "expires_in": 3600}).encode())
        return HttpResponse(status=403, body=b"{}")

    transport = MockTransport(handler)
    async with stopkit.connect(
        _Adapter(), credentials={}, config={"token_auth": True}, transport=transport, retry=FAST
    ) as client:
        with pytest.raises(AuthenticationError) as info:
            await client.get(venue_order_id="7")
    assert info.value.http_status == 403
    assert info.value.token_refreshed is False
    assert [r.url.rsplit("/", 1)[-1] for r in transport.sent].count("token") == 1  # the first token only


def _state(status: OrderStatus, filled: str = "0") -> OrderState:
    return OrderState(venue="v", venue_order_id="1", client_order_id=None, symbol="X", side=Side.SELL,
                      kind=OrderKind.STOP_LIMIT, status=status, venue_status=status.value, quantity=Decimal(1),
                      filled_quantity=Decimal(filled), stop_price=Decimal(10), limit_price=Decimal(9))  # fmt: skip


@pytest.mark.parametrize(("previous", "new", "regresses"), [
    (_state(OrderStatus.PARTIALLY_FILLED, "0.5"), _state(OrderStatus.PARTIALLY_FILLED, "0.4"), True),  # fewer fills
    (_state(OrderStatus.PARTIALLY_FILLED, "0.5"), _state(OrderStatus.PARTIALLY_FILLED, "0.5"), False),
    (_state(OrderStatus.PARTIALLY_FILLED, "0.5"), _state(OrderStatus.FILLED, "1"), False),
    (_state(OrderStatus.FILLED, "1"), _state(OrderStatus.PARTIALLY_FILLED, "1"), True),  # un-finished
    (_state(OrderStatus.CANCELED, "0.2"), _state(OrderStatus.FILLED, "0.3"), False),  # terminal, more fills
    (_state(OrderStatus.CANCELED, "0.2"), _state(OrderStatus.FILLED, "0.2"), True),  # terminal, same fills
    (_state(OrderStatus.TRIGGERED), _state(OrderStatus.ACCEPTED), True),  # un-triggered
    (_state(OrderStatus.TRIGGERED), _state(OrderStatus.TRIGGERED), False),
    (_state(OrderStatus.TRIGGERED), _state(OrderStatus.CANCELED), False),
    (_state(OrderStatus.ACCEPTED), _state(OrderStatus.TRIGGERED), False),
])  # fmt: skip
def test_a_stream_state_that_is_older_news_is_recognised(
    previous: OrderState, new: OrderState, regresses: bool
) -> None:
    """Kills the regression check's mutants (fewer fills, un-finished, un-triggered; `<` → `<=`, `and` → `or`)."""
    assert client_module._regresses(previous, new) is regresses


@pytest.mark.parametrize("field", ["status", "filled_quantity", "quantity", "stop_price", "limit_price"])
def test_stream_states_differing_in_any_compared_field_are_not_the_same(field: str) -> None:
    """Kills a field dropped from `_same_state`: each of status, fills, size and prices counts."""
    base = _state(OrderStatus.PARTIALLY_FILLED, "0.5")
    other = {"status": OrderStatus.TRIGGERED, "filled_quantity": Decimal("0.6"), "quantity": Decimal(2),
             "stop_price": Decimal(11), "limit_price": Decimal(8)}[field]  # fmt: skip
    assert client_module._same_state(base, base)
    assert not client_module._same_state(base, attrs.evolve(base, **{field: other}))
    assert client_module._same_state(base, attrs.evolve(base, venue_status="something else", raw={"x": 1}))


async def test_retry_after_is_honoured_on_every_retry() -> None:
    """Kills Retry-After being ignored from the second retry on: three 429s of 0.15 s wait at least 0.45 s
    (backoff itself is zero here, so only Retry-After can make the waits; a loaded machine only adds time)."""
    calls: list[int] = []

    async def attempt(number: int) -> str:
        calls.append(number)
        if number <= 3:
            raise RateLimited("slow", retry_after_s=0.15)
        return "ok"

    policy = RetryPolicy(max_attempts=4, backoff_initial_s=0.0, backoff_max_s=0.0)
    started = time.monotonic()
    assert await run_with_retry(policy, attempt, writes=True) == "ok"
    assert time.monotonic() - started >= 0.45
    assert calls == [1, 2, 3, 4]


def _retry_state(exc: BaseException | None) -> tenacity.RetryCallState:
    state = tenacity.RetryCallState(retry_object=None, fn=None, args=(), kwargs={})  # type: ignore[arg-type]
    if exc is not None:
        state.set_exception((type(exc), exc, None))
    return state


def test_the_waits_between_attempts() -> None:
    """Kills the wait rules' mutants: no backoff → 0; Retry-After capped by total_timeout_s; else jitter within
    the configured bounds (first wait up to backoff_initial_s)."""
    limited = RateLimited("slow", retry_after_s=3.0)
    policy = RetryPolicy(total_timeout_s=2.0, backoff_initial_s=0.5, backoff_max_s=0.75)
    assert retry_module._wait(policy)(_retry_state(limited)) == 2.0
    assert retry_module._first_wait_s(policy, limited) == 2.0
    roomy = RetryPolicy(total_timeout_s=30.0)
    assert retry_module._wait(roomy)(_retry_state(limited)) == 3.0
    assert retry_module._first_wait_s(roomy, limited) == 3.0
    off = RetryPolicy(backoff=False)
    assert retry_module._wait(off)(_retry_state(limited)) == 0.0
    assert retry_module._first_wait_s(off, limited) == 0.0
    other = VenueUnavailable("down")
    waits = [retry_module._first_wait_s(policy, other) for _ in range(200)]
    assert all(0 <= w <= 0.5 for w in waits)
    assert max(waits) > 0.25  # drawn over the whole range, not a constant
    later = [retry_module._wait(policy)(_retry_state(other)) for _ in range(200)]
    assert all(0 <= w <= 0.75 for w in later)
    assert retry_module._wait(policy)(_retry_state(RateLimited("no header"))) <= 0.75


def test_reconnect_policy_delays_and_giving_up() -> None:
    """Kills ReconnectPolicy's mutants (no test reached them): exponential, capped, jittered downwards only."""
    exact = ReconnectPolicy(initial_s=0.5, max_s=3.0, factor=2.0, jitter=0.0, max_failures=3)
    assert [exact.delay_s(n) for n in (-1, 0, 1, 2, 3, 10)] == [0.5, 0.5, 1.0, 2.0, 3.0, 3.0]
    assert [exact.gives_up(n) for n in (0, 2, 3, 4)] == [False, False, True, True]
    assert not ReconnectPolicy(max_failures=None).gives_up(10**6)
    jittered = ReconnectPolicy(initial_s=1.0, max_s=10.0, factor=3.0, jitter=0.5)
    draws = [jittered.delay_s(1) for _ in range(200)]
    assert all(1.5 <= d <= 3.0 for d in draws)
    assert min(draws) < 2.0
    assert max(draws) > 2.5


def test_a_client_order_id_of_64_characters_is_accepted_and_65_refused() -> None:
    """Kills max_length 64 → 63/65 and `len > max` → `>=` for client order ids, in the model and the client's refs."""
    ok, long = "a" * 64, "a" * 65
    order = stopkit.StopOrder(symbol="X", side="sell", quantity=1, stop_price=1, client_order_id=ok)
    assert order.client_order_id == ok
    with pytest.raises(stopkit.InvalidOrder) as info:
        stopkit.StopOrder(symbol="X", side="sell", quantity=1, stop_price=1, client_order_id=long)
    assert info.value.field == "client_order_id"
    assert client_module._order_ref(None, ok, None).client_order_id == ok
    with pytest.raises(stopkit.InvalidArgument) as arg:
        client_module._order_ref(None, long, None)
    assert arg.value.field == "client_order_id"


# -- outcomes.BoundedMap, wire ------------------------------------------------------------------


def test_bounded_map_forgets_the_least_recently_written_beyond_capacity() -> None:
    """Kills BoundedMap's mutants: capacity kept, a re-put moves a key to the newest end, eviction oldest first,
    exactly down to capacity, put_all puts every key with the value."""
    memory = BoundedMap(3)
    assert memory.capacity == 3
    for key in "abc":
        memory.put(key, key.upper())
    assert list(memory.items()) == [("a", "A"), ("b", "B"), ("c", "C")]
    memory.put("a", "A2")  # refreshed: now the newest
    memory.put("d", "D")  # evicts b, the oldest
    assert list(memory.items()) == [("c", "C"), ("a", "A2"), ("d", "D")]
    memory.put_all(["e", "c"], "X")
    assert list(memory.items()) == [("d", "D"), ("e", "X"), ("c", "X")]
    assert len(memory) == 3


def test_request_json_and_repr() -> None:
    """Kills HttpRequest.json/__repr__ mutants: no body → None; a body is shown unless sensitive, then masked."""
    plain = HttpRequest(method="POST", url="https://x.invalid/a", body=b'{"a":1}')
    assert plain.json() == {"a": 1}
    assert HttpRequest(method="GET", url="https://x.invalid/a").json() is None
    assert "body=b'{\"a\":1}'" in repr(plain)
    secret = HttpRequest(method="POST", url="https://x.invalid/t", body=b"secret=xyz", sensitive_body=True)
    assert "xyz" not in repr(secret)
    assert "body=<10 bytes masked>" in repr(secret)
    assert "body=None" in repr(HttpRequest(method="GET", url="https://x.invalid/a", sensitive_body=True))


def test_a_string_holding_the_decimal_placeholder_is_refused() -> None:
    """Kills the refusal's message mutants: the error says why (the reserved placeholder text)."""
    with pytest.raises(ValueError, match=r"^a JSON string holds stopkit's reserved decimal placeholder text$"):
        compact_json({"a": Decimal(1), "b": "\x00stopkit-decimal-0\x00"})


@pytest.mark.parametrize(
    ("value", "masked"),
    [
        ("Bearer abc", "Bearer ***"),
        ("Bearer a b c", "Bearer ***"),  # the scheme is the first word only
        ("BASIC dXNlcjpwYXNz", "BASIC ***"),  # any case of the scheme
        ("basic x", "basic ***"),
        ("Bearer", "***"),  # a lone word is all secret
        ("Token abc", "***"),  # other schemes: all of it
        ("abc", "***"),
    ],
)
def test_authorization_values_are_masked_keeping_only_a_known_scheme(value: str, masked: str) -> None:
    """Kills _mask_value's mutants (partition → rpartition, `and` → `or`, the scheme names)."""
    assert masked_headers({"Authorization": value, "Accept": "application/json"}) == {
        "Authorization": masked,
        "Accept": "application/json",
    }


def test_an_unreadable_decimal_text_is_quoted_up_to_80_characters() -> None:
    """Kills `text[:80]` → `text[:81]` in the decimal-text refusal (the message quotes at most 80 characters)."""
    text = "x" * 100
    with pytest.raises(stopkit.InvalidOrder) as info:
        parse_decimal_text(text, field="price")
    assert info.value.message == f"price is not a decimal number: {'x' * 80!r}"


async def test_acknowledging_a_settled_write_twice_is_harmless() -> None:
    """Kills `self._writes.pop(record.id, None)` → `pop(record.id)`: a second acknowledge of the same record
    raises nothing, and the record is gone from pending()."""
    transport = MockTransport(lambda request: HttpResponse(status=503, body=b"down"))
    order = stopkit.StopOrder(symbol="X", side="sell", quantity=1, stop_price=10)
    async with stopkit.connect(FakeAdapter(), credentials={}, transport=transport, retry=FAST) as client:
        with pytest.raises(VenueUnavailable):
            await client.place(order)
        (record,) = client.pending()
        assert (record.operation, record.outcome.name) == ("place", "UNKNOWN")
        client.acknowledge(record)
        client.acknowledge(record)
        assert client.pending() == []
