"""pyinstrument profiles of the hot paths: ``python -m benchmarks.profiling [build|place|all]``.

- ``build``: 20,000 ``stopkit.preview`` calls and 20,000 ``bound.build_place_request`` calls.
- ``place``: 2,000 ``VenueClient.place`` at concurrency 64 against the fast stand-in server
  (another process), so the profile shows the client only.

Text reports go to stdout; ``--html DIR`` also writes HTML reports.
"""

from __future__ import annotations

import argparse
import asyncio
from pathlib import Path

from pyinstrument import Profiler

import stopkit
from benchmarks._fixtures import CREDENTIALS, NOW_MS, order


def profile_build(calls: int = 20_000) -> list[Profiler]:
    from stopkit.context import RequestContext

    the_order = order()
    bound = stopkit.bind("pacifica", credentials=CREDENTIALS)
    ctx = RequestContext(now_ms=NOW_MS)
    profilers = []
    for label, func in (
        ("preview", lambda: stopkit.preview("pacifica", the_order, credentials=CREDENTIALS, now_ms=NOW_MS)),
        ("bound.build_place_request", lambda: bound.build_place_request(the_order, ctx)),
    ):
        profiler = Profiler(interval=0.0001)
        with profiler:
            for _ in range(calls):
                func()
        print(f"=== {label} x {calls}")
        profilers.append(profiler)
        print(profiler.output_text(unicode=True, color=False, show_all=False))
    return profilers


def profile_place() -> Profiler:
    import aiohttp

    from benchmarks._server import ServerProcess
    from benchmarks.throughput import ORDERS, run_stopkit

    async def main(profiler: Profiler) -> None:
        with ServerProcess() as server:
            async with aiohttp.ClientSession() as control:
                base_url = (await server.reset(control, "fast"))["base_url"]
                await run_stopkit(base_url, 200)  # warm imports
                base_url = (await server.reset(control, "fast"))["base_url"]
                profiler.start()
                await run_stopkit(base_url, ORDERS)
                profiler.stop()

    profiler = Profiler(interval=0.0001, async_mode="disabled")
    asyncio.run(main(profiler))
    print("=== VenueClient.place x 2000 @ 64 (fast stand-in server)")
    print(profiler.output_text(unicode=True, color=False, show_all=False))
    return profiler


def main() -> None:
    parser = argparse.ArgumentParser(prog="python -m benchmarks.profiling")
    parser.add_argument("what", choices=("build", "place", "all"), nargs="?", default="all")
    parser.add_argument("--html", type=Path, help="also write HTML reports into this directory")
    args = parser.parse_args()
    profilers: list[tuple[str, Profiler]] = []
    if args.what in ("build", "all"):
        profilers += list(zip(("preview", "bound_build"), profile_build(), strict=True))
    if args.what in ("place", "all"):
        profilers.append(("place", profile_place()))
    if args.html is not None:
        args.html.mkdir(parents=True, exist_ok=True)
        for name, profiler in profilers:
            (args.html / f"{name}.html").write_text(profiler.output_html(), encoding="utf-8")


if __name__ == "__main__":
    main()
