"""Core: tests written to kill mutants that survived the suite (issue 12 item 9, issue 19), literal oracles.

Each test names the mutant(s) it kills (see ``python -m benchmarks.mutation report --survivors``).
"""

from __future__ import annotations

import json
from pathlib import Path

import nacl.signing
import pytest

from stopkit.errors import ConfigurationError
from stopkit.signing import Ed25519Signer


def _secret64(seed: bytes) -> list[int]:
    return list(seed + bytes(nacl.signing.SigningKey(seed).verify_key))


def test_keypair_bytes_may_be_255() -> None:
    """Kills `0 <= v <= 255` → `< 255`: a keypair holding the byte 255 is accepted (seed of 0xff bytes)."""
    seed = b"\xff" * 32
    signer = Ed25519Signer.from_key(json.dumps(_secret64(seed)))
    assert signer.public_key == Ed25519Signer.from_seed(seed).public_key
    for bad in ([256, *_secret64(seed)[1:]], [-1, *_secret64(seed)[1:]], [True, *_secret64(seed)[1:]]):
        with pytest.raises(ConfigurationError, match=r"64 integers 0\.\.255"):
            Ed25519Signer.from_key(json.dumps(bad), name="KEY")


def test_keypair_errors_name_the_setting_and_what_is_wrong(tmp_path: Path) -> None:
    """Kills the messages of the keypair path becoming None and `name=None` passed on: each error says which
    setting and why (unreadable file, not JSON, public half not matching)."""
    with pytest.raises(ConfigurationError, match=r"^MY_KEY: cannot read keypair file \("):
        Ed25519Signer._from_keypair_json(str(tmp_path / "missing.json"), name="MY_KEY")
    junk = tmp_path / "id.json"
    junk.write_text("[not json", encoding="utf-8")
    with pytest.raises(ConfigurationError, match=r"^MY_KEY: keypair file is not JSON$"):
        Ed25519Signer.from_key(str(junk), name="MY_KEY")
    forged = _secret64(b"\x01" * 32)[:32] + _secret64(b"\x02" * 32)[32:]
    with pytest.raises(ConfigurationError, match=r"^MY_KEY: the public half of the 64-byte secret key"):
        Ed25519Signer.from_key(json.dumps(forged), name="MY_KEY")
