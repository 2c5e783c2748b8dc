"""Scenario 5: cassette replay cost per request.

A cassette of 50 placements is recorded once (``stopkit.testing.make_vcr``, record mode
``all``) against the Pacifica simulator in another process, with a frozen clock and fixed
client order ids so every signed body is reproducible. Then, interleaved, each repeat:

- live: the same 50 placements, one after another, through ``VenueClient.place`` against a
  fresh simulator over loopback;
- replay: the same 50 placements with the cassette in record mode ``none`` (vcrpy answers;
  matching on method, path, query and exact body bytes).

Per request = elapsed / 50 (a new client each run, its session created by the first
request in both; the first placement also reads ``GET /api/v1/info``, which the cassette
holds too). Loading the cassette (YAML parse) is timed separately.
"""

from __future__ import annotations

import asyncio
import tempfile
import time
import uuid
from typing import Any

import aiohttp

import stopkit
from benchmarks._core import Row, Settings, Stats
from benchmarks._fixtures import connect, order
from benchmarks._server import ServerProcess

NAME = "cassette"
REQUESTS = 50
CASSETTE = "pacifica_place_50.yaml"
UNREACHABLE_BASE_URL = "http://127.0.0.1:9"  # replay must not need a server


def _orders() -> list[stopkit.StopLimitOrder]:
    return [order(str(uuid.UUID(int=index + 1, version=4))) for index in range(REQUESTS)]


async def _place_all(base_url: str, now_ms: int) -> float:
    # Seconds for REQUESTS sequential placements with a frozen clock.
    from stopkit.context import FrozenClock

    orders = _orders()
    start = time.perf_counter()
    async with connect(base_url, clock=FrozenClock(now_ms)) as client:
        for item in orders:
            await client.place(item)
    return time.perf_counter() - start


async def measure(settings: Settings, directory: str) -> dict[str, list[float]]:
    from stopkit.testing import make_vcr

    now_ms = time.time_ns() // 1_000_000
    samples: dict[str, list[float]] = {"live": [], "replay": [], "load": []}
    with ServerProcess() as server:
        async with aiohttp.ClientSession() as control:
            base_url = (await server.reset(control))["base_url"]
            with make_vcr(directory, record_mode="all").use_cassette(CASSETTE):
                await _place_all(base_url, now_ms)
            replayer = make_vcr(directory, record_mode="none")
            for _ in range(settings.macro_repeats + 1):
                base_url = (await server.reset(control))["base_url"]
                samples["live"].append(await _place_all(base_url, now_ms) / REQUESTS)
                start = time.perf_counter()
                with replayer.use_cassette(CASSETTE) as cassette:
                    samples["load"].append(time.perf_counter() - start)
                    samples["replay"].append(await _place_all(UNREACHABLE_BASE_URL, now_ms) / REQUESTS)
                    # Every placement, plus the one GET /api/v1/info the first one reads the market rules from.
                    if cassette.play_count != REQUESTS + 1:
                        raise RuntimeError(f"replayed {cassette.play_count} of {REQUESTS + 1} interactions")
    # The first round warms imports and caches on both sides.
    return {name: values[1:] for name, values in samples.items()}


def run(settings: Settings) -> list[Row]:
    with tempfile.TemporaryDirectory(prefix="stopkit-bench-") as directory:
        samples = asyncio.run(measure(settings, directory))
    stats = {name: Stats.of(values) for name, values in samples.items()}
    extra: dict[str, Any] = {"requests_per_cassette": REQUESTS}
    return [
        Row(
            NAME,
            "vcrpy replay, per place request",
            stats["replay"],
            "s",
            reference="live loopback place (simulator)",
            reference_stats=stats["live"],
            extra=extra,
        ),
        Row(NAME, f"cassette load ({REQUESTS} interactions)", stats["load"], "s"),
    ]
