"""Aries (finance.dev) venue adapter: US equities, OAuth2 bearer token.

``VENUE`` is registered under the ``stopkit.venues`` entry point ``aries``.
Docs: https://finance.dev/api-reference; evidence ledger: ``docs/venues/aries.md``.
"""

from __future__ import annotations

from stopkit_venues.aries.adapter import AriesAdapter, AriesBoundVenue, AriesConfig

__all__ = ["VENUE", "AriesAdapter", "AriesBoundVenue", "AriesConfig"]

VENUE = AriesAdapter()
"""The adapter object registered as ``aries``."""
