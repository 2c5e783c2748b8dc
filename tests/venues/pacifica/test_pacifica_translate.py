"""Pacifica translation: config, check_order, wire payloads, symbols, read requests."""

from __future__ import annotations

import json
import re
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

import pytest

import stopkit
from stopkit.errors import ConfigurationError, InvalidOrder, UnsupportedOrder
from stopkit.orders import PositionEffect, Side, StopLimitOrder, StopOrder, TimeInForce, TriggerType
from stopkit_venues.pacifica import VENUE
from stopkit_venues.pacifica.adapter import PacificaVenue
from stopkit_venues.pacifica.translate import cancel_payload, native_symbol, place_payload

SEED_HEX = "000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f"
CLOID = "d25ac10b-58cc-4372-a567-0e02b2c3d479"
NOW_MS = 1716200000000


def _bind(config: dict[str, Any] | None = None) -> PacificaVenue:
    return VENUE.bind(stopkit.Credentials("pacifica", {"PACIFICA_PRIVATE_KEY": SEED_HEX}), config)


def _order(**overrides: Any) -> StopOrder:
    fields: dict[str, Any] = {
        "symbol": "BTC",
        "side": Side.SELL,
        "position_effect": PositionEffect.CLOSE,
        "quantity": Decimal("0.1"),
        "stop_price": Decimal("48000"),
        "client_order_id": CLOID,
    }
    fields.update(overrides)
    return StopOrder(**fields)


def test_adapter_metadata() -> None:
    """Name, env vars (secrets flagged) and capabilities as documented."""
    assert VENUE.name == "pacifica"
    secrets = {v.name: v.secret for v in VENUE.env_vars}
    assert secrets == {"PACIFICA_PRIVATE_KEY": True, "PACIFICA_ACCOUNT": False, "PACIFICA_API_KEY": True}
    caps = VENUE.capabilities.as_dict()
    assert caps["trigger_types"] == ["DEFAULT", "LAST_PRICE", "MARK_PRICE", "MID_POINT"]
    assert caps["time_in_force"] == ["GTC"]
    assert caps["position_effects"] == ["CLOSE", "DEFAULT", "OPEN"]
    assert caps["whole_position_quantity"]
    assert caps["client_order_id"]
    assert caps["get_order"]
    assert caps["list_open_orders"]
    assert caps["cancel"]


def test_credentials_from_env_reads_only_pacifica_variables() -> None:
    """Only the venue's variables are collected."""
    creds = VENUE.credentials_from_env({"PACIFICA_PRIVATE_KEY": "k", "OTHER": "x", "PACIFICA_API_KEY": ""})
    assert dict(creds.values) == {"PACIFICA_PRIVATE_KEY": "k"}


def test_config_defaults_and_strings() -> None:
    """Defaults; CLI strings convert; a trailing /api/v1 is dropped."""
    venue = _bind()
    assert venue.config.base_url == "https://api.pacifica.fi"
    assert venue.config.expiry_window_ms == 30000
    assert venue.config.builder_code is None
    venue = _bind({"base_url": "https://test-api.pacifica.fi/api/v1/", "expiry_window_ms": "5000"})
    assert venue.config.base_url == "https://test-api.pacifica.fi"
    assert venue.config.expiry_window_ms == 5000


@pytest.mark.parametrize(
    ("config", "match"),
    [
        ({"expiry_window_ms": 0}, "expiry_window_ms must be a positive"),
        ({"expiry_window_ms": "soon"}, "expiry_window_ms"),
        ({"builder_code": "ab"}, "builder_code must be 3-16"),
        ({"builder_code": "has space"}, "builder_code must be 3-16"),
        ({"base_url": "ftp://api.pacifica.fi"}, "base_url"),
        ({"base_url": "https://api.pacifica.fi/other"}, "base_url must be scheme and host only"),
        ({"bogus": 1}, "unknown config key 'bogus'"),
    ],
)
def test_bad_config(config: dict[str, Any], match: str) -> None:
    """Malformed config → ConfigurationError naming the key."""
    with pytest.raises(ConfigurationError, match=match):
        _bind(config)


def test_place_request_stop_limit_exact_bytes() -> None:
    """Stop-limit: limit_price present, key order as the vectors, Content-Type JSON, URL from base_url."""
    venue = _bind({"base_url": "http://127.0.0.1:1234"})
    order = StopLimitOrder(
        symbol="BTC", side="buy", quantity=Decimal("0.004"), stop_price=Decimal("90000"),
        limit_price=Decimal("87900"), client_order_id=CLOID, trigger_type=TriggerType.LAST_PRICE,
    )  # fmt: skip
    request = venue.build_place_request(order, stopkit.RequestContext(now_ms=NOW_MS))
    assert request.url == "http://127.0.0.1:1234/api/v1/orders/stop/create"
    assert dict(request.headers) == {"Content-Type": "application/json"}
    body = json.loads(request.body or b"")
    assert list(body) == [
        "account",
        "signature",
        "timestamp",
        "expiry_window",
        "symbol",
        "side",
        "reduce_only",
        "stop_order",
    ]
    assert body["timestamp"] == NOW_MS
    assert body["expiry_window"] == 30000
    assert body["side"] == "bid"
    assert body["reduce_only"] is False
    assert json.dumps(body["stop_order"], separators=(",", ":")) == (
        '{"stop_price":"90000","limit_price":"87900","client_order_id":"' + CLOID + '","amount":"0.004",'
        '"trigger_price_type":"last_trade_price"}'
    )


@pytest.mark.parametrize(
    ("trigger", "wire"),
    [
        (TriggerType.DEFAULT, "mark_price"),
        (TriggerType.MARK_PRICE, "mark_price"),
        (TriggerType.LAST_PRICE, "last_trade_price"),
        (TriggerType.MID_POINT, "mid_price"),
    ],
)
def test_trigger_price_type_always_sent(trigger: TriggerType, wire: str) -> None:
    """trigger_price_type is always in stop_order (DEFAULT → mark_price explicitly: pacifica-mcp saw an omitted
    one behave like mid_price)."""
    assert place_payload(_order(trigger_type=trigger), builder_code=None)["stop_order"]["trigger_price_type"] == wire


def test_stop_market_omits_limit_price_and_open_is_not_reduce_only() -> None:
    """No limit_price key at all for stop-market; OPEN and None → reduce_only false; CLOSE → true."""
    assert "limit_price" not in place_payload(_order(), builder_code=None)["stop_order"]
    assert place_payload(_order(), builder_code=None)["reduce_only"] is True
    assert place_payload(_order(position_effect=PositionEffect.OPEN), builder_code=None)["reduce_only"] is False
    assert place_payload(_order(position_effect=None), builder_code=None)["reduce_only"] is False


def test_whole_position_omits_amount() -> None:
    """quantity=None with CLOSE → amount omitted (the venue uses the full position)."""
    payload = place_payload(_order(quantity=None), builder_code=None)
    assert "amount" not in payload["stop_order"]
    assert list(payload["stop_order"]) == ["stop_price", "client_order_id", "trigger_price_type"]


def test_decimals_are_canonical() -> None:
    """Trailing zeros and exponents never reach the wire."""
    payload = place_payload(_order(quantity=Decimal("0.1000"), stop_price=Decimal("4.8E+4")), builder_code=None)
    assert payload["stop_order"]["amount"] == "0.1"
    assert payload["stop_order"]["stop_price"] == "48000"


def test_builder_code_sent_only_when_configured() -> None:
    """builder_code is a signed top-level payload field, last, only when configured."""
    venue = _bind({"builder_code": "MYCODE"})
    body = json.loads(venue.build_place_request(_order(), stopkit.RequestContext(now_ms=NOW_MS)).body or b"")
    assert list(body)[-1] == "builder_code"
    assert body["builder_code"] == "MYCODE"
    body = json.loads(_bind().build_place_request(_order(), stopkit.RequestContext(now_ms=NOW_MS)).body or b"")
    assert "builder_code" not in body


def test_every_attempt_is_restamped() -> None:
    """A new context (retry) gives a new timestamp and a new signature."""
    venue = _bind()
    first = json.loads(venue.build_place_request(_order(), stopkit.RequestContext(now_ms=NOW_MS)).body or b"")
    second = json.loads(venue.build_place_request(_order(), stopkit.RequestContext(now_ms=NOW_MS + 1)).body or b"")
    assert second["timestamp"] == NOW_MS + 1
    assert first["signature"] != second["signature"]


@pytest.mark.parametrize(
    ("symbol", "native"), [("BTC", "BTC"), ("BTC/USDC:USDC", "BTC"), ("kBONK", "kBONK"), ("kBONK/USDC:USDC", "kBONK")]
)
def test_symbols(symbol: str, native: str) -> None:
    """Unified USDC perps map to the base ticker; native symbols pass unchanged (case kept)."""
    assert native_symbol(symbol) == native


def test_spot_and_foreign_symbols_refused() -> None:
    """Spot → UnsupportedOrder; other quotes or odd text → InvalidOrder naming symbol."""
    with pytest.raises(UnsupportedOrder, match="spot") as info:
        native_symbol("BTC/USDC")
    assert info.value.feature == "symbol=spot"
    for bad in ("BTC/USDT:USDT", "BTC-PERP", "BTC USDC"):
        with pytest.raises(InvalidOrder) as err:
            native_symbol(bad)
        assert err.value.field == "symbol"


@pytest.mark.parametrize(
    ("overrides", "feature"),
    [
        ({"trigger_type": TriggerType.INDEX_PRICE}, "trigger_type=INDEX_PRICE"),
        ({"time_in_force": TimeInForce.IOC}, "time_in_force=IOC"),
        ({"time_in_force": TimeInForce.FOK}, "time_in_force=FOK"),
        ({"time_in_force": TimeInForce.DAY}, "time_in_force=DAY"),
        (
            {"time_in_force": TimeInForce.GTD, "expire_at": datetime(2030, 1, 1, tzinfo=UTC)},
            "time_in_force=GTD",
        ),
        ({"symbol": "ETH/USDC"}, "symbol=spot"),
    ],
)
def test_check_order_unsupported(overrides: dict[str, Any], feature: str) -> None:
    """Each unsupported option → UnsupportedOrder naming the feature, before any I/O."""
    with pytest.raises(UnsupportedOrder) as info:
        _bind().check_order(_order(**overrides))
    assert info.value.feature == feature
    assert feature.split("=")[0] in str(info.value)


def test_check_order_invalid() -> None:
    """Non-UUID client ids and whole-position without CLOSE → InvalidOrder naming the field."""
    with pytest.raises(InvalidOrder) as info:
        _bind().check_order(_order(client_order_id="my-order-1"))
    assert info.value.field == "client_order_id"
    with pytest.raises(InvalidOrder) as info:
        _bind().check_order(_order(quantity=None, position_effect=PositionEffect.OPEN))
    assert info.value.field == "quantity"
    _bind().check_order(_order(quantity=None))  # CLOSE: fine


def test_cancel_payloads() -> None:
    """Cancel: order_id as a JSON integer (preferred) or client_order_id, symbol first."""
    assert cancel_payload("BTC/USDC:USDC", venue_order_id="123", client_order_id=CLOID) == {
        "symbol": "BTC",
        "order_id": 123,
    }
    assert list(cancel_payload("BTC", venue_order_id=None, client_order_id=CLOID)) == ["symbol", "client_order_id"]
    with pytest.raises(InvalidOrder):
        cancel_payload("BTC", venue_order_id="12a", client_order_id=None)
    with pytest.raises(InvalidOrder):
        cancel_payload("BTC", venue_order_id=None, client_order_id="not-a-uuid")


def test_read_requests_are_unsigned_gets() -> None:
    """Reads are plain GETs with the account in the query; PF-API-KEY only when set."""
    from stopkit_venues.pacifica import translate

    venue = _bind()
    request = translate.build_open_orders_request(account="Acc", config=venue.config, api_key=None)
    assert (request.method, request.url, request.body) == (
        "GET",
        "https://api.pacifica.fi/api/v1/orders?account=Acc",
        None,
    )
    assert dict(request.headers) == {}
    request = translate.build_history_request(account="Acc", limit=100, cursor="11x", config=venue.config, api_key="k")
    assert request.url == "https://api.pacifica.fi/api/v1/orders/history?account=Acc&limit=100&cursor=11x"
    assert dict(request.headers) == {"PF-API-KEY": "k"}
    request = translate.build_history_by_id_request(order_id=42, config=venue.config, api_key=None)
    assert request.url == "https://api.pacifica.fi/api/v1/orders/history_by_id?order_id=42"
    assert dict(request.headers) == {}
    request = translate.build_history_by_id_request(order_id=42, config=venue.config, api_key="k")
    assert dict(request.headers) == {"PF-API-KEY": "k"}


def test_docs_config_table_matches_the_code() -> None:
    """docs/venues/pacifica.md lists every config key, and its booleans' defaults are the code's (e.g.
    resend_after_unknown false, check_market_rules true); every ledger row has a source or says assumption."""
    from pathlib import Path

    import attrs

    from stopkit_venues.pacifica.config import PacificaConfig

    doc = (Path(__file__).resolve().parents[3] / "docs" / "venues" / "pacifica.md").read_text()
    defaults = {field.name: field.default for field in attrs.fields(PacificaConfig)}
    rows = {line.split("|")[1].strip().strip("`"): line.split("|")[2].strip() for line in doc.splitlines()
            if line.startswith("| `") and line.count("|") >= 4}  # fmt: skip
    for name, default in defaults.items():
        assert name in rows, name
        if isinstance(default, bool):
            assert rows[name] == f"`{str(default).lower()}`", (name, rows[name])
    ledger = doc[doc.index("## Evidence ledger") :]
    ids = re.compile(r"^\| [A-Z]\d+ \|")
    entries = [line for line in ledger.splitlines() if ids.match(line)]
    assert len(entries) >= 60
    for line in entries:
        cells = [cell.strip() for cell in line.split("|")[1:-1]]
        source, status = cells[3], cells[4]
        assert status, line
        assert source not in ("", "—") or "assumption" in status, line
        assert "sheet" not in line, line
        assert "shared/" not in line, line


def test_place_payload_itself_refuses_an_index_trigger() -> None:
    """place_payload (not only the adapter's check) refuses an INDEX trigger: UnsupportedOrder naming the feature
    and the venue, with the reason."""
    with pytest.raises(UnsupportedOrder) as info:
        place_payload(_order(trigger_type=TriggerType.INDEX_PRICE), builder_code=None)
    assert info.value.message == (
        "pacifica: trigger_type=INDEX_PRICE is not supported: Pacifica triggers on mark, last trade or mid price only"
    )
    assert info.value.feature == "trigger_type=INDEX_PRICE"
    assert info.value.venue == "pacifica"


def test_the_market_info_read_carries_the_api_key_only_when_configured() -> None:
    """GET /api/v1/info: no body, so no Content-Type; PF-API-KEY only when an API key is configured."""
    from stopkit_venues.pacifica import translate

    venue = _bind()
    plain = translate.build_market_info_request(config=venue.config, api_key=None)
    assert (plain.method, plain.url, plain.body, dict(plain.headers)) == (
        "GET",
        "https://api.pacifica.fi/api/v1/info",
        None,
        {},
    )
    keyed = translate.build_market_info_request(config=venue.config, api_key="k")
    assert dict(keyed.headers) == {"PF-API-KEY": "k"}


def test_a_client_order_id_that_is_not_a_uuid_is_refused_naming_venue_and_field() -> None:
    """Pacifica's client order ids are full UUIDs: anything else is InvalidOrder naming the field and the venue."""
    from stopkit_venues.pacifica.translate import validate_client_order_id

    with pytest.raises(InvalidOrder) as info:
        validate_client_order_id("my-order-1")
    assert (info.value.field, info.value.venue) == ("client_order_id", "pacifica")
    assert info.value.message.endswith("got 'my-order-1'")
