"""Each built-in venue's client-side budget is its documented limit (or a safe assumed one), and configurable."""

from __future__ import annotations

from decimal import Decimal

import pytest

import stopkit
from stopkit.signing import Ed25519Signer
from stopkit.venue import OrderRef

PACIFICA_KEY = bytes(range(32)).hex()


def _pacifica(**config: object) -> stopkit.plugin.BoundVenue:
    creds = {"PACIFICA_PRIVATE_KEY": PACIFICA_KEY, **config.pop("creds", {})}  # type: ignore[dict-item]
    return stopkit.bind("pacifica", credentials=creds, config=config)


def test_pacifica_credits_and_costs() -> None:
    """100 credits per 60 s, 300 with a PF-API-KEY; open orders cost 1 (CCXT weights; order history, the
    heavy read, is weighed in tests/venues/pacifica), a cancel 0.5, a place 1 (after a market-info read of 1)."""
    plain, keyed = _pacifica(), _pacifica(creds={"PACIFICA_API_KEY": "cfg-key"})
    assert plain.rate_limit is not None
    assert (plain.rate_limit.capacity, plain.rate_limit.window_s) == (100, 60)
    assert keyed.rate_limit is not None
    assert keyed.rate_limit.capacity == 300
    assert _pacifica(rate_limit_credits="1250").rate_limit.capacity == 1250  # type: ignore[union-attr]
    assert next(plain.open_orders_flow()).cost == 1
    assert next(keyed.open_orders_flow()).cost == 1
    cancel = next(plain.cancel_flow(OrderRef(venue_order_id="5", symbol="BTC")))
    assert cancel.cost == 0.5
    order = stopkit.StopOrder(symbol="BTC", side="sell", quantity=Decimal("0.1"), stop_price=48000)
    place = plain.place_flow(order)
    assert next(place).cost == 1  # GET /api/v1/info
    assert place.send({"BTC": {"symbol": "BTC", "tick_size": "1", "lot_size": "0.00001"}}).cost == 1
    assert Ed25519Signer.from_key(PACIFICA_KEY).public_key_b58 == plain.account  # type: ignore[attr-defined]


@pytest.mark.parametrize(
    ("venue", "credentials", "default"),
    [
        ("aries", {"ARIES_ACCESS_TOKEN": "t", "ARIES_ACCOUNT_ID": "ACC1"}, 5.0),
        (
            "b2trader",
            {"B2TRADER_API_TOKEN": "t", "B2TRADER_ACCOUNT_ID": "A1", "B2TRADER_BASE_URL": "https://b.invalid"},
            1.0,
        ),
    ],
)
def test_requests_per_second_defaults_and_config(venue: str, credentials: dict[str, str], default: float) -> None:
    """The safe assumed default per second, and the requests_per_s config key."""
    limit = stopkit.bind(venue, credentials=credentials).rate_limit
    assert limit is not None
    assert limit.capacity / limit.window_s == default
    raised = stopkit.bind(venue, credentials=credentials, config={"requests_per_s": "50"}).rate_limit
    assert raised is not None
    assert raised.capacity / raised.window_s == 50
    with pytest.raises(stopkit.ConfigurationError):
        stopkit.bind(venue, credentials=credentials, config={"requests_per_s": "0"})
