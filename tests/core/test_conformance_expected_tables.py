"""The conformance kit compares a declared expected table with the adapter's, value by value."""

from __future__ import annotations

from typing import ClassVar

import pytest

from stopkit.state import OrderStatus
from stopkit.testing.conformance import VenueConformance

DOCUMENTED = {"NEW": OrderStatus.ACCEPTED, "DONE_FOR_DAY": OrderStatus.ACCEPTED, "EXPIRED": OrderStatus.EXPIRED}
Tables = dict[str, tuple[dict[str, object], dict[str, object]]]


def _kit(table: dict[str, object]) -> VenueConformance:
    class Kit(VenueConformance):
        venue = "unused: the table test needs no venue"
        expected_tables: ClassVar[Tables] = {"ordStatus": (table, dict(DOCUMENTED))}

    return Kit()


def test_an_identical_table_passes() -> None:
    """A table equal to the expected one, key and value, passes."""
    _kit(dict(DOCUMENTED)).test_enum_tables_hold_the_expected_values()


@pytest.mark.parametrize(
    ("table", "message"),
    [
        ({**DOCUMENTED, "DONE_FOR_DAY": OrderStatus.EXPIRED}, "DONE_FOR_DAY"),  # same keys, one value drifted
        ({k: v for k, v in DOCUMENTED.items() if k != "NEW"}, "NEW"),  # a key missing
        ({**DOCUMENTED, "STOPPED": OrderStatus.ACCEPTED}, "STOPPED"),  # a key not expected
    ],
    ids=["value", "missing", "extra"],
)
def test_a_drifted_value_or_key_fails(table: dict[str, object], message: str) -> None:
    """A value that drifted, a key missing or a key added fails, naming the key."""
    with pytest.raises(AssertionError, match=message):
        _kit(table).test_enum_tables_hold_the_expected_values()


def test_a_missing_key_fails_even_when_none_is_expected() -> None:
    """An expected value of None is not satisfied by an absent key."""

    class Kit(VenueConformance):
        venue = "unused"
        expected_tables: ClassVar[Tables] = {"event": ({}, {"fulfill_market": None})}

    with pytest.raises(AssertionError, match="fulfill_market"):
        Kit().test_enum_tables_hold_the_expected_values()
