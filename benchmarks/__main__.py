"""``python -m benchmarks [--quick] [--only NAME] [--json PATH]``: run, print the table, write JSON."""

from __future__ import annotations

import argparse
import importlib
import json
import os
import platform
import sys
import time
import traceback
from pathlib import Path
from typing import Any

from benchmarks._core import Row, Settings, render_table

SCENARIOS = ("build_sign", "place", "scaling", "throughput", "imports", "memory", "cassette", "model")
DEFAULT_JSON = Path(__file__).resolve().parent / "results" / "latest.json"


def _machine() -> dict[str, Any]:
    cpu = platform.processor() or platform.machine()
    try:
        with open("/proc/cpuinfo", encoding="utf-8") as handle:
            for line in handle:
                if line.startswith("model name"):
                    cpu = line.split(":", 1)[1].strip()
                    break
    except OSError:
        pass
    versions: dict[str, str] = {}
    for name in ("stopkit", "aiohttp", "ccxt", "PyNaCl", "attrs", "cattrs", "vcrpy", "base58"):
        try:
            from importlib.metadata import version

            versions[name] = version(name)
        except Exception:  # noqa: BLE001 - any metadata failure just means "absent"
            versions[name] = "absent"
    return {
        "python": sys.version.split()[0],
        "implementation": platform.python_implementation(),
        "platform": platform.platform(),
        "cpu": cpu,
        "cpus": os.cpu_count(),
        "packages": versions,
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m benchmarks", description=__doc__)
    parser.add_argument("--quick", action="store_true", help="smoke run: fewer repetitions (about a minute)")
    parser.add_argument("--only", choices=SCENARIOS, action="append", help="run only this scenario (repeatable)")
    parser.add_argument("--json", type=Path, default=DEFAULT_JSON, help=f"results file (default: {DEFAULT_JSON})")
    args = parser.parse_args(argv)
    settings = Settings(quick=args.quick)
    rows: list[Row] = []
    errors: dict[str, str] = {}
    durations: dict[str, float] = {}
    for name in args.only or SCENARIOS:
        print(f"running {name} ...", file=sys.stderr, flush=True)
        start = time.perf_counter()
        try:
            module = importlib.import_module(f"benchmarks.{name}")
            rows.extend(module.run(settings))
        except Exception as exc:  # noqa: BLE001 - one broken scenario must not hide the others
            errors[name] = f"{type(exc).__name__}: {exc}"
            traceback.print_exc()
        durations[name] = round(time.perf_counter() - start, 2)
    print(render_table(rows))
    for row in rows:
        if row.notes:
            print(f"note: {row.scenario}: {row.name}: {row.notes}")
    for name, error in errors.items():
        print(f"ERROR: {name}: {error}")
    report = {
        "created_at": time.strftime("%Y-%m-%dT%H:%M:%S%z"),
        "command": " ".join([Path(sys.executable).name, "-m", "benchmarks", *(argv or sys.argv[1:])]),
        "quick": args.quick,
        "machine": _machine(),
        "durations_s": durations,
        "rows": [row.as_dict() for row in rows],
        "errors": errors,
    }
    args.json.parent.mkdir(parents=True, exist_ok=True)
    args.json.write_text(json.dumps(report, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
    print(f"wrote {args.json}", file=sys.stderr)
    return 1 if errors else 0


if __name__ == "__main__":
    sys.exit(main())
