"""The three built-in venues pass the same conformance kit a third-party plugin runs."""

from __future__ import annotations

from stopkit.testing.conformance import VenueConformance


class TestPacificaConformance(VenueConformance):
    venue = "pacifica"


class TestAriesConformance(VenueConformance):
    venue = "aries"


class TestB2TraderConformance(VenueConformance):
    venue = "b2trader"
