"""Scenario: does a placement's cost stay flat as load grows?

- **Memory per in-flight place** at 1, 10, 100 and 1,000 concurrent callers: the stand-in server
  (another process, ``mode=hold``) holds every ``POST /api/v1/orders/stop/create`` until told to
  answer; once it holds all N, ``tracemalloc``'s traced size less the size before the calls
  started, over N, is the memory one placement holds in flight (the orders are built before the
  baseline). Reference: a bare aiohttp post of a pre-built body, in flight the same way.
- **Client CPU per place** at 1, 10, 100 and 1,000 concurrent callers (that many workers sharing
  one queue of ``CPU_ORDERS`` orders, after N untimed warm-up orders that open the connections)
  against the stand-in answering at once (``mode=fast``); reference: bare aiohttp posts.
- **watch_orders CPU per event** as the orders the client knows grow from 100 to 100,000: the
  client first reads K open stop orders (``open_orders``, answered in-process by
  :class:`~stopkit.testing.MockTransport`), then ``watch_orders`` receives ``EVENTS`` frames of
  Pacifica's ``account_order_updates`` over the in-memory fake WebSocket (a new stop, then its
  trigger, in turn), each yielded as a change; the client CPU from the first to the last yielded
  event, over ``EVENTS``.

To put N placements on the wire at once, the placement rows lift the limits that would queue
them elsewhere, on both sides alike: the client's throttle admits N at a time
(``RateLimit(max_concurrent=N)``, its credit budget out of reach) and both sessions use a
connector without aiohttp's default cap of 100 connections. The default retry policy is kept.
"""

from __future__ import annotations

import asyncio
import contextlib
import gc
import json
import time
import tracemalloc
from collections.abc import Awaitable, Callable
from typing import Any

import aiohttp

import stopkit
from benchmarks._core import Row, Settings, Stats, fmt_value
from benchmarks._fixtures import CREDENTIALS, fresh_orders
from benchmarks._server import ServerProcess
from benchmarks.place import stopkit_client
from benchmarks.throughput import drive

NAME = "scaling"
CALLERS = (1, 10, 100, 1_000)
CPU_ORDERS = 2_000
KNOWN = (100, 1_000, 10_000, 100_000)
EVENTS = 1_000
FLAT = 1.25  # a row is flat when it is at most this much above the figure at the lightest load


def _client_options(concurrency: int) -> tuple[dict[str, Any], aiohttp.ClientSession]:
    # connect() keyword arguments that let `concurrency` placements be on the wire at once, and the
    # session (without aiohttp's cap of 100 connections) to close afterwards.
    from stopkit.ratelimit import RateLimit
    from stopkit.transport import AiohttpTransport

    session = aiohttp.ClientSession(connector=aiohttp.TCPConnector(limit=0))
    options = {
        "rate_limit": RateLimit(capacity=1e12, window_s=60.0, max_concurrent=max(16, concurrency), source="benchmark"),
        "transport": AiohttpTransport(session=session, venue="pacifica"),
    }
    return options, session


# -- memory per in-flight placement ----------------------------------------------------------


async def _until_held(server: ServerProcess, control: aiohttp.ClientSession, count: int) -> None:
    for _ in range(6000):
        if await server.held(control) >= count:
            return
        await asyncio.sleep(0.005)
    raise RuntimeError(f"the server never held {count} requests")


async def _in_flight_bytes(
    server: ServerProcess, control: aiohttp.ClientSession, start: Callable[[], list[Awaitable[Any]]]
) -> float:
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
    errors = [r for r in results if isinstance(r, BaseException) or r is False]
    if errors:
        raise RuntimeError(f"{len(errors)} in-flight requests failed, e.g. {errors[0]!r}")
    return (current - baseline) / len(tasks)


async def memory_stopkit(server: ServerProcess, control: aiohttp.ClientSession, count: int) -> float:
    """Traced bytes per ``place`` held in flight by the server, ``count`` at once."""
    base_url = (await server.reset(control, "hold"))["base_url"]
    options, session = _client_options(count)
    try:
        async with stopkit_client(base_url, **options) as client:
            await client.markets(["BTC"])  # GET /api/v1/info (answered at once): cached, as in a running bot
            orders = fresh_orders(count)
            return await _in_flight_bytes(server, control, lambda: [client.place(order) for order in orders])
    finally:
        await session.close()


async def memory_bare(server: ServerProcess, control: aiohttp.ClientSession, count: int) -> float:
    """Traced bytes per bare aiohttp post held in flight by the server, ``count`` at once."""
    base_url = (await server.reset(control, "hold"))["base_url"]
    requests = [
        stopkit.preview("pacifica", order, credentials=CREDENTIALS, config={"base_url": base_url})
        for order in fresh_orders(count)
    ]
    async with aiohttp.ClientSession(connector=aiohttp.TCPConnector(limit=0)) as session:

        async def post(request: stopkit.HttpRequest) -> bool:
            async with session.post(request.url, data=request.body, headers=request.headers) as response:
                await response.read()
                return response.status == 200

        return await _in_flight_bytes(server, control, lambda: [post(request) for request in requests])


# -- CPU per placement -----------------------------------------------------------------------


async def _timed_cpu(items: list[Any], send: Callable[[Any], Awaitable[bool]], concurrency: int) -> float:
    await drive(items[:concurrency], send, concurrency)
    gc.collect()
    cpu = time.process_time()
    failures = await drive(items[concurrency:], send, concurrency)
    elapsed = time.process_time() - cpu
    if failures:
        raise RuntimeError(f"{failures} placements failed")
    return elapsed / (len(items) - concurrency)


async def cpu_stopkit(base_url: str, concurrency: int, count: int) -> float:
    """Client CPU per ``place`` at ``concurrency`` callers."""
    options, session = _client_options(concurrency)
    orders = fresh_orders(concurrency + count)
    try:
        async with stopkit_client(base_url, **options) as client:

            async def send(order: stopkit.StopLimitOrder) -> bool:
                await client.place(order)
                return True

            return await _timed_cpu(orders, send, concurrency)
    finally:
        await session.close()


async def cpu_bare(base_url: str, concurrency: int, count: int) -> float:
    """Client CPU per bare aiohttp post at ``concurrency`` callers."""
    requests = [
        stopkit.preview("pacifica", order, credentials=CREDENTIALS, config={"base_url": base_url})
        for order in fresh_orders(concurrency + count)
    ]
    async with aiohttp.ClientSession(connector=aiohttp.TCPConnector(limit=0)) as session:

        async def send(request: stopkit.HttpRequest) -> bool:
            async with session.post(request.url, data=request.body, headers=request.headers) as response:
                await response.read()
                return response.status == 200

        return await _timed_cpu(requests, send, concurrency)


async def measure_placements(settings: Settings) -> dict[str, dict[str, list[float]]]:
    """Memory and CPU samples per variant and number of callers, interleaved."""
    repeats = 2 if settings.quick else 5
    count = 500 if settings.quick else CPU_ORDERS
    memory: dict[str, list[float]] = {f"{name}@{n}": [] for name in ("stopkit", "bare") for n in CALLERS}
    cpu: dict[str, list[float]] = {key: [] for key in memory}
    with ServerProcess() as server:
        async with aiohttp.ClientSession() as control:
            for repeat in range(repeats):
                order = ("stopkit", "bare") if repeat % 2 == 0 else ("bare", "stopkit")
                for n in CALLERS:
                    for name in order:
                        runner = memory_stopkit if name == "stopkit" else memory_bare
                        memory[f"{name}@{n}"].append(await runner(server, control, n))
                        base_url = (await server.reset(control, "fast"))["base_url"]
                        timed = cpu_stopkit if name == "stopkit" else cpu_bare
                        cpu[f"{name}@{n}"].append(await timed(base_url, n, count))
    return {"memory": memory, "cpu": cpu}


# -- watch_orders CPU per event ---------------------------------------------------------------

_ACCOUNT_ROW = {"s": "BTC", "d": "ask", "ip": "47950", "a": "0.1", "f": "0", "sp": "48000", "tp": "mark", "r": True}


def _open_rows(count: int) -> bytes:
    rows = [
        {
            "order_id": 10_000_000 + index,
            "client_order_id": f"00000000-0000-4000-8000-{index:012d}",
            "symbol": "BTC",
            "side": "ask",
            "price": "47950",
            "initial_amount": "0.1",
            "filled_amount": "0",
            "cancelled_amount": "0",
            "stop_price": "48000",
            "order_type": "stop_limit",
            "stop_parent_order_id": None,
            "reduce_only": True,
            "created_at": 1_750_000_000_000,
            "updated_at": 1_750_000_000_000,
        }
        for index in range(count)
    ]
    return json.dumps({"success": True, "data": rows, "error": None, "code": None}).encode()


def _event_frames(account: str, count: int) -> list[str]:
    # A new stop, then its trigger, in turn: every frame is a change the client yields.
    frames = []
    for index in range(count):
        order_id = 50_000_000 + index // 2
        created = index % 2 == 0
        row = {
            **_ACCOUNT_ROW,
            "i": order_id,
            "I": f"00000000-0000-4000-9000-{order_id:012d}",
            "u": account,
            "oe": "stop_created" if created else "stop_triggered",
            "os": "open",
            "ot": "stop_limit",
            "ct": 1_750_000_000_000,
            "ut": 1_750_000_000_000 + index,
        }
        frames.append(json.dumps({"channel": "account_order_updates", "data": [row]}))
    return frames


async def watch_cpu_per_event(known: int, events: int) -> float:
    """Client CPU per ``watch_orders`` event with ``known`` orders known to the client."""
    from stopkit.testing import FakeServerSocket, MockTransport

    open_body = _open_rows(known)

    def answer(request: stopkit.HttpRequest) -> stopkit.HttpResponse:
        return stopkit.HttpResponse(status=200, headers={"Content-Type": "application/json"}, body=open_body)

    frames: list[str] = []

    async def venue(server: FakeServerSocket) -> None:
        await server.receive()  # the subscribe message
        await server.send('{"channel":"subscribe","data":{}}')
        for frame in frames:
            await server.send(frame)
        await server.receive()  # until the client closes

    transport = MockTransport(answer, ws=venue)
    async with stopkit_client("http://127.0.0.1:9", transport=transport) as client:
        frames.extend(_event_frames(client.venue.account, events))
        listed = await client.open_orders()
        assert len(listed) == known, len(listed)
        seen = 0
        gc.collect()
        start = 0.0
        async with contextlib.aclosing(client.watch_orders()) as updates:
            async for _update in updates:
                if seen == 0:
                    start = time.process_time()
                seen += 1
                if seen == events:
                    break
        return (time.process_time() - start) / (events - 1)


async def measure_watch(settings: Settings) -> dict[str, list[float]]:
    repeats = 2 if settings.quick else 5
    events = 200 if settings.quick else EVENTS
    samples: dict[str, list[float]] = {str(k): [] for k in KNOWN}
    for _ in range(repeats):
        for k in KNOWN:
            samples[str(k)].append(await watch_cpu_per_event(k, events))
    return samples


# -- report ----------------------------------------------------------------------------------


def _flat_rows(
    label: str, unit: str, series: dict[str, Stats], keys: list[str], names: list[str], reference: dict[str, Stats]
) -> list[Row]:
    # Flat = no growth with the load: each figure at most FLAT x the one at the lightest load (a
    # figure may fall as fixed costs spread over more orders). The bare aiohttp figure at the same
    # load is shown beside each (its ratio in the notes' JSON).
    first = series[keys[0]]
    rows = []
    for key, name in zip(keys, names, strict=True):
        stats = series[key]
        bare = reference.get(key)
        rows.append(
            Row(
                NAME,
                f"{label} @ {name}",
                stats,
                unit,
                reference=f"same at {names[0]}",
                reference_stats=first,
                target=f"flat: ≤ {FLAT:.2f}x at {names[0]}",
                met=stats.median <= FLAT * first.median,
                notes=""
                if bare is None
                else f"bare aiohttp at this load: {fmt_value(bare.median, unit)} ({stats.median / bare.median:.2f}x)",
            )
        )
    return rows


def run(settings: Settings) -> list[Row]:
    placements = asyncio.run(measure_placements(settings))
    watch = asyncio.run(measure_watch(settings))
    keys = [str(n) for n in CALLERS]
    names = [f"{n:,} callers" for n in CALLERS]
    memory = {key.split("@")[1]: Stats.of(v) for key, v in placements["memory"].items() if key.startswith("stopkit")}
    memory_ref = {key.split("@")[1]: Stats.of(v) for key, v in placements["memory"].items() if key.startswith("bare")}
    cpu = {key.split("@")[1]: Stats.of(v) for key, v in placements["cpu"].items() if key.startswith("stopkit")}
    cpu_ref = {key.split("@")[1]: Stats.of(v) for key, v in placements["cpu"].items() if key.startswith("bare")}
    watch_stats = {key: Stats.of(v) for key, v in watch.items()}
    rows = _flat_rows("memory per in-flight place", "B", memory, keys, names, memory_ref)
    rows += _flat_rows("client CPU per place", "s", cpu, keys, names, cpu_ref)
    rows += _flat_rows(
        "watch_orders CPU per event",
        "s",
        watch_stats,
        [str(k) for k in KNOWN],
        [f"{k:,} known orders" for k in KNOWN],
        {},
    )
    rows[0].extra = {"samples": placements, "watch_samples": watch}
    return rows
