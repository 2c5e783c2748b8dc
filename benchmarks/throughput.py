"""Scenario 2: placement throughput end to end over loopback.

2,000 orders at concurrency 64 (64 workers sharing one queue) through
``VenueClient.place`` (``stopkit.connect``, retries off, client rate limit lifted),
against a bare :class:`aiohttp.ClientSession` posting the same kind of pre-built bytes
(every body built and signed beforehand with ``stopkit.preview``: distinct client order
ids, fresh timestamps well inside the 30 s expiry window) to the same simulator.

The Pacifica simulator runs in its own process (:mod:`benchmarks._server`), fresh for
every run; both variants open their connections with 64 untimed warm-up orders first.
A second pair of runs uses a stand-in server that answers at once with a valid body
(``mode=fast``): the simulator (signature check, order book) costs more per request
than either client, so against it both variants are server-bound.

Reported: orders per second (wall clock), and the client process's CPU time per order
(``time.process_time``), which isolates the client's own cost from the server's.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Awaitable, Callable, Iterable
from typing import Any, TypeVar

import aiohttp

import stopkit
from benchmarks._core import Row, Settings, Stats
from benchmarks._fixtures import CREDENTIALS, connect, fresh_orders
from benchmarks._server import ServerProcess

NAME = "throughput"
ORDERS = 2_000
CONCURRENCY = 64
WARMUP = 64
T = TypeVar("T")


async def drive(items: Iterable[T], send: Callable[[T], Awaitable[bool]], concurrency: int) -> int:
    """Run ``send`` over ``items`` with ``concurrency`` workers; returns how many failed."""
    iterator = iter(items)
    failures = 0

    async def worker() -> None:
        nonlocal failures
        for item in iterator:
            if not await send(item):
                failures += 1

    await asyncio.gather(*(worker() for _ in range(concurrency)))
    return failures


async def _timed(items: list[T], send: Callable[[T], Awaitable[bool]]) -> tuple[float, float, int]:
    # (wall seconds, client CPU seconds, failures) for items[WARMUP:], after items[:WARMUP] warmed up.
    await drive(items[:WARMUP], send, CONCURRENCY)
    wall, cpu = time.perf_counter(), time.process_time()
    failures = await drive(items[WARMUP:], send, CONCURRENCY)
    return time.perf_counter() - wall, time.process_time() - cpu, failures


async def run_stopkit(base_url: str, count: int) -> tuple[float, float, int]:
    """``count`` placements through ``VenueClient.place``."""
    orders = fresh_orders(count + WARMUP)
    async with connect(base_url) as client:

        async def send(order: stopkit.StopLimitOrder) -> bool:
            try:
                await client.place(order)
            except stopkit.StopkitError:
                return False
            return True

        return await _timed(orders, send)


async def run_bare(base_url: str, count: int) -> tuple[float, float, int]:
    """``count`` pre-built signed bodies posted with one bare aiohttp session."""
    requests = [
        stopkit.preview("pacifica", order, credentials=CREDENTIALS, config={"base_url": base_url})
        for order in fresh_orders(count + WARMUP)
    ]
    async with aiohttp.ClientSession() as session:

        async def send(request: stopkit.HttpRequest) -> bool:
            async with session.post(request.url, data=request.body, headers=request.headers) as response:
                await response.read()
                return response.status == 200

        return await _timed(requests, send)


async def measure(settings: Settings, count: int = ORDERS, mode: str = "sim") -> dict[str, Any]:
    """Interleaved runs of both variants, each against a fresh server (``mode``: see :mod:`benchmarks._server`)."""
    runners: dict[str, Callable[[str, int], Awaitable[tuple[float, float, int]]]] = {
        "stopkit": run_stopkit,
        "bare": run_bare,
    }
    rates: dict[str, list[float]] = {name: [] for name in runners}
    cpu: dict[str, list[float]] = {name: [] for name in runners}
    failures: dict[str, int] = dict.fromkeys(runners, 0)
    parameters: list[str] = []
    with ServerProcess() as server:
        async with aiohttp.ClientSession() as control:
            for repeat in range(settings.macro_repeats):
                names = list(runners) if repeat % 2 == 0 else list(reversed(runners))
                for name in names:
                    served = await server.reset(control, mode)
                    parameters = served["simulator_parameters"]
                    wall, cpu_s, failed = await runners[name](served["base_url"], count)
                    rates[name].append(count / wall)
                    cpu[name].append(cpu_s / count)
                    failures[name] += failed
    return {"rates": rates, "cpu": cpu, "failures": failures, "simulator_parameters": parameters}


def run(settings: Settings) -> list[Row]:
    simulator = _rows(asyncio.run(measure(settings)), "simulator")
    return simulator + _rows(asyncio.run(measure(settings, mode="fast")), "fast")


def _rows(result: dict[str, Any], server: str) -> list[Row]:
    rates = {name: Stats.of(values) for name, values in result["rates"].items()}
    cpu = {name: Stats.of(values) for name, values in result["cpu"].items()}
    extra = {
        "orders": ORDERS,
        "concurrency": CONCURRENCY,
        "failures": result["failures"],
        "simulator_parameters": result["simulator_parameters"],
        "server": server,
        "rates": result["rates"],
        "cpu_per_order": result["cpu"],
    }
    failed = sum(result["failures"].values())
    notes = f"{failed} placements failed" if failed else ""
    return [
        Row(
            NAME,
            f"VenueClient.place, {ORDERS} orders @ {CONCURRENCY}, {server} server",
            rates["stopkit"],
            "1/s",
            reference="bare aiohttp, pre-built bodies",
            reference_stats=rates["bare"],
            target="≥ 0.85x bare aiohttp",
            met=rates["stopkit"].median >= 0.85 * rates["bare"].median and not failed,
            notes=notes,
            extra=extra,
        ),
        Row(
            NAME,
            f"client CPU per order (place), {server} server",
            cpu["stopkit"],
            "s",
            reference="bare aiohttp CPU per order",
            reference_stats=cpu["bare"],
        ),
    ]
