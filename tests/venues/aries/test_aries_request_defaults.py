"""Aries request builders called with their defaults: a DAY order is sent as DAY unless extended hours are
asked for, an order without a share quantity cannot be built, and history windows are UTC whatever the
machine's time zone (https://finance.dev/api-reference/orders/place-order; SDK orders.py, history ``from``).
"""

from __future__ import annotations

import json
import time
from collections.abc import Iterator
from decimal import Decimal

import pytest
from aries_testdata import ACCOUNT, STATIC_TOKEN, stop_order

from stopkit.context import AccessToken, RequestContext
from stopkit.errors import ConfigurationError
from stopkit.orders import StopOrder
from stopkit_venues.aries import translate

CTX = RequestContext(now_ms=1_768_487_400_000, access_token=AccessToken(STATIC_TOKEN))


def test_a_day_order_is_sent_as_day_by_default() -> None:
    """Without extended_hours the builders send timeInForce DAY; with it, EXTENDED_HOURS."""
    order = stop_order()
    assert translate.venue_time_in_force(order) == "DAY"
    body = json.loads(translate.build_place_body(order, account_id=ACCOUNT, symbol="AAPL"))
    assert body["timeInForce"] == "DAY"
    request = translate.build_place_request(
        order, CTX, base_url="https://api.aries.com", account_id=ACCOUNT, symbol="AAPL"
    )
    assert request.body is not None
    assert json.loads(request.body)["timeInForce"] == "DAY"
    assert translate.venue_time_in_force(order, extended_hours=True) == "EXTENDED_HOURS"


def test_an_order_without_a_quantity_cannot_be_built() -> None:
    """A close-the-whole-position stop (no quantity) has no Aries form: building it is refused by venue."""
    order = StopOrder(symbol="AAPL", side="sell", quantity=None, stop_price=Decimal(145), position_effect="close")
    with pytest.raises(ConfigurationError) as info:
        translate.build_place_body(order, account_id=ACCOUNT, symbol="AAPL")
    assert (info.value.venue, info.value.message) == ("aries", "aries: quantity is required")


@pytest.fixture
def new_york_time() -> Iterator[None]:
    """The process runs with TZ=America/New_York for the test (restored after)."""
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("TZ", "America/New_York")
        time.tzset()
        try:
            yield
        finally:
            patch.undo()
            time.tzset()


@pytest.mark.usefixtures("new_york_time")
def test_times_are_written_in_utc_whatever_the_local_time_zone() -> None:
    """rfc3339_utc writes the UTC wall time with a Z, also on a machine set to New York time."""
    assert time.localtime(0).tm_hour == 19  # the zone is in effect: the epoch was 19:00 in New York
    assert translate.rfc3339_utc(1_768_487_400_999) == "2026-01-15T14:30:00Z"
