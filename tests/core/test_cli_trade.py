"""The full command line: --version, help everywhere, place/get/cancel/orders, --json, exit statuses, simulate."""

from __future__ import annotations

import argparse
import asyncio
import io
import json
import subprocess
import sys
import threading
from collections.abc import Iterator
from decimal import Decimal
from typing import Any

import pytest

import stopkit
from stopkit.cli import _build_parser, main
from stopkit.orders import OrderKind, Side, TriggerType
from stopkit.testing.simkit import Fault

ORDER = ["--kind", "stop-market", "--symbol", "BTC/USDC:USDC", "--side", "SELL", "--quantity", "0.1"]
ORDER += ["--stop-price", "48000", "--position-effect", "close"]
COID_1 = "0d6a8f5e-1c2b-4e3f-9a8b-7c6d5e4f3a21"  # Pacifica takes full UUIDs only
COID_2 = "5b1e2f3a-4c5d-4e6f-8a9b-0c1d2e3f4a5b"


class Served:
    """A venue simulator served from its own thread's event loop, for commands that run asyncio.run()."""

    def __init__(self, venue: str) -> None:
        self.venue = venue
        self.sim: Any = stopkit.simulator(venue)
        self.loop = asyncio.new_event_loop()
        self.thread = threading.Thread(target=self.loop.run_forever, daemon=True)
        self.thread.start()
        self.base_url = asyncio.run_coroutine_threadsafe(self.sim.start(), self.loop).result(10)

    def env_and_flags(self) -> tuple[dict[str, str], list[str]]:
        flags = []
        for key, value in self.sim.demo_config(self.base_url).items():
            flags += ["--venue-config", f"{key}={value}"]
        return dict(self.sim.demo_credentials()), flags

    def close(self) -> None:
        asyncio.run_coroutine_threadsafe(self.sim.stop(), self.loop).result(10)
        self.loop.call_soon_threadsafe(self.loop.stop)
        self.thread.join(10)
        self.loop.close()


@pytest.fixture
def served(request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch) -> Iterator[tuple[Served, list[str]]]:
    server = Served(request.param)
    env, flags = server.env_and_flags()
    for key, value in env.items():
        monkeypatch.setenv(key, value)
    try:
        yield server, flags
    finally:
        server.close()


def _walk(parser: argparse.ArgumentParser, path: str = "stopkit") -> Iterator[tuple[str, argparse.Action]]:
    for action in parser._actions:
        yield path, action
        if isinstance(action, argparse._SubParsersAction):
            for choice in action._choices_actions:
                yield f"{path} {choice.dest}", choice
            for name, sub in action.choices.items():
                yield from _walk(sub, f"{path} {name}")


def test_version_and_python_dash_m() -> None:
    """`python -m stopkit --version` prints the package version and exits 0."""
    out = subprocess.run(
        [sys.executable, "-m", "stopkit", "--version"], capture_output=True, text=True, timeout=60, check=False
    )
    assert out.returncode == 0, out.stderr
    assert out.stdout.strip() == f"stopkit {stopkit.__version__}"


def test_every_subcommand_positional_and_option_has_help() -> None:
    """No subcommand, positional or option of any command lacks help text, and --json is on every command."""
    missing = [
        f"{path}: {action.dest}"
        for path, action in _walk(_build_parser())
        if not isinstance(action, argparse._SubParsersAction) and not (action.help or "").strip()
    ]
    assert missing == []
    commands = next(a for a in _build_parser()._actions if isinstance(a, argparse._SubParsersAction))
    for name, sub in commands.choices.items():
        assert any("--json" in a.option_strings for a in sub._actions), name
    expected = {"place", "get", "cancel", "orders", "simulate", "watch", "venues", "demo", "preview"}
    assert expected <= set(commands.choices)


@pytest.mark.parametrize(
    ("spelling", "expected"),
    [
        (["--side", "SELL"], ("side", Side.SELL)),
        (["--side", "sell"], ("side", Side.SELL)),
        (["--trigger", "MARK_PRICE"], ("trigger", TriggerType.MARK_PRICE)),
        (["--trigger", "mark"], ("trigger", TriggerType.MARK_PRICE)),
        (["--kind", "stop-limit"], ("kind", OrderKind.STOP_LIMIT)),
        (["--kind", "STOP-MARKET"], ("kind", OrderKind.STOP_MARKET)),
    ],
)
def test_spellings_are_the_librarys(spelling: list[str], expected: tuple[str, object]) -> None:
    """Kinds, sides and triggers take the library's names and values in any case."""
    base = dict(zip(ORDER[::2], ORDER[1::2], strict=True))
    base.update(dict(zip(spelling[::2], spelling[1::2], strict=True)))
    argv = ["place", "pacifica", *[item for pair in base.items() for item in pair]]
    args = _build_parser().parse_args(argv)
    assert getattr(args, expected[0]) is expected[1]


def test_place_paper_text_and_json(capsys: pytest.CaptureFixture[str]) -> None:
    """place --paper places on the in-process simulator without asking; --json prints the state object."""
    assert main(["place", "pacifica", "--paper", *ORDER]) == 0
    text = capsys.readouterr().out
    assert "ACCEPTED" in text
    assert "stop-market" in text
    assert main(["place", "pacifica", "--paper", "--json", *ORDER, "--client-order-id", COID_1]) == 0
    state = json.loads(capsys.readouterr().out)
    assert state["status"] == "ACCEPTED"
    assert state["side"] == "SELL"
    assert state["kind"] == "stop-market"
    assert state["stop_price"] == "48000"
    assert state["client_order_id"] == COID_1
    assert isinstance(state["raw"], dict)


@pytest.mark.parametrize(
    ("argv", "status"),
    [
        (["place", "pacifica", "--paper", *ORDER, "--trigger", "sideways"], 2),  # argparse
        (["place", "pacifica", "--paper", *ORDER, "--limit-price", "47000"], 2),  # InvalidOrder
        (["place", "aries", "--paper", *ORDER[:2], "--symbol", "AAPL", *ORDER[4:], "--trigger", "mark"], 2),
        (["orders", "b2trader", "--paper"], 2),  # UnsupportedOrder: nothing to list with
        (["get", "pacifica", "--paper", "--venue-order-id", "99", "--symbol", "BTC"], 1),  # OrderNotFound
        (["cancel", "pacifica", "--paper", "--venue-order-id", "99", "--symbol", "BTC"], 1),
    ],
)
def test_exit_status_tells_usage_from_refusal(argv: list[str], status: int, capsys: pytest.CaptureFixture[str]) -> None:
    """A usage error exits 2, a venue refusal 1; both with one line on stderr."""
    with pytest.raises(SystemExit) as info:
        main(argv)
    assert info.value.code == status
    err = capsys.readouterr().err
    assert err.count("\n") == 1, err
    assert "Traceback" not in err


def test_json_error_object_on_stdout(capsys: pytest.CaptureFixture[str]) -> None:
    """With --json an error is also one JSON object on stdout, carrying the exit status."""
    with pytest.raises(SystemExit) as info:
        main(["get", "pacifica", "--paper", "--json", "--venue-order-id", "99", "--symbol", "BTC"])
    assert info.value.code == 1
    out = json.loads(capsys.readouterr().out)
    assert out["exit_status"] == 1
    assert out["error"]["type"] == "OrderNotFound"
    assert out["error"]["outcome_known"] is True


@pytest.mark.parametrize("served", ["b2trader"], indirect=True)
def test_unknown_outcome_exits_3(served: tuple[Served, list[str]], capsys: pytest.CaptureFixture[str]) -> None:
    """A placement whose answer is lost after the venue acted exits 3 (B2TRADER cannot look it up)."""
    server, flags = served
    server.sim.faults.add(Fault(kind="drop_after", method="POST", path="/stop-orders"))
    argv = ["place", "b2trader", "--yes", "--json", *flags, "--kind", "stop-market", "--symbol", "BTC/USDT"]
    argv += ["--side", "sell", "--quantity", "0.01", "--stop-price", "60000", "--time-in-force", "ioc"]
    with pytest.raises(SystemExit) as info:
        main(argv)
    assert info.value.code == 3
    out = json.loads(capsys.readouterr().out)
    assert out["error"]["outcome_known"] is False
    assert len(server.sim.stops) == 1  # the venue did act


@pytest.mark.parametrize("served", ["pacifica"], indirect=True)
def test_place_and_cancel_ask_for_confirmation(
    served: tuple[Served, list[str]], monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    """Without --yes, place and cancel send nothing unless the answer is yes; then get and orders see the order."""
    server, flags = served
    monkeypatch.setattr(sys, "stdin", io.StringIO("n\n"))
    assert main(["place", "pacifica", *flags, *ORDER]) == 1
    assert "not confirmed" in capsys.readouterr().err
    assert server.sim.orders == {}
    monkeypatch.setattr(sys, "stdin", io.StringIO(""))  # no answer at all
    assert main(["place", "pacifica", *flags, *ORDER]) == 1
    assert server.sim.orders == {}
    monkeypatch.setattr(sys, "stdin", io.StringIO("yes\n"))
    assert main(["place", "pacifica", "--json", *flags, *ORDER, "--client-order-id", COID_2]) == 0
    placed = json.loads(capsys.readouterr().out)
    assert len(server.sim.orders) == 1
    assert main(["get", "pacifica", "--json", *flags, "--client-order-id", COID_2, "--symbol", "BTC"]) == 0
    assert json.loads(capsys.readouterr().out)["venue_order_id"] == placed["venue_order_id"]
    assert main(["orders", "pacifica", "--json", *flags]) == 0
    assert [s["venue_order_id"] for s in json.loads(capsys.readouterr().out)] == [placed["venue_order_id"]]
    cancel = ["cancel", "pacifica", "--json", *flags, "--venue-order-id", placed["venue_order_id"], "--symbol", "BTC"]
    monkeypatch.setattr(sys, "stdin", io.StringIO("no\n"))
    assert main(cancel) == 1
    assert main(["cancel", "pacifica", "--yes", *cancel[2:]]) == 0
    assert json.loads(capsys.readouterr().out)["status"] == "CANCELED"


def test_watch_json_is_ndjson(capsys: pytest.CaptureFixture[str]) -> None:
    """watch --json prints one JSON object per update, no header, with the trigger and the fill."""
    assert main(["watch", "pacifica", "--simulator", "--json"]) == 0
    lines = capsys.readouterr().out.splitlines()
    updates = [json.loads(line) for line in lines]
    assert {"TRIGGERED", "FILLED"} <= {u["status"] for u in updates if "status" in u}
    assert all(u["venue"] == "pacifica" for u in updates if "status" in u)


def test_venues_and_demo_json(capsys: pytest.CaptureFixture[str]) -> None:
    """venues --json lists each venue's capabilities; demo --json reports each order's path."""
    assert main(["venues", "--json"]) == 0
    venues = {v["name"]: v for v in json.loads(capsys.readouterr().out)}
    assert {"pacifica", "aries", "b2trader"} <= set(venues)
    assert venues["pacifica"]["capabilities"]["cancel"] is True
    assert main(["demo", "--venue", "aries", "--json"]) == 0
    demo = json.loads(capsys.readouterr().out)
    assert demo["ok"] is True
    assert demo["orders"]
    assert all(o["venue"] == "aries" and o["near"] == "ACCEPTED" and not o["problems"] for o in demo["orders"])


def test_simulate_serves_another_process() -> None:
    """`stopkit simulate` serves a simulator a bot in another process trades on; stdin moves its price."""
    with subprocess.Popen(
        [sys.executable, "-m", "stopkit", "simulate", "pacifica", "--json", "--price", "BTC/USDC:USDC=50000"],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    ) as proc:
        assert proc.stdout is not None
        assert proc.stdin is not None
        stdin, stdout = proc.stdin, proc.stdout
        try:
            details = json.loads(stdout.readline())
            assert details["base_url"].startswith("http://127.0.0.1:")

            async def bot() -> str:
                creds, config = details["credentials"], details["config"]
                async with stopkit.connect("pacifica", credentials=creds, config=config) as venue:
                    order = stopkit.StopOrder(
                        symbol="BTC/USDC:USDC", side="sell", quantity="0.1", stop_price="48000", position_effect="close"
                    )
                    placed = await venue.place(order)
                    assert placed.status is stopkit.OrderStatus.ACCEPTED
                    stdin.write("BTC/USDC:USDC 47000\n")
                    stdin.flush()
                    assert json.loads(stdout.readline()) == {"price": {"symbol": "BTC/USDC:USDC", "price": "47000"}}
                    after = await venue.get(client_order_id=order.client_order_id, symbol="BTC")
                    return after.status.name

            assert asyncio.run(bot()) == "FILLED"
        finally:
            proc.terminate()
            proc.wait(timeout=10)
        assert proc.returncode == 0, proc.stderr.read() if proc.stderr else ""
    assert Decimal(str(details["config"]["rate_limit_credits"])) > 0
