"""Alpaca request building: exact bytes, URLs and headers; the keys stay out of reprs."""

from __future__ import annotations

from decimal import Decimal

import pytest
import stopkit
from alpaca_testdata import CREDENTIALS, KEY_ID, SECRET_KEY, bound, stop_limit_order, stop_order
from stopkit.plugin import RequestContext

from stopkit_alpaca import translate

CTX = RequestContext(now_ms=1_768_487_400_000)


def test_alpaca_stop_limit_body_is_exact() -> None:
    """The documented-style stop-limit: decimal strings in canonical form, fields in order."""
    request = bound().build_place_request(stop_limit_order(), CTX)
    assert request.method == "POST"
    assert request.url == "https://paper-api.alpaca.markets/v2/orders"
    assert request.body == (
        b'{"symbol":"AAPL","qty":"10","side":"sell","type":"stop_limit","time_in_force":"day",'
        b'"stop_price":"145","limit_price":"144.5","client_order_id":"cid-stop-limit-1"}'
    )


def test_alpaca_stop_body_has_no_limit_price() -> None:
    """A stop (market) sends type stop and no limit_price; GTC is gtc; lower-case tickers are upper-cased."""
    request = bound().build_place_request(stop_order(symbol="aapl", side="buy", time_in_force="gtc"), CTX)
    assert request.json() == {
        "symbol": "AAPL",
        "qty": "10",
        "side": "buy",
        "type": "stop",
        "time_in_force": "gtc",
        "stop_price": "145",
        "client_order_id": "cid-stop-1",
    }


def test_alpaca_headers_carry_both_keys() -> None:
    """APCA-API-KEY-ID and APCA-API-SECRET-KEY are sent as given; JSON content type on bodies."""
    request = bound().build_place_request(stop_order(), CTX)
    assert dict(request.headers) == {
        "APCA-API-KEY-ID": KEY_ID,
        "APCA-API-SECRET-KEY": SECRET_KEY,
        "Content-Type": "application/json",
    }
    assert str(request.headers["APCA-API-SECRET-KEY"]) == SECRET_KEY


def test_alpaca_request_repr_masks_the_keys() -> None:
    """Neither key appears in the repr of a request or of the bound venue."""
    venue = bound()
    request = venue.build_place_request(stop_order(), CTX)
    for text in (repr(request), str(request), repr(venue), str(venue), repr(dict(request.headers))):
        assert SECRET_KEY not in text
        assert KEY_ID not in text


def test_alpaca_requests_are_deterministic() -> None:
    """The same order builds the same bytes at any time (no timestamp or nonce on the wire)."""
    venue = bound()
    first = venue.build_place_request(stop_order(), CTX)
    later = venue.build_place_request(stop_order(), RequestContext(now_ms=CTX.now_ms + 3_600_000, attempt=2))
    assert (first.method, first.url, dict(first.headers), first.body) == (
        later.method,
        later.url,
        dict(later.headers),
        later.body,
    )


@pytest.mark.parametrize(
    ("config", "url"),
    [
        ({}, "https://paper-api.alpaca.markets/v2/orders"),
        ({"paper": "false"}, "https://api.alpaca.markets/v2/orders"),
        ({"paper": True}, "https://paper-api.alpaca.markets/v2/orders"),
        ({"paper": "false", "base_url": "http://127.0.0.1:8080/"}, "http://127.0.0.1:8080/v2/orders"),
    ],
)
def test_alpaca_base_url_by_config(config: dict[str, object], url: str) -> None:
    """paper (default) and live hosts; base_url overrides both (trailing slash dropped)."""
    assert bound(**config).build_place_request(stop_order(), CTX).url == url


def test_alpaca_preview_matches_build() -> None:
    """stopkit.preview builds the same request as the bound venue, with no I/O."""
    request = stopkit.preview("alpaca", stop_limit_order(), credentials=CREDENTIALS, now_ms=CTX.now_ms)
    assert request.body == bound().build_place_request(stop_limit_order(), CTX).body


def test_alpaca_read_and_cancel_requests() -> None:
    """Get by id / by client id, list open, cancel and replace URLs and bodies."""
    kw = {"base_url": "https://paper-api.alpaca.markets", "key_id": KEY_ID, "secret_key": SECRET_KEY}
    get = translate.build_get_request("61e69015-8549", **kw)
    assert (get.method, get.url, get.body) == ("GET", "https://paper-api.alpaca.markets/v2/orders/61e69015-8549", None)
    by_client = translate.build_get_by_client_id_request("my id/1", **kw)
    assert by_client.url == "https://paper-api.alpaca.markets/v2/orders:by_client_order_id?client_order_id=my+id%2F1"
    listing = translate.build_list_open_request(symbol="AAPL", until="2026-01-15T14:30:00Z", **kw)
    assert listing.url == (
        "https://paper-api.alpaca.markets/v2/orders?status=open&limit=500&direction=desc"
        "&symbols=AAPL&until=2026-01-15T14%3A30%3A00Z"
    )
    cancel = translate.build_cancel_request("a/b", **kw)
    assert (cancel.method, cancel.url) == ("DELETE", "https://paper-api.alpaca.markets/v2/orders/a%2Fb")
    replace = translate.build_replace_request(
        "abc", {"limit_price": Decimal("144.40"), "stop_price": Decimal("144.9")}, **kw
    )
    assert (replace.method, replace.body) == ("PATCH", b'{"stop_price":"144.9","limit_price":"144.4"}')
    assert replace.headers["Content-Type"] == "application/json"
    assert "Content-Type" not in get.headers
