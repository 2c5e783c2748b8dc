"""Scenario 3: import time in fresh interpreters.

Each snippet runs as ``python -c SNIPPET`` in a new process; the figure is that child
process's CPU time (user + system, from ``getrusage(RUSAGE_CHILDREN)``: the machine's other
load does not count), with the CPU time of ``python -c pass`` measured in the same
interleaved rounds subtracted (so the figures are the import's own cost, not interpreter
start-up). Wall times are kept in the JSON. ``-X importtime`` is used once per snippet to
record the heaviest modules (self time) in the JSON.
"""

from __future__ import annotations

import json
import os
import resource
import subprocess
import sys
import time

from benchmarks._core import Row, Settings, Stats
from benchmarks._fixtures import PRIVATE_KEY_B58

NAME = "imports"

SNIPPETS: dict[str, str] = {
    "bare": "pass",
    "stopkit": "import stopkit",
    "stopkit+venue": (
        "import stopkit; stopkit.get_venue('pacifica'); "
        f"stopkit.connect('pacifica', credentials={{'PACIFICA_PRIVATE_KEY': {PRIVATE_KEY_B58!r}}})"
    ),
    "ccxt.async_support": "import ccxt.async_support",
    "aiohttp": "import aiohttp",
}
# What `import stopkit` pulls in that it should not (the model only; venues load lazily).
LAZY_CHECK = (
    "import sys, json, stopkit; "
    "print(json.dumps({m: m in sys.modules for m in ('aiohttp', 'tenacity', 'aiolimiter', 'venues', "
    "'stopkit_venues.pacifica', 'nacl', 'cattrs', 'importlib.metadata')}))"
)


def _env() -> dict[str, str]:
    env = dict(os.environ)
    env.pop("PYTHONDONTWRITEBYTECODE", None)  # compiled bytecode, as an installed package has
    return env


def _run_once(snippet: str) -> tuple[float, float]:
    # (child CPU seconds, wall seconds) of one fresh interpreter running `snippet`.
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    start = time.perf_counter()
    subprocess.run([sys.executable, "-c", snippet], check=True, env=_env())  # noqa: S603 - fixed arguments
    wall = time.perf_counter() - start
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    return (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime), wall


def importtime_top(snippet: str, top: int = 8) -> list[tuple[str, float]]:
    """The ``top`` modules by self time (ms) under ``-X importtime``."""
    proc = subprocess.run(  # noqa: S603 - this interpreter, fixed arguments
        [sys.executable, "-X", "importtime", "-c", snippet], capture_output=True, text=True, check=True, env=_env()
    )
    rows: list[tuple[str, float]] = []
    for line in proc.stderr.splitlines():
        if not line.startswith("import time:") or "self [us]" in line:
            continue
        self_us, _cumulative, name = (part.strip() for part in line[len("import time:") :].split("|"))
        rows.append((name.strip(), int(self_us) / 1000))
    rows.sort(key=lambda item: item[1], reverse=True)
    return rows[:top]


def run(settings: Settings) -> list[Row]:
    for snippet in SNIPPETS.values():  # warm the bytecode caches and the OS page cache
        _run_once(snippet)
    samples: dict[str, list[float]] = {name: [] for name in SNIPPETS}
    walls: dict[str, list[float]] = {name: [] for name in SNIPPETS}
    for _ in range(settings.import_repeats):
        for name, snippet in SNIPPETS.items():
            cpu, wall = _run_once(snippet)
            samples[name].append(cpu)
            walls[name].append(wall)
    bare = Stats.of(samples["bare"])
    net = {name: Stats.of([value - bare.median for value in values]) for name, values in samples.items()}
    lazy = json.loads(
        subprocess.run(  # noqa: S603 - this interpreter, fixed arguments
            [sys.executable, "-c", LAZY_CHECK],
            capture_output=True,
            text=True,
            check=True,
            env=_env(),
        ).stdout
    )
    top = {name: importtime_top(snippet) for name, snippet in SNIPPETS.items() if name != "bare"}
    aiohttp = net["aiohttp"]
    ccxt = net["ccxt.async_support"]
    venue = net["stopkit+venue"]
    return [
        Row(
            NAME,
            "import stopkit (model only)",
            net["stopkit"],
            "s",
            reference="import ccxt.async_support",
            reference_stats=ccxt,
            target="≤ 60 ms",
            met=net["stopkit"].median <= 0.060,
            notes="child CPU time; start-up of a bare interpreter subtracted",
            extra={"modules_loaded_by_import_stopkit": lazy, "top_self_ms": top["stopkit"], "wall_s": walls},
        ),
        Row(
            NAME,
            "stopkit + pacifica + connect()",
            venue,
            "s",
            reference="import aiohttp",
            reference_stats=aiohttp,
            target=f"≤ aiohttp + 40 ms (≤ {(aiohttp.median + 0.040) * 1e3:.0f} ms)",
            met=venue.median <= aiohttp.median + 0.040,
            extra={"top_self_ms": top["stopkit+venue"]},
        ),
        Row(NAME, "import ccxt.async_support", ccxt, "s", extra={"top_self_ms": top["ccxt.async_support"]}),
        Row(NAME, "import aiohttp", aiohttp, "s", extra={"top_self_ms": top["aiohttp"]}),
        Row(NAME, "bare interpreter start-up (subtracted)", bare, "s"),
    ]
