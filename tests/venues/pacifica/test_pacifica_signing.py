"""Pacifica signing: every published vector reproduced byte for byte, agent wallets, key formats."""

from __future__ import annotations

import json
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest

import stopkit
from stopkit.errors import ConfigurationError, InvalidOrder
from stopkit.signing import Ed25519Signer, b58decode, b58encode
from stopkit.wire import compact_json
from stopkit_venues.pacifica.auth import PacificaKeys, sign_payload, signing_message

# Signing vectors generated with the official Python SDK's signer (python-sdk common/utils.py), see its source field.
VECTORS_PATH = Path(__file__).resolve().parent / "pacifica_signing.json"
VECTORS: dict[str, Any] = json.loads(VECTORS_PATH.read_text())
CLOID = "d25ac10b-58cc-4372-a567-0e02b2c3d479"


def _keys(vector: dict[str, Any]) -> PacificaKeys:
    signer = Ed25519Signer.from_seed(bytes.fromhex(vector["seed_hex"]))
    return PacificaKeys(signer, vector["account"])


@pytest.mark.parametrize("vector", VECTORS["vectors"], ids=lambda v: v["name"])
def test_vector_message_signature_and_body(vector: dict[str, Any]) -> None:
    """Each vector: the signed message, the base58 signature and the compact body are exact."""
    header = vector["header"]
    keys = _keys(vector)
    assert keys.agent_wallet == vector["agent_wallet"]
    message = signing_message(header["type"], header["timestamp"], header["expiry_window"], vector["payload"])
    assert message == vector["message"].encode()
    body = sign_payload(
        keys,
        header["type"],
        vector["payload"],
        timestamp_ms=header["timestamp"],
        expiry_window_ms=header["expiry_window"],
    )
    assert body["signature"] == vector["signature"]
    assert compact_json(body) == compact_json(vector["request_body"])
    assert Ed25519Signer.verify(keys.signer.public_key, message, b58decode(vector["signature"]))


def test_vector_keys_decode_from_published_secrets() -> None:
    """The base58 64-byte secrets (the main one starts with a zero byte) decode to the published pubkeys."""
    main = PacificaKeys.from_credentials(VECTORS["main_secret_key_base58_64B"], None, key_name="K", account_name="A")
    assert main.account == VECTORS["main_pubkey_base58"]
    assert main.agent_wallet is None
    assert VECTORS["main_secret_key_base58_64B"].startswith("1")  # leading zero byte kept as "1"
    agent = PacificaKeys.from_credentials(
        VECTORS["agent_secret_key_base58_64B"], VECTORS["main_pubkey_base58"], key_name="K", account_name="A"
    )
    assert agent.agent_wallet == VECTORS["agent_pubkey_base58"]
    assert agent.account == VECTORS["main_pubkey_base58"]


def test_real_testnet_signature_verifies() -> None:
    """The CCXT testnet fixture (ts/src/test/static/request/pacifica.json) verifies against its account with
    our canonical message."""
    payload = {
        "symbol": "BTC",
        "side": "bid",
        "reduce_only": False,
        "stop_order": {"stop_price": "90000", "limit_price": "87900", "amount": "0.004"},
    }
    message = signing_message("create_stop_order", 1769555700037, 5000, payload)
    assert message == (
        b'{"data":{"reduce_only":false,"side":"bid","stop_order":{"amount":"0.004","limit_price":"87900",'
        b'"stop_price":"90000"},"symbol":"BTC"},"expiry_window":5000,"timestamp":1769555700037,'
        b'"type":"create_stop_order"}'
    )
    account = b58decode("bNMBfVAEjgxhNruYTR2vSZ92UdVKP2pdZewEG7978Vt")
    signature = b58decode("3UMzrK1qEMDJj3tDZ3N8ufit6B1tm6Uhm1TTYjs4Vhke3CSUCdvamjcHdaGXmaq75HkSjeFuK3fR6CacS6W3v6Jq")
    assert Ed25519Signer.verify(account, message, signature)
    assert not Ed25519Signer.verify(account, message.replace(b"87900", b"87901"), signature)


def _vector(name: str) -> dict[str, Any]:
    return next(v for v in VECTORS["vectors"] if v["name"] == name)


def test_preview_reproduces_vector_4_body() -> None:
    """stopkit.preview of the documented stop-market (DEFAULT trigger) gives vector 4's body byte for byte."""
    order = stopkit.StopOrder(
        symbol="BTC",
        side=stopkit.Side.SELL,
        position_effect=stopkit.PositionEffect.CLOSE,
        quantity=Decimal("0.1"),
        stop_price=Decimal("48000"),
        client_order_id=CLOID,
    )
    request = stopkit.preview(
        "pacifica",
        order,
        credentials={"PACIFICA_PRIVATE_KEY": VECTORS["main_secret_key_base58_64B"]},
        config={"expiry_window_ms": 30000},
        now_ms=1716200000000,
    )
    assert request.method == "POST"
    assert request.url == "https://api.pacifica.fi/api/v1/orders/stop/create"
    assert dict(request.headers) == {"Content-Type": "application/json"}
    assert request.body == compact_json(_vector("create_stop_order_stop_market_trigger_type")["request_body"])


def test_preview_agent_wallet_builder_code_matches_vector_2_except_trigger_type() -> None:
    """Agent key + PACIFICA_ACCOUNT: agent_wallet in the body, unsigned; the message is vector 2's plus the
    always-sent trigger_price_type, and the signature verifies against the agent key."""
    order = stopkit.StopLimitOrder(
        symbol="BTC/USDC:USDC",
        side="sell",
        position_effect="close",
        quantity=Decimal("0.10"),
        stop_price=Decimal("48000"),
        limit_price=Decimal("47950.0"),
        client_order_id=CLOID,
    )
    request = stopkit.preview(
        "pacifica",
        order,
        credentials={
            "PACIFICA_PRIVATE_KEY": VECTORS["agent_secret_key_base58_64B"],
            "PACIFICA_ACCOUNT": VECTORS["main_pubkey_base58"],
        },
        config={"builder_code": "MYCODE"},
        now_ms=1716200000000,
    )
    body = json.loads(request.body or b"")
    expected = dict(_vector("create_stop_order_stop_limit_agent_builder")["request_body"])
    expected["stop_order"] = {**expected["stop_order"], "trigger_price_type": "mark_price"}
    del expected["signature"]
    signature = body.pop("signature")
    assert list(body) == [k for k in expected if k != "signature"]
    assert body == expected
    payload = {k: v for k, v in body.items() if k not in ("account", "agent_wallet", "timestamp", "expiry_window")}
    message = signing_message("create_stop_order", 1716200000000, 30000, payload)
    assert b"agent_wallet" not in message
    agent_pub = b58decode(VECTORS["agent_pubkey_base58"])
    main_pub = b58decode(VECTORS["main_pubkey_base58"])
    assert Ed25519Signer.verify(agent_pub, message, b58decode(signature))
    assert not Ed25519Signer.verify(main_pub, message, b58decode(signature))


def test_account_equal_to_signer_sends_no_agent_wallet() -> None:
    """PACIFICA_ACCOUNT equal to the key's own pubkey is not an agent setup."""
    keys = PacificaKeys.from_credentials(
        VECTORS["main_secret_key_base58_64B"], VECTORS["main_pubkey_base58"], key_name="K", account_name="A"
    )
    body = sign_payload(keys, "cancel_stop_order", {"symbol": "BTC", "order_id": 1}, timestamp_ms=1, expiry_window_ms=2)
    assert "agent_wallet" not in body
    assert list(body) == ["account", "signature", "timestamp", "expiry_window", "symbol", "order_id"]


# -- key formats ------------------------------------------------------------------------------


def test_hex_seed_and_base58_seed_give_the_same_key() -> None:
    """A 32-byte seed as hex (with or without 0x) or base58 decodes to the main account."""
    seed_hex = VECTORS["main_seed_hex"]
    for text in (seed_hex, "0x" + seed_hex, b58encode(bytes.fromhex(seed_hex))):
        keys = PacificaKeys.from_credentials(text, None, key_name="K", account_name="A")
        assert keys.account == VECTORS["main_pubkey_base58"]


def test_keypair_json_file(tmp_path: Path) -> None:
    """A Solana CLI keypair file (JSON array of 64 ints) is accepted through the adapter."""
    secret = b58decode(VECTORS["agent_secret_key_base58_64B"])
    path = tmp_path / "id.json"
    path.write_text(json.dumps(list(secret)))
    venue = stopkit.bind("pacifica", credentials={"PACIFICA_PRIVATE_KEY": str(path)})
    assert venue.account == VECTORS["agent_pubkey_base58"]  # type: ignore[attr-defined]


def test_mismatched_public_half_is_refused_without_echoing_the_key() -> None:
    """A 64-byte secret whose public half does not match its seed → ConfigurationError, key not echoed."""
    main = b58decode(VECTORS["main_secret_key_base58_64B"])
    agent = b58decode(VECTORS["agent_secret_key_base58_64B"])
    forged = b58encode(main[:32] + agent[32:])
    with pytest.raises(ConfigurationError, match="public half") as info:
        stopkit.bind("pacifica", credentials={"PACIFICA_PRIVATE_KEY": forged})
    assert forged not in str(info.value)
    assert forged not in repr(info.value)


@pytest.mark.parametrize(
    ("credentials", "match"),
    [
        ({}, "PACIFICA_PRIVATE_KEY is not set"),
        ({"PACIFICA_PRIVATE_KEY": "not-base58-0OIl"}, "PACIFICA_PRIVATE_KEY"),
        (
            {"PACIFICA_PRIVATE_KEY": VECTORS["main_secret_key_base58_64B"], "PACIFICA_ACCOUNT": "0OIl"},
            "PACIFICA_ACCOUNT",
        ),
        ({"PACIFICA_PRIVATE_KEY": VECTORS["main_secret_key_base58_64B"], "PACIFICA_ACCOUNT": "abc"}, "32 bytes"),
    ],
)
def test_bad_credentials(credentials: dict[str, str], match: str) -> None:
    """Missing or malformed credentials → ConfigurationError naming the variable."""
    with pytest.raises(ConfigurationError, match=match):
        stopkit.bind("pacifica", credentials=credentials)


def test_reprs_hold_no_secret() -> None:
    """Neither the bound venue nor the keys print the secret; the API key is masked in request reprs."""
    secret = VECTORS["main_secret_key_base58_64B"]
    venue = stopkit.bind("pacifica", credentials={"PACIFICA_PRIVATE_KEY": secret, "PACIFICA_API_KEY": "cfg-key-123"})
    assert secret not in repr(venue)
    assert secret not in repr(venue.keys)  # type: ignore[attr-defined]
    order = stopkit.StopOrder(
        symbol="BTC", side="buy", quantity=Decimal(1), stop_price=Decimal(1), client_order_id=CLOID
    )
    request = venue.build_place_request(order, stopkit.RequestContext(now_ms=1))
    assert request.headers["PF-API-KEY"] == "cfg-key-123"
    assert "cfg-key-123" not in repr(request)


def test_signing_refuses_non_ascii_and_floats() -> None:
    """Non-ASCII strings (serialisers disagree on escaping them) and floats are never signed."""
    with pytest.raises(InvalidOrder):
        signing_message("create_stop_order", 1, 1, {"symbol": "BTC€"})
    with pytest.raises(InvalidOrder):
        signing_message("create_stop_order", 1, 1, {"stop_order": {"stop_price": 1.5}})
    with pytest.raises(InvalidOrder):
        signing_message("create_stop_order", 1, 1, {"account": "x"})
