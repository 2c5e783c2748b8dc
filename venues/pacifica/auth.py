"""Pacifica request signing (pure).

Every POST is authorised by an Ed25519 signature over a canonical message
(https://docs.pacifica.fi/api-documentation/api/signing/implementation; python-sdk ``common/utils.py``):

1. ``msg = {"type": op, "timestamp": ts_ms, "expiry_window": window_ms, "data": payload}``
   where ``payload`` is the operation's fields exactly as sent, without
   ``account``, ``agent_wallet``, ``signature``, ``timestamp`` and ``expiry_window``;
2. keys sorted at every depth, compact JSON (``,`` and ``:``), ASCII, UTF-8 bytes;
3. signature = base58(Ed25519(seed, message)), leading zero bytes kept as ``1``;
4. body = ``{account, [agent_wallet], signature, timestamp, expiry_window, **payload}``
   (payload flat at top level, never under ``data``).

Agent wallets (https://docs.pacifica.fi/api-documentation/api/signing/api-agent-keys):
when the signing key is not the account's own key, the signer's public key goes
into the body as ``agent_wallet``; it is never signed.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import attrs

from stopkit.plugin import (
    ConfigurationError,
    Ed25519Signer,
    InvalidOrder,
    b58decode,
    canonical_json,
)
from stopkit_venues.pacifica.constants import UNSIGNED_BODY_FIELDS, VENUE_NAME

__all__ = ["PacificaKeys", "decode_pubkey", "sign_payload", "signing_message"]


def decode_pubkey(text: str, *, name: str) -> str:
    """``text`` when it is base58 of a 32-byte Ed25519 public key (a Solana address).

    Raises:
        ConfigurationError: naming ``name`` (e.g. ``PACIFICA_ACCOUNT``).
    """
    value = text.strip()
    try:
        raw = b58decode(value)
    except ValueError:
        raise ConfigurationError(f"{VENUE_NAME}: {name} is not base58", venue=VENUE_NAME) from None
    if len(raw) != 32:
        raise ConfigurationError(
            f"{VENUE_NAME}: {name} decodes to {len(raw)} bytes; a Solana public key is 32 bytes", venue=VENUE_NAME
        )
    return value


@attrs.frozen(repr=False)
class PacificaKeys:
    """The decoded signing key and the account it acts for.

    Fields:
        signer: the Ed25519 key that signs (the account's own key or an agent key).
        account: base58 public key of the main account or subaccount.

    ``agent_wallet`` is the signer's public key when it differs from ``account``,
    else ``None``. The repr shows public keys only.
    """

    signer: Ed25519Signer
    account: str

    @property
    def agent_wallet(self) -> str | None:
        """The agent's public key (base58) when the signer is an agent wallet, else ``None``."""
        return None if self.signer.public_key_b58 == self.account else self.signer.public_key_b58

    @classmethod
    def from_credentials(
        cls, private_key: str, account: str | None, *, key_name: str, account_name: str
    ) -> PacificaKeys:
        """Decode ``private_key`` (any :meth:`Ed25519Signer.from_key` format) once.

        ``account`` defaults to the signer's own public key.

        Raises:
            ConfigurationError: a malformed key or account (the key is never echoed).
        """
        try:
            signer = Ed25519Signer.from_key(private_key, name=key_name)
        except ConfigurationError as exc:
            raise ConfigurationError(f"{VENUE_NAME}: {exc.message}", venue=VENUE_NAME) from None
        resolved = signer.public_key_b58 if account is None else decode_pubkey(account, name=account_name)
        return cls(signer, resolved)

    def __repr__(self) -> str:
        return f"PacificaKeys(account={self.account!r}, agent_wallet={self.agent_wallet!r})"

    __str__ = __repr__


def _check_ascii(value: Any, path: str) -> None:
    # Serialisers disagree on escaping non-ASCII (Python json writes \uXXXX, JS raw UTF-8) and the
    # server's form is undocumented (ledger: assumption), so signed strings stay ASCII.
    if isinstance(value, str):
        if not value.isascii():
            raise InvalidOrder(f"{path} must be ASCII to be signed reliably, got {value!r}", field=path)
    elif isinstance(value, Mapping):
        for key, item in value.items():
            _check_ascii(item, f"{path}.{key}" if path else str(key))
    elif isinstance(value, list):
        for item in value:
            _check_ascii(item, path)
    elif isinstance(value, float):
        # Prices are decimal strings, ids and times integers (the documented examples); never floats.
        raise InvalidOrder(f"{path} is a float; signed values must be strings or integers", field=path)


def signing_message(op: str, timestamp_ms: int, expiry_window_ms: int, payload: Mapping[str, Any]) -> bytes:
    """The exact bytes that are signed: canonical JSON of ``{type, timestamp, expiry_window, data}``.

    Raises:
        InvalidOrder: a payload field is reserved, non-ASCII text, or a float.
    """
    reserved = UNSIGNED_BODY_FIELDS.intersection(payload)
    if reserved:
        raise InvalidOrder(f"payload must not contain {sorted(reserved)}", field=sorted(reserved)[0])
    _check_ascii(payload, "")
    message = {"type": op, "timestamp": timestamp_ms, "expiry_window": expiry_window_ms, "data": dict(payload)}
    return canonical_json(message)


def sign_payload(
    keys: PacificaKeys, op: str, payload: Mapping[str, Any], *, timestamp_ms: int, expiry_window_ms: int
) -> dict[str, Any]:
    """The signed request body, in the order ``account, [agent_wallet], signature, timestamp,
    expiry_window`` followed by the payload fields in their given order.

    ``timestamp_ms`` and ``expiry_window_ms`` are integer milliseconds.
    """
    signature = keys.signer.sign_b58(signing_message(op, timestamp_ms, expiry_window_ms, payload))
    body: dict[str, Any] = {"account": keys.account}
    agent = keys.agent_wallet
    if agent is not None:
        body["agent_wallet"] = agent
    body["signature"] = signature
    body["timestamp"] = timestamp_ms
    body["expiry_window"] = expiry_window_ms
    body.update(payload)
    return body
