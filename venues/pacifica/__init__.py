"""Pacifica (Solana perpetuals DEX): stop-market and stop-limit orders, Ed25519-signed.

``VENUE`` is registered under the ``stopkit.venues`` entry point as ``pacifica``.
Docs: https://docs.pacifica.fi/api-documentation/api/rest-api/orders/create-stop-order.
"""

from __future__ import annotations

from stopkit_venues.pacifica.adapter import PacificaAdapter, PacificaVenue

__all__ = ["VENUE", "PacificaAdapter", "PacificaVenue"]

VENUE = PacificaAdapter()
