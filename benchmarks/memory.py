"""Scenario 4: memory per in-flight placement at concurrency 1,000.

A stand-in Pacifica server in another process (:mod:`benchmarks._server`, ``mode=hold``)
holds every ``POST /api/v1/orders/stop/create`` until told to answer. The client starts
1,000 placements at once and, when the server holds all 1,000, reads ``tracemalloc``'s
current traced size; (that - the size just before the placements started) / 1,000 is the
memory per in-flight order. Orders (stopkit) and request bodies (reference) are built
before the baseline, so the reference's figure is the bare aiohttp cost of one request
in flight, and stopkit's adds everything ``place`` holds (flow, context, signed request,
transport, retry state).

Both use a connector without aiohttp's default limit of 100 connections per session:
stopkit's default :class:`~stopkit.transport.AiohttpTransport` session keeps that limit, so
with it at most 100 placements are on the wire and the rest queue inside aiohttp.
"""

from __future__ import annotations

import asyncio
import gc
import tracemalloc
from collections.abc import Awaitable, Callable
from typing import Any

import aiohttp

import stopkit
from benchmarks._core import Row, Settings, Stats
from benchmarks._fixtures import CREDENTIALS, connect, fresh_orders
from benchmarks._server import ServerProcess

NAME = "memory"
IN_FLIGHT = 1_000


async def _until_held(server: ServerProcess, control: aiohttp.ClientSession, count: int) -> None:
    for _ in range(3000):
        if await server.held(control) >= count:
            return
        await asyncio.sleep(0.01)
    raise RuntimeError(f"the server never held {count} requests")


async def _in_flight_bytes(
    server: ServerProcess,
    control: aiohttp.ClientSession,
    start: Callable[[], list[Awaitable[Any]]],
) -> float:
    # Traced bytes per request while `count` requests are held by the server.
    gc.collect()
    tracemalloc.start()
    try:
        baseline = tracemalloc.get_traced_memory()[0]
        tasks = [asyncio.ensure_future(awaitable) for awaitable in start()]
        await _until_held(server, control, len(tasks))
        current = tracemalloc.get_traced_memory()[0]
    finally:
        tracemalloc.stop()
    await server.release(control)
    results = await asyncio.gather(*tasks, return_exceptions=True)
    errors = [r for r in results if isinstance(r, BaseException)]
    if errors:
        raise RuntimeError(f"{len(errors)} in-flight requests failed, e.g. {errors[0]!r}")
    return (current - baseline) / len(tasks)


async def run_stopkit(server: ServerProcess, control: aiohttp.ClientSession, count: int) -> float:
    from stopkit.transport import AiohttpTransport

    base_url = (await server.reset(control, "hold"))["base_url"]
    orders = fresh_orders(count)
    session = aiohttp.ClientSession(connector=aiohttp.TCPConnector(limit=0))
    transport = AiohttpTransport(session=session, venue="pacifica")
    from stopkit.retry import RetryPolicy

    retry = RetryPolicy(max_attempts=1, backoff=False, timeout_s=120, total_timeout_s=120)
    try:
        async with connect(base_url, transport=transport, retry=retry) as client:
            return await _in_flight_bytes(server, control, lambda: [client.place(order) for order in orders])
    finally:
        await session.close()


async def run_bare(server: ServerProcess, control: aiohttp.ClientSession, count: int) -> float:
    base_url = (await server.reset(control, "hold"))["base_url"]
    requests = [
        stopkit.preview("pacifica", order, credentials=CREDENTIALS, config={"base_url": base_url})
        for order in fresh_orders(count)
    ]

    async with aiohttp.ClientSession(connector=aiohttp.TCPConnector(limit=0)) as session:

        async def post(request: stopkit.HttpRequest) -> int:
            async with session.post(request.url, data=request.body, headers=request.headers) as response:
                await response.read()
                return response.status

        return await _in_flight_bytes(server, control, lambda: [post(request) for request in requests])


async def measure(settings: Settings, count: int = IN_FLIGHT) -> dict[str, list[float]]:
    samples: dict[str, list[float]] = {"stopkit": [], "bare": []}
    with ServerProcess() as server:
        async with aiohttp.ClientSession() as control:
            for repeat in range(settings.macro_repeats):
                first_stopkit = repeat % 2 == 0
                for name in ("stopkit", "bare") if first_stopkit else ("bare", "stopkit"):
                    runner = run_stopkit if name == "stopkit" else run_bare
                    samples[name].append(await runner(server, control, count))
    return samples


def run(settings: Settings) -> list[Row]:
    samples = asyncio.run(measure(settings))
    stopkit_stats, bare_stats = Stats.of(samples["stopkit"]), Stats.of(samples["bare"])
    return [
        Row(
            NAME,
            f"traced bytes per in-flight place @ {IN_FLIGHT}",
            stopkit_stats,
            "B",
            reference="bare aiohttp request in flight",
            reference_stats=bare_stats,
            notes="tracemalloc (Python allocations only); connector limit lifted on both sides",
            extra={"samples": samples},
        )
    ]
