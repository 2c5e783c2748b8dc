"""stopkit's conformance kit, run against the alpaca plugin (and its own simulator)."""

from __future__ import annotations

from stopkit.testing.conformance import VenueConformance

from stopkit_alpaca.mapping import (
    DOCUMENTED_SIDES,
    DOCUMENTED_STATUSES,
    DOCUMENTED_TIME_IN_FORCE,
    DOCUMENTED_TYPES,
    ORDER_STATUS,
    SIDE_FROM_VENUE,
    TIF_FROM_VENUE,
    TYPE_TO_KIND,
    UNMAPPED_TIME_IN_FORCE,
    UNMAPPED_TYPES,
)


class TestAlpacaConformance(VenueConformance):
    """The kit's checks for the registered venue ``alpaca``."""

    venue = "alpaca"
    enum_tables = {  # noqa: RUF012  # the kit's documented class attribute
        "status": (DOCUMENTED_STATUSES, ORDER_STATUS, ()),
        "side": (DOCUMENTED_SIDES, SIDE_FROM_VENUE, ()),
        "type": (DOCUMENTED_TYPES, TYPE_TO_KIND, UNMAPPED_TYPES),
        "time_in_force": (DOCUMENTED_TIME_IN_FORCE, TIF_FROM_VENUE, UNMAPPED_TIME_IN_FORCE),
    }
