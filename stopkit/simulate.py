"""``stopkit simulate VENUE [--port N] [--price SYMBOL=PRICE]...``: serve a venue's simulator for
bots in other processes.

It serves the simulator on 127.0.0.1 (``--port``, default a free one) and prints its base URL and
how to connect: the simulator's demo credentials and the venue config (``base_url`` and the
client-side budget lifted), as a Python ``stopkit.connect(...)`` line and as environment
variables plus ``--venue-config`` options for the ``stopkit`` commands. With ``--json`` it prints
them as one JSON line instead: ``{"venue", "base_url", "credentials", "config"}``.

Prices move from stdin: each line ``SYMBOL PRICE`` (e.g. ``BTC/USDC:USDC 47000``) sets the
simulated price; stops it crosses trigger at once. It serves until Ctrl-C or SIGTERM (exit 0).
The demo credentials are the simulator's fixed test values, never real keys.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import shlex
import signal
import sys
import threading
from collections.abc import Mapping
from typing import Any, TextIO

from stopkit.errors import StopkitError
from stopkit.paper import PaperMarket
from stopkit.registry import get_venue

__all__ = ["run_simulate"]


def _instructions(market: PaperMarket) -> str:
    # How a bot (Python) and the stopkit commands (shell) connect to the served simulator.
    config_flags = " ".join(f"--venue-config {shlex.quote(f'{k}={v}')}" for k, v in market.config.items())
    env = " ".join(f"{k}={shlex.quote(v)}" for k, v in market.credentials.items())
    return "\n".join(
        [
            f"{market.venue} simulator serving at {market.base_url} (Ctrl-C to stop)",
            "",
            "From Python:",
            f"  stopkit.connect({market.venue!r}, credentials={market.credentials!r}, config={market.config!r})",
            "",
            "From the shell:",
            f"  export {env}",
            f"  stopkit orders {market.venue} {config_flags}",
            "",
            'Move a price: type "SYMBOL PRICE" and Enter, e.g. "BTC/USDC:USDC 47000".',
        ]
    )


def _start_reader(stdin: TextIO, loop: asyncio.AbstractEventLoop, lines: asyncio.Queue[str]) -> None:
    # A daemon thread: a blocked readline never keeps the process from exiting.
    def read() -> None:
        for line in iter(stdin.readline, ""):
            loop.call_soon_threadsafe(lines.put_nowait, line)
        loop.call_soon_threadsafe(lines.put_nowait, "")

    threading.Thread(target=read, name="stopkit-simulate-stdin", daemon=True).start()


async def _apply_lines(market: PaperMarket, lines: asyncio.Queue[str], out: TextIO, *, as_json: bool) -> None:
    # "SYMBOL PRICE" lines move prices; EOF ("") ends reading (serving goes on).
    while line := await lines.get():
        parts = line.split()
        if not parts:
            continue
        if len(parts) != 2:
            print(f"stopkit: error: expected SYMBOL PRICE, got {line.strip()!r}", file=sys.stderr, flush=True)
            continue
        try:
            market.set_price(parts[0], parts[1])
        except StopkitError as exc:
            print(f"stopkit: error: {exc.message}", file=sys.stderr, flush=True)
            continue
        if as_json:
            print(json.dumps({"price": {"symbol": parts[0], "price": parts[1]}}), file=out, flush=True)
        else:
            print(f"{parts[0]} price set to {parts[1]}", file=out, flush=True)


async def run_simulate(
    venue: str,
    *,
    port: int = 0,
    prices: Mapping[str, str] | None = None,
    as_json: bool = False,
    out: TextIO,
    stdin: TextIO | None = None,
    stop: asyncio.Event | None = None,
) -> int:
    """Serve ``venue``'s simulator until ``stop`` is set, Ctrl-C or SIGTERM; returns the exit status (0).

    Raises:
        PluginError: unknown venue.
        ConfigurationError: the venue ships no simulator.
        InvalidArgument: a malformed starting price or unknown market in ``prices``.
        OSError: the port is taken.
    """
    market = PaperMarket(get_venue(venue), port=port)
    try:
        for symbol, price in (prices or {}).items():
            market.set_price(symbol, price)
        await market.start()
        if as_json:
            details: dict[str, Any] = {
                "venue": market.venue,
                "base_url": market.base_url,
                "credentials": market.credentials,
                "config": market.config,
            }
            print(json.dumps(details), file=out, flush=True)
        else:
            print(_instructions(market), file=out, flush=True)
        stop = stop or asyncio.Event()
        loop = asyncio.get_running_loop()
        for signum in (signal.SIGINT, signal.SIGTERM):
            with contextlib.suppress(NotImplementedError, RuntimeError, ValueError):
                loop.add_signal_handler(signum, stop.set)
        lines: asyncio.Queue[str] = asyncio.Queue()
        _start_reader(stdin or sys.stdin, loop, lines)
        reader = asyncio.ensure_future(_apply_lines(market, lines, out, as_json=as_json))
        try:
            await stop.wait()
        finally:
            reader.cancel()
            for signum in (signal.SIGINT, signal.SIGTERM):
                with contextlib.suppress(NotImplementedError, RuntimeError, ValueError):
                    loop.remove_signal_handler(signum)
    finally:
        await market.close()
    return 0
