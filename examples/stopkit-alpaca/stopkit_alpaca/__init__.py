"""stopkit-alpaca: Alpaca Trading API stop and stop-limit orders as a stopkit venue plugin.

``VENUE`` is registered under the ``stopkit.venues`` entry point ``alpaca`` by this
distribution's ``pyproject.toml``. Built only on :mod:`stopkit.plugin`.
Docs: https://docs.alpaca.markets/reference/postorder (more in ``constants.py``).
"""

from __future__ import annotations

from stopkit_alpaca.adapter import AlpacaAdapter, AlpacaBoundVenue, AlpacaConfig

__all__ = ["VENUE", "AlpacaAdapter", "AlpacaBoundVenue", "AlpacaConfig"]

VENUE = AlpacaAdapter()
"""The adapter object registered as ``alpaca``."""
