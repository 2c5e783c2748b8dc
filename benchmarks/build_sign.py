"""Scenario 1: build + sign one Pacifica stop-limit order, offline.

Candidates (per call, same run, interleaved repeats):

- ``stopkit.preview``: what the issue names: binds the venue (decodes the key),
  checks the order, builds and signs, returns the :class:`~stopkit.HttpRequest`.
- ``bound.build_place_request``: the client's hot path (``connect`` binds once).
- CCXT 4.5.x ``pacifica.create_order_request(symbol, "limit", "sell", amount, price,
  {"triggerPrice", "reduceOnly", "clientOrderId", "expiryWindow", "timestamp"})``:
  builds the payload and signs it (``post_action_request`` → ``sign_message``), returning
  the body dict; ``+ sign()`` adds the ``sign(path, ["private"], "POST", request)`` call
  that turns it into URL, headers and the JSON body string (what ``create_order`` sends).
  Markets are set by hand (``set_markets``), builder-fee approval is off; no I/O.
- floor: canonical JSON of the message (``json.dumps(sort_keys=True)``) + one Ed25519
  signature with a pre-decoded pynacl key + base58 of the signature + compact JSON of the
  body with the precomputed base58 account; and raw Ed25519 alone.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

import base58
import nacl.signing

import stopkit
from benchmarks._core import Row, Settings, compare
from benchmarks._fixtures import CLIENT_ORDER_ID, CREDENTIALS, NOW_MS, SEED, order

NAME = "build_sign"
EXPIRY_WINDOW_MS = 30_000


def _ccxt_exchange() -> Any:
    import ccxt

    secret64 = SEED + bytes(nacl.signing.SigningKey(SEED).verify_key)
    account = base58.b58encode(bytes(nacl.signing.SigningKey(SEED).verify_key)).decode("ascii")
    exchange = ccxt.pacifica({"privateKey": base58.b58encode(secret64).decode("ascii"), "walletAddress": account})
    exchange.options["builderFee"] = False  # no builder code (stopkit sends none by default) and no approval I/O
    market = exchange.parse_market(
        {"symbol": "BTC", "tick_size": "1", "lot_size": "0.00001", "max_leverage": 50, "isolated_only": False}
    )
    exchange.set_markets([market])
    return exchange


def ccxt_candidates() -> dict[str, Callable[[], object]]:
    """CCXT's offline build+sign, and build+sign+``sign()`` (URL, headers, JSON body)."""
    exchange = _ccxt_exchange()
    params = {
        "triggerPrice": "48000",
        "reduceOnly": True,
        "clientOrderId": CLIENT_ORDER_ID,
        "expiryWindow": EXPIRY_WINDOW_MS,
        "timestamp": NOW_MS,
    }

    def create_order_request() -> object:
        return exchange.create_order_request("BTC/USDC:USDC", "limit", "sell", 0.1, 47950, params)

    def create_order_request_and_sign() -> object:
        request, _ = exchange.create_order_request("BTC/USDC:USDC", "limit", "sell", 0.1, 47950, params)
        return exchange.sign("orders/stop/create", ["private"], "POST", request)

    return {"ccxt": create_order_request, "ccxt+sign()": create_order_request_and_sign}


def floor_candidates() -> dict[str, Callable[[], object]]:
    """The physical floor: canonical JSON + Ed25519 + base58, with everything cacheable cached."""
    key = nacl.signing.SigningKey(SEED)
    account_b58 = base58.b58encode(bytes(key.verify_key)).decode("ascii")
    payload = {
        "symbol": "BTC",
        "side": "ask",
        "reduce_only": True,
        "stop_order": {
            "stop_price": "48000",
            "limit_price": "47950",
            "client_order_id": CLIENT_ORDER_ID,
            "amount": "0.1",
            "trigger_price_type": "mark_price",
        },
    }
    message = json.dumps(
        {"type": "create_stop_order", "timestamp": NOW_MS, "expiry_window": EXPIRY_WINDOW_MS, "data": payload},
        sort_keys=True,
        separators=(",", ":"),
    ).encode()

    def floor() -> bytes:
        msg = {"type": "create_stop_order", "timestamp": NOW_MS, "expiry_window": EXPIRY_WINDOW_MS, "data": payload}
        data = json.dumps(msg, sort_keys=True, separators=(",", ":")).encode()
        signature = base58.b58encode(key.sign(data).signature).decode("ascii")
        body = {
            "account": account_b58,
            "signature": signature,
            "timestamp": NOW_MS,
            "expiry_window": EXPIRY_WINDOW_MS,
            **payload,
        }
        return json.dumps(body, separators=(",", ":")).encode()

    def raw_ed25519() -> bytes:
        return key.sign(message).signature

    def base58_signature() -> bytes:
        return base58.b58encode(b"\x07" * 64)

    return {"floor": floor, "ed25519": raw_ed25519, "base58(sig)": base58_signature}


def stopkit_candidates() -> dict[str, Callable[[], object]]:
    """``stopkit.preview`` (binds every call) and the bound venue's ``build_place_request``."""
    from stopkit.context import RequestContext

    the_order = order()
    bound = stopkit.bind("pacifica", credentials=CREDENTIALS)
    ctx = RequestContext(now_ms=NOW_MS)

    def preview() -> object:
        return stopkit.preview("pacifica", the_order, credentials=CREDENTIALS, now_ms=NOW_MS)

    def build_place_request() -> object:
        return bound.build_place_request(the_order, ctx)

    return {"preview": preview, "bound": build_place_request}


def run(settings: Settings) -> list[Row]:
    candidates: dict[str, Callable[[], object]] = {**stopkit_candidates(), **floor_candidates()}
    ccxt_error = ""
    try:
        candidates.update(ccxt_candidates())
    except Exception as exc:  # noqa: BLE001 - ccxt missing or changed: report without it
        ccxt_error = f"ccxt unavailable: {type(exc).__name__}: {exc}"
    stats = compare(candidates, settings)
    ccxt = stats.get("ccxt")
    floor = stats["floor"]
    rows: list[Row] = []
    for key, label in (("preview", "stopkit.preview"), ("bound", "bound.build_place_request")):
        value = stats[key]
        if ccxt is not None:
            rows.append(
                Row(
                    NAME,
                    f"{label} vs CCXT",
                    value,
                    "s",
                    reference="ccxt create_order_request",
                    reference_stats=ccxt,
                    target="≤ 0.40x CCXT",
                    met=value.median <= 0.4 * ccxt.median,
                )
            )
        rows.append(
            Row(
                NAME,
                f"{label} vs floor",
                value,
                "s",
                reference="floor",
                reference_stats=floor,
                target="≤ 1.20x floor",
                met=value.median <= 1.2 * floor.median,
            )
        )
    if ccxt is not None:
        rows.append(Row(NAME, "ccxt create_order_request", ccxt, "s", reference="floor", reference_stats=floor))
        rows.append(
            Row(
                NAME,
                "ccxt create_order_request + sign()",
                stats["ccxt+sign()"],
                "s",
                reference="floor",
                reference_stats=floor,
            )
        )
    rows.append(
        Row(
            NAME,
            "floor (canonical JSON + Ed25519 + base58)",
            floor,
            "s",
            reference="raw Ed25519",
            reference_stats=stats["ed25519"],
        )
    )
    rows.append(Row(NAME, "raw Ed25519 (pynacl, cached key)", stats["ed25519"], "s", notes=ccxt_error))
    rows.append(Row(NAME, "base58 of a 64-byte signature", stats["base58(sig)"], "s"))
    return rows
