"""Ed25519 signer: key formats, masking, leading zeros in base58."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from stopkit import ConfigurationError
from stopkit.signing import Ed25519Signer, b58decode, b58encode

SEED = bytes(range(32))


def test_formats_agree() -> None:
    """Seed hex, seed base58, 64-byte secret base58 and keypair JSON give the same key."""
    reference = Ed25519Signer.from_seed(SEED)
    secret64 = SEED + reference.public_key
    for text in (SEED.hex(), "0x" + SEED.hex(), b58encode(SEED), b58encode(secret64), json.dumps(list(secret64))):
        assert Ed25519Signer.from_key(text).public_key == reference.public_key


def test_keypair_file(tmp_path: Path) -> None:
    """A Solana CLI keypair file path is accepted."""
    reference = Ed25519Signer.from_seed(SEED)
    path = tmp_path / "id.json"
    path.write_text(json.dumps(list(SEED + reference.public_key)))
    assert Ed25519Signer.from_key(str(path)).public_key_b58 == reference.public_key_b58


@pytest.mark.parametrize(
    "text",
    [
        "",
        "not base58 0OIl",
        b58encode(bytes(16)),
        json.dumps([1, 2, 3]),
        json.dumps([256] * 64),
    ],
)
def test_bad_keys(text: str) -> None:
    """Anything that is not an accepted format is a ConfigurationError that does not echo the key."""
    with pytest.raises(ConfigurationError) as info:
        Ed25519Signer.from_key(text, name="TEST_KEY")
    assert "TEST_KEY" in str(info.value)
    if len(text) > 8:
        assert text not in str(info.value)


def test_mismatched_public_half() -> None:
    """A 64-byte secret whose public half is not the seed's is refused."""
    other = Ed25519Signer.from_seed(bytes(32)).public_key
    with pytest.raises(ConfigurationError, match="does not match"):
        Ed25519Signer.from_key(b58encode(SEED + other))


def test_repr_hides_seed_and_signatures_verify() -> None:
    """The repr shows only the public key; signatures verify and tampering is caught."""
    signer = Ed25519Signer.from_seed(SEED)
    assert signer.public_key_b58 in repr(signer)
    assert b58encode(SEED) not in repr(signer)
    assert SEED.hex() not in repr(signer)
    signature = signer.sign(b"msg")
    assert Ed25519Signer.verify(signer.public_key, b"msg", signature)
    assert not Ed25519Signer.verify(signer.public_key, b"msG", signature)
    assert b58decode(signer.sign_b58(b"msg")) == signature


def test_base58_keeps_leading_zero_bytes() -> None:
    """Leading zero bytes survive as leading '1's both ways."""
    data = b"\x00\x00\x01\x02"
    assert b58encode(data).startswith("11")
    assert b58decode(b58encode(data)) == data


def test_b58decode_refuses_non_ascii_text_saying_so() -> None:
    """Base58 text with a non-ASCII look-alike (U+043E, a Cyrillic o) is a ValueError saying it must be ASCII."""
    with pytest.raises(ValueError, match=r"^base58 text must be ASCII$"):
        b58decode("3yZe7d\u043e")


def test_errors_call_an_unnamed_key_the_private_key() -> None:
    """Without name=, the errors call the setting "private key" (and never print the key)."""
    with pytest.raises(ConfigurationError, match=r"^private key is empty$"):
        Ed25519Signer.from_key("   ")
    with pytest.raises(ConfigurationError, match=r"^private key is not base58, 64 hex digits") as info:
        Ed25519Signer.from_key("0OIl-not-a-key")
    assert "0OIl" not in str(info.value)


def test_a_seed_of_the_wrong_length_is_refused_with_its_length() -> None:
    """from_seed needs exactly 32 bytes; the error gives the length it got."""
    with pytest.raises(ConfigurationError, match=r"^an Ed25519 seed is 32 bytes, got 31$"):
        Ed25519Signer.from_seed(bytes(31))


def test_a_base58_secret_whose_halves_disagree_names_the_setting() -> None:
    """A base58 64-byte secret whose public half is another key's is refused, naming the setting it came from."""
    seed = bytes(range(32))
    other = Ed25519Signer.from_seed(bytes(32)).public_key
    with pytest.raises(ConfigurationError, match=r"^MY_KEY: the public half of the 64-byte secret key does not"):
        Ed25519Signer.from_key(b58encode(seed + other), name="MY_KEY")
