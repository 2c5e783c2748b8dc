"""Pacifica signing vectors: the in-repository copy, checked against its original and against stdlib JSON.

The vectors (``pacifica_signing.json`` beside this file) were generated with the official Python SDK's
signer (https://github.com/pacifica-fi/python-sdk, ``common/utils.py``); the copy keeps this test suite
standing alone in a plain clone. Where the original file is available, point
``STOPKIT_SIGNING_VECTORS_ORIGINAL`` at it and the copy is compared with it byte for byte.

The oracle for the request bodies is the standard library's ``json.dumps`` (compact separators, key order
as published), not stopkit's own :func:`stopkit.wire.compact_json`.
"""

from __future__ import annotations

import json
import os
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest

import stopkit
from stopkit.signing import Ed25519Signer
from stopkit_venues.pacifica.auth import PacificaKeys, sign_payload, signing_message

COPY = Path(__file__).resolve().parent / "pacifica_signing.json"
VECTORS: dict[str, Any] = json.loads(COPY.read_text(encoding="utf-8"))
ORIGINAL_ENV = "STOPKIT_SIGNING_VECTORS_ORIGINAL"


def test_the_copy_equals_the_original_when_it_is_given() -> None:
    """The in-repo copy is byte-identical to the original vectors file named by the environment."""
    original = os.environ.get(ORIGINAL_ENV)
    if not original:
        pytest.skip(f"{ORIGINAL_ENV} is not set: the in-repository copy is used alone")
    path = Path(original)
    if not path.is_file():
        pytest.skip(f"{ORIGINAL_ENV} names no file")
    assert COPY.read_bytes() == path.read_bytes()


def test_the_copy_holds_the_published_vectors() -> None:
    """The copy is not empty or truncated: five named vectors, each with a message, signature and body."""
    names = [v["name"] for v in VECTORS["vectors"]]
    assert len(names) == len(set(names)) >= 4
    for vector in VECTORS["vectors"]:
        assert vector["message"].startswith('{"data":')
        assert len(vector["signature"]) in range(86, 90)
        assert vector["request_body"]["signature"] == vector["signature"]


@pytest.mark.parametrize("vector", VECTORS["vectors"], ids=lambda v: v["name"])
def test_signed_body_equals_the_vector_serialized_by_the_standard_library(vector: dict[str, Any]) -> None:
    """The signed body, serialized compactly by stdlib json, equals the published body byte for byte."""
    header = vector["header"]
    keys = PacificaKeys(Ed25519Signer.from_seed(bytes.fromhex(vector["seed_hex"])), vector["account"])
    body = sign_payload(
        keys,
        header["type"],
        vector["payload"],
        timestamp_ms=header["timestamp"],
        expiry_window_ms=header["expiry_window"],
    )
    assert json.dumps(body, separators=(",", ":")) == json.dumps(vector["request_body"], separators=(",", ":"))
    message = signing_message(header["type"], header["timestamp"], header["expiry_window"], vector["payload"])
    assert message.decode() == vector["message"]


def test_preview_wire_bytes_equal_vector_4_serialized_by_the_standard_library() -> None:
    """stopkit.preview's body bytes for the documented stop-market equal vector 4's body as stdlib json writes it."""
    vector = next(v for v in VECTORS["vectors"] if v["name"] == "create_stop_order_stop_market_trigger_type")
    order = stopkit.StopOrder(
        symbol="BTC",
        side=stopkit.Side.SELL,
        position_effect=stopkit.PositionEffect.CLOSE,
        quantity=Decimal("0.1"),
        stop_price=Decimal("48000"),
        client_order_id="d25ac10b-58cc-4372-a567-0e02b2c3d479",
    )
    request = stopkit.preview(
        "pacifica",
        order,
        credentials={"PACIFICA_PRIVATE_KEY": VECTORS["main_secret_key_base58_64B"]},
        config={"expiry_window_ms": 30000},
        now_ms=1716200000000,
    )
    assert request.body == json.dumps(vector["request_body"], separators=(",", ":")).encode()
