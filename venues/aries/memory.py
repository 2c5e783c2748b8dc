"""What this bound venue has seen of its orders: replace chains, our client order ids, creation times.

Aries stores no client order id (``clientId`` on an order is the "OAuth client / application
identifier that submitted the order", SDK ``models/tradeorderv2.py``), assigns ``clOrdId`` itself and
changes it on every replace, and filters its history by creation time (SDK ``orders.py``
``list_order_history``: "Results are ordered and filtered by ``order_created_at``"). So three
facts about an order can only come from what this client saw, in this process:

- our ``client_order_id`` ↔ the order's ``clOrdId`` (a lookup by client order id needs it);
- every ``clOrdId`` of its replace chain (history leaves out SUPERSEDED records, so an old id
  cannot be followed to the new one there);
- when it was created (a history lookup starts there instead of at a fixed horizon).

Nothing here does I/O; the flows read and update it. It is bounded (least recently used entries
are forgotten first), so a long-running process does not grow without limit.
"""

from __future__ import annotations

from collections import OrderedDict
from collections.abc import Sequence

import attrs

from stopkit.plugin import OrderState
from stopkit_venues.aries.constants import CHAIN_FIELD

__all__ = ["KnownOrder", "OrderMemory"]


@attrs.define
class KnownOrder:
    """One order as this client saw it.

    Fields: ``chain`` (every ``clOrdId``, oldest first; the last is the current one);
    ``client_order_id`` (ours, when this client placed it); ``created_ms`` (Unix ms of its
    creation as the venue reported it, ``None`` when unknown).
    """

    chain: list[str]
    client_order_id: str | None = None
    created_ms: int | None = None

    @property
    def current(self) -> str:
        """The newest ``clOrdId``."""
        return self.chain[-1]


def _chain_of(state: OrderState) -> list[str]:
    # The state's clOrdId chain: raw[CHAIN_FIELD] (after a modify) or just its venue order id.
    chain = state.raw.get(CHAIN_FIELD)
    ids = [str(x) for x in chain if x] if isinstance(chain, Sequence) and not isinstance(chain, str) else []
    if state.venue_order_id and (not ids or ids[-1] != state.venue_order_id):
        ids.append(state.venue_order_id)
    return ids


class OrderMemory:
    """A bounded map from ``clOrdId``s and our client order ids to :class:`KnownOrder` (LRU).

    Args:
        capacity: at most this many ids and client order ids are remembered.
    """

    def __init__(self, capacity: int = 10_000) -> None:
        if capacity < 1:
            raise ValueError("capacity must be positive")
        self.capacity = capacity
        self._index: OrderedDict[str, KnownOrder] = OrderedDict()

    def __len__(self) -> int:
        return len(self._index)

    @staticmethod
    def _keys(known: KnownOrder) -> list[str]:
        # Every index key of an entry: its clOrdIds and our client order id.
        keys = ["v:" + cl_ord_id for cl_ord_id in known.chain]
        if known.client_order_id:
            keys.append("c:" + known.client_order_id)
        return keys

    def _touch(self, known: KnownOrder) -> None:
        # Mark an entry (all of its keys) as the most recently used.
        for key in self._keys(known):
            self._index[key] = known
            self._index.move_to_end(key)

    def _get(self, key: str) -> KnownOrder | None:
        known = self._index.get(key)
        if known is not None:
            self._touch(known)
        return known

    def by_venue_order_id(self, cl_ord_id: str) -> KnownOrder | None:
        """The order one of whose ``clOrdId`` s is ``cl_ord_id``, or ``None``."""
        return self._get("v:" + cl_ord_id)

    def by_client_order_id(self, client_order_id: str) -> KnownOrder | None:
        """The order this client placed as ``client_order_id``, or ``None``."""
        return self._get("c:" + client_order_id)

    def record(self, state: OrderState) -> KnownOrder | None:
        """Remember ``state`` (merged with what is known of its chain or client order id); returns the entry."""
        chain = _chain_of(state)
        if not chain:
            return None
        known: KnownOrder | None = None
        for cl_ord_id in reversed(chain):
            known = known or self._index.get("v:" + cl_ord_id)
        if known is None and state.client_order_id:
            known = self._index.get("c:" + state.client_order_id)
        if known is None:
            known = KnownOrder(chain=list(chain))
        else:
            for cl_ord_id in chain:
                if cl_ord_id not in known.chain:
                    known.chain.append(cl_ord_id)
        if state.client_order_id and known.client_order_id is None:
            known.client_order_id = state.client_order_id
        if state.created_at is not None:
            created_ms = int(state.created_at.timestamp() * 1000)
            if known.created_ms is None or created_ms < known.created_ms:
                known.created_ms = created_ms
        self._touch(known)
        while len(self._index) > self.capacity:
            self._index.popitem(last=False)
        return known
