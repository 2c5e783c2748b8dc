"""`stopkit preview pacifica` for every combination of the placement options.

Each printed body and signature is checked against an independent re-computation from the
documented signing rules (https://docs.pacifica.fi/api-documentation/api/signing/implementation:
sort keys recursively, compact JSON, Ed25519 over the seed, base58), written here with json,
PyNaCl and base58 only, not with stopkit's or the adapter's code.
"""

from __future__ import annotations

import itertools
import json
from decimal import Decimal
from typing import Any

import base58
import nacl.signing
import pytest

from stopkit.cli import main

# The signing vectors' keys (pacifica_signing.json): main seed bytes 0..31, agent seed bytes 32..63.
MAIN_SEED = bytes(range(32))
AGENT_SEED = bytes(range(32, 64))
MAIN_SECRET = "1GMkH3brNXiNNs1tiFZHu4yZSRrzJwxi5wB9bHFtMikjwpAW9DMZzU2Pqakc5it8X3N5vPmqdN7KF4CCUpmKhq"
AGENT_SECRET = "eFw8KcxosMZqtBWT8JEcdQLHJzEfqMKYxFnupURVKWkTJKiwGjyTrLXnUHcauicAomgCJoC3c5aVhPiYjCSEgJA"
MAIN_ACCOUNT = "FAe4sisG95oZ42w7buUn5qEE4TAnfTTFPiguZUHmhiF"
AGENT_WALLET = "3ogUn1GNXoASaRbxPNeVJnVv5rG4EPBtmQmX61jVorUe"
CLOID = "d25ac10b-58cc-4372-a567-0e02b2c3d479"
TS = 1716200000000
WIRE_TRIGGER = {"default": "mark_price", "mark": "mark_price", "last": "last_trade_price", "mid": "mid_price"}


def _canonical(op: str, ts: int, window: int, payload: dict[str, Any]) -> bytes:
    # The documented canonical message: keys sorted at every depth, compact separators.
    def srt(v: Any) -> Any:
        if isinstance(v, dict):
            return {k: srt(v[k]) for k in sorted(v)}
        if isinstance(v, list):
            return [srt(x) for x in v]
        return v

    msg = {"type": op, "timestamp": ts, "expiry_window": window, "data": payload}
    return json.dumps(srt(msg), separators=(",", ":")).encode("utf-8")


def _decimal_text(text: str) -> str:
    # Canonical decimal text (stopkit.wire.format_decimal): fixed point, no exponent, no trailing zeros.
    out = format(Decimal(text), "f")
    return out.rstrip("0").rstrip(".") if "." in out else out


def _expected(case: dict[str, Any]) -> tuple[str, str]:
    # (body text, signature): payload fields in the documented example's order, header fields first.
    stop_order: dict[str, Any] = {"stop_price": _decimal_text(case["stop"])}
    if case["kind"] == "stop-limit":
        stop_order["limit_price"] = _decimal_text(case["limit"])
    stop_order["client_order_id"] = CLOID
    if case["quantity"] != "whole-position":
        stop_order["amount"] = _decimal_text(case["quantity"])
    stop_order["trigger_price_type"] = WIRE_TRIGGER[case["trigger"]]
    payload: dict[str, Any] = {
        "symbol": "BTC",
        "side": "bid" if case["side"] == "buy" else "ask",
        "reduce_only": case["effect"] == "close",
        "stop_order": stop_order,
    }
    if case["builder"]:
        payload["builder_code"] = case["builder"]
    window = case["window"] or 30000
    seed = AGENT_SEED if case["agent"] else MAIN_SEED
    signature = base58.b58encode(
        nacl.signing.SigningKey(seed).sign(_canonical("create_stop_order", TS, window, payload)).signature
    ).decode()
    body: dict[str, Any] = {"account": MAIN_ACCOUNT}
    if case["agent"]:
        body["agent_wallet"] = AGENT_WALLET
    body.update({"signature": signature, "timestamp": TS, "expiry_window": window, **payload})
    return json.dumps(body, separators=(",", ":")), signature


def _argv(case: dict[str, Any]) -> list[str]:
    argv = [
        "preview", "pacifica", "--kind", case["kind"], "--symbol", case["symbol"], "--side", case["side"],
        "--quantity", case["quantity"], "--stop-price", case["stop"], "--trigger", case["trigger"],
        "--time-in-force", case["tif"], "--client-order-id", CLOID, "--now-ms", str(TS),
    ]  # fmt: skip
    if case["kind"] == "stop-limit":
        argv += ["--limit-price", case["limit"]]
    if case["effect"] != "none":
        argv += ["--position-effect", case["effect"]]
    if case["tif"] == "gtd":
        argv += ["--expire-at", "2030-01-01T00:00:00Z"]
    if case["builder"]:
        argv += ["--venue-config", f"builder_code={case['builder']}"]
    if case["window"]:
        argv += ["--venue-config", f"expiry_window_ms={case['window']}"]
    return argv


def _refusal(case: dict[str, Any]) -> str | None:
    # What stopkit must refuse before building anything, per issue 3 item 1; None = a valid order.
    if case["trigger"] == "index":
        return "trigger_type=INDEX_PRICE"
    if case["tif"] != "gtc":
        return f"time_in_force={case['tif'].upper()}"
    if case["quantity"] == "whole-position" and case["effect"] != "close":
        return "quantity"
    return None


def _run(case: dict[str, Any], monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]) -> None:
    monkeypatch.setenv("PACIFICA_PRIVATE_KEY", AGENT_SECRET if case["agent"] else MAIN_SECRET)
    if case["agent"]:
        monkeypatch.setenv("PACIFICA_ACCOUNT", MAIN_ACCOUNT)
    else:
        monkeypatch.delenv("PACIFICA_ACCOUNT", raising=False)
    monkeypatch.delenv("PACIFICA_API_KEY", raising=False)
    refusal = _refusal(case)
    if refusal is not None:
        with pytest.raises(SystemExit) as info:
            main(_argv(case))
        captured = capsys.readouterr()
        assert info.value.code == 2, case
        assert captured.out == ""
        assert refusal in captured.err, (case, captured.err)
        assert len(captured.err.strip().splitlines()) == 1
        return
    assert main(_argv(case)) == 0
    out = json.loads(capsys.readouterr().out)
    body_text, signature = _expected(case)
    assert out["body_text"] == body_text, case
    assert out["body"]["signature"] == signature
    assert out["body"] == json.loads(body_text)
    assert (out["method"], out["url"]) == ("POST", "https://api.pacifica.fi/api/v1/orders/stop/create")
    assert out["headers"] == {"Content-Type": "application/json"}
    assert MAIN_SECRET not in json.dumps(out)
    assert AGENT_SECRET not in json.dumps(out)


@pytest.mark.parametrize(
    ("kind", "trigger", "effect", "quantity"),
    list(
        itertools.product(
            ["stop", "stop-limit"],
            ["default", "mark", "last", "mid", "index"],
            ["none", "open", "close"],
            ["0.10", "whole-position"],
        )
    ),
)
def test_preview_matrix(
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
    kind: str,
    trigger: str,
    effect: str,
    quantity: str,
) -> None:
    """Every kind x trigger x position effect x quantity, each with and without an agent key, a builder
    code and a non-default expiry window: the exact body and signature, or a one-line refusal."""
    for agent, builder, window in itertools.product([False, True], [None, "MYCODE"], [None, 5000]):
        case = {
            "kind": kind, "trigger": trigger, "effect": effect, "quantity": quantity, "tif": "gtc",
            "agent": agent, "builder": builder, "window": window, "symbol": "BTC/USDC:USDC",
            "side": "sell" if effect != "open" else "buy", "stop": "48000.0", "limit": "47950",
        }  # fmt: skip
        _run(case, monkeypatch, capsys)


TIF_CASES = list(itertools.product(["gtc", "day", "ioc", "fok", "gtd"], ["stop", "stop-limit"], [False, True]))


@pytest.mark.parametrize(("tif", "kind", "agent"), TIF_CASES)
def test_preview_time_in_force(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str], tif: str, kind: str, agent: bool
) -> None:
    """Only GTC can be previewed; every other time in force is refused naming it."""
    case = {
        "kind": kind, "trigger": "last", "effect": "close", "quantity": "0.004", "tif": tif, "agent": agent,
        "builder": None, "window": None, "symbol": "BTC", "side": "buy", "stop": "90000", "limit": "87900",
    }  # fmt: skip
    _run(case, monkeypatch, capsys)


def test_preview_reproduces_published_vector_4(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    """The one published vector with trigger_price_type (V4) comes out byte for byte through the CLI."""
    case = {
        "kind": "stop", "trigger": "mark", "effect": "close", "quantity": "0.1", "tif": "gtc", "agent": False,
        "builder": None, "window": None, "symbol": "BTC", "side": "sell", "stop": "48000", "limit": "",
    }  # fmt: skip
    _run(case, monkeypatch, capsys)
    _, signature = _expected(case)
    assert signature == ("5dkahkuExmZNoZaqrPq8QCStvJV53e8bS8c3gH7HdTDPt8PK9VuhK5bad6mVgsvpPLrKg94C1xVmzjwN7cwQcW7j")


def test_preview_refuses_a_non_uuid_client_order_id(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    """A client order id that is not a full UUID is refused before anything is built."""
    monkeypatch.setenv("PACIFICA_PRIVATE_KEY", MAIN_SECRET)
    monkeypatch.delenv("PACIFICA_ACCOUNT", raising=False)
    argv = ["preview", "pacifica", "--kind", "stop", "--symbol", "BTC", "--side", "sell", "--quantity", "1",
            "--stop-price", "1", "--client-order-id", "order-1"]  # fmt: skip
    with pytest.raises(SystemExit) as info:
        main(argv)
    assert info.value.code == 2
    assert "client_order_id must be a full UUID" in capsys.readouterr().err


def test_preview_masks_the_config_key(monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]) -> None:
    """With PACIFICA_API_KEY set, the PF-API-KEY header is printed masked; the body is unchanged."""
    monkeypatch.setenv("PACIFICA_PRIVATE_KEY", MAIN_SECRET)
    monkeypatch.delenv("PACIFICA_ACCOUNT", raising=False)
    monkeypatch.setenv("PACIFICA_API_KEY", "cfg-key-secret-123")
    case = {
        "kind": "stop", "trigger": "mid", "effect": "close", "quantity": "0.1", "tif": "gtc", "agent": False,
        "builder": None, "window": None, "symbol": "BTC", "side": "sell", "stop": "48000", "limit": "",
    }  # fmt: skip
    assert main(_argv(case)) == 0
    printed = capsys.readouterr().out
    out = json.loads(printed)
    assert out["headers"] == {"Content-Type": "application/json", "PF-API-KEY": "***"}
    assert "cfg-key-secret-123" not in printed
    assert out["body_text"] == _expected(case)[0]


def test_preview_says_it_skips_the_market_rules_check(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    """A preview is built without I/O: a stop off BTC's tick (0.5) is still printed, with a note that tick, lot
    and minimum size are checked only when placing; with check_market_rules=false there is no note."""
    monkeypatch.setenv("PACIFICA_PRIVATE_KEY", MAIN_SECRET)
    monkeypatch.delenv("PACIFICA_ACCOUNT", raising=False)
    monkeypatch.delenv("PACIFICA_API_KEY", raising=False)
    argv = ["preview", "pacifica", "--kind", "stop", "--symbol", "BTC", "--side", "sell", "--quantity", "0.1",
            "--stop-price", "48000.5", "--position-effect", "close"]  # fmt: skip
    assert main(argv) == 0
    out = json.loads(capsys.readouterr().out)
    assert out["body"]["stop_order"]["stop_price"] == "48000.5"
    (note,) = out["notes"]
    assert "tick_size" in note
    assert "GET /api/v1/info" in note
    assert main([*argv, "--venue-config", "check_market_rules=false"]) == 0
    assert "notes" not in json.loads(capsys.readouterr().out)
