"""The stopkit command: preview output, one-line errors, venue listing, demo."""

from __future__ import annotations

import contextlib
import json
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

from stopkit.cli import main

ROOT = Path(__file__).resolve().parents[2]
VECTORS = ROOT.parent / "shared" / "vectors" / "pacifica_signing.json"

PREVIEW = [
    "preview",
    "pacifica",
    "--kind",
    "stop",
    "--symbol",
    "BTC",
    "--side",
    "sell",
    "--quantity",
    "0.1",
    "--stop-price",
    "48000",
    "--position-effect",
    "close",
    "--client-order-id",
    "d25ac10b-58cc-4372-a567-0e02b2c3d479",
    "--now-ms",
    "1716200000000",
    "--venue-config",
    "expiry_window_ms=30000",
]


def _vectors() -> dict[str, object]:
    if not VECTORS.exists():
        pytest.skip("shared signing vectors are not beside this checkout")
    return json.loads(VECTORS.read_text())  # type: ignore[no-any-return]


def test_preview_reproduces_the_trigger_type_vector(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    """`stopkit preview pacifica` with a vector's key and timestamp prints that vector's exact body."""
    data = _vectors()
    vector = next(v for v in data["vectors"] if "trigger_price_type" in v["payload"].get("stop_order", {}))  # type: ignore[attr-defined]
    monkeypatch.setenv("PACIFICA_PRIVATE_KEY", data["main_secret_key_base58_64B"])  # type: ignore[arg-type]
    monkeypatch.delenv("PACIFICA_ACCOUNT", raising=False)
    monkeypatch.delenv("PACIFICA_API_KEY", raising=False)
    assert main(PREVIEW) == 0
    out = json.loads(capsys.readouterr().out)
    assert out["method"] == "POST"
    assert out["url"].endswith("/api/v1/orders/stop/create")
    assert out["body"] == vector["request_body"]
    assert out["body_text"] == json.dumps(vector["request_body"], separators=(",", ":"))
    assert data["main_secret_key_base58_64B"] not in json.dumps(out)


@pytest.mark.parametrize(
    ("argv", "needle"),
    [
        (["preview", "nosuchvenue", *PREVIEW[2:]], "unknown venue 'nosuchvenue'"),
        ([*PREVIEW[:9], "0.1.2", *PREVIEW[10:]], "quantity"),
        ([*PREVIEW, "--limit-price", "47950"], "--limit-price is only valid"),
        ([*PREVIEW, "--venue-config", "oops"], "KEY=VALUE"),
        ([*PREVIEW, "--trigger", "index"], "INDEX_PRICE"),
        ([*PREVIEW, "--time-in-force", "gtd"], "expire_at"),
        (["preview", "pacifica", "--kind", "stop"], "required"),
    ],
)
def test_bad_input_is_one_line_without_traceback(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str], argv: list[str], needle: str
) -> None:
    """Bad input exits 2 with one line naming the problem."""
    monkeypatch.setenv(
        "PACIFICA_PRIVATE_KEY", "1GMkH3brNXiNNs1tiFZHu4yZSRrzJwxi5wB9bHFtMikjwpAW9DMZzU2Pqakc5it8X3N5vPmqdN7KF4CCUpmKhq"
    )
    with pytest.raises(SystemExit) as info:
        main(argv)
    assert info.value.code == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1, err
    assert needle in err
    assert "Traceback" not in err


def test_missing_credentials_is_one_line(monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]) -> None:
    """Without the key the message names the env var."""
    monkeypatch.delenv("PACIFICA_PRIVATE_KEY", raising=False)
    with pytest.raises(SystemExit):
        main(PREVIEW)
    assert "PACIFICA_PRIVATE_KEY" in capsys.readouterr().err


def test_venues_lists_capabilities(capsys: pytest.CaptureFixture[str]) -> None:
    """`stopkit venues` names every built-in venue with its capabilities and env vars."""
    assert main(["venues"]) == 0
    out = capsys.readouterr().out
    for name in ("pacifica:", "aries:", "b2trader:", "PACIFICA_PRIVATE_KEY", "ARIES_ACCOUNT_ID", "B2TRADER_API_TOKEN"):
        assert name in out


def test_console_script_demo_exits_zero() -> None:
    """The installed `stopkit demo` runs all three simulators and every order arms then triggers."""
    out = subprocess.run(
        [sys.executable, "-m", "stopkit.cli", "demo"], capture_output=True, text=True, timeout=120, check=False
    )
    assert out.returncode == 0, out.stdout + out.stderr
    match = re.search(r"(\d+) of (\d+) orders armed, stayed armed near the stop, then triggered", out.stdout)
    assert match is not None
    assert match.group(1) == match.group(2)
    assert int(match.group(2)) >= 6  # at least the two documented orders per built-in venue
    for name in ("== pacifica", "== aries", "== b2trader"):
        assert name in out.stdout
    assert "Traceback" not in out.stderr


def test_venues_markdown_matrix(capsys: pytest.CaptureFixture[str]) -> None:
    """`stopkit venues --markdown` prints one table with a column per venue."""
    assert main(["venues", "--markdown"]) == 0
    lines = capsys.readouterr().out.strip().splitlines()
    header = lines[0]
    for name in ("pacifica", "aries", "b2trader"):
        assert f" {name} " in header
    assert lines[1].startswith("|---|")
    rows = {line.split("|")[1].strip(): line for line in lines[2:]}
    assert {"order_kinds", "trigger_types", "time_in_force", "cancel", "env"} <= set(rows)
    columns = len(header.split("|"))
    assert all(len(line.split("|")) == columns for line in lines)


def test_closed_pipe_is_quiet(monkeypatch: pytest.MonkeyPatch) -> None:
    """Output into a pipe nobody reads any more (`stopkit venues | head -1`) ends quietly with 0."""
    read_end, write_end = os.pipe()
    os.close(read_end)  # the reader is gone: every write raises BrokenPipeError
    stdout = os.fdopen(write_end, "w", buffering=1)
    monkeypatch.setattr(sys, "stdout", stdout)
    try:
        assert main(["venues"]) == 0
    finally:
        monkeypatch.undo()
        with contextlib.suppress(OSError):
            stdout.close()
