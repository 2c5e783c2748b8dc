"""Scenario: one Pacifica stop-limit placement end to end, stopkit vs CCXT vs bare aiohttp.

Three clients place the benchmark's stop-limit order (sell 0.1 BTC reduce-only, stop 48000,
limit 47950, a fresh UUID client order id each) against the same stand-in venue, a server in
its own process (:mod:`benchmarks._server`, ``mode=fast``: it answers ``POST
/api/v1/orders/stop/create`` and ``GET /api/v1/info`` at once with the venue's documented
bodies), so the client process's CPU time is the client's own cost:

- ``stopkit``: ``VenueClient.place`` on ``stopkit.connect("pacifica", credentials=...,
  config={"base_url": ...})``: everything at its defaults (the venue's documented credit budget
  and the throttle, the default retry policy, the aiohttp transport, the market-rules check
  against the cached ``GET /api/v1/info``, the write-outcome rule, the per-write record);
- ``ccxt``: CCXT's async ``pacifica.create_order(symbol, "limit", "sell", 0.1, 47950,
  {"triggerPrice": 48000, "reduceOnly": True, "clientOrderId": ..., "expiryWindow": 30000})``,
  its rate limiter off (``enableRateLimit: False``), markets set by hand (no I/O), builder-fee
  approval off;
- ``bare``: one :class:`aiohttp.ClientSession` posting pre-built signed bodies
  (``stopkit.preview``, built before the clock starts) and reading the answer: the floor of
  any aiohttp client.
- ``signed`` (a reference only): the same bare session, each body built and signed inline at
  the floor cost (canonical JSON, one Ed25519 signature, base58, compact JSON; no checks): the
  floor of any client that signs Pacifica orders. Signing is part of every placement, not of
  ``bare``'s.

Every run uses a fresh client (and a fresh stand-in): ``WARMUP`` untimed placements open the
connections (and stopkit's first one fetches ``/api/v1/info`` into the client's cache), then
``ORDERS`` placements are timed at concurrency 1 and 16 (that many workers sharing one queue).
Pacifica's documented budget is 100 credits per 60 s per IP, which stopkit enforces by
default: 1 + ``WARMUP`` + ``ORDERS`` = 97 credits fit in it, so the throttle does all of its
bookkeeping but never has to wait. Runs of the three clients are interleaved (the order
rotates every repeat) and each figure is the median over the repeats.

Reported per concurrency: client CPU per order (``time.process_time``; the targets: stopkit
≤ 0.5x CCXT and ≤ 1.5x bare aiohttp; stopkit against ``signed`` is shown beside them) and orders
per second (wall clock; the server shares the machine, so these are noisier).
"""

from __future__ import annotations

import asyncio
import gc
import time
import uuid
from collections.abc import Awaitable, Callable
from typing import Any

import aiohttp

import stopkit
from benchmarks._core import Row, Settings, Stats
from benchmarks._fixtures import CREDENTIALS, SEED, fresh_orders
from benchmarks._server import ServerProcess
from benchmarks.throughput import drive

NAME = "place"
CONCURRENCIES = (1, 16)
WARMUP = 16
ORDERS = 80
EXPIRY_WINDOW_MS = 30_000
VARIANTS = ("stopkit", "ccxt", "bare", "signed")
TARGET_CCXT = 0.5
TARGET_BARE = 1.5

Result = tuple[float, float, int]  # (wall seconds, client CPU seconds, failures) of the timed orders


async def _timed(
    items: list[Any], send: Callable[[Any], Awaitable[bool]], concurrency: int, warmup: int = WARMUP
) -> Result:
    await drive(items[:warmup], send, concurrency)
    gc.collect()
    wall, cpu = time.perf_counter(), time.process_time()
    failures = await drive(items[warmup:], send, concurrency)
    return time.perf_counter() - wall, time.process_time() - cpu, failures


def stopkit_client(base_url: str, **kwargs: Any) -> Any:
    """``stopkit.connect("pacifica", ...)`` on ``base_url`` with every default kept."""
    return stopkit.connect("pacifica", credentials=CREDENTIALS, config={"base_url": base_url}, **kwargs)


async def run_stopkit(base_url: str, concurrency: int, count: int = ORDERS) -> Result:
    """``count`` timed placements through ``VenueClient.place`` (defaults) after the warm-up."""
    orders = fresh_orders(WARMUP + count)
    async with stopkit_client(base_url) as client:

        async def send(order: stopkit.StopLimitOrder) -> bool:
            try:
                await client.place(order)
            except stopkit.StopkitError:
                return False
            return True

        return await _timed(orders, send, concurrency)


def ccxt_exchange(base_url: str) -> Any:
    """CCXT's async Pacifica on ``base_url``: rate limiter off, BTC market set by hand, no builder fee."""
    import base58
    import ccxt.async_support
    import nacl.signing

    public = bytes(nacl.signing.SigningKey(SEED).verify_key)
    exchange = ccxt.async_support.pacifica(
        {
            "privateKey": base58.b58encode(SEED + public).decode("ascii"),
            "walletAddress": base58.b58encode(public).decode("ascii"),
            "enableRateLimit": False,
        }
    )
    exchange.options["builderFee"] = False  # stopkit sends no builder code; no approval I/O
    exchange.urls["api"] = {"public": base_url, "private": base_url}
    market = exchange.parse_market(
        {"symbol": "BTC", "tick_size": "1", "lot_size": "0.00001", "max_leverage": 50, "isolated_only": False}
    )
    exchange.set_markets([market])
    return exchange


async def run_ccxt(base_url: str, concurrency: int, count: int = ORDERS) -> Result:
    """``count`` timed ``create_order`` calls (stop-limit through ``triggerPrice``) after the warm-up."""
    exchange = ccxt_exchange(base_url)
    fixed = {"triggerPrice": 48000, "reduceOnly": True, "expiryWindow": EXPIRY_WINDOW_MS}
    params = [{**fixed, "clientOrderId": str(uuid.uuid4())} for _ in range(WARMUP + count)]
    try:

        async def send(extra: dict[str, Any]) -> bool:
            try:
                order = await exchange.create_order("BTC/USDC:USDC", "limit", "sell", 0.1, 47950, extra)
            except Exception:  # noqa: BLE001 - any CCXT error is a failed placement
                return False
            return bool(order.get("id"))

        return await _timed(params, send, concurrency)
    finally:
        await exchange.close()


async def run_bare(base_url: str, concurrency: int, count: int = ORDERS) -> Result:
    """``count`` timed posts of pre-built signed bodies through one bare aiohttp session."""
    requests = [
        stopkit.preview("pacifica", order, credentials=CREDENTIALS, config={"base_url": base_url})
        for order in fresh_orders(WARMUP + count)
    ]
    async with aiohttp.ClientSession() as session:

        async def send(request: stopkit.HttpRequest) -> bool:
            async with session.post(request.url, data=request.body, headers=request.headers) as response:
                await response.read()
                return response.status == 200

        return await _timed(requests, send, concurrency)


def floor_signer() -> Callable[[str], bytes]:
    """``client_order_id -> body``: the least any Pacifica client does per order (no checks): canonical JSON
    of the message, one Ed25519 signature (pynacl, key decoded once), base58, compact JSON of the body."""
    import json

    import based58
    import nacl.signing

    key = nacl.signing.SigningKey(SEED)
    account = based58.b58encode(bytes(key.verify_key)).decode("ascii")

    def body(client_order_id: str) -> bytes:
        payload = {
            "symbol": "BTC",
            "side": "ask",
            "reduce_only": True,
            "stop_order": {
                "stop_price": "48000",
                "limit_price": "47950",
                "client_order_id": client_order_id,
                "amount": "0.1",
                "trigger_price_type": "mark",
            },
        }
        now_ms = time.time_ns() // 1_000_000
        message = {"type": "create_stop_order", "timestamp": now_ms, "expiry_window": EXPIRY_WINDOW_MS, "data": payload}
        signed = json.dumps(message, sort_keys=True, separators=(",", ":")).encode()
        signature = based58.b58encode(key.sign(signed).signature).decode("ascii")
        head = {"account": account, "signature": signature, "timestamp": now_ms, "expiry_window": EXPIRY_WINDOW_MS}
        return json.dumps({**head, **payload}, separators=(",", ":")).encode()

    return body


async def run_signed(base_url: str, concurrency: int, count: int = ORDERS) -> Result:
    """``count`` timed posts through one bare aiohttp session, each body built and signed at the floor cost."""
    sign = floor_signer()
    url = base_url + "/api/v1/orders/stop/create"
    headers = {"Content-Type": "application/json"}
    ids = [str(uuid.uuid4()) for _ in range(WARMUP + count)]
    async with aiohttp.ClientSession() as session:

        async def send(client_order_id: str) -> bool:
            async with session.post(url, data=sign(client_order_id), headers=headers) as response:
                await response.read()
                return response.status == 200

        return await _timed(ids, send, concurrency)


RUNNERS: dict[str, Callable[[str, int], Awaitable[Result]]] = {
    "stopkit": run_stopkit,
    "ccxt": run_ccxt,
    "bare": run_bare,
    "signed": run_signed,
}


async def measure(settings: Settings, concurrencies: tuple[int, ...] = CONCURRENCIES) -> dict[str, Any]:
    """Interleaved runs: per repeat and concurrency, each variant once (rotating order), fresh server each."""
    repeats = 5 if settings.quick else 21
    cpu: dict[str, list[float]] = {f"{name}@{c}": [] for name in VARIANTS for c in concurrencies}
    rate: dict[str, list[float]] = {key: [] for key in cpu}
    failures: dict[str, int] = dict.fromkeys(cpu, 0)
    with ServerProcess() as server:
        async with aiohttp.ClientSession() as control:
            for repeat in range(repeats):
                for concurrency in concurrencies:
                    shift = repeat % len(VARIANTS)
                    for name in VARIANTS[shift:] + VARIANTS[:shift]:
                        base_url = (await server.reset(control, "fast"))["base_url"]
                        wall, cpu_s, failed = await RUNNERS[name](base_url, concurrency)
                        key = f"{name}@{concurrency}"
                        cpu[key].append(cpu_s / ORDERS)
                        rate[key].append(ORDERS / wall)
                        failures[key] += failed
    return {"cpu": cpu, "rate": rate, "failures": failures, "repeats": repeats}


def rows_of(result: dict[str, Any], concurrencies: tuple[int, ...] = CONCURRENCIES) -> list[Row]:
    """The report rows: CPU per order (the targets) and orders/s, per concurrency."""
    cpu = {key: Stats.of(values) for key, values in result["cpu"].items()}
    rate = {key: Stats.of(values) for key, values in result["rate"].items()}
    failed = sum(result["failures"].values())
    notes = f"{result['failures']} placements failed" if failed else ""
    extra = {
        "orders_per_run": ORDERS,
        "warmup": WARMUP,
        "repeats": result["repeats"],
        "cpu_per_order": result["cpu"],
        "orders_per_s": result["rate"],
        "failures": result["failures"],
    }
    rows: list[Row] = []
    for c in concurrencies:
        mine, ccxt, bare = cpu[f"stopkit@{c}"], cpu[f"ccxt@{c}"], cpu[f"bare@{c}"]
        rows += [
            Row(
                NAME,
                f"client CPU per place @ {c} vs CCXT",
                mine,
                "s",
                reference="ccxt async create_order",
                reference_stats=ccxt,
                target=f"≤ {TARGET_CCXT:.2f}x CCXT",
                met=mine.median <= TARGET_CCXT * ccxt.median and not failed,
                notes=notes,
                extra=extra,
            ),
            Row(
                NAME,
                f"client CPU per place @ {c} vs bare aiohttp",
                mine,
                "s",
                reference="bare aiohttp, pre-built bodies",
                reference_stats=bare,
                target=f"≤ {TARGET_BARE:.2f}x bare",
                met=mine.median <= TARGET_BARE * bare.median and not failed,
            ),
            Row(
                NAME,
                f"client CPU per place @ {c} vs bare aiohttp signing each body",
                mine,
                "s",
                reference="bare aiohttp + floor signing",
                reference_stats=cpu[f"signed@{c}"],
                notes="the floor of any Pacifica client: a bare post plus canonical JSON, Ed25519, base58, JSON",
            ),
            Row(NAME, f"client CPU per create_order @ {c} (ccxt)", ccxt, "s"),
            Row(NAME, f"client CPU per post @ {c} (bare aiohttp)", bare, "s"),
            Row(
                NAME,
                f"client CPU per post @ {c} (bare aiohttp + floor signing)",
                cpu[f"signed@{c}"],
                "s",
                reference="bare aiohttp",
                reference_stats=bare,
            ),
        ]
    for c in concurrencies:
        for name, label in (("stopkit", "place"), ("ccxt", "ccxt create_order"), ("bare", "bare aiohttp post")):
            reference = None if name == "bare" else "bare aiohttp"
            rows.append(
                Row(
                    NAME,
                    f"orders/s @ {c}, {label}",
                    rate[f"{name}@{c}"],
                    "1/s",
                    reference=reference,
                    reference_stats=None if reference is None else rate[f"bare@{c}"],
                    notes="wall clock: the server shares the machine" if name == "stopkit" else "",
                )
            )
    return rows


def run(settings: Settings) -> list[Row]:
    return rows_of(asyncio.run(measure(settings)))
