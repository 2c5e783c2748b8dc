"""B2TRADER (B2Broker) venue plugin: SPOT stop-market and stop-limit orders.

Registered under the ``stopkit.venues`` entry point as ``b2trader = "stopkit_venues.b2trader:VENUE"``.
Docs: https://api-docs.b2trader.b2broker.com/rest-api; evidence ledger: docs/venues/b2trader.md.
"""

from __future__ import annotations

from stopkit_venues.b2trader.adapter import B2TraderAdapter

__all__ = ["VENUE"]

VENUE = B2TraderAdapter()
"""The adapter object the entry point loads."""
