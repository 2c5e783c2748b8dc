"""The README's three-venue bot (examples/stop_loss_bot.py): runs in paper mode, type-checks strictly as user code."""

from __future__ import annotations

import importlib.util
import re
import subprocess
import sys
from pathlib import Path
from types import ModuleType

import pytest

ROOT = Path(__file__).resolve().parents[2]
BOT = ROOT / "examples" / "stop_loss_bot.py"

# A user's mistakes: each line must be an error for mypy --strict (line number → what it names).
BAD_USER_CODE = """\
import stopkit

stopkit.StopOrder(symbol=1, side="sell", quantity="1", stop_price="2")
stopkit.StopOrder(symbol="BTC", side=3.3, quantity="1", stop_price="2")
stopkit.StopOrder(symbol="BTC", side="sell", quantity=0.5, stop_price="2")
stopkit.StopLimitOrder(symbol="BTC", side="sell", quantity="1", stop_price="2")
stopkit.simulator("pacifica").set_price("BTC", 1.5)
"""
BAD_LINES = {3: "symbol", 4: "side", 5: "quantity", 6: "limit_price", 7: "set_price"}


def _load_bot() -> ModuleType:
    spec = importlib.util.spec_from_file_location("stop_loss_bot", BOT)
    assert spec is not None
    assert spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules["stop_loss_bot"] = module
    try:
        spec.loader.exec_module(module)
    finally:
        sys.modules.pop("stop_loss_bot", None)
    return module


def test_the_bot_runs_in_paper_mode(capsys: pytest.CaptureFixture[str]) -> None:
    """On the three simulators the bot places, trails, cancels and sees a trigger on every venue."""
    bot = _load_bot()
    assert bot.main(["--paper"]) == 0
    out = capsys.readouterr().out
    for venue in ("pacifica", "aries", "b2trader"):
        for step in ("placed", "trailed", "cancel", "trigger"):
            assert re.search(rf"^{venue}\s+{step}\b", out, re.MULTILINE), (venue, step, out)
    assert "PROBLEM" not in out
    assert "3 of 3 venues protected" in out


def test_user_code_type_checks_strictly_from_another_directory(tmp_path: Path) -> None:
    """mypy --strict, run outside the checkout, finds stopkit (installed), passes the bot and flags each bad call."""
    bad = tmp_path / "bad_bot.py"
    bad.write_text(BAD_USER_CODE)
    out = subprocess.run(
        [sys.executable, "-m", "mypy", "--strict", "--cache-dir", str(tmp_path / "cache"), str(BOT), str(bad)],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    report = out.stdout + out.stderr
    assert "stop_loss_bot.py" not in report, report
    assert "import-not-found" not in report, report
    assert "Cannot find implementation" not in report, report
    flagged = {int(m.group(1)) for m in re.finditer(r"bad_bot\.py:(\d+): error", report)}
    assert flagged == set(BAD_LINES), report
    for line, name in BAD_LINES.items():
        assert re.search(rf"bad_bot\.py:{line}: error: .*{name}", report), (line, name, report)
    assert out.returncode == 1
