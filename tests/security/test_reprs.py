"""Every repr masks secret-bearing values: flow steps (whose build/parse are bound to credentials and
tokens), requests, tokens, pending writes."""

from __future__ import annotations

import contextlib
from decimal import Decimal

import stopkit
from stopkit import AccessToken, RequestContext, StopOrder
from stopkit.venue import OrderRef

API_KEY = "PF-API-KEY-SECRET-0123456789"
REFRESH = "REFRESH-TOKEN-SECRET-0123456789"
BEARER = "BEARER-TOKEN-SECRET-0123456789"


def _reprs(bound: stopkit.plugin.BoundVenue, order: StopOrder) -> str:
    token = AccessToken(BEARER, refresh_token=REFRESH)
    ctx = RequestContext(now_ms=1_767_225_600_000, access_token=token)
    ref = OrderRef(venue_order_id="1", client_order_id=order.client_order_id, symbol=order.symbol)
    texts = []
    exchanges = [bound.token_exchange(token), bound.token_exchange(None)]
    for flow in (bound.place_flow(order), bound.get_flow(ref), bound.cancel_flow(ref)):
        with contextlib.suppress(StopIteration, stopkit.StopkitError):
            exchanges.append(next(flow))
    for exchange in exchanges:
        if exchange is not None:
            texts.append(repr(exchange))
            with contextlib.suppress(stopkit.StopkitError):
                request = exchange.build(ctx)
                texts += [repr(request), str(request), repr(request.masked_headers())]
    return "\n".join(texts)


def test_pacifica_api_key_is_in_no_repr() -> None:
    """Pacifica's PF-API-KEY rides in a header of every request: no exchange or request repr shows it."""
    sim = stopkit.get_venue("pacifica").simulator()
    assert sim is not None
    credentials = {**sim.demo_credentials(), "PACIFICA_API_KEY": API_KEY}
    bound = stopkit.bind("pacifica", credentials=credentials, config={"base_url": "https://api.pacifica.fi"})
    order = StopOrder(symbol="BTC", side="sell", quantity=Decimal("0.1"), stop_price=48000, position_effect="close")
    text = _reprs(bound, order)
    assert "Exchange(" in text
    assert API_KEY not in text
    assert API_KEY not in repr(bound)


def test_aries_refresh_and_bearer_tokens_are_in_no_repr() -> None:
    """Aries' refresh token (bound into the token exchange) and bearer token appear in no repr."""
    credentials = {
        "ARIES_CLIENT_ID": "cid",
        "ARIES_CLIENT_SECRET": "CLIENT-SECRET-0123456789",
        "ARIES_ACCOUNT_ID": "A1",
    }
    bound = stopkit.bind("aries", credentials=credentials)
    order = StopOrder(symbol="AAPL", side="sell", quantity=1, stop_price=145, time_in_force="day")
    text = _reprs(bound, order)
    assert "Exchange(" in text
    for secret in (REFRESH, BEARER, "CLIENT-SECRET-0123456789"):
        assert secret not in text
