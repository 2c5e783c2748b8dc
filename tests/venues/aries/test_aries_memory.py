"""Aries: what the bound venue remembers of its orders (client order ids, replace chains, creation times)."""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

import pytest

from stopkit.orders import OrderKind, Side
from stopkit.state import OrderState, OrderStatus
from stopkit_venues.aries.constants import CHAIN_FIELD
from stopkit_venues.aries.memory import OrderMemory


def _state(venue_id: str, client_id: str | None = None, created_s: int | None = None, **raw: Any) -> OrderState:
    return OrderState(
        venue="aries",
        venue_order_id=venue_id,
        client_order_id=client_id,
        symbol="AAPL",
        side=Side.SELL,
        kind=OrderKind.STOP_MARKET,
        status=OrderStatus.ACCEPTED,
        venue_status="NEW",
        quantity=Decimal(1),
        created_at=None if created_s is None else datetime.fromtimestamp(created_s, tz=UTC),
        raw=raw,
    )


def test_chains_client_ids_and_creation_merge() -> None:
    """A placement, then its replacement: every id of the chain and our client order id lead to one entry,
    the newest clOrdId last, the earliest creation time kept."""
    memory = OrderMemory()
    memory.record(_state("A", "mine", created_s=1_000))
    memory.record(_state("B", created_s=2_000, **{CHAIN_FIELD: ["A", "B"]}))
    for key in (memory.by_venue_order_id("A"), memory.by_venue_order_id("B"), memory.by_client_order_id("mine")):
        assert key is not None
        assert (key.chain, key.current, key.client_order_id, key.created_ms) == (["A", "B"], "B", "mine", 1_000_000)
    assert memory.by_venue_order_id("Z") is None
    assert memory.by_client_order_id("other") is None


def test_a_client_order_id_is_never_overwritten() -> None:
    """Once an order has our client order id, a later sighting with another one does not replace it."""
    memory = OrderMemory()
    memory.record(_state("A", "first"))
    memory.record(_state("A", "second"))
    known = memory.by_venue_order_id("A")
    assert known is not None
    assert known.client_order_id == "first"


def test_memory_is_bounded_least_recently_used_first() -> None:
    """At most `capacity` keys are kept; the least recently used are forgotten first."""
    memory = OrderMemory(capacity=4)
    memory.record(_state("A", "a"))  # 2 keys
    memory.record(_state("B", "b"))  # 4 keys
    assert memory.by_venue_order_id("A") is not None  # touch A
    memory.record(_state("C", "c"))  # evicts B's two keys
    assert len(memory) == 4
    assert memory.by_venue_order_id("B") is None
    assert memory.by_client_order_id("b") is None
    assert memory.by_venue_order_id("A") is not None
    assert memory.by_client_order_id("c") is not None
    with pytest.raises(ValueError, match="positive"):
        OrderMemory(capacity=0)


def test_states_without_an_id_are_ignored() -> None:
    """A state without a venue order id teaches nothing."""
    memory = OrderMemory()
    assert memory.record(_no_id()) is None
    assert len(memory) == 0


def _no_id() -> OrderState:
    import attrs

    return attrs.evolve(_state("A"), venue_order_id=None)
