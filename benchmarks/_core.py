"""Measurement and reporting helpers shared by the scenarios."""

from __future__ import annotations

import gc
import statistics
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import asdict, dataclass, field
from typing import Any


@dataclass(frozen=True)
class Settings:
    """How hard to measure: ``quick`` is a smoke run (fewer repeats and orders)."""

    quick: bool = False

    @property
    def micro_repeats(self) -> int:
        # Repeats of a micro-benchmark (each repeat is a calibrated loop).
        return 5 if self.quick else 25

    @property
    def micro_repeat_s(self) -> float:
        # Target duration of one repeat of a micro-benchmark.
        return 0.02 if self.quick else 0.1

    @property
    def macro_repeats(self) -> int:
        # Repeats of an end-to-end run (throughput, memory, cassette).
        return 2 if self.quick else 7

    @property
    def import_repeats(self) -> int:
        return 4 if self.quick else 20


@dataclass(frozen=True)
class Stats:
    """Median and spread of samples (seconds, bytes, ... as the scenario says)."""

    median: float
    q1: float
    q3: float
    stdev: float
    minimum: float
    n: int

    @property
    def iqr(self) -> float:
        return self.q3 - self.q1

    @classmethod
    def of(cls, samples: Sequence[float]) -> Stats:
        data = sorted(samples)
        if len(data) >= 2:
            q1, _, q3 = statistics.quantiles(data, n=4, method="inclusive")
            stdev = statistics.stdev(data)
        else:
            q1 = q3 = data[0]
            stdev = 0.0
        return cls(statistics.median(data), q1, q3, stdev, data[0], len(data))

    def as_dict(self) -> dict[str, float]:
        return {**asdict(self), "iqr": self.iqr}


@dataclass
class Row:
    """One line of the report: a measurement, its reference and its target.

    ``unit`` is ``"s"`` (shown in µs/ms), ``"B"`` (bytes) or ``"1/s"`` (throughput).
    ``ratio`` = value / reference (for throughput: value / reference as well, so > 1 is better).
    ``met`` is ``None`` when the row has no target.
    """

    scenario: str
    name: str
    stats: Stats
    unit: str
    reference: str | None = None
    reference_stats: Stats | None = None
    target: str | None = None
    met: bool | None = None
    notes: str = ""
    extra: dict[str, Any] = field(default_factory=dict)

    @property
    def ratio(self) -> float | None:
        if self.reference_stats is None or self.reference_stats.median == 0:
            return None
        return self.stats.median / self.reference_stats.median

    def as_dict(self) -> dict[str, Any]:
        return {
            "scenario": self.scenario,
            "name": self.name,
            "unit": self.unit,
            "stats": self.stats.as_dict(),
            "reference": self.reference,
            "reference_stats": None if self.reference_stats is None else self.reference_stats.as_dict(),
            "ratio": self.ratio,
            "target": self.target,
            "met": self.met,
            "notes": self.notes,
            "extra": self.extra,
        }


def _loops_for(func: Callable[[], object], target_s: float) -> int:
    # Calibrate a loop count so that one repeat lasts about target_s.
    loops = 1
    while True:
        start = time.perf_counter()
        for _ in range(loops):
            func()
        elapsed = time.perf_counter() - start
        if elapsed >= target_s / 4 or loops >= 1 << 22:
            return max(1, int(loops * target_s / max(elapsed, 1e-9)))
        loops *= 4


def compare(
    candidates: Mapping[str, Callable[[], object]], settings: Settings, *, warmup: int = 20
) -> dict[str, Stats]:
    """Time each zero-argument callable per call, repeats interleaved so drift hits all alike.

    GC stays enabled (real code pays for it) but is collected before each repeat.
    """
    for func in candidates.values():
        for _ in range(warmup):
            func()
    loops = {name: _loops_for(func, settings.micro_repeat_s) for name, func in candidates.items()}
    samples: dict[str, list[float]] = {name: [] for name in candidates}
    for _ in range(settings.micro_repeats):
        for name, func in candidates.items():
            n = loops[name]
            gc.collect()
            start = time.perf_counter()
            for _ in range(n):
                func()
            samples[name].append((time.perf_counter() - start) / n)
    return {name: Stats.of(values) for name, values in samples.items()}


def fmt_value(value: float, unit: str) -> str:
    """Human units: µs/ms/s for seconds, KiB for bytes, /s for rates."""
    if unit == "s":
        if abs(value) < 1e-3:
            return f"{value * 1e6:.1f} µs"
        if abs(value) < 1:
            return f"{value * 1e3:.1f} ms"
        return f"{value:.2f} s"
    if unit == "B":
        return f"{value / 1024:.1f} KiB" if abs(value) >= 1024 else f"{value:.0f} B"
    if unit == "1/s":
        return f"{value:,.0f}/s"
    return f"{value:.3g} {unit}"


def render_table(rows: Sequence[Row]) -> str:
    """The report table: scenario, median, spread (IQR), reference, ratio, target, met?."""
    header = ("scenario", "median", "IQR", "reference (median)", "ratio", "target", "met?")
    lines: list[tuple[str, ...]] = [header]
    for row in rows:
        ref = "-"
        if row.reference is not None:
            ref = row.reference
            if row.reference_stats is not None:
                ref += f" ({fmt_value(row.reference_stats.median, row.unit)})"
        ratio = "-" if row.ratio is None else f"{row.ratio:.2f}x"
        met = "-" if row.met is None else ("yes" if row.met else "NO")
        lines.append(
            (
                f"{row.scenario}: {row.name}",
                fmt_value(row.stats.median, row.unit),
                fmt_value(row.stats.iqr, row.unit),
                ref,
                ratio,
                row.target or "-",
                met,
            )
        )
    widths = [max(len(line[i]) for line in lines) for i in range(len(header))]
    out = []
    for index, line in enumerate(lines):
        out.append("  ".join(cell.ljust(width) for cell, width in zip(line, widths, strict=True)).rstrip())
        if index == 0:
            out.append("  ".join("-" * width for width in widths))
    return "\n".join(out)
