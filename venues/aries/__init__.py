"""Aries (finance.dev) venue adapter: US equities, OAuth2 bearer token.

``VENUE`` is registered under the ``stopkit.venues`` entry point ``aries``.
Sheet: ``venues/aries.md``; docs: https://finance.dev/api-reference.
"""

from __future__ import annotations

from venues.aries.adapter import AriesAdapter, AriesBoundVenue, AriesConfig

__all__ = ["VENUE", "AriesAdapter", "AriesBoundVenue", "AriesConfig"]

VENUE = AriesAdapter()
"""The adapter object registered as ``aries``."""
