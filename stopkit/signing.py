"""Ed25519 signing over PyNaCl, with explicit key formats and a masked repr.

Accepted private-key formats (:meth:`Ed25519Signer.from_key`):

- base58 of a 64-byte Solana secret key ``seed(32) || pubkey(32)``; the public
  half must match the seed, or the key is refused;
- base58 or hex (64 hex digits, optional ``0x``) of a 32-byte seed;
- a path to a Solana CLI keypair JSON file: an array of 64 integers 0..255.

Base58 uses the Bitcoin alphabet and keeps leading zero bytes as leading ``1``
characters (the Rust-backed ``based58`` package does, and encodes a signature in
about a third of the pure-Python ``base58`` package's time), which matters for
about one key or signature in 256.
"""

from __future__ import annotations

import json
import os
import string

import attrs
import based58
import nacl.exceptions
import nacl.signing

from stopkit.errors import ConfigurationError

__all__ = ["Ed25519Signer", "b58decode", "b58encode"]


def b58encode(data: bytes) -> str:
    """Base58 (Bitcoin alphabet) of ``data``, leading zero bytes kept as ``1``."""
    return based58.b58encode(data).decode("ascii")


def b58decode(text: str) -> bytes:
    """Bytes of base58 ``text``. Raises ``ValueError`` on characters outside the alphabet."""
    try:
        data = text.encode("ascii")
    except UnicodeEncodeError:
        raise ValueError("base58 text must be ASCII") from None
    return bytes(based58.b58decode(data))


def _looks_hex(text: str) -> bool:
    body = text[2:] if text.lower().startswith("0x") else text
    return len(body) == 64 and all(c in string.hexdigits for c in body)


@attrs.frozen(repr=False, eq=False)
class Ed25519Signer:
    """An Ed25519 signing key. Decode once, sign many times.

    Attributes:
        public_key: the 32-byte public key.
        public_key_b58: base58 of the public key (a Solana address).

    The repr and str show only the public key; the seed is never printed.
    """

    _key: nacl.signing.SigningKey
    public_key: bytes
    public_key_b58: str

    @classmethod
    def from_seed(cls, seed: bytes) -> Ed25519Signer:
        """A signer from a 32-byte seed. Raises :class:`ConfigurationError` on a wrong length."""
        if len(seed) != 32:
            raise ConfigurationError(f"an Ed25519 seed is 32 bytes, got {len(seed)}")
        key = nacl.signing.SigningKey(seed)
        public = bytes(key.verify_key)
        return cls(key, public, b58encode(public))

    @classmethod
    def from_key(cls, key: str, *, name: str = "private key") -> Ed25519Signer:
        """A signer from any accepted format (see the module docstring).

        ``name`` (e.g. the env var) is used in error messages; the key itself never is.

        Raises:
            ConfigurationError: the text is none of the accepted formats, or a
                64-byte secret's public half does not match its seed.
        """
        text = key.strip()
        if not text:
            raise ConfigurationError(f"{name} is empty")
        if text.startswith("[") or (not _looks_hex(text) and os.path.isfile(text)):
            return cls._from_keypair_json(text, name=name)
        if _looks_hex(text):
            return cls.from_seed(bytes.fromhex(text[2:] if text.lower().startswith("0x") else text))
        try:
            raw = b58decode(text)
        except ValueError:
            raise ConfigurationError(f"{name} is not base58, 64 hex digits, or a Solana keypair JSON file") from None
        if len(raw) == 32:
            return cls.from_seed(raw)
        if len(raw) == 64:
            return cls._from_secret64(raw, name=name)
        raise ConfigurationError(
            f"{name} decodes to {len(raw)} bytes; expected a 64-byte Solana secret key or a 32-byte seed"
        )

    @classmethod
    def _from_secret64(cls, raw: bytes, *, name: str) -> Ed25519Signer:
        signer = cls.from_seed(raw[:32])
        if signer.public_key != raw[32:]:
            raise ConfigurationError(f"{name}: the public half of the 64-byte secret key does not match its seed")
        return signer

    @classmethod
    def _from_keypair_json(cls, text: str, *, name: str) -> Ed25519Signer:
        source = text
        if not text.startswith("["):
            try:
                with open(text, encoding="utf-8") as handle:
                    source = handle.read()
            except OSError as exc:
                raise ConfigurationError(f"{name}: cannot read keypair file ({exc.strerror})") from None
        try:
            values = json.loads(source)
        except ValueError:
            raise ConfigurationError(f"{name}: keypair file is not JSON") from None
        if (
            not isinstance(values, list)
            or len(values) != 64
            or not all(isinstance(v, int) and not isinstance(v, bool) and 0 <= v <= 255 for v in values)
        ):
            raise ConfigurationError(f"{name}: a Solana keypair file holds a JSON array of 64 integers 0..255")
        return cls._from_secret64(bytes(values), name=name)

    def sign(self, message: bytes) -> bytes:
        """The 64-byte Ed25519 signature of ``message``."""
        return self._key.sign(message).signature

    def sign_b58(self, message: bytes) -> str:
        """Base58 of :meth:`sign` (leading zero bytes kept)."""
        return b58encode(self.sign(message))

    @staticmethod
    def verify(public_key: bytes, message: bytes, signature: bytes) -> bool:
        """True when ``signature`` is ``public_key``'s signature of ``message``."""
        try:
            nacl.signing.VerifyKey(public_key).verify(message, signature)
        except (nacl.exceptions.BadSignatureError, ValueError, TypeError):
            return False
        return True

    def __repr__(self) -> str:
        return f"Ed25519Signer(public_key={self.public_key_b58!r})"

    __str__ = __repr__
